"""The "?" links from the pages to the sections of ``/help`` (one list of section ids, shared with the help page).

The ids are stable: pages, tests and bookmarks link to ``/help#<id>``.
"""

from __future__ import annotations

from dash import html

__all__ = ["HELP_SECTIONS", "help_link", "help_href"]

#: Section id -> title, in the order the help page shows them.
HELP_SECTIONS = {
    "method": "What AWD does",
    "example": "A worked example: clathrin traces (CME)",
    "teacher": "The teacher",
    "wavelet": "The learned wavelet (ψ and φ)",
    "lambda": "λ: sparsity",
    "gamma": "γ: interpretation",
    "trim": "TRIM attributions",
    "grid": "The λ × γ grid and the selection",
    "student": "The interpretable student",
    "compression": "Compression",
    "scores": "Reading the scores",
    "activation": "Reading the activation maps",
    "explain": "Explaining one prediction (CartoonX)",
    "predict": "Predicting new data",
    "data": "Reading the data and training curves",
    "trust": "When to trust a result",
    "configure": "Choosing the settings",
    "runs": "Managing runs: jobs, datasets, delete, rerun",
    "compare": "Comparing runs",
    "api": "From Python or another program (the REST API)",
    "cite": "Citing",
}


def help_href(section: str) -> str:
    """``/help#<section>``; ValueError for a section the help page does not have."""
    if section not in HELP_SECTIONS:
        raise ValueError(f"section: no help section {section!r}; use one of {', '.join(HELP_SECTIONS)}")
    return f"/help#{section}"


def help_link(section: str, where: str = "") -> html.A:
    """A small "?" link to a help section, to put next to a heading.

    Parameters
    ----------
    section : str
        A key of :data:`HELP_SECTIONS`.
    where : str, optional
        Tells a second link to the same section on one page apart (its id ends ``-<where>``).

    Returns
    -------
    dash.html.A
        With id ``help-link-<section>`` (unique per section and page), opening in a new tab, so that the page
        keeps its state (review 19: an inspected grid point was lost on the way to Help and back).

    Examples
    --------
    >>> help_link("lambda").href
    '/help#lambda'
    """
    return html.A("?", href=help_href(section), className="awd-help-link ms-2",
                  id=f"help-link-{section}{'-' + where if where else ''}",
                  target="_blank", rel="noopener", title=f"Help: {HELP_SECTIONS[section]} (opens in a new tab)",
                  **{"aria-label": f"Help: {HELP_SECTIONS[section]} (opens in a new tab)"})

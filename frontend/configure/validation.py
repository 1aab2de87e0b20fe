"""The form's fields checked: every wrong field at once, in words, and which fields to outline in red.

Pure functions (no callbacks): :func:`parse_grid` reads the λ and γ lists, :func:`form_problems` lists what is
wrong with the filled form (``"<field>: ..."`` messages), :func:`invalid_fields` maps those messages to the fields
they are about, and :func:`problems_alert` shows them in the Start bar. The estimate (:mod:`.estimate`) shows them
as the form is filled in, the submission (:mod:`.submit`) refuses a form with any.
"""

from __future__ import annotations

import math

import dash_bootstrap_components as dbc
from dash import html

from awd_studio.frontend.configure.ids import ids

__all__ = ["FIELD_OF_MESSAGE", "format_grid", "parse_grid", "grid_shape", "form_problems", "invalid_fields",
           "problems_alert"]


def format_grid(values) -> str:
    """``[0.0001, 0.001]`` -> ``"0.0001, 0.001"`` (4 significant digits)."""
    return ", ".join(f"{v:.4g}" for v in values)


def parse_grid(text: str | None, field: str) -> list[float]:
    """Parse a comma/space separated list of non-negative numbers.

    Parameters
    ----------
    text : str
        E.g. ``"0, 1e-3, 0.01"``.
    field : str
        Name used in the error message (``"lambdas"``).

    Returns
    -------
    list of float, sorted ascending, duplicates removed

    Raises
    ------
    ValueError
        Naming the field and the offending entry.
    """
    parts = [p.strip() for p in (text or "").replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError(f"{field}: enter at least one value, e.g. 0.001, 0.01")
    out, not_numbers, out_of_range = [], [], []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            not_numbers.append(repr(p))
            continue
        if not math.isfinite(v) or v < 0:
            out_of_range.append(repr(p))
        out.append(v)
    problems = []  # every wrong entry at once, not the first of them
    if not_numbers:
        problems.append(f"{', '.join(not_numbers)} {'is' if len(not_numbers) == 1 else 'are'} not a number")
    if out_of_range:
        problems.append(f"{', '.join(out_of_range)} {'is' if len(out_of_range) == 1 else 'are'} not a finite "
                        "number ≥ 0")
    if problems:
        raise ValueError(f"{field}: {'; '.join(problems)}; use values ≥ 0 like 0.001 or 1e-3")
    if len(out) > 64:
        raise ValueError(f"{field}: at most 64 values (got {len(out)})")
    return sorted(set(out))


def _whole(value, label: str, least: int, most: int | None) -> None:
    """A required whole-number field from ``least`` to ``most`` (a number input outside its min and max gives None:
    the message names both bounds, the server's)."""
    if value is None or int(value) != float(value) or int(value) < least or (most is not None and int(value) > most):
        raise ValueError(f"{label}: enter a whole number " + (f"from {least} to {most}" if most else f"≥ {least}"))


def _step_size(value) -> None:
    if value not in (None, "") and not 0 < float(value) <= 10:
        raise ValueError("step size: enter a number above 0 and at most 10 (Adam's learning rate; the grid "
                         "buttons fill in their own), or leave it blank for the preset's")


def _optional_whole(value, label: str, least: int, most: int | None) -> None:
    """An optional whole-number field from ``least`` to ``most``, whose blank is the server's default for the data
    (models.options): :func:`_whole`'s check and message, which say it may be left blank."""
    if value in (None, ""):
        return
    try:
        _whole(value, label, least, most)
    except ValueError as err:
        raise ValueError(f"{err}, or leave it blank") from None


def grid_shape(lambdas, gammas) -> tuple[int, int, bool]:
    """The grid a job runs for the form's λ and γ values: each value once, and γ = 0 always among the γ (the
    service adds it, ``models.options.resolve_grid``). The page counted the values as typed: "1 × 1 = 1 grid
    points" for a job that ran 1 × 2 (review 50B).

    Returns
    -------
    n_lambdas, n_gammas : int
    zero_added : bool
        Whether γ = 0 was not among the values typed.

    Examples
    --------
    >>> grid_shape([0.001], [0.01]), grid_shape([0.01, 0.01, 0.02], [0.0, 0.5])
    ((1, 2, True), (2, 2, False))
    """
    gammas = set(gammas)
    return len(set(lambdas)), len(gammas | {0.0}), 0.0 not in gammas


def _grid_points(lambdas, gammas, most: int | None) -> None:
    """The grid's size against the service's bound (γ = 0 counted, as the service does); nothing to say while a
    grid field cannot be read (its own message says why). The bound came back from the service after Start, in its
    own words ("request: lambdas x gammas: 900 grid points exceed the bound of 400"), with no field outlined."""
    try:
        n_l, n_g, _ = grid_shape(parse_grid(lambdas, "λ"), parse_grid(gammas, "γ"))
    except ValueError:
        return
    if most and n_l * n_g > most:
        raise ValueError(f"λ × γ: {n_l} × {n_g} = {n_l * n_g} grid points (γ = 0 included), more than this server's "
                         f"{most}: enter fewer values")


def form_problems(form: dict, bounds: dict | None = None) -> list[str]:
    """Every wrong field of the filled form at once, one ``"<field>: ..."`` message each, in the form's order
    (review 21: the page showed one wrong field at a time, the next only once the first was fixed).

    Parameters
    ----------
    form : dict
        The values of :data:`~frontend.configure.ids.FORM_FIELDS` (those absent count as blank).
    bounds : dict, optional
        The service's maxima (``GET /api/options``: ``epochs``, ``levels``, ``teacher_epochs``,
        ``scattering_epochs``, ``start_search``, ``random_search``, ``grid_points``).

    Returns
    -------
    list of str
        Empty when every field is right.

    Examples
    --------
    >>> wrong = form_problems(dict(lambdas="0.01, x", gammas="0", epochs=0, levels=4, seed=0, lr="20"),
    ...                       {"epochs": 2000})
    >>> [message.split(":")[0] for message in wrong], wrong[1]
    (['λ', 'epochs', 'step size'], 'epochs: enter a whole number from 1 to 2000')
    """
    bounds, get = bounds or {}, form.get
    checks = [
        lambda: parse_grid(get("lambdas"), "λ"),
        lambda: parse_grid(get("gammas"), "γ"),
        lambda: _grid_points(get("lambdas"), get("gammas"), bounds.get("grid_points")),
        lambda: _whole(get("epochs"), "epochs", 1, bounds.get("epochs")),
        lambda: _step_size(get("lr")),
        lambda: _whole(get("seed"), "seed", 0, None),
        lambda: _whole(get("levels"), "levels", 1, bounds.get("levels")),
        lambda: _optional_whole(get("teacher_epochs"), "teacher training epochs", 1, bounds.get("teacher_epochs")),
        lambda: _optional_whole(get("start_search"), "random starts searched", 0, bounds.get("start_search")),
        lambda: _optional_whole(get("random_search"), "control, random wavelets", 0, bounds.get("random_search")),
        lambda: get("scattering") and _optional_whole(get("scattering_epochs"), "scattering epochs", 1,
                                                      bounds.get("scattering_epochs")),
    ]
    problems = []
    for check in checks:
        try:
            check()
        except (TypeError, ValueError) as err:
            problems.append(str(err))
    return problems


#: The form's fields by the name their error messages start with (:func:`parse_grid`, :func:`form_problems`,
#: :func:`~frontend.configure.payload.job_payload`).
FIELD_OF_MESSAGE = {"λ": ids.LAMBDAS, "γ": ids.GAMMAS, "epochs": ids.EPOCHS, "step size": ids.LR, "levels": ids.LEVELS,
                    "seed": ids.SEED,
                    "teacher training epochs": ids.TEACHER_EPOCHS, "random starts searched": ids.START_SEARCH,
                    "control, random wavelets": ids.RANDOM_SEARCH, "scattering epochs": ids.SCATTERING_EPOCHS}


def invalid_fields(messages: str | list[str] | None) -> dict:
    """``{field id: bool}``: which fields error messages (``"<field>: ..."``, one or a list) are about, for their
    red outlines.

    Examples
    --------
    >>> [k for k, bad in invalid_fields("epochs: enter a whole number from 1 to 2000").items() if bad]
    ['configure-epochs']
    >>> [k for k, bad in invalid_fields(["λ: enter at least one value", "seed: enter a whole number ≥ 0"]).items()
    ...  if bad]
    ['configure-lambdas', 'configure-seed']
    """
    messages = [messages] if isinstance(messages, str) else list(messages or [])
    fields = {m.split(":", 1)[0] for m in messages if ":" in m}
    if "λ × γ" in fields:  # the grid's size: both of its fields
        fields |= {"λ", "γ"}
    return {component: name in fields for name, component in FIELD_OF_MESSAGE.items()}


def problems_alert(problems: list[str], class_name: str = "py-1 px-2 mb-0 small", refused: bool = False):
    """The form's wrong fields in one warning: the message alone, or a list of them under how many there are. The
    Start bar shows it in place of its line (:func:`~frontend.configure.estimate.start_words`): held at the bottom of
    the window, the bar is in sight wherever the field is, where the estimate's card lay under the bar at 1366 × 768.

    Parameters
    ----------
    problems : list of str
        :func:`form_problems`' messages (at least one).
    class_name : str
        The alert's classes.
    refused : bool
        Start was pressed: the count says the job was not started (the fields said once, here, not again in a
        status line under the bar: review, "γ: ..." then "Not started: 1 field to fix first (γ)").

    Examples
    --------
    >>> problems_alert(["seed: enter a whole number ≥ 0"]).children
    'seed: enter a whole number ≥ 0'
    >>> refused = problems_alert(["seed: enter a whole number ≥ 0"], refused=True).children
    >>> refused[0].children, [item.children for item in refused[1].children]
    ('Not started: 1 field to fix:', ['seed: enter a whole number ≥ 0'])
    """
    count = f"{len(problems)} field{'s' if len(problems) > 1 else ''} to fix:"
    body = problems[0] if len(problems) == 1 and not refused else [
        html.Div(f"Not started: {count}" if refused else count),
        html.Ul([html.Li(p) for p in problems], className="mb-0 ps-3")]
    return dbc.Alert(body, color="warning", className=class_name)

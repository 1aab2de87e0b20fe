"""The λ/γ grid's presets: the "Quick grid" and "Paper's grid" buttons, the grid they fill in, the button that
looks pressed, and the job body that names its preset.

The presets themselves are the service's (``GET /api/options``' ``grid_presets``, by data kind).
"""

from __future__ import annotations

import math

from dash import Input, Output, State, callback, html

from awd_studio.frontend.components import named_update, triggered_id
from awd_studio.frontend.configure.ids import ids
from awd_studio.frontend.configure.prefill import prefill_for
from awd_studio.frontend.configure.validation import format_grid, parse_grid
from awd_studio.frontend.rerun_form import grid_values

__all__ = ["PRESET_BUTTONS", "PRESET_OUTPUTS", "PRESSED_OUTPUTS", "preset_button", "preset_class", "named_preset",
           "preset_of_grid", "preset_of_fields", "apply_preset", "preset_pressed"]


#: The preset each button asks for.
PRESET_BUTTONS = {ids.PRESET_QUICK: "default", ids.PRESET_PAPER: "paper"}


def preset_button(label: str, button_id: str, pressed: bool = False) -> html.Button:
    """A grid preset's button: a toggle that looks pressed (filled, ``aria-pressed``) while the λ and γ fields show
    its grid (:func:`preset_pressed`); a reviewer could not tell which preset the grid was."""
    return html.Button(label, id=button_id, type="button", n_clicks=0, className=preset_class(pressed),
                       **{"aria-pressed": "true" if pressed else "false"})


def preset_class(pressed: bool) -> str:
    """A preset button's classes: Bootstrap's ``active`` while it is pressed: filled dark, with a tick before its
    label (assets/awd.css, ``.awd-preset``), where a pointer over a button not pressed tints it light grey (Bootstrap
    filled it with the pressed look's grey, a review could tell them apart by the tick alone).

    Examples
    --------
    >>> preset_class(True)
    'btn btn-sm btn-outline-secondary awd-preset active'
    """
    return "btn btn-sm btn-outline-secondary awd-preset" + (" active" if pressed else "")


def named_preset(payload: dict, presets: dict | None, kind: str | None) -> dict:
    """The job body with its grid given as the preset it shows (``grid_preset``, the λ and γ lists left out, and
    the epochs and step size when they are the preset's), so that the job runs the preset's exact values (the
    form shows them to 4 digits: the paper's 0.0002659147 was sent as 0.0002659) and a rerun of a preset run
    differs from it only in what was changed; another grid is sent as it is.

    Examples
    --------
    >>> presets = {"timeseries": {"paper": {"lambdas": [0.0002659147, 1.0], "gammas": [0.0, 0.5], "epochs": 100,
    ...                                     "lr": 0.001}}}
    >>> named_preset({"lambdas": [0.0002659, 1.0], "gammas": [0.0, 0.5], "epochs": 100, "lr": 0.001, "seed": 2},
    ...              presets, "timeseries")
    {'seed': 2, 'grid_preset': 'paper'}
    >>> named_preset({"lambdas": [0.1], "gammas": [0.0], "epochs": 100}, presets, "timeseries")["lambdas"]
    [0.1]
    """
    name = preset_of_grid(payload.get("lambdas") or [], payload.get("gammas") or [], presets, kind)
    if name is None:
        return payload
    preset = presets[kind or "timeseries"][name]
    out = {k: v for k, v in payload.items() if k not in ("lambdas", "gammas")}
    out["grid_preset"] = name
    if out.get("epochs") == preset.get("epochs"):
        out.pop("epochs")
    if "lr" in out and preset.get("lr") is not None and math.isclose(out["lr"], preset["lr"]):
        out.pop("lr")
    return out


def preset_of_grid(lambdas: list[float], gammas: list[float], presets: dict | None, kind: str | None) -> str | None:
    """The name of the preset whose grid ``lambdas`` × ``gammas`` is, to the 4 digits the form shows, or None.

    Parameters
    ----------
    lambdas, gammas : list of float
        Sorted, without duplicates (:func:`~frontend.configure.validation.parse_grid`).
    presets : dict or None
        ``GET /api/options``' ``grid_presets``: kind -> name -> ``{"lambdas", "gammas", ...}``.
    kind : str or None
        The dataset's kind (None: ``"timeseries"``).

    Returns
    -------
    str or None
        The first preset of ``kind`` with that grid.

    Examples
    --------
    >>> presets = {"timeseries": {"default": {"lambdas": [0.001], "gammas": [0.0, 0.1]},
    ...                           "paper": {"lambdas": [0.0002659147, 1.0], "gammas": [0.0, 0.5]}}}
    >>> preset_of_grid([0.0002659, 1.0], [0.0, 0.5], presets, None), preset_of_grid([0.001], [0.0], presets, None)
    ('paper', None)
    """
    for name, preset in ((presets or {}).get(kind or "timeseries") or {}).items():
        if (format_grid(lambdas) == format_grid(preset.get("lambdas") or [])
                and format_grid(gammas) == format_grid(sorted(set(preset.get("gammas") or [])))):
            return name
    return None


def preset_of_fields(grid: tuple | None, epochs, lr, presets: dict | None, kind: str | None) -> str | None:
    """The name of the preset whose values the grid's fields all show: its λ × γ grid (:func:`preset_of_grid`), its
    epochs and its step size (a blank step size is the preset's); None once any of them is one's own (review: the
    quick grid stayed pressed at 7 epochs).

    Parameters
    ----------
    grid : tuple of (list of float, list of float) or None
        The λ and γ fields read (:func:`~frontend.configure.validation.parse_grid`), None when they cannot be.
    epochs, lr
        The epochs and step size fields' values (numbers, or None when blank or not a number).
    presets, kind
        As for :func:`preset_of_grid`.

    Returns
    -------
    str or None

    Examples
    --------
    >>> presets = {"timeseries": {"default": {"lambdas": [0.001], "gammas": [0.0, 0.1], "epochs": 50, "lr": 0.001}}}
    >>> grid = [0.001], [0.0, 0.1]
    >>> preset_of_fields(grid, 50, 0.001, presets, None), preset_of_fields(grid, 50, None, presets, None)
    ('default', 'default')
    >>> preset_of_fields(grid, 7, 0.001, presets, None), preset_of_fields(grid, 50, 0.01, presets, None)
    (None, None)
    """
    name = grid and preset_of_grid(*grid, presets, kind)
    if not name:
        return None
    preset = presets[kind or "timeseries"][name]
    same_epochs = isinstance(epochs, int | float) and epochs == preset.get("epochs")
    same_lr = lr in (None, "") or (isinstance(lr, int | float) and math.isclose(lr, preset.get("lr") or 1e-3))
    return name if same_epochs and same_lr else None


#: What a grid preset fills in, and the data kind the fields were filled for.
PRESET_OUTPUTS = dict(lambdas=Output(ids.LAMBDAS, "value"), gammas=Output(ids.GAMMAS, "value"),
                      epochs=Output(ids.EPOCHS, "value"), lr=Output(ids.LR, "value"),
                      filled_for=Output(ids.GRID_KIND, "data"))


@callback(
    output=PRESET_OUTPUTS,
    inputs=dict(info=Input(ids.DATASET_INFO, "data"), _quick=Input(ids.PRESET_QUICK, "n_clicks"),
                _paper=Input(ids.PRESET_PAPER, "n_clicks"), options=Input(ids.OPTIONS, "data")),
    state=dict(prefill=State(ids.PREFILL, "data"), filled_for=State(ids.GRID_KIND, "data"),
               lambdas=State(ids.LAMBDAS, "value"), gammas=State(ids.GAMMAS, "value"),
               epochs=State(ids.EPOCHS, "value"), lr=State(ids.LR, "value")),
)
def apply_preset(info, _quick, _paper, options, prefill=None, filled_for=None, lambdas=None, gammas=None,
                 epochs=None, lr=None):
    """Fill the grid, epochs and step size from the service's preset for the dataset's kind (``default`` unless
    "Paper's grid"), or, on the dataset of ``?from=``'s run until a preset button is pressed, that run's.

    A grid of one's own (the fields show no preset) stays when another dataset of the kind it was filled for is
    picked: the page replaced a typed grid and epochs with the preset at every change of dataset, without a word
    (review 50B). A dataset of the other kind gets that kind's preset (the maps' and the series' grids differ in
    scale, epochs and step size)."""
    kind = (info or {}).get("kind") or "timeseries"
    clicked = triggered_id()
    name = PRESET_BUTTONS.get(clicked, "default")
    presets = (options or {}).get("grid_presets")
    mine = prefill_for(prefill, info)
    if mine and clicked not in PRESET_BUTTONS:
        grid = grid_values(mine, presets, kind)
        if grid:
            return dict(lambdas=format_grid(grid["lambdas"]), gammas=format_grid(grid["gammas"]),
                        epochs=grid["epochs"], lr=grid.get("lr") or 1e-3, filled_for=kind)
    if clicked == ids.DATASET_INFO and filled_for == kind and presets:
        try:
            grid = parse_grid(lambdas, "λ"), parse_grid(gammas, "γ")
        except ValueError:
            grid = None
        if preset_of_fields(grid, epochs, lr, presets, kind) is None:
            return named_update(PRESET_OUTPUTS)  # one's own grid, on data of the kind it was made for
    preset = (presets or {}).get(kind, {}).get(name)
    if not preset:
        return named_update(PRESET_OUTPUTS)  # the options have not arrived yet
    return dict(lambdas=format_grid(preset["lambdas"]), gammas=format_grid(preset["gammas"]), epochs=preset["epochs"],
                lr=preset.get("lr", 1e-3), filled_for=kind)


#: Each preset button's look: its classes and ``aria-pressed``, by the preset's name.
PRESSED_OUTPUTS = {name: {"className": Output(button, "className"), "pressed": Output(button, "aria-pressed")}
                   for button, name in PRESET_BUTTONS.items()}


@callback(output=PRESSED_OUTPUTS,
          inputs=dict(lambdas=Input(ids.LAMBDAS, "value"), gammas=Input(ids.GAMMAS, "value"),
                      epochs=Input(ids.EPOCHS, "value"), lr=Input(ids.LR, "value"),
                      info=Input(ids.DATASET_INFO, "data"), options=Input(ids.OPTIONS, "data")))
def preset_pressed(lambdas, gammas, info, options, epochs=None, lr=None):
    """The preset whose grid, epochs and step size the fields show looks pressed, the other not; neither once one of
    them is one's own (or the grid cannot be read): :func:`preset_of_fields`."""
    try:
        grid = parse_grid(lambdas, "λ"), parse_grid(gammas, "γ")
    except ValueError:
        grid = None
    shown = preset_of_fields(grid, epochs, lr, (options or {}).get("grid_presets"), (info or {}).get("kind"))
    return {name: {"className": preset_class(name == shown), "pressed": "true" if name == shown else "false"}
            for name in PRESSED_OUTPUTS}

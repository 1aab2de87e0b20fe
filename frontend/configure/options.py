"""The service's job options on the form: ``GET /api/options`` gives every choice, default and bound.

:func:`load_options` fills the dropdowns and radio items (named by :data:`LABELS`) and sets each number
input's maximum; the options it stores (:data:`~frontend.configure.ids.ids.OPTIONS`) are what the teacher, grid
preset, estimate and submission callbacks read. Also: the scattering student's epochs, asked only while it is on.
"""

from __future__ import annotations

from dash import Input, Output, State, callback

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import alert_outputs, alert_value, named_update
from awd_studio.frontend.configure.ids import ids
from awd_studio.frontend.option_words import VALUE_WORDS

__all__ = ["LABELS", "OPTIONS_OUTPUTS", "choice_options", "load_options", "scattering_epochs_enabled"]


#: How the page names the options' values (the values themselves come from ``GET /api/options``); a key
#: ``(option, value)`` names a value for one option only.
LABELS = {
    "saliency": "Saliency (the paper's)", "input_x_gradient": "Input × gradient",
    "integrated_gradients": "Integrated gradients (slower)",
    "orthogonal": "orthogonal (exact lattice)", "free": "free (penalised, as in the paper)",
    "auto": "auto (from the signal length)",
    "kernels": "four sub-filter responses (the paper's)", "magnitude": "LL response and detail magnitude",
    "largest": "largest coefficients of each band (the paper's)", "positions": "coefficients at fixed positions",
    ("series_features", "auto"): "auto (the better in cross-validation)",
}


def choice_options(options: dict | None, name: str) -> list[dict]:
    """Dropdown options of one job option, from ``GET /api/options`` (empty until it has arrived), named by
    :data:`LABELS`, else as the job page names the value (:data:`frontend.option_words.VALUE_WORDS`)."""
    choices = (((options or {}).get("options") or {}).get(name) or {}).get("choices") or []
    words = VALUE_WORDS.get(name, {})
    return [{"label": LABELS.get((name, c), LABELS.get(c, words.get(c, c))), "value": c} for c in choices]


#: What the options of the service set on the form.
OPTIONS_OUTPUTS = dict(
    options=Output(ids.OPTIONS, "data"), waves=Output(ids.WAVE, "options"), wave=Output(ids.WAVE, "value"),
    attributions=Output(ids.ATTRIBUTION, "options"), parametrizations=Output(ids.PARAMETRIZATION, "options"),
    modes=Output(ids.MODE, "options"), peak_responses=Output(ids.PEAK_RESPONSE, "options"),
    peak_response=Output(ids.PEAK_RESPONSE, "value"), peak_ranges=Output(ids.PEAK_RANGE, "options"),
    peak_range=Output(ids.PEAK_RANGE, "value"), series_features_options=Output(ids.SERIES_FEATURES, "options"),
    series_features=Output(ids.SERIES_FEATURES, "value"),
    # the optional number fields get no maximum: see layout.OPTIONAL_NUMBER
    max_levels=Output(ids.LEVELS, "max"), max_epochs=Output(ids.EPOCHS, "max"),
    error=alert_outputs(ids.ERROR, allow_duplicate=True))


@callback(output=OPTIONS_OUTPUTS, inputs=dict(prefill=Input(ids.PREFILL, "data")),
          state=dict(wave=State(ids.WAVE, "value")), prevent_initial_call="initial_duplicate")
async def load_options(prefill=None, wave=None):
    """The service's job options (``GET /api/options``): every choice, bound and preset of the form (the
    initial wavelet is set again with its choices: a dropdown drops a value its options do not hold yet); the
    wavelet and what the students read of ``?from=``'s run (read first: this waits for it)."""
    try:
        options = await get_client().get_options()
    except ApiError as err:
        return named_update(OPTIONS_OUTPUTS, error=alert_value(f"Could not read the job options: {err.message}"))
    bounds = options.get("bounds", {})
    waves = options.get("wavelets", [])
    default_wave = options.get("options", {}).get("wave", {}).get("default", "db5")
    default_response = options.get("options", {}).get("peak_response", {}).get("default", "magnitude")
    default_features = options.get("options", {}).get("series_features", {}).get("default", "auto")
    default_range = options.get("options", {}).get("peak_range", {}).get("default", "from_zero")
    mine = (prefill or {}).get("values") or {}
    wave = mine.get("wave") or wave
    default_response = mine.get("peak_response") or default_response
    default_features = mine.get("series_features") or default_features
    default_range = mine.get("peak_range") or default_range
    # the error alert is left as it is: it may say that ?from='s run could not be read (a reviewer saw it cleared)
    return named_update(OPTIONS_OUTPUTS, options=options, waves=[{"label": w, "value": w} for w in waves],
                wave=wave if wave in waves else default_wave,
                attributions=choice_options(options, "attribution"),
                parametrizations=choice_options(options, "parametrization"), modes=choice_options(options, "mode"),
                peak_responses=choice_options(options, "peak_response"), peak_response=default_response,
                peak_ranges=choice_options(options, "peak_range"), peak_range=default_range,
                series_features_options=choice_options(options, "series_features"), series_features=default_features,
                max_levels=bounds.get("levels"), max_epochs=bounds.get("epochs"))


@callback(output=Output(ids.SCATTERING_EPOCHS, "disabled"), inputs=dict(on=Input(ids.SCATTERING, "value")))
def scattering_epochs_enabled(on):
    """The scattering student's epochs are asked for only while it is switched on."""
    return not on


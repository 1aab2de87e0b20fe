"""The results page's "Use in Python" and "Cite" boxes: a snippet that loads the downloaded result and predicts,
and BibTeX of the paper and of the software.

:func:`python_snippet` is the exact text the page shows (the tests run it); it reads the two files of the
Downloads box, ``result.json`` and ``arrays.npz``, from one folder (under the names they download as,
``awd-<run>-result.json``, or renamed: :func:`models.pipeline.result_files.result_file`).
"""

from __future__ import annotations

import math

import dash_bootstrap_components as dbc
from dash import dcc, html

from awd_studio.frontend.figures.grid import kept_initial

__all__ = ["python_snippet", "predict_command", "has_scattering_student", "pywt_max_level", "BIBTEX_PAPER",
           "bibtex_software", "use_in_python_card", "RESULT_FOLDER"]

#: The folder the snippet expects the downloaded result.json and arrays.npz in.
RESULT_FOLDER = "awd-result"

BIBTEX_PAPER = """@inproceedings{ha2021adaptive,
  title     = {Adaptive wavelet distillation from neural networks through interpretations},
  author    = {Ha, Wooseok and Singh, Chandan and Lanusse, Francois and Upadhyayula, Srigokul and Yu, Bin},
  booktitle = {Advances in Neural Information Processing Systems},
  volume    = {34},
  year      = {2021}
}"""


def bibtex_software(bundle: dict) -> str:
    """BibTeX of AWD Studio at the version that wrote the result (no ``url``: pyproject.toml names none).

    Examples
    --------
    >>> print(bibtex_software({"provenance": {"version": "0.1.0", "finished": "2026-12-06T10:00:00+00:00"}}))
    @software{awd_studio,
      author  = {{AWD Studio contributors}},
      title   = {AWD Studio: adaptive wavelet distillation of neural networks, with a web app},
      version = {0.1.0},
      year    = {2026},
      note    = {version 0.1.0}
    }
    """
    prov = (bundle or {}).get("provenance") or {}
    version = prov.get("version") or "unknown"
    year = str(prov.get("finished") or "")[:4] or "2025"
    commit = prov.get("git_sha")
    note = f"version {version}" + (f", commit {commit[:12]}" if commit else "")
    return ("@software{awd_studio,\n"
            "  author  = {{AWD Studio contributors}},\n"
            "  title   = {AWD Studio: adaptive wavelet distillation of neural networks, with a web app},\n"
            f"  version = {{{version}}},\n"
            f"  year    = {{{year}}},\n"
            f"  note    = {{{note}}}\n"
            "}")


def python_snippet(bundle: dict) -> str:
    """Python that loads the downloaded result, predicts with its distilled model and gets its wavelet.

    When cross-validation kept the initial wavelet (``selection.choice == "initial"``), the snippet predicts
    with the initial wavelet's student and gets that wavelet, and names the distilled ones in comments.

    Parameters
    ----------
    bundle : dict
        The result bundle the page shows.

    Returns
    -------
    str
        Runnable code (needs ``awd-studio`` installed and the folder :data:`RESULT_FOLDER` holding
        ``result.json`` and ``arrays.npz``).
    """
    wavelet = (bundle or {}).get("wavelet") or {}
    initial = kept_initial(bundle or {})
    if initial is not None:  # cross-validation kept the initial wavelet: that is the model to use
        stored = "y_pred_baseline_wavelet"
        predict = (f'predict_from_bundle(RESULT, X, model="baseline_wavelet")  # cross-validation kept {initial}; '
                   'model="awd" for the distilled student')
        get_wavelet = (f'wavelet_from_result(RESULT, which="initial")  # {initial}, which cross-validation kept; '
                       'which="learned": the learned one')
        filter_line = f'print("{initial} lowpass filter h:", np.round(wavelet.rec_lo, 4))'
    else:
        stored = "y_pred_awd"
        predict = ('predict_from_bundle(RESULT, X, model="awd")  # the distilled (AWD) student; '
                   'model="baseline_wavelet" for the initial')
        get_wavelet = "wavelet_from_result(RESULT)  # the learned wavelet, which the result recommends"
        filter_line = 'print("learned lowpass filter h:", np.round(wavelet.rec_lo, 4))'

    levels, mode = int(wavelet.get("levels") or 1), str(wavelet.get("mode") or "periodization")
    image = ((bundle or {}).get("data") or {}).get("kind") == "image"
    scaling = wavelet.get("input_scaling") or {}
    offset, scale = float(scaling.get("offset", 0.0)), float(scaling.get("scale", 1.0))
    scaled, prepare = "X[0]", ""
    if not image and (offset, scale) != (0.0, 1.0):  # the series students read the scaled series (review 22)
        scaled = "x"
        prepare = (f"x = (X[0] - {offset!r}) / {scale!r}  # as the students read it (wavelet.input_scaling): "
                   "the coefficients their weights apply to\n")
    transform = (f'coeffs = pywt.wavedec2(X[0], wavelet, level={levels}, mode="{mode}")  # [cA, (cH, cV, cD), ...]'
                 if image else
                 f'coeffs = pywt.wavedec({scaled}, wavelet, level={levels}, mode="{mode}")  '
                 f'# [cA{levels}, cD{levels}, ..., cD1]')
    first = ""
    if levels > pywt_max_level(bundle):  # PyWavelets would warn about a level the job used on purpose
        first = "import warnings\n\n"
        transform = ("with warnings.catch_warnings():  # the job's level is above PyWavelets' cautious "
                     "dwt_max_level, which it warns about\n"
                     '    warnings.filterwarnings("ignore", message="Level value")\n    ' + transform)
    scattering_lines, scattering_stored = "", ""
    if has_scattering_student(bundle):
        scattering_stored = '\n    stored_scattering = arrays["y_pred_scattering"][:len(X)]'
        scattering_lines = ('\n# the learned scattering student fitted beside AWD\n'
                            'y_scattering = predict_from_bundle(RESULT, X, model="scattering")\n'
                            'print("scattering student:", np.round(y_scattering, 4))\n'
                            'print("its largest difference from its stored test predictions:", '
                            'float(np.max(np.abs(y_scattering - stored_scattering))))\n')
    return f'''{first}import numpy as np
import pywt
from awd_studio.models.pipeline.predict import predict_from_bundle
from awd_studio.models.pipeline.result_files import result_file
from awd_studio.models.pipeline.wavelet_export import wavelet_from_result

RESULT = "{RESULT_FOLDER}"  # a folder with the run's downloaded result.json and arrays.npz (awd-<run>-... too)

# Your own data goes here, in the units and shape of the training data; these are stored test examples.
with np.load(result_file(RESULT, "arrays.npz"), allow_pickle=False) as arrays:
    X = arrays["X_examples"]
    stored = arrays["{stored}"][:len(X)]{scattering_stored}

y_pred = {predict}
print("predictions:", np.round(y_pred, 4))
print("largest difference from the stored test predictions:", float(np.max(np.abs(y_pred - stored))))
{scattering_lines}
wavelet = {get_wavelet}
{prepare}{transform}
{filter_line}
'''


def has_scattering_student(bundle: dict) -> bool:
    """Whether the job fitted the learned scattering student (its record is in ``students.scattering``).

    Examples
    --------
    >>> has_scattering_student({"students": {"scattering": {"kind": "dwt_scattering_ridge"}}})
    True
    >>> has_scattering_student({})
    False
    """
    return bool(((bundle or {}).get("students") or {}).get("scattering"))


def pywt_max_level(bundle: dict) -> int:
    """PyWavelets' ``dwt_max_level`` for the result's data and filter: ``floor(log2(L / (N − 1)))`` for the
    shortest side L and the filter's N taps (PyWavelets warns above it, though the transform is defined).

    Examples
    --------
    >>> pywt_max_level({"data": {"shape": [40]}, "wavelet": {"h": [0.1] * 10}})
    2
    >>> pywt_max_level({})  # unknown: no limit
    99
    """
    shape = ((bundle or {}).get("data") or {}).get("shape") or []
    taps = len(((bundle or {}).get("wavelet") or {}).get("h") or [])
    if not shape or taps < 2:
        return 99
    return max(0, math.floor(math.log2(min(shape) / (taps - 1))))


def predict_command(bundle: dict) -> str:
    """The terminal command that predicts with the model the page recommends (the snippet's model).

    Examples
    --------
    >>> predict_command({})
    'awd predict awd-result NEW_DATA.npz --model awd --out predictions.csv'
    >>> predict_command({"selection": {"choice": "initial"}, "wavelet": {"init": "db5"}})
    'awd predict awd-result NEW_DATA.npz --model baseline_wavelet --out predictions.csv'
    """
    model = "baseline_wavelet" if kept_initial(bundle or {}) is not None else "awd"
    return f"awd predict {RESULT_FOLDER} NEW_DATA.npz --model {model} --out predictions.csv"


def _copyable(pre: html.Pre, what: str) -> html.Div:
    """A code block with a copy button at its top right (``dcc.Clipboard`` copies the block's text); ``what`` names
    the block in the button's title ("Copy the Python code"), which ``assets/awd.js`` also makes its accessible name
    when it puts the button in the tab order."""
    button = dcc.Clipboard(target_id=pre.id, title=f"Copy {what}", className="awd-copy",
                           style={"position": "absolute", "top": ".25rem", "right": ".5rem", "fontSize": "1.1rem"})
    return html.Div([pre, button], style={"position": "relative"})


def use_in_python_card(bundle: dict, *, snippet_id: str, paper_id: str, software_id: str) -> list:
    """The page's section: the snippet, and the citations (ids let the browser tests read them)."""
    # room on the right for the copy button (review 15: it covered the end of the BibTeX title's line)
    pre = {"className": "awd-code small mb-0", "style": {"whiteSpace": "pre-wrap", "paddingRight": "2rem"}}
    return [dbc.Row([
        dbc.Col(dbc.Card([dbc.CardHeader(html.H2("Use in Python", className="h6 mb-0")), dbc.CardBody([
            html.P(["Unpack the Downloads' ZIP (its folder is ", html.Code(RESULT_FOLDER), "), or download ",
                    html.Code("result.json"), " and ", html.Code("arrays.npz"), " into a folder ",
                    html.Code(RESULT_FOLDER), " (they save as ", html.Code("awd-<run>-result.json"), " and ",
                    html.Code("awd-<run>-arrays.npz"), "; either name works); with AWD Studio installed (not on PyPI: ",
                    html.Code("pip install"),
                    " its source folder, as its README says) this predicts new data and gives the learned wavelet "
                    "to PyWavelets. From the terminal: ",
                    html.Code(predict_command(bundle)),
                    *([" (", html.Code("--model scattering"), " for the scattering student)"]
                      if has_scattering_student(bundle) else []), "."],
                   className="small"),
            _copyable(html.Pre(python_snippet(bundle), id=snippet_id, **pre), "the Python code")])],
            className="shadow-sm h-100"),
            lg=7),
        dbc.Col(dbc.Card([dbc.CardHeader(html.H2("Cite", className="h6 mb-0")), dbc.CardBody([
            html.P("The method:", className="small mb-1"),
            _copyable(html.Pre(BIBTEX_PAPER, id=paper_id, **pre), "the paper's BibTeX"),
            html.P("The software:", className="small mt-3 mb-1"),
            _copyable(html.Pre(bibtex_software(bundle), id=software_id, **pre), "the software's BibTeX")])],
            className="shadow-sm h-100"), lg=5),
    ], className="g-4 mb-4")]  # the margin on the row: a full-height card's own margin overlapped the next card

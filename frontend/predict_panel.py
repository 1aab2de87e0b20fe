"""The results page's "Predict new data" panel (the owner's view only): upload a data file, get the predictions
of one of the result's students, their scores when the file has targets, and a CSV of them.

The file goes straight from the browser to ``POST /api/results/{job id}/predict`` (``assets/awd.js``, with a
progress bar, like a dataset upload); the answer lands in the store :attr:`ids.ANSWER`, which the callbacks here
turn into a summary and a CSV download. A share link's reader does not see the panel (the route refuses share
tokens: predicting is the owner's).
"""

from __future__ import annotations

import csv
import io
import json

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from awd_studio.frontend.components import run_file_name
from awd_studio.frontend.figures.grid import kept_initial
from awd_studio.frontend.figures.style import MODEL_LABELS, dropped_rows_words, fmt_number
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.shown_result import CORE, shown_bundle

__all__ = ["ids", "panel", "model_options", "answer_children", "answer_csv", "csv_rows_left_out", "dropped_children",
           "PREVIEW_ROWS", "DROP_INCOMPLETE_WORDS", "DROPPED_NAMED"]

#: Predictions listed on the page (all of them are in the CSV).
PREVIEW_ROWS = 10
#: The button under a text file refused for missing values (the route's ``?drop_incomplete=true``): the refusal
#: names it by these words instead of the API's (``assets/awd.js``, ``inPageWords``, as on the upload page).
DROP_INCOMPLETE_WORDS = "Leave out the rows with missing values and predict again"
#: Rows left out named on the panel (the answer names up to 20; the warning the panel replaces named them all).
DROPPED_NAMED = 5


class ids:  # noqa: N801 (a namespace of constants)
    """Component ids of the panel (``assets/awd.js`` and tests/e2e look for these strings)."""

    PANEL = "results-predict"
    DROPZONE = "results-predict-dropzone"
    MODEL = "results-predict-model"
    ANSWER = "results-predict-answer"
    #: The job id, for the download's name (``awd-<8 characters>-predictions.csv``, as the result's files).
    RUN = "results-predict-run"
    OUTPUT = "results-predict-output"
    ERROR = "results-predict-error"
    CSV = "results-predict-csv"
    DOWNLOAD = "results-predict-download"
    #: Under a text file refused for missing values: send the same file again, those rows left out (awd.js shows it).
    DROP_INCOMPLETE = "results-predict-drop-incomplete"
    #: "Left out … rows with missing values", in the answer's summary.
    DROPPED = "results-predict-dropped"


def panel(token: str) -> html.Div:
    """The panel for the result of job ``token`` (its id: only the owner's page shows it)."""
    return html.Div(dbc.Card([
        dbc.CardHeader(html.H2(["Predict new data", help_link("predict")], className="h6 mb-0")),
        dbc.CardBody([
            html.P(["Apply one of this result's models to a file of new samples (the formats of an upload, in the "
                    "units and shape of the training data; targets optional: with them you also get R² and RMSE). "
                    "The same as ", html.Code("awd predict"), " from a terminal."], className="small"),
            dbc.Row([
                dbc.Col([dbc.Label("Model", html_for=ids.MODEL, className="small mb-1"),
                         dbc.Select(id=ids.MODEL, options=[], size="sm")], md=6, className="mb-2"),
            ]),
            html.Div([
                html.Div("⇪", className="fs-4", **{"aria-hidden": "true"}),
                html.Div([html.Strong("Drop a data file here"), " or click to choose one"]),
            ], id=ids.DROPZONE, className="awd-dropzone py-3", tabIndex="0", role="button",
                **{"data-job": token, "aria-label": "Choose a data file to predict",
                   # a refusal's "drop_incomplete=true" said as the button below (awd.js inPageWords)
                   "data-field-words": json.dumps({"drop_incomplete": DROP_INCOMPLETE_WORDS})}),
            # the bar and the status line that awd.js fills (prefix "results-predict", as "home" for datasets)
            html.Div(html.Div(id="results-predict-upload-bar", className="progress-bar", role="progressbar",
                              style={"width": "0%"}, **{"aria-valuemin": "0", "aria-valuemax": "100",
                                                         "aria-valuenow": "0", "aria-label": "Upload progress"}),
                     id="results-predict-upload-progress", className="progress mt-2 awd-hidden",
                     style={"height": "1.2rem"}),
            html.Div(id="results-predict-upload-status", className="small text-muted mt-1",
                     **{"aria-live": "polite"}),
            dbc.Alert(id=ids.ERROR, color="danger", is_open=False, dismissable=True, className="mt-2 py-2 small"),
            # a text file refused for missing values: the same file again, those rows left out (awd.js shows it when
            # the refusal's remedies name drop_incomplete, and sends the file the user chose, without a second pick)
            dbc.Button(DROP_INCOMPLETE_WORDS, id=ids.DROP_INCOMPLETE, color="primary", outline=True, size="sm",
                       className="awd-hidden", n_clicks=0),
            dcc.Store(id=ids.ANSWER),
            dcc.Store(id=ids.RUN, data=token),
            html.Div(id=ids.OUTPUT, className="mt-2"),
            dbc.Button("Download the predictions (CSV)", id=ids.CSV, size="sm", color="primary", outline=True,
                       className="awd-hidden mt-2", n_clicks=0),
            dcc.Download(id=ids.DOWNLOAD),
        ]),
    ], className="shadow-sm"), id=ids.PANEL, className="mb-4")


def model_options(bundle: dict) -> tuple[list[dict], str | None]:
    """The select's options (the result's students, readable) and its value (the model the result recommends).

    Examples
    --------
    >>> options, value = model_options({"students": {"awd": {}, "baseline_wavelet": {}},
    ...                                 "selection": {"choice": "initial"}, "wavelet": {"init": "db5"}})
    >>> value
    'baseline_wavelet'
    >>> [o["label"] for o in options]
    ['AWD', 'Initial wavelet, db5 (recommended)']
    """
    students = list((bundle or {}).get("students") or {})
    init = ((bundle or {}).get("wavelet") or {}).get("init")
    recommended = "baseline_wavelet" if kept_initial(bundle or {}) is not None and "baseline_wavelet" in students \
        else "awd" if "awd" in students else (students[0] if students else None)

    def label(name):  # each student named as on the rest of the page (style.MODEL_LABELS)
        words = MODEL_LABELS.get(name, name)
        if name == "baseline_wavelet" and init:
            words = f"{words}, {init}"
        return words + (" (recommended)" if name == recommended else "")

    return [{"label": label(name), "value": name} for name in students], recommended


def answer_children(answer: dict) -> list:
    """What the page says about one prediction answer (``POST .../predict``, JSON): the scores or the note,
    the warnings, and the first :data:`PREVIEW_ROWS` predictions."""
    model = MODEL_LABELS.get(answer.get("model"), answer.get("model"))
    n = len(answer.get("y_pred") or []) + len(answer.get("y_pred_test") or [])
    target = f" of {answer['target']}" if answer.get("target") else ""
    lines = [html.Div([html.Strong(f"{n} prediction{'' if n == 1 else 's'}"), f"{target} (model: {model})."])]
    for split, score in (answer.get("scores") or {}).items():
        r2 = "undefined (every target equal)" if score.get("r2") is None else fmt_number(score["r2"], 4)
        as_classes = "".join(f", {label} {fmt_number(score[key], 4)}" for key, label in (("accuracy", "accuracy"),
                                                                                       ("auc", "AUC"))
                             if score.get(key) is not None)  # a 0/1 target
        # "the file's X" named an array (review 28A); a map's row is a map
        rows = "maps" if answer.get("kind") == "image" or answer.get("tiling") else "rows"
        # some rows without a target (a blank cell, kept with drop_incomplete): scored on the others, said so here and
        # named in the answer's warning
        counted = f"{score['n']} of {score['of']} {rows}, those with a target" if score.get("of") else \
            f"{score['n']} {rows}"
        lines.append(html.Div(f"On {'the file' if split == 'X' else 'its test split'} ({counted}): "
                              f"R² {r2}, RMSE {fmt_number(score['rmse'], 4)}{as_classes}."))
    if answer.get("tiling"):
        lines.append(html.Div(answer["tiling"][:1].upper() + answer["tiling"][1:] + ".", className="text-muted"))
    if answer.get("note"):
        lines.append(html.Div(answer["note"][:1].upper() + answer["note"][1:] + ".", className="text-muted"))
    dropped = dropped_children(answer.get("dropped_rows"), answer.get("rows"))
    if dropped:  # said here in the page's words, instead of the answer's warning of the same rows
        count = answer["dropped_rows"]["count"]
        lines.append(dropped)
    warnings = [w for w in answer.get("warnings") or [] if not (dropped and w.startswith(f"Left out {count} of "))]
    lines += [dbc.Alert(w, color="warning", className="py-1 px-2 my-1 small") for w in warnings]
    first = [fmt_number(v, 4) for v in (answer.get("y_pred") or [])[:PREVIEW_ROWS]]
    if first:
        more = " …" if n > len(first) else ""
        rows = answer.get("rows")
        if rows:  # rows were left out: each prediction with its row, so that none seems to belong to the next
            lines.append(html.Div(["First predictions (row in the file: prediction): ",
                                   html.Code(", ".join(f"{r}: {v}" for r, v in zip(rows, first)) + more)],
                                  className="mt-1"))
        else:
            lines.append(html.Div(["First predictions: ", html.Code(", ".join(first) + more)], className="mt-1"))
    classes = [fmt_number(v, 4) for v in (answer.get("y_class") or [])[:PREVIEW_ROWS]]
    if classes:  # a two-valued target: the side of the midpoint each prediction is on (review 29B)
        lines.append(html.Div(["Their classes: ", html.Code(", ".join(classes) + (" …" if n > len(classes) else "")),
                               " (the value on each prediction's side of the midpoint; y_class in the CSV)"]))
    return [html.Div(lines, className="small")]


def csv_rows_left_out(dropped: dict | None, rows: list | None) -> list[int] | None:
    """The CSV's row numbers (the file's data rows from 0, as its ``row`` column counts them) of the rows left out:
    those of ``range(of)`` that no prediction has (``rows``: each prediction's row). None when the answer does not
    give both, or when they do not account for exactly ``count`` rows (then only the lines are named).

    Examples
    --------
    >>> csv_rows_left_out({"count": 2, "of": 6}, [0, 1, 3, 4])
    [2, 5]
    >>> csv_rows_left_out({"count": 1, "of": 6}, [0, 1, 3, 4]) is None
    True
    """
    if not dropped or not dropped.get("of") or rows is None:
        return None
    missing = sorted(set(range(int(dropped["of"]))) - {int(r) for r in rows})
    return missing if len(missing) == int(dropped.get("count") or 0) else None


def dropped_children(dropped: dict | None, rows: list | None = None):
    """The sentence on the rows of the file left out for missing values (an answer's ``dropped_rows``, from
    ``?drop_incomplete=true``): how many, the first :data:`DROPPED_NAMED` by line and, given the answer's ``rows``
    (each prediction's row), by the CSV's row number (:func:`csv_rows_left_out`: a file's line 4 under its header
    is the CSV's row 2), and that each prediction keeps its row; None when none was left out.

    Examples
    --------
    >>> dropped_children({"count": 2, "rows": ["line 4 (trk2)", "line 9 (trk7)"], "of": 40}).children.split(". ")[0]
    'Left out 2 of 40 rows with missing values, as asked: line 4 (trk2), line 9 (trk7)'
    >>> dropped_children({"count": 1, "rows": ["line 4 (trk2)"], "of": 4}, [0, 1, 3]).children.split(". ")[0]
    'Left out 1 of 4 rows with missing values, as asked: line 4 (trk2); in the CSV, row 2'
    >>> dropped_children({"count": 0}) is None
    True
    """
    shown = {**(dropped or {}), "rows": list((dropped or {}).get("rows") or [])[:DROPPED_NAMED]}
    count, listed = dropped_rows_words(shown)
    if not count:
        return None
    total = f" of {dropped['of']}" if dropped.get("of") else ""
    rows_word = "row" if count == 1 and not total else "rows"  # "1 row", "1 of 40 rows"
    in_csv = csv_rows_left_out(dropped, rows)
    if in_csv:  # the lines count the header too, the CSV's rows do not: both numbers, so none is looked up wrong
        named = in_csv[:DROPPED_NAMED]
        more = f" and {len(in_csv) - len(named)} more" if len(in_csv) > len(named) else ""
        listed += (f"; in the CSV, row {named[0]}" if len(in_csv) == 1
                   else f"; in the CSV, rows {', '.join(str(r) for r in named)}{more}")
    return html.Div(f"Left out {count}{total} {rows_word} with missing values, as asked: {listed}. "
                    "The others were predicted, each keeping its row in the file: the CSV's row column counts the "
                    "file's rows from 0 (the first row under the header is 0), so the numbers of the rows left out "
                    "are missing from it, never given to another row.", id=ids.DROPPED, className="mt-1")


def _number_cell(value) -> str:
    """A CSV cell of a number of the answer: its shortest repr, empty for null (a row without a target).

    Examples
    --------
    >>> _number_cell(0.25), _number_cell(None)
    ('0.25', '')
    """
    return "" if value is None else repr(float(value))


def answer_csv(answer: dict) -> str:
    """The answer as CSV, as ``awd predict --out x.csv`` writes it (``models.pipeline.predict.predictions_csv``,
    which the frontend does not import): ``split,row,y_pred`` and ``y_true`` when the file had targets, the rows'
    identifier column after ``row`` when it had one. ``split`` is ``file`` for the file's rows and ``test`` for its
    fixed test split (``X_test``), if it has one. When rows of the file were left out for missing values
    (``?drop_incomplete=true``), ``row`` is each prediction's row in the file (the answer's ``rows``), never counted
    again from 0: the numbers of the rows left out are missing. A row without a target (``y_true`` null) has an
    empty ``y_true`` cell.

    Examples
    --------
    >>> print(answer_csv({"y_pred": [0.3], "y_pred_rows": [[0.3, 0.8]], "target_names": ["Om", "s8"]}), end="")
    split,row,y_pred,y_pred_Om,y_pred_s8
    file,0,0.3,0.3,0.8
    >>> print(answer_csv({"y_pred": [0.5, 0.25], "y_true": [0.4, 0.3]}), end="")
    split,row,y_pred,y_true
    file,0,0.5,0.4
    file,1,0.25,0.3
    >>> print(answer_csv({"y_pred": [0.5, 0.25], "y_true": [None, 0.3]}), end="")  # a row without a target
    split,row,y_pred,y_true
    file,0,0.5,
    file,1,0.25,0.3
    >>> print(answer_csv({"y_pred": [0.5, 0.25], "rows": [0, 2], "dropped_rows": {"count": 1}}), end="")
    split,row,y_pred
    file,0,0.5
    file,2,0.25
    >>> print(answer_csv({"y_pred": [0.5], "ids": ["trk7"], "id_name": "track_id", "y_pred_test": [0.7]}), end="")
    split,row,track_id,y_pred
    file,0,trk7,0.5
    test,0,,0.7
    """
    truth = any(k.startswith("y_true") for k in answer)
    ids = answer.get("ids")
    names = answer.get("target_names") if "y_pred_rows" in answer else None  # a map student's whole class rows
    classes = "y_class" in answer  # a two-valued target's class
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["split", "row", *([answer.get("id_name") or "id"] if ids else []), "y_pred",
                     *(["y_class"] if classes else []), *(["y_true"] if truth else []),
                     *(f"y_pred_{n}" for n in names or ())])
    # words, not the arrays' names X and X_test: "X" on every row meant nothing to a biologist (review 24b)
    file_rows = answer.get("rows")  # each prediction's row in the file, when some were left out
    for split, suffix in (("file", ""), ("test", "_test")):
        known = answer.get(f"y_true{suffix}")
        for i, value in enumerate(answer.get(f"y_pred{suffix}") or []):
            row = file_rows[i] if file_rows is not None and split == "file" else i
            writer.writerow([split, row, *([ids[i] if split == "file" else ""] if ids else []), repr(float(value)),
                             *([repr(float(answer[f"y_class{suffix}"][i]))] if classes else []),
                             *([_number_cell(None if known is None else known[i])] if truth else []),
                             *([repr(float(v)) for v in answer[f"y_pred_rows{suffix}"][i]] if names else [])])
    return out.getvalue()


@callback(Output(ids.MODEL, "options"), Output(ids.MODEL, "value"), Input(CORE, "data"), prevent_initial_call=True)
async def fill_models(core):
    """The result's students, the recommended one chosen."""
    bundle = await shown_bundle(core)
    if not bundle:
        return no_update, no_update
    return model_options(bundle)


@callback(Output(ids.OUTPUT, "children"), Output(ids.CSV, "className"), Input(ids.ANSWER, "data"),
          prevent_initial_call=True)
def show_answer(answer):
    """The answer's summary, and the CSV button once there are predictions."""
    if not answer:
        return [], "awd-hidden mt-2"
    return answer_children(answer), "mt-2"


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.CSV, "n_clicks"), State(ids.ANSWER, "data"),
          State(ids.RUN, "data"), prevent_initial_call=True)
def download_csv(_clicks, answer, run=None):
    """The predictions as ``awd-<run>-predictions.csv`` (named after the run, as its result's files: two runs'
    predictions no longer overwrite each other)."""
    if not answer:
        return no_update
    return dict(content=answer_csv(answer), filename=run_file_name(run, "predictions.csv"), type="text/csv")

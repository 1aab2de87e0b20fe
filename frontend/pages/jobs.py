"""Jobs list ``/jobs``: every run with its dataset, teacher, grid and score; rerun, delete (each confirmed first),
pick two to four runs to compare; the stored datasets and uploaded teachers with delete. Refreshed every few
seconds while anything changes."""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import (
    APP_NAV,
    SUBMITTED_JOB,
    alert_outputs,
    alert_value,
    dataset_labels,
    items,
    named_update,
    stack_on_phones,
    state_badge,
    teacher_text,
)
from awd_studio.frontend.confirm_dialog import (
    cancel_question,
    confirm_dialog,
    dialog_text,
    ok_button,
    rerun_question,
    time_limit_warning,
)
from awd_studio.frontend.durations import format_seconds
from awd_studio.frontend.figures.compare import MAX_RUNS
from awd_studio.frontend.figures.style import kind_label
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.job_timing import stage_heading
from awd_studio.frontend.option_words import VALUE_WORDS

dash.register_page(__name__, path="/jobs", title="AWD Studio · jobs", name="Jobs")


class ids:  # noqa: N801 (a namespace of constants, read as ids.TABLE)
    """Component ids of the jobs page (the strings are what tests/e2e look for)."""

    POLL = "jobs-poll"
    TABLE = "jobs-table"
    LIST = "jobs-list"
    EMPTY = "jobs-empty"
    DATASETS = "jobs-datasets"
    DATASETS_LIST = "jobs-datasets-list"
    TEACHERS = "jobs-teachers"
    TEACHERS_LIST = "jobs-teachers-list"
    #: The rows last drawn (jobs and datasets), and their signature: the tables are redrawn only on a change.
    ROWS = "jobs-rows"
    SIGNATURE = "jobs-signature"
    #: Grows after each confirmed action, to redraw at once.
    VERSION = "jobs-version"
    SELECTED = "jobs-selected"
    COMPARE = "jobs-compare"
    #: The Compare button and its help link, shown once two runs have finished.
    COMPARE_BOX = "jobs-compare-box"
    STATUS = "jobs-status"
    #: The action waiting for confirmation, the dialog and its buttons.
    PENDING = "jobs-pending"
    CONFIRM = "jobs-confirm"
    CONFIRM_TEXT = "jobs-confirm-text"
    CONFIRM_OK = "jobs-confirm-ok"
    CONFIRM_CANCEL = "jobs-confirm-cancel"
    #: ``type`` of the pattern-matching ids: a row's checkbox ``{type, id}`` and action buttons ``{type, action,
    #: target}`` (action: rerun, cancel-job, delete-job, delete-dataset, delete-teacher).
    SELECT = "jobs-select"
    ACTION = "jobs-action"


METRIC_LABELS = {"r2": "R²", "rmse": "RMSE"}

#: The classes of a jobs-list column that a tablet (576 to 1199 px wide: 820 px held upright, 1024 px on its side)
#: goes without, so that the table fits its card there (it scrolled sideways: 1090 px of table in a 762 px card at
#: 820 px, the State column cut off; 996 px in 902 at 1024). Three go: the teacher's own test score (secondary: the
#: run's score beside it is the student's, and the results page gives the teacher's), the grid's size and the date
#: the run was created (both move, in small type, under the teacher and under the run's id: :data:`TABLET_ONLY`).
#: The run's link, dataset, teacher, score, state and actions stay. A phone (below 576 px) stacks each row into a
#: block and shows every column; 1200 px and up shows them all too.
TABLET_HIDDEN = "d-sm-none d-xl-table-cell"
#: The classes of what a tablet shows in place of a hidden column, in another column's cell.
TABLET_ONLY = "small text-muted d-none d-sm-block d-xl-none"
#: The columns of the jobs list: header and the classes of its cells.
JOB_COLUMNS = (("", ""), ("Run", ""), ("Dataset", ""), ("Teacher", ""), ("Grid λ × γ", TABLET_HIDDEN),
               ("Test score", "awd-wrap"), ("Teacher test", TABLET_HIDDEN), ("State", ""),
               ("Created", TABLET_HIDDEN), ("", ""))
#: The columns of the datasets table: header and the classes of its header cells. At 820 px its row was 1117 px wide
#: in a 762 px card, New run and Delete out of sight to the right: as in the jobs list, a tablet shows the date
#: a dataset was added under its name (:data:`TABLET_ONLY`), and the name wraps at its spaces; the headers wrap too
#: ("Sample shape" was the widest cell of a column of "40").
DATASET_COLUMNS = (("Dataset", "awd-wrap"), ("Kind", ""), ("Samples", ""), ("Sample shape", "text-wrap"), ("Jobs", ""),
                   ("Added", TABLET_HIDDEN), ("", ""))


def layout(**_):
    """The jobs list, the datasets and the uploaded teachers."""
    return html.Div([
        html.Div([
            html.H1(["Jobs", help_link("runs")], className="h3 mb-0 text-nowrap"),  # the "?" stays by its title
            html.Div([
                html.Div([
                    dbc.Button(compare_label(0), id=ids.COMPARE, color="primary", outline=True, disabled=True,
                               className="me-2", href="/compare",
                               title="Tick two to four finished runs to compare them"),
                    help_link("compare"),
                ], id=ids.COMPARE_BOX, className="align-items-center", style=compare_style([])),
                dbc.Button("New distillation", href="/", color="success"),
            ], className="d-flex flex-wrap align-items-center gap-3"),
        ], className="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-3"),
        dcc.Interval(id=ids.POLL, interval=3000, n_intervals=0),
        dcc.Store(id=ids.ROWS), dcc.Store(id=ids.SIGNATURE), dcc.Store(id=ids.VERSION, data=0),
        dcc.Store(id=ids.SELECTED, data=[]), dcc.Store(id=ids.PENDING),
        dbc.Alert(id=ids.STATUS, is_open=False, dismissable=True, color="info"),
        dbc.Card(dbc.CardBody(html.Div(id=ids.TABLE, className="table-responsive")), className="shadow-sm mb-4"),
        html.H2("Datasets", className="h5 mb-2"),
        dbc.Card(dbc.CardBody(html.Div(id=ids.DATASETS, className="table-responsive")), className="shadow-sm mb-4"),
        html.H2("Uploaded teachers", className="h5 mb-2"),
        dbc.Card(dbc.CardBody(html.Div(id=ids.TEACHERS, className="table-responsive")), className="shadow-sm"),
        confirm_dialog(ids.CONFIRM, ids.CONFIRM_TEXT, ids.CONFIRM_OK, ids.CONFIRM_CANCEL),
    ])


def compare_style(rows: list[dict]) -> dict:
    """Pure: the Compare control's style, shown (flex) once two runs have succeeded: with fewer there is nothing
    to compare, and a disabled button would only say so."""
    finished = sum(1 for r in rows or () if r.get("state") == "succeeded")
    return {"display": "flex"} if finished >= 2 else {"display": "none"}


def variant_words(config) -> str:
    """What sets a run apart beyond its grid, for the list: the scattering student (review 22: nothing on the list
    said a run fitted it) and the map student's signed range (review 38), or ``""``.

    >>> variant_words({"student": "scattering", "peak_range": "signed"})
    ' + scattering student · range: both signs'
    >>> variant_words(None)
    ''
    """
    config = config or {}
    words = " + scattering student" if config.get("student") == "scattering" else ""
    if config.get("peak_range") == "signed":
        words += f" · range: {VALUE_WORDS['peak_range']['signed']}"
    return words


def score_text(summary: dict | None) -> str:
    """The test score of the model a job delivers, from its summary: ``"R² 0.954"`` (the AWD student), or
    ``"R² 0.683 · db5 (AWD not chosen)"`` when cross-validation kept the initial wavelet (its student is then the model
    to use; the AWD score there read as what the user gets); ``"—"`` without one. Test R² whatever the verdict's
    metric, the results page's headline (maps' RMSE beside R² on one page and alone on the other read as two
    different results); summaries without R² (before 2026-12-04) show their metric.

    Examples
    --------
    >>> score_text({"metric": "r2", "awd_test": 0.9543, "choice": "awd"})
    'R² 0.954'
    >>> score_text({"metric": "rmse", "awd_test": 0.0321, "awd_test_r2": 0.683, "choice": "awd"})
    'R² 0.683'
    >>> score_text({"metric": "rmse", "awd_test": 0.0377, "delivered_test": 0.0434, "choice": "initial",
    ...             "initial": "db5"})
    'RMSE 0.0434 · db5 (AWD not chosen)'
    >>> score_text({"metric": "rmse", "awd_test": 0.0377, "choice": "initial"})  # summaries before 2026-12-04
    'RMSE 0.0377 · initial wavelet (AWD not chosen)'
    """
    if not summary:
        return "—"
    if summary.get("awd_test_r2") is not None:
        summary = {**summary, "metric": "r2", "awd_test": summary["awd_test_r2"],
                   "delivered_test": summary.get("delivered_test_r2")}
    kept = summary.get("choice") == "initial"
    delivered = summary.get("delivered_test") if kept else None
    value = delivered if delivered is not None else summary.get("awd_test")
    if value is None:
        return "—"
    metric = summary.get("metric") or "r2"
    value = float(value)
    text = f"{METRIC_LABELS.get(metric, metric)} {value:.3f}" if metric == "r2" else f"{metric.upper()} {value:.4g}"
    if delivered is not None:
        return f"{text} · {summary.get('initial') or 'initial wavelet'} (AWD not chosen)"
    return text + (" · initial wavelet (AWD not chosen)" if kept else "")


def break_at_dot(text: str):
    """A score cell's text (:func:`score_text`) that a narrow cell breaks at its dot alone: ``"R² 0.683 ·"`` above
    ``"db5 (AWD not chosen)"``, not ``"(AWD not"`` above ``"chosen)"``.

    Examples
    --------
    >>> break_at_dot("R² 0.954")
    'R² 0.954'
    >>> break_at_dot("R² 0.683 · db5 (AWD not chosen)").children[2].children
    'db5 (AWD not chosen)'
    """
    score, dot, note = text.partition(" · ")
    # one element: a phone's stacked cell lays out each child of the cell apart (awd.css, table.awd-stack)
    return html.Span([score, dot, html.Span(note, className="text-nowrap")]) if dot else text


def one_block(children: list):
    """A cell's several parts (text, a line break, a note) as one element, so that a phone's stacked cell
    (``components.stack_on_phones``) lays them out as lines of one block beside the column's name, as a wider
    screen does, and not side by side: a running job's badge, stage and time left stood in a row there, 9 px
    wider than the table's card at 390 px.

    Examples
    --------
    >>> one_block(["lensing", html.Br(), "→ Omega_m"]).children[2]
    '→ Omega_m'
    >>> one_block(["lensing"])
    'lensing'
    """
    return children[0] if len(children) == 1 else html.Div(children)


def _score_title(summary: dict) -> str | None:
    """The score cell's tooltip: which model it is, and AWD's own score when the initial wavelet was kept."""
    if not summary or summary.get("awd_test") is None:
        return None
    r2 = summary.get("awd_test_r2") is not None
    awd = summary["awd_test_r2"] if r2 else summary["awd_test"]
    rmse = (f"; its test RMSE {float(summary['delivered_test']):.4g}"
            if r2 and summary.get("metric") == "rmse" and summary.get("delivered_test") is not None else "")
    if summary.get("choice") == "initial":
        return (f"cross-validation kept the initial wavelet ({summary.get('initial') or 'initial'}): its student's "
                f"score{rmse}; the distilled (AWD) student scored {float(awd):.4g}")
    return f"the distilled (AWD) student's test score{rmse}"


def grid_text(grid) -> str:
    """``"3 × 6"`` (λ values × γ values); ``"—"`` when unknown."""
    return f"{grid[0]} × {grid[1]}" if grid and len(grid) == 2 else "—"


def _action(label: str, action: str, target: str, *, color: str, disabled: bool = False, title: str | None = None):
    return dbc.Button(label, id={"type": ids.ACTION, "action": action, "target": target}, size="sm", n_clicks=0,
                      color=color, outline=True, className="me-1 py-0", disabled=disabled, title=title)


def jobs_table(rows: list[dict], selected: list[str] | None = None, labels: dict[str, str] | None = None,
               teachers: set[str] | None = None):
    """Pure: job rows (``GET /api/jobs``) -> a table (newest first) or a friendly empty message.

    ``labels`` (:func:`dataset_labels`) names each dataset; by default they are worked out from the rows.
    ``teachers``: the ids of the uploaded teachers stored (``GET /api/teachers``), so that a run whose teacher was
    deleted offers no Rerun (:func:`rerun_blocked`); None when not known.
    """
    labels = labels if labels is not None else dataset_labels([], rows)
    if not rows:
        return html.P(["No jobs yet. ", html.A("Upload data", href="/"), " to start one."],
                      className="text-muted mb-0", id=ids.EMPTY)
    selected = set(selected or [])
    rows = sorted(rows, key=lambda r: str(r.get("created") or ""), reverse=True)
    head = html.Thead(html.Tr([html.Th(h, scope="col", className=css or None) for h, css in JOB_COLUMNS]))
    body = []
    for r in rows:
        jid, state = r["id"], r.get("state")
        href = f"/results/{jid}" if state == "succeeded" else f"/jobs/{jid}"
        summary = r.get("summary") or {}
        teacher_score = summary.get("teacher_test")
        if summary.get("awd_test_r2") is not None:  # the teacher in the same metric as the score beside it
            teacher_score = summary.get("teacher_test_r2")
        score_title = _score_title(summary)
        teacher_words = (score_text({**summary, "awd_test": teacher_score, "awd_test_r2": None, "choice": None,
                                     "metric": "r2" if summary.get("awd_test_r2") is not None
                                     else summary.get("metric")}) if summary else None)
        active = state in ("queued", "running")
        pick = (dbc.Checkbox(id={"type": ids.SELECT, "id": jid}, value=jid in selected,
                             input_class_name="awd-select",
                             label=html.Span(f"Select run {jid[:8]} to compare", className="visually-hidden"))
                if state == "succeeded" else None)
        stage = "" if state in ("succeeded", "cancelled") else (r.get("stage") or "")
        # "Distilling the wavelets 42%", as the job page says it, not the worker's key "distill 42%"
        stage = stage_heading(stage, r)
        pct = int(round(100 * float(r.get("fraction") or 0)))
        created = str(r.get("created") or "")[:16].replace("T", " ")
        variant = variant_words(r.get("config"))
        body.append(html.Tr([
            html.Td(pick),
            # a link within the app, not a reload of it (review 23: the focus then stayed on <body>)
            html.Td([dcc.Link(jid[:8], href=href, title=jid),
                     html.Div(created, className=TABLET_ONLY)]),
            html.Td(one_block([labels.get(r.get("dataset_id"), r.get("dataset_name")),
                               # which column, when the dataset has several (two runs on one spreadsheet looked
                               # alike)
                               *([html.Br(), html.Span(f"→ {r['target_name']}", title="the target column this "
                                                       "run predicts", className="small text-muted text-nowrap")]
                                 if r.get("target_name") else [])]) if r.get("dataset_name")
                    else html.Span("deleted", className="text-muted"),
                    # a file's name without spaces breaks anywhere rather than widen the table past its card
                    # (text-break: the column may still narrow below the name, which awd-wrap's minimum would not)
                    title=r.get("dataset_id"), className="text-wrap text-break"),
            # on a tablet the teacher's own test score stands here too (review 31B: it is the number that tells
            # two teachers' runs apart, and its column gives way)
            html.Td([teacher_text(r), html.Div(f"grid {grid_text(r.get('grid'))}{variant}"
                                               + (f" · teacher {teacher_words}" if teacher_words else ""),
                                               className=f"{TABLET_ONLY} text-wrap")], className="text-wrap"),
            html.Td(one_block([grid_text(r.get("grid")),
                               *([html.Br(), html.Span(variant.strip().removeprefix("· "),
                                                       className="small text-muted")] if variant else [])]),
                    className=TABLET_HIDDEN),
            # wraps where the table would run out of its card ("R² 0.347 · db2 (AWD not chosen)" is 240 px wide), as
            # the dataset, teacher and state cells do at their spaces (a long name, "running distillation 42%")
            html.Td(break_at_dot(score_text(summary)), title=score_title, className="awd-score awd-wrap"),
            html.Td(teacher_words or "—", className=f"small {TABLET_HIDDEN}"),
            html.Td(one_block([
                state_badge(state), html.Span(f" {stage} {pct}%" if active else "", className="small"),
                *([html.Br(), html.Span(f"about {format_seconds(r['eta_seconds'])} left", className="small text-muted")]
                  if active and r.get("eta_seconds") is not None else [])]), className="text-wrap"),
            html.Td(created, className=f"small text-muted {TABLET_HIDDEN}"),
            # a queued or running job is cancelled here (it must be before it can be deleted); it is rerun
            # once it has ended (a second copy of a run still going would only compete with it for the worker)
            html.Td([_action("Cancel", "cancel-job", jid, color="warning")] if active else [
                _action("Rerun", "rerun", jid, color="primary", disabled=bool(rerun_blocked(r, teachers)),
                        title=rerun_blocked(r, teachers)),
                _action("Delete", "delete-job", jid, color="danger"),
            ], className="text-nowrap"),
        ], id=f"jobs-row-{jid[:8]}"))
    # small type: nine columns and the two action buttons fit a 1280 px window without a horizontal scroll, seven
    # (TABLET_HIDDEN) an 820 px one
    return stack_on_phones(dbc.Table([head, html.Tbody(body)], hover=True, size="sm",
                                     className="awd-table mb-0 align-middle small", id=ids.LIST))


def rerun_blocked(job: dict, teachers: set[str] | None = None) -> str | None:
    """Why a run cannot be rerun as it was, or None: its dataset was deleted, or its uploaded teacher is not among
    ``teachers`` (the stored ones' ids; None: not known).

    Examples
    --------
    >>> rerun_blocked({"dataset_name": "cme", "teacher_id": "t"}, teachers={"u"})
    'its uploaded teacher was deleted'
    >>> rerun_blocked({"dataset_name": None}), rerun_blocked({"dataset_name": "cme", "teacher_id": "t"}, {"t"})
    ('its dataset was deleted', None)
    """
    if not job.get("dataset_name"):
        return "its dataset was deleted"
    if job.get("teacher_id") and teachers is not None and job["teacher_id"] not in teachers:
        return "its uploaded teacher was deleted"
    return None


def samples_text(dataset: dict) -> str:
    """The samples of a dataset row: ``"2936 + 1005 test"`` when the file holds a fixed test split.

    Examples
    --------
    >>> samples_text({"n": 2936, "n_test": 1005}), samples_text({"n": 200}), samples_text({})
    ('2936 + 1005 test', '200', '?')
    """
    n, n_test = dataset.get("n"), dataset.get("n_test")
    return "?" if n is None else f"{n} + {n_test} test" if n_test else str(n)


def datasets_table(datasets: list[dict], jobs: list[dict], labels: dict[str, str] | None = None):
    """Pure: dataset rows (``GET /api/datasets``) and the jobs using each -> a table with New run and Delete
    (``labels`` as for :func:`jobs_table`; by default worked out from the rows)."""
    if not datasets:
        return html.P("No datasets stored.", className="text-muted mb-0")
    uses, labels = {}, labels if labels is not None else dataset_labels(datasets, jobs)
    for j in jobs:
        uses[j.get("dataset_id")] = uses.get(j.get("dataset_id"), 0) + 1
    head = html.Thead(html.Tr([html.Th(h, scope="col", className=css or None) for h, css in DATASET_COLUMNS]))
    body = []
    for d in datasets:
        added = str(d.get("created") or "")[:16].replace("T", " ")
        body.append(html.Tr([
            html.Td([labels[d["id"]], html.Div(added, className=TABLET_ONLY)], title=d["id"], className="awd-wrap"),
            html.Td(kind_label(d.get("kind"))),
            html.Td(samples_text(d)),
            html.Td(" × ".join(str(s) for s in d.get("shape") or [])),
            html.Td(str(uses.get(d["id"], 0))),
            html.Td(added, className=f"small text-muted {TABLET_HIDDEN}"),
            html.Td([dbc.Button("New run", href=f"/configure?dataset={d['id']}", size="sm", color="success",
                                outline=True, className="me-1 py-0"),
                     _action("Delete", "delete-dataset", d["id"], color="danger")], className="text-nowrap"),
        ], id=f"jobs-dataset-{d['id'][:8]}"))
    # small type, as the jobs list above it: with the date under the name, the row fits an 820 px window
    return stack_on_phones(dbc.Table([head, html.Tbody(body)], hover=True, size="sm",
                                     className="awd-table mb-0 align-middle small", id=ids.DATASETS_LIST))


def teachers_table(teachers: list[dict], jobs: list[dict]):
    """Pure: uploaded teacher rows (``GET /api/teachers`` without the built-ins) and the jobs using each -> a table
    with Delete, or where to upload one."""
    if not teachers:
        return html.P("No uploaded teachers. To distil a network you trained yourself, upload its weights on the "
                      "configure page (Teacher, “Upload trained weights”).", className="text-muted mb-0")
    uses: dict = {}
    for j in jobs:
        if j.get("teacher_id"):
            uses[j["teacher_id"]] = uses.get(j["teacher_id"], 0) + 1
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Teacher", "Architecture", "Input shape",
                                                                 "Parameters", "Jobs", "Added", "")]))
    body = [html.Tr([
        html.Td(t.get("name") or t["id"][:8], title=t["id"]),
        html.Td(t.get("arch") or "?"),
        html.Td(" × ".join(str(s) for s in t.get("input_shape") or [])),
        html.Td(f"{int(t['n_params']):,}" if t.get("n_params") is not None else "?"),
        html.Td(str(uses.get(t["id"], 0))),
        html.Td(str(t.get("created") or "")[:16].replace("T", " "), className="small text-muted"),
        html.Td(_action("Delete", "delete-teacher", t["id"], color="danger")),
    ], id=f"jobs-teacher-{t['id'][:8]}") for t in teachers]
    return stack_on_phones(dbc.Table([head, html.Tbody(body)], hover=True, size="sm",
                                     className="awd-table mb-0 align-middle", id=ids.TEACHERS_LIST))


def confirm_text(pending: dict, rows: dict) -> str:
    """Pure: what the confirmation dialog asks, in words (naming the run or dataset and what goes with it); the job
    page asks the same of its job (:mod:`frontend.confirm_dialog`)."""
    jobs = {j["id"]: j for j in (rows or {}).get("jobs", [])}
    datasets = {d["id"]: d for d in (rows or {}).get("datasets", [])}
    target, action = pending["target"], pending["action"]
    if action == "delete-teacher":
        t = {t["id"]: t for t in (rows or {}).get("teachers", [])}.get(target, {})
        users = sum(1 for j in jobs.values() if j.get("teacher_id") == target)
        kept = (f" The {users} run{'s' if users != 1 else ''} that used it keep{'' if users != 1 else 's'} "
                f"{'their' if users != 1 else 'its'} results but can no longer be rerun." if users else "")
        return (f"Delete the uploaded teacher “{t.get('name', target[:8])}” ({t.get('arch', '?')}) and its weights "
                f"file?{kept} This cannot be undone.")
    labels = dataset_labels(list(datasets.values()), list(jobs.values()))
    if action == "delete-dataset":
        d = datasets.get(target, {})
        users = [j for j in jobs.values() if j.get("dataset_id") == target]
        active = [j["id"][:8] for j in users if j.get("state") in ("queued", "running")]
        if active:  # the service refuses these (409): said before Delete, not after (review 50B)
            return (f"The dataset “{labels.get(target, d.get('name', target[:8]))}” is used by "
                    f"{'a job' if len(active) == 1 else f'{len(active)} jobs'} still queued or running "
                    f"({', '.join(active)}): cancel {'it' if len(active) == 1 else 'them'} or wait for "
                    f"{'it' if len(active) == 1 else 'them'} to finish, then delete the dataset. Deleting now "
                    "will be refused.")
        extra = (f" and its {len(users)} job{'s' if len(users) != 1 else ''} with their results and share links"
                 if users else "")
        return f"Delete the dataset “{labels.get(target, d.get('name', target[:8]))}”{extra}? This cannot be undone."
    j = jobs.get(target, {})
    dataset = labels.get(j.get("dataset_id"), j.get("dataset_name")) if j.get("dataset_name") else None
    what = f"run {target[:8]} ({dataset or 'deleted dataset'}, {j.get('teacher_name') or '?'}, " \
           f"grid {grid_text(j.get('grid'))})"
    if action == "rerun":
        return rerun_question(what, j)
    if action == "cancel-job":
        return cancel_question(what)
    return f"Delete {what}, its result files and its share links? This cannot be undone."


def confirm_body(pending: dict, rows: dict) -> list:
    """Pure: the confirmation dialog's body: the question (:func:`confirm_text`) and, for a rerun of a run its time
    limit stopped, the warning that it will very likely stop there again, with the link to change its settings first
    (:func:`frontend.confirm_dialog.time_limit_warning`)."""
    warning = None
    if pending["action"] == "rerun":
        job = next((j for j in (rows or {}).get("jobs", []) if j["id"] == pending["target"]), None)
        warning = time_limit_warning(job, pending["target"], f"Run {pending['target'][:8]}")
    return dialog_text(confirm_text(pending, rows), warning)


#: What each refresh redraws, by name.
REFRESH_OUTPUTS = dict(table=Output(ids.TABLE, "children"), datasets=Output(ids.DATASETS, "children"),
                       teachers=Output(ids.TEACHERS, "children"),
                       rows=Output(ids.ROWS, "data"), signature=Output(ids.SIGNATURE, "data"),
                       compare=Output(ids.COMPARE_BOX, "style"))


@callback(output=REFRESH_OUTPUTS,
          inputs=dict(_n=Input(ids.POLL, "n_intervals"), _version=Input(ids.VERSION, "data")),
          state=dict(signature=State(ids.SIGNATURE, "data"), selected=State(ids.SELECTED, "data")))
async def refresh(_n, _version, signature, selected):
    """``GET /api/jobs``, ``GET /api/datasets`` and ``GET /api/teachers`` -> the tables (unchanged rows are not
    redrawn)."""
    client = get_client()
    try:
        jobs, datasets = items(await client.list_jobs()), items(await client.list_datasets())
        teachers = [t for t in items(await client.list_teachers()) if not t.get("builtin", True)]
    except ApiError as err:
        return named_update(REFRESH_OUTPUTS, table=dbc.Alert(f"Could not list jobs: {err.message}", color="danger"))
    # config: the rerun dialog says what the run asked for (auto, or an architecture), not only what it trained
    # target_name: which column each run predicts (review 28A: two runs on one dataset, one per parameter, read alike;
    # the table's line for it never showed, this list left the field out)
    # error: the rerun dialog says when a run's time limit stopped it (a rerun as it was will very likely stop too)
    keep = ("id", "state", "stage", "fraction", "dataset_id", "dataset_name", "teacher_id", "teacher_name", "grid",
            "summary", "created", "config", "eta_seconds", "target_name", "error")
    rows = {"jobs": [{k: j.get(k) for k in keep} for j in jobs],
            "datasets": [{k: d.get(k) for k in ("id", "name", "kind", "n", "n_test", "shape", "created")}
                         for d in datasets],
            "teachers": [{k: t.get(k) for k in ("id", "name", "arch", "input_shape", "n_params", "created")}
                         for t in teachers]}
    new_signature = json.dumps(rows, sort_keys=True, default=str)
    if new_signature == signature:
        return named_update(REFRESH_OUTPUTS)
    labels = dataset_labels(rows["datasets"], rows["jobs"])
    return dict(table=jobs_table(rows["jobs"], selected, labels, {t["id"] for t in rows["teachers"]}),
                datasets=datasets_table(rows["datasets"], rows["jobs"], labels),
                teachers=teachers_table(rows["teachers"], rows["jobs"]),
                rows=rows, signature=new_signature, compare=compare_style(rows["jobs"]))


#: What ticking runs changes.
SELECT_OUTPUTS = dict(selected=Output(ids.SELECTED, "data"), href=Output(ids.COMPARE, "href"),
                      disabled=Output(ids.COMPARE, "disabled"), label=Output(ids.COMPARE, "children"))


def compare_label(n_ticked: int) -> str:
    """What the Compare button says for ``n_ticked`` ticked runs (its tooltip cannot show on a disabled button).

    Examples
    --------
    >>> [compare_label(n) for n in (0, 1, 2)]
    ['Tick two runs to compare', 'Tick one more run to compare', 'Compare the 2 ticked runs']
    >>> compare_label(4), compare_label(5)
    ('Compare the 4 ticked runs', 'Compare: tick at most 4 (5 ticked)')
    """
    if 2 <= n_ticked <= MAX_RUNS:
        return f"Compare the {n_ticked} ticked runs"
    if n_ticked > MAX_RUNS:
        return f"Compare: tick at most {MAX_RUNS} ({n_ticked} ticked)"
    return "Tick one more run to compare" if n_ticked == 1 else "Tick two runs to compare"


@callback(output=SELECT_OUTPUTS, inputs=dict(values=Input({"type": ids.SELECT, "id": ALL}, "value")),
          prevent_initial_call=True)
def select(values):
    """The ticked runs (in the order shown); Compare links to ``/compare?a=&b=`` (and ``c``, ``d``) when two to
    :data:`MAX_RUNS` are ticked."""
    chosen = [spec["id"]["id"] for spec, value in zip(ctx.inputs_list[0], values or []) if value]
    if 2 <= len(chosen) <= MAX_RUNS:
        query = "&".join(f"{letter}={run}" for letter, run in zip("abcd", chosen))
        return dict(selected=chosen, href=f"/compare?{query}", disabled=False, label=compare_label(len(chosen)))
    return dict(selected=chosen, href="/compare", disabled=True, label=compare_label(len(chosen)))


#: What asking for an action opens.
ASK_OUTPUTS = dict(pending=Output(ids.PENDING, "data"), text=Output(ids.CONFIRM_TEXT, "children"),
                   open=Output(ids.CONFIRM, "is_open"), ok_label=Output(ids.CONFIRM_OK, "children"),
                   ok_color=Output(ids.CONFIRM_OK, "color"))


@callback(output=ASK_OUTPUTS, inputs=dict(clicks=Input({"type": ids.ACTION, "action": ALL, "target": ALL}, "n_clicks")),
          state=dict(rows=State(ids.ROWS, "data")), prevent_initial_call=True)
def ask(clicks, rows):
    """A Rerun, Cancel or Delete button opens the confirmation dialog (redrawn buttons, with 0 clicks, open
    nothing)."""
    trig = ctx.triggered_id
    if not trig or not any(clicks or []) or not (ctx.triggered and ctx.triggered[0].get("value")):
        return named_update(ASK_OUTPUTS)
    pending = {"action": trig["action"], "target": trig["target"]}
    label, color = ok_button(trig["action"])
    return dict(pending=pending, text=confirm_body(pending, rows), open=True, ok_label=label, ok_color=color)


#: What a confirmed (or cancelled) action changes.
CONFIRM_OUTPUTS = dict(open=Output(ids.CONFIRM, "is_open", allow_duplicate=True),
                       status=alert_outputs(ids.STATUS), version=Output(ids.VERSION, "data"),
                       nav=Output(APP_NAV, "href", allow_duplicate=True),
                       submitted=Output(SUBMITTED_JOB, "data", allow_duplicate=True))


@callback(output=CONFIRM_OUTPUTS,
          inputs=dict(ok=Input(ids.CONFIRM_OK, "n_clicks"), cancel=Input(ids.CONFIRM_CANCEL, "n_clicks")),
          state=dict(pending=State(ids.PENDING, "data"), rows=State(ids.ROWS, "data"),
                     version=State(ids.VERSION, "data")),
          prevent_initial_call=True)
async def confirm(ok, cancel, pending, rows, version):
    """Do the pending action once confirmed: rerun (then open the new job), cancel a queued or running job, delete
    a job, delete a dataset (with its jobs, which the dialog named) or an uploaded teacher."""
    if ctx.triggered_id != ids.CONFIRM_OK or not pending:
        return named_update(CONFIRM_OUTPUTS, open=False)
    client, target = get_client(), pending["target"]
    try:
        if pending["action"] == "rerun":
            job = await client.rerun_job(target)
            return named_update(CONFIRM_OUTPUTS, open=False, status=alert_value(None), version=(version or 0) + 1,
                                nav=f"/jobs/{job['id']}", submitted=job["id"])
        if pending["action"] == "cancel-job":
            await client.cancel_job(target)
            message = f"Cancelled run {target[:8]}."
        elif pending["action"] == "delete-job":
            await client.delete_job(target)
            message = f"Deleted run {target[:8]}."
        elif pending["action"] == "delete-teacher":
            await client.delete_teacher(target)
            message = "Deleted the uploaded teacher."
        else:
            users = [j for j in (rows or {}).get("jobs", []) if j.get("dataset_id") == target]
            await client.delete_dataset(target, with_jobs=bool(users))
            message = "Deleted the dataset" + (f" and its {len(users)} job(s)." if users else ".")
    except ApiError as err:
        return named_update(CONFIRM_OUTPUTS, open=False, status=alert_value(f"Not done: {err.message}"))
    return named_update(CONFIRM_OUTPUTS, open=False, status=alert_value(message), version=(version or 0) + 1)

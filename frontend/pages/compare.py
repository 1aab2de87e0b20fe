"""Compare ``/compare?a=<job id>&b=<job id>`` (and ``c``, ``d``): two to four finished runs side by side: their
learned wavelets overlaid, their test scores, where their students look (the mean activation map and, for series,
the teacher's sensitivity), and the settings in which they differ (highlighted)."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import (
    dataset_labels,
    graph,
    is_job_id,
    size_graphs_to_their_figures,
    stack_on_phones,
    teacher_text,
)
from awd_studio.frontend.figures.compare import (
    MAX_RUNS,
    RUN_COLORS,
    compare_activation_figure,
    compare_scores_figure,
    compare_wavelets_figure,
    score_table_rows,
    sensitivity_line,
)
from awd_studio.frontend.figures.grid import kept_initial
from awd_studio.frontend.figures.style import fmt_number, fmt_scores
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.option_words import OPTION_WORDS, option_words, options_for_kind, used_value, value_text

dash.register_page(__name__, path="/compare", title="AWD Studio · compare", name="Compare")


class ids:  # noqa: N801 (a namespace of constants, read as ids.BODY)
    """Component ids of the compare page (the strings are what tests/e2e look for)."""

    RUNS = "compare-runs"
    BODY = "compare-body"
    HEADS = "compare-heads"
    WAVELETS_GRAPH = "compare-wavelets-graph"
    SCORES_GRAPH = "compare-scores-graph"
    SCORES_TABLE = "compare-scores"
    ACTIVATION_GRAPH = "compare-activation-graph"
    ACTIVATION_NOTES = "compare-activation-notes"
    SETTINGS = "compare-settings"
    ERROR = "compare-error"
    SCALING_NOTE = "compare-scaling-note"
    DOWNLOAD = "compare-download"


size_graphs_to_their_figures(ids.WAVELETS_GRAPH, ids.SCORES_GRAPH, ids.ACTIVATION_GRAPH)

METRICS = {"r2": "R²", "rmse": "RMSE"}
#: Facts of a run compared beside its job settings (from the job and its bundle).
FACT_KEYS = ("dataset", "teacher", "input_scaling", "grid λ × γ", "wavelet delivered", "best AWD point λ",
             "best AWD point γ")


def layout(a: str | None = None, b: str | None = None, c: str | None = None, d: str | None = None, **_):
    """The compare page of runs ``a``, ``b`` and, when given, ``c`` and ``d``."""
    return html.Div([
        dcc.Store(id=ids.RUNS, data=[a, b, c, d]),
        html.H1(["Compare runs", help_link("compare")], className="h3 mb-3"),
        dcc.Loading(html.Div(id=ids.BODY), type="default"),
    ])


def _fmt(value) -> str:
    return "—" if value is None else value_text(value)


#: The settings table's row of the predicted column.
TARGET = "target"


def run_facts(job: dict, bundle: dict, dataset: str | None = None) -> dict:
    """The facts of one run that the settings table compares (dataset, teacher, grid, selected point, every job
    option, in the order of their words; an option left to its default or to ``auto`` shows the value the run used,
    from the bundle's provenance: "auto / auto" hid that two runs used different boundary modes).

    ``dataset`` names the run's dataset (by default the job's ``dataset_name``; :func:`dataset_labels` tells two
    of one name apart).

    Examples
    --------
    >>> run_facts({"config": {"mode": "auto", "epochs": None}},
    ...           {"provenance": {"config": {"mode": "zero", "epochs": 100}}})["mode"]
    'auto: zero'
    """
    selected = bundle.get("selected") or {}
    # what auto chose, as "auto: zero" says for the boundary mode (review 21)
    name = (bundle.get("teacher") or {}).get("name") or job.get("teacher_name")
    teacher = teacher_text({**job, "teacher_name": name})
    facts = {
        "dataset": dataset or job.get("dataset_name") or "(deleted)",
        TARGET: target_text(job, bundle),
        "teacher": teacher,
        # the scaling AWD and the series students read the data under: a built-in teacher's own, an uploaded one's
        # the data's, so one dataset's initial-wavelet student can score differently with two teachers (review 21);
        # under the job option's own name, with the choice it resolves: one row (the table listed "Input scaling"
        # twice, this fact and the option, whose names differed by an underscore)
        "input_scaling": scaling_fact((job.get("config") or {}).get("input_scaling"),
                                      (bundle.get("wavelet") or {}).get("input_scaling")),
        "grid λ × γ": f"{len(bundle.get('lambdas') or [])} × {len(bundle.get('gammas') or [])}",
        # which wavelet the run delivers first: the best AWD point's λ and γ are not delivered when it is the initial
        "wavelet delivered": _delivered(bundle),
        "best AWD point λ": selected.get("lambda"),
        "best AWD point γ": selected.get("gamma"),
    }
    resolved = (bundle.get("provenance") or {}).get("config") or {}
    kind = (bundle.get("data") or {}).get("kind")  # review 31B: the map student's options on two series runs
    for key, value in sorted(options_for_kind(job.get("config"), kind).items(),
                             key=lambda item: option_words(item[0]).lower()):
        if facts.get(key) is None:  # a fact the bundle does not give: the option as the run used it
            facts[key] = used_value(key, value, resolved.get(key))
    return facts


def scaling_fact(given, scaling: dict | None) -> str | None:
    """Pure: the ``input_scaling`` row of the settings table: the option as submitted and the scaling the run used
    (:func:`scaling_text`); None when the bundle does not say.

    Examples
    --------
    >>> scaling_fact("auto", {"offset": 0.5, "scale": 0.33, "source": "teacher"})
    "auto: (x − 0.5) / 0.33, the teacher's"
    >>> scaling_fact(None, {"offset": 0.0, "scale": 1.0, "source": "none"}), scaling_fact("none", None)
    ('none (default)', None)
    """
    text = scaling_text(scaling)
    if text is None or given == text:
        return text
    return f"{text} (default)" if given is None else f"{value_text(given)}: {text}"


def target_text(job: dict, bundle: dict) -> str:
    """The column a run predicts, by name when the data name it (review 28A: the settings table showed "1 / 0").

    Examples
    --------
    >>> target_text({"config": {"target": 1}}, {"data": {"target_name": "sigma_8"}})
    'sigma_8 (column 1)'
    >>> target_text({"config": {}}, {})
    'column 0'
    """
    column = (job.get("config") or {}).get("target") or 0
    name = (bundle.get("data") or {}).get("target_name") or job.get("target_name")
    return f"{name} (column {column})" if name else f"column {column}"


def targets_differ(labels: list[str], facts: list[dict]) -> str | None:
    """Pure: a warning when the runs predict different columns (review 28A: one run's RMSE of sigma_8 beside
    another's of Omega_m, without a word); None when they predict the same.

    Examples
    --------
    >>> targets_differ(["A · 1a", "B · 2b"], [{"target": "sigma_8 (column 1)"}, {"target": "Omega_m (column 0)"}])
    'The runs predict different targets (A: sigma_8 (column 1), B: Omega_m (column 0)): their scores are of
    different quantities and not comparable.'
    >>> targets_differ(["A · 1a", "B · 2b"], [{"target": "column 0"}] * 2) is None
    True
    """
    if len({f.get(TARGET) for f in facts}) <= 1:
        return None
    runs = ", ".join(f"{label.split(' ')[0]}: {f.get(TARGET)}" for label, f in zip(labels, facts))
    return f"The runs predict different targets ({runs}): their scores are of different quantities and not comparable."


def scaling_text(scaling: dict | None) -> str | None:
    """Pure: a run's input scaling in words (``wavelet.input_scaling`` of its bundle), None when it does not say.

    Examples
    --------
    >>> scaling_text({"offset": 0.50134, "scale": 0.33121, "source": "teacher"})
    "(x − 0.5013) / 0.3312, the teacher's"
    >>> scaling_text({"offset": 0.0, "scale": 1.0, "source": "none"}), scaling_text(None)
    ('none', None)
    """
    if not isinstance(scaling, dict) or "offset" not in scaling:
        return None
    if scaling.get("source") == "none":
        return "none"
    whose = {"teacher": ", the teacher's", "data": ", the training data's"}.get(scaling.get("source"), "")
    return f"(x − {float(scaling['offset']):.4g}) / {float(scaling['scale']):.4g}{whose}"


def scaling_note(bundles: list[dict], facts: list[dict]) -> str | None:
    """Pure: why the initial wavelet's student scores differently in runs on the same data, when the runs scaled
    the inputs differently; None otherwise.

    Examples
    --------
    >>> b = [{"models": {"baseline_wavelet": {"test": {"r2": r}}}} for r in (0.7695, 0.7739)]
    >>> scaling_note(b, [{"input_scaling": "a"}, {"input_scaling": "b"}])[:60]
    'The initial wavelet scores differently in these runs because'
    >>> scaling_note(b, [{"input_scaling": "a"}] * 2) is None
    True
    """
    scores = {((b.get("models") or {}).get("baseline_wavelet") or {}).get("test", {}).get("r2") for b in bundles}
    scalings = {f.get("input_scaling") for f in facts}
    if len(scores) < 2 or len(scalings) < 2:
        return None
    return ("The initial wavelet scores differently in these runs because they scaled the inputs differently "
            "(“Input scaling” below): a built-in teacher brings the mean and SD it was trained with, an uploaded "
            "one the training data's, and the student reads the wavelet coefficients of the scaled series.")


def _delivered(bundle: dict) -> str:
    """``"AWD"`` or ``"initial (db5)"``: the wavelet whose student the run recommends.

    Examples
    --------
    >>> _delivered({"selection": {"choice": "initial", "initial": "db5"}}), _delivered({})
    ('initial (db5)', 'AWD')
    """
    initial = kept_initial(bundle)
    return "AWD" if initial is None else f"initial ({initial})"


def run_datasets(jobs: list[dict], bundles: list[dict]) -> tuple[list[str], bool]:
    """The runs' datasets as named on the page, and whether they all hold the same data (by the data's SHA-256
    in the results, else by dataset id: two uploads of one file name are two datasets, named with their ids'
    start).

    Examples
    --------
    >>> jobs = [{"dataset_id": "aa0038f2-1", "dataset_name": "maps"},
    ...         {"dataset_id": "7939b82a-2", "dataset_name": "maps"}]
    >>> run_datasets(jobs, [{}, {}])
    (['maps · aa0038', 'maps · 7939b8'], False)
    >>> run_datasets([jobs[0]] * 2, [{}, {}])
    (['maps', 'maps'], True)
    >>> run_datasets([{"dataset_name": "maps"}] * 2, [{"data": {"sha256": "5f"}}, {"data": {"sha256": "6e"}}])[1]
    False
    """
    labels = dataset_labels([], jobs)
    names = [labels.get(j.get("dataset_id")) or j.get("dataset_name") or "(deleted)" for j in jobs]
    sums = [(b.get("data") or {}).get("sha256") for b in bundles]
    keys = sums if all(sums) else [j.get("dataset_id") for j in jobs]
    return names, keys[0] is not None and all(key == keys[0] for key in keys)


def settings_diff(facts: list[dict]) -> list[tuple]:
    """Pure: ``(name, value in A, value in B, ..., differs)`` for every fact any run has; differing ones first.

    Examples
    --------
    >>> settings_diff([{"epochs": 2, "seed": 0}, {"epochs": 5, "seed": 0}])
    [('epochs', '2', '5', True), ('seed', '0', '0', False)]
    >>> settings_diff([{"seed": 0}, {"seed": 0}, {"seed": 1}])
    [('seed', '0', '0', '1', True)]
    """
    names = list(dict.fromkeys(name for run in facts for name in run))
    rows = [(n, *[_fmt(run.get(n)) for run in facts]) for n in names]
    rows = [(*row, len(set(row[1:])) > 1) for row in rows]
    return sorted(rows, key=lambda r: not r[-1])


def comparison_csv(score_rows: list[dict], settings_rows: list[tuple], labels: list[str]) -> str:
    """Pure: the comparison as CSV, for a spreadsheet or a sweep's notes: a row per test score (``R² AWD``, ...,
    full precision) and per setting, each with every run's values and whether they differ.

    Examples
    --------
    >>> text = comparison_csv([{"model": "AWD", "r2": [0.5, 0.25], "rmse": [1.0, None]}],
    ...                       [("seed", "0", "1", True)], ["A · 1a2b3c4d", "B · 5e6f7a8b"])
    >>> text.splitlines()[:3]
    ['part,name,A · 1a2b3c4d,B · 5e6f7a8b,differs', 'test score,R² AWD,0.5,0.25,yes', 'test score,RMSE AWD,1.0,,yes']
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["part", "name", *labels, "differs"])
    for row in score_rows:
        for metric, label in METRICS.items():
            values = row.get(metric) or [None] * len(labels)
            writer.writerow(["test score", f"{label} {row['model']}",
                             *["" if v is None else repr(float(v)) for v in values],
                             "yes" if len(set(values)) > 1 else "no"])
    for name, *values, differs in settings_rows:
        writer.writerow(["setting", name, *values, "yes" if differs else "no"])
    return out.getvalue()


def setting_name(name: str):
    """A row's name in the settings table: a job option in words over its name in the API, in small monospace, which
    API users know it by (``Grid preset`` over ``grid_preset``: the table showed the API's names alone); a fact of the
    run (``wavelet delivered``) as it is, capitalised.

    Examples
    --------
    >>> [getattr(part, "children", part) for part in setting_name("start_search").children]
    ['Random starts searched', ' ', 'start_search']
    >>> setting_name("wavelet delivered")
    'Wavelet delivered'
    """
    if name in OPTION_WORDS:
        return html.Span([html.Span(OPTION_WORDS[name]), " ", html.Code(name, className="small text-muted")])
    return name[:1].upper() + name[1:]


def _settings_table(rows, labels):
    head = html.Thead(html.Tr([html.Th("Setting"), *[html.Th(label) for label in labels]]))
    body = [html.Tr([html.Td(setting_name(n), className="awd-wrap"),
                     *[html.Td(v, className="awd-differs" if d else "") for v in values]],
                    className="awd-diff-row" if d else "")
            for n, *values, d in rows]
    n_diff = sum(d for *_, d in rows)
    return html.Div([
        html.P(f"{n_diff} setting{'s differ' if n_diff != 1 else ' differs'} (highlighted, listed first).",
               className="small text-muted"),
        stack_on_phones(dbc.Table([head, html.Tbody(body)], size="sm", className="awd-table awd-diff mb-0",
                                  id=ids.SETTINGS)),
    ], className="table-responsive")


def _scores_table(rows, labels):
    head = html.Thead(html.Tr([html.Th("Model"), *[html.Th(f"R² {label}") for label in labels],
                               *[html.Th(f"RMSE {label}") for label in labels]]))
    # R² as the cards and the results pages print it (three decimals, more where two runs' would read alike)
    body = [html.Tr([html.Td(r["model"]), *[html.Td(t) for t in fmt_scores(r["r2"])],
                     *[html.Td(_fmt(v)) for v in r["rmse"]]])
            for r in rows]
    # scrolls inside its card when the window is narrow (review 31B: it spilled out of the card at 820 px)
    return html.Div(stack_on_phones(dbc.Table([head, html.Tbody(body)], size="sm", className="awd-table mb-0",
                                              id=ids.SCORES_TABLE)), className="table-responsive")


def _head(job: dict, bundle: dict, label: str, color: str, dataset: str):
    verdict = (bundle.get("verdict") or {}).get("text")
    return dbc.Card(dbc.CardBody([
        html.H2([html.Span("■ ", style={"color": color}), label], className="h6"),
        html.Div([html.A(job["id"][:8], href=f"/results/{job['id']}"), f" · {dataset}"
                  f" · {job.get('teacher_name') or '?'}"], className="small"),
        html.Div(verdict, className="small text-muted mt-1") if verdict else None,
        html.Div(delivered_line(bundle), className="small") if bundle.get("models") else None,
    ]), className="shadow-sm h-100")


def delivered_line(bundle: dict) -> str:
    """Pure: the model a run delivers and its test R², then the learned wavelet's (marked "not delivered" when
    cross-validation kept the initial wavelet) and how far it moved. The card led with the AWD score even where
    neither run delivered AWD (tests/frontend/test_runs_pages.py).

    Both scores are printed as the results page prints them (:func:`~frontend.figures.style.fmt_scores`: three
    decimals, more only where the two would otherwise read alike), the distance as its grid note does: the card
    said "test R² 0.582" and "test R² 0.5787" side by side (review 49).

    Examples
    --------
    >>> models = {"awd": {"test": {"r2": 0.5787}}, "baseline_wavelet": {"test": {"r2": 0.5816}}}
    >>> print(delivered_line({"models": models, "selection": {"choice": "initial", "initial": "db5"},
    ...                       "wavelet": {"distance_to_init": 0.3362}}))
    Delivered: db5 (cross-validation kept it), test R² 0.582. The learned wavelet, not delivered: test R² 0.579;
    ψ moved 0.336 from db5 (relative L2).
    """
    models = bundle.get("models") or {}
    initial = kept_initial(bundle)
    init_name = initial or (bundle.get("wavelet") or {}).get("init") or (bundle.get("selection") or {}).get(
        "initial") or "the initial wavelet"
    kept, awd = fmt_scores([((models.get(key) or {}).get("test") or {}).get("r2")
                            for key in ("baseline_wavelet", "awd")])
    distance = (bundle.get("wavelet") or {}).get("distance_to_init")
    moved = f"ψ moved {fmt_number(distance)} from {init_name} (relative L2)"
    if initial:
        return (f"Delivered: {initial} (cross-validation kept it), test R² {kept}. The learned wavelet, not "
                f"delivered: test R² {awd}; {moved}.")
    return f"Delivered: the AWD student, test R² {awd}; {moved}."


def activation_notes(bundles: list[dict], labels: list[str]) -> list[str]:
    """Pure: one line per run under the compared activation maps: how many test examples its mean covers, whether
    the runs' examples are the same ones, and (series) where its teacher is most sensitive.

    Examples
    --------
    >>> a = {"activation": {"maps": [[1.0, 0.0]] * 2, "indices": [3, 7]}}
    >>> activation_notes([a, a], ["A", "B"])
    ['A: mean of 2 test examples', 'B: mean of 2 test examples', 'Both runs show the same test examples.']
    """
    lines = []
    for bundle, label in zip(bundles, labels):
        act = bundle.get("activation") or {}
        n = len(act.get("maps") or [])
        if not n:
            lines.append(f"{label}: no activation maps stored")
            continue
        sensitivity = sensitivity_line(bundle)
        lines.append(f"{label}: mean of {n} test example{'s' if n != 1 else ''}"
                     + (f"; {sensitivity}" if sensitivity else ""))
    indices = [tuple((b.get("activation") or {}).get("indices") or ()) for b in bundles]
    if all(indices) and len(set(indices)) == 1:
        lines.append(f"{'Both' if len(bundles) == 2 else 'All'} runs show the same test examples.")
    elif all(indices):
        lines.append("The runs show different test examples (their test sets or the examples picked differ): the "
                     "means compare where each run looks on the whole, not example by example.")
    return lines


def _card(title, section, body):
    return dbc.Card([dbc.CardHeader(html.H2([title, help_link(section)], className="h6 mb-0")), dbc.CardBody(body)],
                    className="shadow-sm mb-4")


def _problem(message):
    return dbc.Alert([message, " ", html.A("Back to the jobs list", href="/jobs")], color="warning", id=ids.ERROR)


@callback(output=Output(ids.BODY, "children"), inputs=dict(runs=Input(ids.RUNS, "data")))
async def show(runs):
    """Read the jobs and results and draw the comparison."""
    runs = [r for r in runs or [] if r]
    wrong = [r for r in runs if not is_job_id(r)]
    if wrong:  # say which (review 17: "Pick two finished runs" hid that one id was mistyped)
        return _problem(f"“{wrong[0][:40]}” is not a run's id (a job id such as 0123abcd-…); pick 2 to "
                        f"{MAX_RUNS} finished runs on the jobs list (tick them, then press Compare).")
    if not 2 <= len(runs) <= MAX_RUNS:
        return _problem(f"Pick 2 to {MAX_RUNS} finished runs on the jobs list (tick them, then press Compare).")
    client = get_client()
    try:
        jobs = [await client.get_job(r) for r in runs]
        bundles = [await client.get_result(r) for r in runs]
    except ApiError as err:
        return _problem(f"Could not read every run: {err.message}")
    labels = [f"{letter} · {run[:8]}" for letter, run in zip("ABCD", runs)]
    names, same_data = run_datasets(jobs, bundles)
    facts = [run_facts(j, b, name) for j, b, name in zip(jobs, bundles, names)]
    scores, settings = score_table_rows(bundles), settings_diff(facts)  # the tables and the CSV read them
    return html.Div([
        dbc.Row([dbc.Col(_head(j, b, lab, c, f["dataset"]), md=6, xl=12 // max(len(runs), 2), className="mb-3")
                 for j, b, lab, c, f in zip(jobs, bundles, labels, RUN_COLORS, facts)], id=ids.HEADS),
        _card("Learned wavelets (initial dashed, learned solid)", "wavelet", [
            html.P("Each run's learned curves are drawn wider than the next run's, so where they coincide the "
                   "earlier runs show as bands around the later ones. A wavelet that barely moved hides its dashed "
                   "initial wavelet (the distances above say how far each moved).", className="small text-muted"),
            graph(ids.WAVELETS_GRAPH, "compare-wavelets", compare_wavelets_figure(bundles, labels))]),
        _card("Test scores", "scores", [
            None if same_data else dbc.Alert("The runs are not all on one dataset: their scores are not comparable "
                                             "across datasets.", color="warning", className="py-2"),
            # review 28A: one run's RMSE of sigma_8 beside another's of Omega_m, without a word
            dbc.Alert(words, color="warning", className="py-2") if (words := targets_differ(labels, facts)) else None,
            html.P(note, className="small text-muted", id=ids.SCALING_NOTE)
            if same_data and (note := scaling_note(bundles, facts)) else None,
            graph(ids.SCORES_GRAPH, "compare-scores", compare_scores_figure(bundles, labels)),
            _scores_table(scores, labels),
        ]),
        # review 31B: comparing two teachers' maps took two results pages
        _card("Where the students look (activation maps)", "activation", [
            html.P("Each run's activation maps averaged over the test examples it stores (each scaled to its largest "
                   "value first), solid; for series the teacher's sensitivity (its mean |gradient| over the test "
                   "series) dotted. 1 = largest in each run.", className="small text-muted"),
            graph(ids.ACTIVATION_GRAPH, "compare-activation", compare_activation_figure(bundles, labels)),
            html.Ul([html.Li(line) for line in activation_notes(bundles, labels)], className="small mb-0",
                    id=ids.ACTIVATION_NOTES),
        ]),
        # the first rows are what each run chose (its delivered wavelet, its best grid point), the rest its settings
        _card("What each run chose, and its settings", "configure", _settings_table(settings, labels)),
        # both tables in one file (review 17: the page had no download)
        html.A("Download the comparison (CSV)", id=ids.DOWNLOAD,
               download="awd-compare-" + "-".join(run[:8] for run in runs) + ".csv",
               href="data:text/csv;charset=utf-8," + quote(comparison_csv(scores, settings, labels))),
    ])

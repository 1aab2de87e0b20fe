"""Runs management, compare and help pages without a browser: pure helpers and callbacks against the seeded
service (tests/frontend/conftest.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from awd_studio.frontend import api_client
from awd_studio.frontend.components import dataset_labels
from awd_studio.frontend.figures.compare import (
    RUN_COLORS,
    compare_activation_figure,
    compare_scores_figure,
    compare_wavelets_figure,
    score_table_rows,
)
from awd_studio.frontend.figures.data import loss_figure
from awd_studio.frontend.help_links import HELP_SECTIONS, help_href, help_link

from .conftest import make_bundle, run
from .test_pages import page


@pytest.fixture(autouse=True)
def _client_of(service):
    """The pages exist once the seeded service's app does; callbacks talk to it."""
    api_client.configure(app=service.app)


def test_help_has_every_linked_section_and_links_refuse_unknown_ones():
    help_page = page("help")
    layout = json.dumps(help_page.layout().to_plotly_json(), default=lambda o: o.to_plotly_json())
    for section in HELP_SECTIONS:
        assert f'"id": "{section}"' in layout, section
        assert set(help_page.BODIES) == set(HELP_SECTIONS)
    assert help_link("gamma").href == help_href("gamma") == "/help#gamma"
    with pytest.raises(ValueError, match="section"):
        help_link("nope")
    assert "@inproceedings" in layout and "NeurIPS" in layout


def test_jobs_table_rows_tell_runs_apart_and_dialogs_name_what_goes():
    jobs = page("jobs")
    rows = [{"id": "a" * 8 + "-0000-4000-8000-000000000000", "state": "succeeded", "dataset_id": "d1",
             "dataset_name": "cme traces", "teacher_name": "lstm", "grid": [3, 6],
             "summary": {"metric": "r2", "awd_test": 0.9543, "teacher_test": 0.91, "choice": "awd"},
             "created": "2025-01-02T03:04:05"},
            {"id": "b" * 8 + "-0000-4000-8000-000000000000", "state": "running", "dataset_id": "d1",
             "dataset_name": "cme traces", "teacher_name": "mlp", "grid": [1, 2], "fraction": 0.5,
             "created": "2025-01-03T03:04:05", "eta_seconds": 83.0, "config": {"student": "scattering"}}]
    table = str(jobs.jobs_table(rows))
    assert "cme traces" in table and "3 × 6" in table and "R² 0.954" in table and "lstm" in table
    # a running job's time left, and a run that also fits the scattering student, said on the list (review 22)
    # the scattering student once in the grid's column and once in its stand-in under the teacher (on a tablet)
    assert "about 1 min 23 s left" in table and table.count("+ scattering student") == 2
    # the map student's signed range too (review 38: two runs on one map set looked alike)
    signed = str(jobs.jobs_table([{**rows[0], "config": {"peak_range": "signed"}}]))
    assert "grid 3 × 6 · range: both signs" in signed and "'range: both signs'" in signed
    # the teacher's test score in its column and, for a tablet, under the teacher (review 31B: it gave way there)
    assert table.count("R² 0.910") == 2 and "grid 3 × 6 · teacher R² 0.910" in table
    assert jobs.score_text({"metric": "rmse", "awd_test": 0.03183}) == "RMSE 0.03183"
    assert jobs.score_text(None) == "—" and jobs.grid_text(None) == "—"
    # the Compare button says what to tick (it read "Compare 2 selected" whatever was ticked)
    assert [jobs.compare_label(n) for n in (0, 1, 2)] == ["Tick two runs to compare", "Tick one more run to compare",
                                                          "Compare the 2 ticked runs"]
    assert jobs.compare_label(3) == "Compare the 3 ticked runs" and jobs.compare_label(5).endswith("(5 ticked)")
    # the best AWD point's score is not the delivered model's when cross-validation kept the initial wavelet
    assert (jobs.score_text({"metric": "r2", "awd_test": 0.53, "choice": "initial"})
            == "R² 0.530 · initial wavelet (AWD not chosen)")
    # ... and newer summaries carry the delivered model's score: the column shows what the user gets
    kept = {"metric": "rmse", "awd_test": 0.0377, "delivered_test": 0.0434, "choice": "initial", "initial": "db5",
            "teacher_test": 0.02}
    row = {**rows[0], "summary": kept}
    kept_table = str(jobs.jobs_table([row]))
    assert "'RMSE 0.0434', ' · '" in kept_table and "'db5 (AWD not chosen)'" in kept_table  # wraps at the dot alone
    assert "distilled (AWD) student scored 0.0377" in kept_table
    # review 7: a maps run read "AWD test R² 0.683" on its page and "RMSE 0.03211" here; summaries now carry R²
    maps = {**kept, "awd_test_r2": 0.70, "delivered_test_r2": 0.683, "teacher_test_r2": 0.498}
    maps_table = str(jobs.jobs_table([{**rows[0], "summary": maps}]))
    assert "'R² 0.683', ' · '" in maps_table and "R² 0.498" in maps_table
    assert "its test RMSE 0.0434" in maps_table and "scored 0.7" in maps_table  # the tooltip
    datasets = [{"id": "d1", "name": "cme traces", "kind": "timeseries", "n": 40, "shape": [40]}]
    assert "time series" in str(jobs.datasets_table(datasets, rows))
    # a file with a fixed test split: both counts (the Samples column showed the training part alone)
    assert "2936 + 1005 test" in str(jobs.datasets_table([{**datasets[0], "n": 2936, "n_test": 1005}], rows))
    state = {"jobs": rows, "datasets": datasets}
    # a dataset whose job is still queued or running cannot be deleted (the service answers 409): the dialog says
    # so before Delete, not after (review 50B)
    busy = jobs.confirm_text({"action": "delete-dataset", "target": "d1"}, state)
    assert rows[1]["state"] in ("queued", "running") and rows[1]["id"][:8] in busy, busy
    assert "cancel it or wait for it to finish" in busy and "will be refused" in busy
    ended = {"jobs": [rows[0], {**rows[1], "state": "cancelled"}], "datasets": datasets}
    assert "and its 2 jobs" in jobs.confirm_text({"action": "delete-dataset", "target": "d1"}, ended)
    text = jobs.confirm_text({"action": "delete-job", "target": rows[0]["id"]}, state)
    assert "aaaaaaaa" in text and "cme traces" in text and "cannot be undone" in text
    assert "same dataset" in jobs.confirm_text({"action": "rerun", "target": rows[0]["id"]}, state)
    # a run submitted with teacher auto is rerun with auto: the dialog named the architecture it had trained
    auto = {"jobs": [{**rows[0], "config": {"teacher": "auto"}}], "datasets": datasets}
    assert "a new teacher chosen by auto (last time: lstm)" in jobs.confirm_text(
        {"action": "rerun", "target": rows[0]["id"]}, auto)
    # a queued or running run offers Cancel only: it is rerun once it has ended (the server answers 409 before)
    assert "'action': 'rerun', 'target': '" + rows[1]["id"] not in table
    assert "'action': 'rerun', 'target': '" + rows[0]["id"] in table
    # a running run is cancelled from the list (Delete was greyed out with a tooltip a disabled button cannot show)
    assert "'action': 'cancel-job', 'target': '" + rows[1]["id"] in table
    assert "'action': 'delete-job', 'target': '" + rows[1]["id"] not in table
    assert "'action': 'delete-job', 'target': '" + rows[0]["id"] in table
    assert "stops within seconds" in jobs.confirm_text({"action": "cancel-job", "target": rows[1]["id"]}, state)
    # two uploads under one name are told apart by their ids' start, in both tables and the dialogs
    twins = [{"id": "d1aaaaaa-1", "name": "cme traces"}, {"id": "d2bbbbbb-2", "name": "cme traces"}]
    runs = [{**rows[0], "dataset_id": "d1aaaaaa-1"}, {**rows[1], "dataset_id": "d2bbbbbb-2", "state": "failed"}]
    labels = dataset_labels(twins, runs)
    assert labels == {"d1aaaaaa-1": "cme traces · d1aaaa", "d2bbbbbb-2": "cme traces · d2bbbb"}
    table = str(jobs.jobs_table(runs, labels=labels))
    assert "cme traces · d1aaaa" in table and "cme traces · d2bbbb" in table
    assert "cme traces · d2bbbb" in str(jobs.datasets_table(twins, runs))
    assert "“cme traces · d1aaaa” and its 1 job" in jobs.confirm_text(
        {"action": "delete-dataset", "target": "d1aaaaaa-1"}, {"jobs": runs, "datasets": twins})
    assert "cme traces · d2bbbb" in jobs.confirm_text(
        {"action": "delete-job", "target": runs[1]["id"]}, {"jobs": runs, "datasets": twins})
    assert "· d1" not in str(jobs.jobs_table(rows))  # one dataset of that name: the name alone
    # the target column, when the dataset has several
    assert "→ auxilin_peak" in str(jobs.jobs_table([{**rows[0], "target_name": "auxilin_peak"}]))
    assert "→" not in str(jobs.jobs_table(rows))
    # Compare shows once two runs have succeeded (a disabled button over an empty list said nothing useful)
    assert jobs.compare_style([]) == jobs.compare_style(rows) == {"display": "none"}
    assert jobs.compare_style([rows[0], {**rows[1], "state": "succeeded"}]) == {"display": "flex"}


def test_the_jobs_list_names_a_running_stage_as_the_job_page_does():
    """The jobs list said "distillation 42%", the job page "Distilling the wavelets", the estimate "distillation":
    one table of the stages' words, frontend.durations.STAGE_HEADINGS."""
    from awd_studio.frontend import durations, job_timing

    jobs = page("jobs")
    assert job_timing.STAGE_HEADINGS is durations.STAGE_HEADINGS
    row = {"id": "j1aaaaaa-1", "state": "running", "stage": "distill", "fraction": 0.42, "dataset_id": "d1",
           "dataset_name": "cme", "config": {}}
    assert "Distilling the wavelets 42%" in str(jobs.jobs_table([row]))
    assert "Loading the teacher 5%" in str(jobs.jobs_table([{**row, "stage": "teacher", "fraction": 0.05,
                                                             "teacher_id": "t1"}]))
    assert "distilling the wavelets 1 min 15 s" in durations.stage_words({"distill": 75.0})


def test_compare_figures_and_settings_diff():
    jobs = page("jobs")
    a, b = make_bundle("timeseries", seed=0), make_bundle("timeseries", seed=1)
    fig = compare_wavelets_figure([a, b], ["A", "B"])
    solid = [t for t in fig.data if t.line.dash is None]
    dashed = [t for t in fig.data if t.line.dash == "dash"]
    assert len(solid) == 4 and len(dashed) == 4  # φ and ψ of two runs, learned and initial
    # A wide under B narrow: two identical wavelets both show (B hid A)
    assert solid[0].line.width > 2 * solid[-1].line.width
    rows = score_table_rows([a, b])
    assert rows[0]["model"] == "Teacher" and all(isinstance(v, float) for v in rows[1]["r2"])
    assert len(compare_scores_figure([a, b], ["A", "B"]).data) == 2
    # the teacher-free control is compared where a run has it (review 9: the table left it out), else left out
    assert "Random search, no teacher" not in [r["model"] for r in rows] or any(
        "random_search" in x.get("models", {}) for x in (a, b))
    with_control = {**a, "models": {**a["models"], "random_search": {"test": {"r2": 0.61, "rmse": 0.15}}}}
    control = [r for r in score_table_rows([with_control, b]) if r["model"] == "Random search, no teacher"]
    assert control and control[0]["r2"][0] == 0.61
    # the maps' fixed filters too, which a maps run's verdict names (review 38A: the table left them out)
    maps = {**a, "models": {**a["models"], "laplace": {"test": {"r2": 0.7, "rmse": 0.03}},
                            "roberts_cross": {"test": {"r2": 0.72, "rmse": 0.029}}}}
    fixed = [r["model"] for r in score_table_rows([maps, b]) if r["model"] in ("Laplace", "Roberts cross")]
    assert fixed == ["Laplace", "Roberts cross"]
    # where the students look: each run's mean activation solid, its teacher's sensitivity dotted, one axis
    a_act = {**a, "activation": {**a["activation"], "teacher_sensitivity": list(np.linspace(0.1, 1.0, len(
        a["activation"]["maps"][0]))), "sensitive_end": {"end": "last", "samples": 4, "ratio": 2.5}}}
    fig = compare_activation_figure([a_act, b], ["A", "B"])
    assert [t.name for t in fig.data if t.line.dash is None] == ["A: activation", "B: activation"]
    assert [t.name for t in fig.data if t.line.dash == "dot"] == ["A: teacher's sensitivity"]
    solid = [t for t in fig.data if t.line.dash is None]
    assert solid[0].line.width > 2 * solid[1].line.width  # A wide under B: two runs that coincide both show
    assert all(float(np.max(t.y)) == pytest.approx(1.0) for t in fig.data)  # 1 = largest, each run
    compare = page("compare")
    notes = compare.activation_notes([a_act, b], ["A", "B"])
    assert notes[0].startswith("A: mean of") and "highest at the end: its last 4 samples average 2.5" in notes[0]
    assert "sensitivity" not in notes[1] or "spread" in notes[1]
    # maps: one panel per run, in its colour; a run without maps says so and the figure draws the others
    maps = [make_bundle("image", seed=s) for s in (0, 1)]
    fig = compare_activation_figure(maps + [{}], ["A", "B", "C"])
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert fig.data[1].colorscale[-1][1] == RUN_COLORS[1]
    assert compare.activation_notes(maps + [{}], ["A", "B", "C"])[2] == "C: no activation maps stored"
    assert "No run stores" in compare_activation_figure([{}, {}], ["A", "B"]).layout.annotations[0].text
    diff = compare.settings_diff([{"epochs": 2, "seed": 0, "wave": "db5"}, {"epochs": 5, "seed": 0}])
    assert diff[0][0] in ("epochs", "wave") and diff[0][3] and diff[-1] == ("seed", "0", "0", False)
    assert "Pick 2 to 4" in str(run(compare.show([None, None])))
    # two runs on the defaults: the values they used, not "—", and not counted as differences (a new user's review)
    bundle = {"provenance": {"config": {"epochs": 50, "lambdas": [0.001, 0.01]}}}
    facts = [compare.run_facts({"config": {"epochs": None, "lambdas": None, "seed": 0}}, bundle) for _ in range(2)]
    assert facts[0]["epochs"] == "50 (default)" and facts[0]["lambdas"] == "[0.001, 0.01] (default)"
    assert not any(differs for *_, differs in compare.settings_diff(facts))
    # two datasets of one name are told apart, and their runs are not taken for runs on the same data
    twins = [{"dataset_id": "aa0038f2-1", "dataset_name": "maps"}, {"dataset_id": "7939b82a-2", "dataset_name": "maps"}]
    assert compare.run_datasets(twins, [{}, {}]) == (["maps · aa0038", "maps · 7939b8"], False)
    assert compare.run_datasets([twins[0]] * 2, [{}, {}]) == (["maps", "maps"], True)
    same = [{"data": {"sha256": "5f"}}] * 2  # the same numbers, whatever the upload
    assert compare.run_datasets(twins, same)[1] and not compare.run_datasets([{}] * 2, [{}, {}])[1]
    assert compare.run_facts(twins[0], {}, "maps · aa0038")["dataset"] == "maps · aa0038"
    # review 28A: the column each run predicts, by name, and a warning when two runs predict different ones
    omega = compare.run_facts({"config": {"target": 0}}, {"data": {"target_name": "Omega_m"}})
    sigma = compare.run_facts({"config": {"target": 1}, "target_name": "sigma_8"}, {})
    assert (omega["target"], sigma["target"]) == ("Omega_m (column 0)", "sigma_8 (column 1)")
    assert "different targets (A: Omega_m (column 0), B: sigma_8 (column 1))" in compare.targets_differ(
        ["A · 1", "B · 2"], [omega, sigma])
    # the wavelet each run delivers, apart from its best AWD point (read as "selected" when db5 was delivered)
    # review 21: one dataset's initial-wavelet student scored 0.7695 with a built-in teacher and 0.7739 with an
    # uploaded one, with nothing to say why: the runs' input scaling is a compared fact, and a note explains
    facts = [compare.run_facts({"config": {"teacher": teacher}}, {
        "teacher": {"name": name}, "wavelet": {"input_scaling": {"offset": off, "scale": 0.33, "source": source}},
        "models": {"baseline_wavelet": {"test": {"r2": r2}}}}) for teacher, name, off, source, r2 in (
        ("auto", "mlp", 0.5013, "teacher", 0.7695), ("upload", "uploaded: her.pt2", 0.5006, "data", 0.7739))]
    assert facts[0]["teacher"] == "auto: mlp" and facts[1]["teacher"] == "uploaded: her.pt2"
    assert facts[0]["input_scaling"] == "(x − 0.5013) / 0.33, the teacher's (default)"
    assert any(row[0] == "input_scaling" and row[-1] for row in compare.settings_diff(facts))
    bundles = [{"models": {"baseline_wavelet": {"test": {"r2": r}}}} for r in (0.7695, 0.7739)]
    assert "scaled the inputs differently" in compare.scaling_note(bundles, facts)
    assert jobs.teacher_text({"teacher_name": "mlp", "config": {"teacher": "auto"}}) == "auto: mlp"
    kept = compare.run_facts({}, {"selection": {"choice": "initial", "initial": "db5"},
                                  "selected": {"lambda": 0.01, "gamma": 1.0}})
    assert kept["wavelet delivered"] == "initial (db5)" and kept["best AWD point γ"] == 1.0
    # review 7: both runs kept db5, and each card led with "AWD test R²": the delivered model's score comes first
    models = {"awd": {"test": {"r2": 0.4575}}, "baseline_wavelet": {"test": {"r2": 0.4886}}}
    line = compare.delivered_line({"models": models, "selection": {"choice": "initial", "initial": "db5"},
                                   "wavelet": {"init": "db5", "distance_to_init": 0.3362}})
    assert line == ("Delivered: db5 (cross-validation kept it), test R² 0.489. The learned wavelet, not delivered: "
                    "test R² 0.458; ψ moved 0.336 from db5 (relative L2).")
    line = compare.delivered_line({"models": models, "selection": {"choice": "awd"}, "wavelet": {"init": "db5"}})
    assert line == "Delivered: the AWD student, test R² 0.458; ψ moved — from db5 (relative L2)."


def test_compare_scores_names_and_legend_keep_apart_at_any_width():
    """Review 49: on a phone the upright bars' model names, turned on their side, ran into the legend under the plot
    ("Te", "AV", "Ini…'elet") and the plot was 120 px high. The bars lie horizontally now: the names, in short lines,
    sit left of the plot, the legend above it and the axis's numbers under it; the plot's height grows with the bars,
    not with the names' length."""
    from awd_studio.frontend.figures.compare import BAR_PX, COMPARED_MODELS, NAME_CHARS

    every = {"teacher": {"test": {"r2": 0.794}},
             "models": {m: {"test": {"r2": 0.5 + 0.01 * k}} for k, m in enumerate(COMPARED_MODELS[1:])}}
    for n_runs in (2, 4):
        labels = [f"{letter} · 11a8a14e" for letter in "ABCD"[:n_runs]]
        fig = compare_scores_figure([every] * n_runs, labels)
        layout = fig.layout
        assert [t.orientation for t in fig.data] == ["h"] * n_runs and layout.barmode == "group"
        names = list(fig.data[0].y)
        assert len(names) == len(COMPARED_MODELS)
        assert max(len(line) for name in names for line in name.split("<br>")) <= NAME_CHARS, names
        assert layout.yaxis.automargin and layout.yaxis.autorange == "reversed"  # names left, the teacher on top
        # the legend above the plot (its bottom at the plot's top): nothing of the axes' labels is up there
        assert layout.legend.orientation == "h" and layout.legend.yanchor == "bottom" and layout.legend.y >= 1
        assert layout.xaxis.tickangle is None and layout.xaxis.title.text  # upright numbers, titled, under the plot
        plot_px = layout.height - layout.margin.t - layout.margin.b
        assert plot_px >= BAR_PX * n_runs * len(names)
        assert fig.data[0].text[:2] == ("0.794", "0.500")
        assert layout.xaxis.range is None  # Plotly's own range while every score is above 0
    # a score below 0: its number stands left of its bar, in room the axis keeps there (not on the names)
    worse = {**every, "models": {**every["models"], "awd": {"test": {"r2": -0.42}}}}
    low, high = compare_scores_figure([every, worse], ["A", "B"]).layout.xaxis.range
    assert low < -0.42 - (0.794 + 0.42) / 4 and high == 0.794


def test_the_compare_card_rounds_both_scores_as_the_results_page_does():
    """Review 49: one card said "test R² 0.582" for the delivered model and "test R² 0.5787" for the learned
    wavelet. Both have the results page's three decimals now, and more only where those would hide a difference."""
    compare = page("compare")
    kept = {"selection": {"choice": "initial", "initial": "db5"}, "wavelet": {"init": "db5"}}

    def scores(awd, initial):
        line = compare.delivered_line({**kept, "models": {"awd": {"test": {"r2": awd}},
                                                           "baseline_wavelet": {"test": {"r2": initial}}}})
        return re.findall(r"test R² (\S+?)[.;]?(?: |$)", line)

    assert scores(0.5787, 0.5816) == ["0.582", "0.579"]
    assert all(len(s.split(".")[1]) == 3 for s in scores(0.4575, 0.4886))
    assert scores(0.5816, 0.5824) == ["0.5824", "0.5816"]  # "0.582" twice would read as the same score
    # the scores table prints R² the same way, across the runs of one row
    table = str(compare._scores_table([{"model": "AWD", "r2": [0.5787, 0.61234], "rmse": [0.1, 0.2]},
                                       {"model": "Teacher", "r2": [0.5816, 0.5824], "rmse": [0.1, 0.2]}], ["A", "B"]))
    assert "0.579" in table and "0.612" in table and "0.5787" not in table
    assert "0.5816" in table and "0.5824" in table


def test_the_settings_table_lists_the_input_scaling_once():
    """Review (cosmologist): "Input scaling" was listed twice: the run's scaling as a fact ("input scaling") and the
    job option (``input_scaling``), whose keys differ by an underscore. One row gives the choice and the scaling."""
    compare = page("compare")
    bundle = {"wavelet": {"input_scaling": {"offset": 0.0, "scale": 1.0, "source": "none"}},
              "provenance": {"config": {"input_scaling": "auto"}}}
    facts = [compare.run_facts({"config": {"input_scaling": "auto", "seed": 0}}, bundle)] * 2
    rows = compare.settings_diff(facts)
    shown = [compare.setting_name(name) for name, *_ in rows]  # a fact's name, or an option's words over its name
    words = [w if isinstance(w, str) else w.children[0].children for w in shown]
    assert words.count("Input scaling") == 1, words
    assert facts[0]["input_scaling"] == "auto: none"
    assert compare.run_facts({"config": {"input_scaling": "teacher"}}, {})["input_scaling"] == "teacher"


def test_compare_page_reads_two_runs(service):
    compare = page("compare")
    body = str(run(compare.show([service.job_id, service.job_id])))
    assert "compare-wavelets-graph" in body and "compare-settings" in body and "0 settings differ" in body
    # each option in words, beside the name API users know it by (the table showed grid_preset, start_search alone)
    rows = compare.settings_diff([{"wavelet delivered": "AWD", "grid_preset": "paper", "start_search": 0}] * 2)
    table = str(compare._settings_table(rows, ["A", "B"]))
    assert "'Grid preset'" in table and "Code(children='grid_preset'" in table and "'Random starts searched'" in table
    assert "'Wavelet delivered'" in table  # a fact of the run, not an option: its words alone
    # both tables in one CSV (review 17: the page had no download)
    assert "compare-download" in body and "data:text/csv" in body and ".csv" in body
    text = compare.comparison_csv([{"model": "AWD", "r2": [0.5, 0.5], "rmse": [1.0, 1.0]}],
                                  [("seed", "0", "1", True), ("epochs", "50", "50", False)], ["A", "B"])
    assert text.splitlines() == ["part,name,A,B,differs", "test score,R² AWD,0.5,0.5,no",
                                 "test score,RMSE AWD,1.0,1.0,no", "setting,seed,0,1,yes", "setting,epochs,50,50,no"]
    # an id that is not one says which (review 17: the generic "Pick two finished runs")
    wrong = str(run(compare.show(["junk", service.job_id])))
    assert "“junk” is not a run's id" in wrong
    assert "Pick 2 to 4 finished runs" in str(run(compare.show([service.job_id])))
    # three runs: a column each, in the tables and the CSV (review: a seed sweep could only be compared in pairs)
    three = str(run(compare.show([service.job_id] * 3)))
    assert "C · " in three and "0 settings differ" in three and "R² C · " in three
    text = compare.comparison_csv([{"model": "AWD", "r2": [0.5, 0.5, 0.6], "rmse": [1.0, 1.0, 1.0]}],
                                  compare.settings_diff([{"seed": 0}, {"seed": 0}, {"seed": 1}]), ["A", "B", "C"])
    assert text.splitlines() == ["part,name,A,B,C,differs", "test score,R² AWD,0.5,0.5,0.6,yes",
                                 "test score,RMSE AWD,1.0,1.0,1.0,no", "setting,seed,0,0,1,yes"]
    assert "Pick 2 to 4" in str(run(compare.show([service.job_id] * 5)))


def test_loss_curves_have_whole_epoch_ticks():
    fig = loss_figure({"epoch": [1, 2], "loss": [2.0, 1.0]})
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"
    fig = loss_figure({"epoch": list(range(1, 41)), "loss": [1.0 / e for e in range(1, 41)]})
    assert fig.layout.xaxis.dtick == 5


def test_job_page_hides_cancel_and_time_left_once_ended_and_plots_the_teacher():
    job = page("job")
    v = job.job_view({"state": "cancelled", "fraction": 0.3})
    assert v["eta"] is None and not v["cancellable"] and v["error"] is None  # not a failure (review 27B)
    assert v["notice"] == job.CANCELLED_NOTICE
    # review 27B: the headline read "teacher — lstm epoch 3/80: val MSE ..." (the stage's key, a log line)
    training = job.job_view({"state": "running", "stage": "teacher",
                             "message": "lstm epoch 3/80: validation MSE 0.4 (2 s)"})
    assert training["stage"] == "Training the teacher — lstm epoch 3/80: validation MSE 0.4 (2 s)"
    assert job.job_view({"state": "running", "stage": "something new"})["stage"] == "something new"
    queued = job.job_view({"state": "queued", "stage": "queued", "queued_ahead": 2, "running": 1})
    assert queued["stage"].startswith("Waiting for a worker: 1 job running, 2 queued ahead of this one")
    points = [{"chunk": -1, "epoch": e, "values": {"teacher_train": 1.0 / e, "teacher_val": 1.2 / e}}
              for e in (1, 2, 3)] + [{"chunk": 0, "epoch": 0, "values": {"train_loss": 0.5}}]
    v = job.job_view({"state": "running", "fraction": 0.5, "losses": points})
    assert v["teacher_history"]["epoch"] == [1, 2, 3] and len(v["teacher_history"]["teacher_val"]) == 3
    assert v["history"] == {"epoch": [1], "train_loss": [0.5]} and v["eta"] == "—"


def test_configure_offers_only_the_architectures_of_the_datasets_kind(service):
    cfg = page("configure")
    options = run(cfg.load_options(None))["options"]
    assert cfg.architectures_for(options, "timeseries") == ["lstm", "mlp"]
    assert set(cfg.architectures_for(options, "image")) == {"cnn", "resnet18", "mlp"}
    out = run(cfg.load_teachers({"kind": "timeseries", "shape": [64]}, None, options, None))
    # series: "auto" (train the LSTM and the MLP, keep the better on held-out data) first and preselected
    assert out["options"][0] == {"label": "auto — the better of lstm and mlp", "value": "auto"}
    assert set(o["value"] for o in out["options"] if o["value"] in ("mlp", "lstm", "cnn", "resnet18")) == {"mlp",
                                                                                                         "lstm"}
    assert out["value"] == "auto"
    # maps: auto trains one architecture, so the dropdown preselects it and offers no "auto"
    out = run(cfg.load_teachers({"kind": "image", "shape": [64, 64]}, None, options, None))
    assert out["value"] == "cnn" and "auto" not in [o["value"] for o in out["options"]]
    # no dataset chosen yet: "auto" (chosen for the data, whatever it turns out to be), not the MLP
    out = run(cfg.load_teachers(None, None, options, None))
    assert out["value"] == "auto" and out["options"][0]["label"] == "auto — chosen for the data"
    radio = cfg.weights_architectures({"kind": "timeseries"}, options, "cnn")
    assert [o["value"] for o in radio["options"]] == ["lstm", "mlp"] and radio["value"] == "lstm"
    shown = cfg.toggle_teacher_upload("upload")
    assert "awd-hidden" in shown["builtin"] and "awd-hidden" not in shown["upload"]
    shown = cfg.toggle_teacher_upload("builtin")
    assert "awd-hidden" not in shown["builtin"] and "awd-hidden" in shown["upload"]


def test_jobs_page_lists_uploaded_teachers_and_deletes_one_once_confirmed(service, monkeypatch):
    """Review 9: uploaded weights could be stored but never deleted. The jobs page lists them with the runs that
    used each; Delete asks first (naming what the runs keep) and the teacher goes."""
    import io

    import torch

    from awd_studio.models.teachers import build_teacher

    jobs = page("jobs")
    assert "No uploaded teachers" in str(jobs.teachers_table([], []))
    buffer = io.BytesIO()
    torch.save(build_teacher("mlp", (64,)).state_dict(), buffer)
    teacher = service.client.post("/api/teachers", data={"arch": "mlp", "dataset_id": service.dataset_id,
                                                         "name": "my lab mlp"},
                                  files={"file": ("lab.pt", buffer.getvalue(), "application/octet-stream")}).json()
    drawn = run(jobs.refresh(0, 0, None, []))
    listed = str(drawn["teachers"])
    assert f"jobs-teacher-{teacher['id'][:8]}" in listed and "my lab mlp" in listed and "'64'" in listed, listed
    rows = drawn["rows"]
    rows["jobs"].append({"id": "b" * 8 + "-0000-4000-8000-000000000000", "teacher_id": teacher["id"]})
    pending = {"action": "delete-teacher", "target": teacher["id"]}
    text = jobs.confirm_text(pending, rows)
    assert "“my lab mlp” (mlp)" in text and "The 1 run that used it keeps its results but can no longer be rerun" \
        in text and "cannot be undone" in text, text
    class Ctx:  # the dialog's OK button is what triggered the callback
        triggered_id = jobs.ids.CONFIRM_OK

    monkeypatch.setattr(jobs, "ctx", Ctx)
    done = run(jobs.confirm(1, 0, pending, rows, 0))
    assert done["status"]["children"] == "Deleted the uploaded teacher." and done["version"] == 1
    assert service.client.get(f"/api/teachers/{teacher['id']}").status_code == 404
    assert "No uploaded teachers" in str(run(jobs.refresh(0, 1, None, []))["teachers"])


def test_the_rerun_dialog_of_an_auto_run_says_auto_is_asked_again(service):
    """Review 11: the dialog said "a new lstm teacher" for a run submitted with auto (the rows the page keeps had
    dropped the run's settings)."""
    jobs = page("jobs")
    job = service.client.get(f"/api/jobs/{service.job_id}").json()
    rows = run(jobs.refresh(0, 0, None, []))["rows"]
    kept = next(r for r in rows["jobs"] if r["id"] == service.job_id)
    assert kept["config"] == job["config"]  # what the run asked for reaches the dialog
    kept["config"] = {**kept["config"], "teacher": "auto"}  # (the seeded run names no teacher)
    text = jobs.confirm_text({"action": "rerun", "target": service.job_id}, rows)
    assert "a new teacher chosen by auto (last time: mlp)" in text, text


def test_a_run_whose_uploaded_teacher_was_deleted_offers_no_rerun():
    """Review 12: Rerun was offered, promised "the same uploaded teacher", then failed."""
    jobs = page("jobs")
    gone = {"id": "c" * 8 + "-0000-4000-8000-000000000000", "state": "succeeded", "dataset_id": "d1",
            "dataset_name": "cme", "teacher_id": "t1", "teacher_name": "uploaded (mlp, deleted)", "grid": [1, 2]}
    assert jobs.rerun_blocked(gone, teachers={"t2"}) == "its uploaded teacher was deleted"
    assert jobs.rerun_blocked(gone, teachers={"t1"}) is None  # still stored
    assert jobs.rerun_blocked({**gone, "dataset_name": None}, teachers={"t1"}) == "its dataset was deleted"
    table = str(jobs.jobs_table([gone], teachers=set()))
    assert "'disabled': True" in table.replace('"', "'") or "disabled=True" in table


def test_the_job_page_says_what_the_job_works_on():
    """Review 29B: the job page's headline was its id alone."""
    view = page("job").job_view({"state": "running", "dataset_name": "tracks.csv", "target_name": "productive",
                         "teacher_name": "lstm", "config": {"teacher": "auto"}, "grid": [3, 5]})
    assert view["what"] == "tracks.csv → productive · teacher auto: lstm · grid 3 × 5"


def _children(component) -> list:
    children = getattr(component, "children", None)
    return children if isinstance(children, list) else [] if children is None else [children]


def _words(component) -> str:
    """The text a component shows (its children's strings, depth first)."""
    if isinstance(component, (str, int, float)):
        return str(component)
    return "".join(_words(child) for child in _children(component))


def _body_rows(component) -> list:
    """The ``html.Tr`` of a table's body under ``component``."""
    if type(component).__name__ == "Thead":
        return []
    if type(component).__name__ == "Tr":
        return [component]
    return [row for child in _children(component) for row in _body_rows(child)]


def test_a_job_with_an_uploaded_teacher_says_it_loads_it_and_uses_no_training_options():
    """Review 39A: the page of a job with uploaded weights listed a stage "Training the teacher 9 s" (they are only
    loaded and scored) and "Teacher augmentation: auto" among its settings. With a ``teacher_id`` the stage is
    "Loading the teacher", the teacher is named by its upload, and the options that only shape a teacher the job
    trains say they were not used (greyed); a job that trains its teacher reads as before."""
    job_page = page("job")
    uploaded = {"state": "running", "stage": "teacher", "message": "loading the uploaded teacher mynet.pt2",
                "teacher_id": "t1", "teacher_name": "uploaded: mynet (exported program)",
                "stage_seconds": {"data": 3.0, "teacher": 9.0},
                "config": {"teacher": "auto", "teacher_epochs": None, "teacher_augment": "auto", "seed": 0}}
    view = job_page.job_view(uploaded)
    assert view["stage"] == "Loading the teacher — loading the uploaded teacher mynet.pt2"
    assert [row["words"] for row in view["stages"]][:2] == ["Reading the data", "Loading the teacher"]
    trained = {**uploaded, "teacher_id": None, "teacher_name": "cnn"}
    assert [row["words"] for row in job_page.job_view(trained)["stages"]][1] == "Training the teacher"

    names = job_page.teacher_setting_words(uploaded)
    items, _ = job_page.settings_list(uploaded["config"], "image", {"teacher_augment": "auto"}, names)
    listed = {item.children[0].children[-1].children: item.children[1] for item in items}
    assert _words(listed["teacher"]) == "uploaded: mynet (exported program)"  # not "auto: uploaded: …"
    for name in job_page.TEACHER_TRAINING_OPTIONS:
        assert _words(listed[name]) == job_page.NOT_USED_WORDS and "text-muted" in listed[name].className, name
    items, _ = job_page.settings_list(trained["config"], "image", {"teacher_augment": "dihedral"},
                                      job_page.teacher_setting_words(trained))
    listed = {item.children[0].children[-1].children: item.children[1] for item in items}
    assert _words(listed["teacher"]) == "auto: cnn" and _words(listed["teacher_augment"]) == "auto: dihedral"


def test_an_option_left_unset_reads_alike_on_the_job_and_compare_pages():
    """Review: an option left to the default that the run does not resolve (``patience``: none) read "default" in
    the job page's settings list and "—" in the compare page's settings table. Both say
    :data:`frontend.option_words.UNSET_WORDS` now, the job page greyed."""
    from awd_studio.frontend.option_words import UNSET_WORDS

    compare, job_page = page("compare"), page("job")
    config = {"patience": None, "epochs": None, "seed": 0}
    resolved = {"epochs": 50, "patience": None}
    items, _ = job_page.settings_list(config, "timeseries", resolved)
    listed = {item.children[0].children[-1].children: item.children[1] for item in items}
    assert _words(listed["patience"]) == UNSET_WORDS == "default" and "text-muted" in listed["patience"].className
    assert _words(listed["epochs"]) == "50 (default)" and "text-muted" not in listed["epochs"].className
    facts = [compare.run_facts({"config": config}, {"provenance": {"config": resolved}}) for _ in range(2)]
    rows = compare.settings_diff(facts)
    table = compare._settings_table(rows, ["A", "B"])
    cells = {_words(row.children[0]): [_words(cell) for cell in row.children[1:]] for row in _body_rows(table)}
    assert cells["Early-stopping patience patience"] == [UNSET_WORDS, UNSET_WORDS], cells
    assert cells["Epochs epochs"] == ["50 (default)"] * 2, cells

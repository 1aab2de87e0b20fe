"""`awd reproduce synthetic` (models.reproduce): a tiny run end to end, and the summary's arithmetic."""

import json

import numpy as np
import pytest

from awd_studio.cli import main
from awd_studio.models.filters import filter_distance, lowpass_filter
from awd_studio.models.reproduce import SyntheticConfig, markdown_table, summarize


def test_quick_reproduction_writes_the_table_the_json_and_the_figure(tmp_path, capsys):
    out = tmp_path / "syn"
    assert main(["reproduce", "synthetic", "--out", str(out), "--quick"]) == 0
    printed = capsys.readouterr().out
    assert "| db5+noise |" in printed and "| coif2 |" in printed
    # the quick run's teacher has not learned db5, and the report says so (review 17: it was silent)
    assert "Weak teacher on seed(s) 0" in printed and "--quick trains it briefly" in printed
    for name in ("results.json", "results.md", "starts.png", "starts.svg"):
        assert (out / name).is_file(), name
    result = json.loads((out / "results.json").read_text())
    assert len(result["runs"]) == 3 and set(result["summary"]) == {"db5+noise", "sym5", "coif2"}
    db5 = lowpass_filter("db5")
    for run in result["runs"]:
        distances = np.asarray(run["distances"])
        assert len(distances) == len(run["grid"]) == len(run["filters"]) == 3
        # the paper's selection is the closest grid point, the data-driven one the best cross-validated one
        assert run["paper"]["distance"] == distances.min()
        assert run["data"]["cv_r2"] == max(run["cv_r2"])
        assert run["data"]["distance"] == distances[run["data"]["index"]]
        # the stored distances are the paper's distance of the stored filters
        h = np.asarray(run["filters"][run["paper"]["index"]])
        assert filter_distance(h, db5) == pytest.approx(run["paper"]["distance"], rel=1e-12)
    sym5 = next(r for r in result["runs"] if r["start"] == "sym5")
    assert sym5["start_distance"] == pytest.approx(0.213, abs=1e-3)
    # where the data-driven point's fit began, after the start search (review 26A: the table left it out)
    assert 0 <= sym5["data"]["fit_start_distance"] < 1
    assert "fit began at (after the start search)" in (out / "results.md").read_text()


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match="starts"):
        SyntheticConfig(starts=("haar",)).validate()
    with pytest.raises(ValueError, match="data_mode"):
        SyntheticConfig(data_mode="symmetric").validate()
    with pytest.raises(ValueError, match="epochs"):
        SyntheticConfig(epochs=0).validate()


def test_summary_means_sds_and_shares():
    def run(start, seed, d0, paper, data, cv, cv0):
        return {"start": start, "seed": seed, "start_distance": d0, "paper": {"distance": paper},
                "data": {"distance": data, "cv_r2": cv}, "start_cv_r2": cv0}

    result = {"config": {"starts": ["sym5"], "seeds": [0, 1], "n": 10, "data_mode": "zero", "mode": "zero",
                         "parametrization": "free", "epochs": 1, "lr": 1e-3, "batch_size": 10,
                         "lambdas": [1.0], "gammas": [0.0], "teacher": "mlp"},
              "runs": [run("sym5", 0, 0.2, 0.1, 0.3, 0.5, 0.4), run("sym5", 1, 0.2, 0.3, 0.1, 0.3, 0.4)],
              "teachers": [{"test_r2": 0.9}, {"test_r2": 0.8}], "seconds": 1.0}
    s = summarize(result)["sym5"]
    assert s["paper"]["mean"] == pytest.approx(0.2) and s["paper"]["sd"] == pytest.approx(np.sqrt(0.02))
    assert s["paper_closer"] == 0.5 and s["data_closer"] == 0.5 and s["data_beats_start_cv"] == 0.5
    result["summary"] = summarize(result)
    assert "| sym5 | 0.200 ± 0.000 | 0.200 ± 0.141 | 0.200 ± 0.141 | 50 % / 50 % |" in markdown_table(result)
    assert "Wall time 1.0 s." in markdown_table(result)  # it read "0 s" for short runs
    # one seed: no SD to show; a move within the table's resolution is not "closer" (0.382 -> 0.382 counted)
    one = {**result, "config": {**result["config"], "seeds": [0]},
           "runs": [run("sym5", 0, 0.3820, 0.3816, 0.3816, 0.5, 0.4)], "teachers": [{"test_r2": 0.9}]}
    one["summary"] = summarize(one)
    assert one["summary"]["sym5"]["paper_closer"] == 0.0
    assert "| sym5 | 0.382 | 0.382 | 0.382 | 0 % / 0 % |" in markdown_table(one)


@pytest.mark.parametrize("flag, searched", [([], 50), (["--start-search", "20"], 20), (["--start-search", "0"], 0)])
def test_quick_reproduction_with_and_without_the_start_search(tmp_path, capsys, flag, searched):
    """`--start-search N` reaches every fit (``--quick`` searches 50 starts unless told): the runs record where
    each grid point started, the table says which procedure ran."""
    out = tmp_path / "syn"
    assert main(["reproduce", "synthetic", "--out", str(out), "--quick", "--starts", "sym5", *flag]) == 0
    printed = capsys.readouterr().out
    assert (f"start search of {searched} random orthogonal filters" in printed if searched
            else "no start search (descent from the start alone)" in printed)
    result = json.loads((out / "results.json").read_text())
    assert result["config"]["start_search"] == searched
    (run,) = result["runs"]
    assert len(run["start_choice"]) == len(run["grid"])
    assert all(-1 <= c < 16 for c in run["start_choice"])  # -1: sym5 itself, else an end point of one of two searches
    if not searched:  # every fit began at sym5 itself
        assert run["data"]["fit_start_distance"] == pytest.approx(run["start_distance"], rel=1e-6)  # float32 fit
        assert "fit began at" not in printed


def test_quick_reproduction_keeps_a_grid_given_on_the_command_line(tmp_path, capsys):
    """Review 48 (claims audit): ``--quick`` replaced ``--lambdas`` and ``--gammas`` with its own 1 x 3 grid."""
    out = tmp_path / "syn"
    assert main(["reproduce", "synthetic", "--out", str(out), "--quick", "--starts", "sym5", "--gammas", "0,0.1",
                 "--start-search", "0"]) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["config"]["gammas"] == [0.0, 0.1] and result["config"]["lambdas"] == [1e-5]
    (run,) = result["runs"]
    assert len(run["grid"]) == 2

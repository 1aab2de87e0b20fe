"""The gradient-path comparison of the science benchmark: its cases differ only in the path, and its report
states the numbers and the conclusion the stored runs support."""

import numpy as np

from awd_studio.models.filters import lowpass_filter
from bench.science import gradient_paths as gp
from bench.science.__main__ import CASE_CONFIG, CASES, DATA_OF


def _run(case, seed, path_shift, cpu):
    """A stored run of the small grid whose filters and scores move with ``path_shift``."""
    gammas = gp.SMALL_GRID["gammas"]
    h_init = lowpass_filter("db5")
    grid = [{"lambda": 7e-4, "gamma": g, "cv_score": 0.5 + 0.01 * i + path_shift, "test_r2": 0.4 + 0.01 * i
             + path_shift, "h": (h_init + path_shift * (g > 0)).tolist()} for i, g in enumerate(gammas)]
    return {"case": case, "seed": seed, "grid": grid, "selected": {"index": 3}, "wall_seconds": 10.0,
            "cpu_seconds": cpu, "models": {"awd": {"r2": grid[3]["test_r2"]}}, "selection": {"cv_gain": 0.01}}


def test_pairs_differ_only_in_the_gradient_path():
    for eq8, straight, _ in gp.PAIRS:
        assert eq8 in CASES and straight in CASES and DATA_OF[eq8] == DATA_OF[straight] == "cme"
        a, b = dict(CASE_CONFIG[eq8]), dict(CASE_CONFIG[straight])
        assert (a.pop("gradient_path"), b.pop("gradient_path")) == ("eq8", "straight_through")
        assert a == b
    assert CASE_CONFIG["cme_eq8_small"]["gammas"] == [0.0, 1e-3, 1e-2, 1e-1]


def test_filter_distance_is_relative_to_the_first_filter():
    assert gp.filter_distance([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert np.isclose(gp.filter_distance([3.0, 4.0], [3.0, 5.0]), 0.2)


def test_report_gives_each_seed_and_the_mean_difference():
    rows = [_run("cme_eq8_small", s, 0.0, 100.0) for s in (0, 1, 2)]
    rows += [_run("cme_straight_small", s, d, 300.0) for s, d in zip((0, 1, 2), (0.001, -0.002, 0.0005))]
    by_case = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r)
    text = "\n".join(gp.report_lines(by_case))
    assert "| 0 | eq8 | 0.1 | 0.4300 |" in text and "| 1 | straight_through | 0.1 | 0.4280 |" in text
    assert "test R² at the largest γ (where the two gradients differ most) +0.0002 ± 0.0016 (SD)" in text
    assert "no difference beyond the seed spread" in text
    # a path that wins on every seed by far more than the spread is named
    clear = gp.verdict_sentence([0.05, 0.06, 0.055], [0.01, 0.02, 0.01])
    assert clear.startswith("Conclusion: eq8 gave better wavelets")


def test_section_replaces_only_its_own_markers(tmp_path):
    out = tmp_path / "SCIENCE.md"
    out.write_text(f"# head\n\n{gp.BEGIN}\nold\n{gp.END}\n\n## tail\n")
    rows = [_run("cme_eq8_small", 0, 0.0, 1.0), _run("cme_straight_small", 0, 0.01, 2.0)]
    gp.write_section(rows, out)
    text = out.read_text()
    assert text.startswith("# head\n") and text.endswith("## tail\n") and "old" not in text
    assert "| 0 | straight_through | 0.1 | 0.4400 |" in text

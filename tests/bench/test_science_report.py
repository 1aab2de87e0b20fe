"""Rewriting bench/SCIENCE.md from stored runs keeps what other hands wrote: the dated by-hand sections and the
sections other scripts own, each between its markers."""

from bench.science.report import kept_blocks, write_report

OLD = """# The science benchmark: does distillation earn its place?

Written by an older run.

<!-- by-hand:begin -->
## 2026-12-02: a measurement made by hand

| a | b |
|---|---|
| 1 | 2 |
<!-- by-hand:end -->

## Lensing-like maps: an old generated section

<!-- gradient-paths:begin -->
## Which gradient path: the old numbers
<!-- gradient-paths:end -->

<!-- scattering-student:begin -->
## Scattering student (option `student: scattering`)
kept as it is
<!-- scattering-student:end -->
"""


def test_kept_blocks_are_the_marked_blocks():
    kept = kept_blocks(OLD)
    assert list(kept) == ["by-hand", "gradient-paths", "scattering-student"]
    assert kept["by-hand"].startswith("<!-- by-hand:begin -->\n## 2026-12-02")
    assert kept["by-hand"].endswith("| 1 | 2 |\n<!-- by-hand:end -->")
    assert "kept as it is" in kept["scattering-student"]
    assert kept_blocks("no markers at all") == {}


def test_a_rewrite_keeps_the_by_hand_and_foreign_blocks_and_replaces_the_rest(tmp_path):
    out = tmp_path / "SCIENCE.md"
    out.write_text(OLD)
    write_report([], out)
    new = out.read_text()
    blocks = kept_blocks(OLD)
    assert blocks["by-hand"] in new and blocks["scattering-student"] in new
    assert new.index("<!-- by-hand:begin -->") < new.index("## Every run") < new.index("<!-- scattering-student")
    assert "Written by an older run" not in new and "an old generated section" not in new
    assert blocks["gradient-paths"] in new  # no stored gradient-path runs: the old section stays
    write_report([], out)  # a second rewrite changes nothing
    assert out.read_text() == new


def test_stored_gradient_path_runs_replace_the_old_section(tmp_path):
    from tests.bench.test_gradient_paths_report import _run

    rows = [_run("cme_eq8_small", s, 0.0, 100.0) for s in (0, 1, 2)]
    rows += [_run("cme_straight_small", s, d, 300.0) for s, d in zip((0, 1, 2), (0.001, -0.002, 0.0005))]
    for row in rows:  # what the table of every run reads
        row["models"]["awd"]["beats_mean"] = True
        row["selection"]["cv_gain_se"] = 0.005
        row["verdict"] = {"choice": "awd", "text": "a verdict", "test_difference": {
            "metric": "r2", "estimate": 0.01, "low": 0.0, "high": 0.02}}
    out = tmp_path / "SCIENCE.md"
    out.write_text(OLD)
    write_report(rows, out)
    new = out.read_text()
    assert "the old numbers" not in new and new.count("<!-- gradient-paths:begin -->") == 1
    assert kept_blocks(OLD)["by-hand"] in new

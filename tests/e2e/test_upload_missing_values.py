"""A spreadsheet whose traces ended early, in a browser: the refusal names the cells by column header and track,
offers to leave those rows out, and the preview then says which rows went (review 11), and that the label columns
after the traces are targets, not more time points (review 13)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.e2e.conftest import console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]


#: The upload's remedies as the page's buttons say them (frontend/pages/home.py).
DROP = "Leave out the rows with missing values and upload again"
PAD = "Fill the ends with zeros (traces that ended early) and upload again"
BOTH = "Fill the ended traces with zeros, leave out the other rows and upload again"
#: The upload's fields as the API spells them.
API_NAMES = re.compile(r"drop_incomplete|pad_ends|\btile:|body\.")


def _x_titles(page, graph: str) -> list[str]:
    """The x axis titles of a drawn plotly graph, as the browser shows them."""
    page.locator(f"{graph} .xtitle").first.wait_for()
    return page.locator(f"{graph} .xtitle").all_text_contents()


def test_rows_with_missing_values_can_be_left_out_from_the_upload_page(web_server, owner_context, tmp_path,
                                                                       screenshot):
    rng = np.random.default_rng(7272)
    X = rng.normal(size=(60, 24))
    rows = [";".join(["track_id"] + [f"t={2 * i}s" for i in range(24)] + ["productive", "auxilin_peak"])]
    rows += [";".join([f"trk{i:04d}"] + [f"{v:.6f}".replace(".", ",") for v in X[i]]
                      + [str(int(X[i, 5:9].sum() > 0)), f"{X[i, 5:9].sum():.6f}".replace(".", ",")]) for i in range(60)]
    for i in (4, 11, 30):  # traces that ended early: blank trailing cells, the target still there
        cells = rows[i + 1].split(";")
        rows[i + 1] = ";".join(cells[:-6] + [""] * 4 + cells[-2:])
    path = tmp_path / "ended_early.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(rows)).encode("utf-8"))  # Excel's: a BOM and CRLF

    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(web_server + "/")
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(path))
    page.wait_for_function("(() => { const e = document.querySelector('#home-error');"
                           " return e && e.innerText.includes('blank cells'); })()")
    said = page.inner_text("#home-error")
    assert "12 blank cells, in 3 rows" in said and "line 6 (trk0004), column 22 “t=40s”" in said, said
    # the remedies named as the page names them, not as the API's fields (review: "the upload field
    # drop_incomplete=true or pad_ends=true")
    assert f"the buttons “{DROP}” or “{PAD}” under this message" in said, said
    assert not API_NAMES.search(said), said
    button = page.locator("#home-drop-incomplete")
    button.wait_for(state="visible")
    screenshot(page, "upload-missing-01-refused")
    button.click()
    page.locator("#home-preview-card").wait_for()
    dropped = page.inner_text("#home-preview-dropped")
    assert "Left out 3 of 60 (5 %) rows with missing values" in dropped and "line 13 (trk0011)" in dropped, dropped
    card = page.inner_text("#home-preview-card")
    assert "57 series" in card and "24 time points" in card, card
    assert _x_titles(page, "#home-preview-graph") == ["time (s)"]  # t=0s, t=2s, …: "t (s)" in words
    rule = page.inner_text("#home-preview-target-rule")
    assert "“productive”, “auxilin_peak” are not time points like the 24 others" in rule, rule
    page.locator("#home-error").wait_for(state="hidden", timeout=10_000)  # closed, then faded out
    assert button.is_hidden()
    screenshot(page, "upload-missing-02-preview")
    assert [e for e in errors if "status of 422" not in e] == [], errors


def test_traces_padded_with_nan_can_be_filled_with_zeros(web_server, owner_context, tmp_path, screenshot):
    """Review 18: traces of different lengths written with NaN after their end (pandas, MATLAB) got no button
    although the error said the page offered one, and leaving the rows out lost most of the file. Both remedies
    are offered; filling keeps every trace."""
    rng = np.random.default_rng(7373)
    X = rng.normal(size=(40, 20))
    lengths = rng.integers(8, 21, size=40)
    rows = [",".join(["track_id"] + [f"t{i}" for i in range(20)] + ["target"])]
    for i in range(40):
        cells = [f"{v:.5f}" if k < lengths[i] else "NaN" for k, v in enumerate(X[i])]
        rows.append(",".join([f"trk{i}"] + cells + [f"{X[i, :4].sum():.5f}"]))
    path = tmp_path / "nan_padded.csv"
    path.write_text("\n".join(rows) + "\n")
    ended = int((lengths < 20).sum())

    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(web_server + "/")
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(path))
    page.wait_for_function("(() => { const e = document.querySelector('#home-error');"
                           " return e && e.innerText.includes('missing values'); })()")
    assert "upload page offers both" in page.inner_text("#home-error")
    fill = page.locator("#home-pad-ends")
    fill.wait_for(state="visible")
    assert page.locator("#home-drop-incomplete").is_visible()
    screenshot(page, "upload-missing-03-nan-refused")
    fill.click()
    page.locator("#home-preview-card").wait_for()
    filled = page.inner_text("#home-preview-padded")
    assert f"Filled the ends of {ended} of 40 traces that ended early with zeros" in filled, filled
    assert f"the shortest had {lengths.min()} of 20 values" in filled, filled
    assert "40 series" in page.inner_text("#home-preview-card")
    page.locator("#home-error").wait_for(state="hidden", timeout=10_000)  # closed, then faded out
    assert fill.is_hidden()
    # columns t0 … t19 give the axis a name without a unit: drawn as "time (frames)", as other series are (review:
    # the preview's axis read "t")
    assert _x_titles(page, "#home-preview-graph") == ["time (frames)"]
    screenshot(page, "upload-missing-04-filled")
    assert [e for e in errors if "status of 422" not in e] == [], errors


def test_an_npz_of_traces_padded_with_nan_can_be_filled_with_zeros(web_server, owner_context, tmp_path, screenshot):
    """Review 43A: the same traces as an .npz (NaN after each trace's end, as tracking tools export them) were
    refused with no button, although the CSV got both. The array file's refusal offers them, in the page's words."""
    rng = np.random.default_rng(7474)
    X = rng.normal(size=(40, 20))
    lengths = rng.integers(8, 21, size=40)
    X[np.arange(20)[None, :] >= lengths[:, None]] = np.nan
    path = tmp_path / "tracks.npz"
    np.savez(path, X=X, y=np.nan_to_num(X[:, :4]).sum(axis=1))
    ended = int((lengths < 20).sum())

    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(web_server + "/")
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(path))
    page.wait_for_function("(() => { const e = document.querySelector('#home-error');"
                           " return e && e.innerText.includes('end early'); })()")
    said = page.inner_text("#home-error")
    assert f"{ended} of 40 samples end early" in said and not API_NAMES.search(said), said
    fill = page.locator("#home-pad-ends")
    fill.wait_for(state="visible")
    assert page.locator("#home-drop-incomplete").is_visible()
    screenshot(page, "upload-missing-03b-npz-refused")
    fill.click()
    page.locator("#home-preview-card").wait_for()
    filled = page.inner_text("#home-preview-padded")
    assert f"Filled the ends of {ended} of 40 traces that ended early with zeros" in filled, filled
    assert "40 series" in page.inner_text("#home-preview-card")
    # the refusal closes with the preview's callback, then fades out (Bootstrap's alert): waited for, not raced
    page.locator("#home-error").wait_for(state="hidden", timeout=10_000)
    assert fill.is_hidden()
    assert [e for e in errors if "status of 422" not in e] == [], errors


def test_ended_traces_filled_and_rows_with_gaps_left_out_with_one_button(web_server, owner_context, tmp_path,
                                                                          screenshot):
    """Cell biologist's review: a file with traces that ended early and a few rows with a gap inside a trace or no
    target could be used only after editing it by hand ("Fill the ends" refused the gaps, "Leave out the rows" lost
    every ended trace). The refusal offers both at once; the dataset is stored, its preview saying both."""
    rng = np.random.default_rng(7575)
    X = rng.normal(size=(50, 20))
    cells = [["track_id"] + [f"t{i}" for i in range(20)] + ["y"]]
    cells += [[f"trk{i:03d}"] + [f"{v:.5f}" for v in X[i]] + [f"{X[i, :4].sum():.5f}"] for i in range(50)]
    for i, n in ((3, 12), (8, 15), (21, 9), (33, 17)):  # traces that ended early, blank after their last value
        cells[i + 1][1 + n:21] = [""] * (20 - n)
    cells[14][7] = ""  # line 15: a gap inside a trace
    cells[40][21] = "NaN"  # line 41: no target
    path = tmp_path / "plate_both.csv"
    path.write_text("\n".join(",".join(row) for row in cells) + "\n")

    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    said = _refused(page, web_server, path)
    assert f"the button “{DROP}”" in said and f"the button “{BOTH}”" in said, said
    assert "filling the ends alone cannot help here" in said and not API_NAMES.search(said), said
    # the cells filling cannot complete are named first: the rows that would be left out
    assert "29 missing values (blank, NaN or NA), in 6 rows: line 15 (trk013), column 8 “t6” holds nothing; line 41 " \
           "(trk039), column 22 “y” holds 'NaN'; line 5 (trk003)" in said, said
    both = page.locator("#home-pad-and-drop")
    both.wait_for(state="visible")
    assert both.inner_text() == BOTH
    assert page.locator("#home-drop-incomplete").is_visible() and page.locator("#home-pad-ends").is_hidden()
    screenshot(page, "upload-missing-05-both-refused")
    both.click()
    page.locator("#home-preview-card").wait_for()
    dropped = page.inner_text("#home-preview-dropped")
    assert "Left out 2 of 50 (4 %) rows with missing values, as asked: line 15 (trk013), line 41 (trk039)" in dropped, \
        dropped
    assert "The traces that merely ended early were kept" in dropped and "population" not in dropped, dropped
    filled = page.inner_text("#home-preview-padded")
    assert "Filled the ends of 4 of 48 traces that ended early with zeros" in filled, filled
    assert "the shortest had 9 of 20 values" in filled and "line 5 (trk003)" in filled, filled
    assert "48 series" in page.inner_text("#home-preview-card")
    page.locator("#home-error").wait_for(state="hidden", timeout=10_000)  # closed, then faded out
    assert both.is_hidden()
    assert "Uploaded plate_both.csv" in page.inner_text("#home-upload-status")
    screenshot(page, "upload-missing-06-both-stored")
    # the dataset stored says both, as the API gives it
    meta = page.evaluate("fetch('/api/datasets').then(r => r.json())")["data"][0]["summary"]["meta"]
    assert meta["dropped_rows"]["count"] == 2 and meta["padded_rows"]["count"] == 4, meta
    assert [e for e in errors if "status of 422" not in e] == [], errors


def _refused(page, web_server, path, tile: int | None = None) -> str:
    """Upload ``path`` from the home page (with a tile size), and the error it shows."""
    page.goto(web_server + "/")
    page.locator("#home-dropzone").wait_for()
    if tile:
        page.fill("#home-tile-size", str(tile))
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(path))
    page.wait_for_function("(() => { const e = document.querySelector('#home-error');"
                           " return e && e.innerText.includes('failed'); })()")
    return page.inner_text("#home-error")


def test_a_refused_upload_names_the_pages_fields_not_the_apis(web_server, owner_context, tmp_path, screenshot):
    """Review: a refusal named the API's fields to a browser user ("(drop_incomplete=true)", "tile: applies to
    maps"). It says the page's words for them, the rest of the server's message as it was; a trace with a gap is
    offered the one remedy that can help (review 38: "fill the ends" was offered, and refused on the second try)."""
    rng = np.random.default_rng(7474)
    cells = [[f"t{i}" for i in range(24)] + ["y"]]
    cells += [[f"{v:.5f}" for v in x] + [f"{x[:3].sum():.5f}"] for x in rng.normal(size=(40, 24))]
    whole, path = tmp_path / "whole.csv", tmp_path / "gap.csv"
    whole.write_text("\n".join(",".join(row) for row in cells) + "\n")
    cells[5][10] = ""  # line 6: a blank cell inside the trace
    path.write_text("\n".join(",".join(row) for row in cells) + "\n")
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    said = _refused(page, web_server, path)
    assert "column 11 “t10” holds nothing" in said and f"(the button “{DROP}”; " in said, said
    assert PAD not in said and "cannot help here" in said, said  # a gap before the trace's end is not filled
    assert not API_NAMES.search(said), said
    page.locator("#home-drop-incomplete").wait_for(state="visible")
    assert page.locator("#home-pad-ends").is_hidden()  # only leaving the row out can help
    assert page.locator("#home-pad-and-drop").is_hidden()  # no trace ended early: nothing to fill
    screenshot(page, "upload-refused-in-the-pages-words")
    page.click("#home-error .btn-close")  # closing the message closes its offer: the buttons answer it
    page.locator("#home-missing-remedies").wait_for(state="hidden")
    page.locator("#home-error").wait_for(state="hidden")  # after its fade
    said = _refused(page, web_server, whole, tile=32)  # maps only: named by the field's label
    assert "failed: “Maps: tiles of … px”: applies to maps, and this file holds time series" in said, said
    assert not API_NAMES.search(said), said
    assert [e for e in errors if "status of 422" not in e] == [], errors

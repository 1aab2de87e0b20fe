"""Delimited text (``.csv``, ``.tsv``, ``.txt``): one row per series, the target column(s) named or last.

The delimiter is a tab for ``.tsv``; a semicolon or a tab when every one of the first lines has one, but for lines
above them without it (then a comma inside a number is its decimal mark, ``0,25``: Excel's exports where the comma
is the decimal mark); else a comma, a tab, or white space. The text is UTF-8 (with or without a byte-order mark)
or, failing that, Windows-1252
(Excel's plain "CSV" on Windows), or UTF-16 with a byte-order mark, either byte order (Excel's "Unicode Text",
tab-separated). A first row that is not
all numbers is the header; target columns are named ``y``/``target`` or ``y_<name>``/``target_<name>``. When the
other columns' names are time points (``t0 … t39``, ``t=0s …``) but for a few, those few are targets too
(:func:`off_axis_columns`, ``meta["targets_off_axis"]``): a spreadsheet's label column after the traces is not one
more sample. Without either, the last column is the target (``meta["target_is_last_column"]``). Lines starting
with ``#`` (but for a spreadsheet's ``#N/A`` or ``#DIV/0!`` in the first cell) and blank lines are skipped. A cell
holding ``NaN``, ``NA``, ``#N/A``, a lone ``-`` or ``?``, … (:data:`MISSING_MARKS`) is a missing value, like a blank
one; one holding a spreadsheet's error value, written when a formula failed (``#DIV/0!``, ``#VALUE!``, ``#REF!``,
``#NUM!``, …), is refused, naming it. Refused rather than misread, naming lines and cells: numbers that may carry
thousands separators (``3.419`` beside decimal commas, ``3,419`` with no other decimal comma, quoted ``1,921.30``;
:func:`_refuse_ambiguous_separators` gives the rule), decimal commas in a comma-separated file, a table whose numbers
are written with a % sign or a unit, lines of one field above the table (an instrument's notes), and summary rows
(``Mean``, ``SD``, … in a text column, :data:`SUMMARY_ROW_NAMES`).

Identifier columns are left out of the series and named in the dataset's ``meta["ignored_columns"]``: a column whose
every data cell is text (a track or cell name; but one after columns named as time points, when no column is named
a target, is refused with how to code it as a number: a label such as yes/no), and, when there is a header, a
column named ``id``, ``index``,
``<something>_id`` or ``Unnamed: <k>``, or with an empty name (the row index pandas writes first), and, when there
is a header, a column of numbers that number the rows (distinct whole numbers forming a run, sorted or 1..n / 0..n-1
in any order: a track's number; or, in at least 20 rows, distinct and in order with gaps, or whole numbers under a
name such as ``cell``, ``Track``, ``ROI #``: each series' number) before the series (before the first time point the
names give, else the first column) and not named a target (:func:`numbered_columns`, also in
``meta["numbered_columns"]``; to keep one as a target, name it ``y``, ``target`` or ``y_<name>``). Without a
header, a first column that is the rows' index, exactly
0 … n-1 or 1 … n down the rows (pandas' ``to_csv(header=False)``), is left out so too, named ``column 1``
(:func:`index_column`). Every other cell must be a number. Without a header, a first row that is numbers (or missing
values, written as such or left blank) except in the text columns is data (``meta["no_header"]``); a blank first
cell over a column of whole numbers is the empty name pandas gives its index column, in a header (:func:`_is_header`).

A table of one series per column and one time point per row is refused, with how to transpose it, when no column is
named a target: its columns named as series (``cell0 … cell40``, ImageJ's ``Mean1 …``: :data:`SERIES_WORDS`), a
first column named as a time axis (``t``, ``Time (s)``, ``frame``) increasing down the rows beside columns that name
no time points, or a row named ``y`` holding the targets (:func:`_refuse_series_per_column`). Read as rows, it gave
one series per time point and a cell's trace for the target. Without a header it cannot be told, and is read by rows.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import indexes_the_rows, numbers_the_rows, too_big
from awd_studio.models.data.readers.detect import UTF16_BOMS
from awd_studio.models.validation import DEFAULT_MIN_LENGTH, InputError

__all__ = ["load_csv", "read_table", "Table", "target_columns", "sample_axis", "off_axis_columns", "csv_targets",
           "fill_ended_series", "unfillable_rows", "keep_fillable_rows", "series_column_words", "TARGET_NAMES",
           "PAD_AND_DROP", "offered_remedies", "refuse_missing_targets", "listed_rows"]

#: A header's names of a target column: one of these, or one of them, ``_`` and the target's own name (``y_auxilin``).
TARGET_NAMES = ("y", "target")


#: Cells that are not numbers named in one error, at most (the count says how many more).
NAMED_BAD_CELLS = 5


#: What a spreadsheet writes for a missing value (lower case); cells holding one are missing, like blank ones. A lone
#: ``-`` or ``?`` is one too (a dash is a minus sign only before digits: ``-5`` is a number, ``- 5`` text). Excel's
#: ``#N/A`` is what its NA() writes on purpose; its other error values are refused (:data:`_FORMULA_ERROR`).
MISSING_MARKS = ("", "nan", "na", "n/a", "#n/a", "null", "none", "-nan", "-", "?")

#: What each of a spreadsheet's error values says went wrong (upper case), for the refusal: written when a formula
#: failed (Excel's, Google Sheets' and LibreOffice's), they are no missing value but a broken computation.
FORMULA_ERROR_WORDS = {"#DIV/0!": "a division by zero", "#VALUE!": "a value of the wrong type in the formula",
                       "#REF!": "a reference to a deleted cell", "#NUM!": "a number out of range (e.g. the square "
                       "root of a negative)", "#NAME?": "a misspelled function or name", "#NULL!": "ranges that do "
                       "not intersect", "#SPILL!": "a result with no room to spill", "#CALC!": "a calculation "
                       "error", "#ERROR!": "a formula error"}

#: A cell holding one of :data:`FORMULA_ERROR_WORDS`' error values or LibreOffice's ``Err:502``: refused naming the
#: cells (:func:`_refuse_formula_errors`), never read as missing.
_FORMULA_ERROR = re.compile(r"^\s*(?:" + "|".join(map(re.escape, FORMULA_ERROR_WORDS)) + r"|Err:\d{3})\s*$",
                            re.IGNORECASE)

#: How to leave out the rows with missing values of a dataset, or fill the ends of traces that ended early (the
#: remedies of a refused blank cell; the upload page shows its buttons when an error says "the upload page offers").
DROP_INCOMPLETE_HINT = ("or leave out the rows with missing values, or, for traces that ended early, fill each one's "
                        "end after its last value with zeros (the upload page offers both; the upload field "
                        "drop_incomplete=true or pad_ends=true; awd distill --drop-incomplete or --pad-ends)")

#: The upload options :data:`DROP_INCOMPLETE_HINT` names (an error's ``remedies``: the buttons the upload page shows).
DROP_INCOMPLETE_REMEDIES = ("drop_incomplete", "pad_ends")

#: Both upload options together, as one remedy (an error's ``remedies``: the upload page's button "Fill the ended
#: traces and leave out the other rows"): fill the ends of the traces that ended early with zeros, and leave out the
#: rows that still have a missing value (a gap inside a trace, a missing target, a row without any value, text).
PAD_AND_DROP = "pad_ends+drop_incomplete"

#: How :data:`PAD_AND_DROP` is said in an error (``awd.js`` says "the upload fields … with …" as the page's button).
PAD_AND_DROP_WORDS = ("fill the ends of the traces that ended early with zeros and leave out only the rows that still "
                      "have a missing value (the upload fields pad_ends=true with drop_incomplete=true; awd distill "
                      "--pad-ends --drop-incomplete)")

#: :data:`DROP_INCOMPLETE_HINT` for a file with traces that ended early and also other missing values (a gap inside a
#: trace, a missing target, a cell that is not a number): filling the ends alone cannot let it through, filling them
#: and leaving out the other rows can.
PAD_AND_DROP_HINT = ("or leave out the rows with missing values (drop_incomplete=true; awd distill --drop-incomplete), "
                     f"or {PAD_AND_DROP_WORDS}; filling the ends alone cannot help here, as not every cell named is a "
                     "missing value after its trace's last value (a gap inside a trace, or a missing target): to "
                     "keep those rows, fill them in first (e.g. interpolate the gaps)")

#: How a refusal names the option that leaves rows with missing values out, for the upload and both commands
#: (review 42B: a terminal user of awd predict was told "drop_incomplete=true", the upload's field, alone).
DROP_INCOMPLETE_NAMES = "instead (drop_incomplete=true; --drop-incomplete for awd distill and awd predict)"
#: :data:`DROP_INCOMPLETE_HINT` for a file whose missing values are not all at the ends of traces (a gap inside
#: one, a missing target, a cell that is not a number) and where no trace merely ended early: filling the ends
#: cannot let it through, with or without leaving rows out.
DROP_ONLY_HINT = ("or leave out the rows with missing values (drop_incomplete=true; awd distill "
                  "--drop-incomplete); filling the ends of traces that ended early cannot help here, as not every "
                  "cell named is a missing value after its trace's last value (a gap inside a trace, or a missing "
                  "target): to keep those rows, fill them in first (e.g. interpolate the gaps)")


def _ended_rows(bad: list[tuple[int, int, str]], series: list[int]) -> tuple[set[int], set[int]]:
    """The rows of the cells ``bad`` (row, column, text) whose every such cell is a missing value (blank, or one of
    :data:`MISSING_MARKS`) of the ``series`` columns after the row's last value (traces that ended early, which
    :func:`fill_ended_series` fills), and the other rows (a gap inside a trace, a missing target, a row without any
    value, a cell holding text).

    Examples
    --------
    >>> _ended_rows([(0, 3, ""), (0, 2, "NaN"), (4, 1, ""), (5, 4, "")], [0, 1, 2, 3])
    ({0}, {4, 5})
    >>> _ended_rows([(0, 3, ""), (0, 2, "NaN"), (4, 3, "")], [0, 1, 2, 3])  # every cell an ended trace's
    ({0, 4}, set())
    """
    position = {j: k for k, j in enumerate(series)}
    missing: dict[int, set[int]] = {}
    other = set()
    for i, j, text in bad:
        if j not in position or text.strip().lower() not in MISSING_MARKS:
            other.add(i)
        else:
            missing.setdefault(i, set()).add(position[j])
    n = len(series)
    ended = {i for i, cells in missing.items()
             if i not in other and len(cells) < n and cells == set(range(n - len(cells), n))}
    return ended, {i for i, _, _ in bad} - ended


def _offered(bad: list[tuple[int, int, str]], series: list[int] | None, drop_hint: str,
             remedies: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The hint and the remedies of a refusal for the cells ``bad``: ``pad_ends`` only when they are the ends of
    traces that ended early in the ``series`` columns (:func:`_ended_rows`; None: not known, as offered), and the
    datasets' hint (:data:`DROP_INCOMPLETE_HINT`) then without it (:data:`DROP_ONLY_HINT`). Review 38: a blank
    inside a trace offered "fill the ends with zeros", refused on the second try. When some rows merely ended early
    and others have another missing value, the datasets' refusal offers both together (:data:`PAD_AND_DROP`, said by
    :data:`PAD_AND_DROP_HINT`): the ended traces filled, the other rows left out.

    Examples
    --------
    >>> _offered([(0, 3, ""), (1, 1, "")], [0, 1, 2, 3], DROP_INCOMPLETE_HINT, DROP_INCOMPLETE_REMEDIES)[1]
    ('drop_incomplete', 'pad_ends+drop_incomplete')
    >>> _offered([(1, 1, "")], [0, 1, 2, 3], DROP_INCOMPLETE_HINT, DROP_INCOMPLETE_REMEDIES)[1]
    ('drop_incomplete',)
    """
    if "pad_ends" not in remedies or series is None:
        return drop_hint, remedies
    ended, other = _ended_rows(bad, series)
    return offered_remedies(bool(ended), bool(other), drop_hint, remedies)


def offered_remedies(any_ended: bool, any_other: bool, drop_hint: str = DROP_INCOMPLETE_HINT,
                     remedies: tuple[str, ...] = DROP_INCOMPLETE_REMEDIES) -> tuple[str, tuple[str, ...]]:
    """The hint and the remedies of a refusal of missing values, from whether some rows merely ended early
    (``any_ended``: every missing value of the row after its last value) and whether some have another missing value
    (``any_other``: a gap inside a trace, a missing target, no value, text). The rule of :func:`_offered`, shared by
    the text reader (cells) and the array readers (:mod:`models.data.readers.missing`, NaN in ``X`` and ``y``).

    Parameters
    ----------
    any_ended, any_other : bool
    drop_hint : str, default=DROP_INCOMPLETE_HINT
        The refusal's hint when filling the ends can let every row through.
    remedies : tuple of str, default=DROP_INCOMPLETE_REMEDIES
        The upload options offered then.

    Returns
    -------
    hint : str
    remedies : tuple of str

    Examples
    --------
    >>> offered_remedies(True, False)[1], offered_remedies(True, True)[1], offered_remedies(False, True)[1]
    (('drop_incomplete', 'pad_ends'), ('drop_incomplete', 'pad_ends+drop_incomplete'), ('drop_incomplete',))
    """
    if not any_other:
        return drop_hint, remedies
    without = tuple(r for r in remedies if r != "pad_ends")
    if any_ended and drop_hint == DROP_INCOMPLETE_HINT:
        return PAD_AND_DROP_HINT, (*without, PAD_AND_DROP)
    return DROP_ONLY_HINT if drop_hint == DROP_INCOMPLETE_HINT else drop_hint, without


def _parse_rows(rows: list[list[str]], keep: list[int], lines: list[int], header: list[str] | None = None,
                row_names: list[str] | None = None, drop_incomplete: bool = False,
                drop_hint: str = DROP_INCOMPLETE_HINT, keep_missing: bool = False,
                remedies: tuple[str, ...] = DROP_INCOMPLETE_REMEDIES,
                series: list[int] | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The cells ``keep`` of every row as float64, or an InputError naming every cell that is not a number (the
    first :data:`NAMED_BAD_CELLS` by line of the file, column and content, and how many cells and rows in all: one
    at a time took a round trip per missing value). ``lines``: each row's line number in the file; ``header``: the
    columns' names and ``row_names`` each row's identifier (its first text column), named beside the numbers so
    that the cell can be found in a spreadsheet. With ``drop_incomplete`` such rows are left out instead, and
    named in the second value returned (``"line 7 (trk0005)"``); the third is the rows kept, by index.
    ``drop_hint``: how the reader's caller leaves such rows out, for the error's remedy, and ``remedies`` the upload
    options it names (:class:`~models.validation.InputError`'s; ``pad_ends`` among them only when the cells refused
    are the ends of traces that ended early in the ``series`` columns, :func:`_offered`). With ``keep_missing``
    a missing value (a blank cell or one of :data:`MISSING_MARKS`) is NaN in the data, for the caller to fill;
    other cells that are not numbers are still refused."""
    data = np.empty((len(rows), len(keep)), dtype=np.float64)
    bad, kept_missing = [], []  # the cells refused; the missing values kept as NaN (for the remedies offered)
    for i, r in enumerate(rows):
        for k, j in enumerate(keep):
            try:
                value = float(r[j])
            except ValueError:
                value = math.nan
            if math.isfinite(value):
                data[i, k] = value
            elif keep_missing and r[j].strip().lower() in MISSING_MARKS:  # blank, "NaN", "NA": for the caller
                data[i, k] = np.nan
                kept_missing.append((i, j, r[j]))
            else:  # text, or "inf"
                bad.append((i, j, r[j]))

    def row_words(i):
        return _row_words(lines[i], row_names[i] if row_names else None)

    def where(i, j):
        column = f"column {j + 1}" + (f" “{header[j][:30]}”" if header and header[j] else "")
        return f"{row_words(i)}, {column}"

    incomplete = sorted({i for i, _, _ in bad})
    if bad and drop_incomplete and len(incomplete) < len(rows):
        complete = np.setdiff1d(np.arange(len(rows)), incomplete)
        return data[complete], [row_words(i) for i in incomplete], complete
    if bad:
        # with pad_ends alone, the traces that ended early beside a cell of text: filling them and leaving it out
        hint, offered = _offered(bad + kept_missing, series, drop_hint, remedies)
        shown = bad
        if PAD_AND_DROP in offered:  # the cells that filling cannot complete first: the rows that would be left out
            ended = _ended_rows(bad + kept_missing, series)[0]
            shown = sorted(bad, key=lambda cell: cell[0] in ended)
        named = "; ".join(f"{where(i, j)} holds " + (repr(t[:30]) if t.strip() else "nothing")
                          for i, j, t in shown[:NAMED_BAD_CELLS])
        more = f" (and {len(bad) - NAMED_BAD_CELLS} more)" if len(bad) > NAMED_BAD_CELLS else ""
        blank = all(not t.strip() for _, _, t in bad)  # traces that ended early: empty, not wrong
        missing = all(t.strip().lower() in MISSING_MARKS for _, _, t in bad)  # NaN, NA, #N/A, …
        what = (("a blank cell" if len(bad) == 1 else f"{len(bad)} blank cells") if blank else
                ("a missing value" if len(bad) == 1 else f"{len(bad)} missing values") + " (blank, NaN or NA)"
                if missing else
                "a cell that is not a number" if len(bad) == 1 else f"{len(bad)} cells that are not numbers")
        n_rows = len({i for i, _, _ in bad})
        rows_with = f", in {n_rows} rows" if n_rows > 1 else ""
        fix = f"use numbers only (one header row is allowed); {hint}"
        if len(keep) > 2 * len(rows) and all(j == keep[0] and t.strip() for _, j, t in bad):
            # a name in the first column and many more columns than rows: a spreadsheet with one trace a column
            fix = ("this looks like one series per column, each row a time point (the first column names the "
                   "rows); AWD Studio reads one series per row: transpose the table (Excel: copy, Paste Special, "
                   "Transpose; pandas: df.T) and upload again")
            offered = ()
        raise InputError("file", f"{what}{rows_with}: {named}{more}", fix, remedies=offered)
    return data, [], np.arange(len(rows))


def _row_words(line: int, name: str | None) -> str:
    """A row as an error names it: ``"line 7 (trk0005)"``, or ``"line 7"`` without an identifier."""
    return f"line {line}" + (f" ({name.strip()[:30]})" if name and name.strip() else "")


class Table(NamedTuple):
    """A delimited text file read by :func:`read_table`.

    Attributes
    ----------
    data : ndarray of shape (rows, columns), float64
        The numeric columns, in file order.
    header : list of str or None
        Their names (None without a header row).
    ignored : list of str
        The identifier columns left out (see the module's docstring): their header names, or ``column k``
        (1-based) without a header.
    dropped : list of str
        With ``drop_incomplete``: the rows left out for a cell that is not a number, by line and identifier
        (``"line 7 (trk0005)"``); else empty (such a cell is an error).
    ids : list of str or None
        Each row's identifier (its first identifier column, e.g. a track name), None without one.
    id_name : str or None
        That column's name.
    rows : list of str or None
        Each row kept, as an error names it (``"line 7 (trk0005)"``).
    numbered : list of str
        Those of ``ignored`` left out for their content, not their name: they number the rows
        (:func:`numbered_columns`, e.g. ``Track`` = 1…500; without a header, :func:`index_column`: ``column 1``).
    kept : ndarray of int or None
        Each row of ``data``'s place among the file's data rows (from 0; with ``drop_incomplete`` some are missing).
    trailing_text : list of (str, list of str)
        The columns of text after the last numeric column (a header's, not named as identifiers), by name, with
        their cells in the rows kept: a label after the traces, which :func:`load_csv` refuses rather than drop
        when the last numeric column is a time point.
    first_column : (str, list of str) or None
        A header's file's first column, by name, with its cells in the rows kept, whether it was kept or left out
        (a time axis down the rows, which :func:`load_csv` refuses: a table of one series per column); None
        without a header.
    """

    data: np.ndarray
    header: list[str] | None
    ignored: list[str]
    dropped: list[str]
    ids: list[str] | None
    id_name: str | None
    rows: list[str] | None = None
    numbered: list[str] = []
    kept: np.ndarray | None = None
    trailing_text: list[tuple[str, list[str]]] = []
    first_column: tuple[str, list[str]] | None = None


def _is_comment(first_cell: str) -> bool:
    """Whether a line whose first cell is ``first_cell`` is a comment, skipped: it starts with ``#``, but is not a
    spreadsheet's value in a cell (``#N/A``, ``#DIV/0!``: a data row whose first value is missing or failed, which was
    skipped without a word).

    Examples
    --------
    >>> _is_comment("# exported 2024"), _is_comment("#trk1"), _is_comment(" #N/A"), _is_comment("#DIV/0!")
    (True, True, False, False)
    """
    cell = first_cell.strip()
    return cell.startswith("#") and cell.lower() != "#n/a" and not _FORMULA_ERROR.match(cell)


def _holds_value(cell: str) -> bool:
    """Whether a cell is a data row's, not a header's: a number, a missing value written as such (not blank: a
    header's empty name is pandas' index column) or a spreadsheet's error value.

    Examples
    --------
    >>> [_holds_value(c) for c in ("-0.5", "NA", "-", "?", "#DIV/0!", "", "t0", "- 5")]
    [True, True, True, True, True, False, False, False]
    """
    return _is_number(cell) or bool(_FORMULA_ERROR.match(cell)) or (
        bool(cell.strip()) and cell.strip().lower() in MISSING_MARKS)


def _is_header(first: list[str], columns: list[int], below: list[str] | None = None) -> bool:
    """Whether the first row ``first`` is a header, from its cells in ``columns`` (those that are not text below
    it): one of them is not a value (:func:`_holds_value`) nor blank, or none is a number. A missing value written
    ``NA``, ``-`` or ``?``, or left blank (``1.0,,3.0``), in the first row of a file without a header made that row
    the header: its series lost, and the column under the blank left out as an unnamed identifier. A blank first cell
    over whole numbers (``below``: the first column's cells under it) is still a header's: the empty name
    ``DataFrame.to_csv()`` gives pandas' index, written above it.

    Examples
    --------
    >>> _is_header(["t0", "t1", "y"], [0, 1, 2]), _is_header(["", "0", "1"], [0, 1, 2], ["0", "1", "2"])
    (True, True)
    >>> _is_header(["0.5", "-", "NA", "1"], [0, 1, 2, 3]), _is_header(["trk1", "0.5", "?"], [1, 2])
    (False, False)
    >>> _is_header(["1.0", "", "3.0"], [0, 1, 2]), _is_header(["", "0.5", "1"], [0, 1, 2], ["0.2", "", "0.4"])
    (False, False)
    """
    index_name = bool(below) and all(c.strip().isascii() and c.strip().isdigit() for c in below)

    def is_name(j):
        cell = first[j]
        if not cell.strip():  # a missing value, but for pandas' index column's empty name
            return j == 0 and index_name
        return not _holds_value(cell)

    cells = [first[j] for j in columns]
    return any(is_name(j) for j in columns) or (bool(cells) and not any(_is_number(c) for c in cells))


def _delimiter(sample: str, suffix: str) -> str | None:
    r"""The column separator of a text file from its first lines: a tab for ``.tsv``; a semicolon, else a tab,
    when every line has one but for lines above them without it (an instrument's notes, which :func:`read_table`
    refuses as such; a comma may then be a decimal mark); else a comma, a tab, or white space (None).

    Examples
    --------
    >>> _delimiter("a\tb\n0,5\t1,5\n", ".txt"), _delimiter("a,b\n0.5,1.5\n", ".csv")
    ('\t', ',')
    >>> _delimiter("Date: 2024\na;b\n0,5;1,5\n0,7;1,2\n", ".csv"), _delimiter("a,b\n0.5,1.5\n1;2\n", ".csv")
    (';', ',')
    """
    if suffix == ".tsv":
        return "\t"
    lines = [line for line in sample.splitlines()[:-1] or sample.splitlines()
             if line.strip() and not _is_comment(re.split(r"[,;\t ]", line.strip(), maxsplit=1)[0])]
    for separator in (";", "\t"):
        # lines above the table without it (an instrument's notes, "Experiment: …"), refused by read_table
        below = lines[next((k for k, line in enumerate(lines) if separator in line), len(lines)):]
        if len(below) >= min(2, len(lines)) and below and all(separator in line for line in below):
            return separator
    if "," in sample:
        return ","
    return "\t" if "\t" in sample else None


#: A number written with a decimal comma (``-0,25``, ``1,5e-3``): the comma becomes a point.
_DECIMAL_COMMA = re.compile(r"^(\s*[-+]?\d*),(\d+(?:[eE][-+]?\d+)?\s*)$")

#: A whole number with a point as thousands separator (``3.419`` for 3419, ``12.500.000``), as Excel writes one with
#: "Use 1000 separator" where the decimal mark is the comma; a first group starting with 0 (``0.377``) is a decimal.
_DOT_THOUSANDS = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:\.\d{3})+\s*$")

#: A number with points as thousands separators and a decimal comma (``1.234,56``): never a plain number.
_DOT_THOUSANDS_DECIMAL_COMMA = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:\.\d{3})+,\d+\s*$")

#: A number whose only comma stands before exactly three digits, the first group not starting with 0 (``3,419``,
#: ``-12,500``): Excel's ``#,##0`` writes 3419 so, and a decimal comma writes 3.419 so; alone, it cannot tell which.
_COMMA_BEFORE_THREE_DIGITS = re.compile(r"^\s*[-+]?[1-9]\d{0,2},\d{3}\s*$")

#: A number with commas as thousands separators (``1,921.30``, ``1,234,567``): in a comma-separated file, a quoted
#: cell of Excel's ``#,##0.00``.
_COMMA_THOUSANDS = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?\s*$")

#: What a refusal of thousands separators asks for.
THOUSANDS_FIX = ("remove the thousands separators (in Excel: Format Cells → Number without 'Use 1000 separator') "
                 "and export again")


def _cell_list(cells: list[tuple[int, int, str]], header: list[str] | None) -> str:
    """The first :data:`NAMED_BAD_CELLS` of ``cells`` (line, column, both 1-based, and content) as a refusal names
    them, with the count of the others.

    Examples
    --------
    >>> _cell_list([(3, 2, "3.419"), (4, 2, "1.002")], ["track", "t0"])
    "line 3, column 2 “t0” holds '3.419'; line 4, column 2 “t0” holds '1.002'"
    """
    def column(j):
        name = header[j - 1] if header is not None and j - 1 < len(header) else ""
        return f"column {j}" + (f" “{name.strip()[:30]}”" if name.strip() else "")

    named = "; ".join(f"line {n}, {column(j)} holds {t.strip()[:30]!r}" for n, j, t in cells[:NAMED_BAD_CELLS])
    return named + (f" (and {len(cells) - NAMED_BAD_CELLS} more)" if len(cells) > NAMED_BAD_CELLS else "")


def _refuse_ambiguous_separators(rows: list[list[str]], delimiter: str | None) -> None:
    """Refuse a file whose numbers may carry thousands separators that would be read as decimal marks, or whose
    decimal commas a comma-separated file cannot hold (``rows`` as split, before a decimal comma is rewritten).

    The rule, by the file's separator (lines starting with ``#`` are not looked at):

    * ``;`` or tab, where a comma inside a number is its decimal mark (:data:`_DECIMAL_COMMA`):

      - a comma before 1, 2 or 4+ digits (``0,5``, ``3,5425``), an exponent (``1,5E-03``) or a first group
        ``0`` (``0,377``) is a decimal mark, and makes the file one with decimal commas. If such a file also has
        whole numbers with points before groups of three digits (``3.419``, :data:`_DOT_THOUSANDS`), those are
        Excel's thousands separators (3419, beside ``308``), not decimals: refused, naming them;
      - when every comma in a number stands before exactly three digits (``3,419``,
        :data:`_COMMA_BEFORE_THREE_DIGITS`), nothing tells a decimal comma from Excel's ``#,##0`` thousands
        separator (US Excel's tab or UTF-16 export): refused, naming them;
      - ``1.234,56`` (:data:`_DOT_THOUSANDS_DECIMAL_COMMA`) is refused as thousands separators too.

    * ``,``: a quoted cell holding ``1,921.30`` or ``1,234`` (:data:`_COMMA_THOUSANDS`) has thousands separators,
      refused so; one holding a decimal comma (``"0,377"``) is refused naming it, with how to export instead.

    Raises
    ------
    InputError
        As above; nothing happens otherwise.

    Examples
    --------
    >>> _refuse_ambiguous_separators([["t0", "t1"], ["0,5", "3,5425"], ["1,5E-03", "0,377"]], ";")
    >>> _refuse_ambiguous_separators([["t0", "t1"], ["3,419", "308"]], "\\t")
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: file: every comma in a number stands before exactly three digits, \
as a thousands separator does (3,419 for 3419) and a decimal comma too (3,419 for 3.419), and no other number \
tells which: line 2, column 1 “t0” holds '3,419'; remove the thousands separators (in Excel: Format Cells → \
Number without 'Use 1000 separator') and export again
    """
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if r and not _is_comment(r[0])]
    if not numbered:
        return
    first = numbered[0][1]
    header = first if any(c.strip() and not _holds_value(c) and not _DECIMAL_COMMA.match(c) for c in first) else None

    def cells_where(pattern):
        return [(n, j + 1, c) for n, r in numbered for j, c in enumerate(r) if pattern.match(c)]

    if delimiter in (";", "\t"):
        both = cells_where(_DOT_THOUSANDS_DECIMAL_COMMA)
        if both:
            raise InputError("file", f"{_count(len(both), 'number')} written with thousands separators: "
                             + _cell_list(both, header), THOUSANDS_FIX)
        commas = cells_where(_DECIMAL_COMMA)
        if not commas:
            return
        decimal = [cell for cell in commas if not _COMMA_BEFORE_THREE_DIGITS.match(cell[2])]
        if decimal:
            dotted = cells_where(_DOT_THOUSANDS)
            if dotted:
                n, j, t = decimal[0]
                raise InputError(
                    "file", f"the file writes decimals with a comma ({_cell_list([(n, j, t)], header)}) but "
                    f"{_count(len(dotted), 'whole number')} with a point before groups of three digits, which is how "
                    f"Excel writes a thousands separator there (3.419 for 3419), not a decimal: "
                    + _cell_list(dotted, header), THOUSANDS_FIX)
            return
        raise InputError("file", "every comma in a number stands before exactly three digits, as a thousands "
                         "separator does (3,419 for 3419) and a decimal comma too (3,419 for 3.419), and no other "
                         "number tells which: " + _cell_list(commas, header), THOUSANDS_FIX)
    if delimiter == ",":
        thousands = cells_where(_COMMA_THOUSANDS)
        if thousands:
            raise InputError("file", f"{_count(len(thousands), 'cell')} with thousands separators in its numbers "
                             "(quoted, as Excel writes #,##0.00): " + _cell_list(thousands, header), THOUSANDS_FIX)
        commas = cells_where(_DECIMAL_COMMA)
        if commas:
            raise InputError("file", f"{_count(len(commas), 'cell')} with a decimal comma in a comma-separated "
                             "file (quoted), which is not a number there: " + _cell_list(commas, header),
                             "write the decimals with a point, or separate the columns with semicolons (Excel's "
                             "\"CSV\" where the decimal mark is the comma) and export again")


def _decoded(path: Path) -> str:
    """The text of a file: UTF-16 when it starts with UTF-16's byte-order mark (Excel's "Unicode Text"), else UTF-8
    (a byte-order mark dropped) or, when it is not UTF-8, Windows-1252.

    Raises
    ------
    InputError
        When it is none of them (a byte Windows-1252 leaves undefined, UTF-16 cut inside a character).
    """
    raw = path.read_bytes()
    if raw.startswith(UTF16_BOMS):  # review 39B: refused as "damaged"
        try:
            return raw.decode("utf-16")  # the mark says the byte order, and is dropped
        except UnicodeDecodeError as exc:
            raise InputError("file", f"{path.name!r} starts as UTF-16 text but byte {exc.start} does not decode "
                             "(cut short?)", "save it again, as Unicode Text or as CSV UTF-8") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError("file", f"{path.name!r} is neither UTF-8 nor Windows-1252 text",
                         "save the CSV as UTF-8") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_identifier_name(name: str) -> bool:
    """Whether a header names a row identifier (``id``, ``index``, ``*_id``, pandas' ``Unnamed: k`` or empty)."""
    low = name.strip().lower()
    return (low in ("", "id", "index") or low.endswith(("_id", " id")) or low.startswith("unnamed:"))


def _is_numbering(cells: list[str]) -> bool:
    """Whether a column's cells are numbers that number its rows
    (:func:`~models.data.readers._common.numbers_the_rows`).

    Examples
    --------
    >>> _is_numbering(["3", "1", "2", "5", "4"]), _is_numbering(["101", "102", "103", "104", "105"])
    (True, True)
    >>> _is_numbering(["0", "4", "2", "3", "1.0"]), _is_numbering(["1", "2", "3", "4", "4"])
    (True, False)
    >>> _is_numbering(["1", "3", "5", "7", "9"]), _is_numbering(["1.5", "2.5", "3.5", "4.5", "5.5"])
    (False, False)
    >>> _is_numbering(["1", "2", "3"]), _is_numbering(["1", "2", "", "4", "5"])
    (False, False)
    """
    try:
        return numbers_the_rows([float(c) for c in cells])
    except ValueError:
        return False


def _axis_columns(header: list[str], columns: list[int]) -> list[int]:
    """Among ``columns``, those that name the series' time axis (``t0``, ``t1``, …; ``Frame 0``, …): the largest
    group of names with a number between the same prefix and suffix, as :func:`off_axis_columns` finds it, when it
    is an axis; [] when the names give none."""
    others = off_axis_columns(header, columns)
    if others:
        return [j for j in columns if j not in others]
    return columns if sample_axis([header[j] for j in columns]) else []


def numbered_columns(header: list[str] | None, rows: list[list[str]], columns: list[int]) -> list[int]:
    """Among ``columns``, those a header's file numbers its rows by (:func:`_is_numbering`), or each series by
    (:func:`_numbers_the_series`: ``cell`` = 3, 17, 52, …): identifiers, left out like a column named ``id``. Only
    columns before the series, where a spreadsheet puts its identifiers (before the first time point the columns'
    names give, or the first column when they give none): a target after the traces
    that happens to be 0, 1, 2, … stays a target. Never a column named as a target (``y``, ``target``,
    ``y_<name>``: the way to keep one), nor any without a header.

    Examples
    --------
    >>> header = ["Track"] + [f"Frame {i}" for i in range(8)] + ["Auxilin (a.u.)"]
    >>> rows = [[str(k + 1)] + [str(k + i) for i in range(8)] + [str(k / 2)] for k in range(6)]
    >>> numbered_columns(header, rows, list(range(10)))  # "Frame 0" also holds 0 … 5, but is a time point
    [0]
    >>> numbered_columns(["y_track"] + header[1:], rows, list(range(10))), numbered_columns(None, rows, [0, 1])
    ([], [])
    >>> numbered_columns(header[1:] + ["Track"], [r[1:] + r[:1] for r in rows], list(range(10)))  # after: a target
    []
    """
    if header is None:
        return []
    named = set(target_columns(header))
    axis = _axis_columns(header, [j for j in columns if j not in named])
    before = [j for j in columns if j < (min(axis) if axis else min(columns, default=0) + 1)]
    return [j for j in before if j not in named and (_is_numbering([r[j] for r in rows])
                                                or _numbers_the_series(header[j], [r[j] for r in rows]))]


#: The words a column's name starts with when it holds each series' number (``cell``, ``Cell #``, ``ROI no.``,
#: ``track_nr``), and the prefix of the columns' names of a table of one series per column (``cell0``, ``ROI1``,
#: ImageJ's ``Mean1``: :func:`_series_per_column`).
SERIES_WORDS = ("cell", "roi", "neuron", "track", "trk", "trace", "particle", "spot", "trial", "sweep", "well",
                "series", "unit", "electrode", "channel", "ch", "mean")

#: The fewest rows a column must have to be read as the series' numbers when they are not a run
#: (:func:`_numbers_the_series`): a few distinct numbers in order may be a target (doses 1, 2, 5, 10, 20).
SERIES_NUMBER_MIN_ROWS = 20

_SERIES_NUMBER_NAME = re.compile(r"^(?P<word>[a-z]+)\s*[_ .]?\s*(?:#|no\.?|nr\.?|num|number)?\s*$", re.IGNORECASE)


def _numbers_the_series(name: str, cells: list[str]) -> bool:
    """Whether a column before the series, not numbering its rows in a run (:func:`_is_numbering`), holds each
    series' own number all the same (review 52B: ``cell`` = 3, 17, 52, … after cells were left out was read as a
    target, and the first one): whole numbers in at least :data:`SERIES_NUMBER_MIN_ROWS` rows that are distinct and
    in order (either way), or, in any order and even repeated, under a name that says so (``cell``, ``Cell #``,
    ``ROI no.``: :data:`SERIES_WORDS`). Distinct whole numbers in no order under another name may be a target
    (lifetimes in frames) and stay one.

    Examples
    --------
    >>> gaps = [str(k * k + 3) for k in range(20)]
    >>> _numbers_the_series("x", gaps[::-1]), _numbers_the_series("x", gaps[:19])  # in order; too few rows
    (True, False)
    >>> shuffled = gaps[1::2] + gaps[::2]
    >>> _numbers_the_series("lifetime", shuffled), _numbers_the_series("Cell", shuffled)
    (False, True)
    >>> _numbers_the_series("Cell #", [str(k // 2) for k in range(20)])  # each cell twice: still its number
    True
    >>> _numbers_the_series("cell", [f"{k}.5" for k in range(20)])  # not whole numbers
    False
    """
    try:
        values = np.array([float(c) for c in cells])
    except ValueError:
        return False
    if values.size < SERIES_NUMBER_MIN_ROWS or not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        return False
    word = _SERIES_NUMBER_NAME.match(name.strip())
    if word and word["word"].lower() in SERIES_WORDS:
        return True
    if np.unique(values).size != values.size:
        return False
    steps = np.diff(values)
    return bool(np.all(steps > 0) or np.all(steps < 0))


def index_column(rows: list[list[str]], columns: list[int]) -> list[int]:
    """The first column of a file without a header when it is the rows' index (``[0]``), else ``[]``: its cells are
    whole numbers written without a point, exactly 0 … n-1 or 1 … n down the rows
    (:func:`~models.data.readers._common.indexes_the_rows`), as pandas writes its index with ``header=False``. A
    headerless file's identifiers, left out like a numbered column of a header's file (:func:`numbered_columns`),
    but by a stricter rule, since no name tells them from a time point: only the first column (and only when it
    is among the numeric ``columns``), only that exact run.

    Examples
    --------
    >>> rows = [[str(k), "0.5", str(k % 2)] for k in range(6)]
    >>> index_column(rows, [0, 1, 2]), index_column([[str(k + 1)] + r[1:] for k, r in enumerate(rows)], [0, 1, 2])
    ([0], [0])
    >>> index_column([["0"] + r[1:] for r in rows], [0, 1, 2]), index_column(rows[::-1], [0, 1, 2])  # constant; n-1..0
    ([], [])
    >>> index_column([[f"{k}.0"] + r[1:] for k, r in enumerate(rows)], [0, 1, 2]), index_column(rows, [1, 2])
    ([], [])
    """
    if 0 not in columns or not rows:
        return []
    cells = [r[0].strip() for r in rows]
    if not all(c.isascii() and c.isdigit() for c in cells):
        return []
    return [0] if indexes_the_rows([int(c) for c in cells]) else []


def _refuse_formula_errors(rows: list[list[str]], lines: list[int], header: list[str] | None) -> None:
    """Refuse a table whose cells hold a spreadsheet's error value (:data:`_FORMULA_ERROR`: ``#DIV/0!``, ``#REF!``,
    …), naming them: a formula that failed is no missing value to fill or leave out (the cells it feeds, and the
    rows beside, may be wrong too), and read as text it was a row refused for "a cell that is not a number", a
    column of them left out as an identifier, or, first in a line, the line skipped as a comment.

    Parameters
    ----------
    rows : list of list of str
        The data rows, as split.
    lines : list of int
        Each row's line in the file.
    header : list of str or None
        The columns' names, to name the cells.

    Raises
    ------
    InputError
        When a cell holds one; nothing happens otherwise.

    Examples
    --------
    >>> _refuse_formula_errors([["1", "2"], ["3", "#DIV/0!"]], [2, 3], ["t0", "t1"])
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: file: 1 cell holds a spreadsheet's error value, written when a formula \
failed (#DIV/0!: a division by zero), not a number nor a missing value: line 3, column 2 “t1” holds '#DIV/0!'; fix \
the formula in the spreadsheet and export again, or, if those values are missing, clear the cells (a blank cell is a \
missing value, which the upload options can fill or leave out)
    """
    cells = [(n, j + 1, c) for n, r in zip(lines, rows) for j, c in enumerate(r) if _FORMULA_ERROR.match(c)]
    if not cells:
        return
    marks = list(dict.fromkeys(c.strip().upper() if c.strip().startswith("#") else c.strip().capitalize()
                               for _, _, c in cells))  # #DIV/0!, Err:502
    meaning = "; ".join(f"{m}: {FORMULA_ERROR_WORDS[m]}" if m in FORMULA_ERROR_WORDS else f"{m}: LibreOffice's "
                        "error code" for m in marks[:4]) + ("; …" if len(marks) > 4 else "")
    one = len(cells) == 1
    raise InputError("file", f"{_count(len(cells), 'cell')} hold{'s' if one else ''} a spreadsheet's error value, "
                     f"written when a formula failed ({meaning}), not a number nor a missing value: "
                     + _cell_list(cells, header),
                     "fix the formula in the spreadsheet and export again, or, if those values are missing, clear "
                     "the cells (a blank cell is a missing value, which the upload options can fill or leave out)")


def _series_columns(header: list[str] | None, keep: list[int]) -> list[int]:
    """Of the numeric columns ``keep``, those a dataset reads as its series: all but its targets
    (:func:`csv_targets`, else the last column), as :func:`load_csv` splits them.

    Examples
    --------
    >>> _series_columns(["track", "t0", "t1", "y"], [1, 2, 3]), _series_columns(None, [0, 1, 2])
    ([1, 2], [0, 1])
    """
    names = [header[j] for j in keep] if header is not None else None
    targets = csv_targets(names, len(keep))[0] or [len(keep) - 1]
    return [j for k, j in enumerate(keep) if k not in targets]


def _refuse_short(short: list[tuple[int, int, int, bool]], width: int, first_line: int, drop_hint: str,
                  remedies: tuple[str, ...], series: list[int]) -> None:
    """Refuse the rows written short, ``short`` as (row, line, columns, is the last line), the first one named;
    shorter rows count as rows with missing values, so the remedies are those of their missing cells
    (:func:`_offered`): filling the ends only when every row lacks nothing but the ends of its trace, not its
    target (review 38: a short row lacking its target was offered the filling that then failed)."""
    _, n, columns, last = short[0]
    missing = [(row, j, "") for row, _, count, _ in short for j in range(count, width)]
    hint, offered = _offered(missing, series, drop_hint, remedies)
    raise InputError("file", f"line {n} has {columns} column{'' if columns == 1 else 's'}, line {first_line} has "
                     f"{width}" + (": it is the last line, so the file may have been cut short" if last else ""),
                     f"give every series the same length; {hint} (shorter rows count as rows with missing values)",
                     remedies=offered)


#: What a spreadsheet's summary rows below the series are called in their text column (lower case, without a
#: trailing ``:``): such a row is refused, naming it, not read as one more series.
SUMMARY_ROW_NAMES = ("mean", "average", "avg", "sd", "std", "stdev", "std dev", "sem", "se", "median", "total",
                     "sum")

#: A cell holding a percentage (``35.4%``).
_PERCENT_CELL = re.compile(r"^\s*[-+]?\d*\.?\d+\s*%\s*$")

#: A cell holding a number and its unit (``3.54 s``, ``12µM``): the unit is its group.
_UNIT_CELL = re.compile(r"^\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?\s*(?P<unit>[^\d\s.,;%+-][^\d]*?)\s*$")


def _text_values(cells: list[str], at_most: int = 4) -> str:
    """A column's distinct values, the first ``at_most`` in file order, as a refusal quotes them.

    Examples
    --------
    >>> _text_values(["yes", "no", "yes", " no"])
    "'yes', 'no'"
    """
    distinct = list(dict.fromkeys(c.strip() for c in cells if c.strip()))
    return ", ".join(repr(v[:30]) for v in distinct[:at_most]) + (" …" if len(distinct) > at_most else "")


def _coding_advice(name: str, cells: list[str]) -> str:
    """How to make the text column ``name`` of ``cells`` a numeric target: remove a % sign, move a unit to the
    header, or code a few words as numbers.

    Examples
    --------
    >>> _coding_advice("productive", ["yes", "no", "yes"])
    'code yes/no as 1/0'
    >>> _coding_advice("y", ["TRUE", "FALSE"]), _coding_advice("share", ["35.4%", "2%"])
    ('code TRUE/FALSE as 1/0', 'remove the % sign from its cells (35.4% as 35.4)')
    >>> _coding_advice("lifetime", ["3.54 s", "12 s"])
    'put the unit in the header (“lifetime (s)”) and keep only the numbers in its cells'
    >>> _coding_advice("fate", ["productive", "abortive", "unclear"])
    'code its 3 values as numbers (0, 1, 2)'
    """
    filled = [c.strip() for c in cells if c.strip().lower() not in MISSING_MARKS]
    if filled and all(_PERCENT_CELL.match(c) for c in filled):
        return f"remove the % sign from its cells ({filled[0]} as {filled[0].rstrip('%').strip()})"
    units = {m["unit"] if m else None for m in map(_UNIT_CELL.match, filled)}
    if filled and len(units) == 1 and None not in units:
        return f"put the unit in the header (“{name} ({units.pop()})”) and keep only the numbers in its cells"
    distinct = list(dict.fromkeys(filled))
    if len(distinct) == 2:
        return f"code {distinct[0]}/{distinct[1]} as 1/0"
    if 2 < len(distinct) <= 10:
        return f"code its {len(distinct)} values as numbers ({', '.join(str(k) for k in range(len(distinct)))})"
    return "give each series a number"


def _refuse_numbers_with_signs(rows: list[list[str]], lines: list[int], columns, header: list[str] | None) -> None:
    """Refuse a table whose numbers were read as text because their cells hold a % sign or a unit as well
    (``35.4%``, ``3.54 s``), naming those cells of ``columns`` (``lines``: each row's line in the file); called when
    too few columns are left to read (it would be "has a single column", or "holds no numbers").

    Examples
    --------
    >>> _refuse_numbers_with_signs([["35.4%", "2%"]], [2], [0, 1], ["a", "b"])
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: file: 2 cells that are not numbers but numbers with a % sign or a \
unit, so their columns read as text: line 2, column 1 “a” holds '35.4%'; line 2, column 2 “b” holds '2%'; write \
the numbers alone in the cells: remove the % sign (35.4% as 35.4), put a unit in the header (“lifetime (s)”), and \
upload again
    """
    numberlike = sorted((lines[i], j + 1, r[j]) for j in columns for i, r in enumerate(rows)
                        if j < len(r) and (_PERCENT_CELL.match(r[j]) or _UNIT_CELL.match(r[j])))
    if numberlike:
        one = len(numberlike) == 1
        raise InputError("file", f"{_count(len(numberlike), 'cell')} that {'is' if one else 'are'} not "
                         f"{'a number' if one else 'numbers'} but {'a number' if one else 'numbers'} with a % sign "
                         "or a unit, so their columns read as text: " + _cell_list(numberlike, header),
                         "write the numbers alone in the cells: remove the % sign (35.4% as 35.4), put a unit "
                         "in the header (“lifetime (s)”), and upload again")


def read_table(path: Path, budget: int, drop_incomplete: bool = False, drop_hint: str = DROP_INCOMPLETE_HINT,
               keep_missing: bool = False, remedies: tuple[str, ...] = DROP_INCOMPLETE_REMEDIES,
               blank_targets: bool = False) -> Table:
    """The numbers of a delimited text file, its header, the identifier columns left out and each row's
    identifier (:class:`Table`); ``drop_incomplete``: leave out the rows with a cell that is not a number;
    ``drop_hint``: what the error on such a cell suggests instead (:data:`DROP_INCOMPLETE_HINT` for datasets), and
    ``remedies`` the upload options it names;
    ``keep_missing``: missing values (blank, NaN, NA, and the cells a short row lacks) are NaN in ``data``;
    ``blank_targets``: a column the header names as a target whose every cell is missing is such a column (NaN
    with ``keep_missing``), not a column of text refused as a target (a prediction's file without any target yet)."""
    size = path.stat().st_size
    if size * 4 > budget:  # a float64 per ~2+ characters: a generous upper bound on the decoded size
        raise too_big(path.name, size * 4, budget)
    text = _decoded(path)
    delimiter = _delimiter(text[:4096], path.suffix.lower())
    if delimiter is None:
        rows = [line.split() for line in text.splitlines()]
    else:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    _refuse_ambiguous_separators(rows, delimiter)  # 3.419 or 3,419 for 3419: not read as 3.419
    if delimiter in (";", "\t"):  # the separators where the comma is the decimal mark: 0,25 is 0.25
        rows = [[_DECIMAL_COMMA.sub(r"\1.\2", c) for c in r] for r in rows]
    # each row's line in the file (the numbers an editor shows; a quoted cell spanning lines is rare here)
    kept = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r) and not _is_comment(r[0])]
    lines, rows = [n for n, _ in kept], [r for _, r in kept]
    if not rows:
        raise InputError("file", f"{path.name!r} has no data rows", "one row per series, a target column last")
    if len(rows) > 1 and not any(_is_number(c) for r in rows[1:] for c in r):  # text, not a table of numbers
        _refuse_formula_errors(rows[1:], lines[1:], [c.strip() for c in rows[0]])
        _refuse_numbers_with_signs(rows[1:], lines[1:], range(len(rows[0])), [c.strip() for c in rows[0]])
        raise InputError("file", f"{path.name!r} holds no numbers below its first row",
                         "one row per series: its values, then its target, separated by commas")
    width, first_line = len(rows[0]), lines[0]
    short = []  # rows written short (a ragged list): (row, line, columns, is the last line), refused below
    for k, (n, r) in enumerate(zip(lines, rows)):
        if len(r) < width and k > 0:
            rows[k] = r + [""] * (width - len(r))  # its missing cells, left out or kept missing below
            if not (drop_incomplete or keep_missing):
                short.append((k, n, len(r), k == len(rows) - 1))
        elif len(r) != width:
            if width <= 2 < len(r) and k > 0:  # "Experiment: …", "Date: …" above the header
                notes = ", ".join(f"line {m} holds {', '.join(c.strip() for c in row)[:40]!r}"
                                  for m, row in list(zip(lines, rows))[:min(k, 3)])
                raise InputError("file", f"line {n} has {len(r)} columns but the {_count(k, 'line')} above it at "
                                 f"most {width}: they look like an instrument's notes above the table (metadata), "
                                 f"not series: {notes}" + (" …" if k > 3 else ""),
                                 "delete those lines, or start each with '#' (lines starting with # are skipped), "
                                 "and upload again")
            raise InputError("file", f"line {n} has {len(r)} columns, line {first_line} has {width}",
                             "give every series the same length")
    # a column is text when no cell below the first row is a number
    text_cols = {j for j in range(width) if len(rows) > 1 and not any(_is_number(r[j]) for r in rows[1:])}
    if blank_targets:  # a target column left blank in every row holds missing values, not text
        text_cols -= {j for j in target_columns([c.strip() for c in rows[0]])
                      if all(r[j].strip().lower() in MISSING_MARKS for r in rows[1:])}
    first = rows[0]
    header = None
    if _is_header(first, [j for j in range(width) if j not in text_cols], [r[0] for r in rows[1:]]) or (
            text_cols and target_columns([c.strip() for c in first])):
        header, rows, lines = [c.strip() for c in first], rows[1:], lines[1:]
    if not rows:
        raise InputError("file", f"{path.name!r} has a header but no data rows", "add one row per series")
    _refuse_formula_errors(rows, lines, header)  # #DIV/0!, #REF!: a broken computation, not a missing value
    ignored_cols = sorted(text_cols | ({j for j, h in enumerate(header) if _is_identifier_name(h)}
                                       if header is not None else set()))
    columns = [j for j in range(width) if j not in ignored_cols]
    numbered = (numbered_columns(header, rows, columns) if header is not None else index_column(rows, columns))
    ignored_cols = sorted(set(ignored_cols) | set(numbered))
    if width - len(ignored_cols) < 2:  # "35.4%", "3.54 s": numbers with more in their cells read as text
        _refuse_numbers_with_signs(rows, lines, sorted(text_cols), header)
    clash = [header[j] for j in target_columns(header) if j in ignored_cols]
    if clash:
        cells = [r[header.index(clash[0])] for r in rows]
        raise InputError("file", f"the target column {clash[0]!r} holds text ({_text_values(cells)})",
                         f"give each series a numeric target: {_coding_advice(clash[0], cells)}")
    keep = [j for j in range(width) if j not in ignored_cols]
    summary = [(lines[i], r[j]) for i, r in enumerate(rows) for j in sorted(text_cols)
               if r[j].strip().lower().rstrip(":.") in SUMMARY_ROW_NAMES]
    if summary:
        listed = ", ".join(f"line {n} ({t.strip()[:30]})" for n, t in summary[:NAMED_BAD_CELLS])
        raise InputError("file", f"{_count(len(summary), 'row')} look{'s' if len(summary) == 1 else ''} like the "
                         f"spreadsheet's summary, not series: {listed}" + (" …" if len(summary) > NAMED_BAD_CELLS
                                                                             else ""),
                         "delete those rows, or start each with '#' (lines starting with # are skipped), and upload "
                         "again")
    if short:
        _refuse_short(short, width, first_line, drop_hint, remedies, _series_columns(header, keep))
    if header is not None and not target_columns(header):
        _refuse_targets_in_a_row(rows, lines, header)
    row_names = [r[ignored_cols[0]] for r in rows] if ignored_cols else None
    data, dropped, kept = _parse_rows(rows, keep, lines, header, row_names, drop_incomplete, drop_hint, keep_missing,
                                      remedies, _series_columns(header, keep))
    ids = [row_names[i].strip() for i in kept] if row_names else None
    words = [_row_words(lines[i], row_names[i] if row_names else None) for i in kept]
    if header is None:
        return Table(data, None, [f"column {j + 1}" for j in ignored_cols], dropped, ids, "id" if ids else None,
                     words, [f"column {j + 1}" for j in numbered], kept)
    ignored = [header[j] or f"column {j + 1}" for j in ignored_cols]
    trailing = [(header[j], [rows[i][j] for i in kept]) for j in sorted(text_cols)
                if keep and j > max(keep) and not _is_identifier_name(header[j])]
    return Table(data, [header[j] for j in keep], ignored, dropped, ids, ignored[0] if ids else None, words,
                 [header[j] for j in numbered], kept, trailing, (header[0], [rows[i][0] for i in kept]))


#: A sample column's name: a number with the same text around it in every column (``t=2s``, ``t2``, ``2.5``).
_SAMPLE_NAME = re.compile(r"^(?P<prefix>.*?)(?P<number>[-+]?\d+(?:[.,]\d+)?)(?P<suffix>[^\d]*)$")


def sample_axis(names: list[str]) -> dict | None:
    """The time (or other) axis the series' column names give, for the figures: the number in each name when
    every name carries one between the same prefix and suffix and the numbers increase, with a label from the
    prefix and the suffix as its unit; None otherwise.

    Returns
    -------
    dict or None
        ``{"values": [...], "label": "t (s)"}``.

    Examples
    --------
    >>> sample_axis(["t=0s", "t=2s", "t=4s"])
    {'values': [0.0, 2.0, 4.0], 'label': 't (s)'}
    >>> sample_axis(["time_0.5", "time_1.0"])
    {'values': [0.5, 1.0], 'label': 'time'}
    >>> sample_axis(["t0", "t1", "x2"]) is None, sample_axis(["a", "b"]) is None, sample_axis(["t1", "t0"]) is None
    (True, True, True)
    """
    parts = [_SAMPLE_NAME.match(str(n).strip()) for n in names]
    if len(parts) < 2 or not all(parts):
        return None
    prefixes, suffixes = {p["prefix"] for p in parts}, {p["suffix"].strip() for p in parts}
    if len(prefixes) != 1 or len(suffixes) != 1:
        return None
    values = [float(p["number"].replace(",", ".")) for p in parts]
    if any(b <= a for a, b in zip(values, values[1:])):
        return None
    name = prefixes.pop().strip().rstrip("=_:-[( ").strip() or "position"
    unit = suffixes.pop().strip("[]() ")
    return {"values": values, "label": f"{name} ({unit})" if unit else name}


def target_columns(header: list[str] | None) -> list[int]:
    """The columns a header names as targets (``y``, ``target``, ``y_<name>``, ``target_<name>``); [] if none."""
    if header is None:
        return []
    low = [h.lower() for h in header]
    return [j for j, h in enumerate(low) if h in TARGET_NAMES or h.startswith(tuple(f"{n}_" for n in TARGET_NAMES))]


def off_axis_columns(header: list[str] | None, columns: list[int]) -> list[int]:
    """Among ``columns``, those whose names are not time points of the axis the others name, in file order.

    The largest group of names with a number between the same prefix and suffix (``t0``, ``t1``, …) is the
    series' axis when it holds at least :data:`~models.validation.DEFAULT_MIN_LENGTH` columns, its numbers
    increase, and the columns outside it are at most a third of ``columns``; those are returned (else []). They
    are what a spreadsheet puts after the traces: a label, a second measurement.

    Examples
    --------
    >>> names = [f"t{i}" for i in range(10)] + ["productive", "auxilin_peak"]
    >>> off_axis_columns(names, list(range(12)))
    [10, 11]
    >>> off_axis_columns(names[:10] + ["t10"], list(range(11))), off_axis_columns(["a", "b"] * 6, list(range(12)))
    ([], [])
    """
    if header is None or not columns:
        return []
    groups: dict[tuple[str, str], list[int]] = {}
    for j in columns:
        match = _SAMPLE_NAME.match(header[j].strip())
        if match:
            groups.setdefault((match["prefix"], match["suffix"].strip()), []).append(j)
    axis = max(groups.values(), key=len, default=[])
    others = [j for j in columns if j not in axis]
    if (len(axis) < DEFAULT_MIN_LENGTH or not others or 3 * len(others) > len(columns)
            or sample_axis([header[j] for j in axis]) is None):
        return []
    return others


def csv_targets(header: list[str] | None, width: int) -> tuple[list[int], list[int]]:
    """The target columns a table's header names, and which of them were taken for being off the time axis the
    other columns name (:func:`off_axis_columns`): the columns named ``y``, ``target``, ``y_<name>`` or
    ``target_<name>``, then those off the axis; ``[]`` when there are none (the caller's rule then applies: the
    last column for datasets). The datasets' and the predictions' rule.

    Examples
    --------
    >>> csv_targets([f"t{i}" for i in range(8)] + ["label"], 9), csv_targets(None, 9)
    (([8], [8]), ([], []))
    >>> csv_targets(["y"] + [f"t{i}" for i in range(8)] + ["extra"], 10)
    ([0, 9], [9])
    """
    named = target_columns(header)
    off = off_axis_columns(header, [j for j in range(width) if j not in named])
    return named + off, off


#: A name of a table's first column that holds each row's time (``t``, ``Time (s)``, ``frame``, ``time_ms``): in a
#: table of one series per column (:func:`_refuse_series_per_column`).
_TIME_COLUMN_NAME = re.compile(r"^(?:t|time|times|time ?point|timestamp|frame|frames|frame ?(?:#|no\.?|nr|number)|"
                               r"slice|sec|secs|seconds|s|ms|min|minutes|h|hours)\s*(?:[_ ]\w+|[\(\[].*[\)\]])?$",
                               re.IGNORECASE)

#: How a refusal of a table of one series per column says to turn it around.
TRANSPOSE_FIX = ("transpose the table so that each row is one series, its values across the columns, and add a "
                 "column named y holding each series' target (pandas: df.set_index('<time column>').T; Excel: copy, "
                 "Paste Special, Transpose), then upload it again")


def _series_per_column(names: list[str]) -> str | None:
    """The word the columns' ``names`` share when they name series, not time points (``cell0, cell1, …``, ImageJ's
    ``Mean1, Mean2, …``, ``ROI 1, …``: :data:`SERIES_WORDS`), as a table of one series per column writes them; None
    otherwise.

    Examples
    --------
    >>> _series_per_column(["Mean1", "Mean2", "Mean3"]), _series_per_column(["ROI 1", "ROI 2"])
    ('Mean', 'ROI')
    >>> _series_per_column(["t0", "t1", "t2"]), _series_per_column(["cell1", "area"]), _series_per_column(["cell"])
    (None, None, None)
    """
    parts = [_SAMPLE_NAME.match(name.strip()) for name in names]
    if len(parts) < 2 or not all(parts):
        return None
    prefixes = {p["prefix"].strip().rstrip("=_:-#([ ").strip() for p in parts}
    if len(prefixes) != 1:
        return None
    prefix = prefixes.pop()
    return prefix if prefix.lower() in SERIES_WORDS else None


def _time_down_the_rows(first_column: tuple[str, list[str]] | None) -> tuple[str, float, float] | None:
    """A header's first column when it is a time axis down the rows: named as one (``t``, ``Time (s)``, ``frame``)
    and its numbers increasing in every row (at least :data:`~models.validation.DEFAULT_MIN_LENGTH` rows); its name,
    first and last value, else None.

    Examples
    --------
    >>> _time_down_the_rows(("Time (s)", [str(k / 10) for k in range(10)]))
    ('Time (s)', 0.0, 0.9)
    >>> _time_down_the_rows(("t", ["0", "1", "2", "3", "4", "5", "6", "6"])), _time_down_the_rows(("amp", ["1"] * 9))
    (None, None)
    """
    if first_column is None or not _TIME_COLUMN_NAME.match(first_column[0].strip()):
        return None
    try:
        values = np.array([float(c) for c in first_column[1]])
    except ValueError:
        return None
    if values.size < DEFAULT_MIN_LENGTH or not np.all(np.isfinite(values)) or not np.all(np.diff(values) > 0):
        return None
    return first_column[0], float(values[0]), float(values[-1])


def _refuse_series_per_column(table: Table, x_cols: list[int], target_cols: list[int]) -> None:
    """Refuse a table of one series per column, one time point per row (review 52B: ``t, cell0 … cell40`` with 200
    rows was read as 200 series of 40 values, the last cell's trace taken as the target; ``time, …``: the times were
    the target), when no column is named a target: the series columns' names are series' (:func:`_series_per_column`),
    or they name no time axis and the first column is one, down the rows (:func:`_time_down_the_rows`)."""
    header = table.header
    names = [header[j] for j in x_cols]
    word = _series_per_column(names)
    time = _time_down_the_rows(table.first_column)
    if word is None and (time is None or sample_axis(names) is not None):
        return
    rows = len(table.data)
    series = len(header) - (1 if time is not None and header[0] == time[0] else 0)  # the time column, when kept
    said = []
    if word is not None:
        said.append(f"its columns are named as series (“{names[0][:30]}” … “{names[-1][:30]}”), not time points")
    if time is not None:
        said.append(f"its first column, “{time[0][:30]}”, increases down the rows ({time[1]:g} … {time[2]:g}), as "
                    "a time axis does")
    targets = ", ".join(f"“{header[j][:30]}”" for j in target_cols)
    fix = TRANSPOSE_FIX.replace("<time column>", time[0]) if time is not None else TRANSPOSE_FIX.replace(
        "df.set_index('<time column>').T", "df.T")
    raise InputError("file", f"{', and '.join(said)}: each of its {rows} rows looks like one time point and each of "
                     f"its {series} columns of numbers one series, but AWD Studio reads one series per row (read so, "
                     f"it would be {rows} series of {len(x_cols)} values, with {targets} as the "
                     f"target{'s' if len(target_cols) > 1 else ''})",
                     f"{fix}; if each row is a series already, name its target column y (or target)")


def _refuse_targets_in_a_row(rows: list[list[str]], lines: list[int], header: list[str]) -> None:
    """Refuse a table whose targets are a row, named ``y`` or ``target`` in its first cell, under a header naming no
    target column: a table of one series per column (review 52B: it was refused as "a cell that is not a number:
    line 202, column 1 “t” holds 'y'")."""
    for line, row in zip(lines, rows):
        if row and row[0].strip().lower() in TARGET_NAMES:
            raise InputError("file", f"line {line} is a row named “{row[0].strip()}”: the targets are written in a "
                             f"row, one per column, so each column looks like one series and each row (but this "
                             "one) one time point; AWD Studio reads one series per row, its target in a column",
                             TRANSPOSE_FIX.replace("and add a column named y holding each series' target",
                                                   f"the row “{row[0].strip()}” becoming the column y"))


def load_csv(path: Path, budget: int, name: str | None, drop_incomplete: bool = False,
             pad_ends: bool = False) -> Dataset:
    """A delimited text file as a Dataset (``budget``: decoded bytes allowed; ``name``: None for the stem; with
    ``drop_incomplete`` the rows holding a cell that is not a number are left out, and named in
    ``meta["dropped_rows"]``, instead of refusing the file; with ``pad_ends`` each series' missing values after
    its last value are zeros (:func:`fill_ended_series`), said in ``meta["padded_rows"]``). With both, the traces
    that ended early are filled and the rows that still have a missing value (a gap inside a trace, a missing target,
    a row without any value, text) are left out: ``meta`` says both; a file of which no row is left is refused."""
    table = read_table(path, budget, drop_incomplete, keep_missing=pad_ends)
    data, header, ignored, dropped, row_words = table.data, table.header, table.ignored, table.dropped, table.rows
    width = data.shape[1]
    if width < 2:
        raise InputError("file", "has a single column", "put the series values and a target column in each row")
    targets, off_axis = csv_targets(header, width)
    if not targets and table.trailing_text and sample_axis(header) is not None:
        # a label of text after the traces (yes/no, 35.4%, 3.54 s) was left out and the last time point made the target
        label, cells = table.trailing_text[0]
        raise InputError("file", f"the column “{label[:30]}” after the time points holds text "
                         f"({_text_values(cells)}), so it would be left out as an identifier and the last time "
                         f"point, “{header[-1][:30]}”, taken as the target",
                         f"make it the target: {_coding_advice(label, cells)} (a target must be a number), and "
                         "upload again")
    target_cols = targets or [width - 1]  # none named: the last column
    target_names = [header[j] for j in target_cols] if header is not None else None
    x_cols = [j for j in range(width) if j not in target_cols]
    if header is not None and not target_columns(header):
        _refuse_series_per_column(table, x_cols, target_cols)
    if len(x_cols) < DEFAULT_MIN_LENGTH:  # e.g. cell,time,intensity: one row per measurement, not per series
        names = f" ({', '.join(header[j] for j in x_cols)})" if header is not None else ""
        raise InputError("file", f"has {len(x_cols)} series column(s){names} beside the target, so each row is a "
                                 f"series of {len(x_cols)} value(s); series need at least {DEFAULT_MIN_LENGTH}",
                         "put one series per row: its values in columns (time points) and its target in a column "
                         "named y or target; a long table with one row per measurement (cell, time, intensity) "
                         "must be turned around first, e.g. with pandas: df.pivot(index='cell', columns='time', "
                         "values='intensity')")
    padded = None
    if pad_ends:
        # a gap named by its column's header, as the reader's own errors name cells (review 21: "column 6 “t4”"
        # there, "at position 5" here, for one blank cell)
        columns = series_column_words(header, x_cols)
        if drop_incomplete:  # the rows filling cannot complete are left out too, named with the others
            data, row_words, dropped = _leave_out_unfillable(data, x_cols, target_cols, row_words, dropped)
        else:
            column = target_names[0] if target_names else f"column {target_cols[0] + 1}"
            refuse_missing_targets(data[:, x_cols], data[:, target_cols], f"the target column is “{column}”",
                                   row_words)
        x, padded = fill_ended_series(data[:, x_cols], row_words, columns, remedies=_fill_remedies(data[:, x_cols]))
        data = data.copy()
        data[:, x_cols] = x
    y = data[:, target_cols]
    if y.shape[1] == 1:
        y = y[:, 0]
    if target_names is not None and len(target_names) == 1:
        target_names = None if target_names[0].lower() in TARGET_NAMES else target_names
    meta = {"source_format": "csv", "target_columns": target_cols}
    if ignored:
        meta["ignored_columns"] = ignored
    if header is None:  # said in the preview: the columns were numbered, so none was named y or target
        meta["no_header"] = True
    if table.numbered:  # said in the preview: read as identifiers for their content, and how to keep one
        meta["numbered_columns"] = table.numbered
    axis = sample_axis([header[j] for j in x_cols]) if header is not None else None
    if axis:  # the figures label the series' axis with the file's own times
        meta["sample_axis"] = axis
    if dropped:  # said in the preview, with the first rows by line and identifier
        meta["dropped_rows"] = {"count": len(dropped), "rows": dropped[:20], "of": len(dropped) + len(data)}
    if padded:  # said in the preview: how many traces were filled, and how short the shortest was
        meta["padded_rows"] = padded
    if off_axis:  # said in the preview: these columns are targets, not more samples
        meta["targets_off_axis"] = [header[j] for j in off_axis]
    if not targets:  # said in the preview: a file of series alone loses its last sample here
        meta["target_is_last_column"] = True
    return Dataset(data[:, x_cols], y, name=name or path.stem, target_names=target_names, meta=meta,
                   min_samples=1)  # load_dataset checks the count


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _by_line(words: list[str]) -> list[str]:
    """Rows as errors name them (``"line 7 (trk0005)"``), in the file's order.

    Examples
    --------
    >>> _by_line(["line 12 (b)", "line 3", "line 7 (a)"])
    ['line 3', 'line 7 (a)', 'line 12 (b)']
    """
    return sorted(words, key=lambda w: int(re.match(r"line (\d+)", w)[1]) if re.match(r"line \d+", w) else 0)


def listed_rows(row_words, rows) -> str:
    """The first :data:`NAMED_BAD_CELLS` of ``rows`` (indices into ``row_words``) by name, ``…`` when there are more:
    how a refusal lists the rows it names.

    Examples
    --------
    >>> listed_rows(["line 2", "line 3", "line 4"], np.array([0, 2]))
    'line 2, line 4'
    """
    rows = np.asarray(rows)
    return ", ".join(row_words[i] for i in rows[:NAMED_BAD_CELLS]) + (" …" if rows.size > NAMED_BAD_CELLS else "")


def refuse_missing_targets(X, y, where: str, row_words, field: str = "file", noun: str = "row") -> None:
    """Refuse data read with ``pad_ends`` alone whose rows lack a target (only a trace's own end is filled), naming
    them; filling the ends and leaving those rows out is offered when some other row ended early.

    Parameters
    ----------
    X : ndarray of shape (n, L)
        The series, NaN where a value is missing.
    y : ndarray of shape (n, k)
        Their targets, NaN where missing.
    where : str
        Where the targets are, said in brackets (``"the target column is “y”"``).
    row_words : list of str
        How each row is named (``"line 7 (trk0005)"``, ``"sample 8"``).
    field, noun : str, default="file", "row"
        The error's field, and what a row is called (``"sample"`` for an array file's).

    Raises
    ------
    InputError
        When a row lacks a target; nothing happens otherwise.
    """
    missing_target = np.flatnonzero(np.isnan(np.asarray(y, dtype=np.float64)).any(axis=1))
    if not missing_target.size:
        return
    others = np.setdiff1d(np.arange(len(X)), missing_target)
    remedies = _fill_remedies(np.asarray(X)[others])
    also = f"; or {PAD_AND_DROP_WORDS}" if PAD_AND_DROP in remedies else ""
    raise InputError(field, f"{_count(missing_target.size, noun)} without a target: "
                     + listed_rows(row_words, missing_target) + f" ({where})",
                     f"only a trace's own end is filled: give every {noun} its target, or leave out the rows "
                     f"with missing values {DROP_INCOMPLETE_NAMES}{also}", remedies=remedies)


def _fill_remedies(X) -> tuple[str, ...]:
    """The remedies of a refusal of ``pad_ends`` alone for the series ``X`` (NaN where missing): leaving out the rows
    with missing values, and, when some row merely ended early (:func:`unfillable_rows` leaves it out), filling the
    ends while leaving out the others (:data:`PAD_AND_DROP`).

    Examples
    --------
    >>> _fill_remedies(np.array([[1.0, np.nan, 2.0], [1.0, 2.0, np.nan]]))
    ('drop_incomplete', 'pad_ends+drop_incomplete')
    >>> _fill_remedies(np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]]))
    ('drop_incomplete',)
    """
    X = np.asarray(X, dtype=np.float64)
    ended = np.isnan(X).any(axis=1)
    ended[unfillable_rows(X)] = False
    return ("drop_incomplete", PAD_AND_DROP) if ended.any() else ("drop_incomplete",)


def _leave_out_unfillable(data, x_cols, target_cols, row_words, dropped):
    """With ``pad_ends`` and ``drop_incomplete`` together: the rows of ``data`` kept, their words, and every row left
    out, in the file's order (:func:`keep_fillable_rows`)."""
    kept, dropped = keep_fillable_rows(data[:, x_cols], data[:, target_cols], row_words, dropped)
    return data[kept], [row_words[i] for i in kept], dropped


def series_column_words(header, x_cols, length=None):
    """How :func:`fill_ended_series` names each position of the series: the header's column (``column “t4”``), and
    ``position k`` (1-based) for positions past the file's columns up to ``length`` (a prediction file's rows padded
    to the trained length); None without a header.

    Examples
    --------
    >>> series_column_words(["id", "t0", "t1", "y"], [1, 2], length=3)
    ['column “t0”', 'column “t1”', 'position 3']
    >>> series_column_words(None, [0, 1]) is None
    True
    """
    if header is None:
        return None
    words = [f"column “{header[j][:30]}”" for j in x_cols]
    return words + [f"position {k + 1}" for k in range(len(words), length or len(words))]


def keep_fillable_rows(X, targets, row_words, dropped, fill_ends=True):
    """The rows that filling the ends (:func:`fill_ended_series`) can complete and that have every target: what a
    reader keeps with ``pad_ends`` and ``drop_incomplete`` together (a dataset's, a prediction's). A prediction's
    reader passes no ``targets`` (a row lacking only its target is predicted, without a score), and, without
    ``pad_ends``, ``fill_ends=False``: then only the rows whose series have every value are kept.

    Parameters
    ----------
    X : ndarray of shape (n, L)
        The series, NaN where a value is missing.
    targets : ndarray of shape (n, k) or None
        Their targets (k may be 0: none), NaN where missing; None: a missing target leaves no row out.
    row_words : list of str
        How each row is named (``"line 7 (trk0005)"``).
    dropped : list of str
        The rows the reader already left out (for text), named so.
    fill_ends : bool, default=True
        Whether the ends of traces that ended early will be filled; False: any missing value of a series leaves its
        row out.

    Returns
    -------
    kept : ndarray of int
        The rows kept, by index, in order.
    dropped : list of str
        Every row left out, the reader's and these, in the file's order.

    Raises
    ------
    InputError
        When no row is left.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0, np.nan], [1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
    >>> kept, named = keep_fillable_rows(X, np.array([[np.nan], [1.0], [2.0]]), ["line 2", "line 3", "line 4"], [])
    >>> kept.tolist(), named
    ([2], ['line 2', 'line 3'])
    >>> kept, named = keep_fillable_rows(X, None, ["line 2", "line 3", "line 4"], ["line 5"], fill_ends=False)
    >>> kept.tolist(), named
    ([2], ['line 2', 'line 3', 'line 5'])
    """
    lacking = np.zeros(len(X), dtype=bool) if targets is None else np.isnan(targets).any(axis=1)
    lacking[unfillable_rows(X) if fill_ends else np.isnan(np.asarray(X, dtype=np.float64)).any(axis=1)] = True
    out = np.flatnonzero(lacking)
    named = _by_line(dropped + [row_words[i] for i in out])
    if out.size == len(X):
        listed = listed_rows(named, np.arange(len(named)))
        if not fill_ends:  # a prediction's file, its series to be complete as given
            raise InputError("file", f"no row is left: every one of the {len(named)} rows has a missing value in "
                             f"its series, or text: {listed}",
                             "fill in the missing values first (e.g. interpolate): each series needs every time "
                             "point to be predicted")
        kinds = "a gap inside it, a missing target, a row without any value, or text" if targets is not None else \
            "a gap inside it, a row without any value, or text"
        raise InputError("file", f"no row is left: every one of the {len(named)} rows has a missing value that is not "
                         f"the end of its trace ({kinds}): {listed}",
                         "only the end of a trace that ended early is filled: fill in the gaps (e.g. interpolate)"
                         + (" and the targets" if targets is not None else "") + " first")
    return np.flatnonzero(~lacking), named


def unfillable_rows(X) -> np.ndarray:
    """The rows of ``X`` (NaN where a value is missing) that filling the ends (:func:`fill_ended_series`) cannot
    complete: a gap before the row's last value, or no value at all; by index, in order.

    Examples
    --------
    >>> unfillable_rows(np.array([[1.0, np.nan, 2.0], [1.0, 2.0, np.nan], [np.nan] * 3, [1.0, 2.0, 3.0]]))
    array([0, 2])
    """
    missing = np.isnan(np.asarray(X, dtype=np.float64))
    n_values = _value_counts(missing)
    positions = np.arange(missing.shape[1])
    gaps = missing & (positions[None, :] < n_values[:, None])
    return np.flatnonzero((n_values == 0) | gaps.any(axis=1))


def _value_counts(missing: np.ndarray) -> np.ndarray:
    """One past each row's last value (0 for a row without any), from the mask of its missing values."""
    n_values = missing.shape[1] - np.argmax(~missing[:, ::-1], axis=1)
    n_values[missing.all(axis=1)] = 0
    return n_values


def fill_ended_series(X, row_words=None, column_words=None, remedies=("drop_incomplete",)):
    """Fill each series' missing values (NaN) after its last value with zeros: traces that ended early.

    A trace tracked for fewer frames than the longest is written with blank cells after its last frame; in
    background-subtracted fluorescence (the CME traces) zero is the background a trace reads once its event is
    over, which is what the filled cells stand for. Only a series' end is filled: a gap between two values, or a
    series with no value at all, is refused.

    Parameters
    ----------
    X : ndarray of shape (n, L)
        The series, NaN where a value is missing.
    row_words : list of str, optional
        How an error names each row (``"line 7 (trk0005)"``); by default ``"row k"`` (1-based).
    column_words : list of str, optional
        How an error names each of the L positions (``"column “t4”"``); by default ``"position k"`` (1-based).
    remedies : tuple of str, default=("drop_incomplete",)
        The upload options the error names (:class:`~models.validation.InputError`'s); with :data:`PAD_AND_DROP`
        among them (:func:`_fill_remedies`: some other row merely ended early) its fix says that way too. To leave
        the rows it refuses out instead, find them first with :func:`unfillable_rows`.

    Returns
    -------
    X_filled : ndarray of shape (n, L)
        A copy with the ends filled with 0.0.
    padded : dict or None
        ``{"count", "of", "shortest", "length", "rows"}``: how many series were filled, of how many, the fewest
        values a series had, the length, and the first 20 filled rows as named; None when nothing was missing.

    Raises
    ------
    InputError
        When a series has a gap before its last value, or no value.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0, np.nan], [3.0, 4.0, 5.0]])
    >>> X_filled, padded = fill_ended_series(X)
    >>> X_filled.tolist(), padded["count"], padded["shortest"]
    ([[1.0, 2.0, 0.0], [3.0, 4.0, 5.0]], 1, 2)
    >>> fill_ended_series(np.array([[1.0, np.nan, 2.0]]))
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: file: 1 row with a gap before its last value: row 1 at position 2; \
only the end of a trace is filled: fill the gaps (e.g. interpolate) or leave out the rows with missing values \
instead (drop_incomplete=true; --drop-incomplete for awd distill and awd predict)
    """
    X = np.array(X, dtype=np.float64)
    missing = np.isnan(X)
    if not missing.any():
        return X, None
    words = row_words if row_words is not None else [f"row {i + 1}" for i in range(len(X))]
    n_values = _value_counts(missing)  # one past each row's last value
    empty = np.flatnonzero(n_values == 0)
    also = f"; or {PAD_AND_DROP_WORDS}" if PAD_AND_DROP in remedies else ""
    if empty.size:
        raise InputError("file", f"{_count(empty.size, 'row')} without any value: "
                         + ", ".join(words[i] for i in empty[:NAMED_BAD_CELLS]),
                         f"remove those rows, or leave out the rows with missing values {DROP_INCOMPLETE_NAMES}"
                         + also, remedies=tuple(remedies))
    positions = np.arange(X.shape[1])
    gaps = missing & (positions[None, :] < n_values[:, None])
    gap_rows = np.flatnonzero(gaps.any(axis=1))
    if gap_rows.size:
        def at(i):
            position = int(np.argmax(gaps[i]))
            return column_words[position] if column_words is not None else f"position {position + 1}"

        named = ", ".join(f"{words[i]} at {at(i)}" for i in gap_rows[:NAMED_BAD_CELLS])
        raise InputError("file", f"{_count(gap_rows.size, 'row')} with a gap before its last value: {named}"
                         + (" …" if gap_rows.size > NAMED_BAD_CELLS else ""),
                         "only the end of a trace is filled: fill the gaps (e.g. interpolate) or leave out the rows "
                         f"with missing values {DROP_INCOMPLETE_NAMES}{also}", remedies=tuple(remedies))
    ended = np.flatnonzero(n_values < X.shape[1])
    X[missing] = 0.0
    return X, {"count": int(ended.size), "of": int(len(X)), "shortest": int(n_values.min()),
               "length": int(X.shape[1]), "rows": [words[i] for i in ended[:20]]}

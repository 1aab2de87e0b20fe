"""Which reader a file needs: its format from the magic bytes, checked against its extension.

The one job of this module is :func:`detect_format`. It names the format (``"npz"``, ``"npy"``, ``"csv"``,
``"fits"``, ``"hdf5"``, ``"mat"`` or ``"mat73"``) and refuses, before any reader runs, the files that must
never be read: missing or empty files, pickles, gzip streams, unrecognised bytes and extensions that lie.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from awd_studio.models.validation import InputError

__all__ = ["FORMATS", "SUPPORTED", "detect_format"]

#: Format name -> accepted extensions.
FORMATS = {
    "npz": (".npz",),
    "npy": (".npy",),
    "csv": (".csv", ".tsv", ".txt"),
    "fits": (".fits", ".fit", ".fts"),
    "hdf5": (".h5", ".hdf5", ".hdf"),
    "mat": (".mat",),
}
#: The formats, as error messages name them.
SUPPORTED = "npz, npy (+ sibling *_y.npy), csv, FITS, HDF5 or MATLAB .mat"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _format_from_magic(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "npz"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(_HDF5_MAGIC):
        return "hdf5"
    if head.startswith(b"MATLAB 7.3"):
        return "mat73"
    if head.startswith(b"MATLAB"):
        return "mat"
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    if head[:1] == b"\x80":
        return "pickle"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return None


def _format_from_extension(path: Path) -> str | None:
    ext = path.suffix.lower()
    for fmt, exts in FORMATS.items():
        if ext in exts:
            return fmt
    return None


#: Spreadsheet files, which no reader opens (no spreadsheet dependency): the refusal says how to save one as CSV.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def spreadsheet_hint(suffix: str) -> str:
    """The way forward for a spreadsheet file (``suffix`` with its dot, any case), or ``""`` for any other file.

    Examples
    --------
    >>> spreadsheet_hint(".XLSX")
    'save it from Excel as CSV: File → Save As → CSV UTF-8 (LibreOffice: File → Save As → Text CSV), then upload \
the .csv file'
    >>> spreadsheet_hint(".npz")
    ''
    """
    if suffix.lower() not in SPREADSHEET_SUFFIXES:
        return ""
    return ("save it from Excel as CSV: File → Save As → CSV UTF-8 (LibreOffice: File → Save As → Text CSV), then "
            "upload the .csv file")


def zipped_spreadsheet(path: Path) -> str | None:
    """The kind of spreadsheet a zip file is, by its entries: ``"xlsx"`` for an Excel workbook (``xl/...``, or
    ``[Content_Types].xml`` without ``.npy`` entries), ``"ods"`` for an OpenDocument one (``mimetype`` naming a
    spreadsheet), None for any other zip (an npz) or one whose directory cannot be read (left to the npz reader).
    Only the zip's directory (and the ODS ``mimetype`` entry, a few bytes) is read.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(name.startswith("xl/") for name in names) or (
                    "[Content_Types].xml" in names and not any(name.endswith(".npy") for name in names)):
                return "xlsx"
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                if b"spreadsheet" in archive.read("mimetype"):
                    return "ods"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, KeyError, EOFError):
        return None
    return None


#: The byte-order marks of UTF-16 text (Excel's "Unicode Text" export: little-endian, tab-separated).
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


#: The characters that separate a text table's cells and rows.
_SEPARATORS = ",;\t \r\n"


def _binary_character(c: str) -> bool:
    """A character no text table holds: a control character other than a separator, a byte-order mark inside the
    text, an unassigned or a private-use code point (what bytes that are not text decode to)."""
    return c == "\ufeff" or (unicodedata.category(c) in ("Cc", "Cn", "Co") and c not in _SEPARATORS)


def _looks_like_utf16(head: bytes) -> bool:
    r"""Whether a file's first bytes are UTF-16 text after a byte-order mark: they decode to a table's characters,
    with a separator or a line end and no control characters but tabs and line ends (UTF-32's mark starts as
    UTF-16's and decodes to NULs; other bytes after the mark decode to letters of no table).

    Examples
    --------
    >>> _looks_like_utf16(codecs.BOM_UTF16_LE + "t0\tt1\ty\r\n".encode("utf-16-le"))
    True
    >>> _looks_like_utf16(codecs.BOM_UTF32_LE + "t0,y".encode("utf-32-le")), _looks_like_utf16(b"t0,y")
    (False, False)
    >>> _looks_like_utf16(b"\xff\xfe\x00\x01" * 10)  # binary after the mark: U+0100 and U+FEFF, no separator
    False
    """
    if not head.startswith(UTF16_BOMS):
        return False
    body = head[2:len(head) - len(head) % 2]
    codec = "utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    for cut in (0, 2):  # the 1 KiB window may cut a surrogate pair
        try:
            text = body[:len(body) - cut].decode(codec)
        except UnicodeDecodeError:
            continue
        return any(c in _SEPARATORS for c in text) and not any(_binary_character(c) for c in text)
    return False


def _looks_like_text(head: bytes) -> bool:
    """Whether a file's first bytes are text the CSV reader decodes: UTF-16 with a byte-order mark, else UTF-8 or
    Windows-1252 without NUL bytes."""
    if head.startswith(UTF16_BOMS):
        return _looks_like_utf16(head)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # the 1 KiB window may cut a multi-byte character
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            try:
                head.decode("cp1252")  # Excel's plain "CSV" on Windows
            except UnicodeDecodeError:
                return False
    return True


def detect_format(path) -> str:
    """The reader to use for ``path``: "npz", "npy", "csv", "fits", "hdf5", "mat" or "mat73".

    The magic bytes decide; a known extension that disagrees with them is an error (a pickle renamed to
    ``.npz`` is caught here). Files with an unknown extension are accepted when their magic bytes are
    recognised (uploads may be stored under neutral names); text without a known extension is refused.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    fmt : str

    Raises
    ------
    InputError
        Missing, empty, pickled, gzip-compressed or unrecognised files, or an extension that lies.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file", f"{path.name!r} does not exist or is not a file", "pass the path of a data file")
    if path.stat().st_size == 0:
        raise InputError("file", f"{path.name!r} is empty", f"upload a non-empty {SUPPORTED} file")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if spreadsheet_hint(path.suffix):  # an .xlsx is a zip file, as an .npz is: said before its bytes are
        raise InputError("file", f"{path.name!r} is a spreadsheet, which is not read ({SUPPORTED} are)",
                         spreadsheet_hint(path.suffix))
    by_magic = _format_from_magic(head)
    by_ext = _format_from_extension(path)
    if by_magic == "pickle":
        raise InputError("file", f"{path.name!r} is a Python pickle, which is never loaded (it can run code)",
                         "save the arrays with numpy.savez (X=..., y=...) instead")
    if by_magic == "gzip":
        raise InputError("file", f"{path.name!r} is gzip-compressed", "decompress it, or save a compressed .npz")
    spreadsheet = zipped_spreadsheet(path) if by_magic == "npz" else None
    if spreadsheet:  # an .xlsx renamed to .csv was told "its content is npz" (both are zip files)
        workbook = "an Excel workbook (.xlsx)" if spreadsheet == "xlsx" else "an OpenDocument spreadsheet (.ods)"
        named = f" named {path.suffix!r}" if path.suffix else ""
        raise InputError("file", f"{path.name!r} is {workbook}{named}, which is not read ({SUPPORTED} are)",
                         spreadsheet_hint(f".{spreadsheet}"))
    if by_magic == "hdf5" and by_ext == "mat":
        by_magic = "mat73"
    if by_magic == "mat73" and by_ext not in (None, "mat", "hdf5"):
        raise InputError("file", f"{path.name!r} is a MATLAB v7.3 file but named {path.suffix!r}", "rename it to .mat")
    if by_magic is None:
        if by_ext == "csv" and _looks_like_text(head):
            return "csv"
        if by_ext is not None:
            raise InputError("file", f"{path.name!r} is named {path.suffix!r} but its content is not a valid "
                             f"{by_ext} file (damaged, truncated or mislabelled)", f"upload a valid {SUPPORTED} file")
        raise InputError("file", f"{path.name!r} has an unknown format (extension {path.suffix!r})",
                         f"upload a {SUPPORTED} file")
    base = "mat" if by_magic == "mat73" else by_magic
    if by_ext is not None and by_ext != base and not (by_ext == "hdf5" and by_magic == "mat73"):
        raise InputError("file", f"{path.name!r} is named {path.suffix!r} but its content is {by_magic}",
                         f"give the file its true extension, or upload a valid {by_ext} file")
    return by_magic


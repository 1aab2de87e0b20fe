"""Finding a result's files in a folder, under the names ``awd distill --out`` writes or the names they download as.

The web app and the API name downloads after their run (``awd-<8 characters of the job id or share token>-
result.json``), so that two runs' files do not overwrite each other; a folder of downloads then holds
``awd-1a2b3c4d-result.json`` and ``awd-1a2b3c4d-arrays.npz`` rather than ``result.json`` and ``arrays.npz``.
:func:`result_file` finds either.
"""

from __future__ import annotations

from pathlib import Path

from awd_studio.models.validation import InputError

__all__ = ["result_file"]


def result_file(result_dir, name: str) -> Path:
    """The path of a result's file ``name`` in ``result_dir``: ``name`` itself, else the one downloaded file
    ``*-<name>`` (named after its run).

    Parameters
    ----------
    result_dir : str or Path
        A result directory (``awd distill --out``), or a folder the result's downloads were saved in.
    name : str
        ``"result.json"`` or ``"arrays.npz"``.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        When the folder holds neither, or the files of more than one run.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "awd-1a2b3c4d-result.json").write_text("{}")
    >>> result_file(folder, "result.json").name
    'awd-1a2b3c4d-result.json'
    >>> _ = (folder / "result.json").write_text("{}")
    >>> result_file(folder, "result.json").name
    'result.json'
    """
    folder = Path(result_dir)
    plain = folder / name
    if plain.is_file():
        return plain
    downloaded = sorted(p for p in folder.glob(f"*-{name}") if p.is_file()) if folder.is_dir() else []
    if len(downloaded) == 1:
        return downloaded[0]
    if len(downloaded) > 1:
        raise InputError("result", f"{folder} holds the {name} of more than one run "
                         f"({', '.join(p.name for p in downloaded[:4])})",
                         "keep one run's result.json and arrays.npz per folder")
    raise InputError("result", f"{folder} holds no {name}",
                     "pass the directory `awd distill --out` wrote, or a folder with the run's downloaded "
                     "result.json and arrays.npz (their names may start with awd-<run>-)")

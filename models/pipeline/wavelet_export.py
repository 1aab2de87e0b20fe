"""A result's learned wavelet as a ``pywt.Wavelet``, for use in PyWavelets and notebooks."""

from __future__ import annotations

import json
from pathlib import Path

from awd_studio.models.filters import to_pywt
from awd_studio.models.pipeline.result_files import result_file
from awd_studio.models.validation import InputError

__all__ = ["wavelet_from_result"]


def wavelet_from_result(result, which="selected", name=None):
    """The learned (or initial) wavelet of a result as a ``pywt.Wavelet``.

    Parameters
    ----------
    result : dict, str or Path
        A result bundle (``result.json`` read as a dict), the path of ``result.json``, or its directory (or a
        folder with the run's downloaded ``awd-<run>-result.json``).
    which : {"selected", "initial"} or int, default="selected"
        The wavelet the result selected, its initial wavelet, or the filter of grid point ``i``.
    name : str or None, default=None
        The wavelet's name in PyWavelets; None: ``"awd"`` for a learned filter, the initial wavelet's own name
        (``wavelet.init``, e.g. ``"db5"``) for ``which="initial"``.

    Returns
    -------
    pywt.Wavelet
        ``rec_lo`` is the learned lowpass ``h`` (:func:`models.filters.to_pywt`); use it with the bundle's
        ``wavelet.mode`` and ``wavelet.levels`` (``pywt.wavedec(x, w, level=levels, mode=mode)``).

    Examples
    --------
    >>> import pywt
    >>> w = wavelet_from_result({"wavelet": {"h": list(pywt.Wavelet("db2").rec_lo)}})
    >>> [round(v, 6) for v in w.rec_lo] == [round(v, 6) for v in pywt.Wavelet("db2").rec_lo], w.name
    (True, 'awd')
    >>> wavelet_from_result({"wavelet": {"init": "db2", "init_h": list(pywt.Wavelet("db2").rec_lo)}}, "initial").name
    'db2'
    """
    if not isinstance(result, dict):
        path = Path(result)
        path = result_file(path, "result.json") if path.is_dir() else path
        if not path.is_file():
            raise InputError("result", f"{path} does not exist", "pass a result directory or its result.json")
        result = json.loads(path.read_text())
    wavelet = result.get("wavelet") or {}
    if which == "selected":
        h = wavelet.get("h")
    elif which == "initial":
        h = wavelet.get("init_h")
    elif isinstance(which, int) and 0 <= which < len(result.get("grid") or []):
        h = result["grid"][which]["h"]
    else:
        raise InputError("which", f"{which!r} is not a wavelet of this result",
                         "use 'selected', 'initial' or a grid index")
    if not h:
        raise InputError("result", "holds no learned filter (wavelet.h)", "pass a result bundle of AWD Studio")
    if name is None:
        name = str(wavelet.get("init") or "initial") if which == "initial" else "awd"
    return to_pywt(h, name=name)

"""A result's learned wavelet as a ``pywt.Wavelet``, for use in PyWavelets and notebooks."""

from __future__ import annotations

import json
from pathlib import Path

from awd_studio.models.filters import to_pywt
from awd_studio.models.pipeline.predict import recommended_model
from awd_studio.models.pipeline.result_files import result_file
from awd_studio.models.validation import InputError

__all__ = ["wavelet_from_result"]


def wavelet_from_result(result, which="recommended", name=None):
    """The wavelet of a result, learned or initial, as a ``pywt.Wavelet``.

    Parameters
    ----------
    result : dict, str or Path
        A result bundle (``result.json`` read as a dict), the path of ``result.json``, or its directory (or a
        folder with the run's downloaded ``awd-<run>-result.json``).
    which : {"recommended", "learned", "initial"} or int, default="recommended"
        ``"recommended"``: the wavelet of the student the result recommends (``predict_from_bundle``'s default
        model): the initial wavelet when cross-validation kept it (``selection.choice == "initial"``), else the
        learned one. ``"learned"``: the learned filter of the grid point cross-validation chose (``wavelet.h``;
        ``"selected"`` is an older name of it). ``"initial"``: the wavelet the distillation started from. An
        int ``i``: the learned filter of grid point ``i``.
    name : str or None, default=None
        The wavelet's name in PyWavelets; None: ``"awd"`` for a learned filter, the initial wavelet's own name
        (``wavelet.init``, e.g. ``"db5"``) for the initial one.

    Returns
    -------
    pywt.Wavelet
        ``rec_lo`` is the lowpass ``h`` (:func:`models.filters.to_pywt`); use it with the bundle's
        ``wavelet.mode`` and ``wavelet.levels`` (``pywt.wavedec(x, w, level=levels, mode=mode)``).

    Examples
    --------
    >>> import pywt
    >>> db2, db3 = list(pywt.Wavelet("db2").rec_lo), list(pywt.Wavelet("db3").rec_lo)
    >>> w = wavelet_from_result({"wavelet": {"h": db3}})
    >>> [round(v, 6) for v in w.rec_lo] == [round(v, 6) for v in db3], w.name
    (True, 'awd')
    >>> kept = {"selection": {"choice": "initial"}, "students": {"baseline_wavelet": {}},
    ...         "wavelet": {"h": db3, "init": "db2", "init_h": db2}}
    >>> wavelet_from_result(kept).name, wavelet_from_result(kept, "learned").name
    ('db2', 'awd')
    """
    if not isinstance(result, dict):
        path = Path(result)
        path = result_file(path, "result.json") if path.is_dir() else path
        if not path.is_file():
            raise InputError("result", f"{path} does not exist", "pass a result directory or its result.json")
        result = json.loads(path.read_text())
    wavelet = result.get("wavelet") or {}
    if which == "recommended":  # the wavelet of predict_from_bundle's default student
        which = "initial" if recommended_model(result) == "baseline_wavelet" and wavelet.get("init_h") else "learned"
    if which in ("learned", "selected"):
        h = wavelet.get("h")
    elif which == "initial":
        h = wavelet.get("init_h")
    elif isinstance(which, int) and not isinstance(which, bool) and 0 <= which < len(result.get("grid") or []):
        h = result["grid"][which]["h"]
    else:
        raise InputError("which", f"{which!r} is not a wavelet of this result",
                         "use 'recommended', 'learned', 'initial' or a grid index")
    if not h:
        raise InputError("result", "holds no learned filter (wavelet.h)", "pass a result bundle of AWD Studio")
    if name is None:
        name = str(wavelet.get("init") or "initial") if which == "initial" else "awd"
    return to_pywt(h, name=name)

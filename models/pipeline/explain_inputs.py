"""What explaining one prediction of a finished result needs, kept next to its bundle in ``.explain/``.

A job's work directory (teacher weights, data split) is deleted when the job succeeds, so :func:`finalize`
keeps the few things an explanation needs in a hidden folder of the result directory:

``.explain/teacher<suffix>``
    A copy of the teacher's weights file (as trained or as uploaded).
``.explain/inputs.json``
    Teacher name, input shape, kind, the explained output, the input scaling, the initial wavelet, the learned
    filter, levels and mode, and (time series) the AWD student's linear model on its top-k features.
``.explain/inputs.npz``
    ``X_test`` and ``y_test`` (the examples one picks from by index).

The folder's name starts with a dot: :func:`jobstate.storage.resolve_artifact` refuses such names and the
API's file listing skips them, so a share link never downloads the teacher's weights.
:func:`load_explain_context` reads it back as ready-to-explain torch modules on raw inputs.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from awd_studio.models import teachers as _teachers
from awd_studio.models.explain.torch_student import TopKStudent
from awd_studio.models.files import atomic_write_bytes
from awd_studio.models.pipeline.result_files import result_file
from awd_studio.models.pipeline.student_params import left_out_positions, record_candidates
from awd_studio.models.predictors import TopKLinearRegressor
from awd_studio.models.validation import InputError
from awd_studio.models.wavelets import coeff_lengths

__all__ = ["EXPLAIN_DIR", "write_explain_inputs", "load_explain_context", "ExplainContext",
           "read_explain_meta", "explained_wavelet", "student_spec", "EXPLAIN_WHERE_IT_RAN"]

#: The hidden folder of a result directory that holds the inputs of explanations.
EXPLAIN_DIR = ".explain"


def write_explain_inputs(out_dir, *, info, config, X_test, y_test, h_learned, student=None, student_column=0,
                         recommended_wavelet="learned"):
    """Keep what explanations need in ``out_dir/.explain`` (called by :func:`models.pipeline.finalize`).

    Parameters
    ----------
    out_dir : path-like
        The result directory.
    info : dict
        ``prepare.json`` (teacher file and name, data shape and kind, attribution target, input scaling).
    config : PipelineConfig
    X_test : ndarray of shape (n, L) or (n, H, W)
    y_test : ndarray of shape (n,) or (n, k)
    h_learned : ndarray of shape (N,)
        The selected AWD lowpass filter.
    student : TopKLinearRegressor or None
        The fitted AWD series student (``None`` for maps: peak counting has no gradient).
    student_column : int, default=0
        Output column of the student that reports the target.
    recommended_wavelet : {"learned", "initial"}, default="learned"
        The wavelet explanations use unless told otherwise: the one cross-validation kept.
    """
    folder = Path(out_dir) / EXPLAIN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(info["teacher"]["file"])
    teacher_copy = folder / f"teacher{source.suffix}"
    shutil.copyfile(source, teacher_copy)
    scaling = info.get("scaling") or {"offset": 0.0, "scale": 1.0}
    meta = {
        "teacher": {"name": config.teacher, "file": teacher_copy.name},
        "kind": info["data"]["kind"], "shape": list(info["data"]["shape"]),
        "target": int(info["teacher"]["attribution_target"]),
        "scaling": {"offset": float(scaling["offset"]), "scale": float(scaling["scale"])},
        "initial_wavelet": config.wave, "h_learned": [float(v) for v in np.asarray(h_learned)],
        "levels": int(config.levels), "mode": config.mode, "student": None, "n_test": int(len(X_test)),
        "recommended_wavelet": recommended_wavelet,
        "teacher_test_r2": (info["teacher"].get("test") or {}).get("r2"),
    }
    if student is not None:
        meta["student"] = {"k": int(student.k), "by": student.by, "n_features": int(student.n_features_),
                           "coef": np.atleast_2d(np.asarray(student.coef_, dtype=float)).tolist(),
                           "intercept": np.atleast_1d(np.asarray(student.intercept_, dtype=float)).tolist(),
                           "column": int(student_column)}
        if student.by == "position":
            meta["student"]["positions"] = [[int(i) for i in band] for band in student.positions_]
        elif student.candidates is not None:  # the largest among its candidates
            meta["student"]["left_out"] = left_out_positions(student.candidates)
    np.savez_compressed(folder / "inputs.npz", X_test=np.asarray(X_test), y_test=np.asarray(y_test))
    atomic_write_bytes(folder / "inputs.json", json.dumps(meta, indent=1, allow_nan=False).encode())


def read_explain_meta(result_dir) -> dict | None:
    """``.explain/inputs.json`` (kind, shape, ``n_test``, whether a student is kept), or ``None``: cheap checks
    of a request without loading any weights."""
    try:
        return json.loads((Path(result_dir) / EXPLAIN_DIR / "inputs.json").read_text())
    except (OSError, ValueError):
        return None


def student_spec(meta: dict) -> dict:
    """The AWD series student kept in a result's ``inputs.json``.

    Raises
    ------
    InputError
        ``model``: the result is of maps (their student counts peaks, which has no gradient); the fix names the
        teacher for every interface (the CLI's flag, the API's field, the page's choice).

    Examples
    --------
    >>> student_spec({"student": None})
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: model: 'student' is available for time series only: the map student \
counts peaks, which has no gradient to explain; explain the teacher instead (awd explain --model teacher; \
model='teacher' in the API; the model “teacher” in the Explain panel)
    """
    spec = meta.get("student")
    if spec is None:
        raise InputError("model", "'student' is available for time series only: the map student counts peaks, "
                         "which has no gradient to explain",
                         "explain the teacher instead (awd explain --model teacher; model='teacher' in the API; "
                         "the model “teacher” in the Explain panel)")
    return spec


def explained_wavelet(meta: dict, name: str) -> tuple:
    """``(wavelet, level)`` for :func:`models.explain.explain` from a result's ``inputs.json``: the learned filter,
    the initial wavelet (both at the job's levels) or a PyWavelets name (``None``: its default level).

    Examples
    --------
    >>> meta = {"h_learned": [0.7071, 0.7071], "initial_wavelet": "db4", "levels": 3}
    >>> explained_wavelet(meta, "initial"), explained_wavelet(meta, "sym4")
    (('db4', 3), ('sym4', None))
    """
    if name == "learned":
        return np.asarray(meta["h_learned"], dtype=np.float64), int(meta["levels"])
    if name == "initial":
        return meta["initial_wavelet"], int(meta["levels"])
    return name, None


class _ScaledInput(torch.nn.Module):
    """``forward(x) = model((x - offset) / scale)``: a model of scaled inputs seen from raw inputs."""

    def __init__(self, model, offset, scale):
        super().__init__()
        self.model, self.offset, self.scale = model, float(offset), float(scale)

    def forward(self, x):
        return self.model((x - self.offset) / self.scale)


@dataclass
class ExplainContext:
    """A result, ready to explain: models on raw inputs, the test examples, the wavelets.

    Attributes
    ----------
    kind : {"timeseries", "image"}
    X_test : ndarray of shape (n, L) or (n, H, W)
    y_test : ndarray of shape (n,) or (n, k)
    target : int
        The teacher's explained output.
    initial_wavelet : str
    h_learned : ndarray of shape (N,)
    levels : int
    mode : str
    teacher_name : str
    """

    kind: str
    X_test: np.ndarray
    y_test: np.ndarray
    target: int
    initial_wavelet: str
    h_learned: np.ndarray
    levels: int
    mode: str
    teacher_name: str
    _folder: Path
    _meta: dict

    @property
    def n_test(self) -> int:
        return int(len(self.X_test))

    @property
    def has_student(self) -> bool:
        return self._meta.get("student") is not None

    def teacher(self):
        """The teacher in evaluation mode (a function of raw inputs)."""
        model = _teachers.load_teacher(self._folder / self._meta["teacher"]["file"], name=self.teacher_name,
                                       input_shape=tuple(self._meta["shape"]))
        return model.eval()

    def student(self):
        """``(module, output column)``: the AWD series student as a torch module of raw series.

        Raises
        ------
        InputError
            ``model``: the result is of maps (their student counts peaks, which has no gradient).
        """
        spec = student_spec(self._meta)
        fitted = TopKLinearRegressor(k=spec["k"], by=spec["by"])
        fitted.coef_ = np.asarray(spec["coef"], dtype=np.float64)
        fitted.intercept_ = np.asarray(spec["intercept"], dtype=np.float64)
        fitted.n_features_ = int(spec["n_features"])
        if spec["by"] == "position":
            fitted.positions_ = [np.asarray(band, dtype=np.int64) for band in spec["positions"]]
        else:  # inputs.json written before 2026-12-06 has no left_out: every coefficient was a candidate
            fitted.candidates = record_candidates(spec, coeff_lengths(self._meta["shape"][-1], len(self.h_learned),
                                                                      self.levels, self.mode))
        fitted.model_ = "restored from .explain/inputs.json"
        module = TopKStudent(fitted, self.h_learned, self._meta["shape"][-1], self.levels, self.mode)
        scaling = self._meta["scaling"]
        return _ScaledInput(module, scaling["offset"], scaling["scale"]).eval(), int(spec["column"])

    def wavelet(self, name):
        """``(wavelet, level)`` for :func:`models.explain.explain` (:func:`explained_wavelet`)."""
        return explained_wavelet(self._meta, name)


def load_explain_context(result_dir) -> ExplainContext:
    """Read ``result_dir/.explain`` (never unpickled).

    Raises
    ------
    InputError
        ``result``: the folder holds no ``.explain/``: a result downloaded or unpacked from its archive, which
        leave it out (explain it where the job ran), or one written before explanations were kept (rerun the job)
        (:func:`_without_explain_inputs`).
    """
    folder = Path(result_dir) / EXPLAIN_DIR
    if not (folder / "inputs.json").is_file():
        raise _without_explain_inputs(result_dir)
    meta = json.loads((folder / "inputs.json").read_text())
    with np.load(folder / "inputs.npz", allow_pickle=False) as f:
        X_test, y_test = f["X_test"], f["y_test"]
    return ExplainContext(kind=meta["kind"], X_test=X_test, y_test=y_test, target=meta["target"],
                          initial_wavelet=meta["initial_wavelet"],
                          h_learned=np.asarray(meta["h_learned"], dtype=np.float64), levels=meta["levels"],
                          mode=meta["mode"], teacher_name=meta["teacher"]["name"], _folder=folder, _meta=meta)


#: Where a result can be explained when the folder at hand lacks its ``.explain/`` (the downloads and the archive
#: leave out the teacher's weights): where the job ran.
EXPLAIN_WHERE_IT_RAN = ("explain it where the job ran: the results page's Explain panel, POST /api/results/<job id>/"
                        "explain, or `awd explain` on the folder `awd distill --out` wrote")


def _without_explain_inputs(result_dir) -> InputError:
    """The refusal to explain a result folder without ``.explain/``, saying why it lacks them.

    A result written since explanations kept their inputs has ``students`` in its ``result.json`` (added a commit
    before ``.explain/``); a folder unpacked from the result's archive (``GET /api/results/<id>/archive``) or made of
    its downloads holds such a ``result.json`` but never ``.explain/``, whose teacher weights are not shared. Only a
    ``result.json`` without ``students`` is an old result.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "result.json").write_text('{"schema": "awd-result/1", "students": {"awd": {}}}')
    >>> str(_without_explain_inputs(folder))[:80]
    'result: this folder holds the result without its explanation inputs (.explain/: '
    >>> _ = (folder / "result.json").write_text('{"schema": "awd-result/1", "models": {}}')
    >>> str(_without_explain_inputs(folder))[:74]
    'result: was written before explanations kept their inputs (teacher and tes'
    """
    path = result_file(result_dir, "result.json")
    try:
        bundle = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        bundle = None
    unpacked = (Path(result_dir) / "use_in_python.py").is_file()  # the archive's code beside its files
    if unpacked or (isinstance(bundle, dict) and bundle.get("students")):
        folder = "this folder, unpacked from the result's archive," if unpacked else "this folder"
        left_out = "the archive leaves" if unpacked else "the result's downloads and its archive leave"
        return InputError("result", f"{folder} holds the result without its explanation inputs (.explain/: the "
                          f"teacher's weights and the test split), which {left_out} out", EXPLAIN_WHERE_IT_RAN)
    return InputError("result", "was written before explanations kept their inputs (teacher and test split)",
                      "rerun the job (or `awd distill`) with this version to explain its predictions")

"""The one translation of a stored job into the pipeline's config, for the web process and the workers.

A job row stores its options as validated on submission (without file paths); an uploaded teacher is a row of
its own. :func:`job_config` joins them into a :class:`models.options.PipelineConfig` with the teacher's weights
file under ``AWD_DATA_DIR``, the same way on submission (to validate) and in the worker (to run).
"""

from pathlib import PurePath

from awd_studio.jobstate.db import Teacher
from awd_studio.jobstate.storage import Paths
from awd_studio.models.options import PipelineConfig

__all__ = ["job_config", "stored_options", "uploaded_file_name"]


def job_config(options: dict, teacher: Teacher | None, paths: Paths, device: str | None = None) -> PipelineConfig:
    """The pipeline config of a job.

    Parameters
    ----------
    options : dict
        The job's options (``JobOptions`` fields; ``teacher`` an architecture or ``"auto"``).
    teacher : jobstate.db.Teacher or None
        An uploaded teacher: its architecture and weights file replace ``options["teacher"]``, and the name of the
        file its owner uploaded is the config's ``teacher_file_name`` (the bundle names the weights by it).
    paths : jobstate.storage.Paths
        The data directory's layout.
    device : str or None, default=None
        The worker's device (``AWD_DEVICE``), used when the job names none.

    Raises
    ------
    ValueError
        Naming the first invalid option.
    """
    config = dict(options)
    config.pop("teacher_path", None)
    config.pop("teacher_file_name", None)
    if teacher is not None:
        config["teacher"] = teacher.arch
        config["teacher_path"] = str(paths.teacher_dir(teacher.id) / teacher.filename)
        config["teacher_file_name"] = uploaded_file_name(teacher)
    if device and not config.get("device"):
        config["device"] = device
    return PipelineConfig.from_dict(config)


def uploaded_file_name(teacher: Teacher) -> str:
    """The name of the file an uploaded teacher came from, as its owner's client sent it (without folders); for a
    row stored before that was kept, its name with its weights' extension.

    Examples
    --------
    >>> uploaded_file_name(Teacher(name="mynet", filename="weights.pt2", original_filename="mynet.pt2"))
    'mynet.pt2'
    >>> uploaded_file_name(Teacher(name="mynet", filename="weights.pt2", original_filename=None))
    'mynet.pt2'
    """
    return teacher.original_filename or f"{teacher.name}{PurePath(teacher.filename).suffix}"


def stored_options(config: PipelineConfig) -> dict:
    """What a job row keeps of a config: every option, no file path, nor the uploaded teacher's file name (its
    teacher row has it)."""
    data = config.to_dict()
    data.pop("teacher_path", None)
    data.pop("teacher_file_name", None)
    return data

"""``awd``: example data, distillation from the terminal, the embedded server and workers.

::

    awd example {synthetic,cme,lensing} --out FILE.npz [--force] [--n N] [--seed S]
    awd tile MAPS --size PX --out FILE.npz [--force] [--test-fraction 0.2] [--seed S]
    awd distill FILE --out DIR [--teacher NAME|PATH] [--target K|NAME] [--levels J] [--wave db5] ...
    awd reproduce synthetic --out DIR [--seeds 0,1,2,3,4] [--epochs E] [--n N] [--quick] ...
    awd predict RESULT_DIR NEW_DATA [--out preds.npz|preds.csv] [--force] [--model awd]
    awd serve [--host 127.0.0.1] [--port 8050] [--data-dir ./awd-data]
    awd worker [--concurrency 1]
    awd explain RESULT --example K [--lam L] [--wavelet learned|initial|NAME] [--model teacher|student] [--out DIR]
"""

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
import typing
from enum import StrEnum
from pathlib import Path

from awd_studio import explain_cli
from awd_studio.models.options import (
    DEFAULT_TEACHER,
    TEACHER_ARCHITECTURES,
    TEACHER_FILE_SUFFIXES,
    TEACHERS_BY_KIND,
    cli_fields,
    grid_from_text,
)
from awd_studio.writable import check_writable

__all__ = ["main", "build_parser", "attached_list_values"]


def _floats(text):
    try:
        return grid_from_text(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


#: What leaving an option out means, where its default is None and "None" would say nothing.
_NONE_MEANS = {"teacher_epochs": "the architecture's own limit, stopping earlier once validation stops improving",
               "patience": "no early stopping", "device": "CUDA when available, else the CPU"}
#: What a default of a choice option means, where its name alone does not say.
_DEFAULT_MEANS = {"grid_preset": "default, the quick grid", "gradient_path": "auto, which takes eq8"}
#: What ``--force`` does for the commands that write one file.
_FORCE_HELP = "replace the --out file if it exists (never the command's own input files)"
#: Where ``--drop-incomplete`` and ``--pad-ends`` find missing values (models.data.load_dataset): text and array files.
_MISSING_VALUES = ("blank cells of a .csv/.tsv/.txt file, NaN in the series of an .npz, .npy, HDF5 (.h5) or MATLAB "
                   "(.mat) file")
#: Options given as lists on the command line.
_LIST_OPTIONS = ("lambdas", "gammas")


def build_parser():
    """The argument parser of the ``awd`` command."""
    from awd_studio.models import __version__  # torch-free; the science loads only in the commands that use it

    parser = argparse.ArgumentParser(prog="awd", description="AWD Studio: adaptive wavelet distillation.")
    parser.add_argument("--version", action="version", version=f"awd-studio {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    from awd_studio.models.data.examples import EXAMPLE_INFO

    # one paragraph an example, in the words GET /api/examples serves
    examples = "\n\n".join(textwrap.fill(f"{name}: {info.description}", 79, subsequent_indent="  ")
                           for name, info in EXAMPLE_INFO.items())
    ex = sub.add_parser("example", help="write an example dataset (.npz)",
                        description=f"Write one of the simulated examples.\n\n{examples}",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ex.add_argument("name", choices=list(EXAMPLE_INFO), help="which example")
    ex.add_argument("--out", required=True, help="output .npz file (an existing file is refused without --force)")
    ex.add_argument("--force", action="store_true", help=_FORCE_HELP)
    ex.add_argument("--n", type=int, default=None, help="number of samples (default: the example's own)")
    ex.add_argument("--seed", type=int, default=0,
                    help="seed of the simulation (default: 0); the same seed writes the same file")
    ex.add_argument("--galaxy-density", type=float, default=None,
                    help="lensing only: source galaxies per arcmin² for shape noise (e.g. 30); default noiseless")
    ex.add_argument("--smoothing-arcmin", type=float, default=0.0,
                    help="lensing only: SD of a Gaussian smoothing after the noise, in arcmin (default: 0, none)")

    ti = sub.add_parser("tile", help="cut large maps into square tiles (.npz), whole maps held out for testing")
    ti.add_argument("data", help="maps in any format `awd distill` reads, with their targets")
    ti.add_argument("--size", type=int, required=True, help="tile side in pixels (16 to the maps' shorter side)")
    ti.add_argument("--out", required=True, help="output .npz file (an existing file is refused without --force; "
                                                 "the maps' own file always)")
    ti.add_argument("--force", action="store_true", help=_FORCE_HELP)
    ti.add_argument("--test-fraction", type=float, default=0.2,
                    help="share of the maps held out whole for the test split (when the file has no test set)")
    ti.add_argument("--seed", type=int, default=0, help="seed of that split")

    _add_distill_parser(sub)
    _add_reproduce_parser(sub)
    _add_predict_parser(sub)

    se = sub.add_parser("serve", help="run the web app with a bundled Redis and one worker")
    se.add_argument("--host", default="127.0.0.1",
                    help="interface to listen on (default: this machine only; any other needs AWD_API_TOKEN)")
    se.add_argument("--port", type=int, default=8050,
                    help="port of the web app (default: 8050; make run serves on 8050 too: when it is taken, run "
                         ".venv/bin/awd serve --port 8060)")
    se.add_argument("--data-dir", default=None,
                    help="default: $AWD_DATA_DIR or ./awd-data (one awd serve per directory; it starts one worker, "
                         "and `awd worker` adds more)")

    wo = sub.add_parser("worker", help="run a distillation worker on a shared Redis (REDIS_URL), the same database "
                                       "(DATABASE_URL) and data directory (AWD_DATA_DIR)")
    wo.add_argument("--concurrency", type=int, default=1,
                    help="jobs this worker runs at once (default: 1; each job uses every core it may that other "
                         "work leaves idle, AWD_JOB_THREADS; more workers suit more GPUs or machines)")

    explain_cli.add_parser(sub)
    return parser


#: Extra spellings of some flags (kept from earlier releases).
_FLAG_ALIASES = {"grid_preset": ["--grid"], "selection_rule": ["--selection"]}


def _flag_type(annotation):
    """``(argparse type, choices)`` of an option's annotation (``X | None`` unwrapped)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = args[0]
    if typing.get_origin(kind) is typing.Annotated:  # models.options.Whole, Real: the number type they check
        kind = typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return str, [e.value for e in kind]
    if typing.get_origin(kind) is list:
        return _floats, None
    return kind, None


def _add_distill_parser(sub):
    """``awd distill``: one flag per job option (:func:`models.options.cli_fields`), with its default and bounds."""
    di = sub.add_parser("distill", help="distil a teacher into a wavelet and interpretable students",
                        description="Every option defaults to the value shown; see README 'From the terminal'.")
    di.add_argument("data", help="data file: .npz, .npy, .csv/.tsv/.txt, .fits, .h5/.hdf5, .mat")
    di.add_argument("--out", required=True, help="output directory for result.json, arrays.npz, figures (a "
                                                 "folder holding a result is refused without --force)")
    di.add_argument("--force", action="store_true",
                    help="replace the result already in --out (its explanations, awd explain's folders, go too)")
    di.add_argument("--teacher", default="auto",
                    help=f"an architecture trained here: for series {_listed(TEACHERS_BY_KIND['timeseries'])}, for "
                         f"maps {_listed(TEACHERS_BY_KIND['image'])}, or auto, the default: for series the lstm and "
                         "the mlp, keeping the one with the lower validation loss, for maps the cnn; or a weights "
                         f"file ({_listed(TEACHER_FILE_SUFFIXES)})")
    di.add_argument("--teacher-arch", default=None, choices=list(TEACHER_ARCHITECTURES),
                    help="architecture of a bare state dict given with --teacher PATH (default: the one the file "
                         "names, as a .pt2 program and AWD Studio's own .safetensors do, else the data's default: "
                         f"{DEFAULT_TEACHER['timeseries']} for series, {DEFAULT_TEACHER['image']} for maps)")
    di.add_argument("--drop-incomplete", action="store_true",
                    help=f"leave out the rows with missing values ({_MISSING_VALUES}, e.g. traces that ended early), "
                         "named on the terminal, instead of refusing the file; with --pad-ends, only the rows still "
                         "missing a value once the ended traces are filled (maps are left as they are)")
    di.add_argument("--pad-ends", action="store_true",
                    help=f"fill each trace's missing values after its last value with zeros ({_MISSING_VALUES}: "
                         "traces that ended early; a gap inside a trace is still refused, or its row left out with "
                         "--drop-incomplete), said on the terminal (maps are left as they are)")
    for name, field in cli_fields():
        if name == "teacher":
            continue
        kind, choices = _flag_type(field.annotation)
        default = field.default.value if isinstance(field.default, StrEnum) else field.default
        shown = "the grid preset's" if default is None and name in ("lambdas", "gammas", "epochs", "lr") else default
        shown = _NONE_MEANS.get(name, "as described") if shown is None else _DEFAULT_MEANS.get(name, shown)
        listed = ", comma-separated, e.g. 1e-3,5e-3" if name in _LIST_OPTIONS else ""
        if name == "target":  # a column number, or its name in the file (review 28A: --target sigma_8 was refused)
            kind, listed = _column, " (a number from 0, or the column's name, e.g. sigma_8)"
        di.add_argument(f"--{name.replace('_', '-')}", *_FLAG_ALIASES.get(name, []), dest=name, type=kind,
                        choices=choices, default=None,
                        # argparse formats help with %: a description's "1 %" is text (escaped), not a field
                        help=f"{field.description}{listed} (default: {shown})".replace("%", "%%"))


def _column(text):
    """``--target``: an int, or the name of a target column (resolved against the file by :func:`_target_column`)."""
    return int(text) if text.strip().isdigit() else text.strip()


def _target_column(target, data) -> int:
    """The column number of ``--target`` given by name, from the file's target names; an error lists them."""
    from awd_studio.models.data import load_dataset
    from awd_studio.models.pipeline.config import target_index

    if isinstance(target, int):
        return target
    names = list(load_dataset(data).target_names or [])
    index = target_index(target, names)
    if index is None:
        raise ValueError(f"target: {target!r} is not a target column of {Path(data).name} (its columns: "
                         f"{', '.join(names) or 'none'}); pass one of them, or a column number from 0")
    return index


def _ints(text):
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _add_reproduce_parser(sub):
    """``awd reproduce synthetic``: the paper's section 4.1 (models.reproduce); defaults from SyntheticConfig."""
    from awd_studio.models.reproduce import STARTS, SyntheticConfig  # torch-free module level

    d = SyntheticConfig()
    re_ = sub.add_parser("reproduce", help="reproduce an experiment of the paper (synthetic: section 4.1)")
    re_.add_argument("experiment", choices=["synthetic"])
    re_.add_argument("--out", required=True, help="output directory: results.json, results.md, starts.png/svg")
    re_.add_argument("--seeds", type=_ints, default=list(d.seeds),
                     help=f"comma-separated seeds (default: {','.join(map(str, d.seeds))})")
    re_.add_argument("--starts", default=",".join(d.starts),
                     help=f"comma-separated, of {', '.join(STARTS)} (default: {','.join(d.starts)})")
    re_.add_argument("--n", type=int, default=d.n, help=f"simulated samples per seed (20 %% held out; default: {d.n})")
    re_.add_argument("--epochs", type=int, default=d.epochs, help=f"per grid point (default: {d.epochs})")
    re_.add_argument("--lr", type=float, default=d.lr, help=f"Adam's step (default: {d.lr:g})")
    re_.add_argument("--mode", default=d.mode, choices=["zero", "periodization", "symmetric"],
                     help=f"boundary mode of the learned transform (default: {d.mode})")
    re_.add_argument("--data-mode", default=d.data_mode, choices=["zero", "periodization"],
                     help=f"boundary mode of the db5 transform that defines y (default: {d.data_mode})")
    re_.add_argument("--parametrization", default=d.parametrization, choices=["free", "orthogonal"],
                     help=f"the learned filter: free taps or the orthogonal lattice (default: {d.parametrization})")
    re_.add_argument("--gradient-path", default=d.gradient_path, choices=["auto", "eq8", "straight_through"],
                     help=f"how the interpretation term's gradient is computed (default: {d.gradient_path})")
    re_.add_argument("--teacher", default=d.teacher, choices=["mlp", "lstm"],
                     help=f"the network distilled (default: {d.teacher})")
    re_.add_argument("--lambdas", type=_floats, default=None, help="comma-separated (default: the paper's 5)")
    re_.add_argument("--gammas", type=_floats, default=None, help="comma-separated (default: the paper's 21)")
    re_.add_argument("--start-search", type=int, default=None,
                     help=f"random orthogonal starts searched before each fit (default: {d.start_search}, the "
                          "product's; 0: descent from the start alone, the paper's procedure; --quick: 50)")
    re_.add_argument("--quick", action="store_true",
                     help="a tiny run for tests: 1 seed, n=300, 2 epochs, a 1 x 3 grid unless --lambdas or --gammas "
                          "give one")


def _cmd_reproduce(args):
    import dataclasses

    import torch

    from awd_studio.models import reproduce

    check_writable(args.out, folder=True)  # before minutes of fits
    torch.set_num_threads(1)
    config = reproduce.SyntheticConfig(
        seeds=tuple(args.seeds), starts=tuple(s.strip() for s in args.starts.split(",") if s.strip()), n=args.n,
        epochs=args.epochs, lr=args.lr, mode=args.mode, data_mode=args.data_mode,
        parametrization=args.parametrization, gradient_path=args.gradient_path, teacher=args.teacher,
        **({} if args.start_search is None else {"start_search": args.start_search}))
    if args.quick:  # a grid or a start search given on the command line is kept
        config = dataclasses.replace(config, seeds=config.seeds[:1], n=300, epochs=2, lambdas=(1e-5,),
                                     gammas=(0.0, 1e-2, 1.0), teacher_epochs=5,
                                     start_search=50 if args.start_search is None else args.start_search)
    if args.lambdas:
        config.lambdas = tuple(args.lambdas)
    if args.gammas:
        config.gammas = tuple(args.gammas)
    result = reproduce.run_synthetic(config, progress=lambda line: print(line, flush=True))
    files = reproduce.write_report(result, args.out)
    print(reproduce.markdown_table(result))
    print("\nwrote " + ", ".join(str(f) for f in files))
    return 0


def _npz_name(out) -> Path:
    """The file an ``.npz`` writer makes of ``--out``: itself, or with ``.npz`` appended when it ends otherwise
    (:func:`models.data.save_npz`).

    Examples
    --------
    >>> str(_npz_name("tiles")), str(_npz_name("a/cme.NPZ"))
    ('tiles.npz', 'a/cme.NPZ')
    """
    path = Path(out)
    return path if path.suffix.lower() == ".npz" else path.with_name(path.name + ".npz")


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (also through a link or another spelling of the path)."""
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _check_out_file(out, *, force: bool = False, reads=(), folders=()) -> None:
    """Refuse an ``--out`` file that writing would destroy (review 39B: ``awd predict --out`` replaced the data
    file it read, and ``--out RESULT/arrays.npz`` the result's arrays, without a word).

    Parameters
    ----------
    out : str or Path
        The file the command writes.
    force : bool, default=False
        ``--force``: an existing ``out`` may be replaced.
    reads : iterable of str or Path
        Files the command reads: never written over, even with ``force``.
    folders : iterable of str or Path
        Folders the command reads (a result's): nothing is written inside them, even with ``force``.

    Raises
    ------
    ValueError
        Naming ``out`` and what to do instead.

    Examples
    --------
    >>> _check_out_file("no/such/file.npz")
    >>> _check_out_file(".", force=True)
    Traceback (most recent call last):
    ...
    ValueError: --out: . is a folder; pass a file name
    """
    path = Path(out)
    for given in reads:
        if _same_file(path, Path(given)):
            raise ValueError(f"--out: {out} is the data file this command reads; write to another file (--force "
                             "never replaces a command's own input)")
    for folder in folders:
        if Path(folder).resolve() in path.resolve().parents:
            raise ValueError(f"--out: {out} is inside the result folder {folder}, whose files this command reads; "
                             "write it outside that folder (--force never writes into it)")
    if path.is_dir():
        raise ValueError(f"--out: {out} is a folder; pass a file name")
    if path.exists() and not force:
        raise ValueError(f"--out: {out} already exists; choose another file name, or pass --force to replace it")
    check_writable(path, folder=False)


def _cmd_example(args):
    from awd_studio.models.data import write_example  # torch and the simulators: only for this command

    suffix = Path(args.out).suffix.lower()
    if suffix and suffix != ".npz":  # review 29B: --out cme.csv wrote cme.csv.npz
        raise ValueError(f"out: {args.out!r} ends in {suffix}, but the examples are written as .npz; pass a name "
                         f"ending in .npz (e.g. {Path(args.out).with_suffix('.npz').name}), or none")
    _check_out_file(_npz_name(args.out), force=args.force)
    path = write_example(args.name, args.out, n=args.n, seed=args.seed, galaxy_density=args.galaxy_density,
                         smoothing_arcmin=args.smoothing_arcmin)
    print(f"wrote {path}")
    return 0


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _cmd_tile(args):
    from awd_studio.models.data import load_dataset, save_npz
    from awd_studio.models.data.tiles import tile_dataset

    _check_out_file(_npz_name(args.out), force=args.force, reads=[args.data])
    tiled = tile_dataset(load_dataset(args.data, min_samples=1), args.size, test_fraction=args.test_fraction,
                         seed=args.seed)
    facts = tiled.meta["tiles"]
    path = save_npz(tiled, args.out)
    print(f"wrote {path}: {tiled.n} training tiles from {_count(facts['train_maps'], 'map')} and {tiled.n_test} "
          f"test tiles from {_count(facts['test_maps'], 'held-out map')}, {facts['size']} × {facts['size']} px, "
          f"{facts['per_map']} a map")
    for note in facts.get("notes") or []:
        print(f"note: {note}")
    return 0


def _cmd_distill(args):
    from awd_studio.models import pipeline  # torch and the science: only for this command (`awd --help` stays fast)

    if not Path(args.data).is_file():  # before the progress bar and the output folder: a typo leaves nothing behind
        raise ValueError(f"data: {str(args.data)!r} is not a file; pass the path of a data file (.npz, .npy, .csv, "
                         ".fits, .h5, .mat)")
    check_writable(args.out, folder=True)
    earlier = Path(args.out) / "result.json"
    if earlier.is_file() and not args.force:  # review 22: a second run into the same folder replaced the first
        made = dt.datetime.fromtimestamp(earlier.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        raise ValueError(f"out: {args.out} already holds a result (result.json of {made}); choose another folder, "
                         "or pass --force to replace it")
    config = {name: getattr(args, name) for name, _field in cli_fields()
              if name != "teacher" and getattr(args, name) is not None}
    config.update(teacher_options(args.teacher, args.teacher_arch))
    try:
        with tempfile.TemporaryDirectory(prefix="awd-distill-") as scratch:
            if args.drop_incomplete or args.pad_ends:
                data = _complete_rows(args.data, Path(scratch), pad_ends=args.pad_ends, drop=args.drop_incomplete)
            else:
                data = args.data
            if "target" in config:
                config["target"] = _target_column(config["target"], data)
            return _distill(args, data, config, pipeline)
    except KeyboardInterrupt as stopped:  # before the job started, nothing was written; else _distill says
        raise KeyboardInterrupt(str(stopped) or "nothing was written") from None


#: How ``awd distill`` names the kinds of data.
_KIND_WORDS = {"timeseries": "series", "image": "maps"}


def _listed(words, last="or") -> str:
    """``a, b or c``.

    Examples
    --------
    >>> _listed(["mlp"]), _listed(["cnn", "resnet18"], "and"), _listed(["a", "b", "c"])
    ('mlp', 'cnn and resnet18', 'a, b or c')
    """
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def teacher_options(teacher: str, teacher_arch: str | None = None) -> dict:
    """``--teacher`` (and ``--teacher-arch``) as job options: an architecture trained here, or a weights file.

    Parameters
    ----------
    teacher : str
        ``auto``, an architecture of :data:`models.options.TEACHER_ARCHITECTURES` (any case), or the path of a
        weights file (:data:`models.options.TEACHER_FILE_SUFFIXES`).
    teacher_arch : str or None
        ``--teacher-arch``: the architecture of a bare state dict given as ``teacher``.

    Returns
    -------
    dict
        ``{"teacher": name}``, or ``{"teacher_path": path, "teacher": teacher_arch or "auto"}``.

    Raises
    ------
    ValueError
        Saying that ``teacher`` is neither an architecture nor a weights file, listing both; for a value that looks
        like a path (a folder or an extension in it, or on the disk), what is wrong with it: no such file, a folder,
        an extension no weights file has (review 44: "teacher: 'transformer'; pass one of ...", and a file without
        an extension was read as an architecture's name).

    Examples
    --------
    >>> teacher_options("LSTM")
    {'teacher': 'lstm'}
    >>> teacher_options("transformer")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: teacher: 'transformer' is neither an architecture trained here (auto, mlp, lstm, cnn or resnet18)
    nor an existing weights file (.safetensors, .pt, .pth or .pt2)
    >>> teacher_options("nets/mine.pt")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: teacher: no file at nets/mine.pt; pass the path of a weights file (.safetensors, .pt, .pth or .pt2),
    or an architecture trained here (auto, mlp, lstm, cnn or resnet18)
    """
    names = ("auto", *TEACHER_ARCHITECTURES)
    architectures, suffixes = _listed(names), _listed(TEACHER_FILE_SUFFIXES)
    if teacher.strip().lower() in names:
        if teacher_arch is not None:  # it was ignored without a word
            raise ValueError(f"teacher_arch: names the architecture of a weights file given with --teacher PATH; "
                             f"--teacher {teacher.strip().lower()} trains its own: leave --teacher-arch out")
        return {"teacher": teacher.strip().lower()}
    path = Path(teacher)
    if path.is_file() and path.suffix.lower() in TEACHER_FILE_SUFFIXES:
        return {"teacher_path": teacher, "teacher": teacher_arch or "auto"}
    if path.is_file():
        ending = f"ends in {path.suffix}" if path.suffix else "has no extension"
        raise ValueError(f"teacher: {teacher} {ending}, but a weights file ends in {suffixes} (a state dict saved "
                         f"by safetensors or torch.save, or a torch.export program); pass one, or an architecture "
                         f"trained here ({architectures})")
    if path.is_dir():
        raise ValueError(f"teacher: {teacher} is a folder; pass a weights file in it ({suffixes}), or an "
                         f"architecture trained here ({architectures})")
    if os.sep in teacher or "/" in teacher or path.suffix:  # a path: a folder in it, or a file's extension
        unknown = (f" (and {path.suffix} is not a weights file's extension)"
                   if path.suffix and path.suffix.lower() not in TEACHER_FILE_SUFFIXES else "")
        raise ValueError(f"teacher: no file at {teacher}{unknown}; pass the path of a weights file ({suffixes}), or "
                         f"an architecture trained here ({architectures})")
    raise ValueError(f"teacher: {teacher!r} is neither an architecture trained here ({architectures}) nor an "
                     f"existing weights file ({suffixes})")


def _teacher_kind_note(kind: str) -> str:
    """What ``awd distill`` adds to the refusal of an architecture ``kind`` does not train: those only the other
    kind trains (the web API names GET /api/options instead).

    Examples
    --------
    >>> _teacher_kind_note("timeseries"), _teacher_kind_note("image")
    ('cnn and resnet18 train on maps only', 'lstm trains on series only')
    """
    notes = []
    for other, archs in TEACHERS_BY_KIND.items():
        only = [a for a in archs if other != kind and a not in TEACHERS_BY_KIND[kind]]
        if only:
            notes.append(f"{_listed(only, 'and')} train{'s' if len(only) == 1 else ''} on {_KIND_WORDS[other]} only")
    return "; ".join(notes)


def _complete_rows(data, scratch: Path, pad_ends: bool = False, drop: bool = True) -> Path:
    """The data file without its rows with missing values (``--drop-incomplete``) and/or with its traces' ends
    filled with zeros (``--pad-ends``; both: the ended traces filled, the rows still missing a value left out), as an
    .npz in ``scratch``; the rows left out and filled are printed.

    The copy names the file it was read from, and its SHA-256 (``meta["source_file"]``): the result records that
    file's hash, not the copy's (review 44: ``awd predict`` could not tell the training file).
    """
    from awd_studio.frontend.figures.style import dropped_rows_words
    from awd_studio.models.data import load_dataset, save_npz
    from awd_studio.models.files import sha256_file
    from awd_studio.models.pipeline.prepare import SOURCE_FILE_META

    dataset = load_dataset(data, drop_incomplete=drop, pad_ends=pad_ends)
    dataset.meta[SOURCE_FILE_META] = {"name": Path(data).name, "sha256": sha256_file(data)}
    count, listed = dropped_rows_words(dataset.meta.get("dropped_rows"))
    if count:
        print(f"Left out {count} row{'s' if count != 1 else ''} with missing values: {listed}", file=sys.stderr,
              flush=True)
    padded = dataset.meta.get("padded_rows")
    count, listed = dropped_rows_words(padded)
    if count:
        print(f"Filled the ends of {count} of {padded['of']} traces with zeros (the shortest had {padded['shortest']} "
              f"of {padded['length']} values): {listed}", file=sys.stderr, flush=True)
    return save_npz(dataset, scratch / f"{Path(data).stem}.npz")


def _distill(args, data, config, pipeline):
    """Run the job on ``data`` with a progress bar; print the summary."""
    from tqdm import tqdm

    from awd_studio.frontend.durations import format_seconds

    expected = _estimated_stages(data, config)
    spans = pipeline.stage_spans(expected) if expected else pipeline.STAGE_SPANS
    clock = pipeline.StageClock(time.monotonic())

    def left_words(stage, done):
        """"about 40 s left", stage by stage as the web app's (models.pipeline.progress.time_left); "" without an
        estimate."""
        if not expected or done is None:
            return ""
        seconds = pipeline.time_left(stage, done, expected, clock.report(stage, time.monotonic()))
        return "under 1 s left" if seconds < 0.5 else f"about {format_seconds(seconds)} left"

    if sys.stderr.isatty():
        bar = tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}", file=sys.stderr)

        def progress(stage, fraction, message):
            done = pipeline.job_fraction(stage, fraction, spans)
            bar.n = max(bar.n, round(100 * done, 1)) if done is not None else bar.n
            left = left_words(stage, done)  # tqdm's own {remaining} took every stage at the pace so far
            if left:
                bar.bar_format = "{l_bar}{bar}| {elapsed}, " + left + "{postfix}"  # postfix: ", message"
            bar.set_description(stage)
            bar.set_postfix_str(textwrap.shorten(message, 60, placeholder=" …"))  # at a word: "step 60/2" misled
            bar.refresh()
    else:  # a log file or a pipe: a line per stage and per tenth of the run (a bar's redraws made one huge line)
        bar, last = None, {"stage": None, "tenth": -1}

        def progress(stage, fraction, message):
            done = pipeline.job_fraction(stage, fraction, spans)
            tenth = int(10 * done) if done is not None else last["tenth"]
            left = left_words(stage, done)  # every report: the clock sees each change of stage
            if stage != last["stage"] or tenth > last["tenth"]:
                last.update(stage=stage, tenth=max(tenth, last["tenth"]))
                # whole: a log's line may be long (review 33A: cut at 80 characters, "step 200/2000" read "200/20")
                print(f"{100 * (done or 0):5.1f} %  {stage}: {message}{f' ({left})' if left else ''}",
                      file=sys.stderr, flush=True)

    out = Path(args.out)
    created, had_result, started = _created_by_run(out), (out / "result.json").is_file(), time.time()
    try:
        bundle = pipeline.run(data, config, out, progress=progress)
        if getattr(args, "force", False):  # the replaced result's explanations explain another model
            for stale in out.glob("explanation-*"):
                shutil.rmtree(stale, ignore_errors=True)
    except BaseException as stopped:  # a refused file, an error or Ctrl-C: remove the folder this run created
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        if isinstance(stopped, KeyboardInterrupt):  # said by main(), with what was kept
            raise KeyboardInterrupt(_interrupted_words(out, created, had_result, started)) from None
        raise
    finally:
        if bar is not None:
            bar.close()
    # the stages' scratch (a copy of the data split, the teacher, the grid's chunks) is not part of the result:
    # on the lensing example it was 22 MB beside an 8 MB bundle
    shutil.rmtree(out / "work", ignore_errors=True)
    print(bundle["summary"])
    print(f"\nresult bundle: {Path(args.out) / 'result.json'}")
    return 0


def _created_by_run(out: Path) -> Path | None:
    """The folder a run into ``out`` creates and may remove when it fails: the outermost of ``out`` and the folders
    above it that do not exist yet (``r`` of ``--out r/x1`` when neither is there; review 44: a failed run left an
    empty ``r``), else ``out/work`` when that does not; None when both were there before (nothing of theirs is
    removed)."""
    missing = [folder for folder in (out, *out.parents) if not folder.exists()]
    if missing:
        return missing[-1]
    return None if (out / "work").exists() else out / "work"


def _interrupted_words(out: Path, created: Path | None, had_result: bool, started: float) -> str:
    """What ``awd distill`` stopped by Ctrl-C kept, after removing the folder it created (review 44: it exited
    without a word).

    Parameters
    ----------
    out : Path
        ``--out``.
    created : Path or None
        The folder the run created and has removed (:func:`_created_by_run`).
    had_result : bool
        Whether ``out`` held a result (``result.json``) before the run.
    started : float
        When the run started (``time.time()``): files of ``out`` changed since were written by it.

    Returns
    -------
    str
        One clause, e.g. "the result already in r is as it was; this run's work folder is removed".
    """
    if created is not None and created != out / "work":
        return f"nothing was kept: {created}, which this run created, is removed"
    work = ("this run's work folder is removed" if created is not None
            else f"{out / 'work'}, there before this run, is left as it was")
    written = any(path.stat().st_mtime >= started for path in out.iterdir() if path.name != "work")
    if written:
        return (f"it had begun writing its result into {out}, whose files may now be of two runs: run it again"
                f"{' with --force' if had_result or (out / 'result.json').exists() else ''}; {work}")
    if had_result:
        return f"the result already in {out} is as it was; {work}"
    return f"nothing was written into {out}; {work}"


def _checked_options(dataset, config: dict):
    """The job's options resolved against the data as :func:`models.pipeline.prepare` resolves them, so that an
    option the job would refuse (a teacher of the other kind of data, levels too deep for the samples, a target
    column the file lacks) is refused before the estimate and the progress bar (review 44: "Estimated run time",
    the busy machine and "0.0 %" came first).

    Parameters
    ----------
    dataset : Dataset
        The data the job reads.
    config : dict
        The job's options, as :meth:`models.options.PipelineConfig.from_dict` takes them.

    Returns
    -------
    PipelineConfig
        Resolved (:func:`models.pipeline.config.resolve_config`).

    Raises
    ------
    ValueError
        Naming the option and what to pass, in the job's own words.
    """
    from awd_studio.models.options import PipelineConfig
    from awd_studio.models.pipeline.config import resolve_config, select_target
    from awd_studio.models.pipeline.prepare import check_wavelet_fits

    resolved, _mode_choice = resolve_config(PipelineConfig.from_dict(config), dataset.kind, dataset.sample_shape,
                                            dataset.n, teacher_note=_teacher_kind_note(dataset.kind))
    select_target(dataset.y, resolved.target)
    check_wavelet_fits(dataset.sample_shape, resolved)  # as the job checks its training split
    return resolved


def _estimated_stages(data, config):
    """The seconds each stage of this job is expected to take on this machine, by the cost model, printed first
    (models.estimate; the web app's estimate is also scaled to the server's finished jobs, which the command has
    none of): the progress bar's stages are sized by them, and its time left follows each stage's pace against
    them. An option the job would refuse is refused first (:func:`_checked_options`). None when the data cannot be
    read or the job estimated: the job itself then says what is wrong."""
    from awd_studio.frontend.durations import format_seconds, stage_words
    from awd_studio.frontend.figures.style import channel_axis_words, read_as_maps_words, squeezed_axes_words
    from awd_studio.models.cores import available_cores, busy_machine_words
    from awd_studio.models.data import load_dataset
    from awd_studio.models.estimate import estimate_job
    from awd_studio.models.options import PipelineConfig
    from awd_studio.models.validation import check_targets_vary

    try:
        dataset = load_dataset(data)
    except Exception:  # noqa: BLE001 - reported by the job itself, with its one clear line
        return None
    _checked_options(dataset, config)  # before any estimate: a bad option ends here with its one line
    try:
        guess = estimate_job(PipelineConfig.from_dict(config), dataset.kind, dataset.sample_shape, dataset.n)
    except Exception:  # noqa: BLE001 - the job runs without an estimate, its bar on the fixed spans
        return None
    check_targets_vary(dataset.y)  # before any estimate: a constant target ends here with its one line
    if dataset.y_test is not None:  # a fixed test split too (its score would divide by 0)
        check_targets_vary(dataset.y_test, "y_test", remedy="give a test split whose targets vary")
    if dataset.meta.get("target_is_last_column") and dataset.meta.get("no_header"):
        print(f"The file has no header row, so its columns were numbered: the last is the target, the "
              f"{dataset.sample_shape[0]} before it the series (add a header row naming the target column y or "
              "target to choose another)", file=sys.stderr, flush=True)
    elif dataset.meta.get("target_is_last_column"):
        last = (dataset.target_names or [None])[0]
        print(f"No column is named y or target: the last column{f' ({last})' if last else ''} is the target, the "
              f"{dataset.sample_shape[0]} before it the series (name the target column y or target to choose "
              "another)", file=sys.stderr, flush=True)
    off_axis = dataset.meta.get("targets_off_axis")
    if off_axis:
        plural = "s" if len(off_axis) > 1 else ""
        print(f"Not time points like the {dataset.sample_shape[0]} other columns, so target{plural}, not part of "
              f"the series: {', '.join(off_axis)} (--target K picks one, 0 the first; name target columns y, target "
              "or y_<name> to say it yourself)", file=sys.stderr, flush=True)
    if dataset.meta.get("channel_axis"):
        print(channel_axis_words(dataset.meta["channel_axis"]), file=sys.stderr, flush=True)
    for said in (squeezed_axes_words(dataset.meta.get("squeezed_axes")),
                 read_as_maps_words(dataset.meta.get("read_as_maps"))):
        if said:
            print(said, file=sys.stderr, flush=True)
    ignored = dataset.meta.get("ignored_columns")
    if ignored:
        print(f"Left out of the series and the targets (text or identifier columns): {', '.join(ignored)}",
              file=sys.stderr, flush=True)
    numbered = dataset.meta.get("numbered_columns")
    if numbered and dataset.meta.get("no_header"):  # a headerless file's first column ran 0..n-1: pandas' index
        print(f"({numbered[0]} runs 0 to n-1, or 1 to n, down the rows, as a table's row index does: read as the "
              "index; to use it as a time point or the target, add a header row naming the columns, y for the "
              "target)", file=sys.stderr, flush=True)
    elif numbered:  # left out for their content: say how to keep one as the target
        print(f"({', '.join(numbered)}: distinct whole numbers that number the rows, read as identifiers; to use "
              "one as the target, name its column y, or y_<name> beside other targets)", file=sys.stderr, flush=True)
    print(f"Estimated run time on this machine: about {format_seconds(guess['seconds'])} (rough: the cost model "
          f"alone). {stage_words(guess['stages'])}", file=sys.stderr, flush=True)
    busy = busy_machine_words(os.getloadavg()[0], available_cores())  # review 32A: the web page said, this did not
    if busy:
        print(busy, file=sys.stderr, flush=True)
    return guess["stages"]


def _add_predict_parser(sub):
    """``awd predict``: a result's distilled model on new data (models.pipeline.predict)."""
    pr = sub.add_parser("predict", help="apply a result's distilled model to new data")
    pr.add_argument("result", help="result directory written by `awd distill --out` (result.json, arrays.npz)")
    pr.add_argument("data", help="data file in any format `awd distill` reads; targets optional (scored when "
                                 "present)")
    pr.add_argument("--out", help="write the predictions: .npz (y_pred, y_true when known, *_test) or .csv "
                                  "(split,row,y_pred,y_true; a file's id column after row, y_class for a two-valued "
                                  "target, y_pred_<name> for a map student's whole class row); an existing file "
                                  "is refused without --force, the data file and files in the result folder always")
    pr.add_argument("--force", action="store_true", help=_FORCE_HELP)
    pr.add_argument("--drop-incomplete", action="store_true",
                    help=f"leave out the rows with missing values ({_MISSING_VALUES}; for a result trained with "
                         "--pad-ends, those still missing a value once the ended traces are filled, as they were), "
                         "named on the terminal; each prediction keeps its row in the file (the row column: a CSV's "
                         "data row counted from 0 after the header, an array file's sample index in X from 0; "
                         "warnings name rows by that number first); a row lacking only its target is predicted, not "
                         "scored (an empty y_true cell)")
    from awd_studio.models.pipeline.model_registry import MODELS

    def keys(*kinds):  # the students of these kinds, as the result names them
        return ", ".join(m.key for m in MODELS if m.kind in kinds)

    pr.add_argument("--model", default=None,
                    help=f"which student: {keys('distilled', 'initial')}; maps also {keys('fixed_filter')}; "
                         f"{keys('control')} when the job ran the teacher-free control; {keys('other')} when it ran "
                         "with --student scattering. Default: the one the result delivers, chosen by "
                         "cross-validation (awd, or baseline_wavelet when cross-validation kept the initial "
                         "wavelet); the verdict may advise another")


def _cmd_predict(args):
    from awd_studio.models.files import atomic_write_bytes
    from awd_studio.models.pipeline import predict  # torch and the science: only for this command
    from awd_studio.models.pipeline.trust import classifier_words

    if args.out and Path(args.out).suffix not in (".npz", ".csv"):  # before the work (review 31A: refused after it)
        raise ValueError(f"--out: {Path(args.out).name!r} has an unknown extension; use .npz or .csv")
    if args.out:  # before the work too; review 39B: it replaced the data file and the result's own arrays.npz
        _check_out_file(args.out, force=args.force, reads=[args.data], folders=[args.result])
    result = predict.predict_file(args.result, args.data, args.model, drop_incomplete=args.drop_incomplete)
    model = result["model"]
    if args.model is None and model == "baseline_wavelet":  # the default follows the result's recommendation
        print("Cross-validation kept the initial wavelet: predicting with its student, baseline_wavelet "
              "(--model awd for the distilled one).")
    for split, score in result["scores"].items():
        r2 = "undefined" if score["r2"] is None else f"{score['r2']:.4f}"
        as_classes = classifier_words(score, digits=4)  # a 0/1 target
        rows = f"{score['n']} of {score['of']} rows, the others without a target" if "of" in score else \
            f"{score['n']} rows"  # rows predicted but not scored: a blank target cell (--drop-incomplete)
        print(f"{model} on {split} ({rows}): R2 {r2}, RMSE {score['rmse']:.4g}"
              + (f", {as_classes}" if as_classes else ""))
    if "tiling" in result:
        print(result["tiling"][:1].upper() + result["tiling"][1:] + ".")
    for warning in result.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    if "note" in result:
        rows = sum(len(result[k]) for k in ("y_pred", "y_pred_test") if k in result)
        print(f"{model} predicted {rows} row{'' if rows == 1 else 's'}; {result['note']}")
    if args.out:
        out = Path(args.out)
        data = predict.predictions_npz(result) if out.suffix == ".npz" else predict.predictions_csv(result).encode()
        atomic_write_bytes(out, data)
        print(f"wrote {out}")
    else:  # review 42B: without --out the predictions were made and thrown away, the one number never shown
        print(first_predictions_words(result))
    return 0


#: Predictions ``awd predict`` prints without ``--out``.
PRINTED_PREDICTIONS = 10


def first_predictions_words(result: dict, shown: int = PRINTED_PREDICTIONS) -> str:
    """The first ``shown`` predictions of a :func:`models.pipeline.predict.predict_file` answer, each with its row in
    the file (or its identifier), and how to keep them all: what ``awd predict`` prints without ``--out``.

    Examples
    --------
    >>> print(first_predictions_words({"y_pred": [0.31, 0.2875]}))
    Predictions (row: value): 0: 0.31, 1: 0.2875
    Pass --out preds.csv (or .npz) to keep them.
    >>> print(first_predictions_words({"y_pred": [1.0, 2.0, 3.0], "rows": [0, 2, 5], "ids": ["a", "b", "c"]},
    ...                               shown=2))
    First 2 of 3 predictions (row: value): 0 (a): 1, 2 (b): 2 …
    Pass --out preds.csv (or .npz) to keep them all.
    """
    lines = []
    for key, where in (("y_pred", "row"), ("y_pred_test", "row of the test split")):
        values = [] if result.get(key) is None else list(result[key])  # arrays from predict_file, lists from JSON
        if not values:
            continue
        rows = result.get("rows") if key == "y_pred" and result.get("rows") is not None else range(len(values))
        ids = result.get("ids") if key == "y_pred" else None
        named = [f"{row}{f' ({ids[i]})' if ids else ''}: {float(v):.4g}"
                 for i, (row, v) in enumerate(zip(rows, values[:shown]))]
        head = (f"First {len(named)} of {len(values)} predictions" if len(values) > len(named)
                else "Predictions") + (" on the test split" if key == "y_pred_test" else "")
        lines.append(f"{head} ({where}: value): {', '.join(named)}{' …' if len(values) > len(named) else ''}")
    every = "them all" if any(len(result.get(k, ())) > shown for k in ("y_pred", "y_pred_test")) else "them"
    return "\n".join(lines + [f"Pass --out preds.csv (or .npz) to keep {every}."])


def _cmd_serve(args):
    from awd_studio.serve import serve  # the web app: only for this command

    return serve(host=args.host, port=args.port, data_dir=args.data_dir)


def _cmd_worker(args):
    from awd_studio.serve import run_worker  # the worker: only for this command

    run_worker(concurrency=args.concurrency)
    return 0


#: The flags whose value is a comma-separated list (``awd distill``'s grid, ``awd reproduce``'s seeds too).
_LIST_FLAGS = ("--lambdas", "--gammas", "--seeds")
#: A value that starts as a negative number does: argparse takes any other word starting with '-' for an option.
_NEGATIVE_START = re.compile(r"^-[\d.]")


def attached_list_values(argv: list[str]) -> list[str]:
    """``argv`` with a list flag's value that starts with '-' attached to it (``--lambdas=-1,abc``), so that the
    list's own parser names what is wrong with it (review 39B: ``--lambdas -1,abc`` read "expected one argument").

    Examples
    --------
    >>> attached_list_values(["distill", "d.npz", "--lambdas", "-1,abc", "--gammas", "0", "--seed", "-1"])
    ['distill', 'd.npz', '--lambdas=-1,abc', '--gammas', '0', '--seed', '-1']
    >>> attached_list_values(["distill", "--lambdas", "--epochs", "2"])  # a value left out stays so
    ['distill', '--lambdas', '--epochs', '2']
    """
    out, i = [], 0
    while i < len(argv):
        if argv[i] in _LIST_FLAGS and i + 1 < len(argv) and _NEGATIVE_START.match(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


#: The exit status of a command whose reader closed its output (``awd predict ... | head -2``): the shell's for a
#: command ended by SIGPIPE (128 + 13), which a C program would have been.
CLOSED_OUTPUT_STATUS = 141


def _point_stdout_at_devnull() -> None:
    """Send what is left of standard output to the null device: its reader has closed the pipe, and the
    interpreter's own flush at exit would otherwise print a BrokenPipeError (the Python documentation's note on
    SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _flush_stdout() -> bool:
    """Flush standard output; False, and the rest sent nowhere, when its reader has gone."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _point_stdout_at_devnull()
        return False
    return True


def main(argv=None):
    """Entry point of the ``awd`` console script.

    A reader that closes the output early (``| head``) ends the command quietly with
    :data:`CLOSED_OUTPUT_STATUS` (review 44: a BrokenPipeError traceback).
    """
    try:
        code = _run_command(argv)
    except BrokenPipeError:
        _point_stdout_at_devnull()
        return CLOSED_OUTPUT_STATUS
    except SystemExit:  # --help, --version, a usage error: their text too may meet a closed pipe
        _flush_stdout()
        raise
    return code if _flush_stdout() else CLOSED_OUTPUT_STATUS


def _run_command(argv):
    """Parse ``argv`` and run its command; its exit status."""
    args = build_parser().parse_args(attached_list_values(sys.argv[1:] if argv is None else list(argv)))
    handler = {"example": _cmd_example, "tile": _cmd_tile, "distill": _cmd_distill, "reproduce": _cmd_reproduce,
               "predict": _cmd_predict, "serve": _cmd_serve, "worker": _cmd_worker,
               "explain": explain_cli.run}[args.command]
    terminated = []
    # serve and worker stop their own processes (awd.launcher, Celery)
    own_sigterm = args.command not in ("serve", "worker") and _stop_on_sigterm(terminated)
    try:
        return handler(args)
    except ValueError as exc:  # bad input: one clear line, no traceback
        print(f"awd {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the system refused (a full disk, a path gone since the checks)
        if exc.filename is None or isinstance(exc, BrokenPipeError):  # not a path's: a fault of ours, with its trace
            raise
        print(f"awd {args.command}: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stopped:  # Ctrl-C: one line, with what was kept where the command says
        said = "terminated" if terminated else "interrupted"
        print(f"awd {args.command}: {said}" + (f"; {stopped}" if str(stopped) else ""), file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else 130
    finally:
        if own_sigterm:  # main() called in a process that goes on (a test, a notebook): its default back
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_on_sigterm(terminated: list) -> bool:
    """Stop the command on SIGTERM as on Ctrl-C: a batch system's time limit (SLURM's), ``timeout`` or ``kill`` then
    leave what Ctrl-C leaves (the result being replaced kept, the folder the run created removed, no scratch folder
    in the temporary directory) and the exit status 143, where the default action ended the process at once and left
    its folders behind. Only when SIGTERM has its default action, in the main thread (else nothing changes and
    False is returned); ``terminated`` gets an entry when it arrives."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        return False

    def stop(signum, frame):
        terminated.append(signum)
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, stop)
    return True


if __name__ == "__main__":
    sys.exit(main())

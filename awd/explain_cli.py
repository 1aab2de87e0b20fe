"""``awd explain RESULT --example K``: explain one prediction of a result from the terminal.

Writes ``explanation.png`` and ``explanation.svg`` (input | cartoon | mask per scale | pixel-mask baseline),
``arrays.npz`` (readable with ``np.load(..., allow_pickle=False)``) and ``summary.json`` into ``--out`` (default
``RESULT/explanation-<K>``). RESULT is the directory ``awd distill --out`` wrote.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from awd_studio.writable import check_writable

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``explain`` subcommand to ``awd``'s subparsers."""
    ep = sub.add_parser("explain", help="explain one prediction of a result (CartoonX wavelet mask)",
                        description="Explain one prediction of a result from the terminal: awd explain RESULT "
                                    "--example K. RESULT is the directory `awd distill --out` wrote.")
    ep.add_argument("result", help="result directory written by `awd distill --out`")
    ep.add_argument("--example", type=int, required=True, help="index of the test example")
    ep.add_argument("--lam", type=float, default=None, help="sparsity weight in [0, 10] (default 0.2)")
    ep.add_argument("--wavelet", default=None,
                    help="learned, initial or an orthogonal PyWavelets name (default: the wavelet cross-validation "
                         "kept, as the results page)")
    ep.add_argument("--model", choices=["teacher", "student"], default="teacher",
                    help="the network (default) or the AWD student (time series only)")
    ep.add_argument("--perturbation", choices=["gaussian", "zero", "uniform"], default="gaussian",
                    help="what replaces the coefficients the mask drops (default: gaussian noise)")
    ep.add_argument("--steps", type=int, default=None, help="Adam steps, 10..1000 (default 200)")
    ep.add_argument("--no-baseline", action="store_true", help="skip the pixel-mask baseline")
    ep.add_argument("--out", default=None, help="output directory (default RESULT/explanation-K)")
    return ep


def run(args) -> int:
    """Run ``awd explain``; a bad argument raises ValueError (one line, exit code 2, from ``awd``)."""
    import numpy as np
    from pydantic import ValidationError

    from awd_studio.models.pipeline.explain_inputs import read_explain_meta
    from awd_studio.models.pipeline.explain_result import (
        ExplainRequest,
        explain_example,
        explanation_reading,
        save_explanation,
    )

    wavelet = args.wavelet or (read_explain_meta(args.result) or {}).get("recommended_wavelet", "learned")
    values = {"example": args.example, "wavelet": wavelet, "model": args.model,
              "perturbation": args.perturbation, "baseline": not args.no_baseline}
    values.update({k: v for k, v in (("lam", args.lam), ("steps", args.steps)) if v is not None})
    try:
        request = ExplainRequest(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"--{first['loc'][0]}: {str(first['msg']).removeprefix('Value error, ')}") from None
    result = Path(args.result)
    if not (result / "result.json").is_file():
        raise ValueError(f"RESULT: {result} has no result.json; pass the directory `awd distill --out` wrote")
    out = Path(args.out) if args.out else result / f"explanation-{args.example}"
    check_writable(out, folder=True)

    terminal, last = sys.stderr.isatty(), {"tenth": -1}

    def progress(_stage, fraction, message):
        if terminal:  # one line redrawn in place
            print(f"\r{100 * fraction:5.1f} %  {message[:60]:<60}", end="", file=sys.stderr, flush=True)
        elif int(10 * fraction) > last["tenth"]:  # a log file or a pipe: a line per tenth (redraws made one line)
            last["tenth"] = int(10 * fraction)
            print(f"{100 * fraction:5.1f} %  {message[:80]}", file=sys.stderr, flush=True)

    e, baseline, facts = explain_example(result, request, progress=progress)
    if terminal:
        print(file=sys.stderr)
    files = save_explanation(out, e, baseline, facts, request)
    print(f"{facts['model']} on test example {args.example} (true value {facts['y_true']:.4g}): prediction "
          f"{e.prediction:.4g}, on the cartoon {e.cartoon_prediction:.4g}, kept {100 * e.kept_fraction:.1f} % of "
          f"the coefficients (mask ≥ 0.5), relative distortion {e.relative_distortion:.3g}")
    dropped = (f"; with every coefficient replaced by noise it moves by {e.scale:.3g} (root mean square)"
               if e.settings.get("scale") == "auto" else "")
    print(f"with the rest replaced by noise the prediction is {e.expected_prediction:.4g} ± "
          f"{e.expected_prediction_sd:.2g}{dropped}")
    if baseline is not None:
        units = "pixels" if np.ndim(e.x) == 2 else "samples"  # a map's pixel mask keeps pixels
        print(f"pixel-mask baseline: kept {100 * baseline.kept_fraction:.1f} % of the {units}, on its cartoon "
              f"{baseline.cartoon_prediction:.4g}, relative distortion {baseline.relative_distortion:.3g}")
    for sentence in explanation_reading(e.summary(), facts.get("target_sd")):  # what it cannot show (review 43A)
        print(sentence)
    for path in files:
        print(f"wrote {path}")
    return 0

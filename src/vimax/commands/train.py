"""``vimax train``: one run into a run folder."""

from __future__ import annotations

import argparse

from vimax.commands.options import add_run_options, run_config_from_args
from vimax.report.curves import write_run_curves
from vimax.training.loop import fit
from vimax.training.run_folder import CONFIG, RunFolder


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--out", required=True, help="run folder to create")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out with its saved settings (a flag that differs "
                             "is an error, except a larger --epochs, which extends a finished run)")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also write TensorBoard events into OUT/tensorboard (train.tensorboard; "
                             "needs pip install 'vimax[tensorboard]')")


def run(args: argparse.Namespace) -> int:
    folder = RunFolder(args.out)
    saved = folder.saved_config() if args.resume and (folder.path / CONFIG).is_file() else None
    config = run_config_from_args(args, base=saved)
    if args.tensorboard:
        config.train.tensorboard = True
    metrics = fit(config, args.out, resume=args.resume, keep_checkpoint=True)
    print(format_metrics(metrics))
    curves = write_run_curves(args.out)
    print(f"saved in {args.out}" + (f" (learning curves: {curves.name})" if curves else ""))
    return 0


def format_metrics(metrics: dict) -> str:
    lines = [
        f"test error        {100 * metrics['test_error']:.2f}%  (softmax averaged over samples)",
        f"test error z=mean {100 * metrics['test_error_mean_z']:.2f}%",
        f"validation error  {100 * metrics['val_error']:.2f}%",
    ]
    if metrics.get("rate_bits") is not None:
        lines.append(f"rate {metrics['rate_bits']:.1f} bits, I(Z;Y) >= {metrics['izy_bits']:.3f} bits")
    lines.append(f"{metrics['train_samples_per_s']:.0f} training samples/s, "
                 f"{metrics['train_seconds']:.1f} s of training")
    return "\n".join(lines)

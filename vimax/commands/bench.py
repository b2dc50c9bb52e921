"""``vimax bench``: training and evaluation speed, against a plain PyTorch loop.

Prints a table (or, with ``--json``, the same figures as JSON) on stdout;
progress goes to stderr. What is measured: ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json

from vimax.benchmark.config import OBJECTIVES, BenchConfig
from vimax.benchmark.suite import run_bench
from vimax.commands.options import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = BenchConfig()
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="tiny step counts, for a smoke run (the figures mean nothing)")
    parser.add_argument("--threads", type=positive_int, help="torch intra-op threads")
    parser.add_argument("--steps", type=positive_int,
                        help=f"MLP training steps per repeat (default {default.steps})")
    parser.add_argument("--cnn-steps", type=positive_int,
                        help=f"CNN training steps per repeat (default {default.cnn_steps})")
    parser.add_argument("--repeats", type=positive_int,
                        help=f"repeats of every timing (default {default.repeats}); medians reported")
    parser.add_argument("--data-dir", help="folder with mnist.npz (default: $VIMAX_DATA, then the cache)")
    parser.add_argument("--skip-cnn", action="store_true", help="leave out the CIFAR-10 CNN")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the peak-memory run")


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    config = BenchConfig().quick() if args.quick else BenchConfig()
    for name in ("steps", "cnn_steps", "repeats", "threads", "data_dir"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    config.skip_cnn, config.skip_memory = args.skip_cnn, args.skip_memory
    return config.validate()


def run(args: argparse.Namespace) -> int:
    results = run_bench(config_from_args(args))
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


def format_table(results: dict) -> str:
    """The figures as a readable plain-text table."""
    machine, config, training = results["machine"], results["config"], results["training"]
    peak = results["matmul_peak_gflops"]
    lines = [f"vimax bench  {machine['date']}  {machine['cpu']}, {machine['cores']} cores, "
             f"{machine['threads']} threads, torch {machine['torch']}, "
             f"load {_load(machine['load_average_1min'])} -> {_load(machine['load_average_1min_end'])}",
             f"float32 matmul peak: {peak:.1f} GFLOP/s",
             "",
             f"MNIST MLP training ({results['data']} data), batch {config['batch_size']}, "
             f"K {config['latent_dim']}, {config['steps']} steps x {config['repeats']} repeats, "
             "medians:",
             f"{'objective':<14}{'plain/s':>10}{'vimax/s':>10}{'vimax/plain':>13}"
             f"{'GFLOP/step':>12}{'plain %peak':>13}{'vimax %peak':>13}"]
    for name in OBJECTIVES:
        row = training["objectives"][name]
        lines.append(f"{name:<14}{row['plain_samples_per_s']:>10.0f}{row['vimax_samples_per_s']:>10.0f}"
                     f"{row['ratio']:>12.2f}x{row['flops_per_step'] / 1e9:>12.3f}"
                     f"{100 * row['plain_flop_fraction']:>12.1f}%"
                     f"{100 * row['vimax_flop_fraction']:>12.1f}%")
    overhead = training["overhead_over_deterministic_pct"]
    lines.append(f"overhead over deterministic (vimax loop): VIB {overhead['vib']:+.1f}%, "
                 f"VIM {overhead['vim']:+.1f}%")
    ceiling = results.get("ceiling")
    if ceiling:
        lines.append(f"the step's matmuls alone, nothing else (best of {config['repeats']}), "
                     "against plain deterministic:")
        for name, label in (("single", "1 model"),
                            ("stacked", f"{ceiling['stacked']['models']} models stacked"),
                            ("single_with_adam", "1 model + fused Adam step")):
            figure = ceiling[name]
            lines.append(f"  {label:<28}{figure['samples_per_s']:>8.0f} samples/s  "
                         f"{figure['ratio_to_plain']:5.2f}x")
    evaluation = results["evaluation"]
    lines += ["", f"evaluation ({evaluation['samples']}-sample averaging, {evaluation['images']} "
              f"images): {evaluation['images_per_s']:.0f} images/s"]
    cnn = results.get("cnn")
    if cnn:
        lines += ["", f"CIFAR-10 CNN training (Table 4, VIM, K {cnn['latent_dim']}, batch "
                  f"{config['batch_size']}, {cnn['flops_per_step'] / 1e9:.2f} GFLOP/step):"]
        for name in ("contiguous", "channels_last"):
            lines.append(f"  {name:<14}{cnn[name]['samples_per_s']:>8.1f} samples/s  "
                         f"{100 * cnn[name]['flop_fraction']:5.1f}% of peak")
    memory = results.get("memory")
    if memory:
        figure = (f"{memory['peak_rss_mib']:.0f} MiB ({memory['seconds']:.0f} s)"
                  if "peak_rss_mib" in memory else f"failed: {memory['error']}")
        lines += ["", f"peak RSS of 1 epoch of vimax train (VIM, {memory['dataset']}): {figure}"]
    return "\n".join(lines)


def _load(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"

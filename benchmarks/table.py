"""The benchmark's figures as a plain-text table."""

from __future__ import annotations

from benchmarks.config import OBJECTIVES
from benchmarks.targets import AGREEMENT_POINTS

__all__ = ["format_table"]


def format_table(results: dict) -> str:
    """The figures of :func:`benchmarks.suite.run_bench` as a readable table."""
    machine, config, training = results["machine"], results["config"], results["training"]
    lines = [f"bench  {machine['date']}  {machine['cpu']}, {machine['cores']} cores, "
             f"{machine['threads']} threads, {config.get('clock', 'wall')} clock, torch {machine['torch']}, "
             f"load {_load(machine['load_average_1min'])} -> {_load(machine.get('load_average_1min_end'))}",
             f"float32 matmul peak: {results['matmul_peak_gflops']:.1f} GFLOP/s", ""]
    by_threads = results.get("training_by_threads") or {str(machine["threads"]): training}
    for threads, figures in by_threads.items():
        lines += _training(figures, config, results["data"], threads, len(by_threads) > 1)
    lines += _targets(results.get("targets"))
    lines += _ceiling(results.get("ceiling"))
    evaluation = results["evaluation"]
    lines += ["", f"evaluation ({evaluation['samples']}-sample averaging, {evaluation['images']} "
              f"images): {evaluation['images_per_s']:.0f} images/s (IQR {evaluation['iqr_pct']:.1f}%)"]
    cnn = results.get("cnn")
    if cnn:
        lines += ["", f"CIFAR-10 CNN training (Table 4, VIM, K {cnn['latent_dim']}, batch "
                  f"{config['batch_size']}, {cnn['flops_per_step'] / 1e9:.2f} GFLOP/step):"]
        for name in ("contiguous", "channels_last"):
            lines.append(f"  {name:<14}{cnn[name]['samples_per_s']:>8.1f} samples/s  "
                         f"{100 * cnn[name]['flop_fraction']:5.1f}% of peak  "
                         f"(IQR {cnn[name]['iqr_pct']:.1f}%)")
    memory = results.get("memory")
    if memory:
        figure = (f"{memory['peak_rss_mib']:.0f} MiB ({memory['seconds']:.0f} s)"
                  if "peak_rss_mib" in memory else f"failed: {memory['error']}")
        lines += ["", f"peak RSS of 1 epoch of vimax train (VIM, {memory['dataset']}): {figure}"]
    return "\n".join(lines)


def _training(training: dict, config: dict, data: str, threads: str, several: bool) -> list[str]:
    bound = training["bound"]
    at = f" at {threads} thread{'s' if threads != '1' else ''}" if several else ""
    peak = (f" (matmul peak at {threads} threads: {training['matmul_peak_gflops']:.1f} GFLOP/s)"
            if several and "matmul_peak_gflops" in training else "")
    rounds = training.get("rounds")
    timing = (f"{config['repeats']} repeats of {rounds // config['repeats']} round-robin rounds" if rounds
              else f"{config['repeats']} interleaved repeats")
    lines = ([""] if several else []) + [
             f"MNIST MLP training{at} ({data} data), batch {config['batch_size']}, K {config['latent_dim']}, "
             f"{training['steps']} steps x {timing}; samples/s are medians, fractions medians of "
             f"per-round ratios [IQR]{peak}:",
             f"bound (the step's matmuls + fused Adam step): {bound['samples_per_s']:.0f} samples/s "
             f"(IQR {bound['iqr_pct']:.1f}%)",
             f"{'objective':<14}{'plain/s':>8}{'vimax/s':>8}{'vimax/plain':>19}{'vimax/bound':>19}"
             f"{'plain/bound':>19}{'GFLOP/step':>11}{'vimax %peak':>12}"]
    for name in OBJECTIVES:
        row = training["objectives"][name]
        lines.append(f"{name:<14}{row['plain_samples_per_s']:>8.0f}{row['vimax_samples_per_s']:>8.0f}"
                     f"{row['ratio']:>11.2f}x [{row['ratio_iqr']:.2f}]"
                     f"{_pct(row['bound_fraction'], row['bound_fraction_iqr']):>19}"
                     f"{_pct(row['plain_bound_fraction'], row['plain_bound_fraction_iqr']):>19}"
                     f"{row['flops_per_step'] / 1e9:>11.3f}{100 * row['vimax_flop_fraction']:>11.1f}%")
    overhead, spread = training["overhead_over_deterministic_pct"], training["overhead_iqr_pct"]
    lines.append(f"overhead over deterministic (vimax loop, paired): VIB {overhead['vib']:+.1f}% "
                 f"[{spread['vib']:.1f}], VIM {overhead['vim']:+.1f}% [{spread['vim']:.1f}]")
    return lines + _compiled(training)


def _compiled(training: dict) -> list[str]:
    rows = {name: row["compiled"] for name, row in training["objectives"].items() if "compiled" in row}
    if not rows:
        return []
    lines = ["train.compile on, against the eager vimax loop (paired):",
             f"{'objective':<14}{'compiled/s':>11}{'compiled/eager':>22}{'vimax/bound':>19}"
             f"{'compile s':>11}{'break-even steps':>18}"]
    for name, row in rows.items():
        seconds = "?" if row["compile_seconds"] is None else f"{row['compile_seconds']:.1f}"
        steps = "never" if row["break_even_steps"] is None else str(row["break_even_steps"])
        ratio = f"{row['ratio_to_eager']:.3f}x [{row['ratio_to_eager_iqr']:.3f}]"
        lines.append(f"{name:<14}{row['samples_per_s']:>11.0f}{ratio:>22}"
                     f"{_pct(row['bound_fraction'], row['bound_fraction_iqr']):>19}{seconds:>11}{steps:>18}")
    return lines


def _targets(targets: dict | None) -> list[str]:
    """Issue 16's targets at each thread count measured: met or missed."""
    if not targets:
        return []
    lines = ["", f"issue 16's targets (vimax/bound >= {100 * targets['bound_fraction_min']:.0f}%, overhead "
             f"over deterministic <= {targets['overhead_max_pct']:g}%; two runs within "
             f"{AGREEMENT_POINTS:g} points: python -m benchmarks.compare):"]
    for threads, figures in targets["threads"].items():
        bound = ", ".join(f"{name} {100 * t['value']:.1f}% {_verdict(t['met'])}"
                          for name, t in figures["bound_fraction"].items())
        overhead = ", ".join(f"{name.upper()} {t['value']:+.1f}% {_verdict(t['met'])}"
                             for name, t in figures["overhead_pct"].items())
        lines.append(f"  {threads} thread{'s' if threads != '1' else ''}: {bound}; overhead {overhead}")
    if not targets["complete"]:
        lines.append("  (the targets hold at 1 thread and at 2: measure both with --threads 1,2)")
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _ceiling(ceiling: dict | None) -> list[str]:
    if not ceiling:
        return []
    lines = ["the step's matmuls alone, nothing else (median), against plain deterministic (medians):"]
    for name, label in (("single", "1 model"), ("stacked", f"{ceiling['stacked']['models']} models stacked"),
                        ("single_with_adam", "1 model + fused Adam step")):
        figure = ceiling[name]
        lines.append(f"  {label:<28}{figure['samples_per_s']:>8.0f} samples/s  "
                     f"{figure['ratio_to_plain']:5.2f}x  (IQR {figure['iqr_pct']:.1f}%)")
    return lines


def _pct(value: float, iqr: float) -> str:
    """A fraction in % with its IQR in points: ``85.2% [1.3]``."""
    return f"{100 * value:.1f}% [{100 * iqr:.1f}]"


def _load(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"

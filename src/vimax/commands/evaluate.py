"""``vimax evaluate``: accuracy, robustness and representation of a finished run (§4.1)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vimax.commands.options import add_set_option, settings_from_args

# option -> evaluation setting (a dotted key of EvaluationConfig)
FLAG_KEYS = {
    "samples": "samples", "data_dir": "data_dir", "device": "device", "attack": "attack",
    "attack_images": "attack_images", "source": "source", "target": "target",
    "attack_steps": "carlini_wagner.steps", "binary_search_steps": "carlini_wagner.binary_search_steps",
    "attack_stepsize": "carlini_wagner.stepsize", "attack_modes": "attack_modes",
    "attack_engine": "carlini_wagner.engine", "cross_check": "attack_cross_check",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from vimax.evaluate.attack_engines import ENGINES
    from vimax.evaluate.attack_modes import ATTACK_MODES
    from vimax.evaluate.run import EvaluationConfig

    default, cw = EvaluationConfig(), EvaluationConfig().carlini_wagner
    parser.add_argument("run_dir", help="a finished run folder (from vimax train)")
    add_set_option(parser, "carlini_wagner.confidence=1 (any setting of vimax.evaluate.EvaluationConfig, "
                           "as a sweep file's evaluate: section takes them)")
    parser.add_argument("--samples", type=int,
                        help=f"draws of z whose softmax is averaged (default {default.samples})")
    parser.add_argument("--data-dir", help="folder with the data files, or the new path of a data file "
                                          "the run was trained on (default: the run's own)")
    parser.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    group = parser.add_argument_group("Carlini-Wagner L2 targeted attack (Table 2)")
    group.add_argument("--no-attack", dest="attack", action="store_const", const=False,
                       help="skip the attack")
    group.add_argument("--attack-images", type=int, help="attack the first N test images of the source "
                                                         f"class (default {default.attack_images})")
    group.add_argument("--source", type=int, help=f"class attacked (default {default.source})")
    group.add_argument("--target", type=int, help=f"class to reach (default {default.target})")
    group.add_argument("--attack-steps", type=int,
                       help=f"Adam steps per binary search step (default {cw.steps})")
    group.add_argument("--binary-search-steps", type=int,
                       help=f"steps of the search over the constant c (default {cw.binary_search_steps})")
    group.add_argument("--attack-stepsize", type=float, help=f"Adam step size (default {cw.stepsize:g})")
    group.add_argument("--attack-modes", nargs="+", choices=ATTACK_MODES,
                       help="mean: the classifier at z = mean; averaged: the softmax averaged over "
                            "--samples fixed draws of z (stochastic models only; default: both)")
    group.add_argument("--attack-engine", choices=ENGINES,
                       help=f"the CW-L2 implementation (default {cw.engine})")
    group.add_argument("--cross-check", action="store_const", const=True,
                       help="attack again with the other engine and report the agreement")


def run(args: argparse.Namespace) -> int:
    from vimax.evaluate.run import EVALUATION, evaluate_run, evaluation_config
    from vimax.report.curves import write_run_curves

    settings = evaluation_config(settings_from_args(args, FLAG_KEYS))
    result = evaluate_run(args.run_dir, settings)
    print(format_evaluation(result))
    curves = write_run_curves(args.run_dir)
    print(f"saved in {Path(args.run_dir) / EVALUATION}" + (f"; learning curves: {curves}" if curves else ""))
    return 0


def _number(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def format_diagnostics(diagnostics: dict[str, Any] | None) -> str:
    """One line: the gradient ratio ||grad beta*D|| / ||grad CE||, the latent scale and the median std."""
    if diagnostics is None:
        return "n/a (evaluated before the diagnostics existed)"
    if diagnostics["regulariser_grad_ratio"] is None and diagnostics["latent_scale"] is None:
        return "n/a (deterministic objective: no posterior)"
    active = {True: "active", False: "INACTIVE", None: "activity unknown"}[diagnostics["regulariser_active"]]
    return (f"||grad beta*D|| / ||grad CE|| {_number(diagnostics['regulariser_grad_ratio'], '.3g')} "
            f"({active}), E||z||^2/(K sigma^2) {_number(diagnostics['latent_scale'], '.3g')}, "
            f"median posterior std {_number(diagnostics['posterior_std_median'], '.3g')} "
            f"(from {diagnostics['source']})")


def _attack_rows(section: dict[str, Any] | None) -> list[tuple[str, str]]:
    """One row per attack mode, and one per mode cross-checked."""
    if section is None:
        return []
    modes = {"mean": section} if "per_image" in section else {  # files of the one-mode layout
        mode: part for mode, part in section.items() if mode != "cross_check"}
    rows = []
    for mode, attack in modes.items():
        wins = sum(1 for entry in attack["per_image"] if entry["success"])
        fresh = attack.get("fresh_noise_success_rate")
        rows.append((f"CW-L2 {attack['source']} -> {attack['target']} ({mode})",
                     f"{wins}/{attack['images_attacked']} fooled ({attack['attack']['name']}) in "
                     f"{attack['seconds']:.1f} s: L2 {_number(attack['l2'], '.3f')}, "
                     f"L1 {_number(attack['l1'], '.2f')} ({_number(attack['l1_255'], '.0f')} in 0-255), "
                     f"Linf {_number(attack['linf'], '.3f')}"
                     + ("" if fresh is None else f"; {100 * fresh:.0f}% still fool fresh noise")))
    for mode, check in section.get("cross_check", {}).items():
        first, second = check["engines"]
        rows.append((f"cross-check ({mode})",
                     f"mean L2 {second} {_number(check[f'mean_l2_{second}'], '.3f')} vs {first} "
                     f"{_number(check[f'mean_l2_{first}'], '.3f')} (ratio "
                     f"{_number(check['ratio_of_means'], '.3f')}, {check['images_both_fooled']} images)"))
    return rows


def format_evaluation(result: dict[str, Any]) -> str:
    """The short summary table printed after an evaluation."""
    acc, rep, info = result["accuracy"], result["representation"], result["information"]
    rows = [
        ("test error", f"{100 * acc['test_error']:.2f}% ({acc['samples']} samples), "
                       f"{100 * acc['test_error_1_sample']:.2f}% (1 sample), "
                       f"{100 * acc['test_error_mean_z']:.2f}% (z = mean)"),
    ]
    rows += _attack_rows(result["robustness"])
    rows.append(("representation", f"ARI {rep['ari']:.3f}, cluster accuracy "
                                   f"{rep['cluster_accuracy']:.3f}, NMI {rep['nmi']:.3f}, "
                                   f"Hoyer {rep['hoyer']:.3f}"))
    if info["rate_bits"] is None:
        rows.append(("information", "n/a (deterministic objective: no posterior)"))
    else:
        rows.append(("information", f"rate {info['rate_bits']:.1f} bits, "
                                    f"I(Z;Y) >= {info['izy_bits']:.3f} bits"))
    rows.append(("regulariser", format_diagnostics(result.get("diagnostics"))))
    if result["plots"]:
        rows.append(("plots", ", ".join(result["plots"])))
    rows.append(("time", f"{result['seconds']:.1f} s"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {text}" for name, text in rows)

"""``vimax evaluate``: accuracy, robustness and representation of a finished run (§4.1)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vimax.cli import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from vimax.evaluate.carlini_wagner import CarliniWagnerConfig

    cw = CarliniWagnerConfig()
    parser.add_argument("run_dir", help="a finished run folder (from vimax train)")
    parser.add_argument("--samples", type=positive_int, default=12,
                        help="draws of z whose softmax is averaged (default 12)")
    parser.add_argument("--data-dir", help="folder with the data files, or the new path of a data file "
                                          "the run was trained on (default: the run's own)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    group = parser.add_argument_group("Carlini-Wagner L2 targeted attack (Table 2)")
    group.add_argument("--no-attack", action="store_true", help="skip the attack")
    group.add_argument("--attack-images", type=positive_int, default=10,
                       help="attack the first N test images of the source class (default 10)")
    group.add_argument("--source", type=int, default=0, help="class attacked (default 0)")
    group.add_argument("--target", type=int, default=1, help="class to reach (default 1)")
    group.add_argument("--attack-steps", type=positive_int, default=cw.steps,
                       help=f"Adam steps per binary search step (default {cw.steps})")
    group.add_argument("--binary-search-steps", type=positive_int, default=cw.binary_search_steps,
                       help=f"steps of the search over the constant c (default {cw.binary_search_steps})")
    group.add_argument("--attack-stepsize", type=float, default=cw.stepsize,
                       help=f"Adam step size (default {cw.stepsize:g})")
    group.add_argument("--attack-averaged", action="store_true",
                       help="attack the softmax averaged over --samples draws of z, not z = mean")


def run(args: argparse.Namespace) -> int:
    from vimax.evaluate.carlini_wagner import CarliniWagnerConfig
    from vimax.evaluate.run import EVALUATION, EvaluationConfig, evaluate_run

    settings = EvaluationConfig(
        samples=args.samples, attack=not args.no_attack, attack_images=args.attack_images,
        source=args.source, target=args.target, attack_averaged=args.attack_averaged,
        carlini_wagner=CarliniWagnerConfig(steps=args.attack_steps,
                                           binary_search_steps=args.binary_search_steps,
                                           stepsize=args.attack_stepsize),
        data_dir=args.data_dir, device=args.device)
    result = evaluate_run(args.run_dir, settings)
    print(format_evaluation(result))
    print(f"saved in {Path(args.run_dir) / EVALUATION}")
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


def format_evaluation(result: dict[str, Any]) -> str:
    """The short summary table printed after an evaluation."""
    acc, rep, info = result["accuracy"], result["representation"], result["information"]
    rows = [
        ("test error", f"{100 * acc['test_error']:.2f}% ({acc['samples']} samples), "
                       f"{100 * acc['test_error_1_sample']:.2f}% (1 sample), "
                       f"{100 * acc['test_error_mean_z']:.2f}% (z = mean)"),
    ]
    attack = result["robustness"]
    if attack is not None:
        wins = sum(1 for entry in attack["per_image"] if entry["success"])
        fooled = f"{wins}/{attack['images_attacked']}"
        rows.append((f"CW-L2 {attack['source']} -> {attack['target']}",
                     f"{fooled} fooled ({attack['attacked_model']}) in {attack['seconds']:.1f} s: "
                     f"L2 {_number(attack['l2'], '.3f')}, L1 {_number(attack['l1'], '.2f')} "
                     f"({_number(attack['l1_255'], '.0f')} in 0-255), "
                     f"Linf {_number(attack['linf'], '.3f')}"))
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

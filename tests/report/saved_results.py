"""A small fixture of saved results: fake config.json / metrics.json / evaluation.json files.

The report reads only these files, so the fixture needs no training. Values are
made up near the paper's, with a small spread over seeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROFILE = "cpu"
REVISION = "0123abc"
# (objective, beta, sigma) -> test error of seed 0; seeds add 0.0002 * seed
TABLE1 = {("deterministic", None, None): 0.0140, ("dropout", None, None): 0.0135,
          ("label_smoothing", None, None): 0.0125, ("confidence_penalty", None, None): 0.0118,
          ("vib", 1e-3, 1.0): 0.0116, ("vim", 1e-3, 1.0): 0.0108}
TABLES2_3 = {("deterministic", None, None): (2.2, 0.93), ("vib", 1e-3, 1.0): (3.3, 0.94),
             ("vib", 1e-4, 1.0): (3.5, 0.95), ("vim", 1e-3, 1.0): (3.8, 0.96)}


def run_id(objective: str, beta: float | None, sigma: float | None, seed: int) -> str:
    parts = [objective] + ([f"beta{beta:.0e}"] if beta else []) + ([f"sigma{sigma:g}"] if sigma else [])
    return "_".join([*parts, f"seed{seed}"])


def write_run(root: Path, sweep: str, objective: str, beta: float | None, sigma: float | None, seed: int,
              error: float, evaluation: dict[str, Any] | None = None, profile: str = PROFILE,
              latent_dim: int = 256, width: float = 1.0, val_error: float | None = None,
              extra_metrics: dict[str, Any] | None = None, epochs: int = 10) -> Path:
    folder = root / sweep / profile / run_id(objective, beta, sigma, seed)
    folder.mkdir(parents=True)
    objective_config: dict[str, Any] = {"name": objective}
    if beta is not None:
        objective_config.update(beta=beta, prior_std=sigma)
    config = {"data": {"name": "mnist"}, "model": {"latent_dim": latent_dim, "width": width},
              "objective": objective_config, "train": {"seed": seed, "epochs": epochs, "batch_size": 100}}
    (folder / "config.json").write_text(json.dumps({"config": config, "git_revision": REVISION}))
    metrics = {"test_error": error, "val_error": error * 1.1 if val_error is None else val_error,
               "train_seconds": 60.0, "epochs": epochs, **(extra_metrics or {})}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    if evaluation is not None:
        (folder / "evaluation.json").write_text(json.dumps({**evaluation, "seconds": 30.0}))
    return folder


def evaluation(l2: float, ari: float, seed: int) -> dict[str, Any]:
    jitter = 0.01 * seed
    return {"robustness": {"l2": l2 + jitter, "l1": 2.8 * l2 + jitter, "l1_255": 255 * (2.8 * l2 + jitter),
                           "linf": l2 / 6 + jitter, "success_rate": 1.0, "images_attacked": 10},
            "representation": {"ari": ari + jitter / 10, "cluster_accuracy": ari + 0.02 + jitter / 10,
                               "hoyer": ari / 3 + jitter / 10}}


def new_evaluation(l2: float, ari: float, seed: int, cross_check: bool = False) -> dict[str, Any]:
    """The new evaluation.json layout: both attack modes, a cross-check, the Hoyer variants."""
    old = evaluation(l2, ari, seed)
    mean = {**old["robustness"], "attacked_model": "mean_z", "per_image": [
        {"test_index": 3, "success": True, "l2": l2}, {"test_index": 10, "success": True, "l2": l2 + 0.2}]}
    averaged = {**mean, "l2": mean["l2"] + 0.5 + 0.01 * seed, "attacked_model": "averaged",
                "averaged_samples": 12, "fresh_noise_success_rate": 0.8}
    robustness: dict[str, Any] = {"mean": mean, "averaged": averaged}
    if cross_check:  # vimax.evaluate.attack_modes.cross_check: the engines' agreement, per mode
        robustness["cross_check"] = {"mean": {
            "engines": ["adv_lib", "foolbox"], "images_both_fooled": 10, "mean_l2_adv_lib": l2,
            "mean_l2_foolbox": l2 * 1.02, "ratio_of_means": 1.02, "median_ratio": 1.02, "min_ratio": 0.99,
            "max_ratio": 1.08, "tolerance": 0.05, "fraction_within_tolerance": 0.9}}
    representation = {**old["representation"], "hoyer_raw": 0.37 + seed / 1000, "hoyer_prior_std": 0.30,
                      "hoyer_dim_std": old["representation"]["hoyer"]}
    return {"robustness": robustness, "representation": representation}


def make_results(root: Path, seeds: int = 3) -> Path:
    """Saved results of every sweep the report knows, with ``seeds`` seeds each."""
    for seed in range(seeds):
        for (objective, beta, sigma), error in TABLE1.items():
            write_run(root, "table1", objective, beta, sigma, seed, error + 0.0002 * seed)
        for (objective, beta, sigma), (l2, ari) in TABLES2_3.items():
            write_run(root, "tables2_3", objective, beta, sigma, seed, 0.012, evaluation(l2, ari, seed))
        for objective, sigma, offset in (("vib", 1.0, 0.001), ("vim", 1.0, 0.0), ("vim", 2.0, 0.0005)):
            for beta, base in ((1e-4, 0.013), (1e-3, 0.011), (1e-2, 0.015)):
                write_run(root, "fig1", objective, beta, sigma, seed, base + offset + 0.0003 * seed)
        for objective, sigma, error in (("deterministic", None, 0.049), ("vib", 1.0, 0.036),
                                        ("vib", 2.0, 0.04),
                                        ("vim", 1.0, 0.031), ("vim", 2.0, 0.033)):
            folder = write_run(root, "fig2", objective, 1e-3 if sigma else None, sigma, seed,
                               error + 0.001 * seed,
                               evaluation(1.0, 0.8 + (0.1 if objective == "vim" else 0), seed),
                               latent_dim=2)
            (folder / "latent.png").write_bytes(b"\x89PNG fake")
        for objective, sigma in (("vim", 2.5), ("vim", 0.5), ("vib", 0.5), ("vib", 2.5)):
            for beta in (1e-3, 1e-1, 1.0):
                error = 0.30 + 0.02 * (objective == "vib") + 0.01 * (sigma == 0.5) + 0.001 * seed
                write_run(root, "cifar10", objective, beta, sigma, seed, error,
                          evaluation(1.0, 0.3 + 0.05 * (sigma == 2.5), seed), width=0.25)
    records = root / "table1" / PROFILE / "records"
    records.mkdir()
    (records / "vim_broken_seed0.json").write_text(json.dumps(
        {"run_id": "vim_broken_seed0", "sweep": "table1", "status": "failed", "seconds": 12.0,
         "reason": "the loss became NaN or infinite in epoch 3"}))
    return root

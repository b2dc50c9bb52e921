"""``vimax demo``: the main job on the embedded default.

Trains the deterministic baseline, VIB and VIM (beta 1e-3, sigma 1, K 256, the
paper's MLP) on scikit-learn's 8x8 digits, then prints and saves a comparison
table. Needs no download; takes well under two minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from vimax.atomic import atomic_write_json, atomic_write_text
from vimax.commands.options import positive_int
from vimax.config import RunConfig
from vimax.config.train import TrainConfig
from vimax.data.config import DataConfig, load_dataset
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import objective_config
from vimax.training.loop import fit
from vimax.training.run_folder import METRICS

OBJECTIVES = ("deterministic", "vib", "vim")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="folder for the demo's runs")
    parser.add_argument("--epochs", type=positive_int, default=30)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")


def demo_config(objective: str, epochs: int, device: str) -> RunConfig:
    stochastic = objective in ("vib", "vim")
    return RunConfig(
        data=DataConfig(name="digits"),
        model=ModelConfig(trunk="mlp", latent_dim=256),
        objective=objective_config(objective)(**({"beta": 1e-3, "prior_std": 1.0} if stochastic else {})),
        train=TrainConfig(epochs=epochs, batch_size=100, lr=1e-3, seed=0, device=device),
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    dataset = load_dataset(DataConfig(name="digits"))
    print(f"vimax demo: {len(dataset.train)} training / {len(dataset.val)} validation / "
          f"{len(dataset.test)} test images of scikit-learn's 8x8 digits, {args.epochs} epochs")
    training_logger = logging.getLogger("vimax.training")
    level = training_logger.level
    training_logger.setLevel(logging.WARNING)  # one line per run is enough
    try:
        rows = {name: train_one(name, out, args, dataset) for name in OBJECTIVES}
    finally:
        training_logger.setLevel(level)
    table = format_table(rows)
    print(table)
    atomic_write_text(out / "demo.md", table + "\n")
    atomic_write_json(out / "demo.json", rows)
    print(f"saved in {out}")
    return 0


def train_one(name: str, out: Path, args: argparse.Namespace, dataset) -> dict:
    run_dir = out / name
    if (run_dir / METRICS).is_file():
        print(f"  {name}: finished before, reading {run_dir} (delete it to retrain)")
    else:
        print(f"  training {name} ...")
    return fit(demo_config(name, args.epochs, args.device), run_dir, resume=True, dataset=dataset)


def format_table(rows: dict[str, dict]) -> str:
    lines = [
        "| objective | test error % | test error % (z = mean) | val error % | rate (bits) "
        "| I(Z;Y) >= (bits) | samples/s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, m in rows.items():
        rate = "—" if m.get("rate_bits") is None else f"{m['rate_bits']:.1f}"
        izy = "—" if m.get("izy_bits") is None else f"{m['izy_bits']:.3f}"
        lines.append(f"| {name} | {100 * m['test_error']:.2f} | {100 * m['test_error_mean_z']:.2f} | "
                     f"{100 * m['val_error']:.2f} | {rate} | {izy} | {m['train_samples_per_s']:.0f} |")
    return "\n".join(lines)

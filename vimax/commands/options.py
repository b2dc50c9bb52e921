"""The options that set a RunConfig (those of vimax train) and the option types the commands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from vimax.config import RunConfig, apply_overrides, from_dict, load_config_file
from vimax.config.train import TrainConfig
from vimax.data.base import DATASETS
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.models.trunks import TRUNKS
from vimax.objectives import OBJECTIVES
from vimax.objectives.config import objective_settings
from vimax.sweep.sweep_file import merge

__all__ = ["add_run_options", "positive_int", "run_config_from_args"]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options that set a RunConfig (shared by train and sweep)."""
    group = parser.add_argument_group("run settings (override the config file)")
    group.add_argument("--config", help="YAML, TOML or JSON run config")
    group.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override any config key, e.g. --set train.ema_decay=0.999")
    group.add_argument("--dataset", metavar="NAME|PATH",
                       help=f"a registered dataset ({', '.join(DATASETS.names())}) or the path of a "
                            ".npz or .csv file or of an image folder (data.path); see 'Your own data' "
                            "in the README")
    group.add_argument("--data-dir", help="folder with a named dataset's files "
                                          "(default: $VIMAX_DATA, then the cache)")
    group.add_argument("--objective", choices=OBJECTIVES.names())
    group.add_argument("--beta", type=float, help="Lagrange multiplier beta of Eqs. (10) and (18)")
    group.add_argument("--prior-std", type=float, help="sigma of the prior N(0, sigma^2 I)")
    group.add_argument("--latent-dim", type=int,
                       help=f"K, the dimension of z (default {ModelConfig.latent_dim})")
    group.add_argument("--trunk", choices=TRUNKS.names(), help=f"encoder trunk (default {ModelConfig.trunk})")
    group.add_argument("--epochs", type=int, help=f"training epochs (default {TrainConfig.epochs})")
    group.add_argument("--batch-size", type=int, help=f"examples per step (default {TrainConfig.batch_size})")
    group.add_argument("--lr", type=float, help=f"Adam's learning rate (default {TrainConfig.lr:g})")
    group.add_argument("--seed", type=int, help=f"seeds the weights, noise and data order "
                                                f"(default {TrainConfig.seed})")
    group.add_argument("--device", help="auto (CUDA when present), cpu or cuda")


FLAG_KEYS = {
    "data_dir": "data.data_dir", "objective": "objective.name",
    "beta": "objective.beta", "prior_std": "objective.prior_std",
    "latent_dim": "model.latent_dim", "trunk": "model.trunk", "epochs": "train.epochs",
    "batch_size": "train.batch_size", "lr": "train.lr", "seed": "train.seed",
    "device": "train.device",
}


def run_config_from_args(args: argparse.Namespace, base: dict | None = None):
    """``base`` (a resumed run's saved config), the config file, then --set overrides, then the
    explicit flags: one RunConfig."""
    data = merge(base or {}, load_config_file(args.config) if args.config else {})
    data = apply_overrides(data, args.overrides)
    for flag, key in FLAG_KEYS.items():
        value = getattr(args, flag, None)
        if value is not None:
            section, name = key.split(".")
            data.setdefault(section, {})[name] = value
    if getattr(args, "dataset", None) is not None:
        data["data"] = _dataset_flag(args.dataset, data.get("data"))
    config = from_dict(RunConfig, data).validate()
    _refuse_ignored_objective_options(args, config.objective.name)
    return config


def _refuse_ignored_objective_options(args: argparse.Namespace, objective: str) -> None:
    """An objective setting given on the command line that the objective does not take is an error
    (e.g. --objective deterministic --beta 1e-3); in a config file it is left for other objectives."""
    given = [(f"--{flag.replace('_', '-')}", key.split(".")[1]) for flag, key in FLAG_KEYS.items()
             if key.startswith("objective.") and key != "objective.name"
             and getattr(args, flag, None) is not None]
    keys = [item.partition("=")[0] for item in args.overrides]
    given += [(f"--set {key}", key.split(".", 1)[1]) for key in keys
              if key.startswith("objective.") and key != "objective.name"]
    takes = objective_settings(objective)
    for option, name in given:
        if name not in takes:
            raise ConfigError(f"{option} does not apply to the {objective!r} objective, which would "
                              f"ignore it (it takes: {', '.join(takes) or 'no settings'})")


def _dataset_flag(value: str, section: object) -> dict:
    """``--dataset``: a registered name sets data.name, anything else is a path (data.path)."""
    section = dict(section) if isinstance(section, dict) else {}
    section.pop("name", None)
    section.pop("path", None)
    if value in DATASETS:
        return {**section, "name": value}
    path = Path(value).expanduser()
    if not path.exists():
        raise ConfigError(f"--dataset {value}: not a registered dataset ({', '.join(DATASETS.names())}) "
                          "nor an existing file or folder")
    return {**section, "path": str(path.absolute())}

"""The options that set a RunConfig (those of vimax train) and the option types the commands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from vimax.config import RunConfig, apply_overrides, assign, load_config_file, merge
from vimax.config.train import TrainConfig
from vimax.data.base import DATASETS
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.models.trunks import TRUNKS
from vimax.objectives import OBJECTIVES

__all__ = ["add_run_options", "add_set_option", "positive_int", "run_config_from_args", "settings_from_args"]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_set_option(group: argparse._ActionsContainer, example: str) -> None:
    group.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help=f"set any config key (dotted; the value read as YAML), e.g. --set {example}")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options that set a RunConfig (shared by train and sweep)."""
    group = parser.add_argument_group("run settings (override the config file)")
    group.add_argument("--config", dest="config_file", help="YAML, TOML or JSON run config")
    add_set_option(group, "train.ema_decay=0.999")
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


def settings_from_args(args: argparse.Namespace, flags: dict[str, str], base: dict | None = None) -> dict:
    """``base``, the config file (--config), the --set overrides, then the ``flags`` given (option
    name -> dotted key): one dict for :meth:`RunConfig.from_dict` or :func:`evaluation_config`."""
    config_file = getattr(args, "config_file", None)
    data = merge(base or {}, load_config_file(config_file) if config_file else {})
    data = apply_overrides(data, args.overrides)
    for flag, key in flags.items():
        value = getattr(args, flag, None)
        if value is not None:
            assign(data, key, value, f"--{flag.replace('_', '-')}")
    return data


def run_config_from_args(args: argparse.Namespace, base: dict | None = None) -> RunConfig:
    """``base`` (a resumed run's saved config), the config file, then --set overrides, then the
    explicit flags: one RunConfig."""
    data = settings_from_args(args, FLAG_KEYS, base)
    if getattr(args, "dataset", None) is not None:
        data["data"] = _dataset_flag(args.dataset, data.get("data"))
    return RunConfig.from_dict(data)


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

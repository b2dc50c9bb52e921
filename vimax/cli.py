"""The ``vimax`` command: train | demo | evaluate | sweep | report.

Library code logs; this module prints. Any user error ends with one line on
stderr and exit code 2. ``--import MODULE`` (before or after the command, any
number of times) imports your own module first, so the datasets, trunks and
objectives it registers can be named like the built-in ones.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from vimax.errors import ConfigError, VimaxError

__all__ = ["main"]

# name -> (help, module); each module has add_arguments(parser) and run(args) -> int
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train one run into a run folder", "vimax.commands.train"),
    "demo": ("train deterministic, VIB and VIM on the embedded digits and compare",
             "vimax.commands.demo"),
    "evaluate": ("evaluate a finished run: accuracy, robustness, representation",
                 "vimax.commands.evaluate"),
    "sweep": ("run a grid of runs from a config, resumably", "vimax.commands.sweep"),
    "report": ("write REPORT.md from saved results", "vimax.commands.report"),
}


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_import_option(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument("--import", dest="imports", action="append", default=default, metavar="MODULE",
                        help="import this module (a name or a .py file) first: the datasets, trunks and "
                             "objectives it registers can then be named (repeatable)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options that set a RunConfig (shared by train and sweep)."""
    from vimax.data.base import DATASETS
    from vimax.objectives import OBJECTIVES

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
    group.add_argument("--latent-dim", type=int, help="K, the dimension of z")
    group.add_argument("--trunk", help="encoder trunk (mlp, cnn)")
    group.add_argument("--epochs", type=int)
    group.add_argument("--batch-size", type=int)
    group.add_argument("--lr", type=float)
    group.add_argument("--seed", type=int)
    group.add_argument("--device", help="auto (CUDA when present), cpu or cuda")


FLAG_KEYS = {
    "data_dir": "data.data_dir", "objective": "objective.name",
    "beta": "objective.beta", "prior_std": "objective.prior_std",
    "latent_dim": "model.latent_dim", "trunk": "model.trunk", "epochs": "train.epochs",
    "batch_size": "train.batch_size", "lr": "train.lr", "seed": "train.seed",
    "device": "train.device",
}


def run_config_from_args(args: argparse.Namespace):
    """Config file, then --set overrides, then the explicit flags: one RunConfig."""
    from vimax.config import RunConfig, apply_overrides, from_dict, load_config_file

    data = load_config_file(args.config) if args.config else {}
    data = apply_overrides(data, args.overrides)
    for flag, key in FLAG_KEYS.items():
        value = getattr(args, flag, None)
        if value is not None:
            section, name = key.split(".")
            data.setdefault(section, {})[name] = value
    if getattr(args, "dataset", None) is not None:
        data["data"] = _dataset_flag(args.dataset, data.get("data"))
    return from_dict(RunConfig, data).validate()


def _dataset_flag(value: str, section: object) -> dict:
    """``--dataset``: a registered name sets data.name, anything else is a path (data.path)."""
    from vimax.data.base import DATASETS

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


def _imports_in(argv: Sequence[str]) -> list[str]:
    """The ``--import`` values anywhere in ``argv`` (read before the parser exists, so that the
    modules' registrations show up as its choices)."""
    scan = ArgumentParser(prog="vimax", add_help=False, allow_abbrev=False)
    scan.add_argument("--import", dest="imports", action="append", default=[])
    known, _ = scan.parse_known_args(list(argv))
    return known.imports


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line, like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"vimax: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="vimax", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    add_import_option(parser, default=[])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, module_name) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a command whose module is not written yet
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        add_import_option(sub, default=argparse.SUPPRESS)  # also after the command; read by _imports_in
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from vimax.extras import require_tool
    from vimax.user_modules import import_modules

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        require_tool()
        import_modules(_imports_in(argv))
    except VimaxError as error:
        print(f"vimax: error: {error}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    try:
        return int(args.run(args) or 0)
    except VimaxError as error:
        print(f"vimax: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vimax: interrupted; finished epochs are kept (resume with --resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Run configs: typed dataclasses, loaded from YAML/TOML/JSON, overridden by dotted keys.

A :class:`RunConfig` gathers the configs that live beside their components
(data, model, objective, training). ``from_dict`` checks every key and type and
refuses unknown keys with one clear line.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vimax.config.train import TrainConfig
from vimax.data.config import DataConfig
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import ObjectiveConfig

__all__ = ["RunConfig", "from_dict", "load_config_file", "apply_overrides"]


@dataclass
class RunConfig:
    """Everything one training run needs; saved as ``config.json`` in its run folder."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> RunConfig:
        for part in (self.data, self.model, self.objective, self.train):
            part.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        """The config as saved in config.json; a ``saved_when_set`` field is left out at its default."""
        data = dataclasses.asdict(self)
        for section in dataclasses.fields(self):
            part = getattr(self, section.name)
            for f in dataclasses.fields(part):
                if f.metadata.get("saved_when_set") and getattr(part, f.name) == f.default:
                    del data[section.name][f.name]
        return data


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against a type hint, converting only lossless cases (int -> float)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, where)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}")
        return tuple(_coerce(v, a, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:  # an int of hundreds of digits
                raise ConfigError(f"{where}: an integer of {value.bit_length()} bits is too large "
                                  "for a float") from None
    elif hint is str:
        if isinstance(value, str):
            return value
    else:
        return value
    raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")


def from_dict(cls: type, data: Any, where: str = "config") -> Any:
    """Build dataclass ``cls`` from a mapping, refusing unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names, key=str)  # YAML keys need not be strings
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(names))}")
    kwargs = {key: _coerce(value, hints[key], f"{where}.{key}") for key, value in data.items()}
    return cls(**kwargs)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (.yaml/.yml), TOML (.toml) or JSON (.json) file into a dict."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not a text file ({error.reason} at byte {error.start})") from None
    try:
        if path.suffix in (".yaml", ".yml"):
            data = _yaml_load(text)
        elif path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(f"{path}: config files must end in .yaml, .yml, .toml or .json")
    except ConfigError:
        raise
    except Exception as error:  # parser errors of three libraries (TOML's and JSON's name the line)
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        mark = getattr(error, "problem_mark", None)  # PyYAML's MarkedYAMLError
        if mark is not None:
            first_line = f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
        raise ConfigError(f"{path}: not valid {path.suffix[1:].upper()}: {first_line}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return data


# YAML 1.2 floats that PyYAML's YAML 1.1 resolver reads as strings: 1e-3, 5E4, 2.5e3
_EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


@functools.cache
def _yaml_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789"))
    return Loader


def _yaml_load(text: str) -> Any:
    """``yaml.safe_load``, except that 1e-3 and 5E4 are numbers (as in YAML 1.2), not strings."""
    import yaml

    return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader: builds no Python objects


def _parse_scalar(text: str) -> Any:
    import yaml

    try:
        return _yaml_load(text)
    except (yaml.YAMLError, ValueError):  # ValueError: a date like 2001-13-45
        return text


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides (values parsed as YAML scalars) to a dict."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[leaf] = _parse_scalar(text)
    return data

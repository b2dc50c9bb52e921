"""Config files: YAML, TOML or JSON into a dict, each parser's error as one line."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from vimax.errors import ConfigError

__all__ = ["load_config_file", "parse_scalar"]


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


def parse_scalar(text: str) -> Any:
    """A command-line value as YAML reads it (1e-3 a number, [8, 4] a list), else the text itself."""
    import yaml

    try:
        return _yaml_load(text)
    except (yaml.YAMLError, ValueError):  # ValueError: a date like 2001-13-45
        return text

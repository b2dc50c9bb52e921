"""Dotted keys: the one parser of ``section.key`` for ``--set``, command-line flags and sweep files.

``assign(data, "train.lr", 1e-3)`` sets ``data["train"]["lr"]``; a mapping
assigned onto a mapping is merged into it. ``--set train.lr=1e-3`` is parsed by
:func:`parse_assignment` (the value read as a YAML scalar) and a sweep file's
``{"objective.beta": 1e-3}`` or ``{"objective": {"beta": 1e-3}}`` by :func:`nest`:
all three end in :func:`assign`.
"""

from __future__ import annotations

import copy
from typing import Any

from vimax.config.files import parse_scalar
from vimax.errors import ConfigError

__all__ = ["assign", "nest", "merge", "parse_assignment", "apply_overrides"]


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``update`` merged in, section by section."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def assign(data: dict[str, Any], key: str, value: Any, where: str = "override") -> None:
    """Set the dotted ``key`` of ``data`` to ``value`` (merged when both are mappings)."""
    *parents, leaf = str(key).split(".")
    if not all(parents) or not leaf:
        raise ConfigError(f"{where}: {key!r} is not a dotted key like train.lr")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{where}: {key!r} conflicts with the value set for {part!r}")
    if isinstance(value, dict) and isinstance(node.get(leaf), dict):
        value = merge(node[leaf], value)
    node[leaf] = value


def nest(data: Any, where: str) -> dict[str, Any]:
    """A mapping with dotted keys (``{"train.lr": 1e-3}``) as nested sections; nested input passes."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {data!r}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        assign(out, key, nest(value, f"{where}.{key}") if isinstance(value, dict) else value, where)
    return out


def parse_assignment(item: str) -> tuple[str, Any]:
    """``"train.lr=1e-3"`` -> ``("train.lr", 0.001)``: the value read as a YAML scalar."""
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {item!r} must look like section.key=value")
    return key, parse_scalar(text)


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` items (``--set``) to ``data`` in place; returns it."""
    for item in overrides:
        assign(data, *parse_assignment(item), where=f"override {item!r}")
    return data

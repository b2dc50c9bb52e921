"""The sweep file: a base run config, named profiles and a grid of named variants.

A sweep file (YAML, TOML or JSON) looks like::

    name: table1                  # results go to RESULTS_DIR/table1/<profile>/<run id>/
    seeds: 5                      # default seeds: a count (0..N-1) or a list
    base:                         # a RunConfig dict (nested sections or dotted keys)
      data: {name: mnist}
      model: {latent_dim: 256}
    profiles:                     # each one: overrides merged into base
      paper: {train: {epochs: 200}}
      cpu:
        train: {epochs: 10}
        axes: {objective.beta: [1.0e-4, 1.0e-3]}   # replaces that axis's values in every variant
        evaluate: false                            # replaces the sweep's evaluation
        variants:                                  # changes to single variants in this profile
          vim: {axes: {objective.prior_std: [1.0]}, train: {lr: 1.0e-3}}
    grid:                         # one entry per variant
      - name: vim
        objective: {name: vim}
        axes: {objective.beta: [1.0e-5, 1.0e-3]}   # cartesian axes (optional)
        evaluate: {...}                            # this variant's evaluation (optional)
    evaluate: true                # false, true (defaults) or evaluation settings

Merge order, last wins: base, profile, variant, the profile's entry for the
variant, axis point, seed. ``profiles:`` is optional: a file without it has
one implicit, empty profile named ``default`` (results in
RESULTS_DIR/<name>/default/), which ``vimax sweep`` uses when ``--profile``
is not given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vimax.config import load_config_file, nest
from vimax.errors import ConfigError

__all__ = ["SweepFile", "Variant", "load_sweep", "parse_sweep", "parse_seeds"]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
MAX_SEEDS = 10_000
IMPLICIT_PROFILE = "default"  # the one profile of a sweep file without ``profiles:``
TOP_KEYS = {"name", "seeds", "base", "profiles", "grid", "evaluate", "description"}


@dataclass
class Variant:
    """One named entry of the grid: overrides, cartesian axes and evaluation settings."""

    name: str
    overrides: dict[str, Any]
    axes: dict[str, list[Any]] = field(default_factory=dict)
    evaluate: Any = None  # None: the profile's or the sweep's


@dataclass
class SweepFile:
    """A parsed sweep file (see the module docstring for the format)."""

    name: str
    base: dict[str, Any]
    profiles: dict[str, dict[str, Any]]
    grid: list[Variant]
    evaluate: Any = False
    seeds: list[int] = field(default_factory=lambda: [0])
    path: str | None = None

    def profile_or_default(self, profile: str | None) -> str:
        """``profile``, or when None the implicit profile of a file without profiles (else "cpu")."""
        if profile is not None:
            return profile
        return IMPLICIT_PROFILE if list(self.profiles) == [IMPLICIT_PROFILE] else "cpu"


def parse_seeds(value: Any, where: str) -> list[int]:
    """A seed count N (seeds 0..N-1) or an explicit list of seeds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_SEEDS:  # a huge count would exhaust memory before anything runs
            raise ConfigError(f"{where}: the number of seeds must lie in [1, {MAX_SEEDS}], got {value}")
        return list(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and s >= 0 for s in value):
        if len(set(value)) != len(value):
            raise ConfigError(f"{where}: seeds repeat: {value}")
        return list(value)
    raise ConfigError(f"{where}: seeds must be a count >= 1 or a list of integers >= 0, got {value!r}")


def parse_axes(value: Any, where: str) -> dict[str, list[Any]]:
    """``{"objective.beta": [..], ...}``: each axis a dotted key and a non-empty list."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: axes must be a mapping of dotted keys to lists")
    for key, values in value.items():
        if "." not in str(key):
            raise ConfigError(f"{where}: axis {key!r} must be a dotted key like objective.beta")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: axis {key!r} must be a non-empty list, got {values!r}")
        if len({repr(v) for v in values}) != len(values):
            raise ConfigError(f"{where}: axis {key!r} repeats a value: {values}")
    return {str(k): list(v) for k, v in value.items()}


def check_profile(settings: dict[str, Any], variants: list[str], where: str) -> None:
    """A profile's axes, and its per-variant entries naming variants of the grid."""
    parse_axes(settings.get("axes"), where)
    own = settings.get("variants") or {}
    if not isinstance(own, dict) or not all(isinstance(v, dict) for v in own.values()):
        raise ConfigError(f"{where}: 'variants' must map variant names to mappings")
    for name, entry in own.items():
        if name not in variants:
            raise ConfigError(f"{where}: 'variants' names {name!r}, which is not in the grid")
        parse_axes(entry.get("axes"), f"{where}, variant {name!r}")


def parse_variant(entry: Any, index: int, where: str) -> Variant:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"{where}: grid entry {index + 1} must be a mapping with a 'name'")
    name = entry["name"]
    if not NAME.match(name):
        raise ConfigError(f"{where}: variant name {name!r} may hold only letters, digits and . _ + -")
    rest = {k: v for k, v in entry.items() if k not in ("name", "axes", "evaluate")}
    here = f"{where}: variant {name!r}"
    return Variant(name, nest(rest, here), parse_axes(entry.get("axes"), here), entry.get("evaluate"))


def parse_sweep(data: dict[str, Any], where: str = "sweep file") -> SweepFile:
    """Check the structure of a sweep file's dict (the run configs are checked by expansion)."""
    unknown = sorted(set(data) - TOP_KEYS, key=str)  # YAML keys need not be strings
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(TOP_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigError(f"{where}: 'name' must be a word of letters, digits and . _ + -, got {name!r}")
    profiles = data.get("profiles")
    if profiles is None:
        profiles = {IMPLICIT_PROFILE: {}}
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"{where}: 'profiles' must map profile names to override mappings")
    if not profiles:
        raise ConfigError(f"{where}: 'profiles' is empty; leave it out for one implicit profile")
    grid = data.get("grid")
    if not isinstance(grid, list) or not grid:
        raise ConfigError(f"{where}: 'grid' must be a non-empty list of variants")
    variants = [parse_variant(entry, i, where) for i, entry in enumerate(grid)]
    names = [v.name for v in variants]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where}: variant name {repeated[0]!r} is used twice")
    for profile, settings in profiles.items():
        check_profile(settings, names, f"{where}: profile {profile!r}")
    return SweepFile(name=name, base=nest(data.get("base") or {}, f"{where}: base"),
                     profiles={str(k): v for k, v in profiles.items()}, grid=variants,
                     evaluate=data.get("evaluate", False),
                     seeds=parse_seeds(data.get("seeds", 1), f"{where}: seeds"))


def load_sweep(path: str | Path) -> SweepFile:
    """Read and check a sweep file."""
    sweep = parse_sweep(load_config_file(path), str(path))
    sweep.path = str(path)
    return sweep

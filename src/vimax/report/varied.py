"""What the runs of one sweep vary, read from their saved configs and the sweep's records.

The settings of a run are its config.json flattened to dotted keys. The keys whose values
differ between the sweep's runs (the seed and the settings that do not change a result, such
as ``train.threads``, left out) are what the sweep varied. When the records name each run's
variant, the keys fixed within every variant are the variants' own settings (listed once per
variant) and the keys that vary within a variant are its axes; otherwise every varied key is
an axis. Runs that share the variant and the axis values are one :class:`Setting`, their seeds
grouped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vimax.report.collect import RunResult
from vimax.report.format import fmt_beta

__all__ = ["Setting", "SweepSettings", "flatten", "varied_keys", "sweep_settings", "short_names",
           "fmt_value", "VARIANT", "IGNORED"]

VARIANT = "variant"
# settings that do not change what a run computes (or are grouped apart, like the seed)
IGNORED = {"train.seed", "train.progress", "train.threads", "train.device", "train.tensorboard",
           "train.eval_batch_size", "data.data_dir", "data.download"}
SHORT = {"objective.name": "objective", "objective.prior_std": "prior_std"}


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists become tuples (comparable, hashable)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = tuple(value) if isinstance(value, list) else value
    return flat


def _same(values: list[Any]) -> bool:
    texts = {json.dumps(v, sort_keys=True, default=repr) for v in values}
    return len(texts) <= 1


def varied_keys(flats: list[dict[str, Any]]) -> list[str]:
    """The keys (first-seen order) whose values differ between the configs that have them (a key
    a config lacks is a setting its objective does not take)."""
    keys: dict[str, None] = {}
    for flat in flats:
        keys.update(dict.fromkeys(flat))
    return [key for key in keys if key not in IGNORED and not _same([f[key] for f in flats if key in f])]


def _sort_key(value: Any) -> tuple:
    if isinstance(value, bool) or value is None:
        return (2, str(value))
    if isinstance(value, (int, float)):
        return (0, float(value), "")
    return (1, json.dumps(value, default=repr))


def fmt_value(key: str, value: Any) -> str:
    """A setting as a table shows it: β as the paper writes it, numbers with %g."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return fmt_beta(value) if key.endswith("beta") else f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(fmt_value(key, v) for v in value) + "]"
    return str(value)


def short_names(keys: list[str]) -> dict[str, str]:
    """Column names: the last part of each dotted key, unless two keys would share it."""
    short = {key: SHORT.get(key, key.rsplit(".", 1)[-1]) for key in keys}
    clashes = {name for name in short.values() if list(short.values()).count(name) > 1}
    return {key: key if name in clashes else name for key, name in short.items()}


@dataclass
class Setting:
    """The runs (one per seed) of one point of a sweep: its variant and axis values."""

    values: dict[str, Any]
    runs: list[RunResult] = field(default_factory=list)

    def label(self, columns: list[str], names: dict[str, str]) -> str:
        parts = [str(self.values[c]) if c == VARIANT else f"{names[c]} {fmt_value(c, self.values[c])}"
                 for c in columns if c in self.values]
        return ", ".join(parts) or "all runs"


@dataclass
class SweepSettings:
    """The settings of a sweep's runs: the table's columns, its rows, and each variant's own settings."""

    columns: list[str]
    settings: list[Setting]
    variants: dict[str, dict[str, Any]]
    numeric_axes: list[str]

    @property
    def names(self) -> dict[str, str]:
        return short_names(self.columns)


def _numeric(values: list[Any]) -> bool:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return len(numbers) == len(values) and len(set(numbers)) >= 2


def sweep_settings(runs: list[RunResult], variants: dict[str, str]) -> SweepSettings:
    """Group ``runs`` (of one sweep and profile) into settings; ``variants`` maps run id to variant."""
    flats = {run.run_id: flatten(run.config) for run in runs}
    varied = varied_keys(list(flats.values()))
    use_variants = all(run.run_id in variants for run in runs) and len(set(variants.values())) > 1
    own: dict[str, dict[str, Any]] = {}
    axes = varied
    if use_variants:
        names = list(dict.fromkeys(variants[run.run_id] for run in runs))
        members = {name: [flats[r.run_id] for r in runs if variants[r.run_id] == name] for name in names}
        axes = [key for key in varied if any(not _same([f.get(key) for f in m]) for m in members.values())]
        fixed = [key for key in varied if key not in axes]
        own = {name: {key: members[name][0].get(key) for key in fixed} for name in names}
    columns = ([VARIANT] if use_variants else []) + axes
    groups: dict[str, Setting] = {}
    for run in runs:
        values = {VARIANT: variants[run.run_id]} if use_variants else {}
        values.update({key: flats[run.run_id].get(key) for key in axes})
        key = json.dumps(values, sort_keys=True, default=repr)
        groups.setdefault(key, Setting(values)).runs.append(run)
    order = list(own)
    settings = sorted(groups.values(), key=lambda s: (
        order.index(s.values[VARIANT]) if use_variants else 0, *(_sort_key(s.values[a]) for a in axes)))
    for setting in settings:
        setting.runs.sort(key=lambda run: run.seed)
    numeric = [key for key in axes if _numeric([f[key] for f in flats.values() if key in f])]
    return SweepSettings(columns, settings, own, numeric)

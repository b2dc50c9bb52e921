"""Each objective's typed config, selected by ``name``, and the one builder.

A config holds exactly the settings its objective takes, with the objective's
defaults; the ranges in each field's ``metadata`` are checked when a config is
read from a dict or file (:mod:`vimax.config`). An objective registered by a
user module (``OBJECTIVES.register("mine")``) gets a config read from its
factory's typed signature: one field per keyword argument but ``label_entropy``.
"""

from __future__ import annotations

import functools
import inspect
import typing
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any, Literal, Protocol

from torch import nn

from vimax.objectives.registry import OBJECTIVES

__all__ = ["ObjectiveConfig", "DeterministicConfig", "DropoutConfig", "LabelSmoothingConfig",
           "ConfidencePenaltyConfig", "VIBConfig", "VIMConfig", "objective_config", "build_objective"]

NON_NEGATIVE, POSITIVE, UNIT = {"ge": 0}, {"gt": 0}, {"ge": 0, "lt": 1}  # UNIT: [0, 1)


class ObjectiveConfig(Protocol):
    """What every objective's config has: the registered name of its objective."""

    name: str


@dataclass
class DeterministicConfig:
    """Plain cross-entropy, Eq. (2): no settings."""

    name: Literal["deterministic"] = "deterministic"


@dataclass
class DropoutConfig:
    """Cross-entropy on a model trained with dropout; the rate is the model's (``model.dropout``)."""

    name: Literal["dropout"] = "dropout"


@dataclass
class LabelSmoothingConfig:
    """Cross-entropy against labels smoothed towards uniform by ``label_smoothing``."""

    name: Literal["label_smoothing"] = "label_smoothing"
    label_smoothing: float = field(default=0.1, metadata=UNIT)


@dataclass
class ConfidencePenaltyConfig:
    """Cross-entropy minus ``beta`` times the predictive entropy."""

    name: Literal["confidence_penalty"] = "confidence_penalty"
    beta: float = field(default=0.1, metadata=NON_NEGATIVE)


@dataclass
class VIBConfig:
    """VIB, Eq. (10): ``beta`` and the prior's sigma ``prior_std``."""

    name: Literal["vib"] = "vib"
    beta: float = field(default=1e-3, metadata=NON_NEGATIVE)
    prior_std: float = field(default=1.0, metadata=POSITIVE)


@dataclass
class VIMConfig:
    """VIM, Eq. (18): as VIB, and the MMD's kernel ("imq" or "rbf"), its constant (None: the
    latent dimension K) and estimator."""

    name: Literal["vim"] = "vim"
    beta: float = field(default=1e-3, metadata=NON_NEGATIVE)
    prior_std: float = field(default=1.0, metadata=POSITIVE)
    kernel: Literal["imq", "rbf"] = "imq"
    kernel_scale: float | None = field(default=None, metadata=POSITIVE)
    unbiased: bool = True


CONFIGS: dict[str, type] = {c.name: c for c in (DeterministicConfig, DropoutConfig, LabelSmoothingConfig,
                                                ConfidencePenaltyConfig, VIBConfig, VIMConfig)}


def objective_config(name: str) -> type:
    """The config class of the registered objective ``name`` (a ConfigError for an unknown name)."""
    factory = OBJECTIVES.get(name)
    return CONFIGS[name] if name in CONFIGS else _from_signature(name, factory)


@functools.cache
def _from_signature(name: str, factory: Any) -> type:
    """A config dataclass with one field per keyword argument of ``factory`` (typed by its hints)."""
    try:
        hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    except Exception:  # noqa: BLE001 - hints naming what cannot be resolved: check no types
        hints = {}
    settings: list[tuple[str, Any, Any]] = [("name", Literal[name], field(default=name))]
    for p in inspect.signature(factory).parameters.values():
        if p.name != "label_entropy" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            default = field() if p.default is p.empty else field(default=p.default)
            settings.append((p.name, hints.get(p.name, Any), default))
    return make_dataclass(f"{name}_config", settings, kw_only=True)


def build_objective(config: ObjectiveConfig, label_entropy: float | None = None) -> nn.Module:
    """Build the registered objective ``config.name`` from its config's settings."""
    factory = OBJECTIVES.get(config.name)
    kwargs = {f.name: getattr(config, f.name) for f in fields(config) if f.name != "name"}
    if "label_entropy" in inspect.signature(factory).parameters:
        kwargs["label_entropy"] = label_entropy
    return factory(**kwargs)

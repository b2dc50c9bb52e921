"""The objective's config and its one builder."""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, fields

from torch import nn

from vimax.objectives.registry import OBJECTIVES

__all__ = ["ObjectiveConfig", "build_objective", "objective_settings"]


@dataclass
class ObjectiveConfig:
    """Which objective to train with and its hyper-parameters.

    A field left at None takes the objective's own default (e.g. beta = 1e-3 for
    VIM and VIB, 0.1 for the confidence penalty); fields an objective does not
    take are ignored by it.
    """

    name: str = "vim"
    beta: float | None = None
    prior_std: float | None = None
    kernel: str | None = None
    kernel_scale: float | None = None
    unbiased: bool | None = None
    label_smoothing: float | None = None
    dropout_rate: float | None = None

    def validate(self) -> None:
        build_objective(self)


def objective_settings(name: str) -> list[str]:
    """The ObjectiveConfig fields that objective ``name`` takes (the others it ignores)."""
    accepted = inspect.signature(OBJECTIVES.get(name)).parameters
    return [f.name for f in fields(ObjectiveConfig) if f.name != "name" and f.name in accepted]


def build_objective(config: ObjectiveConfig, label_entropy: float | None = None) -> nn.Module:
    """Build the registered objective ``config.name`` from the fields it accepts."""
    factory = OBJECTIVES.get(config.name)
    accepted = inspect.signature(factory).parameters
    kwargs = {
        key: value
        for key, value in asdict(config).items()
        if key != "name" and value is not None and key in accepted
    }
    if "label_entropy" in accepted:
        kwargs["label_entropy"] = label_entropy
    return factory(**kwargs)

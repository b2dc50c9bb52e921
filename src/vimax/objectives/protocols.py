"""What training and evaluation may ask of an objective beyond its loss, as typed protocols
(instead of ``getattr`` probes)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["PriorRegularised", "prior_std_of"]


@runtime_checkable
class PriorRegularised(Protocol):
    """VIM and VIB: cross-entropy + beta * D(q || N(0, prior_std^2 I)) (Eqs. (10) and (18))."""

    beta: float
    prior_std: float


def prior_std_of(objective: object) -> float:
    """The prior's sigma of a regularised objective; 1 (the standard normal) for the others, against
    which their rate and Hoyer sparsity are measured."""
    return float(objective.prior_std) if isinstance(objective, PriorRegularised) else 1.0

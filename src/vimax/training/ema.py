"""Exponential moving average of a model's weights (Polyak averaging)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

__all__ = ["WeightAverage"]


class WeightAverage:
    """Keeps ema <- decay * ema + (1 - decay) * w for every parameter; buffers are copied.

    ``swapped_in(model)`` temporarily loads the averaged weights for evaluation.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.params = [p.detach().clone() for p in model.parameters()]

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        torch._foreach_lerp_(self.params, [p.detach() for p in model.parameters()], 1 - self.decay)

    def state_dict(self) -> dict[str, list[torch.Tensor]]:
        return {"params": self.params}

    def load_state_dict(self, state: dict[str, list[torch.Tensor]]) -> None:
        for mine, saved in zip(self.params, state["params"], strict=True):
            mine.copy_(saved)

    @contextlib.contextmanager
    def swapped_in(self, model: nn.Module) -> Iterator[nn.Module]:
        current = [p.detach().clone() for p in model.parameters()]
        with torch.no_grad():
            for p, avg in zip(model.parameters(), self.params, strict=True):
                p.copy_(avg)
        try:
            yield model
        finally:
            with torch.no_grad():
                for p, saved in zip(model.parameters(), current, strict=True):
                    p.copy_(saved)

"""The torch device a run or an evaluation uses."""

from __future__ import annotations

import torch

from vimax.errors import VimaxError

__all__ = ["resolve_device", "DEVICE"]

# a config field naming a device: its range, checked when a config is read (vimax.config)
DEVICE = {"pattern": r"^(auto|cpu|cuda(:[0-9]+)?)$"}


def resolve_device(name: str) -> torch.device:
    """"auto" is CUDA when available, else the CPU; "cuda" without CUDA is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise VimaxError("--device cuda was asked for but CUDA is not available; use --device auto")
    return torch.device(name)

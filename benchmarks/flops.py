"""FLOPs of a training step, counted by ``torch.utils.flop_counter``, and the machine's matmul peak.

:func:`training_step_flops` runs one real training step (forward through the
model and the objective, backward) under
:class:`torch.utils.flop_counter.FlopCounterMode`, which counts the matmul-like
operators that run (``mm``, ``addmm``, ``bmm``, convolutions and their
backward), 2 FLOPs per multiply-add. It therefore counts what autograd really
computes: no input gradient for the first layer (the images need none), and
for VIM the MMD's Gram matrices with their hand-written backward
(:mod:`vimax.objectives.prior_mmd`). Element-wise work is not counted: the
matmul peak measures matmuls only.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.timing import call_timer
from vimax.models.classifier import StochasticClassifier

__all__ = ["training_step_flops", "matmul_peak"]


def training_step_flops(model: StochasticClassifier, objective: nn.Module, x: torch.Tensor,
                        y: torch.Tensor) -> int:
    """FLOPs of one training step of ``model`` and ``objective`` on the batch (x, y).

    The step is the one :func:`vimax.training.loop.train_epoch` takes (sample z when
    the objective needs the posterior, the objective's loss, backward); the
    gradients it leaves are cleared.
    """
    with FlopCounterMode(display=False) as counter:
        posterior = model.posterior(x)
        z = posterior.rsample() if objective.requires_posterior else posterior.mean  # (B, K)
        objective(model.decoder(z), y, posterior, z).loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def matmul_peak(sizes: Iterable[int] = (1024, 1536, 2048), min_run_time: float = 2.0,
                threads: int | None = None, clock: str = "wall") -> float:
    """The float32 GFLOP/s of the fastest size's median square matmul (2 n^3 FLOPs each).

    Each size is timed by ``Timer.blocked_autorange(min_run_time)`` with ``threads``
    intra-op threads (None: as configured), reading ``clock`` (:data:`benchmarks.timing.CLOCKS`).
    """
    threads = threads or torch.get_num_threads()
    best = 0.0
    for n in sizes:
        a, b, out = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
        timer = call_timer(lambda a=a, b=b, out=out: torch.mm(a, b, out=out), f"mm {n}", threads, clock)
        best = max(best, 2 * n**3 / timer.blocked_autorange(min_run_time=min_run_time).median / 1e9)
    return best

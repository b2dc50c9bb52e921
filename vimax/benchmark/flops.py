"""FLOP counts of a training step and the machine's float32 matmul peak.

A multiply-add counts as 2 FLOPs. Only the matmul-like layers (``nn.Linear``,
``nn.Conv2d``) and the MMD's Gram matrices are counted: they are where the
time goes, and they are what the matmul peak measures. A training step's
forward + backward is 3x the forward FLOPs (the backward computes a gradient
for the weights and one for the inputs, each as costly as the forward) less
the first layer's input gradient, which autograd skips because the data needs
none: 11% of the MNIST MLP's step. The count equals
``torch.utils.flop_counter.FlopCounterMode``'s for both trunks
(``tests/benchmark/test_bench.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import torch
from torch import nn

__all__ = ["layer_flops", "layer_flops_in_order", "forward_flops", "mmd_flops", "training_step_flops",
           "matmul_peak"]

BACKWARD_FACTOR = 3  # forward + backward = 3x the forward, less the first layer's input gradient


def layer_flops(module: nn.Module, output: torch.Tensor) -> int:
    """Forward FLOPs of one ``nn.Linear`` or ``nn.Conv2d`` call that produced ``output``.

    Linear: 2 * (output elements) * in_features.
    Conv2d: 2 * (output elements) * (in_channels / groups) * kernel_height * kernel_width.
    Other modules: 0.
    """
    if isinstance(module, nn.Linear):
        return 2 * output.numel() * module.in_features
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return 2 * output.numel() * (module.in_channels // module.groups) * kh * kw
    return 0


def layer_flops_in_order(model: nn.Module, run: Callable[[], object]) -> list[int]:
    """Forward FLOPs of each ``nn.Linear``/``nn.Conv2d`` call ``run()`` makes, in call order
    (run once, without grad)."""
    counts: list[int] = []

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        counts.append(layer_flops(module, output))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Linear, nn.Conv2d))]
    try:
        with torch.no_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    return counts


def forward_flops(model: nn.Module, run: Callable[[], object]) -> int:
    """Matmul FLOPs of the layers of ``model`` that ``run()`` calls (run once, without grad)."""
    return sum(layer_flops_in_order(model, run))


def mmd_flops(n: int, latent_dim: int) -> int:
    """FLOPs of the MMD's Gram matrices in one training step, n samples of dimension K.

    Forward: three (n, K) @ (K, n) products, 2 n^2 K each. Backward: the gradient
    for z is one (n, 2n) @ (2n, K) product, two Grams' worth
    (:mod:`vimax.objectives.prior_mmd`); the prior's Gram needs none.
    """
    gram = 2 * n * n * latent_dim
    return 3 * gram + 2 * gram


def training_step_flops(model: nn.Module, run_forward: Callable[[], object],
                        mmd_samples: int = 0, latent_dim: int = 0) -> int:
    """FLOPs of one training step: 3x the forward matmuls less the first layer's input
    gradient (the data needs none), plus the MMD's when ``mmd_samples``."""
    counts = layer_flops_in_order(model, run_forward)
    flops = BACKWARD_FACTOR * sum(counts) - (counts[0] if counts else 0)
    if mmd_samples:
        flops += mmd_flops(mmd_samples, latent_dim)
    return flops


def matmul_peak(sizes: Iterable[int] = (1024, 1536, 2048), repeats: int = 5,
                threads: int | None = None) -> float:
    """The best float32 GFLOP/s over ``repeats`` square matmuls of each size.

    ``threads`` sets torch's intra-op threads for the measurement (None: as configured).
    """
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    best = 0.0
    try:
        for n in sizes:
            a, b = torch.randn(n, n), torch.randn(n, n)
            out = torch.empty(n, n)
            torch.mm(a, b, out=out)  # warm up
            for _ in range(repeats):
                began = time.perf_counter()
                torch.mm(a, b, out=out)
                best = max(best, 2 * n**3 / (time.perf_counter() - began) / 1e9)
    finally:
        torch.set_num_threads(previous)
    return best

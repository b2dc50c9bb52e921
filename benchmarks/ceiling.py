"""The matmul ceiling of a training step: its products alone, back to back, nothing else.

A training step of the MNIST MLP spends most of its FLOPs in the matrix
products of its ``nn.Linear`` layers: per layer, the forward ``x W^T + b`` and,
in the backward pass, the weight gradient ``g^T x`` and (except for the first
layer, whose input needs none) the input gradient ``g W``. :func:`ceiling_step`
is exactly these products with the step's shapes, into preallocated outputs,
with no activation, loss, optimizer, data indexing or Python framework in
between; the benchmark times it with ``torch.utils.benchmark.Timer``
(:func:`matmul_ceiling`, or within each repeat of the training timings, with
the fused Adam step, as the bound of the training fractions). No loop that
computes the step's products with torch's matmul kernels can run faster than
this, so ``ceiling / plain`` bounds the speed-up over the plain loop that such
a loop can reach on the machine.

With ``models`` > 1 the products of that many independent models are stacked
into batched matmuls (``torch.baddbmm``/``torch.bmm``), as a sweep training
several runs at once as one batched model would do; the figure is then the
samples/s of all the models together, so it shows whether stacking raises a
sweep's throughput.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from benchmarks.timing import call_timer, rate_summary

__all__ = ["linear_shapes", "layer_products", "ceiling_step", "matmul_ceiling"]


def linear_shapes(model: nn.Module) -> list[tuple[int, int]]:
    """(in_features, out_features) of every ``nn.Linear`` of ``model``, in registration order
    (the forward order of the MLP classifier: trunk, then decoder)."""
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]


def layer_products(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, g: torch.Tensor,
                   input_gradient: bool = True) -> list[Callable[[], torch.Tensor]]:
    """One linear layer's products in a training step, each a call into a preallocated output.

    Args:
        x: (B, in) inputs, or (M, B, in) for M stacked models.
        w: (out, in) weights, or (M, out, in).
        b: (out,) bias, or (M, 1, out).
        g: (B, out) gradient of the loss for the layer's output, or (M, B, out).
        input_gradient: include the input gradient ``g w`` (not for the first layer).

    Returns the calls for the forward ``x w^T + b``, the weight gradient ``g^T x`` and,
    with ``input_gradient``, the input gradient ``g w``.
    """
    stacked = x.ndim == 3
    y = x.new_empty(*x.shape[:-1], w.shape[-2])
    grad_w, grad_x = torch.empty_like(w), torch.empty_like(x)
    if stacked:
        calls = [lambda: torch.baddbmm(b, x, w.transpose(1, 2), out=y),
                 lambda: torch.bmm(g.transpose(1, 2), x, out=grad_w),
                 lambda: torch.bmm(g, w, out=grad_x)]
    else:
        calls = [lambda: torch.addmm(b, x, w.t(), out=y),
                 lambda: torch.mm(g.t(), x, out=grad_w),
                 lambda: torch.mm(g, w, out=grad_x)]
    return calls if input_gradient else calls[:2]


def _products(shapes: list[tuple[int, int]], batch_size: int,
              models: int) -> list[Callable[[], torch.Tensor]]:
    """The step's products with random operands, in forward order (backward order is immaterial)."""
    calls = []
    lead = (models,) if models > 1 else ()
    for layer, (fan_in, fan_out) in enumerate(shapes):
        x, w = torch.randn(*lead, batch_size, fan_in), torch.randn(*lead, fan_out, fan_in)
        b = torch.randn(*lead, 1, fan_out) if models > 1 else torch.randn(fan_out)
        g = torch.randn(*lead, batch_size, fan_out)
        calls += layer_products(x, w, b, g, input_gradient=layer > 0)
    return calls


def ceiling_step(shapes: list[tuple[int, int]], batch_size: int, models: int = 1,
                 extra: Callable[[], object] | None = None) -> Callable[[], None]:
    """One step made only of the step's matmuls (and ``extra``, e.g. the optimizer's step)."""
    if models < 1 or batch_size < 1:
        raise ValueError("models and batch_size must be >= 1")
    calls = _products(shapes, batch_size, models) + ([extra] if extra is not None else [])

    def step() -> None:
        for call in calls:
            call()

    return step


def matmul_ceiling(shapes: list[tuple[int, int]], batch_size: int, models: int = 1,
                   min_run_time: float = 2.0, extra: Callable[[], object] | None = None,
                   threads: int | None = None, clock: str = "wall") -> dict[str, object]:
    """Samples/s of :func:`ceiling_step`, all models together, by ``Timer.blocked_autorange``.

    Args:
        shapes: (in_features, out_features) per linear layer, in forward order.
        batch_size: examples per step.
        models: independent models whose products are stacked into batched matmuls.
        min_run_time: seconds of ``blocked_autorange``.
        extra: one more call per step, timed with the products.
        threads: intra-op threads (None: as configured).
        clock: "wall" or "cpu" (:data:`benchmarks.timing.CLOCKS`).

    Returns:
        {"models", "samples_per_s" (at the median step time, summed over the models),
        "iqr_pct" (of the median), "runs" (samples/s of each block)}.
    """
    timer = call_timer(ceiling_step(shapes, batch_size, models, extra), f"ceiling x{models}",
                       threads or torch.get_num_threads(), clock)
    summary = rate_summary(timer.blocked_autorange(min_run_time=min_run_time), models * batch_size)
    return {"models": models, "samples_per_s": summary["per_s"], "iqr_pct": summary["iqr_pct"],
            "runs": summary["runs"]}

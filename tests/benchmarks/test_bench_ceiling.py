"""The ceiling's products are what autograd computes for the MLP's linear layers."""

from __future__ import annotations

import pytest
import torch

from benchmarks.ceiling import ceiling_step, layer_products, linear_shapes, matmul_ceiling
from benchmarks.config import BenchConfig
from benchmarks.loops import build_run


@pytest.mark.parametrize("models", [1, 3])
def test_ceiling_products_are_the_layers_forward_and_backward(models):
    """The timed products compute what autograd computes for nn.functional.linear."""
    torch.manual_seed(0)
    lead = (models,) if models > 1 else ()
    x, w, g = torch.randn(*lead, 3, 6), torch.randn(*lead, 5, 6), torch.randn(*lead, 3, 5)
    b = torch.randn(*lead, 1, 5) if models > 1 else torch.randn(5)
    forward, weight_grad, input_grad = (call() for call in layer_products(x, w, b, g))
    assert len(layer_products(x, w, b, g, input_gradient=False)) == 2
    for m in range(models):
        pick = (lambda t, m=m: t[m]) if models > 1 else (lambda t: t)
        xm, wm = pick(x).clone().requires_grad_(), pick(w).clone().requires_grad_()
        out = torch.nn.functional.linear(xm, wm, pick(b).reshape(-1))
        out.backward(pick(g))
        torch.testing.assert_close(pick(forward), out.detach())
        torch.testing.assert_close(pick(weight_grad), wm.grad)
        torch.testing.assert_close(pick(input_grad), xm.grad)


def test_ceiling_shapes_are_the_mlps_layers():
    model, _ = build_run("deterministic", BenchConfig(), 0)
    assert linear_shapes(model) == [(784, 1024), (1024, 1024), (1024, 512), (256, 10)]


def test_ceiling_step_runs_every_product_and_the_extra_call():
    calls = []
    step = ceiling_step([(8, 4), (4, 2)], batch_size=3, extra=lambda: calls.append("adam"))
    step()
    step()
    assert calls == ["adam", "adam"]
    with pytest.raises(ValueError, match=">= 1"):
        ceiling_step([(8, 4)], batch_size=0)


def test_matmul_ceiling_reports_samples_of_all_models():
    figure = matmul_ceiling([(8, 4)], batch_size=2, models=2, min_run_time=0.01, threads=1)
    assert figure["models"] == 2 and figure["samples_per_s"] > 0 and figure["iqr_pct"] >= 0
    assert figure["runs"] and all(r > 0 for r in figure["runs"])


"""FLOPs per training step: FlopCounterMode's count over a real step, checked against the
closed form of the MNIST MLP."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.config import OBJECTIVES, BenchConfig
from benchmarks.flops import matmul_peak, training_step_flops
from benchmarks.loops import build_run

B, K = 100, 256
FORWARD = 2 * B * (784 * 1024 + 1024 * 1024 + 1024 * 512 + K * 10)  # trunk to 2K, decoder from K
FIRST_INPUT_GRADIENT = 2 * B * 784 * 1024  # not computed: the images need no gradient
GRAM = 2 * B * B * K  # one (B, K) @ (K, B) product of the MMD


@pytest.mark.parametrize("objective, mmd_grams", [("deterministic", 0), ("vib", 0), ("vim", 5)])
def test_mnist_mlp_step_flops_are_the_closed_form(objective, mmd_grams):
    """3x the forward matmuls less the first layer's input gradient; VIM adds the MMD's three
    Gram matrices forward and its hand-written backward, one (n, 2n) @ (2n, K) product."""
    model, built = build_run(objective, BenchConfig(), 0)
    x, y = torch.rand(B, 1, 28, 28), torch.randint(0, 10, (B,))
    assert training_step_flops(model, built, x, y) == 3 * FORWARD - FIRST_INPUT_GRADIENT + mmd_grams * GRAM
    assert all(p.grad is None for p in model.parameters())  # the counted step leaves no gradient


def test_cnn_step_flops_are_the_counters_over_forward_and_backward():
    """For the CNN (no closed form written here), a deterministic step is FlopCounterMode's
    count over the model's own forward + backward."""
    config = BenchConfig(cnn_width=0.25, cnn_latent_dim=16)
    model, built = build_run("deterministic", config, 0, trunk="cnn", input_shape=(3, 32, 32))
    x, y = torch.rand(4, 3, 32, 32), torch.randint(0, 10, (4,))
    with FlopCounterMode(display=False) as counter:
        model.decoder(model.posterior(x).mean).sum().backward()
    model.zero_grad()
    assert training_step_flops(model, built, x, y) == counter.get_total_flops() > 0


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_step_flops_do_not_depend_on_the_data(objective):
    model, built = build_run(objective, BenchConfig(latent_dim=8), 0)
    y = torch.randint(0, 10, (6,))
    assert (training_step_flops(model, built, torch.zeros(6, 1, 28, 28), y)
            == training_step_flops(model, built, torch.rand(6, 1, 28, 28), y))


def test_matmul_peak_is_positive_and_restores_threads():
    before = torch.get_num_threads()
    assert matmul_peak((32,), min_run_time=0.01, threads=1) > 0
    assert torch.get_num_threads() == before

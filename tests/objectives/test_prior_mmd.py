"""mmd_to_prior_sample: divergences.mmd's value, and its hand-written gradient equals autograd's."""

from __future__ import annotations

import pytest
import torch

from vimax.objectives.divergences import mmd
from vimax.objectives.prior_mmd import mmd_to_prior_sample

CASES = [(kernel, unbiased, n, m, k) for kernel in ("imq", "rbf") for unbiased in (True, False)
         for n, m, k in ((7, 7, 3), (5, 9, 4), (2, 3, 1))]


def samples(n: int, m: int, k: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, k, generator=generator, dtype=torch.float64) * 0.7 + 0.3).requires_grad_()
    return x, torch.randn(m, k, generator=generator, dtype=torch.float64) * 1.5


@pytest.mark.parametrize("kernel, unbiased, n, m, k", CASES)
def test_value_and_gradient_equal_autograd_through_mmd(kernel, unbiased, n, m, k):
    x, y = samples(n, m, k)
    reference = mmd(x, y, kernel, None, unbiased)
    (expected,) = torch.autograd.grad(reference, x)
    value = mmd_to_prior_sample(x, y, kernel, None, unbiased)
    (gradient,) = torch.autograd.grad(value * 3.0, x)  # the incoming gradient is applied
    assert value.item() == pytest.approx(reference.item(), rel=1e-12, abs=1e-14)
    torch.testing.assert_close(gradient, 3.0 * expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel", ["imq", "rbf"])
def test_gradcheck_against_finite_differences(kernel):
    x, y = samples(6, 5, 3, seed=1)
    assert torch.autograd.gradcheck(lambda a: mmd_to_prior_sample(a, y, kernel, 2.5), (x,))


def test_value_matches_the_brute_force_reference(brute_force_mmd):
    x, y = samples(8, 8, 5, seed=2)
    value = mmd_to_prior_sample(x, y).item()
    assert value == pytest.approx(brute_force_mmd(x.detach(), y), rel=1e-10, abs=1e-12)


def test_prior_samples_get_no_gradient_and_float32_works():
    x = torch.randn(100, 256, requires_grad=True)
    y = torch.randn(100, 256, requires_grad=True)
    value = mmd_to_prior_sample(x, y)
    value.backward()
    assert y.grad is None and x.grad is not None and x.grad.dtype == torch.float32
    assert value.item() == pytest.approx(mmd(x, y).item(), rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("x_shape, y_shape, kwargs, message", [
    ((4, 3), (4, 2), {}, "needs \\(N, K\\) and \\(M, K\\)"),
    ((4,), (4, 3), {}, "needs \\(N, K\\)"),
    ((4, 3), (4, 3), {"kernel": "cosine"}, "unknown kernel"),
    ((4, 3), (4, 3), {"scale": 0.0}, "kernel scale must be > 0"),
    ((1, 3), (4, 3), {}, "at least 2 samples"),
])
def test_bad_arguments_raise_like_mmd(x_shape, y_shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mmd_to_prior_sample(torch.randn(*x_shape), torch.randn(*y_shape), **kwargs)

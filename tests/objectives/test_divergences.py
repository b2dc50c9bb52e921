"""gaussian_kl (Eq. (10)'s regulariser) and mmd (§4, the D of Eq. (18)) against trusted references."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vimax.objectives.divergences import gaussian_kl, imq_kernel, mmd, rbf_kernel, squared_distances

F64 = torch.float64


def _posterior(batch: int = 3, dims: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(batch, dims, generator=g, dtype=F64)
    std = torch.rand(batch, dims, generator=g, dtype=F64) * 1.5 + 0.2  # in [0.2, 1.7)
    return mean, std


# ---------------------------------------------------------------- gaussian_kl


@pytest.mark.parametrize("prior_std", [0.5, 1.0, 2.5])
def test_gaussian_kl_equals_the_closed_form_by_hand(prior_std):
    mean, std = _posterior()
    kl = gaussian_kl(mean, std, prior_std)
    assert kl.shape == (3,) and kl.dtype == F64
    for b in range(mean.shape[0]):
        expected = sum(
            math.log(prior_std / s) + (s * s + m * m) / (2 * prior_std**2) - 0.5
            for m, s in zip(mean[b].tolist(), std[b].tolist())
        )
        assert kl[b].item() == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("prior_std", [0.5, 2.5])
def test_gaussian_kl_equals_torch_distributions(prior_std):
    mean, std = _posterior(batch=5, dims=7, seed=1)
    reference = kl_divergence(Normal(mean, std), Normal(torch.zeros_like(mean), prior_std)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mean, std, prior_std), reference, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("prior_std", [0.5, 2.5])
def test_gaussian_kl_matches_a_monte_carlo_estimate(prior_std):
    """E_q[log q(z) - log p(z)] over 200k samples, with torch.distributions' log densities."""
    mean, std = _posterior(batch=3, dims=3, seed=2)
    q, p = Normal(mean, std), Normal(torch.zeros_like(mean), torch.full_like(std, prior_std))
    torch.manual_seed(3)
    z = q.sample((200_000,))  # (S, B, K)
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(-1)  # (S, B)
    estimate, stderr = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(z.shape[0])
    kl = gaussian_kl(mean, std, prior_std)
    assert torch.all((kl - estimate).abs() <= 5 * stderr + 1e-9), (kl, estimate, stderr)
    torch.testing.assert_close(kl, estimate, rtol=0.03, atol=0.01)


@pytest.mark.parametrize("prior_std", [0.5, 1.0, 2.5])
def test_gaussian_kl_is_zero_for_the_prior_itself(prior_std):
    mean = torch.zeros(4, 6, dtype=F64)
    std = torch.full((4, 6), prior_std, dtype=F64)
    assert torch.equal(gaussian_kl(mean, std, prior_std), torch.zeros(4, dtype=F64))


def test_gaussian_kl_is_positive_away_from_the_prior():
    mean, std = _posterior(batch=8, dims=5, seed=4)
    assert torch.all(gaussian_kl(mean, std, 1.3) > 0)


@pytest.mark.parametrize("prior_std", [0.0, -1.0])
def test_gaussian_kl_refuses_a_non_positive_prior_std(prior_std):
    mean, std = _posterior()
    with pytest.raises(ValueError, match="prior_std"):
        gaussian_kl(mean, std, prior_std)


# ---------------------------------------------------------------- kernels


def test_squared_distances_and_kernels_by_hand():
    a = torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=F64)
    b = torch.tensor([[3.0, 4.0]], dtype=F64)
    d = squared_distances(a, b)
    assert torch.equal(d, torch.tensor([[25.0], [8.0]], dtype=F64))
    torch.testing.assert_close(imq_kernel(d, 2.0), torch.tensor([[2 / 27], [2 / 10]], dtype=F64))
    torch.testing.assert_close(rbf_kernel(d, 2.0),
                               torch.tensor([[math.exp(-12.5)], [math.exp(-4.0)]], dtype=F64))
    assert torch.all(squared_distances(a, a).diagonal() == 0)


# ---------------------------------------------------------------- mmd


def test_mmd_of_a_hand_computed_example():
    """1-D samples x = {0, 1}, y = {0, 2}, imq with C = 1: k(0,1) = 1/2, k(0,2) = 1/5, k(1,2) = 1/2."""
    x = torch.tensor([[0.0], [1.0]], dtype=F64)
    y = torch.tensor([[0.0], [2.0]], dtype=F64)
    # unbiased: xx = 1/2, yy = 1/5, xy = (1 + 1/5 + 1/2 + 1/2) / 4 = 0.55
    assert mmd(x, y).item() == pytest.approx(0.5 + 0.2 - 1.1, abs=1e-15)
    # biased: xx = (2 + 1) / 4, yy = (2 + 0.4) / 4
    assert mmd(x, y, unbiased=False).item() == pytest.approx(0.75 + 0.6 - 1.1, abs=1e-15)


@pytest.mark.parametrize("kernel", ["imq", "rbf"])
@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("n, m", [(5, 7), (9, 4)])
@pytest.mark.parametrize("scale", [None, 0.7])
def test_mmd_equals_the_brute_force_double_loop(kernel, unbiased, n, m, scale, brute_force_mmd):
    g = torch.Generator().manual_seed(n * 100 + m)
    x = torch.randn(n, 3, generator=g, dtype=F64)
    y = torch.randn(m, 3, generator=g, dtype=F64) * 1.5 + 0.4
    value = mmd(x, y, kernel=kernel, scale=scale, unbiased=unbiased)
    assert value.shape == () and value.dtype == F64
    assert value.item() == pytest.approx(brute_force_mmd(x, y, kernel, scale, unbiased),
                                         rel=1e-10, abs=1e-12)


def test_mmd_default_scale_is_the_latent_dimension():
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(6, 5, generator=g, dtype=F64), torch.randn(8, 5, generator=g, dtype=F64)
    assert mmd(x, y).item() == pytest.approx(mmd(x, y, scale=5.0).item(), rel=1e-14)
    assert mmd(x, y).item() != pytest.approx(mmd(x, y, scale=1.0).item(), rel=1e-3)


@pytest.mark.parametrize("kernel", ["imq", "rbf"])
def test_unbiased_mmd_of_one_distribution_averages_to_zero(kernel):
    """Over 400 pairs of samples of N(0, I), the U-statistic's mean is within 4 standard errors of
    0, while the V-statistic is biased upwards (its mean is far above 0)."""
    g = torch.Generator().manual_seed(6)
    unbiased, biased = [], []
    for _ in range(400):
        x, y = torch.randn(20, 4, generator=g, dtype=F64), torch.randn(20, 4, generator=g, dtype=F64)
        unbiased.append(mmd(x, y, kernel=kernel).item())
        biased.append(mmd(x, y, kernel=kernel, unbiased=False).item())
    u, v = torch.tensor(unbiased), torch.tensor(biased)
    u_stderr = u.std() / math.sqrt(len(u))
    assert abs(u.mean()) < 4 * u_stderr, (u.mean(), u_stderr)
    assert v.mean() > 10 * v.std() / math.sqrt(len(v))
    assert torch.all(v >= 0)


@pytest.mark.parametrize("kernel", ["imq", "rbf"])
@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd_grows_with_a_mean_shift(kernel, unbiased):
    g = torch.Generator().manual_seed(7)
    x, noise = torch.randn(200, 4, generator=g, dtype=F64), torch.randn(200, 4, generator=g, dtype=F64)
    values = [mmd(x, noise + shift, kernel=kernel, unbiased=unbiased).item()
              for shift in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values) and len(set(values)) == 4, values
    assert abs(values[0]) < 0.02 < values[1]


@pytest.mark.parametrize("kernel", ["imq", "rbf"])
def test_biased_mmd_of_a_sample_with_itself_is_zero(kernel):
    x = torch.randn(10, 3, dtype=F64, generator=torch.Generator().manual_seed(8))
    assert mmd(x, x, kernel=kernel, unbiased=False).item() == pytest.approx(0.0, abs=1e-14)


def test_biased_mmd_takes_single_samples(brute_force_mmd):
    x, y = torch.tensor([[1.0, 2.0]], dtype=F64), torch.tensor([[0.0, -1.0]], dtype=F64)
    # 1 + 1 - 2 * 2 / (2 + 10)
    assert mmd(x, y, unbiased=False).item() == pytest.approx(2 - 4 / 12, abs=1e-15)
    assert mmd(x, y, unbiased=False).item() == pytest.approx(brute_force_mmd(x, y, unbiased=False))


def test_mmd_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(9)
    x = torch.randn(5, 3, generator=g, dtype=F64, requires_grad=True)
    y = torch.randn(6, 3, generator=g, dtype=F64, requires_grad=True)
    for kernel in ("imq", "rbf"):
        for unbiased in (True, False):
            assert torch.autograd.gradcheck(lambda a, b: mmd(a, b, kernel, None, unbiased), (x, y))  # noqa: B023


@pytest.mark.parametrize(
    "x, y, message",
    [
        (torch.zeros(4, 3), torch.zeros(4, 2), "samples"),
        (torch.zeros(4), torch.zeros(4), "samples"),
        (torch.zeros(2, 4, 3), torch.zeros(4, 3), "samples"),
        (torch.zeros(1, 3), torch.zeros(4, 3), "at least 2"),
        (torch.zeros(4, 3), torch.zeros(1, 3), "at least 2"),
    ],
)
def test_mmd_refuses_bad_shapes(x, y, message):
    with pytest.raises(ValueError, match=message):
        mmd(x, y)


def test_mmd_refuses_an_unknown_kernel_and_a_bad_scale():
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="unknown kernel"):
        mmd(x, x, kernel="laplace")
    for scale in (0.0, -1.0):
        with pytest.raises(ValueError, match="scale"):
            mmd(x, x, scale=scale)

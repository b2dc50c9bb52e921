"""GaussianPosterior as a distribution: log_prob, entropy, sample, repr, and torch.distributions both ways."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Independent, Laplace, Normal

from vimax.models import GaussianPosterior, as_gaussian_posterior

F64 = torch.float64
B, K = 5, 3


def _posterior(seed: int = 0, requires_grad: bool = False) -> GaussianPosterior:
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(B, K, generator=g, dtype=F64) * 2
    std = torch.rand(B, K, generator=g, dtype=F64) * 2 + 0.05
    return GaussianPosterior(mean.requires_grad_(requires_grad), std.requires_grad_(requires_grad))


# ---------------------------------------------------------------- against torch.distributions, float64


@pytest.mark.parametrize("shape", [(B, K), (4, B, K), (2, 3, B, K), (1, K)])
def test_log_prob_equals_independent_normal(shape):
    posterior = _posterior(1)
    z = torch.randn(shape, dtype=F64, generator=torch.Generator().manual_seed(2)) * 3
    reference = Independent(Normal(posterior.mean, posterior.std), 1).log_prob(z)
    log_prob = posterior.log_prob(z)
    assert log_prob.shape == reference.shape == torch.broadcast_shapes(shape, (B, K))[:-1]
    torch.testing.assert_close(log_prob, reference, rtol=1e-12, atol=1e-12)


def test_log_prob_by_hand_for_one_dimension():
    """N(1, 2^2) at z = 3: -1/2 (1)^2 - log 2 - log(2 pi) / 2."""
    posterior = GaussianPosterior(torch.tensor([[1.0]], dtype=F64), torch.tensor([[2.0]], dtype=F64))
    expected = -0.5 - math.log(2.0) - 0.5 * math.log(2 * math.pi)
    assert posterior.log_prob(torch.tensor([[3.0]], dtype=F64)).item() == pytest.approx(expected, abs=1e-15)


def test_entropy_equals_independent_normal_and_the_formula():
    posterior = _posterior(3)
    entropy = posterior.entropy()
    assert entropy.shape == (B,)
    reference = Independent(Normal(posterior.mean, posterior.std), 1).entropy()
    torch.testing.assert_close(entropy, reference, rtol=1e-12, atol=1e-12)
    by_hand = [sum(0.5 + 0.5 * math.log(2 * math.pi) + math.log(s) for s in row)
               for row in posterior.std.tolist()]
    torch.testing.assert_close(entropy, torch.tensor(by_hand, dtype=F64), rtol=1e-13, atol=1e-13)


def test_to_distribution_is_independent_normal_sharing_the_tensors():
    posterior = _posterior(4, requires_grad=True)
    distribution = posterior.to_distribution()
    assert isinstance(distribution, Independent) and isinstance(distribution.base_dist, Normal)
    assert distribution.batch_shape == (B,) and distribution.event_shape == (K,)
    assert distribution.base_dist.loc is posterior.mean and distribution.base_dist.scale is posterior.std
    distribution.log_prob(torch.zeros(B, K, dtype=F64)).sum().backward()
    assert posterior.mean.grad is not None and posterior.std.grad is not None


@pytest.mark.parametrize("wrap", [lambda m, s: Normal(m, s), lambda m, s: Independent(Normal(m, s), 1)])
def test_as_gaussian_posterior_takes_normal_and_independent_normal(wrap):
    posterior = _posterior(5)
    converted = as_gaussian_posterior(wrap(posterior.mean, posterior.std))
    assert isinstance(converted, GaussianPosterior)
    assert converted.mean is posterior.mean and converted.std is posterior.std
    assert as_gaussian_posterior(posterior) is posterior
    round_trip = as_gaussian_posterior(posterior.to_distribution())
    assert torch.equal(round_trip.mean, posterior.mean) and torch.equal(round_trip.std, posterior.std)


@pytest.mark.parametrize("given, error, message", [
    (Laplace(torch.zeros(B, K), torch.ones(B, K)), TypeError, "must be a vimax GaussianPosterior"),
    (Independent(Normal(torch.zeros(B, K), torch.ones(B, K)), 2), TypeError, "Independent\\(Normal, 1\\)"),
    (Independent(Laplace(torch.zeros(B, K), torch.ones(B, K)), 1), TypeError, "got Independent\\(Laplace"),
    (Normal(torch.zeros(K), torch.ones(K)), ValueError, "shape \\(B, K\\)"),
    (Normal(torch.zeros(2, B, K), torch.ones(2, B, K)), ValueError, "shape \\(B, K\\)"),
    ((torch.zeros(B, K), torch.ones(B, K)), TypeError, "must be a vimax GaussianPosterior"),
])
def test_as_gaussian_posterior_refuses_what_is_not_a_batch_of_diagonal_gaussians(given, error, message):
    with pytest.raises(error, match=message):
        as_gaussian_posterior(given)


# ---------------------------------------------------------------- sample, rsample shapes, repr, checks


@pytest.mark.parametrize("samples, shape", [
    (None, (B, K)), (1, (1, B, K)), (4, (4, B, K)), (0, (0, B, K)),
    ((), (B, K)), ((2, 3), (2, 3, B, K)), (torch.Size([2]), (2, B, K)),
])
def test_rsample_and_sample_shapes(samples, shape):
    posterior = _posterior(6, requires_grad=True)
    z = posterior.rsample(samples)
    assert z.shape == shape and z.dtype == F64 and z.requires_grad
    drawn = posterior.sample(samples)
    assert drawn.shape == shape and not drawn.requires_grad


def test_sample_draws_the_same_numbers_as_rsample():
    posterior = _posterior(7, requires_grad=True)
    torch.manual_seed(8)
    z = posterior.rsample(3)
    torch.manual_seed(8)
    assert torch.equal(posterior.sample(3), z.detach())


@pytest.mark.parametrize("samples", [-1, 2.5, True, (2, -1), "3"])
def test_rsample_refuses_a_bad_sample_count(samples):
    with pytest.raises(ValueError, match="samples must be None, an int >= 0 or a shape"):
        _posterior().rsample(samples)


def test_repr_names_the_batch_latent_dimension_dtype_and_gradient():
    posterior = GaussianPosterior(torch.zeros(8, 4), torch.ones(8, 4))
    assert repr(posterior) == "GaussianPosterior(batch=8, latent_dim=4, dtype=torch.float32, device=cpu)"
    assert posterior.latent_dim == 4
    assert repr(_posterior(requires_grad=True)) == (
        "GaussianPosterior(batch=5, latent_dim=3, dtype=torch.float64, device=cpu, requires_grad=True)")


@pytest.mark.parametrize("mean, std", [
    (torch.zeros(4, 3), torch.ones(4, 2)),
    (torch.zeros(3), torch.ones(3)),
    (torch.zeros(2, 4, 3), torch.ones(2, 4, 3)),
])
def test_the_constructor_refuses_mean_and_std_of_other_shapes(mean, std):
    with pytest.raises(ValueError, match=f"got mean {tuple(mean.shape)} and std {tuple(std.shape)}".replace(
            "(", "\\(").replace(")", "\\)")):
        GaussianPosterior(mean, std)


def test_a_z_of_the_wrong_width_is_named_with_the_posteriors_shape():
    posterior = _posterior()  # (5, 3)
    message = r"z of shape \(5, 4\) does not match .* \(B, K\) = \(5, 3\), .* must be K = 3"
    with pytest.raises(ValueError, match=message):
        posterior.log_prob(torch.zeros(B, K + 1, dtype=F64))
    with pytest.raises(ValueError, match=message):
        posterior.check_sample(torch.zeros(B, K + 1, dtype=F64))
    with pytest.raises(ValueError, match=r"\(B, K\) or \(L, B, K\) .* \(5, 3\), got z of shape \(4, 3\)"):
        posterior.check_sample(torch.zeros(4, K, dtype=F64))
    with pytest.raises(ValueError, match=r"got z of shape \(1, 2, 5, 3\)"):
        posterior.check_sample(torch.zeros(1, 2, B, K, dtype=F64))
    posterior.check_sample(torch.zeros(B, K))
    posterior.check_sample(torch.zeros(7, B, K))

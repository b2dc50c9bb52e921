"""What the objectives accept: torch.distributions posteriors, z of the right shape, a batch of one."""

from __future__ import annotations

import dataclasses
import math
import warnings

import pytest
import torch
from torch import nn
from torch.distributions import Independent, Laplace, Normal

from vimax.models import GaussianPosterior
from vimax.objectives import OBJECTIVES, VariationalInfoMax, build_objective, objective_config

F64 = torch.float64
B, K, C = 6, 4, 5

AS_NORMAL = {
    "Normal": lambda p: Normal(p.mean, p.std),
    "Independent(Normal, 1)": lambda p: Independent(Normal(p.mean, p.std), 1),
    "to_distribution()": lambda p: p.to_distribution(),
}


def _inputs(seed: int = 0, batch: int = B, samples: int | None = None):
    """A float64 leaf posterior (batch, K), its samples z, the logits of a fixed decoder, and labels."""
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(batch, K, generator=g, dtype=F64, requires_grad=True)
    std = (torch.rand(batch, K, generator=g, dtype=F64) + 0.1).requires_grad_()
    decoder = nn.Linear(K, C).double()
    shape = (batch, K) if samples is None else (samples, batch, K)
    z = mean + std * torch.randn(shape, generator=g, dtype=F64)
    return GaussianPosterior(mean, std), z, decoder(z), torch.randint(0, C, (batch,), generator=g)


# ---------------------------------------------------------------- torch.distributions posteriors


def _objective(name: str, **settings: float):
    """Objective ``name`` built with those of ``settings`` it takes."""
    config = objective_config(name)
    takes = {f.name for f in dataclasses.fields(config)}
    return build_objective(config(**{k: v for k, v in settings.items() if k in takes}))


# stochastic objectives also take L samples of z; the deterministic baselines use z = mean, (B, K)
REGISTERED = [(name, samples) for name in OBJECTIVES.names()
              for samples in ((None, 3) if OBJECTIVES.get(name).requires_posterior else (None,))]


@pytest.mark.parametrize("name, samples", REGISTERED)
@pytest.mark.parametrize("form", list(AS_NORMAL))
def test_a_torch_distributions_posterior_gives_the_same_loss_and_gradients(name, form, samples):
    objective = _objective(name, beta=0.5)
    posterior, z, logits, labels = _inputs(1, samples=samples)
    torch.manual_seed(3)  # VIM's prior sample
    ours = objective(logits, labels, posterior, z)
    ours_grads = torch.autograd.grad(ours.loss, (posterior.mean, posterior.std), allow_unused=True,
                                     retain_graph=True)  # the logits graph is shared
    torch.manual_seed(3)
    theirs = objective(logits, labels, AS_NORMAL[form](posterior), z)
    theirs_grads = torch.autograd.grad(theirs.loss, (posterior.mean, posterior.std), allow_unused=True)
    assert theirs.terms == ours.terms  # the same numbers, bit for bit
    for mine, other in zip(ours_grads, theirs_grads):
        assert (mine is None and other is None) or torch.equal(mine, other)
    if objective.requires_posterior:  # VIB's KL and VIM's MMD reach the std, through the KL or z
        assert ours_grads[1] is not None and ours_grads[1].abs().sum() > 0


def test_vib_with_a_normal_posterior_is_cross_entropy_plus_the_torch_kl():
    """The issue's example: a torch Normal used to raise AttributeError ('Normal' has no 'std')."""
    posterior, z, logits, labels = _inputs(2)
    q = Normal(posterior.mean, posterior.std)
    out = _objective("vib", beta=0.25)(logits, labels, q, z)
    prior = Normal(torch.zeros_like(posterior.mean), torch.ones_like(posterior.std))
    kl = torch.distributions.kl_divergence(q, prior).sum(-1).mean()
    expected = nn.functional.cross_entropy(logits, labels) + 0.25 * kl
    assert out.loss.item() == pytest.approx(expected.item(), rel=1e-12)


@pytest.mark.parametrize("name", ["vib", "vim"])
def test_a_posterior_that_is_not_a_diagonal_gaussian_is_refused(name):
    _, z, logits, labels = _inputs(3)
    objective = _objective(name)
    with pytest.raises(TypeError, match="must be a vimax GaussianPosterior, a torch.distributions.Normal"):
        objective(logits, labels, Laplace(torch.zeros(B, K), torch.ones(B, K)), z)


# ---------------------------------------------------------------- the shape of z


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_a_z_of_the_wrong_width_names_both_shapes(name):
    posterior, _, logits, labels = _inputs(4)
    objective = _objective(name)
    wide = torch.zeros(B, K + 2, dtype=F64)
    with pytest.raises(ValueError, match=r"z of shape \(6, 6\) does not match .* \(B, K\) = \(6, 4\)"):
        objective(logits, labels, posterior, wide)
    with pytest.raises(ValueError, match=r"must be K = 4"):
        objective(logits, labels, posterior.to_distribution(), wide)


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_a_z_that_is_not_the_logits_sample_names_both_shapes(name):
    posterior, z, _, labels = _inputs(5, samples=2)  # z (2, B, K)
    logits = torch.zeros(3, B, C, dtype=F64)
    message = r"z of shape \(2, 6, 4\) and logits of shape \(3, 6, 5\) must share"
    with pytest.raises(ValueError, match=message):
        _objective(name)(logits, labels, posterior, z)


def test_vim_refuses_a_narrower_z_it_would_otherwise_use_silently():
    """VIM uses z for the MMD: a z of another width would otherwise be accepted silently."""
    posterior, _, logits, labels = _inputs(6)
    with pytest.raises(ValueError, match="must be K = 4"):
        VariationalInfoMax()(logits, labels, posterior, torch.zeros(B, 3, dtype=F64))


# ---------------------------------------------------------------- a batch of one


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_objective_trains_on_a_batch_of_one(name):
    posterior, z, logits, labels = _inputs(7, batch=1)
    objective = _objective(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # VIM's, tested below
        out = objective(logits, labels, posterior, z)
    assert all(math.isfinite(v) for v in out.terms.values())
    out.loss.backward()
    assert posterior.mean.grad is not None and torch.isfinite(posterior.mean.grad).all()


def test_vim_on_one_sample_has_mmd_zero_and_warns_once():
    posterior, z, logits, labels = _inputs(8, batch=1)
    objective = VariationalInfoMax(beta=10.0)
    message = "batch of one sample: the unbiased MMD needs at least 2"
    with pytest.warns(RuntimeWarning, match=message) as caught:
        out = objective(logits, labels, posterior, z)
        again = objective(logits, labels, posterior, z)
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    expected = nn.functional.cross_entropy(logits, labels).item()
    assert out.terms["mmd"] == 0.0 == again.terms["mmd"]
    assert out.loss.item() == pytest.approx(expected, rel=1e-14)  # the task term alone
    assert out.terms["task"] == pytest.approx(expected, rel=1e-14)


def test_vim_on_one_example_with_several_draws_uses_the_draws(brute_force_mmd):
    posterior, z, logits, labels = _inputs(9, batch=1, samples=3)  # z (3, 1, K): a sample of 3
    objective = VariationalInfoMax(beta=1.0)
    torch.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = objective(logits, labels, posterior, z)
    torch.manual_seed(4)
    prior = torch.randn(3, K, dtype=F64)
    assert out.terms["mmd"] == pytest.approx(brute_force_mmd(z.detach().reshape(3, K), prior),
                                             rel=1e-10, abs=1e-12)


def test_biased_vim_on_one_sample_is_the_v_statistic(brute_force_mmd):
    posterior, z, logits, labels = _inputs(10, batch=1)
    objective = VariationalInfoMax(beta=1.0, unbiased=False)
    torch.manual_seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = objective(logits, labels, posterior, z)
    torch.manual_seed(5)
    prior = torch.randn(1, K, dtype=F64)
    v_statistic = brute_force_mmd(z.detach(), prior, unbiased=False)  # 2 - 2 k(z, y)
    assert v_statistic > 0
    assert out.terms["mmd"] == pytest.approx(v_statistic, rel=1e-12)


@pytest.mark.parametrize("name", ["vib", "vim"])
def test_vib_and_vim_say_they_need_the_posterior(name):
    _, z, logits, labels = _inputs(11)
    with pytest.raises(TypeError, match="needs the posterior q\\(z\\|x\\)"):
        _objective(name)(logits, labels, None, z)

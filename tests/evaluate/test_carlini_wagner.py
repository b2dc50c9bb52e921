"""The Carlini-Wagner L2 attack against a linear model whose minimal adversarial is known."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vimax.data.base import Split
from vimax.errors import ConfigError
from vimax.evaluate.carlini_wagner import (
    AveragedLogits,
    CarliniWagnerConfig,
    carlini_wagner_l2,
    perturbation_norms,
    robustness,
)
from vimax.models.classifier import StochasticClassifier
from vimax.models.encoder import GaussianEncoder

# two classes on 2x2 images; the boundary logit_1 - logit_0 = w . x + b with
W = torch.tensor([[0.5, -0.5, 0.25, 0.0], [-1.0, 0.5, 0.75, 1.0]])
B = torch.tensor([0.4, -0.6])
POINTS = torch.tensor([[0.3, 0.6, 0.2, 0.3], [0.5, 0.4, 0.4, 0.2], [0.6, 0.5, 0.3, 0.35]])
FAST = CarliniWagnerConfig(steps=100, binary_search_steps=5, stepsize=2e-2, initial_const=1.0)


def linear_model() -> nn.Module:
    linear = nn.Linear(4, 2)
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.copy_(B)
    return nn.Sequential(nn.Flatten(), linear).eval()


def minimal_l2(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance |w.x + b| / ||w|| to the boundary, and the projection of x on it."""
    w, b = W[1] - W[0], B[1] - B[0]
    margin = x @ w + b  # (N,)
    return margin.abs() / w.norm(), x - (margin / w.dot(w))[:, None] * w


def test_points_are_class_zero_and_project_inside_the_box():
    distance, projection = minimal_l2(POINTS)
    assert (linear_model()(POINTS.view(-1, 1, 2, 2)).argmax(-1) == 0).all()
    assert ((projection > 0) & (projection < 1)).all() and (distance > 0.1).all()


def test_attack_lands_within_a_few_percent_of_the_minimal_distance():
    model = linear_model()
    images = POINTS.view(-1, 1, 2, 2)
    targets = torch.ones(3, dtype=torch.long)
    adversarials, success = carlini_wagner_l2(model, images, targets, FAST)
    assert success.all()
    assert (model(adversarials).argmax(-1) == 1).all()
    assert adversarials.min() >= 0 and adversarials.max() <= 1
    found = perturbation_norms(images, adversarials)["l2"].float()
    expected, _ = minimal_l2(POINTS)
    assert (found >= expected * 0.999).all()
    assert found == pytest.approx(expected, rel=0.02)
    assert model.training is False and all(p.requires_grad for p in model.parameters())


def test_on_step_is_called_once_per_forward_and_leaves_the_output_alone():
    calls = []
    config = CarliniWagnerConfig(steps=20, binary_search_steps=2, stepsize=5e-2, initial_const=1.0,
                                 abort_early=False)
    model = linear_model()
    adversarials, success = carlini_wagner_l2(model, POINTS.view(-1, 1, 2, 2), torch.ones(3).long(),
                                              config, on_step=lambda: calls.append(1) or True)
    assert len(calls) == 40 and adversarials.shape == (3, 1, 2, 2)
    assert not model._forward_hooks


def test_perturbation_norms_hand_computed():
    x = torch.zeros(1, 1, 2, 2)
    adv = torch.tensor([0.3, -0.4, 0.0, 0.001]).view(1, 1, 2, 2)
    norms = perturbation_norms(x, adv)
    assert float(norms["l1"][0]) == pytest.approx(0.701)
    assert float(norms["l2"][0]) == pytest.approx((0.09 + 0.16 + 1e-6) ** 0.5)
    assert float(norms["linf"][0]) == pytest.approx(0.4)
    assert float(norms["l0"][0]) == 2  # 0.001 < 0.5 / 255


def stochastic_linear() -> StochasticClassifier:
    """z = x (flattened) with tiny noise, then the linear two-class decoder."""
    trunk = nn.Sequential(nn.Flatten(), nn.Linear(4, 8))
    with torch.no_grad():
        trunk[1].weight.zero_()
        trunk[1].weight[:4].copy_(torch.eye(4))
        trunk[1].bias.zero_()
    decoder = nn.Linear(4, 2)
    with torch.no_grad():
        decoder.weight.copy_(W)
        decoder.bias.copy_(B)
    return StochasticClassifier(GaussianEncoder(trunk, 4), decoder).eval()


def test_robustness_attacks_only_correct_images_and_reports_the_schema():
    model = stochastic_linear()
    wrong = torch.tensor([[0.1, 0.1, 0.9, 0.9]])  # labelled 0, predicted 1: not attacked
    images = torch.cat([POINTS[:1], wrong, POINTS[1:], torch.full((1, 4), 0.5)]).view(-1, 1, 2, 2)
    labels = torch.tensor([0, 0, 0, 0, 1])
    result = robustness(model, Split(images, labels), FAST, source=0, target=1, count=10)
    assert result["images_considered"] == 4 and result["images_attacked"] == 3
    assert result["success_rate"] == 1.0 and result["attacked_model"] == "mean_z"
    assert [e["attacked"] for e in result["per_image"]] == [True, False, True, True]
    assert result["per_image"][1]["l2"] is None and result["per_image"][1]["success"] is None
    expected, _ = minimal_l2(POINTS)
    assert result["l2"] == pytest.approx(float(expected.mean()), rel=0.02)
    assert result["l1_255"] == pytest.approx(255 * result["l1"])
    assert result["attack"]["steps"] == FAST.steps and "units_note" in result
    limited = robustness(model, Split(images, labels), FAST, count=1)
    assert limited["images_considered"] == 1


def test_averaged_logits_are_deterministic_and_match_the_averaged_softmax():
    model = stochastic_linear()
    averaged = AveragedLogits(model, samples=5, seed=3)
    x = POINTS.view(-1, 1, 2, 2)
    assert torch.equal(averaged(x), averaged(x))
    assert torch.allclose(averaged(x).exp().sum(-1), torch.ones(3), atol=1e-6)
    assert torch.allclose(averaged(x).exp(), model.predict_proba(x, 0), atol=1e-3)  # noise ~0.007
    result = robustness(model, Split(x, torch.zeros(3, dtype=torch.long)), FAST, averaged_samples=5)
    assert result["attacked_model"] == "averaged" and result["success_rate"] == 1.0


@pytest.mark.parametrize("kwargs", [{"source": 1, "target": 1}, {"target": 2}, {"count": 0}])
def test_bad_attack_settings_raise(kwargs):
    split = Split(POINTS.view(-1, 1, 2, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ConfigError):
        robustness(stochastic_linear(), split, FAST, **kwargs)
    with pytest.raises(ConfigError):
        CarliniWagnerConfig(steps=0).validate()

"""The Carlini-Wagner L2 attack against a linear model whose minimal adversarial is known."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from linear_models import FAST, POINTS, linear_model, minimal_l2, stochastic_linear

from vimax.data.base import Split
from vimax.errors import ConfigError
from vimax.evaluate.attack_engines import ENGINES
from vimax.evaluate.carlini_wagner import (
    AveragedLogits,
    CarliniWagnerConfig,
    carlini_wagner_l2,
    perturbation_norms,
    robustness,
)


def test_points_are_class_zero_and_project_inside_the_box():
    distance, projection = minimal_l2(POINTS)
    assert (linear_model()(POINTS.view(-1, 1, 2, 2)).argmax(-1) == 0).all()
    assert ((projection > 0) & (projection < 1)).all() and (distance > 0.1).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_attack_lands_within_a_few_percent_of_the_minimal_distance(engine):
    model = linear_model()
    images = POINTS.view(-1, 1, 2, 2)
    targets = torch.ones(3, dtype=torch.long)
    config = dataclasses.replace(FAST, engine=engine)
    adversarials, success = carlini_wagner_l2(model, images, targets, config)
    assert success.all()
    assert (model(adversarials).argmax(-1) == 1).all()
    assert adversarials.min() >= 0 and adversarials.max() <= 1
    found = perturbation_norms(images, adversarials)["l2"].float()
    expected, _ = minimal_l2(POINTS)
    assert (found >= expected * 0.999).all()
    assert found == pytest.approx(expected, rel=0.02)
    assert model.training is False and all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("engine", ENGINES)
def test_on_step_is_called_once_per_forward_and_leaves_the_output_alone(engine):
    calls = []
    config = CarliniWagnerConfig(engine=engine, steps=20, binary_search_steps=2, stepsize=5e-2,
                                 initial_const=1.0, abort_early=False)
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
    with pytest.raises(ConfigError, match="attack: steps: Input should be greater than or equal to 1"):
        carlini_wagner_l2(stochastic_linear(), POINTS.view(-1, 1, 2, 2), torch.ones(3, dtype=torch.long),
                          CarliniWagnerConfig(steps=0))

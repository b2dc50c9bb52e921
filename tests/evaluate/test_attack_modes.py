"""Both attack modes (z = mean, averaged prediction) and the cross-check of the two engines."""

from __future__ import annotations

import dataclasses
import sys

import pytest
import torch
from linear_models import FAST, POINTS, minimal_l2, stochastic_linear

from vimax.data.base import Split
from vimax.errors import ConfigError
from vimax.evaluate.attack_engines import ENGINES, import_adv_lib, other_engine
from vimax.evaluate.attack_modes import check_modes, cross_check, robustness_modes
from vimax.evaluate.carlini_wagner import AveragedLogits, perturbation_norms, robustness

IMAGES = POINTS.view(-1, 1, 2, 2)
ZEROS = torch.zeros(3, dtype=torch.long)
# the engines' distances on the linear model agree to within this (both land within ~1 % of the
# closed-form distance with FAST's 5 x 100 steps; measured agreement ~0.1 %)
ENGINE_TOLERANCE = 0.02


def test_zero_noise_gives_the_same_distances_in_both_modes():
    """With std = 0 the averaged log-softmax is the logits minus a per-image constant: same attack."""
    model = stochastic_linear(std_offset=1e4)  # softplus(-1e4) == 0 exactly
    assert model.posterior(IMAGES).std.abs().max() == 0
    section = robustness_modes(model, Split(IMAGES, ZEROS), FAST, samples=5, fresh_noise_draws=3)
    mean, averaged = section["mean"], section["averaged"]
    assert mean["attacked_model"] == "mean_z" and averaged["attacked_model"] == "averaged"
    assert mean["success_rate"] == averaged["success_rate"] == 1.0
    for a, b in zip(mean["per_image"], averaged["per_image"]):
        assert b["l2"] == pytest.approx(a["l2"], rel=1e-3)
    assert averaged["fresh_noise_success_rate"] == 1.0  # no noise: a redraw changes nothing
    assert "fresh_noise_success_rate" not in mean and "cross_check" not in section


def test_averaged_attack_fools_the_averaged_prediction():
    """Strong noise (std 0.69) moves the averaged prediction's boundary away from the mean's."""
    model = stochastic_linear(std_offset=0.0)
    split = Split(IMAGES, ZEROS)
    averaged = robustness(model, split, FAST, averaged_samples=5, fresh_noise_draws=10)
    assert averaged["success_rate"] == 1.0
    # rebuild the adversarials' prediction: the attacked function (seed 0) must say "target"
    attacked = AveragedLogits(model, samples=5, seed=0)
    mean = robustness(model, split, FAST)
    assert [e["l2"] for e in averaged["per_image"]] != pytest.approx([e["l2"] for e in mean["per_image"]],
                                                                      rel=1e-2)
    rates = [e["fresh_noise_success"] for e in averaged["per_image"]]
    assert all(0.0 <= r <= 1.0 for r in rates)
    assert averaged["fresh_noise_success_rate"] == pytest.approx(sum(rates) / 3)
    assert averaged["fresh_noise_draws"] == 10
    with torch.no_grad():
        assert attacked(IMAGES).argmax(-1).tolist() == [0, 0, 0]


def test_averaged_adversarials_are_classified_as_the_target_by_the_attacked_prediction():
    model = stochastic_linear(std_offset=0.0)
    attacked = AveragedLogits(model, samples=5, seed=0)
    from vimax.evaluate.carlini_wagner import carlini_wagner_l2

    adversarials, success = carlini_wagner_l2(attacked, IMAGES, torch.ones(3, dtype=torch.long), FAST)
    assert success.all()
    with torch.no_grad():
        assert attacked(adversarials).argmax(-1).tolist() == [1, 1, 1]
    moved = perturbation_norms(IMAGES, adversarials)["l2"]
    assert (moved > 0).all()


def test_deterministic_model_gets_the_mean_mode_only():
    section = robustness_modes(stochastic_linear(), Split(IMAGES, ZEROS), FAST, stochastic=False)
    assert set(section) == {"mean"}
    with pytest.raises(ConfigError, match="deterministic"):
        robustness_modes(stochastic_linear(), Split(IMAGES, ZEROS), FAST, modes=("averaged",),
                         stochastic=False)


@pytest.mark.parametrize("modes", [(), ("mean", "mean"), ("median",)])
def test_bad_modes_raise(modes):
    with pytest.raises(ConfigError):
        check_modes(modes)


def test_cross_check_runs_the_other_engine_on_the_same_images():
    model = stochastic_linear()
    section = robustness_modes(model, Split(IMAGES, ZEROS), FAST, modes=("mean",), check_engines=True)
    check = section["cross_check"]["mean"]
    primary, other = FAST.engine, other_engine(FAST.engine)
    assert check["engines"] == [primary, other] and check["images_both_fooled"] == 3
    assert [row["test_index"] for row in check["per_image"]] == [0, 1, 2]
    assert [row[f"l2_{primary}"] for row in check["per_image"]] == \
        [e["l2"] for e in section["mean"]["per_image"]]
    expected, _ = minimal_l2(POINTS)
    for row, distance in zip(check["per_image"], expected.tolist()):
        assert row[f"l2_{other}"] == pytest.approx(distance, rel=ENGINE_TOLERANCE)
        assert row["ratio"] == pytest.approx(row[f"l2_{other}"] / row[f"l2_{primary}"])
    assert check["ratio_of_means"] == pytest.approx(1.0, abs=ENGINE_TOLERANCE)
    assert check["fraction_within_tolerance"] == 1.0
    assert check[f"smaller_{primary}"] + check[f"smaller_{other}"] <= 3


def test_engines_agree_on_the_closed_form_distance():
    """Linear two-class model: distance = |margin| / ||w_1 - w_0||, for both engines."""
    expected, _ = minimal_l2(POINTS)
    found = {}
    for engine in ENGINES:
        config = dataclasses.replace(FAST, engine=engine)
        found[engine] = robustness(stochastic_linear(std_offset=1e4), Split(IMAGES, ZEROS), config)
        distances = torch.tensor([e["l2"] for e in found[engine]["per_image"]], dtype=torch.float64)
        assert (distances >= expected.double() * 0.999).all()  # nothing beats the minimum
        assert distances.tolist() == pytest.approx(expected.tolist(), rel=ENGINE_TOLERANCE)
    check = cross_check(*found.values())
    assert check["ratio_of_means"] == pytest.approx(1.0, abs=ENGINE_TOLERANCE)
    assert check["min_ratio"] <= check["median_ratio"] <= check["max_ratio"]


def test_cross_check_of_hand_made_results():
    def result(engine, l2s):
        return {"attack": {"engine": engine}, "success_rate": 2 / 3, "seconds": 1.0,
                "per_image": [{"test_index": i, "l2": v} for i, v in enumerate(l2s)]}

    check = cross_check(result("adv_lib", [1.0, 2.0, None]), result("foolbox", [1.1, 2.0, 3.0]))
    assert check["images_both_fooled"] == 2
    assert check["mean_l2_adv_lib"] == 1.5 and check["mean_l2_foolbox"] == pytest.approx(1.55)
    assert check["ratio_of_means"] == pytest.approx(1.55 / 1.5)
    assert check["median_ratio"] == pytest.approx(1.05) and check["max_ratio"] == pytest.approx(1.1)
    assert check["fraction_within_tolerance"] == 0.5
    assert check["smaller_adv_lib"] == 1 and check["smaller_foolbox"] == 0
    assert check["per_image"][2]["ratio"] is None


def test_adv_lib_loads_without_torchvision_or_visdom():
    attack = import_adv_lib("carlini_wagner_l2")
    assert callable(attack) and callable(import_adv_lib("fmn")) and callable(import_adv_lib("ddn"))
    assert "torchvision" not in sys.modules
    assert "visdom" not in sys.modules or getattr(sys.modules["visdom"], "__file__", None)


def test_a_missing_engine_is_refused_before_anything_runs(monkeypatch):
    import importlib.util

    from vimax.evaluate.run import evaluation_config

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "adv_lib" else real(name, *a))
    with pytest.raises(ConfigError, match="pip install --no-deps adv-lib==0.2.8"):
        evaluation_config({})
    with pytest.raises(ConfigError, match="adv_lib attack engine is not installed"):
        evaluation_config({"carlini_wagner": {"engine": "foolbox"}, "attack_cross_check": True})
    evaluation_config({"attack": False})  # no attack: no engine needed
    evaluation_config({"carlini_wagner": {"engine": "foolbox"}})

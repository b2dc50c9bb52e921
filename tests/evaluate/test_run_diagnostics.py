"""``vimax evaluate`` shows the regulariser diagnostics: from metrics.json, or computed for an old run."""

from __future__ import annotations

import dataclasses
import json

from vimax.commands.evaluate import format_evaluation
from vimax.config import RunConfig
from vimax.evaluate.run import EvaluationConfig, evaluate_run
from vimax.metrics import DIAGNOSTIC_KEYS
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import objective_config
from vimax.training import TrainConfig, fit

SETTINGS = EvaluationConfig(attack=False, plot=False, samples=2, device="cpu")


def test_diagnostics_from_metrics_json_and_from_the_model_of_an_old_run(tmp_path, tiny_digits):
    out = tmp_path / "vim"
    config = RunConfig(model=ModelConfig(hidden=(16,), latent_dim=4),
                       objective=objective_config("vim")(beta=1e-9),
                       train=TrainConfig(epochs=1, lr=1e-3, batch_size=50, device="cpu"))
    fit(config, out, dataset=tiny_digits)
    trained = json.loads((out / "metrics.json").read_text())

    result = evaluate_run(out, SETTINGS, dataset=tiny_digits)
    expected = {key: trained[key] for key in (*DIAGNOSTIC_KEYS, "regulariser_active")}
    assert result["diagnostics"] == {**expected, "source": "metrics.json"}
    assert json.loads((out / "evaluation.json").read_text())["diagnostics"] == result["diagnostics"]
    assert "(INACTIVE)" in format_evaluation(result) and "from metrics.json" in format_evaluation(result)

    # a run trained before the diagnostics existed: no weight average, so model.pt holds the
    # weights the training computed them with, and the same fixed batch gives the same numbers
    old = {k: v for k, v in trained.items() if k not in (*DIAGNOSTIC_KEYS, "regulariser_active")}
    (out / "metrics.json").write_text(json.dumps(old))
    result = evaluate_run(out, SETTINGS, dataset=tiny_digits)
    assert result["diagnostics"] == {**expected, "source": "model.pt"}
    assert "from model.pt" in format_evaluation(result)


def test_a_deterministic_run_shows_no_diagnostics(tmp_path, tiny_digits):
    out = tmp_path / "det"
    config = RunConfig(model=ModelConfig(hidden=(16,), latent_dim=4),
                       objective=objective_config("deterministic")(),
                       train=TrainConfig(epochs=1, lr=1e-3, batch_size=50, device="cpu"))
    fit(config, out, dataset=tiny_digits)
    # with the latent plot, whose title names beta and sigma only for objectives that take them
    result = evaluate_run(out, dataclasses.replace(SETTINGS, plot=True), dataset=tiny_digits)
    assert all(result["diagnostics"][key] is None for key in (*DIAGNOSTIC_KEYS, "regulariser_active"))
    assert "no posterior" in format_evaluation(result)
    assert (out / "latent.png").stat().st_size > 0

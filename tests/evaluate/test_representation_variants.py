"""Ranking the readings of Table 3's metrics against the paper's values."""

from __future__ import annotations

import pytest

from vimax.config import RunConfig
from vimax.data.config import DataConfig
from vimax.evaluate.representation import HOYER_VARIANTS
from vimax.evaluate.representation_variants import closest_variants, run_variants
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import objective_config
from vimax.training import TrainConfig, fit


def ours(raw: float, dim_std: float, ari: float, accuracy: float) -> dict:
    return {"hoyer_raw": raw, "hoyer_prior_std": raw, "hoyer_dim_std": dim_std, "hoyer_zscore": 0.1,
            "ari": ari, "cluster_accuracy": accuracy}


def test_closest_variants_ranks_by_mean_absolute_difference():
    rows = [(ours(0.35, 0.15, 0.90, 0.95), {"hoyer": 0.37, "adjr": 0.938}),
            (ours(0.30, 0.20, 0.93, 0.96), {"hoyer": 0.31, "adjr": 0.948})]
    ranked = closest_variants(rows)
    assert [e["variant"] for e in ranked["hoyer"]][:2] == ["hoyer_raw", "hoyer_prior_std"]
    assert ranked["hoyer"][0]["mean_abs_difference"] == pytest.approx((0.02 + 0.01) / 2)
    assert ranked["hoyer"][-1]["variant"] == "hoyer_zscore"
    assert ranked["hoyer"][-1]["mean_abs_difference"] == pytest.approx((0.27 + 0.21) / 2)
    assert [e["variant"] for e in ranked["adjr"]] == ["cluster_accuracy", "ari"]
    assert ranked["adjr"][0]["mean_abs_difference"] == pytest.approx((0.012 + 0.012) / 2)
    assert all(e["runs"] == 2 for e in ranked["hoyer"])


def test_closest_variants_skips_missing_paper_values():
    ranked = closest_variants([(ours(0.3, 0.2, 0.9, 0.9), {"hoyer": 0.3})])
    assert ranked["adjr"] == [] and ranked["hoyer"][0]["mean_abs_difference"] == pytest.approx(0.0)


def test_run_variants_on_a_trained_digits_run(tmp_path):
    config = RunConfig(data=DataConfig(name="digits"), model=ModelConfig(hidden=(32,), latent_dim=4),
                       objective=objective_config("vib")(beta=1e-3, prior_std=2.0),
                       train=TrainConfig(epochs=1, device="cpu", progress=False, threads=1))
    fit(config, tmp_path / "run")
    result = run_variants(tmp_path / "run")
    assert result["objective"] == "vib" and result["prior_std"] == 2.0 and result["latent_dim"] == 4
    assert result["hoyer_prior_std"] == pytest.approx(result["hoyer_raw"], rel=1e-12)
    for name in HOYER_VARIANTS:
        assert 0.0 <= result[f"hoyer_{name}"] <= 1.0
    assert -1.0 <= result["ari"] <= 1.0 and 0.0 < result["cluster_accuracy"] <= 1.0


def test_run_variants_on_a_deterministic_run_reads_sigma_1_and_no_beta(tmp_path):
    """Deterministic's config has neither beta nor a prior: z / sigma is z itself."""
    config = RunConfig(data=DataConfig(name="digits"), model=ModelConfig(hidden=(32,), latent_dim=4),
                       objective=objective_config("deterministic")(),
                       train=TrainConfig(epochs=1, device="cpu", progress=False, threads=1))
    fit(config, tmp_path / "run")
    result = run_variants(tmp_path / "run")
    assert result["objective"] == "deterministic" and result["beta"] is None and result["prior_std"] == 1.0
    assert result["hoyer_prior_std"] == result["hoyer_raw"]

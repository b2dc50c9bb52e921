"""Every run folder committed under results/ still loads: its saved config is a valid RunConfig, and a
model is rebuilt from it alone (the weights themselves, model.pt, are not committed). The configs saved
by older versions resolve to what the shipped sweep files expand to for the same runs, so a resume, the
reuse of a finished run and the report treat old and new configs of one run as equal."""

from __future__ import annotations

from pathlib import Path

import pytest

from vimax.config import resolved
from vimax.models.classifier import build_classifier
from vimax.sweep import expand, load_sweep
from vimax.training.load import load_run_config
from vimax.training.run_folder import RunFolder

RESULTS = Path(__file__).resolve().parents[2] / "results"
CONFIGS = Path(__file__).resolve().parents[2] / "configs"
RUNS = sorted(p.parent for p in RESULTS.rglob("config.json"))


@pytest.mark.skipif(not RUNS, reason="no committed results")
def test_every_committed_run_config_loads_and_builds_its_model():
    names = set()
    for run in RUNS:
        config, summary = load_run_config(run)
        if config.objective.name not in names:  # one model per objective: the builder takes its config
            model = build_classifier(config.model, tuple(summary["input_shape"]), summary["num_classes"])
            assert model.latent_dim == config.model.latent_dim, run
        names.add(config.objective.name)
    assert len(RUNS) > 10 and {"vim", "vib", "deterministic"} <= names


@pytest.mark.skipif(not RUNS, reason="no committed results")
def test_saved_configs_of_any_version_equal_the_configs_the_sweep_files_give_now():
    compared = 0
    for path in sorted(CONFIGS.glob("*.yaml")):
        sweep = load_sweep(path)
        for profile in sweep.profiles:
            for spec in expand(sweep, profile, RESULTS, seeds=list(range(5)), evaluate=False):
                if not (Path(spec.out_dir) / "config.json").is_file():
                    continue
                saved = resolved(RunFolder(spec.out_dir).saved_config())
                wanted = spec.config  # the sweeps ran with --data-dir; tensorboard only watches
                wanted["data"]["data_dir"] = saved["data"]["data_dir"]
                wanted["train"]["tensorboard"] = saved["train"]["tensorboard"]
                assert saved == wanted, spec.out_dir
                compared += 1
    assert compared > 100

"""``vimax evaluate`` end to end on a short digits run, and its errors."""

from __future__ import annotations

import json

import pytest

from vimax.cli import main
from vimax.config import RunConfig
from vimax.data.config import DataConfig
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import objective_config
from vimax.training import TrainConfig, fit

ATTACK_KEYS = {"attack", "attacked_model", "source", "target", "images_considered", "images_attacked",
               "success_rate", "l2", "l1", "l1_255", "linf", "l0", "per_image", "seconds", "units_note"}
KEYS = {
    "accuracy": {"test_error", "test_error_1_sample", "test_error_mean_z", "samples"},
    "representation": {"ari", "cluster_accuracy", "nmi", "hoyer", "kmeans"},
    "information": {"rate_bits", "izy_bits"},
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits_vim"
    config = RunConfig(
        data=DataConfig(name="digits"),
        model=ModelConfig(hidden=(64, 64), latent_dim=8),
        objective=objective_config("vim")(),
        train=TrainConfig(epochs=5, lr=3e-3, device="cpu", progress=False, threads=1),
    )
    fit(config, out)
    return out


@pytest.mark.slow
def test_evaluate_end_to_end(run_dir, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}
    code = main(["-q", "evaluate", str(run_dir), "--attack-images", "3", "--attack-steps", "30",
                 "--binary-search-steps", "4", "--samples", "4"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "test error" in printed and "CW-L2 0 -> 1" in printed and "ARI" in printed
    result = json.loads((run_dir / "evaluation.json").read_text())
    assert {"run", "accuracy", "robustness", "representation", "information", "plots",
            "seconds"} <= set(result)
    for section, keys in KEYS.items():
        assert keys <= set(result[section]), section
    assert result["accuracy"]["samples"] == 4
    assert set(result["robustness"]) == {"mean", "averaged"}  # VIM is stochastic: both modes
    for mode, name in (("mean", "mean_z"), ("averaged", "averaged")):
        attack = result["robustness"][mode]
        assert ATTACK_KEYS <= set(attack), mode
        assert attack["images_considered"] == 3 and attack["attacked_model"] == name
        assert attack["attack"]["steps"] == 30 and attack["attack"]["binary_search_steps"] == 4
        assert len(attack["per_image"]) == 3
    assert 0 <= result["robustness"]["averaged"]["fresh_noise_success_rate"] <= 1
    assert result["robustness"]["averaged"]["averaged_samples"] == 4
    assert "(averaged)" in printed and "still fool fresh noise" in printed
    assert result["information"]["rate_bits"] > 0
    assert result["plots"] == ["latent.png"]
    assert (run_dir / "latent.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    after = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}
    written = {"evaluation.json", "latent.png", "curves.png"}  # curves.png: the command draws metrics.jsonl
    assert set(after) == set(before) | written
    assert all(after[name] == mtime for name, mtime in before.items() if name not in written)


@pytest.mark.slow
def test_evaluate_one_mode_with_the_engines_cross_check(run_dir, capsys):
    code = main(["-q", "evaluate", str(run_dir), "--attack-images", "2", "--attack-steps", "20",
                 "--binary-search-steps", "2", "--samples", "2", "--attack-modes", "mean",
                 "--attack-engine", "foolbox", "--cross-check"])
    assert code == 0
    section = json.loads((run_dir / "evaluation.json").read_text())["robustness"]
    assert set(section) == {"mean", "cross_check"}
    assert section["mean"]["attack"]["engine"] == "foolbox"
    check = section["cross_check"]["mean"]
    assert check["engines"] == ["foolbox", "adv_lib"] and len(check["per_image"]) == 2
    assert "cross-check (mean)" in capsys.readouterr().out


def test_bad_attack_mode_exits_2(run_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", "evaluate", str(run_dir), "--attack-modes", "median"])
    assert exit_info.value.code == 2 and "median" in capsys.readouterr().err


def test_evaluate_without_attack(run_dir, capsys):
    assert main(["-q", "evaluate", str(run_dir), "--no-attack", "--samples", "2"]) == 0
    result = json.loads((run_dir / "evaluation.json").read_text())
    assert result["robustness"] is None
    assert "CW-L2" not in capsys.readouterr().out


def test_bad_run_dir_exits_2(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "is not a run folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vimax: error:") and len(err.strip().splitlines()) == 1


def test_bad_attack_classes_exit_2(run_dir, capsys):
    assert main(["-q", "evaluate", str(run_dir), "--source", "3", "--target", "3"]) == 2
    assert "must differ" in capsys.readouterr().err


def test_bad_attack_classes_leave_the_folder_untouched(tmp_path, run_dir):
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}
    assert main(["-q", "evaluate", str(run_dir), "--target", "10"]) == 2
    assert {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()} == before


def test_evaluate_repeats_trainings_test_error(tmp_path):
    """The 12-sample test error of `vimax evaluate` is training's final one: the same seeded draws."""
    out = tmp_path / "vib"
    config = RunConfig(data=DataConfig(name="digits"), model=ModelConfig(hidden=(32,), latent_dim=4),
                       objective=objective_config("vib")(beta=0.1),
                       train=TrainConfig(epochs=2, lr=3e-3, device="cpu", progress=False, threads=1, seed=3))
    metrics = fit(config, out)
    assert main(["-q", "evaluate", str(out), "--no-attack", "--device", "cpu"]) == 0
    accuracy = json.loads((out / "evaluation.json").read_text())["accuracy"]
    assert accuracy["samples"] == config.train.eval_samples
    for key in ("test_error", "test_error_1_sample", "test_error_mean_z"):
        assert accuracy[key] == metrics[key], key

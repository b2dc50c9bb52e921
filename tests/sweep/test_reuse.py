"""A run whose resolved config another sweep finished is copied, not trained again."""

from __future__ import annotations

import json
from pathlib import Path

import vimax.training.loop
from vimax.cli import main
from vimax.sweep import read_records

TIMING = {"train_seconds", "train_samples_per_s"}


def sweep(path: Path, results: Path, *extra: str) -> int:
    return main(["-q", "sweep", str(path), "--profile", "cpu", "--results", str(results), *extra])


def overlapping(tiny_sweep: dict) -> dict:
    """A second sweep sharing the run vim beta 1e-3 with the tiny sweep, plus a new point."""
    other = dict(tiny_sweep, name="other", evaluate={"attack": False})
    other["grid"] = [{"name": "vim_again", "objective.name": "vim",
                      "axes": {"objective.beta": [1.0e-3, 5.0e-3]}}]
    return other


def metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def test_identical_run_is_copied_and_evaluated_by_its_own_sweep(tiny_sweep, write_sweep, tmp_path,
                                                                monkeypatch):
    assert sweep(write_sweep(tiny_sweep), tmp_path) == 0
    trained = []
    real_fit = vimax.training.loop.fit

    def counting_fit(config, out_dir, resume=False, dataset=None):
        trained.append(Path(out_dir).name)
        return real_fit(config, out_dir, resume=resume, dataset=dataset)

    monkeypatch.setattr(vimax.training.loop, "fit", counting_fit)
    assert sweep(write_sweep(overlapping(tiny_sweep), "other.yaml"), tmp_path) == 0
    assert trained == ["vim_again_beta5e-03_seed0"]
    source, copy = tmp_path / "tiny/cpu/vim_beta1e-03_seed0", tmp_path / "other/cpu/vim_again_beta1e-03_seed0"
    copied = metrics(copy)
    assert copied.pop("reused_from") == "../../../tiny/cpu/vim_beta1e-03_seed0"
    assert copied == metrics(source)
    assert (copy / "model.pt").read_bytes() == (source / "model.pt").read_bytes()
    assert (copy / "evaluation.json").is_file()  # the other sweep evaluates; the source did not
    assert not (source / "evaluation.json").exists()
    records = read_records(tmp_path / "other/cpu")
    assert records["vim_again_beta1e-03_seed0"]["reused_from"] == copied_from(copy)
    assert "reused_from" not in records["vim_again_beta5e-03_seed0"]
    third = dict(overlapping(tiny_sweep), name="third")  # copies the original, not the copy
    assert sweep(write_sweep(third, "third.yaml"), tmp_path) == 0
    third_copy = tmp_path / "third/cpu/vim_again_beta1e-03_seed0"
    assert copied_from(third_copy) == "../../../tiny/cpu/vim_beta1e-03_seed0"
    assert trained == ["vim_again_beta5e-03_seed0"]


def copied_from(folder: Path) -> str:
    return metrics(folder)["reused_from"]


def test_no_reuse_trains_again_to_the_same_numbers(tiny_sweep, write_sweep, tmp_path):
    """Copying is honest only because training is a function of the config: check it is."""
    assert sweep(write_sweep(tiny_sweep), tmp_path) == 0
    assert sweep(write_sweep(overlapping(tiny_sweep), "other.yaml"), tmp_path, "--no-reuse") == 0
    retrained = metrics(tmp_path / "other/cpu/vim_again_beta1e-03_seed0")
    assert "reused_from" not in retrained
    source = metrics(tmp_path / "tiny/cpu/vim_beta1e-03_seed0")
    assert {k: v for k, v in retrained.items() if k not in TIMING} == \
        {k: v for k, v in source.items() if k not in TIMING}


def test_a_different_seed_or_setting_is_not_reused(tiny_sweep, write_sweep, tmp_path):
    assert sweep(write_sweep(tiny_sweep), tmp_path) == 0
    other = overlapping(tiny_sweep)
    other["base"]["train"]["batch_size"] = 50
    assert sweep(write_sweep(other, "other.yaml"), tmp_path) == 0
    assert "reused_from" not in metrics(tmp_path / "other/cpu/vim_again_beta1e-03_seed0")


def test_dry_run_names_the_run_a_pending_run_will_copy(tiny_sweep, write_sweep, tmp_path, capsys):
    assert sweep(write_sweep(tiny_sweep), tmp_path) == 0
    capsys.readouterr()
    assert sweep(write_sweep(overlapping(tiny_sweep), "other.yaml"), tmp_path, "--dry-run") == 0
    listing = capsys.readouterr().out
    assert "vim_again_beta1e-03_seed0  pending  training to copy from tiny/cpu/vim_beta1e-03_seed0" in listing
    assert "vim_again_beta5e-03_seed0  pending\n" in listing

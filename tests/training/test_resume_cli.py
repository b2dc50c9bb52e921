"""``vimax train --resume``: alone it continues from the saved settings; a differing flag is an error
naming each key; a larger ``--epochs`` extends a finished run to exactly the longer run."""

from __future__ import annotations

import json

import torch

import vimax.training.loop
from vimax.cli import main
from vimax.safe_files import load_checkpoint

# a step-decayed lr: the schedule depends on the epoch only, so extending equals training longer
FLAGS = ["--dataset", "digits", "--latent-dim", "4", "--set", "model.hidden=[32]", "--lr", "3e-3",
         "--set", "train.lr_decay=step", "--set", "train.lr_decay_every=1",
         "--set", "train.lr_decay_rate=0.5",
         "--set", "train.threads=1", "--set", "train.progress=false", "--device", "cpu", "--seed", "5"]
TIMING = {"train_seconds", "train_samples_per_s"}


def metrics_of(run) -> dict:
    return {k: v for k, v in json.loads((run / "metrics.json").read_text()).items() if k not in TIMING}


def same_weights(a, b) -> bool:
    first, second = load_checkpoint(a / "model.pt"), load_checkpoint(b / "model.pt")
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_extend_a_finished_run_equals_the_longer_run(tmp_path, capsys):
    whole, extended = tmp_path / "whole", tmp_path / "extended"
    assert main(["-q", "train", *FLAGS, "--epochs", "3", "--out", str(whole)]) == 0
    assert main(["-q", "train", *FLAGS, "--epochs", "1", "--out", str(extended)]) == 0
    assert main(["-q", "train", "--out", str(extended), "--resume", "--epochs", "3"]) == 0
    assert metrics_of(extended) == metrics_of(whole) and metrics_of(whole)["epochs"] == 3
    assert same_weights(extended, whole)
    saved = json.loads((extended / "config.json").read_text())["config"]
    assert saved == json.loads((whole / "config.json").read_text())["config"]
    assert len((extended / "metrics.jsonl").read_text().splitlines()) == 3


def test_resume_alone_continues_an_interrupted_run(tmp_path, monkeypatch):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["-q", "train", *FLAGS, "--epochs", "2", "--out", str(whole)]) == 0

    def interrupt(point, **attributes):
        if point == "epoch_end" and attributes.get("epoch") == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(vimax.training.loop.failpoints, "failpoint", interrupt)
    assert main(["-q", "train", *FLAGS, "--epochs", "2", "--out", str(cut)]) == 130
    assert not (cut / "metrics.json").exists()
    monkeypatch.undo()
    assert main(["-q", "train", "--out", str(cut), "--resume"]) == 0  # no flags repeated
    assert metrics_of(cut) == metrics_of(whole)
    assert same_weights(cut, whole)


def test_a_differing_flag_names_each_key_with_both_values(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["-q", "train", *FLAGS, "--epochs", "2", "--out", str(run)]) == 0
    before = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    capsys.readouterr()
    assert main(["-q", "train", "--out", str(run), "--resume", "--lr", "0.5", "--latent-dim", "6"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "model.latent_dim is 4 in the run, 6 given" in err
    assert "train.lr is 0.003 in the run, 0.5 given" in err
    assert {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == before
    assert main(["-q", "train", "--out", str(run), "--resume", "--epochs", "2"]) == 0  # the same: done
    assert main(["-q", "train", "--out", str(run), "--resume", "--epochs", "1"]) == 2  # fewer: refused
    assert "train.epochs is 2 in the run, 1 given" in capsys.readouterr().err

"""fit, the run folder, load_run, resume, determinism, schedules and the weight average."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from torch import nn

import vimax
from vimax.config import RunConfig
from vimax.config.train import TrainConfig, learning_rate
from vimax.data.config import DataConfig
from vimax.errors import CheckpointError, VimaxError
from vimax.models.classifier import ModelConfig
from vimax.objectives import OBJECTIVES, gaussian_kl, objective_config
from vimax.safe_files import load_checkpoint
from vimax.training import RunFolder, TrainingDiverged
from vimax.training import loop as loop_module
from vimax.training.ema import WeightAverage

TIMING = {"train_seconds", "train_samples_per_s"}
FINAL_KEYS = {"test_error", "val_error", "test_error_mean_z", "rate_bits", "izy_bits",
              "train_seconds", "train_samples_per_s"}


def small_config(epochs: int = 2, objective: str = "vim", **train) -> RunConfig:
    """The issue's small model: hidden (64, 64), K = 8, lr 1e-3, on the digits."""
    return RunConfig(
        model=ModelConfig(hidden=(64, 64), latent_dim=8),
        objective=objective_config(objective)(),
        train=TrainConfig(epochs=epochs, lr=1e-3, device="cpu", **train),
    )


def without_timing(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMING}


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_same_weights(a: Path, b: Path) -> None:
    first, second = load_checkpoint(a / "model.pt"), load_checkpoint(b / "model.pt")
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, digits_dataset):
    """One 2-epoch VIM run on the digits, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("runs") / "vim"
    config = small_config()
    metrics = vimax.fit(config, out, dataset=digits_dataset)
    return out, config, metrics


# ---------------------------------------------------------------- what a run writes


def test_fit_writes_the_run_folder(finished_run, digits_dataset):
    out, config, metrics = finished_run
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "metrics.json", "metrics.jsonl", "model.pt"]  # no checkpoint.pt left
    saved = json.loads((out / "config.json").read_text())
    assert "git_revision" in saved and saved["vimax_version"] == vimax.__version__
    assert saved["config"] == json.loads(json.dumps(config.to_dict()))
    assert saved["dataset"]["input_shape"] == [1, 8, 8] and saved["dataset"]["num_classes"] == 10

    history = read_lines(out / "metrics.jsonl")
    assert [row["epoch"] for row in history] == [1, 2]
    for row in history:
        assert {"lr", "loss", "task", "mmd", "rate_bits", "izy_bits", "val_error"} <= set(row)
        assert row["lr"] == 1e-3 and all(math.isfinite(v) for v in row.values())

    assert FINAL_KEYS <= set(metrics)
    assert json.loads((out / "metrics.json").read_text()) == json.loads(json.dumps(metrics))
    for key in ("test_error", "val_error", "test_error_mean_z"):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["epochs"] == 2 and metrics["train_seconds"] > 0
    assert metrics["train_samples_per_s"] == pytest.approx(
        len(digits_dataset.train) * 2 / metrics["train_seconds"])
    assert metrics["final_train_terms"]["loss"] == history[-1]["loss"]


def test_load_run_reproduces_the_saved_figures(finished_run, digits_dataset):
    out, _, metrics = finished_run
    model = vimax.load_run(out)
    assert not model.training
    test = digits_dataset.test
    with torch.no_grad():
        wrong = (model(test.images).argmax(-1) != test.labels).sum().item()
        posterior = model.posterior(test.images)
        rate = gaussian_kl(posterior.mean.double(), posterior.std.double(), 1.0).mean().item()
    assert wrong / len(test) == metrics["test_error_mean_z"]
    assert metrics["rate_bits"] == pytest.approx(rate / math.log(2), rel=1e-6)
    assert metrics["izy_bits"] <= digits_dataset.label_entropy / math.log(2)


def test_load_run_refuses_unfinished_and_missing_folders(tmp_path, finished_run):
    with pytest.raises(CheckpointError, match="not a run folder"):
        vimax.load_run(tmp_path / "absent")
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text((finished_run[0] / "config.json").read_text())
    with pytest.raises(CheckpointError, match="has not finished"):
        vimax.load_run(unfinished)


def test_training_twice_with_the_same_seed_is_identical(finished_run, tmp_path, digits_dataset):
    out, config, metrics = finished_run
    again = vimax.fit(config, tmp_path / "again", dataset=digits_dataset)
    assert without_timing(again) == without_timing(metrics)
    assert_same_weights(out, tmp_path / "again")
    assert read_lines(out / "metrics.jsonl") == read_lines(tmp_path / "again" / "metrics.jsonl")


def test_another_seed_gives_other_weights(tmp_path, tiny_digits):
    for seed in (0, 1):
        vimax.fit(small_config(1, seed=seed), tmp_path / str(seed), dataset=tiny_digits)
    first, second = (load_checkpoint(tmp_path / s / "model.pt") for s in ("0", "1"))
    assert not all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_registered_objective_trains_through_fit(name, tmp_path, tiny_digits):
    dropout = 0.5 if name == "dropout" else 0.0  # the dropout baseline trains a model with dropout
    config = RunConfig(model=ModelConfig(hidden=(16,), latent_dim=4, dropout=dropout),
                       objective=objective_config(name)(),
                       train=TrainConfig(epochs=1, lr=1e-3, device="cpu", eval_samples=2))
    metrics = vimax.fit(config, tmp_path / name, dataset=tiny_digits)
    assert 0.0 <= metrics["test_error"] <= 1.0
    stochastic = OBJECTIVES.get(name).requires_posterior
    assert (metrics["rate_bits"] is not None) == stochastic
    assert vimax.load_run(tmp_path / name)(tiny_digits.test.images[:3]).shape == (3, 10)


# ---------------------------------------------------------------- refusing to overwrite


def test_a_non_empty_folder_is_refused_and_left_unchanged(tmp_path, tiny_digits):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(VimaxError, match="not empty"):
        vimax.fit(small_config(1), out, dataset=tiny_digits)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    with pytest.raises(VimaxError, match="not a folder"):
        vimax.fit(small_config(1), tmp_path / "file", dataset=tiny_digits)


def test_resume_of_a_finished_run_returns_its_metrics(finished_run, digits_dataset):
    out, config, metrics = finished_run
    stamp = (out / "model.pt").stat().st_mtime_ns
    assert vimax.fit(config, out, resume=True, dataset=digits_dataset) == json.loads(
        json.dumps(metrics))
    assert (out / "model.pt").stat().st_mtime_ns == stamp


# ---------------------------------------------------------------- resume


def test_an_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, tiny_digits, monkeypatch):
    """3 epochs, stopped after the first checkpoint, resumed: the same metrics and weights as an
    uninterrupted run (with a step learning-rate decay and a weight average to restore too)."""
    config = small_config(3, lr_decay="step", lr_decay_rate=0.5, lr_decay_every=1, ema_decay=0.9)
    out = tmp_path / "resumed"
    save_checkpoint = RunFolder.save_checkpoint

    def save_then_stop(self, state):
        save_checkpoint(self, state)
        raise KeyboardInterrupt

    monkeypatch.setattr(RunFolder, "save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        vimax.fit(config, out, dataset=tiny_digits)
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "config.json", "metrics.jsonl"]
    assert len(read_lines(out / "metrics.jsonl")) == 1
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint["epoch"] == 1
    assert checkpoint["optimizer"]["param_groups"][0]["lr"] == 1e-3

    with pytest.raises(VimaxError, match="not empty"):
        vimax.fit(config, out, dataset=tiny_digits)
    with pytest.raises(VimaxError, match="other settings: train.ema_decay is 0.9 in the run, 0.0 given; "
                                         "train.lr_decay_every is 1 in the run, 2 given"):
        vimax.fit(small_config(3, lr_decay="step"), out, resume=True, dataset=tiny_digits)

    resumed = vimax.fit(config, out, resume=True, dataset=tiny_digits)
    straight = vimax.fit(config, tmp_path / "straight", dataset=tiny_digits)
    assert without_timing(resumed) == without_timing(straight)
    assert_same_weights(out, tmp_path / "straight")
    history = read_lines(out / "metrics.jsonl")
    assert history == read_lines(tmp_path / "straight" / "metrics.jsonl")
    assert [row["lr"] for row in history] == pytest.approx([1e-3, 5e-4, 2.5e-4], rel=1e-15)
    assert not (out / "checkpoint.pt").exists()


class NaNAtCall(nn.Module):
    """Wraps an objective; its loss is NaN from the ``bad_call``-th call (1-based) on."""

    def __init__(self, objective: nn.Module, bad_call: int) -> None:
        super().__init__()
        self.objective, self.bad_call, self.calls = objective, bad_call, 0
        self.requires_posterior = objective.requires_posterior

    def forward(self, *args):
        self.calls += 1
        out = self.objective(*args)
        if self.calls >= self.bad_call:
            out.loss = out.loss * float("nan")
        return out


@pytest.mark.parametrize("check_every", [50, 5])
def test_a_diverged_run_names_epoch_and_step_and_keeps_its_checkpoint(tmp_path, tiny_digits, monkeypatch,
                                                                      check_every):
    """200 images in batches of 10: 20 steps an epoch; the loss goes NaN at step 7 of epoch 2.

    The objective is called 20 times an epoch in training and once more, after
    the epoch, for the regulariser diagnostics.
    """
    wrapped = []

    def nan_objective(*args, **kwargs):
        wrapped.append(NaNAtCall(build_objective(*args, **kwargs), bad_call=20 + 1 + 7))
        return wrapped[-1]

    build_objective = loop_module.build_objective
    monkeypatch.setattr(loop_module, "build_objective", nan_objective)
    monkeypatch.setattr(loop_module, "CHECK_EVERY", check_every)
    with pytest.raises(TrainingDiverged, match=r"at step 7 of 20 in epoch 2; the last good checkpoint "
                                               r"\(epoch 1\) is kept in"):
        vimax.fit(small_config(3, batch_size=10), tmp_path / "nan", dataset=tiny_digits)
    assert issubclass(TrainingDiverged, VimaxError)
    # the host looks every check_every steps: the run stops at the first look after the bad step
    assert wrapped[0].calls == 20 + 1 + min(20, check_every * math.ceil(7 / check_every))
    assert load_checkpoint(tmp_path / "nan" / "checkpoint.pt")["epoch"] == 1
    assert not (tmp_path / "nan" / "metrics.json").exists()


def test_an_infinite_logged_term_warns_and_training_goes_on(tmp_path, tiny_digits, monkeypatch, caplog):
    """VIM's logged rate is infinite once a posterior std underflows to 0; the loss is still fine."""
    train_epoch = loop_module.train_epoch

    def infinite_rate_in_epoch_two(model, objective, optimizer, train, config, epoch, *rest):
        terms, seen = train_epoch(model, objective, optimizer, train, config, epoch, *rest)
        return ({**terms, "rate_bits": float("inf")} if epoch == 1 else terms), seen

    monkeypatch.setattr(loop_module, "train_epoch", infinite_rate_in_epoch_two)
    with caplog.at_level("WARNING", logger="vimax.training.loop"):
        metrics = vimax.fit(small_config(3), tmp_path / "inf", dataset=tiny_digits)
    assert "epoch 2: rate_bits not finite" in caplog.text
    history = read_lines(tmp_path / "inf" / "metrics.jsonl")
    assert [row["rate_bits"] is None for row in history] == [False, True, False]  # saved as null
    assert math.isfinite(metrics["test_error"])


def test_a_non_finite_mean_loss_stops_the_run(tmp_path, tiny_digits, monkeypatch):
    train_epoch = loop_module.train_epoch

    def nan_mean_loss_in_epoch_two(model, objective, optimizer, train, config, epoch, *rest):
        terms, seen = train_epoch(model, objective, optimizer, train, config, epoch, *rest)
        return ({**terms, "loss": float("nan")} if epoch == 1 else terms), seen

    monkeypatch.setattr(loop_module, "train_epoch", nan_mean_loss_in_epoch_two)
    with pytest.raises(TrainingDiverged, match="mean loss became NaN or infinite in epoch 2"):
        vimax.fit(small_config(3), tmp_path / "nan", dataset=tiny_digits)
    assert load_checkpoint(tmp_path / "nan" / "checkpoint.pt")["epoch"] == 1


# ---------------------------------------------------------------- schedules and the weight average


@pytest.mark.parametrize(
    "decay, expected",
    [
        ("none", [0.01, 0.01, 0.01, 0.01]),
        ("exponential", [0.01, 0.01 * 0.9**0.5, 0.01 * 0.9, 0.01 * 0.9**1.5]),
        ("step", [0.01, 0.01, 0.009, 0.009]),
    ],
)
def test_learning_rate_schedules(decay, expected):
    config = TrainConfig(lr=0.01, lr_decay=decay, lr_decay_rate=0.9, lr_decay_every=2)
    assert [learning_rate(config, epoch) for epoch in range(4)] == pytest.approx(expected, rel=1e-14)


def test_weight_average_by_hand():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average = WeightAverage(model, decay=0.75)
    for value in (3.0, 5.0):
        with torch.no_grad():
            model.weight.fill_(value)
        average.update(model)
    # 0.75 * (0.75 * 1 + 0.25 * 3) + 0.25 * 5 = 2.375
    assert average.params[0].item() == pytest.approx(2.375, rel=1e-7)
    with average.swapped_in(model) as evaluated:
        assert evaluated.weight.item() == pytest.approx(2.375, rel=1e-7)
    assert model.weight.item() == 5.0
    other = WeightAverage(model, decay=0.75)
    other.load_state_dict(average.state_dict())
    assert torch.equal(other.params[0], average.params[0])


@pytest.mark.mnist
def test_one_epoch_of_vim_on_real_mnist_is_under_four_percent(tmp_path, mnist_dir):
    """§4.1's MLP (784-1024-1024-2K, K = 256), VIM with beta 1e-3, sigma 1, Adam lr 1e-3, batch 100."""
    config = RunConfig(
        data=DataConfig(name="mnist", data_dir=str(mnist_dir), download=False),
        model=ModelConfig(trunk="mlp", latent_dim=256),
        objective=objective_config("vim")(beta=1e-3, prior_std=1.0),
        train=TrainConfig(epochs=1, batch_size=100, lr=1e-3, device="cpu"),
    )
    metrics = vimax.fit(config, tmp_path / "mnist")
    assert metrics["test_error"] < 0.04, metrics

"""train.compile: when a run compiles its step, and that a compiled run trains as the eager one does.

The fits compile with the ``aot_eager`` backend (Dynamo and AOTAutograd, in a
second, no generated code); the ``slow`` one with inductor, the backend a real
run uses, checks that a compiled run equals its eager twin to float tolerance.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import pytest
import torch
import torch._dynamo

import vimax
from vimax.config import RunConfig, apply_overrides
from vimax.config.train import TrainConfig
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.objectives import build_objective, objective_config
from vimax.safe_files import load_checkpoint
from vimax.training import RunFolder, compiled
from vimax.training.run_folder import comparable_settings

CPU = torch.device("cpu")

# torch's own notices while compiling
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
              pytest.mark.filterwarnings("ignore::FutureWarning:torch.*")]


def config(objective: str = "vim", epochs: int = 2, **train) -> RunConfig:
    return RunConfig(model=ModelConfig(hidden=(32,), latent_dim=4), objective=objective_config(objective)(),
                     train=TrainConfig(epochs=epochs, lr=1e-3, device="cpu", **train))


@pytest.fixture
def aot_eager(monkeypatch):
    """Compile with aot_eager, from a clean Dynamo state."""
    monkeypatch.setattr(compiled, "BACKEND", "aot_eager")
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def decide(mode: str, objective: str, steps: int) -> bool:
    return compiled.should_compile(mode, build_objective(objective_config(objective)()), steps, CPU)[0]


@pytest.mark.parametrize("objective", ["deterministic", "vib", "vim"])
def test_off_never_and_on_always_compile(objective):
    assert not decide("off", objective, 10**9)
    assert decide("on", objective, 1)


def test_auto_compiles_only_long_runs_of_objectives_that_sample():
    long, short = compiled.AUTO_MIN_STEPS, compiled.AUTO_MIN_STEPS - 1
    assert decide("auto", "vim", long) and decide("auto", "vib", long)
    assert not decide("auto", "vim", short) and not decide("auto", "vib", short)
    assert not decide("auto", "deterministic", 10**9) and not decide("auto", "dropout", 10**9)
    # the paper's 200 MNIST epochs at batch 100 compile, a 10-epoch run does not
    assert decide("auto", "vim", 200 * 600) and not decide("auto", "vim", 10 * 600)


def test_without_a_cpp_compiler_auto_stays_eager_and_on_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    assert not decide("auto", "vim", 10**9)
    assert not decide("off", "vim", 10**9)
    with pytest.raises(ConfigError, match="C\\+\\+ compiler") as error:
        decide("on", "vim", 1)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("text, mode", [("off", "off"), ("on", "on"), ("auto", "auto"), ("false", "off")])
def test_on_and_off_read_by_yaml_as_booleans_are_the_modes(text, mode):
    """``--set train.compile=off`` and ``compile: on`` in a YAML file give YAML 1.1 booleans."""
    assert RunConfig.from_dict(apply_overrides({}, [f"train.compile={text}"])).train.compile == mode


def test_an_unknown_mode_is_refused_before_anything_is_written(tmp_path, tiny_digits):
    with pytest.raises(ConfigError, match="train.compile: Input should be 'off', 'on' or 'auto', got 'yes'"):
        vimax.fit(config(compile="yes"), tmp_path / "run", dataset=tiny_digits)
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_off_does_not_call_torch_compile(tmp_path, tiny_digits, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("torch.compile called with train.compile off")

    monkeypatch.setattr(torch, "compile", refuse)
    vimax.fit(config(epochs=1), tmp_path / "run", dataset=tiny_digits)


def _weights(folder) -> dict[str, torch.Tensor]:
    return load_checkpoint(folder / "model.pt")


def test_a_run_saved_before_the_setting_existed_resumes_and_is_reused_as_off(tmp_path):
    """Its config.json has no train.compile: it trained eagerly, so it compares equal to "off"."""
    folder = RunFolder(tmp_path / "run")
    before = {"train": {"epochs": 2}, "model": {"latent_dim": 4}}
    folder.start(before, resume=False, dataset={})
    folder.check_can_start({**before, "train": {"epochs": 2, "compile": "off"}}, resume=True)
    with pytest.raises(Exception, match="train.compile is 'off' in the run, 'on' given"):
        folder.check_can_start({**before, "train": {"epochs": 2, "compile": "on"}}, resume=True)
    off = {**before, "train": {"epochs": 2, "compile": "off"}}
    assert comparable_settings(before) == comparable_settings(off)  # what a sweep's reuse compares


@pytest.mark.parametrize("objective", ["deterministic", "vib", "vim"])
def test_a_compiled_run_trains_as_the_eager_run(objective, tmp_path, tiny_digits, aot_eager, caplog):
    """Same seed, same noise: the compiled run's weights and logged terms equal the eager run's."""
    eager = vimax.fit(config(objective), tmp_path / "eager", dataset=tiny_digits)
    with caplog.at_level(logging.INFO, logger="vimax.training.compiled"):
        on = vimax.fit(config(objective, compile="on"), tmp_path / "on", dataset=tiny_digits)
    assert "training step compiled (train.compile is on)" in caplog.text
    assert "compiled the training step's forward in" in caplog.text
    for key, value in _weights(tmp_path / "eager").items():
        torch.testing.assert_close(_weights(tmp_path / "on")[key], value, msg=key)
    for key in ("loss", "task"):
        assert on["final_train_terms"][key] == pytest.approx(eager["final_train_terms"][key], rel=1e-5)


def test_a_short_last_batch_runs_eagerly_without_compiling_again(tmp_path, tiny_digits, aot_eager):
    """200 examples in batches of 64: three compiled steps and an eager one of 8 examples per epoch."""
    torch._dynamo.utils.counters.clear()
    vimax.fit(config("vim", epochs=2, batch_size=64, compile="on"), tmp_path / "run", dataset=tiny_digits)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 1


def test_auto_decides_from_the_whole_run_so_a_resume_decides_alike(tmp_path, tiny_digits, monkeypatch,
                                                                   aot_eager, caplog):
    """200 examples in batches of 100 for 3 epochs are 6 steps: auto compiles from 6 on, not from 7."""
    monkeypatch.setattr(compiled, "AUTO_MIN_STEPS", 6)
    with caplog.at_level(logging.INFO, logger="vimax.training.compiled"):
        vimax.fit(config("vib", epochs=3, compile="auto"), tmp_path / "six", dataset=tiny_digits)
    assert "training step compiled (auto: 6 steps >= 6)" in caplog.text
    caplog.clear()
    monkeypatch.setattr(compiled, "AUTO_MIN_STEPS", 7)
    with caplog.at_level(logging.INFO, logger="vimax.training.compiled"):
        vimax.fit(config("vib", epochs=3, compile="auto"), tmp_path / "seven", dataset=tiny_digits)
    assert "training step eager (auto: 6 steps < 7" in caplog.text


def test_each_run_compiles_its_own_step_however_many_ran_before_it_in_the_process(aot_eager):
    """Dynamo recompiles a frame at most 8 times, then runs it eagerly: 11 runs with 11 betas in one
    process (a sweep's worker) must all be compiled, each with its own copy of the step's code."""
    from vimax.models import build_classifier

    x, y = torch.rand(6, 1, 4, 4), torch.randint(0, 4, (6,))
    for beta in range(1, 12):
        objective = build_objective(objective_config("vim")(beta=float(beta)))
        model = build_classifier(ModelConfig(latent_dim=3, hidden=(8,)), (1, 4, 4), 4)
        forward, is_compiled = compiled.step_forward(model, objective, None, "on", 1, CPU)
        out = forward(x, y)
        assert is_compiled and type(out.loss.grad_fn).__name__ == "CompiledFunctionBackward", beta


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_killed_compiled_run_resumes_to_the_uninterrupted_result_bit_for_bit(tmp_path):
    """``vimax train --set train.compile=on`` (inductor) in fresh processes: killed mid-epoch and
    resumed, it ends with the weights of an uninterrupted compiled run, bit for bit."""
    args = [sys.executable, "-m", "vimax", "-q", "train", "--dataset", "digits", "--objective", "vim",
            "--epochs", "3", "--device", "cpu", "--set", "train.compile=on", "--set", "train.threads=1",
            "--set", "train.ema_decay=0.9", "--set", "train.progress=false"]
    env = {k: v for k, v in os.environ.items() if k != "VIMAX_FAILPOINT"}

    def train(out: str, *extra: str, failpoint: str | None = None) -> int:
        more = {"VIMAX_FAILPOINT": failpoint} if failpoint else {}
        return subprocess.run([*args, "--out", str(tmp_path / out), *extra], env={**env, **more},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode

    assert train("straight") == 0
    assert train("resumed", failpoint="kill@train_step:epoch=2,step=3") == -signal.SIGKILL
    assert train("resumed", "--resume") == 0
    for key, value in _weights(tmp_path / "straight").items():
        assert torch.equal(_weights(tmp_path / "resumed")[key], value), key


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["vib", "vim"])
def test_an_inductor_compiled_run_equals_the_eager_run_to_float_tolerance(objective, tmp_path, tiny_digits):
    """Inductor's fused kernels round differently, the random numbers are the same: after 2 epochs
    the weights agree to float32 tolerance (not bit for bit)."""
    torch._dynamo.reset()
    vimax.fit(config(objective), tmp_path / "eager", dataset=tiny_digits)
    vimax.fit(config(objective, compile="on"), tmp_path / "on", dataset=tiny_digits)
    torch._dynamo.reset()
    for key, value in _weights(tmp_path / "eager").items():
        torch.testing.assert_close(_weights(tmp_path / "on")[key], value, rtol=1e-4, atol=1e-5, msg=key)

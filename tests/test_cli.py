"""The ``vimax`` command line: train and demo in-process, one call of the installed script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vimax.cli import build_parser, main
from vimax.commands import demo as demo_module
from vimax.commands.options import run_config_from_args
from vimax.models.classifier import ModelConfig

SMALL = ["--dataset", "digits", "--latent-dim", "8", "--set", "model.hidden=[64, 64]",
         "--lr", "1e-3", "--device", "cpu"]


def run_cli(argv: list[str]) -> int:
    """main(argv)'s exit code, also when argparse exits."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


# ---------------------------------------------------------------- vimax train


def test_train_writes_the_run_and_prints_the_test_error(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(["train", *SMALL, "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"test error        {100 * metrics['test_error']:.2f}%" in printed
    assert f"rate {metrics['rate_bits']:.1f} bits" in printed
    assert f"saved in {out}" in printed
    assert sorted(p.name for p in out.iterdir()) == [  # checkpoint.pt kept: --resume --epochs N extends
        "checkpoint.pt", "config.json", "curves.png", "metrics.json", "metrics.jsonl", "model.pt"]
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["model"]["hidden"] == [64, 64] and config["train"]["lr"] == 1e-3
    assert config["train"]["epochs"] == 1 and config["objective"]["name"] == "vim"


def test_config_file_then_overrides_then_flags(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("objective:\n  name: vib\n  beta: 1e-2\ntrain:\n  epochs: 5\n  seed: 3\n")
    args = build_parser().parse_args(["train", "--config", str(path), "--set", "train.epochs=4",
                                      "--set", "train.seed=4", "--epochs", "2", "--out", "x"])
    config = run_config_from_args(args)
    assert (config.objective.name, config.objective.beta) == ("vib", 0.01)
    assert (config.train.epochs, config.train.seed) == (2, 4)


BAD_INPUT = {
    "negative beta": (["--beta", "-1"], "beta must be a finite number >= 0"),
    "zero prior std": (["--prior-std", "0"], "prior_std must be a finite number > 0"),
    "unknown objective": (["--objective", "vim2"], "invalid choice: 'vim2'"),
    "bad epochs flag": (["--epochs", "two"], "argument --epochs: invalid int value"),
    "missing config file": (["--config", "{tmp}/missing.yaml"], "cannot read config file"),
    "unknown config key": (["--config", "{tmp}/typo.yaml"], "unknown key 'epoch'"),
    "string epochs": (["--set", "train.epochs=abc"], "expected int, got 'abc'"),
    "malformed override": (["--set", "train.epochs"], "must look like section.key=value"),
    "unknown kernel": (["--set", "objective.kernel=laplace"], "unknown kernel 'laplace'"),
    "bad adam betas": (["--set", "train.adam_betas=[0.9, 2]"], "adam_betas must lie in [0, 1)"),
    "no mnist and no download": (
        ["--dataset", "mnist", "--set", "data.download=false", "--data-dir", "{tmp}"],
        "and download is off: put mnist.npz"),
    "missing data dir": (["--dataset", "mnist", "--data-dir", "/nonexistent"],
                         "data_dir /nonexistent: no such folder"),
    "beta of the deterministic objective": (
        ["--objective", "deterministic", "--beta", "1e-3"],
        "--beta does not apply to the 'deterministic' objective, which would ignore it"),
    "an override the objective ignores": (
        ["--objective", "vim", "--set", "objective.label_smoothing=0.1"],
        "--set objective.label_smoothing does not apply to the 'vim' objective"),
    "unknown trunk": (["--trunk", "resnet"], "invalid choice: 'resnet'"),
    "yaml error": (["--config", "{tmp}/broken.yaml"], "not valid YAML: line 3, column 6:"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_one_error_line_and_exit_code_2(case, tmp_path, capsys):
    (tmp_path / "typo.yaml").write_text("train:\n  epoch: 3\n")
    (tmp_path / "broken.yaml").write_text("train:\n  epochs: 3\n   lr: 2\n")
    flags, fragment = BAD_INPUT[case]
    flags = [flag.format(tmp=tmp_path) for flag in flags]
    out = tmp_path / "run"
    assert run_cli(["train", *flags, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("vimax: error: ") and fragment in lines[0], lines[0]
    assert captured.out == ""
    assert not out.exists()


def test_version_and_help_show_defaults_and_choices(capsys):
    from vimax import __version__

    assert run_cli(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"vimax {__version__}"
    assert run_cli(["--help"]) == 0
    assert "``" not in capsys.readouterr().out
    assert run_cli(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ("--trunk {mlp,cnn}", "training epochs (default 10)", "examples per step (default 100)",
                     "learning rate (default 0.0001)", "data order (default 0)"):
        assert fragment in text, fragment


def test_a_busy_out_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run_cli(["train", *SMALL, "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vimax: error: run folder") and err.count("\n") == 1
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_the_installed_script_reports_an_error_without_a_traceback(tmp_path):
    script = Path(sys.executable).with_name("vimax")
    out = tmp_path / "run"
    env = {**os.environ, "VIMAX_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([str(script), "train", "--beta", "-1", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "vimax: error: beta must be a finite number >= 0, got -1.0\n"
    assert result.stdout == ""
    assert not out.exists()


# ---------------------------------------------------------------- vimax demo


def test_demo_prints_a_table_of_the_three_objectives(tmp_path, capsys, monkeypatch):
    """The demo's flow and table, on the small model (its own MLP would take minutes here)."""
    paper_config = demo_module.demo_config

    def small_config(objective, epochs, device):
        config = paper_config(objective, epochs, device)
        config.model = ModelConfig(hidden=(64, 64), latent_dim=8)
        return config

    monkeypatch.setattr(demo_module, "demo_config", small_config)
    out = tmp_path / "demo"
    assert run_cli(["demo", "--epochs", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = json.loads((out / "demo.json").read_text())
    assert list(rows) == ["deterministic", "vib", "vim"]
    table = [line for line in printed.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| objective | test error % |")
    assert [line.split(" | ")[0] for line in table[2:]] == ["| deterministic", "| vib", "| vim"]
    for name, line in zip(rows, table[2:]):
        assert f"| {100 * rows[name]['test_error']:.2f} |" in line
    assert table[2].split(" | ")[4] == "—" and table[4].split(" | ")[4] != "—"  # rate: VIM only
    assert (out / "demo.md").read_text() == "\n".join(table) + "\n"
    for name in rows:
        config = json.loads((out / name / "config.json").read_text())["config"]
        assert config["train"]["epochs"] == 2 and config["data"]["name"] == "digits"
    objective = json.loads((out / "vim" / "config.json").read_text())["config"]["objective"]
    assert (objective["beta"], objective["prior_std"]) == (1e-3, 1.0)

    # a second call reads the finished runs instead of training them again
    assert run_cli(["demo", "--epochs", "2", "--out", str(out)]) == 0
    assert sum(line.startswith("  training ") for line in printed.splitlines()) == 3
    assert capsys.readouterr().out.count("finished before") == 3


def test_missing_tool_extras_is_one_line(monkeypatch, capsys):
    import importlib.util

    from vimax.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    assert main(["--help"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "scikit-learn" in err and "pip install 'vimax[tool]'" in err

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
    "negative beta": (["--beta", "-1"], "config: objective.beta: Input should be greater than or equal to 0"),
    "zero prior std": (["--prior-std", "0"], "config: objective.prior_std: Input should be greater than 0"),
    "unknown objective": (["--objective", "vim2"], "invalid choice: 'vim2'"),
    "bad epochs flag": (["--epochs", "two"], "argument --epochs: invalid int value"),
    "missing config file": (["--config", "{tmp}/missing.yaml"], "cannot read config file"),
    "unknown config key": (["--config", "{tmp}/typo.yaml"], "config: train.epoch: unknown key; known keys:"),
    "string epochs": (["--set", "train.epochs=abc"], "train.epochs: Input should be a valid integer"),
    "malformed override": (["--set", "train.epochs"], "must look like section.key=value"),
    "unknown kernel": (["--set", "objective.kernel=laplace"], "objective.kernel: Input should be 'imq'"),
    "bad adam betas": (["--set", "train.adam_betas=[0.9, 2]"], "adam_betas must lie in [0, 1)"),
    "no mnist and no download": (
        ["--dataset", "mnist", "--set", "data.download=false", "--data-dir", "{tmp}"],
        "and download is off: put mnist.npz"),
    "missing data dir": (["--dataset", "mnist", "--data-dir", "/nonexistent"],
                         "data_dir /nonexistent: no such folder"),
    "beta of the deterministic objective": (
        ["--objective", "deterministic", "--beta", "1e-3"],
        "config: objective.beta: the 'deterministic' objective does not take it (it takes: no settings)"),
    "an override the objective ignores": (
        ["--objective", "vim", "--set", "objective.label_smoothing=0.1"],
        "objective.label_smoothing: the 'vim' objective does not take it (it takes: beta, prior_std, "),
    "dropout without a rate": (["--objective", "dropout"], "set model.dropout (0.5 in Table 1)"),
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


# each command through the one config path: an unknown key, a wrong type, an out-of-range value
SWEEP = "name: s\ngrid:\n  - {{name: v, {setting}}}\n"
COMMAND_ERRORS = {
    "train": [(["--set", "train.epochz=3"], "config: train.epochz: unknown key; known keys: epochs, "),
              (["--set", "model.latent_dim=2.5"], "config: model.latent_dim: Input should be a valid int"),
              (["--epochs", "0"], "config: train.epochs: Input should be greater than or equal to 1, got 0")],
    "evaluate": [(["--set", "carlini_wagner.stepz=3"], "evaluate: carlini_wagner.stepz: unknown key; known"),
                 (["--set", "plot=maybe"], "evaluate: plot: Input should be a valid boolean, got 'maybe'"),
                 (["--samples", "0"], "evaluate: samples: Input should be greater than or equal to 1, got")],
    "sweep": [(["model: {latent_dimm: 3}"], "run v_seed0: config: model.latent_dimm: unknown key"),
              (["train: {lr: '1e-3'}"], "run v_seed0: config: train.lr: Input should be a valid number"),
              (["evaluate: {samples: -2}"], "evaluate: samples: Input should be greater than or equal to 1")],
}


@pytest.mark.parametrize("command, index", [(c, i) for c, cases in COMMAND_ERRORS.items() for i in range(3)])
def test_each_command_reads_its_settings_through_the_one_path(command, index, tmp_path, capsys):
    flags, fragment = COMMAND_ERRORS[command][index]
    if command == "train":
        argv = ["train", *flags, "--out", str(tmp_path / "run")]
    elif command == "evaluate":
        argv = ["evaluate", str(tmp_path / "run"), *flags]  # refused before the run folder is read
    else:
        (tmp_path / "s.yaml").write_text(SWEEP.format(setting=flags[0]))
        argv = ["sweep", str(tmp_path / "s.yaml"), "--results", str(tmp_path / "results")]
    assert run_cli(argv) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1 and fragment in captured.err, captured.err
    assert captured.out == "" and not (tmp_path / "run").exists() and not (tmp_path / "results").exists()


def test_evaluation_settings_come_from_flags_and_set(tmp_path):
    from vimax.commands.evaluate import FLAG_KEYS
    from vimax.commands.options import settings_from_args
    from vimax.evaluate.run import evaluation_config

    args = build_parser().parse_args(["evaluate", "run", "--samples", "3", "--no-attack", "--attack-steps",
                                      "7", "--set", "carlini_wagner.confidence=2", "--set", "n_clusters=4",
                                      "--set", "attack_modes=[mean]"])
    settings = evaluation_config(settings_from_args(args, FLAG_KEYS))
    assert (settings.samples, settings.attack, settings.n_clusters, settings.attack_modes) == (
        3, False, 4, ("mean",))
    assert (settings.carlini_wagner.steps, settings.carlini_wagner.confidence) == (7, 2.0)
    default = evaluation_config(settings_from_args(build_parser().parse_args(["evaluate", "run"]), FLAG_KEYS))
    assert default == type(default)()


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
    assert result.stderr == ("vimax: error: config: objective.beta: Input should be greater than or equal "
                             "to 0, got -1.0\n")
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

"""What a sweep varies, read from its runs' configs and records; learning curves averaged over seeds."""

from __future__ import annotations

from pathlib import Path

from vimax.report.collect import RunResult
from vimax.report.curves import curve_figure, mean_curve, write_run_curves
from vimax.report.sweep_plots import log_axis
from vimax.report.varied import VARIANT, fmt_value, short_names, sweep_settings, varied_keys


def run(run_id: str, seed: int, objective: str, beta: float | None, lr: float = 1e-3,
        threads: int = 1) -> RunResult:
    config = {"objective": {"name": objective, "beta": beta, "prior_std": 1.0},
              "train": {"seed": seed, "lr": lr, "threads": threads, "adam_betas": [0.5, 0.999]}}
    return RunResult("mine", "cpu", run_id, Path(run_id), config)


def grid() -> list[RunResult]:
    """Two variants: VIM over two betas and VIB at one, each with two seeds (threads differ: ignored)."""
    runs = []
    for seed in (0, 1):
        for beta in (1e-3, 1e-1):
            runs.append(run(f"vim_beta{beta:g}_seed{seed}", seed, "vim", beta, threads=seed + 1))
        runs.append(run(f"vib_seed{seed}", seed, "vib", 1e-3, lr=1e-4))
    return runs


def test_varied_keys_leave_out_the_seed_and_settings_that_change_no_result():
    flats = [{"train.seed": 0, "train.threads": 1, "a.b": 1, "a.c": (1, 2)},
             {"train.seed": 1, "train.threads": 2, "a.b": 2, "a.c": (1, 2)},
             {"train.seed": 1, "train.threads": 2, "a.b": 2}]
    assert varied_keys(flats) == ["a.b"]  # a.c: the same where it is set (missing: a setting not taken)
    assert varied_keys([*flats, {"a.c": (3,)}]) == ["a.b", "a.c"]


def test_with_records_the_variants_own_their_fixed_settings_and_axes_vary_within_them():
    runs = grid()
    variants = {r.run_id: r.config["objective"]["name"] for r in runs}
    table = sweep_settings(runs, variants)
    assert table.columns == [VARIANT, "objective.beta"]
    assert table.variants == {"vim": {"objective.name": "vim", "train.lr": 1e-3},
                              "vib": {"objective.name": "vib", "train.lr": 1e-4}}
    assert [(s.values[VARIANT], s.values["objective.beta"]) for s in table.settings] == [
        ("vim", 1e-3), ("vim", 1e-1), ("vib", 1e-3)]
    assert all([r.seed for r in s.runs] == [0, 1] for s in table.settings)  # seeds grouped, in order
    assert table.numeric_axes == ["objective.beta"]
    assert table.settings[1].label(table.columns, table.names) == "vim, beta 0.1"


def test_without_records_every_varied_key_is_a_column():
    table = sweep_settings(grid(), {})
    assert table.columns == ["objective.name", "objective.beta", "train.lr"]
    assert table.names == {"objective.name": "objective", "objective.beta": "beta", "train.lr": "lr"}
    assert len(table.settings) == 3 and table.variants == {}
    assert table.numeric_axes == ["objective.beta", "train.lr"]


def test_one_setting_when_only_the_seed_differs():
    table = sweep_settings([run("a_seed0", 0, "vim", 1e-3), run("a_seed1", 1, "vim", 1e-3)], {})
    assert table.columns == [] and len(table.settings) == 1 and len(table.settings[0].runs) == 2
    assert table.settings[0].label(table.columns, table.names) == "all runs"


def test_names_formats_and_log_axes():
    assert short_names(["model.width", "data.width", "train.lr"]) == {
        "model.width": "model.width", "data.width": "data.width", "train.lr": "lr"}
    assert [fmt_value("objective.beta", b) for b in (1e-3, 0.1, 0.0)] == ["1e-3", "0.1", "0"]
    assert fmt_value("train.adam_betas", (0.5, 0.999)) == "[0.5, 0.999]" and fmt_value("x", None) == "—"
    assert log_axis("objective.beta", [1e-3, 1e-2]) and not log_axis("objective.beta", [0.0, 1e-2])
    assert log_axis("train.lr", [1e-5, 1e-3]) and not log_axis("model.latent_dim", [2, 8, 32])


def test_mean_curve_averages_each_epoch_over_the_runs_that_have_it():
    first = [{"epoch": 1, "val_error": 0.5, "loss": 2.0}, {"epoch": 2, "val_error": 0.3, "loss": None}]
    curve = mean_curve([first, [{"epoch": 1, "val_error": 0.7, "loss": 4.0}]], "s")
    assert curve.epochs == [1, 2]
    assert curve.values["val_error"] == [0.6, 0.3] and curve.values["loss"] == [3.0, None]
    assert curve.terms() == ["loss"]


def test_curve_figure_and_a_run_without_epochs(tmp_path):
    history = [{"epoch": 1, "val_error": 0.5, "mmd": 0.1}, {"epoch": 2, "val_error": 0.4, "mmd": 0.2}]
    curve = mean_curve([history], "x")
    assert curve_figure([curve], tmp_path / "c.png", "t").read_bytes().startswith(b"\x89PNG")
    assert curve_figure([mean_curve([[{"epoch": 1}]], "empty")], tmp_path / "d.png", "t") is None
    assert write_run_curves(tmp_path) is None and not (tmp_path / "curves.png").exists()

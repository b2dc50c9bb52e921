"""``vimax report`` on a researcher's own sweep: a table per setting and per run, plots, learning curves.

The sweep is real (2 β x 2 seeds of VIM on the digits, 2 epochs, no evaluation); every number
the tests expect is read back from the runs' saved files, never written here.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from saved_results import write_run

from vimax.cli import main
from vimax.report import write_report
from vimax.report.format import fmt_small
from vimax.sweep.grid import format_value
from vimax.sweep.records import write_record

BETAS = (1e-3, 1e-1)
SWEEP = {
    "name": "betas",
    "seeds": 2,
    "base": {"data": {"name": "digits"}, "model": {"hidden": [32, 32], "latent_dim": 4},
             "objective": {"name": "vim", "prior_std": 1.0},
             "train": {"epochs": 2, "batch_size": 100, "lr": 1.0e-3, "eval_samples": 2, "threads": 1}},
    "profiles": {"cpu": {}},
    "grid": [{"name": "vim", "axes": {"objective.beta": list(BETAS)}}],
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """The results folder of the sweep."""
    root = tmp_path_factory.mktemp("sweep")
    (root / "betas.yaml").write_text(yaml.safe_dump(SWEEP))
    results = root / "results"
    assert main(["-q", "sweep", str(root / "betas.yaml"), "--results", str(results), "--no-evaluate"]) == 0
    return results


@pytest.fixture(scope="module")
def reported(swept) -> tuple[Path, str]:
    """The results folder and the text of its REPORT.md."""
    return swept, write_report(swept).read_text()


def metric(results: Path, beta: float, seed: int, key: str) -> float:
    """A number of the run's metrics.json (the run id as the sweep names it: vim_beta1e-03_seed0)."""
    run = results / "betas" / "cpu" / f"vim_beta{format_value('objective.beta', beta)}_seed{seed}"
    return json.loads((run / "metrics.json").read_text())[key]


def mean_std(values: list[float], scale: float = 100.0, digits: int = 2) -> str:
    return f"{scale * statistics.mean(values):.{digits}f} ± {scale * statistics.stdev(values):.{digits}f}"


def test_the_title_names_the_sweep_not_the_paper(reported):
    _, text = reported
    assert text.startswith("# vimax report: `betas`\n")
    for paper in ("Reproducing", "Table 1", "Fig. 1", "Nothing has run yet", "not run", "Does the paper"):
        assert paper not in text
    assert "- **Sweeps:** `betas/cpu` (4 runs finished)" in text and "- **Seeds:** 0, 1" in text


def test_the_table_has_a_row_per_setting_with_its_seeds(reported):
    results, text = reported
    assert "| beta | n | validation error (%) | test error (%) | rate (bits) | I(Z;Y) (bits) |" in text
    for beta, shown in zip(BETAS, ("1e-3", "0.1")):
        val = mean_std([metric(results, beta, seed, "val_error") for seed in (0, 1)])
        test = mean_std([metric(results, beta, seed, "test_error") for seed in (0, 1)])
        rate = mean_std([metric(results, beta, seed, "rate_bits") for seed in (0, 1)], 1.0, 1)
        assert f"| {shown} | 2 | {val} | {test} | {rate} |" in text
        ratio = statistics.mean(metric(results, beta, seed, "regulariser_grad_ratio") for seed in (0, 1))
        row = next(line for line in text.splitlines() if line.startswith(f"| {shown} | 2 |"))
        assert row.split(" | ")[6] == fmt_small(ratio)  # the first diagnostic: ‖∇βD‖/‖∇CE‖


def test_the_summary_has_a_row_per_run_and_the_figures(reported):
    results, text = reported
    folder = results / "betas" / "cpu"
    summary = (folder / "SUMMARY.md").read_text()
    assert "](betas/cpu/SUMMARY.md)" in text
    rows = [line for line in summary.splitlines() if re.match(r"\| (1e-3|0\.1) \| [01] \| done \|", line)]
    assert len(rows) == 4
    for beta, shown in zip(BETAS, ("1e-3", "0.1")):
        for seed in (0, 1):
            val = 100 * metric(results, beta, seed, "val_error")
            assert f"| {shown} | {seed} | done | {val:.2f} |" in summary
    for name in ("error_vs_beta.png", "curves.png"):
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
        assert f"](betas/cpu/{name})" in text and f"]({name})" in summary


def test_report_prints_its_path_once(swept, tmp_path):
    """In a process of its own: under pytest the log records go to pytest, not to stderr."""
    out = tmp_path / "REPORT.md"
    done = subprocess.run([sys.executable, "-m", "vimax", "report", str(swept), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).count(str(out)) == 1
    assert done.stdout.strip() == f"wrote {out}"
    assert (tmp_path / "betas" / "cpu" / "SUMMARY.md").is_file()  # beside the report, not in results


def test_train_and_evaluate_write_the_learning_curves(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["-q", "train", "--dataset", "digits", "--epochs", "2", "--latent-dim", "4", "--device",
                 "cpu", "--set", "model.hidden=[32, 32]", "--set", "train.eval_samples=2",
                 "--out", str(run)]) == 0
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert "learning curves" in capsys.readouterr().out
    (run / "curves.png").unlink()
    assert main(["-q", "evaluate", str(run), "--no-attack", "--samples", "2"]) == 0
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_paper_sweeps_keep_the_paper_report_and_other_sweeps_get_a_section(tmp_path):
    results = tmp_path / "results"
    for seed in (0, 1):
        write_run(results, "table1", "vim", 1e-3, 1.0, seed, 0.011)
        write_run(results, "mine", "vim", 1e-2, 1.0, seed, 0.02 + seed / 100)
        write_run(results, "mine", "vib", 1e-2, 1.0, seed, 0.03)
    text = write_report(results).read_text()
    assert text.startswith("# Reproducing “The Variational InfoMax Learning Objective”")
    assert "## Sweep `mine` (profile `cpu`)" in text and "## Table 1" not in text.split("## Sweep `mine`")[1]
    assert "| `table1` | `cpu` | 2 runs finished; seeds 0, 1; varied: nothing but the seed. |" in text
    mine = text.split("## Sweep `mine` (profile `cpu`)")[1]
    assert "| objective | n | validation error (%) | test error (%) |" in mine
    assert "| vim | 2 | 2.75 ± 0.78 | 2.50 ± 0.71 |" in mine  # val = 1.1 x test in the fixture

    only_mine = tmp_path / "only"
    for seed in (0, 1):
        write_run(only_mine, "mine", "vim", 1e-2, 1.0, seed, 0.02)
    assert write_report(only_mine).read_text().startswith("# vimax report: `mine`")


def test_unfinished_and_failed_runs_are_listed_with_their_state(tmp_path):
    results = tmp_path / "results"
    write_run(results, "mine", "vim", 1e-2, 1.0, 0, 0.02)
    unfinished = write_run(results, "mine", "vim", 1e-2, 1.0, 1, 0.02)
    (unfinished / "metrics.json").unlink()
    (unfinished / "metrics.jsonl").write_text(json.dumps({"epoch": 1, "val_error": 0.5}) + "\n")
    failed = write_run(results, "mine", "vim", 1e-2, 1.0, 2, 0.02)
    (failed / "metrics.json").unlink()
    sweep_dir = results / "mine" / "cpu"
    write_record(sweep_dir, {"run_id": failed.name, "status": "failed", "reason": "the loss became NaN"})
    write_record(sweep_dir, {"run_id": "vim_lost_seed0", "status": "failed", "reason": "bad config"})
    write_report(results)
    summary = (sweep_dir / "SUMMARY.md").read_text()
    assert "1 runs finished, 1 unfinished, 1 failed" in summary
    assert "| 1 | unfinished (1 of 10 epochs) |" in summary
    assert "| 2 | failed: the loss became NaN |" in summary
    assert "- `vim_lost_seed0`: bad config" in summary


def test_import_vimax_loads_no_plotting_and_no_tensorboard():
    code = ("import sys, vimax; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'tensorboard') or m.startswith(('torch.utils.tensorboard', 'vimax.report'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

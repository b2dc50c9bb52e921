"""REPORT.md from a fixture of saved results: the paper's numbers beside ours, claims, figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from saved_results import PROFILE, REVISION, make_results, write_run
from scipy.stats import ttest_ind

from vimax.cli import main
from vimax.errors import VimaxError
from vimax.report import collect, write_report

FIGURES = ["fig1a.png", "fig1b.png", "cifar10_fig4a.png", "cifar10_fig4b.png", "cifar10_fig3a.png",
           "cifar10_fig3b.png"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("report")
    results = make_results(root / "results")
    out = write_report(results, root / "out" / "REPORT.md")
    return out, out.read_text()


def test_header(rendered):
    _, text = rendered
    assert f"**Profile:** `{PROFILE}`" in text and "**Seeds:** 0, 1, 2" in text
    assert f"`{REVISION}` (108 runs)" in text
    assert "**Total wall time:** 2 h 19 min" in text  # 108 runs x 60 s training + 63 evaluations x 30 s


def test_table1_paper_beside_ours_and_welch(rendered):
    _, text = rendered
    assert "| Baseline (deterministic) | 1.38 | 1.42 ± 0.02 | 3 |  |" in text
    p = ttest_ind([0.0108, 0.0110, 0.0112], [0.0116, 0.0118, 0.0120], equal_var=False).pvalue
    assert f"| VIM (β = 1e-3, σ = 1) | 1.10 | 1.10 ± 0.02 | 3 | {p:.3f} |" in text
    assert "**Table 1: VIM has a lower test error than VIB: reproduces**" in text


def test_tables2_3_fig2_and_cifar(rendered):
    out, text = rendered
    assert "| VIM (β = 1e-3, σ = 1) | 3 | 3.81 ± 0.01 | 3.70 |" in text  # Table 2: ours L2, paper L2
    assert "| 0.961 ± 0.001 | 0.981 ± 0.001 | 0.954 | 0.321 ± 0.001 | 0.410 |" in text  # Table 3 VIM
    assert "| VIM | 1e-3, 1 | 3 | 3.20 ± 0.10 | 3.05 | 0.901 ± 0.001 |" in text  # Fig. 2, validation
    assert "](../results/fig2/cpu/vim_beta1e-03_sigma1_seed0/latent.png)" in text
    assert "**Reduced width:**" in text
    assert "VIM (β = 1, σ = 2.5) and VIB (β = 1, σ = 2.5); the paper: β = 1e-3" in text  # ties: the first
    assert "**CIFAR-10, Fig. 4: VIB's σ optimum at β = 1e-3 is σ = 0.5: contradicted**" in text
    for name in FIGURES:
        assert f"]({name})" in text and (out.parent / name).read_bytes().startswith(b"\x89PNG")
    assert "| `table1` | `vim_broken_seed0` | the loss became NaN or infinite in epoch 3 |" in text
    assert text.count("### Does the paper's claim reproduce?") == 7


def test_copied_runs_count_their_training_once(tmp_path):
    results = tmp_path / "results"
    write_run(results, "table1", "vim", 1e-3, 1.0, 0, 0.011)
    copy = write_run(results, "tables2_3", "vim", 1e-3, 1.0, 0, 0.011)
    metrics = json.loads((copy / "metrics.json").read_text())
    (copy / "metrics.json").write_text(json.dumps({**metrics, "reused_from": "../../../table1/cpu/x"}))
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    assert "**Total wall time:** 1 min 00 s (training 1 min 00 s" in text
    assert "1 runs copied the training of an identical run" in text


def test_cifar_section_gives_the_deterministic_baseline(tmp_path):
    results = tmp_path / "results"
    write_run(results, "cifar10", "deterministic", None, None, 0, 0.2801, width=0.25)
    write_run(results, "cifar10", "vim", 1e-3, 2.5, 0, 0.2776, width=0.25)
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    assert "The deterministic baseline (the same CNN, no noise or regulariser): 28.01 % (one seed)." in text
    assert "| 1e-3 | not run | 27.76 (one seed) | not run | not run |" in text
    write_run(results, "cifar10", "vib", 1e-3, 0.5, 0, 0.2812, width=0.25)
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    assert "VIM's σ optimum at β = 1e-3 is σ = 2.5: waiting for 8 runs** — " in text
    assert "only σ = 2.5 has run so far." in text
    assert (tmp_path / "cifar10_fig4a.png").read_bytes().startswith(b"\x89PNG")  # with the baseline line


def test_missing_results_show_as_not_run(tmp_path):
    results = tmp_path / "results"
    for objective, beta in (("vim", 1e-3), ("vib", 1e-3)):
        write_run(results, "table1", objective, beta, 1.0, 0, 0.011)
    (results / "table1" / PROFILE / "unfinished_seed0").mkdir()  # no config.json: ignored
    started = write_run(results, "table1", "vib", 1e-3, 1.0, 1, 0.011)
    for name in ("metrics.json", "evaluation.json"):
        (started / name).unlink(missing_ok=True)  # a run still training: config.json only
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    assert "`table1` (2 runs finished, 1 unfinished)" in text
    assert "| Dropout | 1.34 | not run | 0 |  |" in text
    assert "Table 1: VIM has a lower test error than VIB: cannot be tested yet" in text
    assert text.count("Not run: no finished run of sweep") == 5
    assert not (tmp_path / "fig1a.png").exists()


def test_empty_results_and_profiles(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "Nothing has run yet." in write_report(tmp_path / "empty").read_text()
    with pytest.raises(VimaxError, match="does not exist"):
        write_report(tmp_path / "nowhere")
    results = tmp_path / "results"
    write_run(results, "table1", "vim", 1e-3, 1.0, 0, 0.011)
    write_run(results, "table1", "vim", 1e-3, 1.0, 0, 0.012, profile="paper")
    text = write_report(results).read_text()  # the paper's schedule goes beside the other profile
    assert "**Profile:** `cpu` (the runs of profile `paper`" in text
    assert "## Tables 1–3 under the paper's schedule (profile `paper`)" in text
    assert main(["-q", "report", str(results), "--profile", "paper", "--out", str(tmp_path / "R.md")]) == 0
    paper_only = (tmp_path / "R.md").read_text()
    assert "**Profile:** `paper`\n" in paper_only and "under the paper's schedule" not in paper_only
    write_run(results, "table1", "vim", 1e-3, 1.0, 0, 0.012, profile="gpu")
    with pytest.raises(VimaxError, match="several profiles.*--profile"):
        write_report(results)
    assert main(["-q", "report", str(results)]) == 2


def test_report_reads_only_saved_files(tmp_path):
    """A run folder made by a sweep is read through its three JSON files alone."""
    results = make_results(tmp_path / "results", seeds=1)
    run = results / "table1" / PROFILE / "vim_beta1e-03_sigma1_seed0"
    for extra in ("model.pt", "checkpoint.pt"):
        (run / extra).write_bytes(b"not a checkpoint")
    (run / "metrics.json").write_text(json.dumps({"test_error": 0.5, "val_error": 0.5}))
    runs = {r.run_id: r for r in collect(results) if r.sweep == "table1"}
    assert runs["vim_beta1e-03_sigma1_seed0"].value("metrics.test_error") == 0.5
    for sweep in ("fig1", "cifar10"):  # no figures to draw: faster
        shutil.rmtree(results / sweep)
    assert "| VIM (β = 1e-3, σ = 1) | 1.10 | 50.00 | 1 |" in write_report(results).read_text()

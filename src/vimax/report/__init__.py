"""The report: the paper's tables and figures beside ours, and any sweep's, from saved results only.

:func:`collect` reads run folders (config.json, metrics.json, evaluation.json);
:mod:`vimax.report.layout` reads both evaluation.json layouts and the regulariser diagnostics;
:mod:`vimax.report.paper` holds the paper's published numbers;
:mod:`vimax.report.stats` gives mean ± std over seeds, Welch's test and interval, Holm's
correction, the detectable difference and the verdict; :mod:`vimax.report.claims` words them;
:mod:`vimax.report.sweeps` and :mod:`vimax.report.sweep_summary` give every sweep (the paper's or a
researcher's own) a table by setting and by run, error-against-axis plots and learning curves
(:mod:`vimax.report.curves`, which also draws one run's ``curves.png``);
:func:`write_report` writes REPORT.md and its PNG figures.
"""

from vimax.report.claims import Claim, apply_holm
from vimax.report.collect import RunResult, collect, collect_records, select
from vimax.report.markdown import render_report, write_report
from vimax.report.stats import (
    Comparison,
    Summary,
    compare,
    detectable_difference,
    holm,
    summarize,
    verdict,
    welch_ci,
    welch_p,
)

__all__ = [
    "Claim",
    "Comparison",
    "RunResult",
    "Summary",
    "apply_holm",
    "collect",
    "collect_records",
    "compare",
    "detectable_difference",
    "holm",
    "render_report",
    "select",
    "summarize",
    "verdict",
    "welch_ci",
    "welch_p",
    "write_report",
]

"""The reproduction report: the paper's tables and figures beside ours, from saved results only.

:func:`collect` reads run folders (config.json, metrics.json, evaluation.json);
:mod:`vimax.report.paper` holds the paper's published numbers;
:mod:`vimax.report.stats` gives mean ± std over seeds and Welch's t-test;
:func:`write_report` writes REPORT.md and its PNG figures.
"""

from vimax.report.collect import RunResult, collect, collect_records, select
from vimax.report.markdown import render_report, write_report
from vimax.report.stats import Comparison, Summary, compare, summarize, welch_p

__all__ = [
    "Comparison",
    "RunResult",
    "Summary",
    "collect",
    "collect_records",
    "compare",
    "render_report",
    "select",
    "summarize",
    "welch_p",
    "write_report",
]

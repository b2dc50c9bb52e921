"""Markdown pieces of the report: numbers, tables, and the sentences stating a claim."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vimax.report.collect import RunResult

if TYPE_CHECKING:
    from vimax.report.claims import Claim
from vimax.report.stats import Summary, summarize

__all__ = ["Section", "Context", "fmt", "fmt_p", "fmt_paper", "fmt_beta", "fmt_small", "fmt_duration",
           "markdown_table", "summary_of", "NOT_RUN"]

NOT_RUN = "not run"


@dataclass
class Context:
    """Where the report goes (figures are written beside it) and what it covers."""

    report_path: Path
    profile: str

    @property
    def folder(self) -> Path:
        return self.report_path.parent

    def link(self, path: Path) -> str:
        """``path`` relative to the report, for a Markdown link."""
        import os

        return Path(os.path.relpath(Path(path).resolve(), self.folder.resolve())).as_posix()


@dataclass
class Section:
    """A titled part of the report and its verdicts for "Does the paper's claim reproduce?"."""

    title: str
    body: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    level: int = 2  # the Markdown heading level


def summary_of(runs: list[RunResult], key: str | Callable[[RunResult], float | None]) -> Summary:
    """The Summary over runs (seeds) of one saved number: a dotted key such as
    "metrics.test_error", or a function of the run."""
    return summarize(key(run) if callable(key) else run.value(key) for run in runs)


def fmt(summary: Summary, scale: float = 1.0, digits: int = 2) -> str:
    """"mean ± std" ("mean" alone for one seed, "not run" for none)."""
    if summary.mean is None:
        return NOT_RUN
    text = f"{scale * summary.mean:.{digits}f}"
    return text if summary.std is None else f"{text} ± {scale * summary.std:.{digits}f}"


def fmt_paper(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 1e-3 else f"{p:.3f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def fmt_beta(beta: float | None) -> str:
    """β as the paper writes it: 1e-3, 0.1, 1, 100."""
    if beta is None:
        return "—"
    if beta == 0 or 0.1 <= abs(beta) < 1000:
        return f"{beta:g}"
    mantissa, exponent = f"{beta:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def fmt_small(value: float | None) -> str:
    """A number that may span decades, with 2 significant digits: 2.1e-6, 0.034, 1.2, 340."""
    if value is None:
        return "—"
    if value == 0 or 1e-2 <= abs(value) < 1e3:
        return f"{value:.2g}" if abs(value) < 10 else f"{value:.0f}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def fmt_duration(seconds: float) -> str:
    """"2 h 05 min" or "4 min 10 s"."""
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"

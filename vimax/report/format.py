"""Markdown pieces of the report: numbers, tables, and the sentences stating a claim."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vimax.report.collect import RunResult
from vimax.report.stats import ALPHA, Comparison, Summary, summarize

__all__ = ["Section", "Context", "Claim", "fmt", "fmt_p", "fmt_paper", "fmt_beta", "markdown_table", "claim",
           "claims_table", "summary_of", "NOT_RUN"]

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


def summary_of(runs: list[RunResult], key: str) -> Summary:
    """The Summary over runs (seeds) of one saved number, e.g. "metrics.test_error"."""
    return summarize(run.value(key) for run in runs)


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


@dataclass
class Claim:
    """One of the paper's claims checked on our numbers: a verdict and the sentence saying it."""

    what: str
    sentence: str
    comparison: Comparison | None = None

    @property
    def verdict(self) -> str:
        return self.comparison.verdict if self.comparison is not None else "note"


VERDICTS = {"reproduces": "reproduces", "opposite": "does not reproduce (VIB significantly better)",
            "not significant": "not significant", "untestable": "cannot be tested yet (n < 2)",
            "not run": "not run yet"}


def summary_verdict(c: Comparison) -> str:
    """The verdict of the summary table, as the claim's sentence words it."""
    if c.verdict != "not significant":
        return VERDICTS[c.verdict]
    return ("not shown (VIM better on average, not significantly)" if c.vim_better
            else "does not reproduce (VIM not better on average)")


def _with_p(p: float | None) -> str:
    return "p < 0.001" if p is not None and p < 1e-3 else f"p = {fmt_p(p)}"


def claim(what: str, c: Comparison, vim_label: str, vib_label: str, scale: float = 1.0,
          digits: int = 2, unit: str = "") -> Claim:
    """One plain sentence: does VIM beat VIB on this metric, significantly?"""
    numbers = (f"{vim_label} {fmt(c.vim, scale, digits)}{unit} (n = {c.vim.n}) vs "
               f"{vib_label} {fmt(c.vib, scale, digits)}{unit} (n = {c.vib.n})")
    better = "higher" if c.higher_is_better else "lower"
    if c.verdict == "not run":
        text = f"**{what}: not run yet** — {numbers}."
    elif c.verdict == "untestable":
        side = "VIM is better" if c.vim_better else "VIM is not better"
        text = (f"**{what}: cannot be tested yet** — {numbers}; {side} on these runs, but Welch's t-test "
                "needs at least 2 seeds on each side, with some spread.")
    elif c.verdict == "reproduces":
        text = f"**{what}: reproduces** — {numbers} ({better} is better); Welch's {_with_p(c.p)} < {ALPHA}."
    elif c.verdict == "opposite":
        text = (f"**{what}: does not reproduce** — {numbers} ({better} is better); VIB is significantly "
                f"better (Welch's {_with_p(c.p)} < {ALPHA}).")
    elif c.vim_better:
        text = (f"**{what}: not shown** — {numbers} ({better} is better); VIM is better on average but "
                f"not significantly (Welch's {_with_p(c.p)} ≥ {ALPHA}).")
    else:
        text = (f"**{what}: does not reproduce** — {numbers} ({better} is better); VIM is not better on "
                f"average (Welch's {_with_p(c.p)}).")
    return Claim(what, text, c)


def claims_table(claims: list[Claim]) -> list[str]:
    """The summary: one row per tested claim."""
    rows = [[c.what, summary_verdict(c.comparison), fmt_p(c.comparison.p)]
            for c in claims if c.comparison is not None]
    return markdown_table(["claim (VIM vs VIB)", "verdict", "Welch p"], rows) if rows else []

"""The report's closing note: which of the paper's claims hold, are contradicted, or cannot be decided."""

from __future__ import annotations

from vimax.report.claims import DEFAULT_SIDES, Claim
from vimax.report.collect import RunResult
from vimax.report.format import Section
from vimax.report.paper_schedule import COMMAND, PREFIX, finished_runs, run_hours
from vimax.report.stats import ALPHA

__all__ = ["conclusion_section"]


def _names(claims: list[Claim]) -> str:
    return "; ".join(c.what.removeprefix(PREFIX) for c in claims) if claims else "none"


def _against(claims: list[Claim]) -> str:
    """Who beat the paper's side: "VIB", or "the other arm" when a claim compares other arms."""
    return "VIB" if all(c.sides == DEFAULT_SIDES for c in claims) else "VIB, or the other arm,"


def _schedule_lines(title: str, claims: list[Claim]) -> list[str]:
    tested = [c for c in claims if c.comparison is not None]
    if not tested:
        return [f"- **{title}:** no claim could be tested yet."]
    by = {word: [c for c in tested if c.verdict == word]
          for word in ("reproduces", "contradicted", "inconclusive", "untestable", "not run")}
    lines = [f"- **{title}** ({len(tested)} claims):",
             f"  - **hold** (reproduce): {_names(by['reproduces'])}.",
             f"  - **contradicted** ({_against(tested)} significantly better): "
             f"{_names(by['contradicted'])}.",
             f"  - **cannot be decided** with these seeds (inconclusive): {_names(by['inconclusive'])}."]
    leaning: dict[str, list[Claim]] = {}
    for ahead in (False, True):  # the paper's other arm (VIB) first
        for c in by["inconclusive"]:
            if c.comparison.vim_better == ahead and c.comparison.p < ALPHA:
                leaning.setdefault(c.sides[0 if ahead else 1], []).append(c)
    for side, items in leaning.items():
        lines.append(f"    - of these, {side} is ahead with Welch p < {ALPHA} before the correction on: "
                     f"{_names(items)}.")
    waiting = by["untestable"] + by["not run"]
    if waiting:
        lines.append(f"  - **not tested yet** (fewer than 2 seeds a side, or not run): {_names(waiting)}.")
    return lines


def conclusion_section(claims: list[Claim], profile: str, paper_runs: list[RunResult],
                       family: int) -> Section:
    """Plain words on every claim, per schedule, with the paper schedule's command and run time."""
    section = Section("Conclusion")
    short = [c for c in claims if not c.what.startswith(PREFIX)]
    long = [c for c in claims if c.what.startswith(PREFIX)]
    section.body += [
        f"Verdicts after Holm's correction over all {family} tested claims of this report (α = {ALPHA}); "
        "\"Cannot be decided\" means a corrected p at or above α: these seeds do not tell the two apart, "
        "which is not evidence that the claim is false (see each claim's detectable difference).", "",
        *_schedule_lines(f"Short schedule (profile `{profile}`)" if profile != "paper"
                         else "The paper's schedule (profile `paper`)", short)]
    if paper_runs:
        section.body += _schedule_lines("The paper's schedule (profile `paper`)", long)
        hours = run_hours(finished_runs(paper_runs))
        section.body.append(f"- **One paper-schedule run** takes {hours or '— (none has finished yet)'} of "
                            f"training on this machine; command: {COMMAND}.")
    else:
        section.body.append(f"- **The paper's schedule:** no run yet; command: {COMMAND}.")
    return section

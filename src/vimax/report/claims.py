"""The paper's claims checked on our numbers: their sentences, Holm's correction, the summary table.

A :class:`Claim` holds one VIM-against-VIB :class:`Comparison` (or a plain note). Its
verdict needs Holm's correction over every claim of the report, so sections build
claims first and :func:`apply_holm` sets their adjusted p-values before anything is
rendered. A claim may also compare two arms of one objective (e.g. VIM at σ = 2.5 against
VIM at σ = 0.5): its ``sides`` name them, the first being the arm the paper says is better
(arm a of the :class:`Comparison`), and its ``missing`` runs are listed with the command that
runs them while the claim waits for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from vimax.report.format import fmt, fmt_p, markdown_table
from vimax.report.stats import ALPHA, POWER, Comparison, holm, seeds_needed, verdict

__all__ = ["Claim", "claim", "note", "apply_holm", "claims_table", "verdict_words"]

WORDS = {"not run": "not run yet", "untestable": "cannot be tested yet (n < 2)"}
DEFAULT_SIDES = ("VIM", "VIB")


@dataclass
class Claim:
    """One claim: VIM against VIB on a metric, or a note (``comparison`` None, ``text`` its sentence).

    Attributes:
        scale, digits, unit: how values are shown (scale 100 and unit "%" for error rates).
        paper: the paper's VIM − VIB difference in the shown units, when it gives both numbers.
        adjusted_p: Holm's p over all claims of the report; set by :func:`apply_holm`.
        sides: short names of arm a (the paper's better one) and arm b, as in "a − b".
        missing: the ids of planned runs that have not finished yet; ``command`` runs them.
    """

    what: str
    comparison: Comparison | None = None
    vim_label: str = "VIM"
    vib_label: str = "VIB"
    scale: float = 1.0
    digits: int = 2
    unit: str = ""
    paper: float | None = None
    text: str = ""
    adjusted_p: float | None = None
    sides: tuple[str, str] = DEFAULT_SIDES
    missing: tuple[str, ...] = ()
    command: str = ""

    @property
    def verdict(self) -> str:
        """"reproduces", "contradicted", "inconclusive", "not run", "untestable" or "note"."""
        if self.comparison is None:
            return "note"
        if self.comparison.state != "tested":
            return self.comparison.state
        if self.adjusted_p is None:
            raise ValueError(f"claim {self.what!r}: Holm's correction has not been applied")
        return verdict(bool(self.comparison.vim_better), self.adjusted_p)

    def number(self, value: float | None, sign: bool = False) -> str:
        if value is None:
            return "—"
        return f"{self.scale * value:{'+' if sign else ''}.{self.digits}f}"

    @property
    def difference_label(self) -> str:
        """"VIM − VIB", or the claim's own "σ = 2.5 − σ = 0.5"."""
        return f"{self.sides[0]} − {self.sides[1]}"

    @property
    def waiting(self) -> bool:
        """Not tested, and planned runs are missing."""
        return bool(self.missing) and self.comparison is not None and self.comparison.state != "tested"

    @property
    def difference_unit(self) -> str:
        return " points" if self.unit == "%" else ""

    def interval(self) -> str:
        """"+0.11 [-0.04, +0.26]": VIM − VIB and its 95 % interval, in the shown units."""
        c = self.comparison
        if c is None or c.difference is None:
            return "—"
        text = self.number(c.difference, sign=True)
        if c.ci is None:
            return text
        return f"{text} [{self.number(c.ci[0], True)}, {self.number(c.ci[1], True)}]"

    @property
    def sentence(self) -> str:
        if self.comparison is None:
            return self.text
        c = self.comparison
        numbers = (f"{self.vim_label} {self._value(c.vim)} (n = {c.vim.n}) vs "
                   f"{self.vib_label} {self._value(c.vib)} (n = {c.vib.n})")
        if self.waiting:
            return self._waiting_sentence()
        if c.state == "not run":
            return f"**{self.what}: not run yet** — {numbers}."
        if c.state == "untestable":
            side = "VIM is better" if c.vim_better else "VIM is not better"
            return (f"**{self.what}: cannot be tested yet** — {numbers}; {side} on these runs, but Welch's "
                    "t-test needs at least 2 seeds on each side, with some spread.")
        return " ".join([f"**{self.what}: {self.verdict}** — {numbers}, "
                         f"{'higher' if c.higher_is_better else 'lower'} is better.",
                         self._difference(), self._tests(), self._power()]) + (
                             f" {self.missing_text()}" if self.missing else "")

    def _waiting_sentence(self) -> str:
        """A claim waiting for runs: what there is so far, the runs missing and how to run them."""
        c = self.comparison

        def arm(label: str, summary) -> str:
            if summary.n == 0:
                return f"{label} not run"
            count = "one seed" if summary.n == 1 else f"n = {summary.n}"
            return f"{label} {self._value(summary)} ({count})"

        numbers = f"{arm(self.vim_label, c.vim)} vs {arm(self.vib_label, c.vib)}"
        if c.vim_better is not None:
            ahead = self.sides[0] if c.vim_better else self.sides[1]
            numbers += f"; {ahead} is ahead on these runs, untested"
        return f"**{self.what}: {verdict_words(self)}** — {numbers}. {self.missing_text()}"

    def missing_text(self) -> str:
        """"Missing runs (2): `a`, `b`; run them with: `command`." ("" when none is missing)."""
        if not self.missing:
            return ""
        ids = ", ".join(f"`{run}`" for run in self.missing)
        text = f"Missing runs ({len(self.missing)}): {ids}"
        return text + (f"; run them with: `{self.command}`." if self.command else ".")

    def _value(self, summary) -> str:
        return fmt(summary, self.scale, self.digits) + (self.unit if summary.mean is not None else "")

    def _difference(self) -> str:
        c = self.comparison
        text = f"{self.difference_label} = {self.number(c.difference, True)}{self.difference_unit}"
        if c.ci is not None:
            text += f", 95 % CI [{self.number(c.ci[0], True)}, {self.number(c.ci[1], True)}]"
            if self.paper is not None:
                inside = c.ci[0] <= self.paper / self.scale <= c.ci[1]
                text += (f"; the paper's {self.paper:+.{self.digits}f} lies "
                         f"{'inside' if inside else 'outside'} it")
        return text + "."

    def _tests(self) -> str:
        c = self.comparison
        side = self.sides[0] if c.vim_better else self.sides[1]
        if self.verdict == "inconclusive":
            raw = " (significant before it)" if c.p < ALPHA else ""
            why = (f"{side} is better on average, not significantly after Holm's correction{raw}"
                   if c.difference != 0 else "a tie")
        else:
            why = f"{side} is significantly better after Holm's correction"
        return f"Welch p = {fmt_p(c.p)}, Holm p = {fmt_p(self.adjusted_p)}: {why}."

    def _power(self) -> str:
        c = self.comparison
        if c.detectable is None:
            return ""
        text = (f"The smallest difference these seeds detect with {POWER:.0%} power (two-sided α = {ALPHA}, "
                f"before correction): {self.number(c.detectable)}{self.difference_unit}")
        if self.paper is not None and abs(self.paper) < self.scale * c.detectable:
            needed = seeds_needed(c.vim, c.vib, self.paper / self.scale)
            if needed:
                gap = f"{abs(self.paper):.{self.digits}f}"
                text += f"; the paper's difference ({gap}) is smaller, and would take about {needed} " \
                        "seeds a side"
        return text + "."


def claim(what: str, c: Comparison, vim_label: str = "VIM", vib_label: str = "VIB", scale: float = 1.0,
          digits: int = 2, unit: str = "", paper: float | None = None, sides: tuple[str, str] = DEFAULT_SIDES,
          missing: tuple[str, ...] = (), command: str = "") -> Claim:
    """A claim "VIM beats VIB on this metric"; ``paper`` is the paper's VIM − VIB, in shown units.

    For a claim between other arms, ``c`` has the paper's better arm as its VIM side and
    ``sides`` names both; ``missing`` lists the planned runs not finished yet, ``command`` runs them.
    """
    return Claim(what, c, vim_label, vib_label, scale, digits, unit, paper, sides=sides,
                 missing=tuple(missing), command=command)


def note(what: str, text: str) -> Claim:
    """A finding that is not a test (e.g. which hyper-parameters won)."""
    return Claim(what, text=text)


def apply_holm(claims: list[Claim]) -> int:
    """Set each tested claim's Holm-adjusted p over all tested claims; return how many there are."""
    tested = [c for c in claims if c.comparison is not None and c.comparison.state == "tested"]
    for item, adjusted in zip(tested, holm([c.comparison.p for c in tested]), strict=True):
        item.adjusted_p = adjusted
    return len(tested)


def verdict_words(item: Claim) -> str:
    if item.waiting:
        return f"waiting for {len(item.missing)} run{'s' if len(item.missing) > 1 else ''}"
    return WORDS.get(item.verdict, item.verdict)


def claims_table(claims: list[Claim]) -> list[str]:
    """The summary: one row per claim with a comparison.

    A claim between other arms than VIM and VIB names its difference in its cell, and the
    header then says "VIM − VIB unless said".
    """
    rows = []
    for item in claims:
        if item.comparison is None:
            continue
        c = item.comparison
        paper = "—" if item.paper is None else f"{item.paper:+.{item.digits}f}"
        interval = item.interval()
        unit = item.difference_unit if interval != "—" else ""
        own = f" ({item.difference_label})" if item.sides != DEFAULT_SIDES and interval != "—" else ""
        rows.append([item.what, f"**{verdict_words(item)}**", interval + unit + own, paper,
                     fmt_p(c.p), fmt_p(item.adjusted_p), item.number(c.detectable)])
    others = any(item.sides != DEFAULT_SIDES for item in claims if item.comparison is not None)
    header = ["claim (VIM vs VIB)" + (", or as said" if others else ""), "verdict",
              "VIM − VIB [95 % CI]" + (" unless said" if others else ""), "paper's VIM − VIB", "Welch p",
              "Holm p", "detectable at 80 % power"]
    return markdown_table(header, rows) if rows else []

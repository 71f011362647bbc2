"""Years of growth per year from one learner's administrations of one assessment in one
subject and school year, one function per vendor, each from what that vendor reports
(docs/assessments-growth.md says exactly how, and why).

Every method returns a :class:`Growth`: the number (None when there is none to give),
the method in words, the reason when there is no number, and the inputs it used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["GE_CEILING", "IREADY_MIN_WEEKS", "IREADY_YEAR_WEEKS", "METHODS", "STAR_MIN_GP",
           "WINDOWS", "Administration", "Growth", "grade_equivalent", "i_ready", "ixl",
           "map_growth", "star"]

WINDOWS = ("fall", "winter", "spring", "summer")
IREADY_YEAR_WEEKS = 30
"""Weeks in the year i-Ready's annual typical growth is for (fall to spring diagnostic)."""
IREADY_MIN_WEEKS = 8
"""Fewer weeks between two diagnostics are too few to prorate a year's growth from."""
STAR_MIN_GP = 0.2
"""Grade placement advances 0.1 a school month; less than two months is too short."""
GE_CEILING = 13.0
"""Star's ``>12.9`` (the top of the scale): counted as 13.0, a lower bound."""

_NULLS = {"", "--", "n/a", "na", "null", "none", "-"}


@dataclass(frozen=True, slots=True)
class Administration:
    """One ``assessment_results`` row that counts for growth."""

    window: str
    administered_at: str
    scale_score: float | None = None
    grade_equivalent: str | None = None
    vendor_growth: Mapping[str, Any] = field(default_factory=dict)
    payload: Mapping[str, Any] = field(default_factory=dict)
    source_key: str = ""

    @property
    def day(self) -> date:
        return date.fromisoformat(self.administered_at[:10])

    def field(self, *names: str) -> Any:
        """The first of ``names`` the vendor reported (its growth fields, then the export
        row), matching names case-insensitively; None when absent or blank."""
        wanted = [n.lower() for n in names]
        for source in (self.vendor_growth, self.payload):
            folded = {str(k).strip().lower(): v for k, v in (source or {}).items()}
            for name in wanted:
                value = folded.get(name)
                if value is not None and str(value).strip().lower() not in _NULLS:
                    return value
        return None

    def number(self, *names: str) -> float | None:
        return _number(self.field(*names))


@dataclass(frozen=True, slots=True)
class Growth:
    years: float | None
    method: str
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    from_window: str | None = None
    to_window: str | None = None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "").rstrip("%")
    try:
        return float(text)
    except ValueError:
        return None


def _either(first: Administration, second: Administration, name: str) -> float | None:
    """``name`` from the first row that reports it (a zero counts as reported)."""
    found = first.number(name)
    return found if found is not None else second.number(name)


def _rounded(value: float) -> float:
    return round(value, 3)


def _by_window(tests: Sequence[Administration]) -> dict[str, Administration]:
    """The latest administration in each window (retests already marked not counting by the
    connector; if two still count, the later one is the learner's score for the window)."""
    found: dict[str, Administration] = {}
    for test in sorted(tests, key=lambda t: t.administered_at):
        found[test.window] = test
    return found


def _windows(tests: Sequence[Administration]) -> str:
    return ", ".join(f"{t.window} ({t.administered_at[:10]})"
                     for t in sorted(tests, key=lambda t: t.administered_at))


# --- NWEA MAP Growth --------------------------------------------------------------------

MAP_PAIRS = (("fall", "spring", "FallToSpring"), ("fall", "winter", "FallToWinter"),
             ("winter", "spring", "WinterToSpring"))
"""Term pairs in the order preferred: the whole year first."""


def map_growth(tests: Sequence[Administration]) -> Growth:
    """Observed growth over typical growth for the first term pair with both terms:
    NWEA's ``{Pair}ObservedGrowth`` (else the later RIT minus the earlier) over
    ``Typical{Pair}Growth`` (else, for a partial pair, the Fall-to-Spring typical growth
    prorated by weeks between the tests over 30)."""
    windows = _by_window(tests)
    problems: list[str] = []
    for first, last, pair in MAP_PAIRS:
        if first not in windows or last not in windows:
            continue
        a, b = windows[first], windows[last]
        detail: dict[str, Any] = {"pair": pair, "from_rit": a.scale_score,
                                  "to_rit": b.scale_score, "from_test": a.source_key,
                                  "to_test": b.source_key}
        observed = _either(b, a, f"{pair}ObservedGrowth")
        if observed is not None:
            detail["observed_source"] = f"{pair}ObservedGrowth"
        elif a.scale_score is not None and b.scale_score is not None:
            observed = b.scale_score - a.scale_score
            detail["observed_source"] = "TestRITScore difference"
        else:
            problems.append(f"{pair}: no {pair}ObservedGrowth and no RIT score in both terms")
            continue
        typical = _either(b, a, f"Typical{pair}Growth")
        detail["typical_source"] = f"Typical{pair}Growth"
        if typical is None and pair != "FallToSpring":
            year = _either(b, a, "TypicalFallToSpringGrowth")
            if year is not None:
                weeks = (b.day - a.day).days / 7
                share = min(weeks / IREADY_YEAR_WEEKS, 1.0)
                typical = year * share
                detail.update(typical_source="TypicalFallToSpringGrowth prorated",
                              typical_year=year, weeks=round(weeks, 1),
                              share_of_year=round(share, 3))
        if typical is None or typical <= 0:
            problems.append(f"{pair}: no positive Typical{pair}Growth (or "
                            f"TypicalFallToSpringGrowth to prorate) on either term's row")
            continue
        detail.update(observed=observed, typical=round(typical, 3))
        name = re.sub(r"(?<!^)(?=[A-Z])", "-", pair).lower()  # fall-to-spring
        return Growth(_rounded(observed / typical),
                      f"map-growth {name}: observed growth {observed:g} RIT / typical "
                      f"growth {typical:.3g} RIT", detail=detail,
                      from_window=first, to_window=last)
    if not problems:
        return Growth(None, "map-growth", _one_window_reason(tests, "fall and spring, fall "
                                                                    "and winter, or winter "
                                                                    "and spring"))
    return Growth(None, "map-growth", "; ".join(problems))


def _one_window_reason(tests: Sequence[Administration], pairs: str) -> str:
    return (f"tested only in {_windows(tests)}: growth needs a test in two terms "
            f"({pairs})")


# --- Curriculum Associates i-Ready -------------------------------------------------------

def i_ready(tests: Sequence[Administration]) -> Growth:
    """Diagnostic gain (latest minus baseline overall scale score; the reported
    ``Diagnostic Gain`` when a score is missing) over ``Annual Typical Growth Measure``,
    divided by the share of a year between the two diagnostics (weeks / 30, at most 1);
    fewer than 8 weeks apart: no growth."""
    ordered = sorted(tests, key=lambda t: t.administered_at)
    baseline = next((t for t in ordered if str(t.field("Baseline Diagnostic (Y/N)") or "")
                     .strip().upper().startswith("Y")), ordered[0] if ordered else None)
    if baseline is None:
        return Growth(None, "i-ready", "no diagnostic")
    later = [t for t in ordered if t.administered_at > baseline.administered_at]
    if not later:
        return Growth(None, "i-ready",
                      f"only the baseline diagnostic ({_windows([baseline])}): growth needs "
                      f"a later diagnostic in the same school year")
    latest = later[-1]
    detail: dict[str, Any] = {"baseline_score": baseline.scale_score,
                              "latest_score": latest.scale_score,
                              "baseline_date": baseline.administered_at[:10],
                              "latest_date": latest.administered_at[:10],
                              "reported_gain": latest.number("Diagnostic Gain")}
    if baseline.scale_score is not None and latest.scale_score is not None:
        gain = latest.scale_score - baseline.scale_score
        detail["gain_source"] = "Overall Scale Score difference"
    elif detail["reported_gain"] is not None:
        gain = detail["reported_gain"]
        detail["gain_source"] = "Diagnostic Gain"
    else:
        return Growth(None, "i-ready", "no Overall Scale Score on both diagnostics and no "
                                       "Diagnostic Gain on the latest", detail=detail)
    typical = _either(latest, baseline, "Annual Typical Growth Measure")
    if typical is None or typical <= 0:
        return Growth(None, "i-ready", "no positive Annual Typical Growth Measure on the "
                                       "baseline or latest diagnostic", detail=detail)
    weeks = (latest.day - baseline.day).days / 7
    detail.update(gain=gain, typical=typical, weeks=round(weeks, 1))
    if weeks < IREADY_MIN_WEEKS:
        return Growth(None, "i-ready",
                      f"the latest diagnostic is {weeks:.1f} weeks after the baseline: "
                      f"i-Ready growth needs at least {IREADY_MIN_WEEKS} weeks between them",
                      detail=detail, from_window=baseline.window, to_window=latest.window)
    share = min(weeks / IREADY_YEAR_WEEKS, 1.0)
    detail["share_of_year"] = round(share, 3)
    return Growth(_rounded(gain / typical / share),
                  f"i-ready: diagnostic gain {gain:g} / annual typical growth {typical:g} / "
                  f"{share:.2f} of a year ({weeks:.1f} weeks)", detail=detail,
                  from_window=baseline.window, to_window=latest.window)


# --- Renaissance Star --------------------------------------------------------------------

def grade_equivalent(value: str | None) -> tuple[float | None, bool]:
    """``(number, at_ceiling)`` for a Star grade equivalent: ``PP`` (pre-primer) is 0.0,
    ``>12.9`` is 13.0 (at the ceiling), ``K.5`` is 0.5."""
    text = (value or "").strip().upper()
    if text in ("PP", "P"):
        return 0.0, False
    if text.startswith(">"):
        return GE_CEILING, True
    if text.startswith("K"):
        text = "0" + text[1:]
    found = _number(text.lstrip("<"))
    return found, False


def star(tests: Sequence[Administration]) -> Growth:
    """Grade-equivalent change over grade-placement change between the first and the last
    administration of the school year."""
    ordered = sorted(tests, key=lambda t: t.administered_at)
    if len(ordered) < 2:
        return Growth(None, "star", f"tested only once ({_windows(ordered)}): growth needs "
                                    f"two tests in the school year")
    first, last = ordered[0], ordered[-1]
    ge_first, _ = grade_equivalent(first.grade_equivalent)
    ge_last, capped = grade_equivalent(last.grade_equivalent)
    gp_first = first.number("GradePlacement", "Grade Placement")
    gp_last = last.number("GradePlacement", "Grade Placement")
    detail: dict[str, Any] = {"from_ge": first.grade_equivalent, "to_ge": last.grade_equivalent,
                              "from_gp": gp_first, "to_gp": gp_last,
                              "from_date": first.administered_at[:10],
                              "to_date": last.administered_at[:10]}
    windows = {"from_window": first.window, "to_window": last.window}
    if ge_first is None or ge_last is None:
        return Growth(None, "star", "no readable GradeEquivalent on the first and last tests",
                      detail=detail, **windows)
    if gp_first is None or gp_last is None:
        return Growth(None, "star", "no GradePlacement on the first and last tests",
                      detail=detail, **windows)
    placement = gp_last - gp_first
    if placement < STAR_MIN_GP:
        return Growth(None, "star", f"grade placement moved {placement:.2f} between the tests: "
                                    f"growth needs at least {STAR_MIN_GP} (two school months)",
                      detail=detail, **windows)
    change = ge_last - ge_first
    detail.update(ge_change=round(change, 3), gp_change=round(placement, 3))
    if capped:
        detail["at_ceiling"] = True  # >12.9: the true change may be larger
    return Growth(_rounded(change / placement),
                  f"star: grade-equivalent change {change:.2f} / grade-placement change "
                  f"{placement:.2f}", detail=detail, **windows)


# --- IXL ---------------------------------------------------------------------------------

_IXL_SUBJECTS = {"math": ("math",), "reading": ("ela", "reading", "language arts"),
                 "language": ("ela", "language arts", "language"), "science": ("science",)}


def ixl(tests: Sequence[Administration], subject: str = "") -> Growth:
    """IXL's diagnostic growth (100 points = one grade level) on the latest export, / 100."""
    ordered = sorted(tests, key=lambda t: t.administered_at)
    if not ordered:
        return Growth(None, "ixl", "no diagnostic")
    latest = ordered[-1]
    names = [k for k in {**latest.payload, **latest.vendor_growth}
             if str(k).strip().lower().startswith("diagnostic growth")]
    wanted = _IXL_SUBJECTS.get(subject, ())
    matching = [n for n in names if any(w in n.lower() for w in wanted)] or (
        names if len(names) == 1 else [])
    growth = next((g for n in matching if (g := latest.number(n)) is not None), None)
    if growth is None:
        return Growth(None, "ixl", "no Diagnostic growth column for this subject on the "
                                   "latest export", from_window=latest.window,
                      to_window=latest.window)
    return Growth(_rounded(growth / 100), f"ixl: diagnostic growth {growth:g} / 100",
                  detail={"growth": growth, "date": latest.administered_at[:10]},
                  from_window=ordered[0].window, to_window=latest.window)


METHODS: dict[str, Callable[[Sequence[Administration], str], Growth]] = {
    "map-growth": lambda tests, _subject: map_growth(tests),
    "i-ready": lambda tests, _subject: i_ready(tests),
    "star": lambda tests, _subject: star(tests),
    "ixl": ixl,
}
"""Assessment name (``assessment_results.assessment``) -> its method."""

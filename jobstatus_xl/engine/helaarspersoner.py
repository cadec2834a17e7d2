"""Helårspersoner, antal forløb and fleksjob headcounts: vectorised, no Python loop per forløb.

Dates arrive as numpy datetime64 arrays (any unit); a missing end (NaT) means "still running".
All intervals are inclusive.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .periods import Period

Basis = Literal["kalenderdage", "hverdage"]
BASES: tuple[str, ...] = ("kalenderdage", "hverdage")
FULL_TIME_HOURS = 37.0
MAX_HOURS_PER_WEEK = 168   # a week has 168 hours: more is a typing error, whatever the basis


def _as_days(values) -> np.ndarray:
    """Days (datetime64[D]) of dates in any unit, exactly: no nanosecond step (which ends in 2262)."""
    a = np.asarray(values)
    if a.dtype == np.dtype("datetime64[D]"):
        return a          # already days: no second conversion when a caller converted once
    if a.dtype.kind == "M":
        return a.astype("datetime64[D]")
    return np.asarray(values, dtype="datetime64[D]")


def clipped(start, end, period: Period) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each forløb's part inside the period: (first day, last day, overlaps?)."""
    s = _as_days(start)
    e = _as_days(end)
    p0 = np.datetime64(period.start, "D")
    p1 = np.datetime64(period.end, "D")
    e = np.where(np.isnat(e), p1, e)  # still running: runs to the period's end
    first = np.maximum(s, p0)
    last = np.minimum(e, p1)
    overlaps = ~np.isnat(s) & (first <= last)
    return first, last, overlaps


def overlap_days(start, end, period: Period) -> np.ndarray:
    """Calendar days of each forløb inside the period (0 where it does not overlap)."""
    return _days(clipped(start, end, period))


def overlap_weekdays(start, end, period: Period) -> np.ndarray:
    """Monday–Friday days of each forløb inside the period (0 where it does not overlap)."""
    return _weekdays(clipped(start, end, period), period)


def _days(clip) -> np.ndarray:
    first, last, overlaps = clip
    return np.where(overlaps, (last - first).astype(np.int64) + 1, 0)


def _weekdays(clip, period: Period) -> np.ndarray:
    first, last, overlaps = clip
    first = np.where(overlaps, first, np.datetime64(period.start, "D"))
    last = np.where(overlaps, last, np.datetime64(period.start, "D"))
    return np.where(overlaps, np.busday_count(first, last + np.timedelta64(1, "D")), 0)


def person_years(start, end, period: Period, basis: Basis = "kalenderdage", hours=None) -> np.ndarray:
    """Each forløb's contribution to helårspersoner over the period.

    Calendar basis (default, reproduces the note): days inside / days in the period.
    Weekday basis (Danmarks Statistik's full-time persons): weekdays inside / weekdays in the
    period, times hours per week / 37 where hours are given (a blank hour figure counts as full time).
    """
    return shares(clipped(start, end, period), period, basis, hours)


def shares(clip, period: Period, basis: Basis = "kalenderdage", hours=None) -> np.ndarray:
    """`person_years` from an already computed `clipped(...)`, for callers that also need the overlaps."""
    share = days_counted(clip, period, basis) / days_in_period(period, basis)
    if basis == "hverdage" and hours is not None:
        h = np.asarray(hours, dtype=float)
        share = share * np.where(np.isnan(h), 1.0, h / FULL_TIME_HOURS)
    return share


def days_counted(clip, period: Period, basis: Basis = "kalenderdage") -> np.ndarray:
    """Whole days of each clipped forløb that count on the basis (calendar days or weekdays)."""
    days_in_period(period, basis)       # an unknown basis or a period without weekdays is refused here
    return _days(clip) if basis == "kalenderdage" else _weekdays(clip, period)


def days_in_period(period: Period, basis: Basis = "kalenderdage") -> int:
    """The denominator of a share: the period's calendar days, or its weekdays."""
    if basis == "kalenderdage":
        return period.days
    if basis == "hverdage":
        if period.weekdays == 0:
            raise ValueError(f"Perioden {period.label()} har ingen hverdage; brug grundlaget 'kalenderdage'.")
        return period.weekdays
    raise ValueError(f"Ukendt opgørelsesgrundlag {basis!r}: brug 'kalenderdage' eller 'hverdage'.")


def helaarspersoner(start, end, period: Period, basis: Basis = "kalenderdage", hours=None) -> float:
    """Helårspersoner of a set of forløb over the period: Σ (share of the period each covers)."""
    return float(person_years(start, end, period, basis, hours).sum())


def antal_forloeb(start, end, period: Period) -> int:
    """How many forløb overlap the period (the note's "Antal forløb")."""
    return int(clipped(start, end, period)[2].sum())


def employed_in(start, end, month: Period) -> np.ndarray:
    """Which employment spells overlap the reference month (fleksjob: employed in December)."""
    return clipped(start, end, month)[2]

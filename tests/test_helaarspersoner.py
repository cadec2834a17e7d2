"""Helårspersoner, antal forløb and fleksjob over periods: definitions from docs/domain.md."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from jobstatus_xl.engine.helaarspersoner import (antal_forloeb, employed_in, helaarspersoner, overlap_days,
                                                 overlap_weekdays, person_years)
from jobstatus_xl.engine.periods import Period

Y2024 = Period.year(2024)


def d(*dates):
    return pd.Series(pd.to_datetime(list(dates)))


def test_whole_leap_year_counts_exactly_one():
    assert Y2024.days == 366
    assert helaarspersoner(d("2024-01-01"), d("2024-12-31"), Y2024) == 1.0


def test_still_running_counts_to_period_end():
    assert helaarspersoner(d("2020-05-01"), d(None), Y2024) == 1.0
    assert helaarspersoner(d("2024-07-01"), d(None), Y2024) == 184 / 366


def test_dates_are_inclusive():
    assert overlap_days(d("2024-03-01"), d("2024-03-01"), Y2024).tolist() == [1]
    assert overlap_days(d("2023-12-31"), d("2024-01-01"), Y2024).tolist() == [1]
    assert overlap_days(d("2024-12-31"), d("2025-01-10"), Y2024).tolist() == [1]


def test_outside_the_period_counts_nothing():
    start, slut = d("2023-01-01", "2025-01-01"), d("2023-12-31", None)
    assert helaarspersoner(start, slut, Y2024) == 0.0
    assert antal_forloeb(start, slut, Y2024) == 0


def test_half_year_is_average_persons_over_the_months():
    h1 = Period.months(2024, 1, 6)
    assert h1.days == 182
    # one person all year = 1 person on average over Jan–Jun
    assert helaarspersoner(d("2024-01-01"), d("2024-12-31"), h1) == 1.0
    # one person in March only: 31 of 182 days
    assert helaarspersoner(d("2024-03-01"), d("2024-03-31"), h1) == 31 / 182


def test_non_leap_year():
    assert Period.year(2023).days == 365
    assert helaarspersoner(d("2023-01-01"), d("2023-07-02"), Period.year(2023)) == 183 / 365


def test_antal_forloeb_counts_overlaps():
    start = d("2023-06-01", "2024-02-01", "2024-12-31", "2025-01-01", "2022-01-01")
    slut = d("2024-01-01", None, None, None, "2023-12-31")
    assert antal_forloeb(start, slut, Y2024) == 3


def test_weekday_basis_counts_monday_to_friday():
    # 2024 has 262 weekdays; the week of Mon 2024-01-01 .. Sun 2024-01-07 has 5.
    assert Y2024.weekdays == 262
    assert overlap_weekdays(d("2024-01-01"), d("2024-01-07"), Y2024).tolist() == [5]
    assert helaarspersoner(d("2024-01-01"), d("2024-12-31"), Y2024, basis="hverdage") == 1.0
    # a Saturday–Sunday forløb has no weekdays
    assert helaarspersoner(d("2024-01-06"), d("2024-01-07"), Y2024, basis="hverdage") == 0.0


def test_weekend_only_period_has_no_weekday_basis():
    weekend = Period(dt.date(2024, 1, 6), dt.date(2024, 1, 7))
    with pytest.raises(ValueError, match="ingen hverdage"):
        helaarspersoner(d("2024-01-01"), d("2024-12-31"), weekend, basis="hverdage")


def test_weekday_basis_weighs_hours_over_37():
    full = helaarspersoner(d("2024-01-01"), d("2024-12-31"), Y2024, "hverdage", hours=[18.5])
    assert full == 0.5
    # blank hours count as full time
    assert helaarspersoner(d("2024-01-01"), d("2024-12-31"), Y2024, "hverdage", hours=[np.nan]) == 1.0
    # hours are ignored on the calendar basis (the note's convention)
    assert helaarspersoner(d("2024-01-01"), d("2024-12-31"), Y2024, hours=[18.5]) == 1.0


def test_unknown_basis_is_refused_in_danish():
    with pytest.raises(ValueError, match="opgørelsesgrundlag"):
        helaarspersoner(d("2024-01-01"), d("2024-12-31"), Y2024, basis="timer")


def test_employed_in_reference_month():
    dec = Y2024.last_month
    assert (dec.start, dec.end) == (dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    start = d("2020-01-01", "2024-12-31", "2024-01-01", "2025-01-01")
    slut = d(None, None, "2024-11-30", None)
    assert employed_in(start, slut, dec).tolist() == [True, True, False, False]


# ---- properties -------------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2027, 12, 31))


@st.composite
def registers(draw, max_size=40):
    n = draw(st.integers(0, max_size))
    starts = draw(st.lists(dates, min_size=n, max_size=n))
    lengths = draw(st.lists(st.one_of(st.none(), st.integers(0, 1500)), min_size=n, max_size=n))
    slut = [None if L is None else s + dt.timedelta(days=L) for s, L in zip(starts, lengths)]
    return pd.Series(pd.to_datetime(starts)), pd.Series(pd.to_datetime(slut))


@st.composite
def periods(draw):
    a = draw(st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2026, 12, 31)))
    return Period(a, a + dt.timedelta(days=draw(st.integers(0, 800))))


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(registers(), periods(), st.data())
def test_splitting_a_period_adds_up_to_the_whole(reg, period, data):
    start, slut = reg
    if period.days < 2:
        return
    cut = period.start + dt.timedelta(days=data.draw(st.integers(1, period.days - 1)))
    a, b = Period(period.start, cut - dt.timedelta(days=1)), Period(cut, period.end)
    whole_days = overlap_days(start, slut, period).sum()
    assert overlap_days(start, slut, a).sum() + overlap_days(start, slut, b).sum() == whole_days
    # in helårspersoner: parts weighted by their length give the whole
    h = helaarspersoner(start, slut, a) * a.days + helaarspersoner(start, slut, b) * b.days
    assert h == pytest.approx(helaarspersoner(start, slut, period) * period.days, rel=1e-12, abs=1e-9)
    wd = overlap_weekdays(start, slut, a).sum() + overlap_weekdays(start, slut, b).sum()
    assert wd == overlap_weekdays(start, slut, period).sum()


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(registers(), periods(), st.sampled_from(["kalenderdage", "hverdage"]), st.randoms(use_true_random=False))
def test_row_order_does_not_matter_and_never_negative(reg, period, basis, rnd):
    start, slut = reg
    if basis == "hverdage" and period.weekdays == 0:
        return  # refused, see test_weekend_only_period_has_no_weekday_basis
    shares = person_years(start, slut, period, basis)
    assert (shares >= 0).all() and (shares <= 1).all()
    order = list(range(len(start)))
    rnd.shuffle(order)
    h1 = helaarspersoner(start, slut, period, basis)
    h2 = helaarspersoner(start.iloc[order], slut.iloc[order], period, basis)
    assert h2 == pytest.approx(h1, rel=1e-12, abs=1e-12)
    assert antal_forloeb(start.iloc[order], slut.iloc[order], period) == antal_forloeb(start, slut, period)


@settings(max_examples=100, deadline=None)
@given(periods(), st.integers(0, 400), st.integers(0, 400))
def test_covering_the_whole_period_counts_exactly_one(period, before, after):
    start = pd.Series(pd.to_datetime([period.start - dt.timedelta(days=before)]))
    slut = pd.Series(pd.to_datetime([period.end + dt.timedelta(days=after)]))
    assert helaarspersoner(start, slut, period) == 1.0
    if period.weekdays:
        assert helaarspersoner(start, slut, period, "hverdage") == 1.0
    assert antal_forloeb(start, slut, period) == 1


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(registers(), periods())
def test_matches_a_plain_python_day_count(reg, period):
    """An independent, loop-based reading of the definition (inclusive dates, blank = running)."""
    start, slut = reg
    total = 0
    for s, e in zip(start, slut):
        s = s.date()
        e = period.end if pd.isna(e) else e.date()
        first, last = max(s, period.start), min(e, period.end)
        total += max(0, (last - first).days + 1)
    assert helaarspersoner(start, slut, period) == pytest.approx(total / period.days, rel=1e-12, abs=1e-12)

"""Year to date and year-end forecast (issue 13): properties on random registers, a worked example
computed by hand, the band's limits against tabled Poisson limits, and bad input as findings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jobstatus_xl.engine.findings import InputError
from jobstatus_xl.engine.pipeline import RawInput, Settings, Table, compute, demo_input
from jobstatus_xl.engine.prognose import CSV_COLUMNS, forecast, month_weights, poisson_interval
from jobstatus_xl.engine.status import SAMLET, SAMLET_MAAL

UNITS = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
SCHEMES = ["Virksomhedspraktik", "Løntilskud", "Småjob under det sociale frikort"]
D0 = dt.date(2023, 6, 1)


def raw_of(forloeb_rows, fleks_rows) -> RawInput:
    f = pd.DataFrame(forloeb_rows, columns=["id", "forvaltning", "ordning", "start", "slut", "timer_pr_uge"], dtype=object)
    g = pd.DataFrame(fleks_rows, columns=["id", "forvaltning", "start", "slut"], dtype=object)
    return RawInput(Table(f, "forloeb.csv"), Table(g, "fleksjob.csv"))


def _iso(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


@st.composite
def registers(draw):
    """Random forløb and fleksjob spells around 2024 (ids shared, so a person can have several)."""
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        start = D0 + dt.timedelta(days=draw(st.integers(0, 640)))
        length = draw(st.one_of(st.none(), st.integers(1, 500)))
        end = None if length is None else start + dt.timedelta(days=length - 1)
        hours = draw(st.sampled_from(["", "37", "20", "12,5"]))
        rows.append((f"DEMO-P{draw(st.integers(0, 15)):04d}", draw(st.sampled_from(UNITS)),
                     draw(st.sampled_from(SCHEMES)), _iso(start), _iso(end), hours))
    m = draw(st.integers(0, 20))
    fleks = []
    for i in range(m):
        start = D0 + dt.timedelta(days=draw(st.integers(-400, 640)))
        length = draw(st.one_of(st.none(), st.integers(1, 600)))
        end = None if length is None else start + dt.timedelta(days=length - 1)
        fleks.append((f"DEMO-F{draw(st.integers(0, 10)):04d}", draw(st.sampled_from(UNITS)), _iso(start), _iso(end)))
    return rows, fleks


PR = st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
BASIS = st.sampled_from(["kalenderdage", "hverdage"])
SETTINGS = dict(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _first_start(rows) -> dt.date:
    return min(dt.date.fromisoformat(r[3]) for r in rows)


def _status(raw, basis, **kw) -> pd.DataFrame:
    return compute(raw, Settings(2024, basis=basis, **kw)).tidy


def _eq(a, b, exact: bool) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if exact:
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True))


@pytest.mark.slow
@settings(**SETTINGS)
@given(registers(), BASIS)
def test_on_31_december_the_three_yearly_figures_are_the_status(reg, basis):
    # A register whose every forløb starts after the year has no forecast at all: a status date
    # before the first forløb is a finding (test_a_bad_status_date_is_a_danish_finding_on_the_setting)
    assume(_first_start(reg[0]) <= dt.date(2024, 12, 31))
    raw = raw_of(*reg)
    status = _status(raw, basis)
    t = forecast(raw, Settings(2024, basis=basis), dt.date(2024, 12, 31)).table
    assert list(t["enhed"]) == list(status["enhed"]) and list(t["linje"]) == list(status["linje"])
    for col in ("status_til_dato", "sikker_aarsstatus", "prognose_aarsstatus", "prognose_lav", "prognose_hoej"):
        assert _eq(t[col], status["status"], exact=True), col
    assert _eq(t["maaltal"], status["maaltal"], exact=True)
    assert _eq(t["prognose_maalopfyldelse"], status["maalopfyldelse"], exact=True)
    assert _eq(t["sikker_maalopfyldelse"], status["maalopfyldelse"], exact=True)


@pytest.mark.slow
@settings(**SETTINGS)
@given(registers(), PR, BASIS)
def test_sikker_is_the_status_without_the_later_starts_and_til_dato_is_status_to_pr(reg, pr, basis):
    rows, fleks = reg
    assume(pr >= _first_start(rows))
    raw = raw_of(rows, fleks)
    t = forecast(raw, Settings(2024, basis=basis), pr).table
    early = raw_of([r for r in rows if dt.date.fromisoformat(r[2 + 1]) <= pr],
                   [r for r in fleks if dt.date.fromisoformat(r[2]) <= pr])
    exact = basis == "kalenderdage"      # hours make shares fractions: summed in another order
    known = _status(early, basis)
    assert _eq(t["sikker_aarsstatus"], known["status"], exact)
    assert _eq(t["sikker_maalopfyldelse"], known["maalopfyldelse"], exact)
    assert _eq(t["status_til_dato"], _status(raw, basis, end=pr)["status"], exact)


@pytest.mark.slow
@settings(**SETTINGS)
@given(registers(), PR, BASIS)
def test_forecast_never_below_sikker_and_inside_its_band(reg, pr, basis):
    rows, fleks = reg
    assume(pr >= _first_start(rows))
    t = forecast(raw_of(rows, fleks), Settings(2024, basis=basis), pr).table
    t = t[t["linje"] != SAMLET_MAAL]
    tol = 1e-9
    assert (t["prognose_aarsstatus"] >= t["sikker_aarsstatus"] - tol).all()
    assert (t["prognose_lav"] >= t["sikker_aarsstatus"] - tol).all()
    assert (t["prognose_lav"] <= t["prognose_aarsstatus"] + tol).all()
    assert (t["prognose_aarsstatus"] <= t["prognose_hoej"] + tol).all()


@pytest.mark.slow
@settings(**SETTINGS)
@given(registers(), PR, BASIS)
def test_months_weighted_by_their_days_average_to_the_year(reg, pr, basis):
    rows, fleks = reg
    assume(pr >= _first_start(rows))
    fc = forecast(raw_of(rows, fleks), Settings(2024, basis=basis), pr)
    w = month_weights(2024, basis)
    year = fc.table.set_index(["enhed", "linje"])
    for (enhed, linje), m in fc.monthly.groupby(["enhed", "linje"], sort=False):
        assert list(m["maaned"]) == list(range(1, 13))
        y = year.loc[(enhed, linje)]
        if linje == "Fleksjob":   # a headcount: December's is the year's
            for col, ycol in (("sikker", "sikker_aarsstatus"), ("prognose", "prognose_aarsstatus"),
                              ("prognose_lav", "prognose_lav"), ("prognose_hoej", "prognose_hoej")):
                assert m[col].iloc[-1] == pytest.approx(y[ycol], rel=1e-12, abs=1e-12)
            continue
        for col, ycol in (("sikker", "sikker_aarsstatus"), ("prognose", "prognose_aarsstatus"),
                          ("prognose_lav", "prognose_lav"), ("prognose_hoej", "prognose_hoej")):
            assert float(np.dot(m[col], w)) == pytest.approx(y[ycol], rel=1e-9, abs=1e-12), (enhed, linje, col)
        # the months that have begun are the actual figures, the rest blank
        begun = np.array([dt.date(2024, k, 1) <= pr for k in range(1, 13)])
        assert m["faktisk"].notna().to_numpy().tolist() == begun.tolist()


# ---------------------------------------------------------------- the method, computed by hand

def test_worked_example_by_hand():
    # BIF Virksomhedspraktik: two starts in the 182 days to 30 June, of 10 days and open-ended
    rows = [("DEMO-P1", "BIF", "Virksomhedspraktik", "2024-01-01", "2024-01-10", ""),
            ("DEMO-P2", "BIF", "Virksomhedspraktik", "2024-03-01", "", "")]
    fc = forecast(raw_of(rows, []), Settings(2024), dt.date(2024, 6, 30))
    t = fc.table.set_index(["enhed", "linje"])
    sikker = (10 + 306) / 366
    # 184 days left; a start with R days left gives min(10, R) or R days; rate 2/182 a day
    per_day_sum = sum(min(10, r) for r in range(1, 185)) + sum(range(1, 185))
    expected = 2 / 182 * (per_day_sum / 2) / 366
    row = t.loc[("BIF", "Virksomhedspraktik")]
    assert row["status_til_dato"] == pytest.approx((10 + 122) / 182)
    assert row["sikker_aarsstatus"] == pytest.approx(sikker)
    assert row["prognose_aarsstatus"] == pytest.approx(sikker + expected)
    assert row["starter_til_dato"] == 2 and row["forventede_starter"] == pytest.approx(2 * 184 / 182)
    # the band scales the expected part by the Poisson limits of 2 starts (tabled 0.355, 6.296)
    assert row["prognose_lav"] == pytest.approx(sikker + expected * 0.35536 / 2, rel=1e-4)
    assert row["prognose_hoej"] == pytest.approx(sikker + expected * 6.29579 / 2, rel=1e-4)
    # a unit with no starts: no expected starts, but the high value allows for some
    other = t.loc[("BUF", "Virksomhedspraktik")]
    assert other["prognose_aarsstatus"] == other["sikker_aarsstatus"] == 0
    assert other["prognose_hoej"] > 0
    assert t.loc[("KK", SAMLET), "prognose_aarsstatus"] == pytest.approx(sikker + expected)


def test_fleksjob_counts_spells_known_at_pr_and_forecasts_new_ones():
    rows = [("DEMO-P1", "BIF", "Virksomhedspraktik", "2024-01-01", "", "")]
    fleks = [("DEMO-F1", "SOF", "2020-01-01", ""),              # employed in December: known
             ("DEMO-F2", "SOF", "2024-02-01", "2024-05-31"),    # ended: not in December
             ("DEMO-F3", "SOF", "2024-03-01", ""),              # started this year, open: counts, and sets the rate
             ("DEMO-F4", "SOF", "2024-09-01", "")]              # starts after pr: not known
    fc = forecast(raw_of(rows, fleks), Settings(2024), dt.date(2024, 6, 30))
    t = fc.table.set_index(["enhed", "linje"])
    sof = t.loc[("SOF", "Fleksjob")]
    assert sof["sikker_aarsstatus"] == 2
    assert sof["status_til_dato"] == 2          # employed in June: F1 and F3
    # rate 2 starts / 182 days; F2's 121 days reach December from a start on 3 August or later
    # (151 of the 184 days left), the open one from any day: expected = 2/182 × (151 + 184) / 2
    assert sof["prognose_aarsstatus"] == pytest.approx(2 + 2 / 182 * (151 + 184) / 2)
    m = fc.monthly[(fc.monthly["enhed"] == "SOF") & (fc.monthly["linje"] == "Fleksjob")]
    assert m["sikker"].tolist() == [1, 2, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2]


def test_poisson_limits_match_tabled_garwood_limits():
    low, high = poisson_interval([0, 1, 2, 10, 100])
    # 90 % exact limits (chi-square tables): n=0: 0–2.996, 1: 0.0513–4.744, 2: 0.355–6.296,
    # 10: 5.425–16.962, 100: 84.14–118.08
    assert low == pytest.approx([0, 0.05129, 0.3554, 5.4254, 84.14], rel=1e-3, abs=1e-6)
    assert high == pytest.approx([2.9957, 4.7439, 6.2958, 16.962, 118.08], rel=1e-3)


@pytest.mark.slow
def test_default_status_date_is_the_last_start_in_the_year():
    rows = [("DEMO-P1", "BIF", "Virksomhedspraktik", "2024-01-01", "2024-12-31", ""),
            ("DEMO-P2", "BIF", "Virksomhedspraktik", "2024-05-17", "2024-11-30", ""),
            ("DEMO-P3", "BIF", "Virksomhedspraktik", "2025-01-03", "", "")]
    fleks = [("DEMO-F1", "SOF", "2024-04-02", "")]
    assert forecast(raw_of(rows, fleks), Settings(2024)).status_date == dt.date(2024, 5, 17)
    assert forecast(raw_of(rows, [("DEMO-F1", "SOF", "2024-06-02", "")]), Settings(2024)).status_date == dt.date(2024, 6, 2)


def test_demo_forecast_at_year_end_reproduces_the_status(demo_result):
    fc = forecast(demo_input(), Settings(2024))
    assert demo_result.settings == Settings(2024)
    status = demo_result.tidy
    kk = fc.table[(fc.table["enhed"] == "KK") & (fc.table["linje"] == SAMLET)].iloc[0]
    assert fc.status_date == dt.date(2024, 12, 31)
    assert kk["prognose_aarsstatus"] == status.loc[(status["enhed"] == "KK") & (status["linje"] == SAMLET), "status"].iloc[0]
    assert set(CSV_COLUMNS) <= set(fc.table.columns)


# ---------------------------------------------------------------- bad input

ROWS = [("DEMO-P1", "BIF", "Virksomhedspraktik", "2024-03-01", "", "")]


@pytest.mark.parametrize("pr, words", [(dt.date(2023, 12, 31), "uden for opgørelsesåret 2024"),
                                       (dt.date(2025, 1, 1), "uden for opgørelsesåret 2024"),
                                       (dt.date(2024, 2, 1), "før registrets første forløb")])
def test_a_bad_status_date_is_a_danish_finding_on_the_setting(pr, words):
    with pytest.raises(InputError) as exc:
        forecast(raw_of(ROWS, []), Settings(2024), pr, source="Indstillinger", row=7, column="Værdi")
    (f,) = exc.value.errors
    assert words in f.besked and f.kilde == "Indstillinger" and f.raekke == 7 and f.kolonne == "Værdi"
    assert f"{pr:%d-%m-%Y}" in f.besked


def test_no_start_in_the_year_and_no_date_is_a_finding():
    with pytest.raises(InputError) as exc:
        forecast(raw_of([("DEMO-P1", "BIF", "Virksomhedspraktik", "2023-03-01", "", "")], []), Settings(2024))
    assert "ingen forløb, der starter i 2024" in exc.value.errors[0].besked


def test_register_errors_still_stop_the_forecast():
    rows = ROWS + [("DEMO-P2", "XYZ", "Virksomhedspraktik", "2024-03-01", "", "")]
    with pytest.raises(InputError) as exc:
        forecast(raw_of(rows, []), Settings(2024), dt.date(2024, 6, 30))
    assert any("Ukendt forvaltning" in f.besked for f in exc.value.errors)


def test_fleksjob_given_as_headcounts_is_blank_with_a_warning():
    raw = raw_of(ROWS, [])
    raw = RawInput(raw.forloeb, Table(pd.DataFrame({"forvaltning": ["BIF"], "antal": ["40"]}), "fleksjob.csv"))
    fc = forecast(raw, Settings(2024), dt.date(2024, 6, 30))
    fl = fc.table[fc.table["linje"] == "Fleksjob"]
    assert fl[["status_til_dato", "sikker_aarsstatus", "prognose_aarsstatus"]].isna().all().all()
    assert fc.table.loc[fc.table["linje"] == SAMLET_MAAL, "prognose_maalopfyldelse"].isna().all()
    assert any("antal ansatte" in f.besked for f in fc.findings)


def test_a_forloeb_starting_on_the_status_date_is_known_and_one_starting_the_day_after_is_not():
    rows = [("DEMO-P1", "BIF", "Virksomhedspraktik", "2024-01-01", "2024-01-10", ""),
            ("DEMO-P2", "BIF", "Virksomhedspraktik", "2024-06-30", "2024-07-09", ""),
            ("DEMO-P3", "BIF", "Virksomhedspraktik", "2024-07-01", "2024-07-10", "")]
    fleks = [("DEMO-F1", "SOF", "2024-06-30", ""), ("DEMO-F2", "SOF", "2024-07-01", "")]
    t = forecast(raw_of(rows, fleks), Settings(2024), dt.date(2024, 6, 30)).table.set_index(["enhed", "linje"])
    assert t.loc[("BIF", "Virksomhedspraktik"), "sikker_aarsstatus"] == pytest.approx(20 / 366)
    assert t.loc[("BIF", "Virksomhedspraktik"), "starter_til_dato"] == 2
    assert t.loc[("SOF", "Fleksjob"), "sikker_aarsstatus"] == 1


@pytest.mark.slow
def test_backtest_script_runs_and_the_actual_year_end_is_never_below_sikker():
    """benchmarks/backtest_prognose.py on one seeded register: the same register for the same seed,
    and at every status date the actual year-end status is at least the `sikker` figure."""
    from benchmarks.backtest_prognose import STATUS_DATES, backtest, markdown, seeded_register, summary
    a, b = seeded_register(7), seeded_register(7)
    assert a.forloeb.frame.equals(b.forloeb.frame) and a.fleksjob.frame.equals(b.fleksjob.frame)
    rows = backtest(a, "syntetisk")
    assert {r["pr"] for r in rows} == set(STATUS_DATES) and len(rows) == 3 * 8 * 2
    assert all(r["actual"] >= r["sikker"] - 1e-9 for r in rows)
    table = markdown(summary(rows))
    assert table.count("\n") == 1 + 6 and "| syntetisk | Samlet | 30-06 | 8 |" in table

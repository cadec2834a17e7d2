"""Reconciliation of printed status tables (engine/reconcile.py) and its front (checks.py).

Three layers:
- the interval arithmetic on small constructed tables, including the half-open boundaries;
- properties (hypothesis): tables printed by rounding any unrounded figures are never a fejl, and
  every interval a finding states contains the hidden value; a perturbed count always is a fejl;
- the published 2024 note (tests/data/reference/): exactly the findings derived by hand below,
  one test per finding, from CSV, from a workbook in the template layout and from the CLI.
"""

from __future__ import annotations

import json
import zipfile
from fractions import Fraction as Fr
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobstatus_xl import checks, xlsxguard
from jobstatus_xl.checks import load_published
from jobstatus_xl.engine.findings import InputError, looks_like_cpr
from jobstatus_xl.engine.reconcile import (AFRUNDING, FEJL, FIELDS, Interval, PublishedTable, SchemeRow,
                                           dansk_tal, reconcile, round_half_away, rounding_interval)
from jobstatus_xl.engine.rounding import excel_round
from jobstatus_xl.engine.tables import ROW_ANTAL, ROW_FLEKSJOB, ROW_SAMLET, columns, scheme_label, table_title
from jobstatus_xl.sheets import FIRST_ROW, result_grids, settings_grid

REF = Path(__file__).parent / "data" / "reference"
SCHEMES = ("Løntilskud", "Virksomhedspraktik", "Småjob under det sociale frikort")
UNITS = ("BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF")


def I(lo, hi, lo_closed=True, hi_closed=False) -> Interval:  # noqa: E743 - reads like the maths
    return Interval(Fr(lo), Fr(hi), lo_closed, hi_closed)


def keyed(result) -> dict[tuple[int, str, str], object]:
    out = {}
    for a in result.afvigelser:
        assert (a.aar, a.enhed, a.felt) not in out, f"two findings for {a.aar} {a.enhed} {a.felt}"
        out[(a.aar, a.enhed, a.felt)] = a
    return out


# ---------------------------------------------------------------- interval arithmetic

def test_a_printed_whole_number_stands_for_a_half_open_interval():
    assert rounding_interval(913, Fr(0)) == I(Fr(1825, 2), Fr(1827, 2))          # [912,5; 913,5)
    assert rounding_interval(0, Fr(0)) == I(0, Fr(1, 2))                          # non-negative: [0; 0,5)
    assert Fr(1827, 2) not in rounding_interval(913, Fr(0))                       # 913,5 prints as 914
    assert Fr(1825, 2) in rounding_interval(913, Fr(0))                           # 912,5 prints as 913
    # the slack for float noise widens both ends by 10⁻⁹ of the figure
    widened = rounding_interval(913, Fr(1, 10**9))
    assert widened.lo == Fr(1825, 2) - Fr(913, 10**9) and widened.hi == Fr(1827, 2) + Fr(913, 10**9)


def test_round_half_away_from_zero_like_excel():
    assert round_half_away(Fr(5, 2)) == 3 and round_half_away(Fr(-5, 2)) == -3
    assert round_half_away(Fr(1, 2)) == 1 and round_half_away(Fr(49999, 100000)) == 0
    for k in range(-400, 400):   # agrees with the engine's float rounding on every half
        assert round_half_away(Fr(k, 2)) == excel_round(k / 2)


def test_interval_sums_differences_and_intersections_keep_track_of_open_ends():
    a, b = I(1, 2), I(3, 4, hi_closed=True)
    assert a + b == I(4, 6)                      # [1;2) + [3;4] = [4;6)
    assert b - a == I(1, 3, lo_closed=False, hi_closed=True)   # [3;4] − [1;2) = (1;3]
    assert (I(1, 2) & I(2, 3)).empty             # [1;2) ∩ [2;3) = ∅
    assert not (I(1, 2, hi_closed=True) & I(2, 3)).empty       # [1;2] ∩ [2;3) = {2}
    assert (I(1, 2) & I(Fr(3, 2), 5)) == I(Fr(3, 2), 2)
    # equal ends: the intersection is closed only where both are
    assert (I(1, 3, hi_closed=True) & I(1, 3, lo_closed=False)) == I(1, 3, lo_closed=False)
    assert (I(1, 3, hi_closed=True) & I(1, 3)) == I(1, 3)
    assert Interval.point(7).scale(Fr(1, 7)) == Interval.point(1)
    assert (Interval.nonnegative() & I(-5, 3)) == I(0, 3)


def test_intervals_and_numbers_are_written_the_danish_way_and_rounded_outwards():
    assert I(Fr(707, 2), Fr(1771, 5)).dansk() == "[353,5; 354,2)"
    assert I(Fr(66, 1), Fr(3750, 56)).dansk() == "[66; 66,97]"     # 66,9642… shown as an upper bound
    assert I(Fr(3749, 56), 67).dansk() == "[66,94; 67)"             # 66,946… shown as a lower bound
    assert dansk_tal(3491) == "3.491" and dansk_tal(Fr(1084)) == "1.084" and dansk_tal(Fr(1, 3)) == "0,33"


# ---------------------------------------------------------------- constructed tables

def table(enhed="BIF", aar=2024, rows=((5, 24), (29, 233), (3, 7)), **figures) -> PublishedTable:
    schemes = tuple(SchemeRow(s, st_, n) for s, (st_, n) in zip(SCHEMES, rows))
    return PublishedTable(aar, enhed, schemes, **figures)


def only(result, felt: str):
    hits = [a for a in result.afvigelser if a.felt == felt]
    assert len(hits) == 1, [(a.felt, a.alvor) for a in result.afvigelser]
    return hits[0]


def test_a_total_further_from_its_rows_than_rounding_allows_is_a_fejl():
    # rows 4 + 4 stand for [7; 9); 10 stands for [9,5; 10,5): no values give both
    r = reconcile([table(rows=((4, None), (4, None)), samlet_status=10)])
    a = only(r, "Samlet status (sum af rækker)")
    assert (a.alvor, a.forventet, a.trykt) == (FEJL, 8, 10)
    assert "[7; 9)" in a.besked and "[9,5; 10,5)" in a.besked


def test_a_total_within_rounding_of_its_rows_is_afrunding_with_the_interval():
    # rows 4 + 5 stand for [8; 10); with 10 = [9,5; 10,5) the hidden total is in [9,5; 10)
    r = reconcile([table(rows=((4, None), (5, None)), samlet_status=10)])
    a = only(r, "Samlet status (sum af rækker)")
    assert (a.alvor, a.forventet, a.trykt) == (AFRUNDING, 9, 10)
    assert a.interval == I(Fr(19, 2), 10)
    assert "[9,5; 10)" in a.besked


def test_the_half_open_boundary_is_exact():
    # Three rows that print 4 are each at least 3,5, so their sum is at least 10,5 -- which prints
    # 11, never 10. Exactly impossible; only float noise (the default slack) could make it so.
    rows = ((4, None), (4, None), (4, None))
    exact = reconcile([table(rows=rows, samlet_status=10)], slack=Fr(0))
    assert only(exact, "Samlet status (sum af rækker)").alvor == FEJL
    noisy = reconcile([table(rows=rows, samlet_status=10)])
    assert only(noisy, "Samlet status (sum af rækker)").alvor == AFRUNDING
    # one step further is impossible even with float noise
    assert only(reconcile([table(rows=rows, samlet_status=9)]), "Samlet status (sum af rækker)").alvor == FEJL


def test_counts_must_add_up_exactly():
    assert reconcile([table(rows=((1, 1), (1, 2)), antal_forloeb_i_alt=3)]).afvigelser == []
    a = only(reconcile([table(rows=((1, 1), (1, 2)), antal_forloeb_i_alt=4)]), "Antal forløb i alt (sum af rækker)")
    assert (a.alvor, a.forventet, a.trykt) == (FEJL, 3, 4)
    assert "1 + 2 = 3" in a.besked


def test_a_percentage_is_checked_against_status_over_target():
    base = dict(rows=((37, None),), samlet_status=37, samlet_maaltal=56)
    assert reconcile([table(**base, maalopfyldelse_pct=66)]).afvigelser == []
    a = only(reconcile([table(**base, maalopfyldelse_pct=67)]), "Procentvis målopfyldelse")
    # 67 pct. needs a status of at least 0,665 × 56 = 37,24, which 37 ([36,5; 37,5)) allows
    assert (a.alvor, a.forventet, a.trykt) == (AFRUNDING, 66, 67)
    assert a.interval == I(Fr(133, 2), Fr(3750, 56))
    b = only(reconcile([table(**base, maalopfyldelse_pct=68)]), "Procentvis målopfyldelse")
    assert b.alvor == FEJL and b.forventet == 66


def test_fleksjob_percentage_is_exact_because_headcount_and_target_are_whole():
    ok = reconcile([table(rows=(), fleksjob_status=87, fleksjob_maaltal=47, fleksjob_pct=185)])
    assert ok.afvigelser == []
    bad = reconcile([table(rows=(), fleksjob_status=87, fleksjob_maaltal=47, fleksjob_pct=186)])
    a = only(bad, "Fleksjob, procentvis målopfyldelse")
    assert (a.alvor, a.forventet, a.trykt) == (FEJL, 185, 186)


def test_weighted_total_uses_the_tables_weights_and_propagates_both_attainments():
    # ØKF 2024: 55 % × 45/82 + 45 % × 84/70 = 84,18 pct., printed 85: possible only if the hidden
    # group attainment is at least (84,5 − 54) / 0,55 = 55,45 pct., i.e. status ≥ 45,47
    okf = table("ØKF", rows=((11, None), (31, None), (3, None)), samlet_status=45, samlet_maaltal=82,
                maalopfyldelse_pct=55, fleksjob_status=84, fleksjob_maaltal=70, fleksjob_pct=120,
                samlet_maalopfyldelse_pct=85, vaegt_gruppe=Fr(55), vaegt_fleksjob=Fr(45))
    a = only(reconcile([okf]), "Samlet målopfyldelse (vægtet)")
    assert (a.alvor, a.forventet, a.trykt) == (AFRUNDING, 84, 85)
    assert a.interval == I(Fr(169, 2), Fr(11, 20) * Fr(4550, 82) + 54)
    assert "[45,47; 45,5)" in a.besked
    # 86 would need a status of at least (85,5 − 54) / 0,55 × 0,82 = 46,96: not in [44,5; 45,5)
    b = only(reconcile([okf.__class__(**{**okf.__dict__, "samlet_maalopfyldelse_pct": 86})]),
             "Samlet målopfyldelse (vægtet)")
    assert b.alvor == FEJL


def test_weights_come_from_the_year_data_when_the_table_has_none():
    t = table(rows=(), samlet_status=37, samlet_maaltal=56, fleksjob_status=87, fleksjob_maaltal=47,
              samlet_maalopfyldelse_pct=121)    # 2024's 55/45 give 119,64 → 120
    a = only(reconcile([t]), "Samlet målopfyldelse (vægtet)")
    assert a.alvor == FEJL and a.forventet == 120
    assert "55 % og 45 %" in a.besked
    other = reconcile([t], weights=lambda year: (Fr(1), Fr(1)))   # 50/50: 0,5 × 66,07 + 0,5 × 185,11 = 125,6
    assert only(other, "Samlet målopfyldelse (vægtet)").forventet == 126
    none = reconcile([t], weights=lambda year: None)
    assert none.afvigelser == [] and any("ingen vægte" in n for n in none.noter)


def test_each_relation_alone_fits_but_not_all_together_is_a_fejl():
    # 10 = [9,5; 10,5); rows 4 + 5 = [8; 10) → hidden total in [9,5; 10).
    # 52 pct. of 20 needs a total in [10,3; 10,5), which 10 alone allows. Together: impossible.
    r = reconcile([table(rows=((4, None), (5, None)), samlet_status=10, samlet_maaltal=20, maalopfyldelse_pct=52)])
    by = {a.felt: a for a in r.afvigelser}
    assert by["Samlet status (sum af rækker)"].alvor == AFRUNDING
    assert by["Procentvis målopfyldelse"].alvor == AFRUNDING
    combined = [a for a in r.afvigelser if a.felt.endswith("(alle betingelser)")]
    assert len(combined) == 1 and combined[0].alvor == FEJL and combined[0].enhed == "BIF"
    assert "ikke alle på én gang" in combined[0].besked


def test_kk_is_checked_against_the_sum_of_the_forvaltninger():
    a1 = table("A1", rows=((5, 10), (6, 20)), samlet_status=11, samlet_maaltal=20, fleksjob_status=3, fleksjob_maaltal=4,
               antal_forloeb_i_alt=30)
    a2 = table("A2", rows=((5, 1), (6, 2)), samlet_status=11, samlet_maaltal=30, fleksjob_status=4, fleksjob_maaltal=5,
               antal_forloeb_i_alt=3)
    kk = table("KK", rows=((10, 11), (12, 22)), samlet_status=22, samlet_maaltal=50, fleksjob_status=7,
               fleksjob_maaltal=9, antal_forloeb_i_alt=33)
    assert reconcile([kk, a1, a2], forvaltninger=["A1", "A2"]).afvigelser == []
    wrong = PublishedTable(**{**kk.__dict__, "rows": (SchemeRow(SCHEMES[0], 10, 11), SchemeRow(SCHEMES[1], 11, 21)),
                              "samlet_status": 21, "fleksjob_maaltal": 10, "antal_forloeb_i_alt": 32})
    r = keyed(reconcile([wrong, a1, a2], forvaltninger=["A1", "A2"]))
    v = r[(2024, "KK", f"Status, {SCHEMES[1]} (sum af forvaltninger)")]
    # 6 + 6 stands for [11; 13), KK's 11 for [10,5; 11,5): the hidden KK value is in [11; 11,5)
    assert (v.alvor, v.forventet, v.trykt, v.interval) == (AFRUNDING, 12, 11, I(11, Fr(23, 2)))
    assert r[(2024, "KK", f"Antal forløb, {SCHEMES[1]} (sum af forvaltninger)")].alvor == FEJL     # 21 vs 20 + 2
    assert r[(2024, "KK", "Fleksjob, måltal (sum af forvaltninger)")].alvor == FEJL                # 10 vs 4 + 5
    assert r[(2024, "KK", "Samlet status (sum af forvaltninger)")].alvor == AFRUNDING             # 21 vs 11 + 11
    assert r[(2024, "KK", "Antal forløb i alt (sum af forvaltninger)")].alvor == FEJL             # 32 vs 30 + 3
    assert len(r) == 5


def test_kk_is_not_checked_against_an_incomplete_set_of_forvaltninger():
    a1 = table("A1", samlet_status=37)
    kk = table("KK", samlet_status=99)
    r = reconcile([kk, a1], forvaltninger=["A1", "A2"])
    assert not any("forvaltninger" in a.felt for a in r.afvigelser)
    assert any("A2" in n for n in r.noter)


def test_a_zero_target_with_a_printed_percentage_is_a_fejl():
    r = reconcile([table(rows=(), samlet_status=3, samlet_maaltal=0, maalopfyldelse_pct=50)])
    assert only(r, "Procentvis målopfyldelse").alvor == FEJL


# ---------------------------------------------------------------- properties

half_or_fraction = st.one_of(st.integers(0, 1200).map(lambda k: Fr(k, 2)),          # exact halves: the edges
                             st.fractions(0, 600, max_denominator=997))


@st.composite
def hidden_year(draw):
    """Unrounded figures for seven forvaltninger (KK is their sum), with the year's weights."""
    n_schemes = draw(st.integers(1, 4))
    schemes = [f"Ordning {i}" for i in range(n_schemes)]
    units = {}
    for u in UNITS:
        units[u] = dict(status=[draw(half_or_fraction) for _ in schemes],
                        antal=[draw(st.integers(0, 3000)) for _ in schemes],
                        target=draw(st.integers(1, 2000)), fleks=draw(st.integers(0, 1500)),
                        fleks_target=draw(st.integers(1, 1500)))
    weights = draw(st.sampled_from([(Fr(55), Fr(45)), (Fr(57), Fr(43)), (Fr(1), Fr(3)), (Fr(1), Fr(0))]))
    return schemes, units, weights


def hidden_values(schemes, units, weights):
    """(enhed, felt) -> the hidden unrounded value behind that figure, and the year's tables."""
    wg, wf = weights[0] / sum(weights), weights[1] / sum(weights)
    kk = dict(status=[sum(units[u]["status"][i] for u in UNITS) for i in range(len(schemes))],
              antal=[sum(units[u]["antal"][i] for u in UNITS) for i in range(len(schemes))],
              target=sum(units[u]["target"] for u in UNITS), fleks=sum(units[u]["fleks"] for u in UNITS),
              fleks_target=sum(units[u]["fleks_target"] for u in UNITS))
    hidden, tables = {}, []
    for enhed, h in [("KK", kk)] + list(units.items()):
        s = sum(h["status"])
        a = 100 * s / h["target"]
        b = Fr(100 * h["fleks"], h["fleks_target"])
        w = wg * a + wf * b
        tag = " (sum af forvaltninger)" if enhed == "KK" else ""
        hidden[(enhed, "Samlet status (sum af rækker)")] = s
        hidden[(enhed, "Procentvis målopfyldelse")] = a
        hidden[(enhed, "Fleksjob, procentvis målopfyldelse")] = b
        hidden[(enhed, "Samlet målopfyldelse (vægtet)")] = w
        if enhed == "KK":
            hidden[(enhed, "Samlet status (sum af forvaltninger)")] = s
            for name, x in zip(schemes, h["status"]):
                hidden[(enhed, f"Status, {name}{tag}")] = x
        tables.append(PublishedTable(
            2024, enhed, tuple(SchemeRow(name, round_half_away(x), n) for name, x, n in zip(schemes, h["status"], h["antal"])),
            samlet_status=round_half_away(s), samlet_maaltal=h["target"], maalopfyldelse_pct=round_half_away(a),
            antal_forloeb_i_alt=sum(h["antal"]), fleksjob_status=h["fleks"], fleksjob_maaltal=h["fleks_target"],
            fleksjob_pct=round_half_away(b), samlet_maalopfyldelse_pct=round_half_away(w),
            vaegt_gruppe=weights[0], vaegt_fleksjob=weights[1]))
    return hidden, tables


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@PROPERTY
@given(hidden_year())
def test_tables_printed_by_rounding_true_figures_are_never_a_fejl(year):
    hidden, tables = hidden_values(*year)
    result = reconcile(tables)
    assert result.fejl == [], [a.besked for a in result.fejl]


@pytest.mark.slow
@PROPERTY
@given(hidden_year())
def test_every_stated_interval_holds_the_hidden_value(year):
    hidden, tables = hidden_values(*year)
    for a in reconcile(tables).afrunding:
        assert a.interval is not None
        assert hidden[(a.enhed, a.felt)] in a.interval, (a.enhed, a.felt, a.interval.dansk(6), float(hidden[(a.enhed, a.felt)]))


@pytest.mark.slow
@PROPERTY
@given(hidden_year(), st.data())
def test_a_perturbed_count_is_always_a_fejl(year, data):
    schemes, units, weights = year
    hidden, tables = hidden_values(schemes, units, weights)
    i = data.draw(st.integers(1, len(tables) - 1), label="forvaltning")           # not KK
    j = data.draw(st.integers(0, len(schemes) - 1), label="ordning")
    row = tables[i].rows[j]
    delta = data.draw(st.integers(-row.antal_forloeb, 50).filter(lambda d: d != 0), label="delta")
    rows = list(tables[i].rows)
    rows[j] = SchemeRow(row.ordning, row.status, row.antal_forloeb + delta)
    tables[i] = PublishedTable(**{**tables[i].__dict__, "rows": tuple(rows)})
    found = keyed(reconcile(tables))
    enhed = tables[i].enhed
    assert found[(2024, enhed, "Antal forløb i alt (sum af rækker)")].alvor == FEJL
    assert found[(2024, "KK", f"Antal forløb, {row.ordning} (sum af forvaltninger)")].alvor == FEJL


@pytest.mark.slow
@PROPERTY
@given(st.lists(st.floats(0, 500, allow_nan=False), min_size=7, max_size=7),
       st.lists(st.floats(0, 500, allow_nan=False), min_size=7, max_size=7),
       st.lists(st.integers(1, 900), min_size=7, max_size=7))
def test_float_figures_rounded_by_the_engine_are_never_a_fejl(a, b, targets):
    """The slack absorbs float noise: figures computed in floats and rounded with the engine's
    excel_round (as the note's spreadsheet did) never read as impossible."""
    tables, kk_rows = [], [0.0, 0.0]
    for u, x, y, t in zip(UNITS, a, b, targets):
        s = x + y
        att = 100.0 * s / t
        w = 0.55 * att + 0.45 * (100.0 * 7 / 9)
        kk_rows = [kk_rows[0] + x, kk_rows[1] + y]
        tables.append(PublishedTable(2024, u, (SchemeRow("L", int(excel_round(x))), SchemeRow("V", int(excel_round(y)))),
                                     samlet_status=int(excel_round(s)), samlet_maaltal=t,
                                     maalopfyldelse_pct=int(excel_round(att)), fleksjob_status=7, fleksjob_maaltal=9,
                                     samlet_maalopfyldelse_pct=int(excel_round(w))))
    s = kk_rows[0] + kk_rows[1]
    kk = PublishedTable(2024, "KK", (SchemeRow("L", int(excel_round(kk_rows[0]))), SchemeRow("V", int(excel_round(kk_rows[1])))),
                        samlet_status=int(excel_round(s)), samlet_maaltal=sum(targets),
                        maalopfyldelse_pct=int(excel_round(100.0 * s / sum(targets))))
    assert reconcile([kk] + tables).fejl == []


# ---------------------------------------------------------------- the published 2024 note

# Derived by hand from tests/data/reference (see PROVENANCE.md); intervals are where the hidden
# unrounded value must lie once every printed figure of the year is taken into account.
EXPECTED = {
    # counts and targets are whole numbers and must add up exactly
    (2024, "ØKF", "Antal forløb i alt (sum af rækker)"): (FEJL, 253, 174, None),          # 51 + 198 + 4
    (2024, "KK", "Antal forløb i alt (sum af forvaltninger)"): (FEJL, 3412, 3491, None),   # ØKF's 174 again
    (2024, "KK", "Fleksjob, måltal (sum af forvaltninger)"): (FEJL, 899, 900, None),       # 47 + 376 + … + 70
    (2023, "KK", "Antal forløb i alt (sum af rækker)"): (FEJL, 2894, 3195, None),          # 289 + 2.278 + 22 + 305
    # rounding: 94 + 611 + 209 = 914 = [912,5; 915,5) meets 913 = [912,5; 913,5)
    (2024, "KK", "Samlet status (sum af rækker)"): (AFRUNDING, 914, 913, I(Fr(1825, 2), Fr(1827, 2))),
    # 67 pct. of 56 needs a status ≥ 37,24, inside 37 = [36,5; 37,5): attainment in [66,5; 100 × 37,5/56)
    (2024, "BIF", "Procentvis målopfyldelse"): (AFRUNDING, 66, 67, I(Fr(133, 2), Fr(3750, 56))),
    # 41 pct. of 457 needs a status ≥ 185,085, inside 185: attainment in [40,5; 100 × 185,5/457)
    (2024, "BUF", "Procentvis målopfyldelse"): (AFRUNDING, 40, 41, I(Fr(81, 2), Fr(18550, 457))),
    # 20 + 153 + 182 = 355 = [353,5; 356,5) meets 354 = [353,5; 354,5); 192 pct. of 184 cuts it at
    # 1,925 × 184 = 354,2
    (2024, "SOF", "Samlet status (sum af rækker)"): (AFRUNDING, 355, 354, I(Fr(707, 2), Fr(1771, 5))),
    # 0,55 × 54,88 + 0,45 × 120 = 84,18; 85 needs [84,5; …) and status ≤ 45,5 caps it at
    # 0,55 × 100 × 45,5/82 + 54 = 84,518…
    (2024, "ØKF", "Samlet målopfyldelse (vægtet)"): (AFRUNDING, 84, 85, I(Fr(169, 2), Fr(11, 20) * Fr(4550, 82) + 54)),
    # KK against the seven forvaltninger: sums of seven rounded figures (± 3,5) meet KK's own interval
    (2024, "KK", "Status, Løntilskud (sum af forvaltninger)"): (AFRUNDING, 93, 94, I(Fr(187, 2), Fr(189, 2))),
    (2024, "KK", "Status, Virksomhedspraktik (sum af forvaltninger)"): (AFRUNDING, 610, 611, I(Fr(1221, 2), Fr(1223, 2))),
    (2024, "KK", "Status, Småjob under det sociale frikort (sum af forvaltninger)"):
        (AFRUNDING, 210, 209, I(Fr(417, 2), Fr(419, 2))),
    (2024, "KK", "Samlet status (sum af forvaltninger)"): (AFRUNDING, 912, 913, I(Fr(1825, 2), Fr(1827, 2))),
}


@pytest.fixture(scope="module")
def published():
    return reconcile(load_published(REF))


@pytest.mark.parametrize("key", list(EXPECTED), ids=[" ".join(map(str, k)) for k in EXPECTED])
def test_the_2024_note_has_this_finding(published, key):
    alvor, forventet, trykt, interval = EXPECTED[key]
    found = keyed(published)
    assert key in found, f"missing: {key}"
    a = found[key]
    assert (a.alvor, a.forventet, a.trykt) == (alvor, forventet, trykt)
    if interval is not None:
        assert a.interval == interval, a.interval.dansk(6)


def test_the_2024_note_has_no_other_findings(published):
    assert set(keyed(published)) == set(EXPECTED)
    assert published.noter == ["2023: kun KK's tabel er trykt, så KK kan ikke afstemmes mod forvaltningerne."]


def test_the_demo_registers_unrounded_figures_lie_in_every_stated_interval(published, demo_result):
    """The bundled register reproduces the note's figures: it is a witness that must lie inside each
    interval (an interval too narrow would exclude it)."""
    result = demo_result
    tidy = result.tidy.set_index(["enhed", "linje"])

    def hidden(enhed, felt):
        if felt.startswith("Samlet status"):
            return tidy.loc[(enhed, "Samlet"), "status"]
        if felt == "Procentvis målopfyldelse":
            return 100 * tidy.loc[(enhed, "Samlet"), "maalopfyldelse"]
        if felt == "Samlet målopfyldelse (vægtet)":
            return 100 * tidy.loc[(enhed, "Samlet målopfyldelse"), "maalopfyldelse"]
        return tidy.loc[(enhed, felt.split(", ", 1)[1].removesuffix(" (sum af forvaltninger)")), "status"]

    checked = 0
    for a in published.afrunding:
        assert Fr(float(hidden(a.enhed, a.felt))) in a.interval, (a.enhed, a.felt)
        checked += 1
    assert checked == 9


def test_the_messages_explain_in_danish(published):
    found = keyed(published)
    okf = found[(2024, "ØKF", "Antal forløb i alt (sum af rækker)")].besked
    assert "51 + 198 + 4 = 253" in okf and "174" in okf
    sof = found[(2024, "SOF", "Samlet status (sum af rækker)")].besked
    assert "20 + 153 + 182 = 355" in sof and "afrunding" in sof and "[353,5; 354,2)" in sof


# ---------------------------------------------------------------- workbooks in the template layout

def write_workbook(path: Path, grids) -> Path:
    """Cells as typed or as Excel last calculated them (formulas replaced by their values, which is
    what a workbook opened with data_only shows)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for grid in grids:
        ws = wb.create_sheet(grid.name)
        for r, row in enumerate(grid.cells):
            for c, v in enumerate(row):
                if isinstance(v, str) and v.startswith("="):
                    v = grid.computed.get((r, c))
                if v is not None:
                    ws.cell(r + 1, c + 1, v)
    wb.save(path)
    return path


def typed_grid(number: int, t: PublishedTable):
    """A status sheet with a published table typed in, as a finance officer would."""
    cells = [[table_title(number, t.enhed, t.aar)], [None], [None], [t.enhed] + columns(t.aar) + ["Vægt"]]
    for i, row in enumerate(t.rows):
        first = i == 0
        cells.append([scheme_label(row.ordning), row.status, t.samlet_status if first else None,
                      t.samlet_maaltal if first else None, t.maalopfyldelse_pct if first else None,
                      row.antal_forloeb, float(t.vaegt_gruppe) if first else None])
    cells.append([ROW_ANTAL, None, None, None, None, t.antal_forloeb_i_alt, None])
    cells.append([ROW_FLEKSJOB, t.fleksjob_status, None, t.fleksjob_maaltal, f"{t.fleksjob_pct} pct.", None,
                  float(t.vaegt_fleksjob)])
    cells.append([ROW_SAMLET, None, None, None, t.samlet_maalopfyldelse_pct, None, None])
    return SimpleNamespace(name=f"Tabel {number}", cells=cells, computed={})


def test_a_workbook_with_the_note_typed_in_gives_the_same_findings(tmp_path):
    tables = load_published(REF)
    number = {("KK", 2024): 1, ("KK", 2023): 2, **{(u, 2024): 3 + i for i, u in enumerate(UNITS)}}
    grids = [typed_grid(number[(t.enhed, t.aar)], t) for t in tables]
    path = write_workbook(tmp_path / "noten.xlsx", grids)
    from_book = reconcile(load_published(path))
    assert [a.as_dict() for a in from_book.afvigelser] == [a.as_dict() for a in reconcile(tables).afvigelser]


def test_a_refreshed_workbook_reconciles_without_fejl(tmp_path, demo_result):
    """The engine's own tables (unrounded values shown rounded) are consistent by construction."""
    result = demo_result
    path = write_workbook(tmp_path / "opdateret.xlsm", [settings_grid(result.settings)] + result_grids(result))
    tables = load_published(path)
    assert [(t.aar, t.enhed) for t in tables] == [(2024, "KK"), (2023, "KK")] + [(2024, u) for u in UNITS]
    kk = tables[0]
    assert (kk.samlet_status, kk.fleksjob_maaltal, kk.antal_forloeb_i_alt, kk.samlet_maalopfyldelse_pct) == (913, 899, 3491, 97)
    assert kk.rows[0] == SchemeRow("Løntilskud", 94, 267)        # 93,69 shown as 94
    found = reconcile(tables)
    assert found.fejl == []
    assert {(a.enhed, a.felt) for a in found.afrunding} >= {("KK", "Status, Løntilskud (sum af forvaltninger)")}


def test_the_workbook_is_streamed_with_cached_values_by_the_shared_reader(tmp_path, monkeypatch, demo_result):
    # The formula cells (totals, attainment) must count with the values Excel computed, read by the
    # one workbook reader `status` and `refresh` use -- never by loading the whole workbook.
    from jobstatus_xl.xlsx import reader
    result = demo_result
    path = write_workbook(tmp_path / "opdateret.xlsx", result_grids(result))
    streamed = []
    real = reader.SheetReader.rows

    def spy(self, sheet, max_col=None):
        streamed.append(sheet)
        return real(self, sheet, max_col)

    def no_full_load(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook called")
    monkeypatch.setattr(reader.SheetReader, "rows", spy)
    monkeypatch.setattr(openpyxl, "load_workbook", no_full_load)
    tables = load_published(path)
    assert "Tabel 1" in streamed and len(tables) >= 9


def test_a_workbook_cell_that_is_not_a_number_is_named(tmp_path):
    t = load_published(REF)[0]
    grid = typed_grid(1, t)
    grid.cells[FIRST_ROW][1] = "ca. 600"          # row 6, column B
    path = write_workbook(tmp_path / "noten.xlsx", [grid])
    with pytest.raises(InputError) as exc:
        load_published(path)
    f = exc.value.findings[0]
    assert (f.kilde, f.raekke, f.kolonne) == ("Tabel 1", FIRST_ROW + 1, "B (Status)")
    assert "'ca. 600' er ikke et tal" in f.besked


def test_a_workbook_without_figures_says_so(tmp_path):
    grid = SimpleNamespace(name="Tabel 1", cells=[["Tabel 1: ... for 2024"], [None], [None], ["KK", "Status"]], computed={})
    with pytest.raises(InputError, match="ingen tal i statusarkene"):
        load_published(write_workbook(tmp_path / "tom.xlsx", [grid]))


# ---------------------------------------------------------------- hostile and broken input

def test_a_file_that_is_not_a_workbook_is_refused_clearly(tmp_path):
    path = tmp_path / "noten.xlsx"
    path.write_bytes(b"not a zip file at all")
    with pytest.raises(InputError, match="ikke en Excel-projektmappe"):
        load_published(path)


def test_a_zip_with_too_many_parts_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsxguard, "MAX_ZIP_ENTRIES", 50)
    path = tmp_path / "mange.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(51):
            zf.writestr(f"xl/media/{i}.bin", b"x")
    with pytest.raises(InputError, match="51 dele"):
        load_published(path)


def test_a_zip_bomb_is_refused_from_its_declared_size_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsxguard, "MAX_PART_BYTES", 2**20)
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", b"\0" * (8 * 2**20))    # 8 MB of zeros, ~8 kB compressed
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match="sharedStrings.xml"):
        load_published(path)


def test_the_total_uncompressed_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsxguard, "MAX_UNCOMPRESSED_BYTES", 2**20)
    path = tmp_path / "stor.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 2**20))
    with pytest.raises(InputError, match="udpakket"):
        load_published(path)


def test_an_oversized_status_sheet_is_refused(tmp_path, monkeypatch, demo_result):
    result = demo_result
    path = write_workbook(tmp_path / "opdateret.xlsx", result_grids(result))
    monkeypatch.setattr(checks, "MAX_STATUS_SHEET_BYTES", 100)
    with pytest.raises(InputError, match="statusark"):
        load_published(path)


def test_xml_entity_expansion_is_refused_not_expanded(tmp_path, demo_result):
    """A 'billion laughs' workbook part: openpyxl parses with defusedxml, which refuses entities."""
    result = demo_result
    good = write_workbook(tmp_path / "god.xlsx", result_grids(result))
    bomb = tmp_path / "latter.xlsx"
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
              + ']><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol9;</workbook>')
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w") as dst:
        for info in src.infolist():
            data = laughs.encode() if info.filename == "xl/workbook.xml" else src.read(info.filename)
            dst.writestr(info, data)
    with pytest.raises(InputError, match="kan ikke læses"):
        load_published(bomb)


def test_bad_csv_cells_are_named_by_file_row_and_column(tmp_path):
    (tmp_path / "published_rows.csv").write_text((REF / "published_rows.csv").read_text(encoding="utf-8")
                                                 .replace("2024,BIF,Løntilskud,5,24", "2024,BIF,Løntilskud,fem,24"),
                                                 encoding="utf-8")
    (tmp_path / "published_totals.csv").write_text((REF / "published_totals.csv").read_text(encoding="utf-8")
                                                   .replace("2024,4,BUF,", "2024,4,BFU,"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_published(tmp_path)
    where = {(f.kilde, f.raekke, f.kolonne) for f in exc.value.findings}
    assert ("published_rows.csv", 11, "status") in where          # header is row 1; BIF Løntilskud is row 11
    assert ("published_totals.csv", 5, "enhed") in where
    assert any("Mente du 'BUF'?" in f.besked for f in exc.value.findings)


def test_a_cpr_number_in_the_input_is_never_echoed(tmp_path, cli):
    (tmp_path / "published_rows.csv").write_text("aar,enhed,ordning,status,antal_forloeb\n"
                                                 "2024,010190-1234,Løntilskud,2101901234,5\n", encoding="utf-8")
    (tmp_path / "published_totals.csv").write_text("aar,enhed\n", encoding="utf-8")
    p = cli("check", str(tmp_path))
    assert p.code == 2
    assert "010190-XXXX" in p.err
    assert not looks_like_cpr(p.err + p.out)


def test_missing_files_and_paths_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="published_rows.csv"):
        load_published(tmp_path)
    with pytest.raises(InputError, match="Findes ikke"):
        load_published(tmp_path / "ingen.xlsx")
    (tmp_path / "noten.txt").write_text("x")
    with pytest.raises(InputError, match="Angiv en mappe"):
        load_published(tmp_path / "noten.txt")


def test_printed_figures_are_read_as_the_note_writes_them(tmp_path):
    (tmp_path / "published_rows.csv").write_text("aar;enhed;ordning;status;antal_forloeb\n"
                                                 "2024;KK;Løntilskud;94;267\n2024;KK;Fleksjob;1.014;\n",
                                                 encoding="cp1252")        # Danish Excel's CSV export
    (tmp_path / "published_totals.csv").write_text("aar;enhed;samlet_maaltal;maalopfyldelse_pct;vaegt_gruppe_pct;"
                                                   "vaegt_fleksjob_pct\n2024;KK;1.084;84 pct.;0,55;45 %\n",
                                                   encoding="cp1252")
    [t] = load_published(tmp_path)
    assert (t.samlet_maaltal, t.maalopfyldelse_pct, t.fleksjob_status) == (1084, 84, 1014)   # fleksjob from the rows
    assert (t.vaegt_gruppe, t.vaegt_fleksjob) == (Fr(55, 100), Fr(45, 100))      # 0,55 and 45 % alike
    assert t.rows == (SchemeRow("Løntilskud", 94, 267),)


def test_a_decimal_in_a_transcription_is_refused(tmp_path):
    (tmp_path / "published_rows.csv").write_text("aar,enhed,ordning,status\n2024,KK,Løntilskud,\"93,7\"\n",
                                                 encoding="utf-8")
    (tmp_path / "published_totals.csv").write_text("aar,enhed\n", encoding="utf-8")
    with pytest.raises(InputError, match="ikke et helt tal"):
        load_published(tmp_path)


def test_inconsistent_transcriptions_of_the_fleksjob_figure_are_refused(tmp_path):
    (tmp_path / "published_rows.csv").write_text("aar,enhed,ordning,status,antal_forloeb\n2024,BIF,Fleksjob,88,\n",
                                                 encoding="utf-8")
    (tmp_path / "published_totals.csv").write_text("aar,enhed,fleksjob_status\n2024,BIF,87\n", encoding="utf-8")
    with pytest.raises(InputError, match="Fleksjob for BIF 2024 er 88 her, men 87"):
        load_published(tmp_path)


# ---------------------------------------------------------------- the command line

def test_cli_json_gives_one_object_per_finding_and_exit_code_1(cli):
    p = cli("check", REF, "--format", "json")
    assert p.code == 1, p.err
    rows = json.loads(p.out)
    assert all(list(r) == list(FIELDS) for r in rows)
    assert {(r["aar"], r["enhed"], r["felt"]) for r in rows} == set(EXPECTED)
    assert {r["alvor"] for r in rows} == {"fejl", "afrunding"}
    okf = next(r for r in rows if r["enhed"] == "ØKF" and r["felt"].startswith("Antal forløb i alt"))
    assert (okf["alvor"], okf["forventet"], okf["trykt"]) == ("fejl", 253, 174)


def test_cli_table_is_a_readable_danish_report(cli):
    p = cli("check", REF)
    assert p.code == 1, p.err
    assert "FEJL (4)" in p.out and "AFRUNDING (9)" in p.out
    assert "Resultat: 4 fejl og 9 afrundingsforskelle." in p.out


def test_cli_exit_code_0_when_only_rounding_differs(tmp_path, cli):
    rows = (REF / "published_rows.csv").read_text(encoding="utf-8").splitlines()
    totals = (REF / "published_totals.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "published_rows.csv").write_text("\n".join(r for r in rows if r.startswith(("aar", "2024,SOF"))) + "\n",
                                                 encoding="utf-8")
    (tmp_path / "published_totals.csv").write_text("\n".join(r for r in totals if r.startswith(("aar", "2024,6,SOF"))) + "\n",
                                                   encoding="utf-8")
    p = cli("check", str(tmp_path), "--format", "json")
    assert p.code == 0, p.err
    assert [r["alvor"] for r in json.loads(p.out)] == ["afrunding"]


def test_cli_exit_code_2_on_unreadable_input(tmp_path, cli):
    p = cli("check", str(tmp_path / "ingen"))
    assert p.code == 2
    assert "Findes ikke" in p.err and "Traceback" not in p.err


def test_cli_check_json_lists_every_difference(cli):
    p = cli("check", REF, "--format", "json")
    assert p.code == 1
    assert len(json.loads(p.out)) == len(EXPECTED)

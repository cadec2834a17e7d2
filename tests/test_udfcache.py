"""The STATUS_ functions and STATUSTABEL share one parsed and aggregated register per distinct
input (jobstatus_xl/udfcache.py). Every call goes through xlwings' own server pipeline
(`custom_functions_call`), as a status sheet of such cells would call them; expected figures come
from the engine (`pipeline.compute`, what `jobstatus-xl status` prints), never typed in."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from devsupport import xlwings_harness as h
from devsupport.xlwings_harness import call_cell, call_udf, col, excel_error, formatted_date, one, serial
from jobstatus_xl import udfcache, udfs
from jobstatus_xl import xlconvert as xc
from jobstatus_xl.engine.findings import InputError
from jobstatus_xl.engine.periods import Period
from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, RawInput, Settings, Table, compute, demo_input
from jobstatus_xl.engine.rules import load_rules

UNITS = ["KK", "BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
RULES = load_rules(2024)
DEMO = demo_input()
FORLOEB = DEMO.forloeb.frame
FLEKS = DEMO.fleksjob.frame
P0, P1 = one(serial("2024-01-01")), one(serial("2024-12-31"))
DEC = one(serial("2024-12-31"))


def test_runs_in_the_server_flavour():
    assert "remote" in [e.name for e in h.xw.engines]


@pytest.fixture(autouse=True)
def fresh_cache(fresh_udfcache):
    yield


def serials(values) -> list[list]:
    return col(serial(v) if v else None for v in values)


def columns(frame: pd.DataFrame) -> list[list[list]]:
    """tblForloeb[forvaltning], [ordning], [start], [slut] as Excel hands them to a function."""
    return [col(frame["forvaltning"]), col(frame["ordning"]), serials(frame["start"]), serials(frame["slut"])]


def fleks_columns(frame: pd.DataFrame) -> list[list[list]]:
    return [col(frame["forvaltning"]), serials(frame["start"]), serials(frame["slut"])]


def engine(forloeb: pd.DataFrame = FORLOEB, fleks: pd.DataFrame = FLEKS, settings: Settings = DEMO_SETTINGS):
    return compute(RawInput(Table(forloeb, "forloeb"), Table(fleks, "fleksjob")), settings).tidy.set_index(["enhed", "linje"])


def sheet(table, p0=P0, p1=P1, fleks=None, reference=DEC, extra=()) -> dict:
    """Tabel 1's layout as formulas: per unit the three schemes' helårspersoner and forløb, and fleksjob."""
    out = {}
    for unit in UNITS:
        for scheme in RULES.group:
            out[(unit, scheme, "status")] = call_cell(udfs, "STATUS_HELAARSPERSONER", one(unit), one(scheme), *table,
                                                      p0, p1, *extra)
            out[(unit, scheme, "antal")] = call_cell(udfs, "STATUS_FORLOEB", one(unit), one(scheme), *table, p0, p1)
        if fleks is not None:
            out[(unit, RULES.fleksjob, "status")] = call_cell(udfs, "STATUS_FLEKSJOB", one(unit), *fleks, reference,
                                                              col(FLEKS["id"]))
    return out


def expected(tidy, with_fleks=False) -> dict:
    out = {}
    for unit in UNITS:
        for scheme in RULES.group:
            out[(unit, scheme, "status")] = tidy.loc[(unit, scheme), "status"]
            out[(unit, scheme, "antal")] = tidy.loc[(unit, scheme), "antal_forloeb"]
        if with_fleks:
            out[(unit, RULES.fleksjob, "status")] = tidy.loc[(unit, RULES.fleksjob), "status"]
    return out


class Counting:
    """Counts the passes over a whole table (xlconvert.spells_from: the row rules) the functions make."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self._lock = threading.Lock()
        real = xc.spells_from

        def spells_from(*args, **kwargs):
            with self._lock:
                self.calls += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(xc, "spells_from", spells_from)


# ---------------------------------------------------------------- the figures of Tabel 1

def test_tabel_1_from_the_functions_is_the_status_commands(monkeypatch):
    passes = Counting(monkeypatch)
    got = sheet(columns(FORLOEB), fleks=fleks_columns(FLEKS))
    assert got == expected(engine(), with_fleks=True)     # the same sums: equal to the last digit
    assert passes.calls == 2                                # one pass over each table for 56 cells


@pytest.mark.slow
def test_without_the_cache_the_figures_and_messages_are_the_same(monkeypatch):
    cached = sheet(columns(FORLOEB), fleks=fleks_columns(FLEKS))
    bad = columns(FORLOEB)
    bad[0][4] = ["XYZ"]
    cached_bad = sheet(bad)
    udfcache.configure(0, 0)
    passes = Counting(monkeypatch)
    assert sheet(columns(FORLOEB), fleks=fleks_columns(FLEKS)) == cached
    assert passes.calls == 56                               # the uncached path: one pass per cell
    assert sheet(bad) == cached_bad


# ---------------------------------------------------------------- any edited cell gives new figures

def edited(frame: pd.DataFrame, row: int, **values) -> pd.DataFrame:
    out = frame.copy()
    for column, value in values.items():
        out.loc[out.index[row], column] = value
    return out


def a_row(unit: str, scheme: str) -> int:
    """A forløb of unit and scheme running from before June to after August 2024, so that moving its
    start to July changes its figure and not its count."""
    rows = FORLOEB.index[(FORLOEB["forvaltning"] == unit) & (FORLOEB["ordning"] == scheme)
                         & (FORLOEB["start"] < "2024-06-01") & ((FORLOEB["slut"] == "") | (FORLOEB["slut"] > "2024-08-01"))]
    return int(FORLOEB.index.get_loc(rows[0]))


def changed(before: dict, after: dict) -> set:
    """The figures that changed (KK is a sum of seven: the same parts in other places may move its last digit)."""
    return {k for k in before if before[k] != pytest.approx(after[k], rel=1e-13)}


@pytest.mark.parametrize("unit, scheme, edit, figures", [
    ("SOF", "Løntilskud", {"start": "2024-07-01"}, {("SOF", "Løntilskud", "status"), ("KK", "Løntilskud", "status")}),
    ("SOF", "Virksomhedspraktik", {"forvaltning": "BUF"},     # the forløb moves: both units' figures, not KK's
     {(u, "Virksomhedspraktik", k) for u in ("SOF", "BUF") for k in ("status", "antal")}),
], ids=["start-date", "unit-code"])
def test_editing_one_cell_of_the_table_changes_exactly_its_figures(unit, scheme, edit, figures):
    before = sheet(columns(FORLOEB))
    frame = edited(FORLOEB, a_row(unit, scheme), **edit)
    after = sheet(columns(frame))
    assert after == expected(engine(frame))
    assert changed(before, after) == figures
    assert sheet(columns(FORLOEB)) == before                 # and back again


def test_editing_the_period_changes_every_figure_to_the_periods():
    before = sheet(columns(FORLOEB))
    half = Settings(2024, dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    after = sheet(columns(FORLOEB), p1=one(serial("2024-06-30")))
    assert after == expected(engine(settings=half))
    assert all(before[k] != after[k] for k in before if k[2] == "status" and before[k])
    assert sheet(columns(FORLOEB)) == before


def test_editing_the_reference_month_and_an_id_changes_fleksjob():
    fleks = fleks_columns(FLEKS)
    december = {u: call_cell(udfs, "STATUS_FLEKSJOB", one(u), *fleks, DEC, col(FLEKS["id"])) for u in UNITS}
    june = {u: call_cell(udfs, "STATUS_FLEKSJOB", one(u), *fleks, one(serial("2024-06-15")), col(FLEKS["id"]))
            for u in UNITS}
    tidy = compute(DEMO, Settings(2024, reference_month=dt.date(2024, 6, 1))).tidy.set_index(["enhed", "linje"])
    assert june == {u: tidy.loc[(u, RULES.fleksjob), "status"] for u in UNITS} != december
    # two spells of one SOF person in December: giving the second spell the first one's id counts one less
    on = FLEKS[(FLEKS["forvaltning"] == "SOF") & ((FLEKS["slut"] == "") | (FLEKS["slut"] >= "2024-12-01"))
               & (FLEKS["start"] <= "2024-12-31")]
    ids = list(FLEKS["id"])
    ids[int(FLEKS.index.get_loc(on.index[1]))] = ids[int(FLEKS.index.get_loc(on.index[0]))]
    assert call_cell(udfs, "STATUS_FLEKSJOB", one("SOF"), *fleks, DEC, col(ids)) == december["SOF"] - 1
    assert call_cell(udfs, "STATUS_FLEKSJOB", one("BUF"), *fleks, DEC, col(ids)) == december["BUF"]


def test_the_basis_and_the_hours_are_part_of_the_key():
    table = columns(FORLOEB)
    hours = [[None if v == "" else float(v)] for v in FORLOEB["timer_pr_uge"]]
    weekdays = engine(settings=Settings(2024, basis="hverdage"))
    calendar = call_cell(udfs, "STATUS_HELAARSPERSONER", one("SUF"), one("Løntilskud"), *table, P0, P1)
    got = call_cell(udfs, "STATUS_HELAARSPERSONER", one("SUF"), one("Løntilskud"), *table, P0, P1, one("hverdage"), hours)
    assert got == pytest.approx(weekdays.loc[("SUF", "Løntilskud"), "status"], rel=1e-15) != calendar
    full_time = call_cell(udfs, "STATUS_HELAARSPERSONER", one("SUF"), one("Løntilskud"), *table, P0, P1, one("hverdage"))
    assert full_time != got
    hours[a_row("SUF", "Løntilskud")] = [10.0]
    assert call_cell(udfs, "STATUS_HELAARSPERSONER", one("SUF"), one("Løntilskud"), *table, P0, P1, one("hverdage"),
                     hours) < got


def test_the_same_values_in_another_form_give_the_same_figures():
    """Dates as FormattedNumber objects and blanks as '' (raw Office.js values) read as serials and None."""
    plain = sheet(columns(FORLOEB))
    f = FORLOEB
    other = [col(f["forvaltning"]), col(f["ordning"]), col(formatted_date(v) for v in f["start"]),
             col(formatted_date(v) if v else "" for v in f["slut"])]
    assert sheet(other) == plain


# ---------------------------------------------------------------- errors: the same message in every cell, every time

@pytest.mark.slow
def test_an_error_in_the_register_gives_the_same_message_before_and_after_a_cached_success():
    bad = columns(FORLOEB)
    bad[3][6] = [serial("2020-01-01")]                      # row 7: slut before start
    text = "#FEJL: slutdato før startdato i række 7"
    first = sheet(bad)
    assert set(first.values()) == {text}
    good = sheet(columns(FORLOEB))
    assert not any(isinstance(v, str) for v in good.values())
    assert sheet(bad) == first
    bad[3][6] = columns(FORLOEB)[3][6]                      # mended, and another cell broken: a new first error
    bad[0][9] = [excel_error("#N/A")]
    assert set(sheet(bad).values()) == {"#FEJL: forvaltning i række 10 er en fejlværdi (#N/A)"}


def test_a_cell_argument_error_is_the_cells_own_and_the_table_error_still_everyones():
    table = columns(FORLOEB)
    assert call_cell(udfs, "STATUS_FORLOEB", one("XX"), one("Løntilskud"), *table, P0, P1).startswith(
        "#FEJL: ukendt forvaltning 'XX'")
    assert isinstance(call_cell(udfs, "STATUS_FORLOEB", one("SOF"), one("Løntilskud"), *table, P0, P1), int)
    assert call_cell(udfs, "STATUS_FORLOEB", one("SOF"), one("Løntilskud"), *table, P1, P0).startswith(
        "#FEJL: periodens sidste dag")


def test_statustabel_shares_one_computation_and_hands_out_copies(monkeypatch):
    forloeb = [list(FORLOEB.columns)] + [[serial(v) if c in ("start", "slut") and v else (v or None)
                                          for c, v in zip(FORLOEB.columns, r)] for r in FORLOEB.itertuples(index=False)]
    fleks = [list(FLEKS.columns)] + [[serial(v) if c in ("start", "slut") and v else (v or None)
                                      for c, v in zip(FLEKS.columns, r)] for r in FLEKS.itertuples(index=False)]
    runs = []
    real = udfs.compute_result
    monkeypatch.setattr(udfs, "compute_result", lambda *a: runs.append(1) or real(*a))
    tables = {u: call_udf(udfs, "STATUSTABEL", one(u), one(2024), forloeb, fleks) for u in UNITS}
    assert len(runs) == 1
    result = compute(DEMO, DEMO_SETTINGS)
    for u in UNITS:
        table = next(t for t in result.tables if t.unit == u and t.year == 2024)
        assert [r[0] for r in tables[u][1:]] == list(table.frame.index)
    direct = udfs.STATUSTABEL("KK", 2024, forloeb, fleks)
    direct[1][1] = "changed by the caller"
    assert udfs.STATUSTABEL("KK", 2024, forloeb, fleks)[1][1] == tables["KK"][1][1]
    forloeb[5][4] = serial("2024-03-31")                    # an edit: computed again
    assert call_udf(udfs, "STATUSTABEL", one("KK"), one(2024), forloeb, fleks) != tables["KK"]
    assert len(runs) == 2


def test_cached_results_cannot_be_changed():
    t = udfcache.forloeb_columns(*columns(FORLOEB))
    assert udfcache.forloeb_columns(*columns(FORLOEB)) is t
    for a in (t.spells.start, t.spells.end, t.spells.keep, t.units, t.schemes):
        with pytest.raises(ValueError):
            a[0] = a[1]
    totals = udfcache.scheme_totals(t, Period.year(2024), "kalenderdage")
    with pytest.raises(TypeError):
        totals.status[("SOF", "Løntilskud")] = 0.0


def test_memory_stays_bounded():
    frame = FORLOEB.iloc[:200]
    for i in range(3 * udfcache.DEFAULT_TABLES):
        table = columns(frame)
        table[2][0] = [serial("2024-01-01") + i]
        call_cell(udfs, "STATUS_FORLOEB", one("KK"), one("Løntilskud"), *table, P0, P1)
    assert len(udfcache._tables) == udfcache.DEFAULT_TABLES


def test_fingerprints_tell_types_and_values_apart():
    fp = udfcache.fingerprint
    assert fp([[1.0], [True]]) != fp([[1.0], [1]]) != fp([[1.0], [1.0]])
    assert fp([["SOF"], [None]]) != fp([["SOF"], [""]])
    assert fp([[dt.datetime(2024, 1, 1)]]) != fp([[dt.datetime(2024, 1, 2)]])
    assert fp([[1.0], [2.0]]) == fp([[1.0], [2.0]])
    assert fp([[1.0]], [[2.0]]) != fp([[1.0], [2.0]])


@pytest.mark.slow
def test_calls_from_several_threads_share_one_pass_and_agree(monkeypatch):
    """xlwings Server may run calls concurrently: one pass over the table, the same figures."""
    passes = Counting(monkeypatch)
    table = columns(FORLOEB)
    cells = [(u, s) for u in UNITS for s in RULES.group]

    def one_cell(cell):
        # every request brings its own values, parsed from its own JSON, as xlwings Server gets them
        payload = json.loads(json.dumps(h.udf_payload("STATUS_HELAARSPERSONER", [one(cell[0]), one(cell[1]), *table,
                                                                                 P0, P1])))
        return asyncio.run(h.custom_functions_call(payload, udfs))[0][0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(one_cell, cells * 3))
    tidy = engine()
    assert got == [tidy.loc[c, "status"] for c in cells] * 3
    assert passes.calls == 1


# ---------------------------------------------------------------- issue 10, item 6: the functions say what the CLI says

def test_a_weekday_period_without_weekdays_gets_the_engines_message():
    weekend = Settings(2024, dt.date(2024, 1, 6), dt.date(2024, 1, 7), "hverdage")
    with pytest.raises(InputError) as info:
        compute(DEMO, weekend)
    text = "#FEJL: " + info.value.errors[0].besked
    assert "ingen hverdage" in text
    p0, p1 = one(serial("2024-01-06")), one(serial("2024-01-07"))
    f = FORLOEB
    assert call_cell(udfs, "HELAARSPERSONER", serials(f["start"]), serials(f["slut"]), p0, p1, one("hverdage")) == text
    for unit in ("SOF", "KK"):
        assert call_cell(udfs, "STATUS_HELAARSPERSONER", one(unit), one("Løntilskud"), *columns(f), p0, p1,
                         one("hverdage")) == text
    assert call_cell(udfs, "STATUS_FORLOEB", one("SOF"), one("Løntilskud"), *columns(f), p0, p1) == \
        engine(settings=Settings(2024, dt.date(2024, 1, 6), dt.date(2024, 1, 7))).loc[("SOF", "Løntilskud"), "antal_forloeb"]


def test_hours_on_the_calendar_basis_follow_the_engines_rule():
    """The refresh reads the hours column whatever the basis and counts it only on the weekday
    basis; the functions do the same (and refuse the same impossible hours)."""
    hours = [[None if v == "" else float(v)] for v in FORLOEB["timer_pr_uge"]]
    tidy = engine()
    for unit in ("SOF", "KK"):
        assert call_cell(udfs, "STATUS_HELAARSPERSONER", one(unit), one("Løntilskud"), *columns(FORLOEB), P0, P1,
                         one("kalenderdage"), hours) == tidy.loc[(unit, "Løntilskud"), "status"]
    f = FORLOEB[FORLOEB["forvaltning"] == "SOF"]
    assert call_cell(udfs, "HELAARSPERSONER", serials(f["start"]), serials(f["slut"]), P0, P1, one(None), one(30)) == \
        call_cell(udfs, "HELAARSPERSONER", serials(f["start"]), serials(f["slut"]), P0, P1)
    hours[4] = [200.0]
    frame = edited(FORLOEB, 4, timer_pr_uge="200")
    with pytest.raises(InputError) as info:
        engine(frame)
    assert "højst være 168" in info.value.errors[0].besked
    assert call_cell(udfs, "STATUS_HELAARSPERSONER", one("SOF"), one("Løntilskud"), *columns(FORLOEB), P0, P1,
                     one("kalenderdage"), hours) == "#FEJL: timer pr. uge i række 5 kan højst være 168 (er 200); " \
                                                    "skriv de aftalte ugentlige timer, fx 37"


def test_fleksjob_with_ids_and_status_fleksjob_kk_against_tabel_1():
    """A person employed at two forvaltninger in December: Tabel 1's KK (the sum of the
    forvaltninger) counts two, as STATUS_FLEKSJOB("KK") does; FLEKSJOB over the rows with ids counts
    the person once, and its help says so and points to STATUS_FLEKSJOB."""
    fleks = pd.DataFrame({"id": ["DEMO-F1", "DEMO-F1"], "forvaltning": ["SOF", "BUF"],
                          "start": ["2024-12-01", "2024-12-15"], "slut": ["2024-12-10", ""]})
    tidy = engine(fleks=fleks)
    kk = tidy.loc[("KK", RULES.fleksjob), "status"]
    assert kk == 2
    args = [serials(fleks["start"]), serials(fleks["slut"]), DEC, col(fleks["id"])]
    assert call_cell(udfs, "STATUS_FLEKSJOB", one("KK"), col(fleks["forvaltning"]), *args) == kk
    assert call_cell(udfs, "FLEKSJOB", *args) == 1
    help_text = udfs.FLEKSJOB.__doc__
    assert "én gang pr. forvaltning" in help_text and "STATUS_FLEKSJOB" in help_text


@pytest.mark.parametrize("scheme", ["Fleksjob?", "fleksjob", "Fleksjob"])
@pytest.mark.parametrize("name", ["STATUS_HELAARSPERSONER", "STATUS_FORLOEB"])
def test_fleksjob_is_not_a_scheme_of_helaarspersoner(name, scheme):
    got = call_cell(udfs, name, one("SOF"), one(scheme), *columns(FORLOEB), P0, P1)
    assert got.startswith("#FEJL: Fleksjob opgøres som antal ansatte") and "STATUS_FLEKSJOB" in got


@pytest.mark.parametrize("name, args", [
    ("ATTAINMENT", [one(1e308), one(1e-10)]),
    ("ATTAINMENT", [one(-1e308), one(1e-300)]),
    ("WEIGHTED_ATTAINMENT", [col([0.84, 1.13]), col([1e308, 1e308])]),
    ("WEIGHTED_ATTAINMENT", [col([1e308, 1e308]), col([1, 1])]),
])
def test_no_function_returns_a_number_that_is_not_finite(name, args):
    assert call_cell(udfs, name, *args) == \
        "#FEJL: resultatet er ikke et endeligt tal: argumenterne er for store eller for små til at give et tal"


def test_a_non_finite_figure_from_anywhere_becomes_a_message(monkeypatch):
    """The guard sits in the one wrapper every function goes through, whatever computed the number."""
    text = "#FEJL: resultatet er ikke et endeligt tal: argumenterne er for store eller for små til at give et tal"
    monkeypatch.setattr(udfs.hp, "helaarspersoner", lambda *a, **k: float("inf"))
    assert call_cell(udfs, "HELAARSPERSONER", serials(FORLOEB["start"]), serials(FORLOEB["slut"]), P0, P1) == text
    real_totals = udfcache.group_totals
    monkeypatch.setattr(udfcache, "group_totals", lambda *a, **k: (real_totals(*a, **k)[0] * np.nan, real_totals(*a, **k)[1]))
    assert call_cell(udfs, "STATUS_HELAARSPERSONER", one("SOF"), one("Løntilskud"), *columns(FORLOEB), P0, P1) == text
    real_compute = udfs.compute_result

    def overflowing(*args):
        result = real_compute(*args)
        for t in result.tables:
            t.frame.iloc[0, 0] = float("inf")
        return result
    monkeypatch.setattr(udfs, "compute_result", overflowing)
    forloeb = [["id", "forvaltning", "ordning", "start", "slut"], ["DEMO-P1", "SOF", "Løntilskud", serial("2024-01-01"), None]]
    fleks = [["id", "forvaltning", "start", "slut"], ["DEMO-F1", "SOF", serial("2024-02-01"), None]]
    assert call_cell(udfs, "STATUSTABEL", one("SOF"), one(2024), forloeb, fleks) == text
    assert xc.finite([["KK", None, 1.0]]) == [["KK", None, 1.0]]


def test_statustabel_counts_a_forloeb_ending_31_12_9999_as_running():
    """Serial 2958465 (31-12-9999, how HR systems write an open end) counts as a forløb still running."""
    forloeb = [["id", "forvaltning", "ordning", "start", "slut"],
               ["DEMO-P1", "SOF", "Løntilskud", serial("2024-01-01"), 2958465.0],
               ["DEMO-P2", "BUF", "Løntilskud", serial("2024-07-01"), None]]
    fleks = [["id", "forvaltning", "start", "slut"], ["DEMO-F1", "SOF", serial("2024-02-01"), None]]
    open_end = call_udf(udfs, "STATUSTABEL", one("KK"), one(2024), forloeb, fleks)
    forloeb[1][4] = None
    running = call_udf(udfs, "STATUSTABEL", one("KK"), one(2024), forloeb, fleks)
    assert open_end == running
    assert running[1][1] == pytest.approx(1 + 184 / 366, rel=1e-12)   # Løntilskud: a whole year plus July–December


# ---------------------------------------------------------------- reading each distinct value once is reading row by row

@pytest.mark.parametrize("column, row, value", [
    (2, 7, True), (3, 7, "snart"), (0, 7, None), (1, 7, "Praktikplads"), (2, 7, None), (0, 7, 7.0),
    (3, 7, serial("2020-01-01")), (2, 7, int(serial("2024-03-01"))), (3, 7, "31-12-2024"), (0, 7, "sof"),
    (1, 7, excel_error("#N/A")), (2, 3700, dt.datetime(2024, 3, 1)), (0, 3707, " SOF "),
])
def test_distinct_value_reading_gives_the_row_by_row_figures_and_messages(monkeypatch, column, row, value):
    table = columns(FORLOEB)
    table[column][row] = [value]
    cells = [("SOF", "Løntilskud"), ("KK", "Virksomhedspraktik"), ("BUF", "Småjob under det sociale frikort")]

    def figures():
        udfcache.clear()
        return [call_cell(udfs, name, one(u), one(s), *table, P0, P1)
                for u, s in cells for name in ("STATUS_HELAARSPERSONER", "STATUS_FORLOEB")]
    fast = figures()
    monkeypatch.setattr(udfcache, "_distinct_rows", lambda *a: None)
    assert fast == figures()


def test_values_pickle_cannot_take_are_fingerprinted_by_type_and_text():
    """Classic xlwings hands raw COM dates over as pywintypes' datetime subclass; whatever pickle
    makes of such a type, the key still tells values apart and finds equal ones."""
    class ComTime(dt.datetime):      # a local class: pickle cannot name it
        pass
    a = [[ComTime(2024, 1, 1)], [None], [45292.0]]
    b = [[ComTime(2024, 1, 2)], [None], [45292.0]]
    fp = udfcache.fingerprint
    assert fp(a) is not None and fp(a) == fp([[ComTime(2024, 1, 1)], [None], [45292.0]]) != fp(b)
    assert fp(a) != fp([[dt.datetime(2024, 1, 1)], [None], [45292.0]])


@pytest.mark.parametrize("change", [
    {}, {4: [None]}, {4: [20.0]}, {4: ["fuld tid"]}, {4: [0.0]}, {4: [200.0]}, {4: [excel_error("#N/A")]},
    {4: [37], 5: [37.5]}, "all blank", "one cell",
])
def test_hours_read_by_distinct_value_give_the_row_by_row_figures_and_messages(monkeypatch, change):
    hours = [[None if v == "" else float(v)] for v in FORLOEB["timer_pr_uge"]]
    if change == "all blank":
        hours = [[None]] * len(hours)
    elif change == "one cell":
        hours = one(30.0)
    else:
        for row, value in change.items():
            hours[row] = value
    cells = [("SOF", "Løntilskud"), ("KK", "Virksomhedspraktik")]

    def figures():
        udfcache.clear()
        return [call_cell(udfs, "STATUS_HELAARSPERSONER", one(u), one(s), *columns(FORLOEB), P0, P1, one("hverdage"),
                          hours) for u, s in cells]
    fast = figures()
    if change == {}:     # the common case does take the distinct-value path
        sp = udfcache.forloeb_columns(*columns(FORLOEB)).spells
        assert udfcache._hours_by_distinct(hours, sp) is not udfcache._ROW_BY_ROW
    monkeypatch.setattr(udfcache, "_hours_by_distinct", lambda *a: udfcache._ROW_BY_ROW)
    assert fast == figures()

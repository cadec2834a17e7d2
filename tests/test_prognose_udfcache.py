"""PROGNOSE shares one forecast per distinct input (udfcache.whole_tables), like STATUSTABEL: every
call goes through xlwings' own server pipeline (`custom_functions_call`), as a sheet of forecast
cells would call it; expected figures come from `jobstatus-xl prognose` and the engine's `forecast`
(what that command prints), never typed in."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from devsupport import xlwings_harness as h
from devsupport.xlwings_harness import call_cell, one, serial
from jobstatus_xl import prognose_cell, udfcache, udfs
from jobstatus_xl.engine.pipeline import RawInput, Settings, Table, demo_input
from jobstatus_xl.engine.prognose import forecast
from jobstatus_xl.prognose_cell import MEASURES

UNITS = ["KK", "BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
PR = dt.date(2024, 6, 30)
DEMO = demo_input()
BLANK = ""    # a cell without a figure (e.g. the attainment of a single scheme), as xlwings returns it
FIGURES = ["prognose", "sikker", "til dato", "lav", "høj", "målopfyldelse"]


def test_runs_in_the_server_flavour():
    assert "remote" in [e.name for e in h.xw.engines]


@pytest.fixture(autouse=True)
def fresh_cache(fresh_udfcache):
    yield


sheet_table = h.table_range


def cells(forloeb, fleks, status_date, expected: dict) -> dict:
    """The cells `expected` names (unit, line, figure), as PROGNOSE cells."""
    return {(u, ln, m): call_cell(udfs, "PROGNOSE", one(u), one(ln), one(status_date), forloeb, fleks, one(m))
            for u, ln, m in expected}


def engine(frame=DEMO.forloeb.frame, pr=PR) -> dict:
    """The same cells from the engine's forecast (BLANK where the forecast has no figure)."""
    t = forecast(RawInput(Table(frame, "forloeb"), DEMO.fleksjob), Settings(pr.year), pr).table
    out = {}
    for rec in t.to_dict("records"):
        for m in FIGURES:
            v = rec[MEASURES[m]]
            out[(rec["enhed"], rec["linje"], m)] = BLANK if v != v else float(v)
    return out


@pytest.mark.slow
def test_prognose_cells_give_the_cli_figures_with_one_forecast(cli, monkeypatch):
    p = cli("prognose", "--year", 2024, "--pr", PR.isoformat(), "--format", "csv")
    assert p.code == 0
    rows = {(r["enhed"], r["linje"]): r for r in csv.DictReader(io.StringIO(p.out))}
    runs = []
    real = prognose_cell.forecast
    monkeypatch.setattr(prognose_cell, "forecast", lambda *a, **k: runs.append(1) or real(*a, **k))
    forloeb, fleks = sheet_table(DEMO.forloeb.frame), sheet_table(DEMO.fleksjob.frame)
    got = cells(forloeb, fleks, serial(PR), engine())
    assert len(runs) == 1                                   # one forecast for all the cells
    assert len(got) == len(rows) * len(FIGURES) == 48 * len(FIGURES)
    for (u, ln, m), v in got.items():
        text = rows[(u, ln)][MEASURES[m]]
        assert v == (float(text) if text else BLANK), (u, ln, m)
    udfcache.configure(0, 0)                                # without the cache: the same figures
    sample = {k: v for k, v in got.items() if k[0] in ("KK", "SOF") and k[2] in ("prognose", "målopfyldelse")}
    assert cells(forloeb, fleks, serial(PR), sample) == sample
    assert len(runs) == 1 + len(sample)


@pytest.mark.slow
def test_editing_a_start_date_or_the_status_date_changes_exactly_its_figures():
    forloeb, fleks = sheet_table(DEMO.forloeb.frame), sheet_table(DEMO.fleksjob.frame)
    before = engine()
    assert cells(forloeb, fleks, serial(PR), before) == before
    # a SOF Virksomhedspraktik forløb that started before the status date now starts after it
    frame = DEMO.forloeb.frame
    (i,) = frame.index[frame["id"] == "DEMO-P000010"]
    assert (frame.at[i, "forvaltning"], frame.at[i, "ordning"]) == ("SOF", "Virksomhedspraktik")
    assert frame.at[i, "start"] < PR.isoformat() < "2024-08-01" <= frame.at[i, "slut"]
    edited_frame = frame.copy()
    edited_frame.at[i, "start"] = "2024-08-01"
    edited = [r[:] for r in forloeb]
    edited[1 + list(frame.index).index(i)][list(frame.columns).index("start")] = serial("2024-08-01")
    after = engine(edited_frame)
    changed = {k for k in before if before[k] != after[k]}
    assert changed and {u for u, _, _ in changed} == {"SOF", "KK"}
    assert cells(edited, fleks, serial(PR), after) == after
    # the status date (same year): every figure follows the engine for the new date
    later = dt.date(2024, 9, 30)
    moved = engine(pr=later)
    assert {k for k in before if before[k] != moved[k]}
    assert cells(forloeb, fleks, serial(later), moved) == moved
    assert cells(forloeb, fleks, serial(PR), before) == before    # and back again


@pytest.mark.slow
def test_an_error_gives_the_same_message_before_and_after_a_cached_success():
    fleks = sheet_table(DEMO.fleksjob.frame)
    good = sheet_table(DEMO.forloeb.frame)
    bad = [r[:] for r in good]
    bad[7][good[0].index("start")] = "31-02-2024"

    def all_cells(table):
        return {call_cell(udfs, "PROGNOSE", one(u), one(ln), one(serial(PR)), table, fleks, one(m))
                for u in ("KK", "SOF") for ln in ("Samlet", "Løntilskud") for m in ("prognose", "sikker")}

    udfcache.configure(0, 0)
    (uncached,) = all_cells(bad)
    assert uncached.startswith("#FEJL: ") and "31-02-2024" in uncached
    udfcache.configure()
    assert all_cells(bad) == {uncached}
    assert all(isinstance(v, float) for v in all_cells(good))
    assert all_cells(bad) == {uncached}
    # a cell's own bad argument is its own message, also while the table's forecast is cached
    assert call_cell(udfs, "PROGNOSE", one("KK"), one("Samlet"), one(serial(PR)), good, fleks, one("xx")) \
        .startswith("#FEJL: ukendt tal 'xx'")
    assert call_cell(udfs, "PROGNOSE", one("KK"), one("Samlet"), one(serial(PR)), bad, fleks, one("xx")) \
        .startswith("#FEJL: ukendt tal 'xx'")


@pytest.mark.slow
def test_the_basis_and_the_optional_tables_are_part_of_the_key():
    forloeb, fleks = sheet_table(DEMO.forloeb.frame), sheet_table(DEMO.fleksjob.frame)
    args = (one("KK"), one("Samlet"), one(serial(PR)), forloeb, fleks, one("prognose"))
    calendar = call_cell(udfs, "PROGNOSE", *args)
    working = call_cell(udfs, "PROGNOSE", *args, one("hverdage"))
    expected = forecast(DEMO, Settings(2024, basis="hverdage"), PR).table.set_index(["enhed", "linje"])
    assert working == expected.loc[("KK", "Samlet"), "prognose_aarsstatus"] != calendar
    assert call_cell(udfs, "PROGNOSE", *args) == calendar

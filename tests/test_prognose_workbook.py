"""The forecast in the workbook (issue 13): the setting 'Opgjort pr.', the Prognose sheet written by
'Opdater alle tabeller' (a real `xw.Book(json=...)`) and by the headless refresh, its charts in the
template, the worksheet function PROGNOSE through xlwings' conversion pipeline, and the same
figures from the CLI, the sheet and the function."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from devsupport import xlwings_harness as h
from devsupport.xlwings_harness import call_cell, one, serial
from jobstatus_xl import macros, sheets, udfs
from jobstatus_xl.engine.pipeline import Settings, demo_input
from jobstatus_xl.engine.prognose import forecast

pytestmark = pytest.mark.slow   # the demo workbook written and refreshed: out of the inner loop

PR = dt.date(2024, 6, 30)
DEMO = demo_input()


sheet_table = h.table_range


def grids_with_status_date(pr: dt.date | str | None) -> list[sheets.SheetGrid]:
    grids = h.demo_grids()
    settings = sheets.settings_grid(Settings(2024))
    settings.cells[sheets.settings_row("OpgjortPr") - 1][1] = pr
    return [settings if g.name == sheets.SHEET_SETTINGS else g for g in grids]


def run_refresh(grids):
    book = h.open_book(h.book_json(grids))
    names = [g.name for g in grids]
    try:
        returned = macros.refresh_all(book)
    finally:
        actions = h.actions(book, names)
        h.close_book(book)
    return returned, actions


def written(actions, sheet):
    (write,) = [a for a in actions if a.sheet == sheet and a.func == "setValues"]
    return write.raw["values"]


@pytest.fixture(scope="module")
def expected():
    return forecast(DEMO, Settings(2024), PR)


def _cell(values, enhed: str, label_start: str, column: int):
    row = next(r for r in values if r[0] == enhed and str(r[1]).startswith(label_start))
    return row[column]


# ---------------------------------------------------------------- settings

def test_opgjort_pr_is_a_setting_with_danish_help_read_as_a_date():
    s = next(s for s in sheets.SETTINGS if s.name == "OpgjortPr")
    assert s.label == "Opgjort pr." and "Tom = ingen prognose" in s.help
    grid = sheets.settings_grid(Settings(2024, status_date=PR))
    assert sheets.settings_from_grid(grid.cells).status_date == PR
    grid.cells[sheets.settings_row("OpgjortPr") - 1][1] = "30-06-2024"
    assert sheets.settings_from_grid(grid.cells).status_date == PR
    grid.cells[sheets.settings_row("OpgjortPr") - 1][1] = "midt på året"
    with pytest.raises(Exception) as exc:
        sheets.settings_from_grid(grid.cells)
    (f,) = exc.value.findings
    assert f.kilde == sheets.SHEET_SETTINGS and f.raekke == sheets.settings_row("OpgjortPr") and "ikke en dato" in f.besked


# ---------------------------------------------------------------- the macro

def test_refresh_all_writes_the_prognose_sheet_as_the_engine_computes_it(expected):
    returned, actions = run_refresh(grids_with_status_date(PR))
    assert returned is not None and returned.forecast is not None
    grid = sheets.prognose_grid(returned.forecast)
    assert written(actions, sheets.SHEET_PROGNOSE) == h.padded(grid.cells)
    values = written(actions, sheets.SHEET_PROGNOSE)
    # the same figures as the engine run on the CSV files
    t = expected.table.set_index(["enhed", "linje"])
    assert _cell(values, "KK", "Samlet", 4) == t.loc[("KK", "Samlet"), "prognose_aarsstatus"]
    assert _cell(values, "SOF", "Fleksjob", 3) == t.loc[("SOF", "Fleksjob"), "sikker_aarsstatus"]
    assert _cell(values, "BIF", "Samlet målopfyldelse", 9) == pytest.approx(
        100 * t.loc[("BIF", "Samlet målopfyldelse"), "prognose_maalopfyldelse"], rel=1e-15)
    formats = {a.raw["args"][0] for a in actions if a.sheet == sheets.SHEET_PROGNOSE and a.func == "setNumberFormat"}
    assert formats == {sheets.FMT_NUMBER, sheets.FMT_PCT}
    # the monthly block of KK: actual to June, forecast from June, target beside
    top = sheets.month_block_row(0)
    block = [r[sheets.MONTH_COL - 1:] for r in values[top - 1:top + 12]]
    assert block[0][0].startswith("KK") and [r[0] for r in block[1:]] == sheets.MONTHS_DA
    assert [r[1] != "" for r in block[1:]] == [m <= 6 for m in range(1, 13)]
    assert [r[2] != "" for r in block[1:]] == [m >= 6 for m in range(1, 13)]
    assert {r[5] for r in block[1:]} == {1084.0}


def test_without_a_status_date_the_sheet_says_what_to_do_and_holds_no_old_figures():
    returned, actions = run_refresh(grids_with_status_date(None))
    assert returned is not None and returned.forecast is None
    values = written(actions, sheets.SHEET_PROGNOSE)
    assert "Opgjort pr." in values[1][0]
    numbers = [v for r in values for v in r if isinstance(v, (int, float))]
    assert numbers == []


def test_a_status_date_outside_the_year_stops_the_refresh_with_a_finding_on_kontrol():
    returned, actions = run_refresh(grids_with_status_date(dt.date(2023, 6, 30)))
    assert returned is None
    assert {a.sheet for a in actions if a.sheet} == {sheets.SHEET_CHECK}
    rows = written(actions, sheets.SHEET_CHECK)
    (row,) = [r for r in rows if any("Opgørelsesdatoen 30-06-2023 ligger uden for opgørelsesåret 2024" in str(v)
                                     for v in r)]
    # the finding names the cell the user must correct: Indstillinger, the setting's row, column Værdi
    assert [sheets.SHEET_SETTINGS, sheets.settings_row("OpgjortPr"), "Værdi"] in [row[i:i + 3] for i in range(len(row) - 2)]


# ---------------------------------------------------------------- the headless refresh and the template

def test_headless_refresh_writes_the_same_prognose_sheet(tmp_path, expected):
    from jobstatus_xl.workbook import demo_workbook_bytes, refresh_file
    wb = openpyxl.load_workbook(io.BytesIO(demo_workbook_bytes()), keep_vba=True)
    wb[sheets.SHEET_SETTINGS].cell(row=sheets.settings_row("OpgjortPr"), column=2).value = dt.datetime(2024, 6, 30)
    path = tmp_path / "demo.xlsm"
    wb.save(path)
    refresh_file(path)
    ws = openpyxl.load_workbook(path)[sheets.SHEET_PROGNOSE]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    grid = sheets.prognose_grid(expected)
    want = [list(r) + [None] * (len(values[0]) - len(r)) for r in grid.cells]
    assert all(v is None for r in want[len(values):] for v in r)        # a sheet ends at its last value
    for got_row, want_row in zip(values, want):
        # openpyxl writes 15-16 significant digits (as the status sheets); the figures, not the bits
        assert got_row == [pytest.approx(v, rel=1e-14) if isinstance(v, float) else v for v in want_row]
    assert ws["C5"].number_format == sheets.FMT_NUMBER and ws["I8"].number_format == sheets.FMT_PCT


def test_template_has_one_chart_per_unit_over_its_monthly_block():
    from jobstatus_xl.template.build import build_template_bytes
    wb = openpyxl.load_workbook(io.BytesIO(build_template_bytes()), keep_vba=True)
    ws = wb[sheets.SHEET_PROGNOSE]
    assert wb.sheetnames.index(sheets.SHEET_PROGNOSE) == wb.sheetnames.index(sheets.SHEET_CHECK) + 1
    charts = ws._charts
    assert len(charts) == len(sheets.PROGNOSE_UNITS) == 8
    for k, chart in enumerate(charts):
        top = sheets.month_block_row(k)
        refs = [s.val.numRef.f for part in chart._charts for s in part.series]
        cols = "MNOPQ"
        assert refs == [f"'Prognose'!${c}${top + 1}:${c}${top + 12}" for c in cols]
        assert sheets.PROGNOSE_UNITS[k] in chart.title.tx.rich.p[0].r[0].t


# ---------------------------------------------------------------- the worksheet function, and all fronts agree

def test_prognose_function_gives_the_cli_and_sheet_figures(cli, expected):
    forloeb, fleks = sheet_table(DEMO.forloeb.frame), sheet_table(DEMO.fleksjob.frame)
    p = cli("prognose", "--year", 2024, "--pr", "2024-06-30", "--format", "csv")
    rows = {(r["enhed"], r["linje"]): r for r in csv.DictReader(io.StringIO(p.out))}
    _, actions = run_refresh(grids_with_status_date(PR))
    values = written(actions, sheets.SHEET_PROGNOSE)
    for unit, line, measure, column, sheet_col, label in [
            ("KK", "Samlet", None, "prognose_aarsstatus", 4, "Samlet"),
            ("SOF", "Virksomhedspraktik", "lav", "prognose_lav", 5, "Virksomhedspraktik"),
            ("BUF", "Fleksjob", "sikker", "sikker_aarsstatus", 3, "Fleksjob"),
            ("ØKF", "Samlet", "til dato", "status_til_dato", 2, "Samlet"),
            ("TMF", "Samlet", "høj", "prognose_hoej", 6, "Samlet")]:
        got = call_cell(udfs, "PROGNOSE", one(unit), one(line), one(serial(PR)), forloeb, fleks, one(measure))
        assert got == float(rows[(unit, line)][column]) == _cell(values, unit, label, sheet_col), (unit, line)
    got = call_cell(udfs, "PROGNOSE", one("KK"), one("samlet målopfyldelse"), one("30-06-2024"), forloeb, fleks,
                    one("målopfyldelse"))
    assert got == float(rows[("KK", "Samlet målopfyldelse")]["prognose_maalopfyldelse"])
    assert 100 * got == pytest.approx(_cell(values, "KK", "Samlet målopfyldelse", 9), rel=1e-15)


def test_prognose_function_on_bad_input_shows_a_danish_message():
    forloeb, fleks = sheet_table(DEMO.forloeb.frame), sheet_table(DEMO.fleksjob.frame)
    assert call_cell(udfs, "PROGNOSE", one("KK"), one("Samlet"), one(serial(PR)), forloeb, fleks, one("xx")) \
        .startswith("#FEJL: ukendt tal 'xx'")
    assert call_cell(udfs, "PROGNOSE", one("KK"), one("Samlet"), one(None), forloeb, fleks) \
        .startswith("#FEJL: opgørelsesdatoen mangler")
    early = call_cell(udfs, "PROGNOSE", one("KK"), one("Samlet"), one(serial("2024-01-01")),
                      [forloeb[0]] + [r for r in forloeb[1:] if r[3] and r[3] > serial("2024-01-01")], fleks)
    assert early.startswith("#FEJL: ") and "før registrets første forløb" in early

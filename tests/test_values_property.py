"""Issue 10, property: a value written any way Danish Excel or an HR export writes it is read as the
same value on every path — the CSV folder reader, the workbook reader, xlwings sheet values (the
ribbon macros on an `xw.Book(json=...)`), UDF arguments (xlwings' `custom_functions_call`), `check`
and the year data (targets). Expected values come from the drawn value, never from the code."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from devsupport import xlwings_harness as h
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devsupport.xlwings_harness import call_cell, col, one, serial
from jobstatus_xl import checks, macros, sheets, udfs
from jobstatus_xl.engine import values as v
from jobstatus_xl.engine.pipeline import compute
from jobstatus_xl.readers import read_folder
from jobstatus_xl.workbook import read_workbook_input

UNITS = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
TARGETS = {"BIF": 56, "BUF": 457, "KFF": 39, "SOF": 184, "SUF": 205, "TMF": 61, "ØKF": 82}
FIRST = dt.date(1927, 5, 18)          # serial 10000: the first day a serial is read as a date
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_runs_in_the_server_flavour():
    assert "remote" in [e.name for e in h.xw.engines]


# ---------------------------------------------------------------- how Danes and their systems write values

def whole_forms(n: int) -> list:
    dotted = f"{n:,}".replace(",", ".")
    return [str(n), dotted, f"{n:,}".replace(",", " "), f"{n:,}".replace(",", "\u00a0"), dotted + ",00",
            f"{n},0", f"{n}.0", n, float(n)]


def dk(d: dt.date, sep: str) -> str:
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year:04d}"


def date_forms(d: dt.date) -> list:
    forms = [d.isoformat(), dk(d, "-"), dk(d, "."), dk(d, "/"), f"{d.isoformat()} 00:00:00", f"{dk(d, '-')} 00:00",
             f"{d.day}-{d.month}-{d.year:04d}", dt.datetime(d.year, d.month, d.day), d]
    if d >= FIRST:
        s = int(serial(d))
        forms += [s, float(s), s + 0.5, str(s), f"{s},5"]
    return forms


def is_text(x) -> bool:
    return isinstance(x, str)


wholes = st.integers(1, 9_999_999).flatmap(lambda n: st.tuples(st.just(n), st.sampled_from(whole_forms(n))))
ends = st.one_of(st.dates(dt.date(2023, 12, 1), dt.date(2025, 1, 31)), st.dates(FIRST, dt.date(9999, 12, 31)),
                 st.just(dt.date(9999, 12, 31)))
ends = ends.flatmap(lambda d: st.tuples(st.just(d), st.sampled_from(date_forms(d))))


# ---------------------------------------------------------------- the paths

def register_grids(end_cell=None, target_cell=None, previous_cell=None) -> dict[str, list[list]]:
    """Input sheets: one year-long forløb per forvaltning (SOF's ends at `end_cell`) and fleksjob."""
    forloeb = [["id", "forvaltning", "ordning", "start", "slut", "timer_pr_uge"]]
    forloeb += [[f"P{u}", u, "Løntilskud", dt.datetime(1927, 5, 18), end_cell if u == "SOF" else None, None] for u in UNITS]
    fleks = [["id", "forvaltning", "start", "slut"]] + [[f"F{u}", u, dt.datetime(2024, 1, 1), None] for u in UNITS]
    maaltal = [["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"]]
    maaltal += [[2024, u, target_cell if u == "SOF" and target_cell is not None else t, 100] for u, t in TARGETS.items()]
    by_name = {g.name: g.cells for g in sheets.template_grids()}
    by_name.update({sheets.SHEET_FORLOEB: forloeb, sheets.SHEET_FLEKSJOB: fleks, sheets.SHEET_MAALTAL: maaltal})
    if previous_cell is not None:
        by_name[sheets.SHEET_TIDLIGERE] = [["aar", "enhed", "ordning", "status", "antal_forloeb"],
                                           [2023, "KK", "Løntilskud", previous_cell, 300]]
    return by_name


def via_csv(tmp: Path, grids: dict[str, list[list]]):
    """The CSV folder: every cell as the text a semicolon CSV from Danish Excel holds."""
    def text(x):
        if x is None:
            return ""
        if isinstance(x, dt.datetime):
            return x.date().isoformat()
        return str(x)
    for sheet, name in ((sheets.SHEET_FORLOEB, "forloeb.csv"), (sheets.SHEET_FLEKSJOB, "fleksjob.csv"),
                        (sheets.SHEET_MAALTAL, "maaltal.csv"), (sheets.SHEET_TIDLIGERE, "aggregater_2023.csv")):
        if len(grids[sheet]) < 2:
            continue
        (tmp / name).write_text("\n".join(";".join(text(x) for x in row) for row in grids[sheet]) + "\n",
                                encoding="cp1252")
    return compute(read_folder(tmp, 2024), sheets.settings_from_grid(grids[sheets.SHEET_SETTINGS]))


def via_workbook(grids: dict[str, list[list]]):
    """A workbook written by openpyxl (typed cells stay typed, text stays text), read by the reader."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells in grids.items():
        ws = wb.create_sheet(name)
        for row in cells:
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return compute(*read_workbook_input(buf.getvalue(), "jobstatus.xlsx"))


def via_xlwings(grids: dict[str, list[list]]):
    """The ribbon's path: the sheets' values as xlwings reads them from the workbook."""
    book = h.open_book(h.book_json([sheets.SheetGrid(n, c) for n, c in grids.items()]))
    try:
        return macros.compute(macros.read_inputs(book))
    finally:
        h.close_book(book)


def decimal_forms(tenths: int) -> list:
    """A figure with one decimal as Danes and exports write it: 112,4 1.112,4 112.4 and typed."""
    whole, frac = divmod(tenths, 10)
    dotted = f"{whole:,}".replace(",", ".")
    forms = [f"{whole},{frac}", f"{dotted},{frac}", f"{whole},{frac}0", tenths / 10]
    if len(str(frac)) != 3:                       # 112.4: a decimal point no Dane writes as thousands
        forms.append(f"{whole}.{frac}")
    return forms


decimals = st.integers(1, 99_999_999).flatmap(lambda t: st.tuples(st.just(t), st.sampled_from(decimal_forms(t))))


def sof(result, line="Løntilskud", field="status") -> float:
    return float(result.tidy.set_index(["enhed", "linje"]).loc[("SOF", line), field])


# ---------------------------------------------------------------- the properties

@pytest.mark.slow
@PROPERTY
@given(ends)
def test_an_end_date_reads_the_same_on_every_path(tmp_path_factory, drawn):
    day, form = drawn
    assert v.read_date(form) == day
    # the forløb runs from 18-05-1927 to `day`: its share of 2024 follows from the day alone
    p0, p1 = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    expected = max(0, (min(day, p1) - p0).days + 1) / 366
    grids = register_grids(end_cell=form)
    for path, result in (("csv", via_csv(tmp_path_factory.mktemp("csv"), grids)), ("workbook", via_workbook(grids)),
                         ("xlwings", via_xlwings(grids))):
        assert sof(result) == pytest.approx(expected, abs=1e-15), path
    # a UDF argument: the cell as Excel sends it (a serial for a date cell, text as text)
    cell = serial(day) if isinstance(form, (dt.date, dt.datetime)) else form
    got = call_cell(udfs, "HELAARSPERSONER", col([serial(FIRST)]), col([cell]), one(serial(p0)), one(serial(p1)))
    assert got == pytest.approx(expected, abs=1e-15)


@pytest.mark.slow
@PROPERTY
@given(wholes)
def test_a_whole_number_reads_the_same_on_every_path(tmp_path_factory, drawn):
    n, form = drawn
    assert v.read_number(form, v.WHOLE) == n
    grids = register_grids(end_cell=None, target_cell=form)
    for path, result in (("csv", via_csv(tmp_path_factory.mktemp("csv"), grids)), ("workbook", via_workbook(grids)),
                         ("xlwings", via_xlwings(grids))):
        assert sof(result, "Samlet", "maaltal") == n, path            # the year data: SOF's target
    # check: a printed status figure
    folder = tmp_path_factory.mktemp("check")
    (folder / checks.ROWS_FILE).write_text(f"aar;enhed;ordning;status;antal_forloeb\n2024;SOF;Løntilskud;{form};1\n",
                                           encoding="utf-8")
    (folder / checks.TOTALS_FILE).write_text("aar;enhed\n2024;SOF\n", encoding="utf-8")
    (table,) = checks.load_published(folder)
    assert table.rows[0].status == n
    # a UDF argument: a typed number is the number; text where a number belongs is refused, never misread
    got = call_cell(udfs, "ATTAINMENT", one(form), one(1))
    if is_text(form):
        assert isinstance(got, str) and got.startswith("#FEJL")
    else:
        assert got == n


@pytest.mark.slow
@PROPERTY
@given(decimals)
def test_a_decimal_figure_reads_the_same_on_every_path(tmp_path_factory, drawn):
    tenths, form = drawn
    assert v.read_number(form, v.FRACTIONAL) == tenths / 10
    grids = register_grids(previous_cell=form)
    for path, result in (("csv", via_csv(tmp_path_factory.mktemp("csv"), grids)), ("workbook", via_workbook(grids)),
                         ("xlwings", via_xlwings(grids))):
        prev = result.previous_tidy.set_index(["enhed", "linje"])     # last year's published status
        assert prev.loc[("KK", "Løntilskud"), "status"] == tenths / 10, path


@pytest.mark.parametrize("form", ["1.500", "2,5", "1.084,5"])
def test_text_a_whole_number_field_cannot_read_is_a_finding_on_every_path(tmp_path, form):
    from jobstatus_xl.engine.findings import InputError
    grids = register_grids(target_cell=form)
    for path, run in (("csv", lambda: via_csv(tmp_path, grids)), ("workbook", lambda: via_workbook(grids)),
                      ("xlwings", lambda: via_xlwings(grids))):
        if form == "1.500":     # a whole-number field: 1500 (a Dane's thousands separator)
            assert sof(run(), "Samlet", "maaltal") == 1500, path
            continue
        with pytest.raises(InputError) as exc:
            run()
        assert any(f.kolonne == "maaltal_gruppe" and form in f.besked for f in exc.value.errors), path

"""The headless refresh (`jobstatus-xl refresh`, `jobstatus-xl demo --workbook`): right figures,
cached values any viewer shows, and nothing lost -- not on success, not on bad input, not when a
failure strikes half-way.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import openpyxl.worksheet.formula
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobstatus_xl import sheets, workbook, xlsxguard
from jobstatus_xl.xlsx import atomic, owned, package, reader
from jobstatus_xl.engine.findings import InputError
from jobstatus_xl.engine.values import Unreadable, read_date, read_number
from jobstatus_xl.engine.pipeline import compute
from libreoffice import convert_to_pdf, requires_libreoffice
from templates import (assert_libreoffice_sees_the_layout, assert_libreoffice_sees_the_vba_project, libreoffice_probe,
                       libreoffice_vba, modules)
from workbooks import (DOCS_PNG, RIBBON_PART, TEMPLATE, UNTOUCHABLE, USER_SHEET, cells, demo_bytes,
                       expected_grids, filled_template, small_filled, structure, with_user_sheet)
from zips import make_zip, replace_part, rezip, zip_entries

pytestmark = pytest.mark.slow   # whole workbooks written, refreshed and read back: out of the inner loop

# ---------------------------------------------------------------- reading


def test_a_column_is_typed_as_each_of_its_cells_would_be():
    # typed_column reads a date column's distinct texts in one call; each cell must be what the engine's
    # one-value readers make of it, and what they cannot read must stay text for the engine to report
    values = ["2024-01-05", " 05-01-2024 ", "", None, float("nan"), "#N/A", "#VALUE!", "abc", "31/12/2024",
              "45000", "2024-02-30", "1.1.2024", "TRUE", "  ", "10000", "01-13-2024", "2024-1-5", "2024-01-05",
              "1.084", "37,5", "55 %", "-0", "1e3"]

    def one_cell(column, value):
        if value is None or (isinstance(value, float) and value != value) or not str(value).strip():
            return None
        text = str(value).strip()
        try:
            if column in ("start", "slut"):
                return read_date(text)
            kind = sheets.INPUT_NUMBER_COLUMNS.get(column)
            if kind is None:
                return text
            number = read_number(text, kind)
        except Unreadable:
            return text
        return int(number) if number.is_integer() else number

    for column in ("start", "slut", "timer_pr_uge", "aar", "status", "id"):
        expected = [one_cell(column, v) for v in values]
        got = sheets.typed_column(column, values)
        assert [(type(v), v) for v in got] == [(type(v), v) for v in expected], column
    assert sheets.typed_column("start", values)[:3] == [dt.date(2024, 1, 5), dt.date(2024, 1, 5), None]
    assert sheets.typed_column("aar", ["1.084", "2.024,00"]) == [1084, 2024]


def test_reading_the_demo_workbook_gives_the_demo_input(demo_result):
    raw, got_settings = workbook.read_workbook_input(filled_template())
    assert got_settings.year == 2024 and got_settings.basis == "kalenderdage"
    from_sheets = compute(raw, got_settings).tidy
    from_csv = demo_result.tidy
    assert from_sheets.equals(from_csv)
    assert len(raw.forloeb.frame) == 3708


# ---------------------------------------------------------------- refresh: figures and cached values


def test_refresh_writes_the_engines_tables_with_formulas_and_their_values():
    refreshed = demo_bytes()
    formulas, values = cells(refreshed, False), cells(refreshed, True)
    for grid in expected_grids():
        got_f, got_v = formulas[grid.name], values[grid.name]
        for r, row in enumerate(grid.cells):
            for c, expected in enumerate(row):
                got = got_f[r][c] if r < len(got_f) and c < len(got_f[r]) else None
                assert got == expected or (isinstance(expected, float) and got == pytest.approx(expected)), \
                    (grid.name, r + 1, c + 1)
                if isinstance(expected, str) and expected.startswith("="):
                    assert got_v[r][c] == pytest.approx(grid.computed[(r, c)]), (grid.name, r + 1, c + 1)
    t1 = values["Tabel 1"]
    assert round(t1[4][2]) == 913 and t1[4][3] == 1084 and round(t1[4][4]) == 84 and round(t1[9][4]) == 97


def test_every_formula_cell_in_a_refreshed_workbook_carries_a_value():
    formulas, values = cells(demo_bytes(), False), cells(demo_bytes(), True)
    n = 0
    for name in sheets.OWNED_SHEETS:
        for r, row in enumerate(formulas[name]):
            for c, v in enumerate(row):
                if isinstance(v, str) and v.startswith("="):
                    n += 1
                    assert isinstance(values[name][r][c], (int, float)), (name, r + 1, c + 1)
    assert n > 50


def test_fill_cached_values_handles_every_value_kind():
    xml = (b'<c r="A1"><f>X()</f><v></v></c><c r="B1" s="2"><f>Y()</f><v></v></c><c r="C1"><f>Z()</f><v></v></c>'
           b'<c r="D1"><f>W()</f><v></v></c><c r="E1"><f>V()</f><v></v></c><c r="F1"><f>U()</f><v></v></c>')
    got = workbook.fill_cached_values(xml, {"A1": 1.5, "B1": "a<b", "C1": True, "D1": "#N/A", "E1": None})
    assert got == (b'<c r="A1"><f>X()</f><v>1.5</v></c><c r="B1" s="2" t="str"><f>Y()</f><v>a&lt;b</v></c>'
                   b'<c r="C1" t="b"><f>Z()</f><v>1</v></c><c r="D1" t="e"><f>W()</f><v>#N/A</v></c>'
                   b'<c r="E1"><f>V()</f><v></v></c><c r="F1"><f>U()</f><v></v></c>')


def test_cached_error_codes_are_the_engines_and_our_messages_stay_text():
    xml = b'<c r="A1"><f>X()</f><v></v></c><c r="B1"><f>Y()</f><v></v></c>'
    got = workbook.fill_cached_values(xml, {"A1": "#SPILL!", "B1": "#FEJL: måltallet er 0"})
    assert got == ('<c r="A1" t="e"><f>X()</f><v>#SPILL!</v></c>'
                   '<c r="B1" t="str"><f>Y()</f><v>#FEJL: måltallet er 0</v></c>').encode()


# ---------------------------------------------------------------- nothing lost


def test_refresh_keeps_input_sheets_user_sheets_vba_ribbon_names_tables(tmp_path, cli):
    before = with_user_sheet(filled_template())
    path = tmp_path / "status.xlsm"
    path.write_bytes(before)
    code, out, err = cli("refresh", path)
    assert code == 0, err
    assert "Projektmappe opdateret" in out and "913" in out and "1.084" in out and "84 pct." in out
    after = path.read_bytes()
    for data_only in (False, True):          # formulas, and the values Excel computed for them
        b, a = cells(before, data_only), cells(after, data_only)
        for sheet in UNTOUCHABLE:
            assert a[sheet] == b[sheet], (sheet, data_only)
    assert cells(after, True)[USER_SHEET][1][4] == 171.75
    sb, sa = structure(before), structure(after)
    assert sa["vba"] == zip_entries(TEMPLATE.read_bytes())["xl/vbaProject.bin"]
    assert sa["ribbon"] == zip_entries(TEMPLATE.read_bytes())[RIBBON_PART] and sa["ribbon_rel"]
    assert sa == sb
    assert ("MinKonstant", f"'{USER_SHEET}'!$B$2") in sa["names"]


def test_formulas_in_input_sheets_count_with_the_values_excel_computed():
    """The refresh reads its inputs from the workbook loaded with formulas; a formula cell must
    count with its cached value, exactly as a read of cached values (read_workbook_input) does."""
    wb = openpyxl.load_workbook(io.BytesIO(small_filled()), keep_vba=True)
    wb[sheets.SHEET_SETTINGS]["B2"] = "=2000+24"
    wb[sheets.SHEET_FORLOEB]["F2"] = "=30+7"
    buf = io.BytesIO()
    wb.save(buf)
    entries = zip_entries(workbook.restore_package(small_filled(), buf.getvalue(), {}))
    parts = workbook.sheet_parts(entries)
    for sheet, formula, value in ((sheets.SHEET_SETTINGS, rb"2000\+24", b"2024"),
                                  (sheets.SHEET_FORLOEB, rb"30\+7", b"37")):
        entries[parts[sheet]], n = re.subn(rb"(<f>" + formula + rb"</f>)<v></v>", rb"\1<v>" + value + rb"</v>",
                                           entries[parts[sheet]])
        assert n == 1, sheet
    data = rezip(small_filled(), entries)
    new, result, _ = workbook.refresh_bytes(data)
    assert result.tidy.equals(compute(*workbook.read_workbook_input(data)).tidy)
    assert workbook.read_workbook_input(data)[0].forloeb.frame.iloc[0]["timer_pr_uge"] == 37
    assert cells(new, False)[sheets.SHEET_FORLOEB][1][5] == "=30+7"
    assert cells(new, True)[sheets.SHEET_FORLOEB][1][5] == 37


def test_refresh_twice_changes_nothing_more(tmp_path):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    workbook.refresh_file(path)
    once = path.read_bytes()
    workbook.refresh_file(path)
    assert cells(path.read_bytes(), False) == cells(once, False)
    assert cells(path.read_bytes(), True) == cells(once, True)
    assert structure(path.read_bytes()) == structure(once)


def test_refresh_recreates_a_missing_status_sheet_in_its_place(tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(small_filled()), keep_vba=True)
    del wb["Tabel 5"]
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "status.xlsm"
    path.write_bytes(workbook.restore_package(small_filled(), buf.getvalue(), {}))
    workbook.refresh_file(path)
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert names.index("Tabel 5") == names.index("Tabel 4") + 1
    assert cells(path.read_bytes(), True)["Tabel 5"][0][0].startswith("Tabel 5:")


def test_refresh_out_writes_elsewhere_and_leaves_the_workbook_alone(tmp_path, cli):
    path, out = tmp_path / "status.xlsm", tmp_path / "kopi.xlsm"
    path.write_bytes(small_filled())
    code, _, err = cli("refresh", path, "--out", out)
    assert code == 0, err
    assert path.read_bytes() == small_filled()
    assert cells(out.read_bytes(), True)["Tabel 1"][4][3] == 1084
    code, _, err = cli("refresh", path, "--out", tmp_path / "kopi.xlsx")
    assert code == 2 and "samme type" in err
    assert not (tmp_path / "kopi.xlsx").exists()


def test_refresh_out_replaces_an_existing_file_only_with_overwrite(tmp_path, cli):
    path, out = tmp_path / "status.xlsm", tmp_path / "kopi.xlsm"
    path.write_bytes(small_filled())
    out.write_bytes(b"last year's copy")
    code, _, err = cli("refresh", path, "--out", out)
    assert code == 2 and "findes allerede" in err and "--overwrite" in err
    assert out.read_bytes() == b"last year's copy" and path.read_bytes() == small_filled()
    code, _, err = cli("refresh", path, "--out", out, "--overwrite")
    assert code == 0, err
    assert cells(out.read_bytes(), True)["Tabel 1"][4][3] == 1084


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _fail_on_nth_call(monkeypatch, owner, name, n, exc):
    real = getattr(owner, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


FAILURES = {
    # some owned sheets' XML has been written when this fires
    "while writing the owned sheets": lambda mp: _fail_on_nth_call(
        mp, owned, "sheet_xml", 5, RuntimeError("simulated")),
    "while writing the package": lambda mp: _fail_on_nth_call(
        mp, package.Package, "raw_entry", 7, OSError(28, "No space left on device (simulated)")),
    "while flushing the temporary file": lambda mp: _fail_on_nth_call(
        mp, atomic.os, "fsync", 1, OSError(28, "No space left on device (simulated)")),
    "at the rename": lambda mp: _fail_on_nth_call(
        mp, atomic.os, "replace", 1, PermissionError(13, "file is open in Excel (simulated)")),
    "a check finds an input sheet changed": lambda mp: mp.setattr(
        package, "write_package", _write_package_and_damage_an_input_sheet),
}


def _write_package_and_damage_an_input_sheet(pkg, replaced, dropped=frozenset(), added=None,
                                             _real=package.write_package):
    forloeb = {s.name: s.part for s in pkg.sheets()}[sheets.SHEET_FORLOEB]
    damaged = pkg.read(forloeb).replace(b"<c ", b'<c s="0" ', 1)     # the same cells, other bytes
    return _real(pkg, {**replaced, forloeb: damaged}, dropped, added)


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failure_at_any_point_leaves_the_workbook_byte_identical(failure, tmp_path, monkeypatch, cli):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    before = listing(tmp_path)
    FAILURES[failure](monkeypatch)
    code, out, err = cli("refresh", path)
    assert code == 1
    assert "ikke ændret" in err and "Traceback" not in err
    assert listing(tmp_path) == before          # same bytes, and no temporary file left behind


def test_bad_input_exits_2_and_writes_only_the_kontrol_sheet(tmp_path, cli):
    # As the ribbon does: the findings go to Kontrol, the tables and everything else stay.
    frames = sheets.demo_frames()
    bad = frames[sheets.SHEET_FORLOEB].copy()
    bad.loc[4, "slut"] = "2023-01-01"              # ends before it starts
    bad.loc[7, "forvaltning"] = "ØFK"              # no such forvaltning
    path = tmp_path / "status.xlsm"
    once = workbook.refresh_bytes(with_user_sheet(small_filled()))[0]   # tables with figures, then bad input
    entries = zip_entries(once)
    parts = workbook.sheet_parts(entries)
    filled = zip_entries(workbook.fill_input_tables(TEMPLATE.read_bytes(), {**frames, sheets.SHEET_FORLOEB: bad}))
    entries[parts[sheets.SHEET_FORLOEB]] = filled[workbook.sheet_parts(filled)[sheets.SHEET_FORLOEB]]
    path.write_bytes(rezip(once, entries))
    before = zip_entries(path.read_bytes())
    code, out, err = cli("refresh", path)
    assert code == 2
    assert "Kun arket 'Kontrol' er opdateret" in err and "tabellerne er ikke ændret" in err
    assert re.search(r"FEJL: Forløb, række 6, kolonne 'slut'", err)
    assert "ØKF" in err                             # the nearest valid code is suggested
    assert out == ""
    after = zip_entries(path.read_bytes())
    kontrol = parts[sheets.SHEET_CHECK]
    assert list(after) == list(before)
    assert {n for n in after if after[n] != before[n]} <= {kontrol, "xl/styles.xml"}
    got = cells(path.read_bytes(), True)[sheets.SHEET_CHECK]
    assert got[1][0].startswith("2 fejl")
    errors = [r for r in got[4:] if r[0] == "fejl"]
    assert len(errors) == 2 and any("ØKF" in (r[4] or "") for r in errors)
    assert cells(path.read_bytes(), True)["Tabel 1"] == cells(once, True)["Tabel 1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.xlsm"]


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol3;</workbook>')

MALFORMED = {
    "not a zip": (lambda: b"id;forvaltning\n1;BIF\n", "ikke en Excel-projektmappe"),
    "truncated": (lambda: TEMPLATE.read_bytes()[: len(TEMPLATE.read_bytes()) * 2 // 3], "ikke en Excel-projektmappe"),
    "zip without a workbook": (lambda: make_zip({"hej.txt": b"hej"}), "xl/workbook.xml mangler"),
    "zip bomb": (lambda: make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                               "xl/worksheets/sheet1.xml": b"\0" * 30_000_000}), "zip-bombe"),
    "broken sheet xml": (lambda: replace_part(small_filled(), "xl/worksheets/sheet2.xml",
                                               b"<worksheet><sheetData><row r='1'><c"), "kan ikke læses"),
    "xml entity bomb": (lambda: replace_part(TEMPLATE.read_bytes(), "xl/workbook.xml", BILLION_LAUGHS),
                        "afvises af sikkerhedshensyn"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_files_are_refused_in_danish_and_left_alone(case, tmp_path, cli):
    make, message = MALFORMED[case]
    path = tmp_path / "status.xlsm"
    path.write_bytes(make())
    before = listing(tmp_path)
    code, out, err = cli("refresh", path)
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert listing(tmp_path) == before


def test_oversized_file_is_refused(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(xlsxguard, "MAX_FILE_BYTES", 10_000)
    path = tmp_path / "status.xlsm"
    path.write_bytes(TEMPLATE.read_bytes())
    code, _, err = cli("refresh", path)
    assert code == 2 and "højst" in err
    assert path.read_bytes() == TEMPLATE.read_bytes()


def test_missing_file(tmp_path, cli):
    code, _, err = cli("refresh", tmp_path / "findes-ikke.xlsm")
    assert code == 2 and "findes ikke" in err


def test_a_hostile_sheet_dimension_does_not_blow_up_memory():
    # one real row far down: read without materialising a million padded rows of 16,384 columns
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheets.SHEET_FORLOEB
    ws.append(sheets.INPUT_COLUMNS[sheets.SHEET_FORLOEB])
    ws.cell(row=1_048_576, column=16_384, value="x")
    ws.cell(row=5, column=1, value="DEMO-1")
    buf = io.BytesIO()
    wb.save(buf)
    rows = reader.read_grids(package.Package(buf.getvalue()), "x", [sheets.SHEET_FORLOEB])[sheets.SHEET_FORLOEB]
    assert len(rows) == 5 and all(len(r) == 6 for r in rows)


def test_one_far_away_cell_in_a_users_sheet_is_kept_without_filling_the_memory(tmp_path):
    # Sheets loaded in full are read from the cells they hold, read-only ones without padding rows
    # to the declared size: before, this workbook took minutes and gigabytes (1,048,576 x 16,384).
    wb = openpyxl.load_workbook(io.BytesIO(small_filled()), keep_vba=True)
    ws = wb.create_sheet(USER_SHEET)
    ws["A1"] = "mine tal"
    ws.cell(row=1_048_576, column=16_384, value="langt væk")
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "status.xlsm"
    path.write_bytes(workbook.restore_package(small_filled(), buf.getvalue(), {}))
    workbook.refresh_file(path)
    mine = openpyxl.load_workbook(path, read_only=True)[USER_SHEET]
    mine.reset_dimensions()
    rows = list(mine.iter_rows(values_only=True))
    assert len(rows) == 1_048_576 and rows[0] == ("mine tal",) and rows[-1][16_383] == "langt væk"


_cell = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
                  st.integers(-10**6, 10**8),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                  st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)).map(lambda d: dt.datetime(d.year, d.month, d.day)),
                  st.sampled_from(["BIF", "ØKF", "KK", "Løntilskud", "Virksomhedspraktik", "31-12-2024", "2024-02-30",
                                   "", " ", "=1+1", "0101901234", "#N/A"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=6, max_size=6), min_size=1, max_size=8),
       st.lists(st.lists(_cell, min_size=4, max_size=4), max_size=4))
def test_reader_returns_a_result_or_findings_never_a_traceback(forloeb, fleksjob):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for grid in sheets.template_grids()[:6]:
        ws = wb.create_sheet(grid.name)
        for row in grid.cells:
            ws.append(row)
    for sheet, rows in ((sheets.SHEET_FORLOEB, forloeb), (sheets.SHEET_FLEKSJOB, fleksjob)):
        for row in rows:
            wb[sheet].append([None if isinstance(v, float) and v != v else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    try:
        raw, got = workbook.read_workbook_input(buf.getvalue())
        compute(raw, got)
    except InputError as exc:
        assert exc.findings and all(f.besked for f in exc.findings)


# ---------------------------------------------------------------- the demo workbook


def test_demo_cli_writes_a_filled_and_refreshed_copy_of_the_template(tmp_path, cli):
    path = tmp_path / "demo.xlsm"
    code, out, err = cli("demo", "--workbook", path)
    assert code == 0, err
    assert f"Projektmappe skrevet: {path}" in out
    data = path.read_bytes()
    assert cells(data, False) == cells(demo_bytes(), False)
    assert cells(data, True)["Tabel 1"][9][4] == pytest.approx(97.08393970131553)
    written = openpyxl.load_workbook(path, keep_vba=True)
    assert written[sheets.SHEET_FORLOEB].tables["tblForloeb"].ref == "A1:F3709"
    assert isinstance(written[sheets.SHEET_FORLOEB]["D2"].value, dt.datetime)
    assert written[sheets.SHEET_FORLOEB]["D2"].number_format == sheets.FMT_DATE
    template = structure(TEMPLATE.read_bytes())
    demo = structure(data)
    for key in ("sheets", "codenames", "names", "vba", "ribbon", "ribbon_rel", "charts"):
        assert demo[key] == template[key], key


def test_the_demo_workbook_is_the_same_whatever_the_hash_seed(tmp_path):
    # openpyxl copies the VBA project and the ribbon in the order of a set of names (its
    # _merge_vba); two interpreters with other hash seeds (1 and 2 gave two orders) must still
    # write the same package: same entries, same order, same bytes, apart from the save time.
    books = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}.xlsm"
        done = subprocess.run([sys.executable, "-m", "jobstatus_xl.cli", "demo", "--workbook", str(out)],
                              env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True,
                              timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        books.append(zip_entries(out.read_bytes()))
    first, second = books
    assert list(first) == list(second)
    assert [n for n in first if first[n] != second[n]] in ([], ["docProps/core.xml"])


def test_demo_cli_replaces_an_existing_workbook_only_with_overwrite(tmp_path, cli):
    path = tmp_path / "demo.xlsm"
    path.write_bytes(b"a user's year of input")
    code, out, err = cli("demo", "--workbook", path)
    assert code == 2 and "findes allerede" in err and out == ""
    assert path.read_bytes() == b"a user's year of input"
    code, out, err = cli("demo", "--workbook", path, "--overwrite")
    assert code == 0, err
    assert cells(path.read_bytes(), False) == cells(demo_bytes(), False)


def test_demo_cli_refuses_a_missing_folder_or_a_macro_free_file_type(tmp_path, cli):
    code, _, err = cli("demo", "--workbook", tmp_path / "findes-ikke" / "demo.xlsm")
    assert code == 2 and "findes ikke" in err
    code, _, err = cli("demo", "--workbook", tmp_path / "demo.xlsx")
    assert code == 2 and ".xlsm" in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- LibreOffice, an independent reader


def _pdf_pages(pdf: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\f")


def _tabel1_page(pages: list[str]) -> int:
    found = [i for i, text in enumerate(pages, start=1) if "Tabel 1: Status" in text]
    assert len(found) == 1, "Tabel 1 not found exactly once in the PDF"
    return found[0]


@requires_libreoffice
def test_libreoffice_renders_the_refreshed_tabel1_from_cached_values(tmp_path, monkeypatch):
    # Danish number formatting in LibreOffice: 1.084, not 1,084 (as Danish Excel shows #,##0)
    monkeypatch.setenv("LC_ALL", "da_DK.UTF-8")
    monkeypatch.setenv("LANG", "da_DK.UTF-8")
    path = tmp_path / "demo.xlsm"
    path.write_bytes(demo_bytes())
    pages = _pdf_pages(convert_to_pdf(path, tmp_path / "pdf"))
    n = _tabel1_page(pages)
    text = pages[n - 1]
    lines = {re.sub(r"\s+", " ", line).strip() for line in text.splitlines()}
    assert "Løntilskud (helårspersoner) 94 913 1.084 84 pct. 267 55 pct." in lines
    assert "Fleksjob (antal ansatte) * 1.014 899 113 pct. 45 pct." in lines
    assert "Samlet målopfyldelse (vægtet gennemsnit***) 97 pct." in lines
    assert "Antal forløb 3.491" in lines
    assert not re.search(r"#NAME|#VALUE|Err:\d+", text)

    png = tmp_path / "tabel1"
    # the top of the landscape A4 page, where the table is
    done = subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(n), "-l", str(n), "-singlefile",
                           "-x", "0", "-y", "60", "-W", "1286", "-H", "380",
                           str(tmp_path / "pdf" / "demo.pdf"), str(png)], capture_output=True, timeout=120)
    assert done.returncode == 0 and png.with_suffix(".png").stat().st_size > 10_000
    if os.environ.get("JOBSTATUS_UPDATE_DOCS") == "1":
        DOCS_PNG.parent.mkdir(exist_ok=True)
        shutil.copyfile(png.with_suffix(".png"), DOCS_PNG)
    assert DOCS_PNG.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", \
        "docs/tabel1.png is missing: JOBSTATUS_UPDATE_DOCS=1 pytest tests/test_workbook.py -k renders"


@requires_libreoffice
def test_without_cached_values_libreoffice_would_not_show_the_figures(tmp_path, monkeypatch):
    # The control for the test above: the same workbook with Tabel 1's <v> removed.
    monkeypatch.setenv("LC_ALL", "da_DK.UTF-8")
    data = demo_bytes()
    entries = zip_entries(data)
    part = workbook.sheet_parts(entries)["Tabel 1"]
    stripped = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1<v></v>", entries[part])
    path = tmp_path / "demo.xlsm"
    path.write_bytes(replace_part(data, part, stripped))
    pages = _pdf_pages(convert_to_pdf(path, tmp_path / "pdf"))
    text = pages[_tabel1_page(pages) - 1]
    assert "84 pct." not in text and "97 pct." not in text


@requires_libreoffice
def test_libreoffice_opens_the_refreshed_demo_workbook(tmp_path):
    path = tmp_path / "demo.xlsm"
    path.write_bytes(demo_bytes())
    assert_libreoffice_sees_the_vba_project(libreoffice_vba(path), modules())
    probe = libreoffice_probe(path, tmp_path)
    assert_libreoffice_sees_the_layout(probe)
    assert probe["tables"]["tblForloeb"] == ["Forløb", 0, 0, 5, 3708]
    assert "ATTAINMENT(C5" in probe["formulas"]["Tabel 1!E5"].upper()


def test_rich_text_in_a_users_sheet_and_an_input_cell_survives_a_refresh(tmp_path):
    # "loses nothing": a note with a bold word on the user's own sheet keeps its formatting, and a
    # rich-text id in the register counts as its plain text
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    wb = openpyxl.load_workbook(io.BytesIO(small_filled()), keep_vba=True, rich_text=True)
    note = CellRichText(["Husk: ", TextBlock(InlineFont(b=True, color="FFC00000"), "BUF"), " mangler måltal"])
    wb.create_sheet(USER_SHEET)["A1"] = note
    forloeb = wb[sheets.SHEET_FORLOEB]
    plain_id = forloeb["A2"].value
    forloeb["A2"] = CellRichText([TextBlock(InlineFont(i=True), plain_id[:3]), plain_id[3:]])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "status.xlsm"
    path.write_bytes(workbook.restore_package(small_filled(), buf.getvalue(), {}))
    workbook.refresh_file(path)
    after = openpyxl.load_workbook(path, rich_text=True)
    kept = after[USER_SHEET]["A1"].value
    assert isinstance(kept, CellRichText) and str(kept) == str(note)
    bold = [b for b in kept if isinstance(b, TextBlock)]
    assert [(b.text, b.font.b) for b in bold] == [("BUF", True)]
    assert isinstance(after[sheets.SHEET_FORLOEB]["A2"].value, CellRichText)      # the input cell, too
    assert cells(path.read_bytes(), True)["Tabel 1"] == cells(_refreshed(small_filled(), tmp_path), True)["Tabel 1"]


def _refreshed(data: bytes, tmp_path) -> bytes:
    path = tmp_path / "plain.xlsm"
    path.write_bytes(data)
    workbook.refresh_file(path)
    return path.read_bytes()

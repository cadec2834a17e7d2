"""Workbooks for the refresh tests: the template filled with the demo register, a user's extra
sheet, and what a refresh must keep. Shared by test_workbook.py and test_refresh_parts.py."""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import lru_cache
from pathlib import Path

import openpyxl
import openpyxl.comments
import openpyxl.worksheet.formula

from jobstatus_xl import sheets, workbook
from jobstatus_xl.engine.pipeline import compute
from zips import rezip, zip_entries

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook_template.xlsm"
DOCS_PNG = ROOT / "docs" / "tabel1.png"
RIBBON_PART = "customUI/customUI14.xml"
USER_SHEET = "Mine noter"
UNTOUCHABLE = [s for s in sheets.INPUT_SHEETS] + ["xlwings.conf", USER_SHEET]


# ---------------------------------------------------------------- fixtures


@lru_cache(maxsize=None)
def demo_bytes() -> bytes:
    return workbook.demo_workbook_bytes()


@lru_cache(maxsize=None)
def filled_template() -> bytes:
    """The committed template with the demo register pasted in, not yet refreshed."""
    return workbook.fill_input_tables(TEMPLATE.read_bytes(), sheets.demo_frames())


@lru_cache(maxsize=None)
def small_filled() -> bytes:
    """The template with a slice of the demo register: for tests about files rather than figures."""
    frames = sheets.demo_frames()
    small = {sheets.SHEET_FORLOEB: frames[sheets.SHEET_FORLOEB].iloc[:300],
             sheets.SHEET_FLEKSJOB: frames[sheets.SHEET_FLEKSJOB].iloc[:100],
             sheets.SHEET_TIDLIGERE: frames[sheets.SHEET_TIDLIGERE]}
    return workbook.fill_input_tables(TEMPLATE.read_bytes(), small)


@lru_cache(maxsize=None)
def expected_grids():
    return sheets.result_grids(compute(*workbook.read_workbook_input(filled_template())))


def with_user_sheet(data: bytes) -> bytes:
    """`data` as a user leaves it: an extra sheet with all kinds of cells, a formula with the value
    Excel computed, a defined name of their own and a note."""
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    ws = wb.create_sheet(USER_SHEET)
    rows = [["Tekst", "Tal", "Dato", "Sandt", "Formel"],
            ["Æblegrød & ørred", 1084, dt.datetime(2024, 12, 31), True, "=SUM(B2:B4)"],
            [" foranstillet mellemrum", 0.55, dt.datetime(2023, 1, 1), False, "=COUNTA('Forløb'!A:A)"],
            ["'=ikke en formel", -913.25, None, None, None]]
    for row in rows:
        ws.append(row)
    ws["F2"] = openpyxl.worksheet.formula.ArrayFormula("F2:F3", "=B2:B3*2")
    ws["A1"].comment = openpyxl.comments.Comment("Min egen note", "bruger")
    from openpyxl.workbook.defined_name import DefinedName
    wb.defined_names["MinKonstant"] = DefinedName("MinKonstant", attr_text=f"'{USER_SHEET}'!$B$2")
    buf = io.BytesIO()
    wb.save(buf)
    saved = workbook.restore_package(data, buf.getvalue(), {})     # openpyxl dropped the ribbon
    # Excel stores the value it computed next to each formula; put them in by hand, as Excel would.
    entries = zip_entries(saved)
    part = workbook.sheet_parts(entries)[USER_SHEET]
    xml = entries[part]
    for formula, value in ((rb"SUM\(B2:B4\)", b"171.75"), (rb"COUNTA\([^<]*A:A\)", b"3709")):
        xml, n = re.subn(rb"(<f>" + formula + rb"</f>)<v></v>", rb"\1<v>" + value + rb"</v>", xml)
        assert n == 1, formula
    entries[part] = xml
    return rezip(saved, entries)


def _comparable(value):
    """Array and data-table formulas are objects without equality in openpyxl: compare their parts."""
    if isinstance(value, openpyxl.worksheet.formula.ArrayFormula):
        return ("array", value.ref, value.text)
    if isinstance(value, openpyxl.worksheet.formula.DataTableFormula):
        return ("dataTable", tuple(sorted(dict(value).items())))
    return value


def cells(data: bytes, data_only: bool) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        # array formulas are objects without equality: compare their parts
        return {ws.title: [tuple(_comparable(v) for v in r) for r in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


def structure(data: bytes) -> dict:
    """Everything besides cell values that a refresh must keep."""
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    entries = zip_entries(data)
    out = {"sheets": wb.sheetnames, "codenames": [ws.sheet_properties.codeName for ws in wb.worksheets],
           "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
           "vba": entries.get("xl/vbaProject.bin"), "ribbon": entries.get(RIBBON_PART),
           "ribbon_rel": (b"ui/extensibility" in entries["_rels/.rels"]
                          and RIBBON_PART.encode() in entries["_rels/.rels"]),
           "charts": len(wb[sheets.SHEET_OVERVIEW]._charts)}
    for ws in wb.worksheets:
        if ws.title in sheets.OWNED_SHEETS:
            continue
        out[ws.title] = {
            "tables": sorted((t.name, t.ref) for t in ws.tables.values()),
            "validations": sorted((str(d.sqref), d.formula1, d.type) for d in ws.data_validations.dataValidation),
            "comments": sorted((c.coordinate, c.comment.text) for row in ws.iter_rows() for c in row if c.comment),
            "formats": sorted({(c.coordinate, c.number_format) for row in ws.iter_rows(max_row=5) for c in row}),
        }
    return out

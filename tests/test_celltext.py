"""The one formula-injection rule: user text written anywhere is data, never a formula, and reads
as the user wrote it."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from jobstatus_xl import report, sheets, workbook
from jobstatus_xl.celltext import FORMULA_START, TEXT_PREFIX, cell_text, neutralise, stored_text
from jobstatus_xl.engine.findings import FEJL, Finding

HOSTILE = ["=HYPERLINK(\"http://x\",\"klik\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
APOSTROPHE = "'31-13-2024' er ikke en dato. Skriv fx 31-12-2024."


def excel_shows(value):
    """What Excel shows for a value handed to it (xlwings Range.value): the prefix is consumed."""
    return value[1:] if isinstance(value, str) and value.startswith(TEXT_PREFIX) else value


@given(st.text(max_size=12))
def test_a_cell_shows_the_text_and_never_starts_like_a_formula(text):
    value = cell_text(text)
    assert excel_shows(value) == text
    assert not value.startswith(FORMULA_START)
    assert stored_text(value) == (text, value != text)         # what the openpyxl writer stores


def test_csv_and_cells_share_the_list():
    assert report.neutralise is neutralise
    for text in HOSTILE:
        assert neutralise(text) == cell_text(text) == TEXT_PREFIX + text
    assert neutralise(APOSTROPHE) == APOSTROPHE                 # a CSV field has no prefix to lose


def test_the_headless_writer_stores_the_text_with_quote_prefix_not_an_apostrophe():
    grid = sheets.findings_grid([Finding(FEJL, text, text, raekke=2, kolonne=text) for text in HOSTILE + [APOSTROPHE]])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheets.SHEET_CHECK
    workbook.write_grid(ws, grid)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")    # not one formula cell
    ws = openpyxl.load_workbook(buf)[sheets.SHEET_CHECK]
    for text, row in zip(HOSTILE + [APOSTROPHE], ws.iter_rows(min_row=sheets.FIRST_ROW)):
        for cell in (row[1], row[3], row[4]):
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert ws["A4"].quotePrefix is False                         # other cells keep their style

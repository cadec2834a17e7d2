"""The house look of the sheets this package lays out: one definition, two writers.

`cell_looks(grid)` says which cell gets which font, fill, border, alignment, number format and text
prefix; `write_grid` applies it through openpyxl (the template builder), `sheetxml` writes it as
cell styles appended to styles.xml (the headless refresh). Column widths (`sheet_widths`) and the
print setup (`page_setup`) likewise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..celltext import stored_text
from ..sheets import (FMT_DATE, INPUT_COLUMNS, NOTE_FONT, OVERVIEW, OWNED_SHEETS, SETTINGS_COLUMNS, SHEET_CHECK,
                      SHEET_OVERVIEW, SHEET_PROGNOSE, SHEET_SETTINGS, STATUS, SheetGrid, column_widths, row_styles)


def styles():
    """The openpyxl style objects behind the look names used in `Look`."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    thin = Side(style="thin", color="8EA9DB")
    return {
        "title": Font(bold=True, size=13),
        "subtitle": Font(italic=True, color="595959"),
        "header_font": Font(bold=True),
        "header_fill": PatternFill("solid", fgColor="DDEBF7"),
        "header_border": Border(bottom=thin),
        "header_align": Alignment(wrap_text=True, vertical="center"),
        "header_align_right": Alignment(wrap_text=True, vertical="center", horizontal="right"),
        "total": Font(bold=True),
        "note": Font(**NOTE_FONT),
    }


@dataclass(frozen=True)
class Look:
    """One cell's style, by the names of `styles()`; None = the workbook's default."""
    font: str | None = None
    fill: str | None = None
    border: str | None = None
    alignment: str | None = None
    number_format: str | None = None
    quote_prefix: bool = False

    def with_(self, **changes) -> Look:
        return Look(**{**self.__dict__, **changes})


HEADER_ROW_HEIGHT = 32      # room for two lines of wrapped header (owned sheets)


def cell_looks(grid: SheetGrid) -> dict[tuple[int, int], Look]:
    """(row, col) 1-based -> the look of every cell that has one (cells without a look are plain)."""
    looks: dict[tuple[int, int], Look] = {}

    def put(r: int, c: int, **changes) -> None:
        looks[(r, c)] = looks.get((r, c), Look()).with_(**changes)

    for r, row in enumerate(grid.cells, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            _, prefixed = stored_text(value)
            if prefixed:
                put(r, c, quote_prefix=True)
            if isinstance(value, (dt.date, dt.datetime)):
                put(r, c, number_format=FMT_DATE)
    for ref, fmt in grid.formats.items():
        for r, c in _cells_of(ref):
            put(r, c, number_format=fmt)
    owned = grid.name in OWNED_SHEETS
    if owned:
        put(1, 1, font="title")
        if grid.rows() > 1:
            put(2, 1, font="subtitle")
    width = max((len(r) for r in grid.cells), default=0)
    runs = row_styles(grid)
    for header, _ in runs["header"]:
        for c in range(1, width + 1):
            if c > len(grid.cells[header - 1]) or grid.cells[header - 1][c - 1] is None:
                continue
            numeric = grid.name.startswith("Tabel ") and c > 1       # over right-aligned figures
            put(header, c, font="header_font", fill="header_fill", border="header_border",
                alignment="header_align_right" if numeric else "header_align")
    for first, last in runs["total"]:
        for r in range(first, last + 1):
            for c in range(1, width + 1):
                put(r, c, font="total")
    for first, last in runs["note"]:
        for r in range(first, last + 1):
            put(r, 1, font="note")
    return looks


def row_heights(grid: SheetGrid) -> dict[int, float]:
    if grid.name not in OWNED_SHEETS:
        return {}
    return {header: HEADER_ROW_HEIGHT for header, _ in row_styles(grid)["header"]}


def _cells_of(ref: str):
    from openpyxl.utils.cell import range_boundaries
    min_col, min_row, max_col, max_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
    for r in range(min_row, max_row + 1):
        for c in range(min_col, max_col + 1):
            yield r, c


# Column widths (characters) of the sheets this package lays out.
_STATUS_WIDTHS = column_widths(STATUS.columns)
SHEET_WIDTHS = {
    SHEET_SETTINGS: column_widths(SETTINGS_COLUMNS),
    SHEET_OVERVIEW: column_widths(OVERVIEW.columns),
    SHEET_CHECK: {"A": 10, "B": 16, "C": 8, "D": 16, "E": 100},
    SHEET_PROGNOSE: {"A": 8, "B": 44, "C": 15, "D": 16, "E": 11, "F": 9, "G": 9, "H": 9, "I": 21, "J": 23, "K": 3,
                     "L": 30, "M": 10, "N": 10, "O": 10, "P": 10, "Q": 10},
}


def sheet_widths(name: str) -> dict[str, float]:
    if name in SHEET_WIDTHS:
        return SHEET_WIDTHS[name]
    if name.startswith("Tabel "):
        return _STATUS_WIDTHS
    if name in INPUT_COLUMNS:
        return {chr(65 + i): (34 if col == "ordning" else 16) for i, col in enumerate(INPUT_COLUMNS[name])}
    return {}


def page_setup(name: str) -> dict[str, int | str] | None:
    """Print setup of an owned sheet: one table per landscape A4 page width, the overview with its
    charts on one page. None for sheets that keep the default."""
    if name not in OWNED_SHEETS:
        return None
    return {"orientation": "landscape", "paperSize": 9, "fitToWidth": 1,
            "fitToHeight": 1 if name == SHEET_OVERVIEW else 0}


# ---------------------------------------------------------------- the openpyxl writer (template builder)

def write_grid(ws, grid: SheetGrid) -> None:
    """Replace `ws`'s cells by `grid`: values, formulas, number formats and the house look.

    Only cells are touched; the sheet itself (its code name, charts, column widths, page setup)
    stays, so the VBA project's document module and the overview's charts keep pointing at it.
    """
    st = styles()
    if ws.max_row > 1 or ws.max_column > 1 or ws["A1"].value is not None:
        ws.delete_rows(1, ws.max_row)
    for r, row in enumerate(grid.cells, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            value, prefixed = stored_text(value)
            cell = ws.cell(row=r, column=c, value=value)
            if prefixed:
                # Excel's text prefix as the style it is: shown without an apostrophe, never a
                # formula (openpyxl would store "=..." as one), and still text when edited.
                cell.data_type = "s"
    for (r, c), look in sorted(cell_looks(grid).items()):
        cell = ws.cell(row=r, column=c)
        if look.quote_prefix:
            cell.quotePrefix = True
        if look.number_format:
            cell.number_format = look.number_format
        if look.font:
            cell.font = st[look.font]
        if look.fill:
            cell.fill = st[look.fill]
        if look.border:
            cell.border = st[look.border]
        if look.alignment:
            cell.alignment = st[look.alignment]
    for r, height in row_heights(grid).items():
        ws.row_dimensions[r].height = height


def style_sheet(ws) -> None:
    """Column widths, frozen header, print setup for one of our sheets (idempotent)."""
    for col, width in sheet_widths(ws.title).items():
        ws.column_dimensions[col].width = width
    if ws.title in INPUT_COLUMNS or ws.title == SHEET_SETTINGS:
        ws.freeze_panes = "A2"
    setup = page_setup(ws.title)
    if setup:
        ws.page_setup.orientation = setup["orientation"]
        ws.page_setup.paperSize = setup["paperSize"]
        ws.page_setup.fitToWidth = setup["fitToWidth"]
        ws.page_setup.fitToHeight = setup["fitToHeight"]
        ws.sheet_properties.pageSetUpPr.fitToPage = True

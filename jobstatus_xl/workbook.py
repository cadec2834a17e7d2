"""Headless front (openpyxl): read a workbook's input sheets and refresh its status sheets without Excel.

    jobstatus-xl refresh WORKBOOK.xlsm [--out FILE]
    jobstatus-xl demo --workbook FILE.xlsm

The same layout (`sheets.py`) and the same computation (`engine.pipeline.compute`) as the ribbon's
"Opdater alle tabeller"; only the way cells reach the file differs.

Nothing lost:
- Compute first, write last. The file is read once into memory and parsed once by openpyxl; the
  input is checked and every status table computed before anything is written. An `InputError`
  leaves the file untouched.
- Only the owned sheets (`sheets.OWNED_SHEETS`) are rewritten. Input sheets, sheets a user added,
  defined names, tables, data validation and the VBA project go through openpyxl, which keeps them;
  the two things openpyxl drops are put back by post-processing the saved package: the ribbon
  (customUI part and its relationship) and the cached values of formula cells (`<v>`), so that
  Excel without Python, LibreOffice and file previewers still show figures.
- Before the result replaces anything, it is read back and every cell (value or formula) of every
  sheet we do not own, the defined names and the VBA project are compared with the original. A
  sheet whose XML comes out byte for byte as it went in, read in the same context (shared strings,
  cell styles, date system), reads back the same without being read (`unchanged_sheets`).
- The result goes to a temporary file in the target's folder, is flushed to disk and then renamed
  over the target (`os.replace`, atomic on one file system). A failure at any point leaves the
  original byte for byte as it was, and no temporary file behind.

Hostile or broken files: the package is checked (`xlsxguard`: size, zip structure, uncompressed
size, compression ratio, no DTD) before openpyxl parses it; openpyxl parses XML with defusedxml;
input sheets are read with a bounded number of columns, and no sheet is padded to its declared
size (`_rows`). Problems are reported as Danish `InputError` findings, never as a traceback.

Known openpyxl limits (documented for users in the README): content openpyxl does not model is
not carried over in sheets it rewrites -- shapes and form controls, slicers, sparklines and other
`extLst` features, Excel 365 dynamic-array metadata. Input sheets normally hold none of these.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET

from .celltext import stored_text
from .engine.findings import EXCEL_ERRORS, FEJL, Finding, InputError
from .engine.pipeline import RawInput, Result, Settings, compute, demo_input
from .engine.tables import ROW_ANTAL, ROW_FLEKSJOB, ROW_SAMLET
from .engine.values import FRACTIONAL, WHOLE, Unreadable, read_date, read_number
from .sheets import (INPUT_COLUMNS, INPUT_SHEETS, INPUT_TABLE_NAMES, OWNED_SHEETS,
                     SHEET_CHECK, SHEET_FLEKSJOB, SHEET_FORLOEB, SHEET_OVERVIEW, SHEET_SETTINGS,
                     SHEET_TIDLIGERE, SHEET_PROGNOSE, FMT_DATE, NOTE_FONT, SheetGrid, raw_input_from_grids, result_grids,
                     a1, row_styles)
from .xlsxguard import check_package

if TYPE_CHECKING:
    import pandas as pd

# ---------------------------------------------------------------- limits for files we read
# (the package itself: `xlsxguard`, shared with `jobstatus-xl check`)
MAX_COLUMNS = 64                              # columns read per input sheet (the layout needs ≤ 6)
EXCEL_MAX_ROWS = 1_048_576

# ---------------------------------------------------------------- package constants
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RIBBON_REL_TYPES = (
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",   # customUI14.xml
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",   # customUI.xml
)


# ================================================================ reading

def _fejl(source: str, message: str) -> InputError:
    return InputError([Finding(FEJL, source, message)])


_TOO_BIG_HINT = "Del registret op, eller gem det som CSV og brug 'jobstatus-xl status'."


def _load(data: bytes, name: str, **kwargs):
    """openpyxl.load_workbook with every parser failure turned into a Danish finding."""
    from openpyxl import load_workbook
    try:
        return load_workbook(io.BytesIO(data), **kwargs)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on malformed parts
        kind = type(exc).__name__
        raise _fejl(name, f"Projektmappen kan ikke læses ({kind}): den er beskadiget eller ikke gemt af "
                          "Excel. Åbn den i Excel, gem den igen som .xlsm, og prøv igen.") from None


def _sheet_rows(ws, name: str, computed: dict[str, object] | None = None) -> list[list]:
    """A sheet's values from A1, header width bounded, trailing blank rows dropped; no padding blow-up.
    `computed` (coordinate -> value) stands in for formula cells of a sheet loaded with formulas."""
    from openpyxl.utils.cell import coordinate_to_tuple
    by_row: dict[int, dict[int, object]] = {}
    for coordinate, value in (computed or {}).items():
        row, column = coordinate_to_tuple(coordinate)
        by_row.setdefault(row, {})[column] = value

    def values(min_row: int, **bounds):
        for n, row in enumerate(_rows(ws, min_row, **bounds), start=min_row):
            if n in by_row:
                row = [by_row[n].get(c, v) for c, v in enumerate(row, start=1)]
            yield row

    rows = values(1, max_row=1, max_col=MAX_COLUMNS)
    header = list(next(rows, ()))
    while header and (header[-1] is None or (isinstance(header[-1], str) and not header[-1].strip())):
        header.pop()
    if not header:
        return []
    width = len(header)
    out = [header]
    blank_run = 0
    for n, row in enumerate(values(2, max_col=width), start=2):
        if n > EXCEL_MAX_ROWS:
            raise _fejl(name, f"Arket '{ws.title}' har flere rækker end Excel tillader ({EXCEL_MAX_ROWS}).")
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            blank_run += 1      # held back: only blank rows *followed by data* are kept
            continue
        if blank_run:
            out.extend([None] * width for _ in range(blank_run))
            blank_run = 0
        out.append(list(row))
    return out


def _rows(ws, min_row: int = 1, max_row: int | None = None, max_col: int | None = None):
    """Value rows of a sheet from `min_row` (column A on). A read-only sheet streams them. A sheet
    loaded in full gives them from the cells it holds: its iter_rows would create every missing
    cell up to the bounds, changing the sheet and, for one far-away cell, filling the memory."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    if isinstance(ws, ReadOnlyWorksheet):
        ws.reset_dimensions()        # rows as stored, not padded to a declared (maybe huge) size
        return ws.iter_rows(min_row=min_row, max_row=max_row, max_col=max_col, values_only=True)
    from openpyxl.cell.rich_text import CellRichText
    held: dict[int, dict[int, object]] = {}
    for (r, c), cell in ws._cells.items():
        if r >= min_row and (max_row is None or r <= max_row) and (max_col is None or c <= max_col):
            v = cell.value
            held.setdefault(r, {})[c] = str(v) if isinstance(v, CellRichText) else v
    last = max(held, default=min_row - 1)

    def generate():
        for r in range(min_row, last + 1):
            row = held.get(r, {})
            width = max_col or max(row, default=0)
            yield tuple(row.get(c) for c in range(1, width + 1))
    return generate()


def read_workbook_input(source, name: str | None = None) -> tuple[RawInput, Settings]:
    """Input tables and settings from a workbook in the template's layout (path or bytes)."""
    data, name = _as_bytes(source, name)
    check_package(data, name, too_big_hint=_TOO_BIG_HINT)
    wb = _load(data, name, read_only=True, data_only=True, keep_links=False)
    try:
        return raw_input_from_grids(_input_grids(wb, name))
    finally:
        wb.close()


def _input_grids(wb, name: str, computed: dict[str, dict[str, object]] | None = None) -> dict[str, list[list]]:
    """The input sheets' values. `wb` is read-only with cached values, or loaded in full with
    formulas and `computed` holding the values of its formula cells (see `_cached_values`)."""
    grids = {}
    for sheet in INPUT_SHEETS:
        if sheet in wb.sheetnames:
            try:
                grids[sheet] = _sheet_rows(wb[sheet], name, (computed or {}).get(sheet))
            except InputError:
                raise
            except Exception as exc:  # noqa: BLE001 - malformed sheet XML
                raise _fejl(name, f"Arket '{sheet}' kan ikke læses ({type(exc).__name__}); "
                                  "projektmappen er beskadiget.") from None
    return grids


def read_workbook(path) -> RawInput:
    """The input tables of a workbook in the template's layout (settings: see `read_workbook_input`)."""
    return read_workbook_input(path)[0]


def _as_bytes(source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "projektmappe"
    path = Path(source)
    if not path.is_file():
        raise _fejl(path.name, f"Filen '{path}' findes ikke.")
    return path.read_bytes(), name or path.name


# ================================================================ writing grids (shared with the template builder)

def _styles():
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


# Column widths (characters) of the sheets this package lays out.
_STATUS_WIDTHS = {"A": 46, "B": 13, "C": 13, "D": 13, "E": 15, "F": 15, "G": 9}
SHEET_WIDTHS = {
    SHEET_SETTINGS: {"A": 28, "B": 14, "C": 90},
    SHEET_OVERVIEW: {"A": 8, "B": 44, "C": 16, "D": 16, "E": 17, "F": 9},
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


def write_grid(ws, grid: SheetGrid) -> None:
    """Replace `ws`'s cells by `grid`: values, formulas, number formats and the house look.

    Only cells are touched; the sheet itself (its code name, charts, column widths, page setup)
    stays, so the VBA project's document module and the overview's charts keep pointing at it.
    """
    st = _styles()
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
                cell.quotePrefix = True
            if isinstance(value, (dt.date, dt.datetime)):
                cell.number_format = FMT_DATE
    for ref, fmt in grid.formats.items():
        for row in ws[ref] if ":" in ref else [[ws[ref]]]:
            for cell in row:
                cell.number_format = fmt
    owned = grid.name in OWNED_SHEETS
    if owned:
        ws["A1"].font = st["title"]
        if grid.rows() > 1:
            ws["A2"].font = st["subtitle"]
    width = max((len(r) for r in grid.cells), default=0)
    looks = row_styles(grid)
    for header_row, _ in looks["header"]:
        if owned:
            ws.row_dimensions[header_row].height = 32     # room for two lines of wrapped header
        for c in range(1, width + 1):
            cell = ws.cell(row=header_row, column=c)
            if cell.value is None:
                continue
            cell.font, cell.fill, cell.border = st["header_font"], st["header_fill"], st["header_border"]
            numeric = grid.name.startswith("Tabel ") and c > 1       # over right-aligned figures
            cell.alignment = st["header_align_right"] if numeric else st["header_align"]
    for first, last in looks["total"]:
        for r in range(first, last + 1):
            for c in range(1, width + 1):
                ws.cell(row=r, column=c).font = st["total"]
    for first, last in looks["note"]:
        for r in range(first, last + 1):
            ws.cell(row=r, column=1).font = st["note"]


def style_sheet(ws) -> None:
    """Column widths, frozen header, print setup for one of our sheets (idempotent)."""
    for col, width in sheet_widths(ws.title).items():
        ws.column_dimensions[col].width = width
    if ws.title in INPUT_COLUMNS or ws.title == SHEET_SETTINGS:
        ws.freeze_panes = "A2"
    if ws.title in OWNED_SHEETS:
        # Printed (and rendered to PDF) one table per landscape page width; the overview with its
        # charts on one page.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if ws.title == SHEET_OVERVIEW else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True


# ================================================================ the refresh

@dataclass
class RefreshSummary:
    target: Path
    result: Result
    sheets_written: list[str]
    warnings: list[Finding] = field(default_factory=list)

    def text(self) -> str:
        """A short Danish summary for the command line."""
        lines = [f"Projektmappe opdateret: {self.target}",
                 f"  {len(self.sheets_written)} ark skrevet: {', '.join(self.sheets_written)}.",
                 "  Inddataark og andre ark er ikke ændret."]
        t1 = next((t for t in self.result.tables if t.number == 1), None)
        if t1 is not None:
            f = t1.frame
            g, fl = f.iloc[0], f.loc[ROW_FLEKSJOB]
            lines.append(f"  Tabel 1 ({t1.enhed} {t1.year}): helårspersoner {_num(g.iloc[1])} af {_num(g.iloc[2])} = "
                         f"{_pct(g.iloc[3])}; fleksjob {_num(fl.iloc[0])} af {_num(fl.iloc[2])} = {_pct(fl.iloc[3])}; "
                         f"samlet {_pct(f.loc[ROW_SAMLET].iloc[3])}; antal forløb {_num(f.loc[ROW_ANTAL].iloc[4])}.")
        n = len(self.warnings)
        lines.append(f"  {n} advarsler: se arket '{SHEET_CHECK}'." if n else "  Ingen fejl eller advarsler.")
        return "\n".join(lines)


def _num(x) -> str:
    from .engine.tables import format_number
    return format_number(x)


def _pct(x) -> str:
    from .engine.tables import format_percent
    return format_percent(x)


def refresh_file(path, out=None, *, verify: bool = True) -> RefreshSummary:
    """Refresh every status sheet of the workbook at `path`, writing to `out` (default: in place)."""
    path = Path(path)
    target = Path(out) if out is not None else path
    if target.suffix.lower() != path.suffix.lower():
        raise _fejl(target.name, f"Skriv til en fil af samme type som projektmappen ({path.suffix}), ikke "
                                 f"'{target.suffix or 'uden filtype'}': Excel åbner ikke en projektmappe med makroer "
                                 "under en anden filtype.")
    data, name = _as_bytes(path, None)
    new, result, written = refresh_bytes(data, name, verify=verify)
    atomic_write(target, new, mode_from=path)
    return RefreshSummary(target, result, written, [f for f in result.findings if not f.er_fejl])


def refresh_bytes(data: bytes, name: str = "projektmappe", *, verify: bool = True) -> tuple[bytes, Result, list[str]]:
    """The refreshed package of `data`, plus the computation. Raises InputError before writing anything.

    openpyxl parses the package once, in full (formulas, styles, everything it keeps), and the
    inputs are read from that: formula cells count with the values Excel computed for them, as in
    `read_workbook_input`, without a second parse of the register."""
    check_package(data, name, too_big_hint=_TOO_BIG_HINT)
    # rich_text: a cell with formatted runs (a bold word in a note) is written back with its runs,
    # not flattened to plain text; its value counts as that text (see `_rows`)
    wb = _load(data, name, keep_vba=True, keep_links=True, rich_text=True)
    foreign = [ws for ws in wb.worksheets if ws.title not in OWNED_SHEETS]
    before = {ws.title: _trimmed(_rows(ws)) for ws in foreign}
    foreign_formulas = {ws.title: {c.coordinate for c in ws._cells.values() if c.data_type == "f"} for ws in foreign}
    computed = _cached_values(data, name, {k: v for k, v in foreign_formulas.items() if v})
    raw, settings = raw_input_from_grids(_input_grids(wb, name, computed))
    result = compute(raw, settings)                       # InputError: nothing written
    grids = result_grids(result)
    new = _write_owned(data, wb, grids, computed)
    if verify:
        verify_nothing_lost(data, new, name, before)
    return new, result, [g.name for g in grids]


def _write_owned(data: bytes, wb, grids: list[SheetGrid], computed: dict[str, dict[str, object]]) -> bytes:
    """The package `data`, loaded as `wb`, with `grids` written; the other sheets' formula cells
    keep the values Excel computed (`computed`), which openpyxl's save drops."""
    for grid in grids:
        if grid.name in wb.sheetnames:
            ws = wb[grid.name]
        else:
            ws = wb.create_sheet(grid.name, index=_position_for(wb, grid.name))
            style_sheet(ws)
        write_grid(ws, grid)
    buf = io.BytesIO()
    wb.save(buf)
    cached = {g.name: {a1(r + 1, c + 1): v for (r, c), v in g.computed.items()} for g in grids}
    cached.update(computed)
    return restore_package(data, buf.getvalue(), cached)


def _position_for(wb, sheet: str) -> int:
    """Where a missing owned sheet goes: after the owned sheet that precedes it in the layout."""
    before = OWNED_SHEETS[:OWNED_SHEETS.index(sheet)]
    present = [wb.sheetnames.index(s) for s in before if s in wb.sheetnames]
    return (max(present) + 1) if present else len(wb.sheetnames)


def _cached_values(data: bytes, name: str, wanted: dict[str, set[str]]) -> dict[str, dict[str, object]]:
    """The values Excel last computed for the given formula cells (openpyxl's save drops them)."""
    if not wanted:
        return {}
    wb = _load(data, name, read_only=True, data_only=True, keep_links=False)
    out: dict[str, dict[str, object]] = {}
    try:
        for sheet, coords in wanted.items():
            got: dict[str, object] = {}
            ws = wb[sheet]
            ws.reset_dimensions()        # rows as stored, not padded to the declared size
            for row in ws.iter_rows():
                for cell in row:
                    coord = getattr(cell, "coordinate", None)
                    if coord in coords:
                        got[coord] = cell.value
            out[sheet] = got
    finally:
        wb.close()
    return out


# ================================================================ package post-processing

def _parse(xml: bytes):
    return SafeET.fromstring(xml)


def sheet_parts(entries: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part name in the package (xl/worksheets/sheetN.xml)."""
    wb_xml = _parse(entries["xl/workbook.xml"])
    rels = _parse(entries["xl/_rels/workbook.xml.rels"])
    target = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{_REL_NS}}}Relationship")}
    out = {}
    for sheet in wb_xml.iter(f"{{{_MAIN_NS}}}sheet"):
        t = target.get(sheet.get(f"{{{_R_NS}}}id"), "")
        out[sheet.get("name")] = t.lstrip("/") if t.startswith("/") else str(PurePosixPath("xl") / t)
    return out


_FORMULA_CELL = re.compile(
    rb'<c r="(?P<ref>[A-Z]{1,3}[0-9]{1,7})"(?P<attrs>[^>]*)>(?P<f><f(?:\s[^>]*)?>[^<]*</f>|<f(?:\s[^>]*)?/>)'
    rb'(?:<v></v>|<v/>|<v />)</c>')


def fill_cached_values(sheet_xml: bytes, values: dict[str, object]) -> bytes:
    """Give formula cells written by openpyxl (`<f>..</f><v></v>`) their computed values."""
    if not values:
        return sheet_xml

    def one(m: re.Match) -> bytes:
        ref = m.group("ref").decode()
        if ref not in values:
            return m.group(0)
        value = values[ref]
        attrs = re.sub(rb'\st="[^"]*"', b"", m.group("attrs"))
        if value is None:
            return m.group(0)
        if isinstance(value, bool):
            kind, text = b' t="b"', b"1" if value else b"0"
        elif isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                return m.group(0)
            kind, text = b"", repr(float(value)).encode() if isinstance(value, float) else str(value).encode()
        elif isinstance(value, str) and value in EXCEL_ERRORS:
            # Exact codes only, not `is_excel_error`: a UDF's "#FEJL: ..." message is a text
            # result, not an error code, and stays text.
            kind, text = b' t="e"', value.encode()
        elif isinstance(value, (dt.datetime, dt.date)):
            from openpyxl.utils.datetime import to_excel
            kind, text = b"", repr(float(to_excel(value))).encode()
        else:
            kind, text = b' t="str"', escape(str(value)).encode("utf-8")
        return b'<c r="' + m.group("ref") + b'"' + attrs + kind + b">" + m.group("f") + b"<v>" + text + b"</v></c>"

    return _FORMULA_CELL.sub(one, sheet_xml)


def _read_zip(data: bytes) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        return infos, {i.filename: zf.read(i) for i in infos}


def _relationships(xml: bytes) -> list[dict[str, str]]:
    return [dict(r.attrib) for r in _parse(xml).iter(f"{{{_REL_NS}}}Relationship")]


def add_relationship(rels_xml: bytes, rel_type: str, target: str, preferred_id: str | None = None) -> bytes:
    """`rels_xml` with one more relationship (an unused Id; `preferred_id` when free)."""
    used = {r.get("Id") for r in _relationships(rels_xml)}
    rid = preferred_id if preferred_id and preferred_id not in used else None
    n = 1
    while rid is None:
        rid = f"rId{n}" if f"rId{n}" not in used else None
        n += 1
    new = f"<Relationship Id={quoteattr(rid)} Type={quoteattr(rel_type)} Target={quoteattr(target)}/>".encode()
    head, sep, tail = rels_xml.rpartition(b"</Relationships>")
    if not sep:
        raise ValueError("not a relationships part")
    return head + new + sep + tail


def _ensure_content_type(types_xml: bytes, part: str, original_types_xml: bytes | None) -> bytes:
    """Make `[Content_Types].xml` cover `part`, taking its type from the original package."""
    types = _parse(types_xml)
    ext = PurePosixPath(part).suffix.lstrip(".").lower()
    defaults = {d.get("Extension", "").lower() for d in types.iter(f"{{{_CT_NS}}}Default")}
    overrides = {o.get("PartName") for o in types.iter(f"{{{_CT_NS}}}Override")}
    if "/" + part in overrides or ext in defaults:
        return types_xml
    element = None
    if original_types_xml:
        orig = _parse(original_types_xml)
        for o in orig.iter(f"{{{_CT_NS}}}Override"):
            if o.get("PartName") == "/" + part:
                element = f'<Override PartName={quoteattr("/" + part)} ContentType={quoteattr(o.get("ContentType"))}/>'
        for d in orig.iter(f"{{{_CT_NS}}}Default"):
            if element is None and d.get("Extension", "").lower() == ext:
                element = f'<Default Extension={quoteattr(ext)} ContentType={quoteattr(d.get("ContentType"))}/>'
    if element is None:
        element = f'<Default Extension={quoteattr(ext)} ContentType="application/octet-stream"/>'
    head, sep, tail = types_xml.rpartition(b"</Types>")
    return head + element.encode() + sep + tail


def _write_zip(infos: list[zipfile.ZipInfo], entries: dict[str, bytes], extra: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info, entries[info.filename])
        for name in extra:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), entries[name],
                        compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def restore_package(original: bytes, saved: bytes, cached: dict[str, dict[str, object]]) -> bytes:
    """Put back into openpyxl's output what openpyxl drops: the ribbon, and formula cells' values."""
    _, orig = _read_zip(original)
    infos, entries = _read_zip(saved)
    extra: list[str] = []
    # 1. cached values of formula cells
    parts = sheet_parts(entries)
    for sheet, values in cached.items():
        part = parts.get(sheet)
        if part in entries and values:
            entries[part] = fill_cached_values(entries[part], values)
    # 2. the ribbon: customUI parts hang off the package's root relationships
    if "_rels/.rels" in orig:
        present = {r.get("Type") for r in _relationships(entries["_rels/.rels"])}
        for rel in _relationships(orig["_rels/.rels"]):
            if rel.get("Type") not in RIBBON_REL_TYPES or rel.get("Type") in present:
                continue
            part = rel["Target"].lstrip("/")
            if part not in orig:
                continue
            folder = str(PurePosixPath(part).parent) + "/"
            for name in sorted(orig):   # the part, its .rels and e.g. its images
                if name.startswith(folder) and name not in entries:
                    entries[name] = orig[name]
                    extra.append(name)
                    if not name.endswith(".rels"):
                        entries["[Content_Types].xml"] = _ensure_content_type(
                            entries["[Content_Types].xml"], name, orig.get("[Content_Types].xml"))
            entries["_rels/.rels"] = add_relationship(entries["_rels/.rels"], rel["Type"], rel["Target"], rel.get("Id"))
    return _write_zip(infos, entries, extra)


# ================================================================ verification

class NothingLostError(RuntimeError):
    """The written package would have changed something we do not own; nothing was replaced."""


def _trimmed(rows) -> list[tuple]:
    """Rows from A1 without trailing empty cells and rows (how far a reader pads differs)."""
    out = [_strip_trailing(tuple(r)) for r in rows]
    while out and not out[-1]:
        out.pop()
    return out


def _cell_rows(data: bytes, name: str, data_only: bool, skip: set[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every cell (values, or formulas) of the sheets we do not own (but `skip`), streamed from the package."""
    wb = _load(data, name, read_only=True, data_only=data_only, keep_links=False)
    try:
        return {ws.title: _trimmed(_rows(ws)) for ws in wb.worksheets
                if ws.title not in OWNED_SHEETS and ws.title not in skip}
    finally:
        wb.close()


_CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_SHARED_STRING_CELL = re.compile(rb"""\st\s*=\s*["']s["']""")
_CELL_STYLE = re.compile(rb"""<(?:\w+:)?c\s[^>]*?\bs\s*=\s*["'](\d+)["']""")


def _parts_of_type(entries: dict[str, bytes], content_type: str) -> dict[str, bytes]:
    types = _parse(entries["[Content_Types].xml"])
    names = {o.get("PartName", "").lstrip("/") for o in types.iter(f"{{{_CT_NS}}}Override")
             if o.get("ContentType") == content_type}
    return {n: entries.get(n) for n in sorted(names)}


def _cell_formats(entries: dict[str, bytes]) -> list[tuple] | None:
    """Each cell style (cellXfs entry, by index) as its attributes and its number format's code:
    what decides whether a number in a cell reads as a number, a date or a time."""
    styles = _parts_of_type(entries, _CT_STYLES)
    if len(styles) != 1 or None in styles.values():
        return None
    sheet = _parse(next(iter(styles.values())))
    codes = {n.get("numFmtId"): n.get("formatCode") for n in sheet.iter(f"{{{_MAIN_NS}}}numFmt")}
    xfs = sheet.find(f"{{{_MAIN_NS}}}cellXfs")
    return [(tuple(sorted(xf.attrib.items())), codes.get(xf.get("numFmtId", "0")))
            for xf in (xfs.findall(f"{{{_MAIN_NS}}}xf") if xfs is not None else [])]


def _date_system(entries: dict[str, bytes]):
    pr = _parse(entries["xl/workbook.xml"]).find(f"{{{_MAIN_NS}}}workbookPr")
    return None if pr is None else pr.get("date1904")


def unchanged_sheets(original: bytes, new: bytes) -> set[str]:
    """Sheets we do not own whose cells must read back from `new` exactly as from `original`, with
    no need to read them: the same part, byte for byte, read in the same context -- the same shared
    strings (if the part uses any), every cell style it can refer to unchanged (openpyxl only
    appends styles), the same date system. Anything else is compared cell by cell."""
    _, before = _read_zip(original)
    _, after = _read_zip(new)
    formats_before, formats_after = _cell_formats(before), _cell_formats(after)
    if (formats_before is None or formats_after is None or formats_after[:len(formats_before)] != formats_before
            or _date_system(before) != _date_system(after)):
        return set()
    strings_unchanged = _parts_of_type(before, _CT_SHARED_STRINGS) == _parts_of_type(after, _CT_SHARED_STRINGS)
    parts_before, parts_after = sheet_parts(before), sheet_parts(after)
    out = set()
    for sheet, part in parts_before.items():
        if sheet in OWNED_SHEETS or parts_after.get(sheet) != part or part not in before:
            continue
        xml = before[part]
        if (after.get(part) == xml and (strings_unchanged or not _SHARED_STRING_CELL.search(xml))
                and all(int(i) < len(formats_before) for i in {b"0", *_CELL_STYLE.findall(xml)})):
            out.add(sheet)
    return out


def _strip_trailing(row: tuple) -> tuple:
    row = [_comparable(v) for v in row]
    while row and row[-1] is None:
        row.pop()
    return tuple(row)


def _comparable(value):
    """Array and data-table formulas are objects without equality in openpyxl: compare their parts."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
    if isinstance(value, ArrayFormula):
        return ("array", value.ref, value.text)
    if isinstance(value, DataTableFormula):
        return ("dataTable", tuple(sorted(dict(value).items())))
    return value


# Parts openpyxl may not write back, by what a user would call them. A refresh that would leave
# fewer of any of these than the workbook had is refused (e.g. pictures need Pillow, slicers and
# dynamic-array metadata are not modelled at all).
GUARDED_PARTS = {
    "diagrammer": re.compile(r"xl/charts/chart\d+\.xml$"),
    "billeder": re.compile(r"xl/media/"),
    "tabeller": re.compile(r"xl/tables/table\d+\.xml$"),
    "pivottabeller": re.compile(r"xl/pivotTables/"),
    "kommentarer": re.compile(r"xl/comments\d*\.xml$|xl/comments/"),
    "trådede kommentarer": re.compile(r"xl/threadedComments/"),
    "eksterne kæder": re.compile(r"xl/externalLinks/externalLink\d+\.xml$"),
    "udsnitsværktøjer": re.compile(r"xl/slicers/|xl/slicerCaches/"),
    "tidslinjer": re.compile(r"xl/timelines/|xl/timelineCaches/"),
    "formularkontrolelementer": re.compile(r"xl/ctrlProps/|xl/activeX/"),
    "indlejrede objekter": re.compile(r"xl/embeddings/"),
    "dynamiske matrixformler": re.compile(r"xl/metadata\.xml$"),
    "billeder i celler og datatyper": re.compile(r"xl/richData/"),
}


def part_counts(names) -> dict[str, int]:
    return {what: sum(1 for n in names if rx.match(n)) for what, rx in GUARDED_PARTS.items()}


def package_facts(data: bytes) -> dict[str, object]:
    """What must survive a refresh besides cells: sheet order of others, defined names, VBA, ribbon."""
    _, entries = _read_zip(data)
    wb_xml = _parse(entries["xl/workbook.xml"])
    sheets = [s.get("name") for s in wb_xml.iter(f"{{{_MAIN_NS}}}sheet")]

    def scope(d) -> str | None:
        i = d.get("localSheetId")
        return sheets[int(i)] if i is not None and i.isdigit() and int(i) < len(sheets) else i

    # Compared by the sheet a name belongs to (indices move when a status sheet is added) and
    # without quotes (openpyxl quotes every sheet name; Excel only where needed).
    names = sorted((d.get("name"), scope(d), (d.text or "").replace("'", ""))
                   for d in wb_xml.iter(f"{{{_MAIN_NS}}}definedName")
                   if d.get("name") != "_xlnm._FilterDatabase" and scope(d) not in OWNED_SHEETS)
    ribbon = {}
    for rel in _relationships(entries.get("_rels/.rels", b"<Relationships/>")):
        if rel.get("Type") in RIBBON_REL_TYPES:
            ribbon[rel["Type"]] = entries.get(rel["Target"].lstrip("/"))
    return {"other_sheets": [s for s in sheets if s not in OWNED_SHEETS], "defined_names": names,
            "vba": entries.get("xl/vbaProject.bin"), "ribbon": ribbon, "parts": part_counts(entries)}


def verify_nothing_lost(original: bytes, new: bytes, name: str = "projektmappe",
                        cells_before: dict[str, list[tuple]] | None = None) -> None:
    """Raise NothingLostError unless every sheet we do not own reads back the same, with names, VBA,
    ribbon, and no fewer charts, pictures, tables, comments, slicers, ... than before."""
    before, after = package_facts(original), package_facts(new)
    lost = [what for what, n in before["parts"].items() if after["parts"][what] < n]
    if lost:
        raise NothingLostError(
            f"Projektmappen indeholder {', '.join(lost)}, som ikke kan gemmes uden Excel. Den er ikke ændret; "
            "opdater den i Excel med knappen 'Opdater alle tabeller' på fanen Jobordninger.")
    for key, what in (("other_sheets", "arkene"), ("defined_names", "de definerede navne"),
                      ("vba", "VBA-projektet"), ("ribbon", "båndet (fanen Jobordninger)")):
        if before[key] != after[key]:
            raise NothingLostError(f"Kontrollen før skrivning fandt en forskel i {what}; projektmappen er ikke ændret.")
    same = unchanged_sheets(original, new)
    if cells_before is None:
        cells_before = _cell_rows(original, name, False, same)
    cells_after = _cell_rows(new, name, False, same)
    for sheet, rows in cells_before.items():
        if sheet not in same and cells_after.get(sheet) != rows:
            raise NothingLostError(f"Kontrollen før skrivning fandt en forskel i arket '{sheet}'; "
                                   "projektmappen er ikke ændret.")


# ================================================================ atomic write

def atomic_write(target: Path, data: bytes, mode_from: Path | None = None) -> None:
    """Write `data` to `target` through a temporary file in the same folder and a rename."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        source_mode = target if target.exists() else mode_from
        if source_mode is not None and Path(source_mode).exists():
            os.chmod(tmp, Path(source_mode).stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):
        try:
            dir_fd = os.open(target.parent or Path("."), os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


# ================================================================ command line

# ================================================================ demo workbook

def demo_workbook_bytes() -> bytes:
    """The template filled with the demo register and 2023's aggregates, refreshed."""
    from .template.build import build_template_bytes
    template = build_template_bytes()
    filled = fill_input_tables(template, _demo_frames())
    new, _, _ = refresh_bytes(filled, "demo.xlsm")
    return new


def write_demo_workbook(path) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise _fejl(str(path), f"Mappen '{path.parent}' findes ikke.")
    if path.suffix.lower() != ".xlsm":
        raise _fejl(str(path), "Demoprojektmappen har makroer og skal have filtypen .xlsm.")
    atomic_write(path, demo_workbook_bytes())
    return path


def _demo_frames() -> dict[str, pd.DataFrame]:
    raw = demo_input()
    return {SHEET_FORLOEB: raw.forloeb.frame, SHEET_FLEKSJOB: raw.fleksjob.frame, SHEET_TIDLIGERE: raw.previous.frame}


# the kind of number each numeric input column holds (the engine's one reader decides what 1.084 means)
_NUMERIC_COLUMNS = {"timer_pr_uge": FRACTIONAL, "aar": WHOLE, "status": FRACTIONAL, "antal_forloeb": WHOLE,
                    "maaltal_gruppe": WHOLE, "maaltal_fleksjob": WHOLE, "vaegt_gruppe": FRACTIONAL,
                    "vaegt_fleksjob": FRACTIONAL}
_DATE_COLUMNS = {"start", "slut"}


def _typed(column: str, value):
    """CSV text as the cell type a user's paste would give: dates as dates, numbers as numbers,
    read by the engine's one reader of values; what it cannot read stays text (the engine reports it)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text == "":
        return None
    try:
        if column in _DATE_COLUMNS:
            return read_date(text)
        if column in _NUMERIC_COLUMNS:
            number = read_number(text, _NUMERIC_COLUMNS[column])
            return int(number) if number.is_integer() else number
    except Unreadable:
        return text
    return text


def fill_input_tables(data: bytes, frames: dict[str, pd.DataFrame]) -> bytes:
    """`data` with the given input sheets' tables replaced by `frames` (the tables grow to fit)."""
    wb = _load(data, "skabelon", keep_vba=True, keep_links=True)
    for sheet, frame in frames.items():
        ws = wb[sheet]
        header = INPUT_COLUMNS[sheet]
        if ws.max_row > 1:
            ws.delete_rows(2, ws.max_row - 1)
        cols = [c for c in header if c in frame.columns]
        for r, values in enumerate(frame[cols].itertuples(index=False, name=None), start=2):
            for column, value in zip(cols, values):
                cell = ws.cell(row=r, column=header.index(column) + 1, value=_typed(column, value))
                if column in _DATE_COLUMNS:
                    cell.number_format = FMT_DATE
        table = ws.tables.get(INPUT_TABLE_NAMES[sheet])
        if table is not None:
            from openpyxl.utils import get_column_letter
            table.ref = f"A1:{get_column_letter(len(header))}{max(len(frame) + 1, 2)}"
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref
    buf = io.BytesIO()
    wb.save(buf)
    return restore_package(data, buf.getvalue(), {})

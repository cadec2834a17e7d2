"""Ribbon actions (RunPython / xlwings Server / Lite): read the input sheets, compute, write owned sheets.

Round trips depend on the number of sheets, never on rows: each input sheet is read in one bulk
read; each owned sheet gets one value write (formulas as "=..." strings), one clear of the rows
its previous table used below the new one, one clear of the formats below its header, one write
per number-format range, and the look of `sheets.row_styles`: one bold per header and total run,
three font writes (italic, size, colour) per footnote run. Everything is
computed before the first write, so a failure leaves the previous tables as they were. Only
sheets in `sheets.OWNED_SHEETS` are ever written (`fill_demo` writes input sheets, and only empty ones).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd
import xlwings as xw

from . import sheets
from .engine import pipeline
from .engine.findings import InputError, mask_cpr
from .engine.pipeline import Result
from .engine.values import is_blank, plural

log = logging.getLogger(__name__)

TITLE = "Jobordninger"
_SHOWN_ERRORS = 5   # a message box lists the first few errors; the Kontrol sheet has them all


# ---------------------------------------------------------------- ribbon actions

def refresh_all(book: xw.Book | None = None) -> Result | None:
    """'Opdater alle tabeller': every status sheet from the input sheets, or - on input errors -
    only the Kontrol sheet. Returns the engine's result, or None when nothing was refreshed."""
    book = _book(book)
    try:
        result = compute(read_inputs(book))
        grids = sheets.result_grids(result)
    except InputError as exc:
        if _write_all(book, [sheets.findings_grid(exc.findings)]):
            _alert(book, _errors_message(exc, "Tabellerne er IKKE opdateret"), critical=True)
        return None
    except Exception as exc:  # deliberate: the user gets a Danish message; the log keeps the traceback
        log.exception("refresh_all failed before writing")
        _alert(book, f"Tabellerne er IKKE opdateret: der opstod en uventet fejl ({type(exc).__name__}: "
                     f"{mask_cpr(str(exc))[:200]}). Intet i projektmappen er ændret.", critical=True)
        return None
    if not _write_all(book, grids):
        return None
    _alert(book, f"Alle tabeller er opdateret for {result.settings.period.label()}. {_count(result.findings)} "
                 f"Se arket '{sheets.SHEET_CHECK}'.")
    return result


def validate(book: xw.Book | None = None) -> Result | None:
    """'Valider data': the same reading and checks as refresh_all; writes only the Kontrol sheet."""
    book = _book(book)
    try:
        result = compute(read_inputs(book))
    except InputError as exc:
        if _write_all(book, [sheets.findings_grid(exc.findings)]):
            _alert(book, _errors_message(exc, "Inddata har fejl"), critical=True)
        return None
    except Exception as exc:  # deliberate: logged, and the user gets a Danish message
        log.exception("validate failed")
        _alert(book, f"Kontrollen kunne ikke gennemføres: uventet fejl ({type(exc).__name__}).", critical=True)
        return None
    if not _write_all(book, [sheets.findings_grid(result.findings)]):
        return None
    _alert(book, f"Ingen fejl i inddata. {_count(result.findings)} Se arket '{sheets.SHEET_CHECK}'. "
                 "Tabellerne er ikke ændret; klik 'Opdater alle tabeller' for at opdatere dem.")
    return result


def fill_demo(book: xw.Book | None = None) -> list[str]:
    """'Indlæs demodata': the synthetic demo register into the input sheets that are empty.
    A sheet with any data below its header, or with other headers, is left alone. Returns the
    names of the sheets filled."""
    book = _book(book)
    present = _sheet_map(book)
    grids = demo_grids()
    empty = [g for g in grids if g.name.casefold() not in present
             or _is_empty_input(_read(present[g.name.casefold()]), g.cells[0])]
    for grid in empty:
        write_grid(book, grid, present, clear_below=False)
        _extend_table(present[grid.name.casefold()], grid)
    filled = [f"{g.name} ({plural(len(g.cells) - 1, 'række', 'rækker')})" for g in empty]
    skipped = [g.name for g in grids if g not in empty]
    parts = []
    if filled:
        parts.append("Demodata er indlæst i: " + ", ".join(filled) + ". Klik 'Opdater alle tabeller' for at "
                     "beregne tabellerne.")
    if skipped:
        parts.append("Ikke ændret, fordi arket allerede har data: " + ", ".join(skipped) + ".")
    _alert(book, " ".join(parts))
    return [g.name for g in empty]


def export_note(book: xw.Book | None = None) -> Path | None:
    """'Eksportér notat': the status note (Word) from the input sheets, saved next to the workbook
    under a name that is free (an earlier note, perhaps edited by hand, is never overwritten).
    Writes nothing in the workbook except, on input errors, the Kontrol sheet. Returns the path."""
    from . import notat    # python-docx and matplotlib only when a note is asked for
    book = _book(book)
    try:
        folder = _saved_folder(book)
        if folder is None:
            _alert(book, "Gem projektmappen først: notatet gemmes i samme mappe som projektmappen.", critical=True)
            return None
        raw, settings = sheets.raw_input_from_grids(read_inputs(book))
        result = pipeline.compute(raw, settings)
        target = free_path(folder, f"{Path(book.name).stem} notat {result.settings.period.end.year}.docx")
        notat.write_note(result, target, raw)
    except InputError as exc:
        if _write_all(book, [sheets.findings_grid(exc.findings)]):
            _alert(book, _errors_message(exc, "Notatet er IKKE lavet"), critical=True)
        return None
    except (notat.NoteError, OSError) as exc:
        _alert(book, f"Notatet er IKKE gemt: {mask_cpr(str(exc))[:300]}", critical=True)
        return None
    except Exception as exc:  # deliberate: the user gets a Danish message; the log keeps the traceback
        log.exception("export_note failed")
        _alert(book, f"Notatet er IKKE lavet: der opstod en uventet fejl ({type(exc).__name__}).", critical=True)
        return None
    extra = [f.besked for f in notat.warnings_for(result)]
    _alert(book, " ".join([f"Notatet for {result.settings.period.label()} er gemt her: {target}", *extra,
                           "Tallene er de samme som i tabellerne efter 'Opdater alle tabeller'."]))
    return target


def _saved_folder(book: xw.Book) -> Path | None:
    """The folder of a saved workbook; None for a new, unsaved one (its fullname has no folder)."""
    full = Path(book.fullname)
    return full.parent if full.is_absolute() and full.parent.is_dir() else None


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or 'name (2)', 'name (3)', ... if that file exists."""
    first = Path(folder) / name
    candidate, n = first, 1
    while candidate.exists():
        n += 1
        candidate = first.with_name(f"{first.stem} ({n}){first.suffix}")
    return candidate


# ---------------------------------------------------------------- reading and computing

def compute(grids: dict[str, list[list] | None]) -> Result:
    """The engine on the input sheets' values (Excel error cells are the engine's findings too)."""
    return pipeline.compute(*sheets.raw_input_from_grids(grids))


def read_inputs(book: xw.Book) -> dict[str, list[list] | None]:
    """Every input sheet's values from A1, one bulk read per sheet (None for a missing sheet)."""
    present = _sheet_map(book)
    return {name: (_read(present[name.casefold()]) if name.casefold() in present else None)
            for name in sheets.INPUT_SHEETS}


def _read(sheet) -> list[list]:
    """The sheet's used range as a 2-D list anchored at A1. Errors come as their text ("#N/A")
    so they are reported; without err_to_str xlwings reads them as blank cells."""
    used = sheet.used_range
    values = used.options(ndim=2, err_to_str=True).value
    top, left = used.row - 1, used.column - 1
    if left:
        values = [[None] * left + row for row in values]
    if top:
        values = [[None] * len(values[0]) for _ in range(top)] + values
    return values


def _is_empty_input(values: list[list], header: list) -> bool:
    """No data below row 1, and a header that is blank or ours (never overwrite a user's columns)."""
    if any(not is_blank(v) for row in values[1:] for v in row):
        return False
    first = [v for v in (values[0] if values else []) if not is_blank(v)]
    return not first or [str(v).strip().casefold() for v in first] == [str(h).casefold() for h in header]


# ---------------------------------------------------------------- writing

def _write_all(book: xw.Book, grids: list[sheets.SheetGrid]) -> bool:
    """Write owned sheets in order; if Excel fails part-way, say where (each sheet already written
    holds a whole new table, the rest their old ones) and return False."""
    present = _sheet_map(book)
    for grid in grids:
        if grid.name not in sheets.OWNED_SHEETS:   # the one guard that keeps other sheets untouched
            raise ValueError(f"{grid.name!r} is not a sheet the add-in owns")
        try:
            write_grid(book, grid, present)
        except Exception as exc:  # deliberate: logged, and the user gets a Danish message
            log.exception("writing %s failed", grid.name)
            _alert(book, f"Opdateringen blev afbrudt ved arket '{grid.name}' ({type(exc).__name__}). Arkene før "
                         "det er opdateret, resten er uændrede. Klik 'Opdater alle tabeller' igen.", critical=True)
            return False
    return True


def write_grid(book: xw.Book, grid: sheets.SheetGrid, present: dict | None = None, clear_below: bool = True) -> None:
    """One sheet: one bulk write of the grid (blank cells clear what was there), one clear of the
    rows the previous table used below it and one of the formats below the header, then one write
    per number-format range and the fonts of `sheets.row_styles`. A missing sheet is created (and
    added to `present`, the casefolded name -> sheet map)."""
    present = _sheet_map(book) if present is None else present
    sheet = present.get(grid.name.casefold())
    if sheet is None:
        sheet = present[grid.name.casefold()] = _add_sheet(book, grid.name, present)
    width = max((len(r) for r in grid.cells), default=1)
    cells = [list(r) + [None] * (width - len(r)) for r in grid.cells]
    old_last_row = _last_row(sheet)
    looks = sheets.row_styles(grid)
    sheet.range((1, 1)).value = cells
    if clear_below:
        # Always one action each (even when nothing is left below), so the count never depends on data.
        first_free = len(cells) + 1
        sheet.range((first_free, 1), (max(old_last_row, first_free), width)).clear_contents()
        # The previous table's formats go with it: its total row may now be a scheme row. As the
        # headless writer, which rewrites the sheet's cells from scratch.
        body = sheets.header_row(grid.name) + 1
        sheet.range((body, 1), (max(old_last_row, len(cells), body), width)).clear_formats()
    for address, number_format in grid.formats.items():
        sheet.range(address).number_format = number_format
    for first, last in looks["header"] + looks["total"]:
        sheet.range((first, 1), (last, width)).font.bold = True
    for first, last in looks["note"]:
        font = sheet.range((first, 1), (last, 1)).font
        font.italic = sheets.NOTE_FONT["italic"]
        font.size = sheets.NOTE_FONT["size"]
        font.color = "#" + sheets.NOTE_FONT["color"]


def _last_row(sheet) -> int:
    used = sheet.used_range
    return used.row + used.shape[0] - 1


def _add_sheet(book: xw.Book, name: str, present: dict):
    """A missing sheet goes after the nearest sheet that precedes it in the layout."""
    order = sheets.INPUT_SHEETS + sheets.OWNED_SHEETS
    before = order[:order.index(name)] if name in order else order
    anchor = next((present[n.casefold()] for n in reversed(before) if n.casefold() in present), None)
    return book.sheets.add(name=name, after=anchor or book.sheets[-1])


def _extend_table(sheet, grid: sheets.SheetGrid) -> None:
    """If the input sheet holds its Excel table (ListObject), make it cover the rows just written."""
    table_name = sheets.INPUT_TABLE_NAMES.get(grid.name)
    for table in sheet.tables:
        if table.name == table_name:
            table.resize(sheet.range((1, 1), (max(len(grid.cells), 2), len(grid.cells[0]))))


def _sheet_map(book: xw.Book) -> dict:
    return {s.name.casefold(): s for s in book.sheets}


# ---------------------------------------------------------------- demo data

def demo_grids() -> list[sheets.SheetGrid]:
    """The bundled synthetic register as input-sheet grids with real dates and numbers."""
    return [sheets.input_grid(name, _with_datetimes(sheets.typed_frame(frame)))
            for name, frame in sheets.demo_frames().items()]


def _with_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as datetimes: what xlwings writes as Excel dates (and reads back from them)."""
    return frame.map(lambda v: dt.datetime(v.year, v.month, v.day) if type(v) is dt.date else v)


# ---------------------------------------------------------------- messages

def _book(book):
    return book if book is not None else xw.Book.caller()


def _count(findings) -> str:
    warnings = sum(not f.er_fejl for f in findings)
    return f"{warnings} advarsel." if warnings == 1 else f"{warnings} advarsler."


def _errors_message(exc: InputError, headline: str) -> str:
    errors = exc.errors or exc.findings
    lines = [f"{headline}: inddata har {len(errors)} fejl. De hidtidige tabeller er uændrede.", ""]
    lines += [f"- {f.where()}: {f.besked}" for f in errors[:_SHOWN_ERRORS]]
    if len(errors) > _SHOWN_ERRORS:
        lines.append(f"- ... og {len(errors) - _SHOWN_ERRORS} fejl mere.")
    lines += ["", f"Alle fejl og advarsler (ark, række, kolonne) står på arket '{sheets.SHEET_CHECK}'."]
    return mask_cpr("\n".join(lines))


def _alert(book: xw.Book, text: str, critical: bool = False) -> None:
    """A message box where the runtime has one; otherwise the log (never fail the action for it)."""
    try:
        book.app.alert(text, title=TITLE, buttons="ok", mode="critical" if critical else "info")
    except Exception:  # noqa: BLE001 - e.g. engines without message boxes
        log.warning("%s: %s", TITLE, text)

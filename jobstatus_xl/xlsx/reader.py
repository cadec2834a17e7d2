"""The input sheets' values, streamed: the one workbook reader of `status`, `check` and `refresh`.

Sheets are found through workbook.xml and its rels; only the sheets asked for are parsed, row by
row, with openpyxl's cell parser (its type rules: shared and inline strings, numbers, booleans,
error codes, dates by the cell's number format, formula cells as the value Excel computed). No
other sheet is opened, and no sheet is sized: openpyxl's read-only workbook scans every sheet
without a <dimension> to the end when it is opened, which for a user's sheet of millions of cells
costs a minute. Shared strings and cell styles are read only when a wanted sheet exists.

python-calamine was considered and not taken: it builds a dense range from the sheet's extent, so
one far-away cell (row 1,048,576, column XFD) in an input sheet fills the memory, where this
reader keeps only the cells it meets.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from ..engine.findings import FEJL, Finding, InputError
from .package import MAIN_NS, REL_SHARED_STRINGS, REL_STYLES, Package, parse

MAX_COLUMNS = 64                              # columns read per input sheet (the layout needs ≤ 6)
EXCEL_MAX_ROWS = 1_048_576


def fejl(source: str, message: str) -> InputError:
    return InputError([Finding(FEJL, source, message)])


def _damaged(name: str, what: str, exc: BaseException) -> InputError:
    return fejl(name, f"{what} kan ikke læses ({type(exc).__name__}); projektmappen er beskadiget. "
                      "Åbn den i Excel, gem den igen, og prøv igen.")


def date_style_ids(styles_xml: bytes | None) -> tuple[set[int], set[int]]:
    """Indices of the cell styles (cellXfs) whose number format shows a date, and a duration.
    A style naming a number format that is neither built in nor defined shows General in Excel,
    and counts as no date here (openpyxl's own stylesheet reader ends in a traceback on it)."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
    if not styles_xml:
        return set(), set()
    root = parse(styles_xml)
    codes: dict[int, str] = {k: v for k, v in BUILTIN_FORMATS.items()}
    for nf in root.iter(f"{{{MAIN_NS}}}numFmt"):
        try:
            codes[int(nf.get("numFmtId", ""))] = nf.get("formatCode") or ""
        except ValueError:
            continue
    dates, durations = set(), set()
    xfs = root.find(f"{{{MAIN_NS}}}cellXfs")
    for i, xf in enumerate(xfs.findall(f"{{{MAIN_NS}}}xf") if xfs is not None else []):
        try:
            code = codes.get(int(xf.get("numFmtId", "0")))
        except ValueError:
            code = None
        if code and is_date_format(code):
            dates.add(i)
            if is_timedelta_format(code):
                durations.add(i)
    return dates, durations


class SheetReader:
    """The values of named sheets of one package; context (strings, styles) read once, lazily."""

    def __init__(self, pkg: Package, name: str):
        self.pkg, self.name = pkg, name
        self.refs = {s.name: s for s in pkg.sheets()}
        self._context = None

    def has(self, sheet: str) -> bool:
        ref = self.refs.get(sheet)
        return ref is not None and ref.part in self.pkg

    def _ctx(self):
        if self._context is None:
            from openpyxl.reader.strings import read_string_table
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
            part = self.pkg.part_of_type(REL_SHARED_STRINGS)
            try:
                strings = read_string_table(io.BytesIO(self.pkg.read(part))) if part else []
            except Exception as exc:  # noqa: BLE001 - malformed part
                raise _damaged(self.name, "De delte tekster (sharedStrings)", exc) from None
            styles = self.pkg.part_of_type(REL_STYLES)
            try:
                dates, durations = date_style_ids(self.pkg.read(styles) if styles else None)
            except Exception as exc:  # noqa: BLE001
                raise _damaged(self.name, "Typografierne (styles.xml)", exc) from None
            epoch = CALENDAR_MAC_1904 if self.pkg.date1904() else CALENDAR_WINDOWS_1900
            self._context = (strings, dates, durations, epoch)
        return self._context

    def rows(self, sheet: str, max_col: int | None = None) -> Iterator[tuple[int, list]]:
        """(row number, values from column A) of each stored row, in order; formula cells give the
        value Excel computed. Values beyond `max_col` are not kept."""
        from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
        from openpyxl.xml.functions import iterparse
        strings, dates, durations, epoch = self._ctx()
        src = self.pkg.open(self.refs[sheet].part)
        parser = WorkSheetParser(src, strings, data_only=True, epoch=epoch, date_formats=dates,
                                 timedelta_formats=durations)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")      # openpyxl's notes on extensions it does not model
                for _, element in iterparse(src):
                    if element.tag != ROW_TAG:
                        continue        # a row's cells end before it; only whole rows are let go
                    n, cells = parser.parse_row(element)
                    element.clear()
                    values: dict[int, object] = {}
                    for cell in cells:
                        c = cell["column"]
                        if max_col is None or c <= max_col:
                            values[c] = cell["value"]
                    width = max(values, default=0)
                    yield n, [values.get(c) for c in range(1, width + 1)]
        finally:
            src.close()


def sheet_grid(reader: SheetReader, sheet: str) -> list[list]:
    """A sheet's values from A1, header width bounded, trailing blank rows dropped, no padding blow-up."""
    def blank(v) -> bool:
        return v is None or (isinstance(v, str) and not v.strip())

    try:
        rows = reader.rows(sheet, MAX_COLUMNS)
        first = next(rows, None)
        if first is None or first[0] != 1:
            return []
        header = list(first[1])
        while header and blank(header[-1]):
            header.pop()
        if not header:
            return []
        width = len(header)
        out = [header]
        for n, row in rows:
            if n > EXCEL_MAX_ROWS:
                raise fejl(reader.name, f"Arket '{sheet}' har flere rækker end Excel tillader ({EXCEL_MAX_ROWS}).")
            row = row[:width]
            if all(blank(v) for v in row):
                continue
            # blank rows between data rows are kept (a row number tells the user where to look)
            out.extend([None] * width for _ in range(n - 1 - len(out)))
            out.append(row + [None] * (width - len(row)))
        return out
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed sheet XML, values openpyxl cannot convert
        raise _damaged(reader.name, f"Arket '{sheet}'", exc) from None


def read_grids(pkg: Package, name: str, sheets: list[str]) -> dict[str, list[list]]:
    """The values of those of `sheets` the workbook has."""
    reader = SheetReader(pkg, name)
    return {sheet: sheet_grid(reader, sheet) for sheet in sheets if reader.has(sheet)}


def open_package(data: bytes, name: str) -> Package:
    try:
        return Package(data)
    except Exception as exc:  # noqa: BLE001 - check_package ran first; this is the rare rest
        raise _damaged(name, "Projektmappen", exc) from None

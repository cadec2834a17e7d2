"""The input sheets' values, streamed: the one workbook reader of `status`, `check` and `refresh`.

Sheets are found through workbook.xml and its rels; only the sheets asked for are parsed, row by
row, with lxml (C speed; no DTD, no entities), by openpyxl's type rules: shared and inline
strings, numbers, booleans, error codes, dates by the cell's number format (openpyxl's date
detection and conversion), formula cells as the value Excel computed. No
other sheet is opened, and no sheet is sized: openpyxl's read-only workbook scans every sheet
without a <dimension> to the end when it is opened, which for a user's sheet of millions of cells
costs a minute. Shared strings and cell styles are read only when a wanted sheet exists.

python-calamine was considered and not taken: it builds a dense range from the sheet's extent, so
one far-away cell (row 1,048,576, column XFD) in an input sheet fills the memory, where this
reader keeps only the cells it meets.
"""

from __future__ import annotations

import re
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


_M = f"{{{MAIN_NS}}}"
_ROW, _C, _V, _IS, _T, _R, _RPH = (_M + t for t in ("row", "c", "v", "is", "t", "r", "rPh"))
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _column_index(ref: str, cache: dict[str, int]) -> int:
    letters = ref.rstrip("0123456789")
    n = cache.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + _LETTERS.index(ch) + 1
        cache[letters] = n
    return n


def _rich_text(element) -> str:
    """The text of an <is> or <si>: its <t>, or its runs' <t>s; phonetic hints (<rPh>) left out."""
    t = element.find(_T)
    if t is not None:
        return t.text or ""
    if element.find(_R) is None:
        return ""
    return "".join(r.findtext(_T) or "" for r in element.iter(_R) if r.getparent() is element)


def _xml_iter(source, tag: str):
    """Streamed <tag> elements of a part (lxml: no DTD, no entities, no network), each cleared
    with everything before it once the caller is done with it."""
    from lxml import etree
    for _, element in etree.iterparse(source, events=("end",), tag=tag, resolve_entities=False, no_network=True,
                                      load_dtd=False, huge_tree=False, remove_comments=True):
        yield element
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def shared_strings(source) -> list[str]:
    # openpyxl's reader drops the escape of an underscore the same way; kept so that a workbook
    # reads as it did (`x005F_` in a text is Excel's escape of "_")
    return [_rich_text(si).replace("x005F_", "") for si in _xml_iter(source, _M + "si")]


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
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
            part = self.pkg.part_of_type(REL_SHARED_STRINGS)
            try:
                strings = shared_strings(self.pkg.open(part)) if part else []
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
        """(row number, values from column A) of each stored row, in order. The cell types as
        openpyxl reads them with cached values: shared and inline strings, numbers (int when
        written without a point or exponent), booleans, error codes as text, dates by the cell's
        number format, formula cells as the value Excel computed.

        Two ways, one result. The fast way reads the rows of the part as Excel, LibreOffice and
        openpyxl write them (`<c r="A1" ...>`, unprefixed) with regular expressions, after expat
        has checked that the whole part is well-formed XML; a row it cannot account for cell by
        cell is read by lxml instead. A part in any other form is read by lxml throughout."""
        convert = _Converter(*self._ctx())
        part = self.refs[sheet].part
        info = self.pkg.by_name[part]
        if info.file_size <= _FAST_MAX_BYTES:
            data = self.pkg.read(part)
            self.pkg.forget(part)
            if _FAST_ROOT.match(data) and _well_formed(data):
                yield from _fast_rows(data, convert, max_col)
                return
        with self.pkg.open(part) as src:
            last_row = 0
            for row in _xml_iter(src, _ROW):
                last_row, values = _lxml_row(row, last_row, convert, max_col)
                yield last_row, values


_FAST_MAX_BYTES = 1 << 30
_FAST_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>\s*)?<worksheet\b")
_SHEET_DATA = re.compile(rb"<sheetData\b[^>]*?(?:/>|>)")
_ROW_RE = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})[0-9]+"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_CELL_ATTR = re.compile(rb'\s([st])="([^"]*)"')
_V_RE = re.compile(rb"<v>([^<]*)</v>")
_T_RE = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")


def _well_formed(data: bytes) -> bool:
    from xml.parsers import expat
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    if "&" in text:
        import html
        text = html.unescape(text)          # only XML's entities get here: expat refused any other
    return text


class _Converter:
    """One cell's value from its type, style and text, as openpyxl reads it."""

    def __init__(self, strings, dates, durations, epoch):
        self.strings, self.dates, self.durations, self.epoch = strings, dates, durations, epoch
        self.when: dict[tuple, object] = {}      # (serial, style) -> date: registers repeat their dates

    def __call__(self, kind, style, text):
        if kind is None or kind == "n":
            if style is not None and style in self.dates:
                key = (text, style)
                value = self.when.get(key)
                if value is None:
                    from openpyxl.utils.datetime import from_excel
                    value = self.when[key] = from_excel(float(text), self.epoch, timedelta=style in self.durations)
                return value
            return float(text) if (b"." in text or b"E" in text or b"e" in text) else int(text)
        if kind == "s":
            return self.strings[int(text)]
        if kind == "b":
            return text in (b"1", b"true")
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601
            return from_ISO8601(_text(text))
        return _text(text)                      # "str" (a formula's text), "e" (an error code)


_CHUNK = 1 << 20
# The plainest cells, the bulk of any register: a value or one inline text, attributes s and t only.
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"((?: [st]="[^"]*")*)'
                         rb'(?:/>|>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)</c>)')


def _fast_rows(data: bytes, convert: _Converter, max_col: int | None):
    """Rows of the part: a chunk of about a megabyte of whole rows at a time with one regular
    expression for plain cells; a chunk holding any other cell goes row by row (`_rows_in`)."""
    start = _SHEET_DATA.search(data)
    if start is None or start.group(0).endswith(b"/>"):
        return
    end = data.find(b"</sheetData>", start.end())
    end = end if end >= 0 else len(data)
    columns: dict[bytes, int] = {}
    attrs_seen: dict[bytes, tuple] = {}
    state = {"last_row": 0}
    pos = start.end()
    while pos < end:
        cut = data.find(b"</row>", min(pos + _CHUNK, end))
        cut = end if cut < 0 or cut >= end else cut + len(b"</row>")
        chunk = data[pos:cut]
        cells = _PLAIN_CELL.findall(chunk)
        if len(cells) == chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/>") \
                and chunk.count(b"<row") == chunk.count(b'<row r="'):
            yield from _plain_rows(cells, convert, max_col, columns, attrs_seen, state)
        else:
            yield from _rows_in(data, pos, cut, convert, max_col, columns, attrs_seen, state)
        pos = cut


def _plain_rows(cells, convert, max_col, columns, attrs_seen, state):
    current, values = None, {}
    for letters, number, attrs, v, t in cells:
        if number != current:
            if current is not None:
                yield state["last_row"], [values.get(i) for i in range(1, max(values, default=0) + 1)]
            current, values = number, {}
            state["last_row"] = int(number)
        c, kind, style = _place(letters, attrs, columns, attrs_seen)
        if max_col is not None and c > max_col:
            continue
        if kind == "inlineStr":
            values[c] = _text(t)
        elif v:                         # <v></v>: no value, as lxml (and openpyxl) read it
            values[c] = convert(kind, style, v)
    if current is not None:
        yield state["last_row"], [values.get(i) for i in range(1, max(values, default=0) + 1)]


def _place(letters: bytes, attrs: bytes, columns: dict, attrs_seen: dict) -> tuple[int, str, int | None]:
    """A cell's column, type and style from its column letters and other attributes (both cached:
    a register repeats a handful of each)."""
    c = columns.get(letters)
    if c is None:
        c = columns[letters] = _column_index(letters.decode(), {})
    parsed = attrs_seen.get(attrs)
    if parsed is None:
        found = dict(_CELL_ATTR.findall(attrs))
        parsed = attrs_seen[attrs] = (found.get(b"t", b"n").decode(),
                                      int(found[b"s"]) if found.get(b"s", b"").isdigit() else None)
    return (c,) + parsed


def _rows_in(data: bytes, pos: int, end: int, convert, max_col, columns, attrs_seen, state):
    last_row = state["last_row"]
    for m in _ROW_RE.finditer(data, pos, end):
        number = _ROW_NUMBER.search(m.group(1))
        n = int(number.group(1)) if number else last_row + 1
        body = m.group(2) or b""
        cells = _CELL_RE.findall(body)
        if len(cells) != body.count(b"<c ") + body.count(b"<c>") + body.count(b"<c/>"):
            last_row, values = _lxml_row(_row_element(m.group(0)), last_row, convert, max_col)
            state["last_row"] = last_row
            yield last_row, values
            continue
        last_row = state["last_row"] = n
        values: dict[int, object] = {}
        for letters, attrs, inner in cells:
            c, kind, style = _place(letters, attrs, columns, attrs_seen)
            if max_col is not None and c > max_col:
                continue
            if kind == "inlineStr":
                if b"<rPh" in inner:
                    values[c] = _rich_text(_row_element(b"<is>" + inner.split(b"<is>", 1)[-1].rsplit(b"</is>", 1)[0]
                                                        + b"</is>", "is"))
                else:
                    values[c] = _text(b"".join(_T_RE.findall(inner)))
                continue
            if inner.startswith(b"<v>") and inner.endswith(b"</v>") and b"<" not in inner[3:-4]:
                text = inner[3:-4]
            else:
                v = _V_RE.search(inner) if inner else None
                if v is None:
                    continue
                text = v.group(1)
            if text:                    # <v></v>: no value, as lxml (and openpyxl) read it
                values[c] = convert(kind, style, text)
        width = max(values, default=0)
        yield n, [values.get(i) for i in range(1, width + 1)]


def _row_element(xml: bytes, tag: str = "row"):
    """A row (or <is>) cut from a well-formed unprefixed part, as an lxml element in the main namespace."""
    from lxml import etree
    head, sep, rest = xml.partition(b"<" + tag.encode())
    return etree.fromstring(head + sep + b' xmlns="' + MAIN_NS.encode() + b'"' + rest,
                            parser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


def _lxml_row(row, last_row: int, convert: _Converter, max_col: int | None) -> tuple[int, list]:
    r = row.get("r")
    n = int(r) if r else last_row + 1
    columns: dict[str, int] = {}
    values: dict[int, object] = {}
    c = 0
    for cell in row.iterchildren(_C):
        ref = cell.get("r")
        c = _column_index(ref, columns) if ref else c + 1
        if max_col is not None and c > max_col:
            continue
        kind = cell.get("t")
        if kind == "inlineStr":
            element = cell.find(_IS)
            values[c] = _rich_text(element) if element is not None else None
            continue
        v = cell.find(_V)
        if v is None or v.text is None:
            continue
        style = cell.get("s")
        values[c] = convert(kind, int(style) if style and style.isdigit() else None, v.text.encode("utf-8"))
    width = max(values, default=0)
    return n, [values.get(i) for i in range(1, width + 1)]


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
            for v in row:               # the first value decides almost every row
                if v is not None and (v.__class__ is not str or v.strip()):
                    break
            else:
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

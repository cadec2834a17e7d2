"""An owned sheet's XML from its `SheetGrid`, and the cell styles it needs.

Cells: text as inline strings (the shared-string table is never touched), numbers, booleans,
dates as serials in the workbook's date system, formulas with the value the engine computed as
their cached value (so Excel without Python, LibreOffice and previewers show figures). The sheet's
other content -- code name, views, column widths, print setup, its drawing with the Oversigt
charts -- is kept from the part being replaced: only <sheetData> and <dimension> are new. A
missing owned sheet gets a frame of its own (`new_frame`).

Styles (`StyleBook`): the looks of `style.cell_looks` become cellXfs entries. An entry, font,
fill, border or number format equal to one the workbook has is reused; anything else is appended
at the end of its list, so every index a cell elsewhere refers to keeps its meaning. A second
refresh finds everything it needs and leaves styles.xml byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from xml.sax.saxutils import escape, quoteattr

from ..celltext import stored_text
from ..sheets import SheetGrid, a1
from .package import MAIN_NS, R_NS, parse
from .style import Look, cell_looks, page_setup, row_heights, sheet_widths, styles

_M = f"{{{MAIN_NS}}}"


# ---------------------------------------------------------------- styles.xml, append-only

def _sig(el) -> tuple:
    """An element's structure: local name, attributes, children (what makes two fonts the same)."""
    return (el.tag.rsplit("}", 1)[-1], tuple(sorted((k.rsplit("}", 1)[-1], v) for k, v in el.attrib.items())),
            tuple(_sig(c) for c in el))


def _serialise(el, prefix: str) -> str:
    tag = prefix + el.tag.rsplit("}", 1)[-1]
    attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in el.attrib.items())
    children = "".join(_serialise(c, prefix) for c in el)
    return f"<{tag}{attrs}>{children}</{tag}>" if children else f"<{tag}{attrs}/>"


_BOOL_TRUE = ("1", "true")


class StyleBook:
    """The cell styles of one styles.xml, to find or append the ones owned sheets need."""

    _LISTS = ("numFmts", "fonts", "fills", "borders", "cellXfs")

    def __init__(self, xml: bytes):
        self.original = xml
        m = re.search(rb"<(\w+:)?styleSheet\b", xml)
        if m is None:
            raise ValueError("not a styleSheet")
        self.prefix = (m.group(1) or b"").decode()
        root = parse(xml)
        self.lists = {name: root.find(_M + name) for name in self._LISTS}
        for name in ("fonts", "fills", "borders", "cellXfs"):
            if self.lists[name] is None:
                raise ValueError(f"styles.xml has no {name}")
        self.sigs = {name: [_sig(c) for c in self.lists[name]] for name in ("fonts", "fills", "borders")}
        self.formats = {nf.get("formatCode"): int(nf.get("numFmtId")) for nf in root.iter(_M + "numFmt")
                        if (nf.get("numFmtId") or "").isdigit()}
        self.xfs = [self._xf_key(xf) for xf in self.lists["cellXfs"]]
        self.appended: dict[str, list[str]] = {name: [] for name in self._LISTS}
        self._objects = styles()
        self._cache: dict[Look, int] = {}

    @staticmethod
    def _xf_key(xf) -> tuple:
        def num(attr: str) -> int:
            v = xf.get(attr, "0")
            return int(v) if v.isdigit() else -1
        children = tuple(_sig(c) for c in xf)
        return (num("numFmtId"), num("fontId"), num("fillId"), num("borderId"), num("xfId"),
                xf.get("quotePrefix", "0").lower() in _BOOL_TRUE, children)

    def _find_or_add(self, kind: str, el) -> int:
        sig = _sig(el)
        sigs = self.sigs[kind]
        if sig in sigs:
            return sigs.index(sig)
        sigs.append(sig)
        self.appended[kind].append(_serialise(el, self.prefix))
        return len(sigs) - 1

    def _number_format(self, code: str | None) -> int:
        from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
        if not code:
            return 0
        if code in self.formats:
            return self.formats[code]
        if code in BUILTIN_FORMATS_REVERSE:
            return BUILTIN_FORMATS_REVERSE[code]
        new = max([163, *self.formats.values()]) + 1
        self.formats[code] = new
        self.appended["numFmts"].append(f"<{self.prefix}numFmt numFmtId=\"{new}\" formatCode={quoteattr(code)}/>")
        return new

    def index(self, look: Look) -> int:
        """The cellXfs index of `look` (0 for the default look)."""
        if look == Look():
            return 0
        if look in self._cache:
            return self._cache[look]
        o = self._objects
        numfmt = self._number_format(look.number_format)
        font = self._find_or_add("fonts", o[look.font].to_tree()) if look.font else 0
        fill = self._find_or_add("fills", o[look.fill].to_tree()) if look.fill else 0
        border = self._find_or_add("borders", o[look.border].to_tree()) if look.border else 0
        align = o[look.alignment].to_tree() if look.alignment else None
        key = (numfmt, font, fill, border, 0, look.quote_prefix, (_sig(align),) if align is not None else ())
        if key in self.xfs:
            i = self.xfs.index(key)
        else:
            self.xfs.append(key)
            i = len(self.xfs) - 1
            attrs = (f'numFmtId="{numfmt}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
                     + (' applyNumberFormat="1"' if numfmt else "") + (' applyFont="1"' if font else "")
                     + (' applyFill="1"' if fill else "") + (' applyBorder="1"' if border else "")
                     + (' applyAlignment="1"' if align is not None else "")
                     + (' quotePrefix="1"' if look.quote_prefix else ""))
            inner = _serialise(align, self.prefix) if align is not None else ""
            p = self.prefix
            self.appended["cellXfs"].append(f"<{p}xf {attrs}>{inner}</{p}xf>" if inner else f"<{p}xf {attrs}/>")
        self._cache[look] = i
        return i

    def xml(self) -> bytes:
        """styles.xml with what was appended; the original bytes when nothing was."""
        xml = self.original
        p = self.prefix.encode()
        for name in self._LISTS:
            new = "".join(self.appended[name]).encode("utf-8")
            if not new:
                continue
            tag = p + name.encode()
            if self.lists[name] is None:           # only numFmts can be missing: it comes first
                m = re.search(rb"<" + p + rb"styleSheet\b[^>]*>", xml)
                count = str(len(self.appended[name])).encode()
                block = b"<" + tag + b' count="' + count + b'">' + new + b"</" + tag + b">"
                xml = xml[:m.end()] + block + xml[m.end():]
                continue
            total = len(self.lists[name]) + len(self.appended[name])
            opening = re.search(rb"<" + re.escape(tag) + rb"\b[^>]*?(/?)>", xml)
            head = re.sub(rb'\bcount\s*=\s*"\d*"', b'count="' + str(total).encode() + b'"', opening.group(0))
            if opening.group(1):                   # <fonts count="0"/>
                head = head[:-2].rstrip() + b">"
                xml = xml[:opening.start()] + head + new + b"</" + tag + b">" + xml[opening.end():]
            else:
                close = xml.index(b"</" + tag + b">", opening.end())
                xml = xml[:opening.start()] + head + xml[opening.end():close] + new + xml[close:]
        return xml


# ---------------------------------------------------------------- the sheet

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def xml_text(text: str) -> str:
    """Text for a cell: characters XML cannot hold as Excel's _xHHHH_ escape (and a literal
    _xHHHH_ escaped in turn), then XML-escaped."""
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return escape(text)


def _number(value) -> str | None:
    v = float(value)
    if not math.isfinite(v):
        return None
    if isinstance(value, bool):
        return None
    if float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def _cached(value) -> tuple[str, str] | None:
    """(type attribute, <v> text) of a formula's cached value; None: no cached value."""
    from ..engine.findings import EXCEL_ERRORS
    if value is None:
        return None
    if isinstance(value, bool):
        return ' t="b"', "1" if value else "0"
    if isinstance(value, (int, float)):
        text = _number(value)
        return None if text is None else ("", text)
    if isinstance(value, str) and value in EXCEL_ERRORS:
        # exact codes only: a UDF's "#FEJL: ..." message is a text result and stays text
        return ' t="e"', value
    return ' t="str"', xml_text(str(value))


def _cell(ref: str, value, style: int, epoch) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, str) and value.startswith("="):
        raise AssertionError("formulas are written by the caller")
    if isinstance(value, str):
        text, _ = stored_text(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        from openpyxl.utils.datetime import to_excel
        return f'<c r="{ref}"{s}><v>{_number(to_excel(value, epoch))}</v></c>'
    text = _number(value)
    return f'<c r="{ref}"{s}/>' if text is None else f'<c r="{ref}"{s}><v>{text}</v></c>'


def sheet_data(grid: SheetGrid, book: StyleBook, epoch, prefix: str = "") -> tuple[str, str]:
    """(<sheetData> with every cell of `grid`, the used range for <dimension>)."""
    looks = cell_looks(grid)
    heights = row_heights(grid)
    cells: dict[int, dict[int, object]] = {}
    for r, row in enumerate(grid.cells, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                cells.setdefault(r, {})[c] = value
    for r, c in looks:
        cells.setdefault(r, {}).setdefault(c, None)
    out = [f"<{prefix}sheetData>"]
    max_r = max_c = 1
    for r in sorted(set(cells) | set(heights)):
        ht = f' ht="{heights[r]}" customHeight="1"' if r in heights else ""
        out.append(f'<{prefix}row r="{r}"{ht}>')
        for c in sorted(cells.get(r, {})):
            value = cells[r][c]
            ref = a1(r, c)
            style = book.index(looks.get((r, c), Look()))
            max_r, max_c = max(max_r, r), max(max_c, c)
            if isinstance(value, str) and value.startswith("="):
                cached = _cached(grid.computed.get((r - 1, c - 1)))
                s = f' s="{style}"' if style else ""
                kind, v = cached if cached else ("", None)
                formula = f"<{prefix}f>{xml_text(value[1:])}</{prefix}f>"
                out.append(f'<{prefix}c r="{ref}"{s}{kind}>{formula}'
                           + (f"<{prefix}v>{v}</{prefix}v>" if v is not None else "") + f"</{prefix}c>")
            else:
                xml = _cell(ref, value, style, epoch)
                out.append(xml if not prefix else re.sub(r"<(/?)(c|is|t|v)\b", rf"<\1{prefix}\2", xml))
        out.append(f"</{prefix}row>")
    out.append(f"</{prefix}sheetData>")
    return "".join(out), f"A1:{a1(max_r, max_c)}"


def new_frame(sheet: str) -> bytes:
    """The XML around <sheetData> for an owned sheet the workbook lacks: widths and print setup."""
    from openpyxl.utils.cell import column_index_from_string
    cols = "".join(f'<col min="{column_index_from_string(k)}" max="{column_index_from_string(k)}" width="{w}" '
                   f'customWidth="1"/>' for k, w in sorted(sheet_widths(sheet).items(),
                                                            key=lambda kv: column_index_from_string(kv[0])))
    setup = page_setup(sheet)
    fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if setup else ""
    page = ("<pageSetup " + " ".join(f'{k}="{v}"' for k, v in setup.items()) + "/>") if setup else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{R_NS}">{fit}<dimension ref="A1"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData/>"
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
            + page + "</worksheet>").encode("utf-8")


_SHEET_DATA = re.compile(rb"<(\w+:|)sheetData\b[^>]*?/>|<(\w+:|)sheetData\b[^>]*>.*?</\2sheetData>", re.S)
_DIMENSION = re.compile(rb"<(\w+:)?dimension\b[^>]*?/>")


def sheet_xml(grid: SheetGrid, frame: bytes, book: StyleBook, epoch) -> bytes:
    """`frame` (the owned sheet's current part, or `new_frame`) with `grid` as its cells."""
    m = _SHEET_DATA.search(frame)
    if m is None:
        raise ValueError("no sheetData in the sheet part")
    prefix = (m.group(1) or m.group(2) or b"").decode()
    data, used = sheet_data(grid, book, epoch, prefix)
    out = frame[:m.start()] + data.encode("utf-8") + frame[m.end():]
    return _DIMENSION.sub(lambda d: b"<" + (d.group(1) or b"") + b'dimension ref="' + used.encode() + b'"/>', out,
                          count=1)

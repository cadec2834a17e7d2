"""openpyxl's output, mended: how `fill_input_tables` (demo workbook, tests) saves a whole package.

The headless refresh does not save through openpyxl any more (see `owned`); filling the input
tables of the template with the demo register still does, and openpyxl drops two things on save
that are put back here: the ribbon (customUI part and its relationship) and the cached values of
formula cells (`<v>`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import PurePosixPath
from xml.sax.saxutils import escape

from ..engine.findings import EXCEL_ERRORS, FEJL, Finding, InputError
from .package import (MAIN_NS as _MAIN_NS, R_NS as _R_NS, RIBBON_REL_TYPES, add_relationship, ensure_content_type,
                      parse as _parse, relationships as _relationships, resolve_target)


def _fejl(source: str, message: str) -> InputError:
    return InputError([Finding(FEJL, source, message)])


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


def sheet_parts(entries: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part name in the package (xl/worksheets/sheetN.xml)."""
    target = {r.get("Id"): r.get("Target", "") for r in _relationships(entries["xl/_rels/workbook.xml.rels"])}
    return {s.get("name"): resolve_target("xl/workbook.xml", target.get(s.get(f"{{{_R_NS}}}id"), ""))
            for s in _parse(entries["xl/workbook.xml"]).iter(f"{{{_MAIN_NS}}}sheet")}


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
                        entries["[Content_Types].xml"] = ensure_content_type(
                            entries["[Content_Types].xml"], name, orig.get("[Content_Types].xml"))
            entries["_rels/.rels"] = add_relationship(entries["_rels/.rels"], rel["Type"], rel["Target"], rel.get("Id"))
    return _write_zip(_in_stable_order(infos), entries, extra)


# The parts openpyxl's writer copies from a macro workbook's source (`ExcelWriter._merge_vba`: the
# VBA project, the ribbon, ...). It writes them in the order of a set of names, which changes with
# the interpreter's hash seed: the same workbook saved twice would differ in its entries' order.
_COPIED_FROM_SOURCE = re.compile(r"xl/vba|xl/drawings/.*vmlDrawing\d\.vml|xl/ctrlProps|customUI|xl/activeX|xl/media/.*\.emf")


def _in_stable_order(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """`infos` with the parts openpyxl copies from the source put in name order, in the places
    they already hold: every other entry keeps its position, and the bytes stop depending on the seed."""
    places = [i for i, info in enumerate(infos) if _COPIED_FROM_SOURCE.match(info.filename)]
    ordered = sorted((infos[i] for i in places), key=lambda info: info.filename)
    out = list(infos)
    for i, info in zip(places, ordered):
        out[i] = info
    return out



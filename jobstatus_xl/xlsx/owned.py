"""Replace the owned sheets' parts of a package; change shared parts minimally; prove the rest.

What changes, and why (everything else is copied as its stored bytes, in the original order):
- each owned sheet's part (`sheets.OWNED_SHEETS`, found by name through workbook.xml and its
  rels, whatever the part is called): new <sheetData> and <dimension>, the rest kept;
- `xl/styles.xml`, only when an owned sheet needs a cell style the workbook does not have:
  appended at the end of its lists, existing indices never move (`sheetxml.StyleBook`);
- `xl/calcChain.xml` is dropped (with its relationship and content type), as the formula cells of
  the owned sheets it lists are rewritten; Excel rebuilds it on the next save without a repair;
- only when an owned sheet is missing: `xl/workbook.xml` (one <sheet>, later sheets'
  localSheetId and the active tab moved by one), its rels (one relationship) and
  `[Content_Types].xml` (one Override), and the new sheet's part, appended at the end.
Shared strings are never touched: owned sheets carry inline strings.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from ..sheets import OWNED_SHEETS, SheetGrid
from . import package
from .package import (CONTENT_TYPES, CT_WORKSHEET, R_NS, REL_CALC_CHAIN, REL_STYLES, REL_WORKSHEET, WORKBOOK_PART,
                      Package, add_relationship, ensure_override, free_relationship_id, parse, rels_name,
                      remove_elements)
from .reader import fejl
from .sheetxml import StyleBook, new_frame, sheet_xml
from .verify import verify_package


def _epoch(pkg: Package):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
    return CALENDAR_MAC_1904 if pkg.date1904() else CALENDAR_WINDOWS_1900


def name_clashes(pkg: Package, grids: list[SheetGrid], name: str) -> None:
    """Excel's sheet names ignore case: an owned sheet that is missing cannot be recreated beside
    a user's sheet of the same name in other letters."""
    present = [s.name for s in pkg.sheets()]
    for grid in grids:
        if grid.name in present:
            continue
        other = next((s for s in present if s.casefold() == grid.name.casefold()), None)
        if other is not None:
            raise fejl(name, f"Arket '{other}' har samme navn som tilføjelsesprogrammets ark '{grid.name}' (Excel "
                             "skelner ikke mellem store og små bogstaver), og arket '{0}' mangler. Omdøb dit ark "
                             "'{1}', fx til '{1} (mine)', og kør opdateringen igen; projektmappen er ikke ændret."
                             .format(grid.name, other))


def _insert_sheet(wb_xml: bytes, position: int, sheet: str, sheet_id: int, rid: str) -> bytes:
    sheets = re.search(rb"<(\w+:|)sheets\b[^>]*>(.*?)</\1sheets>", wb_xml, re.S)
    if sheets is None:
        raise ValueError("workbook.xml has no <sheets>")
    prefix = sheets.group(1) or b""
    element = (b"<" + prefix + b"sheet xmlns:r=" + quoteattr(R_NS).encode()
               + b" name=" + quoteattr(sheet).encode("utf-8")
               + b' sheetId="' + str(sheet_id).encode() + b'" r:id=' + quoteattr(rid).encode() + b"/>")
    existing = list(re.finditer(rb"<" + re.escape(prefix) + rb"sheet\b[^>]*?/>", sheets.group(2)))
    at = sheets.start(2) + (existing[position - 1].end() if position else 0)
    out = wb_xml[:at] + element + wb_xml[at:]

    def shift(m: re.Match) -> bytes:
        n = int(m.group(2))
        return m.group(1) + str(n + 1 if n >= position else n).encode() + m.group(3)
    out = re.sub(rb'(\blocalSheetId\s*=\s*")(\d+)(")', shift, out)
    out = re.sub(rb'(\bactiveTab\s*=\s*")(\d+)(")', shift, out)
    return re.sub(rb'(\bfirstSheet\s*=\s*")(\d+)(")', shift, out)


def replace_owned(pkg: Package, grids: list[SheetGrid], name: str) -> bytes:
    """The package with `grids` (owned sheets) written; verified before it is returned."""
    name_clashes(pkg, grids, name)
    styles_part = pkg.part_of_type(REL_STYLES)
    try:
        book = StyleBook(pkg.read(styles_part)) if styles_part else None
    except Exception as exc:  # noqa: BLE001 - a styles part we cannot extend
        raise fejl(name, f"Typografierne (styles.xml) kan ikke læses ({type(exc).__name__}); projektmappen er "
                         "beskadiget. Åbn den i Excel, gem den igen, og prøv igen.") from None
    if book is None:
        raise fejl(name, "Projektmappen har ingen typografier (styles.xml). Åbn den i Excel, gem den igen, og prøv "
                         "igen.")
    epoch = _epoch(pkg)
    refs = {s.name: s for s in pkg.sheets()}
    replaced: dict[str, bytes] = {}
    added: dict[str, bytes] = {}
    missing: list[SheetGrid] = []
    for grid in grids:
        ref = refs.get(grid.name)
        if ref is None:
            missing.append(grid)
            continue
        if ref.part not in pkg:
            raise fejl(name, f"Arket '{grid.name}' henviser til en del, der mangler i filen; projektmappen er "
                             "beskadiget. Slet arket i Excel, gem, og kør opdateringen igen.")
        try:
            replaced[ref.part] = sheet_xml(grid, pkg.read(ref.part), book, epoch)
        except ValueError:
            raise fejl(name, f"Arket '{grid.name}' kan ikke opdateres: dets XML er ikke et regneark. Slet arket i "
                             "Excel, gem, og kør opdateringen igen.") from None
    dropped: set[str] = set()
    wb_rels = rels_name(WORKBOOK_PART)
    calc_chain = pkg.part_of_type(REL_CALC_CHAIN)
    if calc_chain or missing:
        wb_xml, rels, types = pkg.read(WORKBOOK_PART), pkg.read(wb_rels), pkg.read(CONTENT_TYPES)
        if calc_chain:
            dropped.add(calc_chain)
            rels = remove_elements(rels, "Relationship", "Type", REL_CALC_CHAIN)
            types = remove_elements(types, "Override", "PartName", "/" + calc_chain)
        names = [s.name for s in pkg.sheets()]
        ids = [int(s.sheet_id) for s in pkg.sheets() if s.sheet_id.isdigit()]
        used_parts = set(pkg.by_name)
        for grid in missing:
            before = OWNED_SHEETS[:OWNED_SHEETS.index(grid.name)] if grid.name in OWNED_SHEETS else []
            present = [names.index(s) for s in before if s in names]
            position = max(present) + 1 if present else len(names)
            n = 1
            while f"xl/worksheets/sheet{n}.xml" in used_parts:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            used_parts.add(part)
            rid = free_relationship_id(rels)
            rels = add_relationship(rels, REL_WORKSHEET, f"worksheets/sheet{n}.xml", rid)
            types = ensure_override(types, part, CT_WORKSHEET)
            sheet_id = max(ids, default=0) + 1
            ids.append(sheet_id)
            wb_xml = _insert_sheet(wb_xml, position, grid.name, sheet_id, rid)
            names.insert(position, grid.name)
            added[part] = sheet_xml(grid, new_frame(grid.name), book, epoch)
        for part, new in ((WORKBOOK_PART, wb_xml), (wb_rels, rels), (CONTENT_TYPES, types)):
            if new != pkg.read(part):
                parse(new)
                replaced[part] = new
    styles = book.xml()
    if styles != pkg.read(styles_part):
        replaced[styles_part] = styles
    data = package.write_package(pkg, replaced, dropped, added)
    verify_package(pkg, data, set(replaced), dropped, list(added), styles_part)
    return data


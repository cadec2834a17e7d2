"""The headless refresh replaces parts, it does not re-save the package: everything it does not own
comes out as the very bytes that went in -- content openpyxl would drop included -- and the file is
replaced only when that is safe (nobody saved meanwhile, not open in Excel, not read-only).
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from jobstatus_xl import sheets, workbook, xlsxguard
from jobstatus_xl.engine.pipeline import compute
from jobstatus_xl.xlsx import atomic, owned, package, reader, sheetxml
from libreoffice import convert, requires_libreoffice
from workbooks import TEMPLATE, cells, expected_grids, filled_template, small_filled, with_user_sheet
from zips import make_zip, zip_entries, zip_names

pytestmark = pytest.mark.slow   # whole workbooks refreshed part by part, signals in subprocesses: out of the inner loop

ROOT = Path(__file__).resolve().parents[1]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def owned_parts(data: bytes) -> set[str]:
    parts = workbook.sheet_parts(zip_entries(data))
    return {parts[s] for s in sheets.OWNED_SHEETS if s in parts}


def changed_parts(before: bytes, after: bytes) -> set[str]:
    b, a = zip_entries(before), zip_entries(after)
    return {n for n in set(a) | set(b) if a.get(n) != b.get(n)}


# ---------------------------------------------------------------- a workbook with what openpyxl drops

_SPARKLINES = (f'<ext xmlns:x14="{X14}" uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}"><x14:sparklineGroups '
               'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
               '<x14:sparklineGroup displayEmptyCellsAs="gap">'
               '<x14:colorSeries rgb="FF376092"/><x14:sparklines><x14:sparkline><xm:f>{sheet}!B2:B4</xm:f>'
               '<xm:sqref>G2</xm:sqref></x14:sparkline></x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext>')
_DATABAR = (f'<ext xmlns:x14="{X14}" uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}"><x14:conditionalFormattings>'
            '<x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            '<x14:cfRule type="dataBar" id="{00000000-0000-0000-0000-000000000001}"><x14:dataBar minLength="0" '
            'maxLength="100" gradient="0"><x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/>'
            '<x14:negativeFillColor rgb="FFFF0000"/></x14:dataBar></x14:cfRule><xm:sqref>B2:B4</xm:sqref>'
            '</x14:conditionalFormatting></x14:conditionalFormattings></ext>')


def _drawing(image_rid: str) -> bytes:
    anchor = ('<xdr:twoCellAnchor><xdr:from><xdr:col>8</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>'
              '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>11</xdr:col><xdr:colOff>0</xdr:colOff>'
              '<xdr:row>6</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>{}<xdr:clientData/></xdr:twoCellAnchor>')
    shape = ('<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Pil 1"/><xdr:cNvSpPr/></xdr:nvSpPr>'
             '<xdr:spPr><a:prstGeom prst="rightArrow"><a:avLst/></a:prstGeom></xdr:spPr>'
             '<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>Se her</a:t></a:r></a:p></xdr:txBody></xdr:sp>')
    pic = (f'<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="3" name="Billede 2"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>'
           f'<a:blip xmlns:r="{R}" r:embed="{image_rid}"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
           '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{A}">'
            + anchor.format(shape) + anchor.format(pic) + "</xdr:wsDr>").encode()


def _rels(*rels: tuple[str, str, str]) -> bytes:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in rels)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_R}">{body}</Relationships>').encode()


OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
MS = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"

EXTRA_PARTS = {
    # user sheet's own parts, by what openpyxl loses
    "xl/drawings/drawing90.xml": _drawing("rId1"),
    "xl/drawings/_rels/drawing90.xml.rels": _rels(("rId1", OD + "image", "../media/image90.png")),
    "xl/media/image90.png": PNG,
    "xl/ctrlProps/ctrlProp1.xml": f'<formControlPr xmlns="{X14}" objectType="CheckBox" checked="Checked"/>'.encode(),
    "xl/drawings/vmlDrawing90.vml": (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-'
                                     b'com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><v:shape '
                                     b'id="_x0000_s1025" type="#_x0000_t201"><x:ClientData ObjectType="Checkbox">'
                                     b'<x:Checked>1</x:Checked></x:ClientData></v:shape></xml>'),
    "xl/threadedComments/threadedComment1.xml": (
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<threadedComment ref="A1" dT="2024-03-01T10:00:00.00" personId="{11111111-1111-1111-1111-111111111111}" '
        'id="{22222222-2222-2222-2222-222222222222}"><text>Tjek måltallet</text></threadedComment>'
        '</ThreadedComments>').encode(),
    "xl/persons/person.xml": ('<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
                              '<person displayName="Jens Hansen" id="{11111111-1111-1111-1111-111111111111}" '
                              'providerId="None"/></personList>').encode(),
    "xl/pivotTables/pivotTable1.xml": (
        f'<pivotTableDefinition xmlns="{MAIN}" name="Pivot1" cacheId="7" dataCaption="Værdier">'
        '<location ref="J1:K3" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/></pivotTableDefinition>').encode(),
    "xl/pivotTables/_rels/pivotTable1.xml.rels": _rels(("rId1", OD + "pivotCacheDefinition",
                                                        "../pivotCache/pivotCacheDefinition1.xml")),
    "xl/pivotCache/pivotCacheDefinition1.xml": (
        f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{R}" r:id="rId1" recordCount="2"><cacheSource type="worksheet">'
        "<worksheetSource ref=\"A1:B3\" sheet=\"Mine noter\"/></cacheSource><cacheFields count=\"1\">"
        '<cacheField name="Tekst" numFmtId="0"/></cacheFields></pivotCacheDefinition>').encode(),
    "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": _rels(("rId1", OD + "pivotCacheRecords",
                                                                  "pivotCacheRecords1.xml")),
    "xl/pivotCache/pivotCacheRecords1.xml": f'<pivotCacheRecords xmlns="{MAIN}" count="0"/>'.encode(),
    "xl/slicers/slicer1.xml": (f'<slicers xmlns="{X14}"><slicer name="Tekst" cache="Udsnitsværktøj_Tekst" '
                               'caption="Tekst" rowHeight="241300"/></slicers>').encode(),
    "xl/slicerCaches/slicerCache1.xml": (f'<slicerCacheDefinition xmlns="{X14}" name="Udsnitsværktøj_Tekst" '
                                         'sourceName="Tekst"><pivotTables><pivotTable tabId="99" name="Pivot1"/>'
                                         '</pivotTables></slicerCacheDefinition>').encode(),
    "xl/metadata.xml": f'<metadata xmlns="{MAIN}"><metadataTypes count="0"/></metadata>'.encode(),
}
CONTENT_TYPES = {
    "/xl/drawings/drawing90.xml": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "/xl/ctrlProps/ctrlProp1.xml": "application/vnd.ms-excel.controlproperties+xml",
    "/xl/threadedComments/threadedComment1.xml": "application/vnd.ms-excel.threadedcomments+xml",
    "/xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
    "/xl/pivotTables/pivotTable1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotTable+xml",
    "/xl/pivotCache/pivotCacheDefinition1.xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml",
    "/xl/pivotCache/pivotCacheRecords1.xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheRecords+xml",
    "/xl/slicers/slicer1.xml": "application/vnd.ms-excel.slicer+xml",
    "/xl/slicerCaches/slicerCache1.xml": "application/vnd.ms-excel.slicerCache+xml",
    "/xl/metadata.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml",
}


def _add_ext(sheet_xml: bytes, sheet: str) -> bytes:
    ext = ("<extLst>" + _SPARKLINES.replace("{sheet}", f"'{sheet}'") + _DATABAR + "</extLst>").encode()
    return sheet_xml.replace(b"</worksheet>", ext + b"</worksheet>")


def rich_workbook() -> bytes:
    """`with_user_sheet(small_filled())` plus, by hand as Excel writes them: on the user's sheet
    sparklines, an x14 data bar, a drawing with a shape and a picture, a form control, a threaded
    comment, a pivot table with its cache and a slicer with its cache; on the input sheet 'Forløb'
    sparklines and a data bar; dynamic-array metadata in the workbook."""
    base = with_user_sheet(small_filled())
    entries = zip_entries(base)
    parts = workbook.sheet_parts(entries)
    user, forloeb = parts["Mine noter"], parts[sheets.SHEET_FORLOEB]
    entries[forloeb] = _add_ext(entries[forloeb], sheets.SHEET_FORLOEB)
    xml = entries[user]
    anchors = (f'<drawing xmlns:r="{R}" r:id="rIdU1"/><legacyDrawing xmlns:r="{R}" r:id="rIdU2"/>'
               f'<controls><control xmlns:r="{R}" shapeId="1025" r:id="rIdU3" name="Afkrydsning 1"/></controls>')
    xml = re.sub(rb"(<legacyDrawing [^>]*/>)", b"", xml)                  # the note's VML: ours replaces it below
    xml = xml.replace(b"</worksheet>", anchors.encode() + b"</worksheet>")
    entries[user] = _add_ext(xml, "Mine noter")
    rels_name = package.rels_name(user)
    old = [r for r in package.relationships(entries[rels_name]) if not r["Type"].endswith("/vmlDrawing")] \
        if rels_name in entries else []
    entries[rels_name] = _rels(*[(r["Id"], r["Type"], r["Target"]) for r in old],
                               ("rIdU1", OD + "drawing", "../drawings/drawing90.xml"),
                               ("rIdU2", OD + "vmlDrawing", "../drawings/vmlDrawing90.vml"),
                               ("rIdU3", OD + "ctrlProp", "../ctrlProps/ctrlProp1.xml"),
                               ("rIdU4", MS, "../threadedComments/threadedComment1.xml"),
                               ("rIdU5", OD + "pivotTable", "../pivotTables/pivotTable1.xml"),
                               ("rIdU6", "http://schemas.microsoft.com/office/2007/relationships/slicer",
                                "../slicers/slicer1.xml"))
    entries.update(EXTRA_PARTS)
    wb_rels = "xl/_rels/workbook.xml.rels"
    entries[wb_rels] = package.add_relationship(entries[wb_rels], OD + "pivotCacheDefinition",
                                                "pivotCache/pivotCacheDefinition1.xml", "rIdP1")
    entries[wb_rels] = package.add_relationship(entries[wb_rels], "http://schemas.microsoft.com/office/2007/"
                                                "relationships/slicerCache", "slicerCaches/slicerCache1.xml", "rIdP2")
    entries[wb_rels] = package.add_relationship(entries[wb_rels], "http://schemas.microsoft.com/office/2017/10/"
                                                "relationships/person", "persons/person.xml", "rIdP3")
    entries[wb_rels] = package.add_relationship(entries[wb_rels], OD + "sheetMetadata", "metadata.xml", "rIdP4")
    entries["xl/workbook.xml"] = re.sub(rb"(</definedNames>|</sheets>(?!.*</definedNames>))",
                                        rb'\1<pivotCaches><pivotCache xmlns:r="' + R.encode()
                                        + rb'" cacheId="7" r:id="rIdP1"/></pivotCaches>', entries["xl/workbook.xml"],
                                        count=1, flags=re.S)
    types = entries["[Content_Types].xml"]
    for part, ct in CONTENT_TYPES.items():
        types = package.ensure_override(types, part.lstrip("/"), ct)
    types = types.replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/></Types>')
    entries["[Content_Types].xml"] = types
    return make_zip(entries)


def test_content_openpyxl_drops_comes_through_byte_for_byte(tmp_path, cli):
    before = rich_workbook()
    path = tmp_path / "status.xlsm"
    path.write_bytes(before)
    code, out, err = cli("refresh", path)
    assert code == 0, err
    assert err == ""                     # no openpyxl notes about extensions it would remove
    after = path.read_bytes()
    assert zip_names(after) == zip_names(before)
    assert changed_parts(before, after) <= owned_parts(before) | {"xl/styles.xml"}
    entries = zip_entries(after)
    for part in EXTRA_PARTS:
        assert entries[part] == EXTRA_PARTS[part], part
    parts = workbook.sheet_parts(entries)
    assert b"x14:sparklineGroups" in entries[parts["Mine noter"]] and b"x14:dataBar" in entries[parts["Mine noter"]]
    assert b"x14:sparklineGroups" in entries[parts[sheets.SHEET_FORLOEB]]
    # the owned sheets hold the new figures, with their formulas' values
    assert_owned_sheets_hold(after, sheets.result_grids(compute(*workbook.read_workbook_input(small_filled()))))


def assert_owned_sheets_hold(data: bytes, grids) -> None:
    """Every owned sheet holds its grid: values and formulas, and each formula's cached value."""
    formulas, values = cells(data, False), cells(data, True)
    for grid in grids:
        got_f, got_v = formulas[grid.name], values[grid.name]
        for r, row in enumerate(grid.cells):
            for c, expected in enumerate(row):
                got = got_f[r][c] if r < len(got_f) and c < len(got_f[r]) else None
                if isinstance(expected, str) and expected.startswith("'"):
                    expected = expected[1:]                    # the text prefix is a style, not text
                assert got == expected or (isinstance(expected, float) and got == pytest.approx(expected)), \
                    (grid.name, r + 1, c + 1)
                if isinstance(expected, str) and expected.startswith("="):
                    assert got_v[r][c] == pytest.approx(grid.computed[(r, c)]), (grid.name, r + 1, c + 1)


def test_the_input_sheets_are_read_from_the_rich_workbook_as_from_the_plain_one():
    plain = compute(*workbook.read_workbook_input(small_filled())).tidy
    assert compute(*workbook.read_workbook_input(rich_workbook())).tidy.equals(plain)


def test_a_users_sheet_is_never_parsed(tmp_path):
    # A user's sheet that no XML parser could read: the refresh neither needs nor touches it.
    entries = zip_entries(with_user_sheet(small_filled()))
    part = workbook.sheet_parts(entries)["Mine noter"]
    entries[part] = b"<worksheet><sheetData><row r='1'><c r='A1'"     # broken on purpose
    data = make_zip(entries)
    path = tmp_path / "status.xlsm"
    path.write_bytes(data)
    workbook.refresh_file(path)
    assert zip_entries(path.read_bytes())[part] == entries[part]
    expected = compute(*workbook.read_workbook_input(small_filled())).tidy
    assert compute(*workbook.read_workbook_input(path)).tidy.equals(expected)


# ---------------------------------------------------------------- Excel's and LibreOffice's layout

EXCEL_ORDER = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"]


def excel_layout(tmp_path: Path) -> bytes:
    """The refreshed demo workbook loaded and saved by LibreOffice (shared strings, sheetN.xml
    parts), re-packed in Excel's part order, with a calcChain.xml listing every formula cell."""
    src = tmp_path / "src" / "demo.xlsm"
    src.parent.mkdir()
    src.write_bytes(workbook.demo_workbook_bytes())
    lo = zip_entries(convert(src, tmp_path / "lo", "xlsm:Calc MS Excel 2007 VBA XML", "xlsm").read_bytes())
    refs = workbook.sheet_parts(lo)
    ids = {s.get("name"): s.get("sheetId") for s in package.parse(lo["xl/workbook.xml"]).iter(f"{{{MAIN}}}sheet")}
    chain = []
    for sheet, part in refs.items():
        for ref in re.findall(rb'<c r="([A-Z]+[0-9]+)"[^>]*>(?:<f[ >])', lo[part]):
            chain.append(f'<c r="{ref.decode()}" i="{ids[sheet]}"/>')
    assert chain
    lo["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN}">{"".join(chain)}</calcChain>'.encode()
    lo["xl/_rels/workbook.xml.rels"] = package.add_relationship(lo["xl/_rels/workbook.xml.rels"],
                                                                OD + "calcChain", "calcChain.xml")
    lo["[Content_Types].xml"] = package.ensure_override(
        lo["[Content_Types].xml"], "xl/calcChain.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")

    def rank(name: str):
        if name in EXCEL_ORDER:
            return (0, EXCEL_ORDER.index(name), "")
        m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
        if m:
            return (1, int(m.group(1)), "")
        return (2, 0, "docProps" in name and "z" + name or name)
    return make_zip({n: lo[n] for n in sorted(lo, key=rank)})


@requires_libreoffice
def test_an_excel_layout_workbook_refreshed_twice(tmp_path, cli):
    original = excel_layout(tmp_path)
    assert "xl/sharedStrings.xml" in zip_names(original) and zip_names(original)[0] == "[Content_Types].xml"
    path = tmp_path / "excel.xlsm"
    path.write_bytes(original)
    code, _, err = cli("refresh", path)
    assert code == 0, err
    once = path.read_bytes()
    # calcChain dropped with its relationship and content type; shared strings untouched
    assert zip_names(once) == [n for n in zip_names(original) if n != "xl/calcChain.xml"]
    assert changed_parts(original, once) <= owned_parts(original) | {
        "xl/styles.xml", "xl/calcChain.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    assert b"calcChain" not in zip_entries(once)["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in zip_entries(once)["[Content_Types].xml"]
    assert cells(once, True)["Tabel 1"][9][4] == pytest.approx(97.08393970131553)
    # second refresh: nothing changes but the owned sheets' parts
    code, _, err = cli("refresh", path)
    assert code == 0, err
    twice = path.read_bytes()
    assert zip_names(twice) == zip_names(once)
    assert changed_parts(once, twice) <= owned_parts(once)
    for sheet in sheets.INPUT_SHEETS:
        assert cells(twice, False)[sheet] == cells(original, False)[sheet]


def test_styles_are_only_appended_and_reused_the_second_time():
    data = small_filled()
    entries = zip_entries(data)
    styles = entries["xl/styles.xml"]
    # a workbook whose styles.xml lacks our look (as one saved by Excel would): two cell styles only
    bare = re.sub(rb"<cellXfs count=\"\d+\">.*</cellXfs>",
                  b'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                  b'<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>',
                  styles, flags=re.S)
    book = sheetxml.StyleBook(bare)
    for grid in expected_grids():
        sheetxml.sheet_data(grid, book, None)
    grown = book.xml()
    assert grown != bare
    old_xfs = re.search(rb"<cellXfs[^>]*>(.*)</cellXfs>", bare, re.S).group(1)
    new_xfs = re.search(rb"<cellXfs[^>]*>(.*)</cellXfs>", grown, re.S).group(1)
    assert new_xfs.startswith(old_xfs)          # existing indices keep their meaning
    again = sheetxml.StyleBook(grown)
    for grid in expected_grids():
        sheetxml.sheet_data(grid, again, None)
    assert again.xml() == grown                 # everything found: no second growth


def test_a_styles_part_changed_other_than_by_appending_is_caught():
    pkg = package.Package(small_filled())
    entries = zip_entries(small_filled())
    styles = entries["xl/styles.xml"].replace(b'numFmtId="164"', b'numFmtId="14"', 1)
    new = package.write_package(pkg, {"xl/styles.xml": styles})
    with pytest.raises(workbook.NothingLostError, match="styles.xml"):
        owned.verify_package(pkg, new, {"xl/styles.xml"}, styles_part="xl/styles.xml")


# ---------------------------------------------------------------- sheets: missing, clashing

def test_a_missing_owned_sheet_is_recreated_and_names_keep_their_sheets(tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(small_filled()), keep_vba=True)
    del wb["Tabel 5"]
    from openpyxl.workbook.defined_name import DefinedName
    ws = wb.create_sheet("Mine noter")
    ws["A1"] = 1
    ws.defined_names["Lokal"] = DefinedName("Lokal", attr_text="'Mine noter'!$A$1")
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "status.xlsm"
    path.write_bytes(workbook.restore_package(small_filled(), buf.getvalue(), {}))
    workbook.refresh_file(path)
    got = openpyxl.load_workbook(path)
    assert got.sheetnames.index("Tabel 5") == got.sheetnames.index("Tabel 4") + 1
    assert got["Mine noter"].defined_names["Lokal"].attr_text == "'Mine noter'!$A$1"
    assert cells(path.read_bytes(), True)["Tabel 5"][0][0].startswith("Tabel 5:")
    assert got["Tabel 5"].column_dimensions["A"].width == 46
    assert got["Tabel 5"].page_setup.orientation == "landscape"


def test_a_users_sheet_named_like_a_missing_owned_sheet_is_a_clear_refusal(tmp_path, cli):
    entries = zip_entries(small_filled())
    entries["xl/workbook.xml"] = entries["xl/workbook.xml"].replace(b'name="Kontrol"', b'name="KONTROL"')
    path = tmp_path / "status.xlsm"
    path.write_bytes(make_zip(entries))
    before = path.read_bytes()
    code, _, err = cli("refresh", path)
    assert code == 2
    assert "'KONTROL' har samme navn" in err and "Omdøb" in err
    assert path.read_bytes() == before


# ---------------------------------------------------------------- the file

def test_a_save_by_someone_else_during_the_refresh_is_not_overwritten(tmp_path, cli, monkeypatch):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    theirs = with_user_sheet(small_filled())
    real = owned.replace_owned

    def colleague_saves(*args, **kwargs):
        out = real(*args, **kwargs)
        path.write_bytes(theirs)          # Excel on another machine saves meanwhile
        return out
    monkeypatch.setattr(workbook, "replace_owned", colleague_saves)
    code, _, err = cli("refresh", path)
    assert code == 1
    assert "gemt af en anden" in err and "Intet er skrevet" in err
    assert path.read_bytes() == theirs
    assert [p.name for p in tmp_path.iterdir()] == ["status.xlsm"]


def excel_owner_file(user: str) -> bytes:
    """As Excel writes `~$name`: length + ANSI name, space padded to 54, length + UTF-16 name, padding."""
    ansi = user.encode("cp1252", errors="replace")
    head = bytes([len(ansi)]) + ansi
    head += b" " * (54 - len(head))
    return head + bytes([len(user), 0]) + user.encode("utf-16-le") + b" \x00" * (54 - len(user))


def test_refuses_while_excel_has_it_open_and_names_who(tmp_path, cli):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    (tmp_path / "~$status.xlsm").write_bytes(excel_owner_file("Søren Østergård"))
    code, _, err = cli("refresh", path)
    assert code == 1
    assert "åben af Søren Østergård" in err and "Luk den i Excel" in err
    assert path.read_bytes() == small_filled()


@pytest.mark.parametrize("data, who", [
    (excel_owner_file("Jens Hansen"), "Jens Hansen"),
    (bytes([4]) + b"jens" + b" " * 49, "jens"),                  # ANSI part only
    (b"\x00" * 10, None), (b"", None), (b"\xff" * 200, None),    # nothing usable: someone else
])
def test_excel_owner_file_parsing(data, who):
    got = atomic.owner_from_excel_file(data)
    assert got == who or (who is None and (got is None or got.isprintable()))


def test_a_refresh_through_a_symbolic_link_writes_the_real_file(tmp_path):
    real = tmp_path / "data" / "status.xlsm"
    real.parent.mkdir()
    real.write_bytes(small_filled())
    link = tmp_path / "genvej.xlsm"
    link.symlink_to(real)
    workbook.refresh_file(link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert cells(real.read_bytes(), True)["Tabel 1"][4][3] == 1084


def test_a_read_only_workbook_is_refused(tmp_path, cli):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    path.chmod(0o444)
    try:
        code, _, err = cli("refresh", path)
    finally:
        path.chmod(0o644)
    assert code == 1 and "skrivebeskyttet" in err
    assert path.read_bytes() == small_filled()


def test_os_errors_are_told_in_danish(tmp_path, cli, monkeypatch):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())

    def full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(atomic.os, "fsync", full)
    code, _, err = cli("refresh", path)
    assert code == 1
    assert "ikke mere plads" in err and "status.xlsm" in err and "No space" not in err
    assert path.read_bytes() == small_filled()
    assert [p.name for p in tmp_path.iterdir()] == ["status.xlsm"]


_SLOW_REFRESH = """
import sys, time
from jobstatus_xl.xlsx import atomic
real = atomic.os.fsync
def slow(fd):
    print("writing", flush=True)
    time.sleep(30)
    return real(fd)
atomic.os.fsync = slow
from jobstatus_xl.cli import main
sys.exit(main(["refresh", sys.argv[1]]))
"""


def _spawn_refresh(path: Path, script: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", script, str(path)] if script else [sys.executable, "-m", "jobstatus_xl.cli",
                                                                     "refresh", str(path)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_write_removes_the_temporary_file(tmp_path, sig):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    proc = _spawn_refresh(path, _SLOW_REFRESH)
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())     # the write is under way
        proc.send_signal(sig)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert [p.name for p in tmp_path.iterdir()] == ["status.xlsm"]
    assert path.read_bytes() == small_filled()


def test_kill_9_at_any_moment_leaves_the_original_or_the_whole_result(tmp_path):
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    probe = _spawn_refresh(path)
    start = time.monotonic()
    probe.communicate(timeout=300)
    full = time.monotonic() - start
    refreshed = path.read_bytes()
    assert probe.returncode == 0 and refreshed != small_filled()
    seen = set()
    for fraction in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0):
        path.write_bytes(small_filled())
        proc = _spawn_refresh(path)
        time.sleep(full * fraction)
        proc.kill()
        proc.communicate(timeout=60)
        now = path.read_bytes()
        assert now in (small_filled(), refreshed), fraction
        seen.add(now == refreshed)
        for leftover in tmp_path.glob(".status.xlsm.*.tmp"):      # a killed process cannot clean up
            leftover.unlink()
    assert False in seen        # at least one kill landed before the rename


# ---------------------------------------------------------------- hostile or odd packages

def test_a_dtd_after_64_kb_of_core_xml_is_refused(tmp_path, cli):
    entries = zip_entries(small_filled())
    entries["docProps/core.xml"] = (b'<?xml version="1.0"?>' + b"<!-- " + b"x" * 70_000 + b" -->"
                                    + b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    path = tmp_path / "status.xlsm"
    path.write_bytes(make_zip(entries))
    before = path.read_bytes()
    code, _, err = cli("refresh", path)
    assert code == 2 and "DTD" in err and "docProps/core.xml" in err and "Traceback" not in err
    assert path.read_bytes() == before


def test_an_invalid_number_format_id_in_styles_is_no_traceback(tmp_path, cli):
    entries = zip_entries(small_filled())
    entries["xl/styles.xml"] = entries["xl/styles.xml"].replace(b'<xf numFmtId="0" fontId="1"',
                                                                b'<xf numFmtId="9999" fontId="1"', 1)
    assert entries["xl/styles.xml"] != zip_entries(small_filled())["xl/styles.xml"]
    path = tmp_path / "status.xlsm"
    path.write_bytes(make_zip(entries))
    code, out, err = cli("refresh", path)
    assert code == 0 and "Traceback" not in err, err
    code, out, err = cli("status", path)
    assert code == 0 and "Tabel 1" in out, err


def test_no_zipfile_noise_on_stderr_after_a_failed_refresh(tmp_path):
    path = tmp_path / "status.xlsm"
    path.write_bytes(TEMPLATE.read_bytes()[:50_000])
    done = subprocess.run([sys.executable, "-m", "jobstatus_xl.cli", "refresh", str(path)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 2
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr


def test_status_check_and_refresh_share_the_reader(monkeypatch, tmp_path, cli):
    calls = []
    real = reader.read_grids

    def counting(pkg, name, wanted):
        calls.append(tuple(wanted))
        return real(pkg, name, wanted)
    monkeypatch.setattr(workbook, "read_grids", counting)
    path = tmp_path / "status.xlsm"
    path.write_bytes(filled_template())
    assert cli("status", path)[0] == 0
    assert cli("refresh", path)[0] == 0
    assert len(calls) == 2 and all(set(c) == set(sheets.INPUT_SHEETS) for c in calls)


def test_the_package_guard_still_refuses_bombs(tmp_path, monkeypatch, cli):
    monkeypatch.setattr(xlsxguard, "MAX_FILE_BYTES", 10_000)
    path = tmp_path / "status.xlsm"
    path.write_bytes(small_filled())
    code, _, err = cli("refresh", path)
    assert code == 2 and "højst" in err


# ---------------------------------------------------------------- the reader's two ways agree

def _both_ways(data: bytes, monkeypatch) -> tuple[dict, dict]:
    wanted = sheets.INPUT_SHEETS + sheets.OWNED_SHEETS + ["Mine noter", "xlwings.conf"]
    fast = reader.read_grids(package.Package(data), "x", wanted)
    monkeypatch.setattr(reader, "_FAST_MAX_BYTES", -1)          # every part through lxml
    slow = reader.read_grids(package.Package(data), "x", wanted)
    monkeypatch.undo()
    return fast, slow


@pytest.mark.parametrize("make", [filled_template, rich_workbook, lambda: workbook.demo_workbook_bytes()])
def test_the_fast_reader_and_lxml_read_the_same(make, monkeypatch):
    fast, slow = _both_ways(make(), monkeypatch)
    assert fast == slow and len(fast[sheets.SHEET_FORLOEB]) > 100


def test_odd_cells_fall_back_to_lxml_and_read_the_same(monkeypatch):
    # attribute order, a cell without r, rich inline text with phonetic hints, entities,
    # a shared formula, booleans, errors, a prefixed namespace elsewhere in the part
    entries = zip_entries(small_filled())
    part = workbook.sheet_parts(entries)[sheets.SHEET_FORLOEB]
    odd = (b'<row r="2"><c s="0" r="A2" t="inlineStr"><is><r><t>SY</t></r><r><rPr><b/><color rgb="FF0000"/></rPr>'
           b'<t>NT-1</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c><c t="inlineStr"><is><t>BUF &amp; co</t></is></c>'
           b'<c r="C2" t="str"><f t="shared" si="0">A1</f><v>L&#248;ntilskud</v></c><c r="D2" t="b"><v>1</v></c>'
           b'<c r="E2" t="e"><v>#N/A</v></c><c r="F2"><v>3.7E1</v></c></row>')
    entries[part] = re.sub(rb'<row r="2".*?</row>', odd, entries[part], count=1, flags=re.S)
    data = make_zip(entries)
    fast, slow = _both_ways(data, monkeypatch)
    assert fast == slow
    assert fast[sheets.SHEET_FORLOEB][1] == ["SYNT-1", "BUF & co", "Løntilskud", True, "#N/A", 37.0]
    monkeypatch.setattr(reader, "_CHUNK", 300)       # chunks of plain rows beside the odd one
    assert _both_ways(data, monkeypatch)[0] == slow

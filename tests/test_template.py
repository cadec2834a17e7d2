"""workbook_template.xlsm: built from text sources, reproducibly, and checked by readers we did not write.

- the committed file is exactly what the sources build (a source change without a rebuild fails);
- two builds (two processes, different hash seeds) give identical bytes;
- olevba gives back every module's source; LibreOffice lists every module with its type;
- the ribbon validates against Microsoft's schema and every button names a VBA callback that
  calls an existing macro;
- openpyxl keeps the VBA project byte for byte; formulas name only UDFs or Excel built-ins;
- the embedded xlwings VBA is the installed (and pinned) xlwings version.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings
from lxml import etree

from jobstatus_xl import sheets
from jobstatus_xl.template import build
from jobstatus_xl.template.vba_project import module_stream_text
from libreoffice import requires_libreoffice
from templates import (_code_lines, assert_libreoffice_sees_the_layout,
                       assert_libreoffice_sees_the_vba_project, built, libreoffice_probe, libreoffice_vba,
                       modules, olevba_modules, udf)
from zips import zip_entries

pytestmark = pytest.mark.slow   # the template rebuilt and compared, xlwings' VBA generator: out of the inner loop

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook_template.xlsm"
XSD = Path(__file__).with_name("data") / "customUI14.xsd"
XLWINGS_DIR = Path(xlwings.__file__).parent
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"


# ---------------------------------------------------------------- reproducible, committed


def test_committed_template_is_what_the_sources_build():
    assert COMMITTED.is_file(), "workbook_template.xlsm is missing: run `jobstatus-xl build-template`"
    committed = COMMITTED.read_bytes()
    if committed != built():
        old, new = zip_entries(committed), zip_entries(built())
        changed = sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n))
        pytest.fail("workbook_template.xlsm differs from what its sources build (parts: "
                    f"{', '.join(changed)}). Run `jobstatus-xl build-template` and commit the result.")


def test_two_builds_in_two_processes_are_identical(tmp_path):
    # Another interpreter with another hash seed: set iteration order must not leak into the bytes.
    out = tmp_path / "again.xlsm"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    done = subprocess.run([sys.executable, "-m", "jobstatus_xl.cli", "build-template", str(out)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Skabelon bygget" in done.stdout
    assert out.read_bytes() == built()
    assert build.build_template_bytes(udf()) == built()


def test_zip_metadata_and_document_dates_are_pinned():
    with zipfile.ZipFile(io.BytesIO(built())) as zf:
        infos = zf.infolist()
        core = zf.read("docProps/core.xml").decode()
    assert {i.date_time for i in infos} == {build.FIXED_ZIP_TIME}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    dates = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
    assert dates == [build.FIXED_DOC_TIME, build.FIXED_DOC_TIME]


def test_installed_xlwings_is_the_version_whose_vba_the_template_embeds():
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"xlwings=={build.XLWINGS_VERSION}" in pinned
    assert xlwings.__version__ == build.XLWINGS_VERSION, (
        f"xlwings {xlwings.__version__} is installed but the template embeds xlwings {build.XLWINGS_VERSION}'s VBA")
    vendored = (build.VBA_DIR / "xlwings.bas").read_bytes().decode("utf-8")
    assert f"'Version: {build.XLWINGS_VERSION}\r\n" in vendored
    assert f'"xlwings64-{build.XLWINGS_VERSION}.dll"' in vendored       # the DLL the Python package ships
    # and the vendored files are the installed package's, byte for byte
    assert (build.VBA_DIR / "xlwings.bas").read_bytes() == (XLWINGS_DIR / "xlwings.bas").read_bytes()
    assert (build.VBA_DIR / "Dictionary.cls").read_bytes() == (XLWINGS_DIR / "addin" / "Dictionary.cls").read_bytes()
    # the template carries that module
    assert f"'Version: {xlwings.__version__}" in olevba_modules(COMMITTED.read_bytes())["xlwings"]


# ---------------------------------------------------------------- the VBA project


def test_olevba_returns_every_module_source_exactly():
    got = olevba_modules(built())
    expected = {m.name: module_stream_text(m) for m in modules()}
    assert list(got) == list(expected)          # same modules, in project order
    for name, text in expected.items():
        assert got[name] == text, f"module {name} differs"


@pytest.mark.parametrize("source", build.source_files(), ids=lambda p: p.name)
def test_module_text_in_the_template_is_the_file_in_the_repository(source):
    got = olevba_modules(built())
    text = source.read_bytes().decode("utf-8")
    name = next(m.name for m in modules() if m.source == text)
    if source.suffix == ".bas":
        # a .bas file is the stream text itself, only with CRLF line endings
        assert got[name] == text.replace("\r\n", "\n").replace("\n", "\r\n")
    assert _code_lines(got[name]) == _code_lines(text)
    assert len(_code_lines(text)) > 5


def test_generated_udf_wrappers_are_xlwings_import_functions_output():
    got = olevba_modules(built())["xlwings_udfs"]
    assert got.startswith('Attribute VB_Name = "xlwings_udfs"\r\n'
                          "'Autogenerated code by xlwings - changes will be lost with next import!\r\n")
    names = {f.name for f in udf().functions}
    assert {"ATTAINMENT", "WEIGHTED_ATTAINMENT", "HELAARSPERSONER", "FORLOEB", "FLEKSJOB"} <= names
    for f in udf().functions:
        signature = re.search(rf"^Function {f.name}\((.*)\)\r$", got, re.M)
        assert signature, f.name
        assert [a.split()[-1] for a in signature.group(1).split(", ")] == [a for a, _ in f.args]
        assert f'{f.name} = XLPy.CallUDF("jobstatus_xl.udfs", "{f.name}", ' in got


def test_function_help_is_registered_at_open_with_danish_descriptions():
    help_module = olevba_modules(built())["UdfHelp"]
    this_workbook = olevba_modules(built())["ThisWorkbook"]
    assert re.search(r"^Private Sub Workbook_Open\(\)\r\n(?:\s*'.*\r\n)*\s*UdfHelp\.RegisterUdfHelp\r\n",
                     this_workbook, re.M)
    for f in udf().functions:
        assert f'Describe "{f.name}", _\r\n' in help_module
        for _, doc in f.args:
            assert build.vba_string(build._short(doc)) in help_module
        assert build.vba_string(build._short(f.doc)) in help_module
    assert "Application.MacroOptions Macro:=macroName" in help_module
    assert "ArgumentDescriptions:=argumentDescriptions" in help_module
    assert "målopfyldelse" in help_module.lower()                      # Danish, in the code page


def test_vba_strings_escape_quotes_and_characters_outside_the_code_page():
    assert build.vba_string('a "b" ≥ 1') == '"a ""b"" " & ChrW(8805) & " 1"'
    assert build.vba_string("æøå") == '"æøå"'
    short = build._short("ord " * 200)
    assert len(short) <= 255 and short.endswith("…") and " " not in short[-3:]


def test_document_modules_match_the_sheets_code_names():
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    documents = [m.name for m in modules() if m.kind == "document"]
    assert wb.code_name == "ThisWorkbook"
    assert documents == ["ThisWorkbook"] + [ws.sheet_properties.codeName for ws in wb.worksheets]
    assert len(set(documents)) == len(documents)


def test_a_udf_argument_named_like_a_vba_keyword_stops_the_build(tmp_path, monkeypatch):
    (tmp_path / "bad_udfs.py").write_text(
        "import xlwings as xw\n\n@xw.func\n@xw.arg('end', doc='Slut')\n"
        "def SLUT(end):\n    '''Slut.'''\n    return end\n",
        encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="VBA keyword"):
        build.generate_udf_vba("bad_udfs")


# ---------------------------------------------------------------- the ribbon


def ribbon_in_template() -> bytes:
    return zip_entries(built())[build.RIBBON_PART]


def test_ribbon_validates_against_the_customui14_schema():
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    for xml in (build.RIBBON_FILE.read_bytes(), ribbon_in_template()):
        doc = etree.fromstring(xml)
        assert schema.validate(doc.getroottree()), schema.error_log
    broken = build.RIBBON_FILE.read_bytes().replace(b"onAction=", b"onActoin=", 1)
    assert not schema.validate(etree.fromstring(broken).getroottree())


def test_ribbon_part_is_the_file_in_the_repository_added_last_with_its_relationship():
    with zipfile.ZipFile(io.BytesIO(built())) as zf:
        names = zf.namelist()
        rels = zf.read("_rels/.rels")
    assert names[-1] == build.RIBBON_PART
    assert ribbon_in_template() == build.RIBBON_FILE.read_bytes()
    ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    found = [(r.get("Type"), r.get("Target")) for r in etree.fromstring(rels).iter(f"{ns}Relationship")]
    assert (build.RIBBON_REL_TYPE, build.RIBBON_PART) in found


def test_ribbon_tab_buttons_are_danish_with_builtin_icons():
    doc = etree.fromstring(ribbon_in_template())
    tab = doc.find(f".//{{{CUSTOMUI_NS}}}tab")
    assert tab.get("label") == "Jobordninger"
    buttons = {b.get("label"): b for b in doc.iter(f"{{{CUSTOMUI_NS}}}button")}
    assert {"Opdater alle tabeller", "Valider data"} <= set(buttons)
    for b in buttons.values():
        assert b.get("imageMso") and b.get("screentip") and b.get("supertip")


def test_every_ribbon_action_is_a_vba_callback_that_runs_an_existing_macro():
    import jobstatus_xl.macros as macros
    code = olevba_modules(built())
    doc = etree.fromstring(ribbon_in_template())
    actions = [e.get("onAction") for e in doc.iter() if e.get("onAction")]
    assert actions
    for action in actions:
        holders = [name for name, text in code.items()
                   if re.search(rf"^(?:Public\s+)?Sub\s+{action}\(control As IRibbonControl\)\s*$", text, re.M)]
        assert len(holders) == 1, f"onAction {action!r}: no (or more than one) Sub {action}(control As IRibbonControl)"
        body = code[holders[0]].split(f"Sub {action}(control As IRibbonControl)")[1].split("End Sub")[0]
        call = re.search(r'RunPython "import jobstatus_xl\.macros as m; m\.(\w+)\(\)"', body)
        assert call, f"{action} does not call a jobstatus_xl.macros function"
        assert callable(getattr(macros, call.group(1), None)), f"jobstatus_xl.macros has no {call.group(1)}()"


# ---------------------------------------------------------------- sheets, names, tables, config


def test_sheets_follow_the_shared_layout():
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    assert wb.sheetnames == [g.name for g in sheets.template_grids()] + [build.CONF_SHEET]
    for grid in sheets.template_grids():
        ws = wb[grid.name]
        for r, row in enumerate(grid.cells, start=1):
            for c, value in enumerate(row, start=1):
                assert ws.cell(row=r, column=c).value == value, (grid.name, r, c)
    assert wb.calculation.calcId == build.CALC_ID and not wb.calculation.fullCalcOnLoad


def test_input_sheets_are_tables_with_validation_lists_and_an_example_note():
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    codes = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
    for sheet, table_name in sheets.INPUT_TABLE_NAMES.items():
        ws = wb[sheet]
        assert list(ws.tables) == [table_name]
        table = ws.tables[table_name]
        assert [c.name for c in table.tableColumns] == sheets.INPUT_COLUMNS[sheet]
        assert table.ref.startswith("A1:")
        assert "Eksempel på en række" in ws["A1"].comment.text
        lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
        header = sheets.INPUT_COLUMNS[sheet]
        for col in ("forvaltning", "enhed"):
            if col in header:
                letter = chr(65 + header.index(col))
                assert all(code in lists[letter] for code in codes), (sheet, col)
        if "ordning" in header:
            assert "Virksomhedspraktik" in lists[chr(65 + header.index("ordning"))]


def test_settings_have_defined_names():
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    for s in sheets.SETTINGS:
        assert wb.defined_names[s.name].attr_text == f"'{sheets.SHEET_SETTINGS}'!$B${sheets.settings_row(s.name)}"


def test_xlwings_conf_sheet_reads_as_xlwings_reads_it():
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    ws = wb[build.CONF_SHEET]
    # xlwings' VBA: keys from A1 down to the first empty cell, value in column B
    config = {}
    for row in range(1, ws.max_row + 1):
        key = ws.cell(row=row, column=1).value
        if key is None:
            break
        config[key.upper()] = ws.cell(row=row, column=2).value
    assert config["UDF MODULES"] == "jobstatus_xl.udfs"
    assert config["INTERPRETER_WIN"].endswith(r"\Scripts\pythonw.exe")
    assert config["USE UDF SERVER"] is False and config["SHOW CONSOLE"] is False
    assert ws.cell(row=len(build.CONF_ROWS) + 1, column=1).value is None      # help text is below a gap


def test_overview_has_native_charts_against_a_100_pct_line():
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    charts = wb[sheets.SHEET_OVERVIEW]._charts
    assert len(charts) == 2
    refs = [[s.val.numRef.f for part in c._charts for s in part.series] for c in charts]
    last = 4 + len(sheets.TABLE_UNITS) - 1
    assert refs[0] == [f"'Oversigt'!$C$5:$C${last}", f"'Oversigt'!$D$5:$D${last}", f"'Oversigt'!$F$5:$F${last}"]
    assert refs[1] == [f"'Oversigt'!$E$5:$E${last}", f"'Oversigt'!$F$5:$F${last}"]
    kinds = [[type(part).__name__ for part in c._charts] for c in charts]
    assert kinds == [["BarChart", "LineChart"], ["BarChart", "LineChart"]]


# ---------------------------------------------------------------- openpyxl round trip, formulas


def test_openpyxl_reloads_with_the_vba_project_byte_for_byte(tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(built()), keep_vba=True)
    out = tmp_path / "resaved.xlsm"
    wb.save(out)
    assert zip_entries(out.read_bytes())["xl/vbaProject.bin"] == zip_entries(built())["xl/vbaProject.bin"]
    again = openpyxl.load_workbook(out, keep_vba=True)
    assert [ws.sheet_properties.codeName for ws in again.worksheets] == \
        [ws.sheet_properties.codeName for ws in wb.worksheets]


EXCEL_BUILTINS = frozenset(openpyxl.utils.FORMULAE)
_FUNCTION_CALL = re.compile(r"(?<![A-Za-z0-9_.'!])([A-Za-z_][A-Za-z0-9_.]*)\(")


def formula_functions(formula: str) -> set[str]:
    without_strings = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    without_sheets = re.sub(r"'(?:[^']|'')*'!", "", without_strings)
    return {m.group(1).upper() for m in _FUNCTION_CALL.finditer(without_sheets)}


def unknown_functions(formulas: list[str]) -> set[str]:
    known = {f.name.upper() for f in udf().functions} | EXCEL_BUILTINS
    return {name for f in formulas for name in formula_functions(f)} - known


def test_formula_check_can_fail():
    assert formula_functions("=100*ATTAINMENT(C5,D5)") == {"ATTAINMENT"}
    assert formula_functions("='Tabel 1'!E5+SUM(A1:A3)") == {"SUM"}
    assert unknown_functions(["=MAALOPFYLDELSE(C5,D5)", "=SUM(A1)"]) == {"MAALOPFYLDELSE"}


def test_status_sheet_formulas_name_only_udfs_or_excel_builtins(demo_result):
    grids = sheets.result_grids(demo_result) + sheets.template_grids()
    formulas = [v for g in grids for row in g.cells for v in row if isinstance(v, str) and v.startswith("=")]
    assert any("ATTAINMENT(" in f for f in formulas) and any("WEIGHTED_ATTAINMENT(" in f for f in formulas)
    assert unknown_functions(formulas) == set()
    # and the same in the file as written
    wb = openpyxl.load_workbook(io.BytesIO(built()))
    in_file = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert unknown_functions(in_file) == set()


# ---------------------------------------------------------------- LibreOffice, an independent reader

@requires_libreoffice
def test_libreoffice_opens_the_template_and_lists_its_vba_modules(tmp_path):
    path = tmp_path / "workbook_template.xlsm"
    path.write_bytes(built())
    assert_libreoffice_sees_the_vba_project(libreoffice_vba(path), modules())
    assert_libreoffice_sees_the_layout(libreoffice_probe(path, tmp_path))

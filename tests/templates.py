"""The built template and what independent readers (olevba, LibreOffice) make of it: shared by
test_template.py and test_workbook.py."""

from __future__ import annotations

import json
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from oletools.olevba import VBA_Parser

from jobstatus_xl import sheets
from jobstatus_xl.template import build
from jobstatus_xl.template.vba_project import module_stream_text
from libreoffice import LO_RECALC, SYSTEM_PYTHON, child_env

LO_VBA_LIST = Path(__file__).with_name("lo_vba_list.py")


@lru_cache(maxsize=None)
def udf() -> build.UdfVba:
    return build.generate_udf_vba()


@lru_cache(maxsize=None)
def built() -> bytes:
    return build.build_template_bytes(udf())


@lru_cache(maxsize=None)
def modules():
    return build.vba_modules(build.template_sheets_workbook().sheetnames, udf())


def olevba_modules(data: bytes) -> dict[str, str]:
    parser = VBA_Parser("workbook_template.xlsm", data=data)
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def _code_lines(text: str) -> list[str]:
    lines = re.split(r"\r\n|\n", text.rstrip("\r\n"))
    if lines and lines[0].upper().startswith("VERSION "):           # .cls export header
        lines = lines[lines.index("END") + 1:]
    return [line for line in lines if not re.match(r"Attribute [\w.]+ = ", line)]



# ---------------------------------------------------------------- LibreOffice, an independent reader

LO_PROBE = r'''
import json, shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from lo_recalc import Soffice, _prop
workbook, out = Path(sys.argv[1]), Path(sys.argv[2])
work = Path(tempfile.mkdtemp(prefix="lo_probe_"))
office = Soffice(shutil.which("soffice"), work)
try:
    desktop = office.connect(time.monotonic() + 120)
    doc = desktop.loadComponentFromURL(workbook.resolve().as_uri(), "_blank", 0,
                                       (_prop("Hidden", True), _prop("ReadOnly", True)))
    sheets = doc.getSheets()
    names = list(sheets.getElementNames())
    res = {"sheets": names,
           "names": {n: doc.NamedRanges.getByName(n).getContent() for n in doc.NamedRanges.getElementNames()},
           "tables": {}, "charts": {}, "codenames": {}, "formulas": {}}
    for n in doc.DatabaseRanges.getElementNames():
        a = doc.DatabaseRanges.getByName(n).getDataArea()
        res["tables"][n] = [sheets.getByIndex(a.Sheet).getName(), a.StartColumn, a.StartRow, a.EndColumn, a.EndRow]
    for s in names:
        sheet = sheets.getByName(s)
        res["charts"][s] = len(sheet.getCharts().getElementNames())
        res["codenames"][s] = sheet.CodeName
    if "Tabel 1" in names:
        t = sheets.getByName("Tabel 1")
        res["formulas"]["Tabel 1!E5"] = t.getCellByPosition(4, 4).getFormula()
    out.write_text(json.dumps(res, ensure_ascii=False), encoding="utf-8")
    try:
        doc.close(True)
        desktop.terminate()
    except Exception:
        pass
finally:
    office.close()
    shutil.rmtree(work, ignore_errors=True)
'''


def libreoffice_probe(path: Path, tmp_path: Path) -> dict:
    """Sheets, defined names, tables (database ranges), charts and code names as LibreOffice loaded them."""
    script = tmp_path / "lo_probe.py"
    script.write_text(LO_PROBE, encoding="utf-8")
    out = tmp_path / "probe.json"
    done = subprocess.run([SYSTEM_PYTHON, "-I", str(script), str(path), str(out), str(LO_RECALC.parent)],
                          env=child_env(), capture_output=True, text=True, timeout=300, start_new_session=True)
    assert out.is_file(), f"LibreOffice probe failed ({done.returncode}): {done.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def libreoffice_vba(path: Path) -> dict:
    done = subprocess.run([SYSTEM_PYTHON, "-I", str(LO_VBA_LIST), str(path)], env=child_env(), capture_output=True,
                          text=True, timeout=300, start_new_session=True)
    assert done.stdout.strip(), f"lo_vba_list failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout)


LO_TYPES = {"standard": "NORMAL", "class": "CLASS", "document": "DOCUMENT"}


def assert_libreoffice_sees_the_vba_project(listing: dict, expected_modules) -> None:
    assert "VBAProject" in listing["libraries"]
    got = listing["modules"]
    assert set(got) == {m.name for m in expected_modules}
    for m in expected_modules:
        assert got[m.name]["type"] == LO_TYPES[m.kind], m.name
        # LibreOffice drops the Attribute lines and puts its own Option lines first
        lo_lines = got[m.name]["source"].rstrip("\n").split("\n")
        while lo_lines and (lo_lines[0].startswith("Rem Attribute VBA_ModuleType") or
                            lo_lines[0] in ("Option VBASupport 1", "Option ClassModule")):
            lo_lines.pop(0)
        assert lo_lines == _code_lines(module_stream_text(m)), m.name


def assert_libreoffice_sees_the_layout(probe: dict) -> None:
    assert probe["sheets"] == [g.name for g in sheets.template_grids()] + [build.CONF_SHEET]
    for s in sheets.SETTINGS:
        assert probe["names"][s.name] == f"${sheets.SHEET_SETTINGS}.$B${sheets.settings_row(s.name)}"
    assert {n: v[0] for n, v in probe["tables"].items()} == {t: s for s, t in sheets.INPUT_TABLE_NAMES.items()}
    assert probe["charts"][sheets.SHEET_OVERVIEW] == 2
    assert probe["codenames"] == {s: build.code_name(s) for s in probe["sheets"]}

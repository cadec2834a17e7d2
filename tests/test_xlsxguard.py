"""One package guard for every front that opens a workbook: `jobstatus-xl refresh` and
`jobstatus-xl check` refuse the same hostile files with the same Danish message."""

from __future__ import annotations

import pytest

from jobstatus_xl import workbook, xlsxguard
from jobstatus_xl.checks import load_published
from jobstatus_xl.engine.findings import InputError
from zips import make_zip


MINIMAL = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
HOSTILE = {
    "zip bomb": ({**MINIMAL, "xl/worksheets/sheet1.xml": b"\0" * 30_000_000}, "zip-bombe"),
    "dtd": ({**MINIMAL, "xl/styles.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'},
            "afvises af sikkerhedshensyn"),
    "no workbook part": ({"[Content_Types].xml": b"<Types/>"}, "xl/workbook.xml mangler"),
    "not a zip": (None, "ikke en Excel-projektmappe"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_refresh_and_check_refuse_the_same_files_alike(case, tmp_path):
    files, message = HOSTILE[case]
    data = make_zip(files) if files is not None else b"id;forvaltning\n1;BIF\n"
    path = tmp_path / "status.xlsx"
    path.write_bytes(data)
    seen = []
    for read in (lambda: workbook.read_workbook_input(data, path.name), lambda: load_published(path)):
        with pytest.raises(InputError) as exc:
            read()
        seen.append([(f.kilde, f.besked) for f in exc.value.findings])
    assert seen[0] == seen[1]
    assert message in seen[0][0][1]


def test_the_guard_takes_a_path_or_bytes_alike(tmp_path, monkeypatch):
    path = tmp_path / "stor.xlsx"
    path.write_bytes(make_zip(MINIMAL))
    assert xlsxguard.check_package(path, path.name) == xlsxguard.check_package(path.read_bytes(), path.name)
    monkeypatch.setattr(xlsxguard, "MAX_FILE_BYTES", 10)
    for source in (path, path.read_bytes()):
        with pytest.raises(InputError, match="højst 10 byte kan læses"):
            xlsxguard.check_package(source, path.name)

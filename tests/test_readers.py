"""Files as users have them: encodings, delimiters, .xlsx in the folder, and every kind of file that
is not a readable CSV -- each one Danish finding that says what the file is and what to do."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from jobstatus_xl.engine.findings import InputError
from jobstatus_xl.engine.register import map_columns
from jobstatus_xl.readers import parse_csv, sniff_delimiter
from zips import make_zip

TEMPLATE = Path(__file__).parents[1] / "workbook_template.xlsm"

HEADER = ["id", "forvaltning", "ordning", "start", "slut", "timer_pr_uge"]
ROWS = [["A1", "ØKF", "Løntilskud", "01-01-2024", "30-06-2024", "37,5"],
        ["A2", "BIF", "Virksomhedspraktik", "01-03-2024", "", "30"],
        ["A3", "SUF", "Løntilskud", "15-02-2024", "31-12-2024", ""]]
FLEKSJOB = "id;forvaltning;start;slut\nF1;ØKF;01-01-2020;\nF2;BIF;01-01-2023;\n"


def csv_text(delimiter: str, rows=ROWS, header=HEADER) -> str:
    def field(v: str) -> str:
        return f'"{v}"' if delimiter in v else v
    return "\r\n".join(delimiter.join(field(v) for v in r) for r in [header, *rows]) + "\r\n"


def folder(tmp_path: Path, forloeb: bytes, name: str = "forloeb.csv") -> Path:
    (tmp_path / name).write_bytes(forloeb)
    (tmp_path / "fleksjob.csv").write_bytes(FLEKSJOB.encode("cp1252"))
    return tmp_path


@pytest.fixture
def reference(cli, tmp_path_factory) -> str:
    """The status of ROWS from a plain UTF-8 semicolon file, as csv text."""
    p = cli("status", folder(tmp_path_factory.mktemp("ref"), csv_text(";").encode("utf-8")), "--year", "2024",
            "--format", "csv")
    assert p.code == 0, p.err
    return p.out


# ---------------------------------------------------------------- what is read

ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8 med BOM": lambda t: t.encode("utf-8-sig"),
    "windows-1252": lambda t: t.encode("cp1252"),
    "utf-16 LE med BOM (Unicode-tekst)": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
    "utf-16 BE med BOM": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
}


@pytest.mark.parametrize("delimiter", [";", ",", "\t"], ids=["semikolon", "komma", "tabulator"])
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_every_encoding_and_delimiter_gives_the_same_status(cli, tmp_path, reference, encoding, delimiter):
    path = folder(tmp_path, ENCODINGS[encoding](csv_text(delimiter)))
    p = cli("status", path, "--year", "2024", "--format", "csv")
    assert p.code == 0, p.err
    assert p.out == reference
    okf = pd.read_csv(io.StringIO(p.out)).query("enhed == 'ØKF' and linje == 'Løntilskud'").iloc[0]
    assert okf["antal_forloeb"] == 1


def test_the_reference_counts_what_the_rows_say(reference):
    rows = pd.read_csv(io.StringIO(reference)).query("aar == 2024")
    kk = rows.query("enhed == 'KK' and linje == 'Samlet'").iloc[0]
    assert kk["antal_forloeb"] == 3
    assert rows.query("enhed == 'ØKF' and linje == 'Fleksjob'").iloc[0]["status"] == 1


@pytest.mark.parametrize("text, expected", [
    ("id;timer\nA1;37,5\nA2;30,0\n", ";"),                         # decimal commas in a semicolon file
    ('id,navn,timer\nA1,"Hansen; Jens",37\n', ","),                 # a quoted semicolon in a comma file
    ("id\tnavn\tnote\nA1\tJens\tx, y; z\n", "\t"),                  # tab file with both in a value
    ("id;forvaltning;\nA1;BIF;\n", ";"),                            # a trailing delimiter
    ("id,forvaltning\nA1,BIF\nA2,BIF,\n", ","),                     # Excel drops/keeps trailing fields
])
def test_the_delimiter_is_the_one_that_splits_header_and_rows_alike(text, expected):
    assert sniff_delimiter(text) == expected


def test_a_row_with_fewer_fields_than_the_header_reads_as_blanks():
    # Excel leaves trailing separators off rows whose last cells are empty
    table = parse_csv(b"id;forvaltning;ordning;start;slut\nA1;BIF;L;01-01-2024\n", "forloeb.csv")
    assert table.frame.iloc[0, :4].tolist() == ["A1", "BIF", "L", "01-01-2024"]


def _xlsx(rows, sheet_first=None) -> bytes:
    wb = openpyxl.Workbook()
    if sheet_first is not None:
        wb.active.title = "Forside"
        wb.active.append(sheet_first)
        ws = wb.create_sheet("Data")
    else:
        ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed(rows):
    def cell(v, column):
        if column in ("start", "slut") and v:
            return dt.datetime.strptime(v, "%d-%m-%Y")
        if column == "timer_pr_uge" and v:
            return float(v.replace(",", "."))
        return v or None
    return [[cell(v, c) for v, c in zip(r, HEADER)] for r in rows]


def test_an_xlsx_in_the_folder_is_read_from_its_first_sheet(cli, tmp_path, reference):
    path = folder(tmp_path, _xlsx([HEADER, *_typed(ROWS)]), name="forloeb.xlsx")
    assert cli("status", path, "--year", "2024", "--format", "csv").out == reference
    (tmp_path / "fleksjob.csv").unlink()
    (tmp_path / "fleksjob.xlsx").write_bytes(_xlsx([["id", "forvaltning", "start", "slut"],
                                                    ["F1", "ØKF", dt.datetime(2020, 1, 1), None],
                                                    ["F2", "BIF", dt.datetime(2023, 1, 1), None]]))
    assert cli("status", path, "--year", "2024", "--format", "csv").out == reference


def test_an_xlsx_beside_a_csv_of_the_same_name_is_a_finding(cli, tmp_path):
    path = folder(tmp_path, csv_text(";").encode())
    (tmp_path / "forloeb.xlsx").write_bytes(_xlsx([HEADER, *_typed(ROWS)]))
    p = cli("status", path, "--year", "2024")
    assert p.code == 2 and "Både forloeb.csv og forloeb.xlsx findes" in p.err


def test_an_xlsx_with_an_empty_first_sheet_says_so(cli, tmp_path):
    path = folder(tmp_path, _xlsx([]), name="forloeb.xlsx")
    p = cli("status", path, "--year", "2024")
    assert p.code == 2 and "Det første ark ('Sheet') er tomt" in p.err


def test_the_missing_file_message_names_both_forms(cli, tmp_path):
    (tmp_path / "fleksjob.csv").write_text(FLEKSJOB)
    p = cli("status", tmp_path, "--year", "2024")
    assert p.code == 2 and "'forloeb.csv' (eller 'forloeb.xlsx') mangler" in p.err


# ---------------------------------------------------------------- what is refused, and how

def _encrypted_xlsx() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_xlsx([HEADER, *_typed(ROWS)]))).encrypt("hemmelig", out)
    return out.getvalue()


def _old_xls() -> bytes:
    # an OLE compound file without an encrypted package: what an .xls (BIFF8) starts as
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000)


BAD_FILES = {
    "xlsx omdøbt til .csv": (lambda: _xlsx([HEADER, *_typed(ROWS)]),
                             "Excel-projektmappe (.xlsx/.xlsm), der har fået et .csv-navn. Giv den filtypen .xlsx"),
    "krypteret xlsx omdøbt til .csv": (_encrypted_xlsx, "beskyttet med adgangskode (krypteret)"),
    "gammel .xls omdøbt til .csv": (_old_xls, "det gamle Excel-format (.xls)"),
    "zip-pakke": (lambda: make_zip({"a.txt": b"x"}, zipfile.ZIP_STORED), "en zip-pakke"),
    "pdf": (lambda: b"%PDF-1.7\n" + bytes(range(256)), "en PDF-fil"),
    "tilfældige bytes": (lambda: random.Random(7).randbytes(4000), "binære data"),
    "en byte uden tegnsæt": (lambda: "id;forvaltning\nA1;Sø".encode("cp1252") + b"\x81" + b"\n", "byte nr. 21 (0x81) i linje 2"),
    "tom": (lambda: b"", "Filen er tom"),
    "kun BOM og linjeskift": (lambda: b"\xef\xbb\xbf\r\n\r\n", "Filen er tom"),
    "for mange felter": (lambda: csv_text(";").encode() + b"A4;BIF;L;01-01-2024;;;ekstra\n",
                         "Linje 5 har 7 felter (adskilt med semikolon), men overskriftsrækken har 6"),
    "åbent anførselstegn": (lambda: csv_text(";").encode() + b'A4;"BIF;L;01-01-2024;;\n', "aldrig lukket"),
    "anførselstegn der sluger rækker": (lambda: b'id;forvaltning;ordning;start;slut\nA1;"BIF;L;01-01-2024;\n'
                                                b'A2;BIF;L;01-01-2024;\nA3;BIF";L;01-01-2024;\n',
                                        "rækkerne derimellem ville gå tabt"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_file_that_is_not_a_readable_csv_is_one_danish_finding(cli, tmp_path, case):
    make, message = BAD_FILES[case]
    p = cli("status", folder(tmp_path, make()), "--year", "2024")
    assert p.code == 2, p.err
    assert "Inddata har fejl (1 fejl):" in p.err and p.err.count("FEJL:") == 1, p.err
    assert "FEJL: forloeb.csv" in p.err and message in p.err, p.err
    assert "Gem som" in p.err or "adgangskode" in p.err or "anførselstegn" in p.err or "felter" in p.err
    for english in ("Traceback", "Error", "Expected", "tokenizing", "codec", "No columns"):
        assert english not in p.err, p.err
    assert p.out == ""


def test_a_csv_of_absurd_width_fails_fast_with_a_short_message(cli, tmp_path):
    header = ";".join(f"kolonne{i}" for i in range(200_000))
    p = cli("status", folder(tmp_path, (header + "\n" + ";" * 199_999 + "\n").encode()), "--year", "2024")
    assert p.code == 2 and "200.000 kolonner" in p.err and "16.384" in p.err
    assert len(p.err) < 1000


def test_the_missing_column_message_lists_a_bounded_number_of_columns():
    columns = [f"kolonne{i}" for i in range(5000)] + ["x" * 10_000]
    _, findings = map_columns(columns, ["id"], "forloeb.csv")
    [f] = findings
    assert "'kolonne29'" in f.besked and "'kolonne30'" not in f.besked and "og 4.971 flere" in f.besked
    assert len(f.besked) < 2000


def test_a_missing_column_never_suggests_renaming_one_that_is_read():
    _, findings = map_columns(["id", "Forvaltning", "start", "slut"], ["id", "forvaltning", "ordning"], "forloeb.csv")
    [f] = findings
    assert "Kolonnen 'ordning' mangler" in f.besked and "Mente du" not in f.besked and "Omdøb" not in f.besked
    _, findings = map_columns(["id", "Forvaltning", "Ordnng", "start"], ["id", "forvaltning", "ordning"], "forloeb.csv")
    [f] = findings
    assert "Mente du 'Ordnng'? Omdøb kolonnen til 'ordning'." in f.besked


# ---------------------------------------------------------------- password-protected workbooks everywhere

@pytest.mark.parametrize("argv", [("status", "{book}"), ("refresh", "{book}"), ("check", "{book}")])
def test_a_password_protected_workbook_is_called_that(cli, tmp_path, argv):
    book = tmp_path / "status.xlsm"
    book.write_bytes(_encrypted_xlsx())
    before = book.read_bytes()
    p = cli(*(a.format(book=book) for a in argv))
    assert p.code == 2, p.err
    assert "beskyttet med adgangskode" in p.err and "fjern adgangskoden" in p.err
    assert "ikke en Excel-projektmappe" not in p.err and "Traceback" not in p.err
    assert book.read_bytes() == before


def test_an_old_xls_workbook_is_called_that(cli, tmp_path):
    book = tmp_path / "status.xlsx"
    book.write_bytes(_old_xls())
    p = cli("status", book)
    assert p.code == 2 and "det gamle Excel-format (.xls)" in p.err and "adgangskode" not in p.err


def test_random_bytes_as_a_workbook_are_one_finding(cli, tmp_path):
    book = tmp_path / "status.xlsx"
    book.write_bytes(os.urandom(3000))
    for verb in ("status", "check"):
        p = cli(verb, book)
        assert p.code == 2 and p.err.count("FEJL:") == 1 and "Traceback" not in p.err, p.err


@pytest.mark.parametrize("case", ["tilfældige bytes", "xlsx omdøbt til .csv", "åbent anførselstegn"])
def test_check_reads_its_csv_files_the_same_way(cli, tmp_path, case):
    make, message = BAD_FILES[case]
    (tmp_path / "published_rows.csv").write_bytes(make())
    (tmp_path / "published_totals.csv").write_text("aar,enhed\n", encoding="utf-8")
    p = cli("check", tmp_path)
    assert p.code == 2 and p.err.count("FEJL:") == 1 and message in p.err and "Traceback" not in p.err, p.err

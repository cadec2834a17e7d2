"""Readers: files -> raw tables (`RawInput`). No computing here; the engine parses and checks.

A folder of input files: `forloeb` and `fleksjob` (required), `maaltal`, `vaegte` and
`aggregater_<year-1>` (optional), each as `.csv` or as `.xlsx` (its first sheet).

CSV files are read as users' tools write them: UTF-8 with or without BOM, Windows-1252 (Danish
Excel's "CSV (semikolonsepareret)"), UTF-16 with BOM (Excel's "Unicode-tekst", tab-separated);
the delimiter (';', ',' or tab) is the one that splits the header and the first rows alike. A file
that is not such a text -- a workbook renamed to .csv, an old .xls, a password-protected workbook,
bytes no encoding explains, an empty file, rows a CSV parser cannot split -- is one Danish finding
that says what the file is and what to do; nothing here raises anything else for a bad file.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from .engine.findings import FEJL, Finding, InputError
from .engine.pipeline import RawInput, Table
from .engine.values import dansk_tal
from .xlsxguard import describe_binary

SAVE_AS_CSV = "Åbn den i Excel og vælg Filer > Gem som > CSV (semikolonsepareret)."
# Excel holds at most 16.384 columns; a "CSV" wider than that is not a sheet anybody saved, and
# reading it would take minutes and give a message of megabytes.
MAX_CSV_COLUMNS = 16_384
_SNIFF_BYTES = 65_536
_SNIFF_LINES = 50
_DELIMITERS = (";", "\t", ",")
_DELIMITER_NAMES = {";": "semikolon", "\t": "tabulator", ",": "komma"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# Text never holds these (Excel writes none of them); random or binary bytes nearly always do.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_NOT_TEXT_BYTES = re.compile(b"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_BINARY = "Filen indeholder binære data (styretegn), ikke tekst. Er det den rigtige fil? "
_EMPTY = "Filen er tom: der er hverken overskrifter eller data. "


def _refuse(name: str, message: str, row: int | None = None) -> InputError:
    return InputError([Finding(FEJL, name, message, raekke=row)])


def decode_text(data: bytes, name: str) -> str:
    """The text of a CSV file's bytes, or a Danish finding saying what the file is instead."""
    what = describe_binary(data)
    if what is not None:
        raise _refuse(name, f"Filen er ikke en CSV-fil, men {what}")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise _refuse(name, f"Filen begynder som {encoding.upper()}-tekst, men byte nr. {exc.start + 1} passer "
                                    f"ikke ind. Filen er beskadiget; gem den igen fra Excel. {SAVE_AS_CSV}") from None
            break
    else:
        text = _decode_without_bom(data, name)
    if _NOT_TEXT.search(text[:_SNIFF_BYTES]) or "\x00" in text:
        raise _refuse(name, _BINARY + SAVE_AS_CSV)
    return text


def _decode_without_bom(data: bytes, name: str) -> str:
    head = data[:_SNIFF_BYTES]
    # UTF-16 without a BOM: every other byte of Latin text is NUL
    if len(head) >= 4 and head.count(0) * 3 >= len(head):
        even, odd = head[0::2].count(0), head[1::2].count(0)
        encoding = "utf-16-le" if odd > 2 * even else "utf-16-be" if even > 2 * odd else None
        if encoding:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                pass
    if _NOT_TEXT_BYTES.search(head):
        raise _refuse(name, _BINARY + SAVE_AS_CSV)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _refuse(name, f"Filen kan ikke læses som tekst: byte nr. {exc.start + 1} (0x{data[exc.start]:02X}) "
                            f"i linje {line} findes hverken i UTF-8 eller Windows-1252. Er det den rigtige fil? "
                            f"{SAVE_AS_CSV}", row=line) from None


def sniff_delimiter(text: str) -> str:
    """';', tab or ',': the one that gives the header most columns and the first rows as many."""
    sample = text[:_SNIFF_BYTES]
    lines = sample.splitlines()[:_SNIFF_LINES + 1]
    if len(sample) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]                       # the last line may be cut off
    best, best_score = ",", (0, 0.0, 0)
    for d in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines, delimiter=d) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        agree = sum(len(r) == width for r in rows[1:]) / max(len(rows) - 1, 1)
        score = (1, agree, width)
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv_table(path: Path) -> Table:
    return parse_csv(path.read_bytes(), path.name)


def parse_csv(data: bytes, name: str) -> Table:
    """A raw table from a CSV file's bytes; every way it can fail is one Danish finding."""
    if not data.strip(b" \t\r\n\x00") or data.strip() in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        raise _refuse(name, _EMPTY + SAVE_AS_CSV)
    text = decode_text(data, name)
    if not text.strip():
        raise _refuse(name, _EMPTY + SAVE_AS_CSV)
    delimiter = sniff_delimiter(text)
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    width = header_line.count(delimiter) + 1
    if width > MAX_CSV_COLUMNS:
        raise _refuse(name, f"Overskriftsrækken har {dansk_tal(width, 0)} kolonner (adskilt med "
                            f"{_DELIMITER_NAMES[delimiter]}); Excel kan højst have {dansk_tal(MAX_CSV_COLUMNS, 0)}. "
                            f"Er det den rigtige fil? {SAVE_AS_CSV}", row=1)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter,
                            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True, engine="c")
    except pd.errors.EmptyDataError:
        raise _refuse(name, _EMPTY + SAVE_AS_CSV) from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise _unsplittable(name, str(exc), delimiter) from None
    _refuse_swallowed_rows(text, frame, name, delimiter)
    frame.columns = [str(c).strip() for c in frame.columns]
    return Table(frame, name, first_row=2)


def _unsplittable(name: str, reason: str, delimiter: str) -> InputError:
    """pandas' English reason for a CSV it cannot split, as a Danish finding naming the line."""
    sep = _DELIMITER_NAMES[delimiter]
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", reason)
    if m:
        want, line, saw = map(int, m.groups())
        return _refuse(name, f"Linje {line} har {saw} felter (adskilt med {sep}), men overskriftsrækken har {want}. "
                             "Fjern de overskydende felter, eller sæt anførselstegn om en værdi der selv indeholder "
                             f"{sep}. {SAVE_AS_CSV}", row=line)
    m = re.search(r"EOF inside string starting at row (\d+)", reason)
    if m:
        line = int(m.group(1)) + 1
        return _refuse(name, f"Et anførselstegn (\") omkring linje {line} bliver aldrig lukket, så resten af filen "
                             f"ville blive læst som én værdi. Ret eller fjern anførselstegnet. {SAVE_AS_CSV}", row=line)
    return _refuse(name, f"Filen kan ikke deles op i kolonner (adskilt med {sep}). Er den gemt som CSV? {SAVE_AS_CSV}")


def _refuse_swallowed_rows(text: str, frame: pd.DataFrame, name: str, delimiter: str) -> None:
    """A stray quote that a later quote happens to close makes one cell of several lines: the rows
    between are silently lost. A cell holding a line break *and* the delimiter is that, never a
    register value. Only when the rows read are fewer than the file's non-blank lines can a cell
    span lines at all, so a register without one costs a line count, not a scan of every cell."""
    if '"' not in text or len(frame) + 1 >= sum(1 for line in text.splitlines() if line.strip()):
        return
    columns = pd.Series([str(c) for c in frame.columns], dtype=object)
    for row, values in [(1, columns)] + [(None, frame.iloc[:, i]) for i in range(frame.shape[1])]:
        values = values.astype(str)
        hit = values.str.contains("\n|\r", regex=True) & values.str.contains(delimiter, regex=False)
        if hit.any():
            line = row or int(hit.to_numpy().nonzero()[0][0]) + 2
            raise _refuse(name, "En værdi strækker sig over flere linjer, fordi et anførselstegn (\") først lukkes "
                                "længere nede; rækkerne derimellem ville gå tabt. Ret eller fjern anførselstegnet i "
                                f"række {line}. {SAVE_AS_CSV}", row=line)


def read_xlsx_table(path: Path) -> Table:
    """A raw table from the first sheet of an .xlsx in the folder (header in row 1), streamed by
    the workbook reader (`xlsx.reader`) that `status`, `check` and `refresh` use."""
    from .sheets import table_from_grid
    from .workbook import _TOO_BIG_HINT
    from .xlsx.reader import open_package, read_grids
    from .xlsxguard import check_package
    data = path.read_bytes()
    check_package(data, path.name, too_big_hint=_TOO_BIG_HINT)
    pkg = open_package(data, path.name)
    try:
        first = pkg.sheets()[:1]
        if not first:
            raise _refuse(path.name, "Projektmappen har ingen ark. Læg registret i det første ark med overskrifterne "
                                     "i række 1.")
        title = first[0].name
        grid = read_grids(pkg, path.name, [title]).get(title)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed workbook part
        raise _refuse(path.name, f"Det første ark kan ikke læses ({type(exc).__name__}); projektmappen er "
                                 "beskadiget. Gem den igen fra Excel.") from None
    finally:
        pkg.close()
    if not grid:
        raise _refuse(path.name, f"Det første ark ('{title}') er tomt. Læg registret i det første ark med "
                                 "overskrifterne i række 1.")
    return table_from_grid(path.name, grid)


_SUFFIXES = (".csv", ".xlsx")


def _find(folder: Path, stem: str) -> Path | None:
    """The folder's file for `stem` (.csv or .xlsx); two of them is a finding (which one is meant?)."""
    found = [folder / (stem + s) for s in _SUFFIXES if (folder / (stem + s)).exists()]
    if len(found) > 1:
        raise _refuse(str(folder), f"Både {' og '.join(p.name for p in found)} findes i mappen; det er uklart, hvilken "
                                   "der skal bruges. Flyt eller omdøb den ene.")
    return found[0] if found else None


def read_table(path: Path) -> Table:
    return read_xlsx_table(path) if path.suffix.lower() == ".xlsx" else read_csv_table(path)


def read_folder(folder: Path, year: int | None = None) -> RawInput:
    folder = Path(folder)
    required = {stem: _find(folder, stem) for stem in ("forloeb", "fleksjob")}
    missing = [stem for stem, p in required.items() if p is None]
    if missing:
        raise InputError([Finding(FEJL, str(folder), f"Filen '{stem}.csv' (eller '{stem}.xlsx') mangler i mappen.")
                          for stem in missing])

    def optional(stem: str) -> Table | None:
        p = _find(folder, stem)
        return read_table(p) if p is not None else None

    previous = optional(f"aggregater_{year - 1}") if year else None
    return RawInput(forloeb=read_table(required["forloeb"]), fleksjob=read_table(required["fleksjob"]),
                    maaltal=optional("maaltal"), vaegte=optional("vaegte"), previous=previous)

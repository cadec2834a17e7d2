"""Refuse a hostile or broken Excel package before any XML parser sees it.

Both fronts that open a workbook with openpyxl -- the headless refresh (`workbook.py`) and the
reconciliation of published tables (`checks.py`) -- call `check_package` first, so one set of
limits holds for every file a user hands us. The limits are declared sizes from the zip
directory, checked without decompressing anything; only the first 64 kB of each XML part is read,
to refuse a DTD. Every refusal is an `InputError` with a Danish message naming the file.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from .engine.findings import FEJL, Finding, InputError, mask_cpr

MAX_FILE_BYTES = 200 * 2**20             # the file itself; a 1,000,000-row register is ~40 MB as .xlsm
MAX_ZIP_ENTRIES = 10_000
MAX_UNCOMPRESSED_BYTES = 2 * 2**30       # all parts together, as declared in the zip directory
MAX_PART_BYTES = 256 * 2**20             # one part other than a worksheet (openpyxl reads those whole)
MAX_COMPRESSION_RATIO = 250              # zip bombs compress far better than any sheet XML
RATIO_FROM_BYTES = 1_000_000             # small parts may compress well; only big ones are judged
_DTD_SCAN_BYTES = 65536
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def size_text(n: int) -> str:
    """A size in Danish: '8,4 MB', '2 GB'."""
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".").replace(".", ",") + f" {unit}"
    return f"{n} byte"


def _refuse(name: str, message: str) -> InputError:
    return InputError([Finding(FEJL, name, message)])


def _part(filename: str) -> str:
    """A part name from the file, fit to quote in a message (it is the sender's text)."""
    s = mask_cpr(filename)
    return s if len(s) <= 60 else s[:57] + "..."


def check_package(source: bytes | str | Path, name: str, too_big_hint: str = "") -> dict[str, int]:
    """Refuse anything that is not a plausible Excel package of sane size; else the declared
    uncompressed size of each part. `source` is the file's bytes or its path (a path is measured
    before it is read, so an oversized file is never loaded)."""
    in_memory = isinstance(source, (bytes, bytearray))
    size = len(source) if in_memory else Path(source).stat().st_size
    if size > MAX_FILE_BYTES:
        raise _refuse(name, f"Filen fylder {size_text(size)}; højst {size_text(MAX_FILE_BYTES)} kan læses."
                            + (f" {too_big_hint}" if too_big_hint else ""))
    try:
        with zipfile.ZipFile(io.BytesIO(source) if in_memory else source) as zf:
            infos = zf.infolist()
            _check_directory(infos, name)
            _refuse_dtds(zf, infos, name)
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError):
        head = source if in_memory else Path(source).read_bytes()
        if head.startswith(CFB_MAGIC):
            raise _refuse(name, _cfb_message(head)) from None
        raise _refuse(name, "Filen er ikke en Excel-projektmappe (.xlsx/.xlsm): den kan ikke åbnes som "
                            "zip-pakke. Er den gemt i et andet format, eller er den beskadiget? Gem den igen "
                            "fra Excel.") from None
    return {i.filename: i.file_size for i in infos}


# An OLE compound file: an old .xls, or an .xlsx/.xlsm Excel has encrypted with a password (the
# package then sits in a stream named EncryptedPackage, beside EncryptionInfo).
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_UNLOCK = ("Åbn den i Excel med adgangskoden, fjern adgangskoden (Filer > Oplysninger > Beskyt projektmappe > "
           "Krypter med adgangskode: slet adgangskoden), gem, og prøv igen.")


def is_encrypted_workbook(data: bytes) -> bool:
    return data.startswith(CFB_MAGIC) and _ENCRYPTED_STREAM in data


def _cfb_message(data: bytes) -> str:
    if is_encrypted_workbook(data):
        return "Projektmappen er beskyttet med adgangskode (krypteret) og kan ikke læses. " + _UNLOCK
    return ("Filen er en projektmappe i det gamle Excel-format (.xls) eller et andet ældre Office-dokument, ikke "
            ".xlsx/.xlsm. Åbn den i Excel og gem den som Excel-projektmappe med makroer (.xlsm).")


def describe_binary(data: bytes) -> str | None:
    """What a file that should be text is instead ('en PDF-fil. ...', completing "Filen er ikke en
    CSV-fil, men "), with what to do; None when it does not start like a known binary format."""
    save = "Åbn den i Excel og vælg Filer > Gem som > CSV (semikolonsepareret)."
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                workbook = "xl/workbook.xml" in zf.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError):
            workbook = False
        if workbook:
            return ("en Excel-projektmappe (.xlsx/.xlsm), der har fået et .csv-navn. Giv den filtypen .xlsx, så læses "
                    f"dens første ark, eller gem den som CSV: {save}")
        return f"en zip-pakke (fx et Word-dokument eller et komprimeret arkiv). Er det den rigtige fil? {save}"
    if data.startswith(CFB_MAGIC):
        if is_encrypted_workbook(data):
            return "en Excel-projektmappe, der er beskyttet med adgangskode (krypteret). " + _UNLOCK.replace(
                ", gem, og prøv igen.", ", og gem den som CSV (semikolonsepareret).")
        return f"en projektmappe i det gamle Excel-format (.xls) eller et andet ældre Office-dokument. {save}"
    if data.startswith(b"%PDF"):
        return f"en PDF-fil. Tallene skal komme fra registret selv, ikke fra en udskrift. {save}"
    return None


def _check_directory(infos: list[zipfile.ZipInfo], name: str) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _refuse(name, f"Filen indeholder {len(infos)} dele (grænsen er {MAX_ZIP_ENTRIES}); det er ikke en "
                            "almindelig projektmappe, og den åbnes ikke.")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(name, f"Filen fylder {size_text(total)} udpakket; højst {size_text(MAX_UNCOMPRESSED_BYTES)} "
                            "kan læses.")
    for i in infos:
        if i.file_size > RATIO_FROM_BYTES and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
            raise _refuse(name, f"Delen '{_part(i.filename)}' pakker ud til {size_text(i.file_size)} fra "
                                f"{size_text(i.compress_size)}. Filen afvises som mistænkelig (zip-bombe).")
        if not i.filename.startswith("xl/worksheets/") and i.file_size > MAX_PART_BYTES:
            raise _refuse(name, f"Delen '{_part(i.filename)}' fylder {size_text(i.file_size)} udpakket (grænsen er "
                                f"{size_text(MAX_PART_BYTES)}); projektmappen åbnes ikke.")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse(name, "Filen er en zip-pakke, men ikke en Excel-projektmappe (xl/workbook.xml mangler).")


def _refuse_dtds(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Office never writes a DTD; one in a part is an attack (entity expansion, external entities).
    The XML parsers behind openpyxl refuse them too; this names the part and the reason."""
    for info in infos:
        if info.filename.endswith(_XML_SUFFIXES):
            with zf.open(info) as fh:
                head = fh.read(_DTD_SCAN_BYTES)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise _refuse(name, f"Delen '{_part(info.filename)}' indeholder en XML-DTD (<!DOCTYPE>), som Excel "
                                    "aldrig skriver, og kan ikke læses. Filen afvises af sikkerhedshensyn.")

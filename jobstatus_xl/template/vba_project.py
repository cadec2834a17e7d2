"""Write an Excel VBA project (``vbaProject.bin``, [MS-OVBA]) from text sources, deterministically.

Why our own writer: the workbook template is built on Linux from ``.bas``/``.cls`` files in the
repository, and two builds must give identical bytes. The project holds *source only*: the
``_VBA_PROJECT`` stream is the 7-byte stub ``CC 61 FF FF 00 01 00`` (version 0xFFFF), which makes
Excel discard any cached p-code and compile the modules from their source when the workbook
opens, exactly as with xlwings' own ``quickstart_standalone.xlsm``.

What is written (compound file, see :mod:`jobstatus_xl.template.cfb`)::

    PROJECT              text: project ID, module list, name, protection fields, workspace
    PROJECTwm            module names in the code page and in UTF-16
    VBA/_VBA_PROJECT     the 7-byte stub above
    VBA/dir              compressed project information, references and module records
    VBA/<module>         compressed module source, one stream per module (MODULEOFFSET 0)

Everything that Office fills with random or per-save values is fixed here: the project ID
(:data:`DEFAULT_PROJECT_ID`), the seed and filler bytes of the encrypted CMG/DPB/GC fields, the
project version stamp, the cookies (0xFFFF, which [MS-OVBA] requires of writers).

How text files map to module streams (:func:`module_stream_text`)
-----------------------------------------------------------------

A module stream holds the module's text as the VBA editor stores it: ``Attribute`` lines first,
then the code, CRLF line endings, encoded in the project code page. Files exported by the VBA
editor differ from that in a few fixed ways, which we undo the way the editor does on import:

* ``.bas`` (kind ``"standard"``): the file *is* the stream text. ``Attribute VB_Name = "X"`` is
  added in front if the file lacks it.
* ``.cls`` (kinds ``"class"`` and ``"document"``): the export header ``VERSION 1.0 CLASS`` /
  ``BEGIN`` / ``MultiUse = -1 'True`` / ``END`` is not part of the stream and is dropped. The
  editor exports a class *without* ``VB_Base``, ``VB_TemplateDerived`` and ``VB_Customizable``
  but stores them in the stream; they are inserted (``VB_Base`` right after ``VB_Name``, the
  other two right after ``VB_Exposed``), as in the streams Excel writes. Module attributes
  missing from the file get the editor's defaults for a new module.
* ``.cls`` files whose ``VB_Base`` names the Excel Workbook or Worksheet type are document
  modules (ThisWorkbook, Sheet1, ...): the editor exports those with all their attributes.
* The known module attributes are written in the editor's order (Name, Base, GlobalNameSpace,
  Creatable, PredeclaredId, Exposed, TemplateDerived, Customizable); any other module attribute
  (e.g. ``VB_Description``) follows in the file's order. Procedure attributes
  (``Attribute Foo.VB_...`` inside the code) are code and left alone.
* Line endings become CRLF, and the text ends with one CRLF (added if the file has none).

The mapping is idempotent: feeding a stream's own text back (as the tests do with xlwings'
project) gives the same text. Text files in the repository are read as UTF-8 by
:func:`modules_from_files` (the editor exports in the ANSI code page; convert such files or pass
``encoding="cp1252"``) and are encoded in the project's code page (1252 by default) when written.

:func:`inject_vba_project` puts the result into an ``.xlsx`` package, turning it into ``.xlsm``.
"""

from __future__ import annotations

import io
import re
import struct
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Literal
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as SafeET

from .cfb import write_cfb

__all__ = [
    "VbaModule",
    "RegisteredReference",
    "ControlReference",
    "OFFICE_REFERENCE",
    "MSFORMS_REFERENCE",
    "STDOLE_REFERENCE",
    "DEFAULT_REFERENCES",
    "DEFAULT_PROJECT_ID",
    "compress",
    "decompress",
    "module_stream_text",
    "build_vba_project",
    "modules_from_files",
    "inject_vba_project",
]

ModuleKind = Literal["standard", "class", "document"]


@dataclass(frozen=True)
class VbaModule:
    """One VBA module: its name, its text as in the ``.bas``/``.cls`` file, and its kind."""

    name: str
    source: str
    kind: ModuleKind


# ---------------------------------------------------------------------------------------------
# Compression, [MS-OVBA] 2.4.1
# ---------------------------------------------------------------------------------------------

_CHUNK_SIZE = 4096
# Chunk header ([MS-OVBA] 2.4.1.1.5): bits 0-11 size-3, bits 12-14 signature 0b011, bit 15 flag.
_CHUNK_SIGNATURE = 0x3000
_CHUNK_COMPRESSED = 0x8000
# How many earlier positions with the same 3-byte prefix the compressor tries per position. Any
# match is valid, so this only trades ratio for speed; it is a constant, so output is fixed.
_MAX_CANDIDATES = 128


def _copy_token_help(difference: int) -> tuple[int, int]:
    """([MS-OVBA] 2.4.1.3.19.1) bit count and maximum length for a copy token.

    ``difference`` is the distance from the start of the decompressed chunk to the current
    position. The offset field needs ceil(log2(difference)) bits, at least 4; the remaining
    16 - bit_count bits hold length - 3.
    """
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return bit_count, length_mask + 3


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress ``data[start:end]`` (at most 4096 bytes) into a chunk's token sequences."""
    out = bytearray()
    # Positions in this chunk by their 3-byte prefix (copy tokens cannot reach outside the chunk).
    positions: dict[bytes, list[int]] = {}

    def remember(pos: int) -> None:
        if pos + 3 <= end:
            positions.setdefault(data[pos : pos + 3], []).append(pos)

    pos = start
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len, best_off = 0, 0
            if pos + 3 <= end and pos > start:
                _, max_len = _copy_token_help(pos - start)
                limit = min(max_len, end - pos)
                candidates = positions.get(data[pos : pos + 3], ())
                # Most recent first: on equal length the nearest match wins (fixed tie-break).
                for cand in reversed(candidates[-_MAX_CANDIDATES:]):
                    length = 3
                    # The match may run past ``pos`` (overlapping copy): the decompressor copies
                    # byte by byte, so that is valid and is how runs compress.
                    while length < limit and data[cand + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bit_count, _ = _copy_token_help(pos - start)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                for p in range(pos, pos + best_len):
                    remember(p)
                pos += best_len
            else:
                out.append(data[pos])
                remember(pos)
                pos += 1
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` as an [MS-OVBA] 2.4.1 CompressedContainer.

    Each 4096-byte chunk is written compressed (literals and copy tokens); a chunk whose tokens
    would not fit in 4096 bytes is written raw instead. The spec pads a raw chunk to 4096 bytes
    with zeros, so a *final* chunk that is incompressible decompresses with trailing zeros;
    VBA source text always compresses, so that never happens to module streams.
    """
    data = bytes(data)
    out = bytearray(b"\x01")  # SignatureByte
    for start in range(0, len(data), _CHUNK_SIZE):
        end = min(start + _CHUNK_SIZE, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= _CHUNK_SIZE:
            # CompressedChunkSize counts the 2-byte header and is stored minus 3.
            out += struct.pack("<H", _CHUNK_COMPRESSED | _CHUNK_SIGNATURE | (len(body) + 2 - 3))
            out += body
        else:
            out += struct.pack("<H", _CHUNK_SIGNATURE | (_CHUNK_SIZE + 2 - 3))
            out += data[start:end].ljust(_CHUNK_SIZE, b"\0")
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Decompress an [MS-OVBA] 2.4.1 CompressedContainer, strictly (malformed input raises)."""
    data = bytes(data)
    if not data or data[0] != 0x01:
        raise ValueError("not a compressed container: signature byte is not 0x01")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"truncated chunk header at {pos}")
        (header,) = struct.unpack_from("<H", data, pos)
        size = (header & 0x0FFF) + 3
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad chunk signature at {pos}")
        end = pos + size
        if end > len(data):
            raise ValueError(f"chunk at {pos} runs past the end of the data")
        if not header & _CHUNK_COMPRESSED:
            if size != _CHUNK_SIZE + 2:
                raise ValueError(f"raw chunk at {pos} is not 4096 bytes")
            out += data[pos + 2 : end]
            pos = end
            continue
        chunk_start = len(out)
        pos += 2
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > end:
                    raise ValueError("truncated copy token")
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                difference = len(out) - chunk_start
                if difference == 0:
                    raise ValueError("copy token at the start of a chunk")
                bit_count, _ = _copy_token_help(difference)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > difference:
                    raise ValueError("copy token points before the start of its chunk")
                src = len(out) - offset
                for i in range(length):  # byte by byte: the source may overlap the output
                    out.append(out[src + i])
        if len(out) - chunk_start > _CHUNK_SIZE:
            raise ValueError("chunk decompresses to more than 4096 bytes")
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# References ([MS-OVBA] 2.3.4.2.2)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisteredReference:
    """A REFERENCEREGISTERED record: an Automation type library found by its LibID."""

    name: str
    libid: str


@dataclass(frozen=True)
class ControlReference:
    """A REFERENCECONTROL record (with its REFERENCEORIGINAL), as the editor writes for MSForms.

    The "twiddled" and "extended" LibIDs describe the editor's cached copy of the control
    library, under the %TEMP% of whoever saved the project last. We copy the values of xlwings'
    quickstart workbook, which ships with such a path ("felix") and opens for xlwings' users,
    so the cached file evidently need not exist on the machine that opens it.
    """

    name: str
    libid_original: str
    libid_twiddled: str
    libid_extended: str
    original_typelib: uuid.UUID
    cookie: int


# The references of xlwings' quickstart_standalone.xlsm (checked by tests/test_vba_project.py),
# byte for byte: Microsoft Forms 2.0 (a control reference, as the editor adds it) and the
# Office object library. It has no stdole reference; STDOLE_REFERENCE is there for projects
# that want one.
MSFORMS_REFERENCE = ControlReference(
    name="MSForms",
    libid_original=(
        "*\\G{0D452EE1-E08F-101A-852E-02608C4D0BB4}#2.0#0#C:\\Windows\\system32\\FM20.DLL"
        "#Microsoft Forms 2.0 Object Library"
    ),
    libid_twiddled="*\\G{00000000-0000-0000-0000-000000000000}#0.0#0##",
    libid_extended=(
        "*\\G{25A06F1F-CB74-4EA9-99E8-704B89FB01D7}#2.0#0#"
        "C:\\Users\\felix\\AppData\\Local\\Temp\\VBE\\MSForms.exd"
        "#Microsoft Forms 2.0 Object Library"
    ),
    original_typelib=uuid.UUID("0D452EE1-E08F-101A-852E-02608C4D0BB4"),
    cookie=1,
)
OFFICE_REFERENCE = RegisteredReference(
    name="Office",
    libid=(
        "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files"
        "\\Microsoft Shared\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library"
    ),
)
STDOLE_REFERENCE = RegisteredReference(
    name="stdole",
    libid=(
        "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb"
        "#OLE Automation"
    ),
)
DEFAULT_REFERENCES: tuple[RegisteredReference | ControlReference, ...] = (
    MSFORMS_REFERENCE,
    OFFICE_REFERENCE,
)

# ---------------------------------------------------------------------------------------------
# Fixed project values
# ---------------------------------------------------------------------------------------------

#: Project ID in the PROJECT stream. Office makes one up per project; any fixed GUID will do.
DEFAULT_PROJECT_ID = "{6CA1AAF8-C9C8-4CF0-AE77-201009448F10}"

_VBA_PROJECT_STUB = bytes.fromhex("CC61FFFF000100")  # version 0xFFFF: compile from source
# PROJECTSYSKIND 3 (64-bit Windows), LCID/LCIDINVOKE 0x409, VersionCompatible32 and the project
# version stamp are copied from xlwings' quickstart project. The version stamp is a value the
# editor updates on save; it carries no meaning for a source-only project.
_SYSKIND = 0x00000003
_LCID = 0x0409
_VERSION_MAJOR = 0x68FBFAC5
_VERSION_MINOR = 0x0004
_VERSION_COMPATIBLE32 = "393222000"
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
# [MS-OVBA] 2.4.3 encryption of CMG/DPB/GC: Office picks a random seed and random filler bytes.
# We fix them to the ones in xlwings' quickstart project, so for its project ID we reproduce its
# strings exactly (a test checks that).
_ENCRYPTION_SEED = 0x8D
_ENCRYPTION_FILLER = bytes([0xA9, 0xDB])  # (seed & 6) // 2 == 2 bytes

_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
_WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
_WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"

# The editor's attribute defaults for a new class module and for Excel's document modules.
_CLASS_ATTRIBUTES = {
    "VB_GlobalNameSpace": "False",
    "VB_Creatable": "False",
    "VB_PredeclaredId": "False",
    "VB_Exposed": "False",
    "VB_TemplateDerived": "False",
    "VB_Customizable": "False",
}
_DOCUMENT_ATTRIBUTES = {
    "VB_GlobalNameSpace": "False",
    "VB_Creatable": "False",
    "VB_PredeclaredId": "True",
    "VB_Exposed": "True",
    "VB_TemplateDerived": "False",
    "VB_Customizable": "True",
}
_ATTRIBUTE_ORDER = ("VB_Name", "VB_Base", *_CLASS_ATTRIBUTES)

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")
_MODULE_ATTRIBUTE = re.compile(r"Attribute (VB_\w+) = (.*)\Z")


# ---------------------------------------------------------------------------------------------
# Module text
# ---------------------------------------------------------------------------------------------


def _split_lines(text: str) -> list[str]:
    # Only CR, LF and CRLF end lines in VBA; str.splitlines would also split on form feeds etc.
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _strip_class_header(lines: list[str], name: str) -> list[str]:
    """Drop the ``VERSION 1.0 CLASS`` ... ``END`` block an exported ``.cls`` file starts with."""
    if not lines or not lines[0].strip().upper().startswith("VERSION "):
        return lines
    if len(lines) < 2 or lines[1].strip().upper() != "BEGIN":
        raise ValueError(f"module {name}: VERSION line not followed by BEGIN")
    for i in range(2, len(lines)):
        if lines[i].strip().upper() == "END":
            return lines[i + 1 :]
    raise ValueError(f"module {name}: class header BEGIN without END")


def _read_attributes(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split leading module ``Attribute VB_x = v`` lines from the code that follows."""
    attributes: dict[str, str] = {}
    i = 0
    while i < len(lines):
        match = _MODULE_ATTRIBUTE.match(lines[i])
        if not match:
            break
        attributes[match.group(1)] = match.group(2)
        i += 1
    return attributes, lines[i:]


def module_stream_text(module: VbaModule) -> str:
    """The text of ``module``'s stream: attribute lines, then code, CRLF line endings.

    See the module docstring for how ``.bas``/``.cls`` file text maps to this.
    """
    name = module.name
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid VBA module name {name!r}: letter, then letters/digits/_, ≤31")
    if module.kind not in ("standard", "class", "document"):
        raise ValueError(f"module {name}: unknown kind {module.kind!r}")
    lines = _split_lines(module.source)
    if module.kind != "standard":
        lines = _strip_class_header(lines, name)
    attributes, code = _read_attributes(lines)

    quoted_name = f'"{name}"'
    if attributes.setdefault("VB_Name", quoted_name) != quoted_name:
        raise ValueError(
            f"module {name}: source says Attribute VB_Name = {attributes['VB_Name']}"
        )
    if module.kind == "class":
        attributes.setdefault("VB_Base", f'"{_CLASS_BASE}"')
        defaults = _CLASS_ATTRIBUTES
    elif module.kind == "document":
        base = _WORKBOOK_BASE if name == "ThisWorkbook" else _WORKSHEET_BASE
        attributes.setdefault("VB_Base", f'"{base}"')
        defaults = _DOCUMENT_ATTRIBUTES
    else:
        defaults = {}
    for key, value in defaults.items():
        attributes.setdefault(key, value)

    ordered = [key for key in _ATTRIBUTE_ORDER if key in attributes]
    ordered += [key for key in attributes if key not in _ATTRIBUTE_ORDER]
    header = [f"Attribute {key} = {attributes[key]}" for key in ordered]
    return "".join(line + "\r\n" for line in header + code)


def _module_docstring(stream_text: str) -> str:
    """The module's description for MODULEDOCSTRING, from its ``VB_Description`` attribute.

    The editor stores the description with real line breaks in the dir stream and with ``\\r``
    / ``\\n`` escapes in the attribute (as in xlwings' Dictionary class).
    """
    attributes, _ = _read_attributes(_split_lines(stream_text))
    value = attributes.get("VB_Description", "")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('""', '"')
    return value.replace("\\r", "\r").replace("\\n", "\n")


# ---------------------------------------------------------------------------------------------
# Streams
# ---------------------------------------------------------------------------------------------


def _encode(text: str, codec: str, what: str) -> bytes:
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what}: {exc.object[exc.start:exc.end]!r} is not in {codec}") from exc


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _text_records(id_mbcs: int, id_unicode: int, text: str, codec: str, what: str) -> bytes:
    # Most strings are written twice: in the project code page and in UTF-16.
    return _record(id_mbcs, _encode(text, codec, what)) + _record(
        id_unicode, text.encode("utf-16-le")
    )


def _reference_records(ref: RegisteredReference | ControlReference, codec: str) -> bytes:
    what = f"reference {ref.name}"
    out = _text_records(0x0016, 0x003E, ref.name, codec, what)  # REFERENCENAME
    if isinstance(ref, RegisteredReference):
        libid = _encode(ref.libid, codec, what)
        body = struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0)
        return out + _record(0x000D, body)
    # REFERENCEORIGINAL, then REFERENCECONTROL ([MS-OVBA] 2.3.4.2.2.3 and .5).
    original = _encode(ref.libid_original, codec, what)
    out += struct.pack("<HI", 0x0033, len(original)) + original
    twiddled = _encode(ref.libid_twiddled, codec, what)
    out += _record(0x002F, struct.pack("<I", len(twiddled)) + twiddled + struct.pack("<IH", 0, 0))
    out += _text_records(0x0016, 0x003E, ref.name, codec, what)  # NameRecordExtended
    extended = _encode(ref.libid_extended, codec, what)
    tail = struct.pack("<IH", 0, 0) + ref.original_typelib.bytes_le + struct.pack("<I", ref.cookie)
    out += _record(0x0030, struct.pack("<I", len(extended)) + extended + tail)
    return out


def _dir_stream(
    modules: Sequence[VbaModule],
    texts: Sequence[str],
    project_name: str,
    codepage: int,
    references: Iterable[RegisteredReference | ControlReference],
) -> bytes:
    """The decompressed ``VBA/dir`` stream ([MS-OVBA] 2.3.4.2)."""
    codec = f"cp{codepage}"
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", _SYSKIND))  # PROJECTSYSKIND
    out += _record(0x0002, struct.pack("<I", _LCID))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", _LCID))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", codepage))  # PROJECTCODEPAGE
    out += _record(0x0004, _encode(project_name, codec, "project name"))  # PROJECTNAME
    out += _text_records(0x0005, 0x0040, "", codec, "docstring")  # PROJECTDOCSTRING
    out += _text_records(0x0006, 0x003D, "", codec, "help file")  # PROJECTHELPFILEPATH
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    # PROJECTVERSION: its size field says 4 but 6 bytes follow (as the spec defines it).
    out += struct.pack("<HIIH", 0x0009, 4, _VERSION_MAJOR, _VERSION_MINOR)
    out += _text_records(0x000C, 0x003C, "", codec, "constants")  # PROJECTCONSTANTS
    for ref in references:
        out += _reference_records(ref, codec)
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE: 0xFFFF on write
    for module, text in zip(modules, texts):
        what = f"module {module.name}"
        out += _text_records(0x0019, 0x0047, module.name, codec, what)  # MODULENAME
        out += _text_records(0x001A, 0x0032, module.name, codec, what)  # MODULESTREAMNAME
        out += _text_records(0x001C, 0x0048, _module_docstring(text), codec, what)
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at 0
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE: 0xFFFF on write
        # MODULETYPE: 0x21 procedural; 0x22 class, which includes document modules.
        out += _record(0x0021 if module.kind == "standard" else 0x0022, b"")
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)


def _encrypt(project_id: str, data: bytes) -> str:
    """[MS-OVBA] 2.4.3.2 data encryption, used for the PROJECT stream's CMG, DPB and GC."""
    seed = _ENCRYPTION_SEED
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted_1, encrypted_1, encrypted_2 = project_key, out[2], out[1]
    assert len(_ENCRYPTION_FILLER) == (seed & 6) // 2
    for byte in _ENCRYPTION_FILLER + struct.pack("<I", len(data)) + data:
        encrypted = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(encrypted)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, encrypted, byte
    return out.hex().upper()


def _project_stream(
    modules: Sequence[VbaModule], project_name: str, codepage: int, project_id: str
) -> bytes:
    """The ``PROJECT`` text stream ([MS-OVBA] 2.3.1) of an unprotected, visible project."""
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        f'VersionCompatible32="{_VERSION_COMPATIBLE32}"',
        # Protection state 0 (4 bytes), no password (one zero byte), visible (0xFF).
        f'CMG="{_encrypt(project_id, bytes(4))}"',
        f'DPB="{_encrypt(project_id, bytes(1))}"',
        f'GC="{_encrypt(project_id, bytes([0xFF]))}"',
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
        # Editor window positions; all closed.
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
        "",
    ]
    return _encode("".join(line + "\r\n" for line in lines), f"cp{codepage}", "PROJECT stream")


def _projectwm_stream(modules: Sequence[VbaModule], codepage: int) -> bytes:
    """The ``PROJECTwm`` stream ([MS-OVBA] 2.3.3): each name in the code page and in UTF-16."""
    out = bytearray()
    for module in modules:
        out += _encode(module.name, f"cp{codepage}", "module name") + b"\0"
        out += module.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def build_vba_project(
    modules: Sequence[VbaModule],
    *,
    project_name: str = "VBAProject",
    codepage: int = 1252,
    references: Sequence[RegisteredReference | ControlReference] = DEFAULT_REFERENCES,
    project_id: str = DEFAULT_PROJECT_ID,
) -> bytes:
    """Build ``vbaProject.bin`` holding ``modules`` (in this order) as source only.

    Excel needs a document module for ThisWorkbook and for each worksheet whose code name it
    should bind to; pass them as kind ``"document"`` (their source may be empty).
    """
    if not _IDENTIFIER.match(project_name):
        raise ValueError(f"invalid VBA project name {project_name!r}")
    if not re.fullmatch(r"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", project_id):
        raise ValueError(f"project_id must be an upper-case GUID in braces: {project_id!r}")
    codec = f"cp{codepage}"
    try:
        "".encode(codec)
    except LookupError:
        raise ValueError(f"unsupported code page {codepage}") from None
    seen: set[str] = set()
    for module in modules:
        # Module names are case-insensitive in VBA and in the compound file.
        if module.name.upper() in seen:
            raise ValueError(f"duplicate module name {module.name!r}")
        seen.add(module.name.upper())

    texts = [module_stream_text(module) for module in modules]
    vba_storage: dict[str, object] = {
        "_VBA_PROJECT": _VBA_PROJECT_STUB,
        "dir": compress(_dir_stream(modules, texts, project_name, codepage, references)),
    }
    for module, text in zip(modules, texts):
        vba_storage[module.name] = compress(_encode(text, codec, f"module {module.name}"))
    return write_cfb(
        {
            "PROJECT": _project_stream(modules, project_name, codepage, project_id),
            "PROJECTwm": _projectwm_stream(modules, codepage),
            "VBA": vba_storage,
        }
    )


def modules_from_files(
    paths: Iterable[str | PathLike[str]], *, encoding: str = "utf-8"
) -> list[VbaModule]:
    """Read ``.bas`` (standard) and ``.cls`` (class or document) files, in the given order.

    The module name is the file's ``VB_Name`` attribute, else the file name without suffix. A
    ``.cls`` file is a document module when its ``VB_Base`` is anything but the class base
    (the editor exports ThisWorkbook/Sheet modules with their Workbook/Worksheet base).
    """
    modules = []
    for raw_path in paths:
        path = Path(raw_path)
        source = path.read_bytes().decode(encoding)
        suffix = path.suffix.lower()
        if suffix == ".bas":
            kind: ModuleKind = "standard"
        elif suffix == ".cls":
            kind = "class"
        else:
            raise ValueError(f"{path}: only .bas and .cls files are supported")
        lines = _split_lines(source)
        if kind == "class":
            lines = _strip_class_header(lines, path.stem)
        attributes, _ = _read_attributes(lines)
        base = attributes.get("VB_Base", f'"{_CLASS_BASE}"')
        if kind == "class" and base != f'"{_CLASS_BASE}"':
            kind = "document"
        name = attributes.get("VB_Name", f'"{path.stem}"').strip('"')
        modules.append(VbaModule(name=name, source=source, kind=kind))
    return modules


# ---------------------------------------------------------------------------------------------
# Putting the project into a workbook package
# ---------------------------------------------------------------------------------------------

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_VBA_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
_MACRO_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": (
        "application/vnd.ms-excel.template.macroEnabled.main+xml"
    ),
}
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Zip timestamp of the entry we add: fixed, so the package bytes depend only on the input.
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _xml_bytes(root: ET.Element, namespace: str) -> bytes:
    """Serialise a flat part (``[Content_Types].xml``, a ``.rels``) with ``namespace`` as default.

    These parts are one root with childless children carrying attributes, so a few lines
    write them exactly, with the default namespace Office expects; ElementTree itself would
    invent ``ns0:`` prefixes or refuse the unqualified attribute names.
    """
    prefix = f"{{{namespace}}}"

    def tag(element: ET.Element) -> str:
        if not element.tag.startswith(prefix):
            raise ValueError(f"unexpected element {element.tag!r}")
        return element.tag[len(prefix) :]

    def attributes(element: ET.Element) -> str:
        return "".join(f" {k}={quoteattr(v)}" for k, v in element.attrib.items())

    parts = [f'<{tag(root)} xmlns="{namespace}"{attributes(root)}>']
    for child in root:
        if len(child) or (child.text or "").strip():
            raise ValueError(f"unexpected content in {child.tag!r}")
        parts.append(f"<{tag(child)}{attributes(child)}/>")
    parts.append(f"</{tag(root)}>")
    return _XML_DECLARATION + "".join(parts).encode("utf-8")


def inject_vba_project(xlsx_bytes: bytes, vba_bin: bytes) -> bytes:
    """Return the package ``xlsx_bytes`` with ``vba_bin`` as its VBA project (an ``.xlsm``).

    Adds (or replaces) ``xl/vbaProject.bin`` next to the workbook part, its content-type
    override and the workbook's relationship to it, and switches the workbook part to the
    macro-enabled content type. Other entries are copied unchanged with their zip metadata, so
    the result is as reproducible as the input.
    """
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes)) as src:
        infos = src.infolist()
        contents = {info.filename: src.read(info) for info in infos}

    # The workbook part is whatever the package's officeDocument relationship points at.
    root_rels = SafeET.fromstring(contents["_rels/.rels"])
    targets = [
        rel.get("Target", "")
        for rel in root_rels.iter(f"{{{_REL_NS}}}Relationship")
        if rel.get("Type") == _OFFICE_DOCUMENT
    ]
    if len(targets) != 1:
        raise ValueError("package has no single officeDocument relationship")
    workbook = PurePosixPath(targets[0].lstrip("/"))
    vba_part = workbook.parent / "vbaProject.bin"
    rels_name = str(workbook.parent / "_rels" / f"{workbook.name}.rels")

    types = SafeET.fromstring(contents["[Content_Types].xml"])
    overrides = {o.get("PartName"): o for o in types.iter(f"{{{_CT_NS}}}Override")}
    workbook_override = overrides.get(f"/{workbook}")
    if workbook_override is None:
        raise ValueError(f"[Content_Types].xml has no override for /{workbook}")
    current = workbook_override.get("ContentType")
    workbook_override.set("ContentType", _MACRO_CONTENT_TYPES.get(current, current))
    vba_override = overrides.get(f"/{vba_part}")
    if vba_override is None:
        vba_override = ET.SubElement(types, f"{{{_CT_NS}}}Override")
        vba_override.set("PartName", f"/{vba_part}")
    vba_override.set("ContentType", _VBA_CONTENT_TYPE)

    rels = SafeET.fromstring(contents[rels_name])
    existing = [r for r in rels.iter(f"{{{_REL_NS}}}Relationship")]
    if not any(r.get("Type") == _VBA_REL_TYPE for r in existing):
        used = {r.get("Id") for r in existing}
        n = 1
        while f"rId{n}" in used:
            n += 1
        rel = ET.SubElement(rels, f"{{{_REL_NS}}}Relationship")
        rel.set("Id", f"rId{n}")
        rel.set("Type", _VBA_REL_TYPE)
        rel.set("Target", vba_part.name)

    replaced = {
        "[Content_Types].xml": _xml_bytes(types, _CT_NS),
        rels_name: _xml_bytes(rels, _REL_NS),
        str(vba_part): bytes(vba_bin),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in infos:
            if info.filename == str(vba_part):
                continue  # replaced below, after the other parts
            dst.writestr(info, replaced.get(info.filename, contents[info.filename]))
        vba_info = zipfile.ZipInfo(str(vba_part), date_time=_FIXED_ZIP_TIME)
        vba_info.compress_type = zipfile.ZIP_DEFLATED
        dst.writestr(vba_info, replaced[str(vba_part)])
    return out.getvalue()

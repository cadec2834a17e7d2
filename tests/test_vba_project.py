"""Tests for the VBA project writer (jobstatus_xl.template.vba_project) and its CFB writer.

Our own code is checked against readers we did not write: oletools' decompressor and olevba,
olefile, LibreOffice's VBA import, and a VBA project Excel itself saved (xlwings'
``quickstart_standalone.xlsm``), compared record by record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from jobstatus_xl.template.cfb import CfbError, cfb_name_key, write_cfb
from jobstatus_xl.template.vba_project import (
    DEFAULT_PROJECT_ID,
    DEFAULT_REFERENCES,
    VbaModule,
    build_vba_project,
    compress,
    decompress,
    inject_vba_project,
    module_stream_text,
    modules_from_files,
)
from libreoffice import SYSTEM_PYTHON, child_env, requires_libreoffice

XLWINGS_DIR = Path(os.path.dirname(xlwings.__file__))
QUICKSTART = XLWINGS_DIR / "quickstart_standalone.xlsm"
XLWINGS_BAS = XLWINGS_DIR / "xlwings.bas"
DICTIONARY_CLS = XLWINGS_DIR / "addin" / "Dictionary.cls"
LO_VBA_LIST = Path(__file__).with_name("lo_vba_list.py")
STUB = bytes.fromhex("CC61FFFF000100")


def oletools_decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


# ---------------------------------------------------------------------------------------------
# Compression
# ---------------------------------------------------------------------------------------------

# [MS-OVBA] 3.2.1 (no compression) and 3.2.3 (maximum compression): the spec's own examples.
SPEC_EXAMPLES = [
    (b"abcdefghijklmnopqrstuv.",
     "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"),
    (b"a" * 73, "01 03 B0 02 61 45 00"),
]
# [MS-OVBA] 3.2.2 (normal compression). The spec's compressed bytes pick other, equally valid
# matches than its own algorithm would, so we only check that we decompress them.
SPEC_NORMAL = (
    b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
    "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E"
    " 6F 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C",
)


@pytest.mark.parametrize(("plain", "packed"), SPEC_EXAMPLES)
def test_compress_matches_spec_examples(plain, packed):
    assert compress(plain) == bytes.fromhex(packed)
    assert decompress(bytes.fromhex(packed)) == plain


def test_decompress_spec_normal_example():
    plain, packed = SPEC_NORMAL
    assert decompress(bytes.fromhex(packed)) == plain
    assert oletools_decompress(compress(plain)) == plain


def test_copy_token_uses_full_length_field():
    # 4096 equal bytes: one literal, then ONE copy token of length 4095. At chunk position 1 the
    # offset takes 4 bits, so the length field has 12 bits: max length (0xFFFF >> 4) + 3 = 4098.
    # ms_ovba_compression's "0xFFFF << bit_count + 3" gets exactly this wrong.
    packed = compress(b"a" * 4096)
    assert packed == bytes.fromhex("01 03 B0 02 61 FC 0F")
    assert oletools_decompress(packed) == b"a" * 4096


def _texts() -> dict[str, bytes]:
    xlwings_bas = XLWINGS_BAS.read_bytes()
    # Repeats at large distances inside a chunk: offsets need up to 12 bits, lengths get short.
    far = bytes(range(256)) * 12 + bytes(range(256))[:200] * 3
    return {
        "empty": b"",
        "one byte": b"x",
        "short": b'Attribute VB_Name = "Modul"\r\nSub A()\r\nEnd Sub\r\n',
        "exactly one chunk": (b"Hello, VBA! " * 400)[:4096],
        "xlwings.bas": xlwings_bas,
        "xlwings.bas twice": xlwings_bas * 2,
        "long run": b" " * 20000,
        "far matches": far,
    }


@pytest.mark.parametrize("name", list(_texts()))
def test_compression_round_trip(name):
    data = _texts()[name]
    packed = compress(data)
    assert decompress(packed) == data
    assert oletools_decompress(packed) == data
    if len(data) > 1000:
        assert len(packed) < len(data)  # copy tokens are really used


def test_incompressible_chunks_are_written_raw():
    noise = random.Random(0).randbytes(8192 + 4000)
    packed = compress(noise)
    headers = []
    pos = 1
    while pos < len(packed):
        (header,) = struct.unpack_from("<H", packed, pos)
        headers.append(header)
        pos += (header & 0x0FFF) + 3
    assert headers == [0x3FFF, 0x3FFF, 0x3FFF]  # raw: signature 0b011, size 4098, flag 0
    padded = noise + bytes(96)  # [MS-OVBA] pads the last raw chunk to 4096 bytes
    assert decompress(packed) == padded
    assert oletools_decompress(packed) == padded
    # A short incompressible tail still fits a compressed chunk and round-trips exactly.
    assert oletools_decompress(compress(noise[:8192 + 900])) == noise[:8192 + 900]


def _last_chunk_is_raw(packed: bytes) -> bool:
    pos, raw = 1, False
    while pos < len(packed):
        (header,) = struct.unpack_from("<H", packed, pos)
        raw = not header & 0x8000
        pos += (header & 0x0FFF) + 3
    return raw


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=10000))
def test_compression_round_trip_random_bytes(data):
    packed = compress(data)
    expected = data
    # [MS-OVBA] 2.4.1.3.10: a raw (incompressible) chunk is always 4096 bytes, zero padded, so
    # an incompressible *final* chunk comes back with trailing zeros. Text never does this.
    if _last_chunk_is_raw(packed) and len(data) % 4096:
        expected = data + b"\0" * (4096 - len(data) % 4096)
    assert decompress(packed) == expected
    assert oletools_decompress(packed) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([b"Dim ", b"x", b" = ", b"\r\n", b"End Sub", b"a", b"  "]),
                max_size=3000).map(b"".join))
def test_compression_round_trip_repetitive(data):
    packed = compress(data)
    assert decompress(packed) == data
    assert oletools_decompress(packed) == data


@pytest.mark.parametrize(
    "bad",
    [b"", b"\x02", b"\x01\x00", b"\x01\x03\x00\x02a", b"\x01\x03\xb0\x01\x00\x00"],
    ids=["empty", "bad signature", "truncated header", "bad chunk signature", "token at start"],
)
def test_decompress_rejects_malformed(bad):
    with pytest.raises(ValueError):
        decompress(bad)


# ---------------------------------------------------------------------------------------------
# Compound file
# ---------------------------------------------------------------------------------------------

CFB_TREE = {
    "PROJECT": b"p" * 100,
    "PROJECTwm": b"",
    "Big": bytes(range(256)) * 300,
    "VBA": {
        "dir": b"d" * 4096,  # exactly the cutoff: a regular stream
        "_VBA_PROJECT": STUB,
        "Sheet10": b"s" * 4095,  # just below: mini stream
        "Sheet2": b"t" * 64,
        "Module1": b"m" * 65,
        "a": b"\x00",
        "Sub": {"Deeper": b"z" * 5000},
    },
}


def _flatten(tree, prefix=()):
    for name, value in tree.items():
        if isinstance(value, dict):
            yield from _flatten(value, prefix + (name,))
        else:
            yield prefix + (name,), value


def test_cfb_olefile_reads_every_stream():
    data = write_cfb(CFB_TREE)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    streams = {tuple(p) for p in ole.listdir(streams=True, storages=False)}
    expected = dict(_flatten(CFB_TREE))
    assert streams == set(expected)
    for path, content in expected.items():
        assert ole.openstream("/".join(path)).read() == content
    assert ole.get_type("VBA/Sub") == olefile.STGTY_STORAGE
    # Deterministic fields: no CLSIDs, no timestamps.
    for entry in ole.direntries:
        if entry is not None:
            assert entry.clsid == "" and entry.createTime == 0 and entry.modifyTime == 0


def _directory_entries(data: bytes) -> list[tuple]:
    """Parse the directory ourselves: (name, type, left, right, child, colour) per entry."""
    (first_dir,) = struct.unpack_from("<I", data, 0x30)
    (n_fat,) = struct.unpack_from("<I", data, 0x2C)
    difat = struct.unpack_from("<109I", data, 0x4C)[:n_fat]
    fat = []
    for sector in difat:
        fat += struct.unpack_from("<128I", data, 512 + sector * 512)
    entries, sector = [], first_dir
    while sector != 0xFFFFFFFE:
        for i in range(4):
            raw = data[512 + sector * 512 + i * 128:][:128]
            name_len, kind, colour, left, right, child = struct.unpack_from("<HBBIII", raw, 64)
            name = raw[: max(name_len - 2, 0)].decode("utf-16-le")
            entries.append((name, kind, left, right, child, colour))
        sector = fat[sector]
    return entries


def test_cfb_sibling_trees_are_sorted_binary_search_trees():
    entries = _directory_entries(write_cfb(CFB_TREE))

    def in_order(index):
        if index == 0xFFFFFFFF:
            return []
        _, _, left, right, _, _ = entries[index]
        return in_order(left) + [entries[index][0]] + in_order(right)

    storages = [e for e in entries if e[1] in (1, 5)]
    assert len(storages) == 3
    for _, _, _, _, child, _ in storages:
        names = in_order(child)
        # CFB order: shorter names first, then upper-case comparison ("a" < "dir" < "Sub").
        assert names == sorted(names, key=cfb_name_key)
    root_children = in_order(entries[0][4])
    assert root_children == ["Big", "VBA", "PROJECT", "PROJECTwm"]
    assert all(e[5] == 1 for e in entries if e[1])  # every used entry black


def test_cfb_is_deterministic_and_rejects_what_it_cannot_write():
    assert write_cfb(CFB_TREE) == write_cfb(dict(reversed(list(CFB_TREE.items()))))
    with pytest.raises(CfbError, match="31"):
        write_cfb({"x" * 32: b""})
    with pytest.raises(CfbError, match="duplicate"):
        write_cfb({"Dir": b"", "DIR": b""})
    with pytest.raises(CfbError, match="/"):
        write_cfb({"a/b": b""})
    # 109 FAT sectors map about 7 MB; more would need DIFAT sectors, which we do not write.
    with pytest.raises(CfbError, match="DIFAT"):
        write_cfb({"huge": bytes(109 * 128 * 512)})


# ---------------------------------------------------------------------------------------------
# Reference: the VBA project Excel saved in xlwings' quickstart_standalone.xlsm
# ---------------------------------------------------------------------------------------------


def parse_dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """Split a decompressed dir stream into (id, payload) records ([MS-OVBA] 2.3.4.2).

    Every record is id (2 bytes), size (4 bytes), payload, except PROJECTVERSION (0x0009),
    whose size field says 4 but which carries 6 bytes. REFERENCECONTROL's parts (0x002F,
    0x0030) and REFERENCEORIGINAL (0x0033) also fit the id/size/payload pattern.
    """
    records, pos = [], 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if record_id == 0x0009:
            size += 2
        records.append((record_id, data[pos : pos + size]))
        pos += size
    assert pos == len(data)
    assert records[-1] == (0x0010, b"")
    return records


def read_project(vba_bin: bytes) -> dict:
    """Read a vbaProject.bin with olefile and the dir records: everything the tests compare."""
    ole = olefile.OleFileIO(io.BytesIO(vba_bin), raise_defects=olefile.DEFECT_INCORRECT)
    records = parse_dir_records(oletools_decompress(ole.openstream("VBA/dir").read()))
    modules, current = [], None
    for record_id, payload in records:
        if record_id == 0x0019:
            current = {"name": payload.decode("cp1252")}
        elif record_id == 0x001A:
            current["stream"] = payload.decode("cp1252")
        elif record_id == 0x0031:
            (current["offset"],) = struct.unpack("<I", payload)
        elif record_id in (0x0021, 0x0022):
            current["type"] = record_id
        elif record_id == 0x002B:
            modules.append(current)
    project_text = ole.openstream("PROJECT").read().decode("cp1252")
    document_names = set(re.findall(r"^Document=(\w+)/", project_text, re.M))
    for module in modules:
        raw = ole.openstream(f"VBA/{module['stream']}").read()
        module["text"] = oletools_decompress(raw[module["offset"] :]).decode("cp1252")
        if module["type"] == 0x0021:
            module["kind"] = "standard"
        else:
            module["kind"] = "document" if module["name"] in document_names else "class"
    return {
        "ole": ole,
        "records": records,
        "modules": modules,
        "project": project_text,
        "projectwm": ole.openstream("PROJECTwm").read(),
        "streams": sorted("/".join(p) for p in ole.listdir()),
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    with zipfile.ZipFile(QUICKSTART) as package:
        return read_project(package.read("xl/vbaProject.bin"))


@pytest.fixture(scope="module")
def rebuilt(reference) -> dict:
    """Our project built from the reference's own module texts, in the reference's order."""
    project_id = re.search(r'^ID="(\{[^}]+\})"', reference["project"], re.M).group(1)
    modules = [VbaModule(m["name"], m["text"], m["kind"]) for m in reference["modules"]]
    return read_project(build_vba_project(modules, project_id=project_id))


def test_reference_has_what_we_assume(reference):
    # The facts our writer mirrors; if xlwings ships a different project, revisit them.
    names = [(m["name"], m["kind"]) for m in reference["modules"]]
    assert names == [("ThisWorkbook", "document"), ("Sheet1", "document"),
                     ("Module1", "standard"), ("Sheet2", "document"),
                     ("xlwings", "standard"), ("Dictionary", "class")]
    assert reference["ole"].openstream("VBA/_VBA_PROJECT").read() == STUB
    ref_names = [p.decode() for i, p in reference["records"] if i == 0x0016]
    assert ref_names == ["MSForms", "MSForms", "Office"]  # MSForms twice: NameRecordExtended


def test_dir_stream_matches_reference_record_by_record(reference, rebuilt):
    # Ignored, with reasons:
    #  0x0013 PROJECTCOOKIE, 0x002C MODULECOOKIE: [MS-OVBA] says readers MUST ignore them and
    #    writers MUST write 0xFFFF; the editor writes per-session values anyway.
    #  0x0031 MODULEOFFSET: where the source starts in a module stream. Excel put compiled
    #    p-code in front of four of the reference's modules; we write source only, offset 0.
    #    (The module texts at those offsets are compared in the next test.)
    # Everything else must be byte-identical: project information, both references (incl.
    # the MSForms control reference), module names, stream names, docstrings, types.
    ignored = {0x0013, 0x002C, 0x0031}
    ours, theirs = rebuilt["records"], reference["records"]
    assert [i for i, _ in ours] == [i for i, _ in theirs]
    for (record_id, our_payload), (_, their_payload) in zip(ours, theirs):
        if record_id not in ignored:
            assert our_payload == their_payload, f"record 0x{record_id:04X}"
    for record_id, payload in ours:
        if record_id in (0x0013, 0x002C):
            assert payload == b"\xff\xff"
        elif record_id == 0x0031:
            assert payload == bytes(4)


def test_project_streams_match_reference(reference, rebuilt):
    # With the reference's project ID our fixed encryption seed/filler reproduce its CMG, DPB
    # and GC exactly. Only the [Workspace] values (editor window geometry) differ.
    def without_workspace_values(text):
        return re.sub(r"^(\w+)=-?\d+, -?\d+, -?\d+, -?\d+, [A-Z]\r$", r"\1=…\r", text, flags=re.M)

    assert rebuilt["project"] != reference["project"]  # the geometry really differs
    assert without_workspace_values(rebuilt["project"]) == without_workspace_values(
        reference["project"]
    )
    assert rebuilt["projectwm"] == reference["projectwm"]
    assert rebuilt["streams"] == reference["streams"]
    assert rebuilt["ole"].openstream("VBA/_VBA_PROJECT").read() == STUB


def test_module_sources_match_reference(reference, rebuilt):
    for ours, theirs in zip(rebuilt["modules"], reference["modules"], strict=True):
        assert ours["name"] == theirs["name"]
        if theirs["name"] == "xlwings":
            # xlwings' tooling wrote this stream with bare LF line ends; the editor (and we)
            # write CRLF. Equal once the line ends agree.
            assert "\r" not in theirs["text"]
            assert ours["text"] == theirs["text"].replace("\n", "\r\n")
        else:
            assert ours["text"] == theirs["text"]


def test_exported_files_map_to_the_streams_excel_wrote(reference):
    """xlwings.bas / Dictionary.cls are the files the reference's modules were imported from."""
    xlwings_mod, dictionary = modules_from_files([XLWINGS_BAS, DICTIONARY_CLS])
    assert (xlwings_mod.name, xlwings_mod.kind) == ("xlwings", "standard")
    assert (dictionary.name, dictionary.kind) == ("Dictionary", "class")
    ref = {m["name"]: m["text"] for m in reference["modules"]}

    assert module_stream_text(xlwings_mod) == ref["xlwings"].replace("\n", "\r\n")

    ours = module_stream_text(dictionary).split("\r\n")
    theirs = ref["Dictionary"].split("\r\n")
    header = [line for line in theirs if line.startswith("Attribute VB_")]
    assert len(header) == 9  # incl. VB_Base, VB_TemplateDerived, VB_Customizable
    assert ours[: len(header)] == theirs[: len(header)] == header
    # The editor normalises identifier case project-wide ("err.Raise" became "Err.Raise" in
    # some lines); apart from that the code is the file's.
    assert len(ours) == len(theirs)
    differing = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert all(a.lower() == b.lower() for a, b in differing)
    assert len(differing) < 10


# ---------------------------------------------------------------------------------------------
# Module text mapping
# ---------------------------------------------------------------------------------------------

CLASS_FILE = (
    "VERSION 1.0 CLASS\n"
    "BEGIN\n"
    "  MultiUse = -1  'True\n"
    "END\n"
    'Attribute VB_Name = "Taeller"\n'
    "Attribute VB_GlobalNameSpace = False\n"
    "Attribute VB_Creatable = False\n"
    "Attribute VB_PredeclaredId = False\n"
    "Attribute VB_Exposed = False\n"
    "Option Explicit\n"
    "Private n As Long\n"
    "Public Sub Tael()\n"
    "Attribute Tael.VB_Description = \"Tæl én op\"\n"
    "    n = n + 1\n"
    "End Sub\n"
)
CLASS_STREAM = (
    'Attribute VB_Name = "Taeller"\r\n'
    'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = False\r\n"
    "Attribute VB_Exposed = False\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = False\r\n"
    "Option Explicit\r\n"
    "Private n As Long\r\n"
    "Public Sub Tael()\r\n"
    "Attribute Tael.VB_Description = \"Tæl én op\"\r\n"
    "    n = n + 1\r\n"
    "End Sub\r\n"
)


def test_class_file_maps_to_stream_text():
    module = VbaModule("Taeller", CLASS_FILE, "class")
    assert module_stream_text(module) == CLASS_STREAM
    # Idempotent: the stream text is itself an acceptable source.
    assert module_stream_text(VbaModule("Taeller", CLASS_STREAM, "class")) == CLASS_STREAM


def test_standard_and_document_module_text():
    assert module_stream_text(VbaModule("Modul", "Sub A()\nEnd Sub", "standard")) == (
        'Attribute VB_Name = "Modul"\r\nSub A()\r\nEnd Sub\r\n'
    )
    workbook = module_stream_text(VbaModule("ThisWorkbook", "", "document"))
    sheet = module_stream_text(VbaModule("Sheet1", "Option Explicit\r\n", "document"))
    base = 'Attribute VB_Base = "0{000208%s-0000-0000-C000-000000000046}"'
    assert workbook.splitlines()[1] == base % "19"  # Excel's Workbook type
    assert sheet.splitlines()[1] == base % "20"  # Excel's Worksheet type
    assert "Attribute VB_PredeclaredId = True\r\n" in sheet
    assert "Attribute VB_Customizable = True\r\n" in sheet
    assert sheet.endswith("Attribute VB_Customizable = True\r\nOption Explicit\r\n")
    with pytest.raises(ValueError, match="VB_Name"):
        module_stream_text(VbaModule("Modul", 'Attribute VB_Name = "Andet"\n', "standard"))
    with pytest.raises(ValueError, match="module name"):
        module_stream_text(VbaModule("1Modul", "", "standard"))


def test_modules_from_files(tmp_path):
    (tmp_path / "Hjaelp.bas").write_text('Attribute VB_Name = "Hjaelp"\r\nSub A()\r\nEnd Sub\r\n',
                                         encoding="utf-8")
    (tmp_path / "Taeller.cls").write_text(CLASS_FILE, encoding="utf-8")
    (tmp_path / "Ark1.cls").write_text(
        "VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  'True\nEND\n"
        'Attribute VB_Name = "Sheet1"\n'
        'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"\n',
        encoding="utf-8",
    )
    modules = modules_from_files(sorted(tmp_path.iterdir()))
    assert [(m.name, m.kind) for m in modules] == [
        ("Sheet1", "document"), ("Hjaelp", "standard"), ("Taeller", "class")]
    assert modules[2].source == CLASS_FILE
    with pytest.raises(ValueError, match=".frm"):
        (tmp_path / "Form.frm").write_text("", encoding="utf-8")
        modules_from_files([tmp_path / "Form.frm"])


# ---------------------------------------------------------------------------------------------
# Our own sample project through independent readers
# ---------------------------------------------------------------------------------------------

SAMPLE_MODULES = [
    VbaModule("ThisWorkbook", "", "document"),
    VbaModule("Sheet1", "Option Explicit\r\n", "document"),
    VbaModule("Hjaelp", 'Attribute VB_Name = "Hjaelp"\nOption Explicit\n\n'
              'Public Function Hilsen() As String\n    Hilsen = "Goddag, æøå ÆØÅ"\nEnd Function\n',
              "standard"),
    VbaModule("Taeller", CLASS_FILE, "class"),
    VbaModule("xlwings", XLWINGS_BAS.read_bytes().decode("cp1252"), "standard"),  # CRLF file
]


def _xlsm(vba_bin: bytes) -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return inject_vba_project(buffer.getvalue(), vba_bin)


def test_sample_project_through_our_reader_helpers():
    project = read_project(build_vba_project(SAMPLE_MODULES))
    assert [(m["name"], m["kind"], m["offset"]) for m in project["modules"]] == [
        (m.name, m.kind, 0) for m in SAMPLE_MODULES]
    for module, read in zip(SAMPLE_MODULES, project["modules"]):
        assert read["text"] == module_stream_text(module)
    assert f'ID="{DEFAULT_PROJECT_ID}"' in project["project"]
    assert [p.decode() for i, p in project["records"] if i == 0x0016] == ["MSForms", "MSForms",
                                                                          "Office"]
    assert DEFAULT_REFERENCES  # mirrored from the reference project (checked above)


def _decrypt(hex_text: str) -> tuple[int, bytes]:
    """[MS-OVBA] 2.4.3.3 decryption: (project key, data)."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = raw[:3]
    assert seed ^ version_enc == 2
    key = seed ^ key_enc
    unencrypted, enc1, enc2, out = key, key_enc, version_enc, []
    for byte in raw[3:]:
        plain = byte ^ ((enc2 + unencrypted) & 0xFF)
        out.append(plain)
        enc2, enc1, unencrypted = enc1, byte, plain
    data = bytes(out[(seed & 6) // 2 :])
    (length,) = struct.unpack_from("<I", data)
    assert length == len(data) - 4
    return key, data[4:]


def test_protection_fields_decrypt_to_an_unprotected_visible_project():
    text = read_project(build_vba_project(SAMPLE_MODULES))["project"]
    fields = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.M))
    key = sum(DEFAULT_PROJECT_ID.encode()) & 0xFF
    assert _decrypt(fields["CMG"]) == (key, bytes(4))  # no protection
    assert _decrypt(fields["DPB"]) == (key, b"\x00")  # no password
    assert _decrypt(fields["GC"]) == (key, b"\xff")  # visible


@pytest.mark.parametrize("container", ["xlsm", "bin"])
def test_olevba_returns_every_module_exactly(container):
    vba_bin = build_vba_project(SAMPLE_MODULES)
    data = _xlsm(vba_bin) if container == "xlsm" else vba_bin
    # relaxed=False: olevba raises on any dir-stream value that departs from [MS-OVBA].
    parser = VBA_Parser(f"sample.{container}", data=data, relaxed=False)
    try:
        assert parser.detect_vba_macros()
        found = {vba_filename: code for _, _, vba_filename, code in parser.extract_macros()}
    finally:
        parser.close()
    # olevba returns the whole stream text (it does not strip Attribute lines), decoded with
    # the project code page: exactly what module_stream_text promises.
    extension = {"standard": "bas", "class": "cls", "document": "cls"}
    assert found == {f"{m.name}.{extension[m.kind]}": module_stream_text(m)
                     for m in SAMPLE_MODULES}
    # ... which is the file's text with CRLF, plus the attribute lines the editor adds.
    assert found["Hjaelp.bas"] == SAMPLE_MODULES[2].source.replace("\n", "\r\n")
    assert found["xlwings.bas"] == SAMPLE_MODULES[4].source
    assert found["Taeller.cls"] == CLASS_STREAM


@pytest.mark.slow
def test_builds_are_byte_identical():
    assert build_vba_project(SAMPLE_MODULES) == build_vba_project(list(SAMPLE_MODULES))
    assert _xlsm(build_vba_project(SAMPLE_MODULES)) != b""
    # Also across interpreters with different hash seeds (set/dict order must not leak in).
    script = (
        "import hashlib, sys\n"
        "from jobstatus_xl.template.vba_project import build_vba_project, modules_from_files\n"
        f"mods = modules_from_files([{str(XLWINGS_BAS)!r}, {str(DICTIONARY_CLS)!r}],"
        " encoding='cp1252')\n"
        "print(hashlib.sha256(build_vba_project(mods)).hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env=env, cwd=Path(__file__).parents[1], check=True)
        digests.add(run.stdout.strip())
    mods = modules_from_files([XLWINGS_BAS, DICTIONARY_CLS], encoding="cp1252")
    digests.add(hashlib.sha256(build_vba_project(mods)).hexdigest())
    assert len(digests) == 1


def test_codepage_errors_are_clear():
    with pytest.raises(ValueError, match="Modul.*cp1252"):
        build_vba_project([VbaModule("Modul", 'x = "\u20ac\u0141"', "standard")])
    with pytest.raises(ValueError, match="duplicate"):
        build_vba_project([VbaModule("A", "", "standard"), VbaModule("a", "", "standard")])


def test_inject_vba_project_makes_a_macro_enabled_package():
    vba_bin = build_vba_project(SAMPLE_MODULES)
    xlsm = _xlsm(vba_bin)
    with zipfile.ZipFile(io.BytesIO(xlsm)) as package:
        assert package.read("xl/vbaProject.bin") == vba_bin
        types = package.read("[Content_Types].xml").decode()
        rels = package.read("xl/_rels/workbook.xml.rels").decode()
    assert ('<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>') in types
    assert ('<Override PartName="/xl/vbaProject.bin" '
            'ContentType="application/vnd.ms-office.vbaProject"/>') in types
    assert types.count("vbaProject") == 2  # the override above and nothing else
    assert rels.count('Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"'
                      ' Target="vbaProject.bin"') == 1
    # openpyxl (another reader) sees the project and keeps it.
    workbook = openpyxl.load_workbook(io.BytesIO(xlsm), keep_vba=True)
    assert workbook.vba_archive.read("xl/vbaProject.bin") == vba_bin
    # Injecting again replaces the project instead of adding a second one; same input, same bytes.
    again = inject_vba_project(xlsm, vba_bin)
    assert again == inject_vba_project(xlsm, vba_bin)
    with zipfile.ZipFile(io.BytesIO(again)) as package:
        assert package.namelist().count("xl/vbaProject.bin") == 1
        rels = package.read("xl/_rels/workbook.xml.rels").decode()
        assert rels.count("relationships/vbaProject") == 1


# ---------------------------------------------------------------------------------------------
# LibreOffice
# ---------------------------------------------------------------------------------------------


def _lo_body(source: str) -> str:
    """LibreOffice's module text without the lines its VBA import puts in front."""
    lines = source.split("\n")
    while lines and (lines[0].startswith("Rem Attribute VBA_ModuleType=")
                     or lines[0] in ("Option VBASupport 1", "Option ClassModule")):
        lines.pop(0)
    return "\n".join(lines).rstrip("\n")


@requires_libreoffice
def test_libreoffice_lists_every_module_with_its_type(tmp_path):
    workbook = tmp_path / "sample.xlsm"
    workbook.write_bytes(_xlsm(build_vba_project(SAMPLE_MODULES)))
    run = subprocess.run([SYSTEM_PYTHON, "-I", str(LO_VBA_LIST), str(workbook)],
                         capture_output=True, text=True, env=child_env(), timeout=300)
    # LibreOffice may crash while shutting down; the harness prints its JSON before that.
    assert run.stdout.strip(), f"no output (exit {run.returncode}): {run.stderr[-2000:]}"
    listed = json.loads(run.stdout.strip().splitlines()[-1])
    assert "VBAProject" in listed["libraries"]
    lo_type = {"standard": "NORMAL", "class": "CLASS", "document": "DOCUMENT"}
    assert {name: info["type"] for name, info in listed["modules"].items()} == {
        m.name: lo_type[m.kind] for m in SAMPLE_MODULES}
    for module in SAMPLE_MODULES:
        # LibreOffice drops every Attribute line (module and procedure ones) and uses LF;
        # everything else must be our code.
        lines = module_stream_text(module).split("\r\n")
        code = "\n".join(line for line in lines if not line.startswith("Attribute "))
        assert _lo_body(listed["modules"][module.name]["source"]) == code.rstrip("\n"), module.name

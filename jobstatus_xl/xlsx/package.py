"""The zip package and its parts.

`Package` reads the zip directory once and each part on demand; `write_package` builds the new
file from the original: every entry in the original order, each one not replaced copied as its
raw compressed bytes (local header, data, data descriptor) without decompressing it, replaced
entries compressed anew, new entries at the end. Copying raw bytes is both the fastest way and the
strongest form of "unchanged": the new file holds the very bytes the old one did.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as SafeET

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
REL_SHARED_STRINGS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
REL_CALC_CHAIN = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_PART = "xl/workbook.xml"
CONTENT_TYPES = "[Content_Types].xml"
RIBBON_REL_TYPES = (
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",   # customUI14.xml
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",   # customUI.xml
)


def parse(xml: bytes):
    return SafeET.fromstring(xml)


def rels_name(part: str) -> str:
    """The relationships part of `part`: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    p = PurePosixPath(part)
    return str(p.parent / "_rels" / (p.name + ".rels"))


def resolve_target(source_part: str, target: str) -> str:
    """A relationship's Target as a part name (absolute, or relative to the source part's folder)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(source_part).parent) + "/" + target).split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def relationships(xml: bytes) -> list[dict[str, str]]:
    return [dict(r.attrib) for r in parse(xml).iter(f"{{{REL_NS}}}Relationship")]


@dataclass(frozen=True)
class SheetRef:
    name: str
    part: str          # e.g. xl/worksheets/sheet1.xml
    rid: str
    sheet_id: str
    index: int         # position in <sheets> (what localSheetId counts)


class Package:
    """A zip package read from bytes: its directory, its parts on demand, its sheets."""

    def __init__(self, data: bytes):
        self.data = data
        self.zf = zipfile.ZipFile(io.BytesIO(data))
        self.infos = self.zf.infolist()
        self.by_name = {i.filename: i for i in self.infos}
        self._cache: dict[str, bytes] = {}

    def close(self) -> None:
        self.zf.close()

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def read(self, name: str) -> bytes:
        if name not in self._cache:
            self._cache[name] = self.zf.read(self.by_name[name])
        return self._cache[name]

    def forget(self, name: str) -> None:
        """Drop a part read with `read` from the cache (a big sheet read once)."""
        self._cache.pop(name, None)

    def open(self, name: str):
        return self.zf.open(self.by_name[name])

    def workbook_rels(self) -> list[dict[str, str]]:
        name = rels_name(WORKBOOK_PART)
        return relationships(self.read(name)) if name in self else []

    def part_of_type(self, rel_type: str) -> str | None:
        for rel in self.workbook_rels():
            if rel.get("Type") == rel_type and rel.get("TargetMode") != "External":
                part = resolve_target(WORKBOOK_PART, rel.get("Target", ""))
                return part if part in self else None
        return None

    def sheets(self) -> list[SheetRef]:
        """Every sheet of workbook.xml in order, with its part found through the workbook's rels."""
        targets = {r.get("Id"): r for r in self.workbook_rels()}
        out = []
        for i, s in enumerate(parse(self.read(WORKBOOK_PART)).iter(f"{{{MAIN_NS}}}sheet")):
            rid = s.get(f"{{{R_NS}}}id") or ""
            rel = targets.get(rid)
            part = resolve_target(WORKBOOK_PART, rel.get("Target", "")) if rel is not None else ""
            out.append(SheetRef(s.get("name") or "", part, rid, s.get("sheetId") or "", i))
        return out

    def date1904(self) -> bool:
        pr = parse(self.read(WORKBOOK_PART)).find(f"{{{MAIN_NS}}}workbookPr")
        return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")

    def raw_entry(self, info: zipfile.ZipInfo) -> bytes:
        """The entry as stored: local header, compressed data and data descriptor, byte for byte."""
        start = info.header_offset
        head = self.data[start:start + 30]
        if head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        end = start + 30 + name_len + extra_len + info.compress_size
        if info.flag_bits & 0x08:            # a data descriptor follows the data
            sig = self.data[end:end + 4] == b"PK\x07\x08"
            zip64 = info.file_size >= 0xFFFFFFFF or info.compress_size >= 0xFFFFFFFF
            end += (4 if sig else 0) + (20 if zip64 else 12)
        return self.data[start:end]


def write_package(pkg: Package, replaced: dict[str, bytes], dropped: set[str] = frozenset(),
                  added: dict[str, bytes] | None = None) -> bytes:
    """The package with `replaced` parts' contents swapped in place, `dropped` left out and
    `added` appended; every other entry copied as raw bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in pkg.infos:
            if info.filename in dropped:
                continue
            if info.filename in replaced:
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                zf.writestr(zi, replaced[info.filename])
                continue
            raw = pkg.raw_entry(info)
            clone = _copy_info(info)
            clone.header_offset = out.tell()
            out.write(raw)
            zf.filelist.append(clone)
            zf.NameToInfo[clone.filename] = clone
            zf.start_dir = out.tell()
        for name, content in (added or {}).items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content,
                        compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    for attr in ("compress_type", "comment", "extra", "create_system", "create_version", "extract_version",
                 "reserved", "flag_bits", "volume", "internal_attr", "external_attr", "CRC", "compress_size",
                 "file_size"):
        setattr(clone, attr, getattr(info, attr))
    if hasattr(info, "orig_filename"):
        clone.orig_filename = info.orig_filename
    if hasattr(info, "_compresslevel"):
        clone._compresslevel = info._compresslevel
    # the central directory's zip64 extra is rebuilt by zipfile from the sizes and the offset
    clone.extra = _strip_zip64_extra(info.extra)
    return clone


def _strip_zip64_extra(extra: bytes) -> bytes:
    out, i = b"", 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i:i + 4])
        if tag != 0x0001:
            out += extra[i:i + 4 + size]
        i += 4 + size
    return out


# ---------------------------------------------------------------- small, textual edits of shared parts

def free_relationship_id(rels_xml: bytes, preferred_id: str | None = None) -> str:
    used = {r.get("Id") for r in relationships(rels_xml)}
    if preferred_id and preferred_id not in used:
        return preferred_id
    n = 1
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


def add_relationship(rels_xml: bytes, rel_type: str, target: str, preferred_id: str | None = None) -> bytes:
    """`rels_xml` with one more relationship (an unused Id; `preferred_id` when free)."""
    rid = free_relationship_id(rels_xml, preferred_id)
    new = f"<Relationship Id={quoteattr(rid)} Type={quoteattr(rel_type)} Target={quoteattr(target)}/>".encode()
    head, sep, tail = rels_xml.rpartition(b"</Relationships>")
    if not sep:
        raise ValueError("not a relationships part")
    return head + new + sep + tail


def remove_elements(xml: bytes, tag: str, attr: str, value: str) -> bytes:
    """`xml` without the empty elements <tag ... attr="value" .../> (any prefix, either quote)."""
    pattern = re.compile(rb"<(?:\w+:)?" + tag.encode() + rb"\b[^>]*?\s" + attr.encode()
                         + rb"\s*=\s*([\"'])" + re.escape(value.encode()) + rb"\1[^>]*?/>")
    return pattern.sub(b"", xml)


def ensure_override(types_xml: bytes, part: str, content_type: str) -> bytes:
    """`[Content_Types].xml` with an Override for `part` (unchanged when it has one)."""
    types = parse(types_xml)
    if any(o.get("PartName") == "/" + part for o in types.iter(f"{{{CT_NS}}}Override")):
        return types_xml
    element = f"<Override PartName={quoteattr('/' + part)} ContentType={quoteattr(content_type)}/>".encode()
    head, sep, tail = types_xml.rpartition(b"</Types>")
    if not sep:
        raise ValueError("not a content types part")
    return head + element + sep + tail


def ensure_content_type(types_xml: bytes, part: str, original_types_xml: bytes | None) -> bytes:
    """Make `[Content_Types].xml` cover `part`, taking its type from the original package."""
    types = parse(types_xml)
    ext = PurePosixPath(part).suffix.lstrip(".").lower()
    defaults = {d.get("Extension", "").lower() for d in types.iter(f"{{{CT_NS}}}Default")}
    overrides = {o.get("PartName") for o in types.iter(f"{{{CT_NS}}}Override")}
    if "/" + part in overrides or ext in defaults:
        return types_xml
    element = None
    if original_types_xml:
        orig = parse(original_types_xml)
        for o in orig.iter(f"{{{CT_NS}}}Override"):
            if o.get("PartName") == "/" + part:
                element = f'<Override PartName={quoteattr("/" + part)} ContentType={quoteattr(o.get("ContentType"))}/>'
        for d in orig.iter(f"{{{CT_NS}}}Default"):
            if element is None and d.get("Extension", "").lower() == ext:
                element = f'<Default Extension={quoteattr(ext)} ContentType={quoteattr(d.get("ContentType"))}/>'
    if element is None:
        element = f'<Default Extension={quoteattr(ext)} ContentType="application/octet-stream"/>'
    head, sep, tail = types_xml.rpartition(b"</Types>")
    return head + element.encode() + sep + tail

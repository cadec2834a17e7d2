"""A minimal, deterministic writer for Compound File Binary files ([MS-CFB], version 3).

A VBA project (``vbaProject.bin``) is a compound file: a little FAT file system inside one file.
We only ever *write* small ones, so this module supports exactly what that needs:

* version 3 (512-byte sectors, 64-byte mini sectors, 4096-byte mini stream cutoff);
* storages and streams given as a nested mapping, ``{name: bytes | {name: ...}}``;
* streams shorter than 4096 bytes live in the mini stream, as the format requires;
* up to 109 FAT sectors (the DIFAT entries in the header, about 7 MB of data); beyond that a
  writer would need DIFAT sectors, and we raise instead of writing a file we never tested.

Every field that could vary between runs is fixed: CLSIDs, state bits and timestamps are zero,
unused space is zero, children are laid out in a fixed order. Two calls with equal input give
equal bytes, which is what lets a build reproduce ``workbook_template.xlsm`` exactly.

Layout of the file we write (sector numbers after the 512-byte header)::

    [FAT sectors][directory sectors][MiniFAT sectors][mini stream sectors][regular streams]
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["write_cfb", "cfb_name_key", "CfbError"]

SECTOR_SIZE = 512
MINI_SECTOR_SIZE = 64
MINI_STREAM_CUTOFF = 4096
DIR_ENTRY_SIZE = 128
ENTRIES_PER_FAT_SECTOR = SECTOR_SIZE // 4
HEADER_DIFAT_ENTRIES = 109

# Special sector numbers ([MS-CFB] 2.1).
DIFSECT = 0xFFFFFFFC
FATSECT = 0xFFFFFFFD
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF

# Object types and colours of directory entries ([MS-CFB] 2.6.1).
TYPE_STORAGE = 0x01
TYPE_STREAM = 0x02
TYPE_ROOT = 0x05
BLACK = 0x01

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

Tree = Mapping[str, "bytes | Tree"]


class CfbError(ValueError):
    """The tree cannot be written as a compound file by this writer."""


def cfb_name_key(name: str) -> tuple[int, str]:
    """Sort key giving the order [MS-CFB] 2.6.4 requires among siblings.

    Shorter names sort first; names of equal length compare by their upper-cased UTF-16 code
    units. ``str.upper`` matches the spec's simple upper-casing for every name we write (ASCII
    module names), which is all this writer promises.
    """
    units = name.encode("utf-16-le")
    return (len(units) // 2, name.upper())


@dataclass
class _Entry:
    """One directory entry while the file is being laid out."""

    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN
    size: int = 0
    index: int = -1


def _check_name(name: str) -> None:
    # [MS-CFB] 2.6.1: at most 31 UTF-16 code units plus the terminator, and these four
    # characters are not allowed.
    if not name:
        raise CfbError("empty storage/stream name")
    if len(name.encode("utf-16-le")) // 2 > 31:
        raise CfbError(f"name longer than 31 characters: {name!r}")
    if any(c in name for c in "/\\:!"):
        raise CfbError(f"name contains one of / \\ : ! : {name!r}")


def _build_entries(tree: Tree) -> list[_Entry]:
    """Turn the nested mapping into directory entries, root first, in a fixed order."""
    root = _Entry("Root Entry", TYPE_ROOT)
    entries = [root]

    def add_children(parent: _Entry, subtree: Tree) -> None:
        seen: set[str] = set()
        for name in sorted(subtree, key=cfb_name_key):
            _check_name(name)
            folded = name.upper()
            if folded in seen:
                # CFB names are case-insensitive: two such siblings cannot both be found.
                raise CfbError(f"duplicate name (case-insensitive): {name!r}")
            seen.add(folded)
            value = subtree[name]
            if isinstance(value, (bytes, bytearray, memoryview)):
                entry = _Entry(name, TYPE_STREAM, data=bytes(value))
            elif isinstance(value, Mapping):
                entry = _Entry(name, TYPE_STORAGE)
            else:
                raise CfbError(f"{name!r}: expected bytes or a mapping, got {type(value).__name__}")
            entry.index = len(entries)
            entries.append(entry)
            parent.children.append(entry)
            if entry.kind == TYPE_STORAGE:
                add_children(entry, value)

    root.index = 0
    add_children(root, tree)
    return entries


def _link_siblings(parent: _Entry) -> None:
    """Arrange a storage's children as a balanced binary search tree, all nodes black.

    [MS-CFB] 2.6.4 allows colouring every node black (the tree is then just a binary search
    tree); balancing keeps look-ups short and is as deterministic as any other shape.
    """

    def build(children: list[_Entry]) -> int:
        if not children:
            return NOSTREAM
        mid = len(children) // 2
        node = children[mid]
        node.left = build(children[:mid])
        node.right = build(children[mid + 1 :])
        return node.index

    # Children are already sorted by cfb_name_key (see _build_entries).
    parent.child = build(parent.children)
    for child in parent.children:
        if child.kind == TYPE_STORAGE:
            _link_siblings(child)


def _chain(fat: list[int], start: int, count: int) -> None:
    """Record a contiguous chain of ``count`` sectors starting at ``start`` in ``fat``."""
    for i in range(count):
        fat[start + i] = start + i + 1 if i + 1 < count else ENDOFCHAIN


def _sectors(n_bytes: int, unit: int) -> int:
    return -(-n_bytes // unit)


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\0" * (-len(data) % unit)


def write_cfb(tree: Tree) -> bytes:
    """Serialise ``tree`` (storage name -> nested mapping, stream name -> bytes) as a CFB file."""
    entries = _build_entries(tree)
    root = entries[0]
    _link_siblings(root)
    streams = [e for e in entries if e.kind == TYPE_STREAM]
    small = [e for e in streams if 0 < len(e.data) < MINI_STREAM_CUTOFF]
    large = [e for e in streams if len(e.data) >= MINI_STREAM_CUTOFF]

    # Mini stream: small streams packed in 64-byte mini sectors, chained in the MiniFAT.
    minifat: list[int] = []
    mini_stream = bytearray()
    for e in small:
        n = _sectors(len(e.data), MINI_SECTOR_SIZE)
        e.start, e.size = len(minifat), len(e.data)
        minifat.extend([0] * n)
        _chain(minifat, e.start, n)
        mini_stream += _pad(e.data, MINI_SECTOR_SIZE)

    n_dir = _sectors(len(entries) * DIR_ENTRY_SIZE, SECTOR_SIZE)
    n_minifat = _sectors(len(minifat) * 4, SECTOR_SIZE)
    n_mini = _sectors(len(mini_stream), SECTOR_SIZE)
    n_large = sum(_sectors(len(e.data), SECTOR_SIZE) for e in large)
    n_data = n_dir + n_minifat + n_mini + n_large

    # The FAT must also describe its own sectors, so grow it until it covers everything.
    n_fat = 1
    while n_fat * ENTRIES_PER_FAT_SECTOR < n_fat + n_data:
        n_fat += 1
    if n_fat > HEADER_DIFAT_ENTRIES:
        raise CfbError(
            f"compound file needs {n_fat} FAT sectors; this writer supports at most "
            f"{HEADER_DIFAT_ENTRIES} (no DIFAT sectors), i.e. about 7 MB of streams"
        )

    fat = [FREESECT] * (n_fat * ENTRIES_PER_FAT_SECTOR)
    for i in range(n_fat):
        fat[i] = FATSECT
    next_sector = n_fat
    dir_start = next_sector
    _chain(fat, dir_start, n_dir)
    next_sector += n_dir
    minifat_start = next_sector if n_minifat else ENDOFCHAIN
    _chain(fat, next_sector, n_minifat)
    next_sector += n_minifat
    # The root entry owns the mini stream: its start sector and size describe it.
    if n_mini:
        root.start, root.size = next_sector, len(mini_stream)
        _chain(fat, next_sector, n_mini)
        next_sector += n_mini
    for e in large:
        n = _sectors(len(e.data), SECTOR_SIZE)
        e.start, e.size = next_sector, len(e.data)
        _chain(fat, next_sector, n)
        next_sector += n
    assert next_sector == n_fat + n_data

    # [MS-CFB] 2.6.3: a storage's start sector and size are all zeroes. Empty streams own no
    # sector, so they keep start = ENDOFCHAIN and size 0.
    for e in entries:
        if e.kind == TYPE_STORAGE:
            e.start = 0

    directory = bytearray()
    for e in entries:
        directory += _dir_entry(e)
    # Unused entries in the last directory sector: empty name, no siblings or child.
    unused = _dir_entry(_Entry("", 0, start=0))
    while len(directory) < n_dir * SECTOR_SIZE:
        directory += unused

    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_bytes += struct.pack("<I", FREESECT) * (
        (n_minifat * SECTOR_SIZE - len(minifat_bytes)) // 4
    )

    header = _header(
        n_fat=n_fat,
        dir_start=dir_start,
        minifat_start=minifat_start,
        n_minifat=n_minifat,
    )
    body = bytearray()
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += directory
    body += minifat_bytes
    body += _pad(bytes(mini_stream), SECTOR_SIZE)
    for e in large:
        body += _pad(e.data, SECTOR_SIZE)
    assert len(body) == (n_fat + n_data) * SECTOR_SIZE
    return header + bytes(body)


def _dir_entry(e: _Entry) -> bytes:
    name = (e.name + "\0").encode("utf-16-le") if e.name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        e.kind,
        BLACK if e.kind else 0,
        e.left,
        e.right,
        e.child,
        b"\0" * 16,  # CLSID: zero, so the output does not depend on who built it
        0,  # state bits
        0,  # creation time: zero keeps builds reproducible
        0,  # modification time
        e.start,
        e.size,  # version 3 files keep the high 32 bits zero; sizes here are far below 4 GB
    )


def _header(*, n_fat: int, dir_start: int, minifat_start: int, n_minifat: int) -> bytes:
    difat = list(range(n_fat)) + [FREESECT] * (HEADER_DIFAT_ENTRIES - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        SIGNATURE,
        b"\0" * 16,  # header CLSID, must be zero
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order mark: little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        b"\0" * 6,  # reserved
        0,  # number of directory sectors: must be 0 in version 3
        n_fat,
        dir_start,
        0,  # transaction signature: unused
        MINI_STREAM_CUTOFF,
        minifat_start,
        n_minifat,
        ENDOFCHAIN,  # first DIFAT sector: none, the header's 109 entries suffice
        0,  # number of DIFAT sectors
    )
    header += struct.pack(f"<{HEADER_DIFAT_ENTRIES}I", *difat)
    assert len(header) == SECTOR_SIZE
    return header

"""Zip packages (.xlsx/.xlsm/.docx) for tests: read every entry, write one, change parts of one."""

from __future__ import annotations

import io
import zipfile


def zip_entries(data: bytes) -> dict[str, bytes]:
    """{entry name: uncompressed bytes}, in the package's order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def make_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of `files` in the given order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def rezip(original: bytes, entries: dict[str, bytes]) -> bytes:
    """`original` with each entry's bytes taken from `entries` (same names, order and zip metadata)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, entries[info.filename])
    return out.getvalue()


def replace_part(data: bytes, part: str, new: bytes) -> bytes:
    """`data` with one existing part's bytes replaced."""
    entries = zip_entries(data)
    entries[part] = new
    return rezip(data, entries)

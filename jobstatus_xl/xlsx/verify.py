"""The proof before the rename: nothing outside the owned set changed, at the byte level.

`verify_package` re-reads the written package and compares it with the original, entry by entry
and in order: every entry not named as changed must be there, in the same place, as the very
same stored bytes (local header, compressed data and checksum); the changed ones must parse as
XML and pass their checksum; styles.xml may only have grown at the end of its lists. Anything
else raises `NothingLostError`, and the caller writes nothing.
"""

from __future__ import annotations

from .package import MAIN_NS, Package, parse


class NothingLostError(RuntimeError):
    """The written package would have changed something we do not own; nothing was replaced."""


_STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs")


def _styles_only_appended(before: bytes, after: bytes) -> bool:
    from .sheetxml import _sig
    old, new = parse(before), parse(after)
    for name in _STYLE_LISTS:
        a, b = old.find(f"{{{MAIN_NS}}}{name}"), new.find(f"{{{MAIN_NS}}}{name}")
        if a is None:
            continue
        if b is None:
            return False
        sa, sb = [_sig(c) for c in a], [_sig(c) for c in b]
        if sb[:len(sa)] != sa:
            return False
    keep = [_sig(c) for c in old if c.tag.rsplit("}", 1)[-1] not in _STYLE_LISTS]
    return keep == [_sig(c) for c in new if c.tag.rsplit("}", 1)[-1] not in _STYLE_LISTS]


def verify_package(original: Package, new: bytes, changed: set[str], dropped: set[str] = frozenset(),
                   added: list[str] = (), styles_part: str | None = None) -> None:
    def fail(part: str) -> NothingLostError:
        return NothingLostError(f"Kontrollen før skrivning fandt en forskel i delen '{part}', som ikke må ændres; "
                                "projektmappen er ikke ændret.")

    pkg = Package(new)
    try:
        expected = [i.filename for i in original.infos if i.filename not in dropped] + list(added)
        got = [i.filename for i in pkg.infos]
        if got != expected:
            missing = next((n for n in expected if n not in got), None) or next(
                (n for n in got if n not in expected), None) or "rækkefølgen af delene"
            raise fail(missing)
        for info in pkg.infos:
            name = info.filename
            if name in changed or name in added:
                try:
                    content = pkg.read(name)            # checks the CRC
                    if name.endswith((".xml", ".rels")):
                        parse(content)
                except Exception:  # noqa: BLE001
                    raise fail(name) from None
                continue
            old = original.by_name[name]
            if (pkg.raw_entry(info) != original.raw_entry(old) or info.CRC != old.CRC
                    or info.file_size != old.file_size or info.compress_type != old.compress_type):
                raise fail(name)
        if styles_part and styles_part in changed and not _styles_only_appended(
                original.read(styles_part), pkg.read(styles_part)):
            raise fail(styles_part)
    finally:
        pkg.close()

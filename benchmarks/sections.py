"""RESULTS.md is shared: each benchmark that runs on its own owns one section between two markers."""

from __future__ import annotations

from pathlib import Path


def write_section(md: Path, section: str, begin: str, end: str) -> None:
    """Put `section` (which starts with `begin` and ends with `end`) into `md` in place of the old
    one, or append it when `md` has none; everything else in the file stays as it was."""
    text = md.read_text(encoding="utf-8") if md.is_file() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    md.write_text(text, encoding="utf-8")

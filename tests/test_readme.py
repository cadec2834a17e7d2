"""What README.md shows a command printing is what the command prints."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The sentence introducing the block, with the command it shows and that command's exit code.
CHECK_BLOCK = re.compile(r"^Run on the transcribed 2024 note \(`jobstatus-xl (check tests/data/reference)`, "
                         r"exit code (\d)\):\n\n```\n(.*?)^```$", re.M | re.S)


def readme_block(pattern: re.Pattern) -> re.Match:
    found = list(pattern.finditer((ROOT / "README.md").read_text(encoding="utf-8")))
    assert len(found) == 1, f"README.md: expected one block matching {pattern.pattern!r}, found {len(found)}"
    return found[0]


def test_the_readmes_check_output_is_what_check_prints(cli, monkeypatch):
    block = readme_block(CHECK_BLOCK)
    command, code, shown = block.group(1).split(), int(block.group(2)), block.group(3)
    monkeypatch.chdir(ROOT)       # the output names the folder as given on the command line
    done = cli(*command)
    assert (done.code, done.err) == (code, "")
    # exactly, line for line; only trailing spaces at line ends are not compared (editors strip them)
    assert [line.rstrip() for line in done.out.splitlines()] == [line.rstrip() for line in shown.splitlines()]
    assert done.out.endswith("\n") and shown.endswith("\n")

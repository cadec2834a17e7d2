"""The package as it was at a git ref, beside today's: for benchmarks and output comparisons that
run old and new side by side in one run."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_NAME = "jobstatus_xl_base"


def extract(ref: str, dest: Path) -> Path:
    """`jobstatus_xl` at `ref` (git archive), as a tree importable with PYTHONPATH=dest."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref, "jobstatus_xl"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
        tf.extractall(dest, filter="data")
    return dest


def import_as_base(tree: Path) -> None:
    """Make the extracted package in `tree` importable in this process as `jobstatus_xl_base`, beside
    today's `jobstatus_xl`: its relative imports keep it on the code of its own time."""
    (tree / "jobstatus_xl").rename(tree / BASE_NAME)
    sys.path.insert(0, str(tree))

"""The tree is clean under ruff, configured in pyproject.toml ([tool.ruff]).

The ruff that runs is the one in this interpreter (`python -m ruff`, installed by the `test`
extras at the pinned version), else a `ruff` on PATH. Without either the test skips with a reason,
except under CI (CI=true), where a missing linter FAILS: a CI image that lost ruff must not go
green unlinted (the same rule tests/conftest.py applies to LibreOffice).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_ci

ROOT = Path(__file__).resolve().parents[1]


def ruff_command() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    on_path = shutil.which("ruff")
    return [on_path] if on_path else None


def test_ruff_check_is_clean():
    ruff = ruff_command()
    if ruff is None:
        reason = "ruff is not installed (pip install -e '.[test]' installs the pinned version)"
        if in_ci():
            pytest.fail(f"CI=true: the lint must run in CI, but {reason}")
        pytest.skip(reason)
    version = subprocess.run([*ruff, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    # --no-cache: a test leaves no .ruff_cache in the tree
    p = subprocess.run([*ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"`{' '.join(ruff)} check` ({version}) found:\n{p.stdout}{p.stderr}"

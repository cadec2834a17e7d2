"""Project-python side of the LibreOffice baseline: run `lo_uno.py` on a workbook. Whether
LibreOffice can be used here is the probe the tests use too (devsupport/libreoffice.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path

from devsupport.libreoffice import SYSTEM_PYTHON, child_env, soffice_version, unavailable_reason  # noqa: F401 - run.py's

LO_UNO = Path(__file__).with_name("lo_uno.py")


def recalc(workbook: Path, repeats: int, timeout: float, sheet: str = "Status") -> dict:
    """Load `workbook` in a private headless LibreOffice, time `calculateAll()` `repeats` times,
    return {"seconds": {"start", "load"}, "calculate": [...], "values": rows of `sheet`, "version"}."""
    with tempfile.TemporaryDirectory(prefix="lo_bench_") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [SYSTEM_PYTHON, "-I", str(LO_UNO), str(Path(workbook).resolve()), str(out), "--sheet", sheet,
               "--repeats", str(repeats), "--timeout", str(timeout)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=child_env(), start_new_session=True)
        try:
            so, se = proc.communicate(timeout=timeout + 60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            so, se = proc.communicate()
            raise RuntimeError(f"LibreOffice run on {workbook} timed out after {timeout + 60:.0f} s") from None
        data = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None
        if not data or data.get("complete") is not True:
            raise RuntimeError(f"LibreOffice run on {workbook} failed (exit {proc.returncode})\n{se[-3000:]}\n{so[-1000:]}")
        return data

"""Project-python side of the LibreOffice baseline: is it available, and run `lo_uno.py` on a workbook."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
LO_UNO = Path(__file__).with_name("lo_uno.py")
LO_RECALC = Path(__file__).resolve().parent.parent / "tests" / "lo_recalc.py"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.setdefault("LANG", "C.UTF-8")
    return env


def unavailable_reason() -> str:
    """Why the LibreOffice baseline cannot run here, or "" when it can."""
    if shutil.which("soffice") is None:
        return ("LibreOffice not found: no `soffice` on PATH (apt-get install libreoffice-calc-nogui "
                "libreoffice-script-provider-python python3-uno)")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} not found: python3-uno is importable only by Debian's system python"
    if not LO_RECALC.is_file():
        return f"{LO_RECALC} (the soffice process handling reused here) is missing"
    try:
        p = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import uno"], env=_env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not run {SYSTEM_PYTHON} to import uno: {exc}"
    if p.returncode != 0:
        return f"`{SYSTEM_PYTHON} -c 'import uno'` failed: apt-get install python3-uno"
    return ""


def soffice_version() -> str:
    exe = shutil.which("soffice")
    if not exe:
        return "unavailable"
    try:
        p = subprocess.run([exe, "--version"], env=_env(), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        return p.stdout.strip() or p.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"


def recalc(workbook: Path, repeats: int, timeout: float, sheet: str = "Status") -> dict:
    """Load `workbook` in a private headless LibreOffice, time `calculateAll()` `repeats` times,
    return {"seconds": {"start", "load"}, "calculate": [...], "values": rows of `sheet`, "version"}."""
    with tempfile.TemporaryDirectory(prefix="lo_bench_") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [SYSTEM_PYTHON, "-I", str(LO_UNO), str(Path(workbook).resolve()), str(out), "--sheet", sheet,
               "--repeats", str(repeats), "--timeout", str(timeout)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=_env(), start_new_session=True)
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

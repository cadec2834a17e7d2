"""Headless LibreOffice as an independent reader of the workbooks we write, and the one probe of
whether it can be used here. Shared by the tests (through tests/libreoffice.py, which adds the
pytest marks) and the benchmarks (benchmarks/libreoffice.py).

LibreOffice recalculates plain spreadsheet formulas with its own engine, renders sheets to PDF and
(through UNO) exposes what it loaded. `uno` is importable only by Debian's /usr/bin/python3, so the
UNO work runs in `lo_recalc.py` in a subprocess; this module is the project-python side.

    from devsupport import libreoffice

    libreoffice.unavailable_reason()           # "" where usable, else why not (with the apt packages)
    sheets = libreoffice.recalculate(path)     # {"Sheet": [[value, ...], ...], ...}
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
LO_RECALC = Path(__file__).with_name("lo_recalc.py")
APT_PACKAGES = "libreoffice-calc-nogui libreoffice-writer-nogui libreoffice-script-provider-python python3-uno poppler-utils"


def child_env() -> dict[str, str]:
    """Environment for LibreOffice and the system python: no PYTHONPATH/HOME of the project's python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.setdefault("LANG", "C.UTF-8")
    return env


@lru_cache(maxsize=None)
def unavailable_reason() -> str:
    """Why LibreOffice cannot be used here, or "" when it can (probed once per process)."""
    if shutil.which("soffice") is None:
        return f"LibreOffice not found: no `soffice` on PATH (apt-get install {APT_PACKAGES})"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} not found: python3-uno is only importable by Debian's system python"
    try:
        probe = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import uno"], env=child_env(),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not run {SYSTEM_PYTHON} to import uno: {exc}"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"`{SYSTEM_PYTHON} -c 'import uno'` failed ({last}): apt-get install python3-uno"
    return ""


def available() -> bool:
    return not unavailable_reason()


def soffice_version() -> str:
    """`soffice --version`'s line, "unavailable" without soffice."""
    exe = shutil.which("soffice")
    if not exe:
        return "unavailable"
    try:
        p = subprocess.run([exe, "--version"], env=child_env(), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        return p.stdout.strip() or p.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"


class Sheets(dict):
    """{sheet name: rows of values}, in the workbook's sheet order; `.seconds` times each phase."""

    seconds: dict[str, float]


def _require() -> str:
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    return shutil.which("soffice")


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def run_group(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess:
    """Run in its own process group; on timeout terminate the whole group (soffice.bin included)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=child_env(), start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(proc.pid, signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            _killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        raise RuntimeError(f"{what} timed out after {timeout:.0f} s\n--- stderr ---\n{err}\n--- stdout ---\n{out}") \
            from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def recalculate(path, timeout: float = 180.0) -> Sheets:
    """Open `path` in headless LibreOffice, recalculate everything, return every sheet's values.

    Rows run from A1 to each sheet's used-area end; numbers and dates (serial numbers) are floats,
    text is str, empty cells "", cells with a formula error their error text ("#VALUE!", "Err:502").
    A non-zero exit is tolerated when the result was written completely (LibreOffice sometimes
    aborts while shutting down after UNO calls).
    """
    soffice = _require()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    with tempfile.TemporaryDirectory(prefix="recalc_") as tmp:
        out = Path(tmp) / "values.json"
        cmd = [SYSTEM_PYTHON, "-I", str(LO_RECALC), str(path.resolve()), str(out),
               "--soffice", soffice, "--timeout", str(timeout)]
        done = run_group(cmd, timeout + 30, f"LibreOffice recalculation of {path.name}")
        data = None
        if out.is_file():
            try:
                data = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                data = None
        if not data or data.get("complete") is not True:
            raise RuntimeError(f"LibreOffice recalculation of {path} failed (exit {done.returncode})\n"
                               f"--- stderr ---\n{done.stderr.strip()}\n--- stdout ---\n{done.stdout.strip()}")
    sheets = Sheets(data["sheets"])
    sheets.seconds = data.get("seconds", {})
    return sheets


def convert_to_pdf(path, outdir, page: int | str | None = None, timeout: float = 120.0) -> Path:
    """Render a workbook to PDF with `soffice --convert-to pdf`; `page` (e.g. 2 or "2-3") limits the pages."""
    target = "pdf"
    if page is not None:
        options = {"PageRange": {"type": "string", "value": str(page)}}
        target = "pdf:calc_pdf_Export:" + json.dumps(options, separators=(",", ":"))
    return convert(path, outdir, target, "pdf", timeout)


def convert(path, outdir, target: str, suffix: str, timeout: float = 120.0) -> Path:
    """`soffice --convert-to TARGET` (e.g. "xlsm:Calc MS Excel 2007 VBA XML"): load and save `path`."""
    soffice = _require()
    path, outdir = Path(path), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    out = outdir / (path.stem + "." + suffix)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo_profile_") as profile:
        # A private profile: with a shared one soffice hands the job to any running instance.
        cmd = [soffice, "--headless", "--norestore", "--nolockcheck",
               f"-env:UserInstallation={Path(profile).as_uri()}",
               "--convert-to", target, "--outdir", str(outdir), str(path)]
        done = run_group(cmd, timeout, f"conversion of {path.name} to {suffix}")
    if not out.is_file():  # soffice exits 0 even when it could not convert
        raise RuntimeError(f"soffice wrote no {suffix} for {path} (exit {done.returncode})\n"
                           f"--- stderr ---\n{done.stderr.strip()}\n--- stdout ---\n{done.stdout.strip()}")
    return out


def pdf_to_png(pdf, out_prefix, dpi: int = 100, timeout: float = 120.0) -> list[Path]:
    """Each PDF page as a PNG (`pdftoppm`): `<out_prefix>-1.png`, ... in page order."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise RuntimeError("pdftoppm not found on PATH (apt-get install poppler-utils)")
    prefix = Path(out_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)

    def pages() -> list[Path]:
        found = [p for p in prefix.parent.glob(prefix.name + "-*.png") if p.stem[len(prefix.name) + 1:].isdigit()]
        return sorted(found, key=lambda p: int(p.stem[len(prefix.name) + 1:]))

    for old in pages():
        old.unlink()
    done = run_group([exe, "-png", "-r", str(dpi), str(pdf), str(prefix)], timeout, f"pdftoppm of {Path(pdf).name}")
    pngs = pages()
    if done.returncode != 0 or not pngs:
        raise RuntimeError(f"pdftoppm failed for {pdf} (exit {done.returncode}): {done.stderr.strip()}")
    return pngs

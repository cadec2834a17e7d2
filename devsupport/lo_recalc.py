"""Recalculate a workbook in headless LibreOffice and dump every sheet's values as JSON.

Standalone: run by Debian's /usr/bin/python3 (the only interpreter that can import `uno`), never
imported by the project's python. `devsupport/libreoffice.py` runs it (`recalculate`), and
benchmarks/lo_uno.py and a probe in tests/test_template.py reuse its soffice handling.

    /usr/bin/python3 devsupport/lo_recalc.py WORKBOOK OUT.json [--soffice PATH] [--timeout SECONDS]

OUT.json: {"complete": true, "sheets": {name: [[value, ...], ...]}, "seconds": {...}}. Rows run
from A1 to the used area's end (an empty sheet gives []). Numbers (dates too: serial numbers) are
floats, text is str, empty cells are "", and a cell whose formula ends in an error holds its error
text ("#VALUE!", "Err:504", ...) so a test can say which cell broke.

Each call starts its own soffice with its own throw-away user profile and a unique pipe name, so
parallel runs and a user's open LibreOffice do not interfere. LibreOffice may crash while shutting
down after UNO calls; the output file is written (atomically) before shutdown, so the caller
trusts "complete": true rather than the exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

ERROR = 4  # com.sun.star.sheet.FormulaResult.ERROR


def _prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class Soffice:
    """A private headless soffice listening on a unique pipe; killed (whole process group) on close."""

    def __init__(self, soffice: str, workdir: Path) -> None:
        self.pipe = f"lo_recalc_{os.getpid()}_{uuid.uuid4().hex}"
        profile = workdir / "profile"
        self.log = workdir / "soffice.log"
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
             "--nolockcheck", f"-env:UserInstallation={profile.as_uri()}",
             f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so close() also reaches soffice.bin
        )

    def connect(self, deadline: float):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
        while True:
            try:
                ctx = resolver.resolve(url)
                return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            except NoConnectException:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"soffice exited with status {self.proc.returncode} before accepting "
                                       "a connection") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("soffice did not accept a UNO connection in time") from None
                time.sleep(0.1)

    def stderr(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log.read_text(errors="replace").strip()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self, grace: float = 10.0) -> None:
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        self.kill()  # soffice.bin may outlive the launcher: clear the whole group
        self.proc.wait()
        self._log.close()


def used_values(sheet) -> list[list]:
    """The sheet's used range (from A1) as values; error cells as their error text."""
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    end = cursor.getRangeAddress()
    rng = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
    rows = [list(r) for r in rng.getDataArray()]
    if rows == [[""]]:  # an empty sheet's "used area" is A1
        return []
    # getDataArray gives an error cell as a number or "": overwrite with what the cell shows.
    errors = sheet.queryFormulaCells(ERROR)
    for addr in errors.getRangeAddresses():
        for r in range(addr.StartRow, addr.EndRow + 1):
            for c in range(addr.StartColumn, addr.EndColumn + 1):
                rows[r][c] = sheet.getCellByPosition(c, r).getString() or "#ERROR"
    return rows


def recalculate(workbook: Path, out: Path, soffice: str, timeout: float) -> None:
    t0 = time.monotonic()
    deadline = t0 + timeout
    seconds: dict[str, float] = {}
    workdir = Path(tempfile.mkdtemp(prefix="lo_recalc_"))
    office = Soffice(soffice, workdir)
    timed_out = threading.Event()

    def watchdog() -> None:
        # A hung UNO call blocks in C, where no Python signal handler runs; killing soffice breaks
        # the bridge, so the blocked call raises and the error path below reports the timeout.
        timed_out.set()
        office.kill()

    timer = threading.Timer(timeout, watchdog)
    timer.daemon = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the cleanup below kills soffice
    timer.start()
    try:
        desktop = office.connect(deadline)
        seconds["start"] = time.monotonic() - t0
        doc = desktop.loadComponentFromURL(workbook.resolve().as_uri(), "_blank", 0,
                                           (_prop("Hidden", True), _prop("ReadOnly", True)))
        if doc is None or not hasattr(doc, "getSheets"):
            raise RuntimeError(f"LibreOffice could not open {workbook} as a spreadsheet")
        seconds["load"] = time.monotonic() - t0 - seconds["start"]
        t1 = time.monotonic()
        doc.calculateAll()
        seconds["calculate"] = time.monotonic() - t1
        sheets = doc.getSheets()
        result = {name: used_values(sheets.getByName(name)) for name in sheets.getElementNames()}
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(json.dumps({"complete": True, "sheets": result, "seconds": seconds},
                                  ensure_ascii=False), encoding="utf-8")
        tmp.replace(out)
        timer.cancel()
        try:  # best effort: the result is safe on disk, a crash from here on is harmless
            doc.close(True)
            desktop.terminate()
        except Exception:
            pass
    except BaseException as exc:
        timer.cancel()
        office.close(grace=0)
        if timed_out.is_set():
            message = f"LibreOffice did not finish within {timeout:g} s ({type(exc).__name__}: {exc})"
        else:
            message = f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"lo_recalc: {message}\nsoffice output:\n{office.stderr() or '(none)'}\n")
        shutil.rmtree(workdir, ignore_errors=True)
        raise SystemExit(3) from None
    office.close()
    shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workbook", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    if not args.workbook.is_file():
        ap.error(f"no such workbook: {args.workbook}")
    recalculate(args.workbook, args.out, args.soffice, args.timeout)


if __name__ == "__main__":
    main()

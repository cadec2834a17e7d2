"""Time LibreOffice's recalculation of one workbook. Run by Debian's /usr/bin/python3 (the only
interpreter that can import `uno`); `benchmarks.libreoffice` is the project-python side.

    /usr/bin/python3 -I benchmarks/lo_uno.py WORKBOOK OUT.json --sheet Status [--repeats 3] [--timeout S]

Reuses the soffice process handling of devsupport/lo_recalc.py (imported by path: a private headless
soffice with a throw-away profile on a unique pipe, whole process group killed on close).
Before loading, OOXML "recalculation on load" is set to *never*, so `load` is parsing only and
`calculateAll()` (a hard recalculation of every formula cell) is timed on its own, `repeats` times
in the same loaded document. Writes {"complete": true, "seconds": {...}, "calculate": [...],
"values": rows of the given sheet, "version": ...} to OUT.json before shutting LibreOffice down.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import uno  # noqa: F401  (fails early and clearly outside the system python)

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("lo_recalc", HERE.parent / "devsupport" / "lo_recalc.py")
lo_recalc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lo_recalc)
Soffice, _prop, used_values = lo_recalc.Soffice, lo_recalc._prop, lo_recalc.used_values

NEVER_RECALC = 1  # officecfg Calc/Formula/Load/OOXMLRecalcMode: 0 always, 1 never, 2 prompt


def _config(desktop_ctx, path: str, updates: dict) -> None:
    smgr = desktop_ctx.ServiceManager
    provider = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", desktop_ctx)
    access = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess",
                                                  (_prop("nodepath", path),))
    for k, v in updates.items():
        access.setPropertyValue(k, v)
    access.commitChanges()


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every process in soffice's process group (all threads)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:   # fields after the name: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _remote_context(pipe: str):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")


def _product_version(ctx) -> str:
    smgr = ctx.ServiceManager
    provider = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)
    access = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationAccess",
                                                  (_prop("nodepath", "/org.openoffice.Setup/Product"),))
    return f"{access.getPropertyValue('ooName')} {access.getPropertyValue('ooSetupVersionAboutBox')}"


def run(workbook: Path, out: Path, soffice: str, sheet: str, repeats: int, timeout: float) -> None:
    t0 = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="lo_bench_"))
    office = Soffice(soffice, workdir)
    timer = threading.Timer(timeout, office.kill)
    timer.daemon = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    timer.start()
    try:
        office.connect(t0 + timeout)  # waits until soffice accepts connections
        ctx = _remote_context(office.pipe)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        _config(ctx, "/org.openoffice.Office.Calc/Formula/Load", {"OOXMLRecalcMode": NEVER_RECALC})
        seconds = {"start": time.monotonic() - t0}
        t1 = time.monotonic()
        doc = desktop.loadComponentFromURL(workbook.resolve().as_uri(), "_blank", 0,
                                           (_prop("Hidden", True), _prop("ReadOnly", True)))
        if doc is None or not hasattr(doc, "getSheets"):
            raise RuntimeError(f"LibreOffice could not open {workbook} as a spreadsheet")
        seconds["load"] = time.monotonic() - t1
        calc, cpu = [], []
        for _ in range(repeats):
            c2 = _group_cpu_seconds(office.proc.pid)
            t2 = time.monotonic()
            doc.calculateAll()
            calc.append(time.monotonic() - t2)
            cpu.append(_group_cpu_seconds(office.proc.pid) - c2)
        values = used_values(doc.getSheets().getByName(sheet))
        result = {"complete": True, "seconds": seconds, "calculate": calc, "calculate_cpu": cpu,
                  "values": values,
                  "version": _product_version(ctx)}
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out)
        timer.cancel()
        try:
            doc.close(True)
            desktop.terminate()
        except Exception:
            pass
    except BaseException:
        timer.cancel()
        office.close(grace=0)
        raise
    office.close()
    shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workbook", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    ap.add_argument("--sheet", default="Status")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600.0)
    a = ap.parse_args(argv)
    run(a.workbook, a.out, a.soffice, a.sheet, a.repeats, a.timeout)


if __name__ == "__main__":
    main()

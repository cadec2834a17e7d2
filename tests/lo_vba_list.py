"""List the VBA modules LibreOffice imports from a workbook, as JSON on stdout.

Usage: /usr/bin/python3 tests/lo_vba_list.py WORKBOOK.xlsm

Run with the system Python that has LibreOffice's ``uno`` module, not the project's
interpreter. LibreOffice's VBA import is an independent reader of ``vbaProject.bin`` (its own
CFB, dir-stream and decompression code), so a module that appears here with the right type and
source shows the project parses outside our own code.

Output: ``{"libraries": [...], "modules": {name: {"type": str, "source": str}}}``. The ``type``
is the name of the ``com.sun.star.script.ModuleType`` constant (NORMAL, CLASS, DOCUMENT, ...).

LibreOffice sometimes aborts while shutting down after Basic libraries were touched, so the
JSON is printed and flushed *before* shutdown and any failure after that is ignored; the
caller should parse stdout and not rely on the exit status alone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # only importable by the system Python with python3-uno
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

# com.sun.star.script.ModuleType constants, by value.
MODULE_TYPES = {0: "UNKNOWN", 1: "NORMAL", 2: "CLASS", 3: "FORM", 4: "DOCUMENT"}


def _prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _connect(pipe_name: str, proc: subprocess.Popen, timeout: float = 60.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            return resolver.resolve(
                f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext"
            )
        except NoConnectException:
            if proc.poll() is not None:
                raise RuntimeError(f"soffice exited early with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def list_modules(ctx, workbook: Path) -> dict:
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    url = uno.systemPathToFileUrl(str(workbook.resolve()))
    # Never run the macros: we only want the importer to turn the VBA project into Basic
    # libraries. MacroExecutionMode 0 is NEVER_EXECUTE; the import happens regardless.
    doc = desktop.loadComponentFromURL(
        url, "_blank", 0, (_prop("Hidden", True), _prop("MacroExecutionMode", 0))
    )
    if doc is None:
        raise RuntimeError(f"LibreOffice could not load {workbook}")
    libs = doc.BasicLibraries
    result: dict = {"libraries": list(libs.getElementNames()), "modules": {}}
    if libs.hasByName("VBAProject"):
        libs.loadLibrary("VBAProject")
        lib = libs.getByName("VBAProject")
        for name in lib.getElementNames():
            # The library implements XVBAModuleInfo; it knows the module type the importer
            # derived from the dir stream (MODULETYPE) and the PROJECT stream.
            kind = "UNKNOWN"
            if lib.hasModuleInfo(name):
                kind = MODULE_TYPES.get(lib.getModuleInfo(name).ModuleType, "UNKNOWN")
            result["modules"][name] = {"type": kind, "source": lib.getByName(name)}
    try:
        doc.close(True)
    except Exception:  # noqa: BLE001 - closing is best effort; the data is already read
        pass
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    workbook = Path(argv[1])
    soffice = shutil.which("soffice")
    if soffice is None:
        print("soffice not found", file=sys.stderr)
        return 3
    # A private user profile and pipe name: other LibreOffice instances on this machine
    # (other developers, other test runs) must neither be reused nor disturbed.
    profile = Path(tempfile.mkdtemp(prefix="lo_vba_profile_"))
    pipe_name = f"lo_vba_list_{os.getpid()}"
    proc = subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe_name};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        ctx = _connect(pipe_name, proc)
        result = list_modules(ctx, workbook)
        sys.stdout.write(json.dumps(result, ensure_ascii=False))
        sys.stdout.write("\n")
        sys.stdout.flush()
        try:
            desktop = ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", ctx
            )
            desktop.terminate()
        except Exception:  # noqa: BLE001 - LibreOffice may die during terminate; tolerated
            pass
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # Only the process group we started ourselves (start_new_session above).
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

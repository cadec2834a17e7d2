"""Writing the user's file: only when it is still what was read, never under someone's feet.

- `read_source` reads the file once and remembers its size, modification time and SHA-256.
- `refuse_if_open` refuses while Excel's owner file (`~$name.xlsm`) or LibreOffice's lock file
  (`.~lock.name.xlsm#`) is beside the workbook, naming who has it open when the file says so.
- `atomic_write` writes a temporary file in the target's folder, flushes it, checks that the
  target is still as read (else writes nothing: someone else saved meanwhile), and renames it over
  the target. Through a symbolic link the link's target is replaced, the link stays. A read-only
  target is refused, as Excel would. SIGTERM and SIGINT during the write remove the temporary
  file. An OS error propagates with the file's name (the CLI says it in Danish: `cli.os_error_text`);
  the refusals above are `WorkbookFileError`, a Danish message.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..engine.findings import mask_cpr


class WorkbookFileError(Exception):
    """A file could not be read or written; the message is Danish and names the file."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _show(path) -> str:
    return mask_cpr(str(path))


@dataclass(frozen=True)
class Snapshot:
    size: int
    mtime_ns: int
    sha256: str


def _snapshot(data: bytes, st: os.stat_result) -> Snapshot:
    return Snapshot(st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())


def read_source(path: Path) -> tuple[bytes, Snapshot]:
    """The file's bytes and what it looked like when read. Raises WorkbookFileError."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        data = fh.read()
    return data, _snapshot(data, st)


def still_as_read(path: Path, snap: Snapshot) -> bool:
    try:
        st = os.stat(path)
        if st.st_size != snap.size or st.st_mtime_ns != snap.mtime_ns:
            return False
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest() == snap.sha256
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------- who has it open

def owner_from_excel_file(data: bytes) -> str | None:
    """The user name in Excel's owner file `~$name`: a length byte and the name in the ANSI code
    page, space padded to 54 bytes, then (usually) a length and the name in UTF-16. The UTF-16
    copy is preferred (it holds any letter); anything that does not parse gives None."""
    def clean(s: str) -> str | None:
        s = "".join(ch for ch in s if ch.isprintable()).strip()
        return s or None

    if len(data) >= 56:
        n = data[54]
        if 0 < n <= 54 and len(data) >= 56 + 2 * n:
            try:
                name = clean(data[56:56 + 2 * n].decode("utf-16-le"))
                if name:
                    return name
            except UnicodeDecodeError:
                pass
    if data:
        n = data[0]
        if 0 < n < len(data) and n <= 53:
            return clean(data[1:1 + n].decode("cp1252", errors="replace"))
    return None


def owner_from_libreoffice_lock(data: bytes) -> str | None:
    """LibreOffice's lock file: 'user,host,...' (the first field may be empty)."""
    first = data.decode("utf-8", errors="replace").split(",")
    name = first[0].strip() if first else ""
    if not name and len(first) > 1:
        name = first[1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name or None


def refuse_if_open(path: Path) -> None:
    """WorkbookFileError while Excel or LibreOffice says the workbook is open."""
    for lock, parse in ((path.with_name("~$" + path.name), owner_from_excel_file),
                        (path.with_name(f".~lock.{path.name}#"), owner_from_libreoffice_lock)):
        try:
            data = lock.read_bytes()[:4096]
        except FileNotFoundError:
            continue
        except OSError:
            data = b""
        who = parse(data)
        by = f"af {mask_cpr(who)[:60]}" if who else "af en anden bruger eller et andet program"
        raise WorkbookFileError(
            f"Projektmappen '{_show(path)}' er åben {by} (filen '{lock.name}' ligger ved siden af den). "
            "Luk den i Excel, og prøv igen; projektmappen er ikke ændret.")


# ---------------------------------------------------------------- the write

def real_target(target: Path) -> Path:
    """Where the bytes go: a symbolic link's final target (the link itself stays)."""
    return Path(os.path.realpath(target)) if os.path.islink(target) else target


def refuse_if_read_only(target: Path) -> None:
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return
    if not (st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) or not os.access(target, os.W_OK):
        raise WorkbookFileError(f"Projektmappen '{_show(target)}' er skrivebeskyttet, så den ikke opdateres (Excel "
                                "ville heller ikke gemme den). Fjern skrivebeskyttelsen, eller skriv til en anden "
                                "fil med --out.")


@contextlib.contextmanager
def _signals_raise():
    """SIGTERM (and SIGINT) during the write raise, so the temporary file is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in old:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def atomic_write(target: Path, data: bytes, mode_from: Path | None = None, expect: Snapshot | None = None) -> Path:
    """Write `data` to `target` through a temporary file in the same folder and a rename.

    `expect`: the target must still be as read (`read_source`), checked just before the rename;
    else nothing is written. Returns the path actually written (a symbolic link's target)."""
    target = real_target(Path(target))
    refuse_if_read_only(target)
    folder = target.parent if str(target.parent) else Path(".")
    with _signals_raise():
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            source_mode = target if target.exists() else mode_from
            if source_mode is not None and Path(source_mode).exists():
                os.chmod(tmp, Path(source_mode).stat().st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            if expect is not None and not still_as_read(target, expect):
                raise WorkbookFileError(
                    f"Projektmappen '{_show(target)}' er blevet gemt af en anden (eller af Excel), mens opdateringen "
                    "kørte. Intet er skrevet, så de nye ændringer er bevaret. Kør opdateringen igen.")
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and exc.filename is None:
                exc.filename = str(target)          # the CLI names the file it could not write
            raise
    if hasattr(os, "O_DIRECTORY"):
        try:
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return target
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)
    return target

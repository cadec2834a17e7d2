"""Headless front: read a workbook's input sheets and refresh its status sheets without Excel.

    jobstatus-xl refresh WORKBOOK.xlsm [--out FILE]
    jobstatus-xl demo --workbook FILE.xlsm

The same layout (`sheets.py`) and the same computation (`engine.pipeline.compute`) as the ribbon's
"Opdater alle tabeller"; only the way cells reach the file differs. The package work lives in
`jobstatus_xl.xlsx` (reading, parts, sheet writing, verification, atomic write); this module ties
it together.

Nothing lost:
- Compute first, write last. The file is read once; the package is checked (`xlsxguard`); only
  the input sheets are parsed (streamed, `xlsx.reader`); every status table is computed before
  anything is written.
- The new file is the original with the owned sheets' parts replaced (`xlsx.owned`): every other
  entry is copied as its stored bytes, in its place. Shared parts change only as `xlsx.owned`
  documents (styles appended, calcChain dropped, workbook/rels/content types when an owned sheet
  is recreated). Before anything replaces the file, every part outside that set is compared byte
  for byte with the original (`xlsx.verify`); a difference aborts.
- Input errors: as the ribbon does, only the Kontrol sheet is written, with the findings; the
  tables stay as they were. The command still exits 2.
- The file is replaced only if it is still what was read (size, time, SHA-256), not while Excel's
  owner file says it is open, not when it is read-only; through a temporary file and a rename;
  through a symbolic link the link's target (`xlsx.atomic`). A failure at any point leaves the
  original byte for byte as it was.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .engine.findings import Finding, InputError, mask_cpr
from .engine.pipeline import RawInput, Result, Settings, compute
from .sheets import (INPUT_COLUMNS, INPUT_DATE_COLUMNS, INPUT_SHEETS, INPUT_TABLE_NAMES, SHEET_CHECK, FMT_DATE,
                     demo_frames, findings_grid, note_figures, raw_input_from_grids, result_grids, table_sheet,
                     typed_column)
from .xlsx.atomic import WorkbookFileError  # noqa: F401 - the CLI's, with refresh_file's other errors
from .xlsx.atomic import atomic_write, read_source, refuse_if_open, real_target
from .xlsx.openpyxl_output import _load, fill_cached_values, restore_package, sheet_parts  # noqa: F401
from .xlsx.owned import replace_owned
from .xlsx.reader import MAX_COLUMNS, EXCEL_MAX_ROWS, open_package, read_grids  # noqa: F401
from .xlsx.reader import fejl as _fejl
from .xlsx.style import write_grid  # noqa: F401 - projektmappe's and the tests'
from .xlsx.verify import NothingLostError  # noqa: F401
from .xlsxguard import check_package

if TYPE_CHECKING:
    import pandas as pd


_TOO_BIG_HINT = "Del registret op, eller gem det som CSV og brug 'jobstatus-xl status'."


# ================================================================ reading

def read_workbook_input(source, name: str | None = None) -> tuple[RawInput, Settings]:
    """Input tables and settings from a workbook in the template's layout (path or bytes)."""
    data, name = _as_bytes(source, name)
    check_package(data, name, too_big_hint=_TOO_BIG_HINT)
    pkg = open_package(data, name)
    try:
        return raw_input_from_grids(read_grids(pkg, name, INPUT_SHEETS))
    finally:
        pkg.close()


def _as_bytes(source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "projektmappe"
    path = Path(source)
    _require_file(path)
    return read_source(path)[0], name or path.name


# ================================================================ the refresh

@dataclass
class RefreshSummary:
    target: Path
    result: Result
    sheets_written: list[str]
    warnings: list[Finding] = field(default_factory=list)

    def text(self) -> str:
        """A short Danish summary for the command line."""
        lines = [f"Projektmappe opdateret: {self.target}",
                 f"  {len(self.sheets_written)} ark skrevet: {', '.join(self.sheets_written)}.",
                 "  Inddataark og andre ark er ikke ændret."]
        t1 = next((t for t in self.result.tables if t.number == 1), None)
        if t1 is not None:
            x = note_figures(t1)      # the figures the status sheet shows, read by row and column name
            lines.append(f"  {table_sheet(t1.number)} ({t1.unit} {t1.year}): helårspersoner "
                         f"{_num(x.samlet_status)} af {_num(x.samlet_maaltal)} = {_pct(x.maalopfyldelse)}; "
                         f"fleksjob {_num(x.fleksjob_status)} af "
                         f"{_num(x.fleksjob_maaltal)} = {_pct(x.fleksjob_maalopfyldelse)}; "
                         f"samlet {_pct(x.samlet_maalopfyldelse)}; antal forløb {_num(x.antal_forloeb)}.")
        n = len(self.warnings)
        lines.append(f"  {n} advarsler: se arket '{SHEET_CHECK}'." if n else "  Ingen fejl eller advarsler.")
        return "\n".join(lines)


def _num(x) -> str:
    from .engine.tables import format_number
    return format_number(x)


def _pct(x) -> str:
    from .engine.tables import format_percent
    return format_percent(x)


class InputErrorKontrolWritten(InputError):
    """Input errors, reported in the workbook's Kontrol sheet (the only sheet written)."""

    def __init__(self, error: InputError, target: Path):
        super().__init__(error.findings)
        self.target = target


def refresh_file(path, out=None, *, verify: bool = True) -> RefreshSummary:
    """Refresh every status sheet of the workbook at `path`, writing to `out` (default: in place).

    Input errors in the sheets: only the Kontrol sheet is written, with the findings (as the
    ribbon does), and `InputErrorKontrolWritten` is raised. A file that cannot be read as a
    workbook raises `InputError` and nothing is written; file problems raise `WorkbookFileError`."""
    path = Path(path)
    target = Path(out) if out is not None else path
    if target.suffix.lower() != path.suffix.lower():
        raise _fejl(target.name, f"Skriv til en fil af samme type som projektmappen ({path.suffix}), ikke "
                                 f"'{target.suffix or 'uden filtype'}': Excel åbner ikke en projektmappe med makroer "
                                 "under en anden filtype.")
    _require_file(path)
    real = real_target(target)
    refuse_if_open(real)
    data, snapshot = read_source(path)
    expect = snapshot if real == real_target(path) else None
    try:
        new, result, written = refresh_bytes(data, path.name, verify=verify)
    except InputError as exc:
        if not getattr(exc, "in_input_sheets", False):
            raise
        atomic_write(target, kontrol_bytes(data, path.name, exc.findings), mode_from=path, expect=expect)
        raise InputErrorKontrolWritten(exc, target) from None
    atomic_write(target, new, mode_from=path, expect=expect)
    return RefreshSummary(target, result, written, [f for f in result.findings if not f.er_fejl])


def refresh_bytes(data: bytes, name: str = "projektmappe", *, verify: bool = True) -> tuple[bytes, Result, list[str]]:
    """The refreshed package of `data`, plus the computation. Raises InputError before writing
    anything; one about the input sheets' content carries `in_input_sheets = True`. The package
    is always verified (`xlsx.verify`); `verify` stays for callers of the earlier signature."""
    check_package(data, name, too_big_hint=_TOO_BIG_HINT)
    pkg = open_package(data, name)
    try:
        grids_in = read_grids(pkg, name, INPUT_SHEETS)
        try:
            raw, settings = raw_input_from_grids(grids_in)
            result = compute(raw, settings)
        except InputError as exc:
            exc.in_input_sheets = True
            raise
        grids = result_grids(result)
        new = replace_owned(pkg, grids, name)
    finally:
        pkg.close()
    return new, result, [g.name for g in grids]


def kontrol_bytes(data: bytes, name: str, findings: list[Finding]) -> bytes:
    """The package with only the Kontrol sheet rewritten, listing `findings`."""
    pkg = open_package(data, name)
    try:
        return replace_owned(pkg, [findings_grid(findings)], name)
    finally:
        pkg.close()


def _require_file(path: Path) -> None:
    if path.is_dir():
        raise _fejl(path.name, f"'{mask_cpr(str(path))}' er en mappe; angiv projektmappen (.xlsm).")
    if not path.is_file():
        raise _fejl(path.name, f"Filen '{mask_cpr(str(path))}' findes ikke.")


# ================================================================ demo workbook

def demo_workbook_bytes() -> bytes:
    """The template filled with the demo register and 2023's aggregates, refreshed."""
    from .template.build import build_template_bytes
    template = build_template_bytes()
    filled = fill_input_tables(template, demo_frames())
    new, _, _ = refresh_bytes(filled, "demo.xlsm")
    return new


def write_demo_workbook(path) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise _fejl(str(path), f"Mappen '{path.parent}' findes ikke.")
    if path.suffix.lower() != ".xlsm":
        raise _fejl(str(path), "Demoprojektmappen har makroer og skal have filtypen .xlsm.")
    atomic_write(path, demo_workbook_bytes())
    return path


def fill_input_tables(data: bytes, frames: dict[str, pd.DataFrame]) -> bytes:
    """`data` with the given input sheets' tables replaced by `frames` (the tables grow to fit)."""
    wb = _load(data, "skabelon", keep_vba=True, keep_links=True)
    for sheet, frame in frames.items():
        ws = wb[sheet]
        header = INPUT_COLUMNS[sheet]
        if ws.max_row > 1:
            ws.delete_rows(2, ws.max_row - 1)
        cols = [c for c in header if c in frame.columns]
        typed = {c: typed_column(c, frame[c].tolist()) for c in cols}
        for r, values in enumerate(zip(*(typed[c] for c in cols)), start=2):
            for column, value in zip(cols, values):
                cell = ws.cell(row=r, column=header.index(column) + 1, value=value)
                if column in INPUT_DATE_COLUMNS:
                    cell.number_format = FMT_DATE
        table = ws.tables.get(INPUT_TABLE_NAMES[sheet])
        if table is not None:
            from openpyxl.utils import get_column_letter
            table.ref = f"A1:{get_column_letter(len(header))}{max(len(frame) + 1, 2)}"
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref
    buf = io.BytesIO()
    wb.save(buf)
    return restore_package(data, buf.getvalue(), {})

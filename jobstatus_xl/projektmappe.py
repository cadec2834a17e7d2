"""From a folder of CSV exports to a filled, refreshed workbook (`jobstatus-xl projektmappe`).

The template, with the folder's tables in its input sheets and the settings in Indstillinger,
refreshed headlessly: the same public steps as the demo workbook (`workbook.fill_input_tables`,
`workbook.refresh_bytes`), so `status` of the workbook gives the folder's figures.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .engine.findings import CPR_PATTERN, FEJL, Finding, InputError, mask_cpr
from .engine.pipeline import RawInput, Result, Settings, Table, compute
from .engine.values import plural
from .engine.register import FLEKSJOB_COLUMNS, FORLOEB_COLUMNS, map_columns
from .report import tidy_frame
from .sheets import (SHEET_FLEKSJOB, SHEET_FORLOEB, SHEET_MAALTAL, SHEET_SETTINGS, SHEET_TIDLIGERE, SHEET_VAEGTE,
                     settings_grid)


def input_frames(raw: RawInput) -> dict[str, pd.DataFrame]:
    """The input sheets' tables from the folder's files (sheets without a file keep the template's).
    The registers' header variants ('Startdato', 'Forv', ...) become the sheets' column names."""
    frames = {SHEET_FORLOEB: _canonical(raw.forloeb, FORLOEB_COLUMNS)}
    if raw.fleksjob is not None:
        found, _ = map_columns(raw.fleksjob.frame.columns, (), raw.fleksjob.source)
        if "id" not in found and "antal" in found:
            raise InputError([Finding(FEJL, raw.fleksjob.source, "Filen har antal fleksjobansatte pr. forvaltning, men "
                                      f"arket '{SHEET_FLEKSJOB}' i en projektmappe har ansættelser (id, forvaltning, "
                                      "start, slut). Brug ansættelserne, eller lav status og notat direkte fra mappen "
                                      "(jobstatus-xl status / notat).", kolonne=found["antal"])])
        frames[SHEET_FLEKSJOB] = _canonical(raw.fleksjob, FLEKSJOB_COLUMNS)
    tables = {SHEET_MAALTAL: raw.maaltal, SHEET_VAEGTE: raw.vaegte, SHEET_TIDLIGERE: raw.previous}
    frames.update({sheet: t.frame for sheet, t in tables.items() if t is not None})
    return frames


def _canonical(table: Table, required) -> pd.DataFrame:
    found, missing = map_columns(table.frame.columns, required, table.source)
    if missing:
        raise InputError(missing)
    return table.frame.rename(columns={given: canon for canon, given in found.items()})


def cpr_findings(raw: RawInput) -> list[Finding]:
    """A CPR number must not be written into the workbook: each column holding one is an error."""
    out = []
    for t in (raw.forloeb, raw.fleksjob, raw.maaltal, raw.vaegte, raw.previous):
        if t is None:
            continue
        for col in t.frame.columns:
            hits = t.frame[col].astype(str).str.contains(CPR_PATTERN, regex=True).to_numpy()
            if hits.any():
                first = int(hits.nonzero()[0][0])
                out.append(Finding(FEJL, t.source,
                                   f"{plural(int(hits.sum()), 'værdi', 'værdier')} ligner CPR-numre (fx "
                                   f"{mask_cpr(t.frame[col].iloc[first])}). CPR-numre skrives aldrig i en "
                                   "projektmappe: erstat dem med pseudonyme id'er og prøv igen.",
                                   raekke=first + t.first_row, kolonne=str(col)))
    return out


def workbook_bytes(raw: RawInput, settings: Settings, name: str = "projektmappe.xlsm") -> tuple[bytes, Result]:
    """The refreshed workbook for `raw` and `settings`, and the result its status sheets show.
    Raises InputError (nothing built) on input errors and on CPR numbers."""
    from .template.build import build_template_bytes
    from .workbook import fill_input_tables, refresh_bytes
    found = cpr_findings(raw)
    if found:
        raise InputError(found)
    expected = compute(raw, settings)          # the folder's own figures; InputError stops here
    filled = fill_input_tables(build_template_bytes(), input_frames(raw))
    new, result, _ = refresh_bytes(_with_settings(filled, settings), name)
    # The workbook must say what the folder says. Anything the sheets cannot hold as the files
    # have it would show here as a difference; then no workbook is better than a wrong one.
    if not tidy_frame(result).equals(tidy_frame(expected)):
        raise InputError([Finding(FEJL, name, "Projektmappen ville ikke give de samme tal som mappen med CSV-filer, "
                                  "så den er ikke skrevet. Kontrollér, at filernes kolonner hedder som arkene i "
                                  "skabelonen (se README, 'Input folder'), eller brug jobstatus-xl status / notat "
                                  "direkte på mappen.")])
    return new, result


def _with_settings(data: bytes, settings: Settings) -> bytes:
    """`data` with the sheet Indstillinger holding `settings` (year, period, basis, reference month)."""
    from openpyxl import load_workbook

    from .workbook import restore_package, write_grid
    wb = load_workbook(io.BytesIO(data), keep_vba=True, keep_links=True)
    write_grid(wb[SHEET_SETTINGS], settings_grid(settings))
    buf = io.BytesIO()
    wb.save(buf)
    return restore_package(data, buf.getvalue(), {})


def write_workbook(raw: RawInput, settings: Settings, out: Path) -> Result:
    """Build and write the workbook to `out` (the caller has decided it may be written)."""
    from .workbook import atomic_write
    out = Path(out)
    if out.suffix.lower() != ".xlsm":
        raise InputError([Finding(FEJL, str(out), "Projektmappen har makroer og skal have filtypen .xlsm.")])
    if not out.parent.is_dir():
        raise InputError([Finding(FEJL, str(out), f"Mappen '{out.parent}' findes ikke.")])
    data, result = workbook_bytes(raw, settings, out.name)
    atomic_write(out, data)
    return result


"""Readers: files -> raw tables (`RawInput`). No computing here; the engine parses and checks.

A folder of CSV files: `forloeb.csv` and `fleksjob.csv` (required), `maaltal.csv`,
`vaegte.csv` and `aggregater_<year-1>.csv` (optional). Danish Excel exports CSV with ';' and
sometimes in Windows-1252; both are accepted.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from .engine.findings import FEJL, Finding, InputError
from .engine.pipeline import RawInput, Table


def read_csv_table(path: Path) -> Table:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter,
                            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError([Finding(FEJL, path.name, f"Filen kan ikke læses som CSV: {str(exc).splitlines()[0]}")]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return Table(frame, path.name, first_row=2)


def read_folder(folder: Path, year: int | None = None) -> RawInput:
    folder = Path(folder)
    missing = [name for name in ("forloeb.csv", "fleksjob.csv") if not (folder / name).exists()]
    if missing:
        raise InputError([Finding(FEJL, str(folder), f"Filen '{name}' mangler i mappen.") for name in missing])

    def optional(name: str) -> Table | None:
        p = folder / name
        return read_csv_table(p) if p.exists() else None

    previous = optional(f"aggregater_{year - 1}.csv") if year else None
    return RawInput(forloeb=read_csv_table(folder / "forloeb.csv"), fleksjob=read_csv_table(folder / "fleksjob.csv"),
                    maaltal=optional("maaltal.csv"), vaegte=optional("vaegte.csv"), previous=previous)

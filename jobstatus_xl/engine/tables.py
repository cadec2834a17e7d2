"""The note's tables: rows and columns as printed, from the tidy status.

`note_table` gives unrounded figures in the note's shape; `format_note_table` renders them the
way the note prints them (whole numbers with "." as thousands separator, "84 pct.").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .periods import Period
from .rounding import excel_round
from .rules import KK, UNIT_NAMES
from .status import SAMLET, SAMLET_MAAL
from .values import dansk_tal

COL_STATUS = "Status"
COL_SAMLET_STATUS = "Samlet status"
COL_SAMLET_MAALTAL = "Samlet måltal"
COL_PCT = "Procentvis målopfyldelse"


def col_antal(year: int, period: Period | None = None) -> str:
    """'Antal forløb i 2024**' for the year; for a part of it the forløb overlap the period, not the year."""
    return f"Antal forløb i {year}**" if period is None or period.is_year() else "Antal forløb i perioden**"


def columns(year: int, period: Period | None = None) -> list[str]:
    return [COL_STATUS, COL_SAMLET_STATUS, COL_SAMLET_MAALTAL, COL_PCT, col_antal(year, period)]


def antal_column(headers) -> str:
    """The antal forløb column among a note table's `headers`: its name depends on the year and the
    period (`col_antal`), so it is the one column that no fixed name claims."""
    fixed = (COL_STATUS, COL_SAMLET_STATUS, COL_SAMLET_MAALTAL, COL_PCT)
    rest = [h for h in headers if h not in fixed]
    if len(rest) != 1:
        raise KeyError(f"no single antal forløb column among {list(headers)}")
    return rest[0]


ROW_ANTAL = "Antal forløb"
ROW_FLEKSJOB = "Fleksjob (antal ansatte) *"
ROW_SAMLET = "Samlet målopfyldelse (vægtet gennemsnit***)"


def scheme_label(scheme: str) -> str:
    """Row label as the note prints it: helårspersoner schemes say so, småjob does not."""
    if scheme.startswith("Småjob"):
        return scheme
    return f"{scheme} (helårspersoner)"


@dataclass(frozen=True)
class NoteTable:
    number: int
    year: int
    unit: str
    title: str
    frame: pd.DataFrame      # unrounded; index = row labels, columns = `columns(year)`


def note_table(tidy: pd.DataFrame, unit: str, number: int) -> NoteTable:
    return _note_table(_lines_by_unit(tidy), int(tidy["aar"].iloc[0]), unit, number)


def _lines_by_unit(tidy: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """unit -> line -> record, in the tidy order: a handful of lines per unit, looked up by name."""
    out: dict[str, dict[str, dict]] = {}
    for r in tidy.to_dict("records"):
        out.setdefault(r["enhed"], {})[r["linje"]] = r
    return out


def _note_table(lines: dict[str, dict[str, dict]], year: int, unit: str, number: int,
                period: Period | None = None) -> NoteTable:
    rows = lines[unit]
    cols = columns(year, period)
    # compute_status orders each unit's lines: group schemes, Samlet, the fleksjob scheme, Samlet målopfyldelse
    lines = list(rows)
    group = lines[:lines.index(SAMLET)]
    fleks = lines[lines.index(SAMLET) + 1]
    data: dict[str, list[float]] = {}
    nan = math.nan
    samlet = rows[SAMLET]
    for i, scheme in enumerate(group):
        r = rows[scheme]
        first = i == 0  # the note shows the group's totals once, beside its first row
        data[scheme_label(scheme)] = [r["status"],
                                       samlet["status"] if first else nan,
                                       samlet["maaltal"] if first else nan,
                                       samlet["maalopfyldelse"] if first else nan,
                                       r["antal_forloeb"]]
    data[ROW_ANTAL] = [nan, nan, nan, nan, samlet["antal_forloeb"]]
    f = rows[fleks]
    data[ROW_FLEKSJOB] = [f["status"], nan, f["maaltal"], f["maalopfyldelse"], nan]
    data[ROW_SAMLET] = [nan, nan, nan, rows[SAMLET_MAAL]["maalopfyldelse"], nan]
    frame = pd.DataFrame(np.array(list(data.values()), dtype=float), index=list(data), columns=cols)
    return NoteTable(number, year, unit, table_title(number, unit, year), frame)


def table_title(number: int, unit: str, year: int) -> str:
    name = UNIT_NAMES.get(unit, unit)
    suffix = ", samt antal forløb" if unit == KK else ""
    return f"Tabel {number}: Status og målopfyldelse for de særlige jobordninger i {name} for {year}{suffix}"


def note_tables(tidy: pd.DataFrame, previous: pd.DataFrame | None = None,
                period: Period | None = None) -> list[NoteTable]:
    """Tables as numbered in the note: 1 = KK, 2 = KK previous year, 3.. = each forvaltning.
    `period`: the period of `tidy` (None: the whole year); the previous year's is the whole year."""
    lines, year = _lines_by_unit(tidy), int(tidy["aar"].iloc[0])
    tables = [_note_table(lines, year, KK, 1, period)]
    if previous is not None:
        tables.append(note_table(previous, KK, 2))
    number = 3
    for unit in lines:
        if unit != KK:
            tables.append(_note_table(lines, year, unit, number, period))
            number += 1
    return tables


def format_number(x: float) -> str:
    """A whole number as the note prints it: 1.084 (Danish thousands separator)."""
    if x is None or not np.isfinite(x):
        return ""
    return dansk_tal(excel_round(x), 0)


def format_percent(fraction: float) -> str:
    if fraction is None or not np.isfinite(fraction):
        return ""
    return f"{format_number(100.0 * fraction)} pct."


def format_note_table(table: NoteTable) -> pd.DataFrame:
    """The table as strings, rounded exactly as the note (from unrounded figures)."""
    out = table.frame.copy().astype(object)
    for col in out.columns:
        fmt = format_percent if col == COL_PCT else format_number
        out[col] = [fmt(v) for v in table.frame[col]]
    return out


FOOTNOTES = [
    "* Status for fleksjob er opgjort i antal ansatte i referencemåneden (periodens sidste måned).",
    "** Kolonnen angiver ikke helårspersoner, men antal forløb, der overlapper perioden.",
    "*** Samlet målopfyldelse er et vægtet gennemsnit af målopfyldelsen for helårspersoner og for fleksjob.",
]

"""The input of every computation, read and checked: raw tables + settings -> `Parsed`.

`parse_input` checks everything before any figure is computed; `pipeline.compute` (status) and
`prognose.forecast` (the year-end forecast) both start from its `Parsed`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from .factorize import RawTable
from .findings import ADVARSEL, FEJL, Finding, InputError
from .helaarspersoner import BASES
from .periods import Period
from .register import Register, excel_error_findings, parse_register
from .rules import YearRules, load_rules, year_rows
from .values import FRACTIONAL, WHOLE, fold_key, is_blank, number_problem, numbers_of


@dataclass(frozen=True)
class Table:
    """A raw table as a reader found it, with where it came from (for messages)."""

    frame: pd.DataFrame
    source: str
    first_row: int = 2   # the sheet/file row number of the frame's first data row


@dataclass(frozen=True)
class Settings:
    year: int
    start: dt.date | None = None
    end: dt.date | None = None
    basis: str = "kalenderdage"
    reference_month: dt.date | None = None   # any day in the fleksjob reference month
    status_date: dt.date | None = None       # "opgjort pr." of the year-end forecast (engine/prognose)
    # where status_date was read (source, row, column), so a finding about it names that cell
    status_date_at: tuple[str, int | None, str] = ("indstillinger", None, "Opgjort pr.")

    @property
    def period(self) -> Period:
        return Period(self.start or dt.date(self.year, 1, 1), self.end or dt.date(self.year, 12, 31))


@dataclass(frozen=True)
class RawInput:
    forloeb: Table
    fleksjob: Table | None = None
    maaltal: Table | None = None
    vaegte: Table | None = None
    previous: Table | None = None   # previous year's aggregates (aar, enhed, ordning, status, antal_forloeb)


@dataclass
class Parsed:
    """The checked input, before any figure is computed: what every computation starts from."""

    settings: Settings
    rules: YearRules
    register: Register
    period: Period
    reference: Period | None
    previous: pd.DataFrame | None        # previous year's aggregates, rows of that year
    findings: list[Finding]


def parse_input(raw: RawInput, settings: Settings) -> Parsed:
    """Parse and check everything. Raises `InputError` (with all findings) on any error."""
    findings: list[Finding] = []
    if settings.basis not in BASES:
        raise InputError([Finding(FEJL, "indstillinger", f"Ukendt opgørelsesgrundlag '{settings.basis}'. "
                                  "Brug 'kalenderdage' eller 'hverdage'.", kolonne="grundlag")])
    try:
        period = settings.period
    except ValueError as exc:
        raise InputError([Finding(FEJL, "indstillinger", str(exc), kolonne="periode")]) from None
    if not (period.start.year == period.end.year == settings.year):
        # the tables are "for {year}" with that year's targets: a period reaching into another year is no status
        raise InputError([Finding(FEJL, "indstillinger", f"Perioden {period.label()} ligger ikke inden for "
                                  f"opgørelsesåret {settings.year}. Vælg en periode i {settings.year}, eller ret året.",
                                  kolonne="periode")])
    # The register tables' columns are factorised once, for the Excel-error check and the parse alike.
    forloeb = RawTable(raw.forloeb.frame)
    fleksjob = RawTable(raw.fleksjob.frame) if raw.fleksjob is not None else None
    tables = [(forloeb, raw.forloeb), (fleksjob, raw.fleksjob)] + [
        (t.frame, t) for t in (raw.maaltal, raw.vaegte, raw.previous) if t is not None]
    findings += [f for frame, t in tables if t is not None
                 for f in excel_error_findings(frame, t.source, t.first_row)]
    maaltal, vaegte = raw.maaltal, raw.vaegte
    for table, what in ((raw.maaltal, "måltal"), (raw.vaegte, "vægte")):
        if table is not None and _empty(table.frame):
            findings.append(Finding(ADVARSEL, table.source, f"Tabellen er tom; de medfølgende {what} for "
                                    f"{settings.year} bruges. Udfyld tabellen, hvis der gælder andre {what}."))
    maaltal = None if maaltal is not None and _empty(maaltal.frame) else maaltal
    vaegte = None if vaegte is not None and _empty(vaegte.frame) else vaegte
    try:
        rules = load_rules(settings.year, maaltal=_as_str(maaltal), vaegte=_as_str(vaegte),
                           maaltal_source=maaltal.source if maaltal else "maaltal",
                           vaegte_source=vaegte.source if vaegte else "vaegte")
    except InputError as exc:
        raise InputError(_ordered(findings + exc.findings)) from None
    reference = Period.month_of(settings.reference_month) if settings.reference_month else None
    register, found = parse_register(
        forloeb, fleksjob, rules, period,
        forloeb_source=raw.forloeb.source, first_row=raw.forloeb.first_row,
        fleksjob_source=raw.fleksjob.source if raw.fleksjob else "fleksjob",
        fleksjob_first_row=raw.fleksjob.first_row if raw.fleksjob else None, basis=settings.basis,
        reference_month=reference)
    findings += found
    if register.forloeb.empty and not any(f.er_fejl and f.kilde == raw.forloeb.source for f in found):
        findings.append(Finding(FEJL, raw.forloeb.source, "Registeret har ingen forløb: tabellen har kun "
                                "overskrifter. Indsæt forløbene (id, forvaltning, ordning, start, slut)."))
    prev_year = settings.year - 1
    prev = None
    if raw.previous is not None:
        prev, found = year_rows(raw.previous.frame, prev_year, raw.previous.source, raw.previous.first_row)
        findings += found + _not_numbers(prev, (("status", FRACTIONAL), ("antal_forloeb", WHOLE)), raw.previous)
        findings += _twice(prev, raw.previous)
    findings = _one_per_cell(findings)
    if any(f.er_fejl for f in findings):
        raise InputError(findings)
    return Parsed(settings, rules, register, period, reference, prev, findings)


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Errors before warnings, each by source and row (the order of the Kontrol sheet and the CLI)."""
    return sorted(findings, key=lambda f: (not f.er_fejl, f.kilde, f.raekke or 0))


def _empty(frame: pd.DataFrame) -> bool:
    """No cell holds anything (a header-only table, or rows of blanks)."""
    return not frame.map(lambda v: not is_blank(v)).to_numpy().any() if len(frame) else True


def _one_per_cell(findings: list[Finding]) -> list[Finding]:
    """Sorted by source and row, and one finding per cell and severity: an Excel error cell (#N/A)
    is reported as such, not again as "not a date" by the checks that follow. A warning never
    hides an error on the same cell."""
    seen, out = set(), []
    for f in findings:
        key = (f.kilde, f.raekke, f.kolonne, f.alvor)
        if f.raekke is not None and key in seen:
            continue
        seen.add(key)
        out.append(f)
    return _ordered(out)


def _not_numbers(frame: pd.DataFrame, columns, table: Table) -> list[Finding]:
    """Cells that should hold a number but hold text: an error, never a silent blank."""
    out = []
    for col, kind in columns:
        if col not in frame:
            out.append(Finding(FEJL, table.source, f"Kolonnen '{col}' mangler.", kolonne=col))
            continue
        _, _, bad = numbers_of(frame[col], kind)
        for pos in map(int, np.flatnonzero(bad)):
            out.append(Finding(FEJL, table.source, number_problem(frame[col].iloc[pos], kind, "et tal", "112,4"
                                                                    if kind == FRACTIONAL else "1084 eller 1.084"),
                               raekke=int(frame.index[pos]) + table.first_row, kolonne=col))
    return out


def _twice(frame: pd.DataFrame, table: Table) -> list[Finding]:
    """A unit and scheme given twice for the year: which figure is right cannot be known."""
    if "enhed" not in frame or "ordning" not in frame:
        return []
    out, seen = [], {}
    for pos, (unit, scheme) in enumerate(zip(frame["enhed"], frame["ordning"])):
        key = (fold_key(unit), fold_key(scheme))
        row = int(frame.index[pos]) + table.first_row
        if key in seen:
            out.append(Finding(FEJL, table.source, f"{str(unit).strip()}, {str(scheme).strip()} står to gange (også i "
                               f"række {seen[key]}). Slet den ene række.", raekke=row, kolonne="ordning"))
        else:
            seen[key] = row
    return out


def _as_str(table: Table | None) -> pd.DataFrame | None:
    if table is None:
        return None
    return table.frame.astype(object).where(table.frame.notna(), "").astype(str)


def demo_input() -> RawInput:
    """The bundled synthetic 2024 register and 2023's published aggregates."""
    def read(*parts: str) -> pd.DataFrame:
        with resources.files("jobstatus_xl").joinpath("data", *parts).open("rb") as fh:
            return pd.read_csv(fh, dtype=str, keep_default_na=False, encoding="utf-8")
    return RawInput(
        forloeb=Table(read("demo", "forloeb.csv"), "forloeb.csv"),
        fleksjob=Table(read("demo", "fleksjob.csv"), "fleksjob.csv"),
        previous=Table(read("years", "aggregater_2023.csv"), "aggregater_2023.csv"),
    )


DEMO_SETTINGS = Settings(year=2024)

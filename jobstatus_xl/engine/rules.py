"""Year rules: which schemes form the group, targets and weights. Data, not code.

The bundled facts live in `jobstatus_xl/data/years/*.csv`; an input folder or workbook may
supply its own `maaltal` / `vaegte`, which take precedence for the year.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from fractions import Fraction
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from .findings import FEJL, Finding, InputError
from .values import (FRACTIONAL, WHOLE, Unreadable, dansk_tal, number_problem, numbers_of, read_date, read_decimal,
                     read_year)

KK = "KK"
FLEKSJOB = "Fleksjob"
HELAARSPERSONER = "helaarspersoner"


def _bundled(name: str) -> pd.DataFrame:
    """A bundled data table (a copy: callers may change it)."""
    return _read_bundled(name).copy()


@functools.lru_cache(maxsize=None)
def _read_bundled(name: str) -> pd.DataFrame:
    # package data does not change while the process runs: read each file once
    with resources.files("jobstatus_xl").joinpath("data", name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, encoding="utf-8")


def forvaltninger() -> dict[str, str]:
    """Forvaltning code -> full Danish name, in the note's order."""
    df = _bundled("forvaltninger.csv")
    return dict(zip(df["kode"], df["navn"]))


UNIT_NAMES = {**forvaltninger(), KK: "Københavns Kommune"}
FORVALTNINGER = [u for u in UNIT_NAMES if u != KK]     # the seven codes, without KK


@dataclass(frozen=True)
class YearRules:
    year: int
    group: tuple[str, ...]            # helårspersoner schemes, in the note's row order
    fleksjob: str                      # the headcount scheme's name
    weight_group: float
    weight_fleksjob: float
    targets: pd.DataFrame              # index enhed; columns maaltal_gruppe, maaltal_fleksjob (float)

    @property
    def schemes(self) -> tuple[str, ...]:
        return self.group + (self.fleksjob,)

    def target(self, unit: str, column: str, units: list[str]) -> float:
        """A unit's target. KK is the sum of the forvaltninger's when they are known (domain rule);
        a KK row is used only when no forvaltning targets are given (e.g. 2023)."""
        t = self._targets[column]
        if unit != KK:
            return t.get(unit, float("nan"))
        parts = [t[u] for u in units if u != KK and u in t]
        if parts:
            given = [p for p in parts if not math.isnan(p)]      # as pandas sums: blanks skipped
            return math.fsum(given) if all(map(math.isfinite, given)) else float(sum(given))
        return t.get(KK, float("nan"))

    @functools.cached_property
    def _targets(self) -> dict[str, dict[str, float]]:
        # column -> unit -> target, as plain floats (looked up per unit and line of every table)
        return {col: {str(k): float(v) for k, v in self.targets[col].items()} for col in self.targets.columns}


def all_schemes() -> tuple[str, ...]:
    """Every scheme of every bundled year, in the data's order: a scheme that is not in this year's
    group (one an earlier year counted) is known, so a row of it is "not counted this year", not "unknown"."""
    return tuple(dict.fromkeys(_read_bundled("years/ordninger.csv")["ordning"]))


def load_rules(year: int, maaltal: pd.DataFrame | None = None, vaegte: pd.DataFrame | None = None,
               ordninger: pd.DataFrame | None = None, *, maaltal_source: str = "maaltal",
               vaegte_source: str = "vaegte", first_row: int = 2) -> YearRules:
    """Rules for `year` from the bundled data, with optional user-supplied tables taking precedence.

    Problems in user tables are findings naming the table, row and column (`first_row` is the
    sheet/file row of the tables' first data row)."""
    findings: list[Finding] = []
    ordn = ordninger if ordninger is not None else _bundled("years/ordninger.csv")
    mt = maaltal if maaltal is not None else _bundled("years/maaltal.csv")
    vg = vaegte if vaegte is not None else _bundled("years/vaegte.csv")
    findings += _missing_columns(mt, ("aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"), maaltal_source)
    findings += _missing_columns(vg, ("aar", "vaegt_gruppe", "vaegt_fleksjob"), vaegte_source)
    if findings:
        raise InputError(findings)

    ordn, _ = year_rows(ordn, year, "ordninger")
    if ordn.empty:
        # A year we have no scheme list for: assume the latest known year's schemes, which is
        # what users expect when they roll the workbook forward; weights and targets must be given.
        allo = _bundled("years/ordninger.csv")
        ordn, _ = year_rows(allo, max(read_year(a) for a in allo["aar"]), "ordninger")
    group = tuple(ordn.loc[ordn["maaling"] == HELAARSPERSONER, "ordning"])
    fleks = tuple(ordn.loc[ordn["maaling"] != HELAARSPERSONER, "ordning"])
    fleksjob = fleks[0] if fleks else FLEKSJOB

    vg, found = year_rows(vg, year, vaegte_source, first_row)
    findings += found
    w_group = w_fleks = float("nan")
    if vg.empty:
        findings.append(Finding(FEJL, vaegte_source, f"Der er ingen vægte for {year}. Tilføj en række med "
                                "aar, vaegt_gruppe og vaegt_fleksjob (fx 0,55 og 0,45).", kolonne="aar"))
    elif len(vg) > 1:
        findings.append(Finding(FEJL, vaegte_source, f"Der er {len(vg)} rækker med vægte for {year}; behold én.",
                                raekke=int(vg.index[1]) + first_row, kolonne="aar"))
    else:
        w_group, w_fleks, found = _weights(vg, year, vaegte_source, first_row)
        findings += found

    mt, found = year_rows(mt, year, maaltal_source, first_row)
    findings += found
    units = mt["enhed"].astype(str).str.strip()
    values = {}
    for col in ("maaltal_gruppe", "maaltal_fleksjob"):
        # targets are whole numbers: 1.134 is 1134 (a Danish thousands separator), never 1,134
        v, blank, bad = numbers_of(mt[col], WHOLE)
        values[col] = v
        what = _TARGET_NAMES[col]
        # every target given must be a positive finite number, whether or not the unit has forløb:
        # KK's target is the sum of all seven
        for pos in np.flatnonzero(blank | bad | ~(v > 0)):
            u, raw = units.iloc[pos], mt[col].iloc[pos]
            problem = (f"{u} har intet {what} for {year}. Tilføj måltallet." if blank[pos] else
                       f"{u}s {what}: " + number_problem(raw, WHOLE, "et helt tal", "1084 eller 1.084") if bad[pos] else
                       f"{u}s {what} for {year} er {v[pos]:g}; det skal være større end 0.")
            findings.append(Finding(FEJL, maaltal_source, problem, raekke=int(mt.index[pos]) + first_row, kolonne=col))
    for pos in np.flatnonzero(units.duplicated().to_numpy()):
        findings.append(Finding(FEJL, maaltal_source, f"{units.iloc[pos]} har mere end én række med måltal for {year}; "
                                "behold én.", raekke=int(mt.index[pos]) + first_row, kolonne="enhed"))
    targets = pd.DataFrame(values, index=pd.Index(units.to_numpy(), name="enhed"))
    if targets.empty:
        findings.append(Finding(FEJL, maaltal_source, f"Der er ingen måltal for {year}. Tilføj måltal per "
                                "forvaltning (aar, enhed, maaltal_gruppe, maaltal_fleksjob).", kolonne="aar"))
    if any(f.er_fejl for f in findings):
        raise InputError(findings)
    return YearRules(year, group, fleksjob, w_group, w_fleks, targets)


def adopted(year: int) -> dt.date | None:
    """The day the year's targets were adopted (`years/vedtaget.csv`), or None when the data has no
    such day; the caller says so rather than guess one."""
    rows, _ = year_rows(_read_bundled("years/vedtaget.csv"), year, "vedtaget")
    if len(rows) != 1:
        return None
    try:
        return read_date(rows["vedtaget"].iloc[0])
    except Unreadable:
        return None


def _missing_columns(frame: pd.DataFrame, required, source: str) -> list[Finding]:
    return [Finding(FEJL, source, f"Kolonnen '{c}' mangler. Tabellen skal have kolonnerne {', '.join(required)}.",
                    kolonne=c) for c in required if c not in frame.columns]


_TARGET_NAMES = {"maaltal_gruppe": "måltal for helårspersoner", "maaltal_fleksjob": "måltal for fleksjob"}


def _weights(vg: pd.DataFrame, year: int, source: str, first_row: int) -> tuple[float, float, list[Finding]]:
    """The year's two weights as shares. They must sum to 100 (55 and 45, or 55 % and 45 %) or to 1
    (0,55 and 0,45): any other sum is an error, never normalised in silence (50 and 30 is a typo)."""
    findings: list[Finding] = []
    row = int(vg.index[0]) + first_row
    w: dict[str, Fraction] = {}
    for col in ("vaegt_gruppe", "vaegt_fleksjob"):
        raw = vg.iloc[0][col]
        try:
            read = read_decimal(raw, FRACTIONAL)
        except Unreadable:
            read = None
        if read is None or read[0] < 0:
            findings.append(Finding(FEJL, source, number_problem(raw, FRACTIONAL, "en vægt", "55 eller 0,55")
                                    or f"Vægten '{raw}' skal være et tal på 0 eller derover, fx 55 eller 0,55.",
                                    raekke=row, kolonne=col))
            continue
        w[col] = read[0] / 100 if read[1] else read[0]
    if findings:
        return float("nan"), float("nan"), findings
    total = w["vaegt_gruppe"] + w["vaegt_fleksjob"]
    if total not in (1, 100):
        findings.append(Finding(FEJL, source, f"Vægtene for {year} summer til {dansk_tal(total, 4)} "
                                f"({dansk_tal(w['vaegt_gruppe'], 4)} og {dansk_tal(w['vaegt_fleksjob'], 4)}). De skal "
                                "summe til 100 (fx 55 og 45) eller 1 (fx 0,55 og 0,45); ret vægtene.",
                                raekke=row, kolonne="vaegt_gruppe"))
        return float("nan"), float("nan"), findings
    return float(w["vaegt_gruppe"] / total), float(w["vaegt_fleksjob"] / total), findings


def year_rows(frame: pd.DataFrame, year: int, source: str, first_row: int = 2) -> tuple[pd.DataFrame, list[Finding]]:
    """Rows whose `aar` is `year` ("2024", 2024.0, "2024,0"), and an error for each `aar` that is no
    year (2024,5 is not 2024): such a row would otherwise vanish without a word."""
    findings, keep = [], np.zeros(len(frame), dtype=bool)
    for pos, v in enumerate(frame["aar"]):
        try:
            keep[pos] = read_year(v) == year
        except Unreadable as exc:
            findings.append(Finding(FEJL, source, f"{exc}.", raekke=int(frame.index[pos]) + first_row, kolonne="aar"))
    return frame[keep], findings

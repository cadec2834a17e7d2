"""Year rules: which schemes form the group, targets and weights. Data, not code.

The bundled facts live in `jobstatus_xl/data/years/*.csv`; an input folder or workbook may
supply its own `maaltal` / `vaegte`, which take precedence for the year.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from .findings import FEJL, Finding, InputError

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

    def target(self, enhed: str, column: str, units: list[str]) -> float:
        """A unit's target. KK is the sum of the forvaltninger's when they are known (domain rule);
        a KK row is used only when no forvaltning targets are given (e.g. 2023)."""
        t = self._targets[column]
        if enhed != KK:
            return t.get(enhed, float("nan"))
        parts = [t[u] for u in units if u != KK and u in t]
        if parts:
            given = [p for p in parts if not math.isnan(p)]      # as pandas sums: blanks skipped
            return math.fsum(given) if all(map(math.isfinite, given)) else float(sum(given))
        return t.get(KK, float("nan"))

    @functools.cached_property
    def _targets(self) -> dict[str, dict[str, float]]:
        # column -> unit -> target, as plain floats (looked up per unit and line of every table)
        return {col: {str(k): float(v) for k, v in self.targets[col].items()} for col in self.targets.columns}


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

    ordn = of_year(ordn, year)
    if ordn.empty:
        # A year we have no scheme list for: assume the latest known year's schemes, which is
        # what users expect when they roll the workbook forward; weights and targets must be given.
        allo = _bundled("years/ordninger.csv")
        latest = max(int(a) for a in allo["aar"])
        ordn = allo[allo["aar"] == str(latest)]
    group = tuple(ordn.loc[ordn["maaling"] == HELAARSPERSONER, "ordning"])
    fleks = tuple(ordn.loc[ordn["maaling"] != HELAARSPERSONER, "ordning"])
    fleksjob = fleks[0] if fleks else FLEKSJOB

    vg = of_year(vg, year)
    w_group = w_fleks = float("nan")
    if vg.empty:
        findings.append(Finding(FEJL, vaegte_source, f"Der er ingen vægte for {year}. Tilføj en række med "
                                "aar, vaegt_gruppe og vaegt_fleksjob (fx 0,55 og 0,45).", kolonne="aar"))
    elif len(vg) > 1:
        findings.append(Finding(FEJL, vaegte_source, f"Der er {len(vg)} rækker med vægte for {year}; behold én.",
                                raekke=int(vg.index[1]) + first_row, kolonne="aar"))
    else:
        row = int(vg.index[0]) + first_row
        w = {}
        for col in ("vaegt_gruppe", "vaegt_fleksjob"):
            w[col] = parse_number(vg.iloc[0][col])
            if not math.isfinite(w[col]) or w[col] < 0:
                findings.append(Finding(FEJL, vaegte_source, f"Vægten '{vg.iloc[0][col]}' skal være et tal på 0 eller "
                                        "derover, fx 55 eller 0,55.", raekke=row, kolonne=col))
        if not any(f.er_fejl for f in findings):
            total = w["vaegt_gruppe"] + w["vaegt_fleksjob"]
            if total <= 0:
                findings.append(Finding(FEJL, vaegte_source, "Vægtene summer til 0; angiv fx 55 og 45.",
                                        raekke=row, kolonne="vaegt_gruppe"))
            else:  # 55/45 and 0.55/0.45 both mean the same weights
                w_group, w_fleks = w["vaegt_gruppe"] / total, w["vaegt_fleksjob"] / total

    mt = of_year(mt, year)
    units = mt["enhed"].astype(str).str.strip()
    values = {col: parse_numbers(mt[col]) for col in ("maaltal_gruppe", "maaltal_fleksjob")}
    for col, v in values.items():
        for pos in np.flatnonzero(np.isnan(v) & (mt[col].astype(str).str.strip() != "").to_numpy()):
            findings.append(Finding(FEJL, maaltal_source, f"Måltallet '{mt[col].iloc[pos]}' er ikke et tal.",
                                    raekke=int(mt.index[pos]) + first_row, kolonne=col))
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
    rows = of_year(_read_bundled("years/vedtaget.csv"), year)
    if len(rows) != 1:
        return None
    try:
        return dt.date.fromisoformat(str(rows["vedtaget"].iloc[0]).strip())
    except ValueError:
        return None


def _missing_columns(frame: pd.DataFrame, required, source: str) -> list[Finding]:
    return [Finding(FEJL, source, f"Kolonnen '{c}' mangler. Tabellen skal have kolonnerne {', '.join(required)}.",
                    kolonne=c) for c in required if c not in frame.columns]


def parse_numbers(values) -> np.ndarray:
    """`parse_number` over a column; blanks and text are NaN."""
    return np.array([parse_number(v) for v in values], dtype=float)


def parse_number(value) -> float:
    """A number as users type it: 55, 0,55, '55 %'. Anything else is NaN (reported by the caller)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    text = str(value).replace(",", ".").replace("%", "").strip()
    try:
        return float(text) if text else float("nan")
    except ValueError:
        return float("nan")


def of_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows whose `aar` is `year`, whether it came as text ("2024"), number (2024.0) or "2024,0"."""
    # year tables have a handful of rows: plain Python beats a chain of pandas string operations
    return frame[np.array([parse_number(v) == year for v in frame["aar"]], dtype=bool)]

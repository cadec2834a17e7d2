"""Year rules: which schemes form the group, targets and weights. Data, not code.

The bundled facts live in `jobstatus_xl/data/years/*.csv`; an input folder or workbook may
supply its own `maaltal` / `vaegte`, which take precedence for the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from .findings import FEJL, Finding, InputError

KK = "KK"
FLEKSJOB = "Fleksjob"
HELAARSPERSONER = "helaarspersoner"


def _bundled(name: str) -> pd.DataFrame:
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
        t = self.targets
        if enhed != KK:
            return float(t.at[enhed, column]) if enhed in t.index else float("nan")
        parts = [u for u in units if u != KK and u in t.index]
        if parts:
            return float(t.loc[parts, column].sum())
        return float(t.at[KK, column]) if KK in t.index else float("nan")


def load_rules(year: int, maaltal: pd.DataFrame | None = None, vaegte: pd.DataFrame | None = None,
               ordninger: pd.DataFrame | None = None, source: str = "årsdata") -> YearRules:
    """Rules for `year` from the bundled data, with optional user-supplied tables taking precedence."""
    findings: list[Finding] = []
    ordn = ordninger if ordninger is not None else _bundled("years/ordninger.csv")
    mt = maaltal if maaltal is not None else _bundled("years/maaltal.csv")
    vg = vaegte if vaegte is not None else _bundled("years/vaegte.csv")

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
    if vg.empty:
        findings.append(Finding(FEJL, "vaegte", f"Der er ingen vægte for {year}. Tilføj en række med "
                                "aar, vaegt_gruppe og vaegt_fleksjob (fx 0,55 og 0,45).", kolonne="aar"))
        w_group = w_fleks = float("nan")
    else:
        w_group, w_fleks = _weight(vg.iloc[0]["vaegt_gruppe"]), _weight(vg.iloc[0]["vaegt_fleksjob"])
        total = w_group + w_fleks
        if total > 0:  # 55/45 and 0.55/0.45 both mean the same weights
            w_group, w_fleks = w_group / total, w_fleks / total

    mt = of_year(mt, year)
    targets = pd.DataFrame({
        "maaltal_gruppe": pd.to_numeric(mt["maaltal_gruppe"], errors="coerce").to_numpy(),
        "maaltal_fleksjob": pd.to_numeric(mt["maaltal_fleksjob"], errors="coerce").to_numpy(),
    }, index=pd.Index(mt["enhed"].astype(str).str.strip().to_numpy(), name="enhed"))
    if targets.empty:
        findings.append(Finding(FEJL, "maaltal", f"Der er ingen måltal for {year}. Tilføj måltal per "
                                "forvaltning (aar, enhed, maaltal_gruppe, maaltal_fleksjob).", kolonne="aar"))
    if any(f.er_fejl for f in findings):
        raise InputError(findings)
    return YearRules(year, group, fleksjob, w_group, w_fleks, targets)


def of_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows whose `aar` is `year`, whether it came as text ("2024"), number (2024.0) or "2024,0"."""
    aar = pd.to_numeric(frame["aar"].astype(str).str.strip().str.replace(",", ".", regex=False), errors="coerce")
    return frame[(aar == year).to_numpy()]


def _weight(value) -> float:
    return float(str(value).replace(",", ".").replace("%", "").strip())

"""An independent oracle for the engine: LibreOffice recalculating plain spreadsheet formulas.

A synthetic register of forløb goes into an .xlsx built the way finance staff would build it by
hand: date columns, per-period helper columns (MAX/MIN/IF, NETWORKDAYS) and summary cells with
SUMPRODUCT and COUNTIFS. LibreOffice's formula engine shares no code with numpy/pandas, so when
its figures equal `helaarspersoner` / `antal_forloeb` the definitions agree, not just the code
with itself. Each figure is computed by two differently written formulas where that is natural.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from jobstatus_xl.engine.helaarspersoner import antal_forloeb, helaarspersoner
from jobstatus_xl.engine.periods import Period
from libreoffice import recalculate, requires_libreoffice

pytestmark = requires_libreoffice

REL = 1e-9
N_FORLOEB = 2000
SEED = 20240531
FIRST_ROW = 2  # data starts below the header
LAST_ROW = FIRST_ROW + N_FORLOEB - 1

PERIODS = {
    "2024": Period.year(2024),
    "2024-01..06": Period.months(2024, 1, 6),
    "2024-01..03": Period.months(2024, 1, 3),
    "2023": Period.year(2023),
    # Not month-aligned, two days (one of them leap day): tiny denominators magnify any off-by-one.
    "2024-02-29..03-01": Period(dt.date(2024, 2, 29), dt.date(2024, 3, 1)),
}

# Column letters on the register sheet.
C_ID, C_START, C_SLUT, C_TIMER = "A", "B", "C", "D"
REGISTER_SHEET = "Forløb"
PERIOD_SHEET = "Perioder"
PERIOD_HEADER = ["Periode", "Fra", "Til", "Dage", "Hverdage", "Helårspersoner (SUMPRODUCT)",
                 "Helårspersoner (hjælpekolonne)", "Antal forløb (COUNTIFS)", "Antal forløb (SUMPRODUCT)",
                 "Helårspersoner, hverdage × timer/37"]


def synthetic_register(seed: int = SEED, n: int = N_FORLOEB):
    """Forløb with starts 2022–2025, 1 day to 3 years long, ~15 % still running, plus edge cases
    placed exactly on, and one day either side of, every period boundary."""
    rng = np.random.default_rng(seed)
    day = np.timedelta64(1, "D")
    edges: list[tuple[np.datetime64, np.datetime64 | None]] = []
    for p in PERIODS.values():
        p0, p1 = np.datetime64(p.start, "D"), np.datetime64(p.end, "D")
        edges += [
            (p0 - 40 * day, p0), (p0 - 40 * day, p0 - day),   # ends on the first day / the day before
            (p1, p1 + 40 * day), (p1 + day, p1 + 40 * day),   # starts on the last day / the day after
            (p0, p0), (p1, p1), (p0, p1),                     # one-day forløb on each edge; exactly the period
            (p0 - day, p1 + day),                             # covers the period with a day to spare
            (p1, None), (p1 + day, None), (p0 - 400 * day, None),  # running from the last day / after / long before
        ]
    k = n - len(edges)
    lo, hi = np.datetime64("2022-01-01"), np.datetime64("2025-12-31")
    start = lo + rng.integers(0, int((hi - lo) / day) + 1, size=k) * day
    duration = rng.integers(1, 3 * 365 + 2, size=k)            # 1 day .. 3 years (+ a leap day)
    slut = (start + (duration - 1) * day).astype("datetime64[D]")
    running = rng.random(k) < 0.15
    slut = np.where(running, np.datetime64("NaT"), slut)

    start = np.concatenate([start, np.array([e[0] for e in edges], dtype="datetime64[D]")])
    slut = np.concatenate([slut, np.array([e[1] if e[1] is not None else np.datetime64("NaT") for e in edges],
                                          dtype="datetime64[D]")])
    order = rng.permutation(n)  # edge cases scattered among the rest, not in a block at the end
    start, slut = start[order], slut[order]
    hours = rng.choice([37.0, 37.0, 30.0, 25.0, 20.0, 15.0, 10.0, np.nan], size=n)  # NaN = blank = full time
    return start, slut, hours


def _date(x: np.datetime64) -> dt.date | None:
    return None if np.isnat(x) else x.astype("datetime64[D]").item()


def build_workbook(path, start, slut, hours) -> dict[str, int]:
    """The finance-staff workbook; returns {period key: its row on the period sheet}."""
    wb = Workbook()
    reg = wb.active
    reg.title = REGISTER_SHEET
    reg.append(["Id", "Startdato", "Slutdato", "Timer pr. uge"])
    for i, (s, e, h) in enumerate(zip(start, slut, hours), start=1):
        reg.append([f"SYNT-{i:05d}", _date(s), _date(e), None if np.isnan(h) else float(h)])
    for col in (C_START, C_SLUT):
        for cell in reg[col][1:]:
            cell.number_format = "DD-MM-YYYY"

    for name, col in (("Startdato", C_START), ("Slutdato", C_SLUT), ("Timer", C_TIMER)):
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{REGISTER_SHEET}'!${col}${FIRST_ROW}:${col}${LAST_ROW}")

    per = wb.create_sheet(PERIOD_SHEET)
    per.append(PERIOD_HEADER)
    rows: dict[str, int] = {}
    helper_col = 5  # E: first free column on the register sheet
    for r, (key, p) in enumerate(PERIODS.items(), start=2):
        rows[key] = r
        P0, P1 = f"{PERIOD_SHEET}!$B${r}", f"{PERIOD_SHEET}!$C${r}"
        # Per-forløb helper columns, as staff fill a formula down: calendar days and weighted weekdays.
        dage_col, hverd_col = get_column_letter(helper_col), get_column_letter(helper_col + 1)
        helper_col += 2
        reg[f"{dage_col}1"] = f"Dage {key}"
        reg[f"{hverd_col}1"] = f"Hverdage × timer/37 {key}"
        for i in range(FIRST_ROW, LAST_ROW + 1):
            first = f"MAX({C_START}{i},{P0})"
            last = f"MIN(IF({C_SLUT}{i}=\"\",{P1},{C_SLUT}{i}),{P1})"
            reg[f"{dage_col}{i}"] = f"=MAX(0,{last}-{first}+1)"
            reg[f"{hverd_col}{i}"] = (f"=IF({first}<={last},NETWORKDAYS({first},{last}),0)"
                                      f"*IF({C_TIMER}{i}=\"\",1,{C_TIMER}{i}/37)")
        dage = f"'{REGISTER_SHEET}'!${dage_col}${FIRST_ROW}:${dage_col}${LAST_ROW}"
        hverd = f"'{REGISTER_SHEET}'!${hverd_col}${FIRST_ROW}:${hverd_col}${LAST_ROW}"

        # One IF-less SUMPRODUCT: a blank end counts as 0 in arithmetic, so (Slutdato="")*P1 puts the
        # period's end there; MIN/MAX per row are written as x - (x>P1)*(x-P1) and s + (s<P0)*(P0-s).
        last_arr = f"(Slutdato-(Slutdato>$C{r})*(Slutdato-$C{r})+(Slutdato=\"\")*$C{r})"
        first_arr = f"(Startdato+(Startdato<$B{r})*($B{r}-Startdato))"
        d = f"({last_arr}-{first_arr}+1)"
        per.append([
            key, p.start, p.end,
            f"=C{r}-B{r}+1",
            f"=NETWORKDAYS(B{r},C{r})",
            f"=SUMPRODUCT(({d}>0)*{d})/D{r}",
            f"=SUM({dage})/D{r}",
            f'=COUNTIFS(Startdato,"<="&C{r},Slutdato,">="&B{r})+COUNTIFS(Startdato,"<="&C{r},Slutdato,"")',
            f'=SUMPRODUCT((Startdato<=C{r})*(((Slutdato>=B{r})+(Slutdato=""))>0))',
            f"=SUM({hverd})/E{r}",
        ])
        for col in "BC":
            per[f"{col}{r}"].number_format = "DD-MM-YYYY"
    wb.save(path)
    return rows


@pytest.fixture(scope="module")
def register():
    return synthetic_register()


@pytest.fixture(scope="module")
def recalculated(register, tmp_path_factory):
    path = tmp_path_factory.mktemp("oracle") / "helaarspersoner_formler.xlsx"
    rows = build_workbook(path, *register)
    sheets = recalculate(path)
    header = sheets[PERIOD_SHEET][0]
    assert header == PERIOD_HEADER, f"LibreOffice read the period sheet's header as {header}"
    return {key: dict(zip(header, sheets[PERIOD_SHEET][r - 1])) for key, r in rows.items()}


def test_register_has_the_cases_the_oracle_is_for(register):
    start, slut, hours = register
    running = np.isnat(slut)
    assert len(start) == N_FORLOEB
    assert 0.10 < running.mean() < 0.20, f"{running.mean():.1%} still running, expected about 15 %"
    p = PERIODS["2024"]
    inside = antal_forloeb(start, slut, p)
    assert 0 < inside < N_FORLOEB, "some forløb must lie entirely outside 2024"
    assert (slut == np.datetime64(p.end)).any() and (slut == np.datetime64(p.start) - 1).any()


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check(lo_value, engine_value: float, what: str) -> None:
    assert _is_number(lo_value), f"{what}: LibreOffice gave {lo_value!r}, not a number"
    assert math.isclose(lo_value, engine_value, rel_tol=REL, abs_tol=1e-12), (
        f"{what}: LibreOffice {lo_value!r} != engine {engine_value!r} "
        f"(relative difference {abs(lo_value - engine_value) / max(abs(engine_value), 1e-300):.3g})")


@pytest.mark.parametrize("key", PERIODS)
@pytest.mark.parametrize("column", ["Helårspersoner (SUMPRODUCT)", "Helårspersoner (hjælpekolonne)"],
                         ids=["sumproduct", "hjaelpekolonne"])
def test_helaarspersoner_kalenderdage(recalculated, register, key, column):
    start, slut, _ = register
    engine = helaarspersoner(start, slut, PERIODS[key])
    _check(recalculated[key][column], engine, f"helårspersoner (kalenderdage) {key}, {column}")


@pytest.mark.parametrize("key", PERIODS)
def test_helaarspersoner_hverdage_med_timer(recalculated, register, key):
    start, slut, hours = register
    engine = helaarspersoner(start, slut, PERIODS[key], basis="hverdage", hours=hours)
    column = "Helårspersoner, hverdage × timer/37"
    _check(recalculated[key][column], engine, f"helårspersoner (hverdage × timer/37) {key}, {column}")


@pytest.mark.parametrize("key", PERIODS)
@pytest.mark.parametrize("column", ["Antal forløb (COUNTIFS)", "Antal forløb (SUMPRODUCT)"],
                         ids=["countifs", "sumproduct"])
def test_antal_forloeb(recalculated, register, key, column):
    start, slut, _ = register
    engine = antal_forloeb(start, slut, PERIODS[key])
    lo = recalculated[key][column]
    assert lo == engine, f"antal forløb {key}, {column}: LibreOffice {lo!r} != engine {engine}"


@pytest.mark.parametrize("key", PERIODS)
def test_period_lengths(recalculated, key):
    p = PERIODS[key]
    got = recalculated[key]
    assert (got["Dage"], got["Hverdage"]) == (p.days, p.weekdays), (
        f"{key}: LibreOffice counts {got['Dage']!r} days / {got['Hverdage']!r} weekdays (NETWORKDAYS), "
        f"Period says {p.days} / {p.weekdays}")

"""Year to date and year-end forecast ("prognose"): will each unit reach its yearly target?

For a report year and a status date (`status_date`, "opgjort pr."; pr below), per unit and line
(the group schemes, Samlet, Fleksjob, Samlet målopfyldelse):

- `status_til_dato`: the status of 1 January .. pr, exactly what `status --to pr` gives (fleksjob:
  the headcount in pr's month);
- `sikker_aarsstatus`: the full-year status counting only the forløb (and fleksjob spells) that
  started on or before pr, each to its registered end (a blank end runs to 31 December). This is
  `status` of the same register with the later starts removed: nothing is estimated;
- `prognose_aarsstatus`: `sikker_aarsstatus` plus the expected contribution of forløb that will
  start after pr, with `prognose_lav` / `prognose_hoej` around it.

Method (per forvaltning and scheme, and per forvaltning for fleksjob spells):

1. Start rate: n = the forløb that started from 1 January to pr; rate = n / (days from 1 January
   to pr). The rate is taken as constant for the rest of the year.
2. Length: the calendar lengths of those same n forløb (start to registered end; a blank end runs
   to 31 December, as in `sikker`). Each expected future start, on each day after pr, gets this
   length distribution. Where a unit has no start this year in a scheme, the lengths of that
   scheme's starts in all units are used (its rate is still 0, so only `prognose_hoej` uses them).
3. Expected helårspersoner of future starts = rate × Σ over days t after pr of the mean share of
   the period a forløb starting on t would have, computed with the engine's own share rule
   (`helaarspersoner.shares`, so the weekday basis and hours per week work the same way); the
   fleksjob forecast adds rate × Σ_t P(a spell starting on t is employed in the reference month)
   (`helaarspersoner.employed_in`). New fleksjob spells are assumed to be new persons.
4. Band: the exact 90 % Poisson (Garwood) interval for the number of starts n, each limit scaled
   the same way as n. It
   covers the uncertainty in the rate only, not in lengths or a changing rate; the backtest in
   `benchmarks/backtest_prognose.py` measures how the forecast actually does. Samlet and KK add
   the lows and the highs (all units going the same way), as KK adds the forvaltninger.

So prognose ≥ sikker always, lav ≤ prognose ≤ høj, and with pr = 31 December all three equal
`status`. Målopfyldelse and the weighted total are computed by `status.compute_status` from each
scenario's aggregates: the same rule as the status tables, never a second copy.

Monthly series (`Forecast.monthly`): per unit and line and month, helårspersoner of the month (the
average number of persons in it) and the fleksjob headcount of the month: `sikker` (known forløb),
`prognose` / `prognose_lav` / `prognose_hoej` (known plus expected new starts), `faktisk` (= sikker
for the months that have begun by pr, blank after). Weighted by the days of each month (weekdays
on the weekday basis) the months average to the yearly figure.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .findings import ADVARSEL, FEJL, Finding, InputError
from .helaarspersoner import _as_days, clipped, days_in_period, employed_in, shares
from .inputs import Parsed, RawInput, Settings, parse_input
from .periods import Period
from .register import Register
from .rules import KK, YearRules
from .status import SAMLET, SAMLET_MAAL, Aggregates, aggregate, compute_status

# The CLI's csv columns (issue 13), in order; `Forecast.table` has these and a few more.
CSV_COLUMNS = ["aar", "enhed", "linje", "status_til_dato", "sikker_aarsstatus", "prognose_aarsstatus",
               "prognose_lav", "prognose_hoej", "maaltal", "prognose_maalopfyldelse"]
TABLE_COLUMNS = CSV_COLUMNS + ["til_dato_maalopfyldelse", "sikker_maalopfyldelse", "lav_maalopfyldelse",
                               "hoej_maalopfyldelse", "starter_til_dato", "forventede_starter"]
MONTHLY_COLUMNS = ["aar", "enhed", "linje", "maaned", "faktisk", "sikker", "prognose", "prognose_lav",
                   "prognose_hoej", "maaltal"]
LEVEL = 0.90                 # the band's coverage
SCENARIOS = ("sikker", "prognose", "lav", "hoej")


@dataclass
class Forecast:
    settings: Settings
    status_date: dt.date
    rules: YearRules
    table: pd.DataFrame       # TABLE_COLUMNS, one row per unit and line, unrounded
    monthly: pd.DataFrame     # MONTHLY_COLUMNS
    findings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)    # the forecast's own warnings (also in findings)


def forecast(raw: RawInput, settings: Settings, status_date: dt.date | None = None, *, source: str = "indstillinger",
             row: int | None = None, column: str = "Opgjort pr.") -> Forecast:
    """The forecast for `settings.year` at status date `status_date` (None: `settings.status_date`, and if
    that is empty the last start date the register holds within the year). The period is always
    the whole year; `settings.start`/`end` are not used. A bad status date is a finding on
    `source` (row, column): e.g. the settings sheet's cell."""
    year_settings = Settings(settings.year, None, None, settings.basis, settings.reference_month)
    return forecast_parsed(parse_input(raw, year_settings), status_date or settings.status_date, source=source, row=row,
                           column=column)


def forecast_parsed(parsed: Parsed, status_date: dt.date | None, *, source: str = "indstillinger",
                    row: int | None = None, column: str = "Opgjort pr.") -> Forecast:
    """`forecast` from an already parsed input (`pipeline.compute` parses once for status and
    forecast: the register does not depend on the status period, only some warnings do)."""
    s = parsed.settings
    status_date, found = _status_date(parsed, status_date, source, row, column)
    findings = parsed.findings + found
    if any(f.er_fejl for f in findings):
        raise InputError(findings)
    table, monthly, notes = forecast_register(parsed.register, parsed.rules, status_date, s.basis, parsed.reference)
    return Forecast(Settings(s.year, None, None, s.basis, s.reference_month, status_date), status_date, parsed.rules,
                    table, monthly, findings + notes, notes)


def default_status_date(register: Register, year: int) -> dt.date | None:
    """The last start date within the year in the forløb or fleksjob register (None: no start)."""
    p = Period.year(year)
    best = None
    for frame in (register.forloeb, register.fleksjob):
        if frame is None or not len(frame):
            continue
        s = _as_days(frame["start"])
        s = s[(s >= np.datetime64(p.start, "D")) & (s <= np.datetime64(p.end, "D"))]
        if len(s):
            d = pd.Timestamp(s.max()).date()
            best = d if best is None or d > best else best
    return best


def _status_date(parsed: Parsed, status_date, source, row, column) -> tuple[dt.date, list[Finding]]:
    year = parsed.rules.year
    where = {"raekke": row, "kolonne": column}
    if status_date is None:
        status_date = default_status_date(parsed.register, year)
        if status_date is None:
            return dt.date(year, 12, 31), [Finding(FEJL, source, f"Registret har ingen forløb, der starter i {year}, "
                                                   "så opgørelsesdatoen kan ikke findes. Angiv den, fx "
                                                   f"30-06-{year}.", **where)]
    if status_date.year != year:
        return status_date, [Finding(FEJL, source, f"Opgørelsesdatoen {status_date:%d-%m-%Y} ligger uden for "
                            f"opgørelsesåret {year}. Angiv en dato i {year}, fx 30-06-{year}.", **where)]
    starts = _as_days(parsed.register.forloeb["start"])
    if not len(starts) or starts.min() > np.datetime64(status_date, "D"):
        first = f" (det første starter {pd.Timestamp(starts.min()):%d-%m-%Y})" if len(starts) else ""
        return status_date, [Finding(FEJL, source, f"Opgørelsesdatoen {status_date:%d-%m-%Y} ligger før registrets "
                            f"første forløb{first}; der er intet at tælle. Angiv en senere dato.", **where)]
    return status_date, []


def forecast_register(register: Register, rules: YearRules, status_date: dt.date, basis: str = "kalenderdage",
                      reference: Period | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """(table, monthly, notes) from a parsed register; see the module docstring for the method."""
    year = Period.year(rules.year)
    to_date = Period(year.start, status_date)
    month = reference or year.last_month
    notes: list[Finding] = []
    known = _known(register, status_date)
    obs_days = to_date.days
    future = _future_days(status_date, year)

    # status til dato: exactly `status --to pr`
    agg_to_date = aggregate(register, rules, to_date, basis)
    agg_known = aggregate(known, rules, year, basis, reference)
    units = list(agg_known.fleksjob.index)

    group_new = _new_starts(register.forloeb, rules, status_date, year, units, scheme=True,
                            with_hours=basis == "hverdage")
    periods = [year] + [Period.months(rules.year, m, m) for m in range(1, 13)]
    # helårspersoner by the engine's share rule (hours count only on the weekday basis)
    g_exp = _expected(group_new, status_date, future, periods, _running_days, lambda s, e, h, p: shares(
        clipped(s, e, p), p, basis, h if basis == "hverdage" else None))
    fleks_frame = register.fleksjob
    if fleks_frame is not None:
        fleks_new = _new_starts(fleks_frame, rules, status_date, year, units, scheme=False, with_hours=False)
        months = [month] + [Period.months(rules.year, m, m) for m in range(1, 13)]
        f_exp = _expected(fleks_new, status_date, future, months, _starts, lambda s, e, h, p: employed_in(s, e, p))
    else:
        fleks_new = f_exp = None
        if register.fleksjob_antal is not None:
            notes.append(Finding(ADVARSEL, "fleksjob", "Fleksjob er angivet som antal ansatte, ikke som ansættelser "
                                 "med datoer; der kan ikke laves prognose for fleksjob, så den er tom."))
    if not group_new.n.sum():
        notes.append(Finding(ADVARSEL, "forloeb", f"Ingen forløb er startet fra 01-01-{rules.year} til "
                             f"{status_date:%d-%m-%Y}; prognosen regner ikke med nye forløb."))

    g_rates = {scen: _rate(group_new, scen, obs_days) for scen in SCENARIOS[1:]}
    f_rates = {scen: _rate(fleks_new, scen, obs_days) for scen in SCENARIOS[1:]} if fleks_new is not None else None
    scen_aggs = {}
    for scen in SCENARIOS:
        schemes = agg_known.schemes.copy()
        fleks = agg_known.fleksjob.copy()
        if scen != "sikker":
            schemes["status"] = schemes["status"].to_numpy() + _added(g_rates, g_exp[0], scen) \
                .reindex(schemes.index, fill_value=0.0).to_numpy()
            if f_rates is not None:
                fleks = fleks + _added(f_rates, f_exp[0], scen).reindex(fleks.index, fill_value=0.0)
        scen_aggs[scen] = Aggregates(rules.year, schemes, fleks)
    tidy = {"til_dato": compute_status(agg_to_date, rules)}
    tidy.update({s: compute_status(a, rules) for s, a in scen_aggs.items()})
    if fleks_frame is None:
        tidy = {k: _without_fleksjob(v, rules) for k, v in tidy.items()}

    base = tidy["sikker"]
    table = base[["aar", "enhed", "linje"]].copy()
    table["status_til_dato"] = tidy["til_dato"]["status"].to_numpy()
    table["sikker_aarsstatus"] = base["status"].to_numpy()
    table["prognose_aarsstatus"] = tidy["prognose"]["status"].to_numpy()
    table["prognose_lav"] = tidy["lav"]["status"].to_numpy()
    table["prognose_hoej"] = tidy["hoej"]["status"].to_numpy()
    table["maaltal"] = base["maaltal"].to_numpy()
    table["prognose_maalopfyldelse"] = tidy["prognose"]["maalopfyldelse"].to_numpy()
    table["til_dato_maalopfyldelse"] = tidy["til_dato"]["maalopfyldelse"].to_numpy()
    table["sikker_maalopfyldelse"] = base["maalopfyldelse"].to_numpy()
    table["lav_maalopfyldelse"] = tidy["lav"]["maalopfyldelse"].to_numpy()
    table["hoej_maalopfyldelse"] = tidy["hoej"]["maalopfyldelse"].to_numpy()
    starts = _start_counts(group_new, fleks_new, rules, future / obs_days)
    table = table.merge(starts, on=["enhed", "linje"], how="left")
    table = table[TABLE_COLUMNS].reset_index(drop=True)

    monthly = _monthly(known, rules, basis, status_date, g_rates, g_exp[1:], f_rates, f_exp[1:] if f_exp else None,
                       table, fleks_frame is not None)
    return table, monthly, notes


# ---------------------------------------------------------------- the pieces

def _known(register: Register, status_date: dt.date) -> Register:
    """The register as it was known at pr: only what started on or before pr."""
    day = np.datetime64(status_date, "D")
    f = register.forloeb
    forloeb = f[_as_days(f["start"]) <= day]
    fleks = register.fleksjob
    if fleks is not None:
        fleks = fleks[_as_days(fleks["start"]) <= day]
    return Register(forloeb, fleks, register.fleksjob_antal)


def _future_days(status_date: dt.date, year: Period) -> int:
    return (year.end - status_date).days


@dataclass
class _NewStarts:
    """Per key (unit, or (unit, scheme)): starts so far `n`, and the lengths future starts get."""

    n: pd.Series                              # key -> starts from 1 January to pr
    lengths: dict                              # key -> (capped lengths in days, hours, weight) arrays


def _new_starts(frame: pd.DataFrame, rules: YearRules, status_date: dt.date, year: Period, units: list[str],
                scheme: bool, with_hours: bool) -> _NewStarts:
    s = _as_days(frame["start"])
    e = _as_days(frame["slut"])
    p0, day = np.datetime64(year.start, "D"), np.datetime64(status_date, "D")
    cap = max(_future_days(status_date, year), 1)    # longer is the same as running to 31 December
    this_year = (s >= p0) & (s <= day)
    length = np.where(np.isnat(e), cap, (e - s).astype(np.int64) + 1)
    length = np.minimum(length, cap)
    # hours matter only on the weekday basis; leaving them out elsewhere keeps the distributions short
    hours = (frame["timer_pr_uge"].to_numpy(dtype=float) if with_hours and "timer_pr_uge" in frame
             else np.full(len(frame), np.nan))
    unit = frame["forvaltning"].astype(str).to_numpy()
    keys_scheme = list(rules.group) if scheme else [None]
    sch = frame["ordning"].astype(str).to_numpy() if scheme else None
    n, lengths = {}, {}
    for sc in keys_scheme:
        in_scheme = this_year & (sch == sc) if scheme else this_year
        pooled = _distribution(length[in_scheme], hours[in_scheme])
        for u in units:
            if u == KK:
                continue
            rows = in_scheme & (unit == u)
            key = (u, sc) if scheme else u
            n[key] = int(rows.sum())
            lengths[key] = _distribution(length[rows], hours[rows]) if rows.any() else pooled
    index = (pd.MultiIndex.from_tuples(list(n), names=["enhed", "ordning"]) if scheme
             else pd.Index(list(n), name="enhed"))
    return _NewStarts(pd.Series(list(n.values()), index=index, dtype=float), lengths)


def _distribution(length: np.ndarray, hours: np.ndarray):
    """The lengths (and hours) future starts are drawn from, each equally likely."""
    if not len(length):
        return None
    return length.astype(np.int64), hours.astype(float), np.full(len(length), 1.0 / len(length))


def _starts(dist, status_date: dt.date, future: int):
    """For measures that are not additive over days (fleksjob: employed in a month): a forløb
    starting on each day after pr with each distinct length, weighted by its share."""
    lengths, counts = np.unique(dist[0], return_counts=True)
    weight = counts / counts.sum()
    t = np.datetime64(status_date, "D") + np.arange(1, future + 1)
    start = np.repeat(t, len(lengths))
    end = start + (np.tile(lengths, future) - 1)
    return start, end, np.full(len(start), np.nan), np.tile(weight, future)


def _running_days(dist, status_date: dt.date, future: int):
    """For helårspersoner, which add up over days: a one-day forløb on each day d after pr (per
    hours value), weighted by how many of one start a day from pr+1 on are still running on d:
    Σ_{k=1}^{d-pr} P(length ≥ k). Equal to summing every (start day, length) forløb, in far fewer rows."""
    lengths, hours, weight = dist
    key = np.where(np.isnan(hours), -1.0, hours)      # hours are > 0 when given
    values, inverse = np.unique(key, return_inverse=True)
    days = np.datetime64(status_date, "D") + np.arange(1, future + 1)
    out_h, out_w = [], []
    for j, value in enumerate(values):
        rows = inverse == j
        at_least = np.bincount(lengths[rows], weights=weight[rows], minlength=future + 1)[::-1].cumsum()[::-1]
        out_w.append(np.cumsum(at_least[1:future + 1]))
        out_h.append(np.full(future, np.nan if value == -1.0 else value))
    start = np.tile(days, len(values))
    return start, start, np.concatenate(out_h), np.concatenate(out_w)


def _expected(new: _NewStarts, status_date: dt.date, future: int, periods: list[Period], forloeb_of,
              measure) -> list[pd.Series]:
    """Per period: key -> Σ over the days after pr of the mean `measure(start, end, hours, period)`
    of a forløb starting that day (one start a day; the rate multiplies it)."""
    out = [pd.Series(0.0, index=new.n.index) for _ in periods]
    if future <= 0:
        return out
    for key, dist in new.lengths.items():
        if dist is None:
            continue
        start, end, hours, weight = forloeb_of(dist, status_date, future)
        for series, period in zip(out, periods):
            series[key] = float(np.dot(measure(start, end, hours, period), weight))
    return out


def poisson_interval(n) -> tuple[np.ndarray, np.ndarray]:
    """The exact (Garwood) 90 % interval for the mean of a Poisson count n: the means at which n or
    more, and n or fewer, events have probability 5 %. Found by bisection on the Poisson
    distribution (numpy only); each distinct n once."""
    n = np.asarray(n, dtype=float)
    limits = {k: _garwood(int(k)) for k in np.unique(n)}
    low = np.array([limits[k][0] for k in n.ravel()], dtype=float).reshape(n.shape)
    high = np.array([limits[k][1] for k in n.ravel()], dtype=float).reshape(n.shape)
    return low, high


@functools.lru_cache(maxsize=4096)
def _garwood(n: int) -> tuple[float, float]:
    tail = (1 - LEVEL) / 2
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])

    def cdf(k: int, mu: float) -> float:      # P(X <= k) for X ~ Poisson(mu)
        if k < 0:
            return 0.0
        i = np.arange(k + 1)
        return float(np.exp(-mu + i * np.log(mu) - log_fact[:k + 1]).sum()) if mu > 0 else 1.0

    def solve(f, lo: float, hi: float) -> float:   # f decreasing in mu, root in [lo, hi]
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
        return (lo + hi) / 2

    top = n + 20 * np.sqrt(n + 1) + 20
    high = solve(lambda mu: cdf(n, mu) - tail, float(n), top)
    low = 0.0 if n == 0 else solve(lambda mu: cdf(n - 1, mu) - (1 - tail), 0.0, float(n))
    return low, high


def _rate(new: _NewStarts, scen: str, obs_days: int) -> pd.Series:
    n = new.n
    if scen == "prognose":
        count = n
    else:
        low, high = poisson_interval(n.to_numpy())
        count = pd.Series(low if scen == "lav" else high, index=n.index)
    return count / obs_days


def _added(rates: dict, per_start: pd.Series, scen: str) -> pd.Series:
    rate = rates[scen]
    return rate * per_start.reindex(rate.index, fill_value=0.0)


def _start_counts(group_new: _NewStarts, fleks_new, rules: YearRules, ratio: float) -> pd.DataFrame:
    """Starts so far and expected further starts per unit and line (KK: the sum)."""
    rows = []
    g = group_new.n
    for (u, sc), n in g.items():
        rows.append((u, sc, n))
    for u, n in g.groupby(level="enhed", sort=False).sum().items():
        rows.append((u, SAMLET, n))
    if fleks_new is not None:
        for u, n in fleks_new.n.items():
            rows.append((u, rules.fleksjob, n))
    frame = pd.DataFrame(rows, columns=["enhed", "linje", "starter_til_dato"])
    kk = frame.groupby("linje", sort=False)["starter_til_dato"].sum().reset_index()
    kk.insert(0, "enhed", KK)
    frame = pd.concat([frame, kk], ignore_index=True)
    frame["forventede_starter"] = frame["starter_til_dato"] * ratio
    return frame


def _monthly(known: Register, rules: YearRules, basis: str, status_date: dt.date, g_rates, g_exp, f_rates, f_exp,
             table: pd.DataFrame, has_fleks: bool) -> pd.DataFrame:
    """One row per unit, line and month (the group schemes, Samlet and Fleksjob)."""
    targets = table.set_index(["enhed", "linje"])["maaltal"]
    frames = []
    for m in range(1, 13):
        month = Period.months(rules.year, m, m)
        agg = aggregate(known, rules, month, basis, month)
        per = {}
        for scen in SCENARIOS:
            schemes = agg.schemes.copy()
            fleks = agg.fleksjob.copy()
            if scen != "sikker":
                schemes["status"] = schemes["status"].to_numpy() + _added(g_rates, g_exp[m - 1], scen) \
                    .reindex(schemes.index, fill_value=0.0).to_numpy()
                if f_rates is not None:
                    fleks = fleks + _added(f_rates, f_exp[m - 1], scen).reindex(fleks.index, fill_value=0.0)
            per[scen] = compute_status(Aggregates(rules.year, schemes, fleks), rules)
            if not has_fleks:
                per[scen] = _without_fleksjob(per[scen], rules)
        base = per["sikker"]
        keep = base["linje"] != SAMLET_MAAL
        frame = base.loc[keep, ["aar", "enhed", "linje"]].copy()
        frame["maaned"] = m
        frame["sikker"] = base.loc[keep, "status"].to_numpy()
        frame["faktisk"] = frame["sikker"] if month.start <= status_date else np.nan
        frame["prognose"] = per["prognose"].loc[keep, "status"].to_numpy()
        frame["prognose_lav"] = per["lav"].loc[keep, "status"].to_numpy()
        frame["prognose_hoej"] = per["hoej"].loc[keep, "status"].to_numpy()
        frames.append(frame)
    monthly = pd.concat(frames, ignore_index=True)
    monthly["maaltal"] = targets.reindex(pd.MultiIndex.from_frame(monthly[["enhed", "linje"]])).to_numpy()
    order = {u: i for i, u in enumerate(dict.fromkeys(table["enhed"]))}
    monthly = monthly.sort_values(["enhed", "maaned"], key=lambda c: c.map(order) if c.name == "enhed" else c,
                                  kind="stable")
    return monthly[MONTHLY_COLUMNS].reset_index(drop=True)


def _without_fleksjob(tidy: pd.DataFrame, rules: YearRules) -> pd.DataFrame:
    """No fleksjob spells: the fleksjob figures and the weighted total are blank, never a 0."""
    out = tidy.copy()
    fl = out["linje"] == rules.fleksjob
    out.loc[fl, ["status", "maalopfyldelse"]] = np.nan
    out.loc[out["linje"] == SAMLET_MAAL, "maalopfyldelse"] = np.nan
    return out


def month_weights(year: int, basis: str = "kalenderdage") -> np.ndarray:
    """Each month's weight in the year's helårspersoner: its days (weekdays) over the year's."""
    y = Period.year(year)
    return np.array([days_in_period(Period.months(year, m, m), basis) for m in range(1, 13)], dtype=float) \
        / days_in_period(y, basis)


# ---------------------------------------------------------------- as shown (terminal and sheet)

FORECAST_HEADER = ["Status til dato", "Sikker årsstatus", "Prognose", "Lav", "Høj", "Måltal",
                   "Målopfyldelse, sikker", "Målopfyldelse, prognose"]


def forecast_rows(fc: "Forecast", unit: str) -> list[tuple[str, list[float], list[bool]]]:
    """One unit's table as shown on screen and on the sheet: (label, unrounded values, is-percent)."""
    from .tables import scheme_label
    t = fc.table[fc.table["enhed"] == unit]
    out = []
    pct = [False] * 6 + [True, True]
    for r in t.to_dict("records"):
        label = r["linje"]
        if label == fc.rules.fleksjob:
            label = f"{label} (antal ansatte)"
        elif label == SAMLET_MAAL:
            label = "Samlet målopfyldelse (vægtet gennemsnit)"
        elif label in fc.rules.group:
            label = scheme_label(label)
        out.append((label, [r["status_til_dato"], r["sikker_aarsstatus"], r["prognose_aarsstatus"], r["prognose_lav"],
                            r["prognose_hoej"], r["maaltal"], r["sikker_maalopfyldelse"], r["prognose_maalopfyldelse"]],
                    pct))
    return out


def forecast_title(fc: "Forecast") -> str:
    return (f"Prognose for {fc.settings.year}, opgjort pr. {fc.status_date:%d-%m-%Y}: når vi målet i år? "
            f"Grundlag: {fc.settings.basis}.")


FORECAST_NOTES = [
    "Status til dato: 1. januar til opgørelsesdatoen (fleksjob: ansatte i opgørelsesdatoens måned; de øvrige "
    "fleksjobtal er ansatte i referencemåneden, normalt december).",
    "Sikker årsstatus: hele året med de forløb, der er startet senest på opgørelsesdatoen, hver til sin "
    "registrerede slutdato (tom slutdato = til 31. december).",
    "Prognose: sikker årsstatus plus forventede nye forløb resten af året (startrate og varighed for årets "
    "forløb til dato pr. forvaltning og ordning); lav og høj er et 90 %-interval for antallet af nye starter.",
]

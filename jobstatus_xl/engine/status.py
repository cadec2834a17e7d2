"""From a register (or given aggregates) to status tables shaped like the note's.

Everything here works on unrounded figures; rounding happens only when a figure is shown
(`jobstatus_xl.engine.rounding`). KK is always the sum of the forvaltninger's unrounded figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .helaarspersoner import Basis, _as_days, clipped, days_counted, days_in_period, employed_in, shares
from .periods import Period
from .register import Register
from .rules import FORVALTNINGER, KK, UNIT_NAMES, YearRules
from .values import FRACTIONAL, WHOLE, numbers_of

TIDY_COLUMNS = ["aar", "enhed", "linje", "status", "maaltal", "maalopfyldelse", "antal_forloeb"]
SAMLET = "Samlet"
SAMLET_MAAL = "Samlet målopfyldelse"


@dataclass(frozen=True)
class Aggregates:
    """Per unit and scheme: helårspersoner and antal forløb; per unit: fleksjob headcount."""

    year: int
    schemes: pd.DataFrame   # index (enhed, ordning); columns status, antal_forloeb
    fleksjob: pd.Series     # index enhed


def aggregate(register: Register, rules: YearRules, period: Period | None = None,
              basis: Basis = "kalenderdage", reference_month: Period | None = None) -> Aggregates:
    """Helårspersoner and antal forløb per forvaltning and scheme, fleksjob per forvaltning."""
    period = period or Period.year(rules.year)
    f = register.forloeb
    # Group sums on integer codes (forvaltning x ordning): the parsed register's categoricals give them.
    u_codes, u_names = _codes(f["forvaltning"])
    o_codes, o_names = _codes(f["ordning"])
    n_u, n_o = len(u_names), len(o_names)
    hours = f["timer_pr_uge"].to_numpy(dtype=float) if "timer_pr_uge" in f else None
    status, count = group_totals(u_codes * n_o + o_codes, n_u * n_o, f["start"], f["slut"], period, basis, hours)
    grouped = pd.DataFrame({"status": status, "antal_forloeb": count},
                           index=pd.MultiIndex.from_product([list(u_names), list(o_names)],
                                                            names=["enhed", "ordning"]))
    present = np.bincount(u_codes, minlength=n_u) > 0
    # Every forvaltning gets a table, with zeros where it has no forløb, so KK's target is
    # always the sum of all seven and table numbers never shift.
    units = _units(pd.Series(FORVALTNINGER + [u for u, p in zip(u_names, present) if p], dtype=object))
    full = pd.MultiIndex.from_product([units, list(rules.group)], names=["enhed", "ordning"])
    schemes = grouped.reindex(full, fill_value=0)
    schemes["antal_forloeb"] = schemes["antal_forloeb"].astype(float)

    if register.fleksjob is not None:
        fj = register.fleksjob
        month = reference_month or period.last_month
        i_codes, _ = _codes(fj["id"])
        fu_codes, fu_names = _codes(fj["forvaltning"])
        per_unit = headcounts(fu_codes, len(fu_names), fj["start"], fj["slut"], month, i_codes)
        fleks = pd.Series(per_unit.astype(float), index=pd.Index(list(fu_names), dtype=object, name="forvaltning"))
        fleks = fleks[np.bincount(fu_codes, minlength=len(fu_names)) > 0]
    elif register.fleksjob_antal is not None:
        fleks = register.fleksjob_antal.astype(float)
    else:
        fleks = pd.Series(dtype=float)
    fleks = fleks.reindex(units, fill_value=0.0)
    return Aggregates(rules.year, schemes, fleks)


def group_totals(key: np.ndarray, n_groups: int, start, end, period: Period, basis: Basis = "kalenderdage",
                 hours=None) -> tuple[np.ndarray, np.ndarray]:
    """(helårspersoner, antal forløb) per group: `key` holds each forløb's group number (0 to
    n_groups - 1). The one place where forløb become group figures: the status tables and the
    worksheet functions both sum here, so they give the same figures to the last digit."""
    start, end = _as_days(start), _as_days(end)    # datetime64[D] once, not per helper
    clip = clipped(start, end, period)     # once: both the shares and the overlaps come from it
    overlaps = clip[2]
    key = np.asarray(key, dtype=np.int64)
    if basis == "hverdage" and hours is not None and not np.isnan(hours).all():
        # hours make each share a fraction: pandas' compensated group sum keeps the last digits
        share = shares(clip, period, basis, hours)
        status = np.zeros(n_groups)
        if len(key):
            sums = pd.Series(share).groupby(key, sort=False).sum()
            status[sums.index.to_numpy()] = sums.to_numpy()
    else:
        # whole days (calendar or weekdays) per group, summed exactly, then one division per group
        days = days_counted(clip, period, basis).astype(float)
        status = np.bincount(key, weights=days, minlength=n_groups) / days_in_period(period, basis)
    count = np.bincount(key[overlaps], minlength=n_groups).astype(np.int64)
    return status, count


def headcounts(key: np.ndarray, n_groups: int, start, end, month: Period, person=None) -> np.ndarray:
    """Employed in the reference month per group: distinct persons (`person` codes, int) per group,
    or spells when no persons are given. A person employed in two groups counts in each (KK, the
    sum of the forvaltninger, then counts them twice, as the note does)."""
    on = employed_in(_as_days(start), _as_days(end), month)
    key = np.asarray(key, dtype=np.int64)
    if person is None:
        return np.bincount(key[on], minlength=n_groups)
    # distinct (person, group) pairs, counted on integer codes
    n = max(n_groups, 1)
    pairs = np.sort(np.asarray(person, dtype=np.int64)[on] * n + key[on])
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return np.bincount(pairs[first] % n, minlength=n_groups)


def _codes(column: pd.Series) -> tuple[np.ndarray, Sequence]:
    """(int64 codes, names) of a column: a categorical's own codes and the parser's person numbers
    as they are, else factorized; missing values are not expected here (the parser left them out)."""
    if column.dtype.kind == "i":
        return column.to_numpy().astype(np.int64), range(int(column.max()) + 1 if len(column) else 0)
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int64), list(column.cat.categories)
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=False)
    return codes.astype(np.int64), list(uniques)


def aggregates_from_table(table: pd.DataFrame, rules: YearRules) -> Aggregates:
    """Aggregates given directly (e.g. 2023's published figures: no micro data exists).

    table: columns enhed, ordning, status, antal_forloeb; the fleksjob scheme's status is its headcount.
    """
    t = table.copy()
    # the same reading of a typed number ("112,4") as the check that let it through
    t["status"] = numbers_of(t["status"], FRACTIONAL)[0]
    t["antal_forloeb"] = numbers_of(t["antal_forloeb"], WHOLE)[0]
    is_fleks = t["ordning"] == rules.fleksjob
    schemes = t.loc[~is_fleks].set_index(["enhed", "ordning"])[["status", "antal_forloeb"]]
    units = _units(t["enhed"])
    full = pd.MultiIndex.from_product([units, list(rules.group)], names=["enhed", "ordning"])
    schemes = schemes.reindex(full, fill_value=0.0)
    fleks = t.loc[is_fleks].set_index("enhed")["status"].reindex(units, fill_value=0.0)
    return Aggregates(rules.year, schemes, fleks)


def _units(values: pd.Series) -> list[str]:
    """Units present, in the note's order (known forvaltninger first, then any others as given)."""
    present = [str(v) for v in pd.unique(pd.Series(values, dtype=object))]
    return [u for u in UNIT_NAMES if u in present] + [u for u in present if u not in UNIT_NAMES]


def compute_status(agg: Aggregates, rules: YearRules) -> pd.DataFrame:
    """The tidy status: one row per unit and line, unrounded, with `TIDY_COLUMNS`.

    Lines per unit: each group scheme; `Samlet` (the group: status, target, attainment, total
    antal forløb); the fleksjob scheme; `Samlet målopfyldelse` (the weighted total).
    KK is added as the sum of the forvaltninger unless the aggregates are KK's own (2023).
    """
    schemes = agg.schemes
    fleks = agg.fleksjob
    units = list(dict.fromkeys(schemes.index.get_level_values("enhed")))
    if KK not in units:
        kk = schemes.groupby(level="ordning", sort=False).sum()
        kk.index = pd.MultiIndex.from_product([[KK], kk.index], names=["enhed", "ordning"])
        schemes = pd.concat([schemes, kk])
        fleks = pd.concat([fleks, pd.Series({KK: fleks.sum()})])
        units = units + [KK]

    group = list(rules.group)
    order = [KK] + [u for u in units if u != KK]
    # one lookup for all units: status and antal forløb as (unit x scheme) arrays
    full = schemes.reindex(pd.MultiIndex.from_product([order, group]), fill_value=0.0)
    status = full["status"].to_numpy(dtype=float).reshape(len(order), len(group))
    antal = full["antal_forloeb"].to_numpy(dtype=float).reshape(len(order), len(group))
    fleks_of = fleks.to_dict()
    rows = []
    for k, unit in enumerate(order):
        for j, scheme in enumerate(group):
            rows.append((unit, scheme, status[k, j], np.nan, np.nan, antal[k, j]))
        s = float(np.nansum(status[k]))             # as pandas sums: blanks skipped
        t = rules.target(unit, "maaltal_gruppe", units)
        a_group = _ratio(s, t)
        n_forloeb = np.nan if np.isnan(antal[k]).all() else float(np.nansum(antal[k]))
        rows.append((unit, SAMLET, s, t, a_group, n_forloeb))
        fj = float(fleks_of.get(unit, 0.0))
        tf = rules.target(unit, "maaltal_fleksjob", units)
        a_fleks = _ratio(fj, tf)
        rows.append((unit, rules.fleksjob, fj, tf, a_fleks, np.nan))
        weighted = rules.weight_group * a_group + rules.weight_fleksjob * a_fleks
        rows.append((unit, SAMLET_MAAL, np.nan, np.nan, weighted, np.nan))
    tidy = pd.DataFrame(rows, columns=TIDY_COLUMNS[1:])
    tidy.insert(0, "aar", agg.year)
    return tidy


def _ratio(status: float, target: float) -> float:
    if not np.isfinite(target) or target <= 0:
        return float("nan")
    return status / target


def weighted_attainment(attainments, weights) -> float:
    """Σ attainment × weight / Σ weight (weights as 55;45 or 0.55;0.45 mean the same)."""
    a = np.asarray(attainments, dtype=float)
    w = np.asarray(weights, dtype=float)
    if a.shape != w.shape:
        raise ValueError("Målopfyldelser og vægte skal have samme antal værdier.")
    total = w.sum()
    if total <= 0:
        raise ValueError("Summen af vægtene skal være større end 0.")
    return float((a * w).sum() / total)

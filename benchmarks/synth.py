"""Seeded synthetic registers of any size, generated directly as numpy arrays.

A register of n forløb for the year 2024: 7 forvaltninger × the 3 schemes of 2024's group,
people with 1–3 consecutive forløb each (so no exact duplicates and no overlapping forløb of one
person in one scheme: every row counts, in the engine and in a spreadsheet alike), scheme-typical
durations, people starting from 2023 to late 2024 (some forløb end before 2024, some start after it),
and about 10 % still running (blank end). Plus a fleksjob register of n // 4 employment spells.

Everything is vectorised: 10 million forløb take a few seconds and about 1 GB as typed arrays.
Dates are held as int32 days since 1970-01-01; a blank end is `BLANK` (-1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

UNITS = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
# Rough shares of the register per forvaltning (BUF is by far the largest, as in the targets).
UNIT_SHARES = np.array([56, 457, 39, 184, 205, 61, 82], dtype=float)
SCHEMES = ["Virksomhedspraktik", "Løntilskud", "Småjob under det sociale frikort"]
SCHEME_SHARES = np.array([0.5, 0.35, 0.15])
# Duration ranges in days per scheme: praktik weeks, løntilskud months, småjob months to years.
SCHEME_DAYS = [(14, 91), (60, 365), (30, 730)]
BLANK = np.int32(-1)
EPOCH = dt.date(1970, 1, 1)
YEAR = 2024
FIRST_START = (dt.date(2023, 1, 1) - EPOCH).days
LAST_START = (dt.date(2024, 10, 31) - EPOCH).days
RUNNING_SHARE = 0.10
SEED = 20240531


@dataclass
class Register:
    """Typed columns of a synthetic register. Codes index UNITS / SCHEMES."""

    person: np.ndarray      # int64 person number (id = SYNT-<person>)
    unit: np.ndarray        # int8 index into UNITS
    scheme: np.ndarray      # int8 index into SCHEMES
    start: np.ndarray       # int32 days since 1970-01-01
    end: np.ndarray         # int32 days since 1970-01-01, BLANK = still running
    hours: np.ndarray       # float64 hours per week (NaN = blank)
    f_person: np.ndarray    # fleksjob spells: person number, unit, start, end
    f_unit: np.ndarray
    f_start: np.ndarray
    f_end: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, k).nbytes for k in self.__dataclass_fields__)


def generate(n: int, seed: int = SEED) -> Register:
    rng = np.random.default_rng([seed, n])
    # People with 1-3 consecutive forløb: person numbers in runs, then the rows are shuffled.
    k = rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1])
    person_of = np.repeat(np.arange(n, dtype=np.int64), k)[:n]
    first = np.r_[True, person_of[1:] != person_of[:-1]]
    last = np.r_[person_of[1:] != person_of[:-1], True]
    unit_of_person = rng.choice(len(UNITS), size=n, p=UNIT_SHARES / UNIT_SHARES.sum()).astype(np.int8)
    unit = unit_of_person[person_of]
    scheme = rng.choice(len(SCHEMES), size=n, p=SCHEME_SHARES).astype(np.int8)
    lo = np.array([a for a, _ in SCHEME_DAYS])[scheme]
    hi = np.array([b for _, b in SCHEME_DAYS])[scheme]
    duration = (lo + rng.random(n) * (hi - lo + 1)).astype(np.int64)   # days, inclusive
    gap = rng.integers(1, 120, size=n)                                  # days before the next forløb
    # A person's first forløb starts anywhere in the window; each next one after the previous end.
    step = duration + gap
    cum = np.cumsum(step)
    run_start_cum = np.maximum.accumulate(np.where(first, cum - step, 0))
    offset = cum - step - run_start_cum                                  # days since the person's first start
    base = rng.integers(FIRST_START, LAST_START + 1, size=n)[person_of]
    start = (base + offset).astype(np.int32)
    end = (start + duration - 1).astype(np.int32)
    running = last & (rng.random(n) < RUNNING_SHARE / 0.6)              # only a person's last forløb runs on
    end = np.where(running, BLANK, end).astype(np.int32)
    hours = rng.choice(np.array([37.0, 37.0, 30.0, 25.0, 20.0, 15.0, 10.0, np.nan]), size=n)

    order = rng.permutation(n)
    nf = max(n // 4, 1)
    f_start = rng.integers((dt.date(2005, 1, 1) - EPOCH).days, (dt.date(2025, 3, 31) - EPOCH).days, size=nf)
    f_dur = rng.integers(30, 12 * 365, size=nf)
    f_end = np.where(rng.random(nf) < 0.5, BLANK, f_start + f_dur - 1)
    return Register(person_of[order], unit[order], scheme[order], start[order], end[order], hours[order],
                    np.arange(nf, dtype=np.int64), rng.choice(len(UNITS), size=nf).astype(np.int8),
                    f_start.astype(np.int32), f_end.astype(np.int32))


# ------------------------------------------------------------------ column conversions

def as_datetime64(days: np.ndarray) -> np.ndarray:
    """int days -> datetime64[D] with NaT for BLANK."""
    out = days.astype("datetime64[D]")
    out[days == BLANK] = np.datetime64("NaT")
    return out


def as_excel_serial(days: np.ndarray) -> np.ndarray:
    """int days since 1970 -> Excel serial numbers (float, NaN for BLANK)."""
    out = days.astype(np.float64) + 25569.0
    out[days == BLANK] = np.nan
    return out


def ids(person: np.ndarray, prefix: str) -> np.ndarray:
    """Obviously synthetic ids as Python str objects: SYNT-P00000001."""
    s = pd.Series(person.astype(str), dtype=object)
    return (prefix + s.str.zfill(8)).to_numpy(dtype=object)


def _codes_to_objects(codes: np.ndarray, labels: list[str]) -> np.ndarray:
    table = np.array(labels, dtype=object)
    return table[codes]


def _dates_to_objects(days: np.ndarray) -> np.ndarray:
    """What xlwings reads from a date cell: datetime.datetime; a blank cell: None."""
    obj = days.astype("datetime64[D]").astype("datetime64[us]").astype(object)
    obj[days == BLANK] = None
    return obj


def sheet_values(reg: Register) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The register as an xlwings reader hands it over (`sheets.table_from_grid`'s output):
    object columns holding str codes, datetime.datetime dates, None for blank cells, float hours."""
    hours = reg.hours.astype(object)
    hours[np.isnan(reg.hours)] = None
    forloeb = pd.DataFrame({
        "id": ids(reg.person, "SYNT-P"),
        "forvaltning": _codes_to_objects(reg.unit, UNITS),
        "ordning": _codes_to_objects(reg.scheme, SCHEMES),
        "start": _dates_to_objects(reg.start),
        "slut": _dates_to_objects(reg.end),
        "timer_pr_uge": hours,
    }, dtype=object)
    fleksjob = pd.DataFrame({
        "id": ids(reg.f_person, "SYNT-F"),
        "forvaltning": _codes_to_objects(reg.f_unit, UNITS),
        "start": _dates_to_objects(reg.f_start),
        "slut": _dates_to_objects(reg.f_end),
    }, dtype=object)
    return forloeb, fleksjob


def _id_categorical(person: np.ndarray, prefix: str) -> pd.Categorical:
    """Ids as a categorical: a code per row into the distinct id texts."""
    codes, people = pd.factorize(person)
    return pd.Categorical.from_codes(codes, categories=ids(people, prefix))


def typed_columns(reg: Register) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The register with typed columns: categoricals for text (ids, forvaltning, ordning: a code per
    row into the distinct values), datetime64 dates (NaT = blank), float hours. What a reader that
    types columns itself gives (`pandas.read_csv(..., dtype="category")`, an Arrow dictionary column)."""
    forloeb = pd.DataFrame({
        "id": _id_categorical(reg.person, "SYNT-P"),
        "forvaltning": pd.Categorical.from_codes(reg.unit, UNITS),
        "ordning": pd.Categorical.from_codes(reg.scheme, SCHEMES),
        "start": as_datetime64(reg.start).astype("datetime64[ns]"),
        "slut": as_datetime64(reg.end).astype("datetime64[ns]"),
        "timer_pr_uge": reg.hours,
    })
    fleksjob = pd.DataFrame({
        "id": _id_categorical(reg.f_person, "SYNT-F"),
        "forvaltning": pd.Categorical.from_codes(reg.f_unit, UNITS),
        "start": as_datetime64(reg.f_start).astype("datetime64[ns]"),
        "slut": as_datetime64(reg.f_end).astype("datetime64[ns]"),
    })
    return forloeb, fleksjob

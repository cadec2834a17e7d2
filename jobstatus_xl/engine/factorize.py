"""Raw columns factorised once: per-value work is done per distinct value and spread back to rows.

Registers repeat the same dates and codes over and over, so every check of a raw column is decided
once per distinct value and spread back with `take`: a 1,000,000-row register has a few thousand
distinct dates. `Factorized` is such a column; `Prefilter` says, from one vectorised scan of its
distinct texts, which values the exact (Python) checks need to look at at all; `RawTable` is a raw
table whose columns are factorised at most once, however many checks read them.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import pandas as pd

from .findings import CPR_PATTERN
from .values import _DATE_TYPES, dates_of

_DIGIT_OR_NON_ASCII = bytes(1 if (0x30 <= c <= 0x39 or c >= 0x80) else 0 for c in range(256))


class Prefilter(NamedTuple):
    """Per distinct value: can it be ...? (supersets of the exact checks' answers)."""

    maybe_blank: np.ndarray     # missing or only spaces
    maybe_error: np.ndarray     # an Excel error value (#N/A, ...) or one of our #FEJL messages
    maybe_cpr: np.ndarray       # holding something that looks like a CPR number
    needs_strip: np.ndarray     # changed by `str.strip` (or not text: ids become text)


class Factorized:
    """A raw column as `codes` (per row, -1 = missing) into `uniques` (its distinct values); for a
    typed date column also `dates`, each unique's date (datetime64[D]), so nothing is parsed."""

    def __init__(self, codes: np.ndarray, uniques: np.ndarray, dates: np.ndarray | None = None):
        self.codes, self.uniques, self.dates = codes, uniques, dates

    @functools.cached_property
    def prefilter(self) -> Prefilter:
        """Which uniques the exact checks must look at (decided lazily, once)."""
        if self.dates is not None:      # dates are never text: nothing to check per value
            none = np.zeros(len(self.uniques), dtype=bool)
            return Prefilter(none, none, none, none)
        return text_prefilter(self.uniques)


def factorize(values) -> Factorized:
    """A raw column factorised; missing values get code -1.

    Typed columns are factorised without making a Python object per row: categoricals give their
    codes and categories, datetime64 and numeric columns are hashed as numbers; only the (few)
    uniques become objects, the same objects the object path gives.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.intp)
        return Factorized(codes, np.asarray(s.cat.categories.astype(object), dtype=object))
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":     # numpy datetime64 (not tz-aware)
        days = s.to_numpy().astype("datetime64[D]").view(np.int64)
        valid = days != np.iinfo(np.int64).min
        if valid.any():
            big = np.iinfo(np.int64).max
            d0, d1 = int(days.min(where=valid, initial=big)), int(days.max(where=valid, initial=-big))
            if d1 - d0 <= 4 * len(days) + 1024:     # a dense range of days: the day number is the code
                uniques = np.arange(d0, d1 + 1).astype("datetime64[D]")
                return Factorized(np.where(valid, days - d0, -1), uniques, dates=uniques)
    if s.dtype == object:
        codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return Factorized(codes, np.asarray(uniques, dtype=object))


class RawTable:
    """A raw table as read, whose columns are factorised on first use and then shared by every check
    (the Excel-error check and the register parse). Columns with a repeated label are factorised
    each time they are asked for, since the label names no single column."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._columns: dict | None = {} if frame.columns.is_unique else None

    @classmethod
    def of(cls, table: pd.DataFrame | RawTable) -> RawTable:
        return table if isinstance(table, RawTable) else cls(table)

    def column(self, label) -> Factorized:
        if self._columns is None:
            return factorize(self.frame[label])
        if label not in self._columns:
            self._columns[label] = factorize(self.frame[label])
        return self._columns[label]


def text_prefilter(uniques: np.ndarray) -> Prefilter:
    """The `Prefilter` of distinct values, decided in bulk on the UTF-8 bytes of all str values
    joined by NUL (one pass of numpy over the bytes, no Python work per value): a value whose first
    byte is printable ASCII (not a space) is not blank, and unless that byte is '#' no Excel error;
    one with fewer than 10 bytes that are ASCII digits or non-ASCII (every non-ASCII digit is) holds
    no CPR number; one starting and ending in printable ASCII is unchanged by strip. Text holding NUL
    is a candidate for every exact check; other values as the exact checks need (numbers may be CPR
    numbers).
    """
    n = len(uniques)
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        is_str = np.ones(n, dtype=bool)
    else:
        is_str = np.fromiter((type(v) is str for v in uniques), dtype=bool, count=n)
    # the exact checks: only text is blank or an Excel error; a date (as datetime) holds no CPR number;
    # other values (numbers) are CPR candidates and, as ids, become text (strip)
    not_date = ~is_str
    other = np.flatnonzero(not_date)
    if len(other):
        not_date[other] = [type(v) not in _DATE_TYPES for v in uniques[other]]
    out = Prefilter(maybe_blank=np.zeros(n, bool), maybe_error=np.zeros(n, bool), maybe_cpr=not_date,
                    needs_strip=~is_str)
    idx = np.flatnonzero(is_str)
    if len(idx) == 0:
        return out
    text = uniques if len(idx) == n else uniques[idx]
    raw = "\x00".join(text).encode("utf-8", "surrogatepass") + b"\x00"
    b = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(b == 0)            # each value's terminating NUL
    if len(ends) != len(idx):                # a value holds NUL itself: check every value exactly
        for mask in out:
            mask[idx] = True
        return out
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    empty = ends == starts
    first, last = b[starts], b[np.maximum(ends - 1, 0)]
    printable_first = (first >= 0x21) & (first <= 0x7E) & ~empty
    printable_last = (last >= 0x21) & (last <= 0x7E) & ~empty
    out.maybe_blank[idx] = ~printable_first
    out.needs_strip[idx] = ~printable_first | ~printable_last
    out.maybe_error[idx] = ~printable_first | (first == 0x23)       # an error value is '#...' once stripped
    # a CPR number needs 10 digits, and a value that short in bytes has fewer characters still
    long_ = np.flatnonzero(ends - starts >= 10)
    if len(long_):
        # 1 for an ASCII digit or a non-ASCII byte, else 0: one C pass over the bytes, one buffer
        digits = np.frombuffer(raw.translate(_DIGIT_OR_NON_ASCII), dtype=np.uint8)
        # reduceat over [start, next start): the terminating NUL is no digit
        count = np.add.reduceat(digits, starts, dtype=np.int32)
        out.maybe_cpr[idx[long_]] = count[long_] >= 10
    return out


def per_unique(fz: Factorized, candidates: np.ndarray, check) -> np.ndarray:
    """`check(value)` for the uniques `candidates` (a `Prefilter` field) marks; False for the rest."""
    out = np.zeros(len(fz.uniques), dtype=bool)
    j = np.flatnonzero(candidates)
    if len(j):
        out[j] = [check(v) for v in fz.uniques[j]]
    return out


def spread(codes: np.ndarray, per_unique: np.ndarray, missing) -> np.ndarray:
    """Per-row values from per-unique values; rows with code -1 get `missing` (appended as the
    last entry, which index -1 takes)."""
    table = np.empty(len(per_unique) + 1, dtype=per_unique.dtype)
    table[:-1] = per_unique
    table[-1] = missing
    return table.take(codes)


def blank(fz: Factorized) -> np.ndarray:
    """Per row: an empty cell (missing, or text with nothing but spaces)."""
    blank_u = per_unique(fz, fz.prefilter.maybe_blank, lambda v: isinstance(v, str) and not v.strip())
    return spread(fz.codes, blank_u, True)


def cpr_per_unique(fz: Factorized) -> np.ndarray:
    """Per unique: does it hold something that looks like a CPR number?"""
    out = np.zeros(len(fz.uniques), dtype=bool)
    j = np.flatnonzero(fz.prefilter.maybe_cpr)
    if len(j):
        out[j] = pd.Series(fz.uniques[j], dtype=object).astype(str).str.contains(CPR_PATTERN, regex=True).to_numpy(dtype=bool)
    return out


def dates(fz: Factorized) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the date (datetime64[D], NaT if none), blank, and not a date."""
    if fz.dates is not None:        # a typed date column: blank is missing, nothing is bad
        return spread(fz.codes, fz.dates, np.datetime64("NaT")), fz.codes < 0, np.zeros(len(fz.codes), dtype=bool)
    d_u, blank_u, bad_u = dates_of(fz.uniques)
    return (spread(fz.codes, d_u, np.datetime64("NaT")).astype("datetime64[D]"),
            spread(fz.codes, blank_u, True), spread(fz.codes, bad_u, False))

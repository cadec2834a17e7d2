"""One parsed and aggregated register per distinct input, shared by the worksheet functions.

A status sheet holds many cells such as `=STATUS_HELAARSPERSONER("SOF"; "Løntilskud";
tblForloeb[forvaltning]; tblForloeb[ordning]; tblForloeb[start]; tblForloeb[slut]; ...)`. Excel
calls each cell on its own and hands every call the whole columns. Without sharing, every cell
reads, checks and aggregates the whole register again. Here the first call parses the columns and
aggregates every forvaltning and ordning at once; the other cells find the result by the CONTENT
of their arguments (a fingerprint), never by object identity: Excel and xlwings hand over fresh
objects on every call, and any change to any argument cell gives a new fingerprint, hence a new
computation. A refusal (bad input) is kept like a result, so every cell shows the same `#FEJL`.

The cache is small (a few registers, least recently used out first), thread-safe (classic
xlwings calls from its COM thread, xlwings Server may run calls in threads, xlwings Lite in one)
and holds only immutable results: read-only arrays, tuples and mappings that no caller can change.

A function over whole tables with their header rows (STATUSTABEL, the forecast PROGNOSE) keeps
one result per distinct input with `whole_tables(name, key_values, compute)`. For another function
over the same table columns, in udfs.py:

    table = udfcache.forloeb_columns(units, schemes, start_dates, end_dates)   # parsed once, shared
    as_of = udfcache.period(period_start, as_of_date)                          # or any xlconvert reader
    figures = udfcache.derived(table, "prognose", (as_of, basis),              # computed once per params
                               lambda: MappingProxyType({...}))               # immutable: it is shared
    return figures[(unit, scheme)]

`table.spells.start/slut` (datetime64[D], read-only), `table.units` and `table.schemes` (canonical
codes) are what the engine's functions take. No xlwings here: the worksheet functions (udfs.py)
convert and call; this module only computes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import marshal
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from . import xlconvert as xc
from .engine.findings import InputError
from .engine.periods import Period
from .engine.rules import KK
from .engine.status import group_totals, headcounts

DEFAULT_TABLES = 4      # parsed tables (registers) kept
DEFAULT_DERIVED = 64    # results computed from them (per period, basis, hours, reference month, ...)
_REFUSALS = (xc.CellError, InputError)


Key = tuple   # what `fingerprint` gives: compared exactly, hashed by Python's dict


def fingerprint(*values) -> Key | None:
    """A content key of argument values as xlwings hands them over: their exact, typed
    serialisation itself (marshal; for types marshal does not know, such as datetimes, pickle, or
    else each value's type and text). Two arguments get equal keys only when they hold the same
    values of the same types (TRUE, 1 and 1.0 differ); being the content, not a digest of it, no
    two contents can collide, and it costs no more than a hash would (about 16 bytes per cell of
    a date or code column: 6,4 MB for 100.000 forløb, held only while its result is cached). None when a value cannot be serialised: then nothing
    is cached."""
    try:
        # marshal's back-references depend on reference counts, so the same content may give
        # other bytes (a miss, never a wrong hit: marshal is decodable); for the values Excel
        # sends, fresh in every call, it does not, and text is 3x faster than without them
        return ("m", marshal.dumps(values))
    except ValueError:
        pass
    parts = []
    for v in values:
        try:
            parts.append(("m", marshal.dumps(v)))
        except ValueError:
            try:
                parts.append(("p", pickle.dumps(v, protocol=5)))
            except Exception:   # noqa: BLE001 - e.g. COM's datetime type: by type and text instead
                try:
                    parts.append(("t", marshal.dumps(_typed_text(v))))
                except ValueError:
                    return None
    return ("parts", tuple(parts))


def _typed_text(v):
    """Nested lists of (type name, text) pairs: exact for values whose text tells them apart
    (datetimes with their time zone: isoformat), used only where marshal and pickle cannot."""
    if isinstance(v, (list, tuple)):
        return [_typed_text(x) for x in v]
    if isinstance(v, (str, float, int, type(None))):
        return v
    t = type(v)
    return (f"{t.__module__}.{t.__qualname__}", v.isoformat() if isinstance(v, (dt.date, dt.time)) else repr(v))


class Memo:
    """A bounded LRU map key -> outcome (a result, or the refusal CellError/InputError it raised).
    Thread-safe: a key is computed once even when several threads ask for it at the same time;
    other keys are served meanwhile. Size 0 caches nothing (every call computes)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, tuple[bool, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable | None, compute: Callable[[], Any]):
        if key is None or self.size <= 0:
            return compute()
        hit = self._lookup(key)
        if hit is None:
            with self._lock:
                key_lock = self._computing.setdefault(key, threading.Lock())
            with key_lock:
                hit = self._lookup(key)     # another thread may have computed it meanwhile
                if hit is None:
                    hit = self._compute(key, compute)
            with self._lock:
                self._computing.pop(key, None)
        ok, payload = hit
        if ok:
            return payload
        raise payload.with_traceback(None)   # the same refusal, without piling up tracebacks

    def _lookup(self, key):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def _compute(self, key, compute):
        try:
            hit = (True, compute())
        except _REFUSALS as exc:
            hit = (False, exc)
        # anything else is a bug: it propagates uncached, so every cell reports and logs it
        with self._lock:
            self._items[key] = hit
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return hit


_tables = Memo(DEFAULT_TABLES)
_derived = Memo(DEFAULT_DERIVED)
_cells = Memo(DEFAULT_DERIVED)     # one-cell arguments read alike in every cell (the period)


def configure(tables: int = DEFAULT_TABLES, derived: int = DEFAULT_DERIVED) -> None:
    """Set the cache sizes (0, 0: no cache; every call computes from its arguments) and empty it."""
    _tables.size, _derived.size, _cells.size = tables, derived, derived
    clear()


def clear() -> None:
    _tables.clear()
    _derived.clear()
    _cells.clear()


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _frozen_spells(sp: xc.Spells) -> xc.Spells:
    return xc.Spells(_frozen(sp.start), _frozen(sp.end), _frozen(sp.keep), sp.rows)


# ---------------------------------------------------------------- parsed tables

@dataclass(frozen=True, eq=False)
class ForloebColumns:
    """The forløb table's columns, read and checked as the STATUS_ functions read them."""

    key: Key | None            # content fingerprint of the four columns (None: not cached)
    spells: xc.Spells          # start, slut (read-only), which input rows hold a forløb
    units: np.ndarray          # canonical forvaltning code per forløb (read-only)
    schemes: np.ndarray        # canonical ordning per forløb (read-only)


@dataclass(frozen=True, eq=False)
class FleksjobColumns:
    key: Key | None
    spells: xc.Spells
    units: np.ndarray


def forloeb_columns(units, schemes, start_dates, end_dates) -> ForloebColumns:
    """The forløb table's forvaltning, ordning, start and slut columns (raw argument values),
    parsed once per distinct content. Raises the table's first error (CellError), every time."""
    key = fingerprint("forloeb", units, schemes, start_dates, end_dates)

    def parse() -> ForloebColumns:
        fast = _distinct_rows(start_dates, end_dates, (units, schemes))
        if fast is not None:
            try:
                sp, (u, s) = fast
                return ForloebColumns(key, _frozen_spells(sp), _frozen(u.read(xc.table_units, sp)),
                                      _frozen(s.read(xc.table_schemes, sp)))
            except xc.CellError:
                pass     # a bad value: the row-by-row reading below names its row
        u_cells = xc.as_list(xc.cells(units), "forvaltningerne")
        s_cells = xc.as_list(xc.cells(schemes), "ordningerne")
        sp = xc.spells(xc.cells(start_dates), xc.cells(end_dates),
                       also=((u_cells, "forvaltningerne"), (s_cells, "ordningerne")))
        return ForloebColumns(key, _frozen_spells(sp), _frozen(xc.table_units(u_cells, sp)),
                              _frozen(xc.table_schemes(s_cells, sp)))

    return _tables.get(key and ("forloeb", key), parse)


def fleksjob_columns(units, start_dates, end_dates) -> FleksjobColumns:
    """The fleksjob table's forvaltning, start and slut columns, parsed once per distinct content."""
    key = fingerprint("fleksjob", units, start_dates, end_dates)

    def parse() -> FleksjobColumns:
        fast = _distinct_rows(start_dates, end_dates, (units,))
        if fast is not None:
            try:
                sp, (u,) = fast
                return FleksjobColumns(key, _frozen_spells(sp), _frozen(u.read(xc.table_units, sp)))
            except xc.CellError:
                pass
        u_cells = xc.as_list(xc.cells(units), "forvaltningerne")
        sp = xc.spells(xc.cells(start_dates), xc.cells(end_dates), also=((u_cells, "forvaltningerne"),))
        return FleksjobColumns(key, _frozen_spells(sp), _frozen(xc.table_units(u_cells, sp)))

    return _tables.get(key and ("fleksjob", key), parse)


# ---------------------------------------------------------------- reading each distinct value once
# A register of 100.000 forløb has a handful of distinct codes and a few thousand distinct dates.
# The readers in xlconvert work value by value; here they read each distinct value once and the
# result is spread back to the rows. Only when everything reads cleanly: on any error the caller
# reads the table row by row again, so the message (first bad row, its value) is the same.

@dataclass(frozen=True, eq=False)
class _Distinct:
    values: list            # distinct raw values, in the order they first occur
    codes: np.ndarray       # per row: its value's position in `values`

    def read(self, reader, sp: xc.Spells) -> np.ndarray:
        """`reader(cells, spells)` (xlconvert.table_units, table_schemes) of the kept rows."""
        kept = self.codes[sp.keep]
        present = np.unique(kept)
        one_each = xc.Spells(sp.start[:0], sp.end[:0], np.ones(len(present), dtype=bool), len(present))
        read = reader(xc.cells([self.values[i] for i in present]), one_each)
        out = np.empty(len(self.values), dtype=object)
        out[present] = read
        return out[kept]


def _distinct(value) -> _Distinct | None:
    """A plain one-column range by its distinct values; None for any other shape, and when equal
    values of different types could be merged (TRUE equals 1; 30 and 30.0 read differently as text)."""
    if not isinstance(value, (list, tuple)) or not set(map(type, value)) <= {list, tuple} \
            or set(map(len, value)) - {1}:
        return None
    flat = list(itertools.chain.from_iterable(value))     # C loops throughout: this runs over every row
    types = set(map(type, flat))
    if bool in types or (int in types and float in types) or not all(t.__hash__ for t in types):
        return None
    distinct = list(dict.fromkeys(flat))
    position = {v: i for i, v in enumerate(distinct)}
    return _Distinct(distinct, np.fromiter(map(position.__getitem__, flat), dtype=np.int64, count=len(flat)))


_ROW_BY_ROW = object()


def _hours_by_distinct(value, sp: xc.Spells):
    """`xlconvert.hours` of a whole column, each distinct value read once (_ROW_BY_ROW when that
    cannot be done or a value is refused: the row-by-row reading then gives the message)."""
    d = _distinct(value)
    if d is None or len(d.codes) != sp.rows or sp.rows == 1:
        return _ROW_BY_ROW
    k = len(d.values)
    one_each = xc.Spells(np.empty(k, "datetime64[D]"), np.empty(k, "datetime64[D]"), np.ones(k, dtype=bool), k)
    try:
        h = xc.hours(xc.cells([[v] for v in d.values]), one_each)
    except xc.CellError:
        return _ROW_BY_ROW
    return None if h is None else h[d.codes][sp.keep]


def _distinct_rows(start_dates, end_dates, others) -> tuple[xc.Spells, list[_Distinct]] | None:
    """`xlconvert.spells` over columns read by distinct value, and the other columns by distinct
    value; None when a column is not a plain column or the lengths differ (the full path says so)."""
    cols = [_distinct(v) for v in (start_dates, end_dates, *others)]
    if any(c is None for c in cols) or len({len(c.codes) for c in cols}) != 1:
        return None
    (a, b), rest = cols[:2], cols[2:]
    try:
        start, s_blank = xc.dates(xc.cells(a.values), "startdato")
        end, e_blank = xc.dates(xc.cells(b.values), "slutdato")
        also = [np.array([xc.is_blank(c) for c in xc.cells(o.values)], dtype=bool)[o.codes] for o in rest]
        sp = xc.spells_from(start[a.codes], s_blank[a.codes], end[b.codes], e_blank[b.codes], also)
    except xc.CellError:
        return None
    return sp, rest


def derived(table: ForloebColumns | FleksjobColumns, name: str, params: tuple, compute: Callable[[], Any]):
    """Something computed from a parsed table and hashable `params` (periods, strings, numbers,
    `fingerprint`s of further arguments; None in `params` means "could not be fingerprinted", so
    nothing is cached), kept beside it. The result must be immutable (tuples, read-only arrays,
    MappingProxyType): every later caller gets the same object."""
    cacheable = table.key is not None and all(p is not None for p in params)
    return _derived.get((table.key, name, params) if cacheable else None, compute)


NOT_GIVEN = "-"   # the key part of an optional argument left out


def period(start, end) -> Period:
    """`xlconvert.period` of two cells, read once per distinct pair of values (reading a date
    costs more than looking up a whole table's figure)."""
    key = fingerprint(start, end)
    return _cells.get(key and ("period", key), lambda: xc.period(start, end))


def reference_month(value) -> Period:
    """The month of a reference date (STATUS_FLEKSJOB), read once per distinct value."""
    key = fingerprint(value)
    return _cells.get(key and ("month", key), lambda: Period.month_of(xc.one_date(value, "referencedatoen")))


# ---------------------------------------------------------------- aggregated results

@dataclass(frozen=True)
class SchemeTotals:
    """Helårspersoner and antal forløb per (unit, scheme), KK included; (unit, scheme) pairs
    without forløb are 0."""

    status: Mapping[tuple[str, str], float]
    antal_forloeb: Mapping[tuple[str, str], int]

    def helaarspersoner(self, unit: str, scheme: str) -> float:
        return self.status.get((unit, scheme), 0.0)

    def forloeb(self, unit: str, scheme: str) -> int:
        return self.antal_forloeb.get((unit, scheme), 0)


def hours(table: ForloebColumns, value) -> tuple[np.ndarray | None, Key | str | None]:
    """(hours per forløb or None, their key for `scheme_totals`): the hours column (or one number)
    aligned with the table, parsed once per content."""
    if value is None:
        return None, NOT_GIVEN
    key = fingerprint(value)

    def parse():
        h = _hours_by_distinct(value, table.spells)
        if h is _ROW_BY_ROW:
            h = xc.hours(xc.cells(value), table.spells)
        return None if h is None else _frozen(h)

    return derived(table, "hours", (key,), parse), key


def scheme_totals(table: ForloebColumns, period: Period, basis: str, hours_per_week: np.ndarray | None = None,
                  hours_key: Key | str | None = NOT_GIVEN) -> SchemeTotals:
    """Every forvaltning's and KK's helårspersoner and antal forløb per ordning, summed by the
    engine's own `group_totals` (the figures `status` prints). `hours_key` is the key `hours` gave."""
    def compute() -> SchemeTotals:
        units = list(xc.FORVALTNINGER)
        schemes = list(xc.known_schemes())
        u = pd.Index(units).get_indexer(table.units)
        s = pd.Index(schemes).get_indexer(table.schemes)
        status, count = group_totals(u * len(schemes) + s, len(units) * len(schemes), table.spells.start,
                                     table.spells.end, period, basis, hours_per_week)
        index = pd.MultiIndex.from_product([units, schemes])
        frame = pd.DataFrame({"status": status, "antal_forloeb": count}, index=index)
        kk = frame.groupby(level=1, sort=False).sum()          # KK: the sum of the forvaltninger, as `status`
        kk.index = pd.MultiIndex.from_product([[KK], kk.index])
        frame = pd.concat([frame, kk])
        return SchemeTotals(MappingProxyType({k: float(v) for k, v in frame["status"].items()}),
                            MappingProxyType({k: int(v) for k, v in frame["antal_forloeb"].items()}))

    return derived(table, "scheme_totals", (period, basis, hours_key if hours_per_week is not None else NOT_GIVEN),
                   compute)


def fleksjob_headcounts(table: FleksjobColumns, month: Period, ids=None) -> Mapping[str, int]:
    """Employed in the month per forvaltning and KK (the sum of the forvaltninger); with ids a
    person counts once per forvaltning, as in the note's tables."""
    def compute() -> Mapping[str, int]:
        person = None
        if ids is not None:
            person = pd.factorize(xc.ids(xc.cells(ids), table.spells))[0]
        units = list(xc.FORVALTNINGER)
        per_unit = headcounts(pd.Index(units).get_indexer(table.units), len(units), table.spells.start,
                              table.spells.end, month, person)
        counts = {u: int(n) for u, n in zip(units, per_unit)}
        counts[KK] = sum(counts.values())
        return MappingProxyType(counts)

    return derived(table, "fleksjob", (month, NOT_GIVEN if ids is None else fingerprint(ids)), compute)


# ---------------------------------------------------------------- whole note tables (STATUSTABEL)

def whole_tables(name: str, key_values: tuple, compute: Callable[[], Any]) -> Any:
    """A function over whole input tables with their header rows (STATUSTABEL, PROGNOSE): one
    computation for every cell per distinct input. `key_values` are all arguments but what picks
    the cell's figure (raw, or values marshal takes: a date as its ordinal), `compute` returns what
    the cells look their figures up in, immutable (tuples, MappingProxyType). `name` keeps the
    functions' entries apart."""
    key = fingerprint(name, *key_values)
    return _tables.get(key and (name, key), compute)


def note_tables(key_values: tuple, compute: Callable[[], Mapping[str, tuple]]) -> Mapping[str, tuple]:
    """STATUSTABEL's tables for every unit: `key_values` are all arguments but the unit (raw),
    `compute` returns unit -> rows as tuples."""
    return whole_tables("note_tables", key_values, compute)

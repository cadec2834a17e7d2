"""Parse and check a raw register (strings, numbers, datetimes as sheets and CSV files give them).

Readers hand over raw tables exactly as read; this module maps header variants, parses dates
(ISO, Danish dd-mm-yyyy / dd.mm.yyyy / dd/mm/yyyy, Excel serials, datetimes), and reports every
problem as a `Finding` naming source, row and column. Nothing is evaluated, nothing is dropped
silently: a row that cannot be used is an error, a row that is used with care is a warning.
"""

from __future__ import annotations

import difflib
import re
import functools

import numpy as np
import pandas as pd

from .findings import ADVARSEL, CPR_PATTERN, FEJL, Finding, is_excel_error
from .helaarspersoner import MAX_HOURS_PER_WEEK
from .periods import Period
from .rules import KK, UNIT_NAMES, YearRules, all_schemes
from .status import Register
from .values import (_DATE_TYPES, FRACTIONAL, SCHEME_ALIASES, WHOLE, code_lookup, dansk_tal, dates_of, fold_key,
                     number_problem, numbers_of, numbers_per_value,
                     plural, show_date)
from .values import show as _show

FORLOEB_COLUMNS = ("id", "forvaltning", "ordning", "start", "slut")
FLEKSJOB_COLUMNS = ("id", "forvaltning", "start", "slut")

# Header variants users write; compared after `fold_key` folding (case, spaces, æøå, punctuation).
_ALIASES = {
    "id": ["id", "personid", "person", "pseudonym", "pseudonymid", "borgerid", "medarbejderid", "lobenummer", "loebenummer", "lbnr"],
    "forvaltning": ["forvaltning", "forv", "forvaltningskode", "enhed"],
    "ordning": ["ordning", "jobordning", "ordningstype", "type", "ordningsnavn"],
    "start": ["start", "startdato", "fra", "fradato", "begyndelse", "startdate", "fraogmed", "periodestart"],
    "slut": ["slut", "slutdato", "til", "tildato", "ophor", "ophoer", "ophorsdato", "ophoersdato", "enddate", "tilogmed", "periodeslut"],
    "timer_pr_uge": ["timerpruge", "timeruge", "timer", "ugentligetimer", "timerprugen", "arbejdstimerpruge", "ugetimer"],
    "antal": ["antal", "antalansatte", "ansatte", "antalfleksjob", "fleksjobansatte"],
}

_MAX_LISTED = 1000  # findings of one kind beyond this are summarised in one line
_DIGIT_OR_NON_ASCII = bytes(1 if (0x30 <= c <= 0x39 or c >= 0x80) else 0 for c in range(256))


_ALIAS_KEYS = {fold_key(v): canon for canon, vs in _ALIASES.items() for v in vs}


def map_columns(columns, required, source: str) -> tuple[dict[str, str], list[Finding]]:
    """Canonical name -> the header as given. Missing required columns are errors with a hint."""
    found: dict[str, str] = {}
    findings = []
    given = {str(c) for c in columns}
    for col in columns:
        canon = _ALIAS_KEYS.get(fold_key(col))
        twice = re.fullmatch(r"(.+)\.\d+", str(col))
        if canon is None and twice and twice.group(1) in given and _ALIAS_KEYS.get(fold_key(twice.group(1))):
            # pandas' name for a CSV header given twice ('start', 'start.1'): the copy must not vanish
            findings.append(Finding(FEJL, source, f"Overskriften '{twice.group(1)}' står mere end én gang. Hver kolonne "
                                    "skal have sin egen overskrift; slet eller omdøb den ene.", kolonne=str(col)))
        elif canon and canon in found:
            # which of the two is meant cannot be known: never take the first in silence
            findings.append(Finding(FEJL, source, f"Kolonnerne '{found[canon]}' og '{col}' betyder begge '{canon}'. "
                                    "Slet den ene, eller omdøb den, så den ikke ligner et felt.", kolonne=str(col)))
        elif canon:
            found[canon] = col
    # only a column no field reads may be suggested: renaming one that is read ('Forvaltning' for a
    # missing 'ordning') would break the file
    spare = [c for c in columns if fold_key(c) not in _ALIAS_KEYS][:MAX_LISTED_COLUMNS]
    for need in required:
        if need not in found:
            near = difflib.get_close_matches(fold_key(need), [fold_key(c) for c in spare], n=1, cutoff=0.6)
            hint = ""
            if near:
                given = next(c for c in spare if fold_key(c) == near[0])
                hint = f" Mente du '{given}'? Omdøb kolonnen til '{need}'."
            findings.append(Finding(FEJL, source, f"Kolonnen '{need}' mangler. Fundne kolonner: "
                                    f"{column_list(columns)}.{hint}", raekke=None, kolonne=need))
    return found, findings


MAX_LISTED_COLUMNS = 30


def column_list(columns) -> str:
    """Headers for a message: the first few, each cut short, and how many more (any file width)."""
    columns = list(columns)
    shown = [f"'{s if len(s) <= 40 else s[:37] + '...'}'" for s in map(str, columns[:MAX_LISTED_COLUMNS])]
    more = len(columns) - len(shown)
    return (", ".join(shown) + (f" og {dansk_tal(more, 0)} flere" if more else "")) if shown else "(ingen)"


class _Fz(tuple):
    """(codes, uniques) of a raw column, plus (lazily, once) cheap vectorised pre-filters that say
    which uniques can possibly be blank, an Excel error, a CPR number or need stripping, so the exact
    per-value Python checks run on those few values only (an id column has ~1 distinct value a row)."""

    def __new__(cls, codes, uniques, dates: np.ndarray | None = None):
        fz = super().__new__(cls, (codes, uniques))
        fz.dates = dates        # a typed date column: each unique's date (datetime64[D]); no parsing needed
        return fz

    @functools.cached_property
    def candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self.dates is not None:      # dates are never text: nothing to check per value
            none = np.zeros(len(self[1]), dtype=bool)
            return none, none, none, none
        return _text_candidates(self[1])


def _factorize(values) -> _Fz:
    """(codes, uniques) of a raw column; missing values get code -1.

    Registers repeat the same dates and codes over and over, so per-value Python work is done
    once per distinct value and spread back with `take`: a 1,000,000-row register has a few
    thousand distinct dates. Typed columns are factorized without making a Python object per row:
    categoricals give their codes and categories, datetime64 and numeric columns are hashed as
    numbers; only the (few) uniques become objects, the same objects the object path gives.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.intp)
        return _Fz(codes, np.asarray(s.cat.categories.astype(object), dtype=object))
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":     # numpy datetime64 (not tz-aware)
        days = s.to_numpy().astype("datetime64[D]").view(np.int64)
        valid = days != np.iinfo(np.int64).min
        if valid.any():
            big = np.iinfo(np.int64).max
            d0, d1 = int(days.min(where=valid, initial=big)), int(days.max(where=valid, initial=-big))
            if d1 - d0 <= 4 * len(days) + 1024:     # a dense range of days: the day number is the code
                uniques = np.arange(d0, d1 + 1).astype("datetime64[D]")
                return _Fz(np.where(valid, days - d0, -1), uniques, dates=uniques)
    if s.dtype == object:
        codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return _Fz(codes, np.asarray(uniques, dtype=object))


def _text_candidates(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unique: (maybe blank, maybe an Excel error, maybe a CPR number, maybe changed by strip).

    Supersets, decided in bulk on the UTF-8 bytes of all str values joined by NUL (one pass of
    numpy over the bytes, no Python work per value): a value whose first byte is printable ASCII
    (not a space) is not blank, and unless that byte is '#' no Excel error; one with fewer than 10
    bytes that are ASCII digits or non-ASCII (every non-ASCII digit is) holds no CPR number; one
    starting and ending in printable ASCII is unchanged by strip. Text holding NUL is a candidate
    for every exact check; other values as the exact checks need (numbers may be CPR numbers).
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
    blank, err, cpr, strip = (np.zeros(n, bool), np.zeros(n, bool), not_date, ~is_str)
    idx = np.flatnonzero(is_str)
    if len(idx) == 0:
        return blank, err, cpr, strip
    text = uniques if len(idx) == n else uniques[idx]
    raw = "\x00".join(text).encode("utf-8", "surrogatepass") + b"\x00"
    b = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(b == 0)            # each value's terminating NUL
    if len(ends) != len(idx):                # a value holds NUL itself: check every value exactly
        blank[idx] = err[idx] = cpr[idx] = strip[idx] = True
        return blank, err, cpr, strip
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    empty = ends == starts
    first, last = b[starts], b[np.maximum(ends - 1, 0)]
    printable_first = (first >= 0x21) & (first <= 0x7E) & ~empty
    printable_last = (last >= 0x21) & (last <= 0x7E) & ~empty
    blank[idx] = ~printable_first
    strip[idx] = ~printable_first | ~printable_last
    err[idx] = ~printable_first | (first == 0x23)       # an error value is '#...' once stripped
    # a CPR number needs 10 digits, and a value that short in bytes has fewer characters still
    long_ = np.flatnonzero(ends - starts >= 10)
    if len(long_):
        # 1 for an ASCII digit or a non-ASCII byte, else 0: one C pass over the bytes, one buffer
        digits = np.frombuffer(raw.translate(_DIGIT_OR_NON_ASCII), dtype=np.uint8)
        # reduceat over [start, next start): the terminating NUL is no digit
        count = np.add.reduceat(digits, starts, dtype=np.int32)
        cpr[idx[long_]] = count[long_] >= 10
    return blank, err, cpr, strip


def _per_unique(fz: _Fz, which: int, check) -> np.ndarray:
    """`check(value)` for the uniques the pre-filter `which` leaves; False for the rest."""
    uniques = fz[1]
    out = np.zeros(len(uniques), dtype=bool)
    j = np.flatnonzero(fz.candidates[which])
    if len(j):
        out[j] = [check(v) for v in uniques[j]]
    return out


def _spread(codes: np.ndarray, per_unique: np.ndarray, missing) -> np.ndarray:
    """Per-row values from per-unique values; rows with code -1 get `missing` (appended as the
    last entry, which index -1 takes)."""
    table = np.empty(len(per_unique) + 1, dtype=per_unique.dtype)
    table[:-1] = per_unique
    table[-1] = missing
    return table.take(codes)


def _blank(fz: _Fz) -> np.ndarray:
    """Empty cells: missing, or text with nothing but spaces."""
    blank_u = _per_unique(fz, 0, lambda v: isinstance(v, str) and not v.strip())
    return _spread(fz[0], blank_u, True)


def _cpr_u(fz: _Fz) -> np.ndarray:
    """Per unique: does it hold something that looks like a CPR number?"""
    uniques = fz[1]
    cand = fz.candidates[2]
    out = np.zeros(len(uniques), dtype=bool)
    j = np.flatnonzero(cand)
    if len(j):
        out[j] = pd.Series(uniques[j], dtype=object).astype(str).str.contains(CPR_PATTERN, regex=True).to_numpy(dtype=bool)
    return out


def factorize_frame(frame: pd.DataFrame) -> dict | None:
    """Every column of a raw table factorized once, to share between the Excel-error check and
    `parse_register` (None when column labels repeat: then each caller factorizes itself)."""
    if not frame.columns.is_unique:
        return None
    return {col: _factorize(frame[col]) for col in frame.columns}


def _dates(fz: _Fz) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes, uniques = fz
    if fz.dates is not None:        # a typed date column: blank is missing, nothing is bad
        return _spread(codes, fz.dates, np.datetime64("NaT")), codes < 0, np.zeros(len(codes), dtype=bool)
    d_u, blank_u, bad_u = dates_of(uniques)
    return (_spread(codes, d_u, np.datetime64("NaT")).astype("datetime64[D]"),
            _spread(codes, blank_u, True), _spread(codes, bad_u, False))


def excel_error_findings(frame: pd.DataFrame, source: str, first_row: int = 2,
                         factorized: dict | None = None) -> list[Finding]:
    """Every cell holding an Excel error value (#N/A, #VALUE!, ...) or one of our #FEJL messages:
    an error naming source, row and column. Checked once per distinct value of each column
    (`factorized`: the columns already factorized by `factorize_frame`)."""
    out: list[Finding] = []
    hits = 0
    for col in frame.columns:
        fz = factorized[col] if factorized is not None else _factorize(frame[col])
        codes = fz[0]
        err_u = _per_unique(fz, 1, is_excel_error)
        if not err_u.any():
            continue
        rows = np.flatnonzero(_spread(codes, err_u, False))
        for i in rows:
            hits += 1
            if hits <= _MAX_LISTED:
                out.append(Finding(FEJL, source, f"Cellen indeholder fejlværdien {_show(frame[col].iloc[i])}. "
                                   "Ret formlen eller værdien.", raekke=int(i) + first_row, kolonne=str(col)))
    if hits > _MAX_LISTED:
        out.append(Finding(FEJL, source, f"... og {plural(hits - _MAX_LISTED, 'celle', 'celler')} mere med en fejlværdi."))
    return out


class _Collector:
    def __init__(self, source: str, first_row: int, columns: dict[str, str]):
        self.source, self.first_row, self.columns = source, first_row, columns
        self.findings: list[Finding] = []

    def rows(self, mask: np.ndarray, alvor: str, canon: str, message) -> None:
        """One finding per flagged row (message(i) builds it), summarised past _MAX_LISTED."""
        idx = np.flatnonzero(mask)
        for i in idx[:_MAX_LISTED]:
            self.findings.append(Finding(alvor, self.source, message(i), raekke=int(i) + self.first_row,
                                         kolonne=self.columns.get(canon, canon)))
        if len(idx) > _MAX_LISTED:
            self.findings.append(Finding(alvor, self.source, f"... og {plural(len(idx) - _MAX_LISTED, 'række', 'rækker')} "
                                         "mere med samme problem.", kolonne=self.columns.get(canon, canon)))


def _codes(fz: _Fz, valid: list[str], aliases: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Map raw codes to valid ones (case, spacing, known short forms); (mapped, unknown mask)."""
    index, unknown = _valid_codes(fz, valid, aliases)
    return np.array(list(valid) + [None], dtype=object).take(index), unknown


def _valid_codes(fz: _Fz, valid: list[str], aliases: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index into `valid` (-1 where unknown or missing) and the unknown mask; decided
    once per distinct raw value, never a Python object per row."""
    lookup = code_lookup(valid, aliases)
    pos = {v: i for i, v in enumerate(valid)}
    codes, uniques = fz
    index_u = np.array([pos.get(lookup.get(fold_key(v)), -1) for v in uniques], dtype=np.int64)
    return _spread(codes, index_u, -1), _spread(codes, index_u < 0, True)


def _suggest(value, valid: list[str]) -> str:
    swapped = [v for v in valid if sorted(fold_key(v)) == sorted(fold_key(value))]
    if swapped:  # letters swapped ("SFO" for SOF): difflib would tie between SOF and SUF
        return f" Mente du '{swapped[0]}'?"
    near = difflib.get_close_matches(str(value).strip(), valid, n=1, cutoff=0.4)
    if not near:
        near = difflib.get_close_matches(fold_key(value), [fold_key(v) for v in valid], n=1, cutoff=0.4)
        near = [next(v for v in valid if fold_key(v) == near[0])] if near else []
    return f" Mente du '{near[0]}'?" if near else ""


def parse_register(forloeb_raw: pd.DataFrame, fleksjob_raw: pd.DataFrame | None, rules: YearRules,
                   period: Period, *, forloeb_source: str = "forloeb.csv",
                   fleksjob_source: str = "fleksjob.csv", first_row: int = 2,
                   fleksjob_first_row: int | None = None,
                   basis: str = "kalenderdage", forloeb_factorized: dict | None = None,
                   fleksjob_factorized: dict | None = None,
                   reference_month: Period | None = None) -> tuple[Register, list[Finding]]:
    """Raw tables -> a `Register` of clean rows, plus every finding. Rows with errors are left
    out of the register, but the findings say so; callers must not write tables when any finding
    is an error (`InputError`). `reference_month`: the fleksjob reference month (default: the
    period's last month). `*_factorized`: the tables' columns already factorized
    (`factorize_frame`), so a caller that checked them for Excel errors does not hash them again."""
    findings: list[Finding] = []
    forloeb, f1 = _parse_spells(forloeb_raw, FORLOEB_COLUMNS, rules, period, forloeb_source, first_row,
                                basis=basis, with_scheme=True, factorized=forloeb_factorized)
    findings += f1
    fleksjob = fleksjob_antal = None
    if fleksjob_raw is not None:
        start_row = fleksjob_first_row if fleksjob_first_row is not None else first_row
        cols, _ = map_columns(fleksjob_raw.columns, (), fleksjob_source)
        if "antal" in cols and "start" not in cols:
            fleksjob_antal, f2 = _parse_headcounts(fleksjob_raw, cols, fleksjob_source, start_row)
        else:
            # employment counts in the reference month: a row starting after the period may still count
            fleksjob, f2 = _parse_spells(fleksjob_raw, FLEKSJOB_COLUMNS, rules,
                                         reference_month or period.last_month, fleksjob_source,
                                         start_row, basis=basis, with_scheme=False,
                                         factorized=fleksjob_factorized)
        findings += f2
    findings += _check_targets(forloeb, rules)
    return Register(forloeb, fleksjob, fleksjob_antal), findings


def _parse_spells(raw: pd.DataFrame, required, rules: YearRules, period: Period, source: str,
                  first_row: int, *, basis: str, with_scheme: bool,
                  factorized: dict | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    cols, findings = map_columns(list(raw.columns), required, source)
    if findings:
        return _clean_frame(with_scheme, np.zeros(0, bool), {}), findings
    c = _Collector(source, first_row, cols)
    raw = raw.reset_index(drop=True)
    # each column factorized once (by the caller, when it checked them for Excel errors)
    fz = {k: factorized[col] if factorized is not None and col in factorized else _factorize(raw[col])
          for k, col in cols.items()}
    # Wholly blank rows (e.g. the empty tail of an Excel table) are not data.
    blanks = {k: _blank(fz[k]) for k in required}
    blank_row = np.logical_and.reduce(list(blanks.values())) if len(raw) else np.zeros(0, bool)
    n = len(raw)

    def shown(canon: str, i: int) -> str:
        return _show(raw[cols[canon]].iloc[i])

    id_blank = blanks["id"] & ~blank_row
    c.rows(id_blank, FEJL, "id", lambda i: "Id mangler. Angiv et pseudonymt id for personen.")
    error = id_blank.copy()
    for canon, col in cols.items():
        # issue 4: a CPR number in any column is flagged; the message shows it masked
        cpr_u = _cpr_u(fz[canon])
        if not cpr_u.any():
            continue
        cpr = _spread(fz[canon][0], cpr_u, False) & ~blank_row
        if cpr.any():
            first = int(np.flatnonzero(cpr)[0])
            what, todo = ((("id", "id'er"), "Brug pseudonyme id'er") if canon == "id"
                          else (("værdi", "værdier"), "Fjern CPR-numre fra kolonnen"))
            c.findings.append(Finding(ADVARSEL, source, f"{plural(int(cpr.sum()), *what)} ligner CPR-numre (fx "
                                      f"{shown(canon, first)}). {todo}; CPR-numre gengives aldrig.",
                                      raekke=first + first_row, kolonne=col))

    valid_units = [u for u in UNIT_NAMES if u != KK]
    forv_code, unknown = _valid_codes(fz["forvaltning"], valid_units, {})
    unknown &= ~blank_row
    f_blank = unknown & blanks["forvaltning"]
    c.rows(f_blank, FEJL, "forvaltning", lambda i: f"Forvaltningen mangler. Skriv koden, fx SOF "
           f"(gyldige koder: {', '.join(valid_units)}).")
    c.rows(unknown & ~f_blank, FEJL, "forvaltning", lambda i: f"Ukendt forvaltning '{shown('forvaltning', i)}'."
           f"{_suggest(raw[cols['forvaltning']].iloc[i], valid_units)} Gyldige koder: {', '.join(valid_units)}.")
    error |= unknown

    id_codes, id_uniques = fz["id"]
    strip_u = fz["id"].candidates[3]
    if strip_u.any():
        # ids the same after stripping spaces are one person: one code per distinct stripped text
        text_u = id_uniques.copy()
        text_u[strip_u] = [str(v).strip() for v in id_uniques[strip_u]]
        key_u = pd.factorize(text_u)[0]
        id_key = _spread(id_codes, key_u.astype(np.int64), -1)
    else:                           # no value strip would change: the codes are the key
        id_key = np.asarray(id_codes, dtype=np.int64)
    columns: dict[str, np.ndarray] = {"id": id_key, "forvaltning": forv_code}
    schemes_all: list[str] = []
    if with_scheme:
        known_schemes = list(rules.group)
        # this year's group first (its codes are the group's positions), then every other scheme known
        # from the year data; each name once (2023's group holds Nytteindsats itself)
        schemes_all = list(dict.fromkeys(known_schemes + [rules.fleksjob, *all_schemes()]))
        sch_code, unk = _valid_codes(fz["ordning"], schemes_all, SCHEME_ALIASES)
        unk &= ~blank_row
        o_blank = unk & blanks["ordning"]
        c.rows(o_blank, FEJL, "ordning", lambda i: f"Ordningen mangler. Gyldige ordninger i {rules.year}: "
               f"{', '.join(known_schemes)}.")
        c.rows(unk & ~o_blank, FEJL, "ordning", lambda i: f"Ukendt ordning '{shown('ordning', i)}'."
               f"{_suggest(raw[cols['ordning']].iloc[i], known_schemes)} Gyldige ordninger i {rules.year}: "
               f"{', '.join(known_schemes)}.")
        error |= unk
        outside = ~unk & ~blank_row & (sch_code >= len(known_schemes))
        c.rows(outside, ADVARSEL, "ordning", lambda i: f"Ordningen '{schemes_all[sch_code[i]]}' indgår ikke i "
               f"{rules.year}s opgørelse og tælles ikke med."
               + (" Fleksjob hører til i fleksjob-arket." if schemes_all[sch_code[i]] == rules.fleksjob else ""))
        columns["ordning"] = sch_code

    start, s_blank, s_bad = _dates(fz["start"])
    slut, e_blank, e_bad = _dates(fz["slut"])
    s_blank &= ~blank_row
    c.rows(s_blank, FEJL, "start", lambda i: "Startdato mangler. Skriv forløbets første dag, fx 01-01-2024.")
    c.rows(s_bad, FEJL, "start", lambda i: f"'{shown('start', i)}' er ikke en dato. "
           "Skriv fx 31-12-2024 eller 2024-12-31.")
    c.rows(e_bad, FEJL, "slut", lambda i: f"'{shown('slut', i)}' er ikke en dato. "
           "Skriv fx 31-12-2024, eller lad feltet stå tomt, hvis forløbet stadig kører.")
    error |= s_blank | s_bad | e_bad
    # day numbers (NaT is int64's minimum: below every date, and never "after" one)
    s_day, e_day = start.view(np.int64), slut.view(np.int64)
    running = e_day == _NAT
    reversed_ = (s_day != _NAT) & ~running & (e_day < s_day)
    c.rows(reversed_, FEJL, "slut", lambda i: f"Slutdato {show_date(slut[i])} ligger før startdato "
           f"{show_date(start[i])}. Ret datoerne.")
    error |= reversed_
    # `period` is what counts: the reporting period for forløb, the reference month for fleksjob
    p1 = int(np.datetime64(period.end, "D").astype(np.int64))
    after = (s_day > p1) & ~error
    if after.any():
        # Registers often run past the period; one line says so instead of one per row.
        first = int(np.flatnonzero(after)[0])
        n_after = int(after.sum())
        rows_ = plural(n_after, "række", "rækker") if with_scheme else plural(n_after, "ansættelse", "ansættelser")
        where = f"perioden ({period.label()})" if with_scheme else f"referencemåneden ({period.label()})"
        c.findings.append(Finding(ADVARSEL, source, f"{rows_} starter efter {where} "
                                  f"og tælles ikke med (den første: startdato {show_date(start[first])}).",
                                  raekke=first + first_row, kolonne=cols["start"]))
    columns["start"], columns["slut"] = start, slut

    if with_scheme:
        hours = np.full(n, np.nan)
        if "timer_pr_uge" in cols:
            h_raw = raw[cols["timer_pr_uge"]]
            h_blank = _blank(fz["timer_pr_uge"])
            # one reader for numbers: hours are fractional ("37,5"); unreadable text is an error, never blank
            h_codes, h_uniques = fz["timer_pr_uge"]
            h_u, _, h_bad_u = numbers_per_value(h_uniques, FRACTIONAL)
            hours = _spread(h_codes, h_u, np.nan)
            h_bad = _spread(h_codes, h_bad_u, False) & ~blank_row
            c.rows(h_bad, FEJL, "timer_pr_uge",
                   lambda i: number_problem(h_raw.iloc[i], FRACTIONAL, "et antal timer", "37 eller 37,5"))
            neg = np.isfinite(hours) & (hours <= 0) & ~blank_row
            c.rows(neg, FEJL, "timer_pr_uge", lambda i: f"Timer pr. uge skal være større end 0 (er {hours[i]:g}).")
            over = np.isfinite(hours) & (hours > MAX_HOURS_PER_WEEK) & ~blank_row
            c.rows(over, FEJL, "timer_pr_uge", lambda i: f"Timer pr. uge kan højst være {MAX_HOURS_PER_WEEK} (er {_show(h_raw.iloc[i])}). "
                   "Skriv de aftalte ugentlige timer, fx 37.")
            error |= h_bad | neg | over
            if basis == "hverdage":
                c.rows(h_blank & ~blank_row, ADVARSEL, "timer_pr_uge",
                       lambda i: "Timer pr. uge mangler; forløbet tælles som fuld tid (37 timer).")
        columns["timer_pr_uge"] = hours

    keep = ~error & ~blank_row
    rows = np.flatnonzero(keep)
    group = columns["ordning"] if with_scheme else forv_code

    def kept(a: np.ndarray) -> np.ndarray:        # no copy when every row is kept (the usual case)
        return a if len(rows) == n else a[rows]
    dup, pairs = _conflicts(kept(id_key), kept(group), kept(forv_code) if with_scheme else None,
                            kept(s_day), kept(e_day))
    c.rows(_at(n, rows[dup]), ADVARSEL, "id",
           lambda i: "Rækken er en præcis kopi af en tidligere række og tælles kun én gang.")
    for a, b in pairs[:_MAX_LISTED]:
        if with_scheme:
            text = (f"Forløbet overlapper forløbet i række {rows[a] + first_row} for samme person i samme ordning; "
                    "dagene i overlappet tælles to gange. Ret datoerne, hvis det er en fejl.")
        else:   # fleksjob counts persons in the reference month: an overlap counts nobody twice
            text = (f"Ansættelsen overlapper ansættelsen i række {rows[a] + first_row} for samme person i samme "
                    "forvaltning; personen tælles kun én gang. Ret datoerne, hvis det er en fejl.")
        c.findings.append(Finding(ADVARSEL, source, text, raekke=int(rows[b]) + first_row,
                                  kolonne=cols.get("start", "start")))
    keep[rows[dup]] = False
    clean = _clean_frame(with_scheme, None if keep.all() else keep, columns, valid_units, schemes_all)
    return clean, findings + c.findings


_NAT = np.iinfo(np.int64).min   # NaT as an int64 day number
_PACK_BITS = 62                 # key bits `_conflicts` packs into one int64 (0: always the exact path)


def _at(n: int, idx: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def _clean_frame(with_scheme: bool, keep: np.ndarray | None, columns: dict[str, np.ndarray],
                 units=(), schemes=()) -> pd.DataFrame:
    """The clean register (the rows `keep` marks; None = all): forvaltninger and ordninger as
    categoricals of the valid names (so the aggregation groups on integer codes), the id as a person
    number, dates as datetime64."""
    def col(name, empty_dtype):
        if name not in columns:
            return np.zeros(0, empty_dtype)
        return columns[name] if keep is None else columns[name][keep]

    def cat(name, categories):
        return pd.Categorical.from_codes(col(name, np.int64), categories=pd.Index(categories, dtype=object))

    # the id as a person number: one per distinct id (after stripping spaces), so the aggregation
    # counts people on integers; the id text itself is never needed after the checks
    frame = {"id": col("id", np.int64), "forvaltning": cat("forvaltning", units)}
    if with_scheme:
        frame["ordning"] = cat("ordning", schemes)
    # day resolution (pandas keeps it as seconds): exact for every day to 31-12-9999, where
    # nanosecond timestamps end in 2262
    frame["start"] = col("start", "datetime64[D]")
    frame["slut"] = col("slut", "datetime64[D]")
    if with_scheme:
        frame["timer_pr_uge"] = col("timer_pr_uge", float)
    return pd.DataFrame(frame)


def _conflicts(person: np.ndarray, group: np.ndarray, unit: np.ndarray | None, s_day: np.ndarray,
               e_day: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Exact copies and overlapping forløb among clean rows (positions into the given arrays).

    Returns the positions of rows that copy an earlier row exactly (same person, group, unit,
    start and end), and pairs (a, b): row b starts on or before the last day of a row a of the same
    person in the same group that starts no later (copies left out; a is the one reaching furthest).
    A blank end (NaT) runs on indefinitely. `group` is the scheme for forløb and the forvaltning for
    fleksjob; `unit` the forvaltning for forløb (None for fleksjob).

    The common case has no conflicts at all; that is decided by one `np.sort` of the rows packed
    into int64 keys (person, group, start, end, unit), without an argsort. Only the rows of the
    persons involved in a conflict are sorted again with their positions, to name the rows."""
    n = len(person)
    if n < 2:
        return np.zeros(0, np.int64), []
    unit = np.zeros(n, np.int64) if unit is None else unit
    running = e_day == _NAT
    d0 = int(s_day.min())
    days = int(max(s_day.max(), e_day.max())) - d0 + 2          # the last value stands for "running"
    G, U, P = int(group.max()) + 1, int(unit.max()) + 1, int(person.max()) + 1
    bd, bu = days.bit_length(), (U - 1).bit_length()             # bits of a day offset, of a unit

    def person_group(idx):
        """person * G + group of the rows `idx` (a slice or positions)."""
        return person[idx].astype(np.int64) * G + group[idx]

    if (P * G - 1).bit_length() + 2 * bd + bu <= _PACK_BITS:
        involved = _packed_conflicts(person, group, unit, s_day, e_day, running, G, d0, days, bd, bu)
        if involved is None:
            return np.zeros(0, np.int64), []
        sub = np.concatenate([a + np.flatnonzero(np.isin(person_group(slice(a, a + _CHUNK_ROWS)), involved))
                              for a in range(0, n, _CHUNK_ROWS)])
    else:                                                        # too wide to pack: the exact path on all rows
        sub = np.arange(n)
    # The exact path, on the rows of the persons involved (positions local to `sub`, which ascends):
    # copies first (the earliest row of a set stays) ...
    pg, s_off, e_off, u = person_group(sub), s_day[sub] - d0, e_day[sub] - d0, unit[sub]
    e_off[running[sub]] = days - 1
    local = np.arange(len(sub))
    o = np.lexsort((local, u, e_off, s_off, pg))
    eq = ((pg[o][1:] == pg[o][:-1]) & (s_off[o][1:] == s_off[o][:-1]) & (e_off[o][1:] == e_off[o][:-1])
          & (u[o][1:] == u[o][:-1]))
    dup = np.sort(o[1:][eq])
    # ... then overlaps among the rest, by start (ties by row)
    rest = np.setdiff1d(local, dup, assume_unique=True)
    o = rest[np.lexsort((rest, s_off[rest], pg[rest]))]
    val = pg[o] * days + e_off[o]
    reach = np.maximum.accumulate(val)
    who = np.where(val == reach, np.arange(len(o)), 0)
    who = np.maximum.accumulate(who)                              # the row reaching furthest so far
    hit = (pg[o][1:] == pg[o][:-1]) & (pg[o][1:] * days + s_off[o][1:] <= reach[:-1])
    j = np.flatnonzero(hit)
    pairs = sorted(zip(sub[o[who[j]]].tolist(), sub[o[j + 1]].tolist()), key=lambda ab: ab[1])
    return sub[dup], pairs


_CHUNK_ROWS = 1 << 20   # element-wise work in slices: no 80 MB temporaries at 10M rows, cache-sized ones


def _packed_conflicts(person, group, unit, s_day, e_day, running, G: int, d0: int, days: int, bd: int,
                      bu: int) -> np.ndarray | None:
    """The person-groups (person * G + group) that have a copy or an overlap, or None: the rows
    packed into int64 keys (person-group, start, end, unit), sorted once, and scanned in slices;
    the last key and furthest end of a slice are compared with the next slice's first row."""
    n = len(person)
    key = np.empty(n, dtype=np.int64)
    for a in range(0, n, _CHUNK_ROWS):
        sl = slice(a, a + _CHUNK_ROWS)
        k = key[sl]
        np.multiply(person[sl], G, out=k, casting="unsafe")
        k += group[sl]
        k <<= bd
        k += s_day[sl]
        k -= d0
        k <<= bd
        e = e_day[sl] - d0
        e[running[sl]] = days - 1
        k |= e
        k <<= bu
        k |= unit[sl]
    key.sort()
    mask = (1 << bd) - 1
    found, carry, carry_key = [], None, None
    for a in range(0, n, _CHUNK_ROWS):
        k = key[a:a + _CHUNK_ROWS]
        top = k >> (bu + 2 * bd)
        top <<= bd                                   # the person-group, shifted to sit above a day
        k_s = k >> (bu + bd)
        k_s &= mask
        k_s |= top                                   # person-group and start
        reach = k >> bu
        reach &= mask
        reach |= top                                 # person-group and end ...
        np.maximum.accumulate(reach, out=reach)      # ... the furthest so far (the group on top keeps
        #     an earlier group's reach below this one's). Within the slice only: the previous slice
        #     matters just for the first row, since a group whose first row here does not overlap
        #     starts afresh above everything before it, and one whose first row does is flagged.
        hit = np.empty(len(k), dtype=bool)
        hit[1:] = k_s[1:] <= reach[:-1]
        hit[1:] |= k[1:] == k[:-1]
        hit[0] = carry is not None and (k_s[0] <= carry or k[0] == carry_key)
        if hit.any():
            found.append(np.unique(top[hit] >> bd))
        carry, carry_key = int(reach[-1]), int(k[-1])
    return np.unique(np.concatenate(found)) if found else None


def _parse_headcounts(raw: pd.DataFrame, cols, source: str, first_row: int) -> tuple[pd.Series, list[Finding]]:
    findings = []
    unit_col = cols.get("forvaltning")
    if unit_col is None:
        return pd.Series(dtype=float), [Finding(FEJL, source, "Kolonnen 'forvaltning' mangler.", kolonne="forvaltning")]
    valid_units = [u for u in UNIT_NAMES if u != KK]
    forv, unknown = _codes(_factorize(raw[unit_col]), valid_units, {})
    counts, c_blank, c_bad = numbers_of(raw[cols["antal"]], WHOLE)     # 1.134 is 1134
    bad = c_blank | c_bad | (counts < 0)
    unit_blank = _blank(_factorize(raw[unit_col]))
    for i in range(len(raw)):
        if unknown[i] and unit_blank[i]:
            findings.append(Finding(FEJL, source, "Forvaltningen mangler. Skriv koden, fx SOF.",
                                    raekke=i + first_row, kolonne=unit_col))
        elif unknown[i]:
            findings.append(Finding(FEJL, source, f"Ukendt forvaltning '{_show(raw[unit_col].iloc[i])}'."
                                    f"{_suggest(raw[unit_col].iloc[i], valid_units)}", raekke=i + first_row, kolonne=unit_col))
        elif bad[i]:
            findings.append(Finding(FEJL, source, number_problem(raw[cols['antal']].iloc[i], WHOLE, "et helt antal "
                                    "ansatte", "12 eller 1.134") or "Antallet af ansatte kan ikke være negativt.",
                                    raekke=i + first_row, kolonne=cols["antal"]))
    ok = ~unknown & ~bad
    given = set(forv[~unknown])
    missing = [u for u in valid_units if u not in given]
    if missing and len(raw):
        # a forvaltning not in the file is counted as 0 employees: say so, it may be a partial export
        findings.append(Finding(ADVARSEL, source, f"{', '.join(missing)} står ikke i filen og tælles med 0 "
                                "fleksjobansatte. Tilføj en række med antal 0, hvis det er rigtigt.",
                                kolonne=unit_col))
    return pd.Series(counts[ok], index=forv[ok]).groupby(level=0).sum(), findings


def _check_targets(forloeb: pd.DataFrame, rules: YearRules) -> list[Finding]:
    """Every forvaltning with forløb needs targets (else its attainment is undefined)."""
    findings = []
    units = list(pd.unique(forloeb["forvaltning"])) if len(forloeb) else []
    t = rules.targets
    for u in units:
        for col, what in (("maaltal_gruppe", "måltal for helårspersoner"), ("maaltal_fleksjob", "måltal for fleksjob")):
            v = t.at[u, col] if u in t.index else np.nan
            if not np.isfinite(v):      # a target given is positive (`load_rules`): here it is missing
                findings.append(Finding(FEJL, "maaltal", f"{u} har forløb, men intet {what} for {rules.year}. "
                                        "Tilføj måltallet.", kolonne=col))
    if KK in t.index and any(u in t.index for u in UNIT_NAMES if u != KK):
        for col in ("maaltal_gruppe", "maaltal_fleksjob"):
            parts = float(t.loc[[u for u in t.index if u != KK], col].sum())
            if float(t.at[KK, col]) != parts:
                findings.append(Finding(ADVARSEL, "maaltal", f"KK's {col} ({t.at[KK, col]:g}) er ikke summen af "
                                        f"forvaltningernes ({parts:g}); summen bruges.", kolonne=col))
    return findings

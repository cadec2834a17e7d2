"""Reading values as users and their systems write them: one rule per kind of value, in one place.

Every front (CSV folder, workbook reader, xlwings sheet values, UDF arguments, `check`, CLI flags,
the bundled year data) reads numbers, dates, years, the basis, unit codes and scheme names here,
and shows values in messages and formats Danish numbers here. A value that cannot be read with
certainty raises `Unreadable` (a Danish message; the caller adds sheet/file, row and column), never
a guess and never a silent blank.

Numbers, by the kind of field (`WHOLE` or `FRACTIONAL`):

- Whole-number fields (counts, targets, headcounts, years): ``1084``, ``1.084``, ``1 084``,
  ``1.084,00`` and ``1084.0`` are all 1084. A value with a non-zero fraction (``2024,5``,
  ``1,084`` = 1,084 in Danish) is unreadable: it is not a whole number.
- Fractional fields (weights, hours, status): ``0,55``, ``37,5``, ``1.234,5`` and ``37.5`` read as
  written; ``55 %`` / ``55 pct.`` is 0,55. A single ``.`` followed by exactly three digits after a
  leading 1–3 digits (``1.500``) is a thousands separator to a Dane and a decimal point to an
  English export: it is unreadable (write ``1500`` or ``1,5``), never guessed.
- Typed numbers (from Excel cells) are read as they are; a blank is blank (None), TRUE/FALSE,
  dates, Excel errors, infinities and text in any other form are unreadable.

Dates (`read_date`, `parse_dates`): datetimes/dates of any flavour, Excel serial numbers (1900 date
system, 10000 = 18-05-1927 up to 2958465 = 31-12-9999; a smaller number is a year typed as a date),
ISO text (2024-12-31) and Danish text (31-12-2024, 31.12.2024, 31/12/2024), for every day from
01-01-0001 to 31-12-9999. Day arithmetic is exact on datetime64[D] (day numbers), never nanosecond
timestamps. An end date after the period, e.g. 31-12-9999 as HR systems write an open end, counts
as running through the period, exactly as a blank end does; a start after the period is outside it.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import unicodedata
from fractions import Fraction

import numpy as np
import pandas as pd

from .findings import is_excel_error, mask_cpr
from .helaarspersoner import BASES   # the day-count rules define the bases; read_basis reads their names
from .rounding import round_half_away

WHOLE = "helt tal"
FRACTIONAL = "decimaltal"
YEAR_MIN, YEAR_MAX = 1990, 2100      # the years a status can be made for


class Unreadable(ValueError):
    """A value that cannot be read with certainty; str() is the Danish reason and what to write."""


class Ambiguous(Unreadable):
    """Text that reads as two different numbers (1.500: 1500 or 1,5); the message names both."""


# ---------------------------------------------------------------- showing and folding

def show(value, width: int = 40) -> str:
    """A raw value as it may appear in a message: stripped, short, never a full CPR number."""
    s = mask_cpr(str(value).strip())
    return s if len(s) <= width else s[:width - 3] + "..."


def fold_key(text) -> str:
    """A code or header compared loosely: case, spaces, æøå, accents and punctuation folded."""
    s = str(text).strip().lower()
    s = s.replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    s = unicodedata.normalize("NFKD", s)
    return re.sub(r"[^a-z0-9]", "", s)


def is_blank(value) -> bool:
    """Nothing in the cell: None, NaN/NaT, or text holding only spaces."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value))


def plural(n: int, one: str, many: str) -> str:
    """'1 række', '2 rækker', '1.084 rækker'."""
    return f"{dansk_tal(n, 0)} {one if n == 1 else many}"


def dansk_tal(x, decimals: int = 2) -> str:
    """A number in Danish notation: 1.084 and 45,47 (at most `decimals` decimals, rounded half
    away from zero from the exact value, trailing zeros dropped; − for a negative number)."""
    s = 10**decimals
    scaled = round_half_away(Fraction(x) * s)
    sign = "−" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), s)
    text = f"{whole:,}".replace(",", ".")
    if frac:
        text += "," + f"{frac:0{decimals}d}".rstrip("0")
    return sign + text


# ---------------------------------------------------------------- codes

SCHEME_ALIASES = {"Småjob": "Småjob under det sociale frikort",
                  "Småjob under frikort": "Småjob under det sociale frikort",
                  "Praktik": "Virksomhedspraktik", "Virksomhedspraktik (helårspersoner)": "Virksomhedspraktik",
                  "Løntilskud (helårspersoner)": "Løntilskud"}


def code_lookup(valid, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Folded code -> the valid code (aliases only where they name a valid code)."""
    lookup = {fold_key(v): v for v in valid}
    lookup.update({fold_key(k): v for k, v in (aliases or {}).items() if v in lookup.values()})
    return lookup


def read_code(value, valid, aliases: dict[str, str] | None = None, what: str = "koden") -> str | None:
    """A unit code or scheme name as the valid spelling; None for a blank; Unreadable if unknown."""
    if is_blank(value):
        return None
    if is_excel_error(value):
        raise Unreadable(f"{what} er en fejlværdi ({show(value)})")
    code = code_lookup(valid, aliases).get(fold_key(value))
    if code is None:
        raise Unreadable(f"ukendt {what} '{show(value)}' (gyldige: {', '.join(valid)})")
    return code


def read_basis(value) -> str:
    """'kalenderdage' (the default, as the note) or 'hverdage'; a blank is the default."""
    if is_blank(value):
        return BASES[0]
    text = str(value).strip().lower()
    if text not in BASES:
        raise Unreadable(f"ukendt grundlag '{show(value)}': skriv 'kalenderdage' eller 'hverdage'")
    return text


# ---------------------------------------------------------------- numbers

_TEXT_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2212": "-"})
_PERCENT = re.compile(r"\s*(%|pct\.?|procent)$", re.IGNORECASE)
# a whole part grouped in thousands ("1.084", "1 084") or plain ("1084"), an optional decimal comma part
_COMMA_FORM = re.compile(r"([1-9]\d{0,2}(?:\.\d{3})+|[1-9]\d{0,2}(?: \d{3})+|\d+)(?:,(\d+))?")
_POINT_FORM = re.compile(r"(\d+)\.(\d+)")
_SINGLE_DOT_GROUP = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_MAX_TEXT = 40


def read_decimal(value, kind: str = FRACTIONAL, *, text: bool = True) -> tuple[Fraction, bool] | None:
    """(exact value, written with % or pct.) of a number; None for a blank. Unreadable otherwise.

    The exact core of `read_number`: `check` compares printed figures exactly. `text=False`
    refuses text where a typed number belongs (a UDF argument: "12" in a cell is text to Excel).
    A NaN given alone is not a blank but no number (in a column, pandas' NaN is a missing cell:
    `numbers_of` reads it as blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise Unreadable(f"skal være et tal, ikke '{show(value)}'")
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise Unreadable("er ikke et endeligt tal")
        q = Fraction(value) if isinstance(value, numbers.Integral) else Fraction(x)
        return _whole_checked(q, value, kind), False
    if not isinstance(value, str):
        raise Unreadable(f"skal være et tal, ikke '{show(value)}'")
    if is_excel_error(value):
        raise Unreadable(f"er en fejlværdi ({show(value)})")
    if not text:
        raise Unreadable(f"skal være et tal, ikke '{show(value)}'")
    s = value.translate(_TEXT_SPACES).strip()
    if len(s) > _MAX_TEXT:
        raise Unreadable(f"'{show(value)}' er ikke et tal")
    m = _PERCENT.search(s)
    percent = m is not None
    if percent:
        s = s[:m.start()].strip()
    sign = 1
    if s[:1] in "+-" and s:
        sign, s = (-1 if s[0] == "-" else 1), s[1:].strip()
    c = _COMMA_FORM.fullmatch(s)
    p = None if c is not None else _POINT_FORM.fullmatch(s)
    if c is not None and kind != WHOLE and _SINGLE_DOT_GROUP.fullmatch(s):
        # "1.500" in a fractional field: 1500 to a Dane, 1,5 to an English export
        thousands, decimal = s.replace(".", ""), dansk_tal(Fraction(s), 3)
        raise Ambiguous(f"'{show(value)}' kan læses både som {thousands} og som {decimal}. "
                         f"Skriv {thousands} eller {decimal}")
    if c is not None:
        q = Fraction(int(re.sub(r"[. ]", "", c.group(1))))
        if c.group(2):
            q += Fraction(int(c.group(2)), 10 ** len(c.group(2)))
    elif p is not None:      # a decimal point no Dane writes as a thousands separator: 37.5, 0.550, 1084.0
        q = Fraction(int(p.group(1))) + Fraction(int(p.group(2)), 10 ** len(p.group(2)))
    else:
        hint = "fx 1084 eller 1.084" if kind == WHOLE else "fx 37,5 eller 0,55"
        raise Unreadable(f"'{show(value)}' er ikke et tal. Skriv {hint}")
    return _whole_checked(sign * q, value, kind), percent


def _whole_checked(q: Fraction, value, kind: str) -> Fraction:
    if kind == WHOLE and q.denominator != 1:
        raise Unreadable(f"'{show(value)}' er ikke et helt tal")
    return q


def read_number(value, kind: str = FRACTIONAL, *, text: bool = True) -> float | None:
    """A number as a float (see the module's rules); None for a blank; Unreadable otherwise.
    In a whole-number field % is refused; in a fractional field '55 %' is 0,55."""
    read = read_decimal(value, kind, text=text)
    if read is None:
        return None
    q, percent = read
    if percent:
        if kind == WHOLE:
            raise Unreadable(f"'{show(value)}' skal være et antal, ikke en procent")
        q = q / 100
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return float(value)                      # a typed float is exactly itself
    x = float(q)
    if not math.isfinite(x):
        raise Unreadable(f"'{show(value)}' er ikke et endeligt tal")
    return x


def numbers_of(values, kind: str = FRACTIONAL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`read_number` over a column, once per distinct value: (floats with NaN where blank or
    unreadable, blank mask, unreadable mask). The caller reports the unreadable ones
    (`number_problem` gives the reason)."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    x_u, blank_u, bad_u = numbers_per_value(np.asarray(uniques, dtype=object), kind)
    return (np.append(x_u, np.nan).take(codes), np.append(blank_u, True).take(codes),
            np.append(bad_u, False).take(codes))


def numbers_per_value(values: np.ndarray, kind: str = FRACTIONAL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`read_number` of each value (a column's distinct values): (floats, blank, unreadable)."""
    out = np.full(len(values), np.nan)
    blank = np.zeros(len(values), dtype=bool)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        try:
            x = read_number(v, kind)
        except Unreadable:
            bad[i] = True
            continue
        if x is None:
            blank[i] = True
        else:
            out[i] = x
    return out, blank, bad


def number_problem(value, kind: str, what: str, example: str) -> str | None:
    """The message for a value a field cannot read (None if it can): "'x' er ikke {what}. Skriv fx
    {example}.", or for ambiguous text the two readings."""
    try:
        read_number(value, kind)
    except Ambiguous as exc:
        return f"{exc}."
    except Unreadable:
        return f"'{show(value)}' er ikke {what}. Skriv fx {example}."
    return None


def read_year(value) -> int | None:
    """A year such as 2024 (a whole number from 1990 to 2100); None for a blank. 2024,5 is unreadable."""
    try:
        x = read_number(value, WHOLE)
    except Unreadable:
        raise Unreadable(f"'{show(value)}' er ikke et årstal. Skriv fx 2024") from None
    if x is None:
        return None
    if not YEAR_MIN <= x <= YEAR_MAX:
        raise Unreadable(f"'{show(value)}' er ikke et årstal. Skriv fx 2024")
    return int(x)


# ---------------------------------------------------------------- dates

# Excel's day zero for serial dates in the 1900 date system (from serial 61 = 01-03-1900 on; the
# leap-year bug before it does not matter since serials start at 10000).
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
# Serials accepted as dates: 5 digits and up (18-05-1927 .. 31-12-9999). Lower would let a year typed as a date
# ("2024") pass as 16-07-1905, and a running forløb from 1905 would silently count the whole period.
SERIAL_MIN, SERIAL_MAX = 10000, 2958465
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()       # datetime64[D] counts days from 1970-01-01
_DATE_TYPES = (dt.datetime, dt.date, pd.Timestamp)
_DATE_TEXT = re.compile(
    r"(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})(?:[ T]00:00(?::00)?)?"
    r"|(?P<d2>\d{1,2})[-./](?P<m2>\d{1,2})[-./](?P<y2>\d{4})(?: 00:00(?::00)?)?")
_SERIAL_TEXT = r"[1-9]\d{3,6}(?:[.,]\d+)?"     # 4 digits too: "2024" is then refused as a year, not a date


def _civil_days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days since 1970-01-01, valid) of year/month/day arrays (proleptic Gregorian, years 1..9999)."""
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (y, m, d))
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    mm = np.clip(m, 1, 12)
    last = month_days[mm] + ((mm == 2) & leap)
    valid = (y >= 1) & (y <= 9999) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= last)
    yy = y - (mm <= 2)
    era = np.floor_divide(yy, 400)
    yoe = yy - era * 400
    doy = (153 * ((mm + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468, valid


def dates_of(obj: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(datetime64[D], blank, unreadable) of raw values (typically a column's distinct values).

    Vectorised over the text; typed dates and numbers are converted per value without any
    nanosecond timestamp, so every day from year 1 to 9999 is exact."""
    obj = np.asarray(obj, dtype=object)
    n = len(obj)
    days = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)     # NaT
    kinds = [type(v) for v in obj]
    is_str = np.fromiter((k is str for k in kinds), dtype=bool, count=n)
    sidx = np.flatnonzero(is_str)
    text = np.full(n, "", dtype=object)
    if len(sidx):
        text[sidx] = [v.strip() for v in obj[sidx]]
    blank = pd.isna(obj) | (is_str & (text == "")) if n else np.zeros(0, bool)
    bad = np.zeros(n, dtype=bool)

    # datetimes and dates (openpyxl, xlwings, pandas): the calendar day, whatever the time or zone
    for i in np.flatnonzero([k in _DATE_TYPES or issubclass(k, _DATE_TYPES) for k in kinds]) if n else ():
        v = obj[i]
        if v is pd.NaT:
            continue
        days[i] = v.toordinal() - _UNIX_ORDINAL
    for i in np.flatnonzero([issubclass(k, np.datetime64) for k in kinds]) if n else ():
        if not np.isnat(obj[i]):
            days[i] = int(obj[i].astype("datetime64[D]").astype(np.int64))

    # Excel serials: numbers, or text holding only digits as a CSV exported from Excel may have.
    # Any real number is a serial (numpy's int32 too); bool is a number to Python but never a date.
    is_num = np.array([issubclass(k, numbers.Real) and not issubclass(k, (bool, np.bool_)) for k in kinds],
                      dtype=bool) if n else np.zeros(0, bool)
    is_num &= ~blank
    serial_text = np.zeros(n, dtype=bool)
    if len(sidx):
        serial_text[sidx] = pd.Series(text[sidx], dtype=object).str.fullmatch(_SERIAL_TEXT).to_numpy(dtype=bool)
    for mask, raw in ((is_num, obj), (serial_text, text)):
        if mask.any():
            vals = raw[mask] if raw is obj else np.array([t.replace(",", ".") for t in raw[mask]], dtype=object)
            s = pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(s) & (s >= SERIAL_MIN) & (s < SERIAL_MAX + 1)
            serial_days = np.floor(np.where(ok, s, 0)).astype(np.int64) + int(EXCEL_EPOCH.astype(np.int64))
            days[mask] = np.where(ok, serial_days, days[mask])
            bad[mask] = ~ok

    rest = is_str & ~blank & ~serial_text
    if rest.any():
        parts = pd.Series(text[rest], dtype=object).str.extract(_DATE_TEXT.pattern)
        iso = parts["y1"].notna().to_numpy()
        y = np.where(iso, parts["y1"].fillna("0"), parts["y2"].fillna("0")).astype(np.int64)
        m = np.where(iso, parts["m1"].fillna("0"), parts["m2"].fillna("0")).astype(np.int64)
        d = np.where(iso, parts["d1"].fillna("0"), parts["d2"].fillna("0")).astype(np.int64)
        # extract matches a prefix; the whole text must be the date
        whole = pd.Series(text[rest], dtype=object).str.fullmatch(_DATE_TEXT.pattern).to_numpy(dtype=bool)
        num, valid = _civil_days(y, m, d)
        valid &= whole
        days[rest] = np.where(valid, num, days[rest])
        bad[rest] = ~valid
    out = days.view("datetime64[D]")
    # whatever is neither blank nor a date is bad: also values of types no rule above knows
    # (bool, or the time/duration values openpyxl gives for time-formatted cells)
    bad = bad | (~blank & np.isnat(out))
    return out, blank, bad


def parse_dates(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dates as datetime64[D], blank mask, unreadable mask) for a raw column, once per distinct value."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":
        d = s.to_numpy().astype("datetime64[D]")
        return d, np.isnat(d), np.zeros(len(d), dtype=bool)
    codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    d_u, blank_u, bad_u = dates_of(np.asarray(uniques, dtype=object))
    d = np.append(d_u, np.datetime64("NaT", "D")).take(codes)
    return d, np.append(blank_u, True).take(codes), np.append(bad_u, False).take(codes)


def read_date(value) -> dt.date | None:
    """One date (see the module's forms); None for a blank; Unreadable otherwise."""
    if is_excel_error(value):
        raise Unreadable(f"er en fejlværdi ({show(value)})")
    if isinstance(value, (bool, np.bool_)):
        raise Unreadable(f"'{show(value)}' er ikke en dato. Skriv fx 31-12-2024")
    d, blank, bad = dates_of(np.array([value] if not isinstance(value, np.ndarray) else [value.item()], dtype=object))
    if blank[0]:
        return None
    if bad[0]:
        raise Unreadable(f"'{show(value)}' er ikke en dato. Skriv fx 31-12-2024")
    return to_date(d[0])


def to_date(day: np.datetime64) -> dt.date:
    """A datetime64 day as a date, exactly (no timestamp on the way: years up to 9999)."""
    return dt.date.fromordinal(int(np.datetime64(day, "D").astype(np.int64)) + _UNIX_ORDINAL)


def show_date(day) -> str:
    """A day as Danish text: 31-12-2024."""
    d = day if isinstance(day, dt.date) else to_date(day)
    return f"{d.day:02d}-{d.month:02d}-{d.year:04d}"

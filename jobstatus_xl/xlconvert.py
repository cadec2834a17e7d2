"""Excel cell values -> engine inputs, and bad input -> one short Danish message for the cell.

No xlwings here, so every rule is unit-testable. Values arrive as xlwings hands them to a UDF:
a scalar for one cell, nested lists for a range, None for a blank, floats for dates in xlwings
Server/Lite (serials), datetimes in classic xlwings (COM), text, and - because every UDF
argument uses `err_to_str=True` - Excel errors as their text ("#N/A"). Without that option
xlwings turns an error into None, i.e. a blank end date would silently mean "still running".
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from .engine import values
from .engine.findings import CELL_ERROR_PREFIX, InputError, is_excel_error, mask_cpr
from .engine.helaarspersoner import MAX_HOURS_PER_WEEK, days_in_period
from .engine.periods import Period
from .engine.pipeline import RawInput
from .engine.rules import FORVALTNINGER, HELAARSPERSONER, KK, all_schemes
# The engine's one reader of values (numbers, dates, codes, folding): the functions read a cell
# exactly as the ribbon's refresh reads a table.
from .engine.values import SCHEME_ALIASES, Unreadable, is_blank
from .sheets import SHEET_FLEKSJOB, SHEET_FORLOEB, SHEET_MAALTAL, SHEET_VAEGTE, nonempty, table_from_grid

ERROR_PREFIX = CELL_ERROR_PREFIX


class CellError(ValueError):
    """Bad input; the message is the Danish text the cell shows after ERROR_PREFIX."""


def cell_message(exc: BaseException) -> str:
    """The one mapping from a failure to what a cell shows: short, Danish, no traceback, no CPR."""
    if isinstance(exc, CellError):
        text = str(exc)
    elif isinstance(exc, InputError):
        errors = exc.errors or exc.findings
        if errors:
            first = errors[0]
            text = f"{first.where()}: {first.besked}"
            if len(errors) > 1:
                text += f" (og {len(errors) - 1} fejl mere)"
        else:
            text = "inddata har fejl"
    else:
        text = f"uventet fejl ({type(exc).__name__}); beregningen kunne ikke gennemføres"
    return ERROR_PREFIX + mask_cpr(text)


def finite(result):
    """A function's result on its way to the cell: a number that is not finite (an overflow such as
    1e308 / 1e-10, or NaN from infinite weights) stands for nothing and becomes a message; in a
    2-D result a blank (None) is fine, a non-finite number is not."""
    cells = [v for row in result for v in row] if isinstance(result, list) else [result]
    for v in cells:
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and not math.isfinite(v):
            raise CellError("resultatet er ikke et endeligt tal: argumenterne er for store eller for små til at "
                            "give et tal")
    return result


# Excel's error values as a COM range's raw values hold them (the CVErr codes; xlwings' own
# table for classic xlwings is xlwings._xlwindows.cell_errors, which imports pywin32).
COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
              -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!"}
try:   # xlwings Lite (Pyodide >= 0.28) hands blank cells over as JsNull; elsewhere there is none
    from pyodide.ffi import JsNull as _JsNull   # type: ignore[import-not-found]
except ImportError:   # imported once here, not once per cell as xlwings' own conversion does
    _JsNull = None


def _raw_cell(v):
    t = type(v)
    if t is float or (t is str and v != ""):
        return v
    if v is None or (t is str and v == ""):
        return None
    if t is dict:             # Office.js: an error ({"type": "Error", "basicValue": "#N/A"}) or a
        return v.get("basicValue")   # formatted number / data type: its plain value, as xlwings reads it
    if t is int and v in COM_ERRORS:
        return COM_ERRORS[v]
    if _JsNull is not None and isinstance(v, _JsNull):
        return None
    return v


def _raw_row(row) -> list:
    # the common cells (numbers, text) without a call each: this runs over whole table columns
    return [v if (t := type(v)) is float or (t is str and v) else _raw_cell(v) for v in row]


def cells(value):
    """An argument declared `convert="raw"` (xlwings hands it over unconverted) cleaned as xlwings'
    own value conversion with `err_to_str=True` would clean it, in one pass: blank ('' or None) is
    None, an error cell is its text ('#N/A') in every flavour (Office.js error objects, COM error
    codes), a formatted number is its number, dates stay as they came (serials or datetimes)."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(r, (list, tuple)) for r in value):
            return [_raw_row(r) for r in value]
        return [_raw_row(r) if isinstance(r, (list, tuple)) else _raw_cell(r) for r in value]
    return _raw_cell(value)


# ---------------------------------------------------------------- single values

def show(value) -> str:
    """A cell value as it may appear in a message: short and never a full CPR number."""
    return values.show(value, 30)


def _where(row: int | None) -> str:
    return f" i række {row}" if row is not None else ""


def number(value, what: str, row: int | None = None) -> float:
    """A number; a blank, text, TRUE/FALSE, a date or an error is an error, never 0."""
    value = single(value, what)
    try:
        # text is refused: in a UDF argument "12" is text to Excel, and a formula on it would be too
        x = values.read_number(value, values.FRACTIONAL, text=False)
    except Unreadable as exc:
        raise CellError(f"{what}{_where(row)} {exc}") from None
    if x is None:
        raise CellError(f"{what}{_where(row)} mangler")
    return x


def positive(value, what: str, row: int | None = None) -> float:
    x = number(value, what, row)
    if x <= 0:
        raise CellError(f"{what}{_where(row)} skal være større end 0 (er {x:g})")
    return x


def single(value, what: str):
    """One cell's value; a range of several cells where one value belongs is an error."""
    if isinstance(value, (list, tuple)):
        cells = as_list(value, what)
        if len(cells) != 1:
            raise CellError(f"{what} skal være én celle, ikke {len(cells)}")
        return cells[0]
    return value


def one_date(value, what: str) -> dt.date:
    """One required date (serial, datetime or text such as 31-12-2024)."""
    d, blank = dates([single(value, what)], what, numbered=False)
    if blank[0]:
        raise CellError(f"{what} mangler")
    return values.to_date(d[0])


def optional_date(value, what: str) -> dt.date | None:
    """A date that may be left blank (None)."""
    value = single(value, what)
    return None if is_blank(value) else one_date(value, what)


def basis(value) -> str:
    """'kalenderdage' (default, as the note) or 'hverdage'."""
    try:
        return values.read_basis(single(value, "grundlag"))
    except Unreadable as exc:
        raise CellError(str(exc)) from None


def period(start, end) -> Period:
    first = one_date(start, "periodens første dag")
    last = one_date(end, "periodens sidste dag")
    if last < first:
        raise CellError(f"periodens sidste dag ({last:%d-%m-%Y}) ligger før dens første dag ({first:%d-%m-%Y})")
    return Period(first, last)


def days_on_basis(p: Period, chosen_basis: str) -> int:
    """The period's days on the basis; a period without weekdays on the weekday basis gets the
    engine's own message (the same the CLI and the refresh show), not "unexpected error"."""
    try:
        return days_in_period(p, chosen_basis)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def year(value) -> int:
    x = number(value, "året")
    try:
        return values.read_year(x)
    except Unreadable:
        raise CellError(f"året skal være et årstal som 2024, ikke {x:g}") from None


# ---------------------------------------------------------------- ranges

def as_list(value, what: str) -> list:
    """One cell, one row or one column as a flat list; a block of several rows and columns is an error."""
    if not isinstance(value, (list, tuple)):
        return [value]
    if not value:
        return []
    if not any(isinstance(r, (list, tuple)) for r in value):
        return list(value)
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in value]
    if len(rows) == 1:
        return rows[0]
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows]
    raise CellError(f"{what} skal være én kolonne eller én række, ikke {len(rows)} × {max(map(len, rows))} celler")


def same_length(what_a: str, a: list, what_b: str, b: list) -> None:
    if len(a) != len(b):
        raise CellError(f"{what_a} og {what_b} skal have lige mange rækker (har {len(a)} og {len(b)})")


def dates(cells: list, what: str, numbered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] array, blank mask). Anything non-blank that is not a date is an error;
    messages name the 1-based row in the range unless `numbered` is False (a single cell)."""

    def where(i: int) -> str:
        return _where(i + 1) if numbered else ""

    for i, v in enumerate(cells):
        if is_excel_error(v):
            raise CellError(f"{what}{where(i)} er en fejlværdi ({show(v)})")
        if isinstance(v, bool):
            raise CellError(f"{what}{where(i)}: '{show(v)}' er ikke en dato")
    if not cells:
        return np.array([], dtype="datetime64[D]"), np.array([], dtype=bool)
    parsed, blank, bad = values.parse_dates(cells)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CellError(f"{what}{where(i)}: '{show(cells[i])}' er ikke en dato (skriv fx 31-12-2024)")
    return parsed, blank


@dataclass(frozen=True)
class Spells:
    """Forløb (or employment spells) from aligned date ranges; wholly blank rows left out."""

    start: np.ndarray    # datetime64[D]
    end: np.ndarray      # datetime64[D], NaT = still running
    keep: np.ndarray     # bool per input row: True where the row holds a forløb
    rows: int            # number of input rows (blank ones included)

    @property
    def row_numbers(self) -> np.ndarray:
        """1-based row in the user's range of each kept forløb (for messages)."""
        return np.flatnonzero(self.keep) + 1


def spells(start_values, end_values, also: tuple[tuple[list, str], ...] = ()) -> Spells:
    """Start and end dates row by row. `also` holds other columns of the same table (cells,
    what): a row is blank, and skipped, only when every column is blank."""
    starts = as_list(start_values, "startdatoerne")
    ends = as_list(end_values, "slutdatoerne")
    same_length("startdatoerne", starts, "slutdatoerne", ends)
    for cells, what in also:
        same_length(what, cells, "startdatoerne", starts)
    start, s_blank = dates(starts, "startdato")
    end, e_blank = dates(ends, "slutdato")
    return spells_from(start, s_blank, end, e_blank,
                       [np.array([is_blank(c) for c in cells], dtype=bool) for cells, _ in also])


def spells_from(start: np.ndarray, s_blank: np.ndarray, end: np.ndarray, e_blank: np.ndarray,
                also_blank=()) -> Spells:
    """The row rules of `spells` over dates already read (`dates`) and the blank masks of the
    table's other columns: skipped blank rows, a missing start, an end before the start."""
    row_blank = s_blank & e_blank
    for blank in also_blank:
        row_blank = row_blank & blank
    missing = s_blank & ~row_blank
    if missing.any():
        raise CellError(f"startdato mangler i række {int(np.flatnonzero(missing)[0]) + 1}")
    reversed_ = ~s_blank & ~e_blank & (end < start)
    if reversed_.any():
        raise CellError(f"slutdato før startdato i række {int(np.flatnonzero(reversed_)[0]) + 1}")
    keep = ~row_blank
    return Spells(start[keep], end[keep], keep, len(start))


def aligned(value, sp: Spells, what: str) -> list:
    """A range that must line up with the dates (one value per row), cut to the kept rows."""
    cells = as_list(value, what)
    if len(cells) != sp.rows:
        raise CellError(f"{what} og datoerne skal have lige mange rækker (har {len(cells)} og {sp.rows})")
    return [c for c, k in zip(cells, sp.keep) if k]


def hours(value, sp: Spells) -> np.ndarray | None:
    """Hours per week: one number for all forløb, or one per row (blank = full time, 37). The
    engine's rule, whatever the basis: they are checked (above 0, at most 168) and they weigh only
    on the weekday basis; on the calendar basis the figure does not depend on them."""
    if value is None:
        return None
    cells = as_list(value, "timer pr. uge")
    if all(is_blank(c) and not is_excel_error(c) for c in cells):
        return None
    if len(cells) == 1 and sp.rows != 1:
        return np.full(len(sp.start), _hours(cells[0], None))
    return np.array([np.nan if is_blank(v) else _hours(v, int(row))
                     for row, v in zip(sp.row_numbers, aligned(cells, sp, "timer pr. uge"))], dtype=float)


def _hours(value, row: int | None) -> float:
    x = positive(value, "timer pr. uge", row)
    if x > MAX_HOURS_PER_WEEK:
        raise CellError(f"timer pr. uge{_where(row)} kan højst være {MAX_HOURS_PER_WEEK} (er {x:g}); skriv de "
                        "aftalte ugentlige timer, fx 37")
    return x


def ids(value, sp: Spells) -> np.ndarray:
    """Person ids aligned with the dates; every forløb row needs one."""
    out = []
    for row, v in zip(sp.row_numbers, aligned(value, sp, "id'erne")):
        if is_excel_error(v):
            raise CellError(f"id i række {row} er en fejlværdi ({show(v)})")
        if is_blank(v):
            raise CellError(f"id mangler i række {row}")
        out.append(str(v).strip())
    return np.array(out, dtype=object)


def weighted_pairs(attainments, weights) -> tuple[np.ndarray, np.ndarray]:
    """Attainments and weights row by row; rows where both are blank are skipped (the status
    sheets have blank rows between the group and fleksjob), one blank without the other is an error."""
    a_cells = as_list(attainments, "målopfyldelserne")
    w_cells = as_list(weights, "vægtene")
    same_length("målopfyldelserne", a_cells, "vægtene", w_cells)
    a, w = [], []
    for i, (av, wv) in enumerate(zip(a_cells, w_cells), start=1):
        if is_blank(av) and is_blank(wv):
            continue
        if is_blank(wv) and not is_excel_error(wv):
            raise CellError(f"vægt mangler i række {i}")
        if is_blank(av) and not is_excel_error(av):
            raise CellError(f"målopfyldelse mangler i række {i}")
        a.append(number(av, "målopfyldelsen", i))
        weight = number(wv, "vægten", i)
        if weight < 0:
            raise CellError(f"vægten i række {i} må ikke være negativ (er {weight:g})")
        w.append(weight)
    if not a:
        raise CellError("ingen målopfyldelser med vægt")
    if sum(w) <= 0:
        raise CellError("summen af vægtene skal være større end 0")
    return np.array(a, dtype=float), np.array(w, dtype=float)


# ---------------------------------------------------------------- codes (forvaltning, ordning)

@lru_cache(maxsize=1)
def _ordninger() -> pd.DataFrame:
    with resources.files("jobstatus_xl").joinpath("data", "years", "ordninger.csv").open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, encoding="utf-8")


@lru_cache(maxsize=1)
def known_schemes() -> tuple[str, ...]:
    """Every scheme of every bundled year (the functions that take an ordning have no year)."""
    return all_schemes()


@lru_cache(maxsize=1)
def headcount_schemes() -> frozenset[str]:
    """Schemes measured as a headcount in the reference month (fleksjob), not as helårspersoner."""
    o = _ordninger()
    return frozenset(o.loc[o["maaling"] != HELAARSPERSONER, "ordning"])


def _canonical(cells: list, rows, valid: list[str], aliases: dict[str, str], what: str) -> np.ndarray:
    """Codes as the engine reads them (case, spaces, æøå and known short forms folded); `rows`
    are the values' 1-based rows in the user's range."""
    for row, v in zip(rows, cells):
        if is_excel_error(v):
            raise CellError(f"{what}{_where(row)} er en fejlværdi ({show(v)})")
        if is_blank(v):
            raise CellError(f"{what} mangler{_where(row)}")
    if not cells:
        return np.array([], dtype=object)
    lookup = values.code_lookup(valid, aliases)
    folded = {str(v): lookup.get(values.fold_key(v)) for v in set(map(str, cells))}   # each distinct code once
    mapped = np.array([folded[str(v)] for v in cells], dtype=object)
    unknown = np.array([m is None for m in mapped], dtype=bool)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise CellError(f"ukendt {what} '{show(cells[i])}'{_where(rows[i])} (gyldige: {', '.join(valid)})")
    return mapped


def unit(value) -> str:
    """A forvaltning code or KK."""
    value = single(value, "forvaltningen")
    if is_blank(value) or is_excel_error(value):
        raise CellError("forvaltningen mangler (skriv fx SOF, eller KK for hele kommunen)")
    return str(_canonical([value], [None], FORVALTNINGER + [KK], {}, "forvaltning")[0])


def scheme(value) -> str:
    value = single(value, "ordningen")
    if is_blank(value) or is_excel_error(value):
        raise CellError("ordningen mangler (skriv fx Virksomhedspraktik)")
    return str(_canonical([value], [None], list(known_schemes()), SCHEME_ALIASES, "ordning")[0])


def group_scheme(value) -> str:
    """A scheme counted in helårspersoner and forløb; fleksjob is a headcount from its own table."""
    s = scheme(value)
    if s in headcount_schemes():
        raise CellError(f"{s} opgøres som antal ansatte i referencemåneden, ikke i helårspersoner eller forløb: "
                        "brug STATUS_FLEKSJOB med fleksjobtabellen")
    return s


def table_units(cells: list, sp: Spells) -> np.ndarray:
    """The forvaltning column of a table, for the kept rows (KK is not a forvaltning here)."""
    return _canonical(aligned(cells, sp, "forvaltningerne"), sp.row_numbers, FORVALTNINGER, {}, "forvaltning")


def table_schemes(cells: list, sp: Spells) -> np.ndarray:
    return _canonical(aligned(cells, sp, "ordningerne"), sp.row_numbers, list(known_schemes()),
                      SCHEME_ALIASES, "ordning")


# ---------------------------------------------------------------- whole tables

def table_grid(value, what: str, required: bool = True) -> list[list] | None:
    """A table range including its header row, as a 2-D list."""
    if value is None or (not isinstance(value, (list, tuple)) and is_blank(value)):
        if required:
            raise CellError(f"{what} mangler (angiv tabellen med overskriftsrækken)")
        return None
    if not isinstance(value, (list, tuple)) or not any(isinstance(r, (list, tuple)) for r in value):
        raise CellError(f"{what} skal være en tabel med overskriftsrække og mindst én kolonne pr. felt")
    return [list(r) for r in value]


def excel_value(x):
    """An engine figure for a cell: NaN (no figure, e.g. a target on a scheme row) is a blank cell,
    never Excel's #NUM!; an infinite figure is left for `finite` to refuse."""
    if x is None:
        return None
    if isinstance(x, (float, np.floating)) and np.isnan(x):
        return None
    if isinstance(x, np.generic):
        return x.item()
    return x


def table_input(forloeb_table, fleksjob_table, targets_table=None, weights_table=None):
    """The engine's raw input from table ranges with their header rows (tblForloeb[#Alle] ...), as
    xlwings hands them over with `convert="raw"`: every argument's shape is checked before any
    table's content; an optional table left out or without rows means the bundled data for the year."""
    grids = {SHEET_FORLOEB: table_grid(cells(forloeb_table), "forløbstabellen"),
             SHEET_FLEKSJOB: table_grid(cells(fleksjob_table), "fleksjobtabellen"),
             SHEET_MAALTAL: table_grid(cells(targets_table), "måltalstabellen", required=False),
             SHEET_VAEGTE: table_grid(cells(weights_table), "vægttabellen", required=False)}

    def optional(sheet):
        return nonempty(table_from_grid(sheet, grids[sheet], required=False))

    return RawInput(forloeb=table_from_grid(SHEET_FORLOEB, grids[SHEET_FORLOEB]),
                    fleksjob=table_from_grid(SHEET_FLEKSJOB, grids[SHEET_FLEKSJOB]),
                    maaltal=optional(SHEET_MAALTAL), vaegte=optional(SHEET_VAEGTE))

"""Parse and check a raw register (strings, numbers, datetimes as sheets and CSV files give them).

Readers hand over raw tables exactly as read; this module maps their headers (`headers`), parses dates
(ISO, Danish dd-mm-yyyy / dd.mm.yyyy / dd/mm/yyyy, Excel serials, datetimes), and reports every
problem as a `Finding` naming source, row and column. Nothing is evaluated, nothing is dropped
silently: a row that cannot be used is an error, a row that is used with care is a warning.

Here are the rules, one function per column; how a column is read fast (once per distinct value)
is `factorize`, how copies and overlaps are found fast is `conflicts`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .conflicts import NAT, conflicts
from .factorize import Factorized, RawTable, blank, cpr_per_unique, dates, factorize, per_unique, spread
from .findings import ADVARSEL, FEJL, Finding, is_excel_error
from .headers import FLEKSJOB_COLUMNS, FORLOEB_COLUMNS, column_list, map_columns  # noqa: F401 (column_list: re-exported)
from .helaarspersoner import MAX_HOURS_PER_WEEK
from .periods import Period
from .rules import FORVALTNINGER, KK, YearRules, all_schemes
from .values import (FRACTIONAL, SCHEME_ALIASES, WHOLE, code_lookup, fold_key, number_problem, numbers_of,
                     numbers_per_value, plural, show_date)
from .values import show as _show

_MAX_LISTED = 1000  # findings of one kind beyond this are summarised in one line


def excel_error_findings(frame: pd.DataFrame | RawTable, source: str, first_row: int = 2) -> list[Finding]:
    """Every cell holding an Excel error value (#N/A, #VALUE!, ...) or one of our #FEJL messages:
    an error naming source, row and column. Checked once per distinct value of each column (a
    `RawTable` keeps its columns factorised for the register parse that follows)."""
    table = RawTable.of(frame)
    frame = table.frame
    out: list[Finding] = []
    hits = 0
    for col in frame.columns:
        fz = table.column(col)
        err_u = per_unique(fz, fz.prefilter.maybe_error, is_excel_error)
        if not err_u.any():
            continue
        rows = np.flatnonzero(spread(fz.codes, err_u, False))
        for i in rows:
            hits += 1
            if hits <= _MAX_LISTED:
                out.append(Finding(FEJL, source, f"Cellen indeholder fejlværdien {_show(frame[col].iloc[i])}. "
                                   "Ret formlen eller værdien.", raekke=int(i) + first_row, kolonne=str(col)))
    if hits > _MAX_LISTED:
        out.append(Finding(FEJL, source,
                           f"... og {plural(hits - _MAX_LISTED, 'celle', 'celler')} mere med en fejlværdi."))
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
            self.findings.append(Finding(alvor, self.source,
                                         f"... og {plural(len(idx) - _MAX_LISTED, 'række', 'rækker')} "
                                         "mere med samme problem.", kolonne=self.columns.get(canon, canon)))


def _codes(fz: Factorized, valid: list[str], aliases: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Map raw codes to valid ones (case, spacing, known short forms); (mapped, unknown mask)."""
    index, unknown = _valid_codes(fz, valid, aliases)
    return np.array(list(valid) + [None], dtype=object).take(index), unknown


def _valid_codes(fz: Factorized, valid: list[str], aliases: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index into `valid` (-1 where unknown or missing) and the unknown mask; decided
    once per distinct raw value, never a Python object per row."""
    lookup = code_lookup(valid, aliases)
    pos = {v: i for i, v in enumerate(valid)}
    index_u = np.array([pos.get(lookup.get(fold_key(v)), -1) for v in fz.uniques], dtype=np.int64)
    return spread(fz.codes, index_u, -1), spread(fz.codes, index_u < 0, True)


def _suggest(value, valid: list[str]) -> str:
    swapped = [v for v in valid if sorted(fold_key(v)) == sorted(fold_key(value))]
    if swapped:  # letters swapped ("SFO" for SOF): difflib would tie between SOF and SUF
        return f" Mente du '{swapped[0]}'?"
    near = difflib.get_close_matches(str(value).strip(), valid, n=1, cutoff=0.4)
    if not near:
        near = difflib.get_close_matches(fold_key(value), [fold_key(v) for v in valid], n=1, cutoff=0.4)
        near = [next(v for v in valid if fold_key(v) == near[0])] if near else []
    return f" Mente du '{near[0]}'?" if near else ""


@dataclass(frozen=True)
class Register:
    """The input: forløb and fleksjob employment (or fleksjob headcounts given directly).

    forloeb: id, forvaltning, ordning, start, slut (NaT = running), timer_pr_uge (float, may be NaN)
    fleksjob: id, forvaltning, start, slut — employment spells; or None
    From `parse_register`: id is a person number (int64, one per distinct id), forvaltning and
    ordning are categoricals of the valid names, so `aggregate` groups on integer codes; plain
    object columns work too (they are factorized).
    fleksjob_antal: enhed -> headcount in the reference month, when spells are not available
    """

    forloeb: pd.DataFrame
    fleksjob: pd.DataFrame | None = None
    fleksjob_antal: pd.Series | None = None


def parse_register(forloeb_raw: pd.DataFrame | RawTable, fleksjob_raw: pd.DataFrame | RawTable | None,
                   rules: YearRules, period: Period, *, forloeb_source: str = "forloeb.csv",
                   fleksjob_source: str = "fleksjob.csv", first_row: int = 2,
                   fleksjob_first_row: int | None = None, basis: str = "kalenderdage",
                   reference_month: Period | None = None) -> tuple[Register, list[Finding]]:
    """Raw tables -> a `Register` of clean rows, plus every finding. Rows with errors are left
    out of the register, but the findings say so; callers must not write tables when any finding
    is an error (`InputError`). `reference_month`: the fleksjob reference month (default: the
    period's last month). A table given as a `RawTable` reuses the columns an earlier check
    (`excel_error_findings`) factorised."""
    findings: list[Finding] = []
    forloeb, f1 = _parse_spells(RawTable.of(forloeb_raw), FORLOEB_COLUMNS, rules, period, forloeb_source,
                                first_row, basis=basis, with_scheme=True)
    findings += f1
    fleksjob = fleksjob_antal = None
    if fleksjob_raw is not None:
        table = RawTable.of(fleksjob_raw)
        start_row = fleksjob_first_row if fleksjob_first_row is not None else first_row
        cols, _ = map_columns(table.frame.columns, (), fleksjob_source)
        if "antal" in cols and "start" not in cols:
            fleksjob_antal, f2 = _parse_headcounts(table.frame, cols, fleksjob_source, start_row)
        else:
            # employment counts in the reference month: a row starting after the period may still count
            fleksjob, f2 = _parse_spells(table, FLEKSJOB_COLUMNS, rules, reference_month or period.last_month,
                                         fleksjob_source, start_row, basis=basis, with_scheme=False)
        findings += f2
    findings += _check_targets(forloeb, rules)
    return Register(forloeb, fleksjob, fleksjob_antal), findings


# ---------------------------------------------------------------- spell tables: one rule per column

class _Spells:
    """A spell table under check: its cells, its columns factorised, the rows found in error so far,
    and the clean columns the rules produce (`columns`)."""

    def __init__(self, table: RawTable, cols: dict[str, str], required, source: str, first_row: int):
        self.raw = table.frame.reset_index(drop=True)
        self.cols, self.source, self.first_row = cols, source, first_row
        self.c = _Collector(source, first_row, cols)
        self.n = len(self.raw)
        self.fz = {k: table.column(col) for k, col in cols.items()}
        self.blanks = {k: blank(self.fz[k]) for k in required}
        # Wholly blank rows (e.g. the empty tail of an Excel table) are not data.
        self.blank_row = np.logical_and.reduce(list(self.blanks.values())) if self.n else np.zeros(0, bool)
        self.error = np.zeros(self.n, dtype=bool)
        self.columns: dict[str, np.ndarray] = {}

    def cell(self, canon: str, i: int):
        return self.raw[self.cols[canon]].iloc[i]

    def shown(self, canon: str, i: int) -> str:
        return _show(self.cell(canon, i))


def _parse_spells(table: RawTable, required, rules: YearRules, period: Period, source: str,
                  first_row: int, *, basis: str, with_scheme: bool) -> tuple[pd.DataFrame, list[Finding]]:
    """A spell table (forløb with a scheme, fleksjob without) checked rule by rule, in the order its
    findings are listed; the clean rows as `_clean_frame` gives them."""
    cols, findings = map_columns(list(table.frame.columns), required, source)
    if findings:
        return _clean_frame(with_scheme, np.zeros(0, bool), {}), findings
    t = _Spells(table, cols, required, source, first_row)
    _id_rule(t)
    _cpr_rule(t)
    valid_units = FORVALTNINGER
    _forvaltning_rule(t, valid_units)
    _id_key(t)
    schemes_all = _ordning_rule(t, rules) if with_scheme else []
    _date_rules(t, period, with_scheme)
    if with_scheme:
        _hours_rule(t, basis)
    keep = _copies_and_overlaps_rule(t, with_scheme)
    clean = _clean_frame(with_scheme, None if keep.all() else keep, t.columns, valid_units, schemes_all)
    return clean, findings + t.c.findings


def _id_rule(t: _Spells) -> None:
    """Every row names a person."""
    id_blank = t.blanks["id"] & ~t.blank_row
    t.c.rows(id_blank, FEJL, "id", lambda i: "Id mangler. Angiv et pseudonymt id for personen.")
    t.error |= id_blank


def _cpr_rule(t: _Spells) -> None:
    """Issue 4: a CPR number in any column is flagged; the message shows it masked."""
    for canon, col in t.cols.items():
        cpr_u = cpr_per_unique(t.fz[canon])
        if not cpr_u.any():
            continue
        cpr = spread(t.fz[canon].codes, cpr_u, False) & ~t.blank_row
        if cpr.any():
            first = int(np.flatnonzero(cpr)[0])
            what, todo = ((("id", "id'er"), "Brug pseudonyme id'er") if canon == "id"
                          else (("værdi", "værdier"), "Fjern CPR-numre fra kolonnen"))
            t.c.findings.append(Finding(ADVARSEL, t.source, f"{plural(int(cpr.sum()), *what)} ligner CPR-numre (fx "
                                        f"{t.shown(canon, first)}). {todo}; CPR-numre gengives aldrig.",
                                        raekke=first + t.first_row, kolonne=col))


def _forvaltning_rule(t: _Spells, valid_units: list[str]) -> None:
    """A known forvaltning code (case and spacing aside)."""
    forv_code, unknown = _valid_codes(t.fz["forvaltning"], valid_units, {})
    unknown &= ~t.blank_row
    f_blank = unknown & t.blanks["forvaltning"]
    t.c.rows(f_blank, FEJL, "forvaltning", lambda i: f"Forvaltningen mangler. Skriv koden, fx SOF "
             f"(gyldige koder: {', '.join(valid_units)}).")
    t.c.rows(unknown & ~f_blank, FEJL, "forvaltning", lambda i: f"Ukendt forvaltning '{t.shown('forvaltning', i)}'."
             f"{_suggest(t.cell('forvaltning', i), valid_units)} Gyldige koder: {', '.join(valid_units)}.")
    t.error |= unknown
    t.columns["forvaltning"] = forv_code


def _id_key(t: _Spells) -> None:
    """The person number: ids the same after stripping spaces are one person."""
    fz = t.fz["id"]
    strip_u = fz.prefilter.needs_strip
    if strip_u.any():
        # one code per distinct stripped text
        text_u = fz.uniques.copy()
        text_u[strip_u] = [str(v).strip() for v in fz.uniques[strip_u]]
        key_u = pd.factorize(text_u)[0]
        t.columns["id"] = spread(fz.codes, key_u.astype(np.int64), -1)
    else:                           # no value strip would change: the codes are the key
        t.columns["id"] = np.asarray(fz.codes, dtype=np.int64)


def _ordning_rule(t: _Spells, rules: YearRules) -> list[str]:
    """A known scheme; one outside this year's group is known but not counted. Returns the schemes
    the codes index: this year's group first (its codes are the group's positions), then every other
    scheme known from the year data, each name once."""
    known_schemes = list(rules.group)
    schemes_all = list(dict.fromkeys(known_schemes + [rules.fleksjob, *all_schemes()]))
    sch_code, unk = _valid_codes(t.fz["ordning"], schemes_all, SCHEME_ALIASES)
    unk &= ~t.blank_row
    o_blank = unk & t.blanks["ordning"]
    t.c.rows(o_blank, FEJL, "ordning", lambda i: f"Ordningen mangler. Gyldige ordninger i {rules.year}: "
             f"{', '.join(known_schemes)}.")
    t.c.rows(unk & ~o_blank, FEJL, "ordning", lambda i: f"Ukendt ordning '{t.shown('ordning', i)}'."
             f"{_suggest(t.cell('ordning', i), known_schemes)} Gyldige ordninger i {rules.year}: "
             f"{', '.join(known_schemes)}.")
    t.error |= unk
    outside = ~unk & ~t.blank_row & (sch_code >= len(known_schemes))
    t.c.rows(outside, ADVARSEL, "ordning", lambda i: f"Ordningen '{schemes_all[sch_code[i]]}' indgår ikke i "
             f"{rules.year}s opgørelse og tælles ikke med."
             + (" Fleksjob hører til i fleksjob-arket." if schemes_all[sch_code[i]] == rules.fleksjob else ""))
    t.columns["ordning"] = sch_code
    return schemes_all


def _date_rules(t: _Spells, period: Period, with_scheme: bool) -> None:
    """A start date; an end date or blank (running); the end not before the start; a row starting
    after `period` (the reporting period for forløb, the reference month for fleksjob) noted once."""
    start, s_blank, s_bad = dates(t.fz["start"])
    end, e_blank, e_bad = dates(t.fz["slut"])
    s_blank &= ~t.blank_row
    t.c.rows(s_blank, FEJL, "start", lambda i: "Startdato mangler. Skriv forløbets første dag, fx 01-01-2024.")
    t.c.rows(s_bad, FEJL, "start", lambda i: f"'{t.shown('start', i)}' er ikke en dato. "
             "Skriv fx 31-12-2024 eller 2024-12-31.")
    t.c.rows(e_bad, FEJL, "slut", lambda i: f"'{t.shown('slut', i)}' er ikke en dato. "
             "Skriv fx 31-12-2024, eller lad feltet stå tomt, hvis forløbet stadig kører.")
    t.error |= s_blank | s_bad | e_bad
    # day numbers (NaT is int64's minimum: below every date, and never "after" one)
    s_day, e_day = start.view(np.int64), end.view(np.int64)
    running = e_day == NAT
    reversed_ = (s_day != NAT) & ~running & (e_day < s_day)
    t.c.rows(reversed_, FEJL, "slut", lambda i: f"Slutdato {show_date(end[i])} ligger før startdato "
             f"{show_date(start[i])}. Ret datoerne.")
    t.error |= reversed_
    p1 = int(np.datetime64(period.end, "D").astype(np.int64))
    after = (s_day > p1) & ~t.error
    if after.any():
        # Registers often run past the period; one line says so instead of one per row.
        first = int(np.flatnonzero(after)[0])
        n_after = int(after.sum())
        rows_ = plural(n_after, "række", "rækker") if with_scheme else plural(n_after, "ansættelse", "ansættelser")
        where = f"perioden ({period.label()})" if with_scheme else f"referencemåneden ({period.label()})"
        t.c.findings.append(Finding(ADVARSEL, t.source, f"{rows_} starter efter {where} "
                                    f"og tælles ikke med (den første: startdato {show_date(start[first])}).",
                                    raekke=first + t.first_row, kolonne=t.cols["start"]))
    t.columns["start"], t.columns["slut"] = start, end


def _hours_rule(t: _Spells, basis: str) -> None:
    """Hours a week, when given: a number above 0 and at most MAX_HOURS_PER_WEEK; blank is full time."""
    hours = np.full(t.n, np.nan)
    if "timer_pr_uge" in t.cols:
        fz = t.fz["timer_pr_uge"]
        h_blank = blank(fz)
        # one reader for numbers: hours are fractional ("37,5"); unreadable text is an error, never blank
        h_u, _, h_bad_u = numbers_per_value(fz.uniques, FRACTIONAL)
        hours = spread(fz.codes, h_u, np.nan)
        h_bad = spread(fz.codes, h_bad_u, False) & ~t.blank_row
        t.c.rows(h_bad, FEJL, "timer_pr_uge",
                 lambda i: number_problem(t.cell("timer_pr_uge", i), FRACTIONAL, "et antal timer", "37 eller 37,5"))
        neg = np.isfinite(hours) & (hours <= 0) & ~t.blank_row
        t.c.rows(neg, FEJL, "timer_pr_uge", lambda i: f"Timer pr. uge skal være større end 0 (er {hours[i]:g}).")
        over = np.isfinite(hours) & (hours > MAX_HOURS_PER_WEEK) & ~t.blank_row
        t.c.rows(over, FEJL, "timer_pr_uge", lambda i: f"Timer pr. uge kan højst være {MAX_HOURS_PER_WEEK} "
                 f"(er {t.shown('timer_pr_uge', i)}). Skriv de aftalte ugentlige timer, fx 37.")
        t.error |= h_bad | neg | over
        if basis == "hverdage":
            t.c.rows(h_blank & ~t.blank_row, ADVARSEL, "timer_pr_uge",
                     lambda i: "Timer pr. uge mangler; forløbet tælles som fuld tid (37 timer).")
    t.columns["timer_pr_uge"] = hours


def _copies_and_overlaps_rule(t: _Spells, with_scheme: bool) -> np.ndarray:
    """An exact copy of a row counts once; overlapping spells of one person in one scheme (forløb)
    or forvaltning (fleksjob) are noted. Returns the rows to keep."""
    keep = ~t.error & ~t.blank_row
    rows = np.flatnonzero(keep)
    forv_code = t.columns["forvaltning"]
    group = t.columns["ordning"] if with_scheme else forv_code

    def kept(a: np.ndarray) -> np.ndarray:        # no copy when every row is kept (the usual case)
        return a if len(rows) == t.n else a[rows]
    found = conflicts(kept(t.columns["id"]), kept(group), kept(forv_code) if with_scheme else None,
                      kept(t.columns["start"].view(np.int64)), kept(t.columns["slut"].view(np.int64)))
    t.c.rows(_at(t.n, rows[found.copies]), ADVARSEL, "id",
             lambda i: "Rækken er en præcis kopi af en tidligere række og tælles kun én gang.")
    for a, b in found.overlaps[:_MAX_LISTED]:
        if with_scheme:
            text = (f"Forløbet overlapper forløbet i række {rows[a] + t.first_row} for samme person i samme ordning; "
                    "dagene i overlappet tælles to gange. Ret datoerne, hvis det er en fejl.")
        else:   # fleksjob counts persons in the reference month: an overlap counts nobody twice
            text = (f"Ansættelsen overlapper ansættelsen i række {rows[a] + t.first_row} for samme person i samme "
                    "forvaltning; personen tælles kun én gang. Ret datoerne, hvis det er en fejl.")
        t.c.findings.append(Finding(ADVARSEL, t.source, text, raekke=int(rows[b]) + t.first_row,
                                    kolonne=t.cols.get("start", "start")))
    keep[rows[found.copies]] = False
    return keep


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


def _parse_headcounts(raw: pd.DataFrame, cols, source: str, first_row: int) -> tuple[pd.Series, list[Finding]]:
    findings = []
    unit_col = cols.get("forvaltning")
    if unit_col is None:
        return pd.Series(dtype=float), [Finding(FEJL, source, "Kolonnen 'forvaltning' mangler.", kolonne="forvaltning")]
    valid_units = FORVALTNINGER
    unit_fz = factorize(raw[unit_col])
    units, unknown = _codes(unit_fz, valid_units, {})
    counts, c_blank, c_bad = numbers_of(raw[cols["antal"]], WHOLE)     # 1.134 is 1134
    bad = c_blank | c_bad | (counts < 0)
    unit_blank = blank(unit_fz)
    for i in range(len(raw)):
        if unknown[i] and unit_blank[i]:
            findings.append(Finding(FEJL, source, "Forvaltningen mangler. Skriv koden, fx SOF.",
                                    raekke=i + first_row, kolonne=unit_col))
        elif unknown[i]:
            findings.append(Finding(FEJL, source, f"Ukendt forvaltning '{_show(raw[unit_col].iloc[i])}'."
                                    f"{_suggest(raw[unit_col].iloc[i], valid_units)}",
                                    raekke=i + first_row, kolonne=unit_col))
        elif bad[i]:
            findings.append(Finding(FEJL, source, number_problem(raw[cols['antal']].iloc[i], WHOLE, "et helt antal "
                                    "ansatte", "12 eller 1.134") or "Antallet af ansatte kan ikke være negativt.",
                                    raekke=i + first_row, kolonne=cols["antal"]))
    ok = ~unknown & ~bad
    given = set(units[~unknown])
    missing = [u for u in valid_units if u not in given]
    if missing and len(raw):
        # a forvaltning not in the file is counted as 0 employees: say so, it may be a partial export
        findings.append(Finding(ADVARSEL, source, f"{', '.join(missing)} står ikke i filen og tælles med 0 "
                                "fleksjobansatte. Tilføj en række med antal 0, hvis det er rigtigt.",
                                kolonne=unit_col))
    return pd.Series(counts[ok], index=units[ok]).groupby(level=0).sum(), findings


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
    if KK in t.index and any(u in t.index for u in FORVALTNINGER):
        for col in ("maaltal_gruppe", "maaltal_fleksjob"):
            parts = float(t.loc[[u for u in t.index if u != KK], col].sum())
            if float(t.at[KK, col]) != parts:
                findings.append(Finding(ADVARSEL, "maaltal", f"KK's {col} ({t.at[KK, col]:g}) er ikke summen af "
                                        f"forvaltningernes ({parts:g}); summen bruges.", kolonne=col))
    return findings

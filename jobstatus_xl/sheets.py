"""The workbook's layout: one description shared by every reader and writer of sheets.

The template builder, the xlwings macros and the headless (openpyxl) refresh all read input
sheets and write status sheets through this module, so the layout exists exactly once.
Grids are plain 2-D lists (row-major from A1) of values as handed to Excel: a string starting
with "=" is a formula in Excel's English syntax, and a leading apostrophe is Excel's text prefix
(`celltext`). No xlwings, no openpyxl here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from .celltext import cell_text
from .engine.findings import FEJL, Finding, InputError
from .engine.pipeline import RawInput, Result, Settings, Table, demo_input
from .engine.rules import FORVALTNINGER, KK, UNIT_NAMES
from .engine.values import (BASES, FRACTIONAL, WHOLE, Unreadable, fold_key, is_blank, parse_dates, read_basis,
                             read_date, read_number, read_year, show, to_date)
from .engine.tables import (COL_PCT, COL_SAMLET_MAALTAL, COL_SAMLET_STATUS, COL_STATUS, FOOTNOTES, ROW_ANTAL,
                            ROW_FLEKSJOB, ROW_SAMLET, NoteTable, antal_column, columns, table_title)

# ---------------------------------------------------------------- input sheets (the user's)
SHEET_FORLOEB = "Forløb"
SHEET_FLEKSJOB = "Fleksjob"
SHEET_MAALTAL = "Måltal"
SHEET_VAEGTE = "Vægte"
SHEET_TIDLIGERE = "Tidligere år"
SHEET_SETTINGS = "Indstillinger"

INPUT_COLUMNS: dict[str, list[str]] = {
    SHEET_FORLOEB: ["id", "forvaltning", "ordning", "start", "slut", "timer_pr_uge"],
    SHEET_FLEKSJOB: ["id", "forvaltning", "start", "slut"],
    SHEET_MAALTAL: ["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"],
    SHEET_VAEGTE: ["aar", "vaegt_gruppe", "vaegt_fleksjob"],
    SHEET_TIDLIGERE: ["aar", "enhed", "ordning", "status", "antal_forloeb"],
}
# What each input column holds beyond text: its dates and the kind of number of its numbers (the
# engine's one reader of values decides what 31-12-2024 or 1.084 means in such a column).
INPUT_DATE_COLUMNS = frozenset({"start", "slut"})
INPUT_NUMBER_COLUMNS = {"timer_pr_uge": FRACTIONAL, "aar": WHOLE, "status": FRACTIONAL, "antal_forloeb": WHOLE,
                        "maaltal_gruppe": WHOLE, "maaltal_fleksjob": WHOLE, "vaegt_gruppe": FRACTIONAL,
                        "vaegt_fleksjob": FRACTIONAL}
# Excel table (ListObject) names for the input sheets.
INPUT_TABLE_NAMES = {SHEET_FORLOEB: "tblForloeb", SHEET_FLEKSJOB: "tblFleksjob", SHEET_MAALTAL: "tblMaaltal",
                     SHEET_VAEGTE: "tblVaegte", SHEET_TIDLIGERE: "tblTidligereAar"}


@dataclass(frozen=True)
class Column:
    """One column of a sheet this package lays out: where it is and what the user calls it."""

    number: int                 # 1-based: A = 1
    name: str | None = None     # its header, or the short name messages give it
    width: float | None = None  # in characters, as both writers set it

    @property
    def letter(self) -> str:
        return a1(1, self.number)[:-1]

    @property
    def index(self) -> int:
        """0-based, in a grid row."""
        return self.number - 1

    def cell(self, row: int) -> str:
        return f"{self.letter}{row}"

    def span(self, first: int, last: int) -> str:
        return f"{self.cell(first)}:{self.cell(last)}"

    def described(self) -> str:
        """How a message names the column: 'B (Status)', or the bare letter for one without a name."""
        return f"{self.letter} ({self.name})" if self.name else self.letter


@dataclass(frozen=True)
class Setting:
    label: str      # SETTING_LABEL, what the user reads
    name: str       # defined name of the value cell (SETTING_VALUE)
    help: str       # SETTING_HELP


SETTINGS = [
    Setting("År", "Aar", "Opgørelsesåret, fx 2024. Måltal og vægte hentes for dette år."),
    Setting("Periode fra", "PeriodeFra", "Første dag i perioden. Tom = 1. januar."),
    Setting("Periode til", "PeriodeTil", "Sidste dag i perioden. Tom = 31. december."),
    Setting("Grundlag", "Grundlag",
            "kalenderdage (som i noten) eller hverdage (Danmarks Statistiks fuldtidspersoner)."),
    Setting("Referencemåned for fleksjob", "Referencemaaned",
            "En dag i måneden, hvor fleksjobansatte tælles. Tom = periodens sidste måned."),
    Setting("Opgjort pr.", "OpgjortPr", "Opgørelsesdato for arket 'Prognose', fx 30-06-2024: status til dato, sikker "
            "årsstatus (forløb startet senest denne dag) og prognose for året med lav og høj værdi. Datoen skal ligge "
            "i året. Tom = ingen prognose."),
]
SETTING_LABEL = Column(1, "Indstilling", 28)
SETTING_VALUE = Column(2, "Værdi", 14)
SETTING_HELP = Column(3, "Forklaring", 90)
SETTINGS_COLUMNS = (SETTING_LABEL, SETTING_VALUE, SETTING_HELP)
SETTINGS_HEADER = [c.name for c in SETTINGS_COLUMNS]


def settings_row(name: str) -> int:
    """1-based sheet row of a setting's value (header is row 1)."""
    return 2 + [s.name for s in SETTINGS].index(name)


# ---------------------------------------------------------------- owned sheets (ours to rewrite)
SHEET_OVERVIEW = "Oversigt"
SHEET_CHECK = "Kontrol"
TABLE_UNITS = [KK, KK] + FORVALTNINGER   # Tabel 1 = KK, 2 = KK previous year, 3.. = forvaltninger
PREVIOUS_YEAR_TABLE = 2      # KK the year before: the published figures, not in the overview


def table_sheet(number: int) -> str:
    return f"Tabel {number}"


SHEET_PROGNOSE = "Prognose"
OWNED_SHEETS = ([SHEET_OVERVIEW] + [table_sheet(n) for n in range(1, len(TABLE_UNITS) + 1)]
                + [SHEET_CHECK, SHEET_PROGNOSE])

FMT_NUMBER = "#,##0"
FMT_PCT = '0" pct."'
FMT_WEIGHT = '0" pct."'
FMT_DATE = "dd-mm-yyyy"


@dataclass(frozen=True)
class StatusLayout:
    """A status sheet ('Tabel n'), as the writer lays it out and `check` reads it back: the title in
    A1, a subtitle in A2, the note's table with its header in `header_row` (the unit's code above
    the row labels) and one row per scheme from `first_row`, then the rows ROW_ANTAL, ROW_FLEKSJOB
    and ROW_SAMLET, a blank row and the footnotes. The group's totals (samlet status, måltal and
    målopfyldelse) stand beside the first scheme, as in the note. The note's columns are the
    engine's table columns, found by name (`note_column`); `weight` is the sheet's own."""

    label: Column             # row labels; the unit's code in the header row
    status: Column
    samlet_status: Column
    samlet_maaltal: Column
    pct: Column               # procentvis målopfyldelse (a formula: 100 × ATTAINMENT)
    antal: Column             # antal forløb; the engine's header names the year or the period
    weight: Column            # the weights of WEIGHTED_ATTAINMENT in the total row
    title_row: int = 1
    subtitle_row: int = 2
    header_row: int = 4
    first_row: int = 5

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column, A first."""
        return (self.label, self.status, self.samlet_status, self.samlet_maaltal, self.pct, self.antal, self.weight)

    @property
    def note_columns(self) -> tuple[Column, ...]:
        """The columns that hold the note's table, in its order."""
        return (self.status, self.samlet_status, self.samlet_maaltal, self.pct, self.antal)

    @property
    def figures(self) -> tuple[Column, ...]:
        """The columns that hold figures (every one but the labels)."""
        return self.note_columns + (self.weight,)

    @property
    def width(self) -> int:
        """How many columns the sheet's grid has."""
        return max(c.number for c in self.columns)

    def note_column(self, column: Column, headers) -> str:
        """The engine's name of a note column among `headers` (a table's columns). The antal column's
        name depends on the year and period ('Antal forløb i 2024**'): it is the one no other note
        column names."""
        if column == self.antal:
            return antal_column(headers)
        if column in self.note_columns and column.name in list(headers):
            return column.name
        raise KeyError(f"no column {column.described()} among {list(headers)}")

    def header(self, unit: str, headers) -> list:
        """The header row: the unit's code, the engine's column names, the weight's."""
        row = [None] * self.width
        row[self.label.index] = unit
        for c in self.note_columns:
            row[c.index] = self.note_column(c, headers)
        row[self.weight.index] = self.weight.name
        return row


STATUS = StatusLayout(label=Column(1, None, 46), status=Column(2, COL_STATUS, 13),
                      samlet_status=Column(3, COL_SAMLET_STATUS, 13), samlet_maaltal=Column(4, COL_SAMLET_MAALTAL, 13),
                      pct=Column(5, COL_PCT, 15), antal=Column(6, "Antal forløb", 15), weight=Column(7, "Vægt", 9))
HEADER_ROW = STATUS.header_row      # also the Prognose sheet's and the overview's header row
FIRST_ROW = STATUS.first_row
GRID_WIDTH = STATUS.width


@dataclass
class SheetGrid:
    """A sheet's content from A1: cells (values or '=formulas'), the formulas' computed values
    (so viewers that do not recalculate still show figures), and number formats per range."""

    name: str
    cells: list[list]
    computed: dict[tuple[int, int], float] = field(default_factory=dict)   # (row, col) 0-based
    formats: dict[str, str] = field(default_factory=dict)                  # "B5:B9" -> format

    def rows(self) -> int:
        return len(self.cells)


# The look of rows that move with the table's length (plain data; each writer turns it into its
# own calls). Title, subtitle and header rows sit in fixed rows and are styled in the template too.
NOTE_FONT = {"italic": True, "size": 9, "color": "595959"}


def header_row(sheet: str) -> int:
    """The row of a sheet's column headers: below title and subtitle on our sheets, else row 1."""
    return HEADER_ROW if sheet in OWNED_SHEETS else 1


def row_styles(grid: SheetGrid) -> dict[str, list[tuple[int, int]]]:
    """The rows that get the house look, as 1-based (first, last) runs: "header" (the table's
    header row: bold, shaded), "total" (the weighted total: bold) and "note" (footnotes: NOTE_FONT
    in column A). Both writers style exactly these, so the ribbon and the headless refresh look
    alike at any table length, with a fixed number of runs per sheet."""
    header = header_row(grid.name)
    out: dict[str, list[tuple[int, int]]] = {"header": [(header, header)] if grid.rows() >= header else [],
                                             "total": [], "note": []}
    if grid.name.startswith("Tabel "):
        for r, row in enumerate(grid.cells, start=1):
            label = row[STATUS.label.index] if len(row) > STATUS.label.index else None
            if label == ROW_SAMLET:
                kind = "total"
            elif isinstance(label, str) and label.startswith("*"):
                kind = "note"
            else:
                continue
            runs = out[kind]
            if runs and runs[-1][1] == r - 1:
                runs[-1] = (runs[-1][0], r)
            else:
                runs.append((r, r))
    return out


def a1(row: int, col: int) -> str:
    """1-based row and column -> A1."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


@dataclass(frozen=True)
class NoteFigures:
    """A note table's unrounded figures, read by row label and column name: what its status sheet
    shows and the refresh summary quotes."""

    schemes: list[tuple[str, float, float]]     # (row label, status, antal forløb) per group scheme
    samlet_status: float                        # the group's, beside its first scheme
    samlet_maaltal: float
    maalopfyldelse: float
    antal_forloeb: float                        # ROW_ANTAL: all the group's forløb
    fleksjob_status: float
    fleksjob_maaltal: float
    fleksjob_maalopfyldelse: float
    samlet_maalopfyldelse: float                # ROW_SAMLET: the weighted total


def note_figures(table: NoteTable) -> NoteFigures:
    f = table.frame
    name = {c: STATUS.note_column(c, f.columns) for c in STATUS.note_columns}

    def at(row: str, column: Column) -> float:
        return f.at[row, name[column]]

    labels = list(f.index)
    group = labels[:labels.index(ROW_ANTAL)]
    first = labels[0]       # the note prints the group's totals once, beside its first scheme
    return NoteFigures(
        [(label, at(label, STATUS.status), at(label, STATUS.antal)) for label in group],
        at(first, STATUS.samlet_status), at(first, STATUS.samlet_maaltal), at(first, STATUS.pct),
        at(ROW_ANTAL, STATUS.antal),
        at(ROW_FLEKSJOB, STATUS.status), at(ROW_FLEKSJOB, STATUS.samlet_maaltal), at(ROW_FLEKSJOB, STATUS.pct),
        at(ROW_SAMLET, STATUS.pct))


def _status_cells(title: str, subtitle: str, header: list) -> list[list]:
    """Title, subtitle and header rows of a status sheet."""
    cells = [[None] * STATUS.width for _ in range(STATUS.header_row)]
    cells[STATUS.title_row - 1][STATUS.label.index] = title
    cells[STATUS.subtitle_row - 1][STATUS.label.index] = subtitle
    cells[STATUS.header_row - 1] = header
    return cells


def status_grid(table: NoteTable, weight_group: float, weight_fleksjob: float, subtitle: str) -> SheetGrid:
    """A status sheet laid out like the note's table, with live formulas for totals and attainment."""
    L = STATUS
    fig = note_figures(table)
    n_group = len(fig.schemes)
    r_first, r_last = L.first_row, L.first_row + n_group - 1
    r_antal, r_fleks, r_samlet = r_last + 1, r_last + 2, r_last + 3
    # the table's own headers (a part of the year says so)
    cells = _status_cells(table.title, subtitle, L.header(table.unit, table.frame.columns))
    computed: dict[tuple[int, int], float] = {}

    def put(row: int, col: Column, value, shown=None):
        cells[row - 1][col.index] = value
        if isinstance(value, str) and value.startswith("="):
            computed[(row - 1, col.index)] = shown

    while len(cells) < r_samlet:
        cells.append([None] * L.width)
    for i, (label, status, antal) in enumerate(fig.schemes):
        r = r_first + i
        put(r, L.label, label)
        put(r, L.status, _num(status))
        put(r, L.antal, _num(antal))
    put(r_first, L.samlet_status, f"=SUM({L.status.span(r_first, r_last)})", _num(fig.samlet_status))
    put(r_first, L.samlet_maaltal, _num(fig.samlet_maaltal))
    put(r_first, L.pct, _pct_formula(L.samlet_status.cell(r_first), L.samlet_maaltal.cell(r_first)),
        _pct(fig.maalopfyldelse))
    put(r_first, L.weight, round(100.0 * weight_group, 9))
    put(r_antal, L.label, ROW_ANTAL)
    put(r_antal, L.antal, f"=SUM({L.antal.span(r_first, r_last)})", _num(fig.antal_forloeb))
    put(r_fleks, L.label, ROW_FLEKSJOB)
    put(r_fleks, L.status, _num(fig.fleksjob_status))
    put(r_fleks, L.samlet_maaltal, _num(fig.fleksjob_maaltal))
    put(r_fleks, L.pct, _pct_formula(L.status.cell(r_fleks), L.samlet_maaltal.cell(r_fleks)),
        _pct(fig.fleksjob_maalopfyldelse))
    put(r_fleks, L.weight, round(100.0 * weight_fleksjob, 9))
    put(r_samlet, L.label, ROW_SAMLET)
    put(r_samlet, L.pct, f"=WEIGHTED_ATTAINMENT({L.pct.span(r_first, r_fleks)},{L.weight.span(r_first, r_fleks)})",
        _pct(fig.samlet_maalopfyldelse))
    cells.append([None] * L.width)
    for note in FOOTNOTES:
        row = [None] * L.width
        row[L.label.index] = note
        cells.append(row)
    formats = {f"{L.status.cell(r_first)}:{L.samlet_maaltal.cell(r_fleks)}": FMT_NUMBER,
               L.antal.span(r_first, r_antal): FMT_NUMBER,
               L.pct.span(r_first, r_samlet): FMT_PCT, L.weight.span(r_first, r_fleks): FMT_WEIGHT}
    return SheetGrid(table_sheet(table.number), cells, computed, formats)


def _pct_formula(status: str, target: str) -> str:
    """Attainment in percent for a '0" pct."' cell. On bad input (a zero target) ATTAINMENT returns
    a Danish message; 100 × text would hide it behind #VALUE!, so IFERROR shows the message."""
    return f"=IFERROR(100*ATTAINMENT({status},{target}),ATTAINMENT({status},{target}))"


def _pct(fraction) -> float | None:
    x = _num(fraction)
    return None if x is None else 100.0 * x


def empty_status_grid(number: int, unit: str, year: int, message: str) -> SheetGrid:
    """A status sheet with no figures yet (template, or no previous-year data)."""
    cells = _status_cells(table_title(number, unit, year), message, STATUS.header(unit, columns(year)))
    return SheetGrid(table_sheet(number), cells)


def result_grids(result: Result) -> list[SheetGrid]:
    """Every owned sheet's content after a successful computation, in workbook order."""
    s = result.settings
    subtitle = f"Periode: {s.period.label()}. Grundlag: {s.basis}. Afrundet som i noten (halve op, fra uafrundede tal)."
    grids: dict[int, SheetGrid] = {}
    for table in result.tables:
        rules = result.rules if table.year == result.rules.year else None
        wg, wf = (rules.weight_group, rules.weight_fleksjob) if rules else _previous_weights(table.year)
        sub = subtitle if table.year == s.year else f"Hele {table.year}, fra de offentliggjorte tal (ingen mikrodata)."
        grids[table.number] = status_grid(table, wg, wf, sub)
    if PREVIOUS_YEAR_TABLE not in grids:
        grids[PREVIOUS_YEAR_TABLE] = empty_status_grid(PREVIOUS_YEAR_TABLE, KK, s.year - 1,
                                                       f"Ingen tal for {s.year - 1}: udfyld arket '{SHEET_TIDLIGERE}'.")
    out = [overview_grid(result, grids)]
    out += [grids[n] for n in sorted(grids)]
    out.append(findings_grid(result.findings))
    # Always written: without a status date the sheet says so, rather than keep an old forecast.
    out.append(prognose_grid(result.forecast) if result.forecast is not None else empty_prognose_grid(
        s.year, f"Ingen prognose: skriv en dato i 'Opgjort pr.' på arket '{SHEET_SETTINGS}', fx 30-06-{s.year}, "
                "og klik 'Opdater alle tabeller'."))
    return out


def _previous_weights(year: int) -> tuple[float, float]:
    from .engine.rules import load_rules
    r = load_rules(year)
    return r.weight_group, r.weight_fleksjob


@dataclass(frozen=True)
class OverviewLayout:
    """The overview sheet: title and subtitle, a header in `header_row`, then one row per status
    table but the previous year's (`OVERVIEW_TABLES`, in table order) from `first_row`; the
    template's charts plot exactly these rows."""

    enhed: Column
    navn: Column
    helaarspersoner: Column     # =the status sheet's group målopfyldelse
    fleksjob: Column            # =its fleksjob målopfyldelse
    samlet: Column              # =its weighted total
    maal: Column                # 100 (pct.): the charts' target line
    title_row: int = 1
    subtitle_row: int = 2
    header_row: int = HEADER_ROW
    first_row: int = HEADER_ROW + 1

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column, A first."""
        return (self.enhed, self.navn, self.helaarspersoner, self.fleksjob, self.samlet, self.maal)

    @property
    def width(self) -> int:
        """How many columns the sheet's grid has."""
        return max(c.number for c in self.columns)

    @property
    def last_row(self) -> int:
        return self.first_row + len(OVERVIEW_TABLES) - 1


OVERVIEW_TABLES = [n for n in range(1, len(TABLE_UNITS) + 1) if n != PREVIOUS_YEAR_TABLE]
OVERVIEW = OverviewLayout(Column(1, "Enhed", 8), Column(2, "Navn", 44), Column(3, "Helårspersoner", 16),
                          Column(4, "Fleksjob", 16), Column(5, "Samlet (vægtet)", 17), Column(6, "Mål", 9))
OVERVIEW_HEADER = [c.name for c in OVERVIEW.columns]


def overview_grid(result: Result, grids: dict[int, SheetGrid]) -> SheetGrid:
    """Attainment per unit, as formulas on the status sheets (so charts follow edits there)."""
    OV, L = OVERVIEW, STATUS
    cells = [[None] * OV.width for _ in range(OV.header_row)]
    cells[OV.title_row - 1][OV.enhed.index] = f"Oversigt: målopfyldelse for {result.settings.period.label()}"
    cells[OV.subtitle_row - 1][OV.enhed.index] = ("Procentvis målopfyldelse per forvaltning. Diagrammerne nedenfor "
                                                 "tegnes af Excel ud fra tabellen.")
    cells[OV.header_row - 1] = list(OVERVIEW_HEADER)
    computed = {}
    for number, grid in sorted(grids.items()):
        if number == PREVIOUS_YEAR_TABLE:
            continue
        unit = grid.cells[L.header_row - 1][L.label.index]
        labels = [r[L.label.index] for r in grid.cells]
        rows = {OV.helaarspersoner: L.first_row, OV.fleksjob: labels.index(ROW_FLEKSJOB) + 1,
                OV.samlet: labels.index(ROW_SAMLET) + 1}
        row = [None] * OV.width
        row[OV.enhed.index], row[OV.navn.index], row[OV.maal.index] = unit, UNIT_NAMES.get(unit, unit), 100
        for col, r in rows.items():
            row[col.index] = f"='{grid.name}'!{L.pct.cell(r)}"
            computed[(len(cells), col.index)] = grid.computed[(r - 1, L.pct.index)]
        cells.append(row)
    last = len(cells)
    span = f"{OV.helaarspersoner.cell(OV.first_row)}:{OV.maal.cell(last)}"
    return SheetGrid(SHEET_OVERVIEW, cells, computed, {span: FMT_PCT})


FINDINGS_HEADER = ["Alvor", "Ark/fil", "Række", "Kolonne", "Besked"]


def findings_grid(findings: list[Finding], title: str | None = None) -> SheetGrid:
    """The check sheet: every finding, or a line saying there were none."""
    stamp = title or "Kontrol af inddata"
    cells = [[stamp, None, None, None, None],
             [f"{sum(f.er_fejl for f in findings)} fejl og {sum(not f.er_fejl for f in findings)} advarsler. "
              "Fejl skal rettes, før tabellerne kan opdateres; advarsler bør læses.", None, None, None, None],
             [None] * 5,
             list(FINDINGS_HEADER)]
    for f in findings:
        cells.append([f.alvor, cell_text(f.kilde), f.raekke, cell_text(f.kolonne), cell_text(f.besked)])
    if not findings:
        cells.append(["ok", None, None, None, "Ingen fejl eller advarsler."])
    return SheetGrid(SHEET_CHECK, cells)


# ---------------------------------------------------------------- reading input sheets

def table_from_grid(sheet: str, grid: list[list] | None, required: bool = True) -> Table | None:
    """A raw input table from a sheet's values (header in row 1). Trailing blank rows are ignored."""
    if grid is None or not grid or all(is_blank(v) for v in grid[0]):
        if required:
            raise InputError([Finding(FEJL, sheet,
                                      f"Arket '{sheet}' mangler eller har ingen overskriftsrække i række 1.")])
        return None
    header = [str(h).strip() if h is not None else "" for h in grid[0]]
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)
    header = header[:width]
    body = [list(r[:width]) + [None] * (width - len(r)) for r in grid[1:]]
    while body and all(is_blank(v) for v in body[-1]):
        body.pop()
    header, body = _named_columns(sheet, header, body)
    frame = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    return Table(frame, sheet, first_row=2)


def _named_columns(sheet: str, header: list[str], body: list[list]) -> tuple[list[str], list[list]]:
    """Every column with a header of its own: a column without a header and without data is left out
    (a gap in the table), one with data is an error, and so is a header given twice (which one
    holds the data meant cannot be known)."""
    findings, keep, seen = [], [], {}
    for i, h in enumerate(header):
        has_data = any(not is_blank(r[i]) for r in body)
        key = fold_key(h)
        if not h:
            if has_data:
                findings.append(Finding(FEJL, sheet, f"Kolonne {a1(1, i + 1)[:-1]} har data, men ingen overskrift i "
                                        "række 1. Skriv en overskrift, eller slet kolonnen.", raekke=1,
                                        kolonne=a1(1, i + 1)[:-1]))
            continue
        if key in seen:
            findings.append(Finding(FEJL, sheet, f"Overskriften '{h}' står både i kolonne {seen[key]} og "
                                    f"{a1(1, i + 1)[:-1]}. Hver kolonne skal have sin egen overskrift; slet eller "
                                    "omdøb den ene.", raekke=1, kolonne=h))
            continue
        seen[key] = a1(1, i + 1)[:-1]
        keep.append(i)
    if findings:
        raise InputError(findings)
    return [header[i] for i in keep], [[r[i] for i in keep] for r in body]


def settings_from_grid(grid: list[list] | None) -> Settings:
    """Read the settings sheet (values in column B, rows as in SETTINGS)."""
    if not grid:
        raise InputError([Finding(FEJL, SHEET_SETTINGS, f"Arket '{SHEET_SETTINGS}' mangler.")])
    values = {}
    for s in SETTINGS:
        r = settings_row(s.name) - 1
        values[s.name] = grid[r][SETTING_VALUE.index] if r < len(grid) and len(grid[r]) > SETTING_VALUE.index else None
    findings = []
    year = None
    try:
        year = read_year(values["Aar"])        # 2024,5 is no year (never 2024)
    except Unreadable:
        pass
    if year is None:
        findings.append(Finding(FEJL, SHEET_SETTINGS, f"Året '{show(values['Aar'])}' er ikke et årstal. Skriv fx 2024.",
                                raekke=settings_row("Aar"), kolonne=SETTING_VALUE.name))
    dates = {}
    for name in ("PeriodeFra", "PeriodeTil", "Referencemaaned", "OpgjortPr"):
        try:
            dates[name] = read_date(values[name])
        except Unreadable as exc:
            findings.append(Finding(FEJL, SHEET_SETTINGS, f"{exc}.", raekke=settings_row(name),
                                    kolonne=SETTING_VALUE.name))
            dates[name] = None
    basis = BASES[0]
    try:
        basis = read_basis(values["Grundlag"])
    except Unreadable as exc:
        findings.append(Finding(FEJL, SHEET_SETTINGS, f"{str(exc)[0].upper()}{str(exc)[1:]}.",
                                raekke=settings_row("Grundlag"), kolonne=SETTING_VALUE.name))
    if findings:
        raise InputError(findings)
    return Settings(year, dates["PeriodeFra"], dates["PeriodeTil"], basis, dates["Referencemaaned"], dates["OpgjortPr"],
                    status_date_at=(SHEET_SETTINGS, settings_row("OpgjortPr"), SETTING_VALUE.name))


def raw_input_from_grids(grids: dict[str, list[list] | None]) -> tuple[RawInput, Settings]:
    """Everything the engine needs, from the input sheets' values."""
    settings = settings_from_grid(grids.get(SHEET_SETTINGS))
    raw = RawInput(
        forloeb=table_from_grid(SHEET_FORLOEB, grids.get(SHEET_FORLOEB)),
        fleksjob=table_from_grid(SHEET_FLEKSJOB, grids.get(SHEET_FLEKSJOB)),
        # an empty Måltal/Vægte sheet: the engine uses the bundled figures and says so
        maaltal=table_from_grid(SHEET_MAALTAL, grids.get(SHEET_MAALTAL), required=False),
        vaegte=table_from_grid(SHEET_VAEGTE, grids.get(SHEET_VAEGTE), required=False),
        previous=nonempty(table_from_grid(SHEET_TIDLIGERE, grids.get(SHEET_TIDLIGERE), required=False)),
    )
    return raw, settings


def nonempty(table: Table | None) -> Table | None:
    """An optional table without rows is no table: an empty 'Tidligere år' means no previous year's
    table, an empty Måltal/Vægte in a function's arguments the bundled figures."""
    return table if table is not None and len(table.frame) else None


INPUT_SHEETS = [SHEET_SETTINGS, SHEET_FORLOEB, SHEET_FLEKSJOB, SHEET_MAALTAL, SHEET_VAEGTE, SHEET_TIDLIGERE]


TEMPLATE_YEAR = 2024


def settings_grid(settings: Settings) -> SheetGrid:
    cells = [list(SETTINGS_HEADER)]
    values = {"Aar": settings.year, "PeriodeFra": settings.start, "PeriodeTil": settings.end,
              "Grundlag": settings.basis, "Referencemaaned": settings.reference_month,
              "OpgjortPr": settings.status_date}
    for s in SETTINGS:
        cells.append([s.label, values[s.name], s.help])
    dates = SETTING_VALUE.span(settings_row("PeriodeFra"), settings_row("OpgjortPr"))
    return SheetGrid(SHEET_SETTINGS, cells, formats={dates: FMT_DATE})


def typed_column(column: str, values) -> list:
    """A column of text (a CSV file's) as the cells a user's paste gives: dates as dates and numbers
    as numbers (whole ones as int), read by the engine's one reader of values; a blank is None and
    what the reader cannot read stays text, for the engine to report where it stands. A date
    column's distinct values are read in one vectorised call (a call per cell took a minute for the
    demo register)."""
    texts = [None if is_blank(v) else str(v).strip() for v in values]
    if column in INPUT_DATE_COLUMNS:
        days, _, bad = parse_dates(texts)
        return [t if t is None or b else to_date(d) for t, d, b in zip(texts, days, bad)]
    kind = INPUT_NUMBER_COLUMNS.get(column)
    return texts if kind is None else [_number_cell(t, kind) for t in texts]


def _number_cell(text: str | None, kind):
    if text is None:
        return None
    try:
        number = read_number(text, kind)
    except Unreadable:
        return text
    return int(number) if number.is_integer() else number


def demo_frames() -> dict[str, pd.DataFrame]:
    """The bundled synthetic register's tables (as text) by the input sheet they fill."""
    raw = demo_input()
    return {SHEET_FORLOEB: raw.forloeb.frame, SHEET_FLEKSJOB: raw.fleksjob.frame, SHEET_TIDLIGERE: raw.previous.frame}


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`typed_column` of every column (object columns: plain dates, never pandas Timestamps)."""
    return pd.DataFrame({c: pd.Series(typed_column(c, frame[c].tolist()), index=frame.index, dtype=object)
                         for c in frame.columns}, index=frame.index)


def input_grid(sheet: str, frame: pd.DataFrame | None = None) -> SheetGrid:
    """An input sheet: header row and, if given, the rows of `frame` (columns in layout order)."""
    header = INPUT_COLUMNS[sheet]
    cells = [list(header)]
    if frame is not None:
        rows = frame.reindex(columns=header)
        cells += rows.astype(object).where(rows.notna(), None).values.tolist()
    formats = {}
    for col in ("start", "slut"):
        if col in header:
            i = header.index(col) + 1
            formats[f"{a1(2, i)}:{a1(max(len(cells), 2), i)}"] = FMT_DATE
    return SheetGrid(sheet, cells, formats=formats)


def template_grids(settings: Settings | None = None) -> list[SheetGrid]:
    """The template's sheets in workbook order: settings, input sheets (header only), owned sheets
    with titles but no figures. The template builder writes exactly these; tests build
    `xlwings.Book(json=...)` workbooks from them."""
    settings = settings or Settings(TEMPLATE_YEAR)
    year = settings.year
    grids = [settings_grid(settings)] + [input_grid(s) for s in INPUT_SHEETS if s != SHEET_SETTINGS]
    overview = SheetGrid(SHEET_OVERVIEW, [[f"Oversigt: målopfyldelse for {year}"],
                                          ["Klik 'Opdater alle tabeller' under fanen Jobordninger."]])
    grids.append(overview)
    for number, unit in enumerate(TABLE_UNITS, start=1):
        y = year - 1 if number == PREVIOUS_YEAR_TABLE else year
        grids.append(empty_status_grid(number, unit, y,
                                       "Ingen tal endnu: klik 'Opdater alle tabeller' under fanen Jobordninger."))
    grids.append(findings_grid([], "Kontrol af inddata (ikke kørt endnu)"))
    grids.append(empty_prognose_grid(year, f"Ingen prognose endnu: skriv en dato i 'Opgjort pr.' på arket "
                                           f"'{SHEET_SETTINGS}' og klik 'Opdater alle tabeller' under fanen "
                                           "Jobordninger."))
    return grids


# ---------------------------------------------------------------- the forecast sheet (issue 13)

PROGNOSE_HEADER = ["Enhed", "Linje"]          # + engine.prognose.FORECAST_HEADER
PROGNOSE_UNITS = [KK] + FORVALTNINGER
MONTHS_DA = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
MONTH_HEADER = ["Faktisk", "Prognose", "Lav", "Høj", "Måltal"]
MONTH_COL = 12          # L: each unit's monthly block (Samlet helårspersoner), charted by the template
MONTH_BLOCK = 15        # rows per unit block: header, 12 months, two blank
PROGNOSE_WIDTH = MONTH_COL + len(MONTH_HEADER)


def month_block_row(k: int) -> int:
    """1-based header row of the k-th unit's (PROGNOSE_UNITS order) monthly block."""
    return HEADER_ROW + MONTH_BLOCK * k


def _prognose_cells(title: str, subtitle: str) -> list[list]:
    from .engine.prognose import FORECAST_HEADER
    rows = HEADER_ROW + MONTH_BLOCK * len(PROGNOSE_UNITS)
    cells = [[None] * PROGNOSE_WIDTH for _ in range(rows)]
    cells[0][0], cells[1][0] = title, subtitle
    cells[HEADER_ROW - 1][:2 + len(FORECAST_HEADER)] = PROGNOSE_HEADER + FORECAST_HEADER
    for k, unit in enumerate(PROGNOSE_UNITS):
        r = month_block_row(k) - 1
        cells[r][MONTH_COL - 1:] = [f"{unit}: helårspersoner pr. måned"] + MONTH_HEADER
        for m, name in enumerate(MONTHS_DA, start=1):
            cells[r + m][MONTH_COL - 1] = name
    return cells


def empty_prognose_grid(year: int, message: str) -> SheetGrid:
    """The forecast sheet without figures: headers, month labels, and what to do."""
    return SheetGrid(SHEET_PROGNOSE, _prognose_cells(f"Prognose for {year}: når vi målet i år?", message))


def prognose_grid(fc) -> SheetGrid:
    """The forecast table for KK and each forvaltning (A..J) and each unit's monthly helårspersoner
    of the group (Samlet) beside it: actual, forecast, band and target, for the template's charts."""
    from .engine.prognose import FORECAST_NOTES, forecast_rows, forecast_title
    cells = _prognose_cells(forecast_title(fc), "Tal er uafrundede og vises afrundet som i noten. Diagrammerne "
                            "viser helårspersoner pr. måned for ordningerne samlet; måltallet er det gennemsnit, "
                            "året skal nå.")
    r = HEADER_ROW
    for unit in PROGNOSE_UNITS:
        for label, values, pct in forecast_rows(fc, unit):
            row = [unit, label] + [_pct(v) if p else _num(v) for v, p in zip(values, pct)]
            if r >= len(cells):
                cells.append([None] * PROGNOSE_WIDTH)
            cells[r][:len(row)] = row
            r += 1
    last = r
    for note in [None] + FORECAST_NOTES + [f"Advarsel: {f.besked}" for f in fc.notes]:
        if r >= len(cells):
            cells.append([None] * PROGNOSE_WIDTH)
        cells[r][0] = note
        r += 1
    m = fc.monthly
    samlet = m[m["linje"] == "Samlet"]
    for k, unit in enumerate(PROGNOSE_UNITS):
        rows = samlet[samlet["enhed"] == unit].set_index("maaned")
        top = month_block_row(k)
        for month in range(1, 13):
            if month not in rows.index:
                continue
            x = rows.loc[month]
            # the forecast line starts in the status date's month, where it meets the actual line
            ahead = dt.date(fc.settings.year, month, 1) > fc.status_date.replace(day=1) or month == fc.status_date.month
            forecast = [_num(x[c]) if ahead else None for c in ("prognose", "prognose_lav", "prognose_hoej")]
            cells[top + month - 1][MONTH_COL:] = [_num(x["faktisk"])] + forecast + [_num(x["maaltal"])]
    bottom = month_block_row(len(PROGNOSE_UNITS) - 1) + 12
    formats = {f"C{HEADER_ROW + 1}:H{last}": FMT_NUMBER, f"I{HEADER_ROW + 1}:J{last}": FMT_PCT,
               f"{a1(HEADER_ROW + 1, MONTH_COL + 1)}:{a1(bottom, PROGNOSE_WIDTH)}": FMT_NUMBER}
    return SheetGrid(SHEET_PROGNOSE, cells, {}, formats)


def column_widths(columns) -> dict[str, float]:
    """Letter -> width of a layout's columns (`SETTINGS_COLUMNS`, `STATUS.columns`, `OVERVIEW.columns`)."""
    return {c.letter: c.width for c in columns}

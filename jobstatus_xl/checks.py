"""`jobstatus-xl check PATH`: which figures of a published status note cannot be right, and which
differ only by rounding.

PATH is a folder with `published_rows.csv` and `published_totals.csv` (the format of
`tests/data/reference/`), or a workbook in the template's layout whose status sheets ("Tabel 1"..)
hold figures typed in from a note. This module only reads and reports; the reconciliation itself
is `jobstatus_xl.engine.reconcile`.

    $ jobstatus-xl check tests/data/reference
    $ jobstatus-xl check note_2024.xlsm --format json

Exit code: 0 when nothing is wrong (rounding differences are fine), 1 when at least one figure is
a fejl, 2 when the input cannot be read.
"""

from __future__ import annotations

import difflib
import json
import re
import textwrap
from fractions import Fraction
from pathlib import Path

from .engine.findings import FEJL, Finding, InputError, mask_cpr
from .engine.reconcile import Afstemning, PublishedTable, SchemeRow, reconcile, round_half_away
from .engine.register import column_list
from .engine.rules import FLEKSJOB, UNIT_NAMES
from .engine.tables import ROW_ANTAL
from .engine.values import (FRACTIONAL, WHOLE, Ambiguous, Unreadable, code_lookup, dansk_tal, fold_key, is_blank,
                            number_problem, read_decimal, read_year, show)
from .sheets import (PREVIOUS_YEAR_TABLE, SETTING_VALUE, SHEET_SETTINGS, STATUS, TABLE_UNITS, Column, settings_row,
                     table_sheet)
from .xlsxguard import check_package, size_text

ROWS_FILE = "published_rows.csv"
TOTALS_FILE = "published_totals.csv"

# Published tables are a few kilobytes. These limits refuse hostile or wrong files before they are
# parsed; a workbook's package goes through `xlsxguard.check_package` (the headless refresh's limits)
# first. A template workbook holding a 1,000,000-row register stays well inside them, because only
# the status sheets (streamed, first rows only) and the parts openpyxl must read whole are read.
MAX_CSV_BYTES = 10 * 2**20
MAX_STATUS_SHEET_BYTES = 16 * 2**20        # one status sheet's XML (a few hundred cells)
MAX_SHEET_ROWS = 60                        # rows of a status sheet that are read

_SUFFIXES = (".xlsx", ".xlsm")


# ---------------------------------------------------------------- numbers as printed or typed

def _printed(value, whole: bool) -> tuple[Fraction, bool] | None:
    """A printed figure exactly, and whether it was written with % or pct.; None when blank. The
    engine's one reader: a whole figure reads 1.084 as 1084, a fractional one 0,55 as written."""
    return read_decimal(value, WHOLE if whole else FRACTIONAL)


class _Reader:
    """Collects findings while a source is read, so a user sees every problem at once."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, kilde: str, besked: str, raekke: int | None = None, kolonne: str | None = None) -> None:
        self.findings.append(Finding(FEJL, kilde, besked, raekke=raekke, kolonne=kolonne))

    def whole(self, value, kilde: str, raekke: int, kolonne: str, *, displayed: bool = False) -> int | None:
        """A printed whole number. In a workbook (displayed=True) a cell may hold an unrounded value
        shown as a whole number; then the shown number (half away from zero) is what is printed."""
        try:
            # a workbook cell may hold an unrounded value shown rounded: it is no typo
            read = _printed(value, whole=not (displayed and isinstance(value, float)))
        except Unreadable as exc:
            if isinstance(exc, Ambiguous):
                self.error(kilde, f"{exc}.", raekke, kolonne)
            elif number_problem(value, FRACTIONAL, "", "") is None:
                self.error(kilde, f"'{show(value)}' er ikke et helt tal. Noten trykker hele tal; skriv tallet, "
                           "som det står.", raekke, kolonne)
            else:
                self.error(kilde, f"'{show(value)}' er ikke et tal. Skriv tallet, som det står i noten, fx 1084 "
                           "eller 84.", raekke, kolonne)
            return None
        if read is None:
            return None
        x = read[0]
        if x < 0:
            self.error(kilde, f"{show(value)} er negativ; tallene i en statustabel er aldrig negative.",
                       raekke, kolonne)
            return None
        if x.denominator != 1:
            x = Fraction(round_half_away(x))
        if x > 10**12:
            self.error(kilde, f"{show(value)} er urimeligt stort for en statustabel.", raekke, kolonne)
            return None
        return int(x)

    def weight(self, value, kilde: str, raekke: int, kolonne: str) -> Fraction | None:
        """A weight as a share: 55, "55 %", "55 pct." and 0,55 all mean 0,55 (a number above 1, or one
        written with % or pct., is in percent)."""
        try:
            read = _printed(value, whole=False)
        except Unreadable:
            read = (Fraction(-1), False)
        if read is None:
            return None
        x, written_in_percent = read
        if x < 0 or x > 100:
            self.error(kilde, f"'{show(value)}' er ikke en vægt. Skriv fx 55 (pct.) eller 0,55.", raekke, kolonne)
            return None
        in_percent = x > 1 or written_in_percent
        return x / 100 if in_percent else x

    def unit(self, value, kilde: str, raekke: int, kolonne: str) -> str | None:
        code = code_lookup(UNIT_NAMES).get(fold_key(value)) if value is not None else None
        if code is not None:
            return code
        text = str(value).strip() if value is not None else ""
        near = difflib.get_close_matches(text.upper(), list(UNIT_NAMES), n=1, cutoff=0.5)
        hint = f" Mente du '{near[0]}'?" if near else ""
        self.error(kilde, f"Ukendt enhed '{show(text)}'.{hint} Gyldige koder: {', '.join(UNIT_NAMES)}.",
                   raekke, kolonne)
        return None

    def year(self, value, kilde: str, raekke: int, kolonne: str) -> int | None:
        try:
            x = read_year(value)
        except Unreadable:
            x = None
        if x is None:
            self.error(kilde, f"'{show(value)}' er ikke et årstal. Skriv fx 2024.", raekke, kolonne)
        return x

    def raise_if_any(self) -> None:
        if self.findings:
            raise InputError(self.findings)


# ---------------------------------------------------------------- the CSV folder

_TOTALS_FIELDS = {
    "samlet_status": "whole", "samlet_maaltal": "whole", "maalopfyldelse_pct": "whole",
    "antal_forloeb_i_alt": "whole", "fleksjob_status": "whole", "fleksjob_maaltal": "whole",
    "fleksjob_pct": "whole", "samlet_maalopfyldelse_pct": "whole",
    "vaegt_gruppe_pct": "weight", "vaegt_fleksjob_pct": "weight",
}


def _read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(file row number, {column: text}) for each data row; errors name the file, row and column."""
    from .readers import read_csv_table
    if not path.is_file():
        raise InputError([Finding(FEJL, path.name, f"Filen '{path.name}' mangler i mappen {path.parent}.")])
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise InputError([Finding(FEJL, path.name, f"Filen er {size_text(size)}; en trykt statustabel fylder få "
                                  f"kilobyte (grænsen er {size_text(MAX_CSV_BYTES)}). Er det den rigtige fil?")])
    table = read_csv_table(path)
    frame = table.frame
    columns = {fold_key(c): c for c in frame.columns}
    missing = [c for c in required if fold_key(c) not in columns]
    if missing:
        raise InputError([Finding(FEJL, path.name, f"Kolonnen '{c}' mangler. Fundne kolonner: "
                                  f"{column_list(frame.columns)}.", raekke=1, kolonne=c)
                          for c in missing])
    out = []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        row = {fold_key(k): v for k, v in rec.items()}
        if all(str(v).strip() == "" for v in row.values()):
            continue
        out.append((i + table.first_row, row))
    return out


def _load_folder(folder: Path) -> list[PublishedTable]:
    rd = _Reader()
    rows = _read_csv(folder / ROWS_FILE, ("aar", "enhed", "ordning", "status"))
    totals = _read_csv(folder / TOTALS_FILE, ("aar", "enhed"))
    order: list[tuple[int, str]] = []
    tot: dict[tuple[int, str], dict] = {}
    where: dict[tuple[int, str], int] = {}
    for r, rec in totals:
        year = rd.year(rec.get("aar"), TOTALS_FILE, r, "aar")
        unit = rd.unit(rec.get("enhed"), TOTALS_FILE, r, "enhed")
        if year is None or unit is None:
            continue
        if (year, unit) in tot:
            rd.error(TOTALS_FILE, f"{unit} {year} står to gange (også i række {where[(year, unit)]}). Slet den ene.",
                     r, "enhed")
            continue
        figures = {}
        for col, kind in _TOTALS_FIELDS.items():
            if fold_key(col) in rec:
                read = rd.whole if kind == "whole" else rd.weight
                figures[col] = read(rec[fold_key(col)], TOTALS_FILE, r, col)
        tot[(year, unit)] = figures
        where[(year, unit)] = r
        order.append((year, unit))

    schemes: dict[tuple[int, str], list[SchemeRow]] = {}
    fleks: dict[tuple[int, str], tuple[int, int | None]] = {}
    seen: dict[tuple[int, str, str], int] = {}
    for r, rec in rows:
        year = rd.year(rec.get("aar"), ROWS_FILE, r, "aar")
        unit = rd.unit(rec.get("enhed"), ROWS_FILE, r, "enhed")
        scheme = str(rec.get("ordning", "")).strip()
        if not scheme:
            rd.error(ROWS_FILE, "Ordningen mangler.", r, "ordning")
            continue
        if len(scheme) > 80:
            rd.error(ROWS_FILE, f"'{show(scheme)}' er ikke navnet på en ordning.", r, "ordning")
            continue
        status = rd.whole(rec.get("status"), ROWS_FILE, r, "status")
        antal = rd.whole(rec.get("antalforloeb"), ROWS_FILE, r, "antal_forloeb")
        if year is None or unit is None:
            continue
        key = (year, unit, fold_key(scheme))
        if key in seen:
            rd.error(ROWS_FILE, f"{scheme} for {unit} {year} står to gange (også i række {seen[key]}). Slet den ene.",
                     r, "ordning")
            continue
        seen[key] = r
        if (year, unit) not in tot and (year, unit) not in schemes and (year, unit) not in fleks:
            order.append((year, unit))
        if fold_key(scheme) == fold_key(FLEKSJOB):
            fleks[(year, unit)] = (r, status)
        else:
            schemes.setdefault((year, unit), []).append(SchemeRow(scheme, status, antal))
    rd.raise_if_any()
    if not order:
        # headers only: "0 fejl" would claim a reconciliation that never happened
        raise InputError([Finding(FEJL, f"{ROWS_FILE}, {TOTALS_FILE}", "Der er intet at afstemme: filerne har kun "
                                  "overskrifter. Skriv tallene fra noten ind (én række pr. enhed og ordning).")])

    tables = []
    for year, unit in order:
        f = dict(tot.get((year, unit), {}))
        if (year, unit) in fleks:
            r, status = fleks[(year, unit)]
            printed = f.get("fleksjob_status")
            if printed is not None and status is not None and printed != status:
                rd.error(ROWS_FILE, f"Fleksjob for {unit} {year} er {status} her, men {printed} i {TOTALS_FILE} "
                         f"(række {where[(year, unit)]}). Noten trykker tallet én gang; ret afskriften.", r, "status")
            elif printed is None:
                f["fleksjob_status"] = status
        tables.append(PublishedTable(
            year, unit, tuple(schemes.get((year, unit), ())),
            **{k: f.get(k) for k in _TOTALS_FIELDS if not k.startswith("vaegt")},
            vaegt_gruppe=f.get("vaegt_gruppe_pct"), vaegt_fleksjob=f.get("vaegt_fleksjob_pct"),
            kilde=f"{TOTALS_FILE} række {where[(year, unit)]}" if (year, unit) in where else ROWS_FILE))
    rd.raise_if_any()
    return tables


# ---------------------------------------------------------------- a workbook in the template layout

def _sheet_grid(sheets, name: str, sizes: dict[str, int]) -> list[list]:
    """The first rows of a sheet, streamed (A1 on, as wide as a status sheet, row n at index n-1); a
    status sheet's XML is refused if it is implausibly big."""
    part = sheets.refs[name].part
    if sizes.get(part, 0) > MAX_STATUS_SHEET_BYTES:
        raise InputError([Finding(FEJL, name, f"Arket fylder {size_text(sizes[part])} udpakket; et statusark "
                                  f"fylder få kilobyte (grænsen er {size_text(MAX_STATUS_SHEET_BYTES)}).")])
    width = STATUS.width
    grid: list[list] = []
    for n, row in sheets.rows(name, width):
        if n > MAX_SHEET_ROWS:
            break
        grid.extend([None] * width for _ in range(n - 1 - len(grid)))
        grid.append(row + [None] * (width - len(row)))
    return grid


def _year_from_title(grid: list[list]) -> int | None:
    """'Tabel 3: ... for 2024' -> 2024."""
    row = grid[STATUS.title_row - 1] if len(grid) >= STATUS.title_row else []
    title = row[STATUS.label.index] if len(row) > STATUS.label.index else None
    m = re.search(r"\bfor (\d{4})\b", str(title or ""))
    return int(m.group(1)) if m else None


def _load_workbook(path: Path) -> list[PublishedTable]:
    from .xlsx.atomic import read_source
    from .xlsx.reader import SheetReader, open_package  # the reader `status` and `refresh` use

    sizes = check_package(path, path.name, too_big_hint="Gem statusarkene i en mindre projektmappe.")
    rd = _Reader()
    tables: list[PublishedTable] = []
    pkg = open_package(read_source(path)[0], path.name)
    try:
        sheets = SheetReader(pkg, path.name)
        year = None
        if sheets.has(SHEET_SETTINGS):
            grid = _sheet_grid(sheets, SHEET_SETTINGS, sizes)
            r = settings_row("Aar")
            value = grid[r - 1][SETTING_VALUE.index] if len(grid) >= r else None
            if value not in (None, ""):
                year = rd.year(value, SHEET_SETTINGS, r, SETTING_VALUE.described())
        for number, default_unit in enumerate(TABLE_UNITS, start=1):
            name = table_sheet(number)
            if not sheets.has(name):
                continue
            grid = _sheet_grid(sheets, name, sizes)
            if year is None:
                table_year = _year_from_title(grid)
            else:
                table_year = year - 1 if number == PREVIOUS_YEAR_TABLE else year
            table = _table_from_sheet(name, grid, default_unit, table_year, rd)
            if table is not None:
                tables.append(table)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed XML in a status sheet: the user needs one message
        raise InputError([Finding(FEJL, path.name, "Projektmappen kan ikke læses (den er beskadiget): "
                                  f"{type(exc).__name__}.")]) from None
    finally:
        pkg.close()
    rd.raise_if_any()
    if not tables:
        raise InputError([Finding(FEJL, path.name, f"Der står ingen tal i statusarkene ('{table_sheet(1)}' ... "
                                  f"'{table_sheet(len(TABLE_UNITS))}'). "
                                  "Skriv tallene fra noten ind i skabelonens statusark, eller opdater tabellerne.")])
    seen: set[tuple[int, str]] = set()
    for t in tables:
        if (t.aar, t.enhed) in seen:
            raise InputError([Finding(FEJL, t.kilde, f"{t.enhed} {t.aar} står i to statusark. Ret enheden i celle "
                                      f"{STATUS.label.cell(STATUS.header_row)} eller året i '{SHEET_SETTINGS}'.",
                                      raekke=STATUS.header_row, kolonne=STATUS.label.described())])
        seen.add((t.aar, t.enhed))
    return tables


def _table_from_sheet(sheet: str, grid: list[list], default_unit: str, year: int | None,
                      rd: _Reader) -> PublishedTable | None:
    """A status sheet's typed or computed figures (as displayed), or None if it holds none."""
    L = STATUS

    def cell(r: int, c: Column):
        row = grid[r - 1] if r - 1 < len(grid) else []
        return row[c.index] if c.index < len(row) else None

    figures_present = any(not is_blank(cell(r, c)) for r in range(L.first_row, len(grid) + 1) for c in L.figures)
    if not figures_present:
        return None
    head = cell(L.header_row, L.label)
    unit = default_unit if is_blank(head) else rd.unit(head, sheet, L.header_row, L.label.described())
    if year is None:
        rd.error(sheet, f"Året kan ikke ses: skriv det i arket '{SHEET_SETTINGS}' (celle "
                 f"{SETTING_VALUE.cell(settings_row('Aar'))}) eller i titlen i celle "
                 f"{L.label.cell(L.title_row)} ('... for 2024').", L.title_row, L.label.described())
        return None
    labels = {r: str(cell(r, L.label)).strip() for r in range(L.first_row, len(grid) + 1)
              if not is_blank(cell(r, L.label))}
    r_antal = next((r for r, text in labels.items() if fold_key(text) == fold_key(ROW_ANTAL)), None)
    if r_antal is None:
        rd.error(sheet, f"Rækken '{ROW_ANTAL}' mangler i kolonne {L.label.letter} under ordningerne; statusarket skal "
                 "have skabelonens layout.", None, L.label.described())
        return None
    r_fleks = next((r for r, text in labels.items() if r > r_antal and fold_key(text).startswith("fleksjob")), None)
    r_samlet = next((r for r, text in labels.items()
                     if r > r_antal and fold_key(text).startswith("samletmaalopfyldelse")), None)
    group = [r for r in labels if r < r_antal]

    def whole(r, c):
        return rd.whole(cell(r, c), sheet, r, c.described(), displayed=True)

    def first(c, rows, read):
        for r in rows:
            if not is_blank(cell(r, c)):
                return read(r, c)
        return None

    rows = tuple(SchemeRow(_scheme(labels[r]), whole(r, L.status), whole(r, L.antal)) for r in group)
    def weight(r, c):
        return rd.weight(cell(r, c), sheet, r, c.described())

    fl = [r_fleks] if r_fleks else []
    return PublishedTable(
        year, unit or default_unit, rows,
        samlet_status=first(L.samlet_status, group, whole), samlet_maaltal=first(L.samlet_maaltal, group, whole),
        maalopfyldelse_pct=first(L.pct, group, whole), antal_forloeb_i_alt=whole(r_antal, L.antal),
        fleksjob_status=first(L.status, fl, whole), fleksjob_maaltal=first(L.samlet_maaltal, fl, whole),
        fleksjob_pct=first(L.pct, fl, whole),
        samlet_maalopfyldelse_pct=first(L.pct, [r_samlet] if r_samlet else [], whole),
        vaegt_gruppe=first(L.weight, group, weight), vaegt_fleksjob=first(L.weight, fl, weight),
        kilde=sheet)


def _scheme(label: str) -> str:
    """'Løntilskud (helårspersoner)' -> 'Løntilskud'."""
    return re.sub(r"\s*\(helårspersoner\)\s*$", "", re.sub(r"\s+", " ", label), flags=re.IGNORECASE)


# ---------------------------------------------------------------- the front

def load_published(path) -> list[PublishedTable]:
    """The published tables in a folder of CSV files or a workbook in the template layout."""
    path = Path(path)
    if path.is_dir():
        return _load_folder(path)
    if not path.exists():
        raise InputError([Finding(FEJL, str(path), "Findes ikke. Angiv en mappe med published_rows.csv og "
                                  "published_totals.csv, eller en projektmappe (.xlsx/.xlsm).")])
    if path.suffix.lower() in _SUFFIXES:
        return _load_workbook(path)
    raise InputError([Finding(FEJL, path.name, "Angiv en mappe med published_rows.csv og published_totals.csv, "
                              "eller en projektmappe (.xlsx/.xlsm) i skabelonens layout.")])


def check(path) -> Afstemning:
    return reconcile(load_published(path))


def render(afstemning: Afstemning, source: str) -> str:
    """A readable Danish report."""
    fejl, afr = afstemning.fejl, afstemning.afrunding
    lines = [f"Afstemning af de trykte statustabeller i {source}",
             "Et trykt helt tal n står for en uafrundet værdi i [n − 0,5; n + 0,5); antal, måltal og "
             "fleksjobansatte er hele tal og skal stemme præcist.", ""]

    def block(title: str, items) -> None:
        lines.append(title)
        if not items:
            lines.extend(["  (ingen)", ""])
            return
        width = max([len(a.felt) for a in items] + [4])
        lines.append(f"  {'År':<4}  {'Enhed':<5}  {'Felt':<{width}}  {'Trykt':>7}  {'Forventet':>9}")
        for a in items:
            shown = "" if a.forventet is None else (dansk_tal(a.forventet, 0)
                                                    if isinstance(a.forventet, int) else str(a.forventet))
            trykt = "" if a.trykt is None else dansk_tal(a.trykt, 0)
            lines.append(f"  {a.aar:<4}  {a.enhed:<5}  {a.felt:<{width}}  {trykt:>7}  {shown:>9}")
            lines.extend(textwrap.wrap(a.besked, width=100, initial_indent=" " * 15, subsequent_indent=" " * 15))
        lines.append("")

    block(f"FEJL ({len(fejl)}): tal, som ingen uafrundede værdier kan give — mindst ét tal er forkert", fejl)
    block(f"AFRUNDING ({len(afr)}): forskelle, som afrunding kan forklare", afr)
    if afstemning.noter:
        lines.append("Ikke afstemt:")
        lines += [f"  {n}" for n in afstemning.noter]
        lines.append("")
    lines.append(f"Resultat: {len(fejl)} fejl og {len(afr)} afrundingsforskelle.")
    return mask_cpr("\n".join(lines))


def to_json(afstemning: Afstemning) -> str:
    rows = [{k: (mask_cpr(v) if isinstance(v, str) else v) for k, v in a.as_dict().items()}
            for a in afstemning.afvigelser]
    return json.dumps(rows, ensure_ascii=False, indent=2)

"""The yearly status note as a Word document (python-docx), built from one engine result.

Every figure in the note - in the sentences, the tables, the charts and the appendix - comes from
the `Result` the status tables come from, and is shown through `_tal` / `_pct` (the note's one
Danish number format, `engine.tables`). Words that depend on figures ("steget", "reduceret", ...)
compare the figures as printed, so the text never contradicts the numbers next to it.

No xlwings here: the CLI (`jobstatus-xl notat`) and the ribbon macro (`macros.export_note`) both call
`write_note`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from .engine.findings import ADVARSEL, FEJL, Finding
from .engine.periods import Period, danish_date, month_label
from .engine.pipeline import RawInput, Result
from .engine.reconcile import AFRUNDING, PublishedTable, SchemeRow, reconcile
from .engine.rounding import percent, whole
from .engine.rules import KK, YearRules, adopted, load_rules
from .engine.status import SAMLET, SAMLET_MAAL
from .engine.tables import (COL_PCT, COL_SAMLET_MAALTAL, COL_SAMLET_STATUS, COL_STATUS, FOOTNOTES, ROW_ANTAL,
                             ROW_FLEKSJOB, ROW_SAMLET, NoteTable, antal_column, format_note_table,
                             scheme_label)
from .engine.tables import format_number as _tal
from .engine.tables import format_percent as _pct

SUFFIXES = (".docx", ".pdf")
MAX_FINDINGS_SHOWN = 50          # the appendix lists this many findings; the Kontrol sheet has them all
ADOPTED_MISSING = "[dato mangler]"
PDF_HELP = ("Åbn Word-dokumentet og vælg Filer > Gem som > PDF (Word's \"Gem som PDF\"), eller installér "
            "LibreOffice, så kan jobstatus-xl selv lave PDF'en.")


class NoteError(Exception):
    """A note could not be written; the message is Danish and says what to do."""


# ---------------------------------------------------------------- figures the sentences use

@dataclass(frozen=True)
class YearFigures:
    """KK's figures for one year, unrounded, as the tidy status holds them."""

    year: int
    group: tuple[str, ...]
    fleksjob: str
    scheme_status: dict[str, float]
    status: float
    target: float
    attainment: float
    fleks_status: float
    fleks_target: float
    fleks_attainment: float

    @property
    def largest(self) -> str:
        """The scheme with the largest share of the group's status."""
        return max(self.group, key=lambda s: self.scheme_status[s])


def kk_figures(tidy: pd.DataFrame, rules: YearRules) -> YearFigures:
    rows = {r["linje"]: r for r in tidy[tidy["enhed"] == KK].to_dict("records")}
    group = tuple(s for s in rules.group if s in rows)
    fj = rows[rules.fleksjob]
    return YearFigures(int(tidy["aar"].iloc[0]), group, rules.fleksjob, {s: rows[s]["status"] for s in group},
                       rows[SAMLET]["status"], rows[SAMLET]["maaltal"], rows[SAMLET]["maalopfyldelse"],
                       fj["status"], fj["maaltal"], fj["maalopfyldelse"])


def _previous_rules(result: Result) -> YearRules | None:
    if result.previous_tidy is None:
        return None
    return load_rules(int(result.previous_tidy["aar"].iloc[0]))


# ---------------------------------------------------------------- words that follow figures

def _sign(old: float, new: float, show: Callable[[float], int]) -> int:
    """-1, 0 or 1 as the printed figures compare (two figures that print alike are 'uændret')."""
    a, b = show(old), show(new)
    return (b > a) - (b < a)


def moved(old: float, new: float, show: Callable[[float], int] = whole) -> str:
    return {1: "steget", -1: "faldet", 0: "uændret"}[_sign(old, new, show)]


def changed(old: float, new: float, show: Callable[[float], int] = whole) -> str:
    return {1: "forøget", -1: "reduceret", 0: "uændret"}[_sign(old, new, show)]


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def _lower(scheme: str) -> str:
    return scheme[:1].lower() + scheme[1:]


# ---------------------------------------------------------------- the text

def _whole_period(period: Period) -> str:
    if period == Period.year(period.end.year):
        return f"hele {period.end.year}"
    return f"perioden {period.label()}"


def _reference_month(result: Result) -> Period:
    s = result.settings
    return Period.month_of(s.reference_month) if s.reference_month else s.period.last_month


def intro(result: Result, adopted_on: dt.date | None) -> list[str | list[str]]:
    """The introduction: paragraphs, and the schemes as a bullet list (a list item)."""
    s, rules = result.settings, result.rules
    period = s.period
    group = [_lower(g) for g in rules.group]
    ref = _reference_month(result)
    end_of_year = ref == Period.month_of(dt.date(period.end.year, 12, 31)) and period.end.month == 12
    basis = "" if s.basis == "kalenderdage" else " på grundlag af hverdage (mandag-fredag)"
    day = danish_date(adopted_on) if adopted_on else ADOPTED_MISSING
    return [
        f"I denne status præsenteres målopfyldelsen for KK som arbejdsplads for perioden {period.label()} for "
        "følgende jobordninger:",
        list(rules.schemes),
        f"Måltallene i denne status blev vedtaget af Borgerrepræsentationen den {day}. Der er ét samlet måltal "
        f"for {_joined(group)} per forvaltning samt ét måltal for {_lower(rules.fleksjob)} per forvaltning.",
        f"Den procentvise målopfyldelse for ordningerne {_joined(group)} angiver målopfyldelsen for "
        f"{_whole_period(period)}. Måltal og status for disse ordninger opgøres i helårspersoner{basis}.",
        f"Den procentvise målopfyldelse for {_lower(rules.fleksjob)} angiver målopfyldelsen for "
        f"{_lower(rules.fleksjob)} i {month_label(ref.start)}. Måltallet er fastlagt som antal fleksjobansatte. "
        "Målopfyldelsen bliver opgjort ved at se på antal fleksjobansatte "
        + ("ved udgangen af året." if end_of_year else f"i {month_label(ref.start)}."),
    ]


def comparison(result: Result) -> list[str]:
    """Tables 1 and 2 in words: the year against the previous one, every word from the figures."""
    now = kk_figures(result.tidy, result.rules)
    y1 = now.year
    first = (f"Af tabel 1 fremgår status, måltal og målopfyldelsen for {y1} fordelt på de forskellige ordninger "
             "for Københavns Kommune samlet.")
    prev_rules = _previous_rules(result)
    if prev_rules is None:
        return [first + f" Inddata har ingen tal for {y1 - 1}, så noten sammenligner ikke med året før."]
    old = kk_figures(result.previous_tidy, prev_rules)
    y0 = old.year
    group = [first, f"Til sammenligning fremgår der af tabel 2 status, måltal og målopfyldelsen for {y0}."]
    period = result.settings.period
    if period != Period.year(period.end.year):
        # the previous year's figures are the published whole-year ones: say so before comparing
        group.append(f"Bemærk, at tallene for {y0} dækker hele året, mens tallene for {y1} dækker perioden "
                     f"{period.label()}.")
    gone = [s for s in old.group if s not in now.group]
    if gone:
        group.append(f"I {y0} indgik {_joined([_lower(s) for s in gone])} i det samlede måltal sammen med "
                     f"ordningerne {_joined([_lower(s) for s in old.group if s not in gone])}.")
    group.append(_target_sentence("Måltallet", old.target, now.target, y0, y1, " helårspersoner", True))
    group.append(_status_sentence(old, now))
    if old.largest == now.largest:
        group.append(f"{now.largest} er den ordning, der udgør den største andel af målopfyldelsen både i {y0} "
                     f"og i {y1}.")
    else:
        group.append(f"{old.largest} udgjorde den største andel af målopfyldelsen i {y0}, {_lower(now.largest)} "
                     f"i {y1}.")

    fleks = [_target_sentence(f"Måltallet for {_lower(now.fleksjob)}", old.fleks_target, now.fleks_target,
                              y0, y1, " ansatte", False)]
    # the published note's clause: more employees, yet a lower percentage, because the target rose
    because = (_sign(old.fleks_target, now.fleks_target, whole) > 0
               and _sign(old.fleks_status, now.fleks_status, whole) >= 0
               and _sign(old.fleks_attainment, now.fleks_attainment, percent) < 0)
    fleks.append(f"Målopfyldelsen lå på {_tal(old.fleks_status)} ansatte, som svarer til "
                 f"{_pct(old.fleks_attainment)}, i {y0} og på {_tal(now.fleks_status)} ansatte, som "
                 f"{'med måltalsstigningen ' if because else ''}i {y1} svarer til {_pct(now.fleks_attainment)}"
                 f"{'' if _pct(now.fleks_attainment).endswith('.') else '.'}")
    if _sign(old.fleks_status, now.fleks_status, whole) < 0:
        fleks.append(f"Antallet af fleksjobansatte er dermed faldet fra {y0} til {y1}.")
    return [" ".join(group), " ".join(fleks)]


def _target_sentence(subject: str, old: float, new: float, y0: int, y1: int, unit: str, unit_twice: bool) -> str:
    word = changed(old, new)
    if word == "uændret":
        return f"{subject} var uændret {_tal(new)}{unit} i både {y0} og {y1}."
    return (f"{subject} blev {word} fra {_tal(old)}{unit if unit_twice else ''} i {y0} til "
            f"{_tal(new)}{unit} i {y1}.")


def _status_sentence(old: YearFigures, now: YearFigures) -> str:
    y0, y1 = old.year, now.year
    by_count = moved(old.status, now.status, whole)
    by_pct = moved(old.attainment, now.attainment, percent)
    if by_count == by_pct == "uændret":
        return (f"Den samlede målopfyldelse er uændret {_tal(now.status)} helårspersoner, svarende til "
                f"{_pct(now.attainment)}, i både {y0} og {y1}.")
    if by_count == by_pct:
        return (f"Den samlede målopfyldelse er {by_count} fra {_tal(old.status)} helårspersoner, svarende til "
                f"{_pct(old.attainment)}, i {y0} til {_tal(now.status)} helårspersoner, svarende til "
                f"{_pct(now.attainment)}, i {y1}.")
    # count and percentage went different ways (the target changed): say each
    count = (f"uændret {_tal(now.status)} helårspersoner" if by_count == "uændret" else
             f"{by_count} fra {_tal(old.status)} helårspersoner i {y0} til {_tal(now.status)} helårspersoner "
             f"i {y1}")
    share = (f"uændret {_pct(now.attainment)}" if by_pct == "uændret" else
             f"{by_pct} fra {_pct(old.attainment)} til {_pct(now.attainment)}")
    return f"Den samlede status er {count}, mens målopfyldelsen er {share}"  + ("" if share.endswith(".") else ".")


def tables_sentence(result: Result) -> str:
    units = [t for t in result.tables if t.number >= 3]
    if not units:
        return ""
    span = f"{units[0].number}-{units[-1].number}" if len(units) > 1 else str(units[0].number)
    return (f"Af tabel {span} fremgår status, måltal og målopfyldelse for de {len(units)} forvaltninger for "
            f"perioden {result.settings.period.label()}.")


def footnotes(result: Result) -> list[str]:
    """The note's footnotes for these tables: the reference month and each year's weights."""
    out = [f"* Status for fleksjob er opgjort i antal ansatte i {month_label(_reference_month(result).start)}.",
           FOOTNOTES[1]]
    years = [r for r in (_previous_rules(result), result.rules) if r is not None]
    for i, rules in enumerate(years):
        group = _joined([_lower(s) for s in rules.group])
        out.append(f"{'*** ' if i == 0 else ''}For årsstatus {rules.year}: Måltallet for {group} vægter "
                   f"{_pct(rules.weight_group)} og måltallet for {_lower(rules.fleksjob)} vægter "
                   f"{_pct(rules.weight_fleksjob)} ift. den samlede målopfyldelse.")
    return out


# ---------------------------------------------------------------- the appendix

def published(table: NoteTable, rules: YearRules) -> PublishedTable:
    """A note table as printed (rounded figures), for the reconciliation of its rounding."""
    t = format_note_table(table)   # only to know which cells are printed
    f = table.frame

    def w(label, col, show=whole):
        v = f.loc[label, col]
        return show(v) if t.loc[label, col] != "" else None

    status, s_status, s_target, pct_col = COL_STATUS, COL_SAMLET_STATUS, COL_SAMLET_MAALTAL, COL_PCT
    antal = antal_column(f.columns)
    first = f.index[0]      # the note prints the group's totals once, beside its first scheme
    fl, total, count = ROW_FLEKSJOB, ROW_SAMLET, ROW_ANTAL
    return PublishedTable(
        table.year, table.unit,
        tuple(SchemeRow(o, w(scheme_label(o), status), w(scheme_label(o), antal)) for o in rules.group),
        samlet_status=w(first, s_status), samlet_maaltal=w(first, s_target),
        maalopfyldelse_pct=w(first, pct_col, percent), antal_forloeb_i_alt=w(count, antal),
        fleksjob_status=w(fl, status), fleksjob_maaltal=w(fl, s_target), fleksjob_pct=w(fl, pct_col, percent),
        samlet_maalopfyldelse_pct=w(total, pct_col, percent),
        vaegt_gruppe=Fraction(rules.weight_group).limit_denominator(10**6),
        vaegt_fleksjob=Fraction(rules.weight_fleksjob).limit_denominator(10**6),
        kilde=f"Tabel {table.number}")


def rounding_sentence(result: Result) -> str:
    """One sentence on where printed rows or percentages do not add up, and why (rounding)."""
    prev = _previous_rules(result)
    tables = [published(t, prev if t.number == 2 and prev is not None else result.rules) for t in result.tables]
    number = {(t.year, t.unit): t.number for t in result.tables}
    found = reconcile(tables)
    places: dict[int, list[str]] = {}
    for a in found.afvigelser:
        places.setdefault(number[(a.aar, a.enhed)], []).append(a.felt)
    if not places:
        return ("Alle trykte totaler og procenter i tabel 1-" f"{max(number.values())} kan genberegnes præcist ud fra "
                "de trykte tal.")
    # 'Samlet status (sum af rækker)' -> 'Samlet status – sum af rækker': no brackets inside brackets
    parts = [f"tabel {n} ({'; '.join(dict.fromkeys(_unbracketed(f) for f in felter))})"
             for n, felter in sorted(places.items())]
    kind = ("afrunding" if all(a.alvor == AFRUNDING for a in found.afvigelser)
            else "afrunding, men ikke alle forskelle kan forklares af afrunding (se jobstatus-xl check)")
    return ("Fordi hvert tal er afrundet for sig ud fra de uafrundede tal, giver de trykte tal ikke præcist den "
            f"trykte total eller procent i {_joined(parts)}; forskellen skyldes {kind}.")


def _unbracketed(felt: str) -> str:
    return re.sub(r" [(](.*)[)]$", r" – \1", felt)


def data_basis(result: Result, raw: RawInput | None) -> list[str]:
    s = result.settings
    kk = {r["linje"]: r for r in result.tidy[result.tidy["enhed"] == KK].to_dict("records")}
    out = []
    if raw is not None:
        size = f"Opgørelsen bygger på {_tal(len(raw.forloeb.frame))} rækker i {raw.forloeb.source}"
        if raw.fleksjob is not None:
            size += f" og {_tal(len(raw.fleksjob.frame))} rækker i {raw.fleksjob.source}"
        out.append(size + f"; {_tal(kk[SAMLET]['antal_forloeb'])} forløb overlapper perioden.")
    basis = {"kalenderdage": "kalenderdage (som i den offentliggjorte note)",
             "hverdage": "hverdage mandag-fredag (Danmarks Statistiks fuldtidspersoner)"}.get(s.basis, s.basis)
    out.append(f"Perioden er {danish_date(s.period.start)} til og med {danish_date(s.period.end)}. Helårspersoner "
               f"er opgjort på grundlag af {basis}. Fleksjob er talt i "
               f"{month_label(_reference_month(result).start)}.")
    if result.previous_tidy is not None:
        source = raw.previous.source if raw is not None and raw.previous is not None else "tidligere års tal"
        out.append(f"Tallene for {int(result.previous_tidy['aar'].iloc[0])} er de opgjorte tal fra {source}; "
                   "der findes ikke registerdata bag dem.")
    return out


def findings_summary(findings: list[Finding]) -> str:
    errors = sum(f.alvor == FEJL for f in findings)
    warnings = sum(f.alvor == ADVARSEL for f in findings)
    if not findings:
        return "Kontrollen af inddata fandt ingen fejl og ingen advarsler."
    text = (f"Kontrollen af inddata fandt {_tal(errors)} fejl og {_tal(warnings)} "
            f"{'advarsel' if warnings == 1 else 'advarsler'}.")
    if len(findings) > MAX_FINDINGS_SHOWN:
        text += f" De første {MAX_FINDINGS_SHOWN} er vist; arket Kontrol i projektmappen har dem alle."
    return text


# ---------------------------------------------------------------- charts

def charts(result: Result) -> list[tuple[str, bytes]]:
    """The overview's two charts as PNG images (caption, bytes), drawn from the tidy status."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    rows = result.tidy
    units = list(dict.fromkeys(rows["enhed"]))
    units = [u for u in units if u != KK] + [KK]

    def attainment(line: str) -> list[float]:
        pick = rows[rows["linje"] == line].set_index("enhed")["maalopfyldelse"]
        return [100.0 * float(pick.get(u, np.nan)) for u in units]

    series = [
        (f"Figur 1: Målopfyldelse pr. enhed i {result.settings.period.label()}: helårspersoner og "
         f"{_lower(result.rules.fleksjob)}",
         [("Helårspersoner", attainment(SAMLET), "#1F4E79"),
          (result.rules.fleksjob, attainment(result.rules.fleksjob), "#9DC3E6")]),
        (f"Figur 2: Samlet målopfyldelse pr. enhed i {result.settings.period.label()} (vægtet gennemsnit)",
         [("Samlet (vægtet)", attainment(SAMLET_MAAL), "#1F4E79")]),
    ]
    out = []
    for caption, bars in series:
        fig = Figure(figsize=(7.0, 3.0), dpi=150)
        ax = fig.add_subplot()
        x = np.arange(len(units))
        width = 0.8 / len(bars)
        for i, (label, values, colour) in enumerate(bars):
            ax.bar(x + (i - (len(bars) - 1) / 2) * width, np.nan_to_num(values), width, label=label, color=colour)
        ax.axhline(100, color="#C00000", linestyle="--", linewidth=1.2, label="Mål (100 pct.)")
        ax.set_xticks(x, units)
        ax.set_ylabel("Målopfyldelse")
        ax.yaxis.set_major_formatter(lambda v, _pos: _pct(v / 100.0))
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(bars) + 1, frameon=False, fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})   # no version stamp: same bytes each run
        out.append((caption, buf.getvalue()))
    return out


# ---------------------------------------------------------------- the document

def build_document(result: Result, raw: RawInput | None = None, adopted_on: dt.date | None = None):
    """The note as a python-docx Document. `adopted_on` defaults to the year data's date."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    adopted_on = adopted_on or adopted(result.settings.year)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)           # A4, as the municipality prints
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    doc.styles["Normal"].font.name = "Arial"                             # Liberation Sans where Arial is absent
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = f"Status for de særlige jobordninger, {result.settings.period.label()}"
    doc.core_properties.author = "jobstatus-xl"
    doc.add_heading(f"Status for de særlige jobordninger i Københavns Kommune, {result.settings.period.label()}", 1)
    for part in intro(result, adopted_on):
        if isinstance(part, list):
            for item in part:
                doc.add_paragraph(item, style="List Bullet")
        else:
            doc.add_paragraph(part)
    for paragraph in comparison(result):
        doc.add_paragraph(paragraph)
    if (text := tables_sentence(result)):
        doc.add_paragraph(text)

    for caption, png in charts(result):
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        doc.add_paragraph(caption, style="Caption")

    for table in result.tables:
        doc.add_paragraph(table.title, style="Caption").paragraph_format.keep_with_next = True
        shown = format_note_table(table)
        grid = doc.add_table(rows=1 + len(shown), cols=1 + len(shown.columns))
        grid.style = "Table Grid"
        _widths(grid, [Cm(5.0)] + [Cm(2.4)] * len(shown.columns))
        header = [table.unit] + list(shown.columns)
        body = [[label] + list(row) for label, row in shown.iterrows()]
        for r, values in enumerate([header] + body):
            for c, value in enumerate(values):
                cell = grid.cell(r, c)
                cell.text = value
                para = cell.paragraphs[0]
                para.paragraph_format.keep_with_next = r < len(body)
                for run in para.runs:
                    run.font.size = Pt(9)
                    run.font.bold = r == 0 or values[0] == body[-1][0]
                if c > 0:
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        doc.add_paragraph()
    for note in footnotes(result):
        p = doc.add_paragraph(note)
        for run in p.runs:
            run.font.size = Pt(8)

    doc.add_heading("Bilag: Datagrundlag og kontrol", 2)
    for text in data_basis(result, raw):
        doc.add_paragraph(text)
    doc.add_paragraph(findings_summary(result.findings))
    shown_findings = result.findings[:MAX_FINDINGS_SHOWN]
    if shown_findings:
        grid = doc.add_table(rows=1 + len(shown_findings), cols=5)
        grid.style = "Table Grid"
        _widths(grid, [Cm(1.8), Cm(2.6), Cm(1.5), Cm(2.3), Cm(8.8)])
        for c, head in enumerate(["Alvor", "Ark/fil", "Række", "Kolonne", "Besked"]):
            grid.cell(0, c).text = head
        for r, f in enumerate(shown_findings, start=1):
            for c, value in enumerate([f.alvor, f.kilde, "" if f.raekke is None else _tal(f.raekke),
                                       f.kolonne or "", f.besked]):
                grid.cell(r, c).text = value
        for row in grid.rows:
            for cell in row.cells:
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(8)
    doc.add_paragraph().add_run().add_break()
    doc.add_paragraph(rounding_sentence(result))
    return doc


def _widths(grid, widths) -> None:
    """Fixed column widths (Word reads the cells' widths, LibreOffice the grid's)."""
    grid.autofit = False
    for row in grid.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    for column, width in zip(grid.columns, widths):
        column.width = width


def warnings_for(result: Result) -> list[Finding]:
    """What the writer of the note must know: e.g. a year without an adoption date."""
    if adopted(result.settings.year) is None:
        return [Finding(ADVARSEL, "data/years/vedtaget.csv",
                        f"Datoen for Borgerrepræsentationens vedtagelse af måltallene for {result.settings.year} "
                        f"findes ikke i årsdata. Noten skriver '{ADOPTED_MISSING}': ret den i dokumentet, eller "
                        "tilføj datoen i vedtaget.csv.", kolonne="vedtaget")]
    return []


def note_bytes(result: Result, raw: RawInput | None = None) -> bytes:
    """The .docx file; the same result gives the same bytes (fixed zip times and document dates)."""
    from .template.build import normalize_package
    buf = io.BytesIO()
    build_document(result, raw).save(buf)
    return normalize_package(buf.getvalue())


def write_note(result: Result, out: Path, raw: RawInput | None = None) -> Path:
    """Write the note to `out` (.docx, or .pdf through LibreOffice). Returns the path written."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise NoteError(f"Notatet kan skrives som .docx eller .pdf, ikke '{out.suffix or 'uden filtype'}'.")
    if not out.parent.is_dir():
        raise NoteError(f"Mappen '{out.parent}' findes ikke.")
    from .workbook import atomic_write
    data = note_bytes(result, raw)
    if suffix == ".docx":
        atomic_write(out, data)
        return out
    atomic_write(out, docx_to_pdf(data))
    return out


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, timeout: int = 180) -> bytes:
    """PDF bytes of a .docx, converted by LibreOffice headless in a private profile (so a running
    LibreOffice, or another conversion at the same time, cannot interfere)."""
    exe = soffice()
    if exe is None:
        raise NoteError("PDF kræver LibreOffice, som ikke er installeret her. Skriv notatet som .docx i stedet. "
                        + PDF_HELP)
    with tempfile.TemporaryDirectory(prefix="jobstatus-notat-") as tmp:
        src = Path(tmp) / "notat.docx"
        src.write_bytes(data)
        profile = Path(tmp, "profile").as_uri()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        try:
            done = subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                                   "--convert-to", "pdf", "--outdir", tmp, str(src)],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NoteError(f"LibreOffice kunne ikke lave PDF'en ({type(exc).__name__}). " + PDF_HELP) from None
        pdf = Path(tmp) / "notat.pdf"
        if done.returncode != 0 or not pdf.exists():
            detail = (done.stderr.strip().splitlines() or [f"afslutningskode {done.returncode}"])[-1]
            raise NoteError(f"LibreOffice kunne ikke lave PDF'en ({detail[:200]}). " + PDF_HELP)
        return pdf.read_bytes()

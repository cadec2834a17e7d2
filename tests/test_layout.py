"""The status sheets' layout is described once (`sheets.STATUS`, `sheets.OVERVIEW`): what the writer
puts in a cell is what `check` reads from that cell and what the overview and its charts point at,
also for results that are not the demo's (a part of the year, weekdays, another register, no
previous year). Expected figures come from the engine's tidy status (named columns), never from
the layout under test."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from fractions import Fraction

import pytest

from jobstatus_xl import checks, sheets
from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, RawInput, Table, compute, demo_input
from jobstatus_xl.engine.reconcile import PublishedTable, SchemeRow
from jobstatus_xl.engine.rounding import excel_round
from jobstatus_xl.engine.rules import load_rules
from jobstatus_xl.engine.status import SAMLET, SAMLET_MAAL


def _variants() -> dict[str, tuple[RawInput, object]]:
    demo = demo_input()
    f = demo.forloeb.frame
    # every third forløb, and no forløb at all for one forvaltning: other figures, a zero row
    thinned = f[(f.index % 3 == 0) & (f["forvaltning"] != "KFF")].reset_index(drop=True)
    other = dataclasses.replace(demo, forloeb=Table(thinned, demo.forloeb.source))
    part = dataclasses.replace(DEMO_SETTINGS, start=dt.date(2024, 3, 1), end=dt.date(2024, 9, 30), basis="hverdage")
    return {
        "demo": (demo, DEMO_SETTINGS),
        "part of the year, weekdays": (demo, part),
        "another register, no previous year": (dataclasses.replace(other, previous=None), part),
    }


VARIANTS = _variants()


@pytest.fixture(scope="module", params=list(VARIANTS))
def result(request):
    return compute(*VARIANTS[request.param])


def _shown(grid: sheets.SheetGrid) -> list[list]:
    """The sheet as a reader of the saved file sees it: each formula's computed value in its cell."""
    return [[grid.computed.get((r, c), v) if isinstance(v, str) and v.startswith("=") else v
             for c, v in enumerate(row)] for r, row in enumerate(grid.cells)]


def _whole(x) -> int | None:
    return None if x is None or not math.isfinite(x) else int(excel_round(x))


def _pct(x) -> int | None:
    return None if x is None or not math.isfinite(x) else _whole(100.0 * x)


def _expected(result, year: int, enhed: str, number: int) -> PublishedTable:
    """The table as the note prints it, from the engine's tidy status."""
    tidy = result.tidy if year == result.settings.year else result.previous_tidy
    rules = result.rules if year == result.rules.year else load_rules(year)
    lines = {r["linje"]: r for r in tidy[tidy["enhed"] == enhed].to_dict("records")}
    group, fleks, total = lines[SAMLET], lines[rules.fleksjob], lines[SAMLET_MAAL]
    return PublishedTable(
        year, enhed,
        tuple(SchemeRow(o, _whole(lines[o]["status"]), _whole(lines[o]["antal_forloeb"])) for o in rules.group),
        samlet_status=_whole(group["status"]), samlet_maaltal=_whole(group["maaltal"]),
        maalopfyldelse_pct=_pct(group["maalopfyldelse"]), antal_forloeb_i_alt=_whole(group["antal_forloeb"]),
        fleksjob_status=_whole(fleks["status"]), fleksjob_maaltal=_whole(fleks["maaltal"]),
        fleksjob_pct=_pct(fleks["maalopfyldelse"]), samlet_maalopfyldelse_pct=_pct(total["maalopfyldelse"]),
        vaegt_gruppe=Fraction(rules.weight_group).limit_denominator(10**6),
        vaegt_fleksjob=Fraction(rules.weight_fleksjob).limit_denominator(10**6),
        kilde=f"Tabel {number}")


def _status_grids(result) -> dict[int, sheets.SheetGrid]:
    return {int(g.name.split()[-1]): g for g in sheets.result_grids(result) if re.fullmatch(r"Tabel \d+", g.name)}


def test_check_reads_back_every_figure_the_writer_put_in_a_status_sheet(result):
    tables = {t.number: t for t in result.tables}
    grids = _status_grids(result)
    assert set(tables) <= set(grids)
    for number, grid in grids.items():
        reader = checks._Reader()
        unit = sheets.TABLE_UNITS[number - 1]
        year = result.settings.year - (number == 2)
        read = checks._table_from_sheet(grid.name, _shown(grid), unit, year, reader)
        assert reader.findings == []
        if number not in tables:            # no previous year: a sheet without figures, read as none
            assert read is None
            continue
        t = tables[number]
        assert read == _expected(result, t.year, t.unit, number)


def test_check_names_a_bad_cell_by_the_header_the_writer_put_above_it(result):
    """A typo in any figure column is reported with that column's letter and the header the user
    reads there (the antal header names the year or period: the message gives its start)."""
    grid = _status_grids(result)[1]
    header_row = next(r for r, row in enumerate(grid.cells, start=1) if row[0] == result.tables[0].unit)
    headers = grid.cells[header_row - 1]
    first = header_row + 1
    assert grid.cells[first - 1][0] is not None and grid.cells[first - 1][0] != headers[0]
    checked = 0
    for i, header in enumerate(headers):
        if i == 0 or header is None:
            continue
        shown = _shown(grid)
        shown[first - 1][i] = "ikke et tal"
        reader = checks._Reader()
        checks._table_from_sheet(grid.name, shown, result.tables[0].unit, result.settings.year, reader)
        [finding] = reader.findings
        letter, name = re.fullmatch(r"([A-Z]+) \((.+)\)", finding.kolonne).groups()
        assert (finding.raekke, letter) == (first, chr(ord("A") + i))
        assert header.startswith(name)
        checked += 1
    assert checked == len(headers) - 1


def test_the_overview_and_its_charts_point_at_the_status_sheets_attainments(result):
    from jobstatus_xl.template.build import template_sheets_workbook

    grids = _status_grids(result)
    overview = next(g for g in sheets.result_grids(result) if g.name == sheets.SHEET_OVERVIEW)
    unit_rows = [r for r, row in enumerate(overview.cells, start=1) if row[0] in sheets.UNIT_NAMES]
    charted = [n for n in sorted(grids) if n != 2]
    assert len(unit_rows) == len(charted)
    for r, number in zip(unit_rows, charted):
        grid = grids[number]
        labels = [row[0] for row in grid.cells]
        header = next(i for i, row in enumerate(grid.cells) if row[0] == overview.cells[r - 1][0])
        pct = next(i for i, h in enumerate(grid.cells[header]) if h == "Procentvis målopfyldelse")
        targets = [header + 1, labels.index(sheets.ROW_FLEKSJOB), labels.index(sheets.ROW_SAMLET)]
        links = [v for v in overview.cells[r - 1] if isinstance(v, str) and v.startswith("=")]
        assert links == [f"='{grid.name}'!{chr(ord('A') + pct)}{t + 1}" for t in targets]
        assert [overview.computed[(r - 1, overview.cells[r - 1].index(v))] for v in links] == \
            [grid.computed[(t, pct)] for t in targets]

    # the template's charts plot exactly those rows, in the columns the overview's header names
    ws = template_sheets_workbook()[sheets.SHEET_OVERVIEW]
    header = overview.cells[unit_rows[0] - 2]
    first, last = unit_rows[0], unit_rows[-1]

    def rows(title: str) -> str:
        col = chr(ord("A") + header.index(title))
        return f"'{sheets.SHEET_OVERVIEW}'!${col}${first}:${col}${last}"

    series = [s for chart in ws._charts for c in chart._charts for s in c.series]
    assert len(series) == 5
    for s in series:
        title = s.tx.v
        assert s.val.numRef.f == rows("Mål" if title.startswith("Mål") else title)
        assert (s.cat.numRef or s.cat.strRef).f == rows("Enhed")

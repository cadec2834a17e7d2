"""The ribbon macros on real `xlwings.Book` objects backed by JSON (xlwings' remote engine): every
write is recorded as an action, i.e. as one round trip Excel would make. Built from the template's
own sheets (sheets.template_grids) filled with the demo register."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from devsupport import xlwings_harness as h
from jobstatus_xl import macros, sheets
from jobstatus_xl.engine import pipeline
from jobstatus_xl.engine.findings import InputError

STATUS_SHEETS = [s for s in sheets.OWNED_SHEETS if s.startswith("Tabel ")]
USER_SHEET = "Mine noter"


def test_runs_in_the_server_flavour():
    assert "remote" in [e.name for e in h.xw.engines]


class Run:
    """A JSON workbook, a macro run on it, and what it recorded."""

    def __init__(self, grids: list[sheets.SheetGrid], extra_sheets: list[str] = ()):
        self.grids = grids
        payload = h.book_json(grids)
        for name in extra_sheets:
            payload["sheets"].append({"name": name, "values": [["Mine egne tal"], [42]], "pictures": [], "tables": []})
        self.payload = payload
        self.names = [s["name"] for s in payload["sheets"]]
        self.book = h.open_book(payload)

    def __call__(self, macro):
        try:
            self.returned = macro(self.book)
        finally:
            self.actions = h.actions(self.book, self.names)
            h.close_book(self.book)
        return self

    def on(self, sheet: str, func: str | None = None) -> list[h.Action]:
        return [a for a in self.actions if a.sheet == sheet and (func is None or a.func == func)]

    def alerts(self) -> list[str]:
        return [a.raw["args"][0] for a in self.actions if a.func == "alert"]


def demo_run(n_forloeb: int | None = None, **kwargs) -> Run:
    return Run(h.demo_grids(n_forloeb), **kwargs)


def excel_address(a: h.Action) -> str:
    row, column, rows, columns = a.address
    return f"{sheets.a1(row, column)}:{sheets.a1(row + rows - 1, column + columns - 1)}"


# ---------------------------------------------------------------- refresh_all writes the engine's tables

def test_refresh_writes_every_owned_sheet_as_the_engine_computes_it():
    run = demo_run(extra_sheets=[USER_SHEET])(macros.refresh_all)
    expected = sheets.result_grids(h.expected_result(run.grids))
    assert [g.name for g in expected] == sheets.OWNED_SHEETS
    assert run.returned is not None
    for grid in expected:
        writes = run.on(grid.name, "setValues")
        assert len(writes) == 1, grid.name                            # one bulk write per sheet
        assert writes[0].address[:2] == (1, 1)
        assert writes[0].raw["values"] == h.padded(grid.cells), grid.name   # formulas included, as '=...'
        formats = {excel_address(a): a.raw["args"][0] for a in run.on(grid.name, "setNumberFormat")}
        assert formats == {k if ":" in k else f"{k}:{k}": v for k, v in grid.formats.items()}, grid.name
    status = run.on("Tabel 1", "setValues")[0].raw["values"]
    assert "=IFERROR(100*ATTAINMENT(C5,D5),ATTAINMENT(C5,D5))" in [v for row in status for v in row]
    assert any(str(v).startswith("=WEIGHTED_ATTAINMENT(E5:E") for row in status for v in row)


def test_refresh_reads_excel_values_as_the_csv_reader_does(demo_result):
    """Dates read through xlwings (ISO strings from the client) must give the CSV path's figures."""
    run = demo_run()(macros.refresh_all)
    from_csv = sheets.result_grids(demo_result)
    for grid in from_csv:
        if grid.name in STATUS_SHEETS:
            assert run.on(grid.name, "setValues")[0].raw["values"] == h.padded(grid.cells), grid.name
    assert run.returned.tidy.equals(demo_result.tidy)


def test_refresh_touches_no_input_sheet_and_no_sheet_a_user_added():
    run = demo_run(extra_sheets=[USER_SHEET])(macros.refresh_all)
    targeted = {a.sheet for a in run.actions if a.sheet is not None}
    assert targeted == set(sheets.OWNED_SHEETS)
    assert not targeted & (set(sheets.INPUT_SHEETS) | {USER_SHEET})
    assert [a.func for a in run.actions if a.sheet is None] == ["alert"]
    assert "Alle tabeller er opdateret" in run.alerts()[0]


def count_reads(monkeypatch) -> list:
    """Every bulk read of cell values (Range.raw_value on the remote engine)."""
    from xlwings.pro import _xlremote
    reads = []
    original = _xlremote.Range.raw_value

    def counted(self):
        reads.append((self.sheet.name, self.shape))
        return original.fget(self)
    monkeypatch.setattr(_xlremote.Range, "raw_value", property(counted, original.fset))
    return reads


@pytest.mark.slow
def test_round_trips_do_not_depend_on_the_number_of_forloeb(monkeypatch, record_property):
    counts = {}
    for n in (1_000, 100_000):
        reads = count_reads(monkeypatch)
        run = demo_run(n)(macros.refresh_all)
        assert run.returned is not None and len(run.returned.tidy)
        assert [name for name, _ in reads] == sheets.INPUT_SHEETS          # one bulk read per input sheet
        assert dict(reads)[sheets.SHEET_FORLOEB][0] == n + 1
        counts[n] = (len(run.actions), Counter(a.func for a in run.actions), len(reads))
        monkeypatch.undo()
    assert counts[1_000] == counts[100_000]
    actions, by_func, reads = counts[100_000]
    record_property("refresh_all_actions", actions)
    record_property("refresh_all_reads", reads)
    # per owned sheet: one value write + one clear below + one clear of formats; number formats per
    # range; fonts per run of sheets.row_styles (bold per header and total, three per footnote run);
    # one message box
    expected = sheets.result_grids(h.expected_result(h.demo_grids(1_000)))
    n_formats = sum(len(g.formats) for g in expected)
    n_fonts = sum(len(looks["header"]) + len(looks["total"]) + 3 * len(looks["note"])
                  for looks in map(sheets.row_styles, expected))
    assert by_func == Counter({"setValues": len(sheets.OWNED_SHEETS), "rangeClearContents": len(sheets.OWNED_SHEETS),
                               "rangeClearFormats": len(sheets.OWNED_SHEETS), "setNumberFormat": n_formats,
                               "setFontProperty": n_fonts, "alert": 1})
    print(f"\nrefresh_all: {actions} actions ({dict(by_func)}) and {reads} bulk reads, for 1,000 and 100,000 forløb")


def test_the_old_table_area_below_the_new_one_is_cleared():
    grids = h.demo_grids()
    old = sheets.findings_grid([])
    old.cells += [["advarsel", "Forløb", r, "start", "gammel advarsel"] for r in range(60)]
    run = Run([old if g.name == sheets.SHEET_CHECK else g for g in grids])(macros.refresh_all)
    new_rows = len(run.on(sheets.SHEET_CHECK, "setValues")[0].raw["values"])
    (clear,) = run.on(sheets.SHEET_CHECK, "rangeClearContents")
    assert clear.address == (new_rows + 1, 1, len(old.cells) - new_rows, 5)   # only our columns, only below


def fonts_from_actions(run: Run, sheet: str) -> dict[tuple[int, int], tuple]:
    """(row, column) -> (bold, italic, size, colour) after the recorded actions, from Excel's
    defaults; a format clear resets its cells. Only cells the actions touched."""
    fonts: dict[tuple[int, int], dict] = {}
    default = {"bold": False, "italic": False, "size": 11, "color": None}
    for a in run.on(sheet):
        if a.func not in ("rangeClearFormats", "setFontProperty"):
            continue
        row, column, rows, columns = a.address
        for r in range(row, row + rows):
            for c in range(column, column + columns):
                if a.func == "rangeClearFormats":
                    fonts[(r, c)] = dict(default)
                else:
                    prop, value = a.raw["args"]
                    fonts.setdefault((r, c), dict(default))[prop] = value.lstrip("#").upper() if prop == "color" else value
    return {k: (f["bold"], f["italic"], f["size"], f["color"]) for k, f in fonts.items()}


def test_rows_beyond_the_template_look_as_the_headless_refresh_makes_them():
    """The total and footnote rows move with the table's length, so the template cannot style them:
    the ribbon must give them the fonts the openpyxl writer gives them."""
    import openpyxl
    from jobstatus_xl import workbook
    run = demo_run()(macros.refresh_all)
    wb = openpyxl.Workbook()
    for grid in sheets.result_grids(h.expected_result(run.grids)):
        ws = wb.create_sheet(grid.name)
        workbook.write_grid(ws, grid)
        ribbon = fonts_from_actions(run, grid.name)
        checked = 0
        for r, row in enumerate(grid.cells, start=1):
            for c, value in enumerate(row, start=1):
                if value is None or r <= sheets.HEADER_ROW:     # title, subtitle, header: the template's
                    continue
                f = ws.cell(row=r, column=c).font
                rgb = f.color.rgb[-6:].upper() if f.color is not None and f.color.type == "rgb" else None
                headless = (bool(f.b), bool(f.i), f.sz or 11, rgb)           # no size: the default, 11
                assert ribbon[(r, c)] == headless, (grid.name, r, c)
                checked += f.b or f.i
        if grid.name.startswith("Tabel "):
            assert checked >= 1 + len(sheets.FOOTNOTES), grid.name      # the total row and every footnote


def test_the_old_tables_formats_are_cleared_with_it():
    """A total row that moved must not leave a bold scheme row behind."""
    grids = h.demo_grids()
    old = next(g for g in grids if g.name == "Tabel 1")
    old.cells += [[None] * sheets.GRID_WIDTH for _ in range(12)] + [[sheets.ROW_SAMLET] + [None] * 6]
    run = Run(grids)(macros.refresh_all)
    (clear,) = run.on("Tabel 1", "rangeClearFormats")
    assert clear.address == (sheets.HEADER_ROW + 1, 1, len(old.cells) - sheets.HEADER_ROW, sheets.GRID_WIDTH)


def test_missing_owned_sheets_are_created_in_their_place():
    grids = [g for g in h.demo_grids() if g.name not in ("Tabel 4", sheets.SHEET_CHECK)]
    run = Run(grids)(macros.refresh_all)
    added = [a for a in run.actions if a.func == "addSheet"]
    assert [a.sheet for a in added] == ["Tabel 4", sheets.SHEET_CHECK]
    names = list(run.names)
    for a in added:
        names.insert(a.raw["args"][0], a.sheet)
    assert names.index("Tabel 4") == names.index("Tabel 3") + 1
    assert names.index(sheets.SHEET_CHECK) == names.index("Tabel 9") + 1
    assert len(run.on("Tabel 4", "setValues")) == 1


def test_the_calling_book_is_the_default(monkeypatch):
    run = demo_run()
    monkeypatch.setattr(macros.xw.Book, "caller", classmethod(lambda cls: run.book))
    run(lambda book: macros.refresh_all())
    assert len(run.on("Tabel 1", "setValues")) == 1


def test_a_missing_message_box_does_not_fail_the_refresh(monkeypatch):
    def no_alerts(self, *args, **kwargs):
        raise NotImplementedError("no message boxes here")
    monkeypatch.setattr(h.xw.App, "alert", no_alerts)
    run = demo_run()(macros.refresh_all)
    assert run.returned is not None and len(run.on("Tabel 1", "setValues")) == 1


# ---------------------------------------------------------------- failures write nothing (or only Kontrol)

@pytest.mark.parametrize("target", ["jobstatus_xl.engine.pipeline.compute_status",   # the engine, after reading
                                    "jobstatus_xl.sheets.status_grid"])              # laying out the 6th table
def test_a_failure_after_reading_writes_nothing(monkeypatch, target):
    calls = []

    def fail(*args, **kwargs):
        calls.append(1)
        if target.endswith("compute_status") or len(calls) == 6:
            raise RuntimeError("injected failure")
        return original(*args, **kwargs)
    module, name = target.rsplit(".", 1)
    original = getattr(__import__(module, fromlist=[name]), name)
    monkeypatch.setattr(target, fail)
    run = demo_run()(macros.refresh_all)
    assert calls and run.returned is None
    assert [a.func for a in run.actions] == ["alert"]                    # no sheet touched at all
    assert "IKKE opdateret" in run.alerts()[0] and "RuntimeError" in run.alerts()[0]


def test_excel_failing_part_way_leaves_whole_sheets(monkeypatch):
    from xlwings.pro import _xlremote
    original = _xlremote.Range.raw_value

    def failing(self, value):
        if self.sheet.name == "Tabel 3":
            raise OSError("Excel is busy")
        original.fset(self, value)
    monkeypatch.setattr(_xlremote.Range, "raw_value", property(original.fget, failing))
    run = demo_run()(macros.refresh_all)
    assert run.returned is None
    written = [a.sheet for a in run.actions if a.func == "setValues"]
    assert written == ["Oversigt", "Tabel 1", "Tabel 2"]
    assert "afbrudt ved arket 'Tabel 3'" in run.alerts()[-1]


def broken_forloeb(rows: dict[int, dict]) -> list[sheets.SheetGrid]:
    """The demo book with some Forløb cells changed: {sheet row: {column: value}}."""
    frames = h.demo_frames()
    f = frames[sheets.SHEET_FORLOEB]
    for row, changes in rows.items():
        for column, value in changes.items():
            f.at[row - 2, column] = value
    return h.demo_grids(frames=frames)


def test_input_errors_write_only_the_kontrol_sheet():
    # An error read as a blank end date would silently mean "still running"; an id '#N/A' would be a person.
    grids = broken_forloeb({5: {"slut": dt.datetime(2020, 1, 1)}, 9: {"forvaltning": "XYZ"},
                            12: {"id": "#N/A"}, 14: {"start": "#VALUE!"}, 16: {"slut": "#N/A"}})
    run = Run(grids, extra_sheets=[USER_SHEET])(macros.refresh_all)
    assert run.returned is None
    assert {a.sheet for a in run.actions if a.sheet} == {sheets.SHEET_CHECK}
    with pytest.raises(InputError) as info:
        macros.compute({g.name: g.cells for g in grids})
    expected = sheets.findings_grid(info.value.findings)
    (write,) = run.on(sheets.SHEET_CHECK, "setValues")
    assert write.raw["values"] == h.padded(expected.cells)
    rows = {(r[1], r[2], r[3]) for r in write.raw["values"][4:] if r[0] == "fejl"}
    assert {("Forløb", 5, "slut"), ("Forløb", 9, "forvaltning"), ("Forløb", 12, "id"), ("Forløb", 14, "start"),
            ("Forløb", 16, "slut")} <= rows
    text = run.alerts()[0]
    assert text.startswith("Tabellerne er IKKE opdateret: inddata har ") and "De hidtidige tabeller er uændrede" in text
    assert "Forløb, række 5, kolonne 'slut'" in text and "'Kontrol'" in text


def test_an_excel_error_cell_is_an_input_error():
    """An id '#N/A' in the fleksjob sheet would look like a valid id (several such rows would be
    counted as one person). The engine refuses error cells from every front; nothing but Kontrol is written."""
    frames = h.demo_frames()
    frames[sheets.SHEET_FLEKSJOB].at[9, "id"] = "#N/A"
    grids = h.demo_grids(frames=frames)
    by_name = {g.name: g.cells for g in grids}
    with pytest.raises(InputError, match="fejlværdien #N/A"):
        pipeline.compute(*sheets.raw_input_from_grids({n: by_name.get(n) for n in sheets.INPUT_SHEETS}))
    run = Run(grids)(macros.refresh_all)
    assert {a.sheet for a in run.actions if a.sheet} == {sheets.SHEET_CHECK}
    values = run.on(sheets.SHEET_CHECK, "setValues")[0].raw["values"]
    assert ["fejl", "Fleksjob", 11, "id", "Cellen indeholder fejlværdien #N/A. Ret formlen eller værdien."] in values


def test_only_owned_sheets_can_be_written():
    run = demo_run()
    with pytest.raises(ValueError, match="not a sheet the add-in owns"):
        macros._write_all(run.book, [sheets.input_grid(sheets.SHEET_FORLOEB)])
    run(lambda book: None)
    assert run.actions == []


def test_a_missing_input_sheet_is_an_input_error():
    run = Run([g for g in h.demo_grids() if g.name != sheets.SHEET_FLEKSJOB])(macros.refresh_all)
    assert {a.sheet for a in run.actions if a.sheet} == {sheets.SHEET_CHECK}
    assert "Arket 'Fleksjob' mangler" in str(run.on(sheets.SHEET_CHECK, "setValues")[0].raw["values"])


# ---------------------------------------------------------------- validate and fill_demo

def test_validate_writes_only_the_kontrol_sheet():
    run = demo_run(extra_sheets=[USER_SHEET])(macros.validate)
    assert {a.sheet for a in run.actions if a.sheet} == {sheets.SHEET_CHECK}
    expected = sheets.findings_grid(h.expected_result(run.grids).findings)
    assert run.on(sheets.SHEET_CHECK, "setValues")[0].raw["values"] == h.padded(expected.cells)
    assert run.alerts()[0].startswith("Ingen fejl i inddata.")
    bad = Run(broken_forloeb({5: {"slut": dt.datetime(2020, 1, 1)}}))(macros.validate)
    assert {a.sheet for a in bad.actions if a.sheet} == {sheets.SHEET_CHECK}
    assert bad.alerts()[0].startswith("Inddata har fejl")


@pytest.mark.slow
def test_fill_demo_fills_empty_input_sheets_only():
    run = Run(sheets.template_grids(), extra_sheets=[USER_SHEET])(macros.fill_demo)
    assert run.returned == [sheets.SHEET_FORLOEB, sheets.SHEET_FLEKSJOB, sheets.SHEET_TIDLIGERE]
    frames = h.demo_frames()
    for name in run.returned:
        (write,) = run.on(name, "setValues")
        expected = h.padded(sheets.input_grid(name, frames[name]).cells)
        as_iso = [[v.date().isoformat() if isinstance(v, dt.datetime) else v for v in row] for row in expected]
        assert write.raw["values"] == as_iso, name                       # real dates, written as ISO dates
    assert {a.sheet for a in run.actions if a.sheet} == set(run.returned)

    mine = h.demo_grids()                                               # the user already has a register
    mine = [sheets.input_grid(sheets.SHEET_TIDLIGERE) if g.name == sheets.SHEET_TIDLIGERE else g for g in mine]
    again = Run(mine)(macros.fill_demo)
    assert again.returned == [sheets.SHEET_TIDLIGERE]
    assert {a.sheet for a in again.actions if a.sheet} == {sheets.SHEET_TIDLIGERE}
    assert "Ikke ændret, fordi arket allerede har data: Forløb, Fleksjob." in again.alerts()[0]


@pytest.mark.slow
def test_fill_demo_leaves_a_sheet_with_other_columns_alone_and_extends_the_excel_table():
    grids = sheets.template_grids()
    grids = [sheets.SheetGrid(g.name, [["mit", "eget", "layout"]]) if g.name == sheets.SHEET_FLEKSJOB else g for g in grids]
    run = Run(grids)
    forloeb = next(s for s in run.book.api["sheets"] if s["name"] == sheets.SHEET_FORLOEB)
    forloeb["tables"] = [{"name": "tblForloeb", "range_address": "$A$1:$F$2", "header_row_range_address": "$A$1:$F$1",
                          "data_body_range_address": "$A$2:$F$2", "total_row_range_address": None,
                          "show_headers": True, "show_totals": False, "table_style": "TableStyleMedium2",
                          "show_autofilter": True}]
    run(macros.fill_demo)
    assert sheets.SHEET_FLEKSJOB not in run.returned and not run.on(sheets.SHEET_FLEKSJOB)
    (resize,) = [a for a in run.actions if a.func == "resizeTable"]
    assert resize.sheet == sheets.SHEET_FORLOEB
    assert resize.raw["args"] == [0, f"$A$1:$F${len(h.demo_frames()[sheets.SHEET_FORLOEB]) + 1}"]


# ---------------------------------------------------------------- export_note writes the note beside the workbook

class SavedRun(Run):
    """A JSON workbook whose name is a saved file's full path (as Excel's FullName is)."""

    def __init__(self, path, grids: list[sheets.SheetGrid]):
        self.grids = grids
        self.payload = h.book_json(grids, name=str(path))
        self.names = [s["name"] for s in self.payload["sheets"]]
        self.book = h.open_book(self.payload)


@pytest.mark.slow
def test_export_note_writes_the_note_next_to_the_workbook_and_says_where(tmp_path):
    import docx
    run = SavedRun(tmp_path / "status 2024.xlsm", h.demo_grids())(macros.export_note)
    target = tmp_path / "status 2024 notat 2024.docx"
    assert run.returned == target and target.exists()
    doc = docx.Document(str(target))
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Tabel ")]
    assert len(doc.tables) >= 9 and [c.split(":")[0] for c in captions] == [f"Tabel {n}" for n in range(1, 10)]
    # the figures are the ones the refresh writes on the status sheets
    result = h.expected_result(run.grids)
    kk = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert kk[1][2] == f"{int(result.tidy.loc[3, 'status'] + 0.5):,}".replace(",", ".")
    assert [a.func for a in run.actions] == ["alert"]               # nothing in the workbook is written
    assert str(target) in run.alerts()[0]


@pytest.mark.slow
def test_export_note_never_overwrites_an_earlier_note(tmp_path):
    first = tmp_path / "status notat 2024.docx"
    first.write_bytes(b"rettet i haanden")
    run = SavedRun(tmp_path / "status.xlsm", h.demo_grids())(macros.export_note)
    assert run.returned == tmp_path / "status notat 2024 (2).docx" and run.returned.exists()
    assert first.read_bytes() == b"rettet i haanden"


def test_export_note_of_an_unsaved_workbook_asks_to_save_it_first():
    run = demo_run()(macros.export_note)        # name without a folder, as a new unsaved book
    assert run.returned is None
    assert [a.func for a in run.actions] == ["alert"] and "Gem projektmappen først" in run.alerts()[0]


def test_export_note_with_input_errors_writes_only_kontrol(tmp_path):
    grids = h.demo_grids()
    forloeb = next(g for g in grids if g.name == sheets.SHEET_FORLOEB)
    forloeb.cells[1][3] = "ikke en dato"
    run = SavedRun(tmp_path / "status.xlsm", grids)(macros.export_note)
    assert run.returned is None and list(tmp_path.iterdir()) == []
    assert {a.sheet for a in run.actions if a.sheet} == {sheets.SHEET_CHECK}
    assert "Notatet er IKKE lavet" in run.alerts()[0]

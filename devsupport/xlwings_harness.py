"""xlwings' own machinery without Excel: UDF calls shaped as Excel's add-in sends them, and
workbooks as `xlwings.Book(json=...)`, whose every write is recorded as an action. Used by the
tests and by benchmarks/roundtrips.py and udfs_bench.py.

xlwings chooses its UDF decorators (no-ops on Linux, or the server flavour) and registers its
remote engine once, when it is first imported; both need XLWINGS_ON_SERVER / XLWINGS_LICENSE_KEY
set before that. tests/conftest.py sets them before any test module is imported; elsewhere (the
benchmarks) importing this module first sets them for xlwings' first import and then restores the
environment. If xlwings was already imported without them, importing this module fails: nothing
here works with xlwings' classic flavour.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SERVER_ENV = {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}


def _first_import_as_server() -> None:
    if "xlwings" in sys.modules:
        return
    saved = {k: os.environ.get(k) for k in SERVER_ENV}
    os.environ["XLWINGS_ON_SERVER"] = "true"
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    try:
        import xlwings  # noqa: F401
        import xlwings.server  # noqa: F401
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_first_import_as_server()

import xlwings as xw  # noqa: E402

# Outside Pyodide, xlwings' Office.js engine tries `from pyodide.ffi import JsNull` once per cell
# of every UDF argument, and a failed import is not cached: a full module-path search per cell
# (~0.3 ms; 2.7 s for a 3,708-row table). A None entry makes that import fail at once, with the
# same outcome (ImportError -> "not Pyodide"), so results are unchanged and tests stay fast.
if importlib.util.find_spec("pyodide") is None:
    sys.modules.setdefault("pyodide", None)

SERVER_FLAVOUR = bool(getattr(xw, "on_server", False)) and "remote" in [e.name for e in xw.engines]
if not SERVER_FLAVOUR:
    raise ImportError("xlwings was imported before devsupport.xlwings_harness without XLWINGS_ON_SERVER=true: "
                      "its remote engine (xlwings' server flavour) is missing in this process")

from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402,F401

from jobstatus_xl import sheets  # noqa: E402
from jobstatus_xl.engine import pipeline  # noqa: E402


def table_range(frame: pd.DataFrame, date_cols=("start", "slut")) -> list[list]:
    """An input table with its header row (tblForloeb[#Alle]) as Excel hands it to a function:
    dates as serials, blank cells None."""
    rows = [list(frame.columns)]
    for rec in frame.itertuples(index=False):
        rows.append([(serial(v) if v else None) if c in date_cols else (v if v != "" else None)
                     for c, v in zip(frame.columns, rec)])
    return rows


# ---------------------------------------------------------------- UDFs, as Excel's add-in calls them

EXCEL_EPOCH = dt.date(1899, 12, 30)


def serial(day: dt.date | str) -> float:
    """A date as Excel stores it (and Office.js sends it to a custom function): days since 1899-12-30."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return float((day - EXCEL_EPOCH).days)


def excel_error(text: str = "#N/A") -> dict:
    """An error cell as Office.js passes it to a custom function (allowErrorForDataTypeAny)."""
    kinds = {"#N/A": "NotAvailable", "#VALUE!": "Value", "#DIV/0!": "Div0", "#REF!": "Ref", "#NUM!": "Num",
             "#NAME?": "Name", "#NULL!": "Null"}
    return {"type": "Error", "basicType": "Error", "basicValue": text, "errorType": kinds.get(text, "Value")}


def formatted_date(day: dt.date | str) -> dict:
    """A date cell sent as a FormattedNumber (custom data types allowed for 'any' parameters)."""
    return {"type": "FormattedNumber", "basicValue": serial(day), "numberFormat": "dd-mm-yyyy"}


def col(values) -> list[list]:
    """A one-column range."""
    return [[v] for v in values]


def one(value) -> list[list]:
    """A one-cell argument (Excel always sends a 2-D array)."""
    return [[value]]


def udf_payload(func_name: str, args: list, caller: str = "'Tabel 1'!E5") -> dict:
    return {"func_name": func_name, "args": args, "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "caller_address": caller, "culture_info_name": "da-DK", "date_format": "dd-mm-yyyy"}


def call_udf(module, func_name: str, *args):
    """The 2-D result xlwings would hand back to Excel."""
    return asyncio.run(custom_functions_call(udf_payload(func_name, list(args)), module))


def call_cell(module, func_name: str, *args):
    """The single value of a one-cell result."""
    result = call_udf(module, func_name, *args)
    assert len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


# ---------------------------------------------------------------- workbooks as xlwings.Book(json=...)

def client_value(v):
    """A cell as the xlwings JS client sends it: dates as ISO strings, blanks as ''."""
    if v is None:
        return ""
    if isinstance(v, (dt.datetime, dt.date, pd.Timestamp)):
        return f"{v:%Y-%m-%d}T00:00:00.000Z"
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return ""
    return v


def book_json(grids: list[sheets.SheetGrid], name: str = "jobstatus.xlsm") -> dict:
    out = []
    for g in grids:
        width = max((len(r) for r in g.cells), default=1)
        values = [[client_value(v) for v in list(r) + [None] * (width - len(r))] for r in g.cells] or [[""]]
        out.append({"name": g.name, "values": values, "pictures": [], "tables": []})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1"}, "names": [], "sheets": out}


def open_book(payload: dict) -> xw.Book:
    return xw.Book(json=payload)


def close_book(book: xw.Book) -> None:
    from xlwings.pro._xlremote import get_range_api
    book.close()
    get_range_api.cache_clear()   # xlwings caches ranges' values; a 100k-row book should not linger


def demo_frames(n_forloeb: int | None = None) -> dict[str, pd.DataFrame]:
    """The bundled synthetic register, typed as a user's sheet holds it (dates, numbers). With
    n_forloeb the forløb are cut or repeated (fresh ids) to that many rows."""
    raw = pipeline.demo_input()
    forloeb = raw.forloeb.frame
    if n_forloeb is not None:
        reps = -(-n_forloeb // len(forloeb))
        forloeb = pd.concat([forloeb] * reps, ignore_index=True).iloc[:n_forloeb].copy()
        forloeb["id"] = [f"DEMO-P{i:07d}" for i in range(len(forloeb))]

    def typed(frame, dates=(), numbers=()):
        out = frame.astype(object).copy()
        for c in dates:   # object columns: plain datetimes (pandas would infer datetime64)
            out[c] = pd.Series([dt.datetime.fromisoformat(v) if v else None for v in frame[c]], index=out.index, dtype=object)
        for c in numbers:
            out[c] = pd.Series([float(v) if v else None for v in frame[c]], index=out.index, dtype=object)
        return out

    return {sheets.SHEET_FORLOEB: typed(forloeb, ("start", "slut"), ("timer_pr_uge",)),
            sheets.SHEET_FLEKSJOB: typed(raw.fleksjob.frame, ("start", "slut")),
            sheets.SHEET_TIDLIGERE: typed(raw.previous.frame, (), ("aar", "status", "antal_forloeb"))}


def demo_grids(n_forloeb: int | None = None, frames: dict | None = None) -> list[sheets.SheetGrid]:
    """The template's sheets (sheets.template_grids) with the demo register in the input sheets."""
    frames = frames if frames is not None else demo_frames(n_forloeb)
    return [sheets.input_grid(g.name, frames[g.name]) if g.name in frames else g for g in sheets.template_grids()]


def expected_result(grids: list[sheets.SheetGrid]) -> pipeline.Result:
    """What the engine makes of these sheets when handed their values directly (no xlwings)."""
    by_name = {g.name: g.cells for g in grids}
    return pipeline.compute(*sheets.raw_input_from_grids({n: by_name.get(n) for n in sheets.INPUT_SHEETS}))


# ---------------------------------------------------------------- recorded actions

@dataclass(frozen=True)
class Action:
    sheet: str | None     # the sheet the action targets when it was recorded (None: book/app level)
    func: str
    raw: dict

    @property
    def address(self) -> tuple[int, int, int, int] | None:
        """(first row, first column, rows, columns), 1-based."""
        r = self.raw
        if r.get("start_row") is None:
            return None
        return r["start_row"] + 1, r["start_column"] + 1, r["row_count"], r["column_count"]


def actions(book: xw.Book, initial_sheets: list[str]) -> list[Action]:
    """The book's recorded actions, each with the name of the sheet it targets. Sheet positions
    shift when a sheet is added, so the additions are replayed in order."""
    names = list(initial_sheets)
    out = []
    for a in book.json()["actions"]:
        if a["func"] == "addSheet":
            ix, name = a["args"]
            names.insert(ix, name)
            out.append(Action(name, a["func"], a))
        else:
            pos = a.get("sheet_position")
            out.append(Action(names[pos] if pos is not None else None, a["func"], a))
    return out


def as_written(v):
    """A grid cell as xlwings' remote engine writes it (blank -> '')."""
    if v is None:
        return ""
    if isinstance(v, float) and not np.isfinite(v):
        return ""
    if isinstance(v, np.generic):
        return v.item()
    return v


def padded(cells: list[list]) -> list[list]:
    width = max(len(r) for r in cells)
    return [[as_written(v) for v in list(r) + [None] * (width - len(r))] for r in cells]


# ---------------------------------------------------------------- the classic (COM) flavour, with stand-ins

def load_with_classic_decorators(monkeypatch, module_file: str | Path):
    """(classic xlwings.udfs, a fresh copy of `module_file` decorated by it). Classic xlwings
    imports pywin32 at the top of xlwings/udfs.py, so stand-in modules take its place; nothing
    COM-related runs. This checks the decorator options and generates the VBA wrappers exactly
    as 'Import Functions' would."""
    import importlib.util
    import types

    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["pywintypes"].com_error = Exception
    sys.modules["win32com.client"].Dispatch = lambda *a, **k: None
    sys.modules["win32com"].client = sys.modules["win32com.client"]
    spec = importlib.util.spec_from_file_location("xlwings._classic_udfs_standin",
                                                  importlib.util.find_spec("xlwings.udfs").origin)
    classic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(classic)
    monkeypatch.setattr(xw, "func", classic.xlfunc)
    monkeypatch.setattr(xw, "arg", classic.xlarg)
    monkeypatch.setattr(xw, "ret", classic.xlret)
    spec = importlib.util.spec_from_file_location("jobstatus_xl._udfs_classic_check", module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return classic, module


def classic_vba(classic, module, module_name: str = "jobstatus_xl.udfs", workbook: str = "workbook_template.xlsm") -> str:
    """The VBA module text classic xlwings' 'Import Functions' writes for `module`."""
    import io

    class Workbook:
        Name = workbook

    out = io.StringIO()
    classic.generate_vba_wrapper(module_name, module, out, Workbook())
    return out.getvalue()

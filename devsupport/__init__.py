"""Development support shared by tests/ and benchmarks/, so that neither imports the other and no
test code lives in the package.

- `libreoffice`: the one LibreOffice probe (is soffice with python3-uno usable here, and if not,
  why) and headless LibreOffice as an independent reader: recalculate, convert, render to PDF/PNG.
- `lo_recalc`: the UNO side of `libreoffice.recalculate`, run by Debian's /usr/bin/python3.
- `xlwings_harness`: xlwings' own machinery without Excel (UDF calls as Excel's add-in sends them,
  workbooks as `xlwings.Book(json=...)` recording every write).

Not installed: pyproject.toml packages `jobstatus_xl*` only, and jobstatus_xl never imports this.
pytest finds it through `pythonpath = [".", ...]`; the benchmarks run from the repository root.
"""

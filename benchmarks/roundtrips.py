"""Round trips to Excel: actions `macros.refresh_all` records on an `xlwings.Book(json=...)`.

    python -m benchmarks.roundtrips --sizes 1000,10000,100000 --out rt.json

Runs in its own process because xlwings must be imported in its server flavour first
(devsupport/xlwings_harness.py does that on import). The book is the
template's sheets (`sheets.template_grids`) with the synthetic register in the input sheets, as
xlwings' JS client would send it. Also counts what a cell-by-cell writer would do: one call per
cell of the grids refresh_all writes, and the cells a cell-by-cell reader would read.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _harness():
    """devsupport.xlwings_harness, imported on first use: it must be the first to import xlwings."""
    from devsupport import xlwings_harness
    return xlwings_harness


def unavailable_reason() -> str:
    if not (ROOT / "jobstatus_xl" / "macros.py").is_file():
        return "jobstatus_xl/macros.py does not exist yet"
    return ""


def count_refresh_actions(n: int) -> dict:
    """Build a Book(json=...) holding a synthetic register of n forløb, run refresh_all, count actions.

    This is the one function to adapt if macros.refresh_all or the harness change their interface.
    """
    h = _harness()
    from jobstatus_xl import macros, sheets

    from . import engine_bench, synth
    reg = synth.generate(n)
    forloeb, fleksjob = synth.sheet_values(reg)
    frames = {sheets.SHEET_FORLOEB: forloeb, sheets.SHEET_FLEKSJOB: fleksjob}
    grids = [sheets.input_grid(g.name, frames[g.name]) if g.name in frames else g
             for g in sheets.template_grids()]
    payload = h.book_json(grids)
    book = h.open_book(payload)
    t = time.perf_counter()
    result = macros.refresh_all(book)
    seconds = time.perf_counter() - t
    acts = book.json()["actions"]
    h.close_book(book)
    if result is None:
        raise RuntimeError(f"refresh_all refreshed nothing on the {n}-row book: {acts[-1:]}")
    out_grids = sheets.result_grids(result)
    cells = engine_bench.cells_written(out_grids)
    input_cells = sum(len(g.cells) * max((len(r) for r in g.cells), default=0)
                      for g in grids if g.name in sheets.INPUT_SHEETS)
    direct, _ = engine_bench.run_engine(*engine_bench.engine_inputs(reg, "sheet_values"))
    mismatches = engine_bench.compare(engine_bench.engine_figures(result), engine_bench.engine_figures(direct))
    return {"n": n, "actions": len(acts), "figures_agree_with_engine": not mismatches,
            "mismatches": mismatches[:20],
            "by_func": dict(collections.Counter(a["func"] for a in acts)),
            "bulk_reads": len(sheets.INPUT_SHEETS),
            "cell_by_cell_writes": cells["grid_cells"], "cell_by_cell_writes_non_empty": cells["non_empty_cells"],
            "cell_by_cell_format_calls": cells["format_ranges"], "cell_by_cell_reads": input_cells,
            "refresh_seconds_in_harness": seconds}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    reason = unavailable_reason()
    if reason:
        a.out.write_text(json.dumps({"unavailable": reason}), encoding="utf-8")
        return
    rows = []
    for n in (int(s) for s in a.sizes.split(",") if s.strip()):
        rows.append(count_refresh_actions(n))
    a.out.write_text(json.dumps({"rows": rows}, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()

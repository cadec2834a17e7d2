"""Worksheet functions over whole table columns: a status sheet of STATUS_ cells, side by side.

    python -m benchmarks.udfs_bench                      # demo register and 100,000 forløb
    python -m benchmarks.udfs_bench --sizes 3708 --repeats 2 --out /tmp/u.json   # smoke run

One run measures, per register size, the Python time of a recalculation of Tabel 1's layout of
STATUS_HELAARSPERSONER cells (8 units x 3 schemes = 24 cells, every cell handed the four whole
table columns, as Excel hands them over after an edit of the table):

- today's code (the functions at commit BASE, loaded from git beside the current package), one
  cell; the shared cache switched off (`udfcache.configure(0, 0)`), one cell and 24 cells; the
  shared cache after an edit (empty: the first cell parses and aggregates, 23 look up); the same
  with nothing changed (every cell a lookup); one STATUSTABEL call and STATUSTABEL for all 8 units;
  the whole sheet of 56 cells (24 helårspersoner, 24 antal forløb, 8 fleksjob);
- each both "direct" (the decorated function called with the values xlwings hands it) and through
  xlwings' own Office.js conversion (`custom_functions_call`, as xlwings Server and Lite call it);
- what xlwings' argument conversion alone costs for the four columns of one call: Office.js with
  `ndim=2, err_to_str=True` (today's declaration), classic xlwings' (COM) cleaning with the same
  options, and `convert="raw"` plus `xlconvert.cells` (the declaration now used).

Before anything is timed the 24 cells must equal `pipeline.compute`'s figures (what `jobstatus-xl
status` prints) on every path, or the run stops (exit 2) and writes nothing. Results go to --out
(JSON) and into the section of RESULTS.md beside it between the markers below (benchmarks/run.py
keeps that section when it rewrites the file).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import datetime as dt
import gc
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

from . import sections
from .at_ref import extract, import_as_base
from .roundtrips import _harness   # devsupport/xlwings_harness.py, imported first (xlwings' server flavour)

ROOT = Path(__file__).resolve().parent.parent
BASE = "d832809"          # the landed main before the shared cache: "today's per-cell cost"
MARK_BEGIN = "<!-- udfs_bench: begin -->"
MARK_END = "<!-- udfs_bench: end -->"
DEFAULT_SIZES = "3708,100000"
EPOCH = dt.date(1899, 12, 30)


def log(msg: str) -> None:
    print(f"[udfs_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def legacy_udfs(tmp: Path):
    """The whole package as it was at BASE, as `jobstatus_xl_base` beside today's: its functions run
    on the engine of their own time (relative imports), so no later change to the engine's internals
    can break the comparison. Package data is read from today's package, whose files they share."""
    import_as_base(extract(BASE, tmp))
    import jobstatus_xl_base.udfs as base
    return base


def serial(v) -> float | None:
    if v is None or v == "":
        return None
    d = v.date() if isinstance(v, dt.datetime) else dt.date.fromisoformat(str(v)[:10])
    return float((d - EPOCH).days)


def columns(n: int):
    """The forløb and fleksjob tables' columns as Office.js hands them to a function (2-D lists,
    serial dates, None for a blank), and the frames they came from."""
    h = _harness()
    frames = h.demo_frames(None if n == 3708 else n)
    from jobstatus_xl import sheets
    f, fj = frames[sheets.SHEET_FORLOEB], frames[sheets.SHEET_FLEKSJOB]
    col = lambda values: [[v] for v in values]   # noqa: E731
    forloeb = [col(f["forvaltning"]), col(f["ordning"]), col(serial(v) for v in f["start"]),
               col(serial(v) for v in f["slut"])]
    fleks = [col(fj["forvaltning"]), col(serial(v) for v in fj["start"]), col(serial(v) for v in fj["slut"]),
             col(fj["id"])]
    # through JSON, as xlwings Server and Lite receive them: every cell its own object (no shared strings)
    return json.loads(json.dumps(forloeb)), json.loads(json.dumps(fleks)), f, fj


def timed(fn, repeats: int) -> dict:
    secs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        secs.append(time.perf_counter() - t)
    return {"seconds": secs, "median_seconds": statistics.median(secs)}


def classic_cleaning():
    """Classic xlwings' (COM) value cleaning, exactly its code: `_clean_value_data_element` and the
    loop around it from xlwings/_xlwindows.py, which cannot be imported off Windows (pywin32)."""
    import xlwings
    source = Path(xlwings.__file__).with_name("_xlwindows.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    wanted = {"_clean_value_data_element", "cell_errors", "_com_time_to_datetime"}
    nodes = [n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name in wanted)
             or (isinstance(n, ast.Assign) and any(getattr(t, "id", None) in wanted for t in n.targets))]
    engine_cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Engine")
    clean = next(n for n in engine_cls.body if isinstance(n, ast.FunctionDef) and n.name == "clean_value_data")
    clean.decorator_list = []
    ns = {"time_types": (dt.date, dt.datetime), "dt": dt, "datetime": dt}
    exec(compile(ast.Module(body=nodes + [clean], type_ignores=[]), "xlwings/_xlwindows.py", "exec"), ns)
    return types.SimpleNamespace(name="excel", impl=types.SimpleNamespace(clean_value_data=ns["clean_value_data"]))


def convert(values, options: dict, engine=None):
    """xlwings' reader pipeline for a UDF argument (conversion.read), on a given engine."""
    from xlwings import conversion
    from xlwings.conversion.framework import ConversionContext
    pipeline = conversion.accessors.get(options.get("convert"), options.get("convert")).reader(options)
    ctx = ConversionContext(rng=None, value=values, engine_name="officejs")
    if engine is not None:
        ctx.engine = engine
    pipeline(ctx)
    return ctx.value


def measure(n: int, repeats: int, base) -> dict:
    h = _harness()
    from jobstatus_xl import udfcache, udfs
    from jobstatus_xl import xlconvert as xc
    from jobstatus_xl.engine.pipeline import RawInput, Settings, Table, compute
    from jobstatus_xl.engine.rules import load_rules

    forloeb, fleks, f_frame, fj_frame = columns(n)
    n = len(forloeb[0])
    rules = load_rules(2024)
    units = ["KK", "BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
    cells = [(u, s) for u in units for s in rules.group]
    p0, p1 = float((dt.date(2024, 1, 1) - EPOCH).days), float((dt.date(2024, 12, 31) - EPOCH).days)
    ids = fleks[3]

    def as_text(frame):
        out = frame.astype(object).copy()
        for c in out.columns:
            out[c] = [("" if v is None or (isinstance(v, float) and v != v) else
                       (v.date().isoformat() if isinstance(v, dt.datetime) else str(v))) for v in out[c]]
        return out
    tidy = compute(RawInput(Table(as_text(f_frame), "forloeb"), Table(as_text(fj_frame), "fleksjob")),
                   Settings(2024)).tidy.set_index(["enhed", "linje"])
    expected = [float(tidy.loc[c, "status"]) for c in cells]

    # the argument values each flavour hands the function
    off = {"ndim": 2, "err_to_str": True}
    converted = [convert(a, off) for a in forloeb]            # what today's declaration hands over

    def direct(module, table, cell_list=cells):
        return [module.STATUS_HELAARSPERSONER(u, s, *table, p0, p1) for u, s in cell_list]

    def through(module, cell_list=cells, table=forloeb):
        one = lambda v: [[v]]   # noqa: E731
        return [asyncio.run(h.custom_functions_call(h.udf_payload("STATUS_HELAARSPERSONER",
                [one(u), one(s), *table, one(p0), one(p1)]), module))[0][0] for u, s in cell_list]

    def whole_sheet(module_call):
        out = []
        for u, s in cells:
            out.append(module_call("STATUS_HELAARSPERSONER", u, s))
            out.append(module_call("STATUS_FORLOEB", u, s))
        for u in units:
            out.append(module_call("STATUS_FLEKSJOB", u, None))
        return out

    def direct_call(name, u, s):
        if name == "STATUS_FLEKSJOB":
            return udfs.STATUS_FLEKSJOB(u, *fleks[:3], p1, ids)
        return getattr(udfs, name)(u, s, *forloeb, p0, p1)

    def through_call(name, u, s):
        one = lambda v: [[v]]   # noqa: E731
        args = [one(u), *fleks[:3], one(p1), ids] if name == "STATUS_FLEKSJOB" else \
            [one(u), one(s), *forloeb, one(p0), one(p1)]
        return asyncio.run(h.custom_functions_call(h.udf_payload(name, args), udfs))[0][0]

    # ---- agreement before timing
    udfcache.configure()
    for what, got in (("direct, shared cache", direct(udfs, forloeb)), ("xlwings, shared cache", through(udfs)),
                      ("direct, today's code", direct(base, converted, cells[:3] + cells[-3:])),
                      ("xlwings, today's code", through(base, cells[:3] + cells[-3:]))):
        want = expected if len(got) == len(expected) else expected[:3] + expected[-3:]
        bad = [(c, g, w) for c, g, w in zip(cells if len(got) == 24 else cells[:3] + cells[-3:], got, want)
               if not (isinstance(g, float) and abs(g - w) <= 1e-12 * max(1.0, abs(w)))]
        if bad:
            log(f"DISAGREEMENT at n={n:,} ({what}): {bad[:3]}")
            raise SystemExit(2)
    udfcache.configure(0, 0)
    if direct(udfs, forloeb, cells[:1]) != expected[:1]:
        raise SystemExit(2)

    rows = {}
    # The setup holds several copies of the register (today's converted arguments, the frames,
    # the expected figures); frozen out of the garbage collector they do not make every collection
    # during a timed call walk them. What the calls themselves allocate is collected as usual.
    gc.collect()
    gc.freeze()

    def cold(fn):
        def run():
            udfcache.clear()
            fn()
        return run

    big = n > 20_000
    r_one = max(2, repeats // 2) if big else repeats
    log(f"n={n:,}: today's code and the uncached path")
    rows["base_one_direct"] = timed(lambda: direct(base, converted, cells[:1]), r_one)
    rows["base_one_xlwings"] = timed(lambda: through(base, cells[:1]), 1 if big else r_one)
    udfcache.configure(0, 0)
    rows["nocache_one_direct"] = timed(lambda: direct(udfs, forloeb, cells[:1]), r_one)
    rows["nocache_one_xlwings"] = timed(lambda: through(udfs, cells[:1]), r_one)
    if not big:
        rows["base_24_direct"] = timed(lambda: direct(base, converted), 1)
        rows["nocache_24_direct"] = timed(lambda: direct(udfs, forloeb), 1)
    log(f"n={n:,}: the shared cache")
    udfcache.configure()
    rows["cached_24_direct"] = timed(cold(lambda: direct(udfs, forloeb)), repeats)
    rows["cached_24_xlwings"] = timed(cold(lambda: through(udfs)), repeats)
    direct(udfs, forloeb)
    rows["warm_24_direct"] = timed(lambda: direct(udfs, forloeb), repeats)
    rows["warm_24_xlwings"] = timed(lambda: through(udfs), repeats)
    rows["sheet_56_direct"] = timed(cold(lambda: whole_sheet(direct_call)), repeats)
    rows["sheet_56_xlwings"] = timed(cold(lambda: whole_sheet(through_call)), repeats)

    # ---- STATUSTABEL over the same register as one table
    header = ["id", "forvaltning", "ordning", "start", "slut"]
    table = [header] + [[i, u[0], s[0], a[0], b[0]] for i, u, s, a, b in
                        zip(f_frame["id"], *forloeb)]
    ftable = [["id", "forvaltning", "start", "slut"]] + [[i[0], u[0], a[0], b[0]] for u, a, b, i in zip(*fleks)]
    rows["statustabel_one_direct"] = timed(cold(lambda: udfs.STATUSTABEL("KK", 2024, table, ftable)), r_one)
    rows["statustabel_8_direct"] = timed(cold(lambda: [udfs.STATUSTABEL(u, 2024, table, ftable) for u in units]), r_one)

    # ---- xlwings' argument conversion alone, the four columns of one call
    log(f"n={n:,}: xlwings' argument conversion")
    classic = classic_cleaning()
    rows["convert_officejs_ndim2"] = timed(lambda: [convert(a, off) for a in forloeb], r_one)
    rows["convert_classic_ndim2"] = timed(lambda: [convert(a, off, classic) for a in forloeb], r_one)
    rows["convert_raw"] = timed(lambda: [convert(a, {"convert": "raw"}) for a in forloeb], repeats)
    rows["clean_raw_cells"] = timed(lambda: [xc.cells(a) for a in forloeb], repeats)
    rows["fingerprint"] = timed(lambda: udfcache.fingerprint(*forloeb), repeats)
    if not big:   # xlwings Server on CPython: no Pyodide, and each cell's failed `import pyodide` searches sys.path
        saved = sys.modules.pop("pyodide", "absent")
        try:
            rows["convert_officejs_ndim2_cpython_server"] = timed(lambda: convert(forloeb[0], off), 1)
            rows["convert_officejs_ndim2_cpython_server"]["cells"] = n
        finally:
            if saved != "absent":
                sys.modules["pyodide"] = saved
    udfcache.configure()
    gc.unfreeze()
    return {"n": n, "cells": len(cells), "rows": rows}


def summarise(res: dict) -> dict:
    out = []
    for r in res["sizes"]:
        m = {k: v["median_seconds"] for k, v in r["rows"].items()}
        base_one = m["base_one_direct"]
        row = {"n": r["n"], **m,
               "ratio_24_cached_vs_one_uncached_direct": m["cached_24_direct"] / m["nocache_one_direct"],
               "ratio_24_cached_vs_one_today_direct": m["cached_24_direct"] / base_one,
               "ratio_24_cached_vs_one_today_xlwings": m["cached_24_xlwings"] / m["base_one_xlwings"],
               "ratio_24_today_vs_24_cached_xlwings": 24 * m["base_one_xlwings"] / m["cached_24_xlwings"],
               "ratio_24_cached_vs_statustabel": m["cached_24_direct"] / m["statustabel_one_direct"],
               "target_24_le_2x_one_uncached": m["cached_24_direct"] <= 2 * m["nocache_one_direct"],
               "target_24_le_2x_one_today": m["cached_24_direct"] <= 2 * base_one,
               "target_sheet_under_1s": (m["cached_24_xlwings"] < 1.0) if r["n"] >= 100_000 else None}
        out.append(row)
    return {"rows": out}


def _ms(x: float) -> str:
    if x >= 10:
        return f"{x:,.1f} s".replace(",", "X").replace(".", ",").replace("X", ".")
    if x >= 1:
        return f"{x:.2f} s".replace(".", ",")
    if x >= 0.001:
        v = x * 1000
        return (f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms").replace(".", ",")
    return f"{x * 1e6:.0f} µs"


def _n(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _met(x) -> str:
    return "–" if x is None else ("yes" if x else "**no**")


def _x(x: float) -> str:
    return (f"{x:.2f}×" if x < 10 else f"{x:.0f}×").replace(".", ",")


def markdown(res: dict) -> str:
    L = [MARK_BEGIN, "## Worksheet functions over whole table columns (benchmarks/udfs_bench.py)", ""]
    m = res["machine"]
    L.append(f"Command: `{res['command']}`; run {m['date']}, code at commit {m['git_commit'][:12]}"
             + (" with uncommitted changes" if m["dirty"] else "") + f", xlwings {m['xlwings']}, "
             f"{m['cores']} cores (shared machine), load average (1/5/15 min) at the end of the run {m['load']}. "
             "Python time only (no Excel): median of the repeats. A recalculation after an edit of the table "
             "calls every cell with the new columns, so the shared cache starts empty (\"after an edit\"); "
             "\"nothing changed\" is every cell a lookup. Before timing, the 24 cells equal `pipeline.compute`'s "
             "figures on every path (1e-12). The benchmark's own copies of the register are frozen out of the "
             "garbage collector (`gc.freeze`).")
    L.append("")
    L.append("| forløb | 1 cell, today's code | 1 cell, no cache | 24 cells, today's code "
             "| 24 cells, shared cache, after an edit | 24 cells, nothing changed "
             "| whole sheet (56 cells) after an edit | STATUSTABEL, 1 unit | STATUSTABEL, 8 units |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for r in res["summary"]["rows"]:
        base24 = r.get("base_24_direct")
        L.append(f"| {_n(r['n'])} direct | {_ms(r['base_one_direct'])} | {_ms(r['nocache_one_direct'])} | "
                 + (_ms(base24) if base24 else f"24 × 1 cell = {_ms(24 * r['base_one_direct'])}")
                 + f" | {_ms(r['cached_24_direct'])} | {_ms(r['warm_24_direct'])} | {_ms(r['sheet_56_direct'])} | "
                 f"{_ms(r['statustabel_one_direct'])} | {_ms(r['statustabel_8_direct'])} |")
        L.append(f"| {_n(r['n'])} through xlwings (Office.js) | {_ms(r['base_one_xlwings'])} "
                 f"| {_ms(r['nocache_one_xlwings'])} | "
                 f"24 × 1 cell = {_ms(24 * r['base_one_xlwings'])} | {_ms(r['cached_24_xlwings'])} | "
                 f"{_ms(r['warm_24_xlwings'])} | {_ms(r['sheet_56_xlwings'])} | – | – |")
    L.append("")
    L.append("| forløb | 24 cells (shared cache) ÷ 1 uncached cell, direct | ÷ 1 cell of today's code, direct "
             "| ÷ 1 cell of today's code, through xlwings | today's 24 cells ÷ shared cache, through xlwings "
             "| 24 cells ÷ 1 STATUSTABEL | ≤ 2× one uncached cell (no cache / today's code) "
             "| 24 cells through xlwings < 1 s |")
    L.append("|---|---|---|---|---|---|---|---|")
    for r in res["summary"]["rows"]:
        t1 = r["target_sheet_under_1s"]
        L.append(f"| {_n(r['n'])} | {_x(r['ratio_24_cached_vs_one_uncached_direct'])} "
                 f"| {_x(r['ratio_24_cached_vs_one_today_direct'])} | "
                 f"{_x(r['ratio_24_cached_vs_one_today_xlwings'])} | {_x(r['ratio_24_today_vs_24_cached_xlwings'])} | "
                 f"{_x(r['ratio_24_cached_vs_statustabel'])} | {_met(r['target_24_le_2x_one_uncached'])} / "
                 f"{_met(r.get('target_24_le_2x_one_today'))} | "
                 f"{'–' if t1 is None else ('yes' if t1 else '**no**')} |")
    L.append("")
    L.append("xlwings' argument conversion of one call's four table columns (what each declaration costs per "
             "call, before the function runs):")
    L.append("")
    L.append("| forløb | Office.js, `ndim=2, err_to_str` (today) | classic (COM) cleaning, `ndim=2, err_to_str` "
             "| `convert=\"raw\"` (now) | + `xlconvert.cells` (once per new content) "
             "| content fingerprint (every call) |")
    L.append("|---|---|---|---|---|---|")
    for r in res["summary"]["rows"]:
        L.append(f"| {_n(r['n'])} | {_ms(r['convert_officejs_ndim2'])} | {_ms(r['convert_classic_ndim2'])} | "
                 f"{_ms(r['convert_raw'])} | {_ms(r['clean_raw_cells'])} | {_ms(r['fingerprint'])} |")
    L.append("")
    srv = [r for r in res["sizes"] if "convert_officejs_ndim2_cpython_server" in r["rows"]]
    notes = ("The Office.js figures are measured with the test harness's stand-in that makes xlwings' per-cell "
             "`from pyodide.ffi import JsNull` fail at once (as it does in xlwings Lite, where it succeeds). ")
    if srv:
        r = srv[0]["rows"]["convert_officejs_ndim2_cpython_server"]
        notes += (f"Without it, as on an xlwings Server on CPython, one column of {r['cells']:,} cells took "
                  f"{_ms(r['median_seconds'])} to convert with `ndim=2` (a failed import searches sys.path per cell); "
                  "`convert=\"raw\"` never reaches that code. ")
    notes += ("The classic figures run classic xlwings' own cleaning code (copied at run time from "
              "xlwings/_xlwindows.py, which needs pywin32) on the same values; COM's transfer of the range is the "
              "same for both declarations and cannot be measured without Excel. Today's code is `udfs.py` and "
              f"`xlconvert.py` at {BASE}; \"no cache\" is the current code with `udfcache.configure(0, 0)`; "
              "\"24 × 1 cell\" is written where 24 uncached cells were not run one by one (every uncached cell repeats "
              "the same work).")
    L.append(notes)
    L.append(MARK_END)
    return "\n".join(L) + "\n"


def write_section(md_path: Path, section: str) -> None:
    """Put the section into RESULTS.md between the markers (appended when absent)."""
    sections.write_section(md_path, section, MARK_BEGIN, MARK_END)


def section_from(json_path: Path) -> str:
    """The section for benchmarks/run.py, which rewrites RESULTS.md: '' when this benchmark never ran."""
    if not json_path.is_file():
        return ""
    return "\n" + markdown(json.loads(json_path.read_text(encoding="utf-8")))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m benchmarks.udfs_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"register sizes; 3708 = the demo register (default {DEFAULT_SIZES})")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "udfs_results.json")
    ap.add_argument("--md", type=Path, help="markdown file whose section is written (default: RESULTS.md beside --out)")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: recompute the summary and the section from the measurements in --out")
    args = ap.parse_args(argv)
    md = args.md or args.out.with_name("RESULTS.md")
    if args.report_only:
        res = json.loads(args.out.read_text(encoding="utf-8"))
        res["summary"] = summarise(res)
        args.out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        write_section(md, markdown(res))
        return 0
    _harness()
    import xlwings
    with tempfile.TemporaryDirectory(prefix="udfs_bench_") as tmp:
        base = legacy_udfs(Path(tmp))
        sizes = [measure(int(s), args.repeats, base) for s in args.sizes.split(",") if s.strip()]
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout  # noqa: E731
    res = {"command": "python -m benchmarks.udfs_bench " + " ".join(shlex.quote(a) for a in argv),
           "machine": {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                       "git_commit": git("rev-parse", "HEAD").strip(),
                       "dirty": bool(git("status", "--porcelain", "--", "jobstatus_xl",
                                         "benchmarks/udfs_bench.py").strip()),
                       "xlwings": xlwings.__version__, "cores": os.cpu_count(),
                       "load": "/".join(f"{x:.2f}" for x in os.getloadavg())},
           "sizes": sizes}
    res["summary"] = summarise(res)
    args.out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_section(md, markdown(res))
    log(f"wrote {args.out} and the section in {md}")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())

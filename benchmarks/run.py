"""Benchmarks: the engine against plain spreadsheet formulas, the numpy floor, memory, round trips.

    python -m benchmarks.run                    # the full run (about 10-15 minutes on 2 cores)
    python -m benchmarks.run --quick --out /tmp/quick.json     # smoke run, tiny sizes

One run on one machine measures, for seeded synthetic registers (benchmarks/synth.py):

1. the engine: `pipeline.compute` + `sheets.result_grids` (the whole refresh computation minus
   Excel I/O), fed the register (a) as sheet values — what the xlwings reader hands over: object
   columns of str, datetime.datetime, None — and (b) as typed columns (categoricals, datetime64);
2. LibreOffice headless recalculating the same figures as plain formulas in an .xlsx written with
   openpyxl (benchmarks/baseline_xlsx.py: SUMPRODUCT or helper column + SUMIFS/COUNTIFS; both
   are timed at the small sizes, the faster one at the larger sizes); `calculateAll()` is timed,
   loading separately;
3. the numpy floor (benchmarks/floor.py): overlap days + np.bincount on pre-typed int arrays;
4. the engine's peak memory (VmHWM of a fresh process per measurement, see engine_bench.py);
5. the actions `macros.refresh_all` records on an `xlwings.Book(json=...)` per size, and what a
   cell-by-cell writer would do (benchmarks/roundtrips.py).

Before anything is timed, LibreOffice's figures and the engine's must agree on every figure
(relative 1e-9) at the smallest LibreOffice size; every later LibreOffice run and the numpy floor
are checked against the engine too. Any disagreement aborts the run (exit status 2) and nothing
is written. Results go to --out (JSON) and RESULTS.md beside it (the tables the README's
performance section is made from).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import baseline_xlsx, engine_bench, floor, libreoffice, primitives, refresh_bench, synth, udfs_bench

ROOT = Path(__file__).resolve().parent.parent
REL = 1e-9
EXCEL_MAX_ROWS = 1_048_576
TARGET_LO_RATIO = 100.0
TARGET_FLOOR_RATIO = 5.0
LINEAR_SLOPE_MAX = 1.10     # "linear growth": log-log slope of time over n at most this

FULL = {"sizes": "10000,100000,1000000,10000000", "lo_max": 1_000_000, "lo_both_max": 100_000,
        "roundtrip_sizes": "1000,10000,100000", "profile_size": 1_000_000}
QUICK = {"sizes": "1000,4000", "lo_max": 4000, "lo_both_max": 4000, "roundtrip_sizes": "500,2000",
         "profile_size": 4000}


class Disagreement(SystemExit):
    pass


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ repeats per size

def engine_repeats(n: int, quick: bool) -> int:
    if quick:
        return 2
    # three at the largest sizes too: the first run in a process pays for fresh memory (at 10M every
    # temporary array is 80 MB the kernel must hand over), a refresh in Excel's long-lived Python does not
    return 7 if n <= 10_000 else 5 if n <= 100_000 else 3


def lo_repeats(n: int, quick: bool) -> int:
    if quick:
        return 1
    return 3 if n <= 10_000 else 2 if n <= 100_000 else 1


# ------------------------------------------------------------------ machine facts

def _version(mod: str) -> str:
    try:
        from importlib.metadata import version
        return version(mod)
    except Exception:  # noqa: BLE001
        return "not installed"


def _git(*args: str) -> str:
    """git's output as is (not stripped: porcelain lines start with a status column that may be blank)."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_facts(lo_version: str) -> dict:
    mem = ""
    cpu = platform.processor()
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kb = int(meminfo.split("MemTotal:")[1].split()[0])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except (OSError, IndexError, ValueError):
        pass
    blas = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
                                        "OPENBLAS_NUM_THREADS") if k in os.environ}
    dirty = [line[3:] for line in _git("status", "--porcelain", "--", "jobstatus_xl").splitlines() if len(line) > 3]
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu, "memory": mem, "os": platform.platform(),
        "python": platform.python_version(), "numpy": np.__version__, "pandas": _version("pandas"),
        "openpyxl": _version("openpyxl"), "xlwings": _version("xlwings"), "libreoffice": lo_version,
        "blas_env": blas or "none of OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, OMP/OPENBLAS_NUM_THREADS set",
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "git_commit": _git("rev-parse", "HEAD").strip(), "engine_uncommitted_changes": dirty,
    }


# ------------------------------------------------------------------ steps

def check(a: dict, b: dict, what: str) -> None:
    bad = engine_bench.compare(a, b, REL)
    if bad:
        msg = f"DISAGREEMENT ({what}), {len(bad)} figures differ (rel {REL}):\n  " + "\n  ".join(bad[:30])
        log(msg)
        raise Disagreement(2)
    log(f"agree: {what} ({len(a)} figures, rel {REL})")


def engine_child(n: int, mode: str, repeats: int, with_floor: bool, profile: bool, tmp: Path) -> dict:
    out = tmp / f"engine_{mode}_{n}.json"
    cmd = [sys.executable, "-m", "benchmarks.engine_bench", "--n", str(n), "--mode", mode,
           "--repeats", str(repeats), "--out", str(out)]
    if with_floor:
        cmd.append("--floor")
    if profile:
        cmd.append("--profile")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdin=subprocess.DEVNULL)
    res = json.loads(out.read_text(encoding="utf-8"))
    log(f"engine {mode:13s} n={n:>10,}: median {res['median_seconds']:.4f} s of {res['seconds']}, "
        f"peak +{res['memory'].get('peak_extra_mib', float('nan')):.0f} MiB ({time.perf_counter() - t:.0f} s wall)")
    return res


def lo_one(reg: synth.Register, n: int, layout: str, repeats: int, tmp: Path) -> dict:
    path = tmp / f"baseline_{layout}_{n}.xlsx"
    t = time.perf_counter()
    info = baseline_xlsx.build(path, reg, layout)
    info["write_seconds"] = time.perf_counter() - t
    info["file_mib"] = path.stat().st_size / 2**20
    timeout = max(300.0, 600.0 * n / 1_000_000 + 300)
    data = libreoffice.recalc(path, repeats, timeout)
    path.unlink(missing_ok=True)
    calc = data["calculate"]
    res = {"n": n, "layout": layout, **info, "start_seconds": data["seconds"]["start"],
           "load_seconds": data["seconds"]["load"], "calculate_seconds": calc,
           "calculate_cpu_seconds": data.get("calculate_cpu"),
           "median_calculate_seconds": float(np.median(calc)), "version": data.get("version"),
           "figures": baseline_xlsx.figures_from_values(data["values"])}
    log(f"LibreOffice {layout:10s} n={n:>10,}: calculateAll {calc} s, load {res['load_seconds']:.1f} s, "
        f"write {info['write_seconds']:.1f} s ({info['file_mib']:.1f} MiB)")
    return res


def slope(ns, ts) -> float | None:
    """Least-squares slope of log(t) against log(n)."""
    pts = [(math.log(n), math.log(t)) for n, t in zip(ns, ts) if t and t > 0]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def extrapolate(points: list[tuple[int, float]], n: int) -> float | None:
    """Power law through the two largest measured points (n, t) -> estimated t at n."""
    pts = sorted(points)[-2:]
    if len(pts) < 2:
        return None
    (n1, t1), (n2, t2) = pts
    b = math.log(t2 / t1) / math.log(n2 / n1)
    return t2 * (n / n2) ** max(b, 1.0)   # never assume better than linear


# ------------------------------------------------------------------ the run

def run(args) -> dict:
    preset = QUICK if args.quick else FULL
    sizes = [int(s) for s in (args.sizes or preset["sizes"]).split(",") if s.strip()]
    lo_max = args.lo_max if args.lo_max is not None else preset["lo_max"]
    lo_both_max = args.lo_both_max if args.lo_both_max is not None else preset["lo_both_max"]
    rt_sizes = args.roundtrip_sizes if args.roundtrip_sizes is not None else preset["roundtrip_sizes"]
    profile_size = args.profile_size if args.profile_size is not None else preset["profile_size"]
    modes = [m for m in args.modes.split(",") if m]
    lo_reason = "disabled with --no-libreoffice" if args.no_libreoffice else libreoffice.unavailable_reason()
    lo_sizes = [] if lo_reason else [n for n in sizes if n <= lo_max]
    t_start = time.perf_counter()
    results: dict = {
        "command": "python -m benchmarks.run " + " ".join(shlex.quote(a) for a in args.argv),
        "machine": machine_facts(libreoffice.soffice_version() if not lo_reason else "unavailable"),
        "config": {"sizes": sizes, "modes": modes, "lo_sizes": lo_sizes, "lo_both_layouts_max": lo_both_max,
                   "roundtrip_sizes": rt_sizes, "profile_size": profile_size, "quick": args.quick,
                   "rel_tolerance": REL, "seed": synth.SEED, "year": synth.YEAR},
        "libreoffice_unavailable": lo_reason or None,
    }
    tmp = Path(tempfile.mkdtemp(prefix="jobstatus_bench_"))

    # ---- 0. agreement before timing anything
    if lo_sizes:
        n0 = lo_sizes[0]
        log(f"agreement check before timing: engine vs LibreOffice (both layouts) vs numpy floor, n={n0:,}")
        reg = synth.generate(n0)
        res, _ = engine_bench.run_engine(*engine_bench.engine_inputs(reg, "sheet_values"))
        eng = engine_bench.engine_figures(res)
        check(eng, floor.figures(floor.compute(floor.prepare(reg))), f"engine vs numpy floor, n={n0:,}")
        pre = {}
        for layout in baseline_xlsx.LAYOUTS:
            path = tmp / f"check_{layout}.xlsx"
            baseline_xlsx.build(path, reg, layout)
            lo = baseline_xlsx.figures_from_values(libreoffice.recalc(path, 1, 600)["values"])
            check(eng, lo, f"engine vs LibreOffice ({layout}), n={n0:,}")
            pre[layout] = len(lo)
        results["agreement_check"] = {"n": n0, "figures": len(eng), "layouts": pre, "rel": REL, "passed": True}
    else:
        log(f"LibreOffice baseline skipped: {lo_reason}")
        results["agreement_check"] = {"passed": None, "reason": lo_reason}

    # ---- 1, 3, 4. engine per size and input form (fresh process each), floor, memory
    engine: dict[str, list[dict]] = {m: [] for m in modes}
    for n in sizes:
        for mode in modes:
            if mode == "typed_columns" and args.typed_max and n > args.typed_max:
                continue
            r = engine_child(n, mode, engine_repeats(n, args.quick), with_floor=(mode == modes[0]),
                             profile=(n == profile_size), tmp=tmp)
            ref = engine[modes[0]][-1]["figures"] if mode != modes[0] else None
            if "floor" in r:
                check(r["figures"], r["floor"]["figures"], f"engine ({mode}) vs numpy floor, n={n:,}")
            if ref is not None:
                check(r["figures"], ref, f"engine ({mode}) vs engine ({modes[0]}), n={n:,}")
            engine[mode].append(r)
    figures_by_n = {r["n"]: r["figures"] for r in engine[modes[0]]}

    # ---- 2. LibreOffice
    lo_rows: list[dict] = []
    chosen = None
    for n in lo_sizes:
        reg = synth.generate(n)
        if n <= lo_both_max:
            layouts = list(baseline_xlsx.LAYOUTS)
        else:
            if chosen is None:
                both = max(r["n"] for r in lo_rows)
                chosen = min((r for r in lo_rows if r["n"] == both),
                             key=lambda r: r["median_calculate_seconds"])["layout"]
                log(f"faster layout at n={both:,}: {chosen}; only it runs at larger sizes")
            layouts = [chosen]
        for layout in layouts:
            r = lo_one(reg, n, layout, lo_repeats(n, args.quick), tmp)
            check(figures_by_n[n], r.pop("figures"), f"engine vs LibreOffice ({layout}), n={n:,}")
            lo_rows.append(r)
        del reg
    if lo_rows and chosen is None:
        both = max(r["n"] for r in lo_rows)
        chosen = min((r for r in lo_rows if r["n"] == both), key=lambda r: r["median_calculate_seconds"])["layout"]
    results["libreoffice"] = {"rows": lo_rows, "chosen_layout": chosen}

    # ---- 5. round trips
    rt_out = tmp / "roundtrips.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log(f"round trips: refresh_all on xlwings.Book(json=...) at n={rt_sizes}")
    try:
        subprocess.run([sys.executable, "-m", "benchmarks.roundtrips", "--sizes", rt_sizes, "--out", str(rt_out)],
                       cwd=ROOT, env=env, check=True, stdin=subprocess.DEVNULL, timeout=1800)
        results["roundtrips"] = json.loads(rt_out.read_text(encoding="utf-8"))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        results["roundtrips"] = {"unavailable": f"benchmarks.roundtrips failed: {exc}"}
    for r in results["roundtrips"].get("rows", []):
        if not r["figures_agree_with_engine"]:
            log(f"DISAGREEMENT: refresh_all on the Book vs the engine, n={r['n']:,}: {r['mismatches']}")
            raise Disagreement(2)

    # ---- what touching each id once costs, beside the floor (the bound the checks put on the engine)
    prim_n = 1_000_000 if 1_000_000 in sizes else max(sizes)
    log(f"primitives: passes over the ids beside the floor, n={prim_n:,}")
    results["primitives"] = {"n": prim_n, "rows": primitives.measure(prim_n, 5)}

    for mode in modes:
        for r in engine[mode]:
            r.pop("figures", None)
            if "floor" in r:
                r["floor"].pop("figures", None)
    results["engine"] = engine
    results["summary"] = summarise(results, sizes, modes)
    results["wall_seconds"] = time.perf_counter() - t_start
    results["machine"]["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return results


def summarise(results: dict, sizes: list[int], modes: list[str]) -> dict:
    eng = {m: {r["n"]: r for r in results["engine"][m]} for m in modes}
    main = modes[0]
    floor_t = {n: r["floor"]["median_seconds"] for n, r in eng[main].items() if "floor" in r}
    lo = results["libreoffice"]
    chosen = lo["chosen_layout"]
    lo_meas = {r["n"]: r["median_calculate_seconds"] for r in lo["rows"] if r["layout"] == chosen}
    lo_cpu = {r["n"]: float(np.median(r["calculate_cpu_seconds"])) for r in lo["rows"]
              if r["layout"] == chosen and r.get("calculate_cpu_seconds")}
    rows = []
    for n in sizes:
        row = {"n": n}
        for m in modes:
            if n in eng[m]:
                row[f"engine_{m}_s"] = eng[m][n]["median_seconds"]
                row[f"engine_{m}_cpu_s"] = eng[m][n].get("median_cpu_seconds")
                row[f"engine_{m}_peak_mib"] = eng[m][n]["memory"].get("peak_extra_mib")
                row[f"engine_{m}_peak_rss_mib"] = eng[m][n]["memory"].get("peak_rss_mib")
        core = eng[main].get(n, {}).get("core", {})
        row["core_s"] = core.get("median_seconds")
        row["floor_s"] = floor_t.get(n)
        if n in lo_meas:
            row["lo_s"], row["lo_kind"] = lo_meas[n], "measured"
            row["lo_cpu_s"] = lo_cpu.get(n)
        elif lo_meas and chosen:
            est = extrapolate(list(lo_meas.items()), n)
            kind = "extrapolated" + (", beyond Excel's 1,048,576-row limit" if n > EXCEL_MAX_ROWS else "")
            row["lo_s"], row["lo_kind"] = est, kind
        else:
            row["lo_s"], row["lo_kind"] = None, "not run"
        for m in modes:      # the ratios per input form; the targets below read them from here
            em = row.get(f"engine_{m}_s")
            row[f"lo_over_engine_{m}"] = (row["lo_s"] / em) if (em and row["lo_s"]) else None
            row[f"engine_over_floor_{m}"] = (em / row["floor_s"]) if (em and row["floor_s"]) else None
        row["core_over_floor"] = (row["core_s"] / row["floor_s"]) if (row["core_s"] and row["floor_s"]) else None
        ec, lc = row.get(f"engine_{main}_cpu_s"), row.get("lo_cpu_s")
        row["lo_over_engine_cpu"] = (lc / ec) if (ec and lc) else None
        rows.append(row)

    growth = {}
    for m in modes:
        ns = sorted(eng[m])
        growth[f"engine_{m}"] = slope(ns, [eng[m][n]["median_seconds"] for n in ns])
        if len(ns) >= 2:
            growth[f"engine_{m}_last_decade"] = slope(ns[-2:], [eng[m][n]["median_seconds"] for n in ns[-2:]])
    growth["floor"] = slope(sorted(floor_t), [floor_t[n] for n in sorted(floor_t)])
    if len(floor_t) >= 2:
        last2 = sorted(floor_t)[-2:]
        growth["floor_last_decade"] = slope(last2, [floor_t[n] for n in last2])
    for layout in baseline_xlsx.LAYOUTS:
        pts = sorted((r["n"], r["median_calculate_seconds"]) for r in lo["rows"] if r["layout"] == layout)
        if len(pts) >= 2:
            growth[f"libreoffice_{layout}"] = slope(*zip(*pts))

    targets = {}
    ref_n = 1_000_000 if any(r["n"] == 1_000_000 for r in rows) else max(sizes)
    ref = next(r for r in rows if r["n"] == ref_n)
    for m in modes:
        lo_ratio = ref.get(f"lo_over_engine_{m}")
        if lo_ratio is not None:
            targets[f"engine_vs_libreoffice|{m}"] = {
                "form": m, "target": f">= {TARGET_LO_RATIO:g}x faster than LibreOffice at n={ref_n:,}",
                "value": lo_ratio, "libreoffice": ref["lo_kind"], "met": lo_ratio >= TARGET_LO_RATIO}
        else:
            targets[f"engine_vs_libreoffice|{m}"] = {
                "form": m, "target": f">= {TARGET_LO_RATIO:g}x", "met": None,
                "why": results.get("libreoffice_unavailable") or "no LibreOffice figure"}
        ratios = {r["n"]: r[f"engine_over_floor_{m}"] for r in rows if r.get(f"engine_over_floor_{m}")}
        if ratios:
            at_ref = ratios.get(ref_n)
            targets[f"engine_vs_floor|{m}"] = {
                "form": m, "target": f"within {TARGET_FLOOR_RATIO:g}x of the numpy floor at n={ref_n:,}",
                "value_at_ref": at_ref, "by_size": sorted(ratios.items()),
                "met": at_ref is not None and at_ref <= TARGET_FLOOR_RATIO}
        g, g_last = growth.get(f"engine_{m}"), growth.get(f"engine_{m}_last_decade")
        targets[f"linear_growth|{m}"] = {
            "form": m,
            "target": f"log-log slope of engine time over n <= {LINEAR_SLOPE_MAX}, over all sizes and over the last "
                      "decade",
            "value": g, "last_decade": g_last,
            "met": (g is not None and g <= LINEAR_SLOPE_MAX and (g_last is None or g_last <= LINEAR_SLOPE_MAX))}
    rt = results["roundtrips"].get("rows", [])
    if rt:
        counts = sorted({r["actions"] for r in rt})
        targets["constant_round_trips"] = {"target": "same number of actions at every size", "value": counts,
                                           "met": len(counts) == 1}
    else:
        targets["constant_round_trips"] = {"target": "same number of actions at every size", "met": None,
                                           "why": results["roundtrips"].get("unavailable")}
    return {"rows": rows, "growth_exponents": growth, "targets": targets, "reference_n": ref_n}


# ------------------------------------------------------------------ report

def _s(x, digits=3) -> str:
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if x < 0.001:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1e3:.{max(digits - 2, 0)}f} ms" if x < 0.1 else f"{x:.3f} s"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def _x(x) -> str:
    return "–" if x is None else (f"{x:,.0f}×" if x >= 10 else f"{x:.1f}×")


def _mib(x) -> str:
    return "–" if x is None else f"{x:,.0f} MiB"


def markdown(res: dict) -> str:
    m = res["machine"]
    s = res["summary"]
    modes = res["config"]["modes"]
    main = modes[0]
    lo = res["libreoffice"]
    L = []
    L.append("# Benchmark results")
    L.append("")
    L.append("Generated by `benchmarks/run.py`; do not edit by hand. Command:")
    L.append("")
    L.append(f"    {res['command']}")
    L.append("")
    L.append(f"Run {m['date']}, {res['wall_seconds'] / 60:.1f} minutes. Machine: {m['cores']} cores "
             f"({m['cpu']}), {m['memory']}, {m['os']}. Python {m['python']}, numpy {m['numpy']}, "
             f"pandas {m['pandas']}, openpyxl {m['openpyxl']}, xlwings {m['xlwings']}, {m['libreoffice']}. "
             f"BLAS environment: {m['blas_env'] if isinstance(m['blas_env'], str) else m['blas_env']}. "
             f"Load average (1/5/15 min) at start {_load(m.get('load_average_at_start'))}, at end "
             f"{_load(m.get('load_average_at_end'))}. "
             f"Code: commit {m['git_commit'][:12]}"
             + (f" with uncommitted changes in {', '.join(m['engine_uncommitted_changes'])}"
                if m['engine_uncommitted_changes'] else "")
             + ".")
    L.append("")
    ac = res["agreement_check"]
    if ac.get("passed"):
        L.append(f"Agreement: before anything was timed, LibreOffice's recalculated figures (both formula layouts), "
                 f"the engine's and the numpy floor's were compared on a {ac['n']:,}-forløb register — all "
                 f"{ac['figures']} figures (helårspersoner and antal forløb per forvaltning × ordning, fleksjob per "
                 f"forvaltning, KK) equal to relative {ac['rel']:g}. Every later LibreOffice run, the floor and "
                 "refresh_all on the xlwings book were checked the same way at their sizes; a difference aborts "
                 "the run.")
    else:
        L.append(f"Agreement with LibreOffice: not checked — {ac.get('reason')}.")
    L.append("")
    L.append("## Time and memory per register size")
    L.append("")
    hdr = ["forløb", "engine, sheet values", "engine, typed columns", "numpy floor",
           f"LibreOffice recalculation ({lo['chosen_layout'] or '–'})", "LibreOffice ÷ engine (sheet values / typed)",
           "engine ÷ floor (sheet values / typed)", "engine peak memory (added / process)"]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for r in s["rows"]:
        lo_cell = _s(r["lo_s"]) + ("" if r["lo_kind"] == "measured" else f" ({r['lo_kind']})")
        L.append("| " + " | ".join([
            f"{r['n']:,}", _s(r.get(f"engine_{main}_s")),
            _s(r.get("engine_typed_columns_s")) if "typed_columns" in modes else "–",
            _s(r["floor_s"]), lo_cell if r["lo_s"] else "–",
            " / ".join(_x(r.get(f"lo_over_engine_{m}")) for m in modes),
            " / ".join(_x(r.get(f"engine_over_floor_{m}")) for m in modes),
            f"{_mib(r.get(f'engine_{main}_peak_mib'))} / {_mib(r.get(f'engine_{main}_peak_rss_mib'))}"]) + " |")
    L.append("")
    L.append("CPU time (the machine is shared; CPU time is less disturbed by other processes than wall time), "
             "and the engine's arithmetic core alone:")
    L.append("")
    hdr2 = ["forløb", "engine CPU, sheet values", "engine CPU, typed columns", "LibreOffice CPU (all threads)",
            "LibreOffice CPU ÷ engine CPU", "engine core: status.aggregate", "core ÷ floor"]
    L.append("| " + " | ".join(hdr2) + " |")
    L.append("|" + "---|" * len(hdr2))
    for r in s["rows"]:
        L.append("| " + " | ".join([
            f"{r['n']:,}", _s(r.get(f"engine_{main}_cpu_s")), _s(r.get("engine_typed_columns_cpu_s")),
            _s(r.get("lo_cpu_s")), _x(r.get("lo_over_engine_cpu")), _s(r.get("core_s")),
            _x(r.get("core_over_floor"))]) + " |")
    L.append("")
    L.append("- *engine* = `pipeline.compute` + `sheets.result_grids`: parse and check the raw register, aggregate, "
             "status tables, the grids a refresh writes (the whole refresh computation minus Excel I/O). Median of "
             + ", ".join(f"{len(r['seconds'])} at {r['n']:,}" for r in res["engine"][main])
             + " runs, each size and input form in a fresh process.")
    L.append("- *sheet values*: the register as the xlwings reader hands it over (`sheets.table_from_grid`'s "
             "output: object columns of str, datetime.datetime, None for blank cells, float): the engine hashes "
             "every cell once to find the distinct values. *typed columns*: what a reader that types columns "
             "itself would give (an Arrow dictionary column, say): categoricals for "
             "text (a code per row into the distinct ids, forvaltninger, ordninger), datetime64 dates, float hours. "
             "Both go through every check (ids, CPR numbers, Excel errors, dates, copies, overlaps).")
    L.append("- *numpy floor*: overlap days + `np.bincount` per forvaltning × ordning, plus the fleksjob December "
             "count, on pre-typed int arrays (benchmarks/floor.py). Median per call.")
    L.append("- *LibreOffice recalculation*: `calculateAll()` on the loaded workbook (load time not included; see "
             "below). Extrapolated values use a power law through the two largest measured sizes (never better "
             "than linear) and are labelled.")
    L.append("- *peak memory*: added = the engine process's peak resident set (VmHWM) during the first engine run "
             "minus its resident set just before it (input already in memory); process = that peak itself "
             "(interpreter, input and engine). Measured per size in a fresh process, not with tracemalloc.")
    L.append("- *engine core*: `status.aggregate` alone on the already parsed register (overlap days, shares, "
             "group sums, fleksjob count): the work the numpy floor is the floor for.")
    for mode in modes:
        L.append(f"- first run in each fresh process ({mode.replace('_', ' ')}; included in the median): " + ", ".join(
            f"{r['n']:,}: {_s(r['seconds'][0])}" for r in res["engine"][mode]) + ".")
    if "typed_columns" in modes:
        L.append("- typed-columns peak memory: " + ", ".join(
            f"{r['n']:,}: {_mib(r.get('engine_typed_columns_peak_mib'))}" for r in s["rows"]) + ".")
    L.append("")
    L.append("## LibreOffice baseline details")
    L.append("")
    L.append("| forløb | layout | formulas | write .xlsx (openpyxl) | file | load | calculateAll() runs | median |")
    L.append("|---|---|---|---|---|---|---|---|")
    for r in lo["rows"]:
        L.append(f"| {r['n']:,} | {r['layout']} | {r['formulas']:,} | {_s(r['write_seconds'])} | "
                 f"{r['file_mib']:.1f} MiB | {_s(r['load_seconds'])} | "
                 f"{', '.join(_s(x) for x in r['calculate_seconds'])} | {_s(r['median_calculate_seconds'])} |")
    L.append("")
    L.append("Layouts (benchmarks/baseline_xlsx.py): *sumproduct* = one SUMPRODUCT over the date columns per "
             "forvaltning × ordning, antal forløb by COUNTIFS; *helper* = a helper column with each forløb's days "
             "inside the period filled down the register, then SUMIFS/COUNTIFS per forvaltning × ordning. Fleksjob "
             "by COUNTIFS in both. The faster layout at the largest size where both ran is the one compared "
             f"with the engine: **{lo['chosen_layout']}**. " + _lo_threads(lo) + " The engine is single-threaded.")
    L.append("")
    L.append("## Round trips to Excel")
    L.append("")
    rt = res["roundtrips"]
    if rt.get("rows"):
        L.append("| forløb | refresh_all actions | of which | bulk reads | cell-by-cell writes (non-empty) | "
                 "cell-by-cell number-format calls | cell-by-cell reads |")
        L.append("|---|---|---|---|---|---|---|")
        for r in rt["rows"]:
            by = ", ".join(f"{k} {v}" for k, v in sorted(r["by_func"].items()))
            L.append(f"| {r['n']:,} | {r['actions']} | {by} | {r['bulk_reads']} | {r['cell_by_cell_writes']:,} "
                     f"({r['cell_by_cell_writes_non_empty']:,}) | {r['cell_by_cell_format_calls']} | "
                     f"{r['cell_by_cell_reads']:,} |")
        L.append("")
        L.append("Actions are what `jobstatus_xl.macros.refresh_all` records on an `xlwings.Book(json=...)` holding "
                 "the template's sheets and the register (each is one call into Excel). Reads are not recorded "
                 "there: refresh_all reads each input sheet once in bulk. A cell-by-cell writer would make one call "
                 "per cell of the grids refresh_all writes (blank cells included, since they clear old values); a "
                 "cell-by-cell reader one call per cell of the input sheets.")
    else:
        L.append(f"Not measured: {rt.get('unavailable')}.")
    L.append("")
    L.append("## Growth and targets")
    L.append("")
    g = s["growth_exponents"]
    L.append("Growth exponents (least-squares slope of log time over log n; 1 = linear): " + ", ".join(
        f"{k} {v:.2f}" for k, v in g.items() if v is not None) + ".")
    L.append("")
    L.append("| target | input form | result | met |")
    L.append("|---|---|---|---|")
    t = s["targets"]
    for key, v in t.items():
        if "|" not in key:
            continue
        form = v["form"].replace("_", " ")
        if key.startswith("engine_vs_libreoffice"):
            cell = (f"{_x(v.get('value'))} (LibreOffice {v.get('libreoffice', '–')})" if v.get("value") is not None
                   else v.get("why", "–"))
        elif key.startswith("engine_vs_floor"):
            cell = (f"{_x(v['value_at_ref'])}; by size " + ", ".join(f"{n:,}: {_x(x)}" for n, x in v["by_size"]))
        else:
            cell = ("–" if v["value"] is None else f"{v['value']:.2f} over all sizes"
                   + (f", last decade {v['last_decade']:.2f}" if v.get("last_decade") is not None else ""))
        L.append(f"| {v['target']} | {form} | {cell} | {_met(v['met'])} |")
    cr = t["constant_round_trips"]
    L.append(f"| {cr['target']} | – | {cr.get('value', cr.get('why'))} | {_met(cr['met'])} |")
    L.append("")
    prim = res.get("primitives")
    if prim:
        L.append(f"## What touching the ids costs (n={prim['n']:,}, benchmarks/primitives.py)")
        L.append("")
        L.append("The engine checks every distinct id (blank, Excel error, CPR number, stray spaces) and needs a "
                 "number per person for copies, overlaps and the fleksjob headcount. Ids arrive as Python str "
                 "objects, so no engine that checks them can avoid one pass of Python over them. The cheapest such "
                 "passes, measured in the same run beside the floor (median of 5):")
        L.append("")
        L.append("| what | time | ÷ floor |")
        L.append("|---|---|---|")
        base = prim["rows"][0][1]
        for what, sec in prim["rows"]:
            L.append(f"| {what} | {_s(sec)} | {_x(sec / base)} |")
        L.append("")
    for mode in modes:
        prof = next((r.get("profile") for r in res["engine"][mode] if r.get("profile")), None)
        if not prof:
            continue
        n = next(r["n"] for r in res["engine"][mode] if r.get("profile"))
        L.append(f"## Where the engine's time goes (cProfile, {mode.replace('_', ' ')}, n={n:,})")
        L.append("")
        L.append(f"Profiled run: {prof['total_seconds']:.2f} s (profiler overhead included). Project functions by "
                 "cumulative time:")
        L.append("")
        L.append("| function | calls | cumulative | own |")
        L.append("|---|---|---|---|")
        for r in prof["project_cumtime"][:15]:
            L.append(f"| `{r['where']}` | {r['calls']:,} | {_s(r['cumtime'])} | {_s(r['tottime'])} |")
        L.append("")
        L.append("All functions by own time:")
        L.append("")
        L.append("| function | calls | own | cumulative |")
        L.append("|---|---|---|---|")
        for r in prof["top_tottime"][:15]:
            L.append(f"| `{r['where']}` | {r['calls']:,} | {_s(r['tottime'])} | {_s(r['cumtime'])} |")
        L.append("")
    return "\n".join(L) + "\n"


def _lo_threads(lo: dict) -> str:
    """How many cores LibreOffice kept busy during calculateAll at its largest measured size."""
    rows = [r for r in lo["rows"] if r.get("calculate_cpu_seconds")]
    if not rows:
        return ""
    r = max(rows, key=lambda r: (r["n"], r["median_calculate_seconds"]))
    cores = float(np.median(r["calculate_cpu_seconds"])) / r["median_calculate_seconds"]
    return (f"During calculateAll() at {r['n']:,} forløb ({r['layout']}) LibreOffice used {cores:.1f} cores on "
            "average (its CPU time over wall time).")


def _load(x) -> str:
    return "–" if not x else "/".join(f"{v:.2f}" for v in x)


def _met(x) -> str:
    return "n/a" if x is None else ("yes" if x else "**no**")


def _results_md(md: Path, res: dict, out: Path) -> str:
    """RESULTS.md: this run's sections, then the sections of the benchmarks that run on their own
    (worksheet functions: benchmarks/udfs_bench.py; refresh: benchmarks/refresh_bench.py) as last measured."""
    text = markdown(res) + udfs_bench.section_from(out.with_name("udfs_results.json"))
    return refresh_bench.keep_section(md, text)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", help=f"register sizes (default {FULL['sizes']}; --quick {QUICK['sizes']})")
    ap.add_argument("--lo-max", type=int, help=f"largest size LibreOffice recalculates (default {FULL['lo_max']:,})")
    ap.add_argument("--lo-both-max", type=int, help="largest size at which both formula layouts run "
                    f"(default {FULL['lo_both_max']:,}); above it only the faster one")
    ap.add_argument("--roundtrip-sizes", help=f"sizes for refresh_all round trips (default {FULL['roundtrip_sizes']})")
    ap.add_argument("--profile-size", type=int, help="size at which the engine is profiled (default 1,000,000)")
    ap.add_argument("--modes", default="sheet_values,typed_columns", help="engine input forms, first = main")
    ap.add_argument("--typed-max", type=int, default=0, help="largest size for typed_columns (0 = all)")
    ap.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice baseline")
    ap.add_argument("--quick", action="store_true", help="smoke run on tiny sizes")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    ap.add_argument("--md", type=Path, help="markdown report (default: RESULTS.md beside --out)")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: recompute the summary and the markdown from the measurements in --out")
    args = ap.parse_args(argv)
    args.argv = argv
    md = args.md or args.out.with_name("RESULTS.md")
    if args.report_only:
        res = json.loads(args.out.read_text(encoding="utf-8"))
        res["summary"] = summarise(res, res["config"]["sizes"], res["config"]["modes"])   # derived data only
        args.out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        md.write_text(_results_md(md, res, args.out), encoding="utf-8")
        log(f"recomputed the summary in {args.out} and wrote {md} from its measurements")
        return 0
    try:
        res = run(args)
    except Disagreement:
        log("aborted: the figures disagree; nothing was written")
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md.write_text(_results_md(md, res, args.out), encoding="utf-8")
    log(f"wrote {args.out} and {md}")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())

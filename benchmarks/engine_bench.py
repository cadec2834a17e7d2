"""One size, one input form, in a fresh process: engine time, engine peak memory, numpy floor.

    python -m benchmarks.engine_bench --n 1000000 --mode sheet_values --repeats 3 --out r.json [--floor] [--profile]

Run by `benchmarks.run` once per (size, input form), so each measurement starts from a clean
interpreter and the memory high-water mark belongs to that measurement alone.

Engine = `pipeline.compute(RawInput, Settings)` + `sheets.result_grids(result)`: parsing and
checking the raw register, aggregation, status tables and the grids a refresh writes — the whole
refresh computation minus Excel I/O.

Peak memory = the process's peak resident set size (VmHWM) during the first engine run, minus
its resident set size just before it (inputs already built, garbage collected). The high-water
mark is reset before the run through /proc/self/clear_refs (Linux); where that is not possible
the absolute ru_maxrss of the process is reported instead and labelled so.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import statistics
import time
import warnings
from pathlib import Path

from . import floor, synth

MODES = ("sheet_values", "typed_columns")
ROOT = Path(__file__).resolve().parent.parent


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def engine_inputs(reg: synth.Register, mode: str):
    from jobstatus_xl.engine.pipeline import RawInput, Settings, Table
    forloeb, fleksjob = (synth.sheet_values if mode == "sheet_values" else synth.typed_columns)(reg)
    return RawInput(forloeb=Table(forloeb, "Forløb"), fleksjob=Table(fleksjob, "Fleksjob")), Settings(year=synth.YEAR)


def run_engine(raw, settings):
    """The refresh computation minus Excel I/O."""
    from jobstatus_xl import sheets
    from jobstatus_xl.engine.pipeline import compute
    result = compute(raw, settings)
    grids = sheets.result_grids(result)
    return result, grids


def engine_figures(result) -> dict[str, float]:
    """Helårspersoner and antal forløb per unit × scheme, fleksjob per unit (KK included)."""
    tidy = result.tidy
    out: dict[str, float] = {}
    group = set(result.rules.group)
    for r in tidy.itertuples(index=False):
        if r.linje in group:
            out[f"helaarspersoner|{r.enhed}|{r.linje}"] = float(r.status)
            out[f"antal_forloeb|{r.enhed}|{r.linje}"] = float(r.antal_forloeb)
        elif r.linje == result.rules.fleksjob:
            out[f"fleksjob|{r.enhed}"] = float(r.status)
    return out


def compare(a: dict[str, float], b: dict[str, float], rel: float = 1e-9) -> list[str]:
    """Every key of `a` and `b` whose values differ (relative tolerance `rel`), as messages."""
    import math
    bad = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        ok = (isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool)
              and math.isclose(x, y, rel_tol=rel, abs_tol=1e-12))
        if not ok:
            bad.append(f"{k}: {x!r} != {y!r}")
    return bad


def _profile(raw, settings, top: int = 25) -> dict:
    prof = cProfile.Profile()
    prof.enable()
    run_engine(raw, settings)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
        rows.append({"where": f"{_short(file)}:{line}:{func}", "calls": nc, "tottime": tt, "cumtime": ct,
                     "project": str(ROOT / "jobstatus_xl") in file})
    by_tot = sorted(rows, key=lambda r: -r["tottime"])[:top]
    project_cum = sorted((r for r in rows if r["project"]), key=lambda r: -r["cumtime"])[:top]
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
    return {"total_seconds": total, "top_tottime": by_tot, "project_cumtime": project_cum,
            "pstats_cumulative": text.getvalue()}


def _short(file: str) -> str:
    for base in (str(ROOT) + os.sep,):
        if file.startswith(base):
            return file[len(base):]
    i = file.find("site-packages" + os.sep)
    return file[i + len("site-packages") + 1:] if i >= 0 else file


def measure(n: int, mode: str, repeats: int, with_floor: bool, floor_repeats: int, profile: bool) -> dict:
    warnings.simplefilter("ignore")  # engine warnings from pandas must not print per repeat
    out: dict = {"n": n, "mode": mode}
    # Warm up imports and bundled data on a tiny register, so neither counts below.
    run_engine(*engine_inputs(synth.generate(1000), mode))

    t = time.perf_counter()
    reg = synth.generate(n)
    raw, settings = engine_inputs(reg, mode)
    out["input_build_seconds"] = time.perf_counter() - t
    gc.collect()
    rss0 = _status_kb("VmRSS")
    reset = _reset_peak()
    t, c = time.perf_counter(), time.process_time()
    result, grids = run_engine(raw, settings)
    times, cpu = [time.perf_counter() - t], [time.process_time() - c]
    hwm = _status_kb("VmHWM")
    if reset and rss0 is not None and hwm is not None:
        out["memory"] = {"method": "VmHWM during the first engine run minus VmRSS before it (clear_refs reset)",
                         "peak_extra_mib": (hwm - rss0) / 1024, "rss_before_mib": rss0 / 1024,
                         "peak_rss_mib": hwm / 1024}
    else:
        out["memory"] = {"method": "ru_maxrss of the whole process (inputs included; clear_refs unavailable)",
                         "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    out["figures"] = engine_figures(result)
    out["findings"] = [str(f)[:300] for f in result.findings[:20]]
    out["n_findings"] = len(result.findings)
    out["grid_cells"] = cells_written(grids)
    del result, grids
    for _ in range(repeats - 1):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        run_engine(raw, settings)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out["seconds"] = times
    out["median_seconds"] = statistics.median(times)
    out["cpu_seconds"] = cpu
    out["median_cpu_seconds"] = statistics.median(cpu)
    if with_floor:
        out["core"] = time_core(raw, settings, max(repeats, 3))
    if profile:
        out["profile"] = _profile(raw, settings)
    del raw
    gc.collect()
    if with_floor:
        arrays = floor.prepare(reg)
        res = floor.compute(arrays)
        out["floor"] = {**time_floor(arrays, floor_repeats), "figures": floor.figures(res)}
    return out


def time_core(raw, settings, repeats: int) -> dict:
    """The engine's arithmetic core alone: `status.aggregate` on the already parsed register
    (overlap days, shares, group sums) — the part the numpy floor is the floor for. Uses engine
    internals, so a changed signature is reported instead of failing the benchmark."""
    try:
        from jobstatus_xl.engine.register import parse_register
        from jobstatus_xl.engine.rules import load_rules
        from jobstatus_xl.engine.status import aggregate
        rules = load_rules(settings.year)
        period = settings.period
        register, _ = parse_register(raw.forloeb.frame, raw.fleksjob.frame if raw.fleksjob else None, rules, period)
        aggregate(register, rules, period, settings.basis)
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            aggregate(register, rules, period, settings.basis)
            ts.append(time.perf_counter() - t)
        return {"what": "jobstatus_xl/engine/status.py:aggregate on the parsed register",
                "seconds": ts, "median_seconds": statistics.median(ts)}
    except Exception as exc:  # noqa: BLE001
        return {"unavailable": f"{type(exc).__name__}: {exc}"}


def time_floor(arrays: dict, repeats: int, min_seconds: float = 0.05) -> dict:
    """Median seconds per call over `repeats` rounds; each round loops enough calls to last
    `min_seconds` (small sizes take microseconds, below the timer's resolution)."""
    t = time.perf_counter()
    floor.compute(arrays)
    one = max(time.perf_counter() - t, 1e-7)
    loops = max(1, int(min_seconds / one))
    per_call = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(loops):
            floor.compute(arrays)
        per_call.append((time.perf_counter() - t) / loops)
    return {"seconds": per_call, "median_seconds": statistics.median(per_call), "loops_per_round": loops}


def cells_written(grids) -> dict[str, int]:
    """What a cell-by-cell writer would write for these grids: one call per non-empty cell, plus
    one per number-format range."""
    values = sum(1 for g in grids for row in g.cells for v in row if v is not None and v != "")
    rect = sum(len(row) for g in grids for row in g.cells)
    formats = sum(len(getattr(g, "formats", {}) or {}) for g in grids)
    return {"non_empty_cells": values, "grid_cells": rect, "format_ranges": formats, "sheets": len(grids)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--mode", choices=MODES, default="sheet_values")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--floor", action="store_true")
    ap.add_argument("--floor-repeats", type=int, default=7)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    res = measure(a.n, a.mode, a.repeats, a.floor, a.floor_repeats, a.profile)
    a.out.write_text(json.dumps(res, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()

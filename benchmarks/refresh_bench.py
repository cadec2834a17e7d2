"""The headless refresh, side by side in one run: the part-replacing refresh, the openpyxl refresh it
replaced, and LibreOffice loading and saving the same file.

    python -m benchmarks.refresh_bench                  # demo (3,708), 100,000 and 1,000,000 forløb
    python -m benchmarks.refresh_bench --quick          # smoke run (demo and 20,000)

Workbooks: the committed template with a synthetic register (`synth.generate`) written into the
input sheets 'Forløb' and 'Fleksjob' as Excel writes them (dates as serials with a date style),
their tables resized; the demo workbook is the template filled with the demo register. One more
workbook, "demo + user sheet", is the demo workbook plus a user's sheet of `--user-cells` small
numbers (no <dimension>, as in the issue's report), to show what such a sheet costs.

Per workbook and method, in a fresh process under `/usr/bin/time` (wall time and peak resident
set of the whole process tree):
- *new*: `workbook.refresh_file` (the refresh this package does now); also its time inside the
  process, imports excluded;
- *old*: the openpyxl refresh of commit d832809 (`jobstatus_xl/workbook.py` at that commit, loaded
  from git history), the same way;
- *LibreOffice*: `soffice --headless --convert-to xlsm` (load and save), with a warmed private profile.
Before anything is timed, the new and old refresh of the demo workbook must give the same cached
values in every owned sheet; a difference aborts (exit 2). Results: --out (JSON) and a section of
RESULTS.md beside it, between the markers below (`run.py` keeps that section).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import sections

ROOT = Path(__file__).resolve().parent.parent
OLD_COMMIT = "d832809"
BEGIN = "<!-- refresh_bench: begin -->"
END = "<!-- refresh_bench: end -->"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ workbooks

def _sheet_data(rows) -> str:
    return "<sheetData>" + "".join(rows) + "</sheetData>"


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header(columns: list[str]) -> str:
    return '<row r="1">' + "".join(_inline(f"{chr(65 + i)}1", c) for i, c in enumerate(columns)) + "</row>"


def register_rows(reg, date_style: int) -> tuple[list[str], list[str]]:
    from jobstatus_xl.sheets import INPUT_COLUMNS, SHEET_FLEKSJOB, SHEET_FORLOEB
    from . import synth
    ids = synth.ids(reg.person, "SYNT-P")
    units = np.array(synth.UNITS, dtype=object)[reg.unit]
    schemes = np.array(synth.SCHEMES, dtype=object)[reg.scheme]
    start = (reg.start.astype(np.int64) + 25569).tolist()
    end = np.where(reg.end == synth.BLANK, -1, reg.end.astype(np.int64) + 25569).tolist()
    hours = reg.hours.tolist()
    s = f' s="{date_style}"'
    forloeb = [_header(INPUT_COLUMNS[SHEET_FORLOEB])]
    for i in range(len(start)):
        r = i + 2
        cells = (_inline(f"A{r}", ids[i]) + _inline(f"B{r}", units[i]) + _inline(f"C{r}", schemes[i])
                 + f'<c r="D{r}"{s}><v>{start[i]}</v></c>'
                 + (f'<c r="E{r}"{s}><v>{end[i]}</v></c>' if end[i] >= 0 else "")
                 + (f'<c r="F{r}"><v>{hours[i]:g}</v></c>' if hours[i] == hours[i] else ""))
        forloeb.append(f'<row r="{r}">{cells}</row>')
    fids = synth.ids(reg.f_person, "SYNT-F")
    funits = np.array(synth.UNITS, dtype=object)[reg.f_unit]
    fstart = (reg.f_start.astype(np.int64) + 25569).tolist()
    fend = np.where(reg.f_end == synth.BLANK, -1, reg.f_end.astype(np.int64) + 25569).tolist()
    fleksjob = [_header(INPUT_COLUMNS[SHEET_FLEKSJOB])]
    for i in range(len(fstart)):
        r = i + 2
        fleksjob.append(f'<row r="{r}">' + _inline(f"A{r}", fids[i]) + _inline(f"B{r}", funits[i])
                        + f'<c r="C{r}"{s}><v>{fstart[i]}</v></c>'
                        + (f'<c r="D{r}"{s}><v>{fend[i]}</v></c>' if fend[i] >= 0 else "") + "</row>")
    return forloeb, fleksjob


def _replace_sheet_data(xml: bytes, rows: list[str]) -> bytes:
    m = re.search(rb"<sheetData\s*/>|<sheetData>.*?</sheetData>", xml, re.S)
    return xml[:m.start()] + _sheet_data(rows).encode("utf-8") + xml[m.end():]


def synthetic_workbook(n: int) -> bytes:
    """The template with a synthetic register of n forløb (and n // 4 fleksjob spells)."""
    from jobstatus_xl.sheets import INPUT_COLUMNS, INPUT_TABLE_NAMES, SHEET_FLEKSJOB, SHEET_FORLOEB
    from jobstatus_xl.xlsx.package import Package, write_package
    from . import synth
    pkg = Package((ROOT / "workbook_template.xlsm").read_bytes())
    styles = pkg.read("xl/styles.xml").decode()
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    date_style = [m.group(1) for m in re.finditer(r'<xf numFmtId="(\d+)"', xfs)].index("164")
    forloeb, fleksjob = register_rows(synth.generate(n), date_style)
    parts = {s.name: s.part for s in pkg.sheets()}
    replaced = {parts[SHEET_FORLOEB]: _replace_sheet_data(pkg.read(parts[SHEET_FORLOEB]), forloeb),
                parts[SHEET_FLEKSJOB]: _replace_sheet_data(pkg.read(parts[SHEET_FLEKSJOB]), fleksjob)}
    for name in pkg.by_name:
        if name.startswith("xl/tables/"):
            xml = pkg.read(name)
            for sheet, rows in ((SHEET_FORLOEB, forloeb), (SHEET_FLEKSJOB, fleksjob)):
                if f'name="{INPUT_TABLE_NAMES[sheet]}"'.encode() in xml:
                    last = chr(64 + len(INPUT_COLUMNS[sheet]))
                    xml = re.sub(rb'ref="A1:[A-Z]+\d+"', f'ref="A1:{last}{len(rows)}"'.encode(), xml)
                    replaced[name] = xml
    return write_package(pkg, replaced)


def demo_workbook() -> bytes:
    from jobstatus_xl import workbook
    return workbook.fill_input_tables((ROOT / "workbook_template.xlsm").read_bytes(), workbook._demo_frames())


def with_user_sheet(data: bytes, cells: int, width: int = 20) -> bytes:
    """`data` plus a user's sheet 'Mine tal' of `cells` small numbers, without a <dimension>."""
    from jobstatus_xl.xlsx.package import (CT_WORKSHEET, Package, REL_WORKSHEET, add_relationship,
                                           ensure_override, free_relationship_id, write_package)
    pkg = Package(data)
    rows = []
    for r in range(1, cells // width + 1):
        rows.append(f'<row r="{r}">' + "".join(f"<c><v>{(r * c) % 97}</v></c>" for c in range(1, width + 1)) + "</row>")
    sheet = f'<worksheet xmlns="{MAIN}">{_sheet_data(rows)}</worksheet>'.encode()
    rels = pkg.read("xl/_rels/workbook.xml.rels")
    rid = free_relationship_id(rels)
    rels = add_relationship(rels, REL_WORKSHEET, "worksheets/sheet90.xml", rid)
    ids = [int(s.sheet_id) for s in pkg.sheets()]
    wb = pkg.read("xl/workbook.xml").replace(
        b"</sheets>", f'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                      f'name="Mine tal" sheetId="{max(ids) + 1}" r:id="{rid}"/></sheets>'.encode())
    types = ensure_override(pkg.read("[Content_Types].xml"), "xl/worksheets/sheet90.xml", CT_WORKSHEET)
    return write_package(pkg, {"xl/_rels/workbook.xml.rels": rels, "xl/workbook.xml": wb,
                               "[Content_Types].xml": types}, added={"xl/worksheets/sheet90.xml": sheet})


# ------------------------------------------------------------------ the methods, each in a child process

def old_workbook_module():
    """`jobstatus_xl/workbook.py` as it was at OLD_COMMIT: the openpyxl refresh."""
    import types
    src = subprocess.run(["git", "show", f"{OLD_COMMIT}:jobstatus_xl/workbook.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    mod = types.ModuleType("jobstatus_xl._workbook_openpyxl")
    mod.__package__ = "jobstatus_xl"
    sys.modules[mod.__name__] = mod
    exec(compile(src, f"jobstatus_xl/workbook.py@{OLD_COMMIT}", "exec"), mod.__dict__)
    return mod


def child(method: str, path: Path) -> None:
    """Run one refresh of `path` in this process; print the time inside it as JSON."""
    if method == "new":
        from jobstatus_xl import workbook as wb
    else:
        wb = old_workbook_module()
    start, cpu = time.perf_counter(), time.process_time()
    wb.refresh_file(path)
    print(json.dumps({"seconds_inside": time.perf_counter() - start, "cpu_inside": time.process_time() - cpu}))


def _timed(cmd: list[str], timeout: float) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %M %U %S", *cmd]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        try:
            done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        line = tf.read().strip().splitlines()
    if done.returncode != 0 or not line:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-500:]}"}
    wall, kb, user, system = line[-1].split()
    out = {"seconds": float(wall), "peak_mib": int(kb) / 1024, "cpu_seconds": float(user) + float(system)}
    for text in done.stdout.strip().splitlines()[-1:]:
        try:
            out.update(json.loads(text))
        except ValueError:
            pass
    return out


def run_python(method: str, data: bytes, tmp: Path, timeout: float) -> dict:
    path = tmp / f"{method}.xlsm"
    path.write_bytes(data)
    res = _timed([sys.executable, "-m", "benchmarks.refresh_bench", "--child", method, str(path)], timeout)
    path.unlink(missing_ok=True)
    return res


def run_libreoffice(data: bytes, tmp: Path, profile: Path, timeout: float) -> dict:
    soffice = shutil.which("soffice")
    if soffice is None:
        return {"error": "soffice not found"}
    src = tmp / "lo_in.xlsm"
    src.write_bytes(data)
    out = tmp / "lo_out"
    shutil.rmtree(out, ignore_errors=True)
    res = _timed([soffice, "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation={profile.as_uri()}",
                  "--convert-to", "xlsm:Calc MS Excel 2007 VBA XML", "--outdir", str(out), str(src)], timeout)
    if "error" not in res and not (out / "lo_in.xlsm").is_file():
        res = {"error": "soffice wrote nothing"}
    shutil.rmtree(out, ignore_errors=True)
    return res


def median_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    ok.sort(key=lambda r: r["seconds"])
    out = dict(ok[len(ok) // 2])
    out["runs"] = [round(r["seconds"], 3) for r in ok]
    return out


# ------------------------------------------------------------------ the run

def same_figures(tmp: Path, data: bytes) -> None:
    """The new and the old refresh of `data` give the same cached values in every owned sheet."""
    import openpyxl
    from jobstatus_xl.sheets import OWNED_SHEETS
    got = {}
    for method in ("new", "old"):
        path = tmp / f"agree_{method}.xlsm"
        path.write_bytes(data)
        res = _timed([sys.executable, "-m", "benchmarks.refresh_bench", "--child", method, str(path)], 600)
        if "error" in res:
            raise SystemExit(f"{method} refresh failed: {res['error']}")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        got[method] = {s: [tuple(r) for r in wb[s].iter_rows(values_only=True)] for s in OWNED_SHEETS}
        wb.close()
    for sheet in got["new"]:
        a = [tuple(v for v in r if v is not None) for r in got["new"][sheet]]
        b = [tuple(v for v in r if v is not None) for r in got["old"][sheet]]
        a, b = [r for r in a if r], [r for r in b if r]
        if len(a) != len(b) or any(len(x) != len(y) or any(
                (u != v) and not (isinstance(u, float) and isinstance(v, (int, float))
                                  and abs(u - v) <= 1e-9 * max(1, abs(v)))
                for u, v in zip(x, y)) for x, y in zip(a, b)):
            log(f"DISAGREEMENT in '{sheet}' between the new and the old refresh")
            raise SystemExit(2)
    log("agree: new and old refresh give the same owned sheets (demo workbook)")


def run(args) -> dict:
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {"command": " ".join(["python -m benchmarks.refresh_bench", *sys.argv[1:]]), "rows": [],
               "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "git_commit": subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                                            text=True).stdout.strip(),
               "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="refresh_bench_") as t:
        tmp = Path(t)
        demo = demo_workbook()
        same_figures(tmp, demo)
        profile = tmp / "lo_profile"
        if not args.no_libreoffice:
            log("warming LibreOffice's private profile")
            run_libreoffice(demo, tmp, profile, 300)
        cases = []
        for n in sizes:
            cases.append((f"{n:,}" if n != 3708 else "3,708 (demo)", n, None))
        if args.user_cells:
            cases.append((f"3,708 (demo) + user sheet of {args.user_cells:,} cells", 3708, args.user_cells))
        for label, n, user_cells in cases:
            log(f"building the workbook: {label}")
            data = demo if n == 3708 else synthetic_workbook(n)
            if user_cells:
                data = with_user_sheet(data, user_cells)
            row = {"label": label, "n": n, "user_cells": user_cells, "file_mib": len(data) / 2**20}
            repeats = args.repeats if n <= 100_000 else 1
            log(f"  new refresh x{repeats}")
            row["new"] = median_of([run_python("new", data, tmp, args.timeout) for _ in range(repeats)])
            if n <= args.old_max and not user_cells:
                log(f"  old (openpyxl) refresh x{repeats}")
                row["old"] = median_of([run_python("old", data, tmp, args.timeout) for _ in range(repeats)])
            else:
                row["old"] = {"skipped": f"not run above {args.old_max:,} forløb or with the user sheet "
                                         "(the issue measured 427 s and 2.9 GB for such a sheet)"}
            if not args.no_libreoffice and not user_cells:
                log(f"  LibreOffice load+save x{repeats}")
                row["libreoffice"] = median_of([run_libreoffice(data, tmp, profile, args.timeout)
                                                for _ in range(repeats)])
            results["rows"].append(row)
            log(f"  {json.dumps(row)}")
    return results


def _s(x) -> str:
    if x is None:
        return "–"
    return f"{x:.2f} s" if x >= 0.995 else f"{x * 1000:.0f} ms"


def _cell(res: dict | None, key: str = "seconds") -> str:
    if not res:
        return "–"
    if "error" in res:
        return f"failed ({res['error'][:60]})"
    if "skipped" in res:
        return "not run"
    return _s(res[key])


def _ratio(a: dict | None, b: dict | None, key: str = "seconds") -> str:
    if not a or not b or key not in a or key not in b:
        return "–"
    return f"{b[key] / a[key]:.1f}×"


def _inside(res: dict | None) -> str:
    if not res or "seconds_inside" not in res:
        return _cell(res)
    cpu = f" ({_s(res['cpu_inside'])})" if "cpu_inside" in res else ""
    return _s(res["seconds_inside"]) + cpu


def _cpu(res: dict | None) -> str:
    return _s(res["cpu_seconds"]) if res and "cpu_seconds" in res else "–"


def _mib(res: dict | None) -> str:
    return f"{res['peak_mib']:,.0f} MiB" if res and "peak_mib" in res else "–"


def markdown(res: dict) -> str:
    L = [BEGIN, "## Headless refresh: part replacement vs openpyxl vs LibreOffice", "",
         "Generated by `benchmarks/refresh_bench.py`; do not edit by hand. Command:", "",
         f"    {res['command']}", "",
         f"Run {res['date']} at commit {res['git_commit']}; load average at start "
         f"{'/'.join(f'{x:.2f}' for x in res['load_average_at_start'])} (2 shared cores). Wall time of a fresh "
         "process per run (interpreter start and imports included; median where repeated) and its peak resident "
         "set, from `/usr/bin/time`. *new* = `jobstatus-xl refresh` now (parts replaced); *inside* = its "
         "`refresh_file` call alone, imports excluded; *old* = the openpyxl refresh at commit "
         f"{OLD_COMMIT} (loaded from git history); *LibreOffice* = `soffice --headless --convert-to xlsm` "
         "(load and save, warmed private profile). Before timing, the new and old refresh of the demo workbook "
         "gave the same owned sheets.", "",
         "| workbook | file | new | new, inside (CPU) | new peak | old (openpyxl) | old, inside (CPU) | old peak | "
         "LibreOffice load+save | LibreOffice peak | old ÷ new | LibreOffice ÷ new |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        new, old, lo = r.get("new"), r.get("old"), r.get("libreoffice")
        L.append(f"| {r['label']} | {r['file_mib']:.1f} MiB | {_cell(new)} | {_inside(new)} | {_mib(new)} | "
                 f"{_cell(old)} | {_inside(old)} | {_mib(old)} | {_cell(lo)} | {_mib(lo)} | {_ratio(new, old)} "
                 f"({_ratio(new, old, 'cpu_seconds')} CPU) | {_ratio(new, lo)} "
                 f"({_ratio(new, lo, 'cpu_seconds')} CPU) |")
    L += ["", "CPU seconds of the whole process (all threads, imports included), same order: "
          + "; ".join(f"{r['label']}: new {_cpu(r.get('new'))}, old {_cpu(r.get('old'))}, "
                      f"LibreOffice {_cpu(r.get('libreoffice'))}" for r in res["rows"]) + ".", "", END, ""]
    return "\n".join(L)


def keep_section(md: Path, text: str) -> str:
    """`text` (RESULTS.md as run.py writes it) with this benchmark's section of `md` kept."""
    old = md.read_text(encoding="utf-8") if md.exists() else ""
    if BEGIN in old and END in old:
        return text.rstrip("\n") + "\n\n" + BEGIN + old.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"
    return text


def write_markdown(md: Path, text: str) -> None:
    sections.write_section(md, text, BEGIN, END)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.refresh_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="3708,100000,1000000", help="forløb per workbook (3708 = the demo workbook)")
    ap.add_argument("--user-cells", type=int, default=5_400_000,
                    help="cells of the user sheet added to the demo (0: none)")
    ap.add_argument("--old-max", type=int, default=100_000, help="largest size the old openpyxl refresh runs at")
    ap.add_argument("--repeats", type=int, default=3, help="runs per method up to 100,000 forløb (1 above)")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--no-libreoffice", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smoke run: demo and 20,000 forløb, small user sheet")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "refresh_results.json")
    ap.add_argument("--md", type=Path, help="markdown (default: RESULTS.md beside --out)")
    ap.add_argument("--report-only", action="store_true", help="measure nothing: the markdown from --out")
    ap.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    if args.report_only:
        res = json.loads(args.out.read_text(encoding="utf-8"))
        write_markdown(args.md or args.out.with_name("RESULTS.md"), markdown(res))
        return 0
    if args.quick:
        args.sizes, args.user_cells, args.repeats = "3708,20000", 200_000, 1
    res = run(args)
    args.out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_markdown(args.md or args.out.with_name("RESULTS.md"), markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())

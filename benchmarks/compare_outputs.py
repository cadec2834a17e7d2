"""The command line's outputs at a git ref and in this tree, side by side: must be byte for byte the same.

    python -m benchmarks.compare_outputs --ref b41e6d9                 # every case, old tree vs this tree
    python -m benchmarks.compare_outputs --ref b41e6d9 --quick         # the demo and two small registers
    python -m benchmarks.compare_outputs --ref b41e6d9 --bench 1000000 # also time pipeline.compute, old vs new

The ref's `jobstatus_xl` is taken out with `git archive` into a temporary folder; each case runs the
CLI (`python -m jobstatus_xl.cli`) once with PYTHONPATH at that folder and once at this tree, in a
fresh working folder each, on the same input. Compared: exit code, stdout, stderr and every file the
case wrote (Office files part by part, with the zip's own timestamps and the document's
created/modified stamps left out). Inputs: the bundled demo, and seeded registers from
`benchmarks.synth` written as CSV folders, clean and with broken rows (bad dates, unknown codes,
CPR-like ids, Danish numbers, blanks, copies, overlaps, Excel errors), so findings are compared too.

Exit 0 when everything is IDENTICAL, 1 on any difference. `--bench N` times `pipeline.compute` of both
trees in one process on one N-row register (the old package imported as `jobstatus_xl_base`),
interleaved, and prints the ratio new/old.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import synth
from .at_ref import extract, import_as_base

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "jobstatus_xl.cli"]
# stamps a writer puts into an Office file on every run (not content)
STAMP = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


# ------------------------------------------------------------------ inputs

# (k, column, value): the k-th of the register's randomly picked rows gets the value.
# Counted with a warning: CPR-like ids, Danish decimals and dates, a scheme of another year, a late start.
WARNING_CELLS = [(0, "id", "0101901234"), (1, "id", " 010190-1234 "), (6, "timer_pr_uge", "37,5"),
                 (7, "timer_pr_uge", ""), (8, "ordning", "Nytteindsats"), (9, "ordning", "småjob"),
                 (10, "forvaltning", " sof "), (11, "start", "01-03-2024"), (12, "slut", "31.12.2024"),
                 (13, "start", "2025-02-01")]
# Refused: impossible dates, unknown codes, blanks, a Danish 1.084 hours, negatives, an error value.
ERROR_CELLS = [(20, "start", "2024-02-30"), (21, "slut", "i morgen"), (22, "forvaltning", "XYZ"),
               (23, "forvaltning", "SFO"), (24, "forvaltning", ""), (25, "ordning", "Lontilskudd"), (26, "id", ""),
               (27, "timer_pr_uge", "1.084"), (28, "timer_pr_uge", "-3"), (29, "start", "#N/A"),
               (30, "slut", "2020-01-01"), (31, "timer_pr_uge", "ti"), (32, "start", "")]   # 30: before its start


def write_register(folder: Path, n: int, seed: int, broken: str | None = None) -> Path:
    """A synthetic register as the CSV folder `status` reads (ISO dates, blank = running).
    `broken`: None, "warnings" (rows the engine counts with a warning) or "errors" (rows it refuses)."""
    forloeb, fleksjob = synth.sheet_values(synth.generate(n, seed))
    for f in (forloeb, fleksjob):
        for col in ("start", "slut"):
            f[col] = [v.date().isoformat() if v is not None else "" for v in f[col]]
    forloeb["timer_pr_uge"] = ["" if v is None else f"{v:g}" for v in forloeb["timer_pr_uge"]]
    if broken:
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(forloeb), size=40, replace=False)
        forloeb.loc[int(rows[2])] = forloeb.loc[int(rows[3])]                      # an exact copy
        forloeb.loc[int(rows[4]), ["id", "ordning", "slut"]] = [forloeb.at[int(rows[5]), "id"],
                                                                 forloeb.at[int(rows[5]), "ordning"], ""]  # overlap
        for k, col, value in WARNING_CELLS + (ERROR_CELLS if broken == "errors" else []):
            forloeb.at[int(rows[k]), col] = value
        forloeb.loc[len(forloeb)] = [""] * forloeb.shape[1]                     # a wholly blank row
        if broken == "errors":
            fleksjob.at[3, "start"] = "32-01-2024"
            fleksjob.at[4, "forvaltning"] = "KK"
    folder.mkdir(parents=True)
    forloeb.to_csv(folder / "forloeb.csv", index=False)
    fleksjob.to_csv(folder / "fleksjob.csv", index=False)
    return folder


def cases(inputs: Path, quick: bool) -> dict[str, list[list[str]]]:
    """Name -> the CLI runs of the case, in order (later runs may read what earlier ones wrote)."""
    reference = str(ROOT / "tests" / "data" / "reference")
    out: dict[str, list[list[str]]] = {
        "demo": [["demo", "--workbook", "demo.xlsm"], ["refresh", "demo.xlsm", "--out", "refreshed.xlsm"],
                 ["check", "demo.xlsm"], ["check", "demo.xlsm", "--format", "json"]],
        "demo status": [["status", "--year", "2024", "--format", f] for f in ("table", "csv", "csv-da", "json")]
        + [["status", "--year", "2024", "--basis", "hverdage", "--from", "2024-03-01", "--to", "2024-08-31"]],
        "demo prognose": [["prognose", "--year", "2024", "--format", "json"],
                          ["prognose", "--year", "2024", "--pr", "2024-06-30"]],
        "demo notat": [["notat", "--year", "2024", "--out", "notat.docx"]],
        "check reference": [["check", reference], ["check", reference, "--format", "json"]],
    }
    registers = [(2000, 1, None), (5000, 2, "warnings")] if quick else [
        (2000, 1, None), (5000, 2, None), (10000, 3, None), (20000, 4, None), (50000, 5, None),
        (2000, 6, "warnings"), (20000, 7, "warnings"), (3000, 8, "errors"), (30000, 9, "errors")]
    for n, seed, broken in registers:
        folder = str(write_register(inputs / f"reg_{n}_{seed}_{broken}", n, seed, broken))
        runs = [["status", folder, "--year", "2024", "--format", "json"],
                ["status", folder, "--year", "2024", "--basis", "hverdage", "--reference-month", "2024-06-01"],
                ["prognose", folder, "--year", "2024", "--pr", "2024-09-30", "--format", "json"]]
        if seed == 2:
            runs.append(["projektmappe", folder, "--year", "2024", "--out", "p.xlsm"])
        out[f"register n={n} seed={seed}" + (f" {broken}" if broken else "")] = runs
    return out


# ------------------------------------------------------------------ running and comparing

def imported_from(tree: Path) -> Path:
    """Where `jobstatus_xl` comes from with PYTHONPATH at `tree` (an installed copy must not win)."""
    p = subprocess.run([sys.executable, "-c", "import jobstatus_xl; print(jobstatus_xl.__file__)"], check=True,
                       env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree, capture_output=True, text=True)
    return Path(p.stdout.strip()).resolve().parent.parent


def run_case(tree: Path, runs: list[list[str]], work: Path) -> dict[str, bytes]:
    """Everything a case gives: per run its exit code, stdout and stderr; every file it wrote."""
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    got: dict[str, bytes] = {}
    for i, argv in enumerate(runs):
        p = subprocess.run(CLI + argv, cwd=work, env=env, capture_output=True)
        tag = f"run {i + 1} ({' '.join(argv[:1])})"
        got[f"{tag}: exit code"] = str(p.returncode).encode()
        got[f"{tag}: stdout"], got[f"{tag}: stderr"] = p.stdout, p.stderr
    for f in sorted(work.rglob("*")):
        if f.is_file():
            got.update(file_parts(f, f.relative_to(work).as_posix()))
    return got


def file_parts(path: Path, name: str) -> dict[str, bytes]:
    """A file's bytes; an Office file's parts (zip members) each on their own, without stamps."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".docx") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return {f"{name}!{m}": STAMP.sub(b"", z.read(m)) for m in z.namelist()}
    return {name: path.read_bytes()}


def differences(old: dict[str, bytes], new: dict[str, bytes]) -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"{k}: only in the {'new' if a is None else 'old'} tree")
            continue
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out.append(f"{k}: differs at byte {at} (old {len(a)} bytes, new {len(b)})\n"
                   f"      old: {a[max(0, at - 60):at + 60]!r}\n      new: {b[max(0, at - 60):at + 60]!r}")
    return out


# ------------------------------------------------------------------ benchmark

def bench(old_tree: Path, n: int, repeats: int) -> None:
    """`pipeline.compute` of the old package (as `jobstatus_xl_base`) and of this tree's, on the same
    n-row register as a sheet gives it (object columns) and as a typed reader gives it (categoricals,
    datetime64), alternately; the medians and their ratio. The figures and findings must agree."""
    import_as_base(old_tree)
    sys.path.insert(0, str(ROOT))
    import jobstatus_xl.engine.pipeline as new
    import jobstatus_xl_base.engine.pipeline as old
    reg = synth.generate(n)
    for form in (synth.sheet_values, synth.typed_columns):
        forloeb, fleksjob = form(reg)
        inputs = {m: (m.RawInput(m.Table(forloeb, "Forløb"), m.Table(fleksjob, "Fleksjob")),
                      m.Settings(year=synth.YEAR)) for m in (old, new)}
        results = {m: m.compute(*inputs[m]) for m in (old, new)}          # warm up, and the same output
        pd.testing.assert_frame_equal(results[old].tidy, results[new].tidy)
        assert [str(f) for f in results[old].findings] == [str(f) for f in results[new].findings]
        secs: dict = {old: [], new: []}
        for r in range(repeats):
            for m in ((old, new) if r % 2 == 0 else (new, old)):
                t = time.perf_counter()
                m.compute(*inputs[m])
                secs[m].append(time.perf_counter() - t)
        o, w = statistics.median(secs[old]), statistics.median(secs[new])
        print(f"\npipeline.compute, {n:,} forløb (+{len(fleksjob):,} fleksjob) as {form.__name__}, "
              f"{repeats} interleaved repeats:")
        print(f"  old {o:.3f} s (runs {', '.join(f'{s:.3f}' for s in secs[old])})")
        print(f"  new {w:.3f} s (runs {', '.join(f'{s:.3f}' for s in secs[new])})")
        print(f"  ratio new/old {w / o:.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="the git ref to compare this tree with, e.g. b41e6d9")
    ap.add_argument("--quick", action="store_true", help="the demo and two small registers only")
    ap.add_argument("--only", help="run only the cases whose name contains this text")
    ap.add_argument("--bench", type=int, metavar="N", help="also time pipeline.compute on N rows, old vs new")
    ap.add_argument("--repeats", type=int, default=7, help="interleaved repeats of --bench (default 7)")
    args = ap.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="compare_outputs_") as tmp:
        tmp = Path(tmp)
        old_tree = extract(args.ref, tmp / "old")
        for tree in (old_tree, ROOT):
            if imported_from(tree) != tree.resolve():
                sys.exit(f"PYTHONPATH={tree} imports jobstatus_xl from {imported_from(tree)}: "
                         "nothing would be compared")
        all_cases = cases(tmp / "inputs", args.quick)
        for name, runs in all_cases.items():
            if args.only and args.only not in name:
                continue
            slug = re.sub(r"\W+", "_", name)
            t = time.perf_counter()
            old = run_case(old_tree, runs, tmp / "work" / "old" / slug)
            new = run_case(ROOT, runs, tmp / "work" / "new" / slug)
            diff = differences(old, new)
            failed += bool(diff)
            print(f"{'IDENTICAL' if not diff else 'DIFFERENT'}  {name}  ({len(old)} outputs, "
                  f"{time.perf_counter() - t:.0f} s)", flush=True)
            for d in diff:
                print("    " + d)
        print(f"\n{'IDENTICAL' if not failed else 'DIFFERENT'}: {args.ref} vs this tree"
              + (f" ({failed} case(s) differ)" if failed else ""))
        if args.bench:
            bench(old_tree, args.bench, args.repeats)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Smoke test of the benchmark script (`python -m benchmarks.run --quick`): that it runs, that its
agreement checks hold (the run exits 2 and writes nothing when the engine, the numpy floor and
LibreOffice disagree), and that its output has the structure RESULTS.md and the README are made
from. No timings are asserted: they depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from libreoffice import requires_libreoffice

pytestmark = pytest.mark.slow   # benchmark runs in subprocesses: out of the inner loop

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"benchmark exited {proc.returncode}\n{proc.stderr[-4000:]}"
    assert (tmp_path / "RESULTS.md").is_file()
    return json.loads(out.read_text(encoding="utf-8"))


def _check_structure(res: dict, sizes: list[int], modes: list[str]) -> None:
    assert res["command"].startswith("python -m benchmarks.run --quick")
    for key in ("cores", "python", "numpy", "pandas", "libreoffice", "git_commit"):
        assert key in res["machine"], key
    assert [r["n"] for r in res["summary"]["rows"]] == sizes
    for mode in modes:
        rows = res["engine"][mode]
        assert [r["n"] for r in rows] == sizes
        for r in rows:
            assert len(r["seconds"]) >= 1 and r["median_seconds"] > 0
            assert "method" in r["memory"]
    for r in res["engine"][modes[0]]:
        assert r["floor"]["median_seconds"] > 0
    assert set(res["summary"]["targets"]) == {f"{t}|{m}" for t in ("engine_vs_libreoffice", "engine_vs_floor",
                                                                    "linear_growth") for m in modes} | {"constant_round_trips"}
    prim = res["primitives"]
    assert prim["n"] == max(sizes) and [what for what, _ in prim["rows"]][0].startswith("numpy floor")
    assert all(sec > 0 for _, sec in prim["rows"])
    rt = res["roundtrips"]
    assert "rows" in rt or "unavailable" in rt
    for r in rt.get("rows", []):
        assert r["figures_agree_with_engine"] and r["actions"] > 0 and r["cell_by_cell_writes"] > 0


def test_quick_run_without_libreoffice(tmp_path):
    res = _run(tmp_path, "--no-libreoffice", "--sizes", "1000,3000", "--modes", "sheet_values",
               "--roundtrip-sizes", "500")
    _check_structure(res, [1000, 3000], ["sheet_values"])
    assert res["agreement_check"]["passed"] is None
    assert res["libreoffice"]["rows"] == []
    assert res["summary"]["targets"]["engine_vs_libreoffice|sheet_values"]["met"] is None


@requires_libreoffice
def test_quick_run_with_libreoffice(tmp_path):
    res = _run(tmp_path)
    sizes = res["config"]["sizes"]
    _check_structure(res, sizes, ["sheet_values", "typed_columns"])
    check = res["agreement_check"]
    assert check["passed"] is True and check["rel"] == 1e-9
    assert set(check["layouts"]) == {"sumproduct", "helper"}
    lo = res["libreoffice"]
    assert {(r["n"], r["layout"]) for r in lo["rows"]} == {(n, l) for n in sizes for l in ("sumproduct", "helper")}
    assert lo["chosen_layout"] in ("sumproduct", "helper")
    for r in lo["rows"]:
        assert r["calculate_seconds"] and r["load_seconds"] >= 0
    assert all(r["lo_kind"] == "measured" for r in res["summary"]["rows"])
    assert "LibreOffice" in (tmp_path / "RESULTS.md").read_text(encoding="utf-8")


def test_disagreement_aborts():
    sys.path.insert(0, str(ROOT))
    from benchmarks import run
    run.check({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 2.0 * (1 + 1e-12)}, "equal to 1e-9")
    with pytest.raises(run.Disagreement):
        run.check({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 2.0 * (1 + 1e-7)}, "differ")
    with pytest.raises(run.Disagreement):
        run.check({"a": 1.0}, {"a": 1.0, "extra": 0.0}, "a figure missing on one side")


def test_the_refresh_benchmarks_workbooks_and_old_path_are_what_they_claim():
    # benchmarks/refresh_bench.py: the synthetic workbook holds the register it was built from, and
    # the old openpyxl refresh (from git history) computes the same tables as the refresh now.
    from benchmarks import refresh_bench, synth
    from jobstatus_xl import workbook
    from jobstatus_xl.engine.pipeline import compute
    data = refresh_bench.synthetic_workbook(500)
    raw, settings = workbook.read_workbook_input(data)
    assert len(raw.forloeb.frame) == 500 and len(raw.fleksjob.frame) == 125
    assert set(raw.forloeb.frame["forvaltning"]) <= set(synth.UNITS)
    old = refresh_bench.old_workbook_module()
    _, old_result, _ = old.refresh_bytes(data, "x.xlsm")
    _, new_result, _ = workbook.refresh_bytes(data, "x.xlsm")
    assert old_result.tidy.equals(new_result.tidy) and new_result.tidy.equals(compute(raw, settings).tidy)
    md = refresh_bench.markdown({"command": "c", "date": "d", "git_commit": "g", "load_average_at_start": [1, 1, 1],
                                 "rows": [{"label": "x", "file_mib": 1.0, "new": {"seconds": 1.0, "cpu_seconds": 1.0},
                                           "old": {"seconds": 10.0, "cpu_seconds": 5.0}}]})
    assert "10.0× (5.0× CPU)" in md and md.startswith(refresh_bench.BEGIN)


def test_worksheet_function_benchmark_runs_and_writes_its_section(tmp_path):
    """`python -m benchmarks.udfs_bench` on a small register: its agreement check holds, the JSON has
    every measurement the section is made from, and the section lands between its markers in the
    RESULTS.md beside --out without touching the rest of the file."""
    out = tmp_path / "udfs_results.json"
    (tmp_path / "RESULTS.md").write_text("# Benchmark results\n\nkept\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for _ in range(2):      # a second run replaces the section, it does not add one
        proc = subprocess.run([sys.executable, "-m", "benchmarks.udfs_bench", "--sizes", "600", "--repeats", "1",
                               "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads(out.read_text(encoding="utf-8"))
    (size,) = res["sizes"]
    assert size["n"] == 600 and size["cells"] == 24
    for key in ("base_one_direct", "nocache_one_direct", "cached_24_direct", "cached_24_xlwings", "warm_24_direct",
                "sheet_56_xlwings", "statustabel_one_direct", "convert_officejs_ndim2", "convert_classic_ndim2",
                "convert_raw", "fingerprint"):
        assert size["rows"][key]["median_seconds"] > 0, key
    md = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert md.startswith("# Benchmark results\n\nkept\n")
    assert md.count("<!-- udfs_bench: begin -->") == 1 and md.count("<!-- udfs_bench: end -->") == 1

"""What touching each id once costs, beside the numpy floor: the bound the checks put on the engine.

    python -m benchmarks.primitives [--n 1000000] [--repeats 5]

The engine checks every distinct id for blanks, Excel error values, CPR numbers and stray spaces,
and needs an integer per person for copies, overlaps and the fleksjob headcount. With ids as
Python str objects (what Excel and every reader hands over) that is at least one pass of Python
over a million strings. This measures, in one process on the same register as `benchmarks.run`,
the cheapest such passes next to the floor (overlap days + bincount on typed int arrays), so the
ratio "engine ÷ floor" can be read against what no engine that checks ids can go below.
Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from . import floor, synth


def _median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(n: int, repeats: int) -> list[tuple[str, float]]:
    reg = synth.generate(n)
    arrays = floor.prepare(reg)
    ids = synth.ids(reg.person, "SYNT-P")                     # object array of str, one per forløb
    distinct = pd.unique(ids)                                 # the categories of a typed id column
    rows = [("numpy floor (overlap days + bincount, typed ints)",
             _median_seconds(lambda: floor.compute(arrays), repeats))]
    rows.append((f"hash() of each of {len(distinct):,} distinct ids",
                 _median_seconds(lambda: np.fromiter(map(hash, distinct), np.int64, len(distinct)), repeats)))
    rows.append((f"join the {len(distinct):,} distinct ids into one string (the bulk text scan's input)",
                 _median_seconds(lambda: "\x00".join(distinct), repeats)))
    rows.append((f"pd.factorize of the id column ({n:,} str objects)",
                 _median_seconds(lambda: pd.factorize(ids), repeats)))
    key = np.random.default_rng(1).integers(0, 1 << 52, n)
    rows.append((f"np.sort of {n:,} int64 keys (the copy/overlap check's core)",
                 _median_seconds(lambda: np.sort(key), repeats)))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    rows = measure(a.n, a.repeats)
    base = rows[0][1]
    print(f"| n = {a.n:,} | median seconds | ÷ floor |")
    print("|---|---|---|")
    for what, s in rows:
        print(f"| {what} | {s:.4f} | {s / base:.1f}× |")


if __name__ == "__main__":
    main()

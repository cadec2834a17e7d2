"""Finding the shared register: the exact content key (marshal, udfcache.fingerprint) against a cheap
candidate key followed by an exact verification against the stored columns, side by side.

    python -m benchmarks.udfkey_bench            # 100,000 forløb, four columns

Every call hands the worksheet function fresh objects (xlwings converts each call anew), so an exact
verification must visit every cell of the four columns, as marshal does: C-level list `==` against a
stored copy, plus a type scan where `==` would merge TRUE/1/1.0 and a check for 0.0 (which `==`
merges with -0.0). Prints the median milliseconds per call of each part and the ratio
(candidate + verification) / marshal, all measured in one run. Ratios above 1 mean the verification
is not cheaper than the exact key it would replace.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import marshal
import random
import statistics
import time

SAFE_TYPES = [{str, type(None)}, {float, type(None)}, {float, str, type(None)}]


def register(n: int, seed: int) -> tuple[list, ...]:
    """Forvaltning, ordning, start and slut as xlwings hands raw columns over: 1-element rows."""
    rnd = random.Random(seed)
    return ([[rnd.choice(["SOF", "BIF", "BUF", "KFF"])] for _ in range(n)],
            [[rnd.choice(["Løntilskud", "Virksomhedspraktik"])] for _ in range(n)],
            [[float(45000 + rnd.randrange(700))] for _ in range(n)],
            [[float(45300 + rnd.randrange(700)) if rnd.random() < .8 else None] for _ in range(n)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    stored = [[list(r) for r in c] for c in register(args.rows, 1)]   # what a cache entry would keep
    given = register(args.rows, 1)                                     # the same content, fresh objects

    def verify(cols) -> bool:
        for c, s in zip(cols, stored):
            flat = list(itertools.chain.from_iterable(c))
            t = set(map(type, flat))
            if len(c) != len(s) or not any(t <= ok for ok in SAFE_TYPES) or (float in t and 0.0 in flat):
                return False
            if c != s:
                return False
        return True

    parts = {
        "marshal key (today)": lambda cols: marshal.dumps(cols),
        "candidate key": lambda cols: marshal.dumps([(len(c), c[0], c[-1], c[::997]) for c in cols]),
        "list == alone": lambda cols: all(c == s for c, s in zip(cols, stored)),
        "type scan alone": lambda cols: [set(map(type, itertools.chain.from_iterable(c))) for c in cols],
        "verification (==, types, 0.0)": verify,
    }
    assert verify(given), "the verification must accept the same content"
    ms = {}
    for name, fn in parts.items():
        xs = []
        for _ in range(args.repeats):
            gc.disable()
            t0 = time.perf_counter()
            fn(given)
            xs.append(time.perf_counter() - t0)
            gc.enable()
        ms[name] = 1000 * statistics.median(xs)
        print(f"{name:32s} {ms[name]:7.2f} ms")
    ratio = (ms["candidate key"] + ms["verification (==, types, 0.0)"]) / ms["marshal key (today)"]
    print(f"(candidate + verification) / marshal: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

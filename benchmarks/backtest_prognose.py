"""Backtest of the year-end forecast (engine/prognose.py): forecast at 31 March, 30 June and
30 September, compared with the actual year-end status of the same register, per unit.

    python -m benchmarks.backtest_prognose [--seeds 5]

Two kinds of register:
- the bundled demo register (jobstatus_xl/data/demo): built backwards from the note's year-end
  figures, its starts fall steadily through 2024 (about 360 in January, 36 in December), so a
  constant start rate overshoots: the hard case;
- seeded synthetic registers with a steady start pattern: Poisson starts per forvaltning and
  scheme from January 2023, a summer dip (July at half rate) and a quieter December, scheme-typical
  durations, 10 % open-ended; fleksjob hires at a steady rate from 2010 with multi-year spells.

Per register, status date and unit (KK and the seven forvaltninger) it compares, for the group
(Samlet helårspersoner) and fleksjob, the forecast with the actual year-end status: the error in
percent of the actual figure, whether the actual lies inside [lav, høj], and the error in the
group's målopfyldelse in percentage points. `sikker` alone is shown for contrast. Prints a
Markdown table (the README's) to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import numpy as np
import pandas as pd

from jobstatus_xl.engine.pipeline import RawInput, Settings, Table, compute, demo_input
from jobstatus_xl.engine.prognose import forecast
from jobstatus_xl.engine.status import SAMLET

UNITS = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
UNIT_SHARES = np.array([56, 457, 39, 184, 205, 61, 82], dtype=float)    # as benchmarks/synth.py
SCHEMES = ["Virksomhedspraktik", "Løntilskud", "Småjob under det sociale frikort"]
SCHEME_SHARES = np.array([0.5, 0.35, 0.15])
SCHEME_DAYS = [(14, 91), (60, 365), (30, 730)]
SEASON = np.array([1.0, 1.0, 1.05, 1.0, 1.0, 0.9, 0.5, 0.9, 1.1, 1.05, 1.0, 0.7])   # by month
STATUS_DATES = [dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30)]
STARTS_PER_YEAR = 4000          # forløb starting per year in all of KK
HIRES_PER_YEAR = 120            # fleksjob spells starting per year


def seeded_register(seed: int) -> RawInput:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", "2025-03-31", freq="D")
    rate = STARTS_PER_YEAR / 365 * SEASON[days.month - 1]
    n_day = rng.poisson(rate)
    start = np.repeat(days.to_numpy().astype("datetime64[D]"), n_day)
    n = len(start)
    scheme = rng.choice(len(SCHEMES), size=n, p=SCHEME_SHARES)
    lo = np.array([a for a, _ in SCHEME_DAYS])[scheme]
    hi = np.array([b for _, b in SCHEME_DAYS])[scheme]
    dur = (lo + rng.random(n) * (hi - lo + 1)).astype(np.int64)
    end = start + (dur - 1).astype("timedelta64[D]")
    open_ = rng.random(n) < 0.10
    forloeb = pd.DataFrame({
        "id": [f"SYNT-P{i:06d}" for i in range(n)],
        "forvaltning": np.array(UNITS, dtype=object)[rng.choice(len(UNITS), size=n, p=UNIT_SHARES / UNIT_SHARES.sum())],
        "ordning": np.array(SCHEMES, dtype=object)[scheme],
        "start": pd.to_datetime(start).strftime("%Y-%m-%d"),
        "slut": np.where(open_, "", pd.to_datetime(end).strftime("%Y-%m-%d")),
        "timer_pr_uge": "",
    }, dtype=object)
    fdays = pd.date_range("2010-01-01", "2025-03-31", freq="D")
    f_n = rng.poisson(np.full(len(fdays), HIRES_PER_YEAR / 365))
    f_start = np.repeat(fdays.to_numpy().astype("datetime64[D]"), f_n)
    m = len(f_start)
    f_end = f_start + rng.integers(60, 8 * 365, size=m).astype("timedelta64[D]")
    fleksjob = pd.DataFrame({
        "id": [f"SYNT-F{i:06d}" for i in range(m)],
        "forvaltning": np.array(UNITS, dtype=object)[rng.choice(len(UNITS), size=m)],
        "start": pd.to_datetime(f_start).strftime("%Y-%m-%d"),
        "slut": np.where(rng.random(m) < 0.3, "", pd.to_datetime(f_end).strftime("%Y-%m-%d")),
    }, dtype=object)
    return RawInput(Table(forloeb, "forloeb.csv"), Table(fleksjob, "fleksjob.csv"))


def backtest(raw: RawInput, name: str) -> list[dict]:
    actual = compute(raw, Settings(2024)).tidy.set_index(["enhed", "linje"])
    rows = []
    for pr in STATUS_DATES:
        t = forecast(raw, Settings(2024), pr).table.set_index(["enhed", "linje"])
        for unit in ["KK"] + UNITS:
            for line in (SAMLET, "Fleksjob"):
                a = actual.loc[(unit, line), "status"]
                f = t.loc[(unit, line)]
                rows.append({"register": name, "pr": pr, "enhed": unit, "linje": line, "actual": a,
                             "prognose": f["prognose_aarsstatus"], "sikker": f["sikker_aarsstatus"],
                             "lav": f["prognose_lav"], "hoej": f["prognose_hoej"], "maaltal": f["maaltal"]})
    return rows


def summary(rows: list[dict]) -> pd.DataFrame:
    d = pd.DataFrame(rows)
    d = d[d["actual"] > 0]
    d["err_pct"] = 100 * (d["prognose"] - d["actual"]) / d["actual"]
    d["sikker_pct"] = 100 * (d["sikker"] - d["actual"]) / d["actual"]
    d["inside"] = (d["lav"] <= d["actual"] + 1e-9) & (d["actual"] <= d["hoej"] + 1e-9)
    d["pp"] = 100 * (d["prognose"] - d["actual"]) / d["maaltal"]
    d["kk"] = d["err_pct"].where(d["enhed"] == "KK")
    out = d.groupby(["register", "linje", "pr"], sort=False).agg(
        enheder=("enhed", "size"),
        mean_err=("err_pct", "mean"),
        mean_abs_err=("err_pct", lambda x: x.abs().mean()),
        max_abs_err=("err_pct", lambda x: x.abs().max()),
        kk_err=("kk", "mean"),           # KK's error, averaged over the registers
        sikker_mean=("sikker_pct", "mean"),
        inside=("inside", "mean"),
        mean_abs_pp=("pp", lambda x: x.abs().mean()),
    ).reset_index()
    return out


def markdown(s: pd.DataFrame) -> str:
    head = ("| register | linje | opgjort pr. | enheder | gns. fejl | gns. abs. fejl | max abs. fejl "
            "| KK fejl (gns.) | sikker (gns.) | faktisk i [lav; høj] | gns. abs. fejl i målopfyldelse |")
    lines = [head, "|" + "---|" * 11]
    for r in s.itertuples(index=False):
        lines.append(f"| {r.register} | {r.linje} | {r.pr:%d-%m} | {r.enheder} | {r.mean_err:+.1f} % | "
                     f"{r.mean_abs_err:.1f} % | {r.max_abs_err:.1f} % | {r.kk_err:+.1f} % | {r.sikker_mean:+.1f} % | "
                     f"{100 * r.inside:.0f} % | {r.mean_abs_pp:.1f} pp |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5, help="number of seeded synthetic registers (seeds 1..N)")
    args = p.parse_args(argv)
    rows = backtest(demo_input(), "demo")
    for seed in range(1, args.seeds + 1):
        rows += backtest(seeded_register(seed), f"syntetisk ({args.seeds} frø)")
    sys.stdout.write(markdown(summary(rows)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

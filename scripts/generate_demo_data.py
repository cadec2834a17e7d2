#!/usr/bin/env python3
"""Generate the synthetic 2024 demo register in jobstatus_xl/data/demo/.

    python scripts/generate_demo_data.py

The register is made up from scratch (seeded numpy, no real person behind any row) so that the
engine, computing on it, reproduces the figures of the published 2024 status note (tables 3-9 and
table 1) exactly as printed. Running the script twice writes byte-identical files.

It works in three steps:

1. Choose, per (forvaltning, scheme) cell, an integer number of days D inside 2024. Every
   published figure that depends on the register is a function of these 21 integers
   (helårspersoner = D / 366), and several printed figures only agree with each other near the
   edges of their rounding intervals, so a small deterministic search picks D as far from every
   rounding boundary as it can.
2. Build forløb: exactly the published number of forløb per cell overlapping 2024, whose days
   inside 2024 add up to exactly D, plus forløb entirely in 2023 or 2025 that must not count.
   Fleksjob: exactly the published number of people employed in December 2024 per forvaltning,
   plus people who left earlier.
3. Re-read the written CSV files and recompute every figure with plain datetime and exact
   fractions, independently of steps 1-2; any mismatch raises.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "jobstatus_xl" / "data" / "demo"
YEARS_DIR = ROOT / "jobstatus_xl" / "data" / "years"
REFERENCE_DIR = ROOT / "tests" / "data" / "reference"
FORLOEB_CSV = DEMO_DIR / "forloeb.csv"
FLEKSJOB_CSV = DEMO_DIR / "fleksjob.csv"

SEED = 20240101
YEAR = 2024
P0 = dt.date(YEAR, 1, 1)
P1 = dt.date(YEAR, 12, 31)
DAYS = (P1 - P0).days + 1  # 366: 2024 is a leap year
DECEMBER = (dt.date(YEAR, 12, 1), P1)  # fleksjob is a headcount in the period's last month

LOENTILSKUD = "Løntilskud"
PRAKTIK = "Virksomhedspraktik"
SMAAJOB = "Småjob under det sociale frikort"

FORLOEB_HEADER = ["id", "forvaltning", "ordning", "start", "slut", "timer_pr_uge"]
FLEKSJOB_HEADER = ["id", "forvaltning", "start", "slut"]

# Printed figures that no register can reproduce; the self-check skips exactly these.
KNOWN_MISPRINTS = {
    # Table 9 prints 174 forløb in total, but its own rows are 51 + 198 + 4 = 253.
    # 174 is table 8's (TMF's) total, evidently copied.
    ("ØKF", "antal_forloeb_i_alt"),
}

# The search keeps every unrounded figure at least this far from a rounding boundary if it can.
WANTED_MARGIN = 0.05


@dataclass(frozen=True)
class SchemeProfile:
    """What a realistic forløb of a scheme looks like (durations in days)."""

    weight_low: int  # typical days inside 2024, used as relative weights when splitting D
    weight_high: int
    min_total: int  # a forløb shorter than this in total must continue outside 2024
    total_low: int  # typical full duration, used for the part outside 2024
    total_high: int
    cross_share: float  # share of forløb crossing a year boundary when they need not
    running_share: float  # share of forløb crossing into 2025 that are still running (blank slut)


PROFILES = {
    # Work placements: mostly 2-13 weeks. Where a forvaltning's published figures need longer
    # placements on average (SOF: 153 helårspersoner from 544 forløb, 103 days each), splitting
    # D in proportion to these weights stretches them, to at most about 26 weeks.
    PRAKTIK: SchemeProfile(14, 91, 14, 14, 91, 0.15, 0.30),
    # Wage-subsidised jobs: 3-12 months.
    LOENTILSKUD: SchemeProfile(91, 365, 91, 91, 365, 0.45, 0.40),
    # Small jobs under the social free card run long: 6-24 months, often still running.
    SMAAJOB: SchemeProfile(120, 366, 182, 182, 730, 0.70, 0.60),
}


# --------------------------------------------------------------------------------------------
# Published figures and year data
# --------------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Published:
    """The 2024 figures the register must reproduce, with the targets and weights in force."""

    forvaltninger: list[str]
    schemes: list[str]  # the helårspersoner group, in the note's row order
    cell_status: dict[tuple[str, str], int]
    cell_antal: dict[tuple[str, str], int]
    kk_status: dict[str, int]
    kk_antal: dict[str, int]
    totals: dict[str, dict[str, int]]  # per unit (forvaltninger and KK), from published_totals.csv
    fleksjob: dict[str, int]  # F_f: employees in December per forvaltning
    target: dict[str, int]  # T_f, helårspersoner group
    target_fleksjob: dict[str, int]  # TF_f
    weight_group: Fraction
    weight_fleksjob: Fraction


def load_published() -> Published:
    forvaltninger = [r["kode"] for r in read_csv(ROOT / "jobstatus_xl" / "data" / "forvaltninger.csv")]
    year = str(YEAR)
    schemes = [r["ordning"] for r in read_csv(YEARS_DIR / "ordninger.csv")
               if r["aar"] == year and r["maaling"] == "helaarspersoner"]
    cell_status, cell_antal, kk_status, kk_antal, fleksjob = {}, {}, {}, {}, {}
    for r in read_csv(REFERENCE_DIR / "published_rows.csv"):
        if r["aar"] != year:
            continue
        if r["ordning"] == "Fleksjob":
            if r["enhed"] != "KK":
                fleksjob[r["enhed"]] = int(r["status"])
        elif r["enhed"] == "KK":
            kk_status[r["ordning"]] = int(r["status"])
            kk_antal[r["ordning"]] = int(r["antal_forloeb"])
        else:
            cell_status[r["enhed"], r["ordning"]] = int(r["status"])
            cell_antal[r["enhed"], r["ordning"]] = int(r["antal_forloeb"])
    int_columns = ["samlet_status", "samlet_maaltal", "maalopfyldelse_pct", "antal_forloeb_i_alt",
                   "fleksjob_status", "fleksjob_maaltal", "fleksjob_pct", "samlet_maalopfyldelse_pct"]
    totals = {r["enhed"]: {c: int(r[c]) for c in int_columns}
              for r in read_csv(REFERENCE_DIR / "published_totals.csv") if r["aar"] == year}
    target, target_fleksjob = {}, {}
    for r in read_csv(YEARS_DIR / "maaltal.csv"):
        if r["aar"] == year:
            target[r["enhed"]] = int(r["maaltal_gruppe"])
            target_fleksjob[r["enhed"]] = int(r["maaltal_fleksjob"])
    (weights,) = [r for r in read_csv(YEARS_DIR / "vaegte.csv") if r["aar"] == year]
    missing = set(schemes) - set(PROFILES)
    if missing:
        raise SystemExit(f"No realism profile for scheme(s) {sorted(missing)}: add one to PROFILES.")
    return Published(forvaltninger, schemes, cell_status, cell_antal, kk_status, kk_antal, totals,
                     fleksjob, target, target_fleksjob,
                     Fraction(weights["vaegt_gruppe"]), Fraction(weights["vaegt_fleksjob"]))


# --------------------------------------------------------------------------------------------
# Step 1: day totals per cell
# --------------------------------------------------------------------------------------------


class FigureModel:
    """Every published figure that depends on the day totals, as a function of the 7 x 3 matrix D.

    Vectorised because the search evaluates it a few hundred thousand times.
    """

    def __init__(self, pub: Published):
        fs, os_ = pub.forvaltninger, pub.schemes
        self.T = np.array([pub.target[f] for f in fs], float)
        self.TF = np.array([pub.target_fleksjob[f] for f in fs], float)
        self.F = np.array([pub.fleksjob[f] for f in fs], float)
        self.wg, self.wf = float(pub.weight_group), float(pub.weight_fleksjob)
        self.kk_fleksjob_target_printed = pub.totals["KK"]["fleksjob_maaltal"]
        labels, printed = [], []
        for f in fs:
            for o in os_:
                labels.append(f"{f} {o} helårspersoner")
                printed.append(pub.cell_status[f, o])
        for key, what in [("samlet_status", "samlet status"), ("maalopfyldelse_pct", "pct"),
                          ("samlet_maalopfyldelse_pct", "vægtet pct")]:
            for f in fs:
                labels.append(f"{f} {what}")
                printed.append(pub.totals[f][key])
        for o in os_:
            labels.append(f"KK {o} helårspersoner")
            printed.append(pub.kk_status[o])
        kk = pub.totals["KK"]
        labels += ["KK samlet status", "KK pct", "KK vægtet pct (fleksjobmåltal = sum)",
                   f"KK vægtet pct (fleksjobmåltal = {self.kk_fleksjob_target_printed}, trykt)"]
        printed += [kk["samlet_status"], kk["maalopfyldelse_pct"], kk["samlet_maalopfyldelse_pct"],
                    kk["samlet_maalopfyldelse_pct"]]
        self.labels = labels
        self.printed = np.array(printed, float)

    def values(self, D: np.ndarray) -> np.ndarray:
        h = D / DAYS
        S = h.sum(axis=1)
        weighted = 100 * (self.wg * S / self.T + self.wf * self.F / self.TF)
        kk_s = S.sum()
        kk_attainment = kk_s / self.T.sum()
        kk_weighted_sum = 100 * (self.wg * kk_attainment + self.wf * self.F.sum() / self.TF.sum())
        kk_weighted_printed = 100 * (self.wg * kk_attainment
                                     + self.wf * self.F.sum() / self.kk_fleksjob_target_printed)
        return np.concatenate([h.ravel(), S, 100 * S / self.T, weighted, h.sum(axis=0),
                               [kk_s, 100 * kk_attainment, kk_weighted_sum, kk_weighted_printed]])

    def margins(self, D: np.ndarray) -> np.ndarray:
        """Distance of each unrounded figure from the edge of its printed value's rounding
        interval [printed - 0.5, printed + 0.5); negative means it rounds to something else."""
        return 0.5 - np.abs(self.values(D) - self.printed)


def leximin_key(margins: np.ndarray) -> tuple[float, ...]:
    # Rounded so that float noise in the last bits cannot change which move wins.
    return tuple(np.round(np.sort(margins), 9))


def choose_day_totals(pub: Published) -> np.ndarray:
    """A small deterministic local search for the 7 x 3 integer day totals D.

    Maximises the margins leximin-style (first the smallest margin, then the next smallest, ...).
    Moves: one cell up or down, or days moved from one cell to another (needed when a forvaltning
    total is right but a scheme's KK total is not), with step sizes from coarse to fine.
    """
    model = FigureModel(pub)
    fs, os_ = pub.forvaltninger, pub.schemes
    D = np.array([[pub.cell_status[f, o] * DAYS for o in os_] for f in fs], dtype=np.int64)
    n_cells = D.size
    unit = np.eye(n_cells, dtype=np.int64).reshape(n_cells, *D.shape)
    directions = [unit[i] for i in range(n_cells)] + [-unit[i] for i in range(n_cells)]
    directions += [unit[i] - unit[j] for i in range(n_cells) for j in range(n_cells) if i != j]
    best = leximin_key(model.margins(D))
    for step in (128, 32, 8, 2, 1):
        while True:
            candidates = [(leximin_key(model.margins(D + step * d)), k) for k, d in enumerate(directions)]
            key, k = max(candidates, key=lambda c: c[0])  # first of equals: deterministic
            if key <= best:
                break
            D, best = D + step * directions[k], key
    return D


def print_day_totals(pub: Published, D: np.ndarray) -> None:
    model = FigureModel(pub)
    fs, os_ = pub.forvaltninger, pub.schemes
    print("Chosen day totals D (days inside 2024) and helårspersoner h = D/366:")
    print(f"  {'':4} " + " | ".join(f"{o[:18]:>26}" for o in os_) + " |  S_f       pct_f    vægtet")
    for i, f in enumerate(fs):
        cells = " | ".join(f"{D[i, j]:6d} d {D[i, j] / DAYS:8.4f} ({pub.cell_status[f, o]:3d})"
                           for j, o in enumerate(os_))
        S = D[i].sum() / DAYS
        pct = 100 * S / model.T[i]
        weighted = 100 * (model.wg * S / model.T[i] + model.wf * model.F[i] / model.TF[i])
        print(f"  {f:4} {cells} | {S:8.4f} {pct:8.3f} {weighted:8.3f}")
    kk = D.sum(axis=0) / DAYS
    S = D.sum() / DAYS
    print(f"  {'KK':4} " + " | ".join(f"{D[:, j].sum():6d} d {kk[j]:8.4f} ({pub.kk_status[o]:3d})"
                                      for j, o in enumerate(os_))
          + f" | {S:8.4f} {100 * S / model.T.sum():8.3f}")
    margins = model.margins(D)
    order = np.argsort(margins, kind="stable")[:5]
    print("  Smallest margins to a rounding boundary: "
          + "; ".join(f"{model.labels[k]} {margins[k]:.3f}" for k in order))
    if margins.min() < WANTED_MARGIN:
        # Not a failure: the search maximises the smallest margin, so the published figures leave
        # no more room. (ØKF: samlet status 45 and 85 pct weighted need 45.4727 <= S < 45.5.)
        print(f"  NOTE: smallest margin {margins.min():.3f} is below the wanted {WANTED_MARGIN}: "
              "the published figures leave no more room there.")


# --------------------------------------------------------------------------------------------
# Step 2: forløb and fleksjob spells
# --------------------------------------------------------------------------------------------


@dataclass
class Forloeb:
    forvaltning: str
    ordning: str
    start: dt.date
    slut: dt.date | None  # None: still running
    timer_pr_uge: int
    person: int = -1


def days(n) -> dt.timedelta:
    return dt.timedelta(days=int(n))


def allocate_days(weights: np.ndarray, total: int) -> np.ndarray:
    """Split `total` days over forløb roughly in proportion to `weights`: integers in 1..366
    summing to exactly `total`. Forløb whose share would exceed the year are capped at the
    whole year and the rest is spread over the others."""
    n = len(weights)
    if not n <= total <= DAYS * n:
        raise ValueError(f"cannot place {total} days on {n} forløb")
    capped = np.zeros(n, bool)
    while True:
        free_days = total - DAYS * capped.sum()
        share = np.where(capped, DAYS, weights / weights[~capped].sum() * free_days)
        newly = (share > DAYS) & ~capped
        if not newly.any():
            break
        capped |= newly
    share = np.clip(share, 1, DAYS)
    d = np.floor(share).astype(np.int64)
    # Hand out the days lost to flooring (or take back those added by the lower clip) one by one.
    diff = total - d.sum()
    order = np.argsort(-(share - d), kind="stable") if diff > 0 else np.argsort(-d, kind="stable")
    i = 0
    while diff != 0:
        j = order[i % n]
        if diff > 0 and d[j] < DAYS:
            d[j] += 1
            diff -= 1
        elif diff < 0 and d[j] > 1:
            d[j] -= 1
            diff += 1
        i += 1
    return d


def draw_weights(profile: SchemeProfile, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(profile.weight_low, profile.weight_high + 1, size=n).astype(float)


def draw_hours(ordning: str, rng: np.random.Generator) -> int:
    if ordning == SMAAJOB:  # a few hours a week, to stay under the free card's earnings cap
        return int(rng.integers(4, 16))
    if ordning == LOENTILSKUD:
        return int(rng.choice([37, 30, 25, 32], p=[0.60, 0.28, 0.06, 0.06]))
    return int(rng.choice([15, 20, 25, 30, 37], p=[0.15, 0.25, 0.20, 0.15, 0.25]))


def place(d: int, ordning: str, rng: np.random.Generator, mode: str | None = None) -> tuple[dt.date, dt.date | None]:
    """Start and end of a forløb with exactly d days inside 2024.

    mode forces the shape: "in" (starts in 2023, ends inside 2024) or "out" (starts inside 2024,
    continues into 2025). Otherwise the shape is drawn from the scheme's profile.
    """
    p = PROFILES[ordning]
    total = int(rng.integers(p.total_low, p.total_high + 1))
    if d == DAYS:  # the whole year: started before it, ended after it or still running
        before = int(rng.integers(0, max(total - DAYS, 0) + 31))
        after = int(rng.integers(0, max(total - DAYS - before, 0) + 31))
        running = rng.random() < p.running_share
        return P0 - days(before), None if running else P1 + days(after)
    if mode is None:
        must_cross = d < p.min_total
        if not must_cross and (total <= d or rng.random() >= p.cross_share):
            start = P0 + days(rng.integers(0, DAYS - d + 1))
            return start, start + days(d - 1)
        mode = "in" if rng.random() < 0.5 else "out"
    outside = max(total - d, 1)
    if mode == "in":
        return P0 - days(outside), P0 + days(d - 1)
    start = P1 - days(d - 1)
    # A placement still running is only plausible if it began recently.
    running = rng.random() < p.running_share and (ordning != PRAKTIK or d <= 31)
    return start, None if running else P1 + days(outside)


def place_outside(ordning: str, year: int, first: bool, rng: np.random.Generator) -> tuple[dt.date, dt.date | None]:
    """A forløb entirely in 2023 or entirely in 2025: in the register, but not in the 2024 figures.
    The first of each kind sits on the boundary (ends 2023-12-31 / starts 2025-01-01)."""
    p = PROFILES[ordning]
    total = int(rng.integers(p.total_low, p.total_high + 1))
    if year == YEAR - 1:
        slut = P0 - days(1 if first else rng.integers(1, 300))
        return slut - days(total - 1), slut
    start = P1 + days(1 if first else rng.integers(1, 60))
    running = rng.random() < p.running_share
    return start, None if running else start + days(total - 1)


def build_forloeb(pub: Published, D: np.ndarray, rng: np.random.Generator) -> list[Forloeb]:
    out: list[Forloeb] = []
    for i, f in enumerate(pub.forvaltninger):
        for j, o in enumerate(pub.schemes):
            n = pub.cell_antal[f, o]
            weights = draw_weights(PROFILES[o], n, rng)
            modes: list[str | None] = [None] * n
            if o == PRAKTIK and n >= 100:
                # Boundary cases for the period filter: one ends on 1 January, one starts on
                # 31 December; each has exactly one day inside 2024.
                modes[0], modes[1] = "in", "out"
                d = np.concatenate([[1, 1], allocate_days(weights[2:], int(D[i, j]) - 2)])
            else:
                d = allocate_days(weights, int(D[i, j]))
            for k in range(n):
                start, slut = place(int(d[k]), o, rng, modes[k])
                out.append(Forloeb(f, o, start, slut, draw_hours(o, rng)))
            # About 6 % extra forløb outside the year, half in 2023 and half in 2025.
            n_outside = max(2, round(0.06 * n))
            for k in range(n_outside):
                year = YEAR - 1 if k % 2 == 0 else YEAR + 1
                start, slut = place_outside(o, year, first=k < 2, rng=rng)
                out.append(Forloeb(f, o, start, slut, draw_hours(o, rng)))
    return out


def assign_persons(forloeb: list[Forloeb], rng: np.random.Generator) -> None:
    """Pseudonymous person numbers. Most people have one forløb; some go from a work placement to
    a wage-subsidised job, or to a second placement, at the same forvaltning. Every person's
    forløb are strictly one after the other, so no one has overlapping forløb in a scheme."""
    practices = defaultdict(list)
    for idx, fl in enumerate(forloeb):
        if fl.ordning == PRAKTIK and fl.slut is not None:
            practices[fl.forvaltning].append(idx)
    successor: dict[int, int] = {}
    has_predecessor: set[int] = set()
    for idx, fl in enumerate(forloeb):
        share = {LOENTILSKUD: 0.35, PRAKTIK: 0.08}.get(fl.ordning, 0.0)
        if rng.random() >= share:
            continue
        candidates = [p for p in practices[fl.forvaltning]
                      if p not in successor and 1 <= (fl.start - forloeb[p].slut).days <= 60]
        if candidates:
            p = candidates[int(rng.integers(len(candidates)))]
            successor[p] = idx
            has_predecessor.add(idx)
    heads = [idx for idx in range(len(forloeb)) if idx not in has_predecessor]
    for number, pos in enumerate(rng.permutation(len(heads)), start=1):
        idx = heads[pos]
        while True:
            forloeb[idx].person = number
            if idx not in successor:
                break
            idx = successor[idx]


def random_date(first: dt.date, last: dt.date, rng: np.random.Generator) -> dt.date:
    return first + days(rng.integers(0, (last - first).days + 1))


def build_fleksjob(pub: Published, rng: np.random.Generator) -> list[tuple[int, str, dt.date, dt.date | None]]:
    """Fleksjob employment spells: (person, forvaltning, start, slut).

    Per forvaltning exactly F_f people are employed in December 2024, in a mix of shapes that
    exercise the headcount rule; others left before December and must not count.
    """
    dec0, dec1 = DECEMBER
    spells = []
    person = 0
    fs = pub.forvaltninger
    for i, f in enumerate(fs):
        F = pub.fleksjob[f]
        n_renewed = max(1, F // 60)  # two spells in December at the same place: counted once
        n_moved = max(1, F // 40)  # came from another forvaltning during 2024: counted here only
        n_new = max(1, F // 50)  # started in December
        n_ending = max(1, F // 25)  # employed in December, but slut is set (December or 2025)
        n_long = F - n_renewed - n_moved - n_new - n_ending
        for k in range(n_long):
            person += 1
            spells.append((person, f, random_date(dt.date(2005, 1, 1), dt.date(2024, 11, 30), rng), None))
        for k in range(n_renewed):
            person += 1
            start = random_date(dt.date(2015, 1, 1), dt.date(2023, 12, 31), rng)
            first_end = random_date(dec0, dt.date(2024, 12, 15), rng)
            spells.append((person, f, start, first_end))
            spells.append((person, f, first_end + days(rng.integers(1, 6)), None))
        for k in range(n_moved):
            person += 1
            other = fs[(i + 1 + k) % len(fs)]
            left = dt.date(2024, 11, 30) if k == 0 else random_date(dt.date(2024, 2, 1), dt.date(2024, 10, 31), rng)
            spells.append((person, other, random_date(dt.date(2012, 1, 1), dt.date(2022, 12, 31), rng), left))
            spells.append((person, f, left + days(rng.integers(1, 30)), None))
        for k in range(n_new):
            person += 1
            start = P1 if k == 0 else random_date(dec0, P1, rng)
            spells.append((person, f, start, None))
        for k in range(n_ending):
            person += 1
            slut = dec0 if k == 0 else random_date(dec0, dt.date(2025, 6, 30), rng)
            spells.append((person, f, random_date(dt.date(2010, 1, 1), dt.date(2024, 6, 30), rng), slut))
        # Not counted: left during 2024 before December, left in 2023, or starts in 2025.
        n_gone = max(3, round(0.12 * F))
        for k in range(n_gone):
            person += 1
            kind = k % 3
            if kind == 0:
                slut = dt.date(2024, 11, 30) if k == 0 else random_date(P0, dt.date(2024, 11, 29), rng)
            elif kind == 1:
                slut = random_date(dt.date(2023, 1, 1), dt.date(2023, 12, 31), rng)
            else:
                start = dt.date(2025, 1, 1) if k == 2 else random_date(dt.date(2025, 1, 1), dt.date(2025, 2, 28), rng)
                spells.append((person, f, start, None))
                continue
            spells.append((person, f, random_date(dt.date(2008, 1, 1), slut - days(60), rng), slut))
    # Person numbers in random order, so that the number says nothing about the forvaltning.
    renumber = {old: new for new, old in enumerate(rng.permutation(person) + 1, start=1)}
    return [(renumber[p], f, s, e) for p, f, s, e in spells]


def iso(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


def write_files(forloeb: list[Forloeb], fleksjob) -> None:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    rows = sorted(forloeb, key=lambda r: (r.person, r.start, r.ordning, r.forvaltning))
    with FORLOEB_CSV.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FORLOEB_HEADER)
        for r in rows:
            w.writerow([f"DEMO-P{r.person:06d}", r.forvaltning, r.ordning, iso(r.start), iso(r.slut), r.timer_pr_uge])
    with FLEKSJOB_CSV.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FLEKSJOB_HEADER)
        for p, f, s, e in sorted(fleksjob, key=lambda r: (r[0], r[2])):
            w.writerow([f"DEMO-F{p:06d}", f, iso(s), iso(e)])


# --------------------------------------------------------------------------------------------
# Step 3: independent self-check from the written files
# --------------------------------------------------------------------------------------------


class SelfCheckFailed(Exception):
    pass


def R(x: Fraction) -> int:
    """Round half away from zero, exactly (x is a Fraction), like Excel's ROUND."""
    half = Fraction(1, 2)
    return int(x + half) // 1 if x >= 0 else -((-x + half) // 1)


def self_check() -> str:
    """Recompute every constrained figure from the CSV files on disk and compare with the note.

    Deliberately shares nothing with the generator but the file locations: plain csv, datetime
    and exact fractions, one forløb at a time. Raises SelfCheckFailed listing every failure.
    """
    failures: list[str] = []

    def expect(what: str, got, want) -> None:
        if got != want:
            failures.append(f"{what}: got {got}, want {want}")

    # The expected figures, read again from the reference copies and the year data.
    rows = [r for r in read_csv(REFERENCE_DIR / "published_rows.csv") if r["aar"] == "2024"]
    totals = {r["enhed"]: r for r in read_csv(REFERENCE_DIR / "published_totals.csv") if r["aar"] == "2024"}
    targets = {r["enhed"]: (int(r["maaltal_gruppe"]), int(r["maaltal_fleksjob"]))
               for r in read_csv(YEARS_DIR / "maaltal.csv") if r["aar"] == "2024"}
    (w,) = [r for r in read_csv(YEARS_DIR / "vaegte.csv") if r["aar"] == "2024"]
    wg, wf = Fraction(w["vaegt_gruppe"]), Fraction(w["vaegt_fleksjob"])
    units = list(targets)
    schemes = [r["ordning"] for r in rows if r["enhed"] == "KK" and r["ordning"] != "Fleksjob"]
    start_2024, end_2024, dec_1 = dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2024, 12, 1)

    def parse_date(text: str, where: str) -> dt.date | None:
        if text == "":
            return None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            failures.append(f"{where}: date {text!r} is not YYYY-MM-DD")
            return None
        return dt.date.fromisoformat(text)

    cpr_like = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")

    # --- forløb ---
    with FORLOEB_CSV.open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    expect("forloeb.csv header", lines[0], FORLOEB_HEADER)
    day_sum: dict[tuple[str, str], int] = defaultdict(int)
    count: dict[tuple[str, str], int] = defaultdict(int)
    seen_rows = set()
    by_person_scheme = defaultdict(list)
    n_before = n_after = n_running = 0
    for n, line in enumerate(lines[1:], start=2):
        where = f"forloeb.csv line {n}"
        if len(line) != len(FORLOEB_HEADER):
            failures.append(f"{where}: {len(line)} fields")
            continue
        pid, unit, scheme, start_txt, slut_txt, hours_txt = line
        if not re.fullmatch(r"DEMO-P\d{6}", pid) or any(cpr_like.search(v) for v in line):
            failures.append(f"{where}: id or field could be taken for a CPR number: {line}")
        if tuple(line) in seen_rows:
            failures.append(f"{where}: exact duplicate row")
        seen_rows.add(tuple(line))
        if unit not in targets:
            failures.append(f"{where}: unknown forvaltning {unit!r}")
        if scheme not in schemes:
            failures.append(f"{where}: unknown ordning {scheme!r}")
        start = parse_date(start_txt, where)
        slut = parse_date(slut_txt, where)
        if start is None:
            failures.append(f"{where}: start missing")
            continue
        if slut is not None and slut < start:
            failures.append(f"{where}: slut before start")
        hours = float(hours_txt)
        plausible = {"Småjob under det sociale frikort": (4, 15), "Løntilskud": (15, 37),
                     "Virksomhedspraktik": (15, 37)}.get(scheme, (1, 37))
        if not plausible[0] <= hours <= plausible[1]:
            failures.append(f"{where}: {hours} hours a week is implausible for {scheme}")
        by_person_scheme[pid, scheme].append((start, slut))
        n_running += slut is None
        # The period filter, exactly as defined: start <= 31 Dec and (no slut or slut >= 1 Jan).
        if start <= end_2024 and (slut is None or slut >= start_2024):
            last = end_2024 if slut is None else min(slut, end_2024)
            inside = (last - max(start, start_2024)).days + 1
            if not 1 <= inside <= 366:
                failures.append(f"{where}: {inside} days inside 2024")
            day_sum[unit, scheme] += inside
            count[unit, scheme] += 1
        elif start > end_2024:
            n_after += 1
        else:
            n_before += 1
    for (pid, scheme), spells in by_person_scheme.items():
        spells.sort()
        for (s1, e1), (s2, _) in zip(spells, spells[1:]):
            if e1 is None or e1 >= s2:
                failures.append(f"{pid} has overlapping {scheme} forløb starting {s1} and {s2}")
    forloeb_per_person = defaultdict(int)
    for (pid, _), spells in by_person_scheme.items():
        forloeb_per_person[pid] += len(spells)
    persons_with_several = sum(1 for v in forloeb_per_person.values() if v > 1)
    if not (n_before and n_after and n_running and persons_with_several):
        failures.append("register lacks forløb outside 2024, still-running forløb or people with several forløb")

    # --- fleksjob ---
    with FLEKSJOB_CSV.open(encoding="utf-8", newline="") as fh:
        flines = list(csv.reader(fh))
    expect("fleksjob.csv header", flines[0], FLEKSJOB_HEADER)
    december: dict[str, set[str]] = defaultdict(set)
    spells_of = defaultdict(list)
    n_not_counted = 0
    for n, line in enumerate(flines[1:], start=2):
        where = f"fleksjob.csv line {n}"
        if len(line) != len(FLEKSJOB_HEADER):
            failures.append(f"{where}: {len(line)} fields")
            continue
        pid, unit, start_txt, slut_txt = line
        if not re.fullmatch(r"DEMO-F\d{6}", pid) or any(cpr_like.search(v) for v in line):
            failures.append(f"{where}: id or field could be taken for a CPR number: {line}")
        if unit not in targets:
            failures.append(f"{where}: unknown forvaltning {unit!r}")
        start, slut = parse_date(start_txt, where), parse_date(slut_txt, where)
        if start is None:
            failures.append(f"{where}: start missing")
            continue
        if slut is not None and slut < start:
            failures.append(f"{where}: slut before start")
        spells_of[pid].append((start, slut))
        if start <= end_2024 and (slut is None or slut >= dec_1):
            december[unit].add(pid)
        else:
            n_not_counted += 1
    for pid, spells in spells_of.items():
        spells.sort()
        for (s1, e1), (s2, _) in zip(spells, spells[1:]):
            if e1 is None or e1 >= s2:
                failures.append(f"{pid} has overlapping fleksjob spells starting {s1} and {s2}")
    if not n_not_counted:
        failures.append("fleksjob register lacks spells outside December 2024")

    # --- the published figures ---
    h = {cell: Fraction(d, 366) for cell, d in day_sum.items()}
    for r in rows:
        unit, scheme = r["enhed"], r["ordning"]
        if unit == "KK" or scheme == "Fleksjob":
            continue
        expect(f"{unit} {scheme} antal forløb", count[unit, scheme], int(r["antal_forloeb"]))
        expect(f"{unit} {scheme} helårspersoner", R(h.get((unit, scheme), Fraction(0))), int(r["status"]))
    fleksjob_rows = {r["enhed"]: int(r["status"]) for r in rows if r["ordning"] == "Fleksjob"}
    S = {u: sum((h.get((u, s), Fraction(0)) for s in schemes), Fraction(0)) for u in units}
    F = {u: len(december[u]) for u in units}
    for u in units:
        t = totals[u]
        T, TF = targets[u]
        expect(f"{u} måltal", (int(t["samlet_maaltal"]), int(t["fleksjob_maaltal"])), (T, TF))
        expect(f"{u} samlet status", R(S[u]), int(t["samlet_status"]))
        expect(f"{u} målopfyldelse pct", R(100 * S[u] / T), int(t["maalopfyldelse_pct"]))
        expect(f"{u} fleksjob status", F[u], int(t["fleksjob_status"]))
        expect(f"{u} fleksjob status (table row)", F[u], fleksjob_rows[u])
        expect(f"{u} fleksjob pct", R(Fraction(100 * F[u], TF)), int(t["fleksjob_pct"]))
        expect(f"{u} samlet målopfyldelse pct", R(100 * (wg * S[u] / T + wf * Fraction(F[u], TF))),
               int(t["samlet_maalopfyldelse_pct"]))
        if (u, "antal_forloeb_i_alt") not in KNOWN_MISPRINTS:
            expect(f"{u} antal forløb i alt", sum(count[u, s] for s in schemes), int(t["antal_forloeb_i_alt"]))

    kk = totals["KK"]
    kk_rows = {r["ordning"]: r for r in rows if r["enhed"] == "KK"}
    for s in schemes:
        expect(f"KK {s} helårspersoner", R(sum((h.get((u, s), Fraction(0)) for u in units), Fraction(0))),
               int(kk_rows[s]["status"]))
        expect(f"KK {s} antal forløb", sum(count[u, s] for u in units), int(kk_rows[s]["antal_forloeb"]))
    kk_S = sum(S.values(), Fraction(0))
    kk_T = sum(T for T, _ in targets.values())
    kk_F = sum(F.values())
    expect("KK samlet måltal (sum of forvaltninger)", kk_T, int(kk["samlet_maaltal"]))
    expect("KK samlet status", R(kk_S), int(kk["samlet_status"]))
    expect("KK målopfyldelse pct", R(100 * kk_S / kk_T), int(kk["maalopfyldelse_pct"]))
    expect("KK antal forløb i alt", sum(count.values()), int(kk["antal_forloeb_i_alt"]))
    expect("KK fleksjob status", kk_F, int(kk["fleksjob_status"]))
    expect("KK fleksjob status (table row)", kk_F, int(kk_rows["Fleksjob"]["status"]))
    # Nobody may be counted at two forvaltninger, so the KK headcount is also a count of people.
    expect("KK fleksjob distinct people", len(set().union(*december.values())), kk_F)
    # The note prints 900 as KK's fleksjob target; the forvaltninger's targets add up to 899.
    for kk_TF in sorted({sum(TF for _, TF in targets.values()), int(kk["fleksjob_maaltal"])}):
        expect(f"KK fleksjob pct (target {kk_TF})", R(Fraction(100 * kk_F, kk_TF)), int(kk["fleksjob_pct"]))
        expect(f"KK samlet målopfyldelse pct (fleksjob target {kk_TF})",
               R(100 * (wg * kk_S / kk_T + wf * Fraction(kk_F, kk_TF))), int(kk["samlet_maalopfyldelse_pct"]))

    if failures:
        raise SelfCheckFailed("Self-check failed:\n  " + "\n  ".join(failures))
    return (f"Self-check passed: {len(lines) - 1} forløb ({sum(count.values())} in 2024, {n_before} before, "
            f"{n_after} after, {n_running} still running, {persons_with_several} people with several), "
            f"{len(flines) - 1} fleksjob spells ({kk_F} people employed in December 2024).")


def main() -> None:
    pub = load_published()
    D = choose_day_totals(pub)
    print_day_totals(pub, D)
    rng = np.random.default_rng(SEED)
    forloeb = build_forloeb(pub, D, rng)
    assign_persons(forloeb, rng)
    fleksjob = build_fleksjob(pub, rng)
    write_files(forloeb, fleksjob)
    print(f"Wrote {FORLOEB_CSV.relative_to(ROOT)} and {FLEKSJOB_CSV.relative_to(ROOT)}.")
    print(self_check())


if __name__ == "__main__":
    main()

"""The numpy lower bound: overlap-days arithmetic and a group sum (np.bincount), nothing else.

Input is pre-typed int arrays (days since 1970, BLANK = still running; a group code per forløb),
so this is the floor for computing the same figures on this machine: no parsing, no checks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from . import synth

N_GROUPS = len(synth.UNITS) * len(synth.SCHEMES)


def _day(d: dt.date) -> int:
    return (d - synth.EPOCH).days


def prepare(reg: synth.Register) -> dict:
    """The pre-typed arrays the floor starts from (their making is not timed)."""
    return {"start": reg.start, "end": reg.end,
            "group": reg.unit.astype(np.intp) * len(synth.SCHEMES) + reg.scheme,
            "f_start": reg.f_start, "f_end": reg.f_end, "f_unit": reg.f_unit.astype(np.intp)}


def compute(a: dict, year: int = synth.YEAR) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(helårspersoner per group, antal forløb per group, fleksjob employees per forvaltning)."""
    p0, p1 = _day(dt.date(year, 1, 1)), _day(dt.date(year, 12, 31))
    m0 = _day(dt.date(year, 12, 1))
    end = a["end"]
    last = np.where(end == synth.BLANK, p1, np.minimum(end, p1))
    days = last - np.maximum(a["start"], p0) + 1
    np.maximum(days, 0, out=days)
    hp = np.bincount(a["group"], weights=days, minlength=N_GROUPS) / (p1 - p0 + 1)
    antal = np.bincount(a["group"], weights=days > 0, minlength=N_GROUPS)
    fe = a["f_end"]
    on = (a["f_start"] <= p1) & ((fe == synth.BLANK) | (fe >= m0))
    fleks = np.bincount(a["f_unit"], weights=on, minlength=len(synth.UNITS))
    return hp, antal, fleks


def figures(result) -> dict[str, float]:
    """The floor's result keyed like the engine's and the spreadsheet's figures (KK included)."""
    hp, antal, fleks = result
    out: dict[str, float] = {}
    S = len(synth.SCHEMES)
    for ui, u in enumerate(synth.UNITS):
        for si, s in enumerate(synth.SCHEMES):
            out[f"helaarspersoner|{u}|{s}"] = float(hp[ui * S + si])
            out[f"antal_forloeb|{u}|{s}"] = float(antal[ui * S + si])
        out[f"fleksjob|{u}"] = float(fleks[ui])
    for si, s in enumerate(synth.SCHEMES):
        out[f"helaarspersoner|KK|{s}"] = float(hp[si::S].sum())
        out[f"antal_forloeb|KK|{s}"] = float(antal[si::S].sum())
    out["fleksjob|KK"] = float(fleks.sum())
    return out

"""The workbook finance staff would build without the add-in: the register pasted into sheets and
the status figures as plain spreadsheet formulas, written with openpyxl (write-only mode).

Two realistic formula layouts:

- ``sumproduct``: one SUMPRODUCT per forvaltning × scheme over the date columns (no helper
  columns; the clipping to the period done IF-free with comparisons, as in
  tests/test_oracle_libreoffice.py); antal forløb by two COUNTIFS on the dates (ended in or after
  the period's start, or blank).
- ``helper``: a helper column "days inside the period" filled down the register
  (=MAX(0,MIN(IF(slut="",P1,slut),P1)-MAX(start,P0)+1)), then per forvaltning × scheme
  SUMIFS(days)/days in period and COUNTIFS(days, ">0").

Both compute: helårspersoner and antal forløb per forvaltning × scheme, fleksjob employees per
forvaltning in the reference month (COUNTIFS), and KK totals. Dates are stored as Excel serial
numbers (which is what an .xlsx holds for a date cell) without a display format.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from . import synth

LAYOUTS = ("sumproduct", "helper")
STATUS = "Status"
FORLOEB = "Forløb"
FLEKSJOB = "Fleksjob"
HEADER_ROWS = 7          # Status sheet: parameters above the table
TABLE_HEADER = ["Forvaltning", "Ordning", "Helårspersoner", "Antal forløb"]
FLEKS_HEADER = ["Forvaltning", "Fleksjob (ansatte)"]


def _serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def status_layout() -> dict:
    """Where each figure lands on the Status sheet (1-based rows; values in columns C/D or B)."""
    rows = {}
    r = HEADER_ROWS + 2
    for u in synth.UNITS:
        for s in synth.SCHEMES:
            rows[(u, s)] = r
            r += 1
    for s in synth.SCHEMES:
        rows[("KK", s)] = r
        r += 1
    r += 1
    fleks_header = r
    r += 1
    fleks = {}
    for u in synth.UNITS + ["KK"]:
        fleks[u] = r
        r += 1
    return {"schemes": rows, "fleks_header": fleks_header, "fleks": fleks}


def build(path: Path, reg: synth.Register, layout: str, year: int = synth.YEAR) -> dict:
    """Write the workbook; returns facts about it (rows, formula count)."""
    if layout not in LAYOUTS:
        raise ValueError(layout)
    n, nf = len(reg), len(reg.f_start)
    first, last = 2, n + 1
    p0, p1 = dt.date(year, 1, 1), dt.date(year, 12, 31)
    m0 = dt.date(year, 12, 1)  # fleksjob reference month: the period's last month

    wb = Workbook(write_only=True)
    st = wb.create_sheet(STATUS)
    fo = wb.create_sheet(FORLOEB)
    fl = wb.create_sheet(FLEKSJOB)

    # ---- register sheets (values; helper column as formulas)
    units = np.array(synth.UNITS, dtype=object)[reg.unit]
    schemes = np.array(synth.SCHEMES, dtype=object)[reg.scheme]
    start = (reg.start.astype(np.int64) + 25569).tolist()
    end = np.where(reg.end == synth.BLANK, -1, reg.end.astype(np.int64) + 25569).tolist()
    helper = layout == "helper"
    fo.append(["forvaltning", "ordning", "start", "slut"] + (["dage_i_perioden"] if helper else []))
    P0, P1 = f"{STATUS}!$B$1", f"{STATUS}!$B$2"
    for i, (u, s, a, b) in enumerate(zip(units.tolist(), schemes.tolist(), start, end), start=first):
        row = [u, s, a, None if b < 0 else b]
        if helper:
            row.append(f'=MAX(0,MIN(IF(D{i}="",{P1},D{i}),{P1})-MAX(C{i},{P0})+1)')
        fo.append(row)
    f_units = np.array(synth.UNITS, dtype=object)[reg.f_unit].tolist()
    f_start = (reg.f_start.astype(np.int64) + 25569).tolist()
    f_end = np.where(reg.f_end == synth.BLANK, -1, reg.f_end.astype(np.int64) + 25569).tolist()
    fl.append(["forvaltning", "start", "slut"])
    for u, a, b in zip(f_units, f_start, f_end):
        fl.append([u, a, None if b < 0 else b])

    def rng(sheet: str, col: str, lo: int, hi: int) -> str:
        return f"'{sheet}'!${col}${lo}:${col}${hi}"

    F, Ord, S, E = (rng(FORLOEB, c, first, last) for c in "ABCD")
    H = rng(FORLOEB, "E", first, last)
    FF, FS, FE = (rng(FLEKSJOB, c, 2, nf + 1) for c in "ABC")

    # ---- status sheet: parameters, then one row per forvaltning × scheme
    lay = status_layout()
    st.append(["Periode fra", _serial(p0)])                        # B1
    st.append(["Periode til", _serial(p1)])                        # B2
    st.append(["Dage", "=B2-B1+1"])                               # B3
    st.append(["Referencemåned fra", _serial(m0)])                 # B4
    st.append(["Referencemåned til", _serial(p1)])                 # B5
    st.append(["Layout", layout])
    st.append([])
    st.append(TABLE_HEADER)
    formulas = 0
    for (u, s), r in lay["schemes"].items():
        if u == "KK":
            rows = [lay["schemes"][(x, s)] for x in synth.UNITS]
            st.append([u, s, "=" + "+".join(f"C{x}" for x in rows), "=" + "+".join(f"D{x}" for x in rows)])
            formulas += 2
            continue
        crit = f"{F},$A{r},{Ord},$B{r}"
        antal = (f'=COUNTIFS({crit},{S},"<="&$B$2,{E},">="&$B$1)'
                 f'+COUNTIFS({crit},{S},"<="&$B$2,{E},"")')
        if helper:
            hp = f"=SUMIFS({H},{crit})/$B$3"
            antal = f'=COUNTIFS({H},">0",{crit})'
        else:
            last_arr = f'({E}-({E}>$B$2)*({E}-$B$2)+({E}="")*$B$2)'
            first_arr = f"({S}+({S}<$B$1)*($B$1-{S}))"
            d = f"({last_arr}-{first_arr}+1)"
            hp = f"=SUMPRODUCT(({F}=$A{r})*({Ord}=$B{r})*({d}>0)*{d})/$B$3"
        st.append([u, s, hp, antal])
        formulas += 2
    st.append([])
    st.append(FLEKS_HEADER)
    for u, r in lay["fleks"].items():
        if u == "KK":
            st.append([u, "=" + "+".join(f"B{lay['fleks'][x]}" for x in synth.UNITS)])
        else:
            st.append([u, f'=COUNTIFS({FF},$A{r},{FS},"<="&$B$5,{FE},">="&$B$4)'
                          f'+COUNTIFS({FF},$A{r},{FS},"<="&$B$5,{FE},"")'])
        formulas += 1
    wb.save(path)
    return {"layout": layout, "forloeb_rows": n, "fleksjob_rows": nf,
            "formulas": formulas + 1 + (n if helper else 0)}


def figures_from_values(values: list[list]) -> dict[str, float]:
    """Figures read back from the recalculated Status sheet, keyed like `engine_figures`."""
    lay = status_layout()
    out = {}

    def cell(r: int, c: int):
        row = values[r - 1] if r - 1 < len(values) else []
        return row[c - 1] if c - 1 < len(row) else None

    for (u, s), r in lay["schemes"].items():
        out[f"helaarspersoner|{u}|{s}"] = cell(r, 3)
        out[f"antal_forloeb|{u}|{s}"] = cell(r, 4)
    for u, r in lay["fleks"].items():
        out[f"fleksjob|{u}"] = cell(r, 2)
    return out

"""Writers for the terminal and files: readable Danish tables, tidy CSV and JSON.

Figures are rounded only here, at the last moment, from unrounded values.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from .celltext import neutralise
from .engine.findings import Finding
from .engine.pipeline import Result
from .engine.status import TIDY_COLUMNS
from .engine.tables import FOOTNOTES, NoteTable, format_note_table


def render_table(table: NoteTable) -> str:
    shown = format_note_table(table)
    label_w = max(len(table.unit), *(len(i) for i in shown.index))
    widths = [max(len(c), *(len(v) for v in shown[c])) for c in shown.columns]
    lines = [table.title, ""]
    lines.append(table.unit.ljust(label_w) + "".join("  " + c.rjust(w) for c, w in zip(shown.columns, widths)))
    lines.append("-" * (label_w + sum(w + 2 for w in widths)))
    for label, row in shown.iterrows():
        lines.append(label.ljust(label_w) + "".join("  " + v.rjust(w) for v, w in zip(row, widths)))
    return "\n".join(lines)


def render_result(result: Result) -> str:
    parts = [f"Status for de særlige jobordninger, {result.settings.period.label()}",
             f"Opgørelsesgrundlag: {result.settings.basis}. Tal er afrundet som i noten (halve op, fra uafrundede tal).",
             ""]
    for table in result.tables:
        parts += [render_table(table), ""]
    parts += FOOTNOTES
    if result.findings:
        parts += ["", f"Bemærkninger ({len(result.findings)}):"] + [f"  {f}" for f in result.findings]
    return "\n".join(parts)


def tidy_frame(result: Result) -> pd.DataFrame:
    frames = [result.tidy] + ([result.previous_tidy] if result.previous_tidy is not None else [])
    return pd.concat(frames, ignore_index=True)[TIDY_COLUMNS]


def to_csv(result: Result) -> str:
    """One tidy row per year, unit and line, unrounded; empty where a figure does not apply."""
    return _csv(result, sep=",", decimal=".", lineterminator="\n")


def to_csv_da(result: Result) -> str:
    """`to_csv` as Danish Excel opens it with a double click: ';' between fields, decimal comma; the
    caller writes it as UTF-8 with a BOM (`CSV_DA_ENCODING`), which tells Excel the encoding."""
    return _csv(result, sep=";", decimal=",", lineterminator="\n")


CSV_DA_ENCODING = "utf-8-sig"


def _csv(result: Result, sep: str, decimal: str, lineterminator: str) -> str:
    out = tidy_frame(result).copy().astype(object)
    for col in ("enhed", "linje"):      # user data must never become a formula in a CSV viewer
        out[col] = out[col].map(neutralise)
    for col in ("status", "maaltal", "maalopfyldelse", "antal_forloeb"):
        out[col] = [_exact(v).replace(".", decimal) for v in out[col]]
    return out.to_csv(index=False, sep=sep, lineterminator=lineterminator)


def _exact(x) -> str:
    """Unrounded, and exactly: the shortest text that reads back as the same float."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def to_json(result: Result) -> str:
    rows = []
    for rec in tidy_frame(result).to_dict(orient="records"):
        rows.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()})
    return json.dumps({"periode": {"fra": result.settings.period.start.isoformat(),
                                   "til": result.settings.period.end.isoformat(),
                                   "grundlag": result.settings.basis},
                       "status": rows,
                       "bemaerkninger": [finding_dict(f) for f in result.findings]},
                      ensure_ascii=False, indent=2)


def finding_dict(f: Finding) -> dict:
    return {"alvor": f.alvor, "kilde": f.kilde, "raekke": f.raekke, "kolonne": f.kolonne, "besked": f.besked}


# ---------------------------------------------------------------- the year-end forecast (issue 13)

def forecast_to_csv(fc) -> str:
    """`engine.prognose.CSV_COLUMNS`, one row per unit and line, unrounded; empty where a figure
    does not apply."""
    from .engine.prognose import CSV_COLUMNS
    out = fc.table[CSV_COLUMNS].copy().astype(object)
    for col in ("enhed", "linje"):
        out[col] = out[col].map(neutralise)
    for col in CSV_COLUMNS[3:]:
        out[col] = [_exact(v) for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n")


def forecast_to_json(fc) -> str:
    def rows(frame: pd.DataFrame) -> list[dict]:
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
                for rec in frame.to_dict(orient="records")]
    return json.dumps({"aar": fc.settings.year, "opgjort_pr": fc.status_date.isoformat(), "grundlag": fc.settings.basis,
                       "prognose": rows(fc.table), "maaneder": rows(fc.monthly),
                       "bemaerkninger": [finding_dict(f) for f in fc.findings]}, ensure_ascii=False, indent=2)


def render_forecast(fc) -> str:
    from .engine.prognose import FORECAST_HEADER, FORECAST_NOTES, forecast_rows, forecast_title
    from .engine.rules import UNIT_NAMES
    from .engine.tables import format_number, format_percent
    parts = [forecast_title(fc), "Tal er afrundet som i noten (halve op, fra uafrundede tal).", ""]
    for unit in dict.fromkeys(fc.table["enhed"]):
        rows = [(label, [(format_percent(v) if p else format_number(v)) for v, p in zip(vals, pcts)])
                for label, vals, pcts in forecast_rows(fc, unit)]
        label_w = max(len(unit), *(len(r[0]) for r in rows))
        widths = [max(len(h), *(len(r[1][i]) for r in rows)) for i, h in enumerate(FORECAST_HEADER)]
        parts.append(f"{unit}: {UNIT_NAMES.get(unit, unit)}")
        parts.append(unit.ljust(label_w) + "".join("  " + h.rjust(w) for h, w in zip(FORECAST_HEADER, widths)))
        parts.append("-" * (label_w + sum(w + 2 for w in widths)))
        for label, vals in rows:
            parts.append(label.ljust(label_w) + "".join("  " + v.rjust(w) for v, w in zip(vals, widths)))
        parts.append("")
    parts += FORECAST_NOTES
    if fc.findings:
        parts += ["", f"Bemærkninger ({len(fc.findings)}):"] + [f"  {f}" for f in fc.findings]
    return "\n".join(parts)

"""One computation for every front: raw input tables + settings -> findings and status tables.

The CLI, the ribbon macros and the headless refresh all call `compute`; none of them computes
anything on its own. The input types and their checks are `inputs` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .findings import ADVARSEL, FEJL, Finding, InputError
from .inputs import DEMO_SETTINGS, Parsed, RawInput, Settings, Table, demo_input
from .inputs import _ordered, parse_input
from .prognose import forecast_parsed
from .rules import YearRules, load_rules
from .status import FORVALTNINGER, SAMLET, aggregate, aggregates_from_table, compute_status
from .tables import NoteTable, note_tables
from .values import dansk_tal

__all__ = ["DEMO_SETTINGS", "Parsed", "RawInput", "Result", "Settings", "Table", "compute", "demo_input",
           "parse_input"]


@dataclass
class Result:
    settings: Settings
    rules: YearRules
    tidy: pd.DataFrame
    previous_tidy: pd.DataFrame | None
    tables: list[NoteTable]
    findings: list[Finding] = field(default_factory=list)
    forecast: object | None = None     # engine.prognose.Forecast when settings.status_date is given


def compute(raw: RawInput, settings: Settings) -> Result:
    """Parse, check and compute everything. Raises `InputError` (with all findings) on any error."""
    p = parse_input(raw, settings)
    findings, rules, prev = p.findings, p.rules, p.previous
    try:
        agg = aggregate(p.register, rules, p.period, settings.basis, p.reference)
    except ValueError as exc:  # e.g. a weekend-only period on the weekday basis
        raise InputError(_ordered(findings + [Finding(FEJL, "indstillinger", str(exc), kolonne="grundlag")])) from None
    tidy = compute_status(agg, rules)
    findings += _plausibility(tidy, agg, rules, raw, p.register)
    previous_tidy = None
    if prev is not None and not prev.empty:
        prev_rules = load_rules(settings.year - 1)
        previous_tidy = compute_status(aggregates_from_table(prev, prev_rules), prev_rules)
    forecast = None
    if settings.status_date is not None:
        source, row, column = settings.status_date_at
        forecast = forecast_parsed(p, settings.status_date, source=source, row=row, column=column)
        findings = findings + forecast.notes
    return Result(settings, rules, tidy, previous_tidy, note_tables(tidy, previous_tidy, p.period),
                  _ordered(findings), forecast)


MAX_PLAUSIBLE_ATTAINMENT = 3.0     # above 300 pct. no real year has been: a sign of wrong input


def _plausibility(tidy: pd.DataFrame, agg, rules: YearRules, raw: RawInput, register) -> list[Finding]:
    """Warnings about figures that are possible but unlikely: a forvaltning without forløb or with
    status 0, and attainments no real year can have. They do not stop the tables."""
    out: list[Finding] = []
    src, fsrc = raw.forloeb.source, raw.fleksjob.source if raw.fleksjob else "fleksjob"
    by = tidy.set_index(["enhed", "linje"])
    missing_headcount = set()
    if register.fleksjob_antal is not None:
        missing_headcount = {u for u in FORVALTNINGER if u not in register.fleksjob_antal.index}
    for u in FORVALTNINGER:
        if u not in agg.schemes.index.get_level_values("enhed"):
            continue
        samlet = by.loc[(u, SAMLET)]
        if not samlet["antal_forloeb"]:
            out.append(Finding(ADVARSEL, src, f"{u} har ingen forløb i perioden; status for helårspersoner er 0. "
                               "Kontrollér, at registeret er komplet.", kolonne="forvaltning"))
        elif not samlet["status"]:
            out.append(Finding(ADVARSEL, src, f"{u}s status for helårspersoner er 0 (forløbene har ingen dage, der "
                               "tæller, i perioden). Kontrollér datoerne.", kolonne="forvaltning"))
        if not by.loc[(u, rules.fleksjob), "status"] and u not in missing_headcount:
            out.append(Finding(ADVARSEL, fsrc, f"{u} har 0 fleksjobansatte i referencemåneden. Kontrollér, at "
                               "fleksjobregisteret er komplet.", kolonne="forvaltning"))
    for (u, line), a in by["maalopfyldelse"].items():
        if np.isfinite(a) and a > MAX_PLAUSIBLE_ATTAINMENT:
            out.append(Finding(ADVARSEL, fsrc if line == rules.fleksjob else src, f"{u}s målopfyldelse ({line}) er {dansk_tal(100 * a, 0)} pct.; over "
                               f"{dansk_tal(100 * MAX_PLAUSIBLE_ATTAINMENT, 0)} pct. er urealistisk. Kontrollér "
                               "registeret og måltallene.", kolonne="forvaltning"))
    return out



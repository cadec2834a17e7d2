"""Every worksheet function through xlwings' own server pipeline (`custom_functions_call`), with
arguments shaped as Excel's add-in sends them: 2-D arrays, serial dates, blanks as None, error
cells as Office.js error objects. Expected figures come from the engine, never typed in."""

from __future__ import annotations

import datetime as dt
import inspect
import re

import numpy as np
import pandas as pd
import pytest

from devsupport import xlwings_harness as h
from devsupport.xlwings_harness import call_cell, call_udf, col, excel_error, formatted_date, one, serial
from jobstatus_xl import udfs
from jobstatus_xl.engine import helaarspersoner as hp
from jobstatus_xl.engine.periods import Period
from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, compute, demo_input
from jobstatus_xl.engine.rules import KK, load_rules
from jobstatus_xl.engine.status import SAMLET, SAMLET_MAAL, weighted_attainment
from jobstatus_xl.engine.tables import columns

EXPECTED_SIGNATURES = {
    "ATTAINMENT": ["status", "target"],
    "WEIGHTED_ATTAINMENT": ["attainments", "weights"],
    "HELAARSPERSONER": ["start_dates", "end_dates", "period_start", "period_end", "basis", "hours_per_week"],
    "FORLOEB": ["start_dates", "end_dates", "period_start", "period_end"],
    "FLEKSJOB": ["start_dates", "end_dates", "reference_date", "ids"],
    "STATUS_HELAARSPERSONER": ["unit", "scheme", "units", "schemes", "start_dates", "end_dates", "period_start",
                               "period_end", "basis", "hours_per_week"],
    "STATUS_FORLOEB": ["unit", "scheme", "units", "schemes", "start_dates", "end_dates", "period_start", "period_end"],
    "STATUS_FLEKSJOB": ["unit", "units", "start_dates", "end_dates", "reference_date", "ids"],
    "STATUSTABEL": ["unit", "report_year", "forloeb_table", "fleksjob_table", "period_start", "period_end", "basis",
                    "targets_table", "weights_table"],
    "PROGNOSE": ["unit", "line", "status_date", "forloeb_table", "fleksjob_table", "measure", "basis", "targets_table",
                 "weights_table"],
}
OPTIONAL = {"basis", "hours_per_week", "ids", "targets_table", "weights_table"}
OPTIONAL_BY_FUNCTION = {"STATUSTABEL": OPTIONAL | {"period_start", "period_end"}, "PROGNOSE": OPTIONAL | {"measure"}}
DANISH = re.compile(r"[æøåÆØÅ]|\b(og|eller|for|med|som|i|en|et|fx|dag|tom|valgfri)\b")


def test_runs_in_the_server_flavour():
    assert "remote" in [e.name for e in h.xw.engines]
    assert all(hasattr(getattr(udfs, name), "__xlfunc__") for name in EXPECTED_SIGNATURES)


# ---------------------------------------------------------------- the engine's answers for the demo register

DEMO = demo_input()
RESULT = compute(DEMO, DEMO_SETTINGS)
TIDY = RESULT.tidy.set_index(["enhed", "linje"])
RULES = load_rules(2024)
YEAR = Period.year(2024)
FORLOEB = DEMO.forloeb.frame
FLEKS = DEMO.fleksjob.frame
P0, P1 = one(serial("2024-01-01")), one(serial("2024-12-31"))
DEC = one(serial("2024-12-31"))


def serials(values) -> list[list]:
    return col(serial(v) if v else None for v in values)


def texts(values) -> list[list]:
    """Danish text dates, as typed into a cell formatted as text."""
    return col(f"{dt.date.fromisoformat(v):%d-%m-%Y}" if v else None for v in values)


def part(frame, unit=None, scheme=None) -> pd.DataFrame:
    rows = np.ones(len(frame), bool)
    if unit and unit != KK:
        rows &= (frame["forvaltning"] == unit).to_numpy()
    if scheme:
        rows &= (frame["ordning"] == scheme).to_numpy()
    return frame[rows]


def days(values) -> np.ndarray:
    return np.array([np.datetime64(v) if v else np.datetime64("NaT") for v in values], dtype="datetime64[D]")


# ---------------------------------------------------------------- what Excel is told about the functions

def test_meta_lists_every_function_with_danish_help():
    meta = h.custom_functions_meta(udfs)
    functions = {f["name"]: f for f in meta["functions"]}
    assert set(functions) == set(EXPECTED_SIGNATURES)
    for name, params in EXPECTED_SIGNATURES.items():
        f = functions[name]
        assert f["id"] == name
        assert [p["name"] for p in f["parameters"]] == params
        assert f["description"] == getattr(udfs, name).__doc__
        assert "\n" not in f["description"] and 40 < len(f["description"]) <= 255
        assert DANISH.search(f["description"]), f["description"]
        optional = OPTIONAL_BY_FUNCTION.get(name, OPTIONAL)
        for p in f["parameters"]:
            assert not p["description"].startswith("Positional argument"), (name, p)
            assert len(p["description"]) <= 255 and DANISH.search(p["description"]), (name, p)
            assert p.get("optional", False) == (p["name"] in optional), (name, p)


def test_the_classic_flavour_accepts_the_same_module(monkeypatch):
    """Import Functions (classic xlwings, COM) must see the same names, arguments and help."""
    classic, module = h.load_with_classic_decorators(monkeypatch, inspect.getfile(udfs))
    vba = h.classic_vba(classic, module)
    for name, params in EXPECTED_SIGNATURES.items():
        xlf = getattr(module, name).__xlfunc__
        assert xlf["name"] == name and xlf["category"] == "xlwings" and not xlf["volatile"]
        assert xlf["ret"]["doc"] == getattr(udfs, name).__doc__
        assert [a["doc"] for a in xlf["args"]] == [a["doc"] for a in getattr(udfs, name).__xlfunc__["args"]]
        optional = OPTIONAL_BY_FUNCTION.get(name, OPTIONAL)
        signature = ", ".join(("Optional " if p in optional else "") + p for p in params)
        assert f"Function {name}({signature})\n" in vba
        assert f'{name} = XLPy.CallUDF("jobstatus_xl.udfs", "{name}", Array({", ".join(params)}), ' in vba


# ---------------------------------------------------------------- ATTAINMENT / WEIGHTED_ATTAINMENT

@pytest.mark.parametrize("unit", ["KK", "SOF", "ØKF"])
def test_attainment_is_the_engines(unit):
    g = TIDY.loc[(unit, SAMLET)]
    assert call_cell(udfs, "ATTAINMENT", one(g["status"]), one(g["maaltal"])) == pytest.approx(g["maalopfyldelse"], rel=1e-15)


@pytest.mark.parametrize("status, target, text", [
    (one(913.0), one(0), "#FEJL: måltallet skal være større end 0 (er 0)"),
    (one(913.0), one(-10), "#FEJL: måltallet skal være større end 0 (er -10)"),
    (one("913"), one(1084), "#FEJL: status skal være et tal, ikke '913'"),
    (one(913.0), one("mange"), "#FEJL: måltallet skal være et tal, ikke 'mange'"),
    (one(None), one(1084), "#FEJL: status mangler"),
    (one(913.0), one(None), "#FEJL: måltallet mangler"),
    (one(excel_error("#N/A")), one(1084), "#FEJL: status er en fejlværdi (#N/A)"),
    (one(913.0), one(excel_error("#DIV/0!")), "#FEJL: måltallet er en fejlværdi (#DIV/0!)"),
    (col([913.0, 1.0]), one(1084), "#FEJL: status skal være én celle, ikke 2"),
    (one(True), one(1084), "#FEJL: status skal være et tal, ikke 'True'"),
])
def test_attainment_refuses_bad_input(status, target, text):
    assert call_cell(udfs, "ATTAINMENT", status, target) == text


@pytest.mark.parametrize("unit", ["KK", "BUF"])
@pytest.mark.parametrize("scale", [1, 100])        # fractions, or percents as the status sheets hold them
@pytest.mark.parametrize("weights", [(0.55, 0.45), (55, 45)])
def test_weighted_attainment_as_on_a_status_sheet(unit, scale, weights):
    a_group = TIDY.loc[(unit, SAMLET), "maalopfyldelse"] * scale
    a_fleks = TIDY.loc[(unit, RULES.fleksjob), "maalopfyldelse"] * scale
    # E5:E9 and G5:G9: the group's attainment, three blank rows, fleksjob
    got = call_cell(udfs, "WEIGHTED_ATTAINMENT", col([a_group, None, None, None, a_fleks]),
                    col([weights[0], None, None, None, weights[1]]))
    assert got == pytest.approx(scale * TIDY.loc[(unit, SAMLET_MAAL), "maalopfyldelse"], rel=1e-12)
    assert got == weighted_attainment([a_group, a_fleks], list(weights))


@pytest.mark.parametrize("a, w, text", [
    (col([84.0, None, 113.0]), col([55, None]), "lige mange rækker (har 3 og 2)"),
    (col([84.0, None, 113.0]), col([55, 30, 45]), "målopfyldelse mangler i række 2"),
    (col([84.0, 113.0]), col([55, None]), "vægt mangler i række 2"),
    (col([84.0, excel_error("#VALUE!")]), col([55, 45]), "målopfyldelsen i række 2 er en fejlværdi (#VALUE!)"),
    (col([84.0, "#FEJL: måltallet skal være større end 0 (er 0)"]), col([55, 45]), "fejlværdi"),
    (col([84.0, 113.0]), col([55, "45 %"]), "vægten i række 2 skal være et tal"),
    (col([None, None]), col([None, None]), "ingen målopfyldelser med vægt"),
    ([[84.0, 113.0], [1.0, 2.0]], col([55, 45]), "én kolonne eller én række"),
])
def test_weighted_attainment_refuses_bad_input(a, w, text):
    got = call_cell(udfs, "WEIGHTED_ATTAINMENT", a, w)
    assert got.startswith("#FEJL: ") and text in got


# ---------------------------------------------------------------- HELAARSPERSONER / FORLOEB / FLEKSJOB

@pytest.mark.parametrize("unit, scheme", [("SOF", "Virksomhedspraktik"), ("BIF", "Løntilskud"),
                                          ("TMF", "Småjob under det sociale frikort")])
@pytest.mark.parametrize("form", [serials, texts, lambda v: col(formatted_date(x) if x else None for x in v)],
                         ids=["serials", "danish-text", "formatted-number"])
def test_helaarspersoner_and_forloeb_are_the_engines(unit, scheme, form):
    f = part(FORLOEB, unit, scheme)
    start, end = form(f["start"]), form(f["slut"])          # blank end = still running
    assert call_cell(udfs, "HELAARSPERSONER", start, end, P0, P1) == \
        pytest.approx(TIDY.loc[(unit, scheme), "status"], rel=1e-12)
    assert call_cell(udfs, "FORLOEB", start, end, P0, P1) == TIDY.loc[(unit, scheme), "antal_forloeb"]


def test_blank_rows_in_the_ranges_are_skipped():
    f = part(FORLOEB, "SOF", "Løntilskud")
    start, end = serials(f["start"]), serials(f["slut"])
    with_blanks = (start + [[None]] * 50, end + [[""]] * 50)     # a whole-column style range
    assert call_cell(udfs, "HELAARSPERSONER", *with_blanks, P0, P1) == call_cell(udfs, "HELAARSPERSONER", start, end, P0, P1)
    assert call_cell(udfs, "FORLOEB", *with_blanks, P0, P1) == call_cell(udfs, "FORLOEB", start, end, P0, P1)


def test_a_part_of_the_year_and_the_weekday_basis_with_hours():
    f = part(FORLOEB, "SUF", "Virksomhedspraktik")
    half = Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    hours = f["timer_pr_uge"].replace("", None).astype(float).to_numpy()
    expected = hp.helaarspersoner(days(f["start"]), days(f["slut"]), half, "hverdage", hours)
    got = call_cell(udfs, "HELAARSPERSONER", serials(f["start"]), serials(f["slut"]), one(serial(half.start)),
                    one("30-06-2024"), one(" Hverdage "), col(None if np.isnan(x) else x for x in hours))
    assert got == pytest.approx(expected, rel=1e-12)
    assert got != pytest.approx(hp.helaarspersoner(days(f["start"]), days(f["slut"]), half), rel=1e-6)
    scalar = call_cell(udfs, "HELAARSPERSONER", serials(f["start"]), serials(f["slut"]), one(serial(half.start)),
                       one(serial(half.end)), one("hverdage"), one(30))
    assert scalar == pytest.approx(hp.helaarspersoner(days(f["start"]), days(f["slut"]), half, "hverdage",
                                                      np.full(len(f), 30.0)), rel=1e-12)


S1, S2, E1 = serial("2024-02-01"), serial("2024-03-01"), serial("2024-04-30")


@pytest.mark.parametrize("args, text", [
    ((col([S1, S2]), col([S1 - 1, None]), P0, P1), "#FEJL: slutdato før startdato i række 1"),
    ((col([S1, S2, S2]), col([E1, None]), P0, P1), "#FEJL: startdatoerne og slutdatoerne skal have lige mange rækker (har 3 og 2)"),
    ((col([S1, S2]), col([E1, excel_error("#N/A")]), P0, P1), "#FEJL: slutdato i række 2 er en fejlværdi (#N/A)"),
    ((col([S1, "snart"]), col([E1, None]), P0, P1), "#FEJL: startdato i række 2: 'snart' er ikke en dato (skriv fx 31-12-2024)"),
    ((col([S1, None]), col([E1, E1]), P0, P1), "#FEJL: startdato mangler i række 2"),
    ((col([S1, True]), col([E1, None]), P0, P1), "#FEJL: startdato i række 2: 'True' er ikke en dato"),
    ((col([S1]), col([E1]), P1, P0), "#FEJL: periodens sidste dag (01-01-2024) ligger før dens første dag (31-12-2024)"),
    ((col([S1]), col([E1]), one(None), P1), "#FEJL: periodens første dag mangler"),
    ((col([S1]), col([E1]), P0, one(excel_error("#REF!"))), "#FEJL: periodens sidste dag er en fejlværdi (#REF!)"),
    (([[S1, S2], [S1, S2]], col([E1, E1]), P0, P1), "#FEJL: startdatoerne skal være én kolonne eller én række, ikke 2 × 2 celler"),
])
@pytest.mark.parametrize("name", ["HELAARSPERSONER", "FORLOEB"])
def test_dates_that_would_give_a_wrong_number_give_a_message(name, args, text):
    assert call_cell(udfs, name, *args) == text


@pytest.mark.parametrize("extra, text", [
    ((one("måneder"),), "#FEJL: ukendt grundlag 'måneder': skriv 'kalenderdage' eller 'hverdage'"),
    ((one(None), col([30, "fuld tid"])), "#FEJL: timer pr. uge i række 2 skal være et tal, ikke 'fuld tid'"),
    ((one("hverdage"), col([30, 169])), "#FEJL: timer pr. uge i række 2 kan højst være 168 (er 169); skriv de aftalte "
                                        "ugentlige timer, fx 37"),
    ((one("hverdage"), col([30, 20, 10])), "#FEJL: timer pr. uge og datoerne skal have lige mange rækker (har 3 og 2)"),
    ((one("hverdage"), col([30, "fuld tid"])), "#FEJL: timer pr. uge i række 2 skal være et tal, ikke 'fuld tid'"),
    ((one("hverdage"), col([30, 0])), "#FEJL: timer pr. uge i række 2 skal være større end 0 (er 0)"),
])
def test_helaarspersoner_basis_and_hours(extra, text):
    assert call_cell(udfs, "HELAARSPERSONER", col([S1, S2]), col([E1, None]), P0, P1, *extra) == text


@pytest.mark.parametrize("unit", ["SOF", "BUF", "ØKF"])
def test_fleksjob_is_the_engines(unit):
    f = part(FLEKS, unit)
    start, end = serials(f["start"]), serials(f["slut"])
    spells_in_december = int(hp.employed_in(days(f["start"]), days(f["slut"]), Period.month_of(dt.date(2024, 12, 31))).sum())
    assert call_cell(udfs, "FLEKSJOB", start, end, DEC) == spells_in_december
    assert call_cell(udfs, "FLEKSJOB", start, end, one("15-12-2024"), col(f["id"])) == TIDY.loc[(unit, RULES.fleksjob), "status"]


def test_fleksjob_counts_a_person_once_when_ids_are_given():
    start, end = col([serial("2024-12-01"), serial("2024-12-20")]), col([serial("2024-12-10"), None])
    assert call_cell(udfs, "FLEKSJOB", start, end, DEC) == 2
    assert call_cell(udfs, "FLEKSJOB", start, end, DEC, col(["DEMO-F1", "DEMO-F1"])) == 1
    assert call_cell(udfs, "FLEKSJOB", start, end, DEC, col(["DEMO-F1", None])) == "#FEJL: id mangler i række 2"
    assert call_cell(udfs, "FLEKSJOB", start, end, one("december")) == \
        "#FEJL: referencedatoen: 'december' er ikke en dato (skriv fx 31-12-2024)"


# ---------------------------------------------------------------- straight from the input table

TABLE = [col(FORLOEB[c]) for c in ("forvaltning", "ordning")] + [serials(FORLOEB["start"]), serials(FORLOEB["slut"])]
UNITS = ["KK", "BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]


@pytest.mark.parametrize("unit", UNITS)
def test_status_functions_are_the_engines_for_every_cell_of_the_note(unit):
    for scheme in RULES.group:
        expected = TIDY.loc[(unit, scheme)]
        assert call_cell(udfs, "STATUS_HELAARSPERSONER", one(unit), one(scheme), *TABLE, P0, P1) == \
            pytest.approx(expected["status"], rel=1e-12)
        assert call_cell(udfs, "STATUS_FORLOEB", one(unit), one(scheme), *TABLE, P0, P1) == expected["antal_forloeb"]
    fleks = [col(FLEKS["forvaltning"]), serials(FLEKS["start"]), serials(FLEKS["slut"])]
    assert call_cell(udfs, "STATUS_FLEKSJOB", one(unit), *fleks, DEC, col(FLEKS["id"])) == \
        TIDY.loc[(unit, RULES.fleksjob), "status"]


def test_kk_counts_a_fleksjob_person_once_per_forvaltning_as_the_engine_does():
    from jobstatus_xl.engine.pipeline import RawInput, Table
    fleks = pd.DataFrame({"id": ["DEMO-F1", "DEMO-F1", "DEMO-F2", "DEMO-F2"], "forvaltning": ["SOF", "BUF", "SOF", "SOF"],
                          "start": ["2024-12-01", "2024-12-15", "2024-01-01", "2024-12-20"],
                          "slut": ["2024-12-10", "", "2024-12-05", ""]})
    tidy = compute(RawInput(DEMO.forloeb, Table(fleks, "fleksjob")), DEMO_SETTINGS).tidy.set_index(["enhed", "linje"])
    args = [col(fleks["forvaltning"]), serials(fleks["start"]), serials(fleks["slut"]), DEC, col(fleks["id"])]
    for unit in ("KK", "SOF", "BUF"):
        assert call_cell(udfs, "STATUS_FLEKSJOB", one(unit), *args) == tidy.loc[(unit, RULES.fleksjob), "status"]
    assert tidy.loc[("KK", RULES.fleksjob), "status"] == 3


def test_status_functions_fold_codes_skip_blank_rows_and_weekday_hours():
    units = col([u.lower() if i % 2 else u for i, u in enumerate(FORLOEB["forvaltning"])]) + [[None]] * 20
    rest = [col(FORLOEB["ordning"]) + [[None]] * 20, serials(FORLOEB["start"]) + [[None]] * 20,
            serials(FORLOEB["slut"]) + [[None]] * 20]
    assert call_cell(udfs, "STATUS_HELAARSPERSONER", one("sof"), one("småjob"), units, *rest, P0, P1) == \
        pytest.approx(TIDY.loc[("SOF", "Småjob under det sociale frikort"), "status"], rel=1e-12)
    f = part(FORLOEB, "SOF", "Løntilskud")
    hours = FORLOEB["timer_pr_uge"].replace("", None).astype(float)
    expected = hp.helaarspersoner(days(f["start"]), days(f["slut"]), YEAR, "hverdage", hours[f.index].to_numpy())
    assert call_cell(udfs, "STATUS_HELAARSPERSONER", one("SOF"), one("Løntilskud"), *TABLE, P0, P1, one("hverdage"),
                     col(None if np.isnan(x) else x for x in hours)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("change, text", [
    ({"forvaltning": "XYZ"}, "#FEJL: ukendt forvaltning 'XYZ' i række 5 (gyldige: BIF"),
    ({"forvaltning": None}, "#FEJL: forvaltning mangler i række 5"),
    ({"ordning": "Praktikplads"}, "#FEJL: ukendt ordning 'Praktikplads' i række 5"),
    ({"slut": serial("2023-01-01")}, "#FEJL: slutdato før startdato i række 5"),
    ({"start": excel_error("#N/A")}, "#FEJL: startdato i række 5 er en fejlværdi (#N/A)"),
])
def test_status_functions_refuse_a_bad_table_row(change, text):
    table = [[list(r) for r in c] for c in TABLE]
    for key, value in change.items():
        table[["forvaltning", "ordning", "start", "slut"].index(key)][4] = [value]
    for name in ("STATUS_HELAARSPERSONER", "STATUS_FORLOEB"):
        assert call_cell(udfs, name, one("SOF"), one("Løntilskud"), *table, P0, P1).startswith(text)


def test_status_functions_refuse_unknown_arguments():
    assert call_cell(udfs, "STATUS_FORLOEB", one("Socialforvaltningen"), one("Løntilskud"), *TABLE, P0, P1) \
        .startswith("#FEJL: ukendt forvaltning 'Socialforvaltningen'")
    assert call_cell(udfs, "STATUS_FORLOEB", one("SOF"), one("Løntilskud"), TABLE[0][:-1], *TABLE[1:], P0, P1) == \
        f"#FEJL: forvaltningerne og startdatoerne skal have lige mange rækker (har {len(FORLOEB) - 1} og {len(FORLOEB)})"


# ---------------------------------------------------------------- STATUSTABEL (dynamic array)

sheet_table = h.table_range


@pytest.mark.parametrize("unit", ["KK", "SOF"])
def test_statustabel_is_the_engines_note_table(unit):
    got = call_udf(udfs, "STATUSTABEL", one(unit), one(2024), sheet_table(FORLOEB), sheet_table(FLEKS))
    table = next(t for t in RESULT.tables if t.unit == unit and t.year == 2024)
    assert got[0] == [unit] + columns(2024)
    assert [r[0] for r in got[1:]] == list(table.frame.index)
    for row, expected in zip(got[1:], table.frame.to_numpy()):
        for value, x in zip(row[1:], expected):
            assert value == "" if np.isnan(x) else value == pytest.approx(x, rel=1e-12)


def test_statustabel_half_year_and_targets_table():
    targets = [["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"]] + \
        [[2024, u, 100, 50] for u in ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]]
    got = call_udf(udfs, "STATUSTABEL", one("KK"), one(2024), sheet_table(FORLOEB), sheet_table(FLEKS),
                   one("01-01-2024"), one(serial("2024-06-30")), one(None), targets)
    assert got[1][3] == 700                                   # KK's target: the sum of the forvaltninger's
    assert got[0][-1] == "Antal forløb i perioden**"          # a half year's forløb overlap the period, not 2024
    half = Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    f = part(FORLOEB, None, got[1][0].split(" (")[0])
    assert got[1][1] == pytest.approx(hp.helaarspersoner(days(f["start"]), days(f["slut"]), half), rel=1e-12)


def test_statustabel_reports_the_first_input_error_with_sheet_row_and_column():
    forloeb = sheet_table(FORLOEB)
    forloeb[6][4] = serial("2020-01-01")                      # row 7 of the range: slut before start
    got = call_cell(udfs, "STATUSTABEL", one("KK"), one(2024), forloeb, sheet_table(FLEKS))
    assert got.startswith("#FEJL: Forløb, række 7, kolonne 'slut': Slutdato 01-01-2020 ligger før startdato")
    assert call_cell(udfs, "STATUSTABEL", one("KK"), one(2024), forloeb[1:], sheet_table(FLEKS)).startswith(
        "#FEJL: Forløb, kolonne 'id': Kolonnen 'id' mangler")  # a table passed without its header row
    assert call_cell(udfs, "STATUSTABEL", one("XX"), one(2024), forloeb, sheet_table(FLEKS)).startswith(
        "#FEJL: ukendt forvaltning 'XX'")
    assert call_cell(udfs, "STATUSTABEL", one("KK"), one(24.5), forloeb, sheet_table(FLEKS)) == \
        "#FEJL: året skal være et årstal som 2024, ikke 24.5"


# ---------------------------------------------------------------- sweeps: an error or a short range anywhere is never a number

# Three rows, so that a range cut by one is still a range (one cell of hours is a number for all rows).
T_UNITS, T_SCHEMES = col(["SOF", "BUF", "SOF"]), col(["Løntilskud", "Løntilskud", "Virksomhedspraktik"])
T_START = col([serial("2024-02-01"), serial("2024-05-01"), serial("2023-11-01")])
T_END = col([serial("2024-09-30"), None, serial("2024-01-31")])
T_HOURS, T_IDS = col([30, 37, None]), col(["a", "b", "c"])
SMALL_FORLOEB = [["id", "forvaltning", "ordning", "start", "slut"],
                 ["DEMO-P1", "SOF", "Løntilskud", serial("2024-02-01"), None]]
SMALL_FLEKS = [["id", "forvaltning", "start", "slut"], ["DEMO-F1", "SOF", serial("2024-02-01"), None]]
VALID_CALLS = {
    "ATTAINMENT": [one(913.0), one(1084)],
    "WEIGHTED_ATTAINMENT": [col([84.2, None, 112.7]), col([55, None, 45])],
    "HELAARSPERSONER": [T_START, T_END, P0, P1, one("hverdage"), T_HOURS],
    "FORLOEB": [T_START, T_END, P0, P1],
    "FLEKSJOB": [T_START, T_END, DEC, T_IDS],
    "STATUS_HELAARSPERSONER": [one("KK"), one("Løntilskud"), T_UNITS, T_SCHEMES, T_START, T_END, P0, P1,
                               one("hverdage"), T_HOURS],
    "STATUS_FORLOEB": [one("KK"), one("Løntilskud"), T_UNITS, T_SCHEMES, T_START, T_END, P0, P1],
    "STATUS_FLEKSJOB": [one("KK"), T_UNITS, T_START, T_END, DEC, T_IDS],
    "STATUSTABEL": [one("SOF"), one(2024), SMALL_FORLOEB, SMALL_FLEKS, P0, P1, one("kalenderdage")],
}
ALIGNED = {"WEIGHTED_ATTAINMENT": [0, 1], "HELAARSPERSONER": [0, 1, 5], "FORLOEB": [0, 1], "FLEKSJOB": [0, 1, 3],
           "STATUS_HELAARSPERSONER": [2, 3, 4, 5, 9], "STATUS_FORLOEB": [2, 3, 4, 5], "STATUS_FLEKSJOB": [1, 2, 3, 5]}


def test_the_valid_calls_give_numbers():
    for name, args in VALID_CALLS.items():
        result = call_udf(udfs, name, *args)
        cells = [v for row in result for v in row]
        assert not any(isinstance(v, str) and v.startswith("#FEJL") for v in cells), (name, result)
        assert any(isinstance(v, (int, float)) for v in cells), (name, result)


@pytest.mark.parametrize("name", sorted(VALID_CALLS))
def test_an_excel_error_in_any_cell_of_any_argument_gives_a_message(name):
    args = VALID_CALLS[name]
    for i, arg in enumerate(args):
        for r, row in enumerate(arg):
            for c, _ in enumerate(row):
                broken = [[list(x) for x in a] for a in args]
                broken[i][r][c] = excel_error("#N/A")
                got = call_udf(udfs, name, *broken)
                assert isinstance(got[0][0], str) and got[0][0].startswith("#FEJL: "), (name, i, r, c, got)


@pytest.mark.parametrize("name", sorted(ALIGNED))
def test_ranges_of_different_length_give_a_message(name):
    for i in ALIGNED[name]:
        short = list(VALID_CALLS[name])
        short[i] = short[i][:-1]
        got = call_cell(udfs, name, *short)
        assert isinstance(got, str) and "lige mange rækker" in got, (name, i, got)


def test_a_bug_shows_a_short_message_not_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")
    monkeypatch.setattr(udfs.hp, "helaarspersoner", broken)
    got = call_cell(udfs, "HELAARSPERSONER", T_START, T_END, P0, P1)
    assert got == "#FEJL: uventet fejl (ZeroDivisionError); beregningen kunne ikke gennemføres"

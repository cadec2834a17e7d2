"""Register checks (issue 4): every check of `engine.register.parse_register`, the CPR rule, a
fuzz of the reader, formula injection in what we write, and a 1,000,000-row register.

Each finding must name its source, row and column, say what is wrong and what to do, and carry the
right severity (fejl stops the tables, advarsel does not).
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobstatus_xl import report
from jobstatus_xl.engine.conflicts import NAT as _NAT, conflicts
from jobstatus_xl.engine.findings import ADVARSEL, FEJL, Finding, InputError, looks_like_cpr
from jobstatus_xl.engine.periods import Period
from jobstatus_xl.engine.pipeline import RawInput, Result, Settings, Table, compute
from jobstatus_xl.engine.register import parse_register
from jobstatus_xl.engine.status import aggregate
from jobstatus_xl.engine.rules import load_rules
from jobstatus_xl.sheets import findings_grid

COLS = ["id", "forvaltning", "ordning", "start", "slut"]
UNITS = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]
SCHEMES = ["Løntilskud", "Virksomhedspraktik", "Småjob under det sociale frikort"]
RULES = load_rules(2024)
YEAR = Period.year(2024)


def frame(rows, columns=COLS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


def parse(rows, columns=COLS, *, rules=RULES, basis="kalenderdage", source="forloeb.csv"):
    register, findings = parse_register(frame(rows, columns), None, rules, YEAR, forloeb_source=source, basis=basis)
    return register, findings


def one(findings, **match) -> Finding:
    hits = [f for f in findings if all(getattr(f, k) == v for k, v in match.items())]
    assert len(hits) == 1, [str(f) for f in findings]
    return hits[0]


OK = ["P1", "BIF", "Løntilskud", "2024-01-01", None]


def fleks_table():
    return Table(frame([["F1", "BIF", "2024-01-01", None]], ["id", "forvaltning", "start", "slut"]), "fleksjob.csv")


def run(rows, columns=COLS, **raw):
    return compute(RawInput(Table(frame(rows, columns), "forloeb.csv"), raw.pop("fleksjob", fleks_table()), **raw),
                   Settings(2024))


# ---------------------------------------------------------------- columns

def test_a_missing_column_is_a_fejl_naming_it_with_a_suggestion():
    _, findings = parse([["P1", "BIF", "Løntilskud", "2024-01-01", None]], ["Id", "Forvaltnin", "Ordning", "Start", "Slut"])
    f = one(findings, kolonne="forvaltning")
    assert (f.alvor, f.kilde, f.raekke) == (FEJL, "forloeb.csv", None)
    assert "Kolonnen 'forvaltning' mangler" in f.besked and "Mente du 'Forvaltnin'?" in f.besked


@pytest.mark.parametrize("headers", [
    ["Person ID", "Forv.", "Jobordning", "Startdato", "Ophørsdato"],
    ["  ID ", "FORVALTNING", "ordning", " Start ", "SLUT"],
    ["Løbenummer", "Enhed", "Type", "Fra og med", "Til og med"],
])
def test_obvious_danish_header_variants_case_and_spacing_are_accepted(headers):
    register, findings = parse([OK], headers)
    assert findings == [] and len(register.forloeb) == 1


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("value", ["31-12-2024", "31.12.2024", "31/12/2024", "2024-12-31", 45657, "45657", 45657.75,
                                   dt.datetime(2024, 12, 31), dt.date(2024, 12, 31), pd.Timestamp("2024-12-31")])
def test_dates_in_danish_text_iso_excel_serials_and_datetimes(value):
    register, findings = parse([["P1", "BIF", "Løntilskud", value, None]])
    assert findings == []
    assert register.forloeb["start"].iloc[0] == pd.Timestamp("2024-12-31")


@pytest.mark.parametrize("value", ["i går", "2024-13-01", "31-02-2024", "31-12-24", "ultimo 2024", -5, float("inf")])
def test_garbage_dates_are_a_fejl_naming_row_and_column_and_what_to_write(value):
    _, findings = parse([OK, ["P2", "BIF", "Løntilskud", value, None]])
    f = one(findings, kolonne="start")
    assert (f.alvor, f.raekke) == (FEJL, 3)
    assert "er ikke en dato" in f.besked and "Skriv fx 31-12-2024" in f.besked


def test_a_garbage_end_date_is_a_fejl_saying_blank_means_running():
    _, findings = parse([["P1", "BIF", "Løntilskud", "2024-01-01", "snart"]])
    f = one(findings, kolonne="slut")
    assert (f.alvor, f.raekke) == (FEJL, 2) and "lad feltet stå tomt" in f.besked


def test_end_before_start_is_a_fejl():
    _, findings = parse([OK, ["P2", "BIF", "Løntilskud", "01-05-2024", "01-04-2024"]])
    f = one(findings, kolonne="slut")
    assert (f.alvor, f.raekke) == (FEJL, 3)
    assert "Slutdato 01-04-2024 ligger før startdato 01-05-2024" in f.besked


def test_rows_starting_after_the_period_give_one_warning_naming_the_first():
    register, findings = parse([OK, ["P2", "BIF", "Løntilskud", "2025-02-01", None],
                                ["P3", "SOF", "Løntilskud", "2025-03-01", None]])
    f = one(findings, kolonne="start")
    assert (f.alvor, f.raekke) == (ADVARSEL, 3)
    assert "2 rækker starter efter perioden" in f.besked and "01-02-2025" in f.besked
    assert len(register.forloeb) == 3      # kept, and they count nothing


# ---------------------------------------------------------------- codes

def test_unknown_forvaltning_is_a_fejl_with_the_nearest_valid_code():
    _, findings = parse([["P1", "SOFF", "Løntilskud", "2024-01-01", None]])
    f = one(findings, kolonne="forvaltning")
    assert (f.alvor, f.raekke) == (FEJL, 2)
    assert "Ukendt forvaltning 'SOFF'" in f.besked and "Mente du 'SOF'?" in f.besked and "Gyldige koder" in f.besked


def test_unknown_scheme_is_a_fejl_with_the_nearest_valid_one():
    _, findings = parse([["P1", "BIF", "Løntilskudd", "2024-01-01", None]])
    f = one(findings, kolonne="ordning")
    assert (f.alvor, f.raekke) == (FEJL, 2) and "Mente du 'Løntilskud'?" in f.besked


def test_codes_in_any_case_and_spacing_and_short_forms_are_accepted():
    register, findings = parse([["P1", " bif ", "løntilskud", "2024-01-01", None], ["P2", "økf", "Småjob", "2024-01-01", None]])
    assert findings == []
    assert list(register.forloeb["forvaltning"]) == ["BIF", "ØKF"]
    assert list(register.forloeb["ordning"]) == ["Løntilskud", "Småjob under det sociale frikort"]


def test_a_scheme_outside_the_years_group_is_a_warning_and_not_counted():
    _, findings = parse([["P1", "BIF", "Nytteindsats", "2024-01-01", None], ["P2", "BIF", "Fleksjob", "2024-01-01", None]])
    assert one(findings, raekke=2).alvor == ADVARSEL
    assert "fleksjob-arket" in one(findings, raekke=3).besked


# ---------------------------------------------------------------- duplicates and overlaps

def test_an_exact_duplicate_row_is_a_warning_and_counted_once():
    row = ["P1", "BIF", "Løntilskud", "2024-01-01", "2024-06-30"]
    register, findings = parse([row, list(row)])
    f = one(findings)
    assert (f.alvor, f.raekke, f.kolonne) == (ADVARSEL, 3, "id") and "præcis kopi" in f.besked
    assert len(register.forloeb) == 1


def test_overlapping_forloeb_of_one_person_in_one_scheme_is_a_warning_naming_both_rows():
    register, findings = parse([["P1", "BIF", "Løntilskud", "2024-01-01", "2024-06-30"],
                                ["P1", "BIF", "Løntilskud", "2024-06-01", None],
                                ["P1", "BIF", "Virksomhedspraktik", "2024-06-01", None]])   # another scheme: fine
    f = one(findings)
    assert (f.alvor, f.raekke, f.kolonne) == (ADVARSEL, 3, "start")
    assert "overlapper forløbet i række 2" in f.besked
    assert len(register.forloeb) == 3


# ---------------------------------------------------------------- hours

HOURS = COLS + ["timer_pr_uge"]


@pytest.mark.parametrize("value, text", [("-3", "større end 0 (er -3)"), ("0", "større end 0 (er 0)"),
                                         ("mange", "'mange' er ikke et antal timer")])
def test_negative_zero_or_non_numeric_hours_are_a_fejl(value, text):
    _, findings = parse([OK + ["37"], ["P2", "BIF", "Løntilskud", "2024-01-01", None, value]], HOURS)
    f = one(findings, kolonne="timer_pr_uge")
    assert (f.alvor, f.raekke) == (FEJL, 3) and text in f.besked


def test_blank_hours_are_a_warning_on_the_weekday_basis_only():
    rows = [OK + [""], ["P2", "BIF", "Løntilskud", "2024-01-01", None, "37,5"]]
    _, findings = parse(rows, HOURS, basis="hverdage")
    f = one(findings)
    assert (f.alvor, f.raekke, f.kolonne) == (ADVARSEL, 2, "timer_pr_uge") and "fuld tid" in f.besked
    assert parse(rows, HOURS)[1] == []


# ---------------------------------------------------------------- targets and weights

def targets(rows):
    return pd.DataFrame(rows, columns=["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"], dtype=str)


@pytest.mark.parametrize("group, fleks, text", [("0", "47", "er 0; det skal være større end 0"),
                                                ("-5", "47", "er -5"), ("", "47", "intet måltal for helårspersoner"),
                                                ("56", "0", "måltal for fleksjob for 2024 er 0")])
def test_missing_zero_or_negative_targets_are_a_fejl(group, fleks, text):
    # issue 10: whether or not the unit has forløb (KK's target is the sum of all seven), so the
    # year's rules are refused before any register is read
    with pytest.raises(InputError) as exc:
        load_rules(2024, maaltal=targets([["2024", "BIF", group, fleks], ["2024", "SOF", "184", "157"]]))
    f = one(exc.value.findings, kilde="maaltal")
    assert f.alvor == FEJL and "BIF" in f.besked and text in f.besked and f.kolonne in ("maaltal_gruppe", "maaltal_fleksjob")


def test_a_unit_without_any_target_is_a_fejl_but_units_without_forloeb_need_none():
    rules = load_rules(2024, maaltal=targets([["2024", "SOF", "184", "157"]]))
    _, findings = parse([OK], rules=rules)
    assert {f.kolonne for f in findings} == {"maaltal_gruppe", "maaltal_fleksjob"}
    assert all(f.alvor == FEJL and "BIF har forløb, men intet" in f.besked for f in findings)


def test_a_year_without_weights_or_targets_is_a_fejl_before_anything_is_computed():
    with pytest.raises(InputError) as exc:
        compute(RawInput(Table(frame([["P1", "BIF", "Løntilskud", "2031-01-01", None]]), "forloeb.csv"), None),
                Settings(2031))
    kilder = {(f.kilde, f.kolonne, f.alvor) for f in exc.value.findings}
    assert ("vaegte", "aar", FEJL) in kilder and ("maaltal", "aar", FEJL) in kilder
    assert any("ingen vægte for 2031" in f.besked for f in exc.value.findings)


def test_a_non_numeric_weight_is_a_fejl_not_a_crash():
    weights = Table(pd.DataFrame([["2024", "abc", "0,45"]], columns=["aar", "vaegt_gruppe", "vaegt_fleksjob"]), "vaegte.csv")
    with pytest.raises(InputError):
        run([OK], vaegte=weights)


def test_negative_weights_are_a_fejl():
    weights = Table(pd.DataFrame([["2024", "-1", "0,45"]], columns=["aar", "vaegt_gruppe", "vaegt_fleksjob"]), "vaegte.csv")
    with pytest.raises(InputError):
        run([OK], vaegte=weights)


def test_two_target_rows_for_one_unit_are_a_fejl_not_a_crash():
    maaltal = Table(targets([["2024", "BIF", "56", "47"], ["2024", "BIF", "50", "40"]]), "maaltal.csv")
    with pytest.raises(InputError):
        run([OK], maaltal=maaltal)


# ---------------------------------------------------------------- severity and where

def test_errors_stop_the_tables_and_warnings_do_not():
    duplicate = ["P1", "BIF", "Løntilskud", "2024-01-01", "2024-06-30"]
    result = run([duplicate, list(duplicate)])
    # (row-less warnings: the other forvaltninger have no forløb, issue 10)
    assert [f.alvor for f in result.findings if f.raekke is not None] == [ADVARSEL]
    with pytest.raises(InputError) as exc:
        run([duplicate, ["P2", "BIF", "Løntilskud", "2024-05-01", "2024-04-01"]])
    assert [f.alvor for f in exc.value.errors] == [FEJL]


def test_every_row_finding_names_source_row_and_the_column_as_the_user_wrote_it():
    headers = ["Person", "Forv", "Jobordning", "Startdato", "Slutdato", "Timer"]
    rows = [["P1", "BIF", "Løntilskud", "2024-01-01", None, "37"],      # row 2: fine
            ["", "BIF", "Løntilskud", "2024-01-01", None, "37"],        # row 3: id
            ["P3", "XYZ", "Løntilskud", "2024-01-01", None, "37"],      # row 4: forvaltning
            ["P4", "BIF", "Praktikk", "2024-01-01", None, "37"],        # row 5: ordning
            ["P5", "BIF", "Løntilskud", "", None, "37"],                # row 6: start
            ["P6", "BIF", "Løntilskud", "2024-01-01", "x", "37"],       # row 7: slut
            ["P7", "BIF", "Løntilskud", "2024-01-01", None, "-1"]]      # row 8: timer
    _, findings = parse(rows, headers, source="Forløb")
    where = {(f.kilde, f.raekke, f.kolonne) for f in findings}
    assert where == {("Forløb", 3, "Person"), ("Forløb", 4, "Forv"), ("Forløb", 5, "Jobordning"),
                     ("Forløb", 6, "Startdato"), ("Forløb", 7, "Slutdato"), ("Forløb", 8, "Timer")}
    assert all(f.alvor == FEJL for f in findings)
    says_what_to_do = [f for f in findings if re.search(r"(Angiv|Skriv|Mente du|Gyldige|skal være|ikke et)", f.besked)]
    assert len(says_what_to_do) == len(findings)


def test_a_missing_start_date_says_what_to_do():
    _, findings = parse([["P1", "BIF", "Løntilskud", "", None]])
    assert re.search(r"(Skriv|Angiv)", one(findings).besked)


def test_thousands_of_identical_problems_are_summarised_not_listed():
    rows = [["P%d" % i, "XYZ", "Løntilskud", "2024-01-01", None] for i in range(1200)]
    _, findings = parse(rows)
    assert len(findings) == 1001 and "200 rækker mere" in findings[-1].besked


# ---------------------------------------------------------------- CPR numbers

CPRS = ["010190-1234", "0101901234", "311299-4321"]


def test_ids_that_look_like_cpr_numbers_are_flagged_and_masked():
    _, findings = parse([[c, "BIF", "Løntilskud", "2024-01-01", None] for c in CPRS])
    f = one(findings)
    assert (f.alvor, f.raekke, f.kolonne) == (ADVARSEL, 2, "id")
    assert "3 id'er ligner CPR-numre" in f.besked and "010190-XXXX" in f.besked
    assert not looks_like_cpr(str(f))


def test_cpr_numbers_in_other_columns_are_never_echoed():
    rows = [["P1", "010190-1234", "Løntilskud", "2024-01-01", None],
            ["P2", "BIF", "0101901234", "2024-01-01", None],
            ["P3", "BIF", "Løntilskud", "311299-4321", "3112994321"]]
    _, findings = parse(rows)
    assert {(f.raekke, f.kolonne) for f in findings if f.alvor == FEJL} == \
        {(2, "forvaltning"), (3, "ordning"), (4, "start"), (4, "slut")}
    # and each column holding one is flagged (issue 4: any column), masked
    assert {f.kolonne for f in findings if f.alvor == ADVARSEL and "CPR" in f.besked} == \
        {"forvaltning", "ordning", "start", "slut"}
    assert not any(looks_like_cpr(str(f)) for f in findings)


def test_finding_messages_are_masked_whatever_builds_them():
    f = Finding(FEJL, "x", "Personen 010190-1234 og 0101901234 ...")
    assert not looks_like_cpr(f.besked) and f.besked.count("XXXX") == 2


def test_a_cpr_number_written_with_a_space_is_masked_too():
    _, findings = parse([["P1", "BIF", "Løntilskud", "2024-01-01", "010190 1234"]])
    assert findings and not any("010190 1234" in str(f) for f in findings)


def test_cpr_numbers_in_any_column_are_flagged():
    _, findings = parse([OK + ["0101901234"]], HOURS)
    assert any("CPR" in f.besked for f in findings)


def test_the_cli_never_prints_a_cpr_number(tmp_path, cli):
    rows = ["id,forvaltning,ordning,start,slut", "010190-1234,BIF,Løntilskud,2024-01-01,",
            "P2,0202901234,Løntilskud,2024-01-01,", "P3,BIF,Løntilskud,030390-1234,"]
    (tmp_path / "forloeb.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "fleksjob.csv").write_text("id,forvaltning,start,slut\n0404901234,BIF,2024-01-01,\n", encoding="utf-8")
    p = cli("status", tmp_path, "--year", "2024", "--format", "json")
    assert p.code == 2
    assert "XXXX" in p.err
    assert not looks_like_cpr(p.out + p.err)


# ---------------------------------------------------------------- fuzz: a result or a finding, never a traceback

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
dates = st.dates(dt.date(1899, 1, 1), dt.date(2100, 12, 31))
cell = st.one_of(
    st.none(), st.just(""), st.just("   "), text,
    st.integers(-10**6, 10**7), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    dates, dates.map(lambda d: d.isoformat()), dates.map(lambda d: d.strftime("%d-%m-%Y")),
    dates.map(lambda d: d.strftime("%d.%m.%Y")), st.datetimes(dt.datetime(1899, 1, 1), dt.datetime(2100, 1, 1)),
    st.times(), st.timedeltas(), st.sampled_from(UNITS + SCHEMES + ["bif", " SOF ", "Småjob", "010190-1234", "=1+1"]),
)


def fuzz_rows(width: int, max_rows: int = 12):
    return st.lists(st.lists(cell, min_size=width, max_size=width), max_size=max_rows)


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@FUZZ
@given(fuzz_rows(6), fuzz_rows(4, 4))
def test_fuzz_compute_gives_a_result_or_an_input_error_never_a_traceback(forloeb, fleksjob):
    raw = RawInput(Table(frame(forloeb, HOURS), "forloeb.csv"),
                   Table(frame(fleksjob, ["id", "forvaltning", "start", "slut"]), "fleksjob.csv"))
    try:
        result = compute(raw, Settings(2024))
    except InputError as exc:
        assert exc.findings and exc.errors
        assert all(isinstance(f, Finding) and f.besked for f in exc.findings)
        return
    assert isinstance(result, Result)
    assert not any(f.er_fejl for f in result.findings)
    status = result.tidy["status"].to_numpy(dtype=float)
    assert np.all(np.isfinite(status) | np.isnan(status)) and np.nanmin(status, initial=0) >= 0


@pytest.mark.slow
@FUZZ
@given(st.lists(st.one_of(text, st.sampled_from(COLS + ["Startdato", "Forv", "timer"])), min_size=0, max_size=7,
                unique=True), fuzz_rows(7, 3))
def test_fuzz_headers_give_a_result_or_an_input_error(headers, rows):
    rows = [r[:len(headers)] for r in rows]
    try:
        run(rows, headers)
    except InputError as exc:
        assert exc.errors


valid_date = st.one_of(dates.map(lambda d: d.isoformat()), dates.map(lambda d: d.strftime("%d-%m-%Y")),
                       dates.map(lambda d: d.strftime("%d/%m/%Y")), dates,
                       dates.filter(lambda d: d >= dt.date(1927, 5, 18)).map(lambda d: (d - dt.date(1899, 12, 30)).days))


@pytest.mark.slow
@FUZZ
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(UNITS + ["bif", " sof ", "økf"]),
                          st.sampled_from(SCHEMES), valid_date, st.one_of(st.none(), valid_date)), max_size=25))
def test_fuzz_valid_registers_give_the_correct_helaarspersoner(rows):
    """Any mix of accepted spellings: either a finding, or exactly the figure an independent
    day count gives (exact duplicates once, rows with errors left out only with a fejl)."""
    data = [[f"P{p}", u, s, a, b] for p, u, s, a, b in rows]

    def day(v):
        if isinstance(v, int):
            return dt.date(1899, 12, 30) + dt.timedelta(days=v)
        if isinstance(v, dt.date):
            return v
        return dt.datetime.strptime(v, "%Y-%m-%d").date() if "-" in v[:5] and v[4] == "-" else \
            dt.datetime.strptime(v.replace("/", "-"), "%d-%m-%Y").date()

    try:
        result = run(data)
    except InputError as exc:
        if not data:        # issue 10: a register without forløb is a fejl, never tables of 0
            assert [f.besked.startswith("Registeret har ingen forløb") for f in exc.errors] == [True]
            return
        assert all(f.kolonne == "slut" and "før startdato" in f.besked for f in exc.errors)
        assert any(b is not None and day(b) < day(a) for _, _, _, a, b in rows)
        return
    seen, days, count = set(), 0, 0
    for p, u, s, a, b in rows:
        unit = {"bif": "BIF", " sof ": "SOF", "økf": "ØKF"}.get(u, u)
        key = (p, unit, s, day(a), None if b is None else day(b))
        if key in seen:
            continue
        seen.add(key)
        first, last = max(day(a), dt.date(2024, 1, 1)), min(day(b) if b is not None else dt.date(2024, 12, 31),
                                                            dt.date(2024, 12, 31))
        if first <= last:
            days += (last - first).days + 1
            count += 1
    kk = result.tidy.set_index(["enhed", "linje"]).loc[("KK", "Samlet")]
    assert kk["status"] == pytest.approx(days / 366, abs=1e-9)
    assert kk["antal_forloeb"] == count


@pytest.mark.parametrize("junk", ["i morgen", "2024-02-30", "31-12-24", -1, 3.5e9, "NaN", "∞"])
def test_junk_dates_are_never_counted_silently(junk):
    with pytest.raises(InputError) as exc:
        run([OK, ["P2", "BIF", "Løntilskud", "2024-01-01", junk]])
    assert one(exc.value.findings, raekke=3).kolonne == "slut"


@pytest.mark.parametrize("junk", [True, dt.time(12, 0), dt.timedelta(days=3)])
def test_values_of_unexpected_types_in_a_date_column_are_a_fejl(junk):
    with pytest.raises(InputError):
        run([OK, ["P2", "BIF", "Løntilskud", "2024-01-01", junk]])


def test_any_numpy_integer_is_an_excel_serial():
    # 45300 = 09-01-2024; numpy's int32 (from some readers) must read like int64 and float do
    result = run([["P2", "BIF", "Løntilskud", "2024-01-01", np.int32(45300)]])
    bif = result.tidy.set_index(["enhed", "linje"]).loc[("BIF", "Løntilskud"), "status"]
    assert bif == 9 / 366


def test_a_bare_year_is_not_silently_a_date_in_1905():
    with pytest.raises(InputError):
        run([["P1", "BIF", "Løntilskud", "2024", None]])


def test_fleksjob_headcounts_are_read():
    counts = Table(pd.DataFrame([["BIF", 3], ["SOF", 4]], columns=["forvaltning", "antal"]), "fleksjob.csv")
    result = run([OK], fleksjob=counts)
    assert result.tidy.set_index(["enhed", "linje"]).loc[("KK", "Fleksjob"), "status"] == 7


# ---------------------------------------------------------------- formula injection

HOSTILE = ["=HYPERLINK(\"http://x\",\"klik\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_written_to_csv_that_starts_like_a_formula_stays_text(value):
    tidy = pd.DataFrame([{"aar": 2024, "enhed": value, "linje": value, "status": 1.0, "maaltal": np.nan,
                          "maalopfyldelse": np.nan, "antal_forloeb": 1.0}])
    fake = Result(Settings(2024), RULES, tidy, None, [], [])
    out = report.to_csv(fake)
    fields = [f for line in out.splitlines()[1:] for f in next(csv.reader([line]))]
    assert fields[1] == fields[2] == "'" + value
    assert not any(f.startswith(("=", "+", "-", "@")) for f in fields if not re.fullmatch(r"-?[\d.e+-]+", f))


@pytest.mark.parametrize("value", HOSTILE)
def test_text_written_to_the_findings_sheet_that_starts_like_a_formula_stays_text(value):
    grid = findings_grid([Finding(FEJL, value, value, raekke=2, kolonne=value)])
    row = grid.cells[-1]
    assert row[1] == row[3] == row[4] == "'" + value
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for r in grid.cells for v in r)


def test_user_text_from_a_register_never_reaches_a_sheet_as_a_formula():
    """End to end: a hostile register's findings, as the check sheet would show them."""
    rows = [["=1+1", "=SUM(A1)", "@x", "+45292", "-1"], ["P2", "BIF", "Løntilskud", "=NOW()", None]]
    with pytest.raises(InputError) as exc:
        run(rows)
    grid = findings_grid(exc.value.findings)
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for r in grid.cells for v in r)


# ---------------------------------------------------------------- a register of 1,000,000 rows

def big_register(n: int, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """n forløb with distinct ids (so no duplicates or overlaps), text dates as a CSV gives them
    (ISO and Danish), 10 % still running; plus their starts and ends for an independent count."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01") + rng.integers(0, 800, n).astype("timedelta64[D]")
    slut = start + rng.integers(0, 400, n).astype("timedelta64[D]")
    running = rng.random(n) < 0.1
    iso = pd.Series(start.astype(str))
    danish = iso.str.slice(8, 10) + "-" + iso.str.slice(5, 7) + "-" + iso.str.slice(0, 4)
    start_text = np.where(rng.random(n) < 0.3, danish, iso)
    slut_text = np.where(running, "", slut.astype(str))
    units = np.array(UNITS, dtype=object)[rng.integers(0, 7, n)]
    schemes = np.array(SCHEMES, dtype=object)[rng.integers(0, 3, n)]
    ids = np.char.add("SYNT-", np.arange(n).astype(str)).astype(object)
    f = pd.DataFrame({"id": ids, "forvaltning": units, "ordning": schemes, "start": start_text, "slut": slut_text})
    return f, start, np.where(running, np.datetime64("NaT"), slut)


@pytest.mark.slow
def test_a_register_of_a_million_rows_goes_through_compute():
    """Scale in the normal suite: a million text rows, figures checked against plain numpy.
    (How fast is measured by `benchmarks/`, never asserted here.)"""
    n = 1_000_000
    forloeb, start, slut = big_register(n)
    result = compute(RawInput(Table(forloeb, "forloeb.csv"), fleks_table()), Settings(2024))
    p0, p1 = np.datetime64("2024-01-01"), np.datetime64("2024-12-31")
    last = np.where(np.isnat(slut), p1, np.minimum(slut, p1))
    first = np.maximum(start, p0)
    inside = first <= last
    days = ((last - first).astype(np.int64) + 1)[inside].sum()
    kk = result.tidy.set_index(["enhed", "linje"]).loc[("KK", "Samlet")]
    assert kk["antal_forloeb"] == int(inside.sum())
    assert kk["status"] == pytest.approx(days / 366, rel=1e-12)
    assert [f.alvor for f in result.findings if f.raekke is not None] == [ADVARSEL]   # one line: rows starting in 2025


def test_a_running_forloeb_overlaps_a_later_one_of_the_same_person():
    # the blank end once wrapped to 1816 in a nanosecond column and hid this overlap
    _, findings = parse([["P1", "BIF", "Løntilskud", "2024-01-01", None],
                         ["P1", "BIF", "Løntilskud", "2024-06-01", "2024-08-31"]])
    f = one(findings)
    assert (f.alvor, f.raekke) == (ADVARSEL, 3) and "overlapper forløbet i række 2" in f.besked


def test_a_danish_decimal_in_last_years_table_counts_as_typed():
    # "112,4" passed the number check but used to become a silent blank in table 2
    from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, demo_input
    d = demo_input()
    prev = d.previous.frame.copy()
    prev.loc[0, "status"] = "112,4"
    result = compute(RawInput(d.forloeb, d.fleksjob, previous=Table(prev, "Tidligere år")), DEMO_SETTINGS)
    t = result.previous_tidy.set_index(["enhed", "linje"])
    assert t.at[("KK", "Løntilskud"), "status"] == 112.4
    assert t.at[("KK", "Samlet"), "status"] == pytest.approx(772.4)


# ---------------------------------------------------------------- copies and overlaps against brute force

def _conflicts_by_hand(person, group, unit, s, e):
    """O(n²) reference: rows copying an earlier row; rows b overlapping a non-copy row a of the same
    person and group that starts before b (or on the same day, earlier in the register)."""
    n = len(person)
    end = [float("inf") if x == _NAT else x for x in e]
    dup = {j for j in range(n) for i in range(j)
           if (person[i], group[i], unit[i], s[i], e[i]) == (person[j], group[j], unit[j], s[j], e[j])}
    rest = [i for i in range(n) if i not in dup]
    hit = {b for b in rest for a in rest if a != b and (person[a], group[a]) == (person[b], group[b])
           and (s[a], a) < (s[b], b) and s[b] <= end[a]}
    return dup, hit


@pytest.mark.slow
@pytest.mark.parametrize("pack_bits,chunk", [(62, 1 << 20), (62, 3), (0, 1 << 20)],
                         ids=["packed sort", "packed sort in slices of 3 rows", "exact path only"])
@given(rows=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 1), st.integers(0, 30),
                               st.one_of(st.none(), st.integers(0, 12))), min_size=0, max_size=40))
@settings(max_examples=300, deadline=None)
def test_copies_and_overlaps_match_a_brute_force_check(pack_bits, chunk, rows):
    person = np.array([r[0] for r in rows], dtype=np.int64)
    group = np.array([r[1] for r in rows], dtype=np.int64)
    unit = np.array([r[2] for r in rows], dtype=np.int64)
    s = np.array([r[3] for r in rows], dtype=np.int64) + 19000
    e = np.array([_NAT if r[4] is None else r[3] + 19000 + r[4] for r in rows], dtype=np.int64)
    found = conflicts(person, group, unit, s, e, pack_bits=pack_bits, chunk_rows=chunk)
    dup, pairs = found.copies, found.overlaps
    want_dup, want_hit = _conflicts_by_hand(person, group, unit, s, e)
    assert set(dup.tolist()) == want_dup
    assert {b for _, b in pairs} == want_hit
    for a, b in pairs:      # the named row really overlaps, and is no copy
        assert a not in want_dup and (person[a], group[a]) == (person[b], group[b])
        assert s[a] <= s[b] and (e[a] == _NAT or s[b] <= e[a])


_TEXT = st.text(alphabet=st.sampled_from(list("0123456789-# \t\u00a0AbNæ/!\x00\u0663\u2007")), max_size=16)


@pytest.mark.slow
@given(values=st.lists(st.one_of(_TEXT, st.sampled_from(["#N/A", " #REF!", "010190-1234", "0101901234",
                                                           "\u0660\u0661\u0660\u0661\u0669\u0660\u0661\u0662\u0663\u0664"])),
                       min_size=1, max_size=60, unique=True),
       others=st.lists(st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                                 st.datetimes(min_value=dt.datetime(1930, 1, 1))), max_size=5))
@settings(max_examples=300, deadline=None)
def test_the_bulk_text_prefilter_never_misses_a_value_the_exact_checks_flag(values, others):
    # text alone takes the bulk byte scan; numbers and datetimes among the text (as a sheet column
    # may hold) are decided by type
    from jobstatus_xl.engine.findings import is_excel_error, looks_like_cpr
    from jobstatus_xl.engine.factorize import text_prefilter
    for column in (values, values + others):
        may = text_prefilter(np.array(column, dtype=object))
        for i, v in enumerate(column):
            text = isinstance(v, str)
            assert may.maybe_blank[i] or not (text and not v.strip()), v
            assert may.maybe_error[i] or not is_excel_error(v), v
            assert may.maybe_cpr[i] or not looks_like_cpr(v), v
            assert may.needs_strip[i] or (text and v.strip() == v), v


def test_typed_columns_give_the_same_findings_and_figures_as_text_columns():
    # categoricals for text and datetime64 dates (a typed reader) take the fast paths; every check
    # and every figure must come out as from the same register typed as text in a sheet
    rows = [["P1", "BIF", "Løntilskud", "2024-01-01", "2024-03-31"],
            [" P1", "BIF", "Løntilskud", "2024-03-01", None],             # same person once stripped: overlap
            ["P2", "SOF", "Virksomhedspraktik", "2024-02-01", "2024-02-29"],
            ["P2", "SOF", "Virksomhedspraktik", "2024-02-01", "2024-02-29"],  # an exact copy
            ["0101901234", "BUF", "Småjob", "2023-06-01", "2024-06-30"],      # a CPR-like id
            ["P3", "ØKF", "Løntilskud", "2025-02-01", None]]                  # starts after the period
    text = frame(rows)
    typed = pd.DataFrame({
        "id": pd.Categorical(text["id"]), "forvaltning": pd.Categorical(text["forvaltning"]),
        "ordning": pd.Categorical(text["ordning"]),
        "start": pd.to_datetime(text["start"]), "slut": pd.to_datetime(text["slut"])})
    assert typed["start"].dtype.kind == "M" and isinstance(typed["id"].dtype, pd.CategoricalDtype)
    reg_t, f_t = parse_register(text, None, RULES, YEAR)
    reg_y, f_y = parse_register(typed, None, RULES, YEAR)
    assert [str(f) for f in f_y] == [str(f) for f in f_t]
    assert {f.besked.split(" ")[0] for f in f_t} >= {"Forløbet", "Rækken", "1"}     # overlap, copy, CPR
    a_t, a_y = aggregate(reg_t, RULES, YEAR), aggregate(reg_y, RULES, YEAR)
    pd.testing.assert_frame_equal(a_y.schemes, a_t.schemes)
    assert a_t.schemes["status"].sum() > 0


# ---------------------------------------------------------------- schemes of other years

def test_a_year_whose_group_holds_a_scheme_of_another_year_computes_it():
    # 2023's group holds Nytteindsats, which every year's parse also knows as "another year's scheme":
    # the register once listed it twice and 2023 ended in "Categorical categories must be unique"
    rules_2023 = load_rules(2023, maaltal=pd.DataFrame(
        [["2023", u, "10", "5"] for u in UNITS], columns=["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"]))
    assert "Nytteindsats" in rules_2023.group
    rows = [["P1", "BIF", "Nytteindsats", "2023-01-01", "2023-12-31"],
            ["P2", "BIF", "Løntilskud", "2023-01-01", "2023-07-02"]]
    register, findings = parse_register(frame(rows), None, rules_2023, Period.year(2023),
                                        forloeb_source="forloeb.csv")
    assert not [f for f in findings if f.alvor == FEJL], [str(f) for f in findings]
    assert sorted(register.forloeb["ordning"].astype(str)) == ["Løntilskud", "Nytteindsats"]


def test_another_years_scheme_is_known_and_not_counted():
    _, findings = parse([OK, ["P2", "BIF", "Nytteindsats", "2024-01-01", None]])
    f = one(findings, kolonne="ordning")
    assert f.alvor == ADVARSEL and "Nytteindsats" in f.besked and "indgår ikke i 2024" in f.besked

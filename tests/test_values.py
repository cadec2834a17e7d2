"""Issue 10: one reader of values (`engine/values.py`) for every front, and the completeness and
plausibility findings. Every case here failed on the code before the issue."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from jobstatus_xl.engine import values as v
from jobstatus_xl.engine.findings import ADVARSEL, FEJL, InputError
from jobstatus_xl.engine.periods import Period
from jobstatus_xl.engine.pipeline import RawInput, Settings, Table, compute
from jobstatus_xl.engine.rules import load_rules

COLS = ["id", "forvaltning", "ordning", "start", "slut"]
FCOLS = ["id", "forvaltning", "start", "slut"]
UNITS = ["BIF", "BUF", "KFF", "SOF", "SUF", "TMF", "ØKF"]


def frame(rows, columns=COLS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


def full_register(**override):
    """One year-long forløb and one fleksjob employee in every forvaltning: no plausibility warning."""
    forloeb = [[f"P{u}", u, "Løntilskud", "2024-01-01", None] for u in UNITS]
    fleks = [[f"F{u}", u, "2024-01-01", None] for u in UNITS]
    return RawInput(Table(frame(override.pop("forloeb", forloeb)), "forloeb.csv"),
                    Table(frame(override.pop("fleks", fleks), FCOLS), "fleksjob.csv"), **override)


def fejl(exc_info) -> list[str]:
    return [str(f) for f in exc_info.value.findings if f.er_fejl]


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("text", ["1084", "1.084", "1 084", "1\u00a0084", "1.084,00", "1084.0", "1084,0", 1084, 1084.0])
def test_whole_number_fields_read_danish_thousands(text):
    assert v.read_number(text, v.WHOLE) == 1084


@pytest.mark.parametrize("text, x", [("0,55", 0.55), ("55 %", 0.55), ("55 pct.", 0.55), ("37,5", 37.5),
                                     ("37.5", 37.5), ("0.550", 0.55), ("1.234,5", 1234.5), ("1.084.000", 1084000)])
def test_fractional_fields_read_as_written(text, x):
    assert v.read_number(text, v.FRACTIONAL) == x


@pytest.mark.parametrize("value, kind, fragment", [
    ("2024,5", v.WHOLE, "ikke et helt tal"), (2024.5, v.WHOLE, "ikke et helt tal"),
    ("1,084", v.WHOLE, "ikke et helt tal"),                  # 1,084 in Danish: never 1084
    ("1.500", v.FRACTIONAL, "både som 1500 og som 1,5"),   # thousands or decimal point: never guessed
    ("mange", v.WHOLE, "ikke et tal"), ("55 %", v.WHOLE, "ikke en procent"), (True, v.WHOLE, "skal være et tal"),
    (float("inf"), v.FRACTIONAL, "endeligt"), ("1,084.5", v.FRACTIONAL, "ikke et tal"),
])
def test_what_a_field_cannot_read_is_refused_not_guessed(value, kind, fragment):
    with pytest.raises(v.Unreadable, match=fragment):
        v.read_number(value, kind)


def test_blanks_are_blank_and_the_column_reader_marks_unreadable_values():
    assert v.read_number("  ", v.WHOLE) is None and v.read_number(None, v.WHOLE) is None
    x, blank, bad = v.numbers_of(pd.Series(["1.134", "", None, "x", "2.278"], dtype=object), v.WHOLE)
    assert x[0] == 1134 and x[4] == 2278 and np.isnan(x[1:4]).all()
    assert blank.tolist() == [False, True, True, False, False] and bad.tolist() == [False, False, False, True, False]


def test_exact_reading_for_check():
    assert v.read_decimal("84 pct.", v.WHOLE) == (Fraction(84), True)
    assert v.read_decimal("0,1", v.FRACTIONAL) == (Fraction(1, 10), False)


@pytest.mark.parametrize("value", ["2024,5", 2024.5, "1990,1", "tyve", 1989, "2101"])
def test_a_year_is_a_whole_number_in_range(value):
    with pytest.raises(v.Unreadable, match="ikke et årstal"):
        v.read_year(value)


def test_danish_formatting_and_plurals():
    assert v.dansk_tal(1084, 0) == "1.084" and v.dansk_tal(Fraction(4547, 100)) == "45,47"
    assert v.dansk_tal(0.125, 2) == "0,13" and v.dansk_tal(-3, 0) == "−3"
    assert v.plural(1, "række", "rækker") == "1 række" and v.plural(1084, "række", "rækker") == "1.084 rækker"


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("value, day", [
    ("31-12-9999", dt.date(9999, 12, 31)), ("9999-12-31", dt.date(9999, 12, 31)), (2958465, dt.date(9999, 12, 31)),
    ("2958465", dt.date(9999, 12, 31)), (dt.datetime(9999, 12, 31, 23, 59), dt.date(9999, 12, 31)),
    ("01-01-0001", dt.date(1, 1, 1)), ("0001-01-01", dt.date(1, 1, 1)), ("01.01.2310", dt.date(2310, 1, 1)),
    (dt.date(2310, 1, 1), dt.date(2310, 1, 1)), (np.datetime64("2500-06-01"), dt.date(2500, 6, 1)),
    ("29-02-2024", dt.date(2024, 2, 29)), ("45292,5", dt.date(2024, 1, 1)), ("31-12-2024 00:00", dt.date(2024, 12, 31)),
])
def test_every_date_from_year_1_to_9999_is_read_exactly(value, day):
    assert v.read_date(value) == day


@pytest.mark.parametrize("value", ["29-02-2023", "31-04-2024", "00-01-2024", "12/31/2024", "0000-01-01", 9999,
                                   2958466, "2024", "i morgen", True, dt.time(8, 0)])
def test_what_is_no_date_is_refused(value):
    with pytest.raises(v.Unreadable):
        v.read_date(value)


def test_open_ended_and_far_future_forloeb_on_the_csv_path():
    raw = full_register(forloeb=[["A", "SOF", "Løntilskud", "01-01-2024", "31-12-9999"],
                                 ["B", "SOF", "Løntilskud", "01-07-2024", "2958465"],
                                 ["C", "SOF", "Løntilskud", "01-01-2310", None]]
                        + [[f"P{u}", u, "Løntilskud", "2024-01-01", None] for u in UNITS if u != "SOF"])
    tidy = compute(raw, Settings(2024)).tidy.set_index(["enhed", "linje"])
    # A: the whole year (open end), B: 184 of 366 days, C (starts in 2310): outside the period
    assert tidy.loc[("SOF", "Løntilskud"), "status"] == pytest.approx(1 + 184 / 366)
    assert tidy.loc[("SOF", "Løntilskud"), "antal_forloeb"] == 2


def test_far_future_typed_dates_are_exact_on_the_sheet_path():
    far = dt.datetime(9999, 12, 31)
    rows = [["A", "SOF", "Løntilskud", dt.datetime(2024, 1, 1), far],
            ["C", "SOF", "Løntilskud", dt.datetime(2310, 1, 1), None]]
    rows += [[f"P{u}", u, "Løntilskud", dt.datetime(2024, 1, 1), None] for u in UNITS if u != "SOF"]
    fleks = [[f"F{u}", u, dt.datetime(2024, 1, 1), far] for u in UNITS]
    tidy = compute(full_register(forloeb=rows, fleks=fleks), Settings(2024)).tidy.set_index(["enhed", "linje"])
    assert tidy.loc[("SOF", "Løntilskud"), "status"] == 1.0
    assert tidy.loc[("SOF", "Fleksjob"), "status"] == 1.0


# ---------------------------------------------------------------- numbers in the engine's tables

def test_danish_thousands_in_targets_and_previous_year():
    maaltal = frame([["2024", u, "56", "47"] for u in UNITS if u != "SOF"] + [["2024", "SOF", "1.134", "157"]],
                    ["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"])
    rules = load_rules(2024, maaltal=maaltal)
    assert rules.targets.loc["SOF", "maaltal_gruppe"] == 1134
    prev = frame([["2023", "KK", "Løntilskud", "289", "2.278"]], ["aar", "enhed", "ordning", "status", "antal_forloeb"])
    result = compute(full_register(previous=Table(prev, "aggregater_2023.csv")), Settings(2024))
    kk = result.previous_tidy.set_index(["enhed", "linje"])
    assert kk.loc[("KK", "Løntilskud"), "antal_forloeb"] == 2278


def test_a_target_that_is_not_a_positive_finite_number_is_a_fejl_even_without_forloeb():
    for bad in ("-99940", "1e308", "0", "", "x"):
        maaltal = frame([["2024", u, "56", "47"] for u in UNITS] + [["2024", "ØKF", "82", bad]],
                        ["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"]).iloc[[0, 1, 2, 3, 4, 5, 7]]
        with pytest.raises(InputError) as exc:
            load_rules(2024, maaltal=maaltal)
        assert any("ØKF" in f.besked and f.kolonne == "maaltal_fleksjob" and f.raekke == 9 for f in exc.value.errors), bad


@pytest.mark.parametrize("group, fleks", [("50", "30"), ("0,5", "0,3"), ("55", "0,45"), ("55 %", "45")])
def test_weights_must_sum_to_100_or_1_and_are_never_normalised(group, fleks):
    with pytest.raises(InputError) as exc:
        load_rules(2024, vaegte=frame([["2024", group, fleks]], ["aar", "vaegt_gruppe", "vaegt_fleksjob"]))
    assert "summer til" in exc.value.errors[0].besked


@pytest.mark.parametrize("group, fleks", [("55", "45"), ("0,55", "0,45"), ("55 %", "45 %"), ("0.55", "0.45")])
def test_weights_summing_to_100_or_1_mean_the_same(group, fleks):
    rules = load_rules(2024, vaegte=frame([["2024", group, fleks]], ["aar", "vaegt_gruppe", "vaegt_fleksjob"]))
    assert (rules.weight_group, rules.weight_fleksjob) == (0.55, 0.45)


def test_a_year_that_is_not_whole_is_a_fejl_not_dropped():
    maaltal = frame([["2024,5", "SOF", "184", "157"]], ["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"])
    with pytest.raises(InputError) as exc:
        load_rules(2024, maaltal=maaltal)
    assert any(f.kolonne == "aar" and f.raekke == 2 and "2024,5" in f.besked for f in exc.value.errors)


def test_previous_year_with_a_unit_and_scheme_twice_is_a_fejl():
    prev = frame([["2023", "KK", "Løntilskud", "289", "300"], ["2023", "KK", "løntilskud ", "290", "301"]],
                 ["aar", "enhed", "ordning", "status", "antal_forloeb"])
    with pytest.raises(InputError) as exc:
        compute(full_register(previous=Table(prev, "aggregater_2023.csv")), Settings(2024))
    (f,) = exc.value.errors
    assert (f.kilde, f.raekke) == ("aggregater_2023.csv", 3) and "to gange" in f.besked and "række 2" in f.besked


# ---------------------------------------------------------------- completeness

def test_a_register_without_forloeb_is_a_fejl():
    with pytest.raises(InputError) as exc:
        compute(full_register(forloeb=[]), Settings(2024))
    assert any(f.kilde == "forloeb.csv" and "ingen forløb" in f.besked for f in exc.value.errors)


def test_a_period_outside_the_report_year_is_a_fejl():
    with pytest.raises(InputError) as exc:
        compute(full_register(), Settings(2024, end=dt.date(2025, 3, 31)))
    assert "ligger ikke inden for opgørelsesåret 2024" in exc.value.errors[0].besked


def test_two_columns_for_one_field_are_a_fejl():
    rows = [["P1", "SOF", "Løntilskud", "2024-01-01", None, "2023-01-01"]]
    raw = RawInput(Table(frame(rows, COLS + ["Startdato"]), "forloeb.csv"), full_register().fleksjob)
    with pytest.raises(InputError) as exc:
        compute(raw, Settings(2024))
    assert any("'start' og 'Startdato' betyder begge 'start'" in f.besked for f in exc.value.errors)


def test_warnings_for_missing_units_status_zero_and_implausible_attainment():
    forloeb = [[f"P{u}", u, "Løntilskud", "2024-01-01", None] for u in UNITS if u != "BIF"]
    forloeb += [[f"K{i}", "KFF", "Løntilskud", "2024-01-01", None] for i in range(200)]      # 200 / 39 > 300 %
    fleks = frame([["SOF", "157"], ["BUF", "376"]], ["forvaltning", "antal"])
    result = compute(RawInput(Table(frame(forloeb), "forloeb.csv"), Table(fleks, "fleksjob.csv")), Settings(2024))
    text = [str(f) for f in result.findings]
    assert all(f.alvor == ADVARSEL for f in result.findings)
    assert any("BIF har ingen forløb i perioden" in t for t in text)
    assert any("KFF" in t and "over 300 pct." in t for t in text)
    assert any("fleksjob.csv" in t and "BIF, KFF, SUF, TMF, ØKF står ikke i filen" in t for t in text)


def test_empty_target_and_weight_sheets_say_the_bundled_ones_are_used():
    empty_t = Table(frame([], ["aar", "enhed", "maaltal_gruppe", "maaltal_fleksjob"]), "Måltal")
    empty_w = Table(frame([], ["aar", "vaegt_gruppe", "vaegt_fleksjob"]), "Vægte")
    result = compute(full_register(maaltal=empty_t, vaegte=empty_w), Settings(2024))
    said = {f.kilde: f.besked for f in result.findings}
    assert "medfølgende måltal for 2024" in said["Måltal"] and "medfølgende vægte for 2024" in said["Vægte"]


def test_blank_codes_say_they_are_missing():
    raw = full_register(forloeb=[["P1", None, "Løntilskud", "2024-01-01", None],
                                 ["P2", "SOF", " ", "2024-01-01", None]])
    with pytest.raises(InputError) as exc:
        compute(raw, Settings(2024))
    text = fejl(exc)
    assert any("række 2" in t and "Forvaltningen mangler" in t for t in text)
    assert any("række 3" in t and "Ordningen mangler" in t for t in text)
    assert not any("None" in t for t in text)


def test_findings_list_fejl_before_advarsler():
    raw = full_register(forloeb=[["A", "SOF", "Løntilskud", "2024-01-01", "2024-06-30"],
                                 ["A", "SOF", "Løntilskud", "2024-01-01", "2024-06-30"],
                                 ["B", "XYZ", "Løntilskud", "2024-01-01", None]])
    with pytest.raises(InputError) as exc:
        compute(raw, Settings(2024))
    kinds = [f.alvor for f in exc.value.findings]
    assert FEJL in kinds and ADVARSEL in kinds and kinds == sorted(kinds, key=lambda a: a != FEJL)


# ---------------------------------------------------------------- wording

def test_one_month_period_label():
    assert Period.months(2024, 3, 3).label() == "marts 2024"
    assert Period.months(2024, 1, 6).label() == "januar til og med juni 2024"


def test_sub_period_column_says_period_not_year():
    result = compute(full_register(), Settings(2024, end=dt.date(2024, 6, 30)))
    assert result.tables[0].frame.columns[-1] == "Antal forløb i perioden**"
    assert compute(full_register(), Settings(2024)).tables[0].frame.columns[-1] == "Antal forløb i 2024**"


def test_one_row_after_the_period_is_singular_and_fleksjob_counts_the_reference_month():
    forloeb = [[f"P{u}", u, "Løntilskud", "2024-01-01", None] for u in UNITS] + [["Z", "SOF", "Løntilskud", "2025-02-01", None]]
    fleks = [[f"F{u}", u, "2024-01-01", None] for u in UNITS] + [["G", "SOF", "2024-07-15", None]]
    result = compute(full_register(forloeb=forloeb, fleks=fleks),
                     Settings(2024, end=dt.date(2024, 6, 30), reference_month=dt.date(2024, 7, 1)))
    text = [f.besked for f in result.findings]
    assert any(t.startswith("1 række starter efter perioden") for t in text)
    # G starts after the period but inside the reference month (July): counted, so no warning about it
    assert not any("referencemåneden" in t for t in text)
    assert result.tidy.set_index(["enhed", "linje"]).loc[("SOF", "Fleksjob"), "status"] == 2


def test_fleksjob_overlaps_are_not_described_as_days():
    fleks = [[f"F{u}", u, "2024-01-01", None] for u in UNITS] + [["FSOF", "SOF", "2024-06-01", "2024-12-31"]]
    result = compute(full_register(fleks=fleks), Settings(2024))
    (f,) = [f for f in result.findings if f.kilde == "fleksjob.csv"]
    assert "tælles kun én gang" in f.besked and "dage" not in f.besked


# ---------------------------------------------------------------- sheets, settings, check, CLI

def sheet_grids(forloeb_header):
    from jobstatus_xl import sheets
    grids = {g.name: g.cells for g in sheets.template_grids()}
    row = {"id": "P1", "forvaltning": "SOF", "ordning": "Løntilskud", "start": dt.datetime(2024, 1, 1)}
    grids[sheets.SHEET_FORLOEB] = [forloeb_header, [row.get(h) for h in forloeb_header]]
    return grids


@pytest.mark.parametrize("header, fragment", [
    (["id", "forvaltning", "ordning", "start", "slut", "start"], "'start' står både i kolonne D og F"),
    (["id", "forvaltning", "ordning", "start", "slut", "Bem", "bem"], "'bem' står både i kolonne F og G"),
])
def test_a_header_given_twice_on_a_sheet_is_a_fejl(header, fragment):
    from jobstatus_xl import sheets
    with pytest.raises(InputError) as exc:
        sheets.raw_input_from_grids(sheet_grids(header))
    (f,) = exc.value.errors
    assert f.kilde == sheets.SHEET_FORLOEB and f.raekke == 1 and fragment in f.besked


def test_columns_without_a_header_are_left_out_unless_they_hold_data():
    from jobstatus_xl import sheets
    grids = sheet_grids(["id", "forvaltning", "ordning", "start", "slut", None, None, "note"])
    raw, _ = sheets.raw_input_from_grids(grids)
    assert list(raw.forloeb.frame.columns) == ["id", "forvaltning", "ordning", "start", "slut", "note"]
    grids[sheets.SHEET_FORLOEB][1][5] = "x"
    with pytest.raises(InputError) as exc:
        sheets.raw_input_from_grids(grids)
    assert "Kolonne F har data, men ingen overskrift" in exc.value.errors[0].besked


@pytest.mark.parametrize("year", [2024.5, "2024,5", "20245"])
def test_a_settings_year_that_is_not_whole_is_a_fejl(year):
    from jobstatus_xl import sheets
    grid = sheets.settings_grid(Settings(2024)).cells
    grid[sheets.settings_row("Aar") - 1][1] = year
    with pytest.raises(InputError) as exc:
        sheets.settings_from_grid(grid)
    assert exc.value.errors[0].raekke == sheets.settings_row("Aar")


def test_settings_dates_far_in_the_future_are_read():
    from jobstatus_xl import sheets
    grid = sheets.settings_grid(Settings(2024)).cells
    grid[sheets.settings_row("PeriodeTil") - 1][1] = "31-12-9999"
    assert sheets.settings_from_grid(grid).end == dt.date(9999, 12, 31)


def test_check_with_nothing_to_reconcile_is_a_fejl(tmp_path, cli):
    from jobstatus_xl import checks
    (tmp_path / checks.ROWS_FILE).write_text("aar;enhed;ordning;status;antal_forloeb\n", encoding="utf-8")
    (tmp_path / checks.TOTALS_FILE).write_text("aar;enhed\n", encoding="utf-8")
    done = cli("check", tmp_path)
    assert done.code == 2 and "intet at afstemme" in done.err


def test_cli_flags_use_the_one_date_and_year_reader(capsys):
    from jobstatus_xl import cli
    args = cli.build_parser().parse_args(["status", "--year", "2024", "--from", "01/03/2024", "--to", "31-12-9999"])
    assert (args.year, args.start, args.end) == (2024, dt.date(2024, 3, 1), dt.date(9999, 12, 31))
    with pytest.raises(cli.UsageError, match="'2024,5' er ikke et opgørelsesår"):
        cli.build_parser().parse_args(["status", "--year", "2024,5"])


def test_the_cli_refuses_a_period_reaching_into_the_next_year(cli):
    done = cli("status", "--year", "2024", "--to", "2025-03-31")
    assert done.code == 2 and "ligger ikke inden for opgørelsesåret 2024" in done.err


def test_a_csv_header_given_twice_is_a_fejl(tmp_path):
    from jobstatus_xl.readers import read_folder
    (tmp_path / "forloeb.csv").write_text("id;forvaltning;ordning;start;slut;start\n"
                                          "A;SOF;Løntilskud;01-01-2024;;01-06-2024\n", encoding="utf-8")
    (tmp_path / "fleksjob.csv").write_text("id;forvaltning;start;slut\nA;SOF;01-01-2024;\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        compute(read_folder(tmp_path, 2024), Settings(2024))
    assert any(f.kilde == "forloeb.csv" and "'start' står mere end én gang" in f.besked for f in exc.value.errors)

"""`jobstatus-xl prognose` (issue 13): the csv's exact columns and rows, its figures read back as
the engine's floats, json and table forms, and a bad status date as a Danish finding."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from jobstatus_xl.engine.pipeline import Settings, demo_input
from jobstatus_xl.engine.prognose import forecast

DEMO = Path(__file__).parents[1] / "jobstatus_xl" / "data" / "demo"
HEADER = ["aar", "enhed", "linje", "status_til_dato", "sikker_aarsstatus", "prognose_aarsstatus", "prognose_lav",
          "prognose_hoej", "maaltal", "prognose_maalopfyldelse"]


@pytest.fixture(scope="module")
def demo_forecast():
    return forecast(demo_input(), Settings(2024), dt.date(2024, 6, 30))


def test_csv_has_exactly_the_columns_and_one_row_per_unit_and_line_as_status(cli, demo_forecast):
    p = cli("prognose", DEMO, "--year", 2024, "--pr", "2024-06-30", "--format", "csv")
    assert p.code == 0, p.err
    rows = list(csv.DictReader(io.StringIO(p.out)))
    assert list(rows[0]) == HEADER
    status = list(csv.DictReader(io.StringIO(cli("status", DEMO, "--year", 2024, "--format", "csv").out)))
    assert [(r["enhed"], r["linje"]) for r in rows] == [(r["enhed"], r["linje"]) for r in status if r["aar"] == "2024"]
    t = demo_forecast.table
    for row, (_, exp) in zip(rows, t.iterrows()):
        for col in HEADER[3:]:
            want = exp[col]
            if want != want:   # NaN: empty
                assert row[col] == ""
            else:
                assert float(row[col]) == want, (row["enhed"], row["linje"], col)   # unrounded and exact


def test_dates_in_danish_form_and_json_carry_the_same_figures(cli, demo_forecast):
    p = cli("prognose", DEMO, "--year", 2024, "--pr", "30-06-2024", "--format", "json")
    assert p.code == 0, p.err
    doc = json.loads(p.out)
    assert doc["opgjort_pr"] == "2024-06-30"
    kk = next(r for r in doc["prognose"] if r["enhed"] == "KK" and r["linje"] == "Samlet")
    exp = demo_forecast.table.query("enhed == 'KK' and linje == 'Samlet'").iloc[0]
    assert kk["prognose_aarsstatus"] == exp["prognose_aarsstatus"] and kk["prognose_hoej"] == exp["prognose_hoej"]
    months = [r for r in doc["maaneder"] if r["enhed"] == "KK" and r["linje"] == "Samlet"]
    assert [r["maaned"] for r in months] == list(range(1, 13))
    assert [r["faktisk"] is None for r in months] == [m > 6 for m in range(1, 13)]


def test_table_is_rounded_as_the_note(cli, demo_forecast):
    p = cli("prognose", "--year", 2024, "--pr", "2024-06-30")
    assert p.code == 0, p.err
    exp = demo_forecast.table.query("enhed == 'KK' and linje == 'Samlet'").iloc[0]
    from jobstatus_xl.engine.tables import format_number
    kk = p.out.split("KK: Københavns Kommune")[1].split("BIF:")[0]
    line = next(l for l in kk.splitlines() if l.startswith("Samlet "))
    assert line.split()[1:4] == [format_number(exp["status_til_dato"]), format_number(exp["sikker_aarsstatus"]),
                                 format_number(exp["prognose_aarsstatus"])]
    assert "opgjort pr. 30-06-2024" in p.out


@pytest.mark.parametrize("pr, words", [("2023-12-31", "uden for opgørelsesåret 2024"),
                                       ("2021-01-01", "uden for opgørelsesåret 2024")])
def test_a_status_date_outside_the_year_is_a_finding_naming_the_flag(cli, pr, words):
    p = cli("prognose", "--year", 2024, "--pr", pr)
    assert p.code == 2 and p.out == ""
    assert "kommandolinjen, kolonne '--pr'" in p.err and words in p.err


def test_without_pr_the_last_start_in_the_year_is_used(cli):
    p = cli("prognose", DEMO, "--year", 2024, "--format", "json")
    assert p.code == 0, p.err
    assert json.loads(p.out)["opgjort_pr"] == "2024-12-31"


@pytest.mark.slow
def test_a_workbook_brings_its_status_date_and_a_bad_one_is_a_finding_on_its_cell(cli, tmp_path):
    import openpyxl

    from jobstatus_xl import sheets
    from jobstatus_xl.workbook import demo_workbook_bytes
    wb = openpyxl.load_workbook(io.BytesIO(demo_workbook_bytes()), keep_vba=True)
    cell = wb[sheets.SHEET_SETTINGS].cell(row=sheets.settings_row("OpgjortPr"), column=2)
    cell.value = dt.datetime(2024, 6, 30)
    good = tmp_path / "god.xlsm"
    wb.save(good)
    p = cli("prognose", good, "--format", "json")
    assert p.code == 0, p.err
    assert json.loads(p.out)["opgjort_pr"] == "2024-06-30"
    assert json.loads(cli("prognose", good, "--pr", "2024-03-31", "--format", "json").out)["opgjort_pr"] == "2024-03-31"
    cell.value = dt.datetime(2023, 6, 30)
    bad = tmp_path / "forkert.xlsm"
    wb.save(bad)
    p = cli("prognose", bad)
    assert p.code == 2
    assert f"Indstillinger, række {sheets.settings_row('OpgjortPr')}, kolonne 'Værdi'" in p.err
    assert "uden for opgørelsesåret 2024" in p.err

"""The command line, run as users run it (a subprocess), on the demo data and on bad input."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jobstatus_xl.engine.findings import looks_like_cpr
from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, compute, demo_input

DEMO = Path(__file__).parents[1] / "jobstatus_xl" / "data" / "demo"


def run(*args, check=True):
    p = subprocess.run([sys.executable, "-m", "jobstatus_xl.cli", *args], capture_output=True, text=True)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_demo_prints_tables_1_to_9_with_the_notes_figures():
    out = run("demo").stdout
    for n in range(1, 10):
        assert f"Tabel {n}:" in out
    t1 = out.split("Tabel 1:")[1].split("Tabel 2:")[0]
    assert re.search(r"Løntilskud \(helårspersoner\)\s+94\s+913\s+1\.084\s+84 pct\.\s+267", t1)
    assert re.search(r"Antal forløb\s+3\.491", t1)
    assert re.search(r"Fleksjob \(antal ansatte\) \*\s+1\.014\s+899\s+113 pct\.", t1)
    assert re.search(r"Samlet målopfyldelse \(vægtet gennemsnit\*\*\*\)\s+97 pct\.", t1)
    t2 = out.split("Tabel 2:")[1].split("Tabel 3:")[0]
    assert "for 2023" in t2 and re.search(r"Nytteindsats \(helårspersoner\)\s+4\s", t2)
    assert re.search(r"Samlet målopfyldelse \(vægtet gennemsnit\*\*\*\)\s+88 pct\.", t2)


def test_nothing_written_looks_like_a_cpr_number():
    assert not looks_like_cpr(run("demo").stdout)
    assert not looks_like_cpr(run("status", "--year", "2024", "--format", "csv").stdout)


def test_status_csv_is_tidy_and_unrounded():
    out = run("status", str(DEMO), "--year", "2024", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["aar", "enhed", "linje", "status", "maaltal", "maalopfyldelse", "antal_forloeb"]
    expected = compute(demo_input(), DEMO_SETTINGS).tidy
    kk = next(r for r in rows if r["enhed"] == "KK" and r["linje"] == "Samlet")
    exp = expected[(expected.enhed == "KK") & (expected.linje == "Samlet")].iloc[0]
    # unrounded and exact: the text reads back as the very same float
    assert float(kk["status"]) == exp["status"]
    assert float(kk["maalopfyldelse"]) == exp["maalopfyldelse"]
    assert 0.84 < float(kk["maalopfyldelse"]) < 0.85  # a fraction, not a percent
    assert kk["antal_forloeb"] == "3491"
    weighted = next(r for r in rows if r["enhed"] == "BIF" and r["linje"] == "Samlet målopfyldelse")
    assert weighted["status"] == "" and weighted["maaltal"] == "" and weighted["antal_forloeb"] == ""
    # every unit and line is there: 8 units × (3 schemes + Samlet + Fleksjob + Samlet målopfyldelse)
    assert sum(r["aar"] == "2024" for r in rows) == 8 * 6


def test_status_json():
    data = json.loads(run("status", "--year", "2024", "--format", "json").stdout)
    assert data["periode"] == {"fra": "2024-01-01", "til": "2024-12-31", "grundlag": "kalenderdage"}
    kk = [r for r in data["status"] if r["enhed"] == "KK" and r["linje"] == "Fleksjob" and r["aar"] == 2024][0]
    assert kk["status"] == 1014 and kk["maaltal"] == 899


def test_status_for_a_half_year(tmp_path):
    out = run("status", str(DEMO), "--year", "2024", "--from", "2024-01-01", "--to", "30-06-2024", "--format", "csv").stdout
    rows = pd.read_csv(io.StringIO(out))
    full = pd.read_csv(io.StringIO(run("status", str(DEMO), "--year", "2024", "--format", "csv").stdout))
    h1 = rows[(rows.aar == 2024) & (rows.enhed == "KK") & (rows.linje == "Samlet")].iloc[0]
    yr = full[(full.aar == 2024) & (full.enhed == "KK") & (full.linje == "Samlet")].iloc[0]
    assert h1["status"] != pytest.approx(yr["status"])
    assert h1["antal_forloeb"] <= yr["antal_forloeb"]


def _folder(tmp_path, forloeb: str, fleksjob: str = "id,forvaltning,start,slut\nF1,BIF,2020-01-01,\n", encoding="utf-8"):
    (tmp_path / "forloeb.csv").write_bytes(forloeb.encode(encoding))
    (tmp_path / "fleksjob.csv").write_bytes(fleksjob.encode(encoding))
    return tmp_path


def test_errors_name_file_row_and_column_and_exit_non_zero(tmp_path):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\n"
                               "A1,BIF,Løntilskud,2024-01-01,2024-06-30\n"
                               "A2,BIF,Løntilskud,2024-05-01,2024-03-31\n"
                               "A3,XYZ,Løntilskud,2024-01-01,\n")
    p = run("status", str(folder), "--year", "2024", check=False)
    assert p.returncode != 0
    assert "forloeb.csv, række 3, kolonne 'slut'" in p.stderr
    assert "forloeb.csv, række 4, kolonne 'forvaltning'" in p.stderr
    assert "Traceback" not in p.stderr
    assert p.stdout == ""


def test_missing_file_is_a_clear_error(tmp_path):
    (tmp_path / "forloeb.csv").write_text("id,forvaltning,ordning,start,slut\n")
    p = run("status", str(tmp_path), "--year", "2024", check=False)
    assert p.returncode != 0 and "fleksjob.csv" in p.stderr and "mangler" in p.stderr


def test_danish_excel_csv_semicolons_cp1252_and_header_variants(tmp_path):
    folder = _folder(tmp_path, "ID;Forvaltning;Ordning;Startdato;Slutdato\n"
                               "A1;bif;Løntilskud;01-01-2024;31-12-2024\n",
                     "Id;Forvaltning;Start;Slut\nF1;BIF;01.01.2020;\n", encoding="cp1252")
    out = run("status", str(folder), "--year", "2024", "--format", "csv").stdout
    rows = pd.read_csv(io.StringIO(out))
    bif = rows[(rows.enhed == "BIF") & (rows.linje == "Løntilskud")].iloc[0]
    assert bif["status"] == 1.0
    assert rows[(rows.enhed == "BIF") & (rows.linje == "Fleksjob")].iloc[0]["status"] == 1


def test_user_targets_and_weights_take_precedence(tmp_path):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\nA1,BIF,Løntilskud,2024-01-01,2024-12-31\n")
    (folder / "maaltal.csv").write_text("aar,enhed,maaltal_gruppe,maaltal_fleksjob\n2024,BIF,2,4\n")
    (folder / "vaegte.csv").write_text("aar,vaegt_gruppe,vaegt_fleksjob\n2024,50,50\n")
    rows = pd.read_csv(io.StringIO(run("status", str(folder), "--year", "2024", "--format", "csv").stdout))
    bif = rows[rows.enhed == "BIF"].set_index("linje")
    assert bif.at["Samlet", "maalopfyldelse"] == 0.5
    assert bif.at["Fleksjob", "maalopfyldelse"] == 0.25
    assert bif.at["Samlet målopfyldelse", "maalopfyldelse"] == pytest.approx(0.375)


def test_a_year_without_weights_is_an_error(tmp_path):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\nA1,BIF,Løntilskud,2030-01-01,2030-12-31\n")
    p = run("status", str(folder), "--year", "2030", check=False)
    assert p.returncode != 0 and "ingen vægte for 2030" in p.stderr.lower()


def test_excel_error_values_exported_to_csv_are_errors_not_data(tmp_path):
    # Excel writes '#N/A' into a CSV export; as an id it would merge people, as a date it is garbage.
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\n"
                               "A1,BIF,Løntilskud,2024-01-01,#N/A\n",
                     "id,forvaltning,start,slut\n#N/A,BIF,2020-01-01,\n#N/A,BIF,2021-01-01,\n")
    p = run("status", str(folder), "--year", "2024", check=False)
    assert p.returncode == 2
    assert "forloeb.csv, række 2, kolonne 'slut': Cellen indeholder fejlværdien #N/A" in p.stderr
    assert "fleksjob.csv, række 2, kolonne 'id'" in p.stderr and "fleksjob.csv, række 3, kolonne 'id'" in p.stderr
    assert "er ikke en dato" not in p.stderr  # one finding per cell


def test_status_of_a_workbook_takes_its_settings_and_flags_override(tmp_path):
    book = tmp_path / "status.xlsm"
    run("demo", "--workbook", str(book))
    from_book = run("status", str(book), "--format", "csv").stdout        # year from Indstillinger
    assert from_book == run("status", "--year", "2024", "--format", "csv").stdout
    half = pd.read_csv(io.StringIO(run("status", str(book), "--to", "2024-06-30", "--format", "csv").stdout))
    kk = half[(half.aar == 2024) & (half.enhed == "KK") & (half.linje == "Samlet")].iloc[0]
    assert kk["antal_forloeb"] == 2273   # January–June, as the folder gives it


def test_a_folder_needs_the_year(tmp_path):
    p = run("status", str(DEMO), check=False)
    assert p.returncode == 2 and "--year" in p.stderr

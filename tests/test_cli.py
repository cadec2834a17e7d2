"""The command line on the demo data and on bad input: in process through the `cli` fixture
(tests/conftest.py); the installed entry point itself in a subprocess at the end."""

import csv
import errno
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jobstatus_xl.engine.findings import looks_like_cpr

DEMO = Path(__file__).parents[1] / "jobstatus_xl" / "data" / "demo"


@pytest.fixture
def run(cli):
    """`cli`, asserting success unless `check=False`."""
    def go(*args, check=True):
        p = cli(*args)
        if check:
            assert p.code == 0, p.err
        return p
    return go


def test_demo_prints_tables_1_to_9_with_the_notes_figures(run):
    out = run("demo").out
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


def test_nothing_written_looks_like_a_cpr_number(run):
    assert not looks_like_cpr(run("demo").out)
    assert not looks_like_cpr(run("status", "--year", "2024", "--format", "csv").out)


def test_status_csv_is_tidy_and_unrounded(run, demo_result):
    out = run("status", str(DEMO), "--year", "2024", "--format", "csv").out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["aar", "enhed", "linje", "status", "maaltal", "maalopfyldelse", "antal_forloeb"]
    expected = demo_result.tidy
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


def test_status_json(run):
    data = json.loads(run("status", "--year", "2024", "--format", "json").out)
    assert data["periode"] == {"fra": "2024-01-01", "til": "2024-12-31", "grundlag": "kalenderdage"}
    kk = [r for r in data["status"] if r["enhed"] == "KK" and r["linje"] == "Fleksjob" and r["aar"] == 2024][0]
    assert kk["status"] == 1014 and kk["maaltal"] == 899


def test_status_for_a_half_year(tmp_path, run):
    out = run("status", str(DEMO), "--year", "2024", "--from", "2024-01-01", "--to", "30-06-2024", "--format", "csv").out
    rows = pd.read_csv(io.StringIO(out))
    full = pd.read_csv(io.StringIO(run("status", str(DEMO), "--year", "2024", "--format", "csv").out))
    h1 = rows[(rows.aar == 2024) & (rows.enhed == "KK") & (rows.linje == "Samlet")].iloc[0]
    yr = full[(full.aar == 2024) & (full.enhed == "KK") & (full.linje == "Samlet")].iloc[0]
    assert h1["status"] != pytest.approx(yr["status"])
    assert h1["antal_forloeb"] <= yr["antal_forloeb"]


def _folder(tmp_path, forloeb: str, fleksjob: str = "id,forvaltning,start,slut\nF1,BIF,2020-01-01,\n", encoding="utf-8"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "forloeb.csv").write_bytes(forloeb.encode(encoding))
    (tmp_path / "fleksjob.csv").write_bytes(fleksjob.encode(encoding))
    return tmp_path


def test_errors_name_file_row_and_column_and_exit_non_zero(tmp_path, run):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\n"
                               "A1,BIF,Løntilskud,2024-01-01,2024-06-30\n"
                               "A2,BIF,Løntilskud,2024-05-01,2024-03-31\n"
                               "A3,XYZ,Løntilskud,2024-01-01,\n")
    p = run("status", str(folder), "--year", "2024", check=False)
    assert p.code != 0
    assert "forloeb.csv, række 3, kolonne 'slut'" in p.err
    assert "forloeb.csv, række 4, kolonne 'forvaltning'" in p.err
    assert "Traceback" not in p.err
    assert p.out == ""


def test_missing_file_is_a_clear_error(tmp_path, run):
    (tmp_path / "forloeb.csv").write_text("id,forvaltning,ordning,start,slut\n")
    p = run("status", str(tmp_path), "--year", "2024", check=False)
    assert p.code != 0 and "fleksjob.csv" in p.err and "mangler" in p.err


def test_danish_excel_csv_semicolons_cp1252_and_header_variants(tmp_path, run):
    folder = _folder(tmp_path, "ID;Forvaltning;Ordning;Startdato;Slutdato\n"
                               "A1;bif;Løntilskud;01-01-2024;31-12-2024\n",
                     "Id;Forvaltning;Start;Slut\nF1;BIF;01.01.2020;\n", encoding="cp1252")
    out = run("status", str(folder), "--year", "2024", "--format", "csv").out
    rows = pd.read_csv(io.StringIO(out))
    bif = rows[(rows.enhed == "BIF") & (rows.linje == "Løntilskud")].iloc[0]
    assert bif["status"] == 1.0
    assert rows[(rows.enhed == "BIF") & (rows.linje == "Fleksjob")].iloc[0]["status"] == 1


def test_user_targets_and_weights_take_precedence(tmp_path, run):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\nA1,BIF,Løntilskud,2024-01-01,2024-12-31\n")
    (folder / "maaltal.csv").write_text("aar,enhed,maaltal_gruppe,maaltal_fleksjob\n2024,BIF,2,4\n")
    (folder / "vaegte.csv").write_text("aar,vaegt_gruppe,vaegt_fleksjob\n2024,50,50\n")
    rows = pd.read_csv(io.StringIO(run("status", str(folder), "--year", "2024", "--format", "csv").out))
    bif = rows[rows.enhed == "BIF"].set_index("linje")
    assert bif.at["Samlet", "maalopfyldelse"] == 0.5
    assert bif.at["Fleksjob", "maalopfyldelse"] == 0.25
    assert bif.at["Samlet målopfyldelse", "maalopfyldelse"] == pytest.approx(0.375)


def test_a_year_without_weights_is_an_error(tmp_path, run):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\nA1,BIF,Løntilskud,2030-01-01,2030-12-31\n")
    p = run("status", str(folder), "--year", "2030", check=False)
    assert p.code != 0 and "ingen vægte for 2030" in p.err.lower()


def test_excel_error_values_exported_to_csv_are_errors_not_data(tmp_path, run):
    # Excel writes '#N/A' into a CSV export; as an id it would merge people, as a date it is garbage.
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\n"
                               "A1,BIF,Løntilskud,2024-01-01,#N/A\n",
                     "id,forvaltning,start,slut\n#N/A,BIF,2020-01-01,\n#N/A,BIF,2021-01-01,\n")
    p = run("status", str(folder), "--year", "2024", check=False)
    assert p.code == 2
    assert "forloeb.csv, række 2, kolonne 'slut': Cellen indeholder fejlværdien #N/A" in p.err
    assert "fleksjob.csv, række 2, kolonne 'id'" in p.err and "fleksjob.csv, række 3, kolonne 'id'" in p.err
    assert "er ikke en dato" not in p.err  # one finding per cell


@pytest.mark.slow
def test_status_of_a_workbook_takes_its_settings_and_flags_override(tmp_path, run):
    book = tmp_path / "status.xlsm"
    run("demo", "--workbook", str(book))
    from_book = run("status", str(book), "--format", "csv").out        # year from Indstillinger
    assert from_book == run("status", "--year", "2024", "--format", "csv").out
    half = pd.read_csv(io.StringIO(run("status", str(book), "--to", "2024-06-30", "--format", "csv").out))
    kk = half[(half.aar == 2024) & (half.enhed == "KK") & (half.linje == "Samlet")].iloc[0]
    assert kk["antal_forloeb"] == 2273   # January–June, as the folder gives it


def test_a_folder_needs_the_year(tmp_path, run):
    p = run("status", str(DEMO), check=False)
    assert p.code == 2 and "--year" in p.err


# ---------------------------------------------------------------- the frame: Danish, one error boundary

def test_help_and_usage_errors_are_danish_whatever_the_locale(cli, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en_US")
    monkeypatch.setenv("LC_ALL", "C")
    p = cli("--help")
    assert p.code == 0
    assert p.out.startswith("brug: jobstatus-xl") and "tilvalg:" in p.out and "Vis denne hjælp" in p.out
    assert "usage" not in p.out and "options" not in p.out and "show this help" not in p.out
    p = cli("status", "--help")
    assert "argumenter:" in p.out and "positional" not in p.out
    for argv, message in [(("frob",), "ugyldigt valg: 'frob' (vælg mellem 'demo'"),
                          ((), "mangler: KOMMANDO"),
                          (("status", "--format", "xml", "--year", "2024"), "argumentet --format: ugyldigt valg: 'xml'"),
                          (("status", "--year"), "argumentet --year: mangler en værdi"),
                          (("demo", "--frob"), "ukendte argumenter: --frob")]:
        p = cli(*argv)
        assert p.code == 2, argv
        assert p.err.startswith("brug: jobstatus-xl") and message in p.err, p.err
        assert "FEJL: kommandolinjen:" in p.err
        assert not re.search(r"usage|error:|invalid|required|argument ", p.err), p.err


@pytest.mark.parametrize("year", ["0", "-5", "20244", "2024.5", "to tusind"])
def test_an_impossible_year_is_a_danish_finding(cli, year):
    p = cli("status", "--year", year)
    assert p.code == 2 and "argumentet --year:" in p.err and "fx --year 2024" in p.err
    assert p.out == "" and "Traceback" not in p.err


def test_a_cpr_number_typed_as_a_flag_value_is_masked(cli):
    for value in ("010190-1234", "010190/1234", "010190.1234", "010190–1234", "０１０１９０－１２３４"):
        p = cli("status", "--year", "2024", "--from", value)
        assert p.code == 2 and "er ikke en dato" in p.err
        assert "1234" not in p.err and "１２３４" not in p.err, p.err


def test_a_folder_given_to_refresh_is_a_file_system_error_naming_it(cli, tmp_path):
    p = cli("refresh", tmp_path)
    assert p.code == 1
    assert f"'{tmp_path}'" in p.err and "er en mappe" in p.err and "findes ikke" not in p.err


def test_file_system_errors_name_the_path_in_danish(cli, tmp_path, monkeypatch):
    from jobstatus_xl import cli as cli_module

    def denied(folder, year):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder / "forloeb.csv"))
    monkeypatch.setattr(cli_module, "read_folder", denied)
    p = cli("status", tmp_path, "--year", "2024")
    assert p.code == 1
    assert f"'{tmp_path / 'forloeb.csv'}': ingen adgang" in p.err
    assert "Permission" not in p.err and "Traceback" not in p.err

    def full(folder, year):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(cli_module, "read_folder", full)
    p = cli("status", tmp_path, "--year", "2024")
    assert p.code == 1 and f"'{tmp_path}'" in p.err and "ikke mere plads på disken" in p.err


def test_an_unexpected_error_is_one_masked_line_and_the_traceback_only_with_debug(cli, tmp_path, monkeypatch):
    from jobstatus_xl import cli as cli_module

    def bug(*_):
        raise ValueError("kan ikke håndtere 010190-1234\nanden linje\x1b[2J")
    monkeypatch.setattr(cli_module, "compute", bug)
    p = cli("status", "--year", "2024")
    assert p.code == 1
    assert p.err.count("\n") == 1 and p.err.startswith("Uventet fejl (ValueError: kan ikke håndtere 010190-XXXX")
    assert "--debug" in p.err and "Traceback" not in p.err and "\x1b" not in p.err
    p = cli("status", "--year", "2024", "--debug")
    assert p.code == 1 and "Traceback" in p.err and "1234" not in p.err and "\x1b" not in p.err
    assert cli("--debug", "status", "--year", "2024").err.count("Traceback") == 1


def test_control_characters_in_what_is_printed_are_made_visible(cli, tmp_path):
    folder = _folder(tmp_path, "id,forvaltning,ordning,start,slut\n"
                               "A1,\"\x1b]0;ejet\x1b\\\x1b[2J\rB\",Løntilskud,2024-01-01,\n")
    p = cli("status", folder, "--year", "2024")
    assert p.code == 2
    assert "\\x1b]0;ejet" in p.err and "\\x1b[2J" in p.err and "\\x0d" in p.err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", p.err + p.out)


CPR_FORMS = ["010190-1234", "010190 1234", "0101901234", "010190/1234", "010190.1234", "010190\u20131234",
             "010190\u20141234", "\uff10\uff11\uff10\uff11\uff19\uff10\uff11\uff12\uff13\uff14"]


@pytest.mark.parametrize("cpr", CPR_FORMS)
def test_a_cpr_number_as_a_column_header_or_file_name_is_never_printed(cli, tmp_path, cpr):
    # an extra column holding an Excel error is named in the finding; so is a workbook's file name
    folder = _folder(tmp_path, f"id,forvaltning,ordning,start,slut,{cpr}\nA1,BIF,Løntilskud,2024-01-01,,#N/A\n")
    p = cli("status", folder, "--year", "2024")
    assert p.code == 2 and "#N/A" in p.err and "XXXX" in p.err
    assert not looks_like_cpr(p.err + p.out), p.err
    book = tmp_path / f"{cpr.replace('/', '_')}.xlsm"      # no '/' in a file name
    book.write_bytes(b"not a workbook")
    p = cli("status", book)
    assert p.code == 2 and "XXXX" in p.err and not looks_like_cpr(p.err + p.out), p.err


def test_the_output_function_neutralises_every_control_character_and_masks_cpr():
    from jobstatus_xl.cli import safe_text
    raw = "a\x07b\x9b2Jc\x7fd\u202eevil\u2066e\rf\r\ng\th 010190\u20141234"
    assert safe_text(raw) == "a\\x07b\\x9b2Jc\\x7fd\\u202eevil\\u2066e\\x0df\ng\th 010190-XXXX"


# ---------------------------------------------------------------- never overwrite without asking

def test_demo_refuses_to_overwrite_an_existing_workbook(cli, tmp_path):
    book = tmp_path / "mit år.xlsm"
    book.write_bytes(b"a user's year of input")
    p = cli("demo", "--workbook", book)
    assert p.code == 2 and "findes allerede" in p.err and "--overwrite" in p.err and p.out == ""
    assert book.read_bytes() == b"a user's year of input"


def test_refresh_out_refuses_to_overwrite_an_existing_file(cli, tmp_path):
    src, out = tmp_path / "status.xlsm", tmp_path / "kopi.xlsm"
    src.write_bytes(b"not read: the refusal comes first")
    out.write_bytes(b"keep me")
    p = cli("refresh", src, "--out", out)
    assert p.code == 2 and "findes allerede" in p.err and "--overwrite" in p.err
    assert out.read_bytes() == b"keep me"


# ---------------------------------------------------------------- the installed entry point

@pytest.mark.slow
def test_the_installed_entry_point_runs_and_exits_with_the_code(tmp_path):
    exe = shutil.which("jobstatus-xl")
    if exe is None:
        pytest.skip("jobstatus-xl is not installed (pip install -e .)")
    p = subprocess.run([exe, "status", "--year", "0"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "argumentet --year" in p.stderr
    p = subprocess.run([exe, "status", "--year", "2024", "--format", "json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and json.loads(p.stdout)["periode"]["fra"] == "2024-01-01"


@pytest.mark.slow
def test_a_closed_pipe_is_quiet():
    # `jobstatus-xl demo | head -0`: the reader is gone before the tables are written
    proc = subprocess.Popen([sys.executable, "-m", "jobstatus_xl.cli", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert err == "" and proc.returncode == 1


def test_a_library_warning_goes_through_the_output_function(cli, monkeypatch):
    import warnings as w

    from jobstatus_xl import cli as cli_module

    def noisy(*args):
        w.warn("sheet '010190-1234' has a feature \x1b[31m that is dropped", UserWarning)
        raise cli_module.InputError([])
    monkeypatch.setattr(cli_module, "compute", noisy)
    p = cli("status", "--year", "2024")
    assert "Advarsel (UserWarning): sheet '010190-XXXX'" in p.err and "\\x1b[31m" in p.err


# ---------------------------------------------------------------- no verb prints a CPR number, in any form

@pytest.mark.parametrize("cpr", CPR_FORMS)
def test_no_verb_prints_a_cpr_number_in_any_form(cli, tmp_path, cpr):
    status = _folder(tmp_path / "s", "id,forvaltning,ordning,start,slut\n"
                                     f"{cpr},BIF,Løntilskud,2024-01-01,\nP2,{cpr},Løntilskud,2024-01-01,\n")
    p = cli("status", status, "--year", "2024")
    assert p.code == 2 and "CPR" in p.err      # flagged, whatever the separator
    assert not looks_like_cpr(p.out + p.err), p.err
    published = tmp_path / "c"
    published.mkdir()
    (published / "published_rows.csv").write_text(f"aar,enhed,ordning,status\n2024,{cpr},Løntilskud,5\n", encoding="utf-8")
    (published / "published_totals.csv").write_text("aar,enhed\n", encoding="utf-8")
    p = cli("check", published)
    assert p.code == 2 and not looks_like_cpr(p.out + p.err), p.err
    p = cli("refresh", tmp_path / f"{cpr.replace('/', '_')}.xlsm")
    assert p.code == 2 and not looks_like_cpr(p.out + p.err), p.err

"""The ways out of and into the workbook: `status --format csv-da` and `projektmappe FOLDER`."""

from __future__ import annotations

import io
import shutil
from importlib import resources

import pandas as pd
import pytest


def run(cli, *args) -> bytes:
    """stdout as bytes: csv-da's BOM and encoding are the point."""
    done = cli.binary(*args)
    assert done.code == 0, done.err
    return done.out


def ok(cli, *args) -> str:
    done = cli(*args)
    assert done.code == 0, done.err
    return done.out


def test_csv_da_is_the_tidy_csv_as_danish_excel_reads_it(cli):
    tidy = run(cli, "status", "--year", "2024", "--format", "csv")
    danish = run(cli, "status", "--year", "2024", "--format", "csv-da")
    assert danish.startswith(b"\xef\xbb\xbf")                      # UTF-8 BOM: Excel reads æøå right
    text = danish.decode("utf-8-sig")
    header, first = text.split("\n")[:2]
    assert header == tidy.decode("utf-8").splitlines()[0].replace(",", ";")
    assert "," in first and "." not in first                         # decimal comma, no decimal point
    a = pd.read_csv(io.BytesIO(tidy), dtype={"aar": int})
    b = pd.read_csv(io.BytesIO(danish), sep=";", decimal=",", encoding="utf-8-sig", dtype={"aar": int})
    pd.testing.assert_frame_equal(a, b)
    assert "Småjob under det sociale frikort" in text and len(b) == len(a) > 50


@pytest.fixture
def folder(tmp_path):
    """A folder of CSV exports: the demo register and 2023's aggregates, as a user would have them."""
    d = tmp_path / "eksport"
    d.mkdir()
    data = resources.files("jobstatus_xl").joinpath("data")
    for part, name in [(("demo", "forloeb.csv"), "forloeb.csv"), (("demo", "fleksjob.csv"), "fleksjob.csv"),
                       (("years", "aggregater_2023.csv"), "aggregater_2023.csv")]:
        with data.joinpath(*part).open("rb") as src, open(d / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return d


@pytest.mark.slow
@pytest.mark.parametrize("period", [[], ["--from", "2024-01-01", "--to", "2024-06-30", "--basis", "hverdage"]])
def test_projektmappe_gives_the_folders_status_figure_for_figure(folder, tmp_path, cli, period):
    out = tmp_path / "status_2024.xlsm"
    ok(cli, "projektmappe", folder, "--year", "2024", *period, "--out", out)
    from_folder = ok(cli, "status", folder, "--year", "2024", *period, "--format", "csv")
    from_book = ok(cli, "status", out, "--format", "csv")
    assert from_book == from_folder
    assert from_folder.count("\n") > 50


@pytest.mark.slow
def test_projektmappe_never_overwrites_without_overwrite(folder, tmp_path, cli):
    out = tmp_path / "status_2024.xlsm"
    out.write_bytes(b"min projektmappe")
    refused = cli("projektmappe", folder, "--year", "2024", "--out", out)
    assert refused.code == 2 and "--overwrite" in refused.err
    assert out.read_bytes() == b"min projektmappe"
    ok(cli, "projektmappe", folder, "--year", "2024", "--out", out, "--overwrite")
    assert out.read_bytes().startswith(b"PK")


def test_projektmappe_writes_no_cpr_number(folder, tmp_path, cli):
    forloeb = pd.read_csv(folder / "forloeb.csv", dtype=str, keep_default_na=False)
    forloeb.loc[5, "id"] = "010203-1234"
    forloeb.to_csv(folder / "forloeb.csv", index=False)
    out = tmp_path / "status_2024.xlsm"
    done = cli("projektmappe", folder, "--year", "2024", "--out", out)
    assert done.code == 2 and not out.exists()
    assert "forloeb.csv, række 7, kolonne 'id'" in done.err and "010203-XXXX" in done.err and "1234" not in done.err
    assert "1 værdi ligner CPR-numre" in done.err       # one value: singular


@pytest.mark.slow
def test_projektmappe_takes_the_header_variants_the_folder_reader_takes(folder, tmp_path, cli):
    forloeb = pd.read_csv(folder / "forloeb.csv", dtype=str, keep_default_na=False)
    forloeb = forloeb.rename(columns={"forvaltning": "Forv", "start": "Startdato", "slut": "Slutdato"})
    forloeb.to_csv(folder / "forloeb.csv", index=False, sep=";")
    out = tmp_path / "status_2024.xlsm"
    ok(cli, "projektmappe", folder, "--year", "2024", "--out", out)
    assert ok(cli, "status", out, "--format", "csv") == ok(cli, "status", folder, "--year", "2024", "--format", "csv")


@pytest.mark.slow
def test_projektmappe_refuses_fleksjob_headcounts_it_cannot_hold(folder, tmp_path, cli):
    (folder / "fleksjob.csv").write_text("forvaltning,antal\nBIF,87\nBUF,274\n", encoding="utf-8")
    out = tmp_path / "status_2024.xlsm"
    done = cli("projektmappe", folder, "--year", "2024", "--out", out)
    assert done.code == 2 and not out.exists() and "antal fleksjobansatte pr. forvaltning" in done.err


@pytest.mark.slow
def test_projektmappe_writes_nothing_when_the_workbook_would_differ(folder, tmp_path, monkeypatch, cli):
    from jobstatus_xl import projektmappe
    real = projektmappe.input_frames
    monkeypatch.setattr(projektmappe, "input_frames", lambda raw: {k: v.iloc[:-5] for k, v in real(raw).items()})
    out = tmp_path / "status_2024.xlsm"
    done = cli("projektmappe", folder, "--year", "2024", "--out", out)
    assert done.code == 2 and not out.exists() and "ikke give de samme tal" in done.err

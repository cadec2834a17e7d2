"""The ways out of and into the workbook: `status --format csv-da` and `projektmappe FOLDER`."""

from __future__ import annotations

import io
import shutil
from importlib import resources

import pandas as pd
import pytest

from jobstatus_xl import cli


def run(capsysbinary, *args) -> bytes:
    assert cli.main(list(args)) == 0
    return capsysbinary.readouterr().out


def test_csv_da_is_the_tidy_csv_as_danish_excel_reads_it(capsysbinary):
    tidy = run(capsysbinary, "status", "--year", "2024", "--format", "csv")
    danish = run(capsysbinary, "status", "--year", "2024", "--format", "csv-da")
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


@pytest.mark.parametrize("period", [[], ["--from", "2024-01-01", "--to", "2024-06-30", "--basis", "hverdage"]])
def test_projektmappe_gives_the_folders_status_figure_for_figure(folder, tmp_path, capsysbinary, period):
    out = tmp_path / "status_2024.xlsm"
    run(capsysbinary, "projektmappe", str(folder), "--year", "2024", *period, "--out", str(out))
    from_folder = run(capsysbinary, "status", str(folder), "--year", "2024", *period, "--format", "csv")
    from_book = run(capsysbinary, "status", str(out), "--format", "csv")
    assert from_book == from_folder
    assert from_folder.count(b"\n") > 50


def test_projektmappe_never_overwrites_without_overwrite(folder, tmp_path, capsys):
    out = tmp_path / "status_2024.xlsm"
    out.write_bytes(b"min projektmappe")
    assert cli.main(["projektmappe", str(folder), "--year", "2024", "--out", str(out)]) == 2
    assert out.read_bytes() == b"min projektmappe"
    assert "--overwrite" in capsys.readouterr().err
    assert cli.main(["projektmappe", str(folder), "--year", "2024", "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes().startswith(b"PK")


def test_projektmappe_writes_no_cpr_number(folder, tmp_path, capsys):
    forloeb = pd.read_csv(folder / "forloeb.csv", dtype=str, keep_default_na=False)
    forloeb.loc[5, "id"] = "010203-1234"
    forloeb.to_csv(folder / "forloeb.csv", index=False)
    out = tmp_path / "status_2024.xlsm"
    assert cli.main(["projektmappe", str(folder), "--year", "2024", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert not out.exists()
    assert "forloeb.csv, række 7, kolonne 'id'" in err and "010203-XXXX" in err and "1234" not in err

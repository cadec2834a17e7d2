"""The status note (Word), read back with python-docx and compared with `status` for the same input.

Expected figures come from `jobstatus-xl status --format json` (unrounded) and are rounded here with
decimal's ROUND_HALF_UP, not with the package's formatter; the table layout is read from the
document's own row labels.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import docx
import pandas as pd
import pytest
from libreoffice import requires_libreoffice

from jobstatus_xl import notat
from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, RawInput, Settings, Table, compute, demo_input

PUBLISHED_COMPARISON = ["772", "68 pct.", "913", "84 pct.", "1.134", "1.084", "975", "115 pct.", "1.014", "113 pct."]


def status_json(cli, *args) -> dict:
    done = cli("status", *args, "--format", "json")
    assert done.code == 0
    return json.loads(done.out)


def shown(x: float | None, pct: bool = False) -> str:
    """Independent rounding (half up; figures are non-negative) and Danish format."""
    if x is None:
        return ""
    n = int(Decimal(repr(100 * x if pct else x)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    text = f"{n:,}".replace(",", ".")
    return f"{text} pct." if pct else text


def document(result, raw=None) -> docx.document.Document:
    return docx.Document(io.BytesIO(notat.note_bytes(result, raw)))


@pytest.fixture(scope="module")
def demo():
    raw = demo_input()
    result = compute(raw, DEMO_SETTINGS)
    return raw, result, document(result, raw)


def paragraphs(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.text.strip()]


def expected_cells(rows: list[dict], year: int, enhed: str, label: str, column: str) -> str:
    """The figure `status` gives for one cell of a note table, found by row label and column."""
    of = {r["linje"]: r for r in rows if r["aar"] == year and r["enhed"] == enhed}
    lines = list(of)
    group = lines[:lines.index("Samlet")]
    fleks = lines[lines.index("Samlet") + 1]
    scheme = label.removesuffix(" (helårspersoner)")
    if scheme in group:
        r, first = of[scheme], scheme == group[0]
        return {"Status": shown(r["status"]), "Antal": shown(r["antal_forloeb"]),
                "Samlet status": shown(of["Samlet"]["status"]) if first else "",
                "Samlet måltal": shown(of["Samlet"]["maaltal"]) if first else "",
                "Procentvis målopfyldelse": shown(of["Samlet"]["maalopfyldelse"], pct=True) if first else ""}[column]
    if label == "Antal forløb":
        return shown(of["Samlet"]["antal_forloeb"]) if column == "Antal" else ""
    if label.startswith(fleks):
        r = of[fleks]
        return {"Status": shown(r["status"]), "Samlet måltal": shown(r["maaltal"]),
                "Procentvis målopfyldelse": shown(r["maalopfyldelse"], pct=True)}.get(column, "")
    if label.startswith("Samlet målopfyldelse"):
        return shown(of["Samlet målopfyldelse"]["maalopfyldelse"], pct=True) if column == "Procentvis målopfyldelse" else ""
    raise AssertionError(f"unknown row {label!r}")


def note_tables(doc):
    """(title, table) for each status table: the caption paragraph before it names it."""
    body = list(doc.element.body.iterchildren())
    out, caption = [], None
    for el in body:
        if el.tag.endswith("}p"):
            text = "".join(t.text or "" for t in el.iter() if t.tag.endswith("}t"))
            if text.startswith("Tabel "):
                caption = text
        elif el.tag.endswith("}tbl") and caption:
            out.append((caption, docx.table.Table(el, doc)))
            caption = None
    return out


def test_nine_tables_whose_cells_are_the_rounded_figures_of_status(demo, cli):
    _, _, doc = demo
    rows = status_json(cli, "--year", "2024")["status"]
    tables = note_tables(doc)
    assert [int(re.match(r"Tabel (\d+)", t).group(1)) for t, _ in tables] == list(range(1, 10))
    checked = 0
    for title, table in tables:
        year = int(re.search(r"for (\d{4})", title).group(1))
        cells = [[c.text for c in row.cells] for row in table.rows]
        header, body = cells[0], cells[1:]
        enhed = header[0]
        columns = ["Status", "Samlet status", "Samlet måltal", "Procentvis målopfyldelse", "Antal"]
        assert header[1:4] == columns[:3] and header[4] == columns[3] and header[5].startswith("Antal forløb i")
        for row in body:
            for column, value in zip(columns, row[1:]):
                assert value == expected_cells(rows, year, enhed, row[0], column), (title, row[0], column)
                checked += bool(value)
    assert checked > 9 * 10


def test_demo_comparison_states_the_published_figures_in_order(demo):
    text = " ".join(paragraphs(demo[2]))
    start = text.index("Måltallet blev reduceret")
    positions = [text.index(f, start) for f in ("1.134", "1.084", "772", "68 pct.", "913", "84 pct.")]
    assert positions == sorted(positions)
    fleks = text.index("Måltallet for fleksjob blev forøget")
    positions = [text.index(f, fleks) for f in ("975", "115 pct.", "1.014", "113 pct.")]
    assert positions == sorted(positions)
    assert all(f in text for f in PUBLISHED_COMPARISON)
    assert "er steget fra 772 helårspersoner, svarende til 68 pct., i 2023 til 913 helårspersoner" in text
    assert "blev vedtaget af Borgerrepræsentationen den 1. februar 2024" in text


NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{3})*(?:,\d+)?(?![\d])")


def allowed_numbers(result) -> set[str]:
    tidy = pd.concat([result.tidy, result.previous_tidy])
    out = set()
    for r in tidy.to_dict("records"):
        for col in ("status", "maaltal", "antal_forloeb"):
            if pd.notna(r[col]):
                out.add(shown(r[col]))
        if pd.notna(r["maalopfyldelse"]):
            out.add(shown(r["maalopfyldelse"]).removesuffix(" pct."))
            out.add(shown(r["maalopfyldelse"], pct=True).removesuffix(" pct."))
    years = {str(result.settings.year), str(result.settings.year - 1)}
    tables = {str(t.number) for t in result.tables}
    units = {str(len(result.tables) - 2)}
    return out | years | tables | units


def test_every_number_in_the_sentences_is_a_figure_of_the_result(demo):
    raw, result, _ = demo
    sentences = [p for p in notat.intro(result, None) if isinstance(p, str)]
    sentences += notat.comparison(result) + [notat.tables_sentence(result)]
    found = [n for s in sentences for n in NUMBER.findall(s)]
    assert len(found) >= 12
    allowed = allowed_numbers(result)
    assert [n for n in found if n not in allowed] == []


def with_previous(raw: RawInput, factor: float, fleks: float) -> RawInput:
    """The demo register with a previous year whose figures are scaled (a better year before)."""
    prev = raw.previous.frame.copy()
    is_fleks = prev["ordning"] == "Fleksjob"
    prev.loc[~is_fleks, "status"] = [str(float(v) * factor) for v in prev.loc[~is_fleks, "status"]]
    prev.loc[is_fleks, "status"] = str(fleks)
    return RawInput(raw.forloeb, raw.fleksjob, previous=Table(prev, "aggregater_2023.csv"))


def test_a_year_where_the_status_fell_says_so():
    raw = with_previous(demo_input(), 1.5, 1200)
    result = compute(raw, DEMO_SETTINGS)
    group, fleks = notat.comparison(result)
    old_group = 1.5 * (112 + 502 + 4 + 154)
    assert (f"Den samlede målopfyldelse er faldet fra {shown(old_group)} helårspersoner, svarende til "
            f"{shown(old_group / 1134, pct=True)}, i 2023 til 913 helårspersoner, svarende til 84 pct., i 2024.") in group
    assert "steget" not in group
    assert "Antallet af fleksjobansatte er dermed faldet fra 2023 til 2024." in fleks
    assert "med måltalsstigningen" not in fleks      # fewer employees: the target is not the reason


def test_count_and_percentage_going_different_ways_are_each_named():
    # 2023 slightly lower in helårspersoner (900 < 913) but a higher share (900/1134... no: 79 pct.)
    raw = with_previous(demo_input(), 900 / 772, 975)
    result = compute(raw, DEMO_SETTINGS)
    text = notat.comparison(result)[0]
    assert "er steget fra 900 helårspersoner, svarende til 79 pct., i 2023 til 913 helårspersoner" in text
    raw = with_previous(demo_input(), 950 / 772, 975)       # 950 > 913 helårspersoner, 84 pct. = 84 pct.
    text = notat.comparison(compute(raw, DEMO_SETTINGS))[0]
    assert "Den samlede status er faldet fra 950 helårspersoner i 2023 til 913 helårspersoner i 2024, mens " \
           "målopfyldelsen er uændret 84 pct." in text


def test_words_follow_the_printed_figures():
    assert notat.moved(10.4, 10.49) == "uændret"           # both print 10
    assert notat.moved(10.4, 10.5) == "steget" and notat.moved(10.5, 10.4) == "faldet"
    assert notat.changed(850, 900) == "forøget" and notat.changed(1134, 1084) == "reduceret"
    assert notat.changed(900, 900.2) == "uændret"


@pytest.mark.slow
def test_without_a_previous_year_the_note_says_it_does_not_compare():
    raw = demo_input()
    result = compute(RawInput(raw.forloeb, raw.fleksjob), DEMO_SETTINGS)
    text = " ".join(notat.comparison(result))
    assert "Inddata har ingen tal for 2023" in text and "2023" not in text.replace("ingen tal for 2023", "")
    doc = document(result)
    assert [int(re.match(r"Tabel (\d+)", t).group(1)) for t, _ in note_tables(doc)] == [1, 3, 4, 5, 6, 7, 8, 9]


def test_a_year_without_an_adoption_date_shows_a_placeholder_and_warns():
    raw = demo_input()
    result = compute(raw, DEMO_SETTINGS)
    assert notat.ADOPTED_MISSING in notat.intro(result, None)[2]
    assert notat.warnings_for(result) == []
    result.settings = Settings(2023)      # only the year is read: 2023 has no date in vedtaget.csv
    assert "vedtaget.csv" in notat.warnings_for(result)[0].besked


def printed_rows_do_not_add_up(table) -> bool:
    cells = [[c.text for c in row.cells] for row in table.rows][1:]
    labels = [r[0] for r in cells]
    group = cells[:labels.index("Antal forløb")]

    def n(text: str) -> int:
        return int(text.replace(".", ""))
    return sum(n(r[1]) for r in group) != n(group[0][2])


def test_appendix_names_the_tables_whose_printed_rows_do_not_add_up(demo):
    raw, result, doc = demo
    texts = paragraphs(doc)
    appendix = texts[texts.index("Bilag: Datagrundlag og kontrol"):]
    sentence = next(t for t in appendix if t.startswith("Fordi hvert tal er afrundet for sig"))
    off = [int(re.match(r"Tabel (\d+)", t).group(1)) for t, tbl in note_tables(doc) if printed_rows_do_not_add_up(tbl)]
    assert off                                   # the demo has such tables (as the published note)
    for number in off:
        assert re.search(rf"tabel {number} \([^)]*Samlet status – sum af rækker", sentence), number
    assert "skyldes afrunding" in sentence
    size = f"{len(raw.forloeb.frame):,}".replace(",", ".")
    assert any(f"{size} rækker i forloeb.csv" in t for t in appendix)
    assert any("0 fejl og 2 advarsler" in t for t in appendix)
    findings_table = doc.tables[-1]
    assert [c.text for c in findings_table.rows[0].cells] == ["Alvor", "Ark/fil", "Række", "Kolonne", "Besked"]
    assert [r.cells[4].text for r in findings_table.rows[1:]] == [f.besked for f in result.findings]


@pytest.mark.slow
def test_two_charts_and_the_same_bytes_twice(demo):
    raw, result, doc = demo
    assert len(doc.inline_shapes) == 2
    assert notat.note_bytes(result, raw) == notat.note_bytes(result, raw)


@pytest.mark.slow
def test_cli_writes_the_note_and_never_over_an_existing_file(tmp_path, cli):
    out = tmp_path / "notat.docx"
    assert cli("notat", "--year", "2024", "--out", out).code == 0
    doc = docx.Document(str(out))
    assert len(note_tables(doc)) == 9
    out.write_bytes(b"mit eget notat")
    refused = cli("notat", "--year", "2024", "--out", out)
    assert refused.code == 2 and "--overwrite" in refused.err
    assert out.read_bytes() == b"mit eget notat"
    assert cli("notat", "--year", "2024", "--out", out, "--overwrite").code == 0
    assert len(note_tables(docx.Document(str(out)))) == 9


@pytest.mark.slow
def test_pdf_without_libreoffice_says_how_to_get_one(tmp_path, monkeypatch, cli):
    monkeypatch.setattr(notat, "soffice", lambda: None)
    out = tmp_path / "notat.pdf"
    done = cli("notat", "--year", "2024", "--out", out)
    assert done.code == 1
    assert "Gem som" in done.err and "PDF" in done.err and not out.exists()


@requires_libreoffice
@pytest.mark.libreoffice
def test_pdf_with_libreoffice_holds_the_tables(tmp_path, cli):
    out = tmp_path / "notat.pdf"
    assert cli("notat", "--year", "2024", "--out", out).code == 0
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
        assert "Tabel 9" in text and "1.084" in text and "Datagrundlag og kontrol" in text


def test_a_part_year_is_not_compared_with_a_whole_year_without_saying_so():
    import datetime as dt
    result = compute(demo_input(), Settings(2024, dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    text = notat.comparison(result)[0]
    assert "tallene for 2023 dækker hele året, mens tallene for 2024 dækker perioden januar til og med juni 2024" in text
    intro = " ".join(p for p in notat.intro(result, None) if isinstance(p, str))
    assert "for perioden januar til og med juni 2024" in intro and "i juni 2024" in intro
    assert "ved udgangen af året" not in intro

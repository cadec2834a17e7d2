"""The bundled synthetic register reproduces every figure of the published 2024 note.

One test per printed figure, so a failure names it. The few figures the note gets wrong
(no register can reproduce them) are listed in KNOWN_INCONSISTENT, each with why; the README's
section "Hvor noten ikke hænger sammen" lists the same cases.
"""

from pathlib import Path

import pandas as pd
import pytest

from jobstatus_xl.engine.rounding import excel_round

REF = Path(__file__).parent / "data" / "reference"
ROWS = pd.read_csv(REF / "published_rows.csv", dtype={"antal_forloeb": "Int64"})
TOTALS = pd.read_csv(REF / "published_totals.csv")

# (year, unit, field) -> (printed, what the data gives, why)
KNOWN_INCONSISTENT = {
    (2024, "ØKF", "antal_forloeb_i_alt"): (174, 253, "ØKF's rows print 51 + 198 + 4 = 253; 174 is TMF's total (table 8) repeated."),
    (2024, "KK", "fleksjob_maaltal"): (900, 899, "The seven forvaltninger's fleksjob targets sum to 899; KK is their sum."),
    (2023, "KK", "antal_forloeb_i_alt"): (3195, 2894, "Table 2's rows print 289 + 2,278 + 22 + 305 = 2,894."),
}


@pytest.fixture(scope="module")
def tidy(demo_result):
    frames = [demo_result.tidy, demo_result.previous_tidy]
    return pd.concat(frames).set_index(["aar", "enhed", "linje"])


def _w(x):
    return int(excel_round(x))


def _p(x):
    return int(excel_round(100 * x))


ROW_CASES = [(int(r.aar), r.enhed, r.ordning, "status", int(r.status)) for r in ROWS.itertuples()]
ROW_CASES += [(int(r.aar), r.enhed, r.ordning, "antal_forloeb", int(r.antal_forloeb))
              for r in ROWS.itertuples() if not pd.isna(r.antal_forloeb)]


@pytest.mark.parametrize("aar, enhed, ordning, field, printed", ROW_CASES,
                         ids=[f"{a}-{e}-{o}-{f}" for a, e, o, f, _ in ROW_CASES])
def test_scheme_row(tidy, aar, enhed, ordning, field, printed):
    assert _w(tidy.at[(aar, enhed, ordning), field]) == printed


TOTAL_FIELDS = {
    "samlet_status": ("Samlet", "status", _w),
    "samlet_maaltal": ("Samlet", "maaltal", _w),
    "maalopfyldelse_pct": ("Samlet", "maalopfyldelse", _p),
    "antal_forloeb_i_alt": ("Samlet", "antal_forloeb", _w),
    "fleksjob_status": ("Fleksjob", "status", _w),
    "fleksjob_maaltal": ("Fleksjob", "maaltal", _w),
    "fleksjob_pct": ("Fleksjob", "maalopfyldelse", _p),
    "samlet_maalopfyldelse_pct": ("Samlet målopfyldelse", "maalopfyldelse", _p),
}
TOTAL_CASES = [(int(r["aar"]), r["enhed"], f, int(r[f])) for _, r in TOTALS.iterrows() for f in TOTAL_FIELDS
               if (int(r["aar"]), r["enhed"], f) not in KNOWN_INCONSISTENT]


@pytest.mark.parametrize("aar, enhed, field, printed", TOTAL_CASES, ids=[f"{a}-{e}-{f}" for a, e, f, _ in TOTAL_CASES])
def test_table_total(tidy, aar, enhed, field, printed):
    linje, col, shown = TOTAL_FIELDS[field]
    assert shown(tidy.at[(aar, enhed, linje), col]) == printed


@pytest.mark.parametrize("key", list(KNOWN_INCONSISTENT), ids=["-".join(map(str, k)) for k in KNOWN_INCONSISTENT])
def test_known_inconsistency_in_the_note(tidy, key):
    """The note prints one figure, the data gives the consistent one; both sides are checked."""
    aar, enhed, field = key
    printed, consistent, _why = KNOWN_INCONSISTENT[key]
    row = TOTALS[(TOTALS.aar == aar) & (TOTALS.enhed == enhed)].iloc[0]
    assert int(row[field]) == printed, "the transcription of the note changed"
    linje, col, shown = TOTAL_FIELDS[field]
    assert shown(tidy.at[(aar, enhed, linje), col]) == consistent


def test_weights_in_force_are_the_notes(tidy):
    for _, r in TOTALS.iterrows():
        from jobstatus_xl.engine.rules import load_rules
        rules = load_rules(int(r["aar"]))
        assert (round(100 * rules.weight_group), round(100 * rules.weight_fleksjob)) == \
            (r["vaegt_gruppe_pct"], r["vaegt_fleksjob_pct"])


def test_worked_example_from_domain_doc(tidy):
    # KK 2024: 0.55 × 913/1084 + 0.45 × 1014/900 = 0.970 -> 97 pct (the note's own arithmetic)
    assert _p(0.55 * 913 / 1084 + 0.45 * 1014 / 900) == 97
    assert _p(tidy.at[(2024, "KK", "Samlet målopfyldelse"), "maalopfyldelse"]) == 97


def test_kk_is_the_sum_of_unrounded_forvaltninger(tidy):
    t = tidy.reset_index()
    t24 = t[t.aar == 2024]
    for linje in ["Løntilskud", "Virksomhedspraktik", "Småjob under det sociale frikort", "Samlet", "Fleksjob"]:
        parts = t24[(t24.enhed != "KK") & (t24.linje == linje)]["status"].sum()
        kk = t24[(t24.enhed == "KK") & (t24.linje == linje)]["status"].iloc[0]
        assert kk == pytest.approx(parts, rel=1e-12)

"""Plain unit tests of the conversion rules between Excel values and the engine (no xlwings)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobstatus_xl import xlconvert as xc
from jobstatus_xl.engine.findings import ADVARSEL, FEJL, Finding, InputError
from jobstatus_xl.engine.periods import Period

EPOCH = dt.date(1899, 12, 30)


def serial(d: dt.date) -> float:
    return float((d - EPOCH).days)


def message(fn, *args) -> str:
    with pytest.raises(xc.CellError) as info:
        fn(*args)
    return str(info.value)


# ---------------------------------------------------------------- shapes

@pytest.mark.parametrize("value, expected", [
    (5, [5]),
    (None, [None]),
    ([], []),
    ([1, 2, 3], [1, 2, 3]),                 # 1-D, as xlwings gives a row or column without ndim
    ([[1, 2, 3]], [1, 2, 3]),               # one row
    ([[1], [2], [3]], [1, 2, 3]),           # one column
    ([[7]], [7]),
])
def test_as_list_accepts_a_cell_a_row_or_a_column(value, expected):
    assert xc.as_list(value, "x") == expected


def test_as_list_rejects_a_block():
    assert "én kolonne eller én række" in message(xc.as_list, [[1, 2], [3, 4]], "startdatoerne")


def test_single_rejects_several_cells():
    assert message(xc.single, [[1], [2]], "status") == "status skal være én celle, ikke 2"


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("value", [3, 3.5, np.float64(2.0), [[4.0]]])
def test_number_accepts_numbers(value):
    assert xc.number(value, "status") == float(np.asarray(value).ravel()[0])


@pytest.mark.parametrize("value, fragment", [
    ("12", "skal være et tal, ikke '12'"),       # text where a number belongs is never read as one
    (True, "skal være et tal"),                  # TRUE is not 1
    (None, "mangler"),                           # a blank is not 0
    ("  ", "mangler"),
    ("#N/A", "fejlværdi (#N/A)"),
    ("#FEJL: noget", "fejlværdi"),
    (float("nan"), "endeligt"),
    (dt.datetime(2024, 1, 1), "skal være et tal"),
])
def test_number_refuses_what_is_not_a_number(value, fragment):
    assert fragment in message(xc.number, value, "status")


@pytest.mark.parametrize("value", [0, -1, -0.5])
def test_positive_refuses_zero_and_negative(value):
    assert "større end 0" in message(xc.positive, value, "måltallet")


# ---------------------------------------------------------------- dates

# Serials start at 10000 (18-05-1927): a smaller number in a date column is a year typed as a date
# (see test_a_year_typed_as_a_date_is_refused), so dates are drawn from there on.
@given(st.dates(min_value=dt.date(1927, 5, 18), max_value=dt.date(2100, 12, 31)))
def test_every_date_form_gives_the_same_day(d):
    forms = [serial(d), int(serial(d)), serial(d) + 0.75,       # a serial with a time of day
             dt.datetime(d.year, d.month, d.day, 13, 30), d,
             dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc),
             f"{d:%d-%m-%Y}", f"{d:%d.%m.%Y}", f"{d:%d/%m/%Y}", d.isoformat()]
    parsed, blank = xc.dates(forms, "startdato")
    assert not blank.any()
    assert (parsed == np.datetime64(d, "D")).all()


def test_a_year_typed_as_a_date_is_refused():
    # 2024 as a serial is 16-07-1905: a running forløb from then would count the whole period
    for value in (2024, 2024.0, "2024"):
        with pytest.raises(xc.CellError, match="er ikke en dato"):
            xc.dates([value], "startdato")


def test_a_datetime_subclass_is_a_date():
    class ComTime(dt.datetime):   # pywintypes.datetime is such a subclass
        pass
    parsed, _ = xc.dates([ComTime(2024, 5, 17, 8, 0)], "startdato")
    assert parsed[0] == np.datetime64("2024-05-17")


def test_blanks_are_blank_not_dates():
    parsed, blank = xc.dates([None, "", "  ", 45292.0], "slutdato")
    assert blank.tolist() == [True, True, True, False]
    assert np.isnat(parsed[:3]).all()


@pytest.mark.parametrize("value, fragment", [
    ("31-13-2024", "'31-13-2024' er ikke en dato"),
    ("12/31/2024", "er ikke en dato"),        # American order is never guessed
    ("snart", "er ikke en dato"),
    (-5.0, "er ikke en dato"),
    (True, "er ikke en dato"),
    ("#N/A", "fejlværdi (#N/A)"),
    ("#VALUE!", "fejlværdi"),
])
def test_bad_dates_name_the_row(value, fragment):
    text = message(xc.dates, [45292.0, None, value], "slutdato")
    assert text.startswith("slutdato i række 3")
    assert fragment in text


def test_one_date_has_no_row_and_must_be_there():
    assert xc.one_date("31-12-2024", "referencedatoen") == dt.date(2024, 12, 31)
    assert message(xc.one_date, None, "referencedatoen") == "referencedatoen mangler"
    assert "række" not in message(xc.one_date, "x", "referencedatoen")
    assert xc.optional_date(None, "p") is None


def test_period():
    assert xc.period(serial(dt.date(2024, 1, 1)), "30-06-2024") == Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert "før dens første dag" in message(xc.period, "31-12-2024", "01-01-2024")


# ---------------------------------------------------------------- spells

def test_spells_skip_blank_rows_and_keep_running_ones():
    sp = xc.spells([[45292.0], [None], ["01-03-2024"]], [[45300.0], [None], [None]])
    assert sp.keep.tolist() == [True, False, True]
    assert sp.rows == 3
    assert sp.row_numbers.tolist() == [1, 3]
    assert sp.start.tolist() == [dt.date(2024, 1, 1), dt.date(2024, 3, 1)]
    assert np.isnat(sp.end[1])                        # still running


@pytest.mark.parametrize("starts, ends, text", [
    ([45292.0, 45300.0], [45200.0, None], "slutdato før startdato i række 1"),
    ([45292.0, None], [None, 45300.0], "startdato mangler i række 2"),
    ([45292.0, 45300.0], [None], "startdatoerne og slutdatoerne skal have lige mange rækker (har 2 og 1)"),
    ([45292.0], ["#N/A"], "slutdato i række 1 er en fejlværdi (#N/A)"),
])
def test_spells_refuse_what_would_give_a_wrong_number(starts, ends, text):
    assert message(xc.spells, starts, ends) == text


def test_a_table_row_with_only_a_code_is_not_blank():
    assert message(xc.spells, [45292.0, None], [None, None], ((["SOF", "BUF"], "forvaltningerne"),)) == \
        "startdato mangler i række 2"
    assert "lige mange rækker" in message(xc.spells, [45292.0], [None], ((["SOF", "BUF"], "forvaltningerne"),))


def test_hours():
    """The engine's rule whatever the basis: checked always (above 0, at most 168), counted only on
    the weekday basis (the caller's business)."""
    sp = xc.spells([45292.0, None, 45300.0], [None, None, None])
    assert xc.hours(None, sp) is None
    assert xc.hours([[None], [None], [None]], sp) is None
    assert xc.hours(20, sp).tolist() == [20.0, 20.0]
    h = xc.hours([[30], ["ignored: blank row"], [None]], sp)
    assert h[0] == 30 and np.isnan(h[1])       # the blank row drops out; a blank hour = full time (engine rule)
    assert "større end 0" in message(xc.hours, [[0], [None], [None]], sp)
    assert "i række 3" in message(xc.hours, [[30], [None], ["mange"]], sp)
    assert "lige mange rækker" in message(xc.hours, [[30], [20]], sp)
    assert message(xc.hours, [[30], [None], [168.5]], sp) == \
        "timer pr. uge i række 3 kan højst være 168 (er 168.5); skriv de aftalte ugentlige timer, fx 37"
    assert xc.hours([[168]], xc.spells([45292.0], [None])).tolist() == [168.0]


def test_raw_cells_are_cleaned_as_xlwings_would_clean_them():
    """`convert="raw"` hands over what Office.js or COM sent; `cells` gives what xlwings' own
    conversion with err_to_str gives: blanks None, error cells their text, formatted numbers plain."""
    office_js = [[45292.0], [""], [{"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}],
                 [{"type": "FormattedNumber", "basicValue": 45300.0, "numberFormat": "dd-mm-yyyy"}], ["SOF"], [True], [None]]
    assert xc.cells(office_js) == [[45292.0], [None], ["#N/A"], [45300.0], ["SOF"], [True], [None]]
    com = ((dt.datetime(2024, 1, 1),), (None,), (-2146826246,), (-2146826281,), ("",), (37.0,))
    assert xc.cells(com) == [[dt.datetime(2024, 1, 1)], [None], ["#N/A"], ["#DIV/0!"], [None], [37.0]]
    assert xc.cells("") is None and xc.cells(-2146826273) == "#VALUE!" and xc.cells(7) == 7
    assert xc.cells([45292.0, ""]) == [45292.0, None]          # one row, flattened by xlwings' to_scalar


def test_ids():
    sp = xc.spells([45292.0, None, 45300.0], [None, None, None])
    assert xc.ids([["a"], [None], [17.0]], sp).tolist() == ["a", "17.0"]
    assert message(xc.ids, [["a"], [None], [None]], sp) == "id mangler i række 3"


# ---------------------------------------------------------------- weights

def test_weighted_pairs_skip_rows_blank_in_both():
    a, w = xc.weighted_pairs([[84.2], [None], [None], [None], [112.7]], [[55], [None], [None], [None], [45]])
    assert a.tolist() == [84.2, 112.7] and w.tolist() == [55, 45]


@pytest.mark.parametrize("a, w, text", [
    ([[84.0], [112.0]], [[55], [None]], "vægt mangler i række 2"),
    ([[None], [112.0]], [[55], [45]], "målopfyldelse mangler i række 1"),
    ([[84.0], ["#VALUE!"]], [[55], [45]], "målopfyldelsen i række 2 er en fejlværdi (#VALUE!)"),
    ([[84.0], [112.0]], [[55], ["45%"]], "vægten i række 2 skal være et tal, ikke '45%'"),
    ([[84.0], [112.0]], [[55], [-45]], "vægten i række 2 må ikke være negativ (er -45)"),
    ([[84.0], [112.0]], [[55]], "målopfyldelserne og vægtene skal have lige mange rækker (har 2 og 1)"),
    ([[None]], [[None]], "ingen målopfyldelser med vægt"),
    ([[84.0], [112.0]], [[0], [0]], "summen af vægtene skal være større end 0"),
])
def test_weighted_pairs_refuse(a, w, text):
    assert message(xc.weighted_pairs, a, w) == text


# ---------------------------------------------------------------- codes

@pytest.mark.parametrize("raw, code", [("SOF", "SOF"), (" sof ", "SOF"), ("økf", "ØKF"), ("OKF", "ØKF"), ("kk", "KK")])
def test_unit_codes_fold_like_the_engine(raw, code):
    assert xc.unit(raw) == code


@pytest.mark.parametrize("raw, name", [("virksomhedspraktik", "Virksomhedspraktik"),
                                        ("Småjob", "Småjob under det sociale frikort"),
                                        ("LØNTILSKUD", "Løntilskud"), ("Nytteindsats", "Nytteindsats")])
def test_scheme_names_fold_like_the_engine(raw, name):
    assert xc.scheme(raw) == name


def test_unknown_codes_are_errors_with_the_row():
    assert message(xc.unit, "XYZ").startswith("ukendt forvaltning 'XYZ' (gyldige: BIF")
    assert "forvaltningen mangler" in message(xc.unit, None)
    sp = xc.spells([45292.0, 45300.0], [None, None])
    assert xc.table_units(["sof", "BUF"], sp).tolist() == ["SOF", "BUF"]
    assert message(xc.table_units, ["SOF", "KK"], sp).startswith("ukendt forvaltning 'KK' i række 2")  # KK is no row's unit
    assert message(xc.table_schemes, ["Løntilskud", None], sp) == "ordning mangler i række 2"


# ---------------------------------------------------------------- the one message mapping

def test_cell_message_for_our_own_errors():
    assert xc.cell_message(xc.CellError("slutdato før startdato i række 3")) == \
        "#FEJL: slutdato før startdato i række 3"


def test_cell_message_for_input_errors_names_sheet_row_column_and_counts_the_rest():
    exc = InputError([Finding(ADVARSEL, "Forløb", "bare en advarsel", 4, "start"),
                      Finding(FEJL, "Forløb", "Slutdato ligger før startdato.", 7, "slut"),
                      Finding(FEJL, "Fleksjob", "Id mangler.", 9, "id")])
    assert xc.cell_message(exc) == ("#FEJL: Forløb, række 7, kolonne 'slut': Slutdato ligger før startdato. "
                                    "(og 1 fejl mere)")


def test_cell_message_for_a_bug_is_short_and_has_no_traceback():
    text = xc.cell_message(ZeroDivisionError("float division by zero"))
    assert text.startswith("#FEJL: uventet fejl (ZeroDivisionError)")
    assert "Traceback" not in text and "division" not in text


def test_messages_never_show_a_cpr_number():
    assert "1234" not in xc.cell_message(xc.CellError("id '010190-1234' findes ikke"))
    assert "1234" not in message(xc.number, "0101901234", "status")


def test_excel_value():
    assert xc.excel_value(float("nan")) is None
    assert xc.excel_value(np.float64(1.5)) == 1.5 and type(xc.excel_value(np.float64(1.5))) is float
    assert xc.excel_value("x") == "x"

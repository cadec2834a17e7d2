"""User-derived text is data, never a formula: the one formula-injection rule for every writer.

Text that starts like a formula gets Excel's text prefix, an apostrophe. Tab and carriage return
are on the list because some spreadsheet programs skip them before deciding that a field is a
formula. The CSV writer (`report.py`) and the sheet layout (`sheets.py`) both prefix through here.

A grid value reaches a cell the way a value handed to Excel does (xlwings `Range.value`): a
leading apostrophe is Excel's prefix, not shown. So `cell_text` also prefixes text that itself
starts with an apostrophe ("'31-13-2024' er ikke en dato"), or Excel would swallow it. openpyxl
stores a value as it is, so the headless writer turns the prefix into the cell style
`quotePrefix` instead (`stored_text`): same text shown, and Excel keeps it text when it is edited.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXT_PREFIX = "'"


def neutralise(value):
    """Text that starts like a formula, with the text prefix; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return TEXT_PREFIX + value
    return value


def cell_text(value):
    """`neutralise` for a value handed to Excel, where a leading apostrophe is consumed as the prefix."""
    if isinstance(value, str) and value.startswith(FORMULA_START + (TEXT_PREFIX,)):
        return TEXT_PREFIX + value
    return value


def stored_text(value) -> tuple[object, bool]:
    """For a writer that stores values verbatim (openpyxl): what to store, and whether the cell
    needs the quotePrefix style. A grid text with the prefix is stored without it."""
    if isinstance(value, str) and value.startswith(TEXT_PREFIX):
        return value[len(TEXT_PREFIX):], True
    return value, False

"""The worksheet function PROGNOSE's reading of its arguments (udfs.py holds only the decorated
function): which figure a cell asks for, which line, and the input tables as the engine takes them.
The tables arrive unconverted (`convert="raw"`, as for STATUSTABEL); one forecast of every unit and
line is computed per distinct input (udfcache.whole_tables) and each cell looks its figure up.
No xlwings here; bad input raises `xlconvert.CellError` with the Danish text the cell shows."""

from __future__ import annotations

from types import MappingProxyType

from . import udfcache
from . import xlconvert as xc
from .engine.pipeline import Settings
from .engine.prognose import Forecast, forecast
from .engine.status import SAMLET, SAMLET_MAAL
from .engine.values import fold_key

# What a cell may ask for (Danish, as typed) -> the forecast table's column.
MEASURES = {
    "prognose": "prognose_aarsstatus",
    "sikker": "sikker_aarsstatus",
    "til dato": "status_til_dato",
    "lav": "prognose_lav",
    "høj": "prognose_hoej",
    "måltal": "maaltal",
    "målopfyldelse": "prognose_maalopfyldelse",
    "sikker målopfyldelse": "sikker_maalopfyldelse",
}
_MEASURE_KEYS = {fold_key(k): v for k, v in MEASURES.items()}
_MEASURE_KEYS.update({"hoj": "prognose_hoej", "hoej": "prognose_hoej"})


def measure_column(value) -> str:
    value = xc.single(value, "målet")
    if xc.is_blank(value):
        return MEASURES["prognose"]
    column = _MEASURE_KEYS.get(fold_key(value))
    if column is None:
        raise xc.CellError(f"ukendt tal '{value}'; skriv et af: {', '.join(MEASURES)}")
    return column


def line_name(value) -> str:
    """A group scheme, Samlet, the fleksjob scheme or Samlet målopfyldelse."""
    value = xc.single(value, "linjen")
    if not xc.is_blank(value) and fold_key(value) in (fold_key(SAMLET), fold_key(SAMLET_MAAL)):
        return SAMLET if fold_key(value) == fold_key(SAMLET) else SAMLET_MAAL
    return xc.scheme(value)


def forecast_figures(status_date, forloeb_table, fleksjob_table, basis=None, targets_table=None, weights_table=None):
    """(the year's fleksjob line, every unit's and line's figures of the forecast table as
    (unit, line) -> column -> cell value); immutable, since every cell over the same input shares it."""
    raw = xc.table_input(forloeb_table, fleksjob_table, targets_table, weights_table)
    fc: Forecast = forecast(raw, Settings(status_date.year, basis=xc.basis(basis)), status_date, source="PROGNOSE",
                            column="opgørelsesdato")
    figures = {}
    for rec in fc.table[["enhed", "linje", *MEASURES.values()]].itertuples(index=False):
        # the first row of a (unit, line), as a lookup in the table would find it
        figures.setdefault((rec[0], rec[1]), MappingProxyType(
            {c: xc.excel_value(v) for c, v in zip(MEASURES.values(), rec[2:])}))
    return fc.rules.fleksjob, MappingProxyType(figures)


def forecast_cell(unit, line, status_date, forloeb_table, fleksjob_table, measure=None, basis=None,
                  targets_table=None, weights_table=None):
    """One figure of the forecast table: the engine's forecast for the status date's year. The
    cell's own arguments are checked first, then the shared computation gives its (cached) figures
    or its (cached) refusal, the same in every cell."""
    u = xc.unit(unit)
    ln = line_name(line)
    column = measure_column(measure)
    day = xc.one_date(status_date, "opgørelsesdatoen")
    fleksjob, figures = udfcache.whole_tables(
        "prognose", (day.toordinal(), forloeb_table, fleksjob_table, basis, targets_table, weights_table),
        lambda: forecast_figures(day, forloeb_table, fleksjob_table, basis, targets_table, weights_table))
    row = figures.get((u, ln))
    if row is None:
        raise xc.CellError(f"linjen '{ln}' findes ikke i {day.year}; brug en ordning, Samlet, "
                           f"{fleksjob} eller Samlet målopfyldelse")
    return row[column]

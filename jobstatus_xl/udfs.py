"""Excel worksheet functions (xlwings UDFs): convert the arguments, call the engine, nothing else.

The Python names are the Excel names. Classic xlwings (Windows, COM) names the VBA wrapper after
the Python function and ignores `name=`, which only xlwings Server/Lite honour; naming the
functions in capitals is the one way both flavours show the same name. Only decorator options
both flavours accept are used: per-argument `doc`, `ndim` and `err_to_str` (no `category`, which
the server flavour lacks). Every function runs inside `_cell_errors`, the one place where bad
input - or a result that is not a finite number - becomes a short Danish message in the cell.

The functions over whole table columns (STATUS_*, STATUSTABEL, PROGNOSE) take them unconverted
(`convert="raw"`): xlwings' own conversion visits every cell in Python on every call (through
Office.js it cost more than the whole computation, see benchmarks/RESULTS.md), while the content
fingerprint that finds the shared, already aggregated register (udfcache.py) needs only the raw
values; `xlconvert.cells` cleans them as xlwings would, once per distinct input.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
from types import MappingProxyType

import xlwings as xw

from . import udfcache
from . import xlconvert as xc
from .engine import helaarspersoner as hp
from .engine.findings import InputError
from .engine.periods import Period
from .engine.pipeline import Settings
from .engine.pipeline import compute as compute_result
from .engine.status import weighted_attainment

log = logging.getLogger(__name__)


def _cell_errors(f):
    """Whatever goes wrong, the cell gets `#FEJL: <Danish text>`, never a traceback. The
    docstring is folded to one line: it is the function wizard's description."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return xc.finite(f(*args, **kwargs))
        except (xc.CellError, InputError) as exc:
            return xc.cell_message(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must still not put a traceback in a cell
            log.exception("%s failed", f.__name__)
            return xc.cell_message(exc)

    wrapper.__doc__ = " ".join(inspect.cleandoc(f.__doc__ or "").split())
    return wrapper


# Argument help (Excel's function wizard; Office.js metadata). One text per meaning.
_RANGE = {"ndim": 2, "err_to_str": True}
_CELL = {"err_to_str": True}
_COLUMN = {"convert": "raw"}    # a whole table column: cleaned by xlconvert.cells, once per distinct content
DOC = {
    "status": "Status: helårspersoner eller antal ansatte (et tal).",
    "target": "Måltal (et tal større end 0).",
    "attainments": "Målopfyldelser, én pr. række (fx E5:E9). Rækker hvor både målopfyldelse og vægt er tomme, "
                   "springes over.",
    "weights": "Vægte på de samme rækker, fx 55 og 45 eller 0,55 og 0,45.",
    "start_dates": "Startdatoer i én kolonne: datoer, datotal eller tekst som 31-12-2024.",
    "end_dates": "Slutdatoer på de samme rækker som startdatoerne. Tom = forløbet kører stadig.",
    "period_start": "Periodens første dag, fx 01-01-2024.",
    "period_end": "Periodens sidste dag (tælles med), fx 31-12-2024.",
    "basis": "Valgfri: 'kalenderdage' (standard, som i noten) eller 'hverdage' (Danmarks Statistiks "
             "fuldtidspersoner).",
    "hours_per_week": "Valgfri: timer pr. uge, ét tal eller en kolonne ud for datoerne (tom = 37, fuld tid). "
                      "Tæller kun med 'hverdage'; med 'kalenderdage' kontrolleres de, men ændrer ikke tallet.",
    "reference_date": "En dag i referencemåneden, fx 31-12-2024 for december.",
    "ids": "Valgfri: person-id'er ud for datoerne; så tælles hver person kun én gang i rækkerne. Noten tæller en "
           "person én gang pr. forvaltning (KK = summen): brug STATUS_FLEKSJOB for notens tal.",
    "unit": "Forvaltningens kode (BIF, BUF, KFF, SOF, SUF, TMF, ØKF) eller KK for hele kommunen.",
    "scheme": "Ordningen, fx Virksomhedspraktik, Løntilskud eller Småjob under det sociale frikort (fleksjob: "
              "brug STATUS_FLEKSJOB).",
    "units": "Tabellens kolonne med forvaltningskoder, fx tblForloeb[forvaltning].",
    "schemes": "Tabellens kolonne med ordninger, fx tblForloeb[ordning].",
    "table_start": "Tabellens kolonne med startdatoer, fx tblForloeb[start].",
    "table_end": "Tabellens kolonne med slutdatoer, fx tblForloeb[slut]. Tom = kører stadig.",
    "fleks_units": "Fleksjobtabellens kolonne med forvaltningskoder, fx tblFleksjob[forvaltning].",
    "fleks_start": "Fleksjobtabellens kolonne med startdatoer, fx tblFleksjob[start].",
    "fleks_end": "Fleksjobtabellens kolonne med slutdatoer, fx tblFleksjob[slut]. Tom = stadig ansat.",
    "table_hours": "Valgfri: tabellens kolonne med timer pr. uge, fx tblForloeb[timer_pr_uge]. Tæller kun med "
                   "'hverdage'; med 'kalenderdage' kontrolleres de, men ændrer ikke tallet.",
    "table_ids": "Valgfri: tabellens kolonne med person-id'er, fx tblFleksjob[id]; så tælles hver person én gang.",
    "report_year": "Opgørelsesåret, fx 2024. Måltal og vægte hentes for året.",
    "forloeb_table": "Forløbstabellen med overskriftsrække, fx tblForloeb[#Alle].",
    "fleksjob_table": "Fleksjobtabellen med overskriftsrække, fx tblFleksjob[#Alle].",
    "targets_table": "Valgfri: måltalstabellen med overskriftsrække, fx tblMaaltal[#Alle]. Tom = de medfølgende "
                     "måltal for året.",
    "weights_table": "Valgfri: vægttabellen med overskriftsrække, fx tblVaegte[#Alle]. Tom = de medfølgende "
                     "vægte for året.",
}


# ---------------------------------------------------------------- attainment

@xw.func
@xw.arg("status", doc=DOC["status"], **_CELL)
@xw.arg("target", doc=DOC["target"], **_CELL)
@_cell_errors
def ATTAINMENT(status, target):
    """Målopfyldelse: status divideret med måltal, som brøk (formatér cellen som procent, eller gang
    med 100). Måltallet skal være større end 0."""
    s = xc.number(status, "status")
    t = xc.positive(target, "måltallet")
    return s / t   # the definition of attainment; rounding happens only when shown


@xw.func
@xw.arg("attainments", doc=DOC["attainments"], **_RANGE)
@xw.arg("weights", doc=DOC["weights"], **_RANGE)
@_cell_errors
def WEIGHTED_ATTAINMENT(attainments, weights):
    """Samlet målopfyldelse som vægtet gennemsnit: summen af målopfyldelse gange vægt divideret med
    summen af vægtene. Resultatet har samme enhed som målopfyldelserne (brøk eller procent)."""
    a, w = xc.weighted_pairs(attainments, weights)
    return weighted_attainment(a, w)


# ---------------------------------------------------------------- forløb given as date ranges

@xw.func
@xw.arg("start_dates", doc=DOC["start_dates"], **_RANGE)
@xw.arg("end_dates", doc=DOC["end_dates"], **_RANGE)
@xw.arg("period_start", doc=DOC["period_start"], **_CELL)
@xw.arg("period_end", doc=DOC["period_end"], **_CELL)
@xw.arg("basis", doc=DOC["basis"], **_CELL)
@xw.arg("hours_per_week", doc=DOC["hours_per_week"], **_RANGE)
@_cell_errors
def HELAARSPERSONER(start_dates, end_dates, period_start, period_end, basis=None, hours_per_week=None):
    """Helårspersoner i perioden: for hvert forløb dagene i perioden divideret med periodens dage,
    lagt sammen. Tom slutdato = forløbet kører stadig. Uafrundet."""
    sp = xc.spells(start_dates, end_dates)
    p = xc.period(period_start, period_end)
    b = xc.basis(basis)
    h = xc.hours(hours_per_week, sp)
    xc.days_on_basis(p, b)
    return hp.helaarspersoner(sp.start, sp.end, p, b, h)


@xw.func
@xw.arg("start_dates", doc=DOC["start_dates"], **_RANGE)
@xw.arg("end_dates", doc=DOC["end_dates"], **_RANGE)
@xw.arg("period_start", doc=DOC["period_start"], **_CELL)
@xw.arg("period_end", doc=DOC["period_end"], **_CELL)
@_cell_errors
def FORLOEB(start_dates, end_dates, period_start, period_end):
    """Antal forløb, der overlapper perioden (mindst én dag i perioden). Tom slutdato = forløbet
    kører stadig."""
    sp = xc.spells(start_dates, end_dates)
    return hp.antal_forloeb(sp.start, sp.end, xc.period(period_start, period_end))


@xw.func
@xw.arg("start_dates", doc=DOC["start_dates"], **_RANGE)
@xw.arg("end_dates", doc=DOC["end_dates"], **_RANGE)
@xw.arg("reference_date", doc=DOC["reference_date"], **_CELL)
@xw.arg("ids", doc=DOC["ids"], **_RANGE)
@_cell_errors
def FLEKSJOB(start_dates, end_dates, reference_date, ids=None):
    """Fleksjobansatte i referencedatoens måned (mindst én dag i måneden). Uden id'er tæller hver
    række som én; med id'er hver person én gang. Noten tæller en person én gang pr. forvaltning
    (KK = summen): brug STATUS_FLEKSJOB for notens tal."""
    sp = xc.spells(start_dates, end_dates)
    month = Period.month_of(xc.one_date(reference_date, "referencedatoen"))
    employed = hp.employed_in(sp.start, sp.end, month)
    if ids is None:
        return int(employed.sum())
    return len(set(xc.ids(ids, sp)[employed]))


# ---------------------------------------------------------------- filtered straight from an input table
# One parse and one aggregation of all forvaltninger and ordninger per distinct table content
# (udfcache); each cell then looks its figure up. The order of the checks is the order in which a
# cell reports the first problem, the same whether the table was read by this call or an earlier one.

@xw.func
@xw.arg("unit", doc=DOC["unit"], **_CELL)
@xw.arg("scheme", doc=DOC["scheme"], **_CELL)
@xw.arg("units", doc=DOC["units"], **_COLUMN)
@xw.arg("schemes", doc=DOC["schemes"], **_COLUMN)
@xw.arg("start_dates", doc=DOC["table_start"], **_COLUMN)
@xw.arg("end_dates", doc=DOC["table_end"], **_COLUMN)
@xw.arg("period_start", doc=DOC["period_start"], **_CELL)
@xw.arg("period_end", doc=DOC["period_end"], **_CELL)
@xw.arg("basis", doc=DOC["basis"], **_CELL)
@xw.arg("hours_per_week", doc=DOC["table_hours"], **_COLUMN)
@_cell_errors
def STATUS_HELAARSPERSONER(unit, scheme, units, schemes, start_dates, end_dates, period_start, period_end,
                           basis=None, hours_per_week=None):
    """Helårspersoner for én forvaltning (eller KK) og én ordning, hentet direkte fra forløbstabellen
    uden hjælpekolonner. Uafrundet."""
    u, s = xc.unit(unit), xc.group_scheme(scheme)
    table = udfcache.forloeb_columns(units, schemes, start_dates, end_dates)
    b = xc.basis(basis)
    h, h_key = udfcache.hours(table, hours_per_week)
    p = udfcache.period(period_start, period_end)
    xc.days_on_basis(p, b)
    return udfcache.scheme_totals(table, p, b, h, h_key).helaarspersoner(u, s)


@xw.func
@xw.arg("unit", doc=DOC["unit"], **_CELL)
@xw.arg("scheme", doc=DOC["scheme"], **_CELL)
@xw.arg("units", doc=DOC["units"], **_COLUMN)
@xw.arg("schemes", doc=DOC["schemes"], **_COLUMN)
@xw.arg("start_dates", doc=DOC["table_start"], **_COLUMN)
@xw.arg("end_dates", doc=DOC["table_end"], **_COLUMN)
@xw.arg("period_start", doc=DOC["period_start"], **_CELL)
@xw.arg("period_end", doc=DOC["period_end"], **_CELL)
@_cell_errors
def STATUS_FORLOEB(unit, scheme, units, schemes, start_dates, end_dates, period_start, period_end):
    """Antal forløb for én forvaltning (eller KK) og én ordning, der overlapper perioden, hentet
    direkte fra forløbstabellen uden hjælpekolonner."""
    u, s = xc.unit(unit), xc.group_scheme(scheme)
    table = udfcache.forloeb_columns(units, schemes, start_dates, end_dates)
    p = udfcache.period(period_start, period_end)
    return udfcache.scheme_totals(table, p, "kalenderdage").forloeb(u, s)


@xw.func
@xw.arg("unit", doc=DOC["unit"], **_CELL)
@xw.arg("units", doc=DOC["fleks_units"], **_COLUMN)
@xw.arg("start_dates", doc=DOC["fleks_start"], **_COLUMN)
@xw.arg("end_dates", doc=DOC["fleks_end"], **_COLUMN)
@xw.arg("reference_date", doc=DOC["reference_date"], **_CELL)
@xw.arg("ids", doc=DOC["table_ids"], **_COLUMN)
@_cell_errors
def STATUS_FLEKSJOB(unit, units, start_dates, end_dates, reference_date, ids=None):
    """Antal fleksjobansatte i én forvaltning (eller KK) i referencedatoens måned, hentet direkte fra
    fleksjobtabellen. Med id'er tælles hver person én gang pr. forvaltning, som i noten."""
    u = xc.unit(unit)
    table = udfcache.fleksjob_columns(units, start_dates, end_dates)
    month = udfcache.reference_month(reference_date)
    # KK is the sum of the forvaltninger (the engine's rule), so a person counts once per forvaltning.
    return udfcache.fleksjob_headcounts(table, month, ids)[u]


# ---------------------------------------------------------------- a whole note table (dynamic array)

@xw.func
@xw.arg("unit", doc=DOC["unit"], **_CELL)
@xw.arg("report_year", doc=DOC["report_year"], **_CELL)
@xw.arg("forloeb_table", doc=DOC["forloeb_table"], **_COLUMN)
@xw.arg("fleksjob_table", doc=DOC["fleksjob_table"], **_COLUMN)
@xw.arg("period_start", doc="Valgfri: periodens første dag. Tom = 1. januar.", **_CELL)
@xw.arg("period_end", doc="Valgfri: periodens sidste dag. Tom = 31. december.", **_CELL)
@xw.arg("basis", doc=DOC["basis"], **_CELL)
@xw.arg("targets_table", doc=DOC["targets_table"], **_COLUMN)
@xw.arg("weights_table", doc=DOC["weights_table"], **_COLUMN)
@_cell_errors
def STATUSTABEL(unit, report_year, forloeb_table, fleksjob_table, period_start=None, period_end=None,
                basis=None, targets_table=None, weights_table=None):
    """Hele statustabellen for én enhed som i noten (overskrift, rækketekster, uafrundede tal),
    beregnet af samme motor som knappen 'Opdater alle tabeller'. Spilder over flere celler."""
    u = xc.unit(unit)
    year = xc.year(report_year)
    start = xc.optional_date(period_start, "periodens første dag")
    end = xc.optional_date(period_end, "periodens sidste dag")
    xc.period(start or dt.date(year, 1, 1), end or dt.date(year, 12, 31))   # a reversed period, in Danish

    def compute():
        raw = xc.table_input(forloeb_table, fleksjob_table, targets_table, weights_table)
        result = compute_result(raw, Settings(year, start, end, xc.basis(basis)))
        return MappingProxyType({t.unit: _rows(t) for t in result.tables if t.year == year})

    days = tuple(None if d is None else d.toordinal() for d in (start, end))   # a key marshal can take
    tables = udfcache.note_tables((year, *days, forloeb_table, fleksjob_table, targets_table, weights_table, basis),
                                  compute)
    if u not in tables:
        raise xc.CellError(f"ingen tabel for {u} i {year}")
    return [list(row) for row in tables[u]]    # a copy: the cached rows stay as computed


def _rows(table) -> tuple[tuple, ...]:
    """A note table as STATUSTABEL spills it (header, then label and unrounded figures), immutable."""
    header = (table.unit, *table.frame.columns)     # the note's own header: "Antal forløb i perioden**" for a part of the year
    body = [(label, *(xc.excel_value(v) for v in row)) for label, row in zip(table.frame.index, table.frame.to_numpy())]
    return (header, *body)


# ---------------------------------------------------------------- the year-end forecast (issue 13)

@xw.func
@xw.arg("unit", doc=DOC["unit"], **_CELL)
@xw.arg("line", doc="Linjen: en ordning (fx Virksomhedspraktik), Samlet, Fleksjob eller Samlet målopfyldelse.", **_CELL)
@xw.arg("status_date", doc="Opgørelsesdatoen ('opgjort pr.'), fx 30-06-2024. Året er datoens år.", **_CELL)
@xw.arg("forloeb_table", doc=DOC["forloeb_table"], **_COLUMN)
@xw.arg("fleksjob_table", doc=DOC["fleksjob_table"], **_COLUMN)
@xw.arg("measure", doc="Valgfri: prognose (standard), sikker, til dato, lav, høj, måltal, målopfyldelse eller "
        "sikker målopfyldelse.", **_CELL)
@xw.arg("basis", doc=DOC["basis"], **_CELL)
@xw.arg("targets_table", doc=DOC["targets_table"], **_COLUMN)
@xw.arg("weights_table", doc=DOC["weights_table"], **_COLUMN)
@_cell_errors
def PROGNOSE(unit, line, status_date, forloeb_table, fleksjob_table, measure=None, basis=None, targets_table=None,
             weights_table=None):
    """Status til dato og prognose for årets slutstatus for én forvaltning (eller KK) og én linje, som på
    arket Prognose: sikker (forløb startet senest på datoen), prognose med nye forløb, lav og høj.
    Målopfyldelse som brøk. Uafrundet."""
    from .prognose_cell import forecast_cell
    return forecast_cell(unit, line, status_date, forloeb_table, fleksjob_table, measure, basis, targets_table,
                         weights_table)

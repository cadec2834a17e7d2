"""Which header means which field: the variants users write for the register's columns.

Readers, the register parse and the workbook writer all map headers here, so a header variant is
known in one place.
"""

from __future__ import annotations

import difflib
import re

from .findings import FEJL, Finding
from .values import dansk_tal, fold_key

FORLOEB_COLUMNS = ("id", "forvaltning", "ordning", "start", "slut")
FLEKSJOB_COLUMNS = ("id", "forvaltning", "start", "slut")

# Header variants users write; compared after `fold_key` folding (case, spaces, æøå, punctuation).
_ALIASES = {
    "id": ["id", "personid", "person", "pseudonym", "pseudonymid", "borgerid", "medarbejderid", "lobenummer", "loebenummer", "lbnr"],
    "forvaltning": ["forvaltning", "forv", "forvaltningskode", "enhed"],
    "ordning": ["ordning", "jobordning", "ordningstype", "type", "ordningsnavn"],
    "start": ["start", "startdato", "fra", "fradato", "begyndelse", "startdate", "fraogmed", "periodestart"],
    "slut": ["slut", "slutdato", "til", "tildato", "ophor", "ophoer", "ophorsdato", "ophoersdato", "enddate", "tilogmed", "periodeslut"],
    "timer_pr_uge": ["timerpruge", "timeruge", "timer", "ugentligetimer", "timerprugen", "arbejdstimerpruge", "ugetimer"],
    "antal": ["antal", "antalansatte", "ansatte", "antalfleksjob", "fleksjobansatte"],
}



_ALIAS_KEYS = {fold_key(v): canon for canon, vs in _ALIASES.items() for v in vs}


def map_columns(columns, required, source: str) -> tuple[dict[str, str], list[Finding]]:
    """Canonical name -> the header as given. Missing required columns are errors with a hint."""
    found: dict[str, str] = {}
    findings = []
    given = {str(c) for c in columns}
    for col in columns:
        canon = _ALIAS_KEYS.get(fold_key(col))
        twice = re.fullmatch(r"(.+)\.\d+", str(col))
        if canon is None and twice and twice.group(1) in given and _ALIAS_KEYS.get(fold_key(twice.group(1))):
            # pandas' name for a CSV header given twice ('start', 'start.1'): the copy must not vanish
            findings.append(Finding(FEJL, source, f"Overskriften '{twice.group(1)}' står mere end én gang. Hver kolonne "
                                    "skal have sin egen overskrift; slet eller omdøb den ene.", kolonne=str(col)))
        elif canon and canon in found:
            # which of the two is meant cannot be known: never take the first in silence
            findings.append(Finding(FEJL, source, f"Kolonnerne '{found[canon]}' og '{col}' betyder begge '{canon}'. "
                                    "Slet den ene, eller omdøb den, så den ikke ligner et felt.", kolonne=str(col)))
        elif canon:
            found[canon] = col
    # only a column no field reads may be suggested: renaming one that is read ('Forvaltning' for a
    # missing 'ordning') would break the file
    spare = [c for c in columns if fold_key(c) not in _ALIAS_KEYS][:MAX_LISTED_COLUMNS]
    for need in required:
        if need not in found:
            near = difflib.get_close_matches(fold_key(need), [fold_key(c) for c in spare], n=1, cutoff=0.6)
            hint = ""
            if near:
                given = next(c for c in spare if fold_key(c) == near[0])
                hint = f" Mente du '{given}'? Omdøb kolonnen til '{need}'."
            findings.append(Finding(FEJL, source, f"Kolonnen '{need}' mangler. Fundne kolonner: "
                                    f"{column_list(columns)}.{hint}", raekke=None, kolonne=need))
    return found, findings


MAX_LISTED_COLUMNS = 30


def column_list(columns) -> str:
    """Headers for a message: the first few, each cut short, and how many more (any file width)."""
    columns = list(columns)
    shown = [f"'{s if len(s) <= 40 else s[:37] + '...'}'" for s in map(str, columns[:MAX_LISTED_COLUMNS])]
    more = len(columns) - len(shown)
    return (", ".join(shown) + (f" og {dansk_tal(more, 0)} flere" if more else "")) if shown else "(ingen)"

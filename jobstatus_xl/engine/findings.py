"""Findings: what is wrong with an input, where, and how bad.

Every message a user sees names the sheet or file, the row and the column, and says what to do.
An error ("fejl") stops status tables from being written; a warning ("advarsel") does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Excel's error values, and the prefix our own functions put in a cell on bad input. A cell holding
# one of these is never data: read as text it would become an id "#N/A", read as a number a blank.
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#DATA!", "#PYTHON!",
})
CELL_ERROR_PREFIX = "#FEJL: "


def is_excel_error(value) -> bool:
    """An Excel error value, or the message of one of our own functions further up the chain."""
    return isinstance(value, str) and (value.strip().upper() in EXCEL_ERRORS or value.startswith("#FEJL"))


FEJL = "fejl"
ADVARSEL = "advarsel"

# CPR numbers: DDMMYY-XXXX with a plausible day and month, written as people and their tools write
# it: no separator, '-', a space (any kind), '/', '.', '_', the dashes autocorrect makes of '-' (en, em,
# minus...), in ASCII or full-width digits. Never echo one in full.
_DIGIT = "0-9\uff10-\uff19"
_SEP = "[-\\s/._\u2010-\u2015\u2212\ufe58\ufe63\uff0d\uff0e\uff0f]"
_DAY = "(?:[0\uff10][1-9\uff11-\uff19]|[12\uff11\uff12][" + _DIGIT + "]|[3\uff13][01\uff10\uff11])"
_MONTH = "(?:[0\uff10][1-9\uff11-\uff19]|[1\uff11][0-2\uff10-\uff12])"
_CPR_TEMPLATE = f"(?<![{_DIGIT}])({_DAY}{_MONTH}[{_DIGIT}]{{2}}){_SEP}?([{_DIGIT}]{{4}})(?![{_DIGIT}])"
_CPR = re.compile(_CPR_TEMPLATE)
# The same pattern without capture groups, for vectorised pandas `str.contains`.
CPR_PATTERN = f"(?<![{_DIGIT}])(?:{_DAY}{_MONTH}[{_DIGIT}]{{2}}){_SEP}?(?:[{_DIGIT}]{{4}})(?![{_DIGIT}])"


def looks_like_cpr(text: str) -> bool:
    return bool(_CPR.search(str(text)))


def mask_cpr(text: str) -> str:
    """Replace anything that looks like a CPR number with its birth date and 'XXXX'."""
    return _CPR.sub(lambda m: m.group(1) + "-XXXX", str(text))


@dataclass(frozen=True)
class Finding:
    alvor: str            # FEJL or ADVARSEL
    kilde: str            # sheet or file name
    besked: str           # what is wrong and what to do, in Danish
    raekke: int | None = None   # 1-based row as the user sees it (header = row 1), None = whole source
    kolonne: str | None = None  # column header as the user sees it

    def __post_init__(self) -> None:
        # a file name, a column header and a message are all the user's text: any may hold a CPR number
        object.__setattr__(self, "besked", mask_cpr(self.besked))
        object.__setattr__(self, "kilde", mask_cpr(self.kilde))
        if self.kolonne is not None:
            object.__setattr__(self, "kolonne", mask_cpr(self.kolonne))

    @property
    def er_fejl(self) -> bool:
        return self.alvor == FEJL

    def where(self) -> str:
        parts = [self.kilde]
        if self.raekke is not None:
            parts.append(f"række {self.raekke}")
        if self.kolonne is not None:
            parts.append(f"kolonne '{self.kolonne}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.alvor.upper()}: {self.where()}: {self.besked}"


@dataclass
class InputError(Exception):
    """Raised when input has errors; carries every finding (errors and warnings), not just the first."""

    findings: list[Finding] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(f) for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.er_fejl]

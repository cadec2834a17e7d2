"""Rounding exactly as the published note (and Excel's ROUND) does it: half away from zero.

Python's round() rounds half to even (round(0.5) == 0), which is wrong for the note.
"""

from __future__ import annotations

import math
from fractions import Fraction

# Excel works to 15 significant digits: 2.675 is stored as 2.67499999999999982236431605997495353221893310546875
# in binary, but Excel sees 2.675 and ROUND(2.675; 2) gives 2.68. Rounding to 15 significant
# digits first removes such binary noise without touching genuine digits (a relative nudge
# would wrongly carry 361651182.4996383 up to ...183).
_SIGNIFICANT = 15


def excel_round(x: float, digits: int = 0) -> float:
    """ROUND(x; digits) as Excel computes it: halves are rounded away from zero."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return math.nan
    scale = 10.0**digits
    y = float(f"{abs(x) * scale:.{_SIGNIFICANT}g}")
    y = math.floor(y + 0.5)
    return math.copysign(y / scale, x) if y else 0.0


def whole(x: float) -> int:
    """A figure as the note prints it: a whole number, rounded half away from zero."""
    return int(excel_round(x))


def percent(fraction: float) -> int:
    """A fraction as the note prints it: whole percent ("84 pct.")."""
    return int(excel_round(100.0 * fraction))


def round_half_away(x: Fraction) -> int:
    """Excel's ROUND(x; 0) on an exact number."""
    r = math.floor(abs(x) + Fraction(1, 2))
    return r if x >= 0 else -r

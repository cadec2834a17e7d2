"""Rounding exactly as the published note (and Excel's ROUND) does it: half away from zero.

Python's round() rounds half to even (round(0.5) == 0), which is wrong for the note.
"""

from __future__ import annotations

import math

import numpy as np

# Binary floats put many "exact" halves a hair below .5 (e.g. 2.675 -> 2.67499999...).
# Excel rounds on ~15 significant digits, so we nudge by a relative epsilon before rounding.
_REL_EPS = 1e-12


def excel_round(x: float, digits: int = 0) -> float:
    """ROUND(x; digits) as Excel computes it: halves are rounded away from zero."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return math.nan
    scale = 10.0**digits
    y = abs(x) * scale
    y = math.floor(y + 0.5 + _REL_EPS * max(1.0, y))
    return math.copysign(y / scale, x) if y else 0.0


def excel_round_array(x, digits: int = 0) -> np.ndarray:
    """Vectorised `excel_round`; NaN stays NaN."""
    arr = np.asarray(x, dtype=float)
    scale = 10.0**digits
    y = np.abs(arr) * scale
    y = np.floor(y + 0.5 + _REL_EPS * np.maximum(1.0, y))
    return np.copysign(y / scale, arr) + 0.0  # + 0.0 turns -0.0 into 0.0


def whole(x: float) -> int:
    """A figure as the note prints it: a whole number, rounded half away from zero."""
    return int(excel_round(x))


def percent(fraction: float) -> int:
    """A fraction as the note prints it: whole percent ("84 pct.")."""
    return int(excel_round(100.0 * fraction))

"""The pytest side of devsupport/libreoffice.py (the one LibreOffice probe and runner):

    from libreoffice import requires_libreoffice, recalculate

    pytestmark = requires_libreoffice          # or @requires_libreoffice on one test

    def test_x(tmp_path):
        sheets = recalculate(path)             # {"Sheet": [[value, ...], ...], ...}

Where LibreOffice is missing the tests skip with `LIBREOFFICE_REASON`; under CI=true the
conftest turns such skips into failures.
"""

from __future__ import annotations

import pytest

from devsupport.libreoffice import (LO_RECALC, SYSTEM_PYTHON, Sheets, available, child_env,  # noqa: F401
                                    convert, convert_to_pdf, pdf_to_png, recalculate, unavailable_reason)

#: Why LibreOffice tests skip here ("" where LibreOffice is available).
LIBREOFFICE_REASON = unavailable_reason()


class _Marks(list):
    """Marks usable both as `pytestmark = ...` and as a decorator."""

    def __call__(self, obj):
        for mark in self:
            obj = mark(obj)
        return obj


requires_libreoffice = _Marks([
    pytest.mark.libreoffice,
    pytest.mark.skipif(not available(), reason=LIBREOFFICE_REASON or "LibreOffice available"),
])

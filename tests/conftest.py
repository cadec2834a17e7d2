"""Suite-wide pytest hooks and shared fixtures.

Tests marked `libreoffice` skip with a reason where LibreOffice is absent; under CI (CI=true) a
skipped `libreoffice` test FAILS instead, so a CI image that lost LibreOffice cannot go green
without its independent checks. Tests marked `slow` are left out of the inner loop
`python -m pytest -m "not slow and not libreoffice"`; the plain `python -m pytest` (CI) runs all.

Fixtures: `cli` (the command line in process), `demo_result` (the demo register computed once per
session), `fresh_udfcache`. Shared helpers that are not fixtures live in modules: tests/zips.py
(zip packages), tests/libreoffice.py (LibreOffice marks), devsupport/ (shared with benchmarks/).
"""

from __future__ import annotations

import os
from typing import NamedTuple

# xlwings picks its decorator flavour at first import: the server flavour (xlwings' real argument
# conversion pipeline, custom_functions_call) must be chosen before any test module imports it.
# The noncommercial key is allowed by xlwings PRO's PolyForm licence for government use.
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import pytest

LIBREOFFICE_MARKER = ("libreoffice: needs LibreOffice headless (soffice, python3-uno); skipped with a reason "
                      "where absent, and CI makes such skips fail")
SLOW_MARKER = "slow: takes seconds; left out of the inner loop (-m 'not slow and not libreoffice'), run by CI"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def pytest_configure(config: pytest.Config) -> None:
    registered = {line.split(":")[0].strip() for line in config.getini("markers")}
    for marker in (LIBREOFFICE_MARKER, SLOW_MARKER):
        if marker.split(":")[0] not in registered:
            config.addinivalue_line("markers", marker)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, lineno, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if (in_ci() and report.skipped and not hasattr(report, "wasxfail")
            and item.get_closest_marker("libreoffice") is not None):
        report.outcome = "failed"
        report.longrepr = (f"CI=true: a test marked 'libreoffice' must run in CI, but it was skipped: "
                           f"{_skip_reason(report)}")
        report.user_properties.append(("libreoffice_skipped_in_ci", True))


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    # A skip happens in setup, and a failed setup would print as ERROR; this is a test failure.
    if report.failed and ("libreoffice_skipped_in_ci", True) in getattr(report, "user_properties", ()):
        return "failed", "F", "FAILED"
    return None


# ---------------------------------------------------------------- the command line, in process

class CliResult(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsysbinary):
    """`cli("status", path, "--year", 2024)` runs `jobstatus_xl.cli.main` in this process and gives
    (exit code, stdout, stderr) as text; `cli.binary(...)` gives stdout and stderr as the bytes
    written (an encoding or BOM under test). The one way tests run the command line; subprocess
    tests stay only where a process is the point (the installed entry point, a closed pipe,
    signals, interpreter shutdown, another hash seed)."""
    from jobstatus_xl.cli import main

    def binary(*argv) -> CliResult:
        capsysbinary.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsysbinary.readouterr()
        return CliResult(code, out, err)

    def run(*argv) -> CliResult:
        code, out, err = binary(*argv)
        return CliResult(code, out.decode("utf-8"), err.decode("utf-8"))
    run.binary = binary
    return run


# ---------------------------------------------------------------- shared results

@pytest.fixture(scope="session")
def demo_result():
    """`compute(demo_input(), DEMO_SETTINGS)`, once per session: what `jobstatus-xl status --year
    2024` computes. Shared, so read it and never change it."""
    from jobstatus_xl.engine.pipeline import DEMO_SETTINGS, compute, demo_input
    return compute(demo_input(), DEMO_SETTINGS)


@pytest.fixture
def fresh_udfcache():
    """The worksheet functions' shared cache (jobstatus_xl/udfcache.py) empty and at its default
    sizes before and after the test (a module makes it autouse by wrapping it)."""
    from jobstatus_xl import udfcache
    udfcache.configure()
    yield
    udfcache.configure()

"""Command line: the same engine as the Excel add-in, without Excel.

    jobstatus-xl demo                      tables 1–9 of the 2024 note from the bundled demo data
    jobstatus-xl status [INPUT] --year Y   status from a folder of CSV files or a workbook
    jobstatus-xl refresh WORKBOOK.xlsm     refresh a workbook's status sheets without Excel
    jobstatus-xl check PATH                reconcile a published note's tables (fejl vs afrunding)
    jobstatus-xl build-template [OUT]      build workbook_template.xlsm from its text sources
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import report
from .engine.findings import FEJL, Finding, InputError
from .engine.pipeline import DEMO_SETTINGS, Settings, compute, demo_input
from .engine.values import Unreadable, read_date, read_year, show
from .readers import read_folder


def _flag(read, example: str):
    """An argparse type from the engine's one reader of values: the same forms as a cell or CSV field."""
    def parse(text: str):
        try:
            value = read(text)
        except Unreadable:
            value = None
        if value is None:
            raise argparse.ArgumentTypeError(f"'{show(text)}' er ikke {example}")
        return value
    return parse


_date = _flag(read_date, "en dato (brug fx 2024-06-30 eller 30-06-2024)")
_year = _flag(read_year, "et årstal (brug fx 2024)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jobstatus-xl", description="Status for særlige jobordninger i Københavns Kommune.")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="Vis tabel 1–9 for 2024 beregnet ud fra de medfølgende syntetiske demodata.")
    demo.add_argument("--workbook", type=Path, help="Skriv også en udfyldt og opdateret kopi af skabelonen hertil (.xlsm).")

    st = sub.add_parser("status", help="Beregn status ud fra en mappe med CSV-filer eller en projektmappe.")
    st.add_argument("input", nargs="?", type=Path, help="Mappe med forloeb.csv og fleksjob.csv, eller en .xlsm/.xlsx "
                    "i skabelonens layout. Standard: demodata.")
    st.add_argument("--year", type=_year, help="Opgørelsesår, fx 2024. Kræves for en mappe; for en projektmappe "
                    "er standard året på arket Indstillinger.")
    st.add_argument("--from", dest="start", type=_date, help="Periodens første dag (standard: 1. januar).")
    st.add_argument("--to", dest="end", type=_date, help="Periodens sidste dag (standard: 31. december).")
    st.add_argument("--basis", choices=["kalenderdage", "hverdage"],
                    help="Opgørelsesgrundlag for helårspersoner (standard: kalenderdage, som i noten; "
                    "for en projektmappe: arket Indstillinger).")
    st.add_argument("--reference-month", type=_date, help="En dag i referencemåneden for fleksjob (standard: periodens sidste måned).")
    st.add_argument("--format", choices=["table", "csv", "json"], default="table")

    rf = sub.add_parser("refresh", help="Opdater alle tabeller i en projektmappe uden Excel (samme beregning som knappen i Excel).")
    rf.add_argument("workbook", type=Path, help="Projektmappe i skabelonens layout (.xlsm).")
    rf.add_argument("--out", type=Path, help="Skriv resultatet hertil i stedet for at opdatere projektmappen.")

    ck = sub.add_parser("check", help="Afstem en offentliggjort statustabel: hvilke tal kan ikke passe, og hvilke er afrunding.")
    ck.add_argument("path", type=Path, help="Projektmappe med statusark, eller en mappe med published_rows.csv og published_totals.csv.")
    ck.add_argument("--format", choices=["table", "json"], default="table")

    bt = sub.add_parser("build-template", help="Byg workbook_template.xlsm ud fra kildefilerne i projektet.")
    bt.add_argument("out", nargs="?", type=Path, default=Path("workbook_template.xlsm"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except InputError as exc:
        print(f"Inddata har fejl ({len(exc.errors)} fejl):", file=sys.stderr)
        for f in exc.findings:
            print(f"  {f}", file=sys.stderr)
        return 2


def _run(args) -> int:
    if args.command == "demo":
        result = compute(demo_input(), DEMO_SETTINGS)
        print(report.render_result(result))
        if args.workbook:
            from .workbook import write_demo_workbook  # openpyxl only when asked for
            write_demo_workbook(args.workbook)
            print(f"\nProjektmappe skrevet: {args.workbook}")
        return 0
    if args.command == "status":
        raw, settings = _read_input(args)
        result = compute(raw, settings)
        out = {"table": report.render_result, "csv": report.to_csv, "json": report.to_json}[args.format](result)
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
        return 0
    if args.command == "refresh":
        from .workbook import cli_refresh
        return cli_refresh(args)
    if args.command == "check":
        from .checks import cli_check
        return cli_check(args)
    if args.command == "build-template":
        from .template.build import cli_build
        return cli_build(args)
    raise AssertionError(args.command)


def _read_input(args) -> tuple:
    """Raw input and settings. A workbook brings its own settings (sheet Indstillinger); flags given
    on the command line take precedence, as they do for a folder of CSV files."""
    path = args.input
    if path is not None and path.suffix.lower() in (".xlsm", ".xlsx") and not path.is_dir():
        from .workbook import read_workbook_input
        raw, sheet = read_workbook_input(path)
        return raw, Settings(args.year or sheet.year,
                             args.start or (sheet.start if not args.year or args.year == sheet.year else None),
                             args.end or (sheet.end if not args.year or args.year == sheet.year else None),
                             args.basis or sheet.basis, args.reference_month or sheet.reference_month)
    if args.year is None:
        raise InputError([Finding(FEJL, "kommandolinjen", "Angiv opgørelsesåret med --year, fx --year 2024.")])
    settings = Settings(args.year, args.start, args.end, args.basis or "kalenderdage", args.reference_month)
    if path is None:
        return demo_input(), settings
    if path.is_dir():
        return read_folder(path, args.year), settings
    raise InputError([Finding(FEJL, str(path), "Inddata skal være en mappe med CSV-filer eller en "
                              ".xlsm/.xlsx-projektmappe i skabelonens layout.")])


if __name__ == "__main__":
    sys.exit(main())

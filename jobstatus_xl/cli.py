"""Command line: the same engine as the Excel add-in, without Excel.

    jobstatus-xl demo                      tables 1–9 of the 2024 note from the bundled demo data
    jobstatus-xl status [INPUT] --year Y   status from a folder of CSV files or a workbook
    jobstatus-xl refresh WORKBOOK.xlsm     refresh a workbook's status sheets without Excel
    jobstatus-xl check PATH                reconcile a published note's tables (fejl vs afrunding)
    jobstatus-xl notat [INPUT] --out F     the status note as Word (.docx) or PDF
    jobstatus-xl projektmappe DIR --out X  a filled, refreshed workbook from a folder of CSV files
    jobstatus-xl build-template [OUT]      build workbook_template.xlsm from its text sources
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from . import report
from .engine.findings import FEJL, Finding, InputError
from .engine.pipeline import DEMO_SETTINGS, Settings, compute, demo_input
from .readers import read_folder


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"'{text}' er ikke en dato (brug fx 2024-06-30 eller 30-06-2024)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jobstatus-xl", description="Status for særlige jobordninger i Københavns Kommune.")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="Vis tabel 1–9 for 2024 beregnet ud fra de medfølgende syntetiske demodata.")
    demo.add_argument("--workbook", type=Path, help="Skriv også en udfyldt og opdateret kopi af skabelonen hertil (.xlsm).")

    st = sub.add_parser("status", help="Beregn status ud fra en mappe med CSV-filer eller en projektmappe.")
    _input_arguments(st)
    st.add_argument("--format", choices=["table", "csv", "csv-da", "json"], default="table",
                    help="table: læsbare tabeller; csv: til programmer (komma, decimalpunktum, UTF-8); csv-da: til "
                    "dansk Excel (semikolon, decimalkomma, UTF-8 med BOM); json.")

    nt = sub.add_parser("notat", help="Lav statusnotatet (indledning, sammenligning, tabel 1-9, figurer, bilag) "
                        "som Word-dokument eller PDF.")
    _input_arguments(nt)
    nt.add_argument("--out", type=Path, required=True, help="notat.docx, eller notat.pdf (kræver LibreOffice).")
    nt.add_argument("--overwrite", action="store_true", help="Overskriv filen, hvis den findes.")

    pm = sub.add_parser("projektmappe", help="Lav en udfyldt og opdateret projektmappe (.xlsm) ud fra en mappe med "
                        "CSV-filer.")
    pm.add_argument("input", type=Path, help="Mappe med forloeb.csv og fleksjob.csv (og evt. maaltal.csv, "
                    "vaegte.csv, aggregater_<år-1>.csv).")
    _period_arguments(pm)
    pm.add_argument("--out", type=Path, required=True, help="Den nye projektmappe, fx status_2024.xlsm.")
    pm.add_argument("--overwrite", action="store_true", help="Overskriv filen, hvis den findes.")

    rf = sub.add_parser("refresh", help="Opdater alle tabeller i en projektmappe uden Excel (samme beregning som knappen i Excel).")
    rf.add_argument("workbook", type=Path, help="Projektmappe i skabelonens layout (.xlsm).")
    rf.add_argument("--out", type=Path, help="Skriv resultatet hertil i stedet for at opdatere projektmappen.")

    ck = sub.add_parser("check", help="Afstem en offentliggjort statustabel: hvilke tal kan ikke passe, og hvilke er afrunding.")
    ck.add_argument("path", type=Path, help="Projektmappe med statusark, eller en mappe med published_rows.csv og published_totals.csv.")
    ck.add_argument("--format", choices=["table", "json"], default="table")

    bt = sub.add_parser("build-template", help="Byg workbook_template.xlsm ud fra kildefilerne i projektet.")
    bt.add_argument("out", nargs="?", type=Path, default=Path("workbook_template.xlsm"))
    return p


def _input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="?", type=Path, help="Mappe med forloeb.csv og fleksjob.csv, eller en .xlsm/.xlsx "
                   "i skabelonens layout. Standard: demodata.")
    _period_arguments(p)


def _period_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, help="Opgørelsesår, fx 2024. Kræves for en mappe; for en projektmappe "
                   "er standard året på arket Indstillinger.")
    p.add_argument("--from", dest="start", type=_date, help="Periodens første dag (standard: 1. januar).")
    p.add_argument("--to", dest="end", type=_date, help="Periodens sidste dag (standard: 31. december).")
    p.add_argument("--basis", choices=["kalenderdage", "hverdage"],
                   help="Opgørelsesgrundlag for helårspersoner (standard: kalenderdage, som i noten; "
                   "for en projektmappe: arket Indstillinger).")
    p.add_argument("--reference-month", type=_date, help="En dag i referencemåneden for fleksjob (standard: periodens sidste måned).")


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
        if args.format == "csv-da":
            # bytes, BOM first: a console's own encoding (cp1252 on Windows) must not decide the file's
            sys.stdout.flush()
            sys.stdout.buffer.write(report.to_csv_da(result).encode(report.CSV_DA_ENCODING))
            sys.stdout.buffer.flush()
            return 0
        out = {"table": report.render_result, "csv": report.to_csv, "json": report.to_json}[args.format](result)
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
        return 0
    if args.command == "notat":
        return _notat(args)
    if args.command == "projektmappe":
        return _projektmappe(args)
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


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise InputError([Finding(FEJL, str(path), "Filen findes allerede og overskrives ikke. Vælg et andet navn, "
                                  "eller tilføj --overwrite.")])


def _notat(args) -> int:
    from .notat import NoteError, write_note, warnings_for
    _refuse_existing(args.out, args.overwrite)
    raw, settings = _read_input(args)
    result = compute(raw, settings)
    try:
        write_note(result, args.out, raw)
    except NoteError as exc:
        print(f"Notatet er ikke skrevet: {exc}", file=sys.stderr)
        return 1
    for f in warnings_for(result) + [f for f in result.findings if not f.er_fejl]:
        print(f"  {f}", file=sys.stderr)
    print(f"Notat skrevet: {args.out}")
    return 0


def _projektmappe(args) -> int:
    from .projektmappe import write_workbook
    _refuse_existing(args.out, args.overwrite)
    if not args.input.is_dir():
        raise InputError([Finding(FEJL, str(args.input), "Angiv en mappe med CSV-filerne (forloeb.csv, fleksjob.csv, ...).")])
    raw, settings = _read_input(args)
    result = write_workbook(raw, settings, args.out)
    for f in result.findings:
        print(f"  {f}", file=sys.stderr)
    print(f"Projektmappe skrevet: {args.out} (opdateret for {result.settings.period.label()}). Åbn den i Excel, "
          "eller lav notatet med: jobstatus-xl notat " + str(args.out) + " --out notat.docx")
    return 0


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

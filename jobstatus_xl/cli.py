"""Command line: the same engine as the Excel add-in, without Excel.

    jobstatus-xl demo                      tables 1–9 of the 2024 note from the bundled demo data
    jobstatus-xl status [INPUT] --year Y   status from a folder of CSV files or a workbook
    jobstatus-xl prognose [INPUT] --pr D   year to date and year-end forecast at status date D
    jobstatus-xl refresh WORKBOOK.xlsm     refresh a workbook's status sheets without Excel
    jobstatus-xl check PATH                reconcile a published note's tables (fejl vs afrunding)
    jobstatus-xl notat [INPUT] --out F     the status note as Word (.docx) or PDF
    jobstatus-xl projektmappe DIR --out X  a filled, refreshed workbook from a folder of CSV files
    jobstatus-xl build-template [OUT]      build workbook_template.xlsm from its text sources

Every verb is one `_add_<verb>` (its sub-parser, with `set_defaults(func=handler)`) and one handler
taking the parsed arguments and returning the exit code. The handlers raise; `main` is the one
error boundary that turns what they raise into exit codes and Danish messages:

    0  done                      2  input errors (findings) and bad command lines
    1  file system errors, anything unexpected (masked, one line; the traceback with --debug)

Everything printed goes through `say` (CPR numbers masked, control characters made visible).
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
import traceback
import warnings
from pathlib import Path

from . import report
from .engine.findings import FEJL, Finding, InputError, mask_cpr
from .engine.pipeline import DEMO_SETTINGS, Settings, compute, demo_input
from .engine.values import Unreadable, dansk_tal, read_date, read_year, show
from .readers import read_folder

PROG = "jobstatus-xl"
COMMAND_LINE = "kommandolinjen"      # the source named by findings about flags


# ================================================================ output: the one way anything is printed

# C0 and C1 control characters except tab and newline, DEL, and the bidirectional overrides that
# reorder what a terminal shows: a value holding ESC[2J, an OSC title or a bare CR would act on the
# user's terminal instead of being shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(text) -> str:
    """`text` fit for a terminal or a log: control characters shown as escapes, CPR numbers masked."""
    s = str(text).replace("\r\n", "\n")
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", s)
    return mask_cpr(s)


def say(text: object = "", *, err: bool = False) -> None:
    """Print one block of text (stdout, or stderr with `err`); the only writer of the command line."""
    stream = sys.stderr if err else sys.stdout
    s = safe_text(text)
    stream.write(s if s.endswith("\n") else s + "\n")


def say_file(text: str, encoding: str) -> None:
    """Output that is a file's bytes (`status --format csv-da`): encoded by us, not by the console
    (cp1252 on a Windows console would refuse the BOM), after the same cleaning as `say`."""
    sys.stdout.flush()
    sys.stdout.buffer.write(safe_text(text).encode(encoding))
    sys.stdout.buffer.flush()


def say_findings(findings: list[Finding], heading: str) -> int:
    """The findings of an input error, fejl first, on stderr; the exit code for input errors."""
    errors = [f for f in findings if f.er_fejl]
    say(f"{heading} ({len(errors)} fejl):", err=True)
    for f in errors + [f for f in findings if not f.er_fejl]:
        say(f"  {f}", err=True)
    return 2


# ================================================================ argparse in Danish

# argparse builds its messages from English templates (gettext without a Danish catalogue); these
# are the ones a user can meet, as regular expressions over the English text, in the order tried.
_ARGPARSE_DA = [
    (r"argument (?P<a>.+?): (?P<m>.*)", "argumentet {a}: {m}"),
    (r"the following arguments are required: (?P<a>.*)", "mangler: {a}"),
    (r"unrecognized arguments: (?P<a>.*)", "ukendte argumenter: {a}"),
    (r"invalid choice: (?P<v>.*) \(choose from (?P<c>.*)\)", "ugyldigt valg: {v} (vælg mellem {c})"),
    (r"invalid int value: (?P<v>.*)", "{v} er ikke et helt tal"),
    (r"invalid (?P<t>.+?) value: (?P<v>.*)", "ugyldig værdi: {v}"),
    (r"expected one argument", "mangler en værdi"),
    (r"expected at most one argument", "tager højst én værdi"),
    (r"expected at least one argument", "kræver mindst én værdi"),
    (r"expected (?P<n>\d+) arguments?", "kræver {n} værdier"),
    (r"ambiguous option: (?P<o>.+?) could match (?P<c>.*)", "tvetydigt tilvalg: {o} kan betyde {c}"),
    (r"not allowed with argument (?P<a>.*)", "kan ikke bruges sammen med {a}"),
    (r"ignored explicit argument (?P<a>.*)", "tager ingen værdi (fik {a})"),
    (r"one of the arguments (?P<a>.*) is required", "et af argumenterne {a} skal angives"),
    (r"unexpected option string: (?P<a>.*)", "uventet tilvalg: {a}"),
    (r"unknown parser (?P<p>.*) \(choices: (?P<c>.*)\)", "ukendt kommando {p} (vælg mellem {c})"),
]


def _danish(message: str) -> str:
    """argparse's English message in Danish; the inner message of 'argument X: ...' too."""
    for pattern, template in _ARGPARSE_DA:
        m = re.fullmatch(pattern, message, flags=re.DOTALL)
        if m:
            parts = m.groupdict()
            if "m" in parts:
                parts["m"] = _danish(parts["m"])
            return template.format(**parts)
    return message


class UsageError(Exception):
    """A command line argparse refuses; `main` prints it as a finding with the usage line."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class DanishHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "brug: " if prefix is None else prefix)


class DanishArgumentParser(argparse.ArgumentParser):
    """argparse's frame in Danish whatever the locale; errors raised (as `UsageError`), not printed."""

    def __init__(self, *args, add_help: bool = True, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DanishHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "argumenter"
        self._optionals.title = "tilvalg"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="Vis denne hjælp og afslut.")

    def error(self, message: str):
        raise UsageError(_danish(message), self.format_usage())

    def _print_message(self, message: str, file=None) -> None:
        if message:
            (file or sys.stderr).write(safe_text(message))


# ================================================================ flag values

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
_year = _flag(read_year, "et opgørelsesår (brug fx --year 2024)")


# ================================================================ files we write

def refuse_to_overwrite(path: Path | None, overwrite: bool) -> None:
    """Never replace a user's file without being asked: an existing `path` is an input error unless
    `--overwrite` was given. Every verb that writes a file the user names calls this first."""
    if path is None:
        return
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InputError([Finding(FEJL, str(path), f"Filen '{path}' findes allerede og bliver ikke overskrevet. "
                                  "Vælg et andet filnavn, eller tilføj --overwrite for at erstatte filen.")])


def _add_out(parser: argparse.ArgumentParser, help: str) -> None:
    """A required --out FIL for a verb whose product is a new file, and its --overwrite."""
    parser.add_argument("--out", type=Path, required=True, metavar="FIL", help=help)
    _add_overwrite(parser)


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true", help="Erstat en eksisterende fil (uden dette stopper "
                        "kommandoen hellere end at overskrive).")


# ================================================================ the verbs

def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="Vis tabel 1–9 for 2024 beregnet ud fra de medfølgende syntetiske demodata.")
    p.add_argument("--workbook", type=Path, metavar="FIL",
                   help="Skriv også en udfyldt og opdateret kopi af skabelonen hertil (.xlsm).")
    _add_overwrite(p)
    p.set_defaults(func=_demo)


def _demo(args) -> int:
    refuse_to_overwrite(args.workbook, args.overwrite)
    result = compute(demo_input(), DEMO_SETTINGS)
    say(report.render_result(result))
    if args.workbook:
        from .workbook import write_demo_workbook  # openpyxl only when asked for
        write_demo_workbook(args.workbook)
        say(f"\nProjektmappe skrevet: {args.workbook}")
    return 0


def _add_status(sub) -> None:
    p = sub.add_parser("status", help="Beregn status ud fra en mappe med CSV-filer eller en projektmappe.")
    _add_input(p)
    p.add_argument("--format", choices=["table", "csv", "csv-da", "json"], default="table",
                   help="Udskriftens form: table (standard), csv (til programmer: komma, decimalpunktum), csv-da (til "
                   "dansk Excel: semikolon, decimalkomma, UTF-8 med BOM) eller json.")
    p.set_defaults(func=_status)


def _add_source(p: argparse.ArgumentParser) -> None:
    """INDDATA and --year, as every verb that reads input takes them."""
    p.add_argument("input", nargs="?", type=Path, metavar="INDDATA",
                   help="Mappe med forloeb.csv og fleksjob.csv, eller en .xlsm/.xlsx i skabelonens layout. "
                   "Standard: demodata.")
    p.add_argument("--year", type=_year, metavar="ÅR",
                   help="Opgørelsesår, fx 2024. Kræves for en mappe; for en projektmappe er standard året på arket "
                   "Indstillinger.")


def _add_input(p: argparse.ArgumentParser) -> None:
    """INDDATA and the period flags, as `status`, `notat` and `projektmappe` take them."""
    _add_source(p)
    p.add_argument("--from", dest="start", type=_date, metavar="DATO",
                   help="Periodens første dag (standard: 1. januar).")
    p.add_argument("--to", dest="end", type=_date, metavar="DATO",
                   help="Periodens sidste dag (standard: 31. december).")
    p.add_argument("--basis", choices=["kalenderdage", "hverdage"],
                   help="Opgørelsesgrundlag for helårspersoner (standard: kalenderdage, som i noten; "
                   "for en projektmappe: arket Indstillinger).")
    p.add_argument("--reference-month", type=_date, metavar="DATO",
                   help="En dag i referencemåneden for fleksjob (standard: periodens sidste måned).")


def _status(args) -> int:
    raw, settings = _read_input(args)
    result = compute(raw, settings)
    if args.format == "csv-da":
        say_file(report.to_csv_da(result), report.CSV_DA_ENCODING)
        return 0
    out = {"table": report.render_result, "csv": report.to_csv, "json": report.to_json}[args.format](result)
    say(out)
    return 0


def _add_notat(sub) -> None:
    p = sub.add_parser("notat", help="Lav statusnotatet (indledning, sammenligning med året før, tabel 1-9, figurer, "
                       "bilag) som Word-dokument eller PDF.")
    _add_input(p)
    _add_out(p, "notat.docx, eller notat.pdf (kræver LibreOffice).")
    p.set_defaults(func=_notat)


def _notat(args) -> int:
    from .notat import NoteError, warnings_for, write_note
    refuse_to_overwrite(args.out, args.overwrite)
    raw, settings = _read_input(args)
    result = compute(raw, settings)
    try:
        write_note(result, args.out, raw)
    except NoteError as exc:
        say(f"Notatet er ikke skrevet: {exc}", err=True)
        return 1
    for f in warnings_for(result) + [f for f in result.findings if not f.er_fejl]:
        say(f"  {f}", err=True)
    say(f"Notat skrevet: {args.out}")
    return 0


def _add_projektmappe(sub) -> None:
    p = sub.add_parser("projektmappe", help="Lav en udfyldt og opdateret projektmappe (.xlsm) ud fra en mappe med "
                       "CSV-filer.")
    _add_input(p)
    _add_out(p, "Den nye projektmappe, fx status_2024.xlsm.")
    p.set_defaults(func=_projektmappe)


def _projektmappe(args) -> int:
    from .projektmappe import write_workbook
    refuse_to_overwrite(args.out, args.overwrite)
    if args.input is None or not args.input.is_dir():
        raise InputError([Finding(FEJL, str(args.input or COMMAND_LINE), "Angiv en mappe med CSV-filerne "
                                  "(forloeb.csv, fleksjob.csv, ...).")])
    raw, settings = _read_input(args)
    result = write_workbook(raw, settings, args.out)
    for f in result.findings:
        say(f"  {f}", err=True)
    say(f"Projektmappe skrevet: {args.out} (opdateret for {result.settings.period.label()}). Åbn den i Excel, eller "
        f"lav notatet med: {PROG} notat {args.out} --out notat.docx")
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
                             args.basis or sheet.basis, args.reference_month or sheet.reference_month,
                             sheet.status_date if not args.year or args.year == sheet.year else None,
                             status_date_at=sheet.status_date_at)
    if args.year is None:
        raise InputError([Finding(FEJL, COMMAND_LINE, "Angiv opgørelsesåret med --year, fx --year 2024.")])
    settings = Settings(args.year, args.start, args.end, args.basis or "kalenderdage", args.reference_month)
    if path is None:
        return demo_input(), settings
    if path.is_dir():
        return read_folder(path, args.year), settings
    if not path.exists():
        raise InputError([Finding(FEJL, str(path), f"'{path}' findes ikke. Angiv en mappe med CSV-filer eller en "
                                  ".xlsm/.xlsx-projektmappe.")])
    raise InputError([Finding(FEJL, str(path), "Inddata skal være en mappe med CSV-filer eller en "
                              ".xlsm/.xlsx-projektmappe i skabelonens layout.")])


def _add_prognose(sub) -> None:
    p = sub.add_parser("prognose", help="Status til dato og prognose for årets slutstatus: når vi målet i år?")
    _add_source(p)      # the period is always the whole year: no --from/--to
    p.add_argument("--pr", type=_date, metavar="DATO",
                   help="Opgørelsesdatoen ('opgjort pr.'), fx 2024-06-30. Standard: 'Opgjort pr.' på arket "
                   "Indstillinger, ellers den seneste startdato i registret inden for året.")
    p.add_argument("--basis", choices=["kalenderdage", "hverdage"], help="Opgørelsesgrundlag for helårspersoner "
                   "(standard: kalenderdage; for en projektmappe: arket Indstillinger).")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="Udskriftens form (standard: table).")
    p.set_defaults(func=_prognose, start=None, end=None, reference_month=None)


def _prognose(args) -> int:
    from .engine.prognose import forecast
    raw, settings = _read_input(args)
    if args.pr is not None:
        fc = forecast(raw, settings, args.pr, source=COMMAND_LINE, column="--pr")
    elif settings.status_date:          # the workbook's "Opgjort pr.": a finding names its cell
        source, row, column = settings.status_date_at
        fc = forecast(raw, settings, source=source, row=row, column=column)
    else:
        fc = forecast(raw, settings, source=COMMAND_LINE, column="--pr")
    render = {"table": report.render_forecast, "csv": report.forecast_to_csv, "json": report.forecast_to_json}
    say(render[args.format](fc))
    return 0


def _add_refresh(sub) -> None:
    p = sub.add_parser("refresh", help="Opdater alle tabeller i en projektmappe uden Excel (samme beregning som "
                       "knappen i Excel).")
    p.add_argument("workbook", type=Path, metavar="PROJEKTMAPPE", help="Projektmappe i skabelonens layout (.xlsm).")
    p.add_argument("--out", type=Path, metavar="FIL",
                   help="Skriv resultatet hertil i stedet for at opdatere projektmappen.")
    _add_overwrite(p)
    p.set_defaults(func=_refresh, unchanged="Projektmappen er ikke ændret.")


def _refresh(args) -> int:
    from .sheets import SHEET_CHECK
    from .workbook import InputErrorKontrolWritten, NothingLostError, WorkbookFileError, refresh_file
    if args.workbook.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(args.workbook))
    refuse_to_overwrite(args.out, args.overwrite)
    try:
        summary = refresh_file(args.workbook, args.out)
    except InputErrorKontrolWritten as exc:         # as the ribbon: the findings are in Kontrol
        code = say_findings(exc.findings, "Inddata har fejl")
        say(f"  Kun arket '{SHEET_CHECK}' er opdateret med fejlene; tabellerne er ikke ændret.", err=True)
        return code
    except (NothingLostError, WorkbookFileError) as exc:
        say(f"Afbrudt: {exc}", err=True)
        return 1
    say(summary.text())
    return 0


def _add_check(sub) -> None:
    p = sub.add_parser("check", help="Afstem en offentliggjort statustabel: hvilke tal kan ikke passe, og hvilke er "
                       "afrunding.")
    p.add_argument("path", type=Path, metavar="STI",
                   help="Projektmappe med statusark, eller en mappe med published_rows.csv og published_totals.csv.")
    p.add_argument("--format", choices=["table", "json"], default="table", help="Udskriftens form (standard: table).")
    p.set_defaults(func=_check)


def _check(args) -> int:
    """Exit 1 on any fejl in the published tables, 0 when only rounding differs."""
    from .checks import check, render, to_json
    result = check(args.path)
    if args.format == "json":
        say(to_json(result))
        for n in result.noter:
            say(f"Ikke afstemt: {n}", err=True)
    else:
        say(render(result, str(args.path)))
    return 1 if result.fejl else 0


def _add_build_template(sub) -> None:
    from .template.build import TEMPLATE_NAME
    p = sub.add_parser("build-template", help="Byg workbook_template.xlsm ud fra kildefilerne i projektet.")
    p.add_argument("out", nargs="?", type=Path, default=Path(TEMPLATE_NAME), metavar="FIL",
                   help=f"Filen der skrives (standard: {TEMPLATE_NAME}).")
    p.set_defaults(func=_build_template)


def _build_template(args) -> int:
    import openpyxl
    from .template.build import build_template
    if not openpyxl.LXML:
        say("Advarsel: lxml er ikke installeret; skabelonen bliver ikke byte-identisk med den committede "
            "(openpyxl skriver XML anderledes uden lxml).", err=True)
    out = build_template(args.out)
    say(f"Skabelon bygget: {out} ({dansk_tal(out.stat().st_size, 0)} bytes)")
    return 0


VERBS = (_add_demo, _add_status, _add_prognose, _add_notat, _add_projektmappe, _add_refresh, _add_check,
         _add_build_template)


def build_parser() -> argparse.ArgumentParser:
    p = DanishArgumentParser(prog=PROG, description="Status for særlige jobordninger i Københavns Kommune.")
    p.add_argument("--debug", action="store_true", help="Vis hele forløbet (traceback) ved en uventet fejl.")
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO", title="kommandoer")
    for add in VERBS:
        add(sub)
    for verb in sub.choices.values():   # also after the verb; SUPPRESS keeps a main-parser --debug
        verb.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="Vis hele forløbet (traceback) ved en uventet fejl.")
    return p


# ================================================================ the error boundary

# Danish for the reasons a file operation fails in practice (errno names, not the locale's text).
_ERRNO_DA = {
    errno.EACCES: "ingen adgang (manglende rettigheder, eller filen er åben i et andet program)",
    errno.EPERM: "handlingen er ikke tilladt",
    errno.ENOENT: "findes ikke",
    errno.EISDIR: "er en mappe, ikke en fil",
    errno.ENOTDIR: "en del af stien er ikke en mappe",
    errno.ENOSPC: "der er ikke mere plads på disken",
    errno.EROFS: "drevet er skrivebeskyttet",
    errno.EBUSY: "filen er i brug af et andet program",
    errno.ETXTBSY: "filen er i brug af et andet program",
    errno.ENAMETOOLONG: "navnet er for langt",
    errno.EEXIST: "findes allerede",
    errno.EIO: "læse- eller skrivefejl på drevet",
    errno.EMFILE: "for mange åbne filer",
    errno.ELOOP: "for mange symbolske links",
    errno.EXDEV: "kan ikke flyttes mellem to drev",
}
if hasattr(errno, "EDQUOT"):
    _ERRNO_DA[errno.EDQUOT] = "din diskkvote er brugt op"


def os_error_text(exc: OSError, fallback: Path | None = None) -> str:
    """A file system error in Danish, naming the path."""
    reason = _ERRNO_DA.get(exc.errno, f"systemfejl {exc.errno}" if exc.errno else "ukendt systemfejl")
    path = exc.filename if exc.filename is not None else fallback
    where = f"'{os.fsdecode(path)}'" if path is not None else "en fil"
    if exc.filename2 is not None:
        where += f" (og '{os.fsdecode(exc.filename2)}')"
    return f"Kunne ikke bruge {where}: {reason}."


def _main_path(args) -> Path | None:
    for name in ("out", "workbook", "input", "path"):
        value = getattr(args, name, None)
        if value is not None:
            return value
    return None


def _quiet_stdout() -> None:
    """After a closed pipe (`| head`): point stdout at the null device so the interpreter's final
    flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # a library's warning (openpyxl on a sheet feature it drops) may quote the user's text
    say(f"Advarsel ({category.__name__}): {message}", err=True)


def main(argv: list[str] | None = None) -> int:
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _guarded(argv)


def _guarded(argv: list[str] | None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except SystemExit as exc:          # --help
        return exc.code if isinstance(exc.code, int) else 0
    except UsageError as exc:
        say(exc.usage.rstrip("\n"), err=True)
        return say_findings([Finding(FEJL, COMMAND_LINE, str(exc))], "Kommandolinjen har fejl")
    except InputError as exc:
        code = say_findings(exc.findings, "Inddata har fejl")
        if getattr(args, "unchanged", None):
            say(f"  {args.unchanged}", err=True)
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        say("Afbrudt.", err=True)
        return 130
    except OSError as exc:
        note = getattr(args, "unchanged", None)
        say(os_error_text(exc, _main_path(args)) + (f" {note}" if note else ""), err=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - the boundary: a bug must end in a message, not a traceback
        if getattr(args, "debug", False):
            say("".join(traceback.format_exception(exc)), err=True)
        detail = " ".join(str(exc).split())[:200]
        note = getattr(args, "unchanged", None)
        say(f"Uventet fejl ({type(exc).__name__}{': ' + detail if detail else ''})."
            f"{' ' + note if note else ''} Kør igen med --debug for detaljer.", err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())

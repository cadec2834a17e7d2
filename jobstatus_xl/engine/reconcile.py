"""Reconcile printed status tables: which figures cannot be right, and which differ only by rounding.

A printed whole number n stands for a hidden unrounded value in [n − ½, n + ½) (Excel's ROUND,
half away from zero; every figure here is non-negative, so 0 stands for [0, ½)). Counts, targets
and fleksjob headcounts are whole numbers and are printed exactly: they stand for n itself.

Every relation a table claims — a total is the sum of its rows, a percentage is status / target, the
weighted total is wg × group attainment + wf × fleksjob attainment, KK is the sum of the
forvaltninger — is a linear equation x = Σ cⱼ·yⱼ with positive coefficients between hidden values.
Each relation is checked on its own first: if no hidden values inside the printed figures' intervals
satisfy it, it is a **fejl**; if they do but the printed figure differs from the one recomputed from
the other printed figures, it is **afrunding**. Then all relations of a year are combined by interval
propagation (each hidden value must lie in the intersection of everything the relations say about
it); an empty intersection is a fejl too ("alle betingelser"), and each afrunding finding states the
interval the hidden value must lie in after combining.

Arithmetic is exact (`fractions.Fraction`, half-open intervals). Published figures come from
floating-point spreadsheets, whose results can sit a hair on the wrong side of a rounding boundary;
every rounding interval is therefore widened by `SLACK` (10⁻⁹ of the figure, at least 10⁻⁹) on both
sides. A fejl is sound: no unrounded values — not even ones a spreadsheet's float noise could
produce — give the printed figures. The combining step is interval propagation, so it may miss a
contradiction that only a full linear programme would find; it never invents one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .rounding import round_half_away
from .rules import FORVALTNINGER, KK
from .values import dansk_tal

FEJL = "fejl"
AFRUNDING = "afrunding"
FIELDS = ("aar", "enhed", "felt", "alvor", "forventet", "trykt", "besked")

HALF = Fraction(1, 2)
SLACK = Fraction(1, 10**9)
_MAX_ROUNDS = 200          # propagation steps per relation at most; stopping early is always sound
_MAX_COMBINED = 20         # combined contradictions reported per year before giving up


# ---------------------------------------------------------------- the published tables

@dataclass(frozen=True)
class SchemeRow:
    """One printed scheme row of a table's helårspersoner group."""

    ordning: str
    status: int | None = None
    antal_forloeb: int | None = None


@dataclass(frozen=True)
class PublishedTable:
    """One status table (one year, one unit) exactly as printed; None where a figure is not printed.

    Percentages are in pct units (84 means "84 pct."). Weights are the shares of the weighted total
    (55 and 45, or 0.55 and 0.45; only their ratio matters).
    """

    aar: int
    enhed: str
    rows: tuple[SchemeRow, ...] = ()
    samlet_status: int | None = None
    samlet_maaltal: int | None = None
    maalopfyldelse_pct: int | None = None
    antal_forloeb_i_alt: int | None = None
    fleksjob_status: int | None = None
    fleksjob_maaltal: int | None = None
    fleksjob_pct: int | None = None
    samlet_maalopfyldelse_pct: int | None = None
    vaegt_gruppe: Fraction | None = None
    vaegt_fleksjob: Fraction | None = None
    kilde: str = ""


# ---------------------------------------------------------------- findings

@dataclass(frozen=True)
class Afvigelse:
    """A printed figure that the table's other figures do not reproduce.

    forventet: the figure recomputed from the other printed figures (a whole number), or for a
    combined contradiction the interval the other figures allow (text). interval: where the hidden
    unrounded value must lie (afrunding only), in the printed figure's units.
    """

    aar: int
    enhed: str
    felt: str
    alvor: str
    forventet: int | str | None
    trykt: int | None
    besked: str
    interval: "Interval | None" = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in FIELDS}


@dataclass
class Afstemning:
    """The result: findings in table order, and notes on checks that could not be made."""

    afvigelser: list[Afvigelse] = field(default_factory=list)
    noter: list[str] = field(default_factory=list)

    @property
    def fejl(self) -> list[Afvigelse]:
        return [a for a in self.afvigelser if a.alvor == FEJL]

    @property
    def afrunding(self) -> list[Afvigelse]:
        return [a for a in self.afvigelser if a.alvor == AFRUNDING]


# ---------------------------------------------------------------- exact interval arithmetic

@dataclass(frozen=True)
class Interval:
    """An interval of real numbers with exact endpoints; lo/hi None mean −∞/+∞ (always open)."""

    lo: Fraction | None
    hi: Fraction | None
    lo_closed: bool = True
    hi_closed: bool = False

    def __post_init__(self) -> None:
        if self.lo is None and self.lo_closed:
            object.__setattr__(self, "lo_closed", False)
        if self.hi is None and self.hi_closed:
            object.__setattr__(self, "hi_closed", False)

    @classmethod
    def point(cls, x) -> "Interval":
        x = Fraction(x)
        return cls(x, x, True, True)

    @classmethod
    def nonnegative(cls) -> "Interval":
        return cls(Fraction(0), None, True, False)

    @property
    def empty(self) -> bool:
        if self.lo is None or self.hi is None or self.lo < self.hi:
            return False
        return self.lo > self.hi or not (self.lo_closed and self.hi_closed)

    def __contains__(self, x) -> bool:
        x = Fraction(x)
        above = self.lo is None or x > self.lo or (x == self.lo and self.lo_closed)
        below = self.hi is None or x < self.hi or (x == self.hi and self.hi_closed)
        return above and below

    def __add__(self, other: "Interval") -> "Interval":
        lo = None if self.lo is None or other.lo is None else self.lo + other.lo
        hi = None if self.hi is None or other.hi is None else self.hi + other.hi
        return Interval(lo, hi, self.lo_closed and other.lo_closed, self.hi_closed and other.hi_closed)

    def __neg__(self) -> "Interval":
        return Interval(None if self.hi is None else -self.hi, None if self.lo is None else -self.lo,
                        self.hi_closed, self.lo_closed)

    def __sub__(self, other: "Interval") -> "Interval":
        return self + (-other)

    def scale(self, k: Fraction) -> "Interval":
        """k × interval for k > 0."""
        if k <= 0:
            raise ValueError("scale needs a positive factor")
        return Interval(None if self.lo is None else k * self.lo, None if self.hi is None else k * self.hi,
                        self.lo_closed, self.hi_closed)

    def __and__(self, other: "Interval") -> "Interval":
        if self.lo is None or (other.lo is not None and other.lo > self.lo):
            lo, lo_c = other.lo, other.lo_closed
        elif other.lo is None or self.lo > other.lo:
            lo, lo_c = self.lo, self.lo_closed
        else:
            lo, lo_c = self.lo, self.lo_closed and other.lo_closed
        if self.hi is None or (other.hi is not None and other.hi < self.hi):
            hi, hi_c = other.hi, other.hi_closed
        elif other.hi is None or self.hi < other.hi:
            hi, hi_c = self.hi, self.hi_closed
        else:
            hi, hi_c = self.hi, self.hi_closed and other.hi_closed
        return Interval(lo, hi, lo_c, hi_c)

    def dansk(self, decimals: int = 2) -> str:
        """Danish notation, e.g. "[354; 354,2)". Endpoints that need rounding are rounded outwards
        (and shown closed), so the text always describes a superset of the exact interval."""
        if self.empty:
            return "∅"
        if self.lo is None:
            left = "(−∞"
        else:
            lo = _floor_to(self.lo, decimals)
            left = ("[" if self.lo_closed or lo != self.lo else "(") + dansk_tal(lo, decimals)
        if self.hi is None:
            right = "∞)"
        else:
            hi = _ceil_to(self.hi, decimals)
            right = dansk_tal(hi, decimals) + ("]" if self.hi_closed or hi != self.hi else ")")
        return f"{left}; {right}"


def rounding_interval(n: int, slack: Fraction = SLACK) -> Interval:
    """The hidden non-negative values that print as the whole number n (half away from zero),
    widened by `slack` relative to n (at least `slack`) for floating-point noise."""
    n = Fraction(n)
    d = slack * max(Fraction(1), abs(n))
    lo = n - HALF - d
    if lo <= 0:
        return Interval(Fraction(0), n + HALF + d, True, False)
    return Interval(lo, n + HALF + d, True, False)


def _floor_to(x: Fraction, decimals: int) -> Fraction:
    s = 10**decimals
    return Fraction(math.floor(x * s), s)


def _ceil_to(x: Fraction, decimals: int) -> Fraction:
    s = 10**decimals
    return Fraction(math.ceil(x * s), s)


# ---------------------------------------------------------------- the equation system

@dataclass(frozen=True)
class _Var:
    aar: int
    enhed: str
    felt: str               # what the figure is, as a user reads it
    trykt: int | None       # the printed figure
    eksakt: bool            # a whole number printed exactly (count, target, headcount)
    navn: str               # lower-case description for messages ("den samlede status")
    enhedstekst: str = ""   # " pct." for percentages


@dataclass(frozen=True)
class _Link:
    """x = Σ c·y: a printed figure x and the printed figures it is computed from."""

    x: tuple
    terms: tuple[tuple[Fraction, tuple], ...]
    felt: str               # the finding's field
    hvad: str               # how x is computed, in words ("summen af rækkerne")
    formel: str             # the computation from the printed figures, with its result
    forventet: int | None   # the whole number that computation gives, or None if a term is missing
    hint: str = ""          # what to do about a fejl


class _System:
    def __init__(self, slack: Fraction):
        self.slack = slack
        self.vars: dict[tuple, _Var] = {}
        self.links: list[_Link] = []
        self.findings: list[Afvigelse] = []     # found while building (a percentage of a zero target)

    def var(self, key: tuple, aar: int, enhed: str, felt: str, navn: str, trykt: int | None,
            eksakt: bool, enhedstekst: str = "") -> tuple:
        if key not in self.vars:
            self.vars[key] = _Var(aar, enhed, felt, trykt, eksakt, navn, enhedstekst)
        return key

    def initial(self, key: tuple, slack: Fraction | None = None) -> Interval:
        v = self.vars[key]
        if v.trykt is None:
            return Interval.nonnegative()
        if v.eksakt:
            return Interval.point(v.trykt)
        return rounding_interval(v.trykt, self.slack if slack is None else slack)

    def domains(self, slack: Fraction | None = None) -> dict[tuple, Interval]:
        return {k: self.initial(k, slack) for k in self.vars}


def _narrow(link: _Link, dom: dict[tuple, Interval]) -> dict[tuple, Interval]:
    """One propagation step of x = Σ c·y: the new domains of x and each y (exact for one equation).
    An empty interval in the result means no values in the domains satisfy the equation."""
    parts = [dom[y].scale(c) for c, y in link.terms]
    # prefix and suffix sums: "the sum of all the others" for every term in linear time
    before: list[Interval | None] = [None]
    for p in parts[:-1]:
        before.append(p if before[-1] is None else before[-1] + p)
    after: list[Interval | None] = [None]
    for p in reversed(parts[1:]):
        after.append(p if after[-1] is None else after[-1] + p)
    after.reverse()
    total = parts[0] if len(parts) == 1 else before[-1] + parts[-1]
    x = dom[link.x] & total
    out = {link.x: x}
    if x.empty:
        return out
    for (c, y), b, a in zip(link.terms, before, after):
        rest = b if a is None else (a if b is None else b + a)
        allowed = x if rest is None else x - rest
        out[y] = out.get(y, dom[y]) & allowed.scale(1 / c)
    return out


def _propagate(links: Sequence[_Link], dom: dict[tuple, Interval]) -> tuple[_Link, tuple, Interval, Interval] | None:
    """Narrow `dom` in place towards a fixpoint (a work list: a relation is looked at again only when
    one of its figures narrowed; bounded, since stopping early is always sound). On a contradiction
    return (relation, variable, its domain before, what the relation allowed)."""
    uses: dict[tuple, list[int]] = {}
    for i, link in enumerate(links):
        for key in {link.x, *(y for _, y in link.terms)}:
            uses.setdefault(key, []).append(i)
    queue = list(range(len(links)))
    queued = set(queue)
    budget = _MAX_ROUNDS * max(1, len(links))
    while queue and budget > 0:
        budget -= 1
        i = queue.pop(0)
        queued.discard(i)
        link = links[i]
        for key, d in _narrow(link, dom).items():
            if d.empty:
                return link, key, dom[key], _allowed(link, key, dom)
            if d != dom[key]:
                dom[key] = d
                for j in uses[key]:
                    if j != i and j not in queued:
                        queue.append(j)
                        queued.add(j)
    return None


def _allowed(link: _Link, key: tuple, dom: dict[tuple, Interval]) -> Interval:
    """What `link` alone allows for `key`, given the other variables' domains."""
    if key == link.x:
        total = None
        for c, y in link.terms:
            p = dom[y].scale(c)
            total = p if total is None else total + p
        return total
    c_key = next(c for c, y in link.terms if y == key)
    rest = dom[link.x]
    for c, y in link.terms:
        if y != key:
            rest = rest - dom[y].scale(c)
    return rest.scale(1 / c_key)


# ---------------------------------------------------------------- building one year's system

WeightsFor = Callable[[int], "tuple[Fraction, Fraction] | None"]


@functools.lru_cache(maxsize=64)
def rules_weights(year: int) -> tuple[Fraction, Fraction] | None:
    """The year's weights from the bundled year data, or None when the year has none."""
    from .findings import InputError
    from .rules import load_rules
    try:
        rules = load_rules(year)
    except InputError:
        return None
    if not (math.isfinite(rules.weight_group) and math.isfinite(rules.weight_fleksjob)):
        return None
    # the data holds decimals such as 0.55; recover them exactly rather than as binary floats
    return (Fraction(rules.weight_group).limit_denominator(10**6),
            Fraction(rules.weight_fleksjob).limit_denominator(10**6))


def reconcile(tables: Iterable[PublishedTable], *, weights: WeightsFor | None = rules_weights,
              forvaltninger: Sequence[str] | None = None, slack: Fraction = SLACK) -> Afstemning:
    """Check every relation the published tables claim; see the module docstring.

    weights: for a year whose tables give no weights, a function year -> (wg, wf) or None.
    forvaltninger: the units KK is the sum of (default: the seven forvaltninger); KK is checked
    against them only when all of them have a table for that year.
    """
    tables = list(tables)
    units = list(forvaltninger) if forvaltninger is not None else FORVALTNINGER
    seen: set[tuple[int, str]] = set()
    for t in tables:
        if (t.aar, t.enhed) in seen:
            raise ValueError(f"two tables for {t.enhed} {t.aar}")
        seen.add((t.aar, t.enhed))
    result = Afstemning()
    for year in dict.fromkeys(t.aar for t in tables):
        of_year = [t for t in tables if t.aar == year]
        _reconcile_year(year, of_year, units, weights, slack, result)
    return result


def _reconcile_year(year: int, tables: list[PublishedTable], units: list[str], weights: WeightsFor | None,
                    slack: Fraction, result: Afstemning) -> None:
    system = _System(slack)
    for t in tables:
        _table_links(system, t, weights, result)
    kk = next((t for t in tables if t.enhed == KK), None)
    present = [t for t in tables if t.enhed != KK]
    if kk is not None:
        missing = [u for u in units if u not in {t.enhed for t in present}]
        if not present:
            result.noter.append(f"{year}: kun KK's tabel er trykt, så KK kan ikke afstemmes mod forvaltningerne.")
        elif missing:
            result.noter.append(f"{year}: KK er ikke afstemt mod forvaltningerne, fordi tabellerne for "
                                f"{', '.join(missing)} mangler.")
        else:
            by_unit = {t.enhed: t for t in present}
            _kk_links(system, year, kk, [by_unit[u] for u in units], result)

    # 1. each relation on its own, on the printed figures' intervals
    start = system.domains()
    shown = system.domains(Fraction(0))     # what messages show: the intervals without slack
    found: list[tuple[int, Afvigelse]] = [(-1, a) for a in system.findings]   # (index of the relation, finding)
    failed: set[int] = set()
    pending: list[tuple[int, Interval]] = []
    for i, link in enumerate(system.links):
        x = system.vars[link.x]
        if x.trykt is None:
            continue
        local = _narrow(link, start)[link.x]
        if local.empty:
            failed.add(i)
            found.append((i, _fejl(year, link, x, shown, system)))
        elif link.forventet is not None and link.forventet != x.trykt:
            pending.append((i, local))

    # 2. all remaining relations together; a contradiction is reported and its relation set aside
    active = [i for i in range(len(system.links)) if i not in failed]
    dom: dict[tuple, Interval] | None = None
    for _ in range(_MAX_COMBINED):
        dom = system.domains()
        hit = _propagate([system.links[i] for i in active], dom)
        if hit is None:
            break
        link, key, before, allowed = hit
        i = next(i for i in active if system.links[i] is link)
        found.append((i, _combined(year, link, key, before, allowed, system)))
        active.remove(i)
        dom = None

    # 3. differences explained by rounding, with the interval after combining everything. The
    # intervals shown are those without slack when the figures fit without it (they always do,
    # unless a figure sits within float noise of a rounding boundary): [354; 354,2), not [353,99; ...].
    if dom is not None:
        exact = system.domains(Fraction(0))
        if _propagate([system.links[i] for i in active], exact) is None:
            dom = exact
    for i, local in pending:
        link = system.links[i]
        x = system.vars[link.x]
        interval = dom[link.x] if dom is not None else local
        extra = ""
        s_key = (year, x.enhed, "S")
        if dom is not None and link.x[2] in ("A", "W") and s_key in dom:
            extra = f", og den uafrundede samlede status i {dom[s_key].dansk()}"
        besked = (f"Tabellen viser {dansk_tal(x.trykt)}, men {link.hvad} giver {_period(link.formel)} Forskellen "
                  f"kan forklares af afrunding: {x.navn} skal uafrundet ligge i "
                  f"{interval.dansk()}{x.enhedstekst}{extra}.")
        found.append((i, Afvigelse(year, x.enhed, link.felt, AFRUNDING, link.forventet, x.trykt, besked, interval)))

    found.sort(key=lambda f: f[0])   # relations are built table by table, KK's sums last
    result.afvigelser += [a for _, a in found]


def _fejl(year: int, link: _Link, x: _Var, start: dict[tuple, Interval], system: _System) -> Afvigelse:
    total = _allowed(link, link.x, start)
    if x.eksakt and all(system.vars[y].eksakt for _, y in link.terms):
        why = link.hint or "Tallene er hele tal og skal stemme præcist."
    else:
        u = x.enhedstekst
        why = (f"Heller ikke afrunding kan forklare forskellen: det trykte tal {dansk_tal(x.trykt)} står for en "
               f"værdi i {start[link.x].dansk()}{u}, mens {link.hvad} med afrunding kun kan give {total.dansk()}{u}. "
               "Mindst ét af tallene er forkert.")
    besked = f"Tabellen viser {dansk_tal(x.trykt)}, men {link.hvad} giver {_period(link.formel)} {why}"
    return Afvigelse(year, x.enhed, link.felt, FEJL, link.forventet, x.trykt, besked)


def _combined(year: int, link: _Link, key: tuple, before: Interval, allowed: Interval, system: _System) -> Afvigelse:
    v = system.vars[key]
    u = v.enhedstekst
    besked = (f"Hver sammenhæng for sig kan forklares af afrunding, men ikke alle på én gang: de øvrige trykte tal "
              f"kræver, at {v.navn} uafrundet ligger i {before.dansk()}{u}, mens {link.hvad} "
              f"({link.formel}) kræver {allowed.dansk()}{u}. Mindst ét af tallene er forkert.")
    return Afvigelse(year, v.enhed, f"{v.felt} (alle betingelser)", FEJL, allowed.dansk(), v.trykt, besked)


def _period(text: str) -> str:
    """End a sentence once ("84 pct." already ends with a full stop)."""
    return text if text.endswith(".") else text + "."


def _sum_link(system: _System, x: tuple, parts: list[tuple], felt: str, hvad: str, hint: str = "") -> None:
    values = [system.vars[p].trykt for p in parts]
    if any(v is None for v in values):
        formel, forventet = "et tal, der ikke er trykt", None
    else:
        forventet = sum(values)
        formel = dansk_tal(forventet)
        if len(values) > 1:
            formel = f"{' + '.join(dansk_tal(v) for v in values)} = {formel}"
    system.links.append(_Link(x, tuple((Fraction(1), p) for p in parts), felt, hvad, formel, forventet, hint))


def _table_links(system: _System, t: PublishedTable, weights: WeightsFor | None, result: Afstemning) -> None:
    y, e = t.aar, t.enhed

    def v(name: str, felt: str, navn: str, trykt, eksakt: bool, enhedstekst: str = "") -> tuple:
        return system.var((y, e, name), y, e, felt, navn, trykt, eksakt, enhedstekst)

    rows = [v(("r", r.ordning), f"Status, {r.ordning}", f"status for {r.ordning}", r.status, False) for r in t.rows]
    counts = [v(("n", r.ordning), f"Antal forløb, {r.ordning}", f"antal forløb for {r.ordning}", r.antal_forloeb, True)
              for r in t.rows]
    S = v("S", "Samlet status", "den samlede status", t.samlet_status, False)
    T = v("T", "Samlet måltal", "det samlede måltal", t.samlet_maaltal, True)
    A = v("A", "Procentvis målopfyldelse", "målopfyldelsen", t.maalopfyldelse_pct, False, " pct.")
    N = v("N", "Antal forløb i alt", "antal forløb i alt", t.antal_forloeb_i_alt, True)
    F = v("F", "Fleksjob, status", "antal fleksjobansatte", t.fleksjob_status, True)
    TF = v("TF", "Fleksjob, måltal", "fleksjobmåltallet", t.fleksjob_maaltal, True)
    B = v("B", "Fleksjob, procentvis målopfyldelse", "fleksjobmålopfyldelsen", t.fleksjob_pct, False, " pct.")
    W = v("W", "Samlet målopfyldelse (vægtet)", "den samlede vægtede målopfyldelse",
          t.samlet_maalopfyldelse_pct, False, " pct.")

    if rows:
        _sum_link(system, S, rows, "Samlet status (sum af rækker)", "summen af rækkerne")
        _sum_link(system, N, counts, "Antal forløb i alt (sum af rækker)", "summen af rækkerne",
                  "Antal forløb er hele tal, så totalen skal være præcis summen af rækkerne. Ret totalen "
                  "eller den række, der er skrevet forkert af.")

    # Attainments: A = 100·S/T and B = 100·F/TF. The weighted total is computed from the printed
    # status and target where both are printed (as a reader recomputes it, and so that its own check
    # sees what the printed status allows), else from the printed percentage.
    base: dict[str, tuple[Fraction, tuple]] = {"A": (Fraction(1), A), "B": (Fraction(1), B)}
    for key, status, target, name, felt, hvad in (
            (A, S, T, "A", "Procentvis målopfyldelse", "samlet status / samlet måltal"),
            (B, F, TF, "B", "Fleksjob, procentvis målopfyldelse", "fleksjob status / fleksjob måltal")):
        s, m = system.vars[status].trykt, system.vars[target].trykt
        if m is None:
            continue
        if m <= 0:
            if system.vars[key].trykt is not None:
                system.findings.append(Afvigelse(y, e, felt, FEJL, None, system.vars[key].trykt,
                                                 f"Måltallet er {m}, så {hvad} kan ikke give en procent."))
            continue
        c = Fraction(100, m)
        if s is not None:
            base[name] = (c, status)
            formel = f"100 × {dansk_tal(s)} / {dansk_tal(m)} = {dansk_tal(c * s)} pct."
            forventet = round_half_away(c * s)
        else:
            formel, forventet = "et tal, der ikke er trykt", None
        system.links.append(_Link(key, ((c, status),), felt, hvad, formel, forventet))

    if system.vars[W].trykt is None:
        return
    w = None
    if t.vaegt_gruppe is not None and t.vaegt_fleksjob is not None:
        w = (Fraction(t.vaegt_gruppe), Fraction(t.vaegt_fleksjob))
    elif weights is not None:
        w = weights(y)
    if w is None or w[0] < 0 or w[1] < 0 or w[0] + w[1] <= 0:
        result.noter.append(f"{y} {e}: der er ingen vægte for {y}, så den samlede målopfyldelse er ikke afstemt.")
        return
    wg, wf = w[0] / (w[0] + w[1]), w[1] / (w[0] + w[1])
    terms, parts = [], []
    for share, name in ((wg, "A"), (wf, "B")):
        if share == 0:
            continue
        c, k = base[name]
        printed = system.vars[k].trykt
        terms.append((share * c, k))
        parts.append((share, None if printed is None else c * printed))
    if any(est is None for _, est in parts):
        formel, forventet = "et tal, der ikke er trykt", None
    else:
        value = sum(c * est for c, est in parts)
        weighted = " + ".join(f"{dansk_tal(100 * c)} % × {dansk_tal(est)}" for c, est in parts)
        formel = f"{weighted} = {dansk_tal(value)} pct."
        forventet = round_half_away(value)
    shares = " og ".join(f"{dansk_tal(100 * c)} %" for c in (wg, wf))
    system.links.append(_Link(W, tuple(terms), "Samlet målopfyldelse (vægtet)",
                              f"det vægtede gennemsnit af målopfyldelserne ({shares})", formel, forventet))


_KK_COUNT = "Antal forløb er hele tal, så KK skal være præcis summen af forvaltningerne."
_KK_TARGET = "Måltal er hele tal, og KK's måltal er summen af forvaltningernes."


def _kk_links(system: _System, year: int, kk: PublishedTable, parts: list[PublishedTable], result: Afstemning) -> None:
    names = [p.enhed for p in parts]
    hvad = f"summen af forvaltningerne ({', '.join(names)})"

    def key(t: PublishedTable, name) -> tuple:
        return (year, t.enhed, name)

    for row in kk.rows:
        present = [key(p, ("r", row.ordning)) in system.vars for p in parts]
        if not all(present):
            lacking = [p.enhed for p, ok in zip(parts, present) if not ok]
            result.noter.append(f"{year}: KK's {row.ordning} er ikke afstemt mod forvaltningerne, fordi rækken "
                                f"mangler hos {', '.join(lacking)}.")
            continue
        _sum_link(system, key(kk, ("r", row.ordning)), [key(p, ("r", row.ordning)) for p in parts],
                  f"Status, {row.ordning} (sum af forvaltninger)", hvad)
        _sum_link(system, key(kk, ("n", row.ordning)), [key(p, ("n", row.ordning)) for p in parts],
                  f"Antal forløb, {row.ordning} (sum af forvaltninger)", hvad, _KK_COUNT)
    for name, felt, hint in (
            ("S", "Samlet status (sum af forvaltninger)", ""),
            ("T", "Samlet måltal (sum af forvaltninger)", _KK_TARGET),
            ("N", "Antal forløb i alt (sum af forvaltninger)", _KK_COUNT),
            ("F", "Fleksjob, status (sum af forvaltninger)",
             "Fleksjobansatte tælles i hele personer, så KK skal være præcis summen af forvaltningerne."),
            ("TF", "Fleksjob, måltal (sum af forvaltninger)", _KK_TARGET)):
        _sum_link(system, key(kk, name), [key(p, name) for p in parts], felt, hvad, hint)

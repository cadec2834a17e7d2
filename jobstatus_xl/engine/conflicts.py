"""Exact copies and overlapping spells among a register's clean rows, fast.

The rule: a row that copies an earlier row exactly (same person, group, unit, start and end) counts
once; a row that starts on or before the last day of another row of the same person in the same
group that starts no earlier is an overlap. `conflicts` decides the common case (no conflict at all)
with one sort of the rows packed into int64 keys, and names rows with an exact path on the persons
involved only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

NAT = np.iinfo(np.int64).min    # NaT as an int64 day number: a blank end, running on indefinitely
PACK_BITS = 62                  # key bits packed into one int64 (0: always the exact path)
CHUNK_ROWS = 1 << 20            # element-wise work in slices: no 80 MB temporaries at 10M rows, cache-sized ones


class Conflicts(NamedTuple):
    copies: np.ndarray                  # positions of rows that copy an earlier row exactly
    overlaps: list[tuple[int, int]]     # (a, b): row b overlaps row a (the one reaching furthest), by b


def conflicts(person: np.ndarray, group: np.ndarray, unit: np.ndarray | None, s_day: np.ndarray,
              e_day: np.ndarray, *, pack_bits: int = PACK_BITS, chunk_rows: int = CHUNK_ROWS) -> Conflicts:
    """Exact copies and overlapping spells among clean rows (positions into the given arrays).

    `copies`: the rows that copy an earlier row exactly (same person, group, unit, start and end).
    `overlaps`: pairs (a, b): row b starts on or before the last day of a row a of the same person in
    the same group that starts no later (copies left out; a is the one reaching furthest). A blank
    end (NaT) runs on indefinitely. `group` is the scheme for forløb and the forvaltning for
    fleksjob; `unit` the forvaltning for forløb (None for fleksjob).

    The common case has no conflicts at all; that is decided by one `np.sort` of the rows packed
    into int64 keys (person, group, start, end, unit) when they fit in `pack_bits`, without an
    argsort, in slices of `chunk_rows`. Only the rows of the persons involved in a conflict are
    sorted again with their positions, to name the rows."""
    n = len(person)
    if n < 2:
        return Conflicts(np.zeros(0, np.int64), [])
    unit = np.zeros(n, np.int64) if unit is None else unit
    running = e_day == NAT
    d0 = int(s_day.min())
    days = int(max(s_day.max(), e_day.max())) - d0 + 2          # the last value stands for "running"
    G, U, P = int(group.max()) + 1, int(unit.max()) + 1, int(person.max()) + 1
    bd, bu = days.bit_length(), (U - 1).bit_length()             # bits of a day offset, of a unit

    def person_group(idx):
        """person * G + group of the rows `idx` (a slice or positions)."""
        return person[idx].astype(np.int64) * G + group[idx]

    if (P * G - 1).bit_length() + 2 * bd + bu <= pack_bits:
        involved = _packed_conflicts(person, group, unit, s_day, e_day, running, G, d0, days, bd, bu, chunk_rows)
        if involved is None:
            return Conflicts(np.zeros(0, np.int64), [])
        sub = np.concatenate([a + np.flatnonzero(np.isin(person_group(slice(a, a + chunk_rows)), involved))
                              for a in range(0, n, chunk_rows)])
    else:                                                        # too wide to pack: the exact path on all rows
        sub = np.arange(n)
    # The exact path, on the rows of the persons involved (positions local to `sub`, which ascends):
    # copies first (the earliest row of a set stays) ...
    pg, s_off, e_off, u = person_group(sub), s_day[sub] - d0, e_day[sub] - d0, unit[sub]
    e_off[running[sub]] = days - 1
    local = np.arange(len(sub))
    o = np.lexsort((local, u, e_off, s_off, pg))
    eq = ((pg[o][1:] == pg[o][:-1]) & (s_off[o][1:] == s_off[o][:-1]) & (e_off[o][1:] == e_off[o][:-1])
          & (u[o][1:] == u[o][:-1]))
    dup = np.sort(o[1:][eq])
    # ... then overlaps among the rest, by start (ties by row)
    rest = np.setdiff1d(local, dup, assume_unique=True)
    o = rest[np.lexsort((rest, s_off[rest], pg[rest]))]
    val = pg[o] * days + e_off[o]
    reach = np.maximum.accumulate(val)
    who = np.where(val == reach, np.arange(len(o)), 0)
    who = np.maximum.accumulate(who)                              # the row reaching furthest so far
    hit = (pg[o][1:] == pg[o][:-1]) & (pg[o][1:] * days + s_off[o][1:] <= reach[:-1])
    j = np.flatnonzero(hit)
    pairs = sorted(zip(sub[o[who[j]]].tolist(), sub[o[j + 1]].tolist()), key=lambda ab: ab[1])
    return Conflicts(sub[dup], pairs)


def _packed_conflicts(person, group, unit, s_day, e_day, running, G: int, d0: int, days: int, bd: int,
                      bu: int, chunk_rows: int) -> np.ndarray | None:
    """The person-groups (person * G + group) that have a copy or an overlap, or None: the rows
    packed into int64 keys (person-group, start, end, unit), sorted once, and scanned in slices;
    the last key and furthest end of a slice are compared with the next slice's first row."""
    n = len(person)
    key = np.empty(n, dtype=np.int64)
    for a in range(0, n, chunk_rows):
        sl = slice(a, a + chunk_rows)
        k = key[sl]
        np.multiply(person[sl], G, out=k, casting="unsafe")
        k += group[sl]
        k <<= bd
        k += s_day[sl]
        k -= d0
        k <<= bd
        e = e_day[sl] - d0
        e[running[sl]] = days - 1
        k |= e
        k <<= bu
        k |= unit[sl]
    key.sort()
    mask = (1 << bd) - 1
    found, carry, carry_key = [], None, None
    for a in range(0, n, chunk_rows):
        k = key[a:a + chunk_rows]
        top = k >> (bu + 2 * bd)
        top <<= bd                                   # the person-group, shifted to sit above a day
        k_s = k >> (bu + bd)
        k_s &= mask
        k_s |= top                                   # person-group and start
        reach = k >> bu
        reach &= mask
        reach |= top                                 # person-group and end ...
        np.maximum.accumulate(reach, out=reach)      # ... the furthest so far (the group on top keeps
        #     an earlier group's reach below this one's). Within the slice only: the previous slice
        #     matters just for the first row, since a group whose first row here does not overlap
        #     starts afresh above everything before it, and one whose first row does is flagged.
        hit = np.empty(len(k), dtype=bool)
        hit[1:] = k_s[1:] <= reach[:-1]
        hit[1:] |= k[1:] == k[:-1]
        hit[0] = carry is not None and (k_s[0] <= carry or k[0] == carry_key)
        if hit.any():
            found.append(np.unique(top[hit] >> bd))
        carry, carry_key = int(reach[-1]), int(k[-1])
    return np.unique(np.concatenate(found)) if found else None

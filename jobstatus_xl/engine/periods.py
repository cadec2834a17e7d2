"""Reporting periods: inclusive date ranges such as a year, a half-year or January to month M."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Period:
    """An inclusive date range [start, end]."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"Perioden slutter ({self.end:%d-%m-%Y}) før den starter ({self.start:%d-%m-%Y}).")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def months(cls, year: int, first: int, last: int) -> "Period":
        """From the first day of month `first` to the last day of month `last` (e.g. 1..6 = Jan–Jun)."""
        return cls(dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1]))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def weekdays(self) -> int:
        """Monday–Friday days in the period (no public holidays: Danmarks Statistik's convention)."""
        return int(np.busday_count(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1))

    @property
    def last_month(self) -> "Period":
        """The calendar month holding the period's last day: the default fleksjob reference month."""
        return Period.month_of(self.end)

    @classmethod
    def month_of(cls, day: dt.date) -> "Period":
        return cls(day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))

    def is_year(self) -> bool:
        """The whole calendar year of its start."""
        return self == Period.year(self.start.year)

    def label(self) -> str:
        """Danish label as the note writes it: 'januar til og med december 2024', 'marts 2024'."""
        if self.start.day != 1 or self.end != Period.month_of(self.end).end:
            return f"{self.start:%d-%m-%Y} til og med {self.end:%d-%m-%Y}"
        first, last = _MONTHS[self.start.month - 1], _MONTHS[self.end.month - 1]
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return f"{last} {self.end.year}"         # one month: 'marts 2024'
        if self.start.year == self.end.year:
            return f"{first} til og med {last} {self.end.year}"
        return f"{first} {self.start.year} til og med {last} {self.end.year}"


def danish_date(day: dt.date) -> str:
    """A day as Danish prose writes it: '1. februar 2024'."""
    return f"{day.day}. {_MONTHS[day.month - 1]} {day.year}"


def month_label(day: dt.date) -> str:
    """'december 2024'."""
    return f"{_MONTHS[day.month - 1]} {day.year}"


_MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
           "september", "oktober", "november", "december"]

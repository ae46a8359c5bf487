"""Deterministic generated data for the keyed replay providers: the same inputs always give the same numbers.

Nothing here is real data: values are smooth curves plus hash-derived noise, so tests can predict them by calling
the same functions, and every run of the server serves byte-identical answers for a given snapshot.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any


def unit(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def wave(day: date, base: float, amplitude: float, period_days: float, trend_per_year: float = 0.0) -> float:
    """A smooth seasonal curve with a linear trend."""
    t = day.toordinal()
    years = (t - date(2000, 1, 1).toordinal()) / 365.25
    return base + trend_per_year * years + amplitude * math.sin(2 * math.pi * t / period_days)


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def days(first: date, last: date) -> Iterator[date]:
    """Every day of ``[first, last]``."""
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def months(first: date, last: date, step: int = 1) -> Iterator[date]:
    """First days of months from ``first``'s month to ``last``, every ``step`` months."""
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        yield date(year, month, 1)
        month += step
        while month > 12:
            year, month = year + 1, month - 12


def first_value(params: Mapping[str, Any], name: str) -> str | None:
    """The value of a parameter given as a list of values (the first one)."""
    values = params.get(name)
    if not values:
        return None
    return str(values[0])

"""Backfill requests: ``SOURCE:START:END`` (``tributary backfill``, the Argo ``backfill`` parameter), checked early.

A backfill re-ingests one source's range whatever its watermark says. Each source writes the range in its own form
(``SourceSpec.backfill``): dates for the daily and monthly APIs and files, years for the World Bank, values of the
watermark column for Postgres. A source without a time dimension has nothing to backfill. These checks need the
registry only (no HTTP or Arrow library), so the command line, the freshness stage and the bronze gate use them,
and a bad request is refused before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from steps.errors import ConfigError
from steps.sources.registry import spec_for

_YEAR = re.compile(r"[0-9]{4}")
_EXAMPLE = "worldbank:2000:2005 or fred:2020-01-01:2020-12-31"


@dataclass(frozen=True)
class Backfill:
    """``--backfill START:END``: re-ingest a range (inclusive) whatever the watermark says.

    The text is kept as given; the source reads it in its own form (``SourceSpec.backfill``): :meth:`dates` for
    the daily and monthly APIs and files, :meth:`years` for a yearly source (World Bank), values of the watermark
    column for Postgres.
    """

    start: str
    end: str

    @classmethod
    def parse(cls, text: str) -> Backfill:
        """Parse ``START:END`` (ISO dates, years, or values of the watermark column for Postgres)."""
        start, sep, end = text.partition(":")
        if not sep or not start.strip() or not end.strip():
            raise ConfigError(
                f"backfill range {text!r} is not START:END",
                "pass e.g. 2020-01-01:2020-12-31 (dates), or 2000:2005 (years, World Bank)",
            )
        return cls(start.strip(), end.strip())

    def years(self) -> tuple[int, int]:
        """The range as years; a ConfigError when it is not ``YYYY:YYYY`` in order."""
        if not (_YEAR.fullmatch(self.start) and _YEAR.fullmatch(self.end)):
            raise ConfigError(f"backfill range {self} is not a range of years", "pass YYYY:YYYY, e.g. 2000:2005")
        first, last = int(self.start), int(self.end)
        if first > last:
            raise ConfigError(f"backfill range {self} starts after it ends", "put the earlier year first")
        return first, last

    def dates(self) -> tuple[date, date]:
        """The range as dates; a ConfigError when it is not ``YYYY-MM-DD:YYYY-MM-DD`` in order."""
        try:
            first, last = date.fromisoformat(self.start), date.fromisoformat(self.end)
        except ValueError:
            raise ConfigError(
                f"backfill range {self} is not a range of dates",
                "pass YYYY-MM-DD:YYYY-MM-DD, e.g. 2020-01-01:2020-12-31",
            ) from None
        if first > last:
            raise ConfigError(f"backfill range {self} starts after it ends", "put the earlier date first")
        return first, last

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"


@dataclass(frozen=True)
class BackfillRequest:
    """Which source to backfill, and its range."""

    source: str
    range: Backfill

    @classmethod
    def parse(cls, text: str) -> BackfillRequest:
        """Parse ``SOURCE:START:END``; a ConfigError naming the expected form otherwise."""
        source, sep, rest = text.strip().partition(":")
        if not sep or not source.strip():
            raise ConfigError(f"backfill {text!r} is not SOURCE:START:END", f"pass e.g. {_EXAMPLE}")
        return cls(source.strip(), Backfill.parse(rest))

    def __str__(self) -> str:
        return f"{self.source}:{self.range}"


def check_range(source: str, kind: str, backfill: Backfill) -> Backfill:
    """``backfill`` if source ``source`` of kind ``kind`` takes a range written that way, else a ConfigError.

    A source with no time dimension is refused whatever the range; a yearly one takes years, a daily or monthly one
    dates; a watermark range is left to the source, which knows its column's type once it connects.
    """
    form = spec_for(kind).backfill
    if form is None:
        raise ConfigError(
            f"source {source!r} has no time dimension to backfill ({kind}: reference data, fetched whole every run)",
            f"re-ingest it whole with tributary run --sources {source} --force (Argo: -p force=true)",
        )
    try:
        if form == "years":
            backfill.years()
        elif form == "dates":
            backfill.dates()
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc.what}", exc.fix) from None
    return backfill

"""When the pipeline is scheduled to run: the fire times of its cron expressions (pure, no I/O).

The CronWorkflow's ``schedules`` and ``timezone`` (workflows/argo/environments.yaml) are the one definition; the
freshness stage, ``tributary status`` and the run report all read them through :class:`Schedule`. Times are
aware datetimes; the default zone is UTC, which has no daylight-saving gaps or repeated hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict

from steps.errors import ConfigError

SEPARATOR = ";"  # several expressions in one value: "0 0 1 * *;0 12 15 * *"


class Schedule(BaseModel):
    """One or more five-field cron expressions, read in ``timezone``."""

    model_config = ConfigDict(frozen=True)

    expressions: tuple[str, ...]
    timezone: str = "UTC"

    @classmethod
    def parse(cls, text: str, timezone: str = "UTC") -> Schedule:
        """``"0 0 1 * *"`` or several joined by ``;``; refused in one line when an expression is not valid cron."""
        expressions = tuple(e.strip() for e in text.split(SEPARATOR) if e.strip())
        if not expressions:
            raise ConfigError("the schedule is empty", 'pass a cron expression such as "0 0 1 * *"')
        for expression in expressions:
            if len(expression.split()) != 5 or not croniter.is_valid(expression):
                raise ConfigError(
                    f"schedule {expression!r} is not a five-field cron expression",
                    'pass minute hour day-of-month month day-of-week, e.g. "0 0 1 * *" (monthly, midnight on the 1st)',
                )
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"schedule timezone {timezone!r} is unknown", "pass an IANA name such as UTC") from None
        return cls(expressions=expressions, timezone=timezone)

    def text(self) -> str:
        """The expressions as one value (the inverse of :meth:`parse`)."""
        return SEPARATOR.join(self.expressions)

    def previous(self, at: datetime) -> datetime:
        """The latest fire time at or before ``at``."""
        local = _aware(at).astimezone(ZoneInfo(self.timezone))
        # croniter's get_prev is strictly before its start; one second later makes a fire at `at` count.
        fires = [croniter(e, local + timedelta(seconds=1)).get_prev(datetime) for e in self.expressions]
        return max(fires).astimezone(UTC)

    def next(self, at: datetime) -> datetime:
        """The earliest fire time strictly after ``at``."""
        local = _aware(at).astimezone(ZoneInfo(self.timezone))
        return min(croniter(e, local).get_next(datetime) for e in self.expressions).astimezone(UTC)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{at!r} has no timezone")  # a programming error: every time in the pipeline is aware
    return at

"""Which period of its schedule a run belongs to, from the ``--schedule``/``--timezone``/``--scheduled-at`` it is given.

A run given no schedule is manual (or irregular). A scheduled run belongs to the period that starts at the schedule's
fire time at or before its scheduled time (:data:`CLOCK_SKEW` later counts too) and ends at the next fire time.
Pure: the clock is an argument.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from steps.errors import ConfigError
from steps.names import SCHEDULE_PARAMETER, SCHEDULED_AT_PARAMETER, TIMEZONE_PARAMETER
from steps.schedule import Schedule

# How far two clocks of the pipeline may disagree: the controller that stamps the scheduled time, the pod that
# decides, the pods that stamp an ingest's finish. Nodes keep time with NTP (well under a second apart); five
# minutes is Kerberos' default allowance, and a clock off by more than S3's fifteen cannot write the lake at all.
CLOCK_SKEW = timedelta(minutes=5)


class ScheduledRun(BaseModel):
    """A run that is one period's run of a schedule."""

    model_config = ConfigDict(frozen=True)

    schedule: Schedule
    scheduled_at: datetime  # as given: Argo's fire time, or the default schedule.previous(now)
    period_start: datetime  # the fire time the run belongs to
    next_at: datetime  # the next fire time: the end of the period, when the next scheduled run comes

    def parameters(self) -> dict[str, str]:
        """The workflow parameters that make a run of the rendered template this scheduled run."""
        return {
            SCHEDULE_PARAMETER: self.schedule.text(),
            TIMEZONE_PARAMETER: self.schedule.timezone,
            SCHEDULED_AT_PARAMETER: self.iso(),
        }

    def iso(self) -> str:
        """The period's fire time, ISO 8601 in the schedule's zone (``2027-03-01T00:00:00+00:00``)."""
        return self.period_start.astimezone(ZoneInfo(self.schedule.timezone)).isoformat()

    def describe(self) -> str:
        """``scheduled run of 2027-03-01T00:00Z``, for reasons and log lines."""
        return f"scheduled run of {when(self.period_start, self.schedule.timezone)}"


def scheduled_run(schedule: str, timezone: str, scheduled_at: str, now: datetime) -> ScheduledRun | None:
    """The run's period, or None for a manual run (no schedule).

    Args:
        schedule: Cron expressions joined by ``;`` (``steps.schedule``); empty for a manual run.
        timezone: IANA zone the expressions are read in; empty means UTC.
        scheduled_at: ISO 8601 time the run was scheduled for; empty means the latest fire time at or before ``now``.
            A time without an offset is read in ``timezone``. Any time inside a period names that period. A time
            after ``now`` is allowed: a pod whose clock runs behind the controller's sees its own fire time ahead, and
            a coming period's run may be started early on purpose (it ingests what that period's run would).
        now: The current time (aware).

    Raises:
        ConfigError: a bad expression, zone or time, or a time without a schedule.
    """
    if not schedule.strip():
        if scheduled_at.strip():
            raise ConfigError(
                f"--scheduled-at {scheduled_at!r} is given without --schedule",
                "pass the schedule it is a fire time of, e.g. --schedule '0 0 1 * *', or leave both out (manual run)",
            )
        return None
    parsed = Schedule.parse(schedule, timezone.strip() or "UTC")
    at = _parse_time(scheduled_at, parsed.timezone) if scheduled_at.strip() else parsed.previous(now)
    start = parsed.previous(at + CLOCK_SKEW)  # a fire time, also when Argo stamped the submission time instead
    return ScheduledRun(schedule=parsed, scheduled_at=at, period_start=start, next_at=parsed.next(start))


def when(at: datetime, timezone: str = "UTC") -> str:
    """A time to the minute in ``timezone``, ``Z`` for UTC: ``2027-03-01T00:00Z``."""
    text = at.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _parse_time(text: str, timezone: str) -> datetime:
    value = text.strip()
    if value.startswith("{{"):
        # Argo leaves a variable it cannot resolve as its literal text: the template passed through a wrong one.
        raise ConfigError(
            f"--scheduled-at {value!r} is an Argo variable that was not resolved",
            "pass the CronWorkflow's {{workflow.scheduledTime}} through the scheduled-at workflow parameter "
            "(workflows/argo/schedule.py), or an ISO 8601 time",
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"--scheduled-at {value!r} is not an ISO 8601 time", "use e.g. 2027-03-01T00:00:00Z or 2027-03-01"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)

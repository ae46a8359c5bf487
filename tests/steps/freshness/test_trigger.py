"""Which period a run belongs to, from its --schedule, --timezone and --scheduled-at."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from steps.errors import ConfigError
from steps.freshness.trigger import scheduled_run, when

NOW = datetime(2027, 3, 14, 9, 30, tzinfo=UTC)


def test_no_schedule_is_a_manual_run() -> None:
    assert scheduled_run("", "", "", NOW) is None
    assert scheduled_run("", "UTC", "", NOW) is None  # the template's empty defaults, timezone or not


def test_without_a_time_the_run_is_the_latest_periods() -> None:
    run = scheduled_run("0 0 1 * *", "", "", NOW)
    assert run is not None
    assert run.period_start == datetime(2027, 3, 1, tzinfo=UTC) and run.next_at == datetime(2027, 4, 1, tzinfo=UTC)
    assert run.parameters() == {"schedule": "0 0 1 * *", "timezone": "UTC", "scheduled-at": "2027-03-01T00:00:00+00:00"}
    assert run.describe() == "scheduled run of 2027-03-01T00:00Z"


def test_argos_scheduled_time_names_its_period() -> None:
    run = scheduled_run("0 0 1 * *", "UTC", "2027-03-01T00:00:00Z", NOW)
    assert run is not None and run.period_start == run.scheduled_at == datetime(2027, 3, 1, tzinfo=UTC)


def test_a_time_inside_a_period_names_that_period() -> None:
    # `argo submit --from cronwf/tributary-scheduled` stamps the submission time, not a fire time
    run = scheduled_run("0 0 1 * *", "UTC", "2027-03-14T09:29:41Z", NOW)
    assert run is not None and run.period_start == datetime(2027, 3, 1, tzinfo=UTC)
    # a controller stamping a moment before the fire time (clock skew) still means that fire time
    early = scheduled_run("0 0 1 * *", "UTC", "2027-02-28T23:58:00Z", NOW)
    assert early is not None and early.period_start == datetime(2027, 3, 1, tzinfo=UTC)


def test_zone_of_the_schedule() -> None:
    run = scheduled_run("0 0 1 * *", "Asia/Ho_Chi_Minh", "2027-03-01", NOW)  # no offset: read in the zone
    assert run is not None and run.period_start == datetime(2027, 2, 28, 17, tzinfo=UTC)
    assert run.describe() == "scheduled run of 2027-03-01T00:00+07:00"
    assert run.parameters()["scheduled-at"] == "2027-03-01T00:00:00+07:00"
    assert when(run.period_start) == "2027-02-28T17:00Z"


def test_several_expressions() -> None:
    run = scheduled_run("0 0 1 * *;0 12 15 * *", "UTC", "", NOW)
    assert run is not None and run.period_start == datetime(2027, 3, 1, tzinfo=UTC)
    assert run.next_at == datetime(2027, 3, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "timezone", "scheduled_at", "message"),
    [
        ("0 0 32 * *", "", "", "schedule '0 0 32 * *' is not a five-field cron expression"),
        ("0 0 1 * *", "Mars/Olympus", "", "schedule timezone 'Mars/Olympus' is unknown"),
        ("0 0 1 * *", "", "first of March", "--scheduled-at 'first of March' is not an ISO 8601 time"),
        ("0 0 1 * *", "", "{{workflow.scheduledTime}}", "is an Argo variable that was not resolved"),
        ("", "", "2027-03-01", "--scheduled-at '2027-03-01' is given without --schedule"),
    ],
)
def test_bad_input_is_one_line(schedule: str, timezone: str, scheduled_at: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        scheduled_run(schedule, timezone, scheduled_at, NOW)
    line = caught.value.line()
    assert message in line and "Fix: " in line and "\n" not in line

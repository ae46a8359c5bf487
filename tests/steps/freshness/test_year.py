"""The freshness rule over simulated years of scheduled runs: once per period, whatever the month's length."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from steps.freshness.core import Decision, decide
from steps.freshness.trigger import scheduled_run
from steps.schedule import Schedule
from steps.state import IngestRecord, SourceState

MONTHLY, DAILY = "0 0 1 * *", "0 0 * * *"


@dataclass(frozen=True)
class Run:
    """One simulated scheduled run: when it fired, the last ingest it found, what it decided."""

    fired: datetime
    last_before: datetime | None
    decision: Decision


def _record(run_id: str, finished: datetime, *, backfill: str | None = None) -> IngestRecord:
    return IngestRecord(run_id=run_id, finished_at=finished, manifest="m", rows={}, backfill=backfill)


def _state(last: IngestRecord | None) -> SourceState:
    return SourceState(source="worldbank", last_success=last, history=[last] if last else [])


def _scheduled(expression: str, max_age: float) -> Callable[[SourceState, datetime, datetime], Decision]:
    def rule(state: SourceState, fired: datetime, now: datetime) -> Decision:
        return decide(state, max_age, now, scheduled=scheduled_run(expression, "UTC", fired.isoformat(), now))

    return rule


def _old_rule(state: SourceState, fired: datetime, now: datetime) -> Decision:
    """The rule before schedules: ingest once the last ingest is at least max_age (30 days) old."""
    last = state.last_success
    due = last is None or now - last.finished_at >= timedelta(days=30)
    return Decision(source=state.source, ingest=due, reason="", max_age_days=30)


def simulate(
    expression: str,
    year: int,
    last: IngestRecord | None,
    rule: Callable[[SourceState, datetime, datetime], Decision],
) -> list[Run]:
    """Every fire time of ``expression`` in ``year``: decide a few seconds after it, finish an ingest minutes after.

    The delays vary from run to run (2-40 s to decide, 30 s to 8 min to finish), as real runs do.
    """
    schedule = Schedule.parse(expression)
    fired = schedule.next(datetime(year, 1, 1, tzinfo=UTC) - timedelta(seconds=1))
    runs = []
    while fired.year == year:
        n = len(runs)
        now = fired + timedelta(seconds=2 + n % 39)
        decision = rule(_state(last), fired, now)
        runs.append(Run(fired, last.finished_at if last else None, decision))
        if decision.ingest:
            last = _record(f"run-{fired:%Y%m%d}", fired + timedelta(seconds=30 + (n * 37) % 450))
        fired = schedule.next(fired)
    return runs


def _ingested(runs: list[Run]) -> list[int]:
    return [r.fired.month for r in runs if r.decision.ingest]


DEC_2026 = _record("run-20261201", datetime(2026, 12, 1, 0, 3, tzinfo=UTC))


def test_monthly_2027_ingests_12_of_12_where_the_max_age_rule_ingested_7() -> None:
    runs = simulate(MONTHLY, 2027, DEC_2026, _scheduled(MONTHLY, 30))
    assert _ingested(runs) == list(range(1, 13))
    assert {r.decision.rule for r in runs} == {"schedule"}
    march = runs[2].decision.reason
    assert march.startswith("scheduled run of 2027-03-01T00:00Z: last ingest 2027-02-01T00:0")
    assert "is before this period" in march

    old = simulate(MONTHLY, 2027, DEC_2026, _old_rule)
    assert _ingested(old) == [1, 2, 4, 6, 8, 9, 11]  # March, May, July, October, December skipped (issue 14)


def test_monthly_2028_leap_year_ingests_12_of_12() -> None:
    dec_2027 = _record("run-20271201", datetime(2027, 12, 1, 0, 1, tzinfo=UTC))
    runs = simulate(MONTHLY, 2028, dec_2027, _scheduled(MONTHLY, 30))
    assert _ingested(runs) == list(range(1, 13))
    assert runs[2].fired == datetime(2028, 3, 1, tzinfo=UTC) and runs[2].decision.ingest  # after a 29-day February
    assert len(_ingested(simulate(MONTHLY, 2028, dec_2027, _old_rule))) < 12


@pytest.mark.parametrize(
    ("previous", "fired", "days"),
    [
        (datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC), 28),
        (datetime(2028, 2, 1, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC), 29),
        (datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC), 30),
        (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC), 31),
    ],
)
def test_every_month_length_ingests(previous: datetime, fired: datetime, days: int) -> None:
    assert (fired - previous).days == days
    state = _state(_record("previous", previous + timedelta(minutes=4)))
    now = fired + timedelta(seconds=3)
    decision = _scheduled(MONTHLY, 30)(state, fired, now)
    assert decision.ingest and decision.rule == "schedule"
    assert _old_rule(state, fired, now).ingest == (days == 31)  # the old rule skipped the shorter months


def test_daily_with_max_age_1_ingests_every_day_once() -> None:
    start = _record("run-20261231", datetime(2026, 12, 31, 0, 2, tzinfo=UTC))
    runs = simulate(DAILY, 2027, start, _scheduled(DAILY, 1))
    assert len(runs) == 365 and all(r.decision.ingest for r in runs)
    # A second run of each day's period (a retry, a crontab firing twice) finds that day's ingest.
    for r in runs[::30]:
        state = _state(_record(f"run-{r.fired:%Y%m%d}", r.fired + timedelta(minutes=3)))
        again = _scheduled(DAILY, 1)(state, r.fired, r.fired + timedelta(hours=6))
        assert not again.ingest and again.reason.startswith("fresh: ingested in this period")


def test_daily_with_max_age_30_ingests_every_30_days_and_never_older() -> None:
    start = _record("run-20261231", datetime(2026, 12, 31, 0, 2, tzinfo=UTC))
    runs = simulate(DAILY, 2027, start, _scheduled(DAILY, 30))
    days = [r.fired for r in runs if r.decision.ingest]
    assert [(b - a).days for a, b in pairwise(days)] == [30] * (len(days) - 1)
    assert days[0] == datetime(2027, 1, 30, tzinfo=UTC) and days[-1] == datetime(2027, 12, 26, tzinfo=UTC)
    ages = [r.fired - r.last_before for r in runs if r.last_before is not None]
    assert max(ages) < timedelta(days=30)
    skipped = next(r for r in runs if not r.decision.ingest).decision.reason
    assert "stays within max_age 30d until the next scheduled run" in skipped


def test_quarterly_data_on_a_monthly_schedule() -> None:
    # 92 days (the longest quarter) ingests every third monthly run ...
    runs = simulate(MONTHLY, 2027, DEC_2026, _scheduled(MONTHLY, 92))
    assert _ingested(runs) == [3, 6, 9, 12]
    # ... 90 ingests whenever the next run would find it older than 90 days, which some quarters are.
    assert _ingested(simulate(MONTHLY, 2027, DEC_2026, _scheduled(MONTHLY, 90))) == [3, 5, 7, 9, 11]


def test_manual_rerun_the_same_day_after_a_scheduled_run_is_fresh() -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    state = _state(_record("scheduled-run", fired + timedelta(minutes=6)))
    manual = decide(state, 30, fired + timedelta(hours=9))
    assert not manual.ingest and manual.rule == "max_age"
    assert manual.reason == "fresh: last ingest 8.9h ago (run scheduled-run), max_age 30d"
    again = _scheduled(MONTHLY, 30)(state, fired, fired + timedelta(hours=9))
    assert not again.ingest and again.reason == (
        "fresh: ingested in this period (last ingest 2027-03-01T00:06Z (run scheduled-run); "
        "scheduled run of 2027-03-01T00:00Z)"
    )


def test_an_ingest_pod_whose_clock_runs_behind_still_counts_for_its_period() -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    stamped_early = _state(_record("scheduled-run", fired - timedelta(seconds=4)))  # the ingest pod's clock was behind
    assert not _scheduled(MONTHLY, 30)(stamped_early, fired, fired + timedelta(minutes=20)).ingest


def test_a_freshness_pod_whose_clock_reads_before_the_fire_time() -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    state = _state(_record("run-20270201", datetime(2027, 2, 1, 0, 5, tzinfo=UTC)))
    early = fired - timedelta(seconds=90)  # this pod's clock: still February
    run = scheduled_run(MONTHLY, "UTC", fired.isoformat(), early)
    assert run is not None and run.period_start == fired
    decision = decide(state, 30, early, scheduled=run)
    assert decision.ingest and decision.rule == "schedule"


def test_a_run_started_long_after_its_fire_time_does_not_keep_stale_data() -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    state = _state(_record("scheduled-run", fired + timedelta(minutes=5)))
    late = fired + timedelta(days=40)  # say a failed March run resubmitted in April with March's time
    decision = _scheduled(MONTHLY, 30)(state, fired, late)
    assert decision.ingest and decision.rule == "max_age"
    assert decision.reason == "stale: 40.0d old, max_age 30d (scheduled run of 2027-03-01T00:00Z, started late)"


def test_manual_runs_allow_for_a_runs_duration() -> None:
    now = datetime(2027, 3, 1, 2, 0, 10, tzinfo=UTC)
    thirty_days_minus_minutes = _state(_record("previous", now - timedelta(days=30) + timedelta(minutes=17)))
    assert decide(thirty_days_minus_minutes, 30, now).ingest
    assert not decide(_state(_record("previous", now - timedelta(days=29, hours=22))), 30, now).ingest
    # a max_age shorter than a day forgives an hour per day of it: 30 min of a half day
    assert decide(_state(_record("previous", now - timedelta(hours=11, minutes=31))), 0.5, now).ingest
    assert not decide(_state(_record("previous", now - timedelta(hours=11, minutes=29))), 0.5, now).ingest


def test_force_and_first_ingest_under_a_schedule() -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    fresh = _state(_record("scheduled-run", fired + timedelta(minutes=5)))
    run = scheduled_run(MONTHLY, "UTC", fired.isoformat(), fired + timedelta(hours=1))
    forced = decide(fresh, 30, fired + timedelta(hours=1), force=True, scheduled=run)
    assert forced.ingest and forced.reason == "forced"
    first = decide(_state(None), 30, fired, scheduled=run)
    assert first.ingest and first.reason == "never ingested"


def test_a_backfill_does_not_count_as_this_periods_ingest() -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    regular = _record("run-20270201", datetime(2027, 2, 1, 0, 4, tzinfo=UTC))
    backfill = _record("backfill", fired + timedelta(minutes=30), backfill="2000:2005")
    state = SourceState(source="worldbank", last_success=regular, history=[backfill, regular])
    decision = _scheduled(MONTHLY, 30)(state, fired, fired + timedelta(hours=2))
    assert decision.ingest and decision.last_success_run == "run-20270201"

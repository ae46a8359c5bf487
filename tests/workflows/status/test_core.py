"""The pure core of ``tributary status``: SLA states against schedules, rows, problems, exit codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from steps.schedule import Schedule
from workflows.status.argo_runs import ClusterRun, FailedNode
from workflows.status.core import (
    BREAKER_WINDOW,
    ClusterView,
    ScheduleView,
    Sla,
    build_report,
    enough_runs,
    sla,
)
from workflows.status.facts import (
    FailedTask,
    GateOutcome,
    LakeFacts,
    LastSuccess,
    QuotaCount,
    Run,
    SourceOutcome,
    SourceSpec,
)

MONTHLY = Schedule.parse("0 0 1 * *")
DAILY = Schedule.parse("0 2 * * *")
SIX_HOURS = timedelta(hours=6)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def last(when: str, run_id: str = "r1") -> LastSuccess:
    return LastSuccess(run_id=run_id, finished_at=at(when), rows={"t": 3})


def test_never_ingested() -> None:
    assert sla(None, 30, at("2026-01-01T00:00"), schedule=None, grace=SIX_HOURS) == Sla("never")


def test_without_a_schedule_the_grace_counts_from_the_moment_it_became_due() -> None:
    source = last("2026-01-01T00:00")
    due_at, overdue_at = at("2026-01-31T00:00"), at("2026-01-31T06:00")
    states = [
        sla(source, 30, now, schedule=None, grace=SIX_HOURS).state
        for now in (due_at - timedelta(seconds=1), due_at, overdue_at - timedelta(seconds=1), overdue_at)
    ]
    assert states == ["ok", "due", "due", "overdue"]
    assert sla(source, 30, due_at, schedule=None, grace=SIX_HOURS) == Sla(
        "due", age=timedelta(days=30), due_at=due_at, overdue_at=overdue_at
    )


@pytest.mark.parametrize(
    ("ingested", "max_age", "overdue_at"),
    [
        # due on 3 March (February has 28 days): the 1 March run finds it fresh, the 1 April run must take it
        ("2026-02-01T00:05", 30, "2026-04-01T06:00"),
        # a 31-day month: due on 31 January, taken by the 1 February run
        ("2026-01-01T00:05", 30, "2026-02-01T06:00"),
        # leap year: 30 days after 31 January 2028 is 1 March, after that day's run: 1 April
        ("2028-01-31T00:05", 30, "2028-04-01T06:00"),
        # due exactly at a scheduled run: that run is the one
        ("2026-01-01T00:00", 31, "2026-02-01T06:00"),
    ],
)
def test_with_a_monthly_schedule_the_first_run_after_it_became_due_must_take_it(
    ingested: str, max_age: float, overdue_at: str
) -> None:
    result = sla(last(ingested), max_age, at(ingested), schedule=MONTHLY, grace=SIX_HOURS)
    assert result.due_at == at(ingested) + timedelta(days=max_age)
    assert result.overdue_at == at(overdue_at)


def test_with_a_daily_schedule() -> None:
    source = last("2026-05-10T02:10")  # the 02:00 run, ten minutes in
    assert sla(source, 1, at("2026-05-11T02:09"), schedule=DAILY, grace=SIX_HOURS).state == "ok"
    due = sla(source, 1, at("2026-05-11T12:00"), schedule=DAILY, grace=SIX_HOURS)
    assert due.state == "due" and due.overdue_at == at("2026-05-12T08:00")
    assert sla(source, 1, at("2026-05-12T08:00"), schedule=DAILY, grace=SIX_HOURS).state == "overdue"


def test_a_schedule_in_another_timezone() -> None:
    # midnight in Ho Chi Minh City is 17:00 UTC the day before
    hanoi = Schedule.parse("0 0 1 * *", "Asia/Ho_Chi_Minh")
    result = sla(last("2026-01-05T00:00"), 30, at("2026-01-05T00:00"), schedule=hanoi, grace=timedelta(0))
    assert result.overdue_at == at("2026-02-28T17:00")


# -- the report -----------------------------------------------------------------------------------------------

NOW = at("2026-03-10T12:00")
SOURCES = (SourceSpec("worldbank", 30), SourceSpec("noaa", 1, daily_quota=10_000))


def run(run_id: str, finished: str, status: str = "succeeded", **sources: SourceOutcome) -> Run:
    return Run(run_id=run_id, finished_at=at(finished), status=status, sources=sources)


def facts(*runs: Run, quota: QuotaCount | None = None, **last_success: LastSuccess | None) -> LakeFacts:
    return LakeFacts(
        lake="/lake",
        sources=SOURCES,
        last_success={s.name: last_success.get(s.name) for s in SOURCES},
        runs=runs,
        quota={"noaa": quota},
    )


def report(lake: LakeFacts, **kwargs: object):  # type: ignore[no-untyped-def]
    return build_report(lake, now=NOW, schedule=None, grace=SIX_HOURS, **kwargs)  # type: ignore[arg-type]


def test_all_fresh_and_a_successful_last_run_exit_0() -> None:
    ok = SourceOutcome("ingested")
    result = report(
        facts(
            run("r2", "2026-03-10T06:00", worldbank=ok, noaa=ok),
            worldbank=last("2026-03-10T05:59", "r2"),
            noaa=last("2026-03-10T05:58", "r2"),
        )
    )
    assert result.problems == () and result.exit_code == 0
    assert [r.sla.state for r in result.rows] == ["ok", "ok"]
    assert result.rows[0].last_run is not None and result.rows[0].last_run.run_id == "r2"


def test_problems_say_what_needs_attention() -> None:
    failed = Run(
        run_id="r3",
        finished_at=at("2026-03-10T11:00"),
        status="failed",
        failed_tasks=(FailedTask("verify", "1 of 4 checks failed: source noaa: HTTP 503"),),
    )
    rejected = SourceOutcome("rejected", "rejected by the bronze gate: noaa.observations: value null")
    older = Run(
        run_id="r2",
        finished_at=at("2026-03-09T06:00"),
        status="succeeded",
        sources={"worldbank": SourceOutcome("skipped", "fresh"), "noaa": rejected},
        gates=(GateOutcome("bronze", "failed", "noaa.observations: value null"), GateOutcome("gold", "passed")),
    )
    result = report(facts(failed, older, worldbank=last("2026-01-01T00:00"), noaa=None))
    assert result.problems == (
        "last run r3 failed at verify: 1 of 4 checks failed: source noaa: HTTP 503",
        "worldbank is overdue: last ingest 68.5d ago (run r1), max_age 30d, overdue since 2026-01-31 06:00",
        "noaa was never ingested",
        "noaa rejected in run r2: rejected by the bronze gate: noaa.observations: value null",
        "the bronze gate failed in run r2: noaa.observations: value null",
    )
    assert result.exit_code == 1
    # the rows keep the last run that touched each source, not the one that failed before touching any
    assert [r.last_run.run_id for r in result.rows if r.last_run] == ["r2", "r2"]


def test_a_gate_skipped_since_keeps_its_last_evaluation() -> None:
    evaluated = Run("r1", at("2026-03-01T00:10"), "succeeded", gates=(GateOutcome("gold", "passed"),))
    skipped = Run("r2", at("2026-03-02T00:10"), "succeeded", gates=(GateOutcome("gold", "skipped", "nothing new"),))
    result = report(facts(skipped, evaluated, worldbank=last("2026-03-01T00:00"), noaa=last("2026-03-10T00:00")))
    assert result.gates["gold"].run_id == "r1" and result.gates["gold"].outcome.outcome == "passed"


def test_breaker_trips_count_the_last_week() -> None:
    tripped = SourceOutcome("failed", "circuit breaker open", breaker_open=True)
    runs = (
        run("r3", "2026-03-10T06:00", noaa=SourceOutcome("ingested")),
        run("r2", "2026-03-04T06:00", noaa=tripped),
        run("r1", "2026-03-01T06:00", noaa=tripped),  # more than 7 days before NOW
    )
    result = report(facts(*runs, worldbank=last("2026-03-10T00:00"), noaa=last("2026-03-10T06:00")))
    assert result.rows[1].breaker_trips == ("r2",)
    assert NOW - at("2026-03-01T06:00") > BREAKER_WINDOW > NOW - at("2026-03-04T06:00")


def test_quota_today() -> None:
    fresh = {"worldbank": last("2026-03-10T00:00"), "noaa": last("2026-03-10T06:00")}
    live = QuotaCount(date(2026, 3, 10), 1234, 10_000, "lake")
    assert report(facts(quota=live, **fresh)).rows[1].quota == live
    # yesterday's count: nothing sent today yet
    yesterday = QuotaCount(date(2026, 3, 9), 9999, 10_000, "lake")
    assert report(facts(quota=yesterday, **fresh)).rows[1].quota == QuotaCount(date(2026, 3, 10), 0, 10_000, "lake")
    # no live count (the key is not in this environment): today's run's record, else unknown
    recorded = SourceOutcome("ingested", quota=QuotaCount(date(2026, 3, 10), 77, 10_000, "run r9"))
    assert report(facts(run("r9", "2026-03-10T06:00", noaa=recorded), **fresh)).rows[1].quota == QuotaCount(
        date(2026, 3, 10), 77, 10_000, "run r9"
    )
    stale = SourceOutcome("ingested", quota=QuotaCount(date(2026, 3, 9), 77, 10_000, "run r8"))
    assert report(facts(run("r8", "2026-03-09T06:00", noaa=stale), **fresh)).rows[1].quota is None
    assert report(facts(quota=live, **fresh)).rows[0].quota is None  # no daily quota configured


def test_a_suspended_schedule_has_no_next_run() -> None:
    view = ScheduleView(MONTHLY, "environment prod", suspended=True)
    result = build_report(facts(worldbank=last("2026-03-01T00:00")), now=NOW, schedule=view, grace=SIX_HOURS)
    assert result.next_run is None
    active = build_report(facts(), now=NOW, schedule=ScheduleView(MONTHLY, "--schedule"), grace=SIX_HOURS)
    assert active.next_run == at("2026-04-01T00:00")


def test_the_newest_finished_workflow_failing_is_a_problem() -> None:
    failed = ClusterRun(
        name="tributary-scheduled-1772323200",
        trigger="schedule",
        phase="Failed",
        started_at=at("2026-03-01T00:00"),
        finished_at=at("2026-03-01T00:01"),
        failed_nodes=(FailedNode("verify", "verify", "Failed", "Error (exit code 2)"),),
    )
    running = ClusterRun("tributary-abcde", "manual", "Running", started_at=at("2026-03-10T11:58"), finished_at=None)
    fresh = {"worldbank": last("2026-03-10T00:00"), "noaa": last("2026-03-10T06:00")}
    result = report(facts(**fresh), cluster=ClusterView("tributary", (running, failed)))
    assert result.problems == (
        "workflow tributary-scheduled-1772323200 (schedule) Failed: verify: Error (exit code 2)",
    )
    # when the lake holds that run's report, its own line says it (with the stage's reason) and once
    reported = Run("tributary-scheduled-1772323200", at("2026-03-01T00:01"), "failed", (FailedTask("verify", "x"),))
    result = report(facts(reported, **fresh), cluster=ClusterView("tributary", (running, failed)))
    assert result.problems == ("last run tributary-scheduled-1772323200 failed at verify: x",)


def test_enough_runs_once_every_source_was_touched_and_a_week_is_covered() -> None:
    enough = enough_runs(SOURCES, NOW)
    both = {"worldbank": SourceOutcome("skipped"), "noaa": SourceOutcome("skipped")}
    assert not enough([run("r2", "2026-03-10T06:00", **both)])  # the week is not covered yet
    assert not enough([run("r1", "2026-03-01T06:00", worldbank=SourceOutcome("skipped"))])  # noaa not seen
    assert enough([run("r2", "2026-03-10T06:00", **both), run("r1", "2026-03-01T06:00")])

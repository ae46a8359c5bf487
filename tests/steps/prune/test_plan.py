"""The planner: what goes under each area's rules, and what every protection keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from steps.lake_store import ObjectInfo
from steps.prune.plan import NEWEST_DELIVERY, REBUILD_NEEDS, UNCHECKED, Area, LakeFacts, Unit, plan
from steps.prune.policy import AreaPolicy, BronzePolicy, RetentionPolicy

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def month(i: int) -> datetime:
    return NOW - timedelta(days=30 * (24 - i))  # month 24 is NOW


def unit(area: Area, source: str, i: int, size: int = 10) -> Unit:
    run = f"month-{i:02d}"
    prefix = {"raw": f"raw/{source}/pages", "bronze": f"bronze/{source}/ds", "reports": "reports"}.get(area, area)
    objects = (ObjectInfo(f"{prefix}/{run}/a", size, month(i)),)
    if area == "bronze":
        objects += (ObjectInfo(f"bronze/{source}/_manifests/{run}.json", 1, month(i)),)
    return Unit(area, "" if area == "reports" else source, run, month(i), objects)


def facts(units: list[Unit], content: dict[tuple[str, str], dict[str, str]] | None = None) -> LakeFacts:
    committed = frozenset(u.run_id for u in units if u.area == "bronze")
    return LakeFacts(tuple(units), {}, {"wb": committed}, content or {})


def runs(result: object, area: Area) -> list[str]:
    return [r.unit.run_id for r in result.of(area)]  # type: ignore[attr-defined]


def test_raw_keeps_the_newest_runs_and_the_young_ones_and_never_touches_uncommitted_pages() -> None:
    units = [unit("bronze", "wb", i) for i in range(1, 25)] + [unit("raw", "wb", i) for i in range(1, 25)]
    uncommitted = Unit("raw", "wb", "crashed", month(1), (ObjectInfo("raw/wb/pages/crashed/a", 5, month(1)),))
    policy = RetentionPolicy(raw=AreaPolicy(keep_days=90, keep_runs=3))
    result = plan(facts([*units, uncommitted]), policy, NOW)
    # kept: the newest 3 (22-24) and those not older than 90 days (21 is exactly 90 days old)
    assert runs(result, "raw") == [f"month-{i:02d}" for i in range(1, 21)]
    assert "crashed" not in runs(result, "raw")
    assert runs(result, "bronze") == []  # bronze keeps everything by default


def test_keep_days_alone_keeps_what_is_young_enough() -> None:
    units = [unit("bronze", "wb", i) for i in range(1, 25)] + [unit("raw", "wb", i) for i in range(1, 25)]
    result = plan(facts(units), RetentionPolicy(raw=AreaPolicy(keep_days=200)), NOW)
    assert runs(result, "raw") == [f"month-{i:02d}" for i in range(1, 18)]  # 18: 180 days old, younger than 200


def test_bronze_goes_only_where_the_next_delivery_holds_the_same_rows() -> None:
    units = [unit("bronze", "wb", i) for i in range(1, 9)]
    content = {("wb", u.run_id): {"ds": "A" if i <= 4 else "B"} for i, u in enumerate(units, 1)}
    result = plan(facts(units, content), RetentionPolicy(bronze=BronzePolicy(keep_runs=2)), NOW)
    # 1-3 equal their successors; 4 differs from 5 (a rebuild needs it); 5 and 6 equal 6 and 7
    assert runs(result, "bronze") == ["month-01", "month-02", "month-03", "month-05", "month-06"]
    assert result.protected == {REBUILD_NEEDS: 1}


def test_bronze_without_fingerprints_is_kept_and_history_loss_must_be_allowed() -> None:
    units = [unit("bronze", "wb", i) for i in range(1, 6)]
    kept = plan(facts(units), RetentionPolicy(bronze=BronzePolicy(keep_runs=1)), NOW)
    assert runs(kept, "bronze") == []
    assert kept.protected == {UNCHECKED: 4}
    lossy = plan(facts(units), RetentionPolicy(bronze=BronzePolicy(keep_runs=1, allow_history_loss=True)), NOW)
    assert runs(lossy, "bronze") == [f"month-{i:02d}" for i in range(1, 5)]


def test_the_newest_delivery_stays_even_when_every_rule_lets_it_go() -> None:
    units = [unit("bronze", "wb", i) for i in range(1, 4)]
    policy = RetentionPolicy(bronze=BronzePolicy(keep_days=1, allow_history_loss=True))
    result = plan(facts(units), policy, NOW + timedelta(days=10))
    assert runs(result, "bronze") == ["month-01", "month-02"]
    assert result.protected == {NEWEST_DELIVERY: 1}


def test_raw_pages_go_with_their_bronze_delivery() -> None:
    units = [unit("bronze", "wb", i) for i in range(1, 4)] + [unit("raw", "wb", i) for i in range(1, 4)]
    policy = RetentionPolicy(raw=AreaPolicy(), bronze=BronzePolicy(keep_runs=1, allow_history_loss=True))
    result = plan(facts(units), policy, NOW)
    assert runs(result, "raw") == ["month-01", "month-02"]


def test_reports_keep_the_newest_run_and_count_it() -> None:
    units = [unit("reports", "", i) for i in range(1, 25)]
    result = plan(facts(units), RetentionPolicy(reports=AreaPolicy(keep_runs=12)), NOW + timedelta(days=999))
    assert runs(result, "reports") == [f"month-{i:02d}" for i in range(1, 13)]


def test_what_did_not_exist_at_as_of_is_neither_removed_nor_counted() -> None:
    units = [unit("raw", "wb", i) for i in range(1, 25)] + [unit("bronze", "wb", i) for i in range(1, 25)]
    result = plan(facts(units), RetentionPolicy(raw=AreaPolicy(keep_runs=3)), month(10))
    assert runs(result, "raw") == [f"month-{i:02d}" for i in range(1, 8)]  # 8-10 are the newest then


def test_quarantine_ages_out_per_source() -> None:
    units = [unit("quarantine", "wb", i) for i in (1, 20, 23)] + [unit("quarantine", "fx", 2)]
    result = plan(facts(units), RetentionPolicy(quarantine=AreaPolicy(keep_days=90)), NOW)
    assert [(r.unit.source, r.unit.run_id) for r in result.of("quarantine")] == [
        ("wb", "month-01"),
        ("fx", "month-02"),
        ("wb", "month-20"),
    ]


def test_the_newest_report_stays_when_only_its_age_counts() -> None:
    units = [unit("reports", "", i) for i in range(1, 4)]
    result = plan(facts(units), RetentionPolicy(reports=AreaPolicy(keep_days=1)), NOW + timedelta(days=30))
    assert runs(result, "reports") == ["month-01", "month-02"]
    assert result.protected == {"the newest run's report": 1}

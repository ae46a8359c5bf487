"""What prune removes and why: a pure function of the lake's facts, the retention policy and a date.

Each area is cut into *units*, the objects of one run (of one source, for raw pages, bronze and quarantine). A
unit goes when the area's rules keep it no longer (:mod:`steps.prune.policy`) and nothing protects it:

- raw pages and bronze deliveries of a run that never committed (no manifest) belong to a run in progress or to
  the ingest's leftover cleanup (``steps/ingest/leftovers.py``): they are not units at all;
- the newest committed delivery of a source always stays, and so does the newest run's report;
- a bronze delivery a rebuild needs stays unless ``bronze.allow_history_loss`` is set. A delivery is *not*
  needed when the next delivery of its source holds the same rows (ingest columns aside, by content
  fingerprint): replaying it after the one before changes nothing the next one does not change again, so silver
  and gold's snapshot versions come out the same without it (:mod:`steps.dbt.rebuild`);
- raw pages of a removed bronze delivery go with it: the ingest's leftover cleanup would remove them anyway.

Units created after ``as_of`` did not exist then: they are neither candidates nor counted by ``keep_runs``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from steps.lake_store import ObjectInfo
from steps.prune.policy import AreaPolicy, RetentionPolicy

Area = Literal["raw", "bronze", "reports", "quarantine"]
AREAS: tuple[Area, ...] = ("raw", "bronze", "reports", "quarantine")


@dataclass(frozen=True)
class Unit:
    """The objects of one run in one area (and one source, except reports)."""

    area: Area
    source: str  # "" for reports
    run_id: str
    at: datetime  # when the run made them: a manifest's finish, else the newest object's time
    objects: tuple[ObjectInfo, ...]

    @property
    def bytes(self) -> int:
        """Total size of the unit's objects."""
        return sum(o.size for o in self.objects)

    def label(self) -> str:
        """``area source/run`` for logs."""
        return f"{self.area} {self.source + '/' if self.source else ''}{self.run_id}"


@dataclass(frozen=True)
class LakeFacts:
    """What the planner reads, gathered by :mod:`steps.prune.facts`.

    Bronze units are committed deliveries (their manifest last among the objects), in ingest order per source;
    ``content`` holds a delivery's fingerprint per dataset when it was computed (keyed by source and run id).
    """

    units: tuple[Unit, ...]
    area_bytes: Mapping[Area, int]
    committed: Mapping[str, frozenset[str]]  # source -> run ids with a manifest or a quarantine record
    content: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Removal:
    """One unit that goes, and the rule that lets it go."""

    unit: Unit
    reason: str


@dataclass(frozen=True)
class Plan:
    """What goes, what a protection kept, and the bytes of each area before."""

    as_of: datetime
    removals: tuple[Removal, ...]
    protected: Mapping[str, int]  # reason -> units the rules would remove but a protection keeps
    area_bytes: Mapping[Area, int]

    def of(self, area: Area) -> list[Removal]:
        """The removals of one area, oldest first."""
        return [r for r in self.removals if r.unit.area == area]

    @property
    def bytes(self) -> int:
        """Bytes all removals free."""
        return sum(r.unit.bytes for r in self.removals)


NEWEST_DELIVERY = "the newest committed delivery of its source"
REBUILD_NEEDS = "a rebuild needs it (its rows differ from the next delivery's)"
UNCHECKED = "a rebuild may need it (its content could not be compared)"
NEWEST_REPORT = "the newest run's report"


def plan(facts: LakeFacts, policy: RetentionPolicy, as_of: datetime) -> Plan:
    """Decide what goes on ``as_of`` under ``policy``; the result lists removals oldest first per area."""
    protected: dict[str, int] = {}
    removals: list[Removal] = []
    existing = [u for u in facts.units if u.at <= as_of]

    bronze_gone = _bronze(existing, policy, as_of, facts.content, protected)
    removals += bronze_gone
    gone_runs = {(r.unit.source, r.unit.run_id) for r in bronze_gone}

    raw = [u for u in existing if u.area == "raw" and u.run_id in facts.committed.get(u.source, frozenset())]
    for unit in raw:
        if (unit.source, unit.run_id) in gone_runs:
            removals.append(Removal(unit, "its bronze delivery goes"))
    raw_left = [u for u in raw if (u.source, u.run_id) not in gone_runs]
    removals += _by_rules(raw_left, policy.raw, as_of, per_source=True)

    reports = [u for u in existing if u.area == "reports"]
    newest = max(reports, key=lambda u: (u.at, u.run_id), default=None)
    candidates = [u for u in reports if u is not newest]
    reports_gone = _by_rules(candidates, policy.reports, as_of, per_source=False, newest_kept=newest is not None)
    if newest is not None and policy.reports.keep_runs is None and _expired(newest, policy.reports, as_of):
        protected[NEWEST_REPORT] = 1  # no rule keeps it: only this protection does
    removals += reports_gone

    quarantine = [u for u in existing if u.area == "quarantine"]
    removals += _by_rules(quarantine, policy.quarantine, as_of, per_source=True)

    order = {area: i for i, area in enumerate(AREAS)}
    removals.sort(key=lambda r: (order[r.unit.area], r.unit.at, r.unit.source, r.unit.run_id))
    return Plan(as_of, tuple(removals), protected, dict(facts.area_bytes))


def _bronze(
    units: list[Unit],
    policy: RetentionPolicy,
    as_of: datetime,
    content: Mapping[tuple[str, str], Mapping[str, str]],
    protected: dict[str, int],
) -> list[Removal]:
    rules = policy.bronze
    if rules.keeps_everything():
        return []
    gone: list[Removal] = []
    for source, deliveries in _groups(u for u in units if u.area == "bronze").items():
        ordered = sorted(deliveries, key=lambda u: (u.at, u.run_id))
        newest = ordered[-1]
        allowed = {id(r.unit) for r in _by_rules(ordered, rules, as_of, per_source=False)}
        for i, unit in enumerate(ordered):
            if id(unit) not in allowed:
                continue
            if unit is newest:
                protected[NEWEST_DELIVERY] = protected.get(NEWEST_DELIVERY, 0) + 1
                continue
            if rules.allow_history_loss:
                gone.append(Removal(unit, f"{_rule_text(rules)}; bronze.allow_history_loss is set"))
                continue
            mine, following = content.get((source, unit.run_id)), content.get((source, ordered[i + 1].run_id))
            if mine is None or following is None:
                protected[UNCHECKED] = protected.get(UNCHECKED, 0) + 1
            elif mine != following:
                protected[REBUILD_NEEDS] = protected.get(REBUILD_NEEDS, 0) + 1
            else:
                gone.append(Removal(unit, f"{_rule_text(rules)}; the next delivery holds the same rows"))
    return gone


def _by_rules(
    units: list[Unit], rules: AreaPolicy, as_of: datetime, *, per_source: bool, newest_kept: bool = False
) -> list[Removal]:
    """The units no rule keeps: beyond the newest ``keep_runs`` of their group and older than ``keep_days``.

    ``newest_kept``: one newer unit outside ``units`` is kept anyway and counts as one of the ``keep_runs``.
    """
    if rules.keeps_everything():
        return []
    gone = []
    groups = _groups(units) if per_source else {"": units}
    for members in groups.values():
        newest_first = sorted(members, key=lambda u: (u.at, u.run_id), reverse=True)
        for rank, unit in enumerate(newest_first, 1 + int(newest_kept)):
            if rules.keep_runs is not None and rank <= rules.keep_runs:
                continue
            if not _expired(unit, rules, as_of):
                continue
            gone.append(Removal(unit, _rule_text(rules)))
    return gone


def _expired(unit: Unit, rules: AreaPolicy, as_of: datetime) -> bool:
    return rules.keep_days is None or unit.at < as_of - timedelta(days=rules.keep_days)


def _rule_text(rules: AreaPolicy) -> str:
    parts = []
    if rules.keep_runs is not None:
        parts.append(f"not among the newest {rules.keep_runs} runs")
    if rules.keep_days is not None:
        parts.append(f"older than {rules.keep_days} days")
    return " and ".join(parts)


def _groups(units: Iterable[Unit]) -> dict[str, list[Unit]]:
    groups: dict[str, list[Unit]] = {}
    for unit in units:
        groups.setdefault(unit.source, []).append(unit)
    return groups

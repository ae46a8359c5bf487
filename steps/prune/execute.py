"""Carrying out a plan, in an order that leaves every reader a consistent lake if it stops at any point.

- A bronze delivery: its **manifest first**, then its data files. The manifest is what makes the files count
  (:mod:`steps.dbt.committed`): once it is gone no reader sees the delivery, and files left by an interruption are
  bronze files no manifest names, which no reader reads and the next ingest of the source deletes
  (``steps/ingest/leftovers.py``). The other order would leave a manifest naming missing files, which the dbt
  stage would quarantine as a damaged batch.
- A quarantined batch: its ``rejection.json`` first, so no gate finds a record whose evidence is half gone.
- A report: its ``summary.json`` last, so a half-removed report still says what the run did.
- Raw pages: any order; nothing reads them but people.

Deleting an object that is already gone is no error, so a second prune, or one after an interrupted one, is safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from steps.lake import Lake, ObjectInfo
from steps.prune.plan import Plan, Unit

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 5.0


def removal_order(unit: Unit) -> list[ObjectInfo]:
    """The unit's objects in the order they are deleted (see the module docstring)."""
    objects = list(unit.objects)
    if unit.area == "bronze":
        return sorted(objects, key=lambda o: "/_manifests/" not in o.path)
    if unit.area == "quarantine":
        return sorted(objects, key=lambda o: not o.path.endswith("/rejection.json"))
    if unit.area == "reports":
        return sorted(objects, key=lambda o: o.path.endswith("/summary.json"))
    return objects


def execute(lake: Lake, plan: Plan, *, clock: Callable[[], float] = time.monotonic) -> tuple[int, int]:
    """Delete what ``plan`` removes; returns the objects and bytes deleted. Progress is logged every few seconds."""
    total = len(plan.removals)
    objects = freed = 0
    last = clock()
    for done, removal in enumerate(plan.removals, 1):
        for info in removal_order(removal.unit):
            lake.delete(info.path)
            objects += 1
            freed += info.size
        if clock() - last >= PROGRESS_EVERY_S or done == total:
            last = clock()
            log.info("pruning", extra={"units": f"{done}/{total}", "objects": objects, "bytes": freed})
    return objects, freed

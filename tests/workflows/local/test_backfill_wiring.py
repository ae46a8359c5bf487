"""The rendered DAG under ``backfill=SOURCE:START:END``: freshness gets it, the one ingest its range, dbt a rebuild."""

from __future__ import annotations

from collections.abc import Callable

from tests.workflows.conftest import StandinRun
from workflows.local.runner import SKIPPED, SUCCEEDED


def _argv(run: StandinRun, key: str) -> list[str]:
    argv: list[str] = run.calls(key)[0]["argv"]
    return argv


def test_a_backfill_reaches_freshness_the_backfilled_ingest_and_both_layers(
    standin_run: Callable[..., StandinRun],
) -> None:
    plan = {"fresh": {"worldbank": "true", "vn_provinces": "false"}}
    run = standin_run(plan, parameters={"force": "false", "backfill": "worldbank:2000:2005"})
    assert run.workflow.run() is True
    freshness = _argv(run, "freshness")
    assert freshness[freshness.index("--backfill") + 1] == "worldbank:2000:2005"
    ingest = _argv(run, "ingest-worldbank")
    assert ingest[ingest.index("--backfill") + 1] == "2000:2005"
    assert run.phases()["ingest-vn-provinces"] == SKIPPED and run.phases()["dbt-gold"] == SUCCEEDED
    for layer in ("silver", "gold"):  # force=false, and yet rebuilt
        assert _argv(run, f"dbt-{layer}") == ["--layer", layer, "--run-id", "local-test", "--force", "true"]


def test_a_regular_run_passes_an_empty_backfill_and_builds_only_what_changed(
    standin_run: Callable[..., StandinRun],
) -> None:
    run = standin_run({"fresh": {"worldbank": "true", "vn_provinces": "true"}})
    assert run.workflow.run() is True
    ingest = _argv(run, "ingest-worldbank")
    assert ingest[ingest.index("--backfill") + 1] == ""
    assert _argv(run, "dbt-silver")[-2:] == ["--force", "false"]

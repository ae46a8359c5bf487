"""The schedule parameters: the CronWorkflow sets them, the template declares them empty, freshness receives them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from steps.freshness.trigger import scheduled_run
from steps.schedule import SEPARATOR
from tests.workflows.conftest import StandinRun
from workflows.argo.render import Rendered
from workflows.argo.settings import Schedule, load_environment
from workflows.local.run import LocalRun

ENVS = ("dev", "staging", "prod")
PARAMETERS = ("schedule", "timezone", "scheduled-at")


def _by_name(parameters: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in parameters}


@pytest.mark.parametrize("env", ENVS)
def test_cron_workflow_passes_its_schedule_and_argos_scheduled_time(rendered: dict[str, Rendered], env: str) -> None:
    spec = rendered[env].cron_workflow["spec"]
    schedule = load_environment(env).schedule  # the one definition, not retyped
    arguments = {p["name"]: p["value"] for p in spec["workflowSpec"]["arguments"]["parameters"]}
    assert arguments == {
        "schedule": SEPARATOR.join(schedule.schedules),
        "timezone": schedule.timezone,
        "scheduled-at": "{{workflow.scheduledTime}}",
    }
    assert arguments["schedule"] == SEPARATOR.join(spec["schedules"]) and arguments["timezone"] == spec["timezone"]
    # what the freshness stage will get from a scheduled run parses: the rendered values are valid
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    run = scheduled_run(arguments["schedule"], arguments["timezone"], "2027-03-01T00:00:00Z", fired)
    assert run is not None and run.period_start == fired


@pytest.mark.parametrize("env", ENVS)
def test_template_declares_them_empty_and_hands_them_to_freshness(rendered: dict[str, Rendered], env: str) -> None:
    doc = rendered[env].workflow_template
    declared = _by_name(doc["spec"]["arguments"]["parameters"])
    assert {name: declared[name]["value"] for name in PARAMETERS} == dict.fromkeys(PARAMETERS, "")
    dag = next(t for t in doc["spec"]["templates"] if t["name"] == doc["spec"]["entrypoint"])
    task = next(t for t in dag["dag"]["tasks"] if t["name"] == "freshness")
    passed = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
    assert {name: passed[name] for name in PARAMETERS} == {n: f"{{{{workflow.parameters.{n}}}}}" for n in PARAMETERS}
    freshness = next(t for t in doc["spec"]["templates"] if t["name"] == "freshness")
    assert {p["name"] for p in freshness["inputs"]["parameters"]} >= set(PARAMETERS)
    args = freshness["container"]["args"]
    for name in PARAMETERS:
        assert args[args.index(f"--{name}") + 1] == f"{{{{inputs.parameters.{name}}}}}"
    # no other template reads the scheduled time: a manual run must not see Argo's literal variable
    assert "workflow.scheduledTime" not in str(doc)


def test_the_rendered_template_gives_freshness_a_local_runs_schedule(
    standin_run: Callable[..., StandinRun],
) -> None:
    fired = datetime(2027, 3, 1, tzinfo=UTC)
    scheduled = scheduled_run("0 0 1 * *", "UTC", "", datetime(2027, 3, 9, tzinfo=UTC))
    local = LocalRun(run_id="local-test", lake="lake", sources=("worldbank",), scheduled=scheduled)
    run = standin_run({"fresh": {"worldbank": "false", "vn_provinces": "false"}}, parameters=local.parameters())
    assert run.workflow.run()
    argv = run.calls("freshness")[0]["argv"]
    assert argv[argv.index("--schedule") + 1] == "0 0 1 * *" and argv[argv.index("--timezone") + 1] == "UTC"
    assert datetime.fromisoformat(argv[argv.index("--scheduled-at") + 1]) == fired

    manual = standin_run({"fresh": {"worldbank": "false", "vn_provinces": "false"}})
    assert manual.workflow.run()
    argv = manual.calls("freshness")[-1]["argv"]
    assert [argv[argv.index(f"--{name}") + 1] for name in PARAMETERS] == ["", "", ""]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedules": ["0 0 31 2 x"]}, "schedule '0 0 31 2 x' is not a five-field cron expression"),
        ({"timezone": "Europe/Atlantis"}, "schedule timezone 'Europe/Atlantis' is unknown"),
    ],
)
def test_an_environment_schedule_freshness_would_refuse_fails_the_render(change: dict[str, Any], message: str) -> None:
    values = load_environment("dev").schedule.model_dump()
    assert Schedule.model_validate(values).schedules == ["0 0 1 * *"]
    with pytest.raises(ValidationError, match=message):
        Schedule.model_validate({**values, **change})

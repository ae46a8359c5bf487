"""The prune CronWorkflow in the pipeline chart: off by default, its schedule from values, Hera's file verbatim."""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.deploy.manifests import CHARTS, ENVS, deploy_values, merge, render

CHART = CHARTS / "tributary"


@pytest.mark.parametrize("env", ENVS)
def test_prune_is_off_by_default(env: str) -> None:
    rendered = render(CHART, deploy_values("tributary", env), release="tributary")
    assert [d["metadata"]["name"] for d in rendered.of_kind("CronWorkflow")] == ["tributary-scheduled"]


@pytest.mark.parametrize("env", ENVS)
def test_enabled_prune_runs_steps_prune_on_its_schedule_under_the_pipeline_mutex(env: str) -> None:
    values = merge(deploy_values("tributary", env), {"prune": {"enabled": True, "schedule": "30 2 1 * *"}})
    rendered = render(CHART, values, release="tributary")
    cron = rendered.named("CronWorkflow", "tributary-prune")
    assert cron["spec"]["schedules"] == ["30 2 1 * *"]
    spec = cron["spec"]["workflowSpec"]
    assert spec["synchronization"] == {"mutexes": [{"name": "tributary"}]}
    (template,) = spec["templates"]
    assert template["container"]["command"] == ["python", "-m", "steps.prune"]
    assert "/tributary-dbt" in template["container"]["image"] or template["container"]["image"].startswith(
        "tributary-dbt"
    )
    text = next(t for n, t in rendered.files.items() if n.endswith("templates/prune-cronworkflow.yaml"))
    original = (CHART / "files" / env / "prune-cronworkflow.yaml").read_text()
    image = template["container"]["image"]
    expected = original.replace("  - 0 4 * * 0\n", '  - "30 2 1 * *"\n')
    expected = "\n".join(
        f"{line.split('image:')[0]}image: {image}" if "image: tributary-dbt" in line else line
        for line in expected.splitlines()
    )
    assert expected.strip() in "\n".join(
        f"{line.split('image:')[0]}image: {image}" if line.strip().startswith("image:") else line
        for line in text.splitlines()
    )
    assert "tributary-prune" in rendered.files[next(n for n in rendered.files if n.endswith("NOTES.txt"))]


@pytest.mark.parametrize("schedule", ["never", "0 4 * *", ""])
def test_a_schedule_that_is_not_cron_is_refused(schedule: str) -> None:
    good = merge(deploy_values("tributary", "dev"), {"prune": {"enabled": True, "schedule": "0 3 * * 1"}})
    values = merge(good, {"prune": {"schedule": schedule}})
    with helm.Chart.load(CHART) as loaded:
        loaded.validate_schema(good)
        with pytest.raises(Exception, match="schedule"):
            loaded.validate_schema(values)

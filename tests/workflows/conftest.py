"""Fixtures for the workflows tests: rendered manifests (Hera imported once) and stand-in local runs."""

from __future__ import annotations

import copy
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from workflows.argo.render import Rendered, render
from workflows.local.execute import LocalConfigMap, LocalResources, LocalWorkflow
from workflows.local.run import LocalRun, config_file
from workflows.local.spec import parse_workflow

HERE = Path(__file__).resolve().parent


GOLDEN_SOURCES = ("worldbank", "vn_provinces")


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """The manifests of every environment for two fixed sources, whatever the shell sets for images.

    The sources are fixed so that enabling another source in the packaged configuration does not change the
    goldens; ``test_render.py`` checks separately that rendering follows the configuration.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TRIBUTARY_IMAGE_REGISTRY", raising=False)
        mp.delenv("TRIBUTARY_IMAGE_TAG", raising=False)
        return {env: render(env, sources=GOLDEN_SOURCES) for env in ("dev", "staging", "prod")}


def standin_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """The rendered spec with every ``python -m steps.<stage>`` replaced by ``python -m standin_stage <stage>``."""
    doc = copy.deepcopy(doc)
    for template in doc["spec"]["templates"]:
        container = template.get("container")
        if container:
            stage = container["command"][2].removeprefix("steps.")
            container["command"] = ["python", "-m", "standin_stage"]
            container["args"] = [stage, *container.get("args", [])]
    return doc


@dataclass
class StandinRun:
    """A local run of a (stand-in) spec, with what the stand-ins recorded."""

    workflow: LocalWorkflow
    record_dir: Path
    progress: io.StringIO
    sleeps: list[float] = field(default_factory=list)

    def calls(self, key: str | None = None) -> list[dict[str, Any]]:
        path = self.record_dir / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        records = [json.loads(line) for line in lines]
        return [r for r in records if key is None or r["key"] == key]

    def phases(self) -> dict[str, str]:
        return {name: run.phase for name, run in self.workflow.runner.runs.items()}


@pytest.fixture
def standin_run(tmp_path: Path, rendered: dict[str, Rendered]) -> Callable[..., StandinRun]:
    """Build a local run of the dev spec with stand-in stages; ``plan`` drives them (see standin_stage.py)."""

    def build(
        plan: dict[str, Any] | None = None,
        *,
        doc: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
        not_needed: dict[str, str] | None = None,
        parameters: dict[str, str] | None = None,
        extra_config: dict[str, str] | None = None,
    ) -> StandinRun:
        record_dir = tmp_path / "records"
        record_dir.mkdir(exist_ok=True)
        run = LocalRun(run_id="local-test", lake=str(tmp_path / "lake"), sources=("worldbank", "vn_provinces"))
        data = {
            "TRIBUTARY_LAKE": run.lake,
            "TRIBUTARY_CONFIG": str(config_file(run)),
            "STANDIN_DIR": str(record_dir),
            "STANDIN_PLAN": json.dumps(plan or {}),
            **(extra_config or {}),
        }
        given = secrets if secrets is not None else {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
        resources = LocalResources(
            config_maps={"tributary-config": LocalConfigMap(data=data, files={"pipeline.yaml": config_file(run)})},
            secrets=lambda _secret, key: given.get(key),
            not_needed=not_needed or {},
            base_env={"PATH": os.environ["PATH"], "PYTHONPATH": str(HERE)},
        )
        progress = io.StringIO()
        result = StandinRun(workflow=None, record_dir=record_dir, progress=progress)  # type: ignore[arg-type]
        result.workflow = LocalWorkflow(
            parse_workflow(standin_spec(doc or rendered["dev"].workflow_template)),
            run_id=run.run_id,
            resources=resources,
            work_dir=tmp_path / "runs" / run.run_id,
            parameters=parameters,
            progress=progress,
            sleep=result.sleeps.append,
        )
        return result

    return build

"""``tributary run --schedule/--timezone/--scheduled-at``: refused in one line before anything is written."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import tributary
from workflows.argo.render import render
from workflows.argo.scheduling import PARAMETERS


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tributary("run", "--lake", "lake", *args, cwd=cwd, timeout=300)


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _refused(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("tributary run: ") and ". Fix: " in lines[0], proc.stderr
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--schedule", "0 0 1 * * *"], "schedule '0 0 1 * * *' is not a five-field cron expression"),
        (["--schedule", "0 0 1 * *", "--timezone", "UTC+7"], "schedule timezone 'UTC+7' is unknown"),
        (["--schedule", "0 0 1 * *", "--scheduled-at", "March"], "--scheduled-at 'March' is not an ISO 8601 time"),
        (["--scheduled-at", "2027-03-01"], "--scheduled-at '2027-03-01' is given without --schedule"),
        (["--timezone", "Asia/Ho_Chi_Minh"], "--timezone 'Asia/Ho_Chi_Minh' is given without --schedule"),
    ],
    ids=["cron", "zone", "time", "time-without-schedule", "zone-without-schedule"],
)
def test_bad_schedule_arguments(tmp_path: Path, args: list[str], expected: str) -> None:
    before = _tree(tmp_path)
    _refused(_run(tmp_path, *args), expected)
    assert _tree(tmp_path) == before  # no lake, no work folder


def _without_schedule(doc: dict[str, Any]) -> dict[str, Any]:
    """The template as rendered before it had schedule parameters."""
    names = set(PARAMETERS)
    spec = doc["spec"]
    spec["arguments"]["parameters"] = [p for p in spec["arguments"]["parameters"] if p["name"] not in names]
    for template in spec["templates"]:
        if template["name"] == "freshness":
            template["inputs"]["parameters"] = [p for p in template["inputs"]["parameters"] if p["name"] not in names]
            args = template["container"]["args"]
            template["container"]["args"] = args[: args.index("--schedule")]
        for task in (template.get("dag") or {}).get("tasks", []):
            given = (task.get("arguments") or {}).get("parameters", [])
            task.get("arguments", {})["parameters"] = [p for p in given if p["name"] not in names]
    return doc


def test_a_spec_rendered_before_schedules_is_refused_with_a_schedule(tmp_path: Path) -> None:
    doc = _without_schedule(render("dev", sources=("worldbank", "vn_provinces")).workflow_template)
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(doc))
    before = _tree(tmp_path)
    proc = _run(tmp_path, "--spec", str(old), "--schedule", "0 0 1 * *")
    _refused(proc, f"--spec {old} declares no workflow parameters schedule, scheduled-at, timezone")
    assert _tree(tmp_path) == before

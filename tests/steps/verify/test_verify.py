"""The verify stage: one line per problem, exit 2 for configuration, 75 for unreachable."""

import json
from pathlib import Path

import yaml

from tests.conftest import StageEnv, write_config
from workflows.replay.server import Fault, ReplayServer


def test_everything_reachable(local_stage: StageEnv) -> None:
    proc = local_stage.run("verify", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr


def test_unreachable_source_is_transient_and_named(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="/worldbank/", status=503))
    proc = local_stage.run("verify", "--run-id", "r1")
    assert proc.returncode == 75
    problems = [ln for ln in proc.stderr.splitlines() if ln.startswith("verify: ")]
    assert problems[0].startswith("verify: source worldbank: worldbank: GET ")
    assert problems[1].startswith("verify: 1 of 4 checks failed: source worldbank: worldbank: GET ")
    assert len(problems) == 2


def test_several_problems_one_line_each_and_config_wins(
    local_stage: StageEnv, replay_server: ReplayServer, tmp_path
) -> None:
    replay_server.add_fault(Fault(path="/worldbank/", status=503))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    local_stage.lake = str(blocker / "lake")  # a lake below a regular file cannot be created
    proc = local_stage.run("verify", "--run-id", "r1")
    assert proc.returncode == 2
    problems = [ln for ln in proc.stderr.splitlines() if ln.startswith("verify: ")]
    assert [p.split(":")[1].strip() for p in problems[:-1]] == ["lake", "warehouse", "source worldbank"]
    # the last line alone (what the runner shows) names every failed check
    assert problems[-1].startswith("verify: 3 of 4 checks failed: lake: ")
    assert " | warehouse: " in problems[-1] and " | source worldbank: " in problems[-1]


def test_bad_config_file_is_exit_2(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    write_config(local_stage.config, replay_server, worldbank={"per_page": 0})
    proc = local_stage.run("verify", "--run-id", "r1")
    assert proc.returncode == 2 and "sources.worldbank.per_page" in proc.stderr.splitlines()[-1]


def test_every_problem_line_is_kept_in_the_stage_result(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    """The report and the alert read the problems from the stage result: each one whole, named by its check."""
    replay_server.add_fault(Fault(path="/worldbank/", status=503))
    doc = yaml.safe_load(local_stage.config.read_text())
    doc["sources"]["fred"] = {"base_url": replay_server.base_url("fred"), "series": ["GDP"], "start_date": "2020-01-01"}
    local_stage.config.write_text(yaml.safe_dump(doc))
    proc = local_stage.run("verify", "--run-id", "r1")
    assert proc.returncode == 2
    printed = [ln.removeprefix("verify: ") for ln in proc.stderr.splitlines() if ln.startswith("verify: ")][:-1]
    result = json.loads((Path(local_stage.lake) / "reports/r1/stages/verify.json").read_text())
    assert result["metrics"]["problems"] == printed
    by_check = {p.split(": ")[0]: p for p in printed}
    assert sorted(by_check) == ["source fred", "source worldbank"]
    assert "FRED_API_KEY" in by_check["source fred"] and "HTTP 503" in by_check["source worldbank"]

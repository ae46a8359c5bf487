"""Bad input to ``tributary run``: exit 2, exactly one line with the fix, no traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import tributary
from tests.conftest import REPO, StageEnv, write_config
from workflows.replay.server import ReplayServer


def _tributary(cwd: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``tributary run <args>`` from ``cwd`` (relative paths are the user's)."""
    return tributary("run", *args, env={"PYTHONPATH": str(REPO), **(extra or {})}, cwd=cwd, timeout=300)


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _refused(proc: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The one line of a refused run, after checking the contract: exit 2, one line, a fix, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("tributary run: ") and ". Fix: " in lines[0], lines[0]
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def config(tmp_path: Path, replay_server: ReplayServer) -> Path:
    """A valid configuration of the two replay sources."""
    return write_config(tmp_path / "pipeline.yaml", replay_server)


def _edit(config: Path, **worldbank: object) -> Path:
    doc = yaml.safe_load(config.read_text())
    doc["sources"]["worldbank"].update(worldbank)
    config.write_text(yaml.safe_dump(doc))
    return config


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"bogus": 1}, "sources.worldbank.bogus: Extra inputs are not permitted"),
        ({"per_page": "many"}, "sources.worldbank.per_page: Input should be a valid integer"),
        ({"max_age_days": 0}, "sources.worldbank.max_age_days: Input should be greater than 0"),
    ],
    ids=["unknown-key", "bad-type", "max-age-zero"],
)
def test_bad_config_key(tmp_path: Path, config: Path, edit: dict[str, object], expected: str) -> None:
    _edit(config, **edit)
    before = _tree(tmp_path)
    proc = _tributary(tmp_path, "--lake", "lake", "--config", str(config))
    _refused(proc, expected, str(config))
    assert _tree(tmp_path) == before


def test_malformed_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n")
    proc = _tributary(tmp_path, "--lake", "lake", "--config", str(bad))
    _refused(proc, "is not valid YAML", "line 2")
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--snapshot", "2025-13-01"], "--snapshot '2025-13-01' is not a date"),
        (["--sources", ","], "--sources ',' names no source"),
        (["--sources", "nope"], "unknown source 'nope'"),
        (["--run-id", "../../x"], "run id '../../x' is not usable"),
        (["--run-id", "{outside}"], "run id '{outside}' is not usable"),
        (["--spec", "missing.yaml"], "cannot read --spec missing.yaml"),
        (["--parallelism", "0"], "--parallelism 0 is less than 1"),
    ],
    ids=[
        "snapshot",
        "sources-empty",
        "sources-unknown",
        "run-id-traversal",
        "run-id-absolute",
        "spec-missing",
        "parallelism-zero",
    ],
)
def test_bad_argument(tmp_path: Path, config: Path, args: list[str], expected: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    outside = str(tmp_path / "outside")  # an absolute run id
    before = _tree(tmp_path)
    args = [a.format(outside=outside) for a in args]
    proc = _tributary(work, "--replay", "--lake", "deep/lake", "--config", str(config), *args)
    _refused(proc, expected.format(outside=outside))
    assert _tree(tmp_path) == before  # nothing in the lake, nothing outside it (../../x resolves to tmp_path)


def test_lake_is_a_file(tmp_path: Path, config: Path) -> None:
    (tmp_path / "afile").write_text("not a lake")
    proc = _tributary(tmp_path, "--lake", "afile", "--config", str(config))
    _refused(proc, "--lake afile is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_lake_is_read_only(tmp_path: Path, config: Path) -> None:
    (tmp_path / "ro").mkdir(mode=0o555)
    proc = _tributary(tmp_path, "--lake", "ro", "--config", str(config))
    _refused(proc, "--lake ro is not writable")


@pytest.mark.parametrize("content", ["{", ""], ids=["corrupt", "empty"])
def test_corrupt_state_is_refused_with_its_path(tmp_path: Path, config: Path, content: str) -> None:
    state = tmp_path / "lake/state/worldbank.json"
    state.parent.mkdir(parents=True)
    state.write_text(content)
    proc = _tributary(tmp_path, "--lake", "lake", "--config", str(config))
    _refused(proc, f"state file {state} is corrupt", "--force")
    assert state.read_text() == content


def test_corrupt_state_on_s3_is_refused_before_anything_runs(
    tmp_path: Path, config: Path, s3_server: str, s3_bucket: str, s3: Any
) -> None:
    from tests.conftest import S3_KEYS

    s3.put_object(Bucket=s3_bucket, Key="state/worldbank.json", Body=b"{")
    extra = {**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server}
    proc = _tributary(tmp_path, "--lake", f"s3://{s3_bucket}", "--config", str(config), extra=extra)
    _refused(proc, f"state file s3://{s3_bucket}/state/worldbank.json is corrupt", "--force")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert keys == ["state/worldbank.json"]  # no lease, no report: refused before the run began
    assert not (tmp_path / ".tributary").exists()


def test_corrupt_state_with_force_is_set_aside(local_stage: StageEnv) -> None:
    state = Path(local_stage.lake) / "state/worldbank.json"
    state.parent.mkdir(parents=True)
    state.write_text("{")
    refused = local_stage.run("freshness", "--run-id", "r1")
    assert refused.returncode == 2 and f"state file {state} is corrupt" in refused.stderr.splitlines()[-1]
    forced = local_stage.run("freshness", "--run-id", "r2", "--force", "true")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert "set it aside as state/worldbank.json.corrupt-r2" in forced.stderr
    assert not state.exists() and (state.parent / "worldbank.json.corrupt-r2").read_text() == "{"


def test_verify_failures_are_shown_on_the_terminal(tmp_path: Path, config: Path) -> None:
    doc = yaml.safe_load(config.read_text())
    doc["sources"]["fred"] = {"base_url": "http://127.0.0.1:9/fred", "series": ["GDP"], "start_date": "2020-01-01"}
    config.write_text(yaml.safe_dump(doc))
    proc = _tributary(tmp_path, "--lake", "lake", "--config", str(config), "--launcher", "process")
    assert proc.returncode == 2, proc.stderr[-2000:]
    failed = next(ln for ln in proc.stderr.splitlines() if ln.startswith("✗ verify"))
    assert "1 of 5 checks failed: source fred: fred: environment variable" in failed and "FRED_API_KEY" in failed


def test_read_only_lake_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from steps.errors import ConfigError
    from workflows.local import preflight

    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(preflight.os, "access", lambda *_: False)  # as root every folder is writable
    with pytest.raises(ConfigError) as refused:
        preflight.check_lake(str(tmp_path / "ro"))
    assert refused.value.exit_code == 2
    assert refused.value.line() == (
        f"--lake {tmp_path / 'ro'} is not writable. Fix: choose a folder you can write, or fix its permissions"
    )

"""The retention policy in the pipeline configuration: defaults, and one line for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from steps.config import load_config
from steps.errors import ConfigError
from tests.cli import REPO, tributary


def _config(tmp_path: Path, retention: object) -> Path:
    body = yaml.safe_load((REPO / "steps/defaults/pipeline.yaml").read_text())
    body["retention"] = retention
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def test_the_packaged_defaults_keep_what_a_rebuild_needs() -> None:
    policy = load_config().retention
    assert (policy.raw.keep_days, policy.raw.keep_runs) == (90, 3)
    assert (policy.reports.keep_days, policy.reports.keep_runs) == (180, 12)
    assert (policy.quarantine.keep_days, policy.quarantine.keep_runs) == (90, None)
    assert policy.bronze.keeps_everything() and not policy.bronze.allow_history_loss


@pytest.mark.parametrize(
    ("retention", "where"),
    [
        ({"raw": {"keep_days": -1}}, "retention.raw.keep_days"),
        ({"reports": {"keep_runs": 0}}, "retention.reports.keep_runs"),
        ({"bronze": {"keep_run": 6}}, "retention.bronze.keep_run"),
        ({"archive": {"keep_runs": 1}}, "retention.archive"),
        ({"bronze": {"allow_history_loss": "maybe"}}, "retention.bronze.allow_history_loss"),
    ],
)
def test_a_bad_policy_is_one_line_naming_the_key(tmp_path: Path, retention: object, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, retention))
    assert where in caught.value.line() and "\n" not in caught.value.line()


def test_tributary_prune_refuses_a_bad_policy_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    config = _config(tmp_path, {"raw": {"keep_days": 0}})
    proc = tributary("prune", "--lake", str(tmp_path / "lake"), "--config", str(config))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("prune: config ")
    assert "retention.raw.keep_days" in proc.stderr and "Traceback" not in proc.stderr


def test_tributary_prune_refuses_a_bad_as_of(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    proc = tributary("prune", "--lake", str(tmp_path / "lake"), "--as-of", "next tuesday", "--dry-run")
    assert proc.returncode == 2
    assert "--as-of 'next tuesday' is not a date or time" in proc.stderr

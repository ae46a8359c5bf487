"""Bad input to ``tributary status``: exit 2 and one line with the fix, before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflows.status.conftest import refused, status


def test_a_missing_lake_folder(tmp_path: Path) -> None:
    refused(status("--lake", str(tmp_path / "nope")), 2, f"lake folder {tmp_path / 'nope'} does not exist", "--lake")


def test_a_lake_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "lake").write_text("not a folder")
    refused(status("--lake", str(tmp_path / "lake")), 2, "is not a folder")


def test_a_folder_no_run_wrote(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    refused(status("--lake", str(tmp_path / "photos")), 2, "no Tributary lake at", "nothing under state/ or reports/")


def test_an_unsupported_lake_scheme() -> None:
    refused(status("--lake", "ftp://host/lake"), 2, "unsupported scheme")


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [("61 * * * *", "'61 * * * *' is not a five-field cron expression"), ("  ", "the schedule is empty")],
)
def test_a_bad_schedule(tmp_path: Path, schedule: str, expected: str) -> None:
    refused(status("--lake", str(tmp_path), "--schedule", schedule), 2, expected)


def test_a_bad_configuration_file(tmp_path: Path) -> None:
    bad = tmp_path / "pipeline.yaml"
    bad.write_text("sources:\n  worldbank:\n    max_age_days: 0\n")
    refused(status("--lake", str(tmp_path), "--config", str(bad)), 2, "sources.worldbank.max_age_days")
    refused(status("--lake", str(tmp_path), "--config", str(tmp_path / "none.yaml")), 2, "cannot read config file")


def test_a_corrupt_state_file(tmp_path: Path) -> None:
    (tmp_path / "lake" / "state").mkdir(parents=True)
    (tmp_path / "lake" / "state" / "worldbank.json").write_text("{")
    refused(status("--lake", str(tmp_path / "lake")), 2, "state/worldbank.json is corrupt")


def test_cluster_options_without_cluster(tmp_path: Path) -> None:
    refused(status("--lake", str(tmp_path), "--namespace", "x"), 2, "--namespace and --kubeconfig apply to --cluster")


def test_a_bad_grace_is_refused_by_the_parser(tmp_path: Path) -> None:
    proc = status("--lake", str(tmp_path), "--grace", "soon")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith("'soon' is not a duration; use e.g. 0s, 30m, 6h or 1h30m")


def test_schedule_and_env_exclude_each_other(tmp_path: Path) -> None:
    proc = status("--lake", str(tmp_path), "--env", "dev", "--schedule", "0 0 1 * *")
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr

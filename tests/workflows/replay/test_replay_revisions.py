"""Revised values (``--revise``): the replay serves them instead of its shipped data, and refuses bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.cli import run_replay, tributary
from workflows.replay import data
from workflows.replay.revisions import parse_revision
from workflows.replay.server import ReplayServer

GDP = "NY.GDP.MKTP.CD"


def _values(server: ReplayServer, indicator: str = GDP) -> dict[str, float | None]:
    url = f"{server.base_url('worldbank')}/country/VN/indicator/{indicator}"
    _, records = requests.get(url, params={"format": "json", "date": "2018:2025"}, timeout=10).json()
    return {record["date"]: record["value"] for record in records}


def test_a_revision_replaces_exactly_its_value() -> None:
    revisions = [parse_revision(f"worldbank:{GDP}:2020=346615509519.5"), parse_revision(f"worldbank:{GDP}:2019=null")]
    with ReplayServer(revisions=revisions) as revised, ReplayServer() as shipped:
        before, after = _values(shipped), _values(revised)
        assert after["2020"] == 346615509519.5 != before["2020"] == data.worldbank_values()[(GDP, 2020)]
        assert after["2019"] is None  # withdrawn
        assert {year: v for year, v in after.items() if year not in ("2019", "2020")} == {
            year: v for year, v in before.items() if year not in ("2019", "2020")
        }
        assert _values(revised, "FP.CPI.TOTL.ZG") == _values(shipped, "FP.CPI.TOTL.ZG")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("worldbank:NY.GDP.MKTP.CD:2020", "expected PROVIDER:KEY=VALUE"),
        ("fred:DGS10:2020-01-01=1", "provider 'fred' takes no revisions"),
        ("worldbank:NO.SUCH.CODE:2020=1", "bad World Bank revision key 'NO.SUCH.CODE:2020'"),
        ("worldbank:NY.GDP.MKTP.CD:1989=1", "a year 1990-2025"),
        ("worldbank:NY.GDP.MKTP.CD:2020=lots", "bad World Bank revision value 'lots'"),
    ],
)
def test_a_bad_revision_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=r"bad (revision|World Bank revision)") as refused:
        parse_revision(text)
    assert named in str(refused.value)


def test_tributary_run_refuses_a_bad_revision_in_one_line(tmp_path: Path) -> None:
    proc = run_replay(str(tmp_path), "--revise", "worldbank:NY.GDP.MKTP.CD:2020=lots")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "--revise: bad World Bank revision value 'lots'" in line and "Traceback" not in proc.stderr
    without_replay = tributary("run", "--lake", str(tmp_path), "--revise", "worldbank:NY.GDP.MKTP.CD:2020=1")
    assert without_replay.returncode == 2
    assert "--revise needs --replay" in without_replay.stderr

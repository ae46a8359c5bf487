"""One failing source never blocks the others: ``tributary run --replay`` with a batch the bronze gate rejects.

The configuration enables ``fx_files`` (a folder of CSV files) beside World Bank and the provinces; its file's
``rate`` column holds only integers, so the ingest infers int64 and the bronze gate, which expects float64,
rejects the batch. The run must still build and publish the other two sources, then end with exit 2 naming
fx_files and the failing expectation.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.browser import dump_dom
from tests.cli import run_replay, tributary
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

INTEGER_RATES = "rate_date,currency,rate\n2024-01-02,USD,25000\n2024-01-02,EUR,27000\n"
DECIMAL_RATES = "rate_date,currency,rate\n2024-01-02,USD,25000.5\n2024-01-02,EUR,27000.25\n"
TYPE_FAILURE = 'fx_files.fx_rates: expect_column_values_to_be_of_type(rate) observed "int64", expected "float64"'
# The packaged configuration through the replay server: World Bank VN 2014-2024 and the pre-reform map.
GOLD = {"gold.dim_macro_indicators": 11, "gold.dim_location": 10_810, "gold.snp_locations": 10_810}


def _config(root: Path) -> tuple[Path, Path]:
    """The packaged configuration with fx_files enabled on a folder holding one integer-only CSV file."""
    drop = root / "drop"
    drop.mkdir(parents=True)
    (drop / "2024-01-02.csv").write_text(INTEGER_RATES)
    config = yaml.safe_load((REPO / "steps" / "defaults" / "pipeline.yaml").read_text())
    config["sources"]["fx_files"].update(enabled=True, location=str(drop))
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, drop


def _counts(lake: Path) -> dict[str, int]:
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('silver', 'gold') order by 1"
        ).fetchall()
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}  # type: ignore[index]


def _summary(lake: Path, run_id: str) -> dict[str, Any]:
    return json.loads((lake / "reports" / run_id / "summary.json").read_text())


def _phases(summary: dict[str, Any]) -> dict[str, str]:
    return {t["task"]: t["phase"] for t in summary["tasks"]}


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """A fresh lake after a run whose fx_files batch the bronze gate rejects: (root, lake, the run)."""
    root = tmp_path_factory.mktemp("isolation")
    config, _ = _config(root)
    lake = root / "lake"
    return root, lake, run_replay(lake, "--config", str(config), "--run-id", "held")


def test_the_other_sources_reach_gold_and_the_run_ends_with_exit_2(held: tuple[Path, Path, Any]) -> None:
    _, lake, proc = held
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    counts = _counts(lake)
    assert {t: counts[t] for t in GOLD} == GOLD
    assert counts["silver.stg_worldbank__indicator_values"] == 33
    assert counts["silver.stg_fx_files__fx_rates"] == 0  # held back: its batch never reached silver
    assert (lake / "quarantine/fx_files/held/rejection.json").is_file()
    assert not (lake / "state/fx_files.json").exists()  # rolled back: the next run ingests it again
    phases = _phases(_summary(lake, "held"))
    assert {t: phases[t] for t in ("validate-bronze", "dbt-silver", "dbt-gold", "validate-gold")} == dict.fromkeys(
        ("validate-bronze", "dbt-silver", "dbt-gold", "validate-gold"), "Succeeded"
    )
    assert phases["held-back"] == "Failed"
    # the runner's progress line of the failed task ends with the task's one-line error
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("✗ held-back")]
    assert "held-back: held back by the bronze gate (the other sources were published): " in line
    assert f"fx_files ({TYPE_FAILURE})" in line and "Fix: the rejected batches are in quarantine/fx_files/held/" in line


def test_the_summary_says_which_source_was_held_back_and_why(held: tuple[Path, Path, Any]) -> None:
    _, lake, proc = held
    summary = _summary(lake, "held")
    assert summary["status"] == "failed" and summary["failed_tasks"] == ["held-back"]
    assert summary["held_back"] == [
        {"source": "fx_files", "failures": [TYPE_FAILURE], "quarantine": "quarantine/fx_files/held"}
    ]
    sources = {s["source"]: s["status"] for s in summary["sources"]}
    assert sources == {"fx_files": "rejected", "vn_provinces": "succeeded", "worldbank": "succeeded"}
    (gate,) = [g for g in summary["validation"] if g["gate"] == "bronze"]
    assert gate["outcome"] == "held back" and gate["rejected"] == ["fx_files"]
    (problem,) = summary["problems"]
    assert problem["task"] == "held-back" and problem["exit_code"] == 2 and problem["lines"] == [TYPE_FAILURE]
    markdown = (lake / "reports/held/summary.md").read_text()
    assert (
        "## Held back\n\nNot in this run's silver and gold; the other sources were published.\n\n"
        f"- fx_files: its batch was rejected by the bronze gate ({TYPE_FAILURE}); "
        "quarantined in quarantine/fx_files/held/\n"
    ) in markdown
    assert "Held back (not in this run's silver and gold; the other sources were published):" in proc.stdout


def test_a_rendered_spec_run_agrees_with_the_local_run(held: tuple[Path, Path, Any], tmp_path: Path) -> None:
    root, lake, _ = held
    config = root / "pipeline.yaml"
    rendered = tributary("render", "--env", "dev", "--config", str(config), "--out", str(tmp_path / "files"))
    assert rendered.returncode == 0, rendered.stderr
    other = tmp_path / "lake"
    proc = run_replay(other, "--spec", str(tmp_path / "files" / "workflowtemplate.yaml"), "--config", str(config))
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_id,) = [p.name for p in (other / "reports").iterdir()]
    assert _phases(_summary(other, run_id)) == _phases(_summary(lake, "held"))
    assert _counts(other) == _counts(lake)
    assert _summary(other, run_id)["held_back"][0]["failures"] == [TYPE_FAILURE]


def test_the_next_run_ingests_the_fixed_file(held: tuple[Path, Path, Any]) -> None:
    root, lake, _ = held
    (root / "drop" / "2024-01-02.csv").write_text(DECIMAL_RATES)

    proc = run_replay(lake, "--config", str(root / "pipeline.yaml"), "--run-id", "fixed")

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = _summary(lake, "fixed")
    assert summary["held_back"] == [] and _phases(summary)["held-back"] == "Skipped"
    assert _counts(lake)["silver.stg_fx_files__fx_rates"] == 2


def test_a_run_of_one_source_on_a_fresh_lake_succeeds_through_gold(tmp_path: Path) -> None:
    """The provinces are enabled but absent: their dbt test and the gold gate's checks must not fail for them."""
    lake = tmp_path / "lake"
    proc = run_replay(lake, "--sources", "worldbank", "--run-id", "one")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    counts = _counts(lake)
    assert counts["gold.dim_macro_indicators"] == GOLD["gold.dim_macro_indicators"]
    assert counts["gold.dim_location"] == 0 and counts["silver.int_locations_unioned"] == 0
    summary = _summary(lake, "one")
    phases = _phases(summary)
    assert phases["validate-gold"] == "Succeeded" and phases["held-back"] == "Skipped"
    (gate,) = [g for g in summary["validation"] if g["gate"] == "gold"]
    assert gate["outcome"] == "passed"
    gold = json.loads((lake / "reports/one/stages/validate-gold.json").read_text())["metrics"]
    assert "vn_provinces: no delivery yet, so nothing in gold to check (freshness, coverage)" in gold["notes"]
    assert [f["source"] for f in gold["freshness"]] == ["worldbank"]


# Where the first failing expectation's row ends on a 1280x800 screen, written into the page by a probe script.
_PROBE = (
    "<script>const row = [...document.querySelectorAll('.problem tr')].find(r => r.textContent.includes('int64'));"
    "document.body.dataset.bottom = row ? row.getBoundingClientRect().bottom : -1;</script>"
)


def test_the_html_report_opens_on_the_held_back_sources_failing_expectation(
    held: tuple[Path, Path, Any], tmp_path: Path
) -> None:
    _, lake, _ = held
    page = (lake / "reports/held/index.html").read_text()
    assert "<script" not in page
    probe = tmp_path / "index.html"
    probe.write_text(page.replace("</body>", _PROBE + "</body>"))
    dom = dump_dom(probe.as_uri())
    row = re.search(r"<tr><td>(.*?)</tr>", dom[dom.index('class="problem"') :])
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", "<tr><td>" + row.group(1) + "</tr>")
    assert re.sub(r"<[^>]+>", "", cells[0]) == "fx_files.fx_rates"  # linked to its validation page
    assert 'href="gx/bronze/docs/validations/bronze/fx_files/fx_rates/held/' in cells[0]
    assert cells[1:3] == ["<code>expect_column_values_to_be_of_type</code>", "rate"]
    assert "observed <code>int64</code> (expected <code>float64</code>)" in cells[4]
    bottom = float(re.search(r'data-bottom="([-\d.]+)"', dom).group(1))  # type: ignore[union-attr]
    assert 0 < bottom <= 800, f"the failing expectation ends at {bottom}px: below the first screen"

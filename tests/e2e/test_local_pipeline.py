"""``tributary run --replay`` end to end on a fresh lake: the acceptance scenario of the local pipeline."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.browser import ArgoArtifactServer, dump_dom, external_references, text_of
from tests.cli import run_replay
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

SHIPPED = REPO / "workflows" / "replay" / "data" / "worldbank_VN_2010_2024.csv"


def _run(lake: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_replay(lake, *args)


def _query(lake: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _counts(lake: Path) -> dict[str, int]:
    tables = _query(
        lake,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('silver', 'gold') order by 1",
    )
    return {t: _query(lake, f"select count(*) from {t}")[0][0] for (t,) in tables}  # type: ignore[misc]


def _summary(lake: Path) -> dict[str, object]:
    latest = sorted((lake / "reports").glob("*/summary.json"))[-1]
    return json.loads(latest.read_text())


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("e2e") / "lake"
    proc = _run(lake, "--run-id", "first")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Run first: SUCCEEDED" in proc.stdout
    return lake


def test_gold_macro_indicators_match_the_shipped_world_bank_figures(lake: Path) -> None:
    with SHIPPED.open() as fh:
        shipped = {(r["indicator_code"], int(r["year"])): float(r["value"]) for r in csv.DictReader(fh)}
    rows = _query(
        lake,
        "select year, gdp_usd, inflation_pct, unemployment_pct, gdp_usd_prev_year, "
        "gdp_usd_yoy_change, gdp_usd_yoy_pct, inflation_pct_yoy_change "
        "from gold.dim_macro_indicators where country_iso3 = 'VNM' order by year",
    )
    assert [r[0] for r in rows] == list(range(2014, 2025))
    for year, gdp, cpi, unemp, gdp_prev, gdp_chg, gdp_pct, cpi_chg in rows:
        assert gdp == shipped[("NY.GDP.MKTP.CD", year)]
        assert cpi == shipped[("FP.CPI.TOTL.ZG", year)]
        assert unemp == shipped[("SL.UEM.TOTL.ZS", year)]
        if year == 2014:  # 2013 was not requested: no previous value
            assert gdp_prev is None and gdp_chg is None and gdp_pct is None
        else:
            prev = shipped[("NY.GDP.MKTP.CD", year - 1)]
            assert gdp_prev == prev
            assert gdp_chg == pytest.approx(gdp - prev)
            assert gdp_pct == pytest.approx((gdp - prev) / prev * 100)
            assert cpi_chg == pytest.approx(cpi - shipped[("FP.CPI.TOTL.ZG", year - 1)])


def test_gold_location_holds_the_pre_reform_units(lake: Path) -> None:
    counts = dict(
        _query(
            lake,
            "select location_level, count(*) from gold.dim_location where is_current "  # type: ignore[arg-type]
            "group by 1",
        )
    )
    assert counts == {"province": 63, "district": 696, "ward": 10051}


def test_summary_reports_sources_layers_and_tasks(lake: Path) -> None:
    summary = _summary(lake)
    sources = {s["source"]: s for s in summary["sources"]}  # type: ignore[attr-defined]
    assert sources["worldbank"]["rows"] == {"indicator_values": 33}
    assert sources["vn_provinces"]["rows"] == {"provinces": 63, "districts": 696, "wards": 10051}
    assert {layer["layer"]: layer["status"] for layer in summary["layers"]} == {  # type: ignore[attr-defined]
        "silver": "succeeded",
        "gold": "succeeded",
    }
    phases = {t["task"]: t["phase"] for t in summary["tasks"]}  # type: ignore[attr-defined]
    assert phases.pop("held-back") == "Skipped"  # nothing held back by the bronze gate
    assert all(p == "Succeeded" for p in phases.values()) and "ingest-worldbank" in phases
    assert (lake / "reports/first/summary.md").exists()


def test_freshness_gauges_of_the_run_match_the_lake(lake: Path) -> None:
    """reports/<run>/metrics.prom: what the exit handler exports is what the state files say."""
    from datetime import datetime

    from tests.steps.summary.promtext import parse

    gauges = parse((lake / "reports/first/metrics.prom").read_text())
    states = {s: json.loads((lake / f"state/{s}.json").read_text()) for s in ("worldbank", "vn_provinces")}
    assert {s: st["last_success"]["run_id"] for s, st in states.items()} == dict.fromkeys(states, "first")
    assert gauges.series("tributary_source_last_success_timestamp_seconds") == {
        s: datetime.fromisoformat(st["last_success"]["finished_at"]).timestamp() for s, st in states.items()
    }
    assert gauges.series("tributary_source_max_age_seconds") == dict.fromkeys(states, 30 * 86400)
    assert gauges.series("tributary_source_overdue") == dict.fromkeys(states, 0)


def test_rerun_skips_fresh_sources_and_changes_nothing(lake: Path) -> None:
    before = _counts(lake)
    mtime = (lake / "warehouse.duckdb").stat().st_mtime_ns
    proc = _run(lake, "--run-id", "second")
    assert proc.returncode == 0, proc.stderr
    summary = _summary(lake)
    assert [s["status"] for s in summary["sources"]] == ["skipped", "skipped"]  # type: ignore[attr-defined]
    assert all(s["reason"].startswith("fresh: last ingest") for s in summary["sources"])  # type: ignore[attr-defined]
    assert [layer["status"] for layer in summary["layers"]] == ["skipped", "skipped"]  # type: ignore[attr-defined]
    assert _counts(lake) == before
    assert (lake / "warehouse.duckdb").stat().st_mtime_ns == mtime


def test_forced_rerun_reingests_without_duplicates(lake: Path) -> None:
    before = _counts(lake)
    proc = _run(lake, "--run-id", "third", "--force")
    assert proc.returncode == 0, proc.stderr
    assert [s["status"] for s in _summary(lake)["sources"]] == ["succeeded", "succeeded"]  # type: ignore[index]
    assert _counts(lake) == before


def test_post_reform_snapshot_closes_old_units_and_adds_new_ones(lake: Path) -> None:
    proc = _run(lake, "--run-id", "fourth", "--force", "--snapshot", "2026-02-21", "--sources", "vn_provinces")
    assert proc.returncode == 0, proc.stderr
    current = dict(_query(lake, "select location_level, count(*) from gold.dim_location where is_current group by 1"))  # type: ignore[arg-type]
    assert current == {"province": 34, "ward": 3321}
    closed = dict(
        _query(
            lake,
            "select location_level, count(*) from gold.dim_location "  # type: ignore[arg-type]
            "where not is_current and effective_to is not null group by 1",
        )
    )
    assert closed["district"] == 696 and closed["province"] >= 29
    # every unit has exactly one current version at most, and versions never overlap
    assert _query(
        lake,
        "select count(*) from (select location_id from gold.dim_location where is_current "
        "group by 1 having count(*) > 1)",
    ) == [(0,)]
    hanoi = _query(
        lake,
        "select location_name, is_current from gold.dim_location where location_id = 'province-1' "
        "order by effective_from",
    )
    assert hanoi == [("Thành phố Hà Nội", False), ("Thành phố Hà Nội", True)] or hanoi[-1][1] is True


def _validations(report: Path, gate: str) -> list[str]:
    """The suites the gate validated, from its GX results (``bronze.worldbank.indicator_values``, …)."""
    return sorted(f"{gate}.{p.stem}" for p in (report / "gx" / gate / "results").glob("*.json"))


def test_no_page_of_the_run_refers_to_anything_outside_its_folder(lake: Path) -> None:
    report = lake / "reports" / "first"
    assert sorted(p.name for p in report.glob("*.html")) == ["index.html"]
    assert len(list(report.rglob("*.html"))) > 10  # the report, and every gate's Data Docs pages
    assert external_references(report) == []
    # Argo's artifact folder stays empty in a local run: the node folders are kept in the lake, nothing uploads them
    assert (lake / ".runs/first/nodes/onExit/mounts/tmp").is_dir()
    assert not (lake / ".runs/first/nodes/onExit/mounts/tmp/report").exists()


def test_offline_in_a_browser_the_report_shows_every_task_and_the_data_docs_list_every_validation(lake: Path) -> None:
    report = lake / "reports" / "first"
    text = text_of(dump_dom((report / "index.html").as_uri()))
    assert re.match(r"Run first ?: succeeded", text) and "Nothing to do: every task succeeded." in text
    for task in _summary(lake)["tasks"]:  # type: ignore[attr-defined]
        assert text.count(task["task"]) >= 2, task  # in the timeline and in the task table
    for gate in ("bronze", "gold"):
        dom = dump_dom((report / "gx" / gate / "docs" / "index.html").as_uri())
        # bootstrap-table (vendored) drew the list from the page's data: one clickable row per validation
        rows = re.findall(r'<tr[^>]*data-href="validations/([^"]+)/[^/"]+/[^/"]+/[^/"]+\.html"', dom)
        assert sorted(r.replace("/", ".") for r in rows) == _validations(report, gate)
        assert "tributary-plain-list" not in dom  # the script-free list gave way to the table


def test_in_the_argo_ui_with_scripts_blocked_the_data_docs_still_list_every_validation(lake: Path) -> None:
    """The report folder served as the Argo UI serves an artifact folder: its Content-Security-Policy blocks scripts.

    The run report itself has no script, so it shows there as it does offline (the test above).
    """
    report = lake / "reports" / "first"
    with ArgoArtifactServer(report) as argo:
        for gate in ("bronze", "gold"):
            docs = f"{argo.url}gx/{gate}/docs/"
            dom = dump_dom(docs + "index.html")
            assert "data-href=" not in dom  # no script ran...
            listed = re.findall(r'<li><a href="(validations/[^"]+)">([^<]+)</a> — Success', dom)
            assert sorted(name for _, name in listed) == _validations(report, gate)  # ...yet every validation shows
            page = urllib.request.urlopen(docs + listed[0][0]).read().decode()
            sheets = re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', page)
            base = docs + listed[0][0].rsplit("/", 1)[0] + "/"
            for sheet in sheets:  # the validation page's styles come from the artifact folder itself
                assert urllib.request.urlopen(base + sheet).status == 200

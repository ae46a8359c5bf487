"""The HTML run report (pure): what a failed run shows first, escaping and secrets, links, the timeline chart."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steps.summary.html import render_html, timeline_svg
from tests.browser import external_references

GATE_FAILURE = {
    "dataset": "fx_files.fx_rates",
    "expectation": "expect_column_values_to_match_regex",
    "columns": ["currency"],
    "unexpected_count": 2,
    "sample": ["usd", "eu<r>"],
    "rows": ["2024-01-02/usd"],
}
PAGE = "gx/bronze/docs/validations/bronze/fx_files/fx_rates/r1/20260101T000000Z/frames-bronze.fx_files.fx_rates.html"


def _summary(**over: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "run_id": "r1",
        "status": "failed",
        "launcher": "process",
        "failed_tasks": ["validate-bronze"],
        "sources": [
            {
                "source": "fx_files",
                "status": "succeeded",
                "rows": {"fx_rates": 2},
                "pages": 1,
                "requests": 0,
                "response_bytes": 2048,
                "bronze_bytes": 1024,
                "duration_s": 0.5,
                "quota": {"day": "2026-01-01", "used": 12, "per_day": 120, "sent": 3},
                "drift": ["fx_rates"],
                "reason": "never ingested",
            }
        ],
        "layers": [],
        "changes": [],
        "validation": [
            {
                "gate": "bronze",
                "status": "failed",
                "outcome": "failed",
                "duration_s": 3.0,
                "expectations": {"evaluated": 10, "passed": 9, "failed": 1},
                "failures": ["fx_files.fx_rates: expect_column_values_to_match_regex(currency) 2 unexpected"],
                "failures_total": 1,
                "docs": "/lake/reports/r1/gx/bronze/docs/index.html",
                "pages": {"fx_files.fx_rates": PAGE},
            }
        ],
        "held_back": [],
        "tasks": [
            {"task": "verify", "phase": "Succeeded", "duration_s": 1.0, "exit_code": 0, "message": ""},
            {"task": "validate-bronze", "phase": "Failed", "duration_s": 3.0, "exit_code": 2, "message": "bad"},
            {"task": "dbt-silver", "phase": "Omitted", "duration_s": 0.0, "exit_code": None, "message": ""},
        ],
        "timeline": {
            "started_at": "2026-01-01T00:00:00+00:00",
            "spans": [
                {"task": "verify", "phase": "Succeeded", "start_s": 0.0, "duration_s": 1.0},
                {"task": "validate-bronze", "phase": "Failed", "start_s": 1.5, "duration_s": 3.0},
                {"task": "dbt-silver", "phase": "Omitted", "start_s": None, "duration_s": 0.0},
            ],
        },
        "problems": [
            {
                "task": "validate-bronze",
                "phase": "Failed",
                "exit_code": 2,
                "message": "bronze gate failed: fx_files. Fix: correct the file and run again",
                "lines": ["fx_files.fx_rates: expect_column_values_to_match_regex(currency) 2 unexpected"],
                "expectations": [GATE_FAILURE],
            }
        ],
        "reports": "reports/r1",
    }
    return {**summary, **over}


def test_a_failed_gate_opens_on_its_failing_expectations_with_sample_values_and_the_fix() -> None:
    page = render_html(_summary())
    first = page.index("What went wrong")
    assert first < page.index("<h2>Sources") < page.index("<h2>Timeline") < page.index("<h2>Tasks")
    problem = page[first : page.index("<h2>Sources")]
    assert "Fix: correct the file and run again" in problem
    assert "<code>expect_column_values_to_match_regex</code>" in problem
    assert "<code>usd</code>, <code>eu&lt;r&gt;</code>" in problem  # the sample values, escaped
    assert f'<a href="{PAGE}">fx_files.fx_rates</a>' in problem  # its validation page, relative
    assert '<a href="gx/bronze/docs/index.html">' in problem


def test_every_value_is_escaped_and_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRED_API_KEY", "s3cr3t-value-123")
    summary = _summary()
    summary["tasks"][1]["message"] = "<script>alert(1)</script> GET https://api.example/x?api_key=s3cr3t-value-123"
    summary["sources"][0]["source"] = '"><img src=x onerror=alert(1)>'
    page = render_html(summary)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "s3cr3t-value-123" not in page and "api_key=***" in page


def test_the_page_is_self_contained(tmp_path: Any) -> None:
    (tmp_path / "index.html").write_text(render_html(_summary()))
    assert external_references(tmp_path) == []
    page = (tmp_path / "index.html").read_text()
    assert "<script" not in page and "<link" not in page and "@import" not in page


def test_sources_show_rows_bytes_quota_and_drift() -> None:
    page = render_html(_summary(status="succeeded", problems=[], failed_tasks=[]))
    assert "Nothing to do: every task succeeded." in page
    row = re.search(r"<tr><td>fx_files</td>.*?</tr>", page)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    assert cells[2:9] == ["fx_rates 2", "1", "0", "2.0 KB", "1.0 KB", "0.5s", "12 of 120 on 2026-01-01"]
    assert cells[9:] == ["fx_rates", "never ingested"]


def test_the_timeline_draws_one_bar_per_task_that_ran_at_its_start() -> None:
    spans = _summary()["timeline"]["spans"]
    svg = timeline_svg(spans)
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert len(bars) == 2  # dbt-silver never ran: named, with no bar
    (x0, w0), (x1, w1) = ((float(x), float(w)) for x, w in bars)
    assert x1 > x0 + w0  # validate-bronze starts after verify ended
    assert w1 == pytest.approx(3 * w0)  # and ran three times as long
    assert "dbt-silver</text>" in svg and "Omitted (did not run)" in svg
    assert "<title>validate-bronze: Failed, from +1.5s, 3.0s</title>" in svg

"""The notification builder (pure): fields for a generic receiver, a short mrkdwn ``text``, secrets masked."""

from __future__ import annotations

import json
from typing import Any

from steps.summary.alert import TEXT_CHARS, build_payload

VERIFY_FAILED: dict[str, Any] = {
    "run_id": "tributary-x7k2p",
    "status": "failed",
    "failed_tasks": ["verify"],
    "reports": "reports/tributary-x7k2p",
    "report": "s3://lake/reports/tributary-x7k2p/summary.md",
    "problems": [
        {
            "task": "verify",
            "phase": "Failed",
            "exit_code": 2,
            "message": "2 of 5 checks failed: source fred: fred: environment variable FRED_API_KEY is not set. Fix: "
            "set FRED_API_KEY | source eia: eia: GET https://api.eia.gov/v2/x?api_key=abcdef0123456789&frequency="
            "monthly failed: HTTP 403 <Forbidden> & more. Fix: check EIA_API_KEY",
            "lines": [
                "source fred: fred: environment variable FRED_API_KEY is not set. Fix: set FRED_API_KEY",
                "source eia: eia: GET https://api.eia.gov/v2/x?api_key=abcdef0123456789&frequency=monthly "
                "failed: HTTP 403 <Forbidden> & more. Fix: check EIA_API_KEY",
            ],
        }
    ],
    "sources": [
        {"source": "worldbank", "status": "not run", "reason": "the run ended before its freshness decision"},
        {"source": "fred", "status": "not run", "reason": "the run ended before its freshness decision"},
    ],
    "freshness": [{"source": "worldbank", "overdue": False}, {"source": "fred", "overdue": True}],
}

GATE_FAILED: dict[str, Any] = {
    "run_id": "local-20260301",
    "status": "failed",
    "failed_tasks": ["validate-bronze"],
    "reports": "reports/local-20260301",
    "report": "/data/lake/reports/local-20260301/summary.md",
    "problems": [
        {
            "task": "validate-bronze",
            "phase": "Failed",
            "exit_code": 2,
            "message": "bronze gate failed: …. Fix: the rejected batches are in quarantine/worldbank/local-20260301/",
            "lines": [
                "worldbank.indicator_values: expect_column_values_to_be_between(value) 1 unexpected [-1.5] at "
                "country_iso3/indicator_id/year [VNM/NY.GDP.MKTP.CD/2019]"
            ],
            "expectations": [
                {
                    "dataset": "worldbank.indicator_values",
                    "expectation": "expect_column_values_to_be_between",
                    "columns": ["value"],
                    "unexpected_count": 1,
                    "sample": [-1.5],
                }
            ],
        }
    ],
    "sources": [
        {"source": "worldbank", "status": "rejected", "error": "rejected by the bronze gate: worldbank…"},
        {"source": "vn_provinces", "status": "succeeded", "rows": {"provinces": 63, "districts": 696, "wards": 10051}},
        {"source": "eia", "status": "skipped", "reason": "fresh: last ingest 2.0d ago (run r9), max_age 30d"},
        {"source": "noaa", "status": "failed", "error": "noaa: GET … HTTP 500"},
    ],
}


def test_verify_failure_payload_has_every_problem_line_masked() -> None:
    payload = build_payload(VERIFY_FAILED)
    assert list(payload)[:4] == ["text", "run_id", "status", "report"]
    assert payload["report"] == "s3://lake/reports/tributary-x7k2p/summary.md"
    (failure,) = payload["failures"]
    assert failure["task"] == "verify" and failure["exit_code"] == 2
    assert failure["lines"][0].startswith("source fred: fred: environment variable FRED_API_KEY is not set")
    assert "api_key=***&frequency=monthly" in failure["lines"][1]
    assert "abcdef0123456789" not in json.dumps(payload)
    assert payload["sources"][0] == {
        "source": "worldbank",
        "outcome": "not run",
        "detail": "not run: the run ended before its freshness decision",
    }
    assert payload["overdue"] == ["fred"]


def test_verify_failure_text_is_slack_mrkdwn() -> None:
    text = build_payload(VERIFY_FAILED)["text"]
    assert text.splitlines() == [
        "*Tributary run `tributary-x7k2p` FAILED*",
        "*verify* (Failed, exit 2)",
        "• source fred: fred: environment variable FRED_API_KEY is not set. Fix: set FRED_API_KEY",
        "• source eia: eia: GET https://api.eia.gov/v2/x?api_key=***&amp;frequency=monthly failed: "
        "HTTP 403 &lt;Forbidden&gt; &amp; more. Fix: check EIA_API_KEY",
        "Sources: worldbank not run; fred not run",
        "Overdue (past max_age_days): fred",
        "Report: s3://lake/reports/tributary-x7k2p/summary.md",
    ]


def test_gate_failure_payload_has_the_expectation_and_its_sample_values() -> None:
    payload = build_payload(GATE_FAILED)
    (failure,) = payload["failures"]
    assert failure["expectations"][0]["columns"] == ["value"] and failure["expectations"][0]["sample"] == [-1.5]
    assert (
        "*validate-bronze* (Failed, exit 2)\n• worldbank.indicator_values: expect_column_values_to_be_between(value)"
        in (payload["text"])
    )
    assert "\n→ Fix: the rejected batches are in quarantine/worldbank/local-20260301/\nSources: " in payload["text"]
    assert [(s["source"], s["outcome"]) for s in payload["sources"]] == [
        ("worldbank", "rejected"),
        ("vn_provinces", "ingested"),
        ("eia", "skipped"),
        ("noaa", "failed"),
    ]
    assert payload["sources"][1]["rows"] == 10_810 and payload["sources"][1]["detail"] == "ingested 10,810 rows"
    assert "Sources: worldbank rejected; vn_provinces ingested 10,810 rows; eia skipped; noaa failed" in payload["text"]


def test_known_secrets_are_masked_everywhere_and_the_text_stays_short() -> None:
    summary = json.loads(json.dumps(GATE_FAILED))
    hook = "https://hooks.slack.com/services/T0/B0/abcdefXYZ123"
    summary["problems"][0]["lines"] = [f"line {i}: posting to {hook} failed" for i in range(200)]
    summary["problems"][0]["message"] = "password s3cr3t-value-99 leaked"
    payload = build_payload(summary, [hook, "s3cr3t-value-99"])
    dumped = json.dumps(payload)
    assert hook not in dumped and "s3cr3t-value-99" not in dumped and "posting to *** failed" in dumped
    assert len(payload["text"]) <= TEXT_CHARS
    assert "• … 195 more in the report" in payload["text"]


def test_a_clean_run_says_so_in_one_glance() -> None:
    summary = {
        "run_id": "r1",
        "status": "succeeded",
        "failed_tasks": [],
        "reports": "reports/r1",
        "report": "/lake/reports/r1/summary.md",
        "problems": [],
        "sources": [{"source": "worldbank", "status": "succeeded", "rows": {"indicator_values": 33}}],
        "freshness": [{"source": "worldbank", "overdue": False}],
    }
    payload = build_payload(summary)
    assert payload["text"] == (
        "*Tributary run `r1` succeeded*\nSources: worldbank ingested 33 rows\nReport: /lake/reports/r1/summary.md"
    )
    assert payload["failures"] == [] and payload["overdue"] == []


def test_a_long_line_is_cut_in_its_middle_so_its_fix_stays() -> None:
    summary = json.loads(json.dumps(VERIFY_FAILED))
    long = "source noaa: noaa: GET https://x/" + "a" * 500 + " failed. Fix: the source is unavailable; retry later"
    summary["problems"][0].update(lines=[long], message=f"1 of 5 checks failed: {long}")
    (line,) = [ln for ln in build_payload(summary)["text"].splitlines() if ln.startswith("• source noaa")]
    assert len(line) <= 2 + 300 and line.endswith("aaa…. Fix: the source is unavailable; retry later")
    assert "→ Fix" not in build_payload(summary)["text"]  # verify's fixes are in its lines already

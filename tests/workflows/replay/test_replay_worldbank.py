"""World Bank v2 replay: pagination, date ranges, null years, errors and the exact wire format."""

from __future__ import annotations

import csv
from typing import Any

import pytest
import requests

from workflows.replay import data
from workflows.replay.server import ReplayServer

GDP = "NY.GDP.MKTP.CD"
CPI = "FP.CPI.TOTL.ZG"
UNEMPLOYMENT = "SL.UEM.TOTL.ZS"
INVALID_BODY = b'[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]'
EMPTY_BODY = b'[{"page":0,"pages":0,"per_page":0,"total":0,"sourceid":null,"lastupdated":null},null]'


def get(
    http: requests.Session, server: ReplayServer, countries: str = "VN", indicator: str = GDP, **params: str
) -> requests.Response:
    """GET the data endpoint with ``format=json`` unless told otherwise."""
    params.setdefault("format", "json")
    url = f"{server.base_url('worldbank')}/country/{countries}/indicator/{indicator}"
    return http.get(url, params=params, timeout=10)


def dates(records: list[dict[str, Any]]) -> list[str]:
    """The ``date`` of each record."""
    return [record["date"] for record in records]


def test_pagination_metadata_and_order(http: requests.Session, server: ReplayServer) -> None:
    pages = [get(http, server, date="2014:2024", per_page="5", page=str(n)).json() for n in (1, 2, 3)]

    for number, (metadata, _) in enumerate(pages, start=1):
        assert metadata == {
            "page": number,
            "pages": 3,
            "per_page": 5,
            "total": 11,
            "sourceid": "2",
            "lastupdated": "2026-07-01",
        }
    assert dates(pages[0][1]) == ["2024", "2023", "2022", "2021", "2020"]
    assert dates(pages[2][1]) == ["2014"]
    assert [d for _, records in pages for d in dates(records)] == [str(y) for y in range(2024, 2013, -1)]


def test_page_beyond_pages_gives_metadata_and_empty_list(http: requests.Session, server: ReplayServer) -> None:
    metadata, records = get(http, server, date="2014:2024", per_page="5", page="4").json()

    assert metadata["page"] == 4
    assert metadata["pages"] == 3
    assert records == []


def test_record_fields_in_api_order(http: requests.Session, server: ReplayServer) -> None:
    _, records = get(http, server, date="2024").json()

    assert records == [
        {
            "indicator": {"id": GDP, "value": "GDP (current US$)"},
            "country": {"id": "VN", "value": "Viet Nam"},
            "countryiso3code": "VNM",
            "date": "2024",
            "value": 476324572783.807,
            "unit": "",
            "obs_status": "",
            "decimal": 0,
        }
    ]
    assert list(records[0]) == [
        "indicator",
        "country",
        "countryiso3code",
        "date",
        "value",
        "unit",
        "obs_status",
        "decimal",
    ]


@pytest.mark.parametrize(
    ("indicator", "name", "decimal"),
    [
        (GDP, "GDP (current US$)", 0),
        (CPI, "Inflation, consumer prices (annual %)", 1),
        (UNEMPLOYMENT, "Unemployment, total (% of total labor force) (modeled ILO estimate)", 1),
    ],
)
def test_values_are_the_shipped_csv_exactly(
    http: requests.Session, server: ReplayServer, indicator: str, name: str, decimal: int
) -> None:
    response = get(http, server, indicator=indicator, date="2010:2024", per_page="100")
    csv_rows = csv.DictReader((data.DATA_DIR / data.WORLDBANK_CSV).read_text().splitlines())
    expected = {row["year"]: row["value"] for row in csv_rows if row["indicator_code"] == indicator}

    _, records = response.json()
    assert len(records) == 15
    assert {record["indicator"]["value"] for record in records} == {name}
    assert {record["decimal"] for record in records} == {decimal}
    for year, text in expected.items():  # the number on the wire is the CSV text, not a re-rounded float
        assert f'"date":"{year}","value":{text},'.encode() in response.content


@pytest.mark.parametrize(
    ("indicator", "first_year"), [(GDP, 1990), (CPI, 1996), (UNEMPLOYMENT, 1991)], ids=["gdp", "cpi", "unemployment"]
)
def test_earlier_years_are_the_shipped_history_csv_exactly(
    http: requests.Session, server: ReplayServer, indicator: str, first_year: int
) -> None:
    response = get(http, server, indicator=indicator, date="1990:2009", per_page="100")
    csv_rows = csv.DictReader((data.DATA_DIR / data.WORLDBANK_HISTORY_CSV).read_text().splitlines())
    expected = {row["year"]: row["value"] for row in csv_rows if row["indicator_code"] == indicator}

    _, records = response.json()
    assert dates(records) == [str(y) for y in range(2009, 1989, -1)]
    assert sorted(expected) == [str(y) for y in range(first_year, 2010)]
    for year, text in expected.items():  # the number on the wire is the CSV text, not a re-rounded float
        assert f'"date":"{year}","value":{text},'.encode() in response.content
    # years before the World Bank's series starts are served as the API serves them: null
    assert [r["date"] for r in records if r["value"] is None] == [str(y) for y in range(first_year - 1, 1989, -1)]


def test_a_backfill_range_and_the_configured_range_do_not_overlap(http: requests.Session, server: ReplayServer) -> None:
    backfill = get(http, server, date="2000:2005").json()
    configured = get(http, server, date="2014:2024").json()

    assert (backfill[0]["total"], configured[0]["total"]) == (6, 11)
    assert dates(backfill[1]) == [str(y) for y in range(2005, 1999, -1)]
    assert backfill[1][0]["value"] == 57633255738.1992  # GDP 2005, from the history file


def test_without_date_every_known_year_newest_first(http: requests.Session, server: ReplayServer) -> None:
    metadata, records = get(http, server).json()

    assert metadata["total"] == 36
    assert metadata["per_page"] == 50
    assert dates(records) == [str(y) for y in range(2025, 1989, -1)]


def test_2025_is_known_with_null_value(http: requests.Session, server: ReplayServer) -> None:
    response = get(http, server, indicator=CPI, date="2024:2025")
    metadata, records = response.json()

    assert metadata["total"] == 2
    assert records[0]["date"] == "2025"
    assert records[0]["value"] is None
    assert b'"date":"2025","value":null,' in response.content
    assert isinstance(records[1]["value"], float)


@pytest.mark.parametrize("date", ["2026", "1989", "1980:1989", "2026:2030", "2024:2014"])
def test_valid_query_without_data_is_the_recorded_empty_body(
    http: requests.Session, server: ReplayServer, date: str
) -> None:
    response = get(http, server, date=date)

    assert response.status_code == 200
    assert response.content == EMPTY_BODY
    assert len(response.content) == 85


@pytest.mark.parametrize(
    ("countries", "indicator"),
    [("ZZ", GDP), ("VN", "NOT.AN.INDICATOR"), ("VN;ZZ", GDP), ("VN", GDP.lower()), ("", GDP)],
)
def test_unknown_country_or_indicator_is_http_200_with_message(
    http: requests.Session, server: ReplayServer, countries: str, indicator: str
) -> None:
    response = get(http, server, countries=countries or ";", indicator=indicator)

    assert response.status_code == 200
    assert response.content == INVALID_BODY


@pytest.mark.parametrize("params", [{"date": "20x4"}, {"page": "0"}, {"per_page": "-5"}, {"per_page": "abc"}])
def test_malformed_parameters_give_the_invalid_value_message(
    http: requests.Session, server: ReplayServer, params: dict[str, str]
) -> None:
    assert get(http, server, **params).content == INVALID_BODY


@pytest.mark.parametrize("countries", ["VNM", "vnm", "vn", "VN;VNM", "all", "ALL"])
def test_country_code_forms(http: requests.Session, server: ReplayServer, countries: str) -> None:
    metadata, records = get(http, server, countries=countries, date="2020:2024").json()

    assert metadata["total"] == 5
    assert {record["countryiso3code"] for record in records} == {"VNM"}


def test_language_prefix(http: requests.Session, server: ReplayServer) -> None:
    url = f"{server.base_url('worldbank')}/en/country/VN/indicator/{GDP}"
    metadata, _ = http.get(url, params={"format": "json", "date": "2024"}, timeout=10).json()

    assert metadata["total"] == 1


def test_mrv_and_mrnev(http: requests.Session, server: ReplayServer) -> None:
    _, mrv = get(http, server, mrv="3").json()
    _, mrnev = get(http, server, mrnev="2").json()

    assert dates(mrv) == ["2025", "2024", "2023"]
    assert mrv[0]["value"] is None
    assert dates(mrnev) == ["2024", "2023"]


def test_wire_format_is_compact_json_with_api_headers(http: requests.Session, server: ReplayServer) -> None:
    response = get(http, server, date="2023:2024")

    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.content.startswith(b'[{"page":1,"pages":1,"per_page":50,"total":2,"sourceid":"2",')
    assert b", " not in response.content
    assert b'": ' not in response.content


def test_without_format_json_the_answer_is_xml(http: requests.Session, server: ReplayServer) -> None:
    url = f"{server.base_url('worldbank')}/country/VN/indicator/{GDP}"
    response = http.get(url, params={"date": "2024"}, timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?><wb:data page="1"')
    assert "<wb:value>476324572783.807</wb:value>" in response.text


def test_other_paths_below_worldbank_are_404(http: requests.Session, server: ReplayServer) -> None:
    response = http.get(f"{server.base_url('worldbank')}/sources", timeout=10)

    assert response.status_code == 404
    assert response.json()["error"] == "not found"

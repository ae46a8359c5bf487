"""Vietnam provinces replay: pre-reform v1 (raw depth-3 file), post-reform v1/v2, errors and redirects."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
import requests

from workflows.replay import data
from workflows.replay.server import POST_REFORM_SNAPSHOT, PRE_REFORM_SNAPSHOT, REFORM_DATE, ReplayServer

CACHE_CONTROL = "s-maxage=30, stale-while-revalidate"
V2_PROVINCE_CODES = [1, 4, 8, 11, 12, 14, 15, 19, 20, 22, 24, 25, 31, 33, 37, 38, 40, 42, 44, 46, 48, 51, 52,
                     56, 66, 68, 75, 79, 80, 82, 86, 91, 92, 96]  # fmt: skip
V1_DEPTH4_BODY = (
    b'{"detail":[{"type":"less_than_equal","loc":["query","depth"],'
    b'"msg":"Input should be less than or equal to 3","input":"4","ctx":{"le":3}}]}'
)


@pytest.fixture
def post_reform(server: ReplayServer) -> ReplayServer:
    """The test server switched to the post-reform snapshot."""
    server.snapshot = POST_REFORM_SNAPSHOT
    return server


def get(http: requests.Session, server: ReplayServer, path: str, **params: str) -> requests.Response:
    """GET a provinces path without following redirects."""
    return http.get(f"{server.base_url('vn_provinces')}{path}", params=params, timeout=10, allow_redirects=False)


def districts_of(provinces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All districts of a v1 tree."""
    return [district for province in provinces for district in province["districts"]]


# --- pre-reform ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/", "/api/v1/"])
def test_pre_reform_depth3_is_the_raw_file_as_served(http: requests.Session, server: ReplayServer, path: str) -> None:
    response = get(http, server, path, depth="3")

    assert response.status_code == 200
    assert response.content == data.read_bytes(data.PROVINCES_V1_RAW)
    provinces = response.json()
    districts = districts_of(provinces)
    wards = [ward for district in districts for ward in district["wards"]]
    assert (len(provinces), len(districts), len(wards)) == (63, 696, 10051)
    # the 2025-01-04 file's quirks: one division_type per level, short_codename, no parent codes
    assert {p["division_type"] for p in provinces} == {"tỉnh"}
    assert {d["division_type"] for d in districts} == {"huyện"}
    assert {w["division_type"] for w in wards} == {"xã"}
    assert list(districts[0]) == ["name", "code", "codename", "division_type", "short_codename", "wards"]
    assert "district_code" not in wards[0]


def test_pre_reform_depth1_and_depth2_have_the_model_shape(http: requests.Session, server: ReplayServer) -> None:
    depth1 = get(http, server, "/api/", depth="1").json()
    default = get(http, server, "/api/").json()
    depth2 = get(http, server, "/api/v1/", depth="2").json()

    assert default == depth1
    assert len(depth1) == 63
    assert all(p["districts"] == [] for p in depth1)
    assert list(depth1[0]) == ["name", "code", "division_type", "codename", "phone_code", "districts"]
    assert depth1[0]["division_type"] == "thành phố trung ương"
    districts = districts_of(depth2)
    assert len(districts) == 696
    assert all(d["wards"] == [] for d in districts)
    assert list(districts[0]) == ["name", "code", "division_type", "codename", "province_code", "wards"]
    assert {d["division_type"] for d in districts} == {"huyện", "quận", "thành phố", "thị xã"}


def test_pre_reform_one_province(http: requests.Session, server: ReplayServer) -> None:
    hanoi = get(http, server, "/api/p/1", depth="3").json()
    same = get(http, server, "/api/v1/p/1", depth="3").json()
    shallow = get(http, server, "/api/p/1").json()

    assert hanoi == same
    assert hanoi["name"] == "Thành phố Hà Nội"
    assert len(hanoi["districts"]) == 30
    assert all(w["district_code"] == d["code"] for d in hanoi["districts"] for w in d["wards"])
    assert shallow["districts"] == []


def test_pre_reform_unknown_province(http: requests.Session, server: ReplayServer) -> None:
    response = get(http, server, "/api/p/99")

    assert response.status_code == 404
    assert response.content == b'{"detail":"invalid-province-code"}'


def test_pre_reform_has_no_v2(http: requests.Session, server: ReplayServer) -> None:
    for path in ("/api/v2/", "/api/v2/p/1"):
        response = get(http, server, path, depth="1")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("depth", "error"),
    [
        (
            "4",
            {"type": "less_than_equal", "ctx": {"le": 3}, "msg": "Input should be less than or equal to 3"},
        ),
        (
            "0",
            {
                "type": "greater_than_equal",
                "ctx": {"ge": 1},
                "msg": "Input should be greater than or equal to 1",
            },
        ),
        (
            "x",
            {
                "type": "int_parsing",
                "msg": "Input should be a valid integer, unable to parse string as an integer",
            },
        ),
    ],
)
def test_v1_depth_validation(http: requests.Session, server: ReplayServer, depth: str, error: dict[str, Any]) -> None:
    response = get(http, server, "/api/v1/", depth=depth)

    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["query", "depth"], "input": depth, **error}]}


def test_v1_depth4_body_is_fastapi_exact(http: requests.Session, server: ReplayServer) -> None:
    assert get(http, server, "/api/", depth="4").content == V1_DEPTH4_BODY


def test_v1_non_integer_code(http: requests.Session, server: ReplayServer) -> None:
    response = get(http, server, "/api/v1/p/hanoi")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "code"]


# --- post-reform --------------------------------------------------------------------------------------------


def test_v2_depth1(http: requests.Session, post_reform: ReplayServer) -> None:
    provinces = get(http, post_reform, "/api/v2/", depth="1").json()

    assert [p["code"] for p in provinces] == V2_PROVINCE_CODES
    assert all(p["wards"] == [] for p in provinces)
    assert list(provinces[0]) == ["name", "code", "division_type", "codename", "phone_code", "wards"]
    assert provinces[0]["codename"] == "ha_noi"
    assert Counter(p["division_type"] for p in provinces) == {"tỉnh": 28, "thành phố trung ương": 6}


def test_v2_depth2_is_the_raw_file(http: requests.Session, post_reform: ReplayServer) -> None:
    response = get(http, post_reform, "/api/v2/", depth="2")

    assert response.content == data.read_bytes(data.PROVINCES_V2_NESTED)
    provinces = response.json()
    wards = [ward for province in provinces for ward in province["wards"]]
    assert (len(provinces), len(wards)) == (34, 3321)
    assert Counter(w["division_type"] for w in wards) == {"xã": 2621, "phường": 687, "đặc khu": 13}
    assert "province_code" not in wards[0]


def test_v2_one_province(http: requests.Session, post_reform: ReplayServer) -> None:
    hcmc = get(http, post_reform, "/api/v2/p/79", depth="2").json()
    shallow = get(http, post_reform, "/api/v2/p/79").json()

    codes = [ward["code"] for ward in hcmc["wards"]]
    assert codes == sorted(codes)
    assert {ward["province_code"] for ward in hcmc["wards"]} == {79}
    assert list(hcmc["wards"][0]) == ["name", "code", "division_type", "codename", "province_code"]
    assert shallow["wards"] == []
    assert {k: v for k, v in hcmc.items() if k != "wards"} == {k: v for k, v in shallow.items() if k != "wards"}


def test_v2_every_province_adds_up_to_3321_wards(http: requests.Session, post_reform: ReplayServer) -> None:
    total = sum(
        len(get(http, post_reform, f"/api/v2/p/{code}", depth="2").json()["wards"]) for code in V2_PROVINCE_CODES
    )

    assert total == 3321


def test_v2_unknown_province_is_problem_json(http: requests.Session, post_reform: ReplayServer) -> None:
    response = get(http, post_reform, "/api/v2/p/99", depth="2")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.text == (
        '{"type": "province-not-exist", "title": "Province not exist", "status": 404, '
        '"detail": "No province has code 99"}'
    )


def test_v2_depth3_is_422_with_le_2(http: requests.Session, post_reform: ReplayServer) -> None:
    response = get(http, post_reform, "/api/v2/", depth="3")

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["errors"] == [
        {
            "type": "less_than_equal",
            "loc": ["query", "depth"],
            "msg": "Input should be less than or equal to 2",
            "input": "3",
            "ctx": {"le": 2},
        }
    ]


def test_post_reform_v1_uses_todays_shape(http: requests.Session, post_reform: ReplayServer) -> None:
    response = get(http, post_reform, "/api/v1/", depth="3")

    assert response.content == data.read_bytes(data.PROVINCES_V1_DERIVED)
    provinces = response.json()
    districts = districts_of(provinces)
    wards = [ward for district in districts for ward in district["wards"]]
    assert (len(provinces), len(districts), len(wards)) == (63, 696, 10051)
    assert {d["province_code"] for d in provinces[0]["districts"]} == {provinces[0]["code"]}
    assert "phường" in {w["division_type"] for w in wards}
    assert get(http, post_reform, "/api/v1/p/1").json()["code"] == 1


def test_post_reform_v1_depth4_is_422(http: requests.Session, post_reform: ReplayServer) -> None:
    response = get(http, post_reform, "/api/v1/", depth="4")

    assert response.status_code == 422
    assert response.content == V1_DEPTH4_BODY


@pytest.mark.parametrize(
    ("path", "query", "location"),
    [
        ("/api/", "depth=2", "/provinces/api/v1/?depth=2"),
        ("/api/", "", "/provinces/api/v1/"),
        ("/api/p/1", "depth=2", "/provinces/api/v1/p/1?depth=2"),
    ],
)
def test_post_reform_unversioned_paths_redirect_302(
    http: requests.Session, post_reform: ReplayServer, path: str, query: str, location: str
) -> None:
    url = f"{post_reform.base_url('vn_provinces')}{path}" + (f"?{query}" if query else "")
    response = http.get(url, allow_redirects=False, timeout=10)

    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_post_reform_redirect_is_followed_by_clients(http: requests.Session, post_reform: ReplayServer) -> None:
    response = http.get(f"{post_reform.base_url('vn_provinces')}/api/?depth=2", timeout=10)

    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302]
    assert len(districts_of(response.json())) == 696


# --- both ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("snapshot", [PRE_REFORM_SNAPSHOT, POST_REFORM_SNAPSHOT])
@pytest.mark.parametrize("path", ["/api/", "/api/v1/?depth=9", "/api/v2/p/99", "/api/v1/p/1", "/nothing"])
def test_every_provinces_response_has_cache_control(
    http: requests.Session, server: ReplayServer, snapshot: date, path: str
) -> None:
    server.snapshot = snapshot
    response = http.get(f"{server.base_url('vn_provinces')}{path}", allow_redirects=False, timeout=10)

    assert response.headers["Cache-Control"] == CACHE_CONTROL


def test_reform_boundary(http: requests.Session, server: ReplayServer) -> None:
    server.snapshot = date.fromordinal(REFORM_DATE.toordinal() - 1)
    assert get(http, server, "/api/v2/").status_code == 404
    server.snapshot = REFORM_DATE
    assert get(http, server, "/api/v2/").status_code == 200


def test_responses_are_json_in_utf8(http: requests.Session, server: ReplayServer) -> None:
    response = get(http, server, "/api/p/1")

    assert response.headers["Content-Type"] == "application/json"
    assert "Thành phố Hà Nội".encode() in response.content
    assert json.loads(response.content)["code"] == 1

"""Replay of the Vietnam provinces API (``provinces.open-api.vn``), before and after the 2025 reform.

Served below ``/provinces``. What answers depends on the server's snapshot date (``shared/reference/apis.md``
section 2):

* before :data:`REFORM_DATE` (the API as of early 2025): ``/api/`` and ``/api/v1/`` with ``depth`` 1–3, where
  ``depth=3`` is the library's raw ``nested-divisions.json`` served as-is (``division_type`` quirk,
  ``short_codename``, no parent codes); ``/api/p/{code}`` and ``/api/v1/p/{code}``; ``/api/v2/...`` does not
  exist yet (404 ``{"detail":"Not Found"}``).
* from :data:`REFORM_DATE` on: ``/api/v2/`` (``depth`` 1–2, ``depth=2`` is the raw v2 file as-is),
  ``/api/v2/p/{code}``; ``/api/v1/`` and ``/api/v1/p/{code}`` in today's response-model shape; the unversioned
  ``/api/...`` answers 302 to ``/api/v1/...`` keeping the query string, as the deployed nginx does.

Every answer carries ``Cache-Control: s-maxage=30, stale-while-revalidate``. Response bodies are built once
per (route, depth, code) and cached as bytes.

Not replayed (answer 404): search endpoints, ``/p/`` listings, district and ward endpoints, ``/version``.
The redirect ``Location`` is a path (``/provinces/api/v1/...``), not an absolute URL.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from typing import Any

from workflows.replay import data
from workflows.replay.data import JsonObject
from workflows.replay.registry import Registration, Stateless, register
from workflows.replay.responses import Headers, Response, json_response, query_params

PREFIX = "/provinces"
REFORM_DATE = date(2025, 7, 1)
"""First day of the post-reform API: ``/api/v2`` exists and ``/api/`` redirects to ``/api/v1/``."""

CACHE_CONTROL: Headers = (("Cache-Control", "s-maxage=30, stale-while-revalidate"),)
_JSON: Headers = (("Content-Type", "application/json"),)
_PROBLEM: Headers = (("Content-Type", "application/problem+json"),)
_HTML: Headers = (("Content-Type", "text/html"),)

_V1_MAX_DEPTH = 3
_V2_MAX_DEPTH = 2
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PROVINCE_PATH = re.compile(r"/p/(?P<code>[^/]+)/?")
_REDIRECT_BODY = (
    b"<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n"
    b"<center><h1>302 Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

FASTAPI_NOT_FOUND = json_response(404, {"detail": "Not Found"})

ValidationError = dict[str, Any]


def handle(path: str, query: str, snapshot: date) -> Response:
    """Answer one request below ``/provinces``.

    Args:
        path: The request path with the ``/provinces`` prefix removed, e.g. ``/api/v1/``.
        query: The raw query string.
        snapshot: The date the API is replayed as of; :data:`REFORM_DATE` switches the behaviour.

    Returns:
        The response to send, always with the ``Cache-Control`` header of the real API.
    """
    response = _pre_reform(path, query) if snapshot < REFORM_DATE else _post_reform(path, query)
    return response.with_headers(CACHE_CONTROL)


def _under(path: str, prefix: str) -> str | None:
    """Return the part of ``path`` after ``prefix`` if ``path`` is ``prefix`` or below it, else ``None``."""
    if path == prefix or path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None


def _pre_reform(path: str, query: str) -> Response:
    """Routes of the API before the reform (v1 data only; unversioned and ``/api/v1`` paths both answer)."""
    if _under(path, "/api/v2") is not None:
        return FASTAPI_NOT_FOUND
    for prefix in ("/api/v1", "/api"):
        rest = _under(path, prefix)
        if rest is not None:
            return _v1(rest, query, raw_depth3=True)
    return FASTAPI_NOT_FOUND


def _post_reform(path: str, query: str) -> Response:
    """Routes of the API after the reform (v1 in today's shape, v2, nginx redirect of unversioned paths)."""
    rest = _under(path, "/api/v1")
    if rest is not None:
        return _v1(rest, query, raw_depth3=False)
    rest = _under(path, "/api/v2")
    if rest is not None:
        return _v2(rest, query)
    rest = _under(path, "/api")
    if rest is not None:
        location = f"{PREFIX}/api/v1{rest or '/'}" + (f"?{query}" if query else "")
        return Response(302, (*_HTML, ("Location", location)), _REDIRECT_BODY)
    return FASTAPI_NOT_FOUND


# --- parameter validation (pydantic v2 error items, as FastAPI reports them) --------------------------------


def _int_param(
    raw: str | None, loc: tuple[str, str], default: int, le: int | None
) -> tuple[int, list[ValidationError]]:
    """Validate an integer parameter (``ge=1`` when ``le`` is given) the way FastAPI/pydantic does."""
    if raw is None:
        return default, []
    where = list(loc)
    if not _INTEGER.fullmatch(raw.strip()):
        message = "Input should be a valid integer, unable to parse string as an integer"
        return default, [{"type": "int_parsing", "loc": where, "msg": message, "input": raw}]
    value = int(raw)
    if le is None:
        return value, []
    if value < 1:
        message = "Input should be greater than or equal to 1"
        return value, [{"type": "greater_than_equal", "loc": where, "msg": message, "input": raw, "ctx": {"ge": 1}}]
    if value > le:
        message = f"Input should be less than or equal to {le}"
        return value, [{"type": "less_than_equal", "loc": where, "msg": message, "input": raw, "ctx": {"le": le}}]
    return value, []


def _v1_invalid(errors: list[ValidationError]) -> Response:
    """FastAPI's standard 422 body."""
    return json_response(422, {"detail": errors})


def _problem(status: int, problem: dict[str, Any]) -> Response:
    """An RFC 9457 problem document, rendered with ``json.dumps`` defaults like ``fastapi-problem``."""
    return Response(status, _PROBLEM, json.dumps(problem).encode("utf-8"))


def _v2_invalid(errors: list[ValidationError]) -> Response:
    """``fastapi-problem``'s 422 body for request validation errors."""
    problem = {"type": "request-validation-failed", "title": "Request validation error.", "status": 422}
    return _problem(422, {**problem, "errors": errors})


# --- v1 -----------------------------------------------------------------------------------------------------


def _v1(rest: str, query: str, *, raw_depth3: bool) -> Response:
    """Routes below ``/api/v1`` (or the unversioned ``/api`` before the reform)."""
    params = query_params(query)
    if rest in ("", "/"):
        depth, errors = _int_param(params.get("depth"), ("query", "depth"), 1, _V1_MAX_DEPTH)
        if errors:
            return _v1_invalid(errors)
        if depth == _V1_MAX_DEPTH and raw_depth3:
            return Response(200, _JSON, data.read_bytes(data.PROVINCES_V1_RAW))
        return _v1_all(depth)
    match = _PROVINCE_PATH.fullmatch(rest)
    if match is None:
        return FASTAPI_NOT_FOUND
    code, errors = _int_param(match["code"], ("path", "code"), 0, None)
    depth, depth_errors = _int_param(params.get("depth"), ("query", "depth"), 1, _V1_MAX_DEPTH)
    if errors or depth_errors:
        return _v1_invalid(errors + depth_errors)
    if code not in _v1_index():
        return json_response(404, {"detail": "invalid-province-code"})
    return _v1_province(code, depth)


@functools.cache
def _v1_index() -> dict[int, JsonObject]:
    """The DERIVED (today's v1 shape) provinces by code."""
    return {province["code"]: province for province in data.load_json_list(data.PROVINCES_V1_DERIVED)}


def _v1_cut(province: JsonObject, depth: int) -> JsonObject:
    """Cut a depth-3 v1 province down to ``depth`` (lower levels become ``[]``, like the response model)."""
    if depth >= _V1_MAX_DEPTH:
        return province
    head = {key: value for key, value in province.items() if key != "districts"}
    if depth == 1:
        return {**head, "districts": []}
    districts = [{**{k: v for k, v in d.items() if k != "wards"}, "wards": []} for d in province["districts"]]
    return {**head, "districts": districts}


@functools.cache
def _v1_all(depth: int) -> Response:
    """``/api/v1/?depth=N`` in today's shape, built once per depth."""
    if depth == _V1_MAX_DEPTH:  # the DERIVED file is stored in exactly the compact shape the API serves
        return Response(200, _JSON, data.read_bytes(data.PROVINCES_V1_DERIVED))
    provinces = data.load_json_list(data.PROVINCES_V1_DERIVED)
    return json_response(200, [_v1_cut(province, depth) for province in provinces])


@functools.cache
def _v1_province(code: int, depth: int) -> Response:
    """``/api/v1/p/{code}?depth=N`` for a known code, built once per (code, depth)."""
    return json_response(200, _v1_cut(_v1_index()[code], depth))


# --- v2 -----------------------------------------------------------------------------------------------------


def _v2(rest: str, query: str) -> Response:
    """Routes below ``/api/v2`` (post-reform only)."""
    params = query_params(query)
    if rest in ("", "/"):
        depth, errors = _int_param(params.get("depth"), ("query", "depth"), 1, _V2_MAX_DEPTH)
        if errors:
            return _v2_invalid(errors)
        if depth == _V2_MAX_DEPTH:
            return Response(200, _JSON, data.read_bytes(data.PROVINCES_V2_NESTED))
        return _v2_all()
    match = _PROVINCE_PATH.fullmatch(rest)
    if match is None:
        return FASTAPI_NOT_FOUND
    code, errors = _int_param(match["code"], ("path", "code"), 0, None)
    depth, depth_errors = _int_param(params.get("depth"), ("query", "depth"), 1, _V2_MAX_DEPTH)
    if errors or depth_errors:
        return _v2_invalid(errors + depth_errors)
    if code not in _v2_index():
        detail = f"No province has code {code}"
        return _problem(
            404,
            {"type": "province-not-exist", "title": "Province not exist", "status": 404, "detail": detail},
        )
    return _v2_province(code, depth)


@functools.cache
def _v2_index() -> dict[int, JsonObject]:
    """The raw v2 provinces by code."""
    return {province["code"]: province for province in data.load_json_list(data.PROVINCES_V2_NESTED)}


def _v2_model(province: JsonObject, depth: int) -> JsonObject:
    """A v2 province in the response-model shape: wards ``[]`` at depth 1, sorted with parent code at 2."""
    wards: list[JsonObject] = []
    if depth >= _V2_MAX_DEPTH:
        wards = [
            {
                "name": ward["name"],
                "code": ward["code"],
                "division_type": ward["division_type"],
                "codename": ward["codename"],
                "province_code": province["code"],
            }
            for ward in sorted(province["wards"], key=lambda ward: int(ward["code"]))
        ]
    return {
        "name": province["name"],
        "code": province["code"],
        "division_type": province["division_type"],
        "codename": province["codename"],
        "phone_code": province["phone_code"],
        "wards": wards,
    }


@functools.cache
def _v2_all() -> Response:
    """``/api/v2/?depth=1``, built once."""
    provinces = sorted(data.load_json_list(data.PROVINCES_V2_NESTED), key=lambda province: int(province["code"]))
    return json_response(200, [_v2_model(province, 1) for province in provinces])


@functools.cache
def _v2_province(code: int, depth: int) -> Response:
    """``/api/v2/p/{code}?depth=N`` for a known code, built once per (code, depth)."""
    return json_response(200, _v2_model(_v2_index()[code], depth))


register(Registration(name="provinces", source="vn_provinces", base_path=PREFIX, create=lambda: Stateless(handle)))

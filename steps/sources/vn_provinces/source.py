"""Vietnam provinces API (provinces.open-api.vn): the administrative tree in one request.

Before the 2025 reform the tree is provinces → districts → wards (``/api/?depth=3``); after it, provinces →
wards (``/api/v2/?depth=2``). Both depth responses are the library's raw file, so parent codes come from the
nesting rather than from fields. With ``api: auto`` the v2 tree is used when the server has it (a 404 on v2
means a pre-reform server).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steps.errors import InputError
from steps.http import HttpClient
from steps.sources.base import Dataset, PageRequest, ParsedPage
from steps.sources.vn_provinces import DISTRICTS, NAME, PROVINCES, WARDS
from steps.sources.vn_provinces.config import VnProvincesConfig


@dataclass(frozen=True)
class DivisionTreeStream:
    """The whole tree of one API version in a single response."""

    base_url: str
    api: str  # "v1" or "v2"

    @property
    def stream_id(self) -> str:
        """``tree-v1`` or ``tree-v2``."""
        return f"tree-{self.api}"

    @property
    def raw_name(self) -> str:
        """Pages are kept under raw/vn_provinces/divisions/."""
        return "divisions"

    def first_request(self) -> PageRequest:
        """v1: the unversioned depth=3 tree (what the API served before the reform); v2: the depth=2 tree."""
        if self.api == "v2":
            return PageRequest(f"{self.base_url}/api/v2/", {"depth": "2"})
        return PageRequest(f"{self.base_url}/api/", {"depth": "3"})

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """A single response holds the tree."""
        return ()

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """Flatten the nested tree into provinces, districts and wards with parent codes."""
        if not isinstance(payload, list) or not all(isinstance(p, dict) for p in payload):
            raise InputError(
                f"vn_provinces: GET {request.url} did not return a list of provinces",
                "check sources.vn_provinces.base_url points at provinces.open-api.vn",
            )
        provinces: list[dict[str, Any]] = []
        districts: list[dict[str, Any]] = []
        wards: list[dict[str, Any]] = []
        for prov in payload:
            pcode = _code(prov, "province")
            provinces.append({**_unit(prov), "phone_code": prov.get("phone_code"), "source_api": self.api})
            for ward in prov.get("wards") or []:  # v2: wards hang directly off provinces
                wards.append({**_unit(ward), "district_code": None, "province_code": pcode, "source_api": self.api})
            for dist in prov.get("districts") or []:
                dcode = _code(dist, "district")
                districts.append({**_unit(dist), "province_code": pcode, "source_api": self.api})
                for ward in dist.get("wards") or []:
                    wards.append(
                        {**_unit(ward), "district_code": dcode, "province_code": pcode, "source_api": self.api}
                    )
        total = len(provinces) + len(districts) + len(wards)
        rows = {PROVINCES.name: provinces, DISTRICTS.name: districts, WARDS.name: wards}
        return ParsedPage(rows, total=total, pages=1)


def _code(unit: dict[str, Any], level: str) -> int:
    code = unit.get("code")
    if not isinstance(code, int):
        raise InputError(f"vn_provinces: a {level} has no integer code: {str(unit)[:120]}", "report the API change")
    return code


def _unit(unit: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": unit["code"],
        "name": unit.get("name"),
        "division_type": unit.get("division_type"),
        "codename": unit.get("codename"),
    }


class VnProvincesSource:
    """The configured Vietnam provinces source."""

    datasets: tuple[Dataset, ...] = (PROVINCES, DISTRICTS, WARDS)
    concurrency = 1

    def __init__(self, config: VnProvincesConfig, name: str = NAME) -> None:
        """Build from configuration; ``api: auto`` is resolved by :meth:`prepare`."""
        self.name = name
        self.config = config
        self.api = config.api if config.api != "auto" else "v2"

    @property
    def base_url(self) -> str:
        """Base URL without a trailing slash."""
        return self.config.base_url.rstrip("/")

    def prepare(self, client: HttpClient) -> None:
        """Resolve ``api: auto``: v2 when the server has it (pre-reform servers answer 404 there)."""
        if self.config.api != "auto":
            return
        resp = client.get(f"{self.base_url}/api/v2/", {"depth": "1"}, accept=frozenset({404}))
        self.api = "v1" if resp.status == 404 else "v2"

    def streams(self) -> Sequence[DivisionTreeStream]:
        """One stream: the whole tree."""
        return [DivisionTreeStream(self.base_url, self.api)]

    def probe(self) -> PageRequest:
        """The province list of the chosen API version (depth=1, small)."""
        path = "/api/v2/" if self.api == "v2" else "/api/"
        return PageRequest(f"{self.base_url}{path}", {"depth": "1"})

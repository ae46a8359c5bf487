"""The Vietnam provinces source's configuration: which API version to read."""

from __future__ import annotations

from typing import Literal

from steps.sources.config import HttpSourceConfig


class VnProvincesConfig(HttpSourceConfig):
    """Vietnam provinces API: provinces, districts and wards (v1) or provinces and wards (v2, post-reform)."""

    kind: Literal["vn_provinces"] = "vn_provinces"
    api: Literal["auto", "v1", "v2"] = "auto"

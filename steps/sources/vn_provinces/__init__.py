"""Vietnam provinces API (provinces.open-api.vn): the administrative tree in one request.

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (the tree stream and its flattening),
``suites/`` (the bronze expectation suites). Reference data: no time dimension, validity comes from snapshots.
"""

from __future__ import annotations

from steps.sources.registry import Dataset, SourceSpec
from steps.sources.vn_provinces.config import VnProvincesConfig

NAME = "vn_provinces"  # the kind, and the name of a source entry that sets none

_UNIT = (("code", "int32"), ("name", "string"), ("division_type", "string"), ("codename", "string"))
PROVINCES = Dataset("provinces", (*_UNIT, ("phone_code", "int32"), ("source_api", "string")), key=("code",))
DISTRICTS = Dataset("districts", (*_UNIT, ("province_code", "int32"), ("source_api", "string")), key=("code",))
WARDS = Dataset(
    "wards",
    (*_UNIT, ("district_code", "int32"), ("province_code", "int32"), ("source_api", "string")),
    key=("code",),
)

SOURCE = SourceSpec(
    kind=NAME,
    config=VnProvincesConfig,
    implementation="steps.sources.vn_provinces.source:VnProvincesSource",
    datasets=(PROVINCES, DISTRICTS, WARDS),
)

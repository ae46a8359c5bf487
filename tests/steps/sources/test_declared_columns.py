"""Declared columns convert to exactly the Arrow schemas the sources declared with pyarrow before (bronze unchanged).

``BEFORE`` copies the ``pa.schema`` declarations as they were, and ``FINGERPRINTS`` the bronze schema fingerprints
those gave (manifests record them; a changed one reads as a schema change to an existing lake).
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from steps.columns import LINEAGE, parse_type
from steps.errors import InputError
from steps.ingest.arrow import arrow_schema, arrow_type, declared_type
from steps.ingest.bronze import bronze_schema, schema_fingerprint
from steps.sources import eia, fred, noaa, vn_provinces, worldbank
from steps.sources.base import Dataset
from steps.sources.files.config import FileDataset
from steps.sources.files.source import FILE_COLUMNS, dataset_columns, infer_schema
from steps.sources.postgres.source import column_type

_UNIT = [("code", pa.int32()), ("name", pa.string()), ("division_type", pa.string()), ("codename", pa.string())]
BEFORE: dict[Dataset, pa.Schema] = {
    worldbank.INDICATOR_VALUES: pa.schema(
        [
            ("country_id", pa.string()),
            ("country_iso3", pa.string()),
            ("country_name", pa.string()),
            ("indicator_id", pa.string()),
            ("indicator_name", pa.string()),
            ("year", pa.int32()),
            ("value", pa.float64()),
            ("unit", pa.string()),
            ("obs_status", pa.string()),
            ("decimal", pa.int32()),
            ("last_updated", pa.date32()),
        ]
    ),
    vn_provinces.PROVINCES: pa.schema([*_UNIT, ("phone_code", pa.int32()), ("source_api", pa.string())]),
    vn_provinces.DISTRICTS: pa.schema([*_UNIT, ("province_code", pa.int32()), ("source_api", pa.string())]),
    vn_provinces.WARDS: pa.schema(
        [*_UNIT, ("district_code", pa.int32()), ("province_code", pa.int32()), ("source_api", pa.string())]
    ),
    fred.OBSERVATIONS: pa.schema(
        [
            ("series_id", pa.string()),
            ("date", pa.date32()),
            ("value", pa.float64()),
            ("realtime_start", pa.date32()),
            ("realtime_end", pa.date32()),
        ]
    ),
    fred.SERIES: pa.schema(
        [
            ("series_id", pa.string()),
            ("title", pa.string()),
            ("frequency", pa.string()),
            ("frequency_short", pa.string()),
            ("units", pa.string()),
            ("units_short", pa.string()),
            ("seasonal_adjustment", pa.string()),
            ("seasonal_adjustment_short", pa.string()),
            ("observation_start", pa.date32()),
            ("observation_end", pa.date32()),
            ("last_updated", pa.timestamp("us", tz="UTC")),
            ("popularity", pa.int32()),
            ("notes", pa.string()),
        ]
    ),
    eia.OBSERVATIONS: pa.schema(
        [
            ("route", pa.string()),
            ("frequency", pa.string()),
            ("series_id", pa.string()),
            ("period", pa.string()),
            ("period_date", pa.date32()),
            ("value", pa.float64()),
            ("units", pa.string()),
            ("series_description", pa.string()),
            ("attributes", pa.string()),
        ]
    ),
    noaa.OBSERVATIONS: pa.schema(
        [
            ("station", pa.string()),
            ("date", pa.date32()),
            ("datatype", pa.string()),
            ("value", pa.float64()),
            ("units", pa.string()),
            ("mflag", pa.string()),
            ("qflag", pa.string()),
            ("sflag", pa.string()),
            ("obs_time", pa.string()),
            ("attributes", pa.string()),
        ]
    ),
}
LINEAGE_BEFORE = [("_run_id", pa.string()), ("_ingested_at", pa.timestamp("us", tz="UTC"))]
FINGERPRINTS = {
    "worldbank.indicator_values": "6bfca54cb5891de6",
    "vn_provinces.provinces": "bfe84bc99f44b3b7",
    "vn_provinces.districts": "0542fae293204dc9",
    "vn_provinces.wards": "be9c4ecbd3e7354a",
    "fred.observations": "daea362a43354939",
    "fred.series": "d205ce681b766556",
    "eia.observations": "08eaeac8aacd0fe7",
    "noaa.observations": "691467dfe61e1901",
}


def _qualified(dataset: Dataset) -> str:
    for module in (worldbank, vn_provinces, fred, eia, noaa):
        if any(v is dataset for v in vars(module).values()):
            return f"{module.NAME}.{dataset.name}"
    raise AssertionError(dataset)


@pytest.mark.parametrize("dataset", list(BEFORE), ids=_qualified)
def test_declared_datasets_convert_to_the_schemas_declared_before(dataset: Dataset) -> None:
    before = BEFORE[dataset]
    schema = arrow_schema(dataset.columns)
    assert schema.equals(before, check_metadata=True)
    assert [(f.name, str(f.type), f.nullable) for f in schema] == [(f.name, str(f.type), f.nullable) for f in before]
    bronze = bronze_schema(dataset)
    assert bronze.equals(pa.schema([*before, *LINEAGE_BEFORE]), check_metadata=True)
    assert schema_fingerprint(bronze) == FINGERPRINTS[_qualified(dataset)]


def test_lineage_columns_are_those_bronze_always_had() -> None:
    assert arrow_schema(LINEAGE).equals(pa.schema(LINEAGE_BEFORE))


# The Postgres mapping as it was: catalog type → Arrow type.
POSTGRES_BEFORE = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "bytea": pa.binary(),
}


@pytest.mark.parametrize("typname", list(POSTGRES_BEFORE))
def test_postgres_catalog_types_map_as_before(typname: str) -> None:
    declared, as_text = column_type(typname, typname)
    assert not as_text and arrow_type(declared) == POSTGRES_BEFORE[typname]


def test_postgres_numerics_and_text_fallbacks_map_as_before() -> None:
    declared, as_text = column_type("numeric", "numeric(12, 2)")
    assert declared == "decimal128(12, 2)" and not as_text and arrow_type(declared) == pa.decimal128(12, 2)
    assert column_type("numeric", "numeric(38,0)")[0] == "decimal128(38, 0)"
    for typname, formatted in [("numeric", "numeric(39,2)"), ("numeric", "numeric"), ("uuid", "uuid")]:
        assert column_type(typname, formatted) == ("string", True)


CSV = (
    "n,x,flag,day,at,stamp,stamp_utc,fine,empty,text\n"
    "1,2.5,true,2024-01-01,12:30:00,2024-01-01 10:00:00,2024-01-01T10:00:00Z,2024-01-01 10:00:00.123456789,,x\n"
)


def test_files_inferred_schemas_declare_and_convert_back_exactly() -> None:
    csv = FileDataset(name="csv", pattern="*.csv")
    inferred = infer_schema(CSV.encode(), csv, "test")
    assert [str(t) for t in inferred.types] == [
        "int64",
        "double",
        "bool",
        "date32[day]",
        "time32[s]",
        "timestamp[s]",
        "timestamp[s, tz=UTC]",
        "timestamp[ns]",
        "string",  # empty in the first file: text
        "string",
    ]
    columns = dataset_columns(inferred, csv, "test")
    assert arrow_schema(columns).equals(
        pa.schema([*inferred, ("_source_file", pa.string()), ("_source_row", pa.int64())])
    )
    assert columns[-2:] == FILE_COLUMNS

    records = [{"code": "VN", "tags": ["asean"], "none": [], "geo": {"lat": 16.0, "names": [{"en": "Viet Nam"}]}}]
    json_ds = FileDataset(name="json", pattern="*.json", format="json")
    nested = infer_schema(json.dumps(records).encode(), json_ds, "test")
    columns = dataset_columns(nested, json_ds, "test")
    assert dict(columns)["geo"] == "struct<lat: float64, names: list<item: struct<en: string>>>"
    assert dict(columns)["none"] == "list<item: null>"
    assert arrow_schema(columns[:-2]).equals(nested)
    assert [str(f.type) for f in arrow_schema(columns[:-2])] == [str(f.type) for f in nested]


def test_types_without_an_exact_spelling_are_refused() -> None:
    for arrow in (pa.large_list(pa.int64()), pa.list_(pa.field("item", pa.int64(), nullable=False)), pa.uint8()):
        with pytest.raises(ValueError, match="column spelling"):
            declared_type(arrow)
    assert declared_type(pa.list_(pa.field("x", pa.int64()))) == "list<x: int64>"  # the item's name is kept
    odd = pa.schema([("ok", pa.int64()), ("counts", pa.dictionary(pa.int8(), pa.string()))])
    with pytest.raises(InputError, match="column 'counts'"):
        dataset_columns(odd, FileDataset(name="odd", pattern="*.csv"), "fx_files: file drop/a.csv")


@pytest.mark.parametrize(
    "spelling", ["double", "date32[day]", "decimal128(12,2)", "timestamp[us, UTC]", "list<int64>", "struct<a int64>"]
)
def test_spellings_are_arrows_canonical_ones_only(spelling: str) -> None:
    with pytest.raises(ValueError, match="column type"):
        parse_type(spelling)


def test_a_bad_declaration_fails_when_the_dataset_is_defined() -> None:
    with pytest.raises(ValueError, match="dataset 'rates', column 'rate': 'double' is not a column type"):
        Dataset("rates", (("day", "date32"), ("rate", "double")), key=("day",))


def test_parameterised_spellings_are_the_text_arrow_prints() -> None:
    for spelling in ("time32[s]", "time64[ns]", "timestamp[ms, tz=Asia/Ho_Chi_Minh]", "decimal128(12, 2)"):
        assert str(arrow_type(spelling)) == spelling

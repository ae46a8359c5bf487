"""The comparison loader: dlt's ``rest_api`` source with its page-number paginator into the filesystem destination
as Parquet, over the same replay data. Run as ``python -m tests.bench.dlt_worldbank BASE_URL OUT N_INDICATORS
PER_PAGE``; prints the row count it loaded."""

from __future__ import annotations

import os
import sys


def main(base_url: str, out: str, indicators: int, per_page: int) -> int:
    """Load ``indicators`` generated World Bank indicators for all countries with dlt; returns rows loaded."""
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.environ["DLT_DATA_DIR"] = os.path.join(out, "dlt-data")
    os.environ["DLT_PROJECT_DIR"] = out
    import dlt
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source(
        {
            "client": {"base_url": base_url},
            "resource_defaults": {
                "write_disposition": "append",
                "endpoint": {
                    "params": {"format": "json", "per_page": per_page, "date": "1960:2025"},
                    "data_selector": "[1]",
                    "paginator": {"type": "page_number", "base_page": 1, "total_path": "[0].pages"},
                },
            },
            "resources": [
                {"name": f"ind_{n:04d}", "endpoint": {"path": f"country/all/indicator/BENCH.IND.{n:04d}"}}
                for n in range(1, indicators + 1)
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_worldbank",
        destination=dlt.destinations.filesystem(bucket_url=os.path.join(out, "lake")),
        dataset_name="worldbank",
        pipelines_dir=os.path.join(out, "pipelines"),
    )
    info = pipeline.run(source, loader_file_format="parquet")
    rows = sum(
        count for table, count in pipeline.last_trace.last_normalize_info.row_counts.items() if table.startswith("ind_")
    )
    del info
    sys.stdout.write(f"{rows}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))

"""The report folder for Argo's artifacts, and the links from the report to each dataset's validation page."""

from __future__ import annotations

from pathlib import Path

from steps.lake import Lake
from steps.summary.artifacts import export_report
from steps.summary.docs_pages import docs_pages

RUN = "r1"
BRONZE_PAGE = "gx/bronze/docs/validations/bronze/worldbank/indicator_values/r1/20260101T000000Z/frames-bronze.w.html"
GOLD_PAGE = "gx/gold/docs/validations/gold/dim_location/r1/20260101T000000Z/frames-gold.dim_location.html"


# The report folder's files that make the artifact: the report and both Data Docs sites.
PUBLISHED = (
    "index.html",
    "summary.md",
    "summary.json",
    "gx/bronze/docs/index.html",
    "gx/bronze/docs/static/vendor/jquery-3.7.1/jquery.min.js",
    BRONZE_PAGE,
    "gx/bronze/docs/expectations/bronze/worldbank/indicator_values.html",
    "gx/gold/docs/index.html",
    GOLD_PAGE,
)
# Evidence, not pages: they stay in the lake.
EVIDENCE = ("gx/bronze/results/worldbank.indicator_values.json", "stages/verify.json")


def _lake(root: Path) -> Lake:
    lake = Lake(str(root))
    for rel in (*PUBLISHED, *EVIDENCE):
        lake.write_bytes(f"reports/{RUN}/{rel}", rel.encode())
    return lake


def test_each_datasets_validation_page_relative_to_the_report(tmp_path: Path) -> None:
    lake = _lake(tmp_path / "lake")
    assert docs_pages(lake, RUN, "bronze") == {"worldbank.indicator_values": BRONZE_PAGE}
    assert docs_pages(lake, RUN, "gold") == {"dim_location": GOLD_PAGE}
    assert docs_pages(lake, "other-run", "gold") == {}


def test_the_artifact_folder_mirrors_the_report_folder_with_its_data_docs(tmp_path: Path) -> None:
    lake = _lake(tmp_path / "lake")
    out = tmp_path / "report"
    export_report(lake, RUN, out)
    copied = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert copied == sorted(PUBLISHED)
    assert (out / BRONZE_PAGE).read_text() == BRONZE_PAGE

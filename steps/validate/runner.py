"""Running Great Expectations: one ephemeral context per gate, one validation per dataset, then the Data Docs.

The context lives in memory (no ``gx/`` project folder, nothing written next to the code); its only file output is
the Data Docs site, rendered into a temporary folder that :mod:`steps.validate.publish` uploads to the lake.
Two engines run the same suites: pandas over frames (bronze Parquet, the DuckDB warehouse) and SQL through a
SQLAlchemy URL (Trino), where each dataset is a query asset so the checks run inside the warehouse.

GX is imported here, inside functions, through :func:`steps.validate.gx_import.import_gx`, and nowhere else in the
code base: importing it takes seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps.errors import ConfigError, TransientError
from steps.redact import redact_text
from steps.validate import chunks
from steps.validate.gx_import import import_gx
from steps.validate.offline_docs import make_offline
from steps.validate.suites import Suite

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

# Enough bad values to show a pattern in the Data Docs; the one-line message shows fewer.
PARTIAL_UNEXPECTED_COUNT = 20


@dataclass
class Target:
    """One dataset to validate: its suite and parameters, and either a frame (pandas) or a query (SQL engine)."""

    suite: Suite
    params: dict[str, Any]
    frame: pd.DataFrame | None = None
    query: str | None = None


@dataclass
class ChunkedTarget:
    """One dataset validated chunk by chunk (:mod:`steps.validate.chunks`): suite, parameters and the chunks.

    ``batch_wide`` answers the expectations that need the whole batch: given the merged results (GX JSON) and the
    positions of those expectations, their success and result over every row (:mod:`steps.validate.batchwide`).
    """

    suite: Suite
    params: dict[str, Any]
    chunks: Iterable[pd.DataFrame]
    batch_wide: Callable[[list[dict[str, Any]], list[int]], Mapping[int, tuple[bool, dict[str, Any]]]]


@dataclass
class SqlEngine:
    """A SQLAlchemy URL (secrets included; never logged) and ``create_engine`` keyword arguments."""

    url: str = field(repr=False)  # may hold the password: keep it out of reprs and tracebacks
    engine_kwargs: dict[str, Any] = field(default_factory=dict)


class GxSession:
    """An ephemeral GX context whose Data Docs site is rendered into ``docs_dir``."""

    def __init__(self, docs_dir: Path, run_id: str, sql: SqlEngine | None = None) -> None:
        """Create the context (imports GX); ``sql`` enables query targets."""
        import_gx()
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self._gx = gx
        self.docs_dir = docs_dir
        from steps.validate.docs_views import site_views

        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            **site_views(),  # GX's views, their templates compiled once per process
        }
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            data_docs_sites={"tributary": site},
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        # One run identifier for every validation of the gate: the Data Docs group them under the pipeline run id.
        self._run = RunIdentifier(run_name=run_id)
        self._pandas = self.context.data_sources.add_pandas("frames")
        self._sql: Any = None
        if sql is not None:
            self._sql = self._add_sql(sql)

    def _add_sql(self, sql: SqlEngine) -> Any:
        from great_expectations.datasource.fluent.interfaces import TestConnectionError

        try:
            # No temporary tables: Trino's Iceberg catalog cannot create them, and the queries are cheap to repeat.
            # ``kwargs`` (create_engine arguments) is a field of GX's SQL datasource its typing stub leaves out.
            return self.context.data_sources.add_sql(  # type: ignore[call-arg]
                "warehouse", connection_string=sql.url, create_temp_table=False, kwargs=sql.engine_kwargs
            )
        except TestConnectionError as exc:
            raise TransientError(
                f"cannot connect to the warehouse: {redact_text(_first_line(exc))}",
                "check that Trino is up and DBT_TRINO_HOST/PORT/USER (and the password Secret) are right, then retry",
            ) from None

    def validate(self, target: Target) -> dict[str, Any]:
        """Validate one dataset; returns GX's validation result as a JSON-ready dict."""
        gx = self._gx
        suite = self.context.suites.add(to_gx_suite(target.suite))
        asset_name = target.suite.name
        if target.frame is not None:
            asset = self._pandas.add_dataframe_asset(asset_name)
            batch = asset.add_batch_definition_whole_dataframe("batch")
            batch_parameters: dict[str, Any] | None = {"dataframe": target.frame}
            present = set(target.frame.columns)
            index = [c for c in target.suite.index_columns if c in present]
        elif target.query is not None and self._sql is not None:
            asset = self._sql.add_query_asset(asset_name, query=target.query)
            batch = asset.add_batch_definition_whole_table("batch")
            batch_parameters, index = None, target.suite.index_columns
        else:
            raise ValueError(f"target {asset_name} has neither a frame nor a usable query")
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=asset_name, data=batch, suite=suite)
        )
        result: Any = definition.run(
            batch_parameters=batch_parameters,
            expectation_parameters=target.params,
            result_format=_result_format(index),
            run_id=self._run,
        )
        doc: dict[str, Any] = result.to_json_dict()
        return doc

    def validate_chunked(self, target: ChunkedTarget) -> dict[str, Any]:
        """Validate one dataset chunk by chunk; one result, stored for the Data Docs as :meth:`validate` does.

        The first chunk runs the whole suite, the others its row-level expectations; the results are merged
        (:mod:`steps.validate.chunks`) and, when there was more than one chunk, the batch-wide expectations'
        results replaced by ``target.batch_wide``'s answers. A batch of one chunk keeps GX's own result.
        """
        from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )
        from great_expectations.validator.v1_validator import Validator

        suite = self.context.suites.add(to_gx_suite(target.suite))
        rows_only = chunks.row_level(target.suite)
        batch = self._pandas.add_dataframe_asset(target.suite.name).add_batch_definition_whole_dataframe("batch")
        merged: dict[str, Any] | None = None
        skeleton: Any = None
        batch_id = None
        count = 0
        row_suite: Any = None
        several = False  # more than one chunk: GX saw part of the batch, its batch-wide results are replaced
        for frame in target.chunks:
            if count == 1:
                several = True
                if not rows_only.expectations:
                    break  # nothing is checked row by row: the other chunks need not even be read
                row_suite = self.context.suites.add(to_gx_suite(rows_only))
            count += 1
            index = [c for c in target.suite.index_columns if c in set(frame.columns)]
            validator = Validator(batch, result_format=_result_format(index), batch_parameters={"dataframe": frame})
            result = validator.validate_expectation_suite(row_suite or suite, target.params)
            merged = chunks.merge(merged, result.to_json_dict(), PARTIAL_UNEXPECTED_COUNT)  # type: ignore[no-untyped-call]
            if skeleton is None:
                skeleton, batch_id = result, validator.active_batch_id
            del frame, validator, result  # the validator holds the chunk: let it go before the next is read
        if merged is None:
            raise ValueError(f"target {target.suite.name} has no chunk (an empty file still has one)")
        if row_suite is not None:
            self.context.suites.delete(rows_only.name)  # not a suite of its own in the Data Docs
        computed = target.batch_wide(merged["results"], chunks.batch_wide_positions(merged)) if several else {}
        final = chunks.finish(merged, computed)
        for entry, doc in zip(skeleton.results, final["results"], strict=True):
            entry.success, entry.result, entry.exception_info = doc["success"], doc["result"], doc["exception_info"]
        skeleton.success, skeleton.statistics = final["success"], final["statistics"]
        skeleton.meta.update(
            run_id=self._run,
            validation_time=self._run.run_time,
            batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
            tributary={"chunks": count},  # how the batch was read: one result all the same
        )
        suite_id = ExpectationSuiteIdentifier(name=suite.name)
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=skeleton,
            suite_validation_result_identifier=ValidationResultIdentifier(
                batch_identifier=batch_id, expectation_suite_identifier=suite_id, run_id=self._run
            ),
            expectation_suite_identifier=suite_id,
        )
        stored: dict[str, Any] = skeleton.to_json_dict()  # GX's own JSON form of every value, sample rows included
        return stored

    def build_docs(self) -> Path:
        """Render the Data Docs site of every validation run so far, made to open offline; returns ``index.html``."""
        self.context.build_data_docs(site_names=["tributary"])
        index = self.docs_dir / "index.html"
        if not index.is_file():
            raise RuntimeError(f"GX did not write {index}")
        make_offline(self.docs_dir)
        return index


def _result_format(index: list[str]) -> dict[str, Any]:
    """SUMMARY results with a sample of bad values, and of their rows' ``index`` columns when there are any."""
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT,
        "include_unexpected_rows": False,
    }
    if index:
        result_format["unexpected_index_column_names"] = index
        result_format["return_unexpected_index_query"] = False
    return result_format


def to_gx_suite(suite: Suite) -> Any:
    """A GX ExpectationSuite from a reviewed suite; a ConfigError names the file and the bad expectation.

    GX's own constructor logs and *drops* an expectation it cannot build, which would silently weaken a gate, so
    each one is built here first.
    """
    import_gx()
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    built = []
    for i, raw in enumerate(suite.expectations):
        try:
            built.append(ExpectationConfiguration(**raw).to_domain_obj())
        except Exception as exc:  # noqa: BLE001 - GX raises many types here; all mean "this entry is invalid"
            raise ConfigError(
                f"suite {suite.origin}: expectation #{i + 1} ({raw.get('type')}) is not valid: {_first_line(exc)}",
                "fix the expectation's type or kwargs (see the GX expectation gallery for its arguments)",
            ) from None
    return gx.ExpectationSuite(name=suite.name, expectations=built, meta=dict(suite.meta))


def check_suites(suites: Mapping[str, Suite]) -> None:
    """Build every suite once (imports GX): used by tests to prove the shipped files are valid GX suites."""
    for suite in suites.values():
        to_gx_suite(suite)


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__

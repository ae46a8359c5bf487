"""Suite parameters: the run-time values behind every ``{$PARAMETER: name}`` in the suite files (pure functions).

Bronze, per dataset (from the pipeline configuration, the run's manifest and the run's own files):

==============================  ===========================================================================
``run_ids``                     ``[run id]``: the only ``_run_id`` the batch's rows may carry.
``expected_rows``               rows the API reported for the dataset. World Bank: the sum of ``api_total``
                                over the manifest's streams (one stream per indicator). Vietnam provinces: the
                                single tree stream's ``api_total`` counts provinces + districts + wards, so a
                                dataset's share is that total minus the rows of its two sibling files.
                                When the API reported no total, the rows the ingest wrote (manifest) stand in
                                and a note says so.
``start_year``, ``end_year``    ``sources.<name>.start_year`` / ``end_year`` (World Bank); a backfill batch's
                                own years (its manifest's ``details.backfill``, ``2000:2005``).
``requested_years``             every year from ``start_year`` to ``end_year`` (World Bank).
``indicators``                  ``sources.<name>.indicators`` (World Bank).
``province_codes``              codes in the same run's provinces file (districts, wards).
``district_codes``              codes in the same run's districts file (wards).
==============================  ===========================================================================

Any other source gets ``run_ids`` and ``expected_rows`` = the rows its manifest says were written (with a note).

Gold:

==================================  =======================================================================
``expected_macro_indicator_ids``    ``<ISO3>-<year>`` for every requested country and year; a country given
                                    as ISO2 in the config is mapped to ISO3 through silver's country codes.
==================================  =======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from steps.config import PipelineConfig, SourceConfig
from steps.errors import ConfigError
from steps.sources.backfill import Backfill
from steps.sources.vn_provinces.config import VnProvincesConfig
from steps.sources.worldbank.config import WorldBankConfig
from steps.validate.bronze import ManifestView


@dataclass
class Parameters:
    """Parameter values per dataset, and notes on how any of them had to be derived differently."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def bronze_parameters(
    source_config: SourceConfig,
    manifest: ManifestView,
    row_counts: Mapping[str, int],
    codes: Mapping[str, list[int]],
) -> Parameters:
    """Parameters of every dataset of one source's batch.

    Args:
        source_config: the source's configuration (World Bank and Vietnam provinces have their own rules).
        manifest: the run's manifest of the source.
        row_counts: rows in each dataset file of the batch, as read.
        codes: ``code`` values of the batch's ``provinces`` and ``districts`` files (Vietnam provinces only).
    """
    if isinstance(source_config, WorldBankConfig):
        return _worldbank(source_config, manifest)
    if isinstance(source_config, VnProvincesConfig):
        return _vn_provinces(manifest, row_counts, codes)
    return _generic(manifest)


def _generic(manifest: ManifestView) -> Parameters:
    """Any other source: its run id and, per dataset, the rows its manifest says were written.

    A new source then needs only its suites; one whose checks need more (an API total per dataset, parent codes)
    adds its rule above, and :func:`steps.validate.suites.check_parameters` refuses a suite that asks for more.
    """
    params = Parameters()
    for dataset, file in manifest.datasets.items():
        params.values[dataset] = {"run_ids": [manifest.run_id], "expected_rows": file.rows}
        params.notes.append(
            f"{manifest.source}.{dataset}: no API-total rule for this source; expected_rows = rows written"
        )
    return params


def _worldbank(cfg: WorldBankConfig, manifest: ManifestView) -> Parameters:
    params = Parameters()
    totals = [s.api_total for s in manifest.streams]
    backfill = manifest.details.get("backfill")
    first, last = Backfill.parse(backfill).years() if backfill else (cfg.start_year, cfg.end_year)
    common: dict[str, Any] = {
        "run_ids": [manifest.run_id],
        "start_year": first,
        "end_year": last,
        "requested_years": list(range(first, last + 1)),
        "indicators": list(cfg.indicators),
    }
    for dataset, file in manifest.datasets.items():
        if totals and all(t is not None for t in totals):
            expected = sum(t for t in totals if t is not None)
        else:
            expected = file.rows
            params.notes.append(f"{manifest.source}.{dataset}: the API reported no total; expected_rows = rows written")
        params.values[dataset] = {**common, "expected_rows": expected}
    return params


def _vn_provinces(manifest: ManifestView, row_counts: Mapping[str, int], codes: Mapping[str, list[int]]) -> Parameters:
    params = Parameters()
    tree_total = manifest.streams[0].api_total if len(manifest.streams) == 1 else None
    for dataset, file in manifest.datasets.items():
        if tree_total is not None:
            siblings = sum(n for name, n in row_counts.items() if name != dataset)
            expected = tree_total - siblings
        else:
            expected = file.rows
            params.notes.append(
                f"{manifest.source}.{dataset}: no single tree total in the manifest; expected_rows = rows written"
            )
        params.values[dataset] = {
            "run_ids": [manifest.run_id],
            "expected_rows": expected,
            "province_codes": sorted(codes.get("provinces", [])),
            "district_codes": sorted(codes.get("districts", [])),
        }
    return params


def worldbank_source(config: PipelineConfig) -> str | None:
    """The name of the enabled World Bank source, if any (the gold macro table is built from it)."""
    found = [name for name, c in config.sources.items() if isinstance(c, WorldBankConfig) and c.enabled]
    if len(found) > 1:
        raise ConfigError(
            "more than one enabled World Bank source", "dim_macro_indicators is built from one; disable the others"
        )
    return found[0] if found else None


def worldbank_config(config: PipelineConfig) -> WorldBankConfig | None:
    """The enabled World Bank source's configuration, if any."""
    name = worldbank_source(config)
    found = config.sources[name] if name is not None else None
    return found if isinstance(found, WorldBankConfig) else None


def gold_parameters(
    config: PipelineConfig, iso2_to_iso3: Mapping[str, str], *, worldbank_present: bool = True
) -> Parameters:
    """Parameters of the gold suites.

    Args:
        config: the pipeline configuration (requested countries and years).
        iso2_to_iso3: country code pairs silver holds (``{"VN": "VNM"}``).
        worldbank_present: False when the World Bank source has no delivery yet: no coverage is expected of it.
    """
    wb = worldbank_config(config)
    ids: list[str] = []
    if wb is not None and worldbank_present:
        iso3_known = set(iso2_to_iso3.values())
        for country in wb.countries:
            code = country.upper()
            # A code silver does not know stays as configured: it is then reported missing, which is the truth.
            iso3 = code if code in iso3_known else iso2_to_iso3.get(code, code)
            ids += [f"{iso3}-{year}" for year in range(wb.start_year, wb.end_year + 1)]
    return Parameters(values={"dim_macro_indicators": {"expected_macro_indicator_ids": ids}})

"""Where each dataset's validation page is in a gate's Data Docs, relative to the run's report folder.

The run report links every gate's failures to the page that shows them. GX names a validation page after its
suite (``bronze.worldbank.indicator_values`` → ``validations/bronze/worldbank/indicator_values/<run>/<time>/…``),
so listing the gate's ``docs/validations/`` folder finds each dataset's page.
"""

from __future__ import annotations

from steps import layout
from steps.lake import Lake


def docs_pages(lake: Lake, run_id: str, gate: str) -> dict[str, str]:
    """Dataset (``worldbank.indicator_values``) → its validation page, relative to ``reports/<run_id>/``."""
    folder = f"gx/{gate}/docs/validations/"
    prefix = f"{layout.report_dir(run_id)}/{folder}"
    pages: dict[str, str] = {}
    for rel in sorted(lake.list_files(prefix)):
        parts = rel[len(prefix) :].split("/")
        # <gate>/<dataset parts…>/<run name>/<run time>/<batch>.html
        if len(parts) >= 5 and parts[0] == gate and parts[-1].endswith(".html"):
            pages[".".join(parts[1:-3])] = folder + "/".join(parts)
    return pages

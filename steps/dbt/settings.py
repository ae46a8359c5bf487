"""Settings of the dbt stage (``TRIBUTARY_*`` environment variables)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field

from steps.warehouse import WarehouseSettings


class DbtSettings(WarehouseSettings):
    """Where the dbt project is, plus the warehouse target to build."""

    dbt_project_dir: Path = Field(description="Folder holding dbt_project.yml and profiles.yml.")
    dbt_work_dir: Path = Field(
        Path(tempfile.gettempdir()) / "tributary-dbt",
        description="Writable folder for dbt's target/ and logs/ (the project folder may be read-only).",
    )

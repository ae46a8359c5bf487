"""Settings of the dbt stage (``TRIBUTARY_*`` environment variables)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field

from steps.dbt.runner import DbtProject
from steps.warehouse import WarehouseSettings


class DbtSettings(WarehouseSettings):
    """Where the dbt project is, plus the warehouse target to build."""

    dbt_project_dir: Path = Field(description="Folder holding dbt_project.yml and profiles.yml.")
    dbt_log_level: Literal["debug", "info", "warn", "error", "none"] = Field(
        "info",
        description="Level of dbt's log file (logs/dbt.log in the work folder). debug adds every SQL statement and "
        "connection event, and costs about a second per build of this project.",
    )
    dbt_docs: bool = Field(
        False,
        description="After the gold build, run dbt docs generate and publish its page, manifest and catalog under "
        "reports/<run_id>/dbt-docs/. Off by default: it adds 1.5-3 s to the gold build and 4 MB to every report.",
    )
    dbt_work_dir: Path | None = Field(
        None,
        description="Writable folder for dbt's target/ and logs/ (the project folder may be read-only); "
        "default: a folder under the system temp dir, one per lake and project.",
    )

    def work_dir(self, lake_uri: str) -> Path:
        """The dbt work folder: kept between runs so dbt's partial parsing can reuse it, never shared by lakes."""
        if self.dbt_work_dir is not None:
            return self.dbt_work_dir
        key = hashlib.sha256(f"{lake_uri}|{self.dbt_project_dir.resolve()}".encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"tributary-dbt-{key}"

    def project(self, lake_uri: str, sources: Sequence[str]) -> DbtProject:
        """The dbt project as the stage runs it for ``lake_uri`` (absolute paths: the stage changes directory)."""
        return DbtProject(
            project_dir=self.dbt_project_dir.resolve(),
            work_dir=self.work_dir(lake_uri).resolve(),
            target=self.target,
            sources=list(sources),
            log_level=self.dbt_log_level,
        )

"""The files source's configuration: a location and the datasets its globs land in."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from steps.lineage.datasets import DatasetRef, lake_dataset
from steps.sources.config import IDENTIFIER, SourceConfig, Strict


class FileDataset(Strict):
    """Files of one shape under the source's location, landing in one bronze dataset."""

    name: str = Field(description="Bronze dataset name.")
    pattern: str = Field(description="Glob relative to the location, e.g. fx/*.csv or **/*.jsonl.")
    format: Literal["csv", "json", "jsonl"] = "csv"
    primary_key: list[str] = Field(default_factory=list, description="Natural key; default: file and row.")
    delimiter: str = Field(",", min_length=1, max_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"dataset name {value!r} is not a plain identifier")
        return value


class FilesConfig(SourceConfig):
    """CSV/JSON files from a local folder or an S3 prefix; a file is ingested again only when its bytes change."""

    kind: Literal["files"] = "files"
    location: str = Field(description="A folder, or s3://bucket/prefix (credentials: the AWS_* variables).")
    s3_endpoint: str | None = Field(None, description="S3 API URL (MinIO); unset: AWS, or TRIBUTARY_S3_ENDPOINT.")
    s3_region: str | None = None
    datasets: Annotated[list[FileDataset], Field(min_length=1)]
    concurrency: int = Field(2, ge=1, le=16)

    def lineage_inputs(self) -> list[DatasetRef]:
        """Each dataset's files: the location as a namespace (like a lake root), the glob as the name."""
        return [lake_dataset(self.location, d.pattern) for d in self.datasets]

    @model_validator(mode="after")
    def _unique_datasets(self) -> FilesConfig:
        names = [d.name for d in self.datasets]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset names repeat: {names}")
        return self

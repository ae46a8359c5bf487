"""What a source lands: a bronze dataset with its declared columns and natural key."""

from __future__ import annotations

from dataclasses import dataclass

from steps.columns import Columns, check_columns


@dataclass(frozen=True)
class Dataset:
    """One bronze table of a source: its columns (without lineage columns) and its natural key.

    ``columns`` are ``(name, type)`` pairs in Arrow's spellings (``steps/columns.py``); a spelling that is not
    one fails here, when the source is defined, rather than in the middle of an ingest.
    """

    name: str
    columns: Columns
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        check_columns(self.columns, f"dataset {self.name!r}")

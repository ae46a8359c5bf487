"""A gate's lineage: the datasets it checked, each with its expectations as a data-quality assertions facet."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from steps.lineage.datasets import Assertion, DatasetRef
from steps.validate.report import DatasetOutcome


def checked_datasets(
    outcomes: Sequence[DatasetOutcome], dataset_of: Callable[[str], DatasetRef | None]
) -> list[DatasetRef]:
    """Every validated dataset ``dataset_of`` can name (None: not a dataset of the graph), with its assertions."""
    found = []
    for outcome in outcomes:
        ref = dataset_of(outcome.dataset)
        if ref is not None:
            checks = tuple(Assertion(kind, success, column) for kind, column, success in outcome.checks)
            found.append(DatasetRef(ref.namespace, ref.name, checks))
    return found

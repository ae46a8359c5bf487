"""What the local runner executes, as read from a rendered WorkflowTemplate by :mod:`workflows.spec`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class UnsupportedSpec(ValueError):
    """The spec uses something the local runner does not support; the message says what and where."""


@dataclass(frozen=True)
class EnvVar:
    """One ``env`` entry: a literal, or a key of a Secret or a ConfigMap."""

    name: str
    value: str | None = None
    secret: str | None = None
    config_map: str | None = None
    key: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class Volume:
    """A template volume: an ``emptyDir`` or files from a ConfigMap."""

    name: str
    config_map: str | None = None  # None: emptyDir
    items: tuple[tuple[str, str], ...] = ()  # (key, path); empty: every key
    optional: bool = False


@dataclass(frozen=True)
class Output:
    """An output parameter read from a file."""

    name: str
    path: str
    default: str | None


@dataclass(frozen=True)
class RetrySpec:
    """A template's retryStrategy, as the local runner applies it."""

    limit: int
    exit_codes: frozenset[int]
    duration_s: float = 0.0
    factor: float = 1.0
    cap_s: float | None = None
    max_duration_s: float | None = None


@dataclass(frozen=True)
class ContainerTemplate:
    """A container template running ``python -m <module>``."""

    name: str
    module: str
    args: tuple[str, ...]
    inputs: Mapping[str, str | None]  # name -> default (None: required)
    outputs: tuple[Output, ...]
    env: tuple[EnvVar, ...]
    env_from: tuple[tuple[str, bool], ...]  # (ConfigMap, optional)
    mounts: Mapping[str, Volume]  # container path -> volume
    retry: RetrySpec | None
    deadline_s: float | None


@dataclass(frozen=True)
class DagTask:
    """One task of the entrypoint DAG."""

    name: str
    template: str
    arguments: Mapping[str, str]
    depends: tuple[str, ...]
    when: str | None


@dataclass(frozen=True)
class WorkflowParameter:
    """A workflow argument: its default value and allowed values."""

    value: str | None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkflowSpec:
    """The executable content of a WorkflowTemplate."""

    name: str
    parameters: Mapping[str, WorkflowParameter]
    tasks: tuple[DagTask, ...]
    templates: Mapping[str, ContainerTemplate]
    on_exit: str | None
    parallelism: int | None
    deadline_s: float | None
    mutexes: tuple[str, ...] = field(default=())

"""What the local runner executes, as read from a rendered WorkflowTemplate by :mod:`workflows.local.spec`."""

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
    size_limit: str | None = None  # an emptyDir's sizeLimit (Kubernetes quantity)


@dataclass(frozen=True)
class SecurityContext:
    """The pod's and container's security settings that decide how a container runs (merged: container wins)."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool = False
    fs_group: int | None = None
    read_only_root_filesystem: bool = False
    allow_privilege_escalation: bool = True
    drop_capabilities: tuple[str, ...] = ()
    seccomp_profile: str | None = None  # RuntimeDefault, Unconfined


@dataclass(frozen=True)
class Limits:
    """A container's resource limits (Kubernetes quantities); requests only matter to a scheduler."""

    cpu: str | None = None
    memory: str | None = None


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
    expression: str
    duration_s: float = 0.0
    factor: float = 1.0
    cap_s: float | None = None
    max_duration_s: float | None = None


@dataclass(frozen=True)
class ContainerTemplate:
    """A container template running ``python -m <module>`` in ``image``."""

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
    image: str = ""
    command: tuple[str, ...] = ()
    limits: Limits = Limits()
    security: SecurityContext = SecurityContext()  # the container's own settings (not merged with the pod's)
    read_only_mounts: frozenset[str] = frozenset()  # mount paths with readOnly: true


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
    security: SecurityContext = SecurityContext()  # the pod's securityContext

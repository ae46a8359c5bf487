"""The registry of replay providers: which API each one replays, for which source, and below which path.

Every module of :mod:`workflows.replay.providers` registers its provider when imported (:func:`register`);
:func:`registrations` imports them all on first use, so adding a provider is adding a module there. The server
creates one instance of each provider per server and routes ``/<name>/…`` to it; ``tributary run --replay`` looks
up each enabled source's ``kind`` with :func:`for_source` and points the source's ``base_url`` at
``server.base_url(source)``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from workflows.replay.limits import KeyedLimiter, Quota
from workflows.replay.responses import Handler, Response


@dataclass(frozen=True)
class Request:
    """One request to a provider, as its handler sees it."""

    path: str  # below the provider prefix
    query: str
    headers: Mapping[str, str]  # names in lower case
    snapshot: date
    at: float  # time.monotonic() on arrival
    revisions: Mapping[str, str] = field(default_factory=dict)  # key -> value asked with --revise (revisions.py)


class Provider(Protocol):
    """What the server calls: a handler of the requests below the provider's prefix."""

    @property
    def limiter(self) -> KeyedLimiter | None:
        """The per-key quota the provider enforces (429 beyond it), or ``None`` for an API without keys."""
        ...

    def handle(self, request: Request) -> Response:
        """Answer one request below the provider's prefix."""
        ...


@dataclass(frozen=True)
class Stateless:
    """A provider without state or keys: a pure route handler ``(path, query, snapshot) -> Response``."""

    handler: Handler
    limiter: None = None

    def handle(self, request: Request) -> Response:
        """Answer with the handler."""
        return self.handler(request.path, request.query, request.snapshot)


@dataclass(frozen=True)
class Registration:
    """One replay provider as the registry knows it.

    Attributes:
        name: The provider's name; it serves the paths below ``/<name>`` and ``/_replay/limits`` names it.
        source: The source ``kind`` (a package ``steps/sources/<kind>/`` of ``steps/sources/registry.py``) whose
            API it replays, e.g. ``vn_provinces``.
        base_path: The path below the server's URL that stands in for the source's ``base_url``, e.g.
            ``/eia/v2`` for ``https://api.eia.gov/v2``.
        create: Makes the provider; called once per server (a keyed provider counts requests per server).
        quota: The published per-key quota a keyed provider enforces (restored by ``reset_quotas``); ``None``
            for an API without keys.
        key: A key (or token) the provider accepts: what ``tributary run --replay`` gives the source's secret
            variables, so that a replayed run needs no real key. ``None`` for an API without keys.
        revise: Checks one revised value ``(key, value)`` (:mod:`workflows.replay.revisions`), raising ValueError
            naming what is wrong; ``None`` for a provider that serves no revisions.
    """

    name: str
    source: str
    base_path: str
    create: Callable[[], Provider]
    quota: Quota | None = None
    key: str | None = None
    revise: Callable[[str, str], object] | None = None

    @property
    def prefix(self) -> str:
        """The path prefix the provider serves, ``/<name>``."""
        return f"/{self.name}"


_registry: dict[str, Registration] = {}
_loaded = False


def register(registration: Registration) -> Registration:
    """Add a provider to the registry (each provider module calls this once, when imported).

    Args:
        registration: The provider.

    Returns:
        The registration, unchanged.

    Raises:
        ValueError: If another provider already has its name or serves its source.
    """
    for existing in _registry.values():
        if existing.name == registration.name or existing.source == registration.source:
            raise ValueError(
                f"replay provider {registration.name!r} (source {registration.source!r}) clashes with "
                f"{existing.name!r} (source {existing.source!r}): give each provider its own name and source"
            )
    if not registration.base_path.startswith(registration.prefix):
        raise ValueError(f"replay provider {registration.name!r}: base_path must start with {registration.prefix!r}")
    _registry[registration.name] = registration
    return registration


def registrations() -> tuple[Registration, ...]:
    """Every registered provider, in name order (the provider modules are imported on first call)."""
    global _loaded
    if not _loaded:
        from workflows.replay import providers

        for module in pkgutil.iter_modules(providers.__path__):
            importlib.import_module(f"{providers.__name__}.{module.name}")
        _loaded = True
    return tuple(sorted(_registry.values(), key=lambda r: r.name))


def for_source(source: str) -> Registration | None:
    """The provider replaying the API of source kind ``source``, or ``None`` when none does."""
    return next((r for r in registrations() if r.source == source), None)

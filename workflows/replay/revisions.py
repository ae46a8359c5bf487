"""Revised values: the replay serves them instead of its shipped data, when asked.

Public statistics get revised after publication (the World Bank re-estimates GDP in every WDI vintage), and the
pipeline must notice exactly the revised rows. ``--revise worldbank:NY.GDP.MKTP.CD:2020=346615509519.5`` (on
``tributary run --replay`` or ``python -m workflows.replay``; repeatable) makes the replay serve that value for that
key; ``=null`` withdraws it. The part before the first ``:`` names the provider, the rest up to ``=`` is the
provider's key, which the provider checks (:attr:`workflows.replay.registry.Registration.revise`). Without
``--revise`` the replay serves its shipped data, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workflows.replay.registry import registrations


@dataclass(frozen=True)
class Revision:
    """One revised value: ``provider:key=value``."""

    provider: str
    key: str
    value: str


def parse_revision(text: str) -> Revision:
    """Parse and check ``provider:key=value``; ValueError naming the bad part and the expected form."""
    head, sep, value = text.partition("=")
    provider, colon, key = head.partition(":")
    revisable = {r.name: r for r in registrations() if r.revise is not None}
    example = "worldbank:NY.GDP.MKTP.CD:2020=346615509519.5"
    if not sep or not colon or not key.strip() or not value.strip():
        raise ValueError(f"bad revision {text!r}: expected PROVIDER:KEY=VALUE, e.g. {example}")
    registration = revisable.get(provider.strip())
    if registration is None or registration.revise is None:
        raise ValueError(
            f"bad revision {text!r}: provider {provider!r} takes no revisions; revisable: {', '.join(revisable)}"
        )
    revision = Revision(provider.strip(), key.strip(), value.strip())
    registration.revise(revision.key, revision.value)  # raises ValueError naming what is wrong
    return revision


def by_provider(revisions: Iterable[Revision]) -> dict[str, dict[str, str]]:
    """``{provider: {key: value}}``; a later revision of the same key wins."""
    out: dict[str, dict[str, str]] = {}
    for revision in revisions:
        out.setdefault(revision.provider, {})[revision.key] = revision.value
    return out

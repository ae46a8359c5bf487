"""Switchable faults for the replay server: error statuses, ``Retry-After``, delays, broken bodies.

A :class:`Fault` is a rule; a :class:`FaultSet` is the ordered, thread-safe list the server consults for every
request outside ``/_replay/``. The first rule whose ``path`` regex is found in the request's path and query
(and that still has ``times`` left) applies, and its ``times`` is decremented under the set's lock. Over HTTP
the same rules are posted as JSON objects with the same field names (``POST /_replay/faults``).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from workflows.replay.responses import Response, compact_json

_JSON: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


@dataclass
class Fault:
    r"""One fault rule.

    Attributes:
        path: Regular expression searched (``re.search``) in the request path plus ``?query`` when there is
            one, e.g. ``r"/worldbank/.*indicator/NY\.GDP"``.
        status: Answer with this HTTP status instead of the real one. Without ``body``, a status of 400 or
            more replaces the real body with a small JSON error; a lower status keeps the real body.
        times: How many matching requests the rule applies to; ``None`` means no limit.
        retry_after: Seconds to announce in a ``Retry-After`` header.
        delay: Seconds to wait before answering.
        truncate: Send the full ``Content-Length`` but only this many body bytes, then close the connection.
        body: Send this text (UTF-8) as the body instead of the real one, keeping the real ``Content-Type``;
            e.g. malformed JSON ``[{"page":1,``.
    """

    path: str
    status: int | None = None
    times: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    truncate: int | None = None
    body: str | None = None
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate the rule and compile its ``path`` pattern.

        Raises:
            TypeError: If ``path`` is not a string.
            ValueError: If a field has a bad value (or, for the numbers and ``body``, the wrong type).
        """
        if not isinstance(self.path, str):
            raise TypeError(f"fault path must be a regular expression string, got {self.path!r}")
        try:
            self._pattern = re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"fault path {self.path!r} is not a valid regular expression: {exc}") from exc
        if self.status is not None and (not _is_int(self.status) or not 100 <= self.status <= 599):
            raise ValueError(f"fault status must be an HTTP status 100-599, got {self.status!r}")
        for name in ("times", "retry_after", "truncate"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 0):
                raise ValueError(f"fault {name} must be a whole number >= 0, got {value!r}")
        if isinstance(self.delay, bool) or not isinstance(self.delay, int | float) or not 0 <= self.delay < math.inf:
            raise ValueError(f"fault delay must be a number of seconds >= 0, got {self.delay!r}")
        if self.body is not None and not isinstance(self.body, str):
            raise ValueError(f"fault body must be a string, got {self.body!r}")

    @classmethod
    def from_dict(cls, value: object) -> Fault:
        """Build a rule from its JSON form.

        Args:
            value: A mapping with ``path`` and any of the optional fields.

        Returns:
            The validated rule.

        Raises:
            TypeError: If ``value`` is not a mapping or ``path`` is not a string.
            ValueError: If ``value`` has unknown keys, lacks ``path`` or has bad values.
        """
        if not isinstance(value, dict):
            raise TypeError(f"a fault must be a JSON object, got {value!r}")
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; expected some of {sorted(known)}")
        if "path" not in value:
            raise ValueError("a fault needs a 'path' regular expression")
        return cls(**value)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the rule (``times`` is what is left).

        Returns:
            A mapping with every public field.
        """
        return {key: value for key, value in asdict(self).items() if not key.startswith("_")}

    def matches(self, target: str) -> bool:
        """Tell whether the rule's pattern is found in ``target``.

        Args:
            target: The request path, plus ``?`` and the query string when there is one.

        Returns:
            ``True`` when the pattern matches somewhere in ``target``.
        """
        return self._pattern.search(target) is not None

    def apply(self, response: Response) -> Response:
        """Replace status, body and headers of the real response as the rule says.

        ``delay`` and ``truncate`` are transport effects and are carried out by the server.

        Args:
            response: The response the route would have sent.

        Returns:
            The response to send instead.
        """
        status = response.status if self.status is None else self.status
        headers = response.headers
        body = response.body
        if self.body is not None:
            body = self.body.encode("utf-8")
        elif self.status is not None and self.status >= 400:
            headers = _JSON
            body = compact_json({"error": "injected fault", "status": self.status})
        if self.retry_after is not None:
            headers = (*headers, ("Retry-After", str(self.retry_after)))
        return Response(status, headers, body)


def _is_int(value: object) -> bool:
    """Tell whether ``value`` is an ``int`` but not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


class FaultSet:
    """An ordered list of fault rules, safe to use from many threads."""

    def __init__(self) -> None:
        """Create an empty set."""
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Append a copy of ``fault`` (the caller's object is never mutated).

        Args:
            fault: The rule to add after the existing ones.
        """
        with self._lock:
            self._rules.append(replace(fault))

    def replace_all(self, faults: Iterable[Fault]) -> None:
        """Replace every rule by copies of ``faults``.

        Args:
            faults: The new rules, in the order they are checked.
        """
        copies = [replace(fault) for fault in faults]
        with self._lock:
            self._rules = copies

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules = []

    def rules(self) -> list[Fault]:
        """Return copies of the current rules (with what is left of ``times``).

        Returns:
            The rules in the order they are checked.
        """
        with self._lock:
            return [replace(fault) for fault in self._rules]

    def take(self, target: str) -> Fault | None:
        """Find the first rule that applies to ``target`` and use up one of its ``times``.

        Args:
            target: The request path, plus ``?`` and the query string when there is one.

        Returns:
            A copy of the applying rule, or ``None`` when no rule applies.
        """
        with self._lock:
            for fault in self._rules:
                if (fault.times is None or fault.times > 0) and fault.matches(target):
                    if fault.times is not None:
                        fault.times -= 1
                    return replace(fault)
        return None

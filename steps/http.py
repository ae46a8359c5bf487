"""The one HTTP client every source uses: timeouts, bounded retries with backoff and jitter, Retry-After.

Retried: connection errors, timeouts, truncated bodies, HTTP 429 and 5xx, and a body the caller's ``parse`` rejects
(a malformed JSON page is usually a glitch the next request does not repeat; after :data:`MALFORMED_ATTEMPTS` it
is bad input). Not retried: other 4xx (bad input or configuration). When attempts run out the request fails with
:class:`TransientError` (exit 75, Argo retries the pod later); a refused request fails with :class:`InputError` or
:class:`ConfigError` (exit 2).

Around every attempt (retries included), when the source has them: the circuit breaker is checked
(:mod:`steps.breaker`), a rate-limit token is taken (:mod:`steps.ratelimit`) and the request is counted against
the daily quota. Credentials a source registers with :meth:`HttpClient.authorize` are added to every request
(query parameter or header) and their values join the secrets masked in URLs, errors and raw bodies.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from steps.breaker import CircuitBreaker
from steps.errors import ConfigError, InputError, TransientError
from steps.redact import redact_text, redact_url
from steps.retry_after import retry_after_seconds
from steps.sources.config import HttpPolicy

if TYPE_CHECKING:
    from steps.ratelimit import DailyQuota, RateLimiter

Params = Mapping[str, str | Sequence[str]]
"""Query parameters; a sequence value repeats the parameter (``datatypeid=TMAX&datatypeid=TMIN``)."""

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A truncated body surfaces as ChunkedEncodingError while reading it: the connection broke, so retry.
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_BODY_SNIPPET = 200
MALFORMED_ATTEMPTS = 3  # requests of one URL whose body fails to parse before the body counts as bad input


class MalformedBody(ValueError):
    """Raised by a ``parse`` callback of :meth:`HttpClient.get` for a body it cannot read (e.g. invalid JSON)."""


@dataclass(frozen=True)
class Response:
    """A response whose body was read completely."""

    url: str  # redacted: safe to log and store
    status: int
    body: bytes
    content_type: str
    fetched_at: datetime
    elapsed_s: float
    attempts: int
    parsed: Any = None  # what the ``parse`` callback of HttpClient.get returned


@dataclass
class ClientStats:
    """Counters for the run report."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0


class HttpClient:
    """A requests session with the retry policy of one source."""

    def __init__(
        self,
        source: str,
        policy: HttpPolicy,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 8,
        limiter: RateLimiter | None = None,
        quota: DailyQuota | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """Create a client for ``source``; ``secrets`` are values to mask wherever a URL or body is reported.

        ``limiter``, ``quota`` and ``breaker`` are shared by every thread using this client.
        """
        self.source = source
        self.policy = policy
        self.secrets = secrets
        self.stats = ClientStats()
        self.limiter = limiter
        self.quota = quota
        self.breaker = breaker
        self._auth_params: dict[str, str] = {}
        self._sleep = sleep
        self._lock = threading.Lock()
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"User-Agent": "tributary/0.1", "Accept": "application/json"})
        self._session.headers.update(headers or {})

    def authorize(self, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> None:
        """Send credentials with every request (a query parameter and/or a header); their values become secrets."""
        values = [*(params or {}).values(), *(headers or {}).values()]
        self.secrets = tuple(dict.fromkeys([*self.secrets, *values]))
        self._auth_params.update(params or {})
        self._session.headers.update(headers or {})

    def close(self) -> None:
        """Close pooled connections and write the daily quota count back."""
        if self.quota is not None:
            self.quota.flush()
        self._session.close()

    def get(
        self,
        url: str,
        params: Params | None = None,
        *,
        accept: frozenset[int] = frozenset(),
        parse: Callable[[bytes], Any] | None = None,
    ) -> Response:
        """GET ``url`` with ``params``, retrying transient failures; returns 2xx responses and ``accept`` ones.

        ``parse`` reads the body (its result is ``Response.parsed``); a :class:`MalformedBody` it raises is retried
        like a broken connection, and becomes an :class:`InputError` naming the URL when it keeps happening.
        """
        sent = [*_pairs(params), *self._auth_params.items()]
        shown = redact_text(redact_url(url, sent), self.secrets)  # credentials show as ***
        policy = self.policy
        last_problem = ""
        malformed = 0
        for attempt in range(1, policy.max_attempts + 1):
            self._before_attempt()
            started = time.monotonic()
            wait: float | None = None
            try:
                resp = self._session.get(
                    url, params=sent, timeout=(policy.connect_timeout_s, policy.read_timeout_s), allow_redirects=True
                )
                body = resp.content  # reads the whole body; a short read raises here
            except _TRANSIENT_ERRORS as exc:
                last_problem = f"{type(exc).__name__}: {redact_text(str(exc), self.secrets)[:_BODY_SNIPPET]}"
                self._failed(last_problem, shown)
            else:
                self._count(len(body))
                if resp.status_code >= 500:
                    self._failed(f"HTTP {resp.status_code}", shown)
                elif resp.status_code != 429 and self.breaker is not None:
                    self.breaker.success()
                if 200 <= resp.status_code < 300 or resp.status_code in accept:
                    try:
                        parsed = parse(body) if parse is not None else None
                    except MalformedBody as exc:
                        malformed += 1
                        detail = redact_text(str(exc), self.secrets)[:_BODY_SNIPPET]
                        last_problem = f"malformed body: {detail}"
                        if malformed >= min(MALFORMED_ATTEMPTS, policy.max_attempts):
                            raise InputError(
                                f"{self.source}: GET {shown} returned a malformed body {malformed} times "
                                f"({detail}; {len(body)} bytes)",
                                "the provider keeps sending a broken page; check the URL and the provider's status",
                            ) from None
                    else:
                        return Response(
                            url=shown,
                            status=resp.status_code,
                            body=body,
                            content_type=resp.headers.get("content-type", ""),
                            fetched_at=datetime.now(UTC),
                            elapsed_s=time.monotonic() - started,
                            attempts=attempt,
                            parsed=parsed,
                        )
                elif resp.status_code not in RETRY_STATUSES:
                    snippet = redact_text(body[:_BODY_SNIPPET].decode("utf-8", "replace"), self.secrets)
                    raise _refused(self.source, shown, resp.status_code, snippet)
                else:
                    last_problem = f"HTTP {resp.status_code}"
                    wait = retry_after_seconds(resp.headers.get("Retry-After"))
                    if wait is not None and wait > policy.max_retry_after_s:
                        raise TransientError(
                            f"{self.source}: GET {shown} asked to retry after {wait:.0f}s "
                            f"(limit {policy.max_retry_after_s:.0f}s)",
                            "the provider is throttling us; the run can be retried later",
                        )
            if attempt == policy.max_attempts:
                break
            delay = wait if wait is not None else self._backoff(attempt)
            log.warning(
                "retrying",
                extra={
                    "source": self.source,
                    "url": shown,
                    "problem": last_problem,
                    "attempt": attempt,
                    "wait_s": round(delay, 2),
                },
            )
            with self._lock:
                self.stats.retries += 1
            self._pause(delay)
        raise TransientError(
            f"{self.source}: GET {shown} failed after {policy.max_attempts} attempts (last: {last_problem})",
            "the source is unavailable; retry the run later",
        )

    def _before_attempt(self) -> None:
        """Breaker closed, a rate-limit token, and one request of the daily quota; in that order."""
        breaker = self.breaker
        if breaker is not None:
            breaker.check()
        if self.limiter is not None:
            self.limiter.acquire(breaker.opened if breaker is not None else None)
            if breaker is not None:
                breaker.check()  # it may have opened while this request waited for its token
        if self.quota is not None:
            self.quota.take()

    def _failed(self, problem: str, url: str) -> None:
        """Report a failed attempt to the breaker (which raises once it is open)."""
        if self.breaker is not None:
            self.breaker.failure(f"{problem} on GET {url}")

    def _pause(self, seconds: float) -> None:
        """Wait before a retry; a breaker opening meanwhile ends the wait (and the next check raises)."""
        if self.breaker is not None and self._sleep is time.sleep:
            self.breaker.opened.wait(seconds)
        else:
            self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half the step fixed, half random."""
        step: float = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (attempt - 1))
        return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not cryptography

    def _count(self, nbytes: int) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.bytes += nbytes


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    """Query parameters as pairs, a sequence value giving one pair per item."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if isinstance(value, str):
            pairs.append((key, value))
        else:
            pairs.extend((key, v) for v in value)
    return pairs


def _refused(source: str, url: str, status: int, snippet: str) -> Exception:
    what = f"{source}: GET {url} returned HTTP {status}: {snippet.strip()}"
    if status in (401, 403):
        return ConfigError(what, "check the API key/token in the source's Secret")
    return InputError(what, "check the source configuration (codes, parameters) against the provider's API")

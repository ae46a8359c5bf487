"""Where a task's lineage events go: always the lake, and ``OPENLINEAGE_URL`` when it is set.

In the lake every event is its own file, ``reports/<run_id>/lineage/<seq>-<task>-<eventType>.json`` (``seq`` the
event time, so a listing is in order and concurrent tasks never write the same object). Over HTTP it is POSTed
to ``OPENLINEAGE_URL`` + ``/api/v1/lineage`` (Marquez's, and the OpenLineage HTTP transport's, endpoint) with a
short timeout and two retries, authenticated by ``OPENLINEAGE_API_KEY`` (a Secret) when set. Lineage never fails
a task: a problem is one warning line, and after one failed send the task stops trying (its events are in the
lake anyway).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from steps import layout
from steps.lake import Lake
from steps.lineage.datasets import Lineage
from steps.lineage.events import EventType, run_event, to_json
from steps.redact import redact_text, redact_url

log = logging.getLogger(__name__)

URL_VARIABLE = "OPENLINEAGE_URL"
KEY_VARIABLE = "OPENLINEAGE_API_KEY"
NAMESPACE_VARIABLE = "TRIBUTARY_LINEAGE_NAMESPACE"
DEFAULT_NAMESPACE = "tributary"
TIMEOUT_S = 3.0
RETRY = {"total": 2, "connect": 2, "read": 1, "backoff_factor": 0.2, "status_forcelist": [429, 500, 502, 503, 504]}


def event_path(run_id: str, task: str, event_type: str, when: datetime) -> str:
    """The lake path of one event: sortable by time, unique per task and event."""
    seq = when.strftime("%Y%m%dT%H%M%S%fZ")
    return f"{layout.report_dir(run_id)}/lineage/{seq}-{task}-{event_type}.json"


@dataclass
class LineageEmitter:
    """Emits one task's events (one emitter per task process)."""

    lake: Lake
    run_id: str
    task: str
    namespace: str = DEFAULT_NAMESPACE
    url: str | None = None
    api_key: str | None = None
    to_lake: bool = True  # False once the lake failed a write (this event's or the stage result's)

    @classmethod
    def from_env(cls, lake: Lake, run_id: str, task: str) -> LineageEmitter:
        """The emitter of ``task``, configured by ``OPENLINEAGE_URL``, ``OPENLINEAGE_API_KEY`` and the namespace."""
        return cls(
            lake,
            run_id,
            task,
            namespace=os.environ.get(NAMESPACE_VARIABLE) or DEFAULT_NAMESPACE,
            url=os.environ.get(URL_VARIABLE) or None,
            api_key=os.environ.get(KEY_VARIABLE) or None,
        )

    def emit(self, event_type: EventType, when: datetime, lineage: Lineage, error: str | None = None) -> None:
        """Write the event to the lake and send it; warn, never raise, when either fails."""
        try:
            event = run_event(
                event_type,
                namespace=self.namespace,
                run_id=self.run_id,
                task=self.task,
                when=when,
                lineage=lineage,
                error=error,
            )
            body = redact_text(to_json(event), [self.api_key] if self.api_key else [])
        except Exception as exc:  # noqa: BLE001 - lineage must never break a task
            self._warn(f"could not build the {event_type} event ({type(exc).__name__}: {exc})")
            return
        if self.to_lake:
            try:
                self.lake.write_bytes(event_path(self.run_id, self.task, event_type, when), body.encode())
            except Exception as exc:  # noqa: BLE001 - lineage must never break a task
                self.to_lake = False  # an unreachable store can take a minute per write: do not wait for it again
                self._warn(f"could not write the {event_type} event to the lake ({type(exc).__name__}: {exc})")
        if self.url:
            self._send(event_type, event)

    def _send(self, event_type: str, event: dict[str, Any]) -> None:
        # the client (a third of a second of imports, with its transports) only when there is a server to send to
        from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider

        url = self.url or ""
        try:
            auth = ApiKeyTokenProvider({"apiKey": self.api_key}) if self.api_key else TokenProvider({})
            config = HttpConfig(url=url, timeout=TIMEOUT_S, auth=auth, retry={**RETRY, "allowed_methods": ["POST"]})
            transport = HttpTransport(config)
            try:
                transport.emit(event)  # type: ignore[arg-type]  # its serializer takes the event's JSON form too
            finally:
                transport.close()
        except Exception as exc:  # noqa: BLE001 - lineage must never break a task
            self.url = None  # one warning per task; the next event goes to the lake only
            self._warn(
                f"could not send the {event_type} event to {URL_VARIABLE}={redact_url(url)} ({type(exc).__name__}: "
                f"{_reason(exc)}); it is in the lake under {layout.report_dir(self.run_id)}/lineage/. Fix: check that "
                "the lineage server is up and the URL points at it (Marquez: http://host:5000)"
            )

    def _warn(self, line: str) -> None:
        log.warning("lineage", extra={"task": self.task, "problem": redact_text(line)})
        # not "<task>: …", which is how a stage words its own problems (and the runner shows the last one)
        sys.stderr.write(redact_text(f"lineage of {self.task}: {line}") + "\n")


def _reason(exc: BaseException) -> str:
    """The innermost cause, short: the transport wraps connection errors twice."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return str(exc)[:200]

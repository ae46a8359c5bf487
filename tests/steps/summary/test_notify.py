"""Delivering the notification to real HTTP receivers: retried when it can help, bounded in time, never raising."""

from __future__ import annotations

import time

import pytest

from steps.summary.notify import ATTEMPTS, notify
from tests.steps.summary.webhook import WebhookReceiver

PAYLOAD = {"text": "*Tributary run `r1` FAILED*", "run_id": "r1", "status": "failed"}


def test_server_errors_are_retried_until_accepted() -> None:
    with WebhookReceiver([500, 500, 200]) as hook:
        delivery = notify(hook.url(), PAYLOAD, timeout_s=5, sleep=lambda s: None)
    assert delivery.ok and delivery.attempts == 3
    assert hook.received == [PAYLOAD] * 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_a_refusal_is_final_at_once(status: int, caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    with WebhookReceiver([status]) as hook:
        delivery = notify(hook.url("/services/T0/B0/secret-token-123"), PAYLOAD, timeout_s=5, sleep=waits.append)
    assert not delivery.ok and delivery.attempts == 1 and waits == []
    assert delivery.problem == f"HTTP {status}, not retried: the webhook refused the request"
    assert len(hook.received) == 1
    assert "secret-token-123" not in caplog.text


def test_rate_limited_waits_as_told() -> None:
    waits: list[float] = []
    with WebhookReceiver([429, 200], headers={"Retry-After": "3"}) as hook:
        delivery = notify(hook.url(), PAYLOAD, timeout_s=5, sleep=waits.append)
    assert delivery.ok and delivery.attempts == 2 and waits == [3.0]


def test_a_rate_limit_beyond_the_cap_is_not_waited_for() -> None:
    with WebhookReceiver([429], headers={"Retry-After": "3600"}) as hook:
        delivery = notify(hook.url(), PAYLOAD, timeout_s=5, sleep=lambda s: None)
    assert not delivery.ok and delivery.attempts == 1 and "Retry-After 3600s" in (delivery.problem or "")


def test_a_receiver_that_never_answers_times_out_per_attempt() -> None:
    waits: list[float] = []
    with WebhookReceiver(hang=True) as hook:
        started = time.monotonic()
        delivery = notify(hook.url(), PAYLOAD, timeout_s=0.5, sleep=waits.append)
        elapsed = time.monotonic() - started
    assert not delivery.ok and delivery.attempts == ATTEMPTS and len(hook.received) == ATTEMPTS
    assert "timed out" in (delivery.problem or "")
    assert waits == [1.0, 2.0]
    assert elapsed < ATTEMPTS * 0.5 + 2  # the attempts' timeouts, not a hang


def test_nothing_listening_is_retried_then_given_up() -> None:
    waits: list[float] = []
    delivery = notify("http://127.0.0.1:9/hook", PAYLOAD, timeout_s=1, sleep=waits.append)
    assert not delivery.ok and delivery.attempts == ATTEMPTS and waits == [1.0, 2.0]
    assert "refused" in (delivery.problem or "").lower()


def test_a_url_that_is_not_http_is_refused_without_being_shown() -> None:
    delivery = notify("hooks.slack.com/services/T0/B0/tok", PAYLOAD, timeout_s=1)
    assert not delivery.ok and delivery.attempts == 0
    assert delivery.problem == "TRIBUTARY_WEBHOOK_URL is not an http(s) URL"

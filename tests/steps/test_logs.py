"""Stage logging: one line per event, whatever console handlers libraries added before."""

from __future__ import annotations

import logging
import sys

import pytest

from steps.logs import configure_logging


def test_each_event_is_logged_once_in_our_format(capfd: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        root.addHandler(logging.StreamHandler(sys.stderr))  # what importing dbt does
        configure_logging()
        configure_logging()  # idempotent
        logging.getLogger("steps.example").info("built", extra={"layer": "silver"})
        lines = [line for line in capfd.readouterr().err.splitlines() if "built" in line]
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    assert len(lines) == 1
    assert lines[0].endswith("INFO    steps.example: built layer=silver")

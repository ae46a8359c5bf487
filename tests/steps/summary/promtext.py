"""A strict reader of Prometheus' text exposition format (0.0.4), for the tests: what a scraper would refuse fails.

Checks what node-exporter's textfile collector and Prometheus check: metric and label names, label value escapes,
float values, one HELP and one TYPE per family placed before its samples, a family's samples together, no series
twice, no timestamps (the textfile collector refuses them), a final newline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_SAMPLE = re.compile(rf"^(?P<name>{NAME})(?:\{{(?P<labels>.*)\}})? (?P<value>\S+)$")
_PAIR = re.compile(rf'\s*(?P<key>{LABEL})="(?P<value>(?:[^"\\\n]|\\[\\"n])*)"\s*(?:,|$)')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


@dataclass
class Exposition:
    """The parsed families: help, type, and samples keyed by (name, sorted label pairs)."""

    help: dict[str, str] = field(default_factory=dict)
    type: dict[str, str] = field(default_factory=dict)
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        """The value of one series."""
        return self.samples[(name, tuple(sorted(labels.items())))]

    def series(self, name: str) -> dict[str, float]:
        """``source`` label → value, for one family labelled by source."""
        return {dict(labels)["source"]: v for (n, labels), v in self.samples.items() if n == name}


def parse(text: str) -> Exposition:
    """Parse ``text``; AssertionError naming the line on anything a scraper would refuse."""
    assert text.endswith("\n"), "the exposition must end with a newline"
    out = Exposition()
    done: set[str] = set()  # families whose samples ended
    current: str | None = None
    for number, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {number}: {line!r}"
        assert line.strip(), f"{where}: empty line"
        if line.startswith("#"):
            parts = line.split(" ", 3)
            assert len(parts) >= 3 and parts[0] == "#", where
            kind, name = parts[1], parts[2]
            assert re.fullmatch(NAME, name), where
            assert name not in done and current != name, f"{where}: HELP/TYPE after the family's samples"
            if kind == "HELP":
                assert name not in out.help, f"{where}: second HELP"
                out.help[name] = parts[3] if len(parts) == 4 else ""
            elif kind == "TYPE":
                assert name not in out.type and len(parts) == 4 and parts[3] in TYPES, where
                out.type[name] = parts[3]
            continue
        match = _SAMPLE.match(line)
        assert match, f"{where}: not 'name{{labels}} value' (timestamps are refused)"
        name = match["name"]
        if current != name:
            assert name not in done, f"{where}: samples of {name} are not together"
            if current is not None:
                done.add(current)
            current = name
        labels = _labels(match["labels"] or "", where)
        value = float(match["value"])  # ValueError on anything else: Prometheus refuses it too
        assert not math.isnan(value) or match["value"] == "NaN", where
        key = (name, labels)
        assert key not in out.samples, f"{where}: the series appears twice"
        out.samples[key] = value
    return out


def _labels(text: str, where: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    pos = 0
    while pos < len(text):
        match = _PAIR.match(text, pos)
        assert match, f"{where}: bad labels {text!r}"
        pairs.append((match["key"], match["value"].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")))
        pos = match.end()
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"{where}: a label twice"
    return tuple(sorted(pairs))

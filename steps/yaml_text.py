"""Reading YAML text: with libyaml's C parser when PyYAML was built with it, else PyYAML's own; the same documents.

Every stage reads the pipeline configuration and the gates read their suites: the pure-Python parser takes about
5 ms for the packaged configuration, the C one a tenth of that, on each task of the run's critical path.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``: plain data only; a ``yaml.YAMLError`` (with its problem and mark) when malformed."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python

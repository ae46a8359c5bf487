"""The small part of Argo's expression language the local runner understands; anything else is refused.

- simple tags ``{{workflow.name}}``, ``{{workflow.parameters.x}}``, ``{{inputs.parameters.x}}``,
  ``{{tasks.X.outputs.parameters.Y}}``, and in the exit handler ``{{workflow.status}}``/``{{workflow.failures}}``;
- ``when``: one comparison ``A == B`` or ``A != B`` (Argo's govaluate with bare words read as strings);
- ``depends``: task names joined by ``&&`` (each meaning Succeeded or Skipped), or a ``dependencies`` list;
- ``retryStrategy.expression``: ``asInt(lastRetry.exitCode) == N``, several joined by ``||``;
- durations: seconds or Go durations (``30s``, ``5m``, ``1h30m``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

TAG = re.compile(r"\{\{(.*?)\}\}")
_OPERAND = r"(?:\{\{[^{}]+\}\}|'[^']*'|\"[^\"]*\"|[A-Za-z0-9_.\-]+)"
_WHEN = re.compile(rf"^\s*({_OPERAND})\s*(==|!=)\s*({_OPERAND})\s*$")
_VALUE = r"(?:'[^']*'|\"[^\"]*\"|[A-Za-z0-9_.\-]+)"
_COMPARISON = re.compile(rf"^\s*({_VALUE})\s*(==|!=)\s*({_VALUE})\s*$")
_TASK = r"[a-zA-Z0-9][-a-zA-Z0-9]*"
_DEPENDS = re.compile(rf"^\s*{_TASK}(\s*&&\s*{_TASK})*\s*$")
_EXIT_CODE_TERM = re.compile(r"^\s*asInt\(lastRetry\.exitCode\)\s*==\s*(\d+)\s*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class ExpressionError(ValueError):
    """An expression outside what the local runner supports, or one it cannot resolve."""


def tags(text: str) -> list[str]:
    """The variable names referenced by ``{{…}}`` tags in ``text``.

    Raises:
        ExpressionError: an expression tag ``{{=…}}``, which the local runner does not evaluate.
    """
    names = []
    for match in TAG.finditer(text):
        inner = match.group(1).strip()
        if inner.startswith("="):
            raise ExpressionError(f"expression tag {match.group(0)!r} is not supported by the local runner")
        names.append(inner)
    return names


def substitute(text: str, resolve: Callable[[str], str]) -> str:
    """Replace every ``{{name}}`` in ``text`` by ``resolve(name)``."""
    tags(text)  # refuses expression tags
    return TAG.sub(lambda m: resolve(m.group(1).strip()), text)


def check_when(expression: str) -> None:
    """Refuse a ``when`` the local runner cannot evaluate, naming it."""
    if not _WHEN.match(expression):
        raise ExpressionError(
            f"when expression {expression!r} is not supported by the local runner; "
            "it evaluates one comparison: '<value> == <value>' or '<value> != <value>'"
        )


def evaluate_when(expression: str, resolve: Callable[[str], str]) -> bool:
    """Evaluate a ``when`` after substituting its tags (numbers compare as numbers, anything else as text)."""
    check_when(expression)
    substituted = substitute(expression, resolve)
    match = _COMPARISON.match(substituted)
    if match is None:  # Argo's evaluator would fail on it too
        raise ExpressionError(f"when expression {expression!r} became {substituted!r}, which is not a comparison")
    left, op, right = match.groups()
    equal = _comparable(left) == _comparable(right)
    return equal if op == "==" else not equal


def _comparable(value: str) -> float | str:
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return float(text)
    except ValueError:
        return text


def parse_depends(expression: str) -> tuple[str, ...]:
    """Task names of a ``depends`` made of names joined by ``&&``.

    Raises:
        ExpressionError: results (``A.Failed``), ``||``, ``!`` or parentheses.
    """
    if not _DEPENDS.match(expression):
        raise ExpressionError(
            f"depends {expression!r} is not supported by the local runner; use task names joined by '&&'"
        )
    return tuple(part.strip() for part in expression.split("&&"))


def parse_retry_expression(expression: str) -> frozenset[int]:
    """Exit codes a ``retryStrategy.expression`` retries.

    Raises:
        ExpressionError: anything but ``asInt(lastRetry.exitCode) == N`` terms joined by ``||``.
    """
    codes = set()
    for term in expression.split("||"):
        match = _EXIT_CODE_TERM.match(term)
        if not match:
            raise ExpressionError(
                f"retry expression {expression!r} is not supported by the local runner; "
                "use 'asInt(lastRetry.exitCode) == N' terms joined by '||'"
            )
        codes.add(int(match.group(1)))
    return frozenset(codes)


def parse_duration(value: str | int | float) -> float:
    """Seconds of an Argo duration: a number of seconds or a Go duration such as ``30s``, ``5m``, ``1h30m``.

    Raises:
        ExpressionError: anything else.
    """
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ExpressionError(f"duration {value!r} is not seconds or a Go duration such as '30s', '5m', '1h30m'")
    return sum(float(n) * _UNITS[u] for n, u in parts)

"""The small part of Argo's expression language the local runner understands; anything else is refused.

- simple tags ``{{workflow.name}}``, ``{{workflow.parameters.x}}``, ``{{inputs.parameters.x}}``,
  ``{{tasks.X.outputs.parameters.Y}}``, and in the exit handler ``{{workflow.status}}``/``{{workflow.failures}}``;
- ``when``: one comparison ``A == B`` or ``A != B`` (Argo's govaluate with bare words read as strings);
- ``depends``: task names joined by ``&&`` (each meaning Succeeded or Skipped), or a ``dependencies`` list;
- ``retryStrategy.expression``: a boolean over ``lastRetry.exitCode``, ``lastRetry.status``, ``lastRetry.duration``,
  ``lastRetry.message`` and ``retries`` (Argo's variables) with ``asInt``/``asFloat``, comparisons, ``in [...]``,
  ``matches``, ``!``/``not``, ``&&``/``and``, ``||``/``or`` and parentheses (:func:`retry_condition`);
- durations: seconds or Go durations (``30s``, ``5m``, ``1h30m``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from workflows.argo.settings import duration_seconds

TAG = re.compile(r"\{\{(.*?)\}\}")
_OPERAND = r"(?:\{\{[^{}]+\}\}|'[^']*'|\"[^\"]*\"|[A-Za-z0-9_.\-]+)"
_WHEN = re.compile(rf"^\s*({_OPERAND})\s*(==|!=)\s*({_OPERAND})\s*$")
_VALUE = r"(?:'[^']*'|\"[^\"]*\"|[A-Za-z0-9_.\-]+)"
_COMPARISON = re.compile(rf"^\s*({_VALUE})\s*(==|!=)\s*({_VALUE})\s*$")
_TASK = r"[a-zA-Z0-9][-a-zA-Z0-9]*"
_DEPENDS = re.compile(rf"^\s*{_TASK}(\s*&&\s*{_TASK})*\s*$")


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


RETRY_VARIABLES = ("lastRetry.exitCode", "lastRetry.status", "lastRetry.duration", "lastRetry.message", "retries")
_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>\|\||&&|==|!=|<=|>=|[<>!(),\[\]])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"
)
_FUNCTIONS: dict[str, Callable[[object], object]] = {
    "asInt": lambda v: int(float(str(v))),
    "asFloat": lambda v: float(str(v)),
}


@dataclass(frozen=True)
class RetryCondition:
    """A compiled ``retryStrategy.expression``: call it with the last attempt's variables (all strings, as in Argo)."""

    expression: str
    _evaluate: Callable[[Mapping[str, str]], object]

    def __call__(self, variables: Mapping[str, str]) -> bool:
        """Whether the node is retried, given ``lastRetry.*`` and ``retries``."""
        try:
            return bool(self._evaluate(variables))
        except (ValueError, TypeError) as exc:  # Argo fails the node when its expression cannot be evaluated
            raise ExpressionError(f"retry expression {self.expression!r} failed on {dict(variables)}: {exc}") from None


def retry_condition(expression: str) -> RetryCondition:
    """Compile a ``retryStrategy.expression`` written in the subset of expr-lang that Argo users write.

    Raises:
        ExpressionError: a syntax the local runner does not evaluate, or a variable Argo does not provide.
    """
    return RetryCondition(expression, _Parser(expression).parse())


class _Parser:
    """Recursive descent over: or → and → not → comparison → primary."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text.rstrip()):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise self._error(f"unexpected {text[pos:].strip()[:20]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0

    def parse(self) -> Callable[[Mapping[str, str]], object]:
        node = self._or()
        if self.pos != len(self.tokens):
            raise self._error(f"unexpected {self.tokens[self.pos][1]!r}")
        return node

    def _error(self, why: str) -> ExpressionError:
        return ExpressionError(
            f"retry expression {self.text!r} is not supported by the local runner ({why}); use comparisons of "
            f"{', '.join(RETRY_VARIABLES)} joined by '||' / '&&', e.g. 'asInt(lastRetry.exitCode) == 75'"
        )

    def _peek(self, *values: str) -> bool:
        return self.pos < len(self.tokens) and self.tokens[self.pos][1] in values

    def _take(self, *values: str) -> str:
        if not self._peek(*values):
            found = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "the end"
            raise self._error(f"expected {' or '.join(values)}, found {found!r}")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def _or(self) -> Callable[[Mapping[str, str]], object]:
        terms = [self._and()]
        while self._peek("||", "or"):
            self.pos += 1
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else lambda v: any(term(v) for term in terms)

    def _and(self) -> Callable[[Mapping[str, str]], object]:
        terms = [self._not()]
        while self._peek("&&", "and"):
            self.pos += 1
            terms.append(self._not())
        return terms[0] if len(terms) == 1 else lambda v: all(term(v) for term in terms)

    def _not(self) -> Callable[[Mapping[str, str]], object]:
        if self._peek("!", "not"):
            self.pos += 1
            inner = self._not()
            return lambda v: not inner(v)
        return self._comparison()

    def _comparison(self) -> Callable[[Mapping[str, str]], object]:
        left = self._primary()
        if self._peek("==", "!=", "<", "<=", ">", ">="):
            op, right = self._take("==", "!=", "<", "<=", ">", ">="), self._primary()
            compare = _COMPARE[op]
            return lambda v: compare(left(v), right(v))
        negate = self._peek("not") and self.pos + 1 < len(self.tokens) and self.tokens[self.pos + 1][1] == "in"
        if negate:
            self.pos += 1
        if self._peek("in"):
            self.pos += 1
            items = self._list()
            return lambda v: (left(v) in [item(v) for item in items]) != negate
        if self._peek("matches"):
            self.pos += 1
            pattern = self._primary()
            return lambda v: re.search(str(pattern(v)), str(left(v))) is not None
        return left

    def _list(self) -> list[Callable[[Mapping[str, str]], object]]:
        self._take("[")
        items = []
        while not self._peek("]"):
            items.append(self._primary())
            if not self._peek("]"):
                self._take(",")
        self._take("]")
        return items

    def _primary(self) -> Callable[[Mapping[str, str]], object]:
        if self.pos >= len(self.tokens):
            raise self._error("it ends too early")
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if kind == "num":
            number = float(value) if "." in value else int(value)
            return lambda v: number
        if kind == "str":
            text = value[1:-1]
            return lambda v: text
        if value == "(":
            inner = self._or()
            self._take(")")
            return inner
        if kind == "name" and value in _FUNCTIONS and self._peek("("):
            self._take("(")
            argument = self._or()
            self._take(")")
            function = _FUNCTIONS[value]
            return lambda v: function(argument(v))
        if kind == "name" and value in ("true", "false"):
            return lambda v: value == "true"
        if kind == "name" and value in RETRY_VARIABLES:
            return lambda v: v[value]
        raise self._error(f"unknown name {value!r}")


_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


def parse_duration(value: str | int | float) -> float:
    """Seconds of an Argo duration: a number of seconds or a Go duration such as ``30s``, ``5m``, ``1h30m``.

    Raises:
        ExpressionError: anything else.
    """
    try:
        return duration_seconds(value)
    except ValueError as exc:
        raise ExpressionError(str(exc)) from None

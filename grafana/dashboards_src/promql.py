"""Just enough PromQL lexing to lint dashboard queries.

The lint rules (``$__rate_interval`` windows, counters inside ``rate()``, ``job``/``instance``
matchers) only need every vector selector with its matchers, its range and the function that
encloses it. Full syntax checking is promtool's job (see queries.promtool_syntax_errors); this
module stays a small lexer so the lint runs without any binary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Keywords that look like identifiers but never name a metric.
_KEYWORDS = frozenset({"and", "or", "unless", "atan2", "bool", "offset", "inf", "nan", "start", "end"})
# Keywords whose parenthesised list holds label names, not expressions.
_GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_AGGREGATIONS = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)
_GROUPING_MARK = "<grouping>"
_PAREN_MARK = "<paren>"

_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_NUMBER = re.compile(r"(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)(?:ms|[smhdwy])*")
_VARIABLE = re.compile(r"\$(?:\{[^}]*\}|\w+)")
_MATCHER = re.compile(
    r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')\s*'
)


class PromQLSyntaxError(ValueError):
    """The expression is not even lexically valid (unbalanced brackets, open string...)."""


@dataclass(frozen=True)
class Matcher:
    """One label matcher such as ``job=~"$job"`` (value without quotes)."""

    label: str
    op: str
    value: str


@dataclass(frozen=True)
class Selector:
    """A vector selector and its context inside the expression."""

    name: str | None
    matchers: tuple[Matcher, ...]
    range: str | None
    function: str | None  # innermost enclosing function or aggregation, None at top level

    def has_matcher(self, label: str, op: str, value: str) -> bool:
        return Matcher(label, op, value) in self.matchers


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, number, string, variable, braces, brackets, open, close, other
    text: str


def _read_quoted(expr: str, start: int) -> int:
    """Return the index just past the string literal that starts at ``start``."""
    quote = expr[start]
    i = start + 1
    while i < len(expr):
        if expr[i] == "\\" and quote != "`":
            i += 2
            continue
        if expr[i] == quote:
            return i + 1
        i += 1
    raise PromQLSyntaxError(f"unterminated string starting at offset {start}")


def _read_block(expr: str, start: int, closing: str) -> int:
    """Return the index just past the ``closing`` bracket matching the one at ``start``."""
    i = start + 1
    while i < len(expr):
        char = expr[i]
        if char in "\"'`":
            i = _read_quoted(expr, i)
            continue
        if char == closing:
            return i + 1
        if char in "{[":
            raise PromQLSyntaxError(f"unexpected {char!r} at offset {i}")
        i += 1
    raise PromQLSyntaxError(f"missing {closing!r} for bracket at offset {start}")


def _tokenize(expr: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(expr):
        char = expr[i]
        if char.isspace():
            i += 1
        elif char == "#":
            newline = expr.find("\n", i)
            i = len(expr) if newline < 0 else newline
        elif char in "\"'`":
            end = _read_quoted(expr, i)
            tokens.append(_Token("string", expr[i:end]))
            i = end
        elif char in "{[":
            closing = "}" if char == "{" else "]"
            end = _read_block(expr, i, closing)
            tokens.append(_Token("braces" if char == "{" else "brackets", expr[i + 1 : end - 1]))
            i = end
        elif char in "}]":
            raise PromQLSyntaxError(f"unexpected {char!r} at offset {i}")
        elif char in "()":
            tokens.append(_Token("open" if char == "(" else "close", char))
            i += 1
        elif match := _VARIABLE.match(expr, i):
            tokens.append(_Token("variable", match.group()))
            i = match.end()
        elif match := _IDENT.match(expr, i):
            tokens.append(_Token("ident", match.group()))
            i = match.end()
        elif match := _NUMBER.match(expr, i):
            tokens.append(_Token("number", match.group()))
            i = match.end()
        else:
            tokens.append(_Token("other", char))
            i += 1
    return tokens


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """Parse the inside of ``{...}`` into matchers; raise PromQLSyntaxError if it is not one."""
    matchers: list[Matcher] = []
    for part in _split_matchers(text):
        match = _MATCHER.fullmatch(part)
        if match is None:
            raise PromQLSyntaxError(f"bad label matcher {part.strip()!r}")
        label, op, quoted = match.groups()
        matchers.append(Matcher(label, op, quoted[1:-1]))
    return tuple(matchers)


def _split_matchers(text: str) -> list[str]:
    """Split on commas outside string literals, dropping a trailing empty part."""
    parts: list[str] = []
    start = i = 0
    while i < len(text):
        if text[i] in "\"'`":
            i = _read_quoted(text, i)
            continue
        if text[i] == ",":
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [part for part in parts if part.strip()]


def _innermost_function(stack: list[str]) -> str | None:
    for entry in reversed(stack):
        if entry not in (_PAREN_MARK, _GROUPING_MARK):
            return entry
    return None


def selectors(expr: str) -> list[Selector]:
    """Every vector selector in ``expr`` in order of appearance.

    Raises PromQLSyntaxError for unbalanced brackets or strings, the one class of error the
    lint must catch itself because the rules below would otherwise give misleading answers.
    """
    tokens = _tokenize(expr)
    found: list[Selector] = []
    stack: list[str] = []
    pending_aggregation: str | None = None  # "sum by (x) (...)": the name waits for its "("
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.kind == "open":
            stack.append(pending_aggregation or _PAREN_MARK)
            pending_aggregation = None
        elif token.kind == "close":
            if not stack:
                raise PromQLSyntaxError("unbalanced ')'")
            stack.pop()
        elif token.kind == "ident" and stack and stack[-1] == _GROUPING_MARK:
            pass  # a label name inside by (...), on (...) and friends
        elif token.kind == "ident" and token.text in _AGGREGATIONS and _is_grouping(following):
            pending_aggregation = token.text
        elif token.kind == "ident" and token.text in _GROUPING:
            if following is not None and following.kind == "open":
                stack.append(_GROUPING_MARK)
                i += 1
        elif token.kind == "ident" and following is not None and following.kind == "open":
            stack.append(token.text)
            i += 1
        elif (token.kind == "ident" and token.text.lower() not in _KEYWORDS) or token.kind == "braces":
            selector, i = _read_selector(tokens, i, _innermost_function(stack))
            found.append(selector)
            continue
        i += 1
    if stack:
        raise PromQLSyntaxError("unbalanced '('")
    return found


def _is_grouping(token: _Token | None) -> bool:
    return token is not None and token.kind == "ident" and token.text in ("by", "without")


def _read_selector(tokens: list[_Token], i: int, function: str | None) -> tuple[Selector, int]:
    """Read ``name{matchers}[range]`` starting at token ``i``; return it and the next index."""
    name: str | None = None
    matchers: tuple[Matcher, ...] = ()
    if tokens[i].kind == "ident":
        name = tokens[i].text
        i += 1
    if i < len(tokens) and tokens[i].kind == "braces":
        matchers = parse_matchers(tokens[i].text)
        i += 1
    window: str | None = None
    if i < len(tokens) and tokens[i].kind == "brackets":
        window = tokens[i].text.strip()
        i += 1
    if name is None:
        name = next((m.value for m in matchers if m.label == "__name__" and m.op == "="), None)
    return Selector(name, matchers, window, function), i

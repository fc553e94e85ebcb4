"""Hypothesis strategies for hostile upstream input: mutations of real payloads, not just noise.

Random bytes alone rarely get past a parser's first check; a real file or response with a few
surgical changes (a line dropped or doubled, a number swapped for one that overflows or is not a
number, a cut in the middle, a key renamed, a type changed) reaches the code behind that check.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

#: Tokens that break naive parsers: empty, signs, overflow, float specials, huge, non-ASCII, NUL.
NASTY_TOKENS = (
    "",
    "-1",
    "-0",
    "0",
    "NaN",
    "nan",
    "inf",
    "-Inf",
    "1e309",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "0x1f",
    "1.5",
    "abc",
    "\x00",
    "é",
    " ",
    ":",
    "{",
    '"',
)


@st.composite
def mutated_text(draw: st.DrawFn, original: str) -> str:
    """``original`` after one to four line or token mutations, or cut short, or replaced by noise."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.text(max_size=400))
    if choice == 1:
        return original[: draw(st.integers(0, len(original)))]
    lines = original.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines.append(draw(st.text(max_size=60)))
            continue
        index = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(("drop", "double", "token", "insert", "split")))
        if operation == "drop":
            del lines[index]
        elif operation == "double":
            lines.insert(index, lines[index])
        elif operation == "insert":
            lines.insert(index, draw(st.text(max_size=60)))
        elif operation == "split":
            cut = draw(st.integers(0, len(lines[index])))
            lines[index : index + 1] = [lines[index][:cut], lines[index][cut:]]
        else:
            tokens = lines[index].split(" ")
            position = draw(st.integers(0, len(tokens) - 1))
            tokens[position] = draw(st.sampled_from(NASTY_TOKENS) | st.text(max_size=12))
            lines[index] = " ".join(tokens)
    return "\n".join(lines) + draw(st.sampled_from(("\n", "")))


def _nasty_json_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(NASTY_TOKENS),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def mutated_json(draw: st.DrawFn, original: Any) -> bytes:
    """A JSON document after one to four mutations (value replaced, key dropped or renamed, list
    emptied), serialised; sometimes cut short, sometimes not JSON at all (an HTML error page)."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.sampled_from((b"<html><body>502 Bad Gateway</body></html>", b"", b"null", b"[]")))
    document = json.loads(json.dumps(original))
    for _ in range(draw(st.integers(1, 4))):
        paths = [path for path in _paths(document) if path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        operation = draw(st.sampled_from(("replace", "drop", "rename")))
        if operation == "replace" or isinstance(parent, list):
            parent[last] = draw(_nasty_json_value())
        elif operation == "drop":
            del parent[last]
        else:
            parent[f"{last}_renamed"] = parent.pop(last)
    encoded = json.dumps(document).encode()
    if choice == 1:
        return encoded[: draw(st.integers(0, len(encoded)))]
    return encoded

"""The Alloy configuration as data, and the few Alloy behaviours the tests replay on it.

No Alloy binary is obtainable here, so the tests parse loki/alloy/*.alloy themselves: blocks,
attributes, strings (quoted and raw), lists, objects, references and function calls, which is
the part of the Alloy syntax the configuration uses. Anything else is a parse error, so a
construct this parser does not know fails the tests instead of being skipped silently.

The replays follow Alloy's own code (grafana/alloy v1.18.1): `stage.replace` replaces every
capture group of every match (internal/component/loki/process/stages/replace.go) and relabel
rules are Prometheus relabelling (anchored regex, `$1` replacement, empty result removes the
label).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stack_compose import REPO_ROOT

ALLOY_DIR = REPO_ROOT / "loki" / "alloy"
CORE_FILE = ALLOY_DIR / "config.alloy"


class AlloySyntaxError(ValueError):
    """The file uses syntax outside the subset this parser reads."""


@dataclass(frozen=True)
class Ref:
    """A reference to a component export or a standard-library value, e.g. constants.hostname."""

    path: str


@dataclass(frozen=True)
class Call:
    """A standard-library function call, e.g. sys.env("X")."""

    function: str
    args: tuple[Any, ...]


@dataclass
class Block:
    """A component or a nested block: `name "label" { attributes; blocks }`."""

    name: str
    label: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    @property
    def component_id(self) -> str:
        """How other components refer to this one: `<name>.<label>`."""
        return f"{self.name}.{self.label}"

    def children(self, name: str) -> list[Block]:
        """Nested blocks with this name, in file order."""
        return [block for block in self.blocks if block.name == name]

    def walk(self) -> Iterator[Block]:
        """This block and every block nested in it, at any depth."""
        yield self
        for block in self.blocks:
            yield from block.walk()


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
    | (?P<raw>`[^`]*`)
    | (?P<string>"(?:[^"\\\n]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[{}\[\]().,=])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_LITERALS = {"true": True, "false": False, "null": None}


def _unquote(literal: str, line: int) -> str:
    def escape(match: re.Match[str]) -> str:
        if match.group(1) not in _ESCAPES:
            raise AlloySyntaxError(f"line {line}: unsupported escape \\{match.group(1)}")
        return _ESCAPES[match.group(1)]

    return re.sub(r"\\(.)", escape, literal[1:-1])


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    position, line = 0, 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise AlloySyntaxError(f"line {line}: unexpected {text[position]!r}")
        kind, value = match.lastgroup or "", match.group()
        if kind == "raw":
            tokens.append(("string", value[1:-1], line))
        elif kind == "string":
            tokens.append(("string", _unquote(value, line), line))
        elif kind == "number":
            tokens.append(("number", float(value) if "." in value else int(value), line))
        elif kind != "space":
            tokens.append((kind, value, line))
        line += value.count("\n")
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, Any, int]:
        if self.index + offset < len(self.tokens):
            return self.tokens[self.index + offset]
        return ("eof", None, self.tokens[-1][2] if self.tokens else 1)

    def take(self, kind: str, value: Any = None) -> Any:
        token_kind, token_value, line = self.peek()
        if token_kind != kind or (value is not None and token_value != value):
            raise AlloySyntaxError(f"line {line}: expected {value or kind}, found {token_value!r}")
        self.index += 1
        return token_value

    def body(self, closing: str | None) -> tuple[dict[str, Any], list[Block]]:
        attributes: dict[str, Any] = {}
        blocks: list[Block] = []
        while not (self.peek()[0] == "eof" if closing is None else self.peek()[1] == closing):
            name = self.take("ident")
            if self.peek()[1] == "=":
                self.take("punct", "=")
                if name in attributes:
                    raise AlloySyntaxError(f"line {self.peek()[2]}: attribute {name} set twice")
                attributes[name] = self.expression()
                continue
            while self.peek()[1] == ".":
                self.take("punct", ".")
                name += "." + self.take("ident")
            label = self.take("string") if self.peek()[0] == "string" else None
            self.take("punct", "{")
            inner_attributes, inner_blocks = self.body("}")
            self.take("punct", "}")
            blocks.append(Block(name, label, inner_attributes, inner_blocks))
        return attributes, blocks

    def expression(self) -> Any:
        kind, value, line = self.peek()
        if kind in {"string", "number"}:
            self.index += 1
            return value
        if value == "[":
            return self.sequence("[", "]", self.expression)
        if value == "{":
            return dict(self.sequence("{", "}", self.object_item))
        if kind == "ident":
            return self.reference()
        raise AlloySyntaxError(f"line {line}: unexpected {value!r}")

    def sequence(self, opening: str, closing: str, item: Any) -> list[Any]:
        self.take("punct", opening)
        items = []
        while self.peek()[1] != closing:
            items.append(item())
            if self.peek()[1] != closing:
                self.take("punct", ",")
        self.take("punct", closing)
        return items

    def object_item(self) -> tuple[str, Any]:
        key = self.take("string") if self.peek()[0] == "string" else self.take("ident")
        self.take("punct", "=")
        return key, self.expression()

    def reference(self) -> Any:
        path = self.take("ident")
        if path in _LITERALS:
            return _LITERALS[path]
        while self.peek()[1] == ".":
            self.take("punct", ".")
            path += "." + self.take("ident")
        if self.peek()[1] == "(":
            return Call(path, tuple(self.sequence("(", ")", self.expression)))
        return Ref(path)


def parse(text: str) -> list[Block]:
    """The top-level blocks (components) of an Alloy file."""
    parser = _Parser(text)
    attributes, blocks = parser.body(None)
    if attributes:
        raise AlloySyntaxError(f"top-level attributes are not allowed: {sorted(attributes)}")
    return blocks


def load(paths: list[Path]) -> dict[str, Block]:
    """Components of several files loaded as one configuration (as `alloy run <dir>` does)."""
    components: dict[str, Block] = {}
    for path in paths:
        for block in parse(path.read_text(encoding="utf-8")):
            if block.component_id in components:
                raise AlloySyntaxError(f"{path.name}: component {block.component_id} defined twice")
            components[block.component_id] = block
    return components


def directory_files() -> list[Path]:
    """Every file `alloy run loki/alloy` loads."""
    return sorted(ALLOY_DIR.glob("*.alloy"))


# --- replays of Alloy behaviour -------------------------------------------------------------


def apply_replace(expression: str, replacement: str, line: str) -> str:
    """stage.replace: every capture group of every match becomes `replacement`."""
    pieces: list[str] = []
    previous_end = 0
    for match in re.finditer(expression, line):
        for group in range(1, (match.re.groups or 0) + 1):
            start, end = match.span(group)
            if start == -1 or start < previous_end:
                continue
            pieces.append(line[previous_end:start] + replacement)
            previous_end = end
    return "".join(pieces) + line[previous_end:]


def _expand(replacement: str, match: re.Match[str]) -> str:
    return re.sub(r"\$\{?(\d+)\}?", lambda ref: match.group(int(ref.group(1))) or "", replacement)


def relabel(rules: list[Block], labels: dict[str, str], constants: dict[str, str]) -> dict[str, str]:
    """Apply `rule` blocks (action replace, the only one the configuration uses) to a label set."""
    result = dict(labels)
    for rule in rules:
        arguments = rule.attributes
        if arguments.get("action", "replace") != "replace":
            raise AssertionError(f"relabel replay does not implement action {arguments['action']}")
        value = arguments.get("separator", ";").join(
            result.get(name, "") for name in arguments.get("source_labels", [])
        )
        match = re.fullmatch(arguments.get("regex", "(.*)"), value)
        if match is None:
            continue
        replacement = arguments.get("replacement", "$1")
        if isinstance(replacement, Ref):
            replacement = constants[replacement.path]
        target = arguments["target_label"]
        expanded = _expand(replacement, match)
        if expanded:
            result[target] = expanded
        else:
            result.pop(target, None)
    return result

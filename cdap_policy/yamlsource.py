"""Read YAML or JSON safely into plain data, keeping the line of every mapping, list item and key.

Why not `yaml.safe_load`: it forgets lines, silently keeps the last of two duplicated keys
(a duplicated user entry could hide an habilitation), reads `NO` (Norway) as false, turns
dates into `datetime.date` and expands alias bombs without bound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cdap_policy.errors import InputError, Problem, pointer

MAX_DEPTH = 64  # no legitimate snapshot nests deeper; deeper input is refused, not recursed
MAX_NODES = 2_000_000  # bound on nodes after alias expansion (billion-laughs guard)


# libyaml's parser when available (several times faster on a 400-user snapshot); the
# resolution of plain scalars below is Python either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Core12Loader(_Base):
    """SafeLoader with YAML 1.2 core-schema scalars: only true/false are booleans, no
    sexagesimal or octal surprises, and timestamps stay strings (the schema checks them)."""


_Core12Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    _Core12Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


@dataclass
class Document:
    """Plain data (dicts, lists, str, int, float, bool, None) plus the line of each path."""

    file: str
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, path) -> int:
        """Line of the node at `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_text(path: Path, display: str) -> str:
    """Read a file as UTF-8 (a BOM is accepted), with one clear line on failure."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(display, None, "", "file not found")) from None
    except IsADirectoryError:
        raise InputError(Problem(display, None, "", "is a directory, not a file")) from None
    except OSError as exc:
        raise InputError(Problem(display, None, "", f"cannot read file: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(display, line, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8")
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(Problem(display, line, "", "contains a NUL character; not a text file"))
    return text


def load_file(path: str | Path, display: str | None = None) -> Document:
    """Load a YAML or JSON file (JSON is read as YAML flow style, so lines are kept too)."""
    path = Path(path)
    display = display or str(path)
    return loads(read_text(path, display), display)


def loads(text: str, display: str = "<string>") -> Document:
    try:
        loader = _Core12Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "malformed YAML"
        raise InputError(Problem(display, line, "", f"malformed YAML: {what}")) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(display, None, "", f"malformed YAML: {exc}")) from None
    except RecursionError:
        raise InputError(Problem(display, None, "", f"nesting too deep (more than {MAX_DEPTH} levels)")) from None
    doc = Document(display, None)
    if node is None:
        doc.lines[()] = 1
        return doc
    builder = _Builder(doc)
    doc.data = builder.build(node, (), 0)
    return doc


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node, path, message):
        raise InputError(Problem(self.doc.file, node.start_mark.line + 1, pointer(path), message))

    def build(self, node, path, depth):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(node, path, f"document expands to more than {MAX_NODES:,} nodes (YAML alias bomb?)")
        if depth > MAX_DEPTH:
            self.fail(node, path, f"nesting too deep (more than {MAX_DEPTH} levels)")
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self.fail(node, path, f"YAML tag {node.tag!r} is not allowed")
            result = {}
            self.constructor.flatten_mapping(node)  # resolves `<<` merge keys
            for key_node, value_node in node.value:
                key = self.build(key_node, path + ("<key>",), depth + 1)
                if isinstance(key, (dict, list)) or key is None:
                    self.fail(key_node, path, "a mapping key must be a plain value")
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    first = self.doc.lines.get(path + (key,))
                    self.fail(key_node, path + (key,), f"duplicate key {key!r} (first defined on line {first})")
                self.doc.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,), depth + 1)
            self.doc.lines.pop(path + ("<key>",), None)
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.fail(node, path, f"YAML tag {node.tag!r} is not allowed")
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            self.fail(node, path, f"YAML tag {node.tag!r} is not allowed (only plain data is read)")
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return node.value
        value = node.value
        if node.tag == "tag:yaml.org,2002:null":
            return None
        if node.tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        try:
            if node.tag == "tag:yaml.org,2002:int":
                text = value.replace("_", "")
                if text.startswith(("0o", "0x")):
                    return int(text[2:], 8 if text[1] == "o" else 16)
                return int(text, 10)  # YAML 1.2: 012 is twelve, not octal
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            self.fail(node, path, f"bad scalar {node.value!r}: {exc}")

"""Read YAML or JSON safely into plain data, keeping the line of every mapping, list item and key.

Why not `yaml.safe_load`: it forgets lines, silently keeps the last of two duplicated keys
(a duplicated user entry could hide an habilitation), reads `NO` (Norway) as false, turns
dates into `datetime.date` and expands alias bombs without bound.
"""
from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cdap_policy.errors import InputError, Problem, pointer

MAX_DEPTH = 64  # no legitimate snapshot nests deeper; deeper input is refused, not recursed
MAX_NODES = 2_000_000  # bound on nodes after alias expansion (billion-laughs guard)
MAX_EXPANDED = 100_000  # nodes reached again through aliases: a bomb is stopped in a fraction of a second
MAX_BYTES = 32 * 1024 * 1024  # bigger files could not hold under MAX_NODES anyway; refused before reading
# C0/C1 control characters (tab, newline, carriage return excepted) and bidi overrides: no snapshot,
# rule or log needs them, and printed back they could drive the terminal or disguise an id.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# libyaml's parser when available (several times faster on a 400-user snapshot); the
# resolution of plain scalars below is Python either way.
if getattr(yaml, "__with_libyaml__", False):
    class _Base(yaml._yaml.CParser, yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's event parser with PyYAML's Python composer, about as fast as CSafeLoader:
        CSafeLoader's composer recurses in C and kills the process (SIGSEGV) on a document
        nested 100,000 deep, where the Python one raises RecursionError and counts nodes."""

        def __init__(self, stream):
            yaml._yaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        check_node = yaml.composer.Composer.check_node
        get_node = yaml.composer.Composer.get_node
        get_single_node = yaml.composer.Composer.get_single_node
else:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


class _Core12Loader(_Base):
    """SafeLoader with YAML 1.2 core-schema scalars: only true/false are booleans, no
    sexagesimal or octal surprises, and timestamps stay strings (the schema checks them)."""


_Core12Loader.yaml_implicit_resolvers = {}


class _TooLarge(yaml.composer.ComposerError):
    pass


def _counting_compose_node(self, parent, index):
    # count while composing: a huge or dense document is stopped before its node graph fills memory
    self._composed = getattr(self, "_composed", 0) + 1
    if self._composed > MAX_NODES:
        raise _TooLarge(None, None, f"document has more than {MAX_NODES:,} nodes (too large)", self.peek_event().start_mark)
    return yaml.composer.Composer.compose_node(self, parent, index)


_Core12Loader.compose_node = _counting_compose_node
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
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise InputError(Problem(display, None, "", "not a regular file (device, pipe or socket)"))
        if info.st_size > MAX_BYTES:
            raise InputError(Problem(display, None, "", f"file is {info.st_size / 1048576:.1f} MiB, over the {MAX_BYTES // 1048576} MiB limit; "
                                                          "put consultations in a referenced CSV or JSON Lines log, which is streamed"))
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
        prefix = "" if isinstance(exc, _TooLarge) else "malformed YAML: "
        raise InputError(Problem(display, line, "", f"{prefix}{what}")) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(display, None, "", f"malformed YAML: {exc}")) from None
    except RecursionError:
        line = None
        try:  # where the parser stopped
            line = loader.peek_event().start_mark.line + 1
        except Exception:
            pass
        raise InputError(Problem(display, line, "", f"nesting too deep (more than {MAX_DEPTH} levels)")) from None
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
        self.expanded = 0
        self.seen: set[int] = set()  # collection nodes already built once: reaching one again is an alias
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node, path, message):
        raise InputError(Problem(self.doc.file, node.start_mark.line + 1, pointer(path), message))

    def build(self, node, path, depth, alias=None):
        """`alias`: (line, path) where the alias being expanded is used, once inside one."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(node, path, f"document expands to more than {MAX_NODES:,} nodes (YAML alias bomb?)")
        if depth > MAX_DEPTH:
            self.fail(node, path, f"nesting too deep (more than {MAX_DEPTH} levels)")
        if alias is None and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.seen:
                alias = (self.doc.lines.get(path) or self.doc.line_of(path[:-1]), path)
            else:
                self.seen.add(id(node))
        if alias is not None:
            self.expanded += 1
            if self.expanded > MAX_EXPANDED:
                raise InputError(Problem(self.doc.file, alias[0], pointer(alias[1]),
                                         f"aliases expand to more than {MAX_EXPANDED:,} nodes (YAML alias bomb?)"))
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self.fail(node, path, f"YAML tag {node.tag!r} is not allowed")
            result = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # `<<` is a plain key here; an explicit `!!merge` is refused: expanding nested
                    # merges copies entries exponentially before any node is counted
                    self.fail(key_node, path, "YAML merge keys (!!merge) are not allowed; write the keys out")
                key = self.build(key_node, path + ("<key>",), depth + 1, alias)
                if isinstance(key, (dict, list)) or key is None:
                    self.fail(key_node, path, "a mapping key must be a plain value")
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    first = self.doc.lines.get(path + (key,))
                    self.fail(key_node, path + (key,), f"duplicate key {key!r} (first defined on line {first})")
                self.doc.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,), depth + 1, alias)
            self.doc.lines.pop(path + ("<key>",), None)
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.fail(node, path, f"YAML tag {node.tag!r} is not allowed")
            return [self.build(item, path + (i,), depth + 1, alias) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            self.fail(node, path, f"YAML tag {node.tag!r} is not allowed (only plain data is read)")
        value = node.value
        bad = _CONTROL.search(value)
        if bad:
            self.fail(node, path, f"control character U+{ord(bad.group()):04X} in {value[:40]!r}; not allowed")
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return value
        if node.tag == "tag:yaml.org,2002:null":
            if value not in ("~", "null", "Null", "NULL", ""):
                self.fail(node, path, f"bad scalar {value!r}: not a null")
            return None
        if node.tag == "tag:yaml.org,2002:bool":
            if value.lower() not in ("true", "false"):  # an explicit `!!bool yes` must not read as false
                self.fail(node, path, f"bad scalar {value!r}: expected true or false")
            return value.lower() == "true"
        try:
            if node.tag == "tag:yaml.org,2002:int":
                text = value.replace("_", "")
                if text.startswith(("0o", "0x")):
                    number = int(text[2:], 8 if text[1] == "o" else 16)
                else:
                    number = int(text, 10)  # YAML 1.2: 012 is twelve, not octal
                if not -(2**63) <= number < 2**63:  # CEL integers are 64-bit
                    self.fail(node, path, f"integer {value[:40]} out of range (more than 64 bits)")
                return number
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            self.fail(node, path, f"bad scalar {value[:80]!r}: {exc}")

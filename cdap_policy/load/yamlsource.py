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
from typing import Any, NoReturn

import yaml

from cdap_policy.support.errors import InputError, Problem, pointer
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import MAX_VALUE, bounded, excerpt

MAX_DEPTH = 64  # no legitimate snapshot nests deeper; deeper input is refused, not recursed
MAX_NODES = 2_000_000  # bound on nodes after alias expansion (billion-laughs guard)
MAX_EXPANDED = (
    100_000  # nodes reached again through aliases: a bomb is stopped in a fraction of a second
)
MAX_BYTES = (
    32 * 1024 * 1024
)  # bigger files could not hold under MAX_NODES anyway; refused before reading
# C0/C1 control characters (tab, newline, carriage return excepted) and bidi overrides: no snapshot,
# rule or log needs them, and printed back they could drive the terminal or disguise an id.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# libyaml's C parser when PyYAML was built with it (several times faster); PyYAML's pure-Python
# parser otherwise. Either way, scalars are resolved and limits checked here, in Python, so that
# what a user reads does not depend on the library's build or version. Tests switch it off to
# check that both parsers give the same documents and the same errors.
LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
_STR, _NULL, _BOOL, _INT, _FLOAT = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "null", "bool", "int", "float")
)


class _Core12:
    """YAML 1.2 core-schema scalars: only true/false are booleans, no sexagesimal or octal
    surprises, and timestamps stay strings (the schema checks them)."""

    yaml_implicit_resolvers: dict = {}

    def compose_node(self, parent, index):  # both parsers compose through our counts and limits
        return _counting_compose_node(self, parent, index)


_CLoader: type | None = None  # without libyaml, only the pure-Python parser
if getattr(yaml, "__with_libyaml__", False):

    class _LibyamlLoader(
        _Core12,
        yaml._yaml.CParser,
        yaml.composer.Composer,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """libyaml's event parser with PyYAML's Python composer: CSafeLoader's composer recurses
        in C and kills the process (SIGSEGV) on a document nested 100,000 deep, where the Python
        one raises RecursionError and counts nodes."""

        def __init__(self, stream):
            yaml._yaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        check_node = yaml.composer.Composer.check_node
        get_node = yaml.composer.Composer.get_node
        get_single_node = yaml.composer.Composer.get_single_node

    _CLoader = _LibyamlLoader


class _PyLoader(_Core12, yaml.SafeLoader):
    """PyYAML's pure-Python parser and composer."""


def _with_libyaml(text: str) -> bool:
    """Whether libyaml's C parser reads `text`. Not where it holds a tab: libyaml takes a tab as
    white space where PyYAML's own scanner refuses it (« found character '\t' that cannot start
    any token »), so the same file would load on one machine and not on another; PyYAML's words
    are the reference."""
    return LIBYAML and "\t" not in text


def _loader(text: str):
    return _CLoader(text) if _with_libyaml(text) and _CLoader is not None else _PyLoader(text)


class _TooLarge(yaml.composer.ComposerError):
    pass


class _TooDeep(yaml.composer.ComposerError):
    def __init__(self, mark, path):
        super().__init__(None, None, f"nesting too deep (more than {MAX_DEPTH} levels)", mark)
        self.path = path


def _counting_compose_node(self, parent, index):
    """Count nodes and depth while composing, before the node graph fills memory and before any
    limit of the installed YAML library (libyaml's own nesting limit and wording changed in
    PyYAML 6.0.4): our limits do not depend on a library's version."""
    self._composed = getattr(self, "_composed", 0) + 1
    if self._composed > MAX_NODES:
        raise _TooLarge(
            None,
            None,
            f"document has more than {MAX_NODES:,} nodes (too large)",
            self.peek_event().start_mark,
        )
    path = self.__dict__.setdefault("_path", [])
    if parent is not None:
        path.append(
            "<key>"
            if index is None
            else index.value
            if isinstance(index, yaml.ScalarNode)
            else index
        )
    try:
        if len(path) > MAX_DEPTH:
            raise _TooDeep(self.peek_event().start_mark, tuple(path))
        return yaml.composer.Composer.compose_node(self, parent, index)
    finally:
        if parent is not None:
            path.pop()


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
    _tag = {"bool": _BOOL, "int": _INT, "float": _FLOAT, "null": _NULL}[
        _tag.rsplit(":", 1)[1]
    ]  # one object per tag
    for _char in _first:  # what Resolver.add_implicit_resolver does, for both loaders at once
        _Core12.yaml_implicit_resolvers.setdefault(_char, []).append((_tag, re.compile(_regexp)))


def _resolve_plain(value: str) -> str:
    """The tag the resolver gives a plain scalar (first matching pattern for its
    first character).
    """
    for tag, pattern in _Core12.yaml_implicit_resolvers.get(value[0] if value else "", ()):
        if pattern.match(value):
            return tag
    return _STR


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
    data: (
        Any  # plain YAML values, as json.loads gives them: a mapping once a schema has accepted it
    )
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, path) -> int:
        """Line of the node at `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


_TOO_BIG = tr(
    "mettre les consultations dans un journal CSV ou JSON Lines référencé, qui est lu en flux",
    "put consultations in a referenced CSV or JSON Lines log, which is streamed",
)


def read_text(
    path: Path, display: str, max_bytes: int = MAX_BYTES, too_big: dict | None = None
) -> str:
    """Read a file as UTF-8 (a BOM is accepted), with one clear line on failure. A file over
    `max_bytes` is refused before reading; `too_big` {fr, en} names the limit and what to do."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise InputError(
                Problem(
                    display,
                    None,
                    "",
                    tr(
                        "pas un fichier ordinaire (périphérique, tube ou socket)",
                        "not a regular file (device, pipe or socket)",
                    ),
                )
            )
        if info.st_size > max_bytes:
            size, limit = info.st_size / 1048576, max_bytes // 1048576
            advice = too_big or _TOO_BIG
            raise InputError(
                Problem(
                    display,
                    None,
                    "",
                    tr(
                        f"le fichier fait {size:.1f} Mio, au-delà de la limite de {limit} Mio ;"
                        f" {advice['fr']}",
                        f"file is {size:.1f} MiB, over the {limit} MiB limit; {advice['en']}",
                    ),
                )
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            Problem(display, None, "", tr("fichier introuvable", "file not found"))
        ) from None
    except IsADirectoryError:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr("est un dossier, pas un fichier", "is a directory, not a file"),
            )
        ) from None
    except OSError as exc:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(f"lecture impossible : {exc.strerror}", f"cannot read file: {exc.strerror}"),
            )
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(
                display,
                line,
                "",
                tr(
                    f"UTF-8 invalide (octet 0x{raw[exc.start]:02x} à la position {exc.start}) ;"
                    " enregistrer le fichier en UTF-8",
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the"
                    " file as UTF-8",
                ),
            )
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(
            Problem(
                display,
                line,
                "",
                tr(
                    "contient un caractère NUL ; pas un fichier texte",
                    "contains a NUL character; not a text file",
                ),
            )
        )
    return text


def load_file(path: str | Path, display: str | None = None) -> Document:
    """Load a YAML or JSON file (JSON is read as YAML flow style, so lines are kept too)."""
    path = Path(path)
    display = display or str(path)
    return loads(read_text(path, display), display)


# The parser's own words, in French: the most frequent problems a person editing a snapshot by hand
# meets, with what to do. A problem not listed here is quoted as the library says it.
_PARSER_FR = (
    (
        "mapping values are not allowed",
        (
            "deux-points suivi d'une espace au milieu d'une valeur : mettez la valeur entre"
            ' guillemets (par exemple function: "Responsable informatique : mairie")'
        ),
    ),
    ("could not find expected ':'", "deux-points attendu après une clé (clé: valeur)"),
    (
        "found character '\\t' that cannot start any token",
        "tabulation refusée : indentez avec des espaces",
    ),
    (
        "found character that cannot start any token",
        "caractère refusé en début de valeur : mettez la valeur entre guillemets",
    ),
    ("found undefined alias", "alias (*nom) sans ancre (&nom) correspondante"),
    (
        "found unexpected end of stream",
        "fin de fichier inattendue : un guillemet ou un crochet n'est pas refermé",
    ),
    ("found unexpected ':'", "deux-points inattendu : mettez la valeur entre guillemets"),
    (
        "expected <block end>, but found",
        "indentation incohérente : alignez cette ligne sur les clés du même niveau",
    ),
    (
        "expected ',' or ']', but got",
        "liste entre crochets mal fermée : une virgule ou « ] » est attendu",
    ),
    (
        "expected ',' or '}', but got",
        "dictionnaire entre accolades mal fermé : une virgule ou « } » est attendu",
    ),
    ("expected a comment or a line break", "texte inattendu après une valeur entre guillemets"),
    ("did not find expected key", "clé attendue à cette indentation"),
    (
        "did not find expected '-' indicator",
        "élément de liste attendu (ligne commençant par « - »)",
    ),
    ("did not find expected node content", "valeur attendue"),
    ("found duplicate anchor", "ancre (&nom) définie deux fois"),
    (
        "block sequence entries are not allowed in this context",
        (
            "élément de liste « - » à une place où une valeur simple est attendue : "
            "vérifiez l'indentation"
        ),
    ),
    ("while scanning a quoted scalar", "guillemet non refermé"),
    (
        "found unknown escape character",
        "séquence d'échappement inconnue dans une valeur entre guillemets doubles",
    ),
)


def parser_problem_fr(problem: str) -> str:
    for words, french in _PARSER_FR:
        if words in problem:
            return french
    return problem


def loads(text: str, display: str = "<string>") -> Document:
    """`text` as a Document, or InputError naming its line. The common case (plain data, no tag,
    anchor or alias) is built straight from the parser's events; anything else, and every error,
    goes through the composer (`compose_and_build`), whose limits and words are the reference."""
    doc = fast_build(text, display)
    return doc if doc is not None else compose_and_build(text, display)


class _Fallback(Exception):
    """The fast builder met something it leaves to the composer: a tag, an anchor, an alias, an
    error of any kind. The composer reads the text again and decides, in its own words."""


def _event_parser(text: str):
    """The parser the fast builder reads events from: libyaml's when available, else PyYAML's."""
    if _with_libyaml(text):
        return yaml._yaml.CParser(text)
    return _PyEvents(text)


class _PyEvents(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python parser alone (no composer): the events of a stream."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


_TRUE = {"true", "True", "TRUE"}


def fast_build(text: str, display: str = "<string>") -> Document | None:
    """The document built in one pass over the parser's events, without composing nodes: the
    same data and lines as `compose_and_build`, or None to let it decide (see _Fallback). Limits
    are checked as events come, so nothing grows past them before the composer takes over."""
    try:
        parser = _event_parser(text)
    except Exception:  # pragma: no cover - the composer will say what is wrong
        return None
    try:
        return _build_events(parser, display)
    except (_Fallback, yaml.YAMLError, RecursionError, MemoryError, ValueError, TypeError):
        return None
    finally:
        parser.dispose()


def _build_events(parser, display: str) -> Document:
    scalar_event, mapping_start, sequence_start, alias_event = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
        yaml.AliasEvent,
    )
    end_events = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    get_event = parser.get_event
    control = CONTROL.search
    doc = Document(display, None)
    lines = doc.lines
    get_event()  # STREAM-START
    kind = type(get_event())
    if kind is yaml.StreamEndEvent:
        lines[()] = 1
        return doc
    if kind is not yaml.DocumentStartEvent:  # pragma: no cover - the parser's grammar
        raise _Fallback
    # One frame per open collection: [the dict or list, its path, the key whose value comes next
    # (a mapping) or _KEY when a key comes next].
    stack: list = []
    frame: list = [None, (), _KEY]
    nodes = expanded = 0
    root = None
    # Anchors: the events of each anchored node, recorded as they come, replayed where an alias
    # names it (the composer's graph, walked again by the reference builder, gives a copy too).
    anchors: dict = {}
    recording: list = []  # [events, depth, anchor] of the anchored collections still open
    replays: list = []  # iterators over recorded events, innermost last
    while True:
        if replays:
            event = next(replays[-1], None)
            if event is None:
                replays.pop()
                continue
            kind = type(event)
            if kind is not alias_event and kind not in end_events:
                expanded += 1
                if expanded > MAX_EXPANDED:
                    raise _Fallback
        else:
            event = get_event()
            kind = type(event)
            if recording:
                for entry in recording:
                    entry[0].append(event)
                if (
                    kind in end_events and recording[-1][1] == len(stack) - 1
                ):  # the anchored node is whole
                    events, _, name = recording.pop()
                    anchors[name] = events
        if kind in end_events:
            value = stack.pop()[0]
            if not stack:
                root = value
                continue
            frame = stack[-1]
        elif kind is yaml.DocumentEndEvent:
            break
        else:
            if kind is alias_event:
                events = anchors.get(event.anchor)
                if events is None:  # undefined, or an alias inside its own anchor (a cycle)
                    raise _Fallback
                nodes += 1
                replays.append(iter(events))
                continue
            if event.tag is not None:
                raise _Fallback
            if event.anchor is not None and not replays:
                if event.anchor in anchors or any(r[2] == event.anchor for r in recording):
                    raise _Fallback  # a duplicate anchor: the composer says where both are
                if kind is scalar_event:
                    anchors[event.anchor] = [event]
                else:
                    recording.append([[event], len(stack), event.anchor])
            nodes += 1
            if nodes > MAX_NODES or len(stack) > MAX_DEPTH:
                raise _Fallback
            line = event.start_mark.line + 1
            if not stack:
                path = ()
                lines.setdefault(path, line)
            elif type(frame[0]) is list:
                path = frame[1] + (len(frame[0]),)
                lines.setdefault(path, line)
            elif frame[2] is _KEY:  # a mapping's key: a plain value, the line of its entry
                if kind is not scalar_event:
                    raise _Fallback
                value = event.value
                if control(value):
                    raise _Fallback
                if event.implicit[0]:
                    tag = _resolve_plain(value)
                    if tag is not _STR:
                        value = _plain_value(tag, value)
                        if value is None:
                            raise _Fallback
                        value = str(value)
                if value in frame[0] or value == "<key>":
                    raise _Fallback  # a duplicate: the composer words it, with both lines
                frame[2] = value
                lines[frame[1] + (value,)] = line
                continue
            else:
                path = frame[1] + (frame[2],)
            if kind is scalar_event:
                value = event.value
                if control(value):
                    raise _Fallback
                if event.implicit[0]:  # plain: resolved as the composer does (YAML 1.2 core schema)
                    tag = _resolve_plain(value)
                    if tag is not _STR:
                        value = _plain_value(tag, value)
                if not stack:
                    root = value
                    continue
            elif kind is mapping_start:
                frame = [{}, path, _KEY]
                stack.append(frame)
                continue
            elif kind is sequence_start:
                frame = [[], path, None]
                stack.append(frame)
                continue
            else:  # pragma: no cover - no other event inside a document
                raise _Fallback
        container = frame[0]
        if type(container) is list:
            container.append(value)
        else:
            container[frame[2]] = value
            frame[2] = _KEY
    if type(get_event()) is not yaml.StreamEndEvent:  # a second document: the composer says so
        raise _Fallback
    doc.data = root
    return doc


_KEY = object()  # a mapping frame waiting for its next key


def _plain_value(tag: str, value: str):
    """A plain scalar's value for its resolved tag, as the reference builder reads it."""
    if tag is _NULL:
        return None
    if tag is _BOOL:
        return value in _TRUE
    if tag is _INT:
        text = value
        if text.startswith(("0o", "0x")):
            number = int(text[2:], 8 if text[1] == "o" else 16)
        else:
            number = int(text, 10)
        if not -(2**63) <= number < 2**63:
            raise _Fallback
        return number
    if tag is _FLOAT:
        return _FLOAT_CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, value))
    raise _Fallback


_FLOAT_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def compose_and_build(text: str, display: str = "<string>") -> Document:
    """The reference: PyYAML's composer (with our node and depth counts) makes the node graph,
    `_Builder` walks it with every check. Every error the loader reports is worded here."""
    try:
        loader = _loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except _TooDeep as exc:
        raise InputError(
            Problem(
                display,
                exc.problem_mark.line + 1 if exc.problem_mark else None,
                pointer(exc.path),
                _too_deep(),
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        deep = _deepest(text)
        if deep is not None:  # the library's own nesting limit fired first, in its words: say ours
            raise InputError(Problem(display, deep, "", _too_deep())) from None
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = bounded(
            exc.problem or exc.context or ""
        )  # the library's words, which may quote the input
        if isinstance(exc, _TooLarge):
            message = tr(
                f"le document compte plus de {MAX_NODES:_} nœuds (trop grand)".replace("_", " "),
                what,
            )
        else:
            message = tr(f"YAML mal formé : {parser_problem_fr(what)}", f"malformed YAML: {what}")
        raise InputError(Problem(display, line, "", message)) from None
    except yaml.YAMLError as exc:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(f"YAML mal formé : {bounded(exc)}", f"malformed YAML: {bounded(exc)}"),
            )
        ) from None
    except RecursionError:
        line = None
        try:  # where the parser stopped
            line = loader.peek_event().start_mark.line + 1
        except Exception:
            pass
        raise InputError(Problem(display, line, "", _too_deep())) from None
    doc = Document(display, None)
    if node is None:
        doc.lines[()] = 1
        return doc
    builder = _Builder(doc)
    doc.data = builder.build(node, (), 0)
    return doc


def _deepest(text: str) -> int | None:
    """The line where `text` nests deeper than MAX_DEPTH (flow brackets outside quotes and
    comments, or block indentation levels), None if it does not. Run only once the YAML library
    has refused a document, so that its limits and wording never decide what the user reads."""
    depth, line, in_quote, comment = 0, 1, None, False
    previous = "\n"
    for char in text:
        if char == "\n":  # quoted scalars may span lines: `in_quote` stays
            line, comment = line + 1, False
        elif comment:
            pass
        elif in_quote:
            if char == in_quote and (in_quote == "'" or previous != "\\"):
                in_quote = None
        elif char in "'\"":
            in_quote = char
        elif char == "#" and previous in " \t\n":
            comment = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
        previous = char
    stack: list[int] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        while stack and stack[-1] >= indent:
            stack.pop()
        stack.append(indent)
        dashes = len(stripped) - len(stripped.lstrip("- "))  # "- - - a" nests on one line
        if len(stack) + dashes // 2 > MAX_DEPTH:
            return number
    return None


def _too_deep() -> dict:
    return tr(
        f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux)",
        f"nesting too deep (more than {MAX_DEPTH} levels)",
    )


def _tag_refused(tag: str, scalar: bool = False) -> dict:
    tag = excerpt(tag, MAX_VALUE)
    if scalar:
        return tr(
            f"l'étiquette YAML {tag} n'est pas admise (seules des données simples sont lues)",
            f"YAML tag {tag} is not allowed (only plain data is read)",
        )
    return tr(f"l'étiquette YAML {tag} n'est pas admise", f"YAML tag {tag} is not allowed")


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.nodes = 0
        self.expanded = 0
        self.seen: set[int] = (
            set()
        )  # collection nodes already built once: reaching one again is an alias
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node, path, message) -> NoReturn:
        raise InputError(Problem(self.doc.file, node.start_mark.line + 1, pointer(path), message))

    def build(self, node, path, depth, alias=None):
        """`alias`: (line, path) where the alias being expanded is used, once inside one."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(
                node,
                path,
                tr(
                    f"le document se développe en plus de {MAX_NODES:_} nœuds (bombe d'alias"
                    " YAML ?)".replace("_", " "),
                    f"document expands to more than {MAX_NODES:,} nodes (YAML alias bomb?)",
                ),
            )
        if depth > MAX_DEPTH:
            self.fail(node, path, _too_deep())
        if alias is None and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.seen:
                alias = (self.doc.lines.get(path) or self.doc.line_of(path[:-1]), path)
            else:
                self.seen.add(id(node))
        if alias is not None:
            self.expanded += 1
            if self.expanded > MAX_EXPANDED:
                raise InputError(
                    Problem(
                        self.doc.file,
                        alias[0],
                        pointer(alias[1]),
                        tr(
                            f"les alias se développent en plus de {MAX_EXPANDED:_} nœuds (bombe"
                            " d'alias YAML ?)".replace("_", " "),
                            f"aliases expand to more than {MAX_EXPANDED:,} nodes (YAML alias"
                            " bomb?)",
                        ),
                    )
                )
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self.fail(node, path, _tag_refused(node.tag))
            result = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # `<<` is a plain key here; an explicit `!!merge` is refused: expanding nested
                    # merges copies entries exponentially before any node is counted
                    self.fail(
                        key_node,
                        path,
                        tr(
                            "les clés de fusion YAML (!!merge) ne sont pas admises ; écrire les"
                            " clés",
                            "YAML merge keys (!!merge) are not allowed; write the keys out",
                        ),
                    )
                key = self.build(key_node, path + ("<key>",), depth + 1, alias)
                if isinstance(key, (dict, list)) or key is None:
                    self.fail(
                        key_node,
                        path,
                        tr(
                            "une clé doit être une valeur simple",
                            "a mapping key must be a plain value",
                        ),
                    )
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    first = self.doc.lines.get(path + (key,))
                    self.fail(
                        key_node,
                        path + (key,),
                        tr(
                            f"clé {excerpt(key, MAX_VALUE)} en double (déjà définie ligne {first})",
                            f"duplicate key {excerpt(key, MAX_VALUE)} (first defined on line"
                            f" {first})",
                        ),
                    )
                self.doc.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,), depth + 1, alias)
            self.doc.lines.pop(path + ("<key>",), None)
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.fail(node, path, _tag_refused(node.tag))
            return [
                self.build(item, path + (i,), depth + 1, alias) for i, item in enumerate(node.value)
            ]
        if node.tag not in _SCALAR_TAGS:
            self.fail(node, path, _tag_refused(node.tag, scalar=True))
        value = node.value
        bad = CONTROL.search(value)
        if bad:
            self.fail(
                node,
                path,
                tr(
                    f"caractère de contrôle U+{ord(bad.group()):04X} dans {excerpt(value)} ; non"
                    " admis",
                    f"control character U+{ord(bad.group()):04X} in {excerpt(value)}; not allowed",
                ),
            )
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return value
        if node.tag == "tag:yaml.org,2002:null":
            if value not in ("~", "null", "Null", "NULL", ""):
                self.fail(
                    node,
                    path,
                    tr(
                        f"valeur {excerpt(value)} invalide : pas un null",
                        f"bad scalar {excerpt(value)}: not a null",
                    ),
                )
            return None
        if node.tag == "tag:yaml.org,2002:bool":
            if value.lower() not in (
                "true",
                "false",
            ):  # an explicit `!!bool yes` must not read as false
                self.fail(
                    node,
                    path,
                    tr(
                        f"valeur {excerpt(value)} invalide : true ou false attendu",
                        f"bad scalar {excerpt(value)}: expected true or false",
                    ),
                )
            return value.lower() == "true"
        try:
            if node.tag == "tag:yaml.org,2002:int":
                text = value.replace("_", "")
                if text.startswith(("0o", "0x")):
                    number = int(text[2:], 8 if text[1] == "o" else 16)
                else:
                    number = int(text, 10)  # YAML 1.2: 012 is twelve, not octal
                if not -(2**63) <= number < 2**63:  # CEL integers are 64-bit
                    self.fail(
                        node,
                        path,
                        tr(
                            f"entier {excerpt(value)} hors limites (plus de 64 bits)",
                            f"integer {excerpt(value)} out of range (more than 64 bits)",
                        ),
                    )
                return number
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):
            self.fail(
                node, path, tr(f"valeur {excerpt(value)} invalide", f"bad scalar {excerpt(value)}")
            )

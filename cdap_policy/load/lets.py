"""Named sub-expressions of a rule (`let: {name: expr, ...}`), bound at load time.

CEL has no `let` that every engine understands (cel-go's `cel.bind` is unknown to cel-python and
to the native runtime). Authors bound a value by hand with a one-item comprehension,
`[value].all(name, body)`; the loader now writes that comprehension for them: an expression that
names a let is compiled as `[<let>].map(name, <expr>)[0]`, one level per let it reads, directly or
through another let, earliest let outermost. `map(...)[0]` rather than `all`, even for `when` and
`check`: the result is the expression's own value, so a `check` that returns a string is still
reported as « not a boolean » and an error is the expression's own. Every engine runs the result
unchanged, each expression is compiled once, and an expression that names no let is compiled
exactly as written. What a user reads (`explain`, the rule reference) is the rule as written.

A let is evaluated whenever an expression that names it is, before it: where the expression
guards a value (`has(x) && x.y > 0`), the let must guard it too (`has(x) ? x.y : 0`), since CEL's
`&&` no longer absorbs the error of a value computed outside it.

The names an expression reads are found by a small tokenizer, not by a parser, so that a pack
whose compiled form is cached loads without cel-python: a name is read where it is an identifier
that is not a field (`x.name`), not a function called (`name(`), not a message field, not inside
a string or a comment, and not a variable of an enclosing comprehension (`xs.all(name, ...)`), which
shadows a let as it shadows any variable. tests/test_lets.py checks it against cel-python's
parser on every expression of the shipped pack.
"""

from __future__ import annotations

import re

from cdap_policy.engines.base import KEYWORDS

MACROS = {"all", "exists", "exists_one", "map", "filter"}
# literals and CEL's reserved words (the engines' list): never a name an expression reads
RESERVED = KEYWORDS
# What cel-python's compiled runner reads as its own attributes where transpiled code reads a
# variable (`activation.functions` is its table of functions): a variable with one of these names
# reads the wrong value there, silently, so no let may take one.
RUNNER_NAMES = {
    "clone",
    "get",
    "nested_activation",
    "resolve_function",
    "resolve_variable",
    "functions",
    "identifiers",
    "package",
}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?
               (?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
                 |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[uU]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.,()\[\]{}])
""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(source: str) -> list[tuple[str, str]]:
    """(kind, text) of each token, spaces and comments left out. Raw strings are read as
    strings whatever their escapes; a character no token starts with is kept as an operator
    (the engine says what is wrong with it)."""
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            out.append(("op", source[position]))
            position += 1
            continue
        position = match.end()
        kind = match.lastgroup or "op"
        if kind not in ("space", "comment"):
            out.append((kind, match.group()))
    return out


def names_read(source: str) -> list[str]:
    """The variables `source` reads, in order of first appearance: identifiers that are not a
    field, a function called, a message field, a reserved word or the variable of an enclosing
    comprehension."""
    tokens = _tokens(source)
    found: list[str] = []
    # one entry per open bracket: (closing text, the comprehension variable it binds or None,
    # whether it is a message literal `Name{field: value}`)
    open_: list[tuple[str, str | None, bool]] = []
    skip: set[int] = set()
    for index, (kind, text) in enumerate(tokens):
        before = tokens[index - 1][1] if index > 0 else ""
        after = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "op":
            if text == "(":
                bound = None
                if (
                    index >= 2
                    and tokens[index - 2][1] == "."
                    and tokens[index - 1][0] == "name"
                    and tokens[index - 1][1] in MACROS
                    and index + 2 < len(tokens)
                    and tokens[index + 1][0] == "name"
                    and tokens[index + 2][1] == ","
                ):
                    bound = tokens[index + 1][1]
                    skip.add(index + 1)  # the variable declared, not read
                open_.append((")", bound, False))
            elif text == "[":
                open_.append(("]", None, False))
            elif text == "{":
                open_.append(("}", None, tokens[index - 1][0] == "name" if index > 0 else False))
            elif text in ")]}" and open_ and open_[-1][0] == text:
                open_.pop()
            continue
        if kind != "name" or index in skip or text in RESERVED:
            continue
        if before == ".":
            continue  # a field, a method called on a value, or a name qualified from the root
        if after == "(" or after == "{":
            continue  # a function called, or a message type
        if open_ and open_[-1][2] and before in ("{", ",") and after == ":":
            continue  # a field of a message literal
        if any(bound == text for _, bound, _ in open_):
            continue  # the variable of an enclosing comprehension
        if text not in found:
            found.append(text)
    return found


def needed(
    source: str,
    lets: dict[str, str],
    reads: dict[str, list[str]] | None = None,
    names: list[str] | None = None,
) -> list[str]:
    """The lets `source` needs, directly or through other lets, in the order they are defined.
    `reads`: each let's own names read, and `names`: those of `source`, when already known."""
    if not lets:
        return []
    reads = reads if reads is not None else {name: names_read(expr) for name, expr in lets.items()}
    wanted = {n for n in (names if names is not None else names_read(source)) if n in lets}
    for name in reversed(list(lets)):  # a let reads only earlier ones: one pass from the last
        if name in wanted:
            wanted |= {n for n in reads[name] if n in lets}
    return [name for name in lets if name in wanted]


def bind(
    source: str,
    lets: dict[str, str],
    reads: dict[str, list[str]] | None = None,
    names: list[str] | None = None,
) -> str:
    """`source` with the lets it needs bound around it, or `source` itself when it needs none.
    Each part stands on its own lines: a trailing `//` comment cannot swallow what follows it."""
    wanted = needed(source, lets, reads, names)
    if not wanted:
        return source
    body = source
    for name in reversed(wanted):
        body = f"[\n{lets[name]}\n].map({name},\n{body}\n)[0]"
    return body

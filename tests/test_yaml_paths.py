"""The YAML loader's two paths and two parsers give the same documents and the same errors.

`loads` builds plain documents straight from the parser's events (`fast_build`) and leaves
anything unusual and every error to the composer (`compose_and_build`), whose words and limits
are the reference. The parser is libyaml's when PyYAML was built with it, PyYAML's own otherwise
(`yamlsource.LIBYAML`). Here:

- every test of test_yamlsource.py runs again with PyYAML's pure-Python parser;
- every hostile input of tests/hostile/, every fixture and every file of the pack gives the same
  data, lines (in the same order) or problems on the four combinations;
- documents drawn at random (anchors, aliases, flow and block styles, scalars that look like
  numbers, booleans, nulls, keys that are not strings, tags, duplicates) agree too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import FIXTURES, POLICIES, ROOT

# test_yamlsource's tests, collected here a second time: the fixture below runs them with the
# pure-Python parser (they run with libyaml's in their own module)
from test_yamlsource import *  # noqa: F401,F403

from cdap_policy.load import yamlsource
from cdap_policy.support.errors import InputError

HOSTILE = Path(__file__).resolve().parent / "hostile" / "inputs"


@pytest.fixture(autouse=True)
def pure_python_parser(monkeypatch):
    monkeypatch.setattr(yamlsource, "LIBYAML", False)


def outcome(text: str, path: str, fast: bool):
    """What loading gives: the data (with its types), the lines in order, or the problems."""
    try:
        doc = yamlsource.loads(text, path) if fast else yamlsource.compose_and_build(text, path)
    except InputError as exc:
        return (
            "error",
            [(p.file, p.line, p.path, p.text("fr"), p.text("en")) for p in exc.problems],
        )
    return ("doc", repr(doc.data), list(doc.lines.items()))


def outcomes(text: str, path: str = "doc.yaml") -> dict:
    out = {}
    for libyaml in [True, False] if getattr(yaml, "__with_libyaml__", False) else [False]:
        yamlsource.LIBYAML = libyaml
        for fast in (True, False):
            out[("libyaml" if libyaml else "python", "fast" if fast else "composer")] = outcome(
                text, path, fast
            )
    return out


def same_everywhere(text: str, path: str = "doc.yaml"):
    """Both paths agree exactly with each parser; the two parsers agree on documents, and on the
    line and our words of an error (the parser's own words after « malformed YAML » are its own,
    and where libyaml's nesting limit fires before ours the field is not known)."""
    seen = outcomes(text, path)
    for parser in {k[0] for k in seen}:
        fast, composer = seen[(parser, "fast")], seen[(parser, "composer")]
        assert fast == composer, (
            f"{path} ({parser}): fast path {str(fast)[:400]}\ncomposer {str(composer)[:400]}"
        )
    results = list(seen.values())
    if results[0][0] == "doc" or results[-1][0] == "doc":
        assert results[0] == results[-1], (
            f"{path}: the parsers disagree: {str(results[0])[:300]} / {str(results[-1])[:300]}"
        )
    else:

        def words(problems):
            return [
                (file, line, (fr.split(" : ")[0] if "YAML mal formé" in fr else fr))
                for file, line, _, fr, _ in problems
            ]

        assert words(results[0][1]) == words(results[-1][1]), (
            f"{path}: {results[0]} / {results[-1]}"
        )
    return results[0]


def corpus() -> list[Path]:
    files = [
        *HOSTILE.glob("*.y*ml"),
        *HOSTILE.glob("*.json"),
        *FIXTURES.rglob("*.yaml"),
        *POLICIES.rglob("*.yaml"),
        *(ROOT / "examples").rglob("*.y*ml"),
    ]
    return sorted(set(files))


@pytest.mark.slow
@pytest.mark.parametrize("path", corpus(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_loads_the_same_on_both_paths_and_both_parsers(path):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: refused before any parser runs")
    same_everywhere(text, str(path))


def test_the_fast_path_is_taken_for_plain_documents_with_aliases():
    """PyYAML writes shared objects as anchors and aliases: the department fixture has some."""
    text = (FIXTURES / "departement-2017.yaml").read_text(encoding="utf-8")
    assert "&id001" in text
    for libyaml in [True, False] if getattr(yaml, "__with_libyaml__", False) else [False]:
        yamlsource.LIBYAML = libyaml
        doc = yamlsource.fast_build(text, "d.yaml")
        assert doc is not None and len(doc.data["users"]) > 400


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "---\n",
        "42\n",
        "- a\n- b\n",
        "a: &x [1, 2]\nb: *x\nc: *x\n",
        "a: &x {k: v}\nb: [*x, *x]\n",
        "a: &s text\nb: *s\n",
        "&r [1, *r]\n",
        "a: *nothing\n",
        "a: &x 1\nb: &x 2\n",
        "? [a]\n: 1\n",
        "1: a\ntrue: b\n1.5: c\n",
        "null: a\n",
        "'<key>': 1\n",
        "a: 1\na: 2\n",
        "a: !!str 1\n",
        "a: !!binary aGk=\n",
        "a: !custom x\n",
        "a: 0x1F\nb: 0o17\nc: 012\nd: -0\ne: +3\nf: 1e3\ng: .inf\nh: -.INF\ni: .nan\nj: 1_000\n",
        "a: 99999999999999999999\n",
        "a: yes\nb: NO\nc: ~\nd: Null\ne:\n",
        'a: "\\x1b[2J"\n',
        "a: 'u\u202e'\n",
        "a: [1, 2\n",
        "a: 1\n---\nb: 2\n",
        "a:\n  - b:\n    - c: [d, {e: f}]\n",
        "{a: [b, {c: d}], e: g}\n",
        "a: >\n  folded\n  text\nb: |\n  literal\n",
        "a: 1\n...\n",
        "a: 'x'\r\nb: 2\r\n",
    ],
)
def test_edge_documents_agree(text):
    same_everywhere(text)


def test_nesting_and_size_limits_agree():
    same_everywhere("a: " + "[" * 200 + "]" * 200 + "\n")
    same_everywhere("".join(" " * i + f"k{i}:\n" for i in range(80)) + " " * 80 + "v: 1\n")
    same_everywhere("a: " + "[" * 64 + "]" * 64 + "\n")
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'] + [
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)
    ]
    same_everywhere("\n".join(lines) + "\n")


def test_random_documents_agree():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    words = st.sampled_from(
        [
            "a",
            "id",
            "true",
            "False",
            "no",
            "null",
            "~",
            "",
            "12",
            "012",
            "0x1F",
            "1.5",
            "-3",
            ".inf",
            "2025-01-02",
            "u-1",
            "<key>",
            "x: y",
            "- z",
            "é",
            "#c",
            "a b",
            "1_0",
            "9" * 25,
        ]
    )
    scalars = st.one_of(
        words, st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.booleans(), st.none()
    )
    trees = st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.one_of(words, st.integers(-5, 5), st.booleans()), children, max_size=4
            ),
        ),
        max_leaves=25,
    )

    @settings(
        max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(trees, st.sampled_from([None, True, False]), st.booleans(), st.data())
    def agree(tree, flow, share, data):
        if share and isinstance(tree, dict) and tree:  # the same object twice: anchors and aliases
            tree = {
                **tree,
                "again": next(iter(tree.values())),
                "more": [tree.get(next(iter(tree)))],
            }
        text = yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True, sort_keys=False)
        if data.draw(st.booleans()):  # damage it a little: duplicates, tags, tabs, stray brackets
            lines = text.splitlines(keepends=True) or [""]
            where = data.draw(st.integers(0, len(lines)))
            extra = data.draw(
                st.sampled_from(
                    [
                        "k: 1\n",
                        "k: 2\n",
                        "- !!str x\n",
                        "\tx: 1\n",
                        "]\n",
                        "a: &z [*z]\n",
                        "b: *z\n",
                    ]
                )
            )
            text = "".join(lines[:where]) + extra + "".join(lines[where:])
        same_everywhere(text)

    agree()


def test_the_loader_imports_and_reads_with_a_pyyaml_built_without_libyaml(monkeypatch):
    """A PyYAML wheel without libyaml (some platforms have none) still gives a working loader,
    with the node and depth limits."""
    import importlib.util
    import sys

    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    spec = importlib.util.spec_from_file_location("yamlsource_without_libyaml", yamlsource.__file__)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    assert module._CLoader is None and not module.LIBYAML
    assert module.loads("a: [1, {b: yes}]\n", "doc.yaml").data == {"a": [1, {"b": "yes"}]}
    with pytest.raises(InputError) as caught:
        module.compose_and_build("a: " + "[" * 200 + "]" * 200 + "\n", "doc.yaml")
    assert "nesting too deep" in caught.value.problems[0].text("en")


@pytest.mark.parametrize(
    "text",
    [
        "{a: '9', id: null, again: '9', more: [{x: 1\n\t'9'}]}\n",
        "{a: 1,\n\tx: 1}\n",
        "a: [1,\n\t2]\n",
        "a: 'x\ty'\n",
    ],
)
def test_a_tab_reads_the_same_with_or_without_libyaml(text):
    """libyaml takes a tab as white space where PyYAML's scanner refuses it: a file with a tab is
    read by PyYAML's own parser, so that it loads, or fails on the same line, on every machine."""
    same_everywhere(text)

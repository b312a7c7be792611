"""Named sub-expressions of a rule (`let:`): the names an expression reads, found without a parser;
the binding every engine runs; the loader's refusals; and what `explain` and the docs show."""

from __future__ import annotations

import json
import textwrap

import pytest
from helpers import FIXTURES, POLICIES, ROOT, pack
from test_broken_policies import make_pack, rule, rule_file

from cdap_policy.engines import available, make_engine, to_python
from cdap_policy.load import lets
from cdap_policy.load.pack import VARIABLES, load_pack
from cdap_policy.load.yamlsource import load_file
from cdap_policy.support.errors import PolicyError

ENGINES = ["compiled", "interpreted"] + (["native"] if available("native") is None else [])


# -- the names an expression reads ----------------------------------------------------------


def _free_names(tree) -> list[str]:
    """The same, from cel-python's parse tree: identifiers not bound by an enclosing macro, nor
    the type of a message literal (`Msg{f: 1}`: a type, not a variable)."""
    import lark

    from cdap_policy.engines import analysis

    out: list[str] = []

    def walk(node, bound):
        if not isinstance(node, lark.Tree):
            return
        if (
            node.data == "member_dot_arg"
            and str(node.children[1]) in lets.MACROS
            and node.children[2] is not None
            and len(node.children[2].children) >= 2
        ):
            walk(node.children[0], bound)
            args = node.children[2].children
            for arg in args[1:]:
                walk(arg, bound | {analysis._ident_name(args[0])})
            return
        if node.data == "member_object":
            walk(node.children[1], bound)  # the field initialisers; children[0] names the type
            return
        if node.data == "ident":
            name = str(node.children[0])
            if name not in bound and name not in out:
                out.append(name)
            return
        for child in node.children:
            walk(child, bound)

    walk(tree, frozenset())
    return out


def _pack_expressions() -> list[str]:
    out = []
    for path in sorted(POLICIES.glob("*.yaml")):
        data = load_file(path).data
        if path.name.endswith(".tests.yaml") or not isinstance(data, dict) or "rules" not in data:
            continue
        for spec in data["rules"]:
            out += [
                spec["check"],
                *([spec["when"]] if spec.get("when") else []),
                *(spec.get("evidence") or {}).values(),
                *(spec.get("let") or {}).values(),
            ]
            out += [
                need[k]
                for need in spec.get("requires") or []
                for k in ("test", "when")
                if need.get(k)
            ]
    return out


HARD = [
    'entity.name == "plan.x" && plan > 1',  # a name inside a string is no name
    "r'plan \\' x' + plan",  # a raw string
    '"""a "plan" here""" + plan',  # a triple-quoted string
    "xs.all(plan, plan > 1) && plan",  # the macro's variable hides the let inside the macro only
    "xs.map(p, ys.filter(q, q == p && plan)) + [p]",  # nested macros; `p` is free outside
    "has(plan.x) && plan.y.z(plan) // plan in a comment\n && size(plan) > .5",
    "{plan: 1, 'k': other}[plan] + Msg{plan: 2}.plan",  # a map key is read; a message field is not
    "a.b.plan + plan.b",
]


@pytest.mark.parametrize("source", HARD)
def test_names_read_are_those_of_the_parse_tree(source):
    from cdap_policy.engines import analysis

    assert lets.names_read(source) == _free_names(analysis.parse(source))


def test_names_read_on_every_expression_of_the_pack():
    from cdap_policy.engines import analysis

    sources = _pack_expressions()
    assert len(sources) > 900
    differing = [s for s in sources if lets.names_read(s) != _free_names(analysis.parse(s))]
    assert differing == []


# -- the binding ----------------------------------------------------------------------------


def test_an_expression_without_lets_is_compiled_as_written():
    assert (
        lets.bind("entity.x > 1 // a comment", {"plan": "agg.latest_control_plan"})
        == "entity.x > 1 // a comment"
    )


def test_lets_are_bound_in_order_and_only_those_needed():
    defined = {"a": "entity.n", "b": "a + 1 // comment", "c": "b * 2", "unused": "0"}
    assert lets.needed("c > 3", defined) == ["a", "b", "c"]
    assert lets.needed("xs.all(c, c > 3)", defined) == []  # hidden by the macro's variable
    source = lets.bind("c > 3", defined)
    assert "unused" not in source and source.index("entity.n") < source.index(
        "a + 1"
    ) < source.index("b * 2")


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_runs_the_binding(engine):
    """The expression's own value (a number, a string, an error) comes back: `map(...)[0]`, not
    `all`, so a `check` that returns a string is still reported as not a boolean."""
    runtime = make_engine(engine, VARIABLES, {})
    defined = {"n": "entity.n", "twice": "n * 2", "label": '"n=" + string(twice)'}
    activation = {"entity": runtime.to_cel({"n": 3})}

    def run(source):
        return to_python(runtime.compile(lets.bind(source, defined)).evaluate(activation))

    assert run("twice > 5 && n == 3") is True
    assert run("label") == "n=6"
    assert run("[n, twice].map(x, x + 1)") == [4, 7]


# -- the loader -----------------------------------------------------------------------------


def _load(tmp_path, extra: str, check: str = "'n > 0'", over: str = "users"):
    return load_pack(
        make_pack(
            tmp_path,
            {"zz.yaml": rule_file(rule(check=check, over=over, extra=textwrap.dedent(extra)))},
        )
    )


def _problem(tmp_path, extra: str, check: str = "'n > 0'"):
    with pytest.raises(PolicyError) as caught:
        _load(tmp_path, extra, check)
    assert len(caught.value.problems) == 1, [str(p) for p in caught.value.problems]
    problem = caught.value.problems[0]
    assert problem.file.endswith("zz.yaml") and problem.line is not None
    return problem


def test_a_rule_with_lets_loads_and_runs(tmp_path):
    from cdap_policy.evaluate.runner import evaluate
    from cdap_policy.load.snapshot import load_snapshot

    loaded = _load(
        tmp_path,
        """\
        let:
          n: entity.profiles.size()
          many: n > 1
        evidence:
          count: n
        """,
        check="'n > 0 && !many'",
    )
    probe = loaded.rule("zz-probe")
    assert list(probe.lets) == ["n", "many"] and probe.source["check"] == "n > 0 && !many"
    report = evaluate(
        loaded,
        load_snapshot(POLICIES / "tests" / "base-2025.yaml"),
        "2025-06-30",
        include_passed=True,
    )
    assert {f.status for f in report.findings if f.rule_id == "zz-probe"} == {"pass"}


@pytest.mark.parametrize(
    "extra, check, field, fr, en",
    [
        (
            "let:\n  entity: '3'\n",
            "'entity > 1'",
            "/rules/0/let/entity",
            "porte le nom d'une variable",
            "has the name of a variable",
        ),
        (
            "let:\n  functions: '3'\n",
            "'functions > 1'",
            "/rules/0/let/functions",
            "réservé par le moteur",
            "reserved by cel-python's runner",
        ),
        (
            "let:\n  m: n + 1\n  n: '1'\n",
            "'m > 1'",
            "/rules/0/let/m",
            "n'est pas défini avant lui",
            "which is not defined before it",
        ),
        (
            "let:\n  n: n + 1\n",
            "'n > 1'",
            "/rules/0/let/n",
            "n'est pas défini avant lui",
            "which is not defined before it",
        ),
        (
            "let:\n  n: '1'\n  spare: '2'\n",
            "'n > 0'",
            "/rules/0/let/spare",
            "n'est lu par aucune expression",
            "is read by no expression",
        ),
        (
            "let:\n  n: '1'\n",
            "'entity.profiles.all(n, n != \"\")'",
            "/rules/0/let/n",
            "n'est lu par aucune expression",
            "is read by no expression",
        ),
        (
            "let:\n  n: '1'\n",
            "'n > 0 && nn > 0'",
            "/rules/0/check",
            "nom inconnu 'nn'",
            "unknown name 'nn'",
        ),
        (
            "let:\n  n: '1'\nevidence:\n  e: m\n",
            "'n > 0'",
            "/rules/0/evidence/e",
            "nom inconnu 'm'",
            "unknown name 'm'",
        ),
    ],
)
def test_what_the_loader_refuses(tmp_path, extra, check, field, fr, en):
    problem = _problem(tmp_path, extra, check)
    assert problem.path == field
    assert (
        fr in problem.text("fr") and en in problem.text("en") and "zz-probe" in problem.text("en")
    )


def test_a_let_name_that_is_not_a_plain_name_is_refused_by_the_schema(tmp_path):
    problem = _problem(tmp_path, "let:\n  Plan: '1'\n", "'Plan > 0'")
    assert problem.path == "/rules/0/let"


def test_a_let_that_does_not_compile_names_the_expression_that_reads_it(tmp_path):
    with pytest.raises(PolicyError) as caught:
        _load(tmp_path, "let:\n  n: 'entity.profiles.size( +'\n")
    assert "/rules/0/check" in str(caught.value.problems[0]) and "does not compile" in str(
        caught.value.problems[0]
    )


def test_every_let_name_of_the_pack_reads_its_value_on_every_engine():
    """cel-python's compiled runner reads some names as its own (`functions`): a let name of the
    shipped pack binds the value it names, whichever engine runs."""
    names = sorted({name for rule in pack().rules for name in rule.lets})
    assert len(names) > 40
    for engine in ENGINES:
        runtime = make_engine(engine, VARIABLES, {})
        for start in range(
            0, len(names), 10
        ):  # ten levels of binding an expression: engines bound their recursion
            chunk = names[start : start + 10]
            source = lets.bind(
                "[" + ", ".join(chunk) + "]", {name: str(index) for index, name in enumerate(chunk)}
            )
            got = to_python(runtime.compile(source).evaluate({}))
            assert got == list(range(len(chunk))), (
                engine,
                [n for n, v in zip(chunk, got, strict=False) if v != chunk.index(n)],
            )


# -- what users read ------------------------------------------------------------------------


def test_explain_shows_the_lets_as_written_with_their_values():
    from click.testing import CliRunner

    from cdap_policy.cli import cli

    args = [
        "explain",
        "gov-dpo",
        "--snapshot",
        str(FIXTURES / "ccas-2025.yaml"),
        "--as-of",
        "2025-06-30",
    ]
    result = CliRunner().invoke(cli, args + ["--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    shown = {let["name"]: let for let in data["lets"]}
    assert (
        shown["designated"]["source"]
        == "has(contacts.data_protection_referent) && !(contacts.data_protection_referent == null)"
    )
    assert shown["designated"]["value"] is True and shown["designated"]["error"] is None
    assert (
        "[" not in data["check"]["source"].split("(", 1)[0]
    )  # the check as written, not its binding
    text = CliRunner().invoke(cli, args + ["--lang", "en"]).output
    assert (
        "Names the rule defines (let):" in text
        and "designated = true  ←  has(contacts.data_protection_referent)" in text
    )


def test_a_sub_condition_naming_a_let_is_evaluated_with_it():
    from cdap_policy.authoring.explaining import explain
    from cdap_policy.load.snapshot import load_snapshot

    snapshot = load_snapshot(POLICIES / "tests" / "base-2025.yaml")
    result = explain(pack(), snapshot, pack().rule("gov-opening-prerequisites"), None, "2025-06-30")
    assert (
        result.check.source == "late.size() == 0"
        and result.check.error is None
        and result.check.value is True
    )
    assert [let.name for let in result.lets] == ["late"] and result.lets[0].value == []


def test_the_rule_reference_and_listings_show_the_let_block():
    from cdap_policy.authoring.docs import pages
    from cdap_policy.formatters.rules import explain_json, explain_text

    page = pages(pack())["en/coord.md"]
    section = page.split('<a id="coord-copil"></a>', 1)[1].split("<a id=", 1)[0]
    assert (
        "**Names defined (let)**" in section
        and "let:\n  quarters: >-\n    agg.coordination_started_on == null ? []" in section
    )
    assert "].map(quarters" not in page
    rule = pack().rule("coord-copil")
    assert json.loads(explain_json(pack(), rule))["let"]["held"].startswith(
        "has(reviews.control_committees)"
    )
    assert (
        "Names defined (let, CEL):\n  quarters: agg.coordination_started_on == null"
        in explain_text(pack(), rule, "en")
    )


def test_the_policy_readme_documents_lets_and_the_traps():
    text = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")
    assert "## Named sub-expressions (`let`)" in text and "## Traps of cel-python" in text
    assert (
        "`!= null` has no overload" in text
        and "A case cannot remove a field of the base snapshot" in text
    )

"""The engine compiles once, rejects unknown names statically and turns every runtime problem into
EvalError.
"""

import pytest

from cdap_policy.engines import CompileError, EvalError
from cdap_policy.engines.celpy import CelPyEngine as Engine
from cdap_policy.engines.celpy import to_cel

VARS = {"entity", "params", "as_of", "users"}


@pytest.fixture(scope="module")
def engine():
    return Engine(VARS, {"quota": {"T1": 3}, "days": 5})


@pytest.mark.parametrize(
    "source,message",
    [
        ("entity.x ==", "syntax"),
        ("nosuchfn(entity.x)", "unknown function 'nosuchfn'"),
        ("entity.x == somevar", "unknown variable 'somevar'"),
        ("params.missing > 1", "unknown parameter params.missing"),
        ("params.quota.T9 > 1", "unknown parameter params.quota.T9"),
    ],
)
def test_compile_errors(engine, source, message):
    with pytest.raises(CompileError) as exc:
        engine.compile(source)
    if message != "syntax":
        assert message in str(exc.value)


def test_macro_variables_are_allowed(engine):
    engine.compile("users.exists(u, u.id == entity.id) && users.all(x, has(x.id))")


@pytest.mark.parametrize(
    "source,data",
    [
        ("entity.missing > 1", {}),
        ("entity.n > 1.5", {"n": 2}),  # cel-python: int vs double raises
        ('days_between(entity.d, "soon") > 1', {"d": "2025-01-01"}),
        ("entity.n / 0 > 1", {"n": 2}),
    ],
)
def test_evaluation_errors_become_eval_error(engine, source, data):
    with pytest.raises(EvalError):
        engine.compile(source).evaluate({"entity": to_cel(data)})


@pytest.mark.parametrize(
    "source,expected",
    [
        ("!has(entity.q)", True),  # compiled-runner quirk handled
        ("has(entity.a) && !has(entity.q)", True),
        ("has(entity.q) || has(entity.a)", True),
        ("has(entity.q) ? 1 == 2 : 2 == 2", True),
        ("entity.missing > 1 || true", True),  # CEL absorbs errors in ||
        ("entity.missing > 1 && false", False),
        # has() inside the all/exists macros (the compiled runner reduced Python bools: «
        # no such overload »)
        ("entity.l.all(x, has(x.f))", False),
        ("!entity.l.all(x, has(x.f))", True),
        ("entity.l.exists(x, has(x.g))", True),
        ("entity.l.map(x, has(x.f)).all(b, !b)", True),
    ],
)
def test_boolean_logic(engine, source, expected):
    assert (
        bool(
            engine.compile(source).evaluate({"entity": to_cel({"a": 1, "l": [{"g": 1}, {"h": 2}]})})
        )
        is expected
    )


def test_reads_are_found_for_caching(engine):
    program = engine.compile(
        'entity.profile == "T19" && days_between(entity.at, as_of) < params.days'
    )
    assert program.reads["entity"] == {"profile", "at"}
    assert engine.compile("size(entity) > 0").reads["entity"] == {"*"}


def test_interpreted_and_compiled_agree():
    sources = [
        "!has(entity.q) && entity.a in [1, 2]",
        "entity.l.exists(x, x > 2)",
        "size(entity.l.filter(x, x > 1)) == 2",
    ]
    data = {"entity": to_cel({"a": 1, "l": [1, 2, 3]})}
    compiled, interpreted = Engine({"entity"}), Engine({"entity"}, runner="interpreted")
    for source in sources:
        assert compiled.compile(source).evaluate(data) == interpreted.compile(source).evaluate(data)


def test_timeout_turns_into_eval_error(engine):
    heavy = engine.compile('users.all(a, users.all(b, users.all(c, a.id + b.id + c.id != "x")))')
    users = to_cel([{"id": str(i)} for i in range(200)])
    with pytest.raises(EvalError, match="longer than"):
        heavy.evaluate({"users": users}, timeout=0.05)

"""The loader keeps lines, refuses duplicates, tags and bombs, and reads YAML 1.2 scalars."""

import pytest

from cdap_policy.load.yamlsource import load_file, loads
from cdap_policy.support.errors import InputError


def test_lines_of_mappings_and_list_items_are_kept():
    doc = loads(
        "partner:\n  name: X\nusers:\n  - id: u-1\n    profiles: [T1]\n  - id: u-2\n    profiles:"
        " [T5]\n"
    )
    assert doc.line_of(("users", 0)) == 4
    assert doc.line_of(("users", 1)) == 6
    assert doc.line_of(("users", 1, "profiles")) == 7
    assert doc.line_of(("partner",)) == 1
    # a path below a scalar falls back to its nearest ancestor
    assert doc.line_of(("users", 1, "nothing", "deeper")) == 6


@pytest.mark.parametrize(
    "text,line",
    [
        ("a: 1\nb: 2\na: 3\n", 3),
        ("users:\n  - id: u-1\n    status: active\n    status: revoked\n", 4),
        ("partner:\n  name: A\n  kind: ccas\n  name: B\n", 4),
    ],
)
def test_duplicate_keys_are_errors_with_both_lines(text, line):
    with pytest.raises(InputError) as exc:
        loads(text, "snap.yaml")
    problem = exc.value.problems[0]
    assert problem.line == line and problem.file == "snap.yaml"
    assert "duplicate key" in problem.text("en") and "first defined on line" in problem.text("en")


def test_yaml_12_scalars_norway_and_dates_stay_strings():
    doc = loads("country: NO\nflag: yes\nday: 2025-01-02\nn: 012\nt: true\nx: 1.5\nnull_: ~\n")
    assert doc.data == {
        "country": "NO",
        "flag": "yes",
        "day": "2025-01-02",
        "n": 12,
        "t": True,
        "x": 1.5,
        "null_": None,
    }


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo hacked']\n",
        "a: !!python/name:os.system\n",
        "a: !custom 3\n",
        "!!set {a, b}\n",
    ],
)
def test_tags_that_build_objects_are_refused(text):
    with pytest.raises(InputError) as exc:
        loads(text, "evil.yaml")
    assert "not allowed" in str(exc.value) or "malformed" in str(exc.value)


def test_alias_bomb_is_bounded():
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(InputError) as exc:
        loads("\n".join(lines) + "\n", "bomb.yaml")
    assert "alias bomb" in str(exc.value)


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(InputError) as exc:
        loads("a: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")
    assert "nesting too deep" in str(exc.value)


def test_malformed_yaml_names_the_line():
    with pytest.raises(InputError) as exc:
        loads("partner:\n  name: [unclosed\nusers: []\n", "bad.yaml")
    assert exc.value.problems[0].line is not None and "malformed YAML" in str(exc.value)


def test_bom_is_accepted_and_non_utf8_is_reported(tmp_path):
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufeffa: é\n".encode("utf-8"))
    assert load_file(bom).data == {"a": "é"}
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("a: 1\nb: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as exc:
        load_file(latin)
    assert exc.value.problems[0].line == 2 and "UTF-8" in str(exc.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_file(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="directory"):
        load_file(tmp_path)


def test_json_is_read_with_lines():
    doc = loads('{\n  "users": [\n    {"id": "u-1"},\n    {"id": "u-2"}\n  ]\n}\n', "snap.json")
    assert doc.data["users"][1]["id"] == "u-2" and doc.line_of(("users", 1)) == 4
    with pytest.raises(InputError, match="duplicate key"):
        loads('{"a": 1, "a": 2}', "dup.json")

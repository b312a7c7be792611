"""`cdap-policy diff OLD.json NEW.json`: findings matched by fingerprint and classified new,
absent, unchanged or updated; no false `new` for re-ordered users, reworded messages or a rule's
evidence changed; pack changes marked; reports of two partners or two fingerprint versions refused.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from compare_support import EXPECTED, YEAR1, YEAR2, cli, error_lines, ids, report_dict, write_json
from helpers import ROOT

from cdap_policy.evaluate.findings import fingerprint
from cdap_policy.report import reportfile
from cdap_policy.report.diff import changes, diff_reports
from cdap_policy.support.errors import InputError


def classes(result) -> dict:
    return {name: ids(items) for name, items in result.classes().items()}


# -- the shipped annual-review pair ----------------------------------------------------------------


def test_annual_review_pair_gives_the_pinned_classes():
    result = diff_reports(report_dict(YEAR1), report_dict(YEAR2))
    assert classes(result) == {name: sorted(lines) for name, lines in EXPECTED["classes"].items()}
    assert result.notices == []  # same pack, same partner, dates in order
    assert result.exit_code("high") == 1  # the new finding is critical


def test_the_pair_lists_its_users_in_another_order():
    """What the fixture pair claims: the same users, written in another order."""

    def order(path):
        return [u["id"] for u in yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))["users"]]

    first, second = order(YEAR1["snapshot"]), order(YEAR2["snapshot"])
    assert sorted(first) == sorted(second) and first != second


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_format_shows_the_pinned_classes(tmp_path, fmt, lang):
    old, new = (
        write_json(tmp_path / "y1.json", report_dict(YEAR1)),
        write_json(tmp_path / "y2.json", report_dict(YEAR2)),
    )
    proc = cli("diff", old, new, "--format", fmt, "--lang", lang)
    assert proc.returncode == 1, proc.stderr
    if fmt == "json":
        data = json.loads(proc.stdout)
        assert {name: ids(data[name]) for name in EXPECTED["classes"]} == {
            name: sorted(lines) for name, lines in EXPECTED["classes"].items()
        }
        return
    text = proc.stdout
    headings = {
        "fr": ["Nouveaux constats", "Constats résolus", "Constats inchangés"],
        "en": ["New findings", "Resolved findings", "Unchanged findings"],
    }[lang]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)  # new, then resolved, then unchanged
    sections = dict(
        zip(
            ["new", "absent", "unchanged"],
            [text[a:b] for a, b in zip(positions, positions[1:] + [len(text)], strict=True)],
            strict=True,
        )
    )
    for name, section in sections.items():
        for line in EXPECTED["classes"][name]:
            rule_id, entity = line.split()
            assert rule_id in section and entity.replace(":", " ") in section, (name, line)
    assert (
        "Bilan — nouveaux : 1, résolus : 2, modifiés : 0, inchangés : 2"
        if lang == "fr"
        else "Summary — new: 1, resolved: 2, updated: 0, unchanged: 2"
    ) in text


def test_markdown_parses_into_one_table_per_class(tmp_path):
    from markdown_it import MarkdownIt

    old, new = (
        write_json(tmp_path / "y1.json", report_dict(YEAR1)),
        write_json(tmp_path / "y2.json", report_dict(YEAR2)),
    )
    text = cli("diff", old, new, "--format", "markdown", "--lang", "en").stdout
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    rows_per_table, rows = [], None
    for token in tokens:
        if token.type == "tbody_open":
            rows = 0
        elif token.type == "tr_open" and rows is not None:
            rows += 1
        elif token.type == "tbody_close":
            rows_per_table.append(rows)
            rows = None
    expected = EXPECTED["classes"]
    # families, then new, absent, unchanged (no updated finding: no table)
    assert rows_per_table == [
        3,
        len(expected["new"]),
        len(expected["absent"]),
        len(expected["unchanged"]),
    ]


def test_markdown_escapes_values_from_the_reports(tmp_path):
    new = report_dict(YEAR2)
    new["findings"][0]["message"] = {
        "fr": "<img src=x onerror=alert(1)> | **gras** [lien](http://x)",
        "en": "x",
    }
    proc = cli(
        "diff",
        write_json(tmp_path / "a.json", report_dict(YEAR1)),
        write_json(tmp_path / "b.json", new),
        "--format",
        "markdown",
    )
    assert not re.search(r"(?<!\\)<img", proc.stdout) and "\\<img" in proc.stdout  # no raw HTML
    assert "\\| \\*\\*gras\\*\\* \\[lien\\]" in proc.stdout


# -- no false `new` -----------------------------------------------------------------------------


def _all_unchanged(result, count: int):
    assert (len(result.added), len(result.absent), len(result.updated)) == (0, 0, 0), classes(
        result
    )
    assert len(result.unchanged) == count


def test_users_written_in_another_order_change_nothing(tmp_path):
    data = yaml.safe_load((ROOT / YEAR2["snapshot"]).read_text(encoding="utf-8"))
    data["users"].reverse()
    data["contacts"]["administrators"].reverse()
    path = tmp_path / "reordered.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    original, reordered = (
        report_dict(YEAR2),
        report_dict({"snapshot": str(path), "as_of": YEAR2["as_of"]}),
    )
    lines = {f["fingerprint"]: f["location"]["line"] for f in original["findings"]}
    assert any(
        lines[f["fingerprint"]] != f["location"]["line"] for f in reordered["findings"]
    )  # lines did move
    _all_unchanged(diff_reports(original, reordered), len(original["findings"]))


def test_a_reworded_message_changes_nothing():
    old, new = report_dict(YEAR2), report_dict(YEAR2)
    for finding in new["findings"]:
        finding["message"] = {
            "fr": "Autre formulation : " + finding["message"]["fr"],
            "en": "Reworded: " + finding["message"]["en"],
        }
        finding["remediation"] = {"fr": "Autre action.", "en": "Another action."}
        finding["title"] = {"fr": "Autre titre", "en": "Another title"}
        for name in list(finding["evidence"]):
            if name.endswith(
                ("_fr", "_en")
            ):  # wording carried in the evidence (reason_fr, reason_en)
                finding["evidence"][name] = "reworded " + str(finding["evidence"][name])
    _all_unchanged(diff_reports(old, new), len(old["findings"]))


def test_a_rule_that_records_other_evidence_changes_nothing():
    old, new = report_dict(YEAR2), report_dict(YEAR2)
    for finding in new["findings"]:
        name = sorted(finding["evidence"])[0]
        del finding["evidence"][name]  # a value the rule no longer records
        finding["evidence"]["added_in_pack_0_2"] = 42  # and one it records now
    _all_unchanged(diff_reports(old, new), len(old["findings"]))


def test_a_different_value_is_updated_not_new():
    old, new = report_dict(YEAR2), report_dict(YEAR2)
    headroom = next(f for f in new["findings"] if f["rule_id"] == "quota-headroom")
    headroom["evidence"]["quota"] = 5
    result = diff_reports(old, new)
    assert not result.added and not result.absent
    assert [(ids([u]), u["changes"]) for u in result.updated] == [
        (["quota-headroom profile:T1"], ["evidence.quota"])
    ]
    assert result.summary()["updated"] == 1 and result.exit_code("info") == 0  # updated is not new


def test_severity_and_status_changes_are_updates():
    old, new = report_dict(YEAR2), report_dict(YEAR2)
    finding = next(f for f in new["findings"] if f["rule_id"] == "elig-t1-attestation-current")
    finding["severity"], finding["status"] = "critical", "waived"
    assert [u["changes"] for u in diff_reports(old, new).updated] == [["severity", "status"]]


def test_list_order_inside_evidence_is_not_a_change():
    before = {
        "severity": "high",
        "status": "fail",
        "evidence": {"users": ["u-1", "u-2"], "rows": [{"a": 1}, {"b": 2}]},
    }
    after = {
        "severity": "high",
        "status": "fail",
        "evidence": {"users": ["u-2", "u-1"], "rows": [{"b": 2}, {"a": 1}]},
    }
    assert changes(before, after) == []
    positions = {
        "severity": "high",
        "status": "fail",
        "evidence": {"rows": 3, "first_row": 12, "sample": [{"line": 12}], "checked": 40},
    }
    moved = {
        "severity": "high",
        "status": "fail",
        "evidence": {"rows": 3, "first_row": 90, "sample": [{"line": 90}], "checked": 400},
    }
    assert changes(positions, moved) == []  # a consultation log that grew: same defect


def test_passes_listed_with_include_passed_are_not_findings():
    with_passes = report_dict(YEAR2, include_passed=True)
    assert any(f["status"] == "pass" for f in with_passes["findings"])
    _all_unchanged(
        diff_reports(report_dict(YEAR2), with_passes), len(report_dict(YEAR2)["findings"])
    )


# -- pack changes ----------------------------------------------------------------------------------


def _rename_rule(report: dict, old_id: str, new_id: str) -> None:
    report["rules"] = sorted(new_id if r == old_id else r for r in report["rules"])
    for f in report["findings"]:
        if f["rule_id"] == old_id:
            f["rule_id"] = new_id
            f["fingerprint"] = fingerprint(new_id, f["entity"]["kind"], f["entity"]["key"])


def test_a_rule_renamed_in_the_pack_is_new_rule_and_rule_removed():
    old, new = report_dict(YEAR2), report_dict(YEAR2)
    _rename_rule(new, "quota-headroom", "quota-headroom-v2")
    new["policy_pack"]["version"] = "0.2.0"
    result = diff_reports(old, new)
    assert [(ids([f]), f["pack_change"]) for f in result.added] == [
        (["quota-headroom-v2 profile:T1"], "new_rule")
    ]
    assert [(ids([f]), f["pack_change"]) for f in result.absent] == [
        (["quota-headroom profile:T1"], "rule_removed")
    ]
    assert result.pack["rules_added"] == ["quota-headroom-v2"] and result.pack["rules_removed"] == [
        "quota-headroom"
    ]
    summary = result.summary()
    assert (summary["new_rule"], summary["rule_removed"]) == (1, 1)
    notice = next(n for n in result.notices if n["code"] == "pack-changed")
    assert (
        "0.1.0 → cdap-core 0.2.0" in notice["message"]["en"]
        and "not from a change of the partner" in notice["message"]["en"]
    )


def test_a_new_finding_of_a_rule_that_ran_before_is_not_new_rule():
    old, new = report_dict(YEAR1), report_dict(YEAR2)
    new["policy_pack"]["version"] = "0.2.0"
    result = diff_reports(old, new)
    assert [f["pack_change"] for f in result.added] == [None]
    assert any(n["code"] == "pack-changed" for n in result.notices)


def test_pack_change_is_named_in_every_format(tmp_path):
    new = report_dict(YEAR2)
    _rename_rule(new, "quota-headroom", "quota-headroom-v2")
    old_file, new_file = (
        write_json(tmp_path / "a.json", report_dict(YEAR2)),
        write_json(tmp_path / "b.json", new),
    )
    table = cli("diff", old_file, new_file, "--lang", "en").stdout
    assert "quota-headroom-v2 (new rule)" in table and "quota-headroom (rule removed)" in table
    assert "The rules that ran differ" in table
    markdown = cli("diff", old_file, new_file, "--format", "markdown").stdout
    assert "quota-headroom-v2 (nouvelle règle)" in markdown and "règle retirée" in markdown


# -- refusals and exit codes
# -------------------------------------------------------------------------


def test_reports_of_two_partners_are_refused_unless_forced(tmp_path):
    other = report_dict(YEAR2)
    other["snapshot"]["siret"], other["snapshot"]["partner"] = (
        "26970999400017",
        "Centre hospitalier de Belcombe",
    )
    old_file, new_file = (
        write_json(tmp_path / "a.json", report_dict(YEAR1)),
        write_json(tmp_path / "b.json", other),
    )
    with pytest.raises(InputError):
        diff_reports(report_dict(YEAR1), other)
    proc = cli("diff", old_file, new_file, "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(error_lines(proc)) == 1 and error_lines(proc)[0].startswith(
        f"{new_file}: report of another partner"
    )
    assert "SIRET 26970999400017" in proc.stderr and "--force" in proc.stderr
    forced = cli("diff", old_file, new_file, "--force", "--format", "json")
    assert forced.returncode == 1
    assert [n["code"] for n in json.loads(forced.stdout)["notices"]] == ["different-partners"]


def test_different_fingerprint_versions_are_refused_even_with_force(tmp_path):
    new = report_dict(YEAR2)
    new["fingerprint_version"] = 2
    old_file, new_file = (
        write_json(tmp_path / "a.json", report_dict(YEAR1)),
        write_json(tmp_path / "b.json", new),
    )
    proc = cli("diff", old_file, new_file, "--force", "--lang", "en")
    assert proc.returncode == 2
    assert error_lines(proc) and error_lines(proc)[0].startswith(
        f"{new_file}: fingerprint versions differ"
    )


def test_exit_code_follows_new_findings_and_fail_on(tmp_path):
    y1, y2 = (
        write_json(tmp_path / "y1.json", report_dict(YEAR1)),
        write_json(tmp_path / "y2.json", report_dict(YEAR2)),
    )
    assert cli("diff", y1, y1).returncode == 0  # nothing new
    assert cli("diff", y2, y2).returncode == 0  # failing findings, all known: nothing new
    assert cli("diff", y1, y2, "--fail-on", "critical").returncode == 1
    info_only = report_dict(YEAR1)
    info_only["findings"] = [f for f in info_only["findings"] if f["rule_id"] != "quota-headroom"]
    base = write_json(tmp_path / "no-headroom.json", info_only)
    assert cli("diff", base, y1).returncode == 0  # the only new finding is `info`
    assert cli("diff", base, y1, "--fail-on", "info").returncode == 1


def test_a_new_error_finding_always_fails(tmp_path):
    new = report_dict(YEAR1)
    new["findings"][0].update(status="error", severity="low")
    new["findings"][0]["fingerprint"] = "0" * 32
    old = report_dict(YEAR1)
    assert diff_reports(old, new).exit_code("critical") == 1


def test_dates_in_the_wrong_order_are_flagged():
    result = diff_reports(report_dict(YEAR2), report_dict(YEAR1))
    assert [n["code"] for n in result.notices] == ["dates-reversed"]


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "invalid JSON"),
        ('{"findings": []}', "is not a cdap-policy JSON report"),
        ("[]", "is not a cdap-policy JSON report"),
        (
            '{"tool": {"name": "cdap-policy"}, "snapshot": {}, "findings": [], "rules": []}',
            "no fingerprint_version",
        ),
    ],
)
def test_a_file_that_is_not_a_report_exits_2_with_one_line(tmp_path, content, fragment):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    proc = cli("diff", bad, write_json(tmp_path / "y2.json", report_dict(YEAR2)), "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == ""
    lines = error_lines(proc)
    assert len(lines) == 1 and lines[0].startswith(str(bad)) and fragment in lines[0], lines


def test_a_json_syntax_error_names_its_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{\n  "tool": {"name": "cdap-policy"},\n  "findings": [,]\n}\n', encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        reportfile.load(bad)
    assert caught.value.problems[0].render("en").startswith(f"{bad}:3: invalid JSON")


def test_a_file_of_several_reports_or_missing_is_refused(tmp_path):
    both = write_json(tmp_path / "both.json", [report_dict(YEAR1), report_dict(YEAR2)])
    y2 = write_json(tmp_path / "y2.json", report_dict(YEAR2))
    proc = cli("diff", both, y2, "--lang", "en")
    assert proc.returncode == 2 and "holds 2 reports" in proc.stderr
    proc = cli("diff", tmp_path / "missing.json", y2, "--lang", "en")
    assert proc.returncode == 2 and "file not found" in proc.stderr


def test_output_file_and_inputs_protected(tmp_path):
    y1, y2 = (
        write_json(tmp_path / "y1.json", report_dict(YEAR1)),
        write_json(tmp_path / "y2.json", report_dict(YEAR2)),
    )
    out = tmp_path / "diff.md"
    proc = cli("diff", y1, y2, "--format", "markdown", "-o", out)
    assert (
        proc.returncode == 1
        and proc.stdout == ""
        and out.read_text(encoding="utf-8").startswith("## Comparaison")
    )
    before = (tmp_path / "y2.json").read_bytes()
    assert cli("diff", y1, y2, "-o", y2).returncode == 2
    assert (tmp_path / "y2.json").read_bytes() == before


# -- the JSON contract
# ------------------------------------------------------------------------------

FINDING_KEYS = {
    "rule_id",
    "requirements",
    "severity",
    "status",
    "entity",
    "location",
    "title",
    "message",
    "remediation",
    "references",
    "interpretation",
    "evidence",
    "fingerprint",
    "related",
    "baseline_state",
    "waiver",
}


def test_json_contract_key_by_key(tmp_path):
    old = report_dict(YEAR1)
    new = report_dict(YEAR2)
    next(f for f in new["findings"] if f["rule_id"] == "quota-headroom")["evidence"]["active"] = (
        3  # one `updated`
    )
    proc = cli(
        "diff",
        write_json(tmp_path / "a.json", old),
        write_json(tmp_path / "b.json", new),
        "--format",
        "json",
    )
    data = json.loads(proc.stdout)
    assert (
        proc.stdout == json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )  # sorted, stable bytes
    assert set(data) == {
        "tool",
        "fingerprint_version",
        "files",
        "reports",
        "pack",
        "notices",
        "summary",
        "new",
        "absent",
        "unchanged",
        "updated",
    }
    assert data["tool"]["name"] == "cdap-policy" and data["fingerprint_version"] == 1
    assert data["files"] == {"old": str(tmp_path / "a.json"), "new": str(tmp_path / "b.json")}
    assert set(data["reports"]) == {"old", "new"}
    for side, report in (
        ("old", old),
        ("new", new),
    ):  # each header: the report without its findings
        assert data["reports"][side] == {k: v for k, v in report.items() if k != "findings"}
    assert set(data["pack"]) == {"old", "new", "changed", "rules_added", "rules_removed"}
    assert data["pack"]["changed"] is False
    summary = data["summary"]
    assert set(summary) == {
        "new",
        "absent",
        "unchanged",
        "updated",
        "new_rule",
        "rule_removed",
        "by_family",
    }
    assert (summary["new"], summary["absent"], summary["unchanged"], summary["updated"]) == (
        1,
        2,
        1,
        1,
    )
    assert summary["by_family"] == {
        "ELIG": {"new": 0, "absent": 0, "unchanged": 1, "updated": 0},
        "GOV": {"new": 1, "absent": 2, "unchanged": 0, "updated": 0},
        "QUOTA": {"new": 0, "absent": 0, "unchanged": 0, "updated": 1},
    }
    for name in ("new", "absent", "unchanged"):
        for finding in data[name]:
            assert set(finding) == FINDING_KEYS | {"pack_change"}, name
    [updated] = data["updated"]
    assert set(updated) == {"before", "after", "changes"} and updated["changes"] == [
        "evidence.active"
    ]
    assert (
        set(updated["before"]) == FINDING_KEYS
        and updated["before"]["fingerprint"] == updated["after"]["fingerprint"]
    )

"""Missing data is an error, never a proven breach: a rule that needs a field (`requires`) gives
`error` with the count of the entities or log rows that lack it; a user with proven failures keeps
a failure, the rows that could not be judged said beside it; the column-wise log reader agrees."""

import json

import pytest
import yaml
from helpers import POLICIES, ROOT, base, pack, write

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.pack import load_pack
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.logs import columnar, read
from cdap_policy.support.errors import PolicyError

AS_OF = "2025-06-30"


def _t19_log(tmp_path, rows: list[dict], name="log.csv"):
    data = base(2017)
    header = ["at", "user", "profile", "file", "rsa_status", "rsa_ended_on"]
    lines = [",".join(header)] + [",".join(str(r.get(k, "")) for k in header) for r in rows]
    (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    data["consultations"] = {"file": name}
    return write(tmp_path, data)


ROWS = [  # u-4 holds T19 in the 2017 base
    {
        "at": "2025-06-02T09:00:00",
        "user": "u-4",
        "profile": "T19",
        "file": "F-1",
        "rsa_status": "paid",
    },
    {"at": "2025-06-02T09:01:00", "user": "u-4", "profile": "T19", "file": "F-2"},
    {
        "at": "2025-06-02T09:02:00",
        "user": "u-4",
        "profile": "T19",
        "file": "F-3",
        "rsa_status": "ended",
    },
    {"at": "2025-06-02T09:03:00", "user": "u-4", "profile": "T19", "file": "F-4"},
]


def _finding(report, rule_id, key="u-4"):
    return next(f for f in report.findings if f.rule_id == rule_id and f.entity_key == key)


def test_rows_without_the_rsa_status_are_an_error_with_their_count(tmp_path):
    report = evaluate(pack(), load_snapshot(_t19_log(tmp_path, ROWS)), AS_OF)
    finding = _finding(report, "scope-t19-rsa-status")
    assert finding.status == "error" and finding.severity == "critical"
    assert (
        finding.evidence["errors"] == 2
        and finding.evidence["checked"] == 4
        and finding.evidence["rows"] == 0
    )
    assert "2 consultation(s)" in finding.message["fr"] and "sur 4" in finding.message["fr"]
    assert "statut du droit RSA" in finding.message["fr"] and "RSA right" in finding.message["en"]
    window = _finding(
        report, "scope-rsa-window"
    )  # a status « ended » without its end date is missing data too
    assert window.status == "error" and window.evidence["errors"] == 3
    assert report.summary()["by_status"]["error"] >= 2


def test_a_proven_breach_is_a_failure_that_also_says_what_could_not_be_judged(tmp_path):
    rows = ROWS + [
        {
            "at": "2025-06-03T10:00:00",
            "user": "u-4",
            "profile": "T19",
            "file": "F-5",
            "rsa_status": "never",
        }
    ]
    report = evaluate(pack(), load_snapshot(_t19_log(tmp_path, rows)), AS_OF)
    finding = _finding(report, "scope-t19-rsa-status")
    assert (
        finding.status == "fail"
        and finding.evidence["rows"] == 1
        and finding.evidence["errors"] == 2
    )
    assert (
        "F-5" in finding.message["fr"]
        and "2 consultation(s) n'ont pas pu être jugées" in finding.message["fr"]
    )
    assert finding.evidence["first_row"] == 6  # the failing row, not the first row without status
    assert finding.line == 6


@pytest.mark.skipif(
    not columnar.available(), reason="pyarrow and numpy are not installed (extra [logs])"
)
def test_the_column_wise_reader_gives_the_same_report(tmp_path, monkeypatch):
    rows = (
        ROWS * 30
        + [
            {
                "at": "2025-06-03T10:00:00",
                "user": "u-4",
                "profile": "T19",
                "file": "F-5",
                "rsa_status": "never",
            }
        ]
        + ROWS
    )
    path = _t19_log(tmp_path, rows)

    def outcome():
        report = evaluate(pack(), load_snapshot(path), AS_OF).to_dict()
        report.pop("duration_s", None)
        report.get("summary", {}).pop("duration_s", None)
        return json.dumps(report, default=str)

    fast = outcome()
    monkeypatch.setattr(read, "by_columns", lambda *args: None)
    assert outcome() == fast


@pytest.mark.slow
def test_requires_takes_a_field_and_says_what_it_records(tmp_path):
    target = tmp_path / "pack"
    import shutil

    shutil.copytree(POLICIES, target)
    text = (target / "scope.yaml").read_text(encoding="utf-8")
    (target / "scope.yaml").write_text(
        text.replace("    - field: entity.cmg_request", "    - field: has(entity.cmg_request)", 1),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError):
        load_pack(target)


def test_a_stale_browser_list_is_the_checkers_to_renew_not_the_partners(tmp_path):
    """The pack's dated list of maintained browsers has aged past browser_list_max_age_months:
    the error says the list's date and the age limit, and asks whoever runs the checker for a
    current list as a parameter override, not the partner to complete its snapshot."""
    snapshot = load_snapshot(write(tmp_path, base(2025)))
    finding = _finding(
        evaluate(pack(), snapshot, "2026-12-31"), "gov-browser-up-to-date", "partner"
    )
    assert finding.status == "error"
    assert (
        "2025-06-30" in finding.message["fr"]
        and "plus de 12 mois avant la date d'évaluation" in finding.message["fr"]
    )
    assert (
        "2025-06-30" in finding.message["en"]
        and "more than 12 months before the evaluation date" in finding.message["en"]
    )
    for lang in ("fr", "en"):
        remediation = finding.remediation[lang]
        assert (
            "--params" in remediation
            and ".cdap-policy.yaml" in remediation
            and "cdap-policy serve" in remediation
        )
        assert (
            "Caf" in remediation
            and "browser_supported_releases" in remediation
            and "12" in remediation
        )
        assert (
            "…" not in finding.message[lang]
        )  # said whole, not cut like a value quoted from the input
    assert "Compléter ou corriger les données de l'instantané" not in finding.remediation["fr"]
    assert (
        finding.evidence["listed_on"] == "2025-06-30" and finding.evidence["max_age_months"] == 12
    )
    # what the remediation asks: a current list, supplied as an override (fictitious releases)
    (tmp_path / "caf.yaml").write_text(
        'browser_supported_releases:\n  "2026-11-30": {firefox: [128, 140, 145]}\n',
        encoding="utf-8",
    )
    renewed = evaluate(
        load_pack(POLICIES, tmp_path / "caf.yaml"),
        snapshot,
        "2026-12-31",
        rule_ids={"gov-browser-up-to-date"},
    )
    assert (
        renewed.findings == [] and renewed.counts.get("pass") == 1
    )  # judged: Firefox ESR 128 still maintained


@pytest.mark.slow
def test_a_need_names_only_values_its_rule_reads(tmp_path):
    import shutil

    target = tmp_path / "pack"
    shutil.copytree(POLICIES, target)
    text = (target / "gov.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "datée de moins de {max_age_months} mois", "datée de moins de {age_limite} mois", 1
    )
    assert changed != text
    (target / "gov.yaml").write_text(changed, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_pack(target)
    line = caught.value.problems[0].render("en")
    assert (
        "gov-browser-up-to-date" in line
        and "age_limite" in line
        and "/requires/0/remediation/fr" in line
    )


def test_explain_says_the_data_is_missing(tmp_path):
    from cdap_policy.authoring.explaining import explain

    snapshot = load_snapshot(_t19_log(tmp_path, ROWS[1:2]))
    result = explain(pack(), snapshot, pack().rule("scope-t19-rsa-status"), "u-4", AS_OF)
    assert result.status == "error" and "statut du droit RSA" in result.finding.message["fr"]


def test_every_rule_reading_a_log_field_the_caf_does_not_trace_requires_it():
    """The RSA status and the CMG request are written by the partner from the file, not traced by
    the Caf: no consultation rule may read them as a breach when they are absent."""
    rules = yaml.safe_load((POLICIES / "scope.yaml").read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        if rule["over"] != "consultations":
            continue
        for name in ("rsa_status", "cmg_request"):
            if f"entity.{name}" in rule["check"]:
                assert any(
                    need["field"] == f"entity.{name}" for need in rule.get("requires", [])
                ), rule["id"]
    assert ROOT.is_dir()

"""One root cause, several obligations (issue 12, item 29): the findings stay distinct but name each
other.
"""

from helpers import base, pack, write

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot

AS_OF = "2025-06-30"
LINKED = ("quota-profile-not-opened", "gov-avenant-profile-opened", "elig-profile-mission")


def _report(tmp_path, profile="T4"):
    data = base(2025)
    # the bulletin leaves T4 empty (0 authorised), the CCAS declares no RSA mission, yet an
    # agent holds it
    data["convention"]["quotas"][profile] = ""
    data["users"].append(
        {
            "id": "u-3",
            "first_name": "Yanis",
            "last_name": "Quéré",
            "email": "yanis.quere@villebrume.example",
            "function": "Instructeur RSA",
            "profiles": [profile],
            "status": "active",
            "granted_on": "2025-04-01",
            "last_login_on": "2025-06-27",
            "commitment_signed_on": "2025-03-28",
            "security_briefed_on": "2025-03-28",
            "instructor_number": "INS-44-0007",
        }
    )
    return evaluate(pack(), load_snapshot(write(tmp_path, data)), AS_OF)


def test_a_profile_granted_where_the_bulletin_authorises_none_links_its_three_findings(tmp_path):
    report = _report(tmp_path)
    on_t4 = {
        f.rule_id: f
        for f in report.findings
        if f.entity_kind == "profile" and f.entity_key == "T4" and f.status == "fail"
    }
    assert set(LINKED) <= set(on_t4), sorted(on_t4)
    for rule_id in LINKED:
        others = {on_t4[other].fingerprint for other in LINKED if other != rule_id}
        assert others <= set(on_t4[rule_id].related), (rule_id, on_t4[rule_id].related)
        assert on_t4[rule_id].fingerprint not in on_t4[rule_id].related


def test_the_linked_findings_remain_distinct_obligations(tmp_path):
    report = _report(tmp_path)
    linked = [f for f in report.findings if f.rule_id in LINKED and f.entity_key == "T4"]
    assert len({f.fingerprint for f in linked}) == len(LINKED)
    assert len({f.requirements for f in linked}) == len(
        LINKED
    )  # QUOTA-PROFILE, GOV-AVENANT, ELIG-MISSION


def test_findings_on_another_profile_are_not_linked(tmp_path):
    data = base(2025)
    data["convention"]["quotas"].update(
        {"T1": 1, "T4": ""}
    )  # two T1 agents for one place: another cause
    data["users"].append(
        {
            "id": "u-3",
            "first_name": "Yanis",
            "last_name": "Quéré",
            "profiles": ["T4"],
            "status": "active",
            "granted_on": "2025-04-01",
            "instructor_number": "INS-44-0007",
        }
    )
    report = evaluate(pack(), load_snapshot(write(tmp_path, data)), AS_OF)
    t1 = next(
        f for f in report.findings if f.rule_id == "quota-profile-max" and f.entity_key == "T1"
    )
    t4 = next(
        f
        for f in report.findings
        if f.rule_id == "quota-profile-not-opened" and f.entity_key == "T4"
    )
    assert t1.status == t4.status == "fail"
    assert t4.fingerprint not in t1.related and t1.fingerprint not in t4.related


def test_related_is_part_of_the_json_contract(tmp_path):
    report = _report(tmp_path).to_dict()
    quota = next(
        f
        for f in report["findings"]
        if f["rule_id"] == "quota-profile-not-opened" and f["status"] == "fail"
    )
    assert isinstance(quota["related"], list) and len(quota["related"]) >= 2

"""The pre-signature checklist names only the documents of the partner's framework and edition, with
the references its own documents hold: the deliberation authorising the signature comes first, the
supporting documents of each profile (2025), the T1 diplomas per edition, the CAFPRO forms only to a
CAFPRO partner; items with no pre-signature rule are not listed."""

import pytest
from helpers import base, pack, write

from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.pipeline.check import CheckOptions, check_loaded


def _presign(tmp_path, data, as_of="2025-06-30"):
    report = check_loaded(
        pack(),
        load_snapshot(write(tmp_path, data)),
        CheckOptions(as_of=as_of, stage="pre-signature"),
    )
    return report, {item["id"]: item for item in report.checklist}


def _ccas_before_signing(edition=2025) -> dict:
    data = base(edition)
    for key in (
        "signed_on",
        "service_contract_signed_on",
        "bulletin_signed_on",
        "access_opened_on",
        "deliberation",
    ):
        data["convention"].pop(key, None)
    for user in data["users"]:
        user["status"] = "planned"
    return data


def test_the_deliberation_comes_first_and_is_an_obligation_of_its_own(tmp_path):
    report, items = _presign(tmp_path, _ccas_before_signing())
    assert report.checklist[0]["id"] == "deliberation"
    by_fp = {f.fingerprint: f for f in report.findings}
    assert [by_fp[fp].rule_id for fp in items["deliberation"]["findings"]] == [
        "gov-deliberation-before-signature"
    ]
    assert any("conseil d'administration du CCAS" in r for r in items["deliberation"]["references"])
    assert not any("commission permanente" in r for r in items["deliberation"]["references"])


def test_each_profile_requested_needs_its_supporting_document_in_2025(tmp_path):
    data = _ccas_before_signing()
    data["convention"]["quotas"].update(T2=2)
    data["partner"]["caf_social_action_subsidy"] = True
    report, items = _presign(tmp_path, data)
    by_fp = {f.fingerprint: f for f in report.findings}
    placed = {
        (by_fp[fp].rule_id, by_fp[fp].entity_key)
        for fp in items["profile-supporting-documents"]["findings"]
    }
    assert ("gov-supporting-documents-provided", "T2") in placed
    assert (
        "gov-supporting-documents-provided",
        "T1",
    ) not in placed  # the attestation stands for it


def test_a_2017_partner_is_not_asked_for_the_2025_attestation(tmp_path):
    data = _ccas_before_signing(2017)
    data["users"][0]["diploma"] = {"type": "none"}
    report, items = _presign(tmp_path, data, as_of="2017-05-01")
    assert "t1-diplomas" in items and "t1-attestation" not in items
    text = " ".join(str(item["what"]) + " ".join(item["references"]) for item in report.checklist)
    assert "2025" not in text and "éducateur spécialisé" not in text
    refs = (
        items["convention-and-bulletin"]["references"] if "convention-and-bulletin" in items else []
    )
    assert not any("BULL art. 2" in r for r in refs)


def test_the_cafpro_forms_are_asked_of_a_cafpro_partner_only(tmp_path):
    data = _ccas_before_signing(2017)
    data["convention"]["framework"] = "cafpro"
    data["partner"].update(kind="commune", name="Ville de Montclair-sur-Seine")
    report, items = _presign(tmp_path, data, as_of="2017-05-01")
    shown = set(items)
    assert not shown & {
        "convention-and-bulletin",
        "user-files",
        "t1-attestation",
        "administrators-and-contacts",
        "t19-control-file",
    }
    text = " ".join(pick_all(item) for item in report.checklist)
    assert "bulletin 2025" not in text
    mcp, _ = _presign(tmp_path, _ccas_before_signing())
    assert not any("lu et approuvé" in pick_all(item) for item in mcp.checklist)


def pick_all(item) -> str:
    return " ".join([item["title"]["fr"], item["what"]["fr"], *item["references"]])


@pytest.mark.parametrize("requirement", ["GOV-REVERSE-REVIEW", "GOV-ANNUAL-REVIEW", "GOV-TERM"])
def test_obligations_of_a_running_convention_are_not_documents_to_prepare(requirement):
    assert not [d["id"] for d in pack().checklist if requirement in d["requirements"]]


def test_the_t19_file_is_due_before_the_access_is_authorised():
    item = next(d for d in pack().checklist if d["id"] == "t19-control-file")
    assert any(
        "préalablement à l'autorisation d'accès" in (r if isinstance(r, str) else r["text"])
        for r in item["references"]
    )
    assert item["what"]["fr"].startswith("Préalablement à l'autorisation d'accès")

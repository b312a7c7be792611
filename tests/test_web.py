"""`cdap-policy serve` without a browser: the partner path over HTTP to a clean checklist, the
auditor's report and diff, and what keeps it safe (CSRF, headers, limits, zip bombs, bind address).
"""

import html
import io
import json
import re
import subprocess
import sys
import zipfile

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from helpers import ROOT  # noqa: E402
from web_support import (
    DELIBERATION,
    ORGANISATION,
    SHEET,
    WORKSTATIONS,
    caf_params,
    hidden,
    people_fields,
)  # noqa: E402


@pytest.fixture(scope="module")
def params_file(tmp_path_factory):
    return caf_params(tmp_path_factory.mktemp("caf"))


@pytest.fixture(scope="module")
def client(params_file):
    """The server as a Caf runs it: with its current list of maintained browsers (--params)."""
    from starlette.testclient import TestClient

    from cdap_policy.web.app import ServeOptions, create_app

    with TestClient(create_app(ServeOptions(params_file=str(params_file)))) as c:
        yield c


def token(client) -> str:
    return hidden(client.get("/partenaire").text, "csrf")


def post(client, step, draft, go="next", files=None, **fields):
    response = client.post(
        "/partenaire",
        data={"csrf": token(client), "draft": draft, "step": step, "go": go, **fields},
        files=files,
    )
    assert response.status_code == 200, response.text[:2000]
    return response.text, hidden(response.text, "draft")


def partner_path(client):
    page, draft = post(client, "organisation", "", **ORGANISATION, **DELIBERATION)
    page, draft = post(client, "profiles", draft, **{"quota-T1": "4", "mode": "delegated"})
    page, draft = post(client, "people", draft, **people_fields())
    page, draft = post(client, "workstations", draft, **WORKSTATIONS)
    page, draft = post(
        client, "staff", draft, go="upload", files={"sheet": (SHEET.name, SHEET.read_bytes())}
    )
    page, draft = post(client, "staff", draft, go="header", header_row="1")
    mapping = {}
    for select in re.finditer(r'<select id="(map-\d+)".*?</select>', page, re.S):
        chosen = re.search(r'value="(\w+)" selected', select.group(0))
        mapping[select.group(1)] = chosen.group(1) if chosen else ""
    page, draft = post(client, "staff", draft, go="map", **mapping)
    assert "4 agent(s) importé(s)" in page
    # Thomas Bérard has no state diploma: the partner unticks T1 for him
    page, draft = post(
        client,
        "staff",
        draft,
        users_shown="1",
        **{"profiles-0": "T1", "profiles-1": "T1", "profiles-2": "T1"},
    )
    shown = hidden(page, "flags_shown")
    assert "ccas_t1_conditions_met" in shown  # the Caf's conditions are asked on screen
    page, draft = post(
        client,
        "attestation",
        draft,
        attestation_on="2026-11-30",
        flags_shown=shown,
        **{"flag-ccas_t1_conditions_met": "1"},
    )
    return page, draft


def test_partner_path_reaches_a_clean_checklist_and_downloads(client):
    page, draft = partner_path(client)
    assert 'id="checklist-clean"' in page, re.sub(r"<[^>]+>", " ", page)[-3000:]
    data = {"csrf": token(client), "draft": draft}
    snapshot = client.post("/partenaire/telecharger", data={**data, "what": "snapshot"})
    assert snapshot.status_code == 200 and "attachment" in snapshot.headers["content-disposition"]
    text = snapshot.text
    assert (
        text.startswith(
            "# yaml-language-server: $schema=http://testserver/schema/snapshot.schema.json\n"
        )
        and "# Instantané CDAP de départ" in text
    )
    assert (
        client.get("/schema/snapshot.schema.json")
        .json()["$schema"]
        .startswith("https://json-schema.org/")
    )
    assert "t1_attestation:" in text and "ccas_t1_conditions_met: true" in text
    assert (
        "Responsable informatique : mairie" in text
    )  # a colon in a value is quoted, never a parser error
    adopted = DELIBERATION["deliberation_adopted_on"]
    assert (
        'deliberation: {body: "Conseil d\'administration du CCAS", reference: "CA-2026-14",'
        f' adopted_on: "{adopted}"}}' in text
    )
    checklist = client.post("/partenaire/telecharger", data={**data, "what": "checklist"})
    assert checklist.status_code == 200 and checklist.text.startswith("<!DOCTYPE html>")
    report = client.post("/partenaire/telecharger", data={**data, "what": "report", "redact": "1"})
    assert report.status_code == 200 and "Lemaître" not in report.text


@pytest.mark.cli
def test_the_downloaded_snapshot_checks_clean_from_the_command_line(client, tmp_path, params_file):
    _, draft = partner_path(client)
    text = client.post(
        "/partenaire/telecharger", data={"csrf": token(client), "draft": draft, "what": "snapshot"}
    ).text
    (tmp_path / "ccas.yaml").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            "ccas.yaml",
            "--stage",
            "pre-signature",
            "--format",
            "json",
            "--params",
            str(params_file),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["by_status"]["fail"] == 0


# a fictitious provider, entered whole on the form: nothing for the partner to type in YAML
PROVIDER = {
    "prov-0-name": "Hébergement Exemple SAS",
    "prov-0-tasks": "Hébergement du logiciel d'instruction\nSauvegardes",
    "prov-0-country": "fr",
    "prov-0-db": "FR, DE",
    "prov-0-starts_on": "2027-09-01",
    "prov-0-notice_on": "2026-11-20",
    "prov-0-lists": [
        "providers",
        "provider_locations",
        "database_locations",
        "legal_regime",
        "tasks",
    ],
    "prov-0-clauses": [
        "security",
        "confidentiality",
        "purpose_limitation",
        "no_retention_after_end",
        "no_disclosure",
        "anti_misuse",
        "physical_security",
        "audit",
        "same_obligations_for_subcontractors",
    ],
}


def sub_rules(page: str) -> set:
    """The SUB rules a checklist page shows findings of."""
    return set(re.findall(r'href="/regle/(sub-[a-z-]+)"', page))


def cli_sub_rules(text: str, folder, params_file) -> set:
    (folder / "ccas.yaml").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", "check", "ccas.yaml", "--stage", "pre-signature"]
        + ["--format", "json", "--params", str(params_file)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    return {
        f["rule_id"]
        for f in report["findings"]
        if f["status"] in ("fail", "error") and f["rule_id"].startswith("sub-")
    }


def test_a_provider_entered_on_the_form_reaches_the_snapshot_whole(client):
    import jsonschema
    import yaml

    page, draft = partner_path(client)
    page, draft = post(client, "providers", draft, go="checklist", provider_count="1", **PROVIDER)
    assert "err-" not in page, re.sub(r"<[^>]+>", " ", page)[:3000]
    assert 'id="checklist-clean"' in page and not sub_rules(page)
    text = client.post(
        "/partenaire/telecharger", data={"csrf": token(client), "draft": draft, "what": "snapshot"}
    ).text
    block = text.split("\nsubcontractors:\n", 1)[1].split("\n\n", 1)[0]
    assert "TODO" not in block and "À COMPLÉTER" not in block, block
    data = yaml.safe_load(text)
    schema = json.loads((ROOT / "schemas" / "snapshot.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["subcontractors"] == [
        {
            "id": "hebergement-exemple-sas",
            "name": "Hébergement Exemple SAS",
            "tasks": ["Hébergement du logiciel d'instruction", "Sauvegardes"],
            "country": "FR",
            "database_countries": ["FR", "DE"],
            "starts_on": "2027-09-01",
            "notice": {"received_on": "2026-11-20", "lists": PROVIDER["prov-0-lists"]},
            "clauses": PROVIDER["prov-0-clauses"],
        }
    ]
    # the page says where a provider's own subcontractors go; the snapshot too
    page, _ = post(client, "workstations", draft, **WORKSTATIONS)
    assert 'id="providers-depth"' in page and 'id="add-provider"' in page


@pytest.mark.cli
def test_the_checklist_and_check_agree_on_a_late_incomplete_notice(client, tmp_path, params_file):
    """Letter received less than 6 months before the start, without the tasks; no audit clause;
    a US host whose DPF certification the form then asks: the same SUB findings on the page and
    from the command line."""
    page, draft = partner_path(client)
    late = {
        **PROVIDER,
        "prov-0-country": "US",
        "prov-0-db": "",
        "prov-0-starts_on": "01/02/2027",  # typed the French way
        "prov-0-lists": PROVIDER["prov-0-lists"][:4],
        "prov-0-clauses": [c for c in PROVIDER["prov-0-clauses"] if c != "audit"],
    }
    page, draft = post(client, "providers", draft, provider_count="1", **late)
    # the questions a US host raises appear, on the same step
    assert 'id="prov-0-dpf"' in page and 'id="prov-0-sg_kind"' in page and "<h1>5. " in page
    assert 'id="prov-0-commercial"' not in page  # a question for Canada only
    page, draft = post(
        client,
        "providers",
        draft,
        go="checklist",
        provider_count="1",
        **late,
        **{"prov-0-asked": "dpf,safeguard"},
    )
    assert "<h1>8. " in page  # answered (not certified): on to the checklist
    shown = sub_rules(page)
    assert {
        "sub-notice-delay",
        "sub-notice-content",
        "sub-audit-clause",
        "sub-location-known",
        "sub-transfer-authorised",
    } <= shown, shown
    text = client.post(
        "/partenaire/telecharger", data={"csrf": token(client), "draft": draft, "what": "snapshot"}
    ).text
    assert "dpf_certified: false" in text
    assert cli_sub_rules(text, tmp_path, params_file) == shown


def test_a_transfer_outside_the_eu_needs_its_safeguard(client):
    """A provider whose databases are in a country without adequacy (India): the form asks the
    safeguard; without one the transfer is a finding, with standard contractual clauses signed
    before the start it is not, and the snapshot records them."""
    _, draft = partner_path(client)
    outside = {**PROVIDER, "prov-0-db": "FR, IN"}
    page, draft = post(client, "providers", draft, provider_count="1", **outside)
    assert 'id="prov-0-sg_kind"' in page and 'id="prov-0-dpf"' not in page and "<h1>5. " in page
    page, _ = post(client, "providers", draft, go="back", provider_count="1", **outside)
    assert "<h1>4. " in page  # going back is not held up by the new question
    asked = {"prov-0-asked": "safeguard"}
    page, _ = post(
        client, "providers", draft, go="checklist", provider_count="1", **outside, **asked
    )
    assert "sub-transfer-authorised" in sub_rules(page)
    clauses = {
        "prov-0-sg_kind": "standard_contractual_clauses",
        "prov-0-sg_reference": "Clauses types 2021/914, module 2",
        "prov-0-sg_dated": "15/10/2026",
    }
    page, draft = post(
        client,
        "providers",
        draft,
        go="checklist",
        provider_count="1",
        **outside,
        **asked,
        **clauses,
    )
    assert "sub-transfer-authorised" not in sub_rules(page), sub_rules(page)
    text = client.post(
        "/partenaire/telecharger", data={"csrf": token(client), "draft": draft, "what": "snapshot"}
    ).text
    assert (
        'safeguard: {kind: "standard_contractual_clauses", reference: "Clauses types 2021/914,'
        ' module 2", dated: "2026-10-15"}' in text
    )


def test_a_provider_is_checked_field_by_field(client):
    page, draft = post(client, "organisation", "", **ORGANISATION, **DELIBERATION)
    wrong = {
        **PROVIDER,
        "prov-0-starts_on": "31/02/2027",
        "prov-0-country": "France",
        "prov-0-name": "",
    }
    for lang, date, country, name in (
        ("fr", "Début de l'intervention : date illisible", "code pays inconnu", "indiquez le nom"),
        ("en", "Start of its work: unreadable date", "unknown country code", "give the provider"),
    ):
        response = client.post(
            f"/partenaire?lang={lang}",
            data={"csrf": token(client), "draft": draft, "step": "providers", "go": "next"}
            | {"provider_count": "1", **wrong},
        )
        page = html.unescape(response.text)
        assert response.status_code == 200 and "<h1>5. " in page  # stays on the step
        assert 'aria-describedby="err-prov-0-starts_on"' in page and date in page
        assert 'id="err-prov-0-country"' in page and country in page
        assert 'id="err-prov-0-name"' in page and name in page
        assert 'value="2026-11-20"' in page  # what was typed right is kept


def test_add_a_provider_without_script(client):
    _, draft = post(client, "organisation", "", **ORGANISATION, **DELIBERATION)
    page, draft = post(
        client, "providers", draft, go="add_provider", provider_count="1", **PROVIDER
    )
    assert 'id="provider-1"' in page and 'id="provider-2"' not in page
    assert "<h1>5. " in page and 'value="Hébergement Exemple SAS"' in page
    # a forged draft brings no other key nor a refused value into the snapshot
    forged = json.loads(draft)
    forged["providers"][0].update({"country": "France", "keeps_data": True, "dpf_certified": 1})
    page, _ = post(client, "providers", json.dumps(forged), go="providers")
    text = client.post(
        "/partenaire/telecharger",
        data={"csrf": token(client), "draft": json.dumps(forged), "what": "snapshot"},
    ).text
    assert "keeps_data" not in text and "France" not in text and "dpf_certified" not in text
    # values of the wrong type are dropped, never a server error
    forged["providers"] += [{"name": "Autre", "tasks": 5, "notice": "x", "safeguard": 1}, 3, None]
    forged["provider_rows"] = 10**6
    page, _ = post(client, "workstations", json.dumps(forged), go="providers")
    assert 'id="provider-11"' in page and 'id="provider-12"' not in page


def test_the_deliberation_is_checked_field_by_field(client):
    for lang, wrong, missing in (
        (
            "fr",
            "Date d'adoption de la délibération : date illisible",
            "Date d'adoption de la délibération : indiquez-la",
        ),
        (
            "en",
            "Date the deliberation was adopted: unreadable date",
            "Date the deliberation was adopted: give it",
        ),
    ):
        response = client.post(
            f"/partenaire?lang={lang}",
            data={
                "csrf": token(client),
                "draft": "",
                "step": "organisation",
                "go": "next",
                **ORGANISATION,
                **{**DELIBERATION, "deliberation_adopted_on": "31/02/2026"},
            },
        )
        page = response.text
        assert (
            response.status_code == 200
            and 'id="err-deliberation_adopted_on"' in page
            and wrong in html.unescape(page)
        )
        assert (
            'aria-describedby="err-deliberation_adopted_on"' in page and "<h1>1. " in page
        )  # stays on the step
        assert 'value="CA-2026-14"' in page  # what was typed is kept
        response = client.post(
            f"/partenaire?lang={lang}",
            data={
                "csrf": token(client),
                "draft": "",
                "step": "organisation",
                "go": "next",
                **ORGANISATION,
                **{**DELIBERATION, "deliberation_adopted_on": ""},
            },
        )
        assert missing in html.unescape(response.text)
    # typed the French way, read as a date; the live checklist no longer asks for it
    page, _ = post(
        client,
        "organisation",
        "",
        **ORGANISATION,
        **{**DELIBERATION, "deliberation_adopted_on": "06/11/2026"},
    )
    assert (
        "err-deliberation_adopted_on" not in page
        and '"adopted_on":"2026-11-06"' in html.unescape(page)
    )
    assert (
        "Délibération de l&#39;organe délibérant autorisant la signature"
        not in page.split('id="live-title"', 1)[1]
    )


def test_supporting_documents_of_the_other_profiles(client):
    """A CCAS asking T2 (the Caf's social-action subsidy) and T13 (the FSL) names the document
    behind each; the T1 attestation is its own. A bad date is refused naming the profile."""
    page, draft = post(client, "organisation", "", **ORGANISATION, **DELIBERATION)
    page, draft = post(
        client, "profiles", draft, **{"quota-T2": "2", "quota-T13": "1", "mode": "delegated"}
    )
    page, draft = post(client, "people", draft, **people_fields())
    page, draft = post(client, "workstations", draft, **WORKSTATIONS)
    page, draft = post(client, "staff", draft)
    assert (
        'id="document-T2"' in page
        and 'id="document-T13"' in page
        and 'id="document-T1"' not in page
    )
    shown = hidden(page, "flags_shown")
    assert "caf_social_action_subsidy" in shown
    flags = {"flags_shown": shown, "flag-caf_social_action_subsidy": "1"}
    page, _ = post(
        client,
        "attestation",
        draft,
        **flags,
        **{"document-T2": "Notification de subvention", "document_on-T2": "2026-13-01"},
    )
    assert (
        'id="err-document_on-T2"' in page
        and "T2 : date de remise du justificatif illisible" in html.unescape(page)
    )
    page, draft = post(
        client,
        "attestation",
        draft,
        **flags,
        **{
            "document-T2": "Notification de subvention d'action sociale de la Caf",
            "document_on-T2": "",
            "document-T13": "Convention de gestion du FSL avec le département",
            "document_on-T13": "01/10/2026",
        },
    )
    assert 'id="checklist-clean"' in page, re.sub(r"<[^>]+>", " ", page)[-3000:]
    text = client.post(
        "/partenaire/telecharger", data={"csrf": token(client), "draft": draft, "what": "snapshot"}
    ).text
    assert (
        '- {profile: "T2", document: "Notification de subvention d\'action sociale de la Caf"}'
        in text
    )
    assert (
        '- {profile: "T13", document: "Convention de gestion du FSL avec le département",'
        ' provided_on: "2026-10-01"}' in text
    )


def test_every_response_carries_a_strict_policy(client):
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    assert (
        response.headers["x-frame-options"] == "DENY"
        and response.headers["cache-control"] == "no-store"
    )
    assert "<script" not in response.text and "style=" not in response.text


def test_a_post_without_its_csrf_token_is_refused(client):
    response = client.post(
        "/partenaire", data={"draft": "", "step": "organisation", **ORGANISATION}
    )
    assert response.status_code == 403
    response = client.post(
        "/auditeur/rapport", data={"csrf": "0" * 64}, files={"snapshot": ("a.yaml", b"x: 1")}
    )
    assert response.status_code == 403


def test_a_body_over_the_limit_is_refused(client):
    from cdap_policy.web import security

    big = b"x" * (security.MAX_REQUEST_BYTES + 10)
    response = client.post(
        "/auditeur/rapport", content=big, headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 413


def test_auditor_report_and_diff(client):
    fixture = ROOT / "fixtures" / "ccas-2025.yaml"
    response = client.post(
        "/auditeur/rapport",
        data={"csrf": token(client), "as_of": "2025-06-30"},
        files={"snapshot": (fixture.name, fixture.read_bytes())},
    )
    assert response.status_code == 200, response.text[:1000]
    page = response.text
    assert (
        'href="/regle/elig-t1-attestation-current"' in page
        and "Valeurs lues" in page
        and "Explication de la règle" in page
    )
    encoded = re.search(
        r'id="download-json" download="rapport.json"'
        r' href="data:application/json;charset=utf-8;base64,([^"]+)"',
        page,
    ).group(1)
    import base64

    report = base64.b64decode(encoded)
    older = json.loads(report)
    older["findings"] = older["findings"][1:]  # last year: one finding fewer
    response = client.post(
        "/auditeur/comparaison",
        data={"csrf": token(client)},
        files={"old": ("y1.json", json.dumps(older).encode()), "new": ("y2.json", report)},
    )
    assert response.status_code == 200, response.text[:1000]
    assert 'id="diff-new"' in response.text


def test_a_finding_shows_every_value_read_whatever_its_name(client, monkeypatch):
    """Values a rule read named like a mapping's methods (`values`, `items`) are shown as
    values, and the page's own words too: never « <built-in method values of dict object> »."""
    import dataclasses

    from cdap_policy.pipeline import check as checking

    real = checking.check_loaded
    evidence = {"values": "valeur-lue-1", "items": ["article-a", "article-b"], "keys": "cle-7"}

    def with_odd_names(*args, **kwargs):
        report = real(*args, **kwargs)
        return dataclasses.replace(
            report,
            findings=[
                dataclasses.replace(f, evidence={**f.evidence, **evidence}) for f in report.findings
            ],
        )

    monkeypatch.setattr(checking, "check_loaded", with_odd_names)
    fixture = ROOT / "fixtures" / "ccas-2025.yaml"
    for lang, words in (("fr", "Valeurs lues"), ("en", "Values read")):
        response = client.post(
            f"/auditeur/rapport?lang={lang}",
            data={"csrf": token(client), "as_of": "2025-06-30"},
            files={"snapshot": (fixture.name, fixture.read_bytes())},
        )
        assert response.status_code == 200, response.text[:1000]
        page = response.text
        assert "built-in method" not in page and "bound method" not in page
        assert f"<summary>{words}</summary>" in page
        for name, value in (("values", "valeur-lue-1"), ("items", "article-a"), ("keys", "cle-7")):
            assert re.search(rf'<th scope="row">{name}</th><td>[^<]*{value}', page), name


def test_a_rule_page_explains_the_rule(client):
    page = client.get("/regle/elig-t1-diploma").text
    assert "Condition vérifiée (CEL)" in page and "BULL" in page
    assert client.get("/regle/nope").status_code == 404


def _zip(entries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_a_folder_is_checked_and_hostile_ones_refused(client):
    fixture = (ROOT / "fixtures" / "ccas-2025.yaml").read_bytes()
    response = client.post(
        "/auditeur/rapport",
        data={"csrf": token(client), "as_of": "2025-06-30"},
        files={
            "snapshot": (
                "partenaires.zip",
                _zip([("a/ccas.yaml", fixture), ("b/broken.yaml", b"partner: [")]),
            )
        },
    )
    assert (
        response.status_code == 200
        and "CCAS de Saint-Aubin-sur-Loire" in response.text
        and "broken.yaml" in response.text
    )
    for entries in ([("../evil.yaml", fixture)], [("bomb.yaml", b"\0" * (50 * 1024 * 1024))]):
        response = client.post(
            "/auditeur/rapport",
            data={"csrf": token(client)},
            files={"snapshot": ("x.zip", _zip(entries))},
        )
        assert response.status_code == 400, entries[0][0]


def test_nothing_is_left_on_disk(client, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fixture = ROOT / "fixtures" / "ccas-2025.yaml"
    client.post(
        "/auditeur/rapport",
        data={"csrf": token(client)},
        files={"snapshot": (fixture.name, fixture.read_bytes())},
    )
    partner_path(client)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.cli
def test_serve_refuses_a_public_address_without_allow_remote():
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        proc.returncode == 2
        and proc.stderr.startswith("erreur : ")
        and "--allow-remote" in proc.stderr
    )


def test_behind_a_reverse_proxy_links_keep_the_prefix():
    from starlette.testclient import TestClient

    from cdap_policy.web.app import create_app

    with TestClient(create_app(), root_path="/cdap") as proxied:
        page = proxied.get("/").text
        assert 'href="/cdap/partenaire"' in page and 'href="/cdap/static/style.css"' in page
        assert 'href="/partenaire"' not in page

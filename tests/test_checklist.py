"""The pre-signature report is a checklist: what is missing, grouped by the document to prepare."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from helpers import POLICIES, ROOT, base, pack, write


def run(*args):
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
        timeout=120,
    )
    assert "Traceback" not in proc.stderr
    return proc


def draft(tmp_path):
    """A CCAS about to sign: a T1 worker without diploma, no security officer, a provider not
    announced.
    """
    data = base()
    data["users"][1]["diploma"] = {"type": "none"}
    data["users"][1]["status"] = "planned"
    data["contacts"]["security_officer"] = None
    data["subcontractors"] = [
        {
            "id": "p-1",
            "name": "Armor Cloud",
            "country": "FR",
            "database_countries": ["FR"],
            "starts_on": "2025-09-01",
        }
    ]
    return write(tmp_path, data)


def test_every_requirement_of_a_pre_signature_rule_has_a_document():
    listed = {req for document in pack().checklist for req in document["requirements"]}
    pre = {
        req for rule in pack().rules if "pre-signature" in rule.stages for req in rule.requirements
    }
    assert pre - listed == set()


@pytest.mark.cli
def test_pre_signature_findings_are_grouped_by_document(tmp_path):
    proc = run(
        "check",
        draft(tmp_path),
        "--as-of",
        "2025-06-30",
        "--stage",
        "pre-signature",
        "--format",
        "json",
    )
    report = json.loads(proc.stdout)
    groups = {item["id"]: item for item in report["checklist"]}
    by_fp = {f["fingerprint"]: f for f in report["findings"]}
    assert {"t1-attestation", "administrators-and-contacts", "provider-notice"} <= set(groups)
    assert any(
        by_fp[fp]["rule_id"] == "elig-t1-diploma" for fp in groups["t1-attestation"]["findings"]
    )
    assert any(
        by_fp[fp]["rule_id"] == "gov-security-officer"
        for fp in groups["administrators-and-contacts"]["findings"]
    )
    assert any(
        by_fp[fp]["rule_id"].startswith("sub-notice")
        for fp in groups["provider-notice"]["findings"]
    )
    placed = [fp for item in report["checklist"] for fp in item["findings"]]
    failing = [f["fingerprint"] for f in report["findings"] if f["status"] in ("fail", "error")]
    assert sorted(placed) == sorted(failing)  # each failing finding under exactly one document


@pytest.mark.cli
def test_the_table_is_a_checklist_in_plain_french(tmp_path):
    text = run("check", draft(tmp_path), "--as-of", "2025-06-30", "--stage", "pre-signature").stdout
    assert (
        "☐ 1. À préparer :" in text
        and "Attestation sur l'honneur des diplômes d'État (profil T1)" in text
    )
    assert text.index("À préparer : Attestation") < text.index("elig-t1-diploma")
    other_stage = run("check", draft(tmp_path), "--as-of", "2025-06-30").stdout
    assert "À préparer" not in other_stage


@pytest.mark.slow
@pytest.mark.cli
def test_checklist_file_is_validated(tmp_path):
    import shutil

    target = tmp_path / "pack"
    shutil.copytree(POLICIES, target)
    data = yaml.safe_load((target / "checklist.yaml").read_text(encoding="utf-8"))
    data["documents"][0]["requirements"].append("GOV-NOPE")
    (target / "checklist.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    proc = run("check", draft(tmp_path), "--policies", target, "--lang", "en")
    assert proc.returncode == 2 and "unknown requirement 'GOV-NOPE'" in proc.stderr


@pytest.mark.cli
def test_the_html_report_renders_a_printable_checklist(tmp_path):
    """Each document to prepare is an item with a box, its articles, and links to the findings it
    settles, which are on the same page."""
    from html.parser import HTMLParser

    snapshot = draft(tmp_path)
    report = json.loads(
        run(
            "check",
            snapshot,
            "--as-of",
            "2025-06-30",
            "--stage",
            "pre-signature",
            "--format",
            "json",
        ).stdout
    )
    html = run(
        "check", snapshot, "--as-of", "2025-06-30", "--stage", "pre-signature", "--format", "html"
    ).stdout

    class Items(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.items, self.links, self.ids = 0, 0, [], set()

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "id" in attrs:
                self.ids.add(attrs["id"])
            if tag == "ol" and attrs.get("class") == "checklist":
                self.depth = 1
            elif self.depth and tag in ("ol", "ul"):
                self.depth += 1
            elif self.depth == 1 and tag == "li":
                self.items += 1
            elif self.depth and tag == "a":
                self.links.append(attrs["href"].lstrip("#"))

        def handle_endtag(self, tag):
            if self.depth and tag in ("ol", "ul"):
                self.depth -= 1

    parsed = Items()
    parsed.feed(html)
    documents = [d for d in report["checklist"] if d["findings"]]
    assert parsed.items == len(documents) > 1
    assert sorted(parsed.links) == sorted(f"f-{fp}" for d in documents for fp in d["findings"])
    assert set(parsed.links) <= parsed.ids  # every link lands on its finding
    assert "☐" in html and "Avant la signature" in html


@pytest.mark.cli
def test_the_markdown_report_is_a_task_list(tmp_path):
    snapshot = draft(tmp_path)
    report = json.loads(
        run(
            "check",
            snapshot,
            "--as-of",
            "2025-06-30",
            "--stage",
            "pre-signature",
            "--format",
            "json",
        ).stdout
    )
    text = run(
        "check",
        snapshot,
        "--as-of",
        "2025-06-30",
        "--stage",
        "pre-signature",
        "--format",
        "markdown",
        "--lang",
        "en",
    ).stdout
    boxes = [line for line in text.splitlines() if line.startswith("- [ ] **")]
    assert len(boxes) == len([d for d in report["checklist"] if d["findings"]]) > 1
    assert "Before signing: documents to prepare" in text

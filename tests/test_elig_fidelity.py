"""Legal fidelity of the ELIG family: what a finding quotes is the documents' words, a report cites
only the documents of its edition and framework, and a message never cuts the words it quotes."""

import re

import pytest
import yaml
from helpers import POLICIES, ROOT, base, pack, write

from cdap_policy.evaluate.runner import cited, evaluate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.support.textsafe import MAX_VALUE

SEEDS = ROOT.parent / "shared" / "seeds"
AS_OF = "2025-06-30"
ELISION = "[…]"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _catalogue():
    params = yaml.safe_load((POLICIES / "params" / "profiles.yaml").read_text(encoding="utf-8"))[
        "parameters"
    ]
    return params["profiles"]["value"], params["cafpro_profiles"]["value"]


def _elig_quotes():
    """(where, quote) for every quote of the ELIG rules and of the profile catalogues."""
    rules = yaml.safe_load((POLICIES / "elig.yaml").read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        for ref in rule["references"]:
            if ref.get("quote"):
                yield f"{rule['id']} {ref['document']} {ref['article']}", ref["quote"]
    catalogue, cafpro = _catalogue()
    for edition, entries in catalogue.items():
        for code, entry in entries.items():
            if entry.get("quote"):
                yield f"catalogue {edition} {code}", entry["quote"]
    for code, entry in cafpro.items():
        if entry.get("quote"):
            yield f"cafpro_profiles {code}", entry["quote"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents not beside the repository")
def test_every_quote_is_the_documents_words():
    documents = " ".join(_flat(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))
    wrong = [
        (where, part)
        for where, quote in _elig_quotes()
        for part in (_flat(p) for p in quote.split(ELISION))
        if part and part not in documents
    ]
    assert wrong == []


def test_quoted_words_and_readings_fit_a_message_uncut():
    """Messages cut any value at MAX_VALUE characters: the catalogue's words must fit, guillemets
    included.
    """
    catalogue, cafpro = _catalogue()
    entries = [(f"{e} {c}", v) for e, codes in catalogue.items() for c, v in codes.items()] + [
        (f"cafpro {c}", v) for c, v in cafpro.items()
    ]
    long = [
        (where, name)
        for where, entry in entries
        for name, text in (
            ("quote", "« " + entry.get("quote", "") + " »"),
            ("fr", entry["eligible_bodies"]["fr"]),
            ("en", entry["eligible_bodies"]["en"]),
        )
        if len(text) > MAX_VALUE
    ]
    assert long == []


def test_references_are_filtered_by_edition_and_framework():
    refs = [
        {"document": "A"},
        {"document": "B", "editions": [2017]},
        {"document": "C", "editions": [2025], "frameworks": ["cafpro"]},
        {"document": "D", "frameworks": ["mon_compte_partenaire"]},
    ]
    assert [r["document"] for r in cited(refs, 2017, "mon_compte_partenaire")] == ["A", "B", "D"]
    assert [r["document"] for r in cited(refs, 2025, "cafpro")] == ["A", "C"]


def _ineligible(edition: int) -> dict:
    """A social landlord holding every profile of its edition's base, and T6 and T9: ELIG fails
    everywhere.
    """
    data = base(edition)
    data["partner"].update(name="Habitat Solaire OPH", kind="social_landlord")
    data["convention"]["quotas"].update(T6=1, T9=1)
    data["users"].append(
        {
            "id": "u-9",
            "first_name": "Basile",
            "last_name": "Fontanel",
            "profiles": ["T6", "T9"],
            "status": "active",
            "granted_on": data["users"][0]["granted_on"],
        }
    )
    return data


@pytest.mark.parametrize("edition,other", [(2017, "BULL-2025"), (2025, "BULL-2017")])
def test_a_report_cites_only_the_bulletin_of_its_edition(tmp_path, edition, other):
    report = evaluate(pack(), load_snapshot(write(tmp_path, _ineligible(edition))), AS_OF)
    elig = [f for f in report.findings if f.rule_id.startswith("elig-") and f.status == "fail"]
    # the 2017 text of T6-T16 is not in the documents: advice under one rule of its own (review D11)
    unquoted = (
        {"elig-2017-unquoted-organisation"}
        if edition == 2017
        else {"elig-t6-organisation", "elig-t9-organisation"}
    )
    assert {f.rule_id for f in elig} >= {"elig-t1-organisation"} | unquoted
    assert [f.rule_id for f in elig if any(r["document"] == other for r in f.references)] == []
    assert [
        r["id"]
        for r in report.rules
        if r["family"] == "ELIG" and any(ref["document"] == other for ref in r["references"])
    ] == []
    own = "BULL-2017" if edition == 2017 else "BULL-2025"
    t1 = next(f for f in elig if f.rule_id == "elig-t1-organisation" and f.entity_kind == "profile")
    assert any(r["document"] == own and r.get("quote") for r in t1.references)


def test_a_cafpro_report_is_not_judged_on_the_bulletin(tmp_path):
    data = _ineligible(2017)
    data["convention"]["framework"] = "cafpro"
    report = evaluate(pack(), load_snapshot(write(tmp_path, data)), AS_OF)
    elig = [f for f in report.findings if f.rule_id.startswith("elig-")]
    assert elig and {f.rule_id for f in elig} <= {
        "elig-cafpro-profile-defined",
        "elig-cafpro-t2-organisation",
        "elig-cafpro-organisation",
        "elig-profile-mission",
    }
    assert [
        f.rule_id
        for f in elig
        if any(r["document"] in ("BULL-2017", "BULL-2025", "CONV") for r in f.references)
    ] == []
    # T6, T9 and T19 are not CAFPRO profiles: each, and each of its holders, is a finding
    undefined = {
        (f.entity_kind, f.entity_key) for f in elig if f.rule_id == "elig-cafpro-profile-defined"
    }
    assert {("profile", "T19"), ("profile", "T6"), ("user", "u-4"), ("user", "u-9")} <= undefined
    # T5 was a CAFPRO profile (review D5), for the RSA bodies only: a social landlord may not
    # hold it
    assert ("profile", "T5") not in undefined
    assert ("profile", "T5") in {
        (f.entity_kind, f.entity_key) for f in elig if f.rule_id == "elig-cafpro-organisation"
    }


def test_one_article_quoted_from_two_editions_is_cited_in_the_reports_own_edition():
    refs = [
        {"document": "CONV", "article": "art. 9.2", "source": "HR17"},
        {"document": "CONV", "article": "art. 9.2", "source": "COU25"},
        {"document": "CS", "article": "art. 2.2.1", "source": "HR17"},
    ]
    editions = {"HR17": 2017, "COU25": 2025}
    assert [
        (r["article"], r["source"]) for r in cited(refs, 2025, "mon_compte_partenaire", editions)
    ] == [("art. 9.2", "COU25"), ("art. 2.2.1", "HR17")]
    assert [
        (r["article"], r["source"]) for r in cited(refs, 2017, "mon_compte_partenaire", editions)
    ] == [("art. 9.2", "HR17"), ("art. 2.2.1", "HR17")]


def test_the_shipped_pack_names_the_edition_of_each_source():
    from helpers import pack

    assert pack().source_editions == {"HR17": 2017, "COU25": 2025}

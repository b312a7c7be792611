"""`cdap-policy init`: the prompts, the unattended run, refusing to overwrite; every file it
writes validates with the live schema, and its choices follow the schema and the catalogue."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import ROOT

from cdap_policy.authoring.starter import (
    Answers,
    load_choices,
    parse_person,
    parse_profiles,
    render,
)
from cdap_policy.cli import cli
from cdap_policy.load.schemainfo import enum
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.support.labels import FRAMEWORKS, KINDS, MISSIONS, MODES

SIRET = "26440999600016"
UNATTENDED = [
    "--no-input",
    "--kind",
    "ccas",
    "--name",
    "CCAS de Pont-Guérin",
    "--siret",
    SIRET,
    "--department",
    "44",
    "--profile",
    "T1=4",
    "--principal",
    "Nadia Lemaître, nadia.lemaitre@pont-guerin.example, 02 40 00 11 22",
    "--deputy",
    "Yanis Carrel, yanis.carrel@pont-guerin.example, 06 12 34 56 78",
    "--provider",
    "Éditeur Logiciel SA",
]


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.mark.cli
def test_prompts_write_a_valid_snapshot(tmp_path):
    target = tmp_path / "ccas.yaml"
    answers = [
        "6",  # kind: the 6th of the list, as the partner reads it
        "CCAS de Pont-Guérin",
        "26440999600017",  # a wrong checksum is refused and asked again
        SIRET,
        "44",
        "",  # framework: default
        "",  # edition: default (the latest)
        "T1=4, T13=1",  # T13 is open to a CCAS for its agents in sector polyvalence: no question
        "",  # missions: those of the profiles
        "",  # management mode: default
        "Nadia",
        "Lemaître",
        "pas-une-adresse",
        "nadia.lemaitre@pont-guerin.example",
        "02 40 00 11 22",
        "",
        "",  # deputy: later
        "Olivier",
        "Keraudren",
        "rssi@pont-guerin.example",
        "",
        "",
        "",  # data-protection officer: later
        "",
        "",  # level-1 support: later
        "Mention sur les formulaires de demande",  # how beneficiaries are informed
        "firefox=140:3",  # workstations
        "Éditeur Logiciel SA, Hébergeur Ouest",
        "y",  # the Caf confirmed in writing that the CCAS meets its T1 conditions
    ]
    result = run("init", target, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert (
        "centre communal d'action sociale" in result.output
    )  # the kinds are offered with their French names
    assert "SIRET invalide" in result.output
    assert (
        "cdap-policy import-users" in result.output
        and f"cdap-policy check {target} --stage pre-signature" in result.output
    )
    data = load_snapshot(target).data  # the live schema accepts it
    assert data["partner"] == {
        "name": "CCAS de Pont-Guérin",
        "kind": "ccas",
        "siret": SIRET,
        "department": "44",
        "missions": ["social_action", "fsl"],
        "ccas_t1_conditions_met": True,
        "beneficiary_information": {"method": "Mention sur les formulaires de demande"},
        "workstations": [{"browser": "firefox", "version": 140, "count": 3}],
    }
    assert data["convention"]["quotas"] == {"T1": 4, "T13": 1}
    assert data["convention"]["edition"] == max(enum("/properties/convention/properties/edition"))
    principal, deputy = data["contacts"]["administrators"]
    assert principal == {
        "id": "adm-1",
        "role": "principal",
        "first_name": "Nadia",
        "last_name": "Lemaître",
        "email": "nadia.lemaitre@pont-guerin.example",
        "phone_landline": "02 40 00 11 22",
    }
    assert deputy == {"id": "adm-2", "role": "deputy"}
    assert data["contacts"]["security_officer"]["last_name"] == "Keraudren"
    assert data["contacts"]["data_protection_referent"] is None
    assert [p["name"] for p in data["subcontractors"]] == ["Éditeur Logiciel SA", "Hébergeur Ouest"]
    assert data["users"] == []


@pytest.mark.cli
def test_no_input_with_options(tmp_path):
    target = tmp_path / "ccas.yaml"
    result = run("init", target, *UNATTENDED)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    data = load_snapshot(target).data
    assert data["partner"]["missions"] == [
        "social_action"
    ]  # the first mission of T1 in the catalogue
    assert data["contacts"]["administrators"][1]["phone_mobile"] == "06 12 34 56 78"
    assert data["convention"]["management_mode"] == "delegated"
    # what only the partner knows is left as commented placeholders, in French by default
    assert "À COMPLÉTER :" in text
    assert re.search(r"^  # workstations: .*À COMPLÉTER", text, re.M)
    assert text.count("\n# — ") >= 5  # a comment on each section


@pytest.mark.cli
def test_english_comments_with_lang_en(tmp_path):
    target = tmp_path / "ccas.yaml"
    assert run("init", target, *UNATTENDED, "--lang", "en").exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "TO COMPLETE:" in text and "À COMPLÉTER" not in text
    load_snapshot(target)


@pytest.mark.cli
def test_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "ccas.yaml"
    target.write_text("keep me\n", encoding="utf-8")
    result = run("init", target, *UNATTENDED)
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert run("init", target, *UNATTENDED, "--force").exit_code == 0
    load_snapshot(target)


@pytest.mark.cli
@pytest.mark.parametrize(
    "args, option",
    [
        (["--no-input", "--name", "X"], "--kind"),
        (["--no-input", "--kind", "ccas"], "--name"),
        (["--no-input", "--kind", "ccas", "--name", "X", "--siret", "123"], "--siret"),
        (["--no-input", "--kind", "ccas", "--name", "X", "--department", "99"], "--department"),
        (["--no-input", "--kind", "not-a-kind", "--name", "X"], "--kind"),
        (["--no-input", "--kind", "ccas", "--name", "X", "--profile", "T3=1"], "--profile"),
        (["--no-input", "--kind", "ccas", "--name", "X", "--mission", "everything"], "--mission"),
        (
            ["--no-input", "--kind", "ccas", "--name", "X", "--principal", "A B, not-an-address@"],
            "--principal",
        ),
    ],
)
def test_bad_options_exit_2_naming_the_option(tmp_path, args, option):
    target = tmp_path / "x.yaml"
    result = run("init", target, *args)
    assert result.exit_code == 2 and option in result.output
    assert not target.exists()


def test_every_kind_edition_and_framework_of_the_schema_gives_a_valid_file(tmp_path):
    choices = load_choices()
    assert choices.kinds == enum("/properties/partner/properties/kind")
    for index, kind in enumerate(choices.kinds):
        edition = choices.editions[index % len(choices.editions)]
        framework = choices.frameworks[index % len(choices.frameworks)]
        codes = choices.profiles(edition)
        answers = Answers(
            kind=kind,
            name=f"Organisme {index}",
            taken_on="2025-06-30",
            edition=edition,
            framework=framework,
            quotas={codes[index % len(codes)]: 2},
            missions=list(choices.missions[:2]),
            management_mode=choices.modes[index % len(choices.modes)],
            providers=["Prestataire"],
        )
        path = tmp_path / f"{kind}.yaml"
        path.write_text(
            render(answers, choices, "schema.json", "fr" if index % 2 else "en"), encoding="utf-8"
        )
        load_snapshot(path)


def test_every_schema_code_has_a_french_and_english_name():
    for table, pointer in (
        (KINDS, "/properties/partner/properties/kind"),
        (MISSIONS, "/$defs/mission"),
        (MODES, "/properties/convention/properties/management_mode"),
        (FRAMEWORKS, "/properties/convention/properties/framework"),
    ):
        missing = [code for code in enum(pointer) if code not in table]
        assert not missing, f"add names to cdap_policy/support/labels.py for {pointer}: {missing}"


def test_kind_names_are_those_of_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*?) \|", readme, re.M))
    assert set(rows) >= set(enum("/properties/partner/properties/kind"))
    for code, name in KINDS.items():
        assert name["fr"] in rows[code], code


@pytest.mark.cli
def test_modeline_points_at_the_schema(tmp_path):
    target = tmp_path / "ccas.yaml"
    run("init", target, *UNATTENDED)
    reference = target.read_text(encoding="utf-8").splitlines()[0].split("$schema=", 1)[1]
    path = (
        Path(reference.removeprefix("file://"))
        if reference.startswith("file://")
        else target.parent / reference
    )
    assert path.resolve().name == "snapshot.schema.json" and path.resolve().is_file()


def test_parsers():
    assert parse_profiles("T1=4, t4 : 1 T13") == {"T1": 4, "T4": 1, "T13": 1}
    with pytest.raises(ValueError):
        parse_profiles("T1=quatre")
    person = parse_person("Soizic Le Bihan, 02 40 00 00 09, dpo@pont-guerin.example")
    assert (person.first_name, person.last_name, person.email, person.phone) == (
        "Soizic",
        "Le Bihan",
        "dpo@pont-guerin.example",
        "02 40 00 00 09",
    )


@pytest.mark.cli
def test_the_starter_asks_for_the_deliberation_and_each_profiles_supporting_document(tmp_path):
    """Before signing: the deliberation authorising the signature, and (2025) the supporting
    documents of the profiles other than T1, are placeholders to complete, not silent gaps."""
    target = tmp_path / "dept.yaml"
    result = run(
        "init",
        target,
        "--no-input",
        "--kind",
        "department",
        "--name",
        "Département de la Brume",
        "--siret",
        "22680999400016",
        "--department",
        "44",
        "--profile",
        "T1=10",
        "--profile",
        "T5=3",
        "--deliberation",
        "commission permanente, 2026-11-20, CP-2026-11-4",
    )
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert (
        'deliberation: {body: "commission permanente", reference: "CP-2026-11-4", adopted_on:'
        ' "2026-11-20"}' in text
    )
    bare = run(
        "init",
        tmp_path / "other.yaml",
        "--no-input",
        "--kind",
        "ccas",
        "--name",
        "CCAS de la Brume",
    )
    assert bare.exit_code == 0 and re.search(
        r"# deliberation: \{body: .*adopted_on",
        (tmp_path / "other.yaml").read_text(encoding="utf-8"),
    )
    assert (
        re.search(r"# supporting_documents: \[\{profile: T5,", text) and "profile: T1," not in text
    )


def test_the_starter_writes_the_supporting_documents_given_and_asks_for_the_others(tmp_path):
    """Documents given (the web form's) are written; the profiles still without one keep their
    placeholder, as an item of the same list; the file validates."""
    choices = load_choices()
    answers = Answers(
        kind="ccas",
        name="CCAS de la Brume",
        taken_on="2026-12-07",
        department="44",
        quotas={"T1": 2, "T2": 1, "T13": 1},
        flags={"caf_social_action_subsidy": True},
        supporting_documents=[
            {
                "profile": "T2",
                "document": "Notification de subvention : « action sociale »",
                "provided_on": "2026-10-01",
            }
        ],
    )
    text = render(answers, choices, "snapshot.schema.json")
    assert (
        '    - {profile: "T2", document: "Notification de subvention : « action sociale »",'
        ' provided_on: "2026-10-01"}' in text
    )
    assert re.search(
        r'^    # - \{profile: T13, document: "", provided_on: "AAAA-MM-JJ"\}   # À COMPLÉTER',
        text,
        re.M,
    )
    assert "profile: T1," not in text and "# supporting_documents:" not in text
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    documents = load_snapshot(tmp_path / "s.yaml").data["convention"]["supporting_documents"]
    assert documents == [
        {
            "profile": "T2",
            "document": "Notification de subvention : « action sociale »",
            "provided_on": "2026-10-01",
        }
    ]

"""`cdap-policy import-users`: XLSX and CSV staff lists, French headers, --map, a merge that keeps
every existing key and the rest of the file, and unreadable rows reported with their number."""

import datetime
import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, ROOT

from cdap_policy.cli import cli
from cdap_policy.load.snapshot import load_snapshot

EXAMPLES = ROOT / "examples"
HEADERS = (
    "Nom;Prénom;Courriel;Fonction;Profil;Diplôme;Date du diplôme;Type de contrat;Fin de contrat\n"
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def starter(tmp_path):
    path = tmp_path / "ccas.yaml"
    result = run(
        "init",
        path,
        "--no-input",
        "--kind",
        "ccas",
        "--name",
        "CCAS de Pont-Guérin",
        "--profile",
        "T1=4",
    )
    assert result.exit_code == 0, result.output
    return path


def users_block_removed(text: str) -> list[str]:
    """The file's lines outside its top-level `users` block."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        if line.startswith("users:"):
            inside = True
            continue
        if inside and (line.startswith(" ") or line.startswith("-")):
            continue
        inside = False
        out.append(line)
    return out


EXPECTED = [
    {
        "id": "u-01",
        "first_name": "Camille",
        "last_name": "Arnoux",
        "email": "camille.arnoux@ccas-pont-guerin.example",
        "function": "Assistante de service social",
        "contract": {"type": "civil_servant"},
        "diploma": {"type": "ASS", "awarded_on": "2011-06-30"},
        "profiles": ["T1"],
        "status": "planned",
    },
    {
        "id": "u-02",
        "first_name": "Erwan",
        "last_name": "Le Floch",
        "email": "erwan.lefloch@ccas-pont-guerin.example",
        "function": "Conseiller en économie sociale et familiale",
        "contract": {"type": "permanent"},
        "diploma": {"type": "CESF", "awarded_on": "2015-07-02"},
        "profiles": ["T1"],
        "status": "planned",
    },
    {
        "id": "u-03",
        "first_name": "Sabrina",
        "last_name": "Oukili",
        "email": "sabrina.oukili@ccas-pont-guerin.example",
        "function": "Éducatrice spécialisée",
        "contract": {"type": "fixed_term", "ends_on": "2026-12-31"},
        "diploma": {"type": "ES", "awarded_on": "2019-06-28"},
        "profiles": ["T1"],
        "status": "planned",
    },
    {
        "id": "u-04",
        "first_name": "Thomas",
        "last_name": "Bérard",
        "email": "thomas.berard@ccas-pont-guerin.example",
        "function": "Agent d'accueil social",
        "contract": {"type": "other"},
        "diploma": {"type": "none"},
        "profiles": ["T1"],
        "status": "planned",
    },
]


@pytest.mark.cli
@pytest.mark.parametrize("sheet", ["ccas-personnel.xlsx", "ccas-personnel.csv"])
def test_example_spreadsheet_into_a_starter(starter, sheet):
    before = starter.read_text(encoding="utf-8")
    result = run("import-users", EXAMPLES / sheet, "--into", starter)
    assert result.exit_code == 0, result.output
    assert "u-01, u-02, u-03, u-04" in result.output
    after = starter.read_text(encoding="utf-8")
    assert load_snapshot(starter).data["users"] == EXPECTED
    assert users_block_removed(after) == users_block_removed(
        before
    )  # every other line, comments included, as it was


@pytest.mark.cli
def test_reimport_changes_nothing(starter):
    run("import-users", EXAMPLES / "ccas-personnel.xlsx", "--into", starter)
    once = starter.read_bytes()
    result = run("import-users", EXAMPLES / "ccas-personnel.csv", "--into", starter)
    assert result.exit_code == 0 and "4 inchangé(s)" in result.output
    assert starter.read_bytes() == once


@pytest.mark.cli
def test_merge_keeps_existing_keys_and_the_rest_of_the_file(tmp_path):
    target = tmp_path / "ccas-2025.yaml"
    shutil.copy(FIXTURES / "ccas-2025.yaml", target)
    before_text = target.read_text(encoding="utf-8")
    before = load_snapshot(target).data
    sheet = tmp_path / "staff.csv"
    sheet.write_text(
        HEADERS
        # u-02 by e-mail (a new function), u-03 by name with other accents and case, one newcomer
        + "Carré;Bastien;BASTIEN.CARRE@saint-aubin.example;Conseiller ESF"
        " référent;T1;CESF;20/10/2008;Titulaire;\n"
        + "LEMOINE;Sylvie;;Assistante de service social;T1;ASS;07/10/2002;CDI;\n"
        + "Nguyen;Lina;lina.nguyen@saint-aubin.example;Assistante de service"
        " social;T1;DEASS;01/07/2024;CDD;30/06/2026\n",
        encoding="utf-8",
    )
    result = run("import-users", sheet, "--into", target)
    assert result.exit_code == 0, result.output
    after = load_snapshot(target).data
    assert [u["id"] for u in after["users"]] == ["u-01", "u-02", "u-03", "u-04", "u-05"]
    assert after["users"][:4] == [
        before["users"][0],
        {
            **before["users"][1],
            "function": "Conseiller ESF référent",
        },  # status, dates, e-mail kept as written
        before["users"][2],
        before["users"][3],
    ]
    assert after["users"][4] == {
        "id": "u-05",
        "first_name": "Lina",
        "last_name": "Nguyen",
        "email": "lina.nguyen@saint-aubin.example",
        "function": "Assistante de service social",
        "contract": {"type": "fixed_term", "ends_on": "2026-06-30"},
        "diploma": {"type": "ASS", "awarded_on": "2024-07-01"},
        "profiles": ["T1"],
        "status": "planned",
    }
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in before.items() if k != "users"
    }
    after_text = target.read_text(encoding="utf-8")
    assert users_block_removed(after_text) == users_block_removed(before_text)
    assert after_text.startswith(
        "# CCAS under the 2025 CDAP bulletin"
    )  # the fixture's comments survive
    assert (
        "1 mis à jour (u-02)" in result.output
        and "1 inchangé(s)" in result.output
        and "2 absent(s)" in result.output
    )


@pytest.mark.cli
def test_a_profile_history_survives_an_import(tmp_path):
    """A staff list says which profiles a person has now, not when one was withdrawn: the periods
    of an existing user are kept, the same current profiles change nothing, a new one is added."""
    import yaml

    data = yaml.safe_load(
        (ROOT / "policies" / "tests" / "base-2025.yaml").read_text(encoding="utf-8")
    )
    history = [
        {"profile": "T5", "granted_on": "2025-04-01", "ended_on": "2025-05-01"},
        {"profile": "T1", "granted_on": "2025-05-01"},
    ]
    data["users"][0]["profiles"] = history
    target = tmp_path / "s.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    sheet = tmp_path / "staff.csv"
    sheet.write_text(
        "Nom;Prénom;Courriel;Profil\nLefranc;Inès;ines.lefranc@villebrume.example;T1\n",
        encoding="utf-8",
    )
    result = run("import-users", sheet, "--into", target)
    assert result.exit_code == 0, result.output
    assert (
        load_snapshot(target).data["users"][0]["profiles"] == history
        and "1 inchangé(s)" in result.output
    )
    sheet.write_text(
        "Nom;Prénom;Courriel;Profil\nLefranc;Inès;ines.lefranc@villebrume.example;T1, T2\n",
        encoding="utf-8",
    )
    result = run("import-users", sheet, "--into", target)
    assert result.exit_code == 0, result.output
    assert load_snapshot(target).data["users"][0]["profiles"] == history + ["T2"]


@pytest.mark.cli
def test_french_header_variants_and_map(tmp_path, starter):
    sheet = tmp_path / "agents.csv"
    sheet.write_text(
        "Nom de l'agent,PRÉNOM,E-mail,Intitulé du poste,Profils CDAP,Diplôme d'État,Date"
        " d'obtention,Nature du"
        " contrat,Service\nArnoux,Camille,camille.arnoux@ccas-pont-guerin.example,Assistante"
        " sociale,\"T1, T13\",Diplôme d'État d'assistant de service"
        " social,2011-06-30,CDI,Accueil\n",
        encoding="utf-8",
    )
    before = starter.read_bytes()
    result = run("import-users", sheet, "--into", starter, "--dry-run")
    assert (
        result.exit_code == 0 and "Colonnes ignorées : Nom de l'agent" in result.output
    )  # said, and with --dry-run
    assert (
        "last_name" not in result.output.split("users:", 1)[1] and starter.read_bytes() == before
    )  # nothing written
    result = run(
        "import-users",
        sheet,
        "--into",
        starter,
        "--map",
        "Nom de l'agent=last_name",
        "--lang",
        "en",
    )
    assert result.exit_code == 0, result.output
    assert "Service" in result.output  # ignored columns are named
    (user,) = load_snapshot(starter).data["users"]
    assert user == {
        "id": "u-01",
        "first_name": "Camille",
        "last_name": "Arnoux",
        "email": "camille.arnoux@ccas-pont-guerin.example",
        "function": "Assistante sociale",
        "contract": {"type": "permanent"},
        "diploma": {"type": "ASS", "awarded_on": "2011-06-30"},
        "profiles": ["T1", "T13"],
        "status": "planned",
    }
    assert run("import-users", sheet, "--into", starter, "--map", "Nom=surname").exit_code == 2


@pytest.mark.cli
def test_bad_rows_are_reported_with_their_row_numbers(tmp_path, starter):
    before = starter.read_bytes()
    sheet = tmp_path / "personnel.csv"
    sheet.write_text(
        HEADERS
        # row 2: fine
        + "Arnoux;Camille;camille.arnoux@ccas-pont-guerin.example;ASS;T1;DEASS;30/06/2011;"
        "Titulaire;\n"
        # row 3: no such day
        + "Le Floch;Erwan;erwan.lefloch@ccas-pont-guerin.example;CESF;T1;DECESF;31/02/2015;CDI;\n"
        + "\n"  # row 4: empty, skipped
        + "Oukili;Sabrina;sabrina.oukili@;ES;T1;Licence;;CDD;\n"  # row 5: e-mail, diploma
        + ";;;;T1;;;;\n"  # row 6: nobody
        # row 7: profile, contract
        + "Bérard;Thomas;thomas.berard@ccas-pont-guerin.example;Accueil;T99;;;Bénévole;\n"
        + "ARNOUX;Camille;;ASS;T1;;;;\n"  # row 8: same person as row 2
        # row 9: a terminal escape
        + "Vidal\x1b[31m;Inès;ines.vidal@ccas-pont-guerin.example;ASS;T1;;;;\n",
        encoding="utf-8",
    )
    result = run("import-users", sheet, "--into", starter)
    assert result.exit_code == 2
    for row, column in (
        (3, "Date du diplôme"),
        (5, "Courriel"),
        (5, "Diplôme"),
        (6, "Nom"),
        (7, "Profil"),
        (7, "Type de contrat"),
        (8, "Nom"),
        (9, "Nom"),
    ):
        assert f"{sheet}:{row}: [{column}]" in result.output, (row, column, result.output)
    assert f"{sheet}:2:" not in result.output and f"{sheet}:4:" not in result.output
    assert starter.read_bytes() == before  # nothing written


@pytest.mark.cli
def test_xlsx_dates_sheets_and_default_profile(tmp_path, starter):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Agents")
    sheet.append([])  # a blank first row: the header is found below it
    sheet.append(["Nom", "Prénom", "Mél", "Diplôme", "Date du diplôme", "Fin de contrat"])
    sheet.append(
        [
            "Arnoux",
            "Camille",
            "camille.arnoux@ccas-pont-guerin.example",
            "CESF",
            datetime.datetime(2011, 6, 30),
            "31/12/2026",
        ]
    )
    path = tmp_path / "agents.xlsx"
    book.save(path)
    result = run("import-users", path, "--into", starter, "--sheet", "Agents")
    assert (
        result.exit_code == 2 and f"{path}:3: [Nom]" not in result.output and "T1" in result.output
    )  # no profile, no default
    result = run("import-users", path, "--into", starter, "--sheet", "Agents", "--profile", "T1")
    assert result.exit_code == 0, result.output
    (user,) = load_snapshot(starter).data["users"]
    assert user["diploma"] == {"type": "CESF", "awarded_on": "2011-06-30"} and user["contract"] == {
        "ends_on": "2026-12-31"
    }
    assert user["profiles"] == ["T1"]
    assert run("import-users", path, "--into", starter, "--sheet", "Nope").exit_code == 2


@pytest.mark.cli
def test_windows_csv_and_json_snapshot(tmp_path):
    target = tmp_path / "snapshot.json"
    data = load_snapshot(FIXTURES / "ccas-2025.yaml").data
    target.write_text(
        json.dumps({**data, "users": data["users"][:1]}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    sheet = tmp_path / "export.csv"
    sheet.write_bytes(
        (HEADERS + "Nguyen;Lina;;Assistante de service social;T1;ASS;01/07/2024;;\n").encode(
            "cp1252"
        )
    )
    result = run("import-users", sheet, "--into", target)
    assert result.exit_code == 0, result.output
    users = load_snapshot(target).data["users"]
    assert [u["id"] for u in users] == ["u-01", "u-02"] and users[1][
        "function"
    ] == "Assistante de service social"


@pytest.mark.cli
def test_unreadable_inputs_exit_2(tmp_path, starter):
    assert (
        "cdap-policy init"
        in run(
            "import-users", EXAMPLES / "ccas-personnel.csv", "--into", tmp_path / "none.yaml"
        ).output
    )
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not a workbook")
    result = run("import-users", old, "--into", starter)
    assert result.exit_code == 2 and ".xlsx" in result.output
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    assert run("import-users", fake, "--into", starter).exit_code == 2
    damaged = tmp_path / "damaged.xlsx"  # a valid zip whose sheet XML is cut in the middle
    with (
        zipfile.ZipFile(EXAMPLES / "ccas-personnel.xlsx") as source,
        zipfile.ZipFile(damaged, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(
                item, data[: len(data) // 2] if item.filename.startswith("xl/worksheets/") else data
            )
    result = run("import-users", damaged, "--into", starter)
    assert result.exit_code == 2 and "XLSX" in result.output
    assert run("import-users", tmp_path / "missing.csv", "--into", starter).exit_code == 2
    assert (
        run(
            "import-users", EXAMPLES / "ccas-personnel.csv", "--into", starter, "--status", "hired"
        ).exit_code
        == 2
    )


def test_public_service_contracts_are_understood():
    """« Contractuelle » (a fixed-term public agent when the contract ends) and « Vacataire »."""
    from cdap_policy.authoring.importers.sheets import Sheet
    from cdap_policy.authoring.importers.users import read_users
    from cdap_policy.load.schemainfo import enum, field_ok

    sheet = Sheet(
        "p.csv",
        ["Nom", "Prénom", "Profil", "Type de contrat", "Fin de contrat"],
        1,
        [
            (2, ["Arnoux", "Camille", "T1", "Contractuelle", "31/12/2026"]),
            (3, ["Oukili", "Sabrina", "T1", "Vacataire", ""]),
            (4, ["Le Floch", "Erwan", "T1", "Agent contractuel", ""]),
        ],
    )
    enums = {
        "diploma": enum("/$defs/diploma"),
        "contract": enum("/$defs/user/properties/contract/properties/type"),
    }
    result = read_users(
        sheet,
        {},
        enums,
        {"T1": {"label": {"fr": "Action sociale", "en": "Social action"}}},
        (),
        field_ok,
    )
    assert not result.problems, [p.render("fr") for p in result.problems]
    contracts = [u["contract"] for _, u in result.users]
    assert contracts == [
        {"type": "fixed_term", "ends_on": "2026-12-31"},
        {"type": "other"},
        {"type": "other"},
    ]


def test_an_alias_of_another_users_anchor_is_written_out_and_nothing_else_moves():
    """The updated user's alias of an anchor another user defines is expanded in its own lines
    only; the anchor, the other users, a comment between them and the other sections (one with an
    anchor of its own) keep their bytes."""
    from cdap_policy.authoring.importers.merge import merge_text

    text = (
        "contacts:\n  support_l1: &support {first_name: Malik, last_name: Haddad, email:"
        " m.haddad@x.example}\nusers:\n  - id: u-1\n    first_name: Inès\n    last_name: Lefranc\n "
        "   profiles: [T1]\n    status: active\n  # the deputy\n  - id: u-2\n    first_name: Théo\n"
        "    last_name: Morvan\n    profiles: [T1]\n    status: active\n    contract: &contract"
        " {type: permanent}\n  - id: u-3\n    first_name: Zoé\n    last_name: Keller\n    profiles:"
        " [T1]\n    status: active\n    contract: *contract\nreviews: {}\n"
    )
    existing = [
        {"id": "u-1", "first_name": "Inès", "last_name": "Lefranc"},
        {"id": "u-2", "first_name": "Théo", "last_name": "Morvan"},
        {
            "id": "u-3",
            "first_name": "Zoé",
            "last_name": "Keller",
            "contract": {"type": "permanent"},
        },
    ]
    result = merge_text(
        text,
        existing,
        [
            (
                2,
                {
                    "first_name": "Zoé",
                    "last_name": "Keller",
                    "contract": {"type": "fixed_term", "ends_on": "2026-12-31"},
                },
            )
        ],
        "planned",
        "s.csv",
    )
    assert result.problems == [] and result.updated == ["u-3"]
    before, after = text.splitlines(keepends=True), result.text.splitlines(keepends=True)
    assert after[:15] == before[:15] and after[-1] == before[-1], (
        result.text
    )  # u-1, the comment, u-2 and its anchor
    assert (
        '    contract: {type: fixed_term, ends_on: "2026-12-31"}\n' in after
        and "*contract" not in result.text
    )


def test_a_chart_sheet_or_a_chart_without_its_drawing_is_one_clear_line(tmp_path):
    """A workbook whose named (or active) sheet is a chart has no cells: said as such, not an
    internal error; a chart sheet whose drawing is missing is an unreadable workbook."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    from cdap_policy.authoring.importers.sheets import read_sheet
    from cdap_policy.support.errors import InputError

    book = openpyxl.Workbook()
    book.active.append(["Nom", "Prénom"])
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=1, min_row=1, max_row=1))
    book.create_chartsheet("Graphique").add_chart(chart)
    path = tmp_path / "agents.xlsx"
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_sheet(path, "Graphique")
    assert (
        caught.value.problems[0].render("fr")
        == f"{path}: la feuille 'Graphique' est un graphique, sans cellules"
    )
    book.active = 1
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_sheet(path)
    assert (
        caught.value.problems[0].render("en")
        == f"{path}: sheet 'Graphique' is a chart, with no cells"
    )

    bare = openpyxl.Workbook()
    bare.create_chartsheet("Vide")  # no chart: the workbook has no drawing for it
    bare.save(tmp_path / "bare.xlsx")
    with pytest.raises(InputError) as caught:
        read_sheet(tmp_path / "bare.xlsx")
    assert "unreadable XLSX workbook" in caught.value.problems[0].render("en")

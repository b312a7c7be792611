"""benchmarks/generate.py: synthetic partners that load with the live schema, cover every kind and
profile, are compliant unless a defect was put in on purpose, and are the same bytes for the
same seed."""

import csv
import hashlib
import json
import random
import sys

import pytest
from helpers import ROOT, pack

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

AS_OF = generate.AS_OF


def digest_tree(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def evaluate_file(path):
    from cdap_policy.evaluate.runner import evaluate
    from cdap_policy.load.snapshot import load_snapshot

    return evaluate(pack(), load_snapshot(path), AS_OF)


def failing(report) -> set:
    return {f.rule_id for f in report.findings if f.status in ("fail", "error")}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One partner of every kind (and a few more), a third of them with defects, small enough to
    check quickly.
    """
    out = tmp_path_factory.mktemp("generated")
    count = len(generate.kinds()) + 6
    manifest = generate.generate(
        out, count, seed=5, violations=0.33, broken_count=4, max_users=25, validate=False
    )
    return out, manifest


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_partners(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 3), (second, 3), (other, 4)):
        generate.generate(
            folder,
            12,
            seed=seed,
            violations=0.5,
            broken_count=2,
            max_users=15,
            log_rows_count=300,
            log_violations=0.02,
            validate=False,
        )
    assert digest_tree(first) == digest_tree(second)
    assert digest_tree(first) != digest_tree(other)


def test_every_snapshot_loads_with_the_live_schema_and_every_broken_file_does_not(batch):
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.support.errors import InputError

    out, manifest = batch
    folder = out / manifest["snapshots"]
    for entry in manifest["partners"]:
        snapshot = load_snapshot(folder / entry["file"])
        assert (
            snapshot.data["partner"]["kind"] == entry["kind"]
            and len(snapshot.data["users"]) == entry["users"]
        )
    assert {b["why"] for b in manifest["broken"]} == {"yaml", "schema", "duplicate-key", "siret"}
    for entry in manifest["broken"]:
        with pytest.raises(InputError):
            load_snapshot(folder / entry["file"])


def test_every_organisation_kind_and_every_profile_of_the_catalogue_is_there(batch):
    _, manifest = batch
    assert set(manifest["kinds"]) == set(generate.kinds())
    catalogue = {code for profiles in generate.catalogue().values() for code in profiles}
    assert set(manifest["profiles"]) == catalogue


@pytest.mark.slow
def test_partners_are_compliant_except_for_the_defects_they_were_given(batch):
    out, manifest = batch
    folder = out / manifest["snapshots"]
    defective = [e for e in manifest["partners"] if e["defects"]]
    clean = [e for e in manifest["partners"] if not e["defects"]]
    assert defective and clean
    for entry in clean:
        assert failing(evaluate_file(folder / entry["file"])) == set(), entry
    for entry in defective:
        expected = {d["rule"] for d in entry["defects"]}
        assert expected <= failing(evaluate_file(folder / entry["file"])), entry


@pytest.mark.parametrize("share, low, high", [(0.0, 0, 0), (1.0, 40, 40), (0.25, 4, 18)])
def test_the_share_of_partners_with_defects_is_the_one_asked_for(tmp_path, share, low, high):
    manifest = generate.generate(
        tmp_path, 40, seed=2, violations=share, max_users=3, validate=False
    )
    assert low <= sum(1 for e in manifest["partners"] if e["defects"]) <= high


def test_sizes_go_from_a_few_users_for_a_ccas_to_thousands_for_a_department():
    ccas = [len(generate.partner(1, i, "ccas")["users"]) for i in range(30)]
    departments = [len(generate.partner(1, i, "department")["users"]) for i in range(12)]
    assert max(ccas) <= 12 and min(departments) >= 60 and max(departments) >= 1000
    assert len(generate.partner(1, 0, "department", users=2500)["users"]) == 2500


def test_a_log_has_the_rows_asked_for_and_its_defects_are_found(tmp_path):
    data = generate.partner(9, 1, "department", users=120, edition=2017)
    name, defects = generate.write_log(data, tmp_path, "dep", 5000, seed=9, violations=0.01)
    with open(tmp_path / name, newline="", encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 5000
    (tmp_path / "dep.yaml").write_text(generate.dump(data), encoding="utf-8")
    scope = {r for r in failing(evaluate_file(tmp_path / "dep.yaml")) if r.startswith("scope-")}
    assert defects and set(defects) == scope

    clean = generate.partner(9, 1, "department", users=120, edition=2017)
    generate.write_log(clean, tmp_path, "clean", 5000, seed=9, fmt="jsonl", gz=True)
    (tmp_path / "clean.yaml").write_text(generate.dump(clean), encoding="utf-8")
    assert failing(evaluate_file(tmp_path / "clean.yaml")) == set()


def test_a_log_too_long_for_the_partner_is_refused_rather_than_made_suspicious(tmp_path):
    data = generate.partner(1, 0, "ccas", users=2)
    with pytest.raises(ValueError, match="too many"):
        list(generate.log_rows(data, 10_000_000, seed=1))


def test_defects_never_hide_each_other():
    for index in range(40):
        data = generate.partner(
            7, index, generate.kinds()[index % len(generate.kinds())], max_users=4
        )
        defects = generate.add_defects(data, random.Random(index), len(generate.DEFECTS))
        assert (
            len({d["rule"] for d in defects}) == len(defects) >= len(generate.DEFECTS) - 1
        )  # the DPO: not of every body
        ids = [u["id"] for u in data["users"]]
        assert len(ids) == len(set(ids))


def test_the_command_line_writes_a_checkable_folder_and_a_manifest_beside_it(tmp_path):
    generate.main(["--count", "3", "--out", str(tmp_path), "--max-users", "5", "--broken", "1"])
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in (tmp_path / manifest["snapshots"]).iterdir())
    assert files == sorted(
        [e["file"] for e in manifest["partners"]] + [b["file"] for b in manifest["broken"]]
    )

"""The compiled pack cached on disk (cdap_policy/engines/cache.py): in the user's cache folder,
private, keyed by everything the cached work depends on, written atomically, never trusted when
damaged or not ours, and a run with it gives the same report as a run without it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, POLICIES, ROOT

AS_OF = "2025-06-30"
SNAPSHOT = FIXTURES / "ccas-2025.yaml"
KEPT = ("pack.yaml", "requirements.yaml", "quota.yaml", "ret.yaml")
SMALL = Path()  # set by the `small_pack` fixture


@pytest.fixture(scope="module", autouse=True)
def small_pack(tmp_path_factory):
    """The cache's mechanics tested on a pack of two rule files (quota, ret; 18 rules): each test
    compiles it cold several times. Whether a cached pack evaluates as a fresh one is tested on the
    shipped pack."""
    import shutil

    global SMALL
    SMALL = tmp_path_factory.mktemp("small") / "pack"
    SMALL.mkdir()
    for name in KEPT:
        shutil.copy(POLICIES / name, SMALL / name)
    shutil.copytree(POLICIES / "params", SMALL / "params")
    return SMALL


def run(cache_home: Path, *args, cache="on", engine="compiled"):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "CDAP_POLICY_CACHE": cache}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(SNAPSHOT),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--include-passed",
            "--engine",
            engine,
            "--policies",
            str(SMALL),
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""  # the cache never speaks
    report = json.loads(proc.stdout)
    report.pop("duration_s", None)
    return report


def files(cache_home: Path) -> list[Path]:
    folder = cache_home / "cdap-policy"
    return sorted(folder.glob("*.pack")) if folder.is_dir() else []


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CDAP_POLICY_CACHE", raising=False)
    return tmp_path / "cache"


def load(directory=None, **kwargs):
    from cdap_policy.load.pack import load_pack

    return load_pack(directory or SMALL, **kwargs)


def status(pack) -> str:
    from cdap_policy.engines import cache_status

    return cache_status(pack.engine)


@pytest.mark.slow
@pytest.mark.cli
def test_a_run_fills_the_cache_and_the_next_reads_it_with_the_same_report(tmp_path):
    home = tmp_path / "cache"
    uncached = run(home, cache="off")
    assert files(home) == []
    first = run(home)
    written = files(home)
    assert len(written) == 1
    if os.name == "posix":  # private: the file holds code the checker runs
        assert (
            written[0].parent.stat().st_mode & 0o777 == 0o700
            and written[0].stat().st_mode & 0o077 == 0
        )
    stamp = written[0].stat().st_mtime_ns
    second = run(home)
    assert files(home) == written and written[0].stat().st_mtime_ns == stamp  # read, not rewritten
    assert uncached == first == second


@pytest.mark.slow
def test_the_cache_status_says_what_happened(home):
    assert status(load()) == "written"
    assert status(load()) == "hit"
    os.environ["CDAP_POLICY_CACHE"] = "off"
    try:
        assert status(load()) == "off"
    finally:
        del os.environ["CDAP_POLICY_CACHE"]


@pytest.mark.slow
def test_a_cached_pack_evaluates_as_a_freshly_compiled_one(home):
    from cdap_policy.evaluate.runner import evaluate
    from cdap_policy.load.snapshot import load_snapshot

    snapshot = load_snapshot(FIXTURES / "departement-2017.yaml")
    fresh = load(POLICIES)
    cached = load(POLICIES)
    assert status(cached) == "hit"
    a, b = (
        evaluate(pack, snapshot, AS_OF, include_passed=True).to_dict() for pack in (fresh, cached)
    )
    a.pop("duration_s", None), b.pop("duration_s", None)
    assert a == b and a["summary"]["by_status"]["fail"] > 0


@pytest.mark.slow
@pytest.mark.cli
def test_a_cache_hit_needs_no_parser(home):
    """The point of the cache: neither cel-python's parser (Lark grammar) nor its transpiler run."""
    load()  # fills the cache in this process
    code = (
        "import celpy.celparser, celpy.evaluation\nfrom cdap_policy.load.pack import"
        " load_pack\nfrom cdap_policy.engines import analysis, cache_status\nfrom"
        " cdap_policy.evaluate.runner import evaluate\nfrom cdap_policy.load.snapshot import"
        f" load_snapshot\npack = load_pack({str(SMALL)!r})\nevaluate(pack,"
        f" load_snapshot({str(FIXTURES / 'departement-2017.yaml')!r}),"
        f" {AS_OF!r})\nprint(cache_status(pack.engine), analysis._ENVIRONMENT is None,"
        " celpy.celparser.CELParser.CEL_PARSER is None)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["hit", "True", "True"]


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty", "directory"])
def test_a_damaged_cache_is_rebuilt_not_fatal(home, damage):
    reference = run(home)
    [path] = files(home)
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "flip":
        path.write_bytes(blob[:-100] + bytes([blob[-100] ^ 0xFF]) + blob[-99:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
        path.mkdir()
    assert run(home) == reference
    if damage != "directory":
        assert status(load()) == "hit"  # rewritten whole by the run that found it damaged


@pytest.mark.slow
def test_a_file_someone_else_may_write_is_not_read(home):
    if os.name != "posix":
        pytest.skip("permission bits are POSIX")
    load()
    [path] = files(home)
    path.chmod(0o666)
    assert status(load()) != "hit"
    path.parent.chmod(0o777)
    assert status(load()) == "unwritable"  # and not read either
    path.parent.chmod(0o700)


@pytest.mark.slow
@pytest.mark.cli
def test_an_unusable_cache_folder_costs_only_speed(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    assert run(blocker) == run(tmp_path / "elsewhere", cache="off")
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.mark.slow
def test_the_key_changes_with_what_the_cached_work_depends_on(home, tmp_path, monkeypatch):
    import shutil

    import cdap_policy
    from cdap_policy.engines import cache

    def name(**kwargs):
        pack = load(**kwargs)
        return pack.engine.cache.path.name

    base = name()
    assert name() == base
    assert name(runner="interpreted") != base
    override = tmp_path / "params.yaml"
    override.write_text("inactive_days: 120\n", encoding="utf-8")
    assert name(params_file=override) != base
    copy = tmp_path / "pack"
    shutil.copytree(SMALL, copy)
    assert (
        load(copy).engine.cache.path.name == base
    )  # the same files, wherever they are: the same key
    rule_file = next(
        p
        for p in sorted(copy.glob("*.yaml"))
        if p.name not in ("pack.yaml", "requirements.yaml", "checklist.yaml")
        and not p.name.endswith(".tests.yaml")
    )
    rule_file.write_text(rule_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load(copy).engine.cache.path.name != base
    monkeypatch.setattr(cdap_policy, "__version__", cdap_policy.__version__ + ".dev-other")
    assert name() != base
    monkeypatch.undo()
    versions = cache._versions()
    monkeypatch.setattr(cache, "_versions", lambda: {**versions, "cel-python": "0.0.0-other"})
    assert name() != base


@pytest.mark.slow
def test_old_cache_files_are_pruned_and_no_temporary_file_is_left(home):
    from cdap_policy.engines import cache

    folder = home / "cdap-policy"
    folder.mkdir(parents=True, mode=0o700)
    for index in range(cache.KEEP + 5):
        old = folder / f"{index:032x}.pack"
        old.write_bytes(b"old")
        os.utime(old, (1_000_000 + index, 1_000_000 + index))
    stale = folder / ".tmp-killed.pack"
    stale.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))
    load()
    kept = sorted(p.name for p in folder.glob("*.pack"))
    assert len(kept) == cache.KEEP
    assert f"{cache.KEEP + 4:032x}.pack" in kept and f"{0:032x}.pack" not in kept  # the newest stay
    assert not list(folder.glob(".tmp-*"))


@pytest.mark.slow
@pytest.mark.cli
def test_the_cache_holds_no_snapshot_data(home):
    """It depends on the pack only: nothing of the partner checked ends up in the user's cache."""
    run(home)
    [path] = files(home)
    blob = path.read_bytes()
    for word in ("Guérin", "Maëlle", "Bastien"):
        assert word.encode() not in blob


# -- the loaded pack
# ----------------------------------------------------------------------------------


def loaded_files(cache_home: Path) -> list[Path]:
    folder = cache_home / "cdap-policy"
    return sorted(folder.glob("*.loaded")) if folder.is_dir() else []


def as_data(pack) -> dict:
    """Everything a loaded pack holds but its compiled programs."""
    return {
        "name": pack.name,
        "version": pack.version,
        "requirements": pack.requirements,
        "documents": pack.documents,
        "params": pack.param_values,
        "parameters": {k: vars(v) for k, v in pack.parameters.items()},
        "checklist": pack.checklist,
        "files": [str(f) for f in pack.files],
        "source_editions": pack.source_editions,
        "rules": [
            (
                r.info,
                r.source,
                r.file,
                r.line,
                [p.source for p in (r.when, r.check) if p],
                {k: p.source for k, p in r.evidence.items()},
            )
            for r in pack.rules
        ],
    }


@pytest.mark.slow
def test_the_loaded_pack_is_cached_and_a_cached_pack_is_the_pack_read_from_its_files(
    home, tmp_path
):
    import shutil

    copy = tmp_path / "pack"
    shutil.copytree(SMALL, copy)
    fresh = load(copy)
    [stored] = loaded_files(home)
    cached = load(copy)
    assert as_data(cached) == as_data(fresh)
    moved = tmp_path / "elsewhere"
    shutil.move(str(copy), moved)
    again = load(moved)  # the same files elsewhere: the same cache, the pack's own paths
    assert loaded_files(home) == [stored] and all(
        str(f).startswith(str(moved)) for f in again.files
    )
    assert as_data(again)["rules"][0][0]["id"] == as_data(fresh)["rules"][0][0]["id"]


@pytest.mark.slow
def test_a_changed_pack_file_is_read_again(home, tmp_path):
    import shutil

    copy = tmp_path / "pack"
    shutil.copytree(SMALL, copy)
    load(copy)
    rule_file = copy / "quota.yaml"
    text = rule_file.read_text(encoding="utf-8")
    first_title = load(copy).rule("quota-profile-max").title["en"]
    rule_file.write_text(text.replace(first_title, first_title + " (edited)", 1), encoding="utf-8")
    assert load(copy).rule("quota-profile-max").title["en"] == first_title + " (edited)"
    assert len(loaded_files(home)) == 2


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_a_damaged_loaded_pack_is_read_again_not_trusted(home, damage):
    reference = as_data(load())
    [path] = loaded_files(home)
    blob = path.read_bytes()
    path.write_bytes(
        blob[: len(blob) // 2]
        if damage == "truncate"
        else (
            os.urandom(2048)
            if damage == "garbage"
            else blob[:-50] + bytes([blob[-50] ^ 0xFF]) + blob[-49:]
        )
    )
    assert as_data(load()) == reference


@pytest.mark.slow
def test_a_broken_pack_is_never_cached(home, tmp_path):
    import shutil

    from cdap_policy.support.errors import PolicyError

    copy = tmp_path / "pack"
    shutil.copytree(SMALL, copy)
    rule_file = copy / "quota.yaml"
    rule_file.write_text(
        rule_file.read_text(encoding="utf-8").replace(
            "entity.active_users <= entity.quota", "entity.active_users <= ", 1
        ),
        encoding="utf-8",
    )
    for _ in range(2):
        with pytest.raises(PolicyError):
            load(copy)
    assert loaded_files(home) == []


@pytest.mark.slow
def test_rules_lists_a_cached_pack_without_an_engine(home):
    load()
    pack = load(runner=None)
    assert pack.engine is None and pack.rules and all(r.check is None for r in pack.rules)

"""Safe by construction: no file is read or destroyed that should not be, every bad input gets one
clear line, nothing passes silently, runs are bounded and deterministic (issue « Safe by
construction »). Each test names the defect it guards against."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import FIXTURES, POLICIES, ROOT, base, through_a_terminal, write

AS_OF = ["--as-of", "2025-06-30"]


def run(*args, cwd=ROOT, env=None, timeout=180):
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
    assert "internal error" not in proc.stderr and "erreur interne" not in proc.stderr, proc.stderr[
        -2000:
    ]
    return proc


def problems(proc) -> list[str]:
    return [line.strip() for line in proc.stderr.splitlines() if line.startswith("  ")]


def with_log(tmp_path, ref, name="snap.yaml", folder="snap"):
    data = base()
    data["consultations"] = {"file": ref}
    target = tmp_path / folder
    target.mkdir(exist_ok=True)
    return write(target, data, name)


# -- 1. the limits of the loader do not depend on the installed YAML library
# ---------------------------


@pytest.mark.parametrize("depth", [65, 1500, 100_000])
def test_nesting_limit_is_ours_whatever_the_library(depth):
    from cdap_policy.load.yamlsource import loads
    from cdap_policy.support.errors import InputError

    with pytest.raises(InputError) as exc:
        loads("a: " + "[" * depth + "]" * depth + "\n", "deep.yaml")
    assert exc.value.problems[0].text("en") == "nesting too deep (more than 64 levels)"
    assert exc.value.problems[0].text("fr") == "imbrication trop profonde (plus de 64 niveaux)"


def test_nesting_of_64_levels_is_read():
    from cdap_policy.load.yamlsource import loads

    doc = loads("a: " + "[" * 63 + "1" + "]" * 63 + "\n", "ok.yaml")
    assert doc.data["a"]


# -- 2. a consultation log stays inside the snapshot's folder
# ------------------------------------------


@pytest.mark.cli
@pytest.mark.parametrize("ref", ["/etc/passwd", "/proc/self/environ", "../other/log.csv"])
def test_log_outside_the_snapshot_folder_is_refused(tmp_path, ref):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "log.csv").write_text(
        "at,user,profile\n2025-06-01T10:00:00,SECRET-ROW,T1\n", encoding="utf-8"
    )
    snapshot = with_log(tmp_path, ref)
    proc = run("check", snapshot, *AS_OF, "--format", "json", "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = problems(proc)
    assert (
        line.startswith(f"{snapshot}:")
        and "[/consultations/file]" in line
        and "outside the snapshot's folder" in line
    )
    assert (
        "root:" not in proc.stderr
        and "SECRET-ROW" not in proc.stderr
        and "PATH=" not in proc.stderr
    )


@pytest.mark.cli
def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "log.csv").write_text(
        "at,user,profile\n2025-06-01T10:00:00,SECRET-ROW,T1\n", encoding="utf-8"
    )
    snapshot = with_log(tmp_path, "link.csv")
    (snapshot.parent / "link.csv").symlink_to(tmp_path / "other" / "log.csv")
    proc = run("check", snapshot, *AS_OF, "--format", "json")
    assert (
        proc.returncode == 2 and proc.stdout == "" and "SECRET-ROW" not in proc.stderr + proc.stdout
    )


@pytest.mark.cli
def test_log_root_allows_another_folder_explicitly(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "log.csv").write_text(
        "at,user,profile\n2025-06-01T10:00:00,u-1,T1\n", encoding="utf-8"
    )
    snapshot = with_log(tmp_path, "../other/log.csv")
    proc = run("check", snapshot, *AS_OF, "--format", "json", "--log-root", tmp_path / "other")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["by_status"]["error"] == 0


@pytest.mark.cli
def test_a_file_that_is_not_a_log_is_not_quoted_back(tmp_path):
    snapshot = with_log(tmp_path, "notes.txt")
    (snapshot.parent / "notes.txt").write_text(
        "Mot de passe du compte partagé: hunter2-SECRET\nautre ligne\n", encoding="utf-8"
    )
    proc = run("check", snapshot, *AS_OF, "--lang", "en")
    assert proc.returncode == 2
    assert "hunter2" not in proc.stderr and "Mot de passe" not in proc.stderr
    assert "not a consultation log" in problems(proc)[0]


@pytest.mark.cli
def test_error_lines_quote_only_a_short_escaped_excerpt(tmp_path):
    snapshot = with_log(tmp_path, "log.csv")
    value = "x" * 1_000_000
    (snapshot.parent / "log.csv").write_text(
        f"at,user,profile\n2025-06-01T10:00:00,u-1,{value}\n", encoding="utf-8"
    )
    proc = run("check", snapshot, *AS_OF, "--lang", "en")
    assert proc.returncode == 2 and len(proc.stderr) < 1000, len(proc.stderr)


@pytest.mark.cli
def test_a_header_without_the_required_columns_is_refused_even_without_rows(tmp_path):
    snapshot = with_log(tmp_path, "log.csv")
    (snapshot.parent / "log.csv").write_text("at,user\n", encoding="utf-8")
    proc = run("check", snapshot, *AS_OF, "--lang", "en")
    assert (
        proc.returncode == 2 and "header lacks the required column(s) profile" in problems(proc)[0]
    )
    (snapshot.parent / "log.csv").write_text("", encoding="utf-8")
    assert run("check", snapshot, *AS_OF).returncode == 2


@pytest.mark.cli
def test_a_small_gzip_of_newlines_stops_fast(tmp_path):
    snapshot = with_log(tmp_path, "log.csv.gz")
    chunk = b"\n" * (1 << 20)
    with gzip.open(snapshot.parent / "log.csv.gz", "wb", compresslevel=9) as handle:
        handle.write(b"at,user,profile\n")
        for _ in range(256):  # 256 MiB of blank lines in a file of a few hundred KB
            handle.write(chunk)
    assert (snapshot.parent / "log.csv.gz").stat().st_size < 2_000_000
    started = time.monotonic()
    proc = run("check", snapshot, *AS_OF, "--lang", "en")
    assert proc.returncode == 2 and "blank lines in a row" in problems(proc)[0]
    assert time.monotonic() - started < 20


def test_log_line_count_and_decompressed_size_are_bounded(monkeypatch, tmp_path):
    from cdap_policy import logs
    from cdap_policy.logs import rows as consultations
    from cdap_policy.support.errors import InputError

    path = tmp_path / "log.csv"
    path.write_text("at,user,profile\n" + "2025-06-01T10:00:00,u-1,T1\n" * 50, encoding="utf-8")
    monkeypatch.setattr(consultations, "MAX_LINES", 20)
    with pytest.raises(InputError) as exc:
        list(logs.read_log(path, "log.csv"))
    assert exc.value.problems[0].line == 21 and "log too long" in exc.value.problems[0].text("en")


# -- 3. --redact leaves no personal value in any output
# ------------------------------------------------

PERSON = {"first_name": "Inès ", "last_name": "Lefranc-Quéré"}


def personal_snapshot() -> dict:
    data = base()
    user = data["users"][0]
    user.update(PERSON)
    user["email"] = "ines.lefranc-quere@villebrume.example"
    user["login"] = "ilefranc44"
    user["profiles"] = ["T1", "T4"]
    user["profiles_justification"] = "Remplace Gwénola Tanguy pendant son congé"
    user["status"] = "active"
    data["users"][1]["account_type"] = "shared"  # a finding naming the second user
    data["users"][1]["email"] = "theo.morvan@villebrume.example"
    admins = data["contacts"]["administrators"]
    admins[0]["replaces"] = "Yvonnick Le Bihan"
    admins[0]["phone_mobile"] = "06-12-34-56-78"
    admins[1]["email"] = "accueil@villebrume.example"  # generic mailbox: a finding quoting it
    data["convention"]["quotas"]["T4"] = ""
    return data


def personal_values(data) -> set[str]:
    from cdap_policy.report.redact import personal_fields

    fields = personal_fields()
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in fields and isinstance(value, str) and value.strip():
                    found.add(value.strip())
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def test_personal_fields_are_listed_in_the_schema():
    from cdap_policy.report.redact import personal_fields

    assert {
        "first_name",
        "last_name",
        "email",
        "phone_landline",
        "phone_mobile",
        "login",
        "replaces",
        "profiles_justification",
    } <= personal_fields()


@pytest.mark.slow
@pytest.mark.cli
def test_no_personal_value_appears_in_any_format(tmp_path):
    from cdap_policy.formatters import REPORT_FORMATS

    data = personal_snapshot()
    path = write(tmp_path, data)
    secrets = personal_values(data) | {"Inès Lefranc-Quéré", "Inès", "Gwénola Tanguy"}
    for fmt in REPORT_FORMATS:
        proc = run(
            "check",
            path,
            *AS_OF,
            "--redact",
            "--format",
            fmt,
            "--include-passed",
            env={"COLUMNS": "200"},
        )
        assert proc.returncode == 1, (fmt, proc.stderr[-500:])
        leaked = sorted(s for s in secrets if s in proc.stdout)
        assert leaked == [], (fmt, leaked)
        unredacted = run(
            "check", path, *AS_OF, "--format", fmt, "--include-passed", env={"COLUMNS": "200"}
        )
        assert any(s in unredacted.stdout for s in secrets), fmt  # the test would see a leak


def test_redaction_works_on_the_normalised_name(tmp_path):
    from cdap_policy.report.redact import Redactor

    redactor = Redactor(personal_snapshot())
    for text in (
        "Inès Lefranc-Quéré",
        "Inès  Lefranc-Quéré",
        "LEFRANC-QUÉRÉ Inès",
        "inès lefranc-quéré",
    ):
        assert "Inès" not in redactor.text(text) and "Personne-" in redactor.text(text), text
    assert redactor.text("un petit nombre") == "un petit nombre"


@pytest.mark.cli
def test_error_lines_are_redacted_too(tmp_path):
    data = personal_snapshot()
    data["users"][0]["email"] = "ines.lefranc@villebrume"  # no top-level domain: refused and quoted
    data["contacts"]["administrators"][0]["phone_landline"] = (
        240000001  # a number: refused and quoted
    )
    path = write(tmp_path, data)
    proc = run("check", path, *AS_OF, "--redact", "--lang", "en")
    assert proc.returncode == 2 and len(problems(proc)) == 2
    assert "ines.lefranc@villebrume" not in proc.stderr and "240000001" not in proc.stderr
    assert "/users/0/email" in proc.stderr and "expected an e-mail address" in proc.stderr


def test_error_lines_redact_addresses_and_phones_by_shape():
    from cdap_policy.report.redact import Redactor

    line = Redactor(None).text(
        "contact: jean@intranet, 06-12-34-56-78, le 2025-06-30, SIRET 26440999600016"
    )
    assert "jean@intranet" not in line and "06-12-34-56-78" not in line
    assert "2025-06-30" in line and "26440999600016" in line


# -- 4. nothing passes silently
# ------------------------------------------------------------------------


@pytest.mark.cli
def test_a_pack_without_rules_is_refused(tmp_path):
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(POLICIES, pack)
    for rules in pack.glob("*.yaml"):
        if rules.name not in ("pack.yaml", "requirements.yaml") and not rules.name.endswith(
            ".tests.yaml"
        ):
            rules.unlink()
    proc = run("check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--policies", pack, "--lang", "en")
    assert proc.returncode == 2 and "the pack has no rules" in proc.stderr and proc.stdout == ""


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize(
    "text,field,message",
    [
        (
            "bulletin_2025_edition_from: 2025/01/01\n",
            "/bulletin_2025_edition_from",
            "expected an ISO 8601 date",
        ),
        ("max_administrators: -1\n", "/max_administrators", "expected an integer ≥ 1"),
        ("home_country: XX\n", "/home_country", "ISO 3166-1 alpha-2"),
        ("countries: {eu: [FR, XX]}\n", "/countries/eu/1", "ISO 3166-1 alpha-2"),
        ("browser_supported_releases: 3\n", "/browser_supported_releases", "expected a mapping"),
        ("quota_headroom_share: 2\n", "/quota_headroom_share", "≤ 1"),
    ],
)
def test_parameter_overrides_are_checked_against_their_schema(tmp_path, text, field, message):
    override = tmp_path / "p.yaml"
    override.write_text(text, encoding="utf-8")
    proc = run("check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--params", override, "--lang", "en")
    assert proc.returncode == 2, proc.stdout[-300:]
    [line] = problems(proc)
    assert line.startswith(f"{override}:1:") and f"[{field}]" in line and message in line, line


def test_every_default_parameter_satisfies_its_schema():
    from cdap_policy.load.params import load_parameters

    params = load_parameters(POLICIES / "params")  # raises on a default outside its schema
    assert all(p.schema for p in params.values())


@pytest.mark.cli
def test_a_whole_quota_written_with_a_decimal_point_is_read_as_an_integer(tmp_path):
    data = base()
    data["convention"]["quotas"]["T1"] = 2.0
    report = json.loads(run("check", write(tmp_path, data), *AS_OF, "--format", "json").stdout)
    assert not [f for f in report["findings"] if f["rule_id"] == "quota-profile-max"]
    data["convention"]["quotas"]["T1"] = 2.5
    assert run("check", write(tmp_path, data), *AS_OF).returncode == 2


# -- 5. --output destroys nothing
# --------------------------------------------------------------------


@pytest.mark.cli
def test_a_failed_run_leaves_the_old_report_untouched(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("old report\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("partner: [\n", encoding="utf-8")
    proc = run("check", bad, *AS_OF, "--format", "json", "-o", out)
    assert proc.returncode == 2 and out.read_text(encoding="utf-8") == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad.yaml",
        "report.json",
    ]  # no temporary file left


@pytest.mark.cli
def test_a_successful_run_replaces_the_report(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("old report\n", encoding="utf-8")
    proc = run("check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--format", "json", "-o", out)
    assert proc.returncode == 1 and proc.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["snapshot"]["file"].endswith(
        "ccas-2025.yaml"
    )


@pytest.mark.cli
def test_output_may_not_be_an_input(tmp_path):
    data = base()
    data["consultations"] = {"file": "log.csv"}
    snapshot = write(tmp_path, data)
    log = tmp_path / "log.csv"
    log.write_text("at,user,profile\n2025-06-01T10:00:00,u-1,T1\n", encoding="utf-8")
    params = tmp_path / "p.yaml"
    params.write_text("inactive_days: 120\n", encoding="utf-8")
    link = tmp_path / "hard-link.yaml"
    os.link(snapshot, link)
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(POLICIES, pack)
    for target, extra in [
        (log, []),
        (params, ["--params", params]),
        (pack / "quota.yaml", ["--policies", pack]),
        (link, []),
    ]:
        before = target.read_bytes()
        proc = run(
            "check", snapshot, *AS_OF, *extra, "--format", "json", "-o", target, "--lang", "en"
        )
        assert proc.returncode == 2 and "names an input file" in proc.stderr, (target, proc.stderr)
        assert target.read_bytes() == before, target


@pytest.mark.cli
def test_dash_is_standard_output(tmp_path):
    proc = run(
        "check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--format", "json", "-o", "-", cwd=tmp_path
    )
    assert proc.returncode == 1 and json.loads(proc.stdout)["edition"] == 2025
    assert not (tmp_path / "-").exists()


@pytest.mark.cli
@pytest.mark.parametrize("target", ["/dev/full", "missing-folder/report.json"])
def test_a_write_error_is_bad_usage_in_one_line(tmp_path, target):
    if target == "/dev/full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    proc = run(
        "check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--format", "json", "-o", target, cwd=tmp_path
    )
    assert proc.returncode == 2 and len(problems(proc)) == 1, proc.stderr


# -- 6. bounds, signals, determinism
# ----------------------------------------------------------------


@pytest.mark.cli
def test_a_huge_first_name_gives_a_bounded_report(tmp_path):
    data = base()
    data["users"][0]["first_name"] = "É" * 2_000_000
    data["users"][0]["account_type"] = "shared"
    proc = run("check", write(tmp_path, data), *AS_OF, "--format", "json")
    assert proc.returncode == 1 and len(proc.stdout) < 200_000, len(proc.stdout)


@pytest.mark.cli
def test_control_characters_are_escaped_in_the_field_of_an_error(tmp_path):
    snapshot = with_log(tmp_path, "log.csv")
    (snapshot.parent / "log.csv").write_text("at,user,profile\x1b]0;pwned\x07\n", encoding="utf-8")
    proc = run("check", snapshot, *AS_OF)
    assert proc.returncode == 2 and "\x1b" not in proc.stderr and "\x07" not in proc.stderr


def test_control_characters_are_escaped_in_every_printed_line():
    from cdap_policy.support.errors import Problem

    line = Problem("a\x1b[31m.yaml", 3, "/users/0/\x1b]0;x\x07", "bad \x9b value").render("en")
    assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line and "\\x1b" in line


def test_the_per_evaluation_deadline_works_outside_the_main_thread():
    import threading

    from cdap_policy.engines import EvalError
    from cdap_policy.engines.celpy import CelPyEngine as Engine
    from cdap_policy.engines.celpy import to_cel

    engine = Engine({"users"})
    heavy = engine.compile('users.all(a, users.all(b, users.all(c, a.id + b.id + c.id != "x")))')
    users = to_cel([{"id": str(i)} for i in range(300)])
    outcome = {}

    def target():
        started = time.monotonic()
        try:
            heavy.evaluate({"users": users}, timeout=0.2)
            outcome["result"] = "finished"
        except EvalError as exc:
            outcome["result"] = str(exc)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert "longer than" in outcome["result"] and outcome["seconds"] < 5


def big_log_snapshot(tmp_path, rows=400_000):
    snapshot = with_log(tmp_path, "log.csv")
    # the blank line after the header keeps the run slow: the column-wise reader hands such a
    # log to the row reader
    lines = ["at,user,profile", ""] + [f"2025-06-01T10:{i % 60:02d}:00,u-1,T1" for i in range(rows)]
    (snapshot.parent / "log.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return snapshot


@pytest.mark.cli
def test_the_whole_run_deadline_stops_with_exit_2_and_writes_nothing(tmp_path):
    snapshot = big_log_snapshot(tmp_path)
    out = tmp_path / "report.json"
    out.write_text("old\n", encoding="utf-8")
    started = time.monotonic()
    proc = run(
        "check", snapshot, *AS_OF, "--format", "json", "-o", out, "--timeout", "1", "--lang", "en"
    )
    assert proc.returncode == 2 and "--timeout" in proc.stderr
    assert time.monotonic() - started < 30 and out.read_text() == "old\n"


@pytest.mark.slow
@pytest.mark.cli
def test_ctrl_c_exits_130_and_leaves_no_partial_output(tmp_path):
    snapshot = big_log_snapshot(tmp_path, 800_000)
    out = tmp_path / "report.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(snapshot),
            *AS_OF,
            "--format",
            "json",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert (
        proc.returncode == 130
        and "interrompu" in stderr
        and "Aborted" not in stderr
        and "Traceback" not in stderr
    )
    assert not out.exists() and list(tmp_path.glob(".report.json*")) == []


@pytest.mark.cli
def test_users_in_another_order_give_the_same_bytes(tmp_path):
    data = base(2017)
    data["users"][0]["account_type"] = "shared"
    data["users"][1]["email"] = data["users"][2]["email"]  # a finding listing two users
    first = run(
        "check", write(tmp_path, data, "a.yaml"), *AS_OF, "--format", "json", "--include-passed"
    ).stdout
    data["users"].reverse()
    second = run(
        "check", write(tmp_path, data, "a.yaml"), *AS_OF, "--format", "json", "--include-passed"
    ).stdout

    def without_lines(text):
        report = json.loads(text)
        for finding in report["findings"]:
            finding["location"]["line"] = 0
        return json.dumps(report, sort_keys=True)

    assert without_lines(first) == without_lines(second)


# -- 7. what a new user trips over
# ---------------------------------------------------------------------


@pytest.mark.cli
def test_narrow_terminal_or_pipe_reads_at_80_columns():
    proc = run("check", FIXTURES / "ccas-2025.yaml", *AS_OF, env={"COLUMNS": "80"})
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "┃" not in proc.stdout  # a list, not a table split over rows
    located = json.loads(
        run("check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--format", "json").stdout
    )["findings"][0]["location"]
    assert any(
        f"fixtures/ccas-2025.yaml:{located['line']}" in line for line in lines
    )  # file:line never split


def test_no_color_is_respected_on_a_terminal():
    def read_through_a_terminal(extra_env):
        env = {**os.environ, "COLUMNS": "120", **extra_env}
        env.pop("NO_COLOR", None) if "NO_COLOR" not in extra_env else None
        return through_a_terminal(
            ["check", FIXTURES / "ccas-2025.yaml", "--as-of", "2025-06-30"], env
        )[1]

    assert b"\x1b[" in read_through_a_terminal({})
    assert b"\x1b[" not in read_through_a_terminal({"NO_COLOR": "1"})


@pytest.mark.cli
def test_errors_follow_the_language():
    proc = run("check", "does-not-exist.yaml", *AS_OF)
    assert proc.returncode == 2 and "fichier introuvable" in proc.stderr
    proc = run("check", "does-not-exist.yaml", *AS_OF, "--lang", "en")
    assert proc.returncode == 2 and "file not found" in proc.stderr
    for command in (["rules"], ["params"], ["explain", "quota-profile-max"]):
        assert run(*command, "--lang", "en").returncode == 0, command


@pytest.mark.cli
def test_fixtures_folder_holds_only_snapshots():
    proc = run("validate", *sorted(FIXTURES.glob("*.yaml")))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.cli
def test_test_command_refuses_an_unknown_rule_with_a_suggestion():
    proc = run("test", "--rule", "quota-profil-max", "--lang", "en")
    assert (
        proc.returncode == 2
        and "unknown rule" in proc.stderr
        and "quota-profile-max" in proc.stderr
    )
    proc = run("explain", "quota-profil-max", "--lang", "en")
    assert proc.returncode == 2 and "did you mean: quota-profile-max" in proc.stderr


@pytest.mark.cli
def test_test_command_accepts_a_policy_file():
    proc = run("test", POLICIES / "quota.yaml", "--lang", "en")
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1].endswith(" 0 failed")
    assert "elig-" not in proc.stdout


@pytest.mark.cli
def test_a_stale_snapshot_is_flagged_and_the_date_explained(tmp_path):
    data = base()
    data["snapshot"] = {"taken_on": "2023-06-30"}
    proc = run("check", write(tmp_path, data), "--format", "json", "--lang", "en")
    report = json.loads(proc.stdout)
    assert report["as_of_source"] == "today"
    assert [n["code"] for n in report["notices"]] == ["stale-snapshot"]
    table = run("check", write(tmp_path, data), "--lang", "en", env={"COLUMNS": "200"}).stdout
    assert (
        "today, as no --as-of was given" in table
        and "The snapshot was taken on 2023-06-30" in table
    )


@pytest.mark.cli
def test_the_table_names_tool_pack_snapshot_and_the_rules_that_applied():
    from cdap_policy import __version__

    proc = run(
        "check", FIXTURES / "departement-2017.yaml", *AS_OF, "--lang", "en", env={"COLUMNS": "200"}
    )
    text = proc.stdout
    assert (
        f"cdap-policy {__version__}" in text
        and "pack cdap-core" in text
        and "fixtures/departement-2017.yaml" in text
    )
    assert "rule(s) applied out of" in text and "other bulletin edition" in text


@pytest.mark.cli
def test_one_unreadable_snapshot_prints_no_empty_looking_report(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("partner: [\n", encoding="utf-8")
    proc = run("check", bad, *AS_OF, "--format", "json")
    assert proc.returncode == 2 and proc.stdout == ""


@pytest.mark.cli
def test_a_thousand_bad_items_give_a_bounded_error_output(tmp_path):
    data = base()
    data["users"][0]["profiles"] = ["T99"] * 1000
    proc = run("check", write(tmp_path, data), *AS_OF, "--lang", "en")
    assert (
        proc.returncode == 2
        and len(problems(proc)) == 51
        and "more problem(s)" in problems(proc)[-1]
    )
    assert len(proc.stderr) < 10_000

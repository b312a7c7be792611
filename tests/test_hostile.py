"""Hostile inputs: every case of tests/hostile/cases.yaml, through the real command line.

Each case runs `python -m cdap_policy check` (or the command it names) in a subprocess (two at a
time), under an address-space limit (prlimit) and a timeout, and checks the outcome the manifest
gives: exit code, one problem line naming file, line and field, or the findings expected; no
traceback; peak memory (ru_maxrss of the child, from wait4); every input byte for byte unchanged
but those the command is asked to write; no process left behind; and what the case's own
verifier (VERIFIERS) checks.
"""

from __future__ import annotations

import concurrent.futures
import filecmp
import functools
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cdap_policy.load.yamlsource import load_file

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
AS_OF = "2025-06-30"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RSS_MB = 300
PRLIMIT = shutil.which("prlimit")

CASES = load_file(HOSTILE / "cases.yaml").data["cases"]


def case_id(case: dict) -> str:
    if "id" in case:
        return case["id"]
    name = case.get("file") or case["make"]
    for arg in case.get("args", []):
        if arg.endswith(".yaml"):
            name += "+" + arg
    return name


@dataclass
class Run:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    timed_out: bool
    changed: list[str]
    left_behind: list[str] = field(
        default_factory=list
    )  # processes of the run still alive once it ended
    max_workers: int = 0  # most batch workers seen alive at once
    signalled: bool | None = None  # the case's signal was sent (None: no signal asked)
    skipped: str = ""  # why the case could not run here


def sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The peak RSS of a process counts what it inherited at fork: a child forked from this pytest
# process (hundreds of MB once pyarrow and Hypothesis are loaded) would report pytest's size, not
# the checker's. A small fresh interpreter forks the command instead and reports its peak.
MEASURE = """
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
# a case's Ctrl-C goes to the whole group: for the checker only
signal.signal(signal.SIGINT, signal.SIG_IGN)
with open(sys.argv[1] + ".pid", "w") as out:
    out.write(str(pid))
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""


def _group(pgid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes of a process group (zombies aside), from /proc."""
    out = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            command = (
                (entry / "cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
                .strip()
            )
        except (OSError, IndexError, ValueError):
            continue
        out.append((int(entry.name), command))
    return out


def _starting(pid: int) -> bool:
    """The process catches SIGINT (Python's KeyboardInterrupt handler is installed) and does not
    ignore it yet: a batch worker between the interpreter's start and its initializer."""
    try:
        status = dict(
            line.split(":\t", 1)
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if ":\t" in line
        )
        bit = 1 << (signal.SIGINT - 1)
        return bool(int(status["SigCgt"], 16) & bit) and not int(status["SigIgn"], 16) & bit
    except (OSError, KeyError, ValueError):
        return False


def _workers(pgid: int) -> list[int]:
    return [pid for pid, command in _group(pgid) if "spawn_main" in command]


class _Watcher(threading.Thread):
    """Watches a running case: counts the batch workers alive, and sends the case's signal when
    its moment comes (`when`: a file pattern appears in the working folder, or `worker`: a batch
    worker is starting), to the checker (as `timeout` and `docker stop` do), to its whole process
    group (`group`, as a terminal's Ctrl-C) or to the starting worker only (`to: worker`: what of a
    terminal's Ctrl-C reaches it, whatever the parent then does)."""

    def __init__(self, pgid: int, pid_file: Path, cwd: Path, trigger: dict | None):
        super().__init__(daemon=True)
        self.pgid, self.pid_file, self.cwd, self.trigger = pgid, pid_file, cwd, trigger
        self.done = threading.Event()
        self.max_workers = 0
        self.sent = False

    def run(self):
        while not self.done.is_set():
            workers = _workers(self.pgid)
            self.max_workers = max(self.max_workers, len(workers))
            if self.trigger and not self.sent and self._due(workers):
                self._send()
            self.done.wait(0.01)

    def _due(self, workers) -> bool:
        when = self.trigger["when"]
        if (
            when == "worker"
        ):  # a worker has started Python (which catches Ctrl-C) and is still importing
            return any(_starting(pid) for pid in workers)
        return any(self.cwd.glob(when))

    def _send(self):
        sig = getattr(signal, "SIG" + self.trigger["send"])
        try:
            if self.trigger.get("to") == "worker":
                for pid in [pid for pid in _workers(self.pgid) if _starting(pid)]:
                    os.kill(pid, sig)
            elif self.trigger.get("group"):
                os.killpg(self.pgid, sig)
            else:
                os.kill(int(self.pid_file.read_text()), sig)
            self.sent = True
        except (OSError, ValueError):
            pass


def _left_behind(pgid: int) -> list[str]:
    """What of the run is still alive once it ended (waiting a little: a resource tracker ends
    when its last client does); killed so that nothing outlives the test."""
    deadline = time.monotonic() + 5
    alive = _group(pgid)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = _group(pgid)
    for pid, _ in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return [command for _, command in alive]


def run_cli(
    args: list[str],
    cwd: Path,
    timeout: float,
    max_rss_mb: float,
    inputs: list[Path],
    env: dict | None = None,
    trigger: dict | None = None,
    wrap: list[str] | None = None,
) -> Run:
    """Run the CLI in a subprocess: exit code, output, wall time, peak RSS, inputs changed,
    processes left behind. `wrap`: a command the checker runs under (a mount namespace)."""
    before = {str(p): sha256(p) for p in inputs}
    command = [sys.executable, "-m", "cdap_policy", *args]
    if PRLIMIT:  # an address-space ceiling: a runaway allocation ends in MemoryError, not in swap
        limit = int(max(2048, 3 * max_rss_mb) * 1024 * 1024)
        command = [PRLIMIT, f"--as={limit}", "--", *command]
    if wrap:
        command = [*wrap, *command]
    rss_path = cwd / f".rss-{threading.get_ident()}"
    pid_path = Path(str(rss_path) + ".pid")
    command = [sys.executable, "-c", MEASURE, str(rss_path), *command]
    out_path, err_path = (
        cwd / f".out-{threading.get_ident()}",
        cwd / f".err-{threading.get_ident()}",
    )
    env = {**os.environ, "COLUMNS": "160", "PYTHONUNBUFFERED": "1", **(env or {})}
    start = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        timed_out = threading.Event()
        watcher = _Watcher(process.pid, pid_path, cwd, trigger)
        watcher.start()

        def kill():
            timed_out.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
            watcher.done.set()
            watcher.join()
        process.returncode = os.waitstatus_to_exitcode(
            status
        )  # reaped here: Popen must not wait again
    seconds = time.monotonic() - start
    left = _left_behind(process.pid)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    pid_path.unlink(missing_ok=True)
    try:  # absent when the run was killed on its timeout
        peak_kb = int(rss_path.read_text(encoding="ascii"))
        rss_path.unlink()
    except (OSError, ValueError):
        peak_kb = usage.ru_maxrss
    changed = [name for name, digest in before.items() if sha256(Path(name)) != digest]
    return Run(
        process.returncode,
        stdout,
        stderr,
        seconds,
        peak_kb / 1024,
        timed_out.is_set(),
        changed,
        left,
        watcher.max_workers,
        watcher.sent if trigger else None,
    )


# -- inputs built at test time -------------------------------------------------------------------


def _base_text(workdir: Path) -> str:
    return (workdir / "base.yaml").read_text(encoding="utf-8")


def make_directory(workdir: Path) -> str:
    (workdir / "a-directory.yaml").mkdir(exist_ok=True)
    return "a-directory.yaml"


def make_missing(workdir: Path) -> str:
    return "does-not-exist.yaml"


def make_fifo(workdir: Path) -> str:
    path = workdir / "pipe.yaml"
    if not path.exists():
        os.mkfifo(path)
    return "pipe.yaml"


def make_device(workdir: Path) -> str:
    return "/dev/zero"


def make_long_line_log(workdir: Path) -> str:
    (workdir / "logs" / "long-line.csv").write_text(
        "at,user,profile\n" + "9" * (4 << 20), encoding="utf-8"
    )
    (workdir / "log-long-line.yaml").write_text(
        _base_text(workdir) + "consultations: {file: logs/long-line.csv}\n", encoding="utf-8"
    )
    return "log-long-line.yaml"


def make_identical_users(workdir: Path, count: int = 1000) -> str:
    base = _base_text(workdir)
    users = "".join(
        f"  - {{id: x-{i}, first_name: Jean, last_name: Dupont, email: accueil@villebrume.example,"
        " profiles: [T1],"
        f' status: active, granted_on: "2025-04-01"}}\n'
        for i in range(count)
    )
    (workdir / "identical-users.yaml").write_text(
        base.replace("users:\n", "users:\n" + users, 1), encoding="utf-8"
    )
    return "identical-users.yaml"


def make_snapshot_50mb(workdir: Path) -> str:
    """About 100,000 users in block style: 50 MB."""
    base = _base_text(workdir)
    head, tail = base.split("reviews:\n", 1)
    path = workdir / "snapshot-50mb.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        size, index = len(head), 3
        while size < 50_000_000:
            user = (
                f"  - id: u-{index}\n    first_name: Prénom{index}\n    last_name: Nom{index}\n"
                f"    email: agent{index}@villebrume.example\n    function: Agent d'accueil\n   "
                " contract: {type: permanent}\n"
                f'    profiles: [T1]\n    status: revoked\n    granted_on: "2025-04-01"\n   '
                f' revoked_on: "2025-04-02"\n'
                f'    commitment_signed_on: "2025-03-28"\n    security_briefed_on: "2025-03-28"\n'
            )
            out.write(user)
            size += len(user.encode("utf-8"))
            index += 1
        out.write("reviews:\n" + tail)
    return path.name


def make_dense_nodes(workdir: Path) -> str:
    path = workdir / "dense-nodes.yaml"
    path.write_text("[" + "1," * 2_250_000 + "1]\n", encoding="utf-8")
    return path.name


LOG_ROWS = 10_000_000


def make_log_10m_rows(workdir: Path) -> str:
    """Ten million consultations by the two active users of base.yaml, in a 1,000-row block
    repeated.
    """
    block = "".join(
        f"2025-{4 + i % 3:02d}-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00,"
        f"u-{1 + i % 2},T1,F{i:07d},known_number,true\n"
        for i in range(1000)
    ).encode()
    with (workdir / "logs" / "ten-million.csv").open("wb") as out:
        out.write(b"at,user,profile,file,entry,non_opposition\n")
        for _ in range(LOG_ROWS // 1000):
            out.write(block)
    (workdir / "log-10m-rows.yaml").write_text(
        _base_text(workdir) + "consultations: {file: logs/ten-million.csv}\n", encoding="utf-8"
    )
    return "log-10m-rows.yaml"


# -- the surfaces that write, read packs and spreadsheets, compare reports, run batches
# -----------------

MADE = {
    "a-directory.yaml",
    "pipe.yaml",
    "log-long-line.yaml",
    "logs/long-line.csv",
    "identical-users.yaml",
    "snapshot-50mb.yaml",
    "dense-nodes.yaml",
    "log-10m-rows.yaml",
    "logs/ten-million.csv",
}  # what makers write
_LOCK = threading.Lock()


def _write(workdir: Path, name: str, content, folder: str | None = None) -> str:
    """Write a made input (text or bytes), once registered for
    test_no_file_is_left_behind_by_the_checker.
    """
    MADE.add(folder or name)
    path = workdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return name


STAFF_HEADER = "Nom;Prénom;Courriel;Profil;Type de contrat;Fin de contrat\n"
RENEW_U2 = STAFF_HEADER + "Morvan;Théo;theo.morvan@villebrume.example;T1;CDD;31/12/2026\n"
RENEW_U1 = STAFF_HEADER + "Lefranc;Inès;ines.lefranc@villebrume.example;T1;CDD;31/12/2026\n"
ADD_ONE = (
    STAFF_HEADER + "Morvan;Théo;theo.morvan@villebrume.example;T1,"
    " T2;;\nNouveau;Jean;jean.nouveau@villebrume.example;T1;;\n"
)


def alias_snapshot(base: str) -> str:
    """u-1's ended fixed-term contract is an anchor, u-2's contract an alias of it (the loader
    accepts it).
    """
    text = base.replace(
        "    contract: {type: civil_servant}\n",
        '    contract: &c {type: fixed_term, ends_on: "2025-05-31"}\n',
        1,
    )
    return text.replace("    contract: {type: permanent}\n", "    contract: *c\n", 1)


def user_blocks(text: str) -> dict[str, str]:
    """The exact text of each user of a block-style users list, by id."""
    users = text.split("\nusers:\n", 1)[1].split("\nreviews:", 1)[0]
    out = {}
    for block in users.split("  - id: ")[1:]:
        out[block.split("\n", 1)[0].strip()] = "  - id: " + block
    return out


def make_import_alias(workdir: Path) -> str:
    _write(workdir, "import-alias.csv", RENEW_U2)
    return _write(workdir, "import-alias.yaml", alias_snapshot(_base_text(workdir)))


def make_import_alias_owner(workdir: Path) -> str:
    _write(workdir, "import-alias-owner.csv", RENEW_U1)
    return _write(workdir, "import-alias-owner.yaml", alias_snapshot(_base_text(workdir)))


def make_import_symlink(workdir: Path) -> str:
    _write(workdir, "import-link.csv", ADD_ONE)
    _write(workdir, "import-target.yaml", _base_text(workdir))
    MADE.add("import-link.yaml")
    (workdir / "import-link.yaml").unlink(missing_ok=True)
    (workdir / "import-link.yaml").symlink_to("import-target.yaml")
    return "import-link.yaml"


def make_import_crlf_bom(workdir: Path) -> str:
    _write(workdir, "import-crlf.csv", ADD_ONE)
    return _write(
        workdir,
        "import-crlf.yaml",
        b"\xef\xbb\xbf" + _base_text(workdir).replace("\n", "\r\n").encode("utf-8"),
    )


def make_import_bad_email(workdir: Path) -> str:
    return _write(
        workdir,
        "import-bad-email.csv",
        STAFF_HEADER + "Quénelec;Jeanne;jeanne.quenelec@villebrume;T1;;\n",
    )


def _disk(workdir: Path, name: str) -> str:
    _write(workdir, f"{name}/staff.csv", ADD_ONE, folder=name)
    _write(workdir, f"{name}/snap.yaml", _base_text(workdir), folder=name)
    (workdir / name / "mnt").mkdir(exist_ok=True)
    return f"{name}/mnt/snap.yaml"


def make_disk_full(workdir: Path) -> str:
    return _disk(workdir, "disk-full")


def make_disk_read_only(workdir: Path) -> str:
    return _disk(workdir, "disk-read-only")


# a tmpfs over the snapshot's folder, in a user and mount namespace of the run alone (no root
# needed)
DISKS = {
    "full": (
        "mount -t tmpfs -o size=64k tmpfs {dir}/mnt && cp {dir}/snap.yaml {dir}/mnt/ && "
        '{{ head -c 1000000 /dev/zero > {dir}/mnt/fill 2>/dev/null; true; }} && exec "$@"'
    ),
    "read-only": (
        "mount -t tmpfs -o size=1m tmpfs {dir}/mnt && cp {dir}/snap.yaml {dir}/mnt/ && "
        'mount -o remount,ro {dir}/mnt && exec "$@"'
    ),
}


@functools.lru_cache(maxsize=1)
def namespaces_usable() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    try:
        return (
            subprocess.run([unshare, "-rm", "true"], capture_output=True, timeout=10).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


# -- spreadsheets: a workbook written part by part, so that its parts can lie or explode
# -------------

_XLSX_PARTS = {
    "[Content_Types].xml": (
        b'<?xml version="1.0" encoding="UTF-8"?><Types'
        b' xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels"'
        b' ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default'
        b' Extension="xml" '
        b'ContentType="application/xml"/><Override PartName="/xl/workbook.xml"'
        b' ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sheet.main+xml"/><Override'
        b' PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override'
        b' PartName="/xl/sharedStrings.xml" ContentType='
        b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships'
        b' xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship'
        b' Id="rId1"'
        b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
        b' Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook'
        b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet'
        b' name="Personnel" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships'
        b' xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship'
        b' Id="rId1"'
        b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        b' Target="worksheets/sheet1.xml"/><Relationship Id="rId2"'
        b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
        b' Target="sharedStrings.xml"/></Relationships>'
    ),
}
_STAFF = [
    "Nom",
    "Prénom",
    "Courriel",
    "Profil",
    "Morvan",
    "Théo",
    "theo.morvan@villebrume.example",
    "T1",
]


def _cell(row: int, column: int, index: int) -> bytes:
    return b'<c r="%s%d" t="s"><v>%d</v></c>' % (b"ABCD"[column : column + 1], row, index)


def write_xlsx(
    path: Path, strings=None, rows=((0, 1, 2, 3), (4, 5, 6, 7)), extra_strings=(), sheet_tail=b""
) -> None:
    """A workbook whose shared strings are `strings` (the staff list's by default) followed by the
    byte chunks `extra_strings`, streamed into the zip: a part of hundreds of MiB costs no memory.
    """
    strings = _STAFF if strings is None else strings
    stamp = (1980, 1, 1, 0, 0, 0)
    sheet = [
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet'
        b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    for r, cells in enumerate(rows, 1):
        sheet.append(
            b'<row r="%d">' % r + b"".join(_cell(r, c, i) for c, i in enumerate(cells)) + b"</row>"
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _XLSX_PARTS.items():
            archive.writestr(zipfile.ZipInfo(name, stamp), data, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as part:
            part.write(b"".join(sheet))
            for chunk in sheet_tail if not isinstance(sheet_tail, bytes) else [sheet_tail]:
                part.write(chunk)
            part.write(b"</sheetData></worksheet>")
        info = zipfile.ZipInfo("xl/sharedStrings.xml", stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst'
                b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for text in strings:
                part.write(b"<si><t>" + text.encode("utf-8") + b"</t></si>")
            for chunk in extra_strings:
                part.write(chunk)
            part.write(b"</sst>")


def _repeat(chunk: bytes, total: int, size: int = 1 << 20):
    block = chunk * max(1, size // len(chunk))
    written = 0
    while written < total:
        piece = block[: total - written]
        written += len(piece)
        yield piece


def make_xlsx_shared_string_300mib(workdir: Path) -> str:
    """307 KB on disk, one shared string of 300 MiB once inflated."""
    MADE.add("xlsx-shared-string-300mib.xlsx")
    write_xlsx(
        workdir / "xlsx-shared-string-300mib.xlsx",
        extra_strings=[b"<si><t>", *_repeat(b"a", 300 << 20), b"</t></si>"],
    )
    return "xlsx-shared-string-300mib.xlsx"


def make_xlsx_10m_empty_strings(workdir: Path) -> str:
    MADE.add("xlsx-10m-empty-strings.xlsx")
    write_xlsx(
        workdir / "xlsx-10m-empty-strings.xlsx", extra_strings=_repeat(b"<si/>", 5 * 10_000_000)
    )
    return "xlsx-10m-empty-strings.xlsx"


def make_xlsx_400k_strings(workdir: Path) -> str:
    """400,000 empty shared strings: 2 MB once inflated, under the part limits, over the count."""
    MADE.add("xlsx-400k-strings.xlsx")
    write_xlsx(workdir / "xlsx-400k-strings.xlsx", extra_strings=_repeat(b"<si/>", 5 * 400_000))
    return "xlsx-400k-strings.xlsx"


def make_xlsx_cell_100mib(workdir: Path) -> str:
    MADE.add("xlsx-cell-100mib.xlsx")
    tail = [
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>',
        *_repeat(b"b", 100 << 20),
        b"</t></is></c></row>",
    ]
    write_xlsx(workdir / "xlsx-cell-100mib.xlsx", sheet_tail=tail)
    return "xlsx-cell-100mib.xlsx"


def make_xlsx_bad_shared_index(workdir: Path) -> str:
    MADE.add("xlsx-bad-shared-index.xlsx")
    write_xlsx(workdir / "xlsx-bad-shared-index.xlsx", rows=((0, 1, 2, 3), (4, 5, 6, 99999)))
    return "xlsx-bad-shared-index.xlsx"


# -- Parquet logs
# ------------------------------------------------------------------------------------


def _parquet_log(workdir: Path, name: str, value_bytes: int, rows: int = 1) -> str:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    users = ["u-1"] * rows
    users[0] = "u" * value_bytes
    table = pa.table(
        {"at": ["2025-06-02T09:15:00"] * rows, "user": users, "profile": ["T1"] * rows}
    )
    MADE.add(f"logs/{name}.parquet")
    pq.write_table(table, workdir / "logs" / f"{name}.parquet", compression="zstd")
    return _write(
        workdir,
        f"log-{name}.yaml",
        _base_text(workdir) + f"consultations: {{file: logs/{name}.parquet}}\n",
    )


def make_parquet_value_20mib(workdir: Path) -> str:
    return _parquet_log(workdir, "value-20mib", 20 << 20)


def make_parquet_value_200mib(workdir: Path) -> str:
    return _parquet_log(workdir, "value-200mib", 200 << 20)


# -- reports given back to diff and --baseline
# -------------------------------------------------------


def base_report(workdir: Path) -> dict:
    """The JSON report of base.yaml less the Caf's confirmation of the CCAS's T1 conditions (so that
    it holds one finding to mutate), written once by the real command line."""
    with _LOCK:
        path = workdir / "report-base.json"
        if not path.exists():
            MADE.update({"report-base.json", "report-base.yaml"})
            marker = "  ccas_t1_conditions_met: true"
            lines = [
                line
                for line in _base_text(workdir).splitlines(keepends=True)
                if not line.startswith(marker)
            ]
            (workdir / "report-base.yaml").write_text("".join(lines), encoding="utf-8")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cdap_policy",
                    "check",
                    "--as-of",
                    AS_OF,
                    "--format",
                    "json",
                    "-o",
                    path.name,
                    "report-base.yaml",
                ],
                cwd=workdir,
                capture_output=True,
                check=False,
            )
        return json.loads(path.read_text(encoding="utf-8"))


def _report(workdir: Path, name: str, report) -> str:
    return _write(workdir, name, json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def make_report_rules_objects(workdir: Path) -> str:
    report = base_report(workdir)
    report["rules"][0] = {"id": report["rules"][0]}
    return _report(workdir, "report-rules-objects.json", report)


def make_report_pack_string(workdir: Path) -> str:
    report = base_report(workdir)
    report["policy_pack"] = "cdap-core 0.1.0"
    return _report(workdir, "report-pack-string.json", report)


def make_report_severity_number(workdir: Path) -> str:
    report = base_report(workdir)
    report["findings"][0]["severity"] = 5
    return _report(workdir, "report-severity-number.json", report)


def make_report_huge_number(workdir: Path) -> str:
    text = json.dumps(base_report(workdir), ensure_ascii=False, indent=2) + "\n"
    text = text.replace('"fingerprint_version": 1', '"fingerprint_version": ' + "9" * 5000, 1)
    return _write(workdir, "report-huge-number.json", text)


def make_report_34mib(workdir: Path) -> str:
    """A baseline of some 3,500 partners (34 MiB): over the former 32 MiB limit, which named a
    snapshot.
    """
    report = base_report(workdir)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    others = []
    size, n = len(text), 0
    while size < 34 << 20:
        n += 1
        other = text.replace('"26440999600016"', f'"{n:014d}"').replace(
            "CCAS de Villebrume", f"CCAS n° {n}"
        )
        others.append(other)
        size += len(other.encode("utf-8")) + 2
    return _write(workdir, "report-34mib.json", "[\n" + ",\n".join([text, *others]) + "\n]\n")


def make_report_300mib(workdir: Path) -> str:
    """Sparse: refused on its size, before a byte is read."""
    MADE.add("report-300mib.json")
    with (workdir / "report-300mib.json").open("wb") as out:
        out.truncate(300 << 20)
    return "report-300mib.json"


# -- policy packs
# ------------------------------------------------------------------------------------


def _pack(workdir: Path, name: str) -> Path:
    target = workdir / name
    MADE.add(name)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        HERE.parent / "policies", target, ignore=shutil.ignore_patterns("*.tests.yaml", "tests")
    )
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_pack_requirements_passwd(workdir: Path) -> str:
    _edit(
        _pack(workdir, "pack-passwd") / "pack.yaml",
        "requirements: requirements.yaml\n",
        "requirements: /etc/passwd\n",
    )
    return "base.yaml"


def make_pack_symlink_out(workdir: Path) -> str:
    pack = _pack(workdir, "pack-symlink")
    _write(
        workdir, "private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    )
    (pack / "zz-extra.yaml").symlink_to("../private-key")
    return "base.yaml"


def make_pack_format_spec(workdir: Path) -> str:
    _edit(
        _pack(workdir, "pack-format-spec") / "elig.yaml",
        "« {partner} » (type",
        "« {partner:>900000000} » (type",
    )
    return "base.yaml"


def make_pack_attribute(workdir: Path) -> str:
    _edit(
        _pack(workdir, "pack-attribute") / "elig.yaml",
        "« {partner} » (type",
        "« {partner.__class__.__mro__} » (type",
    )
    return "base.yaml"


# -- the compiled pack's disk cache
# ------------------------------------------------------------------


def _fresh_cache(workdir: Path, name: str) -> list[Path]:
    """A cache folder of its own holding the shipped pack's cache files (compiled and loaded), made
    once for all cases.
    """
    with _LOCK:
        template = workdir / "cache-template"
        if not template.exists():
            MADE.add("cache-template")
            subprocess.run(
                [sys.executable, "-c", "from cdap_policy.load.pack import load_pack; load_pack()"],
                cwd=workdir,
                env={**os.environ, "XDG_CACHE_HOME": str(template)},
                check=True,
                capture_output=True,
            )
    MADE.add(name)
    folder = workdir / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(template, folder)
    os.chmod(folder / "cdap-policy", 0o700)
    files = sorted((folder / "cdap-policy").glob("*.pack"))
    assert files, "the pack was not cached"
    loaded = sorted((folder / "cdap-policy").glob("*.loaded"))
    assert loaded, "the loaded pack was not cached"
    return files + loaded


def make_cache_4gib(workdir: Path) -> str:
    for path in _fresh_cache(workdir, "cache-4gib"):
        with path.open("r+b") as handle:  # sparse: 4 GiB to read, nothing on disk
            handle.truncate(4 << 30)
    return "base.yaml"


def make_cache_wrong_entries(workdir: Path) -> str:
    """Checksummed and keyed like a good file, but every entry the wrong type."""
    import marshal

    from cdap_policy.support.diskcache import MAGIC

    for path in _fresh_cache(workdir, "cache-wrong-entries"):
        blob = path.read_bytes()
        data = marshal.loads(blob[len(MAGIC) + 32 :])
        data["entries"] = {source: ["not", "an", "entry"] for source in data["entries"]}
        payload = marshal.dumps(data)
        path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
    return "base.yaml"


# -- batches
# -----------------------------------------------------------------------------------------


def _batch(workdir: Path, name: str, count: int) -> str:
    base = _base_text(workdir)
    MADE.add(name)
    folder = workdir / name
    folder.mkdir(exist_ok=True)
    for index in range(count):
        (folder / f"p{index:03d}.yaml").write_text(
            base.replace("CCAS de Villebrume", f"CCAS n° {index}"), encoding="utf-8"
        )
    return name


def make_batch_sigterm(workdir: Path) -> str:
    return _batch(workdir, "batch-sigterm", 120)


def make_batch_ctrl_c(workdir: Path) -> str:
    return _batch(workdir, "batch-ctrl-c", 40)


def make_batch_ctrl_c_worker(workdir: Path) -> str:
    return _batch(workdir, "batch-ctrl-c-worker", 40)


def make_batch_jobs(workdir: Path) -> str:
    """More snapshots than the workers a batch may start here (2 a core, at most 64)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return _batch(workdir, "batch-jobs", min(2 * cores, 64) + 2)


def make_batch_escape(workdir: Path) -> str:
    _batch(workdir, "batch-escape", 1)
    (workdir / "batch-escape" / "p000.yaml").rename(
        workdir / "batch-escape" / "a\x1b[31mred\x1b]0;title\x07.yaml"
    )
    return "batch-escape"


def make_waivers_beside(workdir: Path) -> str:
    """A waiver file found next to its snapshot, whose entity quotes the administrator's name."""
    _write(
        workdir,
        "beside.waivers.yaml",
        "waivers:\n  - rule: gov-contract-end-active\n"
        f'    entity: "Agnès Perrot, directrice {"x" * 200}"\n'
        "    justification: remplacement en cours\n    approved_by: Caf\n"
        '    approved_on: "2025-01-01"\n    expires_on: "2025-12-01"\n',
    )
    return _write(workdir, "beside.yaml", _base_text(workdir))


MAKERS = {
    "directory": make_directory,
    "missing": make_missing,
    "fifo": make_fifo,
    "device": make_device,
    "long-line-log": make_long_line_log,
    "identical-users": make_identical_users,
    "snapshot-50mb": make_snapshot_50mb,
    "dense-nodes": make_dense_nodes,
    "log-10m-rows": make_log_10m_rows,
    "import-alias": make_import_alias,
    "import-alias-owner": make_import_alias_owner,
    "import-symlink": make_import_symlink,
    "import-crlf-bom": make_import_crlf_bom,
    "import-bad-email": make_import_bad_email,
    "disk-full": make_disk_full,
    "disk-read-only": make_disk_read_only,
    "xlsx-shared-string-300mib": make_xlsx_shared_string_300mib,
    "xlsx-10m-empty-strings": make_xlsx_10m_empty_strings,
    "xlsx-400k-strings": make_xlsx_400k_strings,
    "xlsx-cell-100mib": make_xlsx_cell_100mib,
    "xlsx-bad-shared-index": make_xlsx_bad_shared_index,
    "parquet-value-20mib": make_parquet_value_20mib,
    "parquet-value-200mib": make_parquet_value_200mib,
    "report-rules-objects": make_report_rules_objects,
    "report-pack-string": make_report_pack_string,
    "report-severity-number": make_report_severity_number,
    "report-huge-number": make_report_huge_number,
    "report-34mib": make_report_34mib,
    "report-300mib": make_report_300mib,
    "pack-requirements-passwd": make_pack_requirements_passwd,
    "pack-symlink-out": make_pack_symlink_out,
    "pack-format-spec": make_pack_format_spec,
    "pack-attribute": make_pack_attribute,
    "cache-4gib": make_cache_4gib,
    "cache-wrong-entries": make_cache_wrong_entries,
    "batch-sigterm": make_batch_sigterm,
    "batch-ctrl-c": make_batch_ctrl_c,
    "batch-ctrl-c-worker": make_batch_ctrl_c_worker,
    "batch-jobs": make_batch_jobs,
    "batch-escape": make_batch_escape,
    "waivers-beside": make_waivers_beside,
}


# -- what a case checks beyond its exit code and error line
# --------------------------------------------


def verify_users_kept(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    """Every user not in the spreadsheet is byte for byte as before; the finding on u-1's ended
    contract still fires (it did not follow u-2's renewal through the alias)."""
    before = user_blocks(alias_snapshot(_base_text(workdir)))
    after = user_blocks((workdir / snapshot).read_text(encoding="utf-8"))
    assert after["u-1"] == before["u-1"]
    assert "*c" not in after["u-2"] and 'ends_on: "2026-12-31"' in after["u-2"], after["u-2"]
    from cdap_policy.load.pack import load_pack
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    report = check_snapshot(load_pack(), workdir / snapshot, CheckOptions(as_of=AS_OF))
    failing = {(f.rule_id, f.entity_key) for f in report.findings if f.status == "fail"}
    assert ("gov-contract-end-active", "u-1") in failing and (
        "gov-contract-end-active",
        "u-2",
    ) not in failing


def verify_link_kept(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    link, target = workdir / "import-link.yaml", workdir / "import-target.yaml"
    assert link.is_symlink() and os.readlink(link) == "import-target.yaml", "the link was replaced"
    text = target.read_text(encoding="utf-8")
    assert "jean.nouveau@villebrume.example" in text and "profiles: [T1, T2]" in text


def verify_crlf_bom_kept(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    """The byte-order mark and CRLF stay; the lines that change are the updated user's profile and
    the new user.
    """
    raw = (workdir / snapshot).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\n") == raw.count(b"\r\n")
    before = ("\ufeff" + _base_text(workdir)).replace("\n", "\r\n").splitlines(keepends=True)
    after = raw.decode("utf-8").splitlines(keepends=True)
    import difflib

    changed = [
        line
        for line in difflib.unified_diff(before, after, n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert (
        changed[0] == "-    profiles: [T1]\r\n" and changed[1] == "+    profiles: [T1, T2]\r\n"
    ), changed
    assert all(line.startswith("+") for line in changed[1:]) and "+  - id: u-3\r\n" in changed, (
        changed
    )


def verify_nothing_left(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    """The signal was sent; no worker, resource tracker or temporary file outlives the run."""
    assert run.signalled, "the signal was never sent (the run ended first?)"
    assert run.left_behind == [], run.left_behind
    output = next(a for a in case["command"] if a.endswith(".jsonl"))
    assert not (workdir / output).exists() and list(workdir.glob(f".{output}.*")) == []


def verify_signal_ignored(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    """The starting worker was sent Ctrl-C and the batch went on to its end: every
    report written.
    """
    assert run.signalled, "the signal was never sent (the workers started too fast to be caught?)"
    output = workdir / next(a for a in case["command"] if a.endswith(".jsonl"))
    try:
        lines = output.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(list((workdir / snapshot).glob("*.yaml"))), len(lines)
    finally:
        output.unlink(missing_ok=True)


def verify_jobs_capped(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    assert 1 <= run.max_workers <= min(2 * cores, 64), (
        f"{run.max_workers} workers for {cores} core(s)"
    )


def verify_no_raw_escape(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "a\\x1b[31mred" in run.stdout


def verify_no_file_written(case: dict, workdir: Path, snapshot: str, run: Run) -> None:
    names = [p.name for p in workdir.iterdir() if p.name.startswith("init")]
    assert names == [], names


VERIFIERS = {
    "users-kept": verify_users_kept,
    "link-kept": verify_link_kept,
    "crlf-bom-kept": verify_crlf_bom_kept,
    "nothing-left": verify_nothing_left,
    "signal-ignored": verify_signal_ignored,
    "jobs-capped": verify_jobs_capped,
    "no-raw-escape": verify_no_raw_escape,
    "no-file-written": verify_no_file_written,
}


# -- running the cases --------------------------------------------------------------------------


def _touched(case: dict, workdir: Path, snapshot: str) -> list[Path]:
    names = [snapshot, *(a for a in case.get("args", []) if a.endswith(".yaml"))]
    names += (
        [a for a in _command(case, snapshot)[1:] if not a.startswith("-")]
        if "command" in case
        else []
    )
    if case.get("where"):
        names.append(case["where"])
    paths = [
        workdir / n for n in names if not n.startswith("/dev/") and n not in case.get("changes", ())
    ]
    text = (
        (workdir / snapshot).read_text(encoding="utf-8", errors="replace")
        if (workdir / snapshot).is_file() and (workdir / snapshot).stat().st_size < 1 << 20
        else ""
    )
    if "consultations: {file: " in text:
        paths.append(workdir / text.split("consultations: {file: ")[1].split("}")[0].split(",")[0])
    return [p for p in dict.fromkeys(paths) if p.is_file()]


def _command(case: dict, snapshot: str) -> list[str]:
    """The case's command line: `check … --format json FILE` unless it names another; `{file}` is
    the input, `{stem}` its name without extension. Messages are pinned in English (--lang en);
    French is the default, checked in test_safety.py and test_cli.py."""
    if "command" not in case:
        args = [
            "check",
            "--as-of",
            AS_OF,
            "--lang",
            "en",
            "--format",
            "json",
            *case.get("args", []),
            snapshot,
        ]
        if "--format" in case.get("args", []):
            args = ["check", "--as-of", AS_OF, "--lang", "en", *case["args"], snapshot]
        return args
    stem = snapshot.rsplit(".", 1)[0]
    parts = [str(a).replace("{file}", snapshot).replace("{stem}", stem) for a in case["command"]]
    return [parts[0], "--lang", "en", *parts[1:]]


def execute(case: dict, workdir: Path) -> tuple[str, Run]:
    wrap = None
    if case.get("disk"):
        if not namespaces_usable():
            return case.get("file", case.get("make", "")), Run(
                None, "", "", 0, 0, False, [], skipped="no user namespaces (unshare -rm)"
            )
    snapshot = MAKERS[case["make"]](workdir) if "make" in case else case.get("file", "")
    if case.get("disk"):
        wrap = [
            shutil.which("unshare"),
            "-rm",
            "sh",
            "-c",
            DISKS[case["disk"]].format(dir=snapshot.split("/")[0]),
            "sh",
        ]
    env = {k: str(v).replace("{workdir}", str(workdir)) for k, v in (case.get("env") or {}).items()}
    run = run_cli(
        _command(case, snapshot),
        workdir,
        float(case.get("timeout", DEFAULT_TIMEOUT)),
        float(case.get("max_rss_mb", DEFAULT_MAX_RSS_MB)),
        _touched(case, workdir, snapshot),
        env=env,
        trigger=case.get("signal"),
        wrap=wrap,
    )
    return snapshot, run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("hostile") / "inputs"
    shutil.copytree(HOSTILE / "inputs", target)
    return target


@pytest.fixture(scope="module")
def results(request, workdir) -> dict:
    """The selected small cases, run two at a time (the machine has 2 cores)."""
    wanted = {
        item.callspec.id
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_hostile_input" and hasattr(item, "callspec")
    }
    todo = [c for c in CASES if not c.get("large") and case_id(c) in wanted]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case_id(c): pool.submit(execute, c, workdir) for c in todo}
        return {name: future.result() for name, future in futures.items()}


def check_outcome(
    case: dict, snapshot: str, run: Run, workdir: Path, reference: dict | None = None
):
    where = (
        f"{case_id(case)}: exit {run.code}, {run.seconds:.1f} s, {run.max_rss_mb:.0f} MB\nstderr:"
        f" {run.stderr[-3000:]}"
    )
    assert not run.timed_out, f"timed out after {case.get('timeout', DEFAULT_TIMEOUT)} s: {where}"
    for stream in (run.stdout, run.stderr):
        assert "Traceback" not in stream, where
        assert "internal error" not in stream and "erreur interne" not in stream, where
    assert run.code != 3, where
    assert run.max_rss_mb <= float(case.get("max_rss_mb", DEFAULT_MAX_RSS_MB)), (
        f"peak memory {run.max_rss_mb:.0f} MB: {where}"
    )
    assert run.changed == [], f"inputs modified: {run.changed}"
    assert run.left_behind == [], f"processes left behind: {run.left_behind}"
    for secret in case.get("not_in_output", []):
        assert secret not in run.stdout and secret not in run.stderr, f"{secret!r} printed: {where}"
    if "stderr" in case:
        assert case["stderr"] in run.stderr, where
    if "verify" in case:
        VERIFIERS[case["verify"]](case, workdir, snapshot, run)

    if "same_as" in case:
        assert reference is not None
        assert run.code == reference["code"], where
        mine = json.loads(run.stdout)
        mine["snapshot"]["file"] = reference["report"]["snapshot"]["file"]
        for finding in mine["findings"]:
            finding["location"]["file"] = case["same_as"]
        assert mine == reference["report"], where
        return

    expected = case["exit"]
    assert run.code in (expected if isinstance(expected, list) else [expected]), where
    if run.code == 2 and case.get("usage"):  # bad usage: one line, `error: message`
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert (
            len(lines) == 1
            and lines[0].startswith(("erreur : ", "error: "))
            and case["message"] in lines[0]
        ), where
    elif run.code == 2:
        problems = [line for line in run.stderr.splitlines() if line.startswith("  ")]
        assert len(problems) == 1, f"expected one problem line: {where}"
        assert run.stderr.splitlines()[0].startswith(("erreur : ", "error: ")), where
        problem = problems[0].strip()
        prefix = case.get("where", snapshot)
        if isinstance(
            case.get("line"), dict
        ):  # {text, offset}: the line of the input that holds `text`, plus offset
            case = {
                **case,
                "line": (
                    _line_holding(workdir / prefix, case["line"]["text"])
                    + case["line"].get("offset", 0)
                ),
            }
        if (
            case.get("line") == "any"
        ):  # a line of a file of the shipped pack, which its authors edit
            assert re.match(re.escape(prefix) + r":\d+: ", problem), (
                f"expected {prefix!r} and a line at the start of {problem!r}"
            )
        else:
            prefix += f":{case['line']}:" if "line" in case else ":"
            assert problem.startswith(prefix), f"expected {prefix!r} at the start of {problem!r}"
        if "field" in case:
            assert f"[{case['field']}" in problem, (
                f"expected field {case['field']!r} in {problem!r}"
            )
        assert case["message"] in problem, f"expected {case['message']!r} in {problem!r}"
        assert run.stdout.strip() in ("", "[]"), where
    elif "--format" not in case.get("args", []) and "command" not in case:
        report = json.loads(run.stdout)
        assert [f for f in report["findings"] if f["status"] == "error"] == [], where
        got = {
            (f["rule_id"], f["entity"]["key"]): f["location"]["line"] for f in report["findings"]
        }
        for finding in case.get("findings", []):
            key = (finding["rule"], finding["entity"])
            assert key in got, f"missing finding {key}: {sorted(got)[:20]}"
            assert got[key] == finding["line"], (
                f"{key}: line {got[key]}, expected {finding['line']}"
            )
    if "stdout" in case:
        assert case["stdout"] in run.stdout, where


def _line_holding(path: Path, text: str) -> int:
    """The first line of `path` holding `text` (reports change with the pack: their lines are found,
    not pinned).
    """
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if text in line:
                return number
    raise AssertionError(f"{text!r} not in {path}")


@pytest.fixture(scope="module")
def reference(workdir) -> dict:
    _, run = execute({"file": "base.yaml"}, workdir)
    assert run.code in (0, 1), run.stderr
    return {"code": run.code, "report": json.loads(run.stdout)}


SMALL = [c for c in CASES if not c.get("large")]
LARGE = [c for c in CASES if c.get("large")]


def test_manifest_has_at_least_40_cases():
    assert len(CASES) >= 40
    ids = [case_id(c) for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case"
    committed = {p.name for p in (HOSTILE / "inputs").iterdir() if p.is_file()}
    used = {c["file"] for c in CASES if "file" in c} | {
        a for c in CASES for a in c.get("args", []) if a.endswith(".yaml")
    }
    used |= {a for c in CASES for a in c.get("command", []) if a in committed}
    used |= {c["same_as"] for c in CASES if "same_as" in c} | {"base.yaml"}
    assert committed - used == set(), "inputs without a case"
    assert used - committed == set(), "cases without an input"


def test_corpus_is_what_the_generator_writes(tmp_path):
    sys.path.insert(0, str(HOSTILE))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(HOSTILE))
    make_corpus.write(tmp_path)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        str(p.relative_to(HOSTILE / "inputs"))
        for p in (HOSTILE / "inputs").rglob("*")
        if p.is_file() and p.name != "base.yaml"
    )
    assert written == committed, "run python tests/hostile/make_corpus.py"
    mismatched = [
        name
        for name in written
        if not filecmp.cmp(tmp_path / name, HOSTILE / "inputs" / name, shallow=False)
    ]
    assert mismatched == [], "run python tests/hostile/make_corpus.py"


@pytest.mark.cli
def test_base_of_the_corpus_is_valid(workdir):
    run = run_cli(
        ["validate", "base.yaml"],
        workdir,
        DEFAULT_TIMEOUT,
        DEFAULT_MAX_RSS_MB,
        [workdir / "base.yaml"],
    )
    assert run.code == 0, run.stderr


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize("case", SMALL, ids=[case_id(c) for c in SMALL])
def test_hostile_input(case, results, workdir, request):
    snapshot, run = results[case_id(case)]
    if run.skipped:
        pytest.skip(run.skipped)
    ref = request.getfixturevalue("reference") if "same_as" in case else None
    check_outcome(case, snapshot, run, workdir, ref)


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.large
@pytest.mark.parametrize("case", LARGE, ids=[case_id(c) for c in LARGE])
def test_very_large_input(case, workdir, record_property):
    snapshot, run = execute(case, workdir)
    if run.skipped:
        pytest.skip(run.skipped)
    record_property("seconds", round(run.seconds, 1))
    record_property("max_rss_mb", round(run.max_rss_mb))
    print(f"\n{case_id(case)}: exit {run.code}, {run.seconds:.1f} s, peak {run.max_rss_mb:.0f} MB")
    try:
        check_outcome(case, snapshot, run, workdir)
    finally:
        for name in (
            "snapshot-50mb.yaml",
            "dense-nodes.yaml",
            "logs/ten-million.csv",
            "logs/value-200mib.parquet",
        ):
            (workdir / name).unlink(missing_ok=True)


@pytest.mark.cli
def test_no_file_is_left_behind_by_the_checker(workdir, results):
    """The checker writes nothing next to its inputs (no cache, no temporary file)."""
    expected = {str(p.relative_to(HOSTILE / "inputs")) for p in (HOSTILE / "inputs").rglob("*")}
    extra = {str(p.relative_to(workdir)) for p in workdir.rglob("*")} - expected
    extra = {name for name in extra if not any(name == m or name.startswith(m + "/") for m in MADE)}
    assert extra == set()


@pytest.mark.cli
def test_gzip_log_and_plain_log_give_the_same_report(tmp_path):
    """A well-formed gzip log is read like the plain one (so the truncated-gzip case tests
    truncation only).
    """
    base = (HOSTILE / "inputs" / "base.yaml").read_text(encoding="utf-8")
    rows = (
        "at,user,profile,file,entry,non_opposition\n"
        + "2025-06-02T09:15:00,u-1,T1,F0000001,known_number,true\n" * 50
    )
    (tmp_path / "log.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "log.csv.gz").write_bytes(gzip.compress(rows.encode(), mtime=0))
    reports = []
    for name in ("log.csv", "log.csv.gz"):
        (tmp_path / f"s-{name}.yaml").write_text(
            base + f"consultations: {{file: {name}}}\n", encoding="utf-8"
        )
        run = run_cli(
            ["check", "--as-of", AS_OF, "--format", "json", f"s-{name}.yaml"],
            tmp_path,
            DEFAULT_TIMEOUT,
            DEFAULT_MAX_RSS_MB,
            [],
        )
        assert run.code in (0, 1), run.stderr
        report = json.loads(run.stdout)
        report["snapshot"]["file"] = ""
        for finding in report["findings"]:
            finding["location"]["file"] = ""
        reports.append(report)
    assert reports[0] == reports[1]


# -- what the command line cannot reach on purpose
# ------------------------------------------------------


def test_a_memory_failure_reading_a_parquet_log_is_not_called_corrupt(tmp_path, monkeypatch):
    """A sound file on a machine short of memory: the line says memory, never « corrupt »."""
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cdap_policy.logs.columnar.reader import batches
    from cdap_policy.support.errors import InputError

    path = tmp_path / "log.parquet"
    pq.write_table(
        pa.table({"at": ["2025-06-02"] * 3, "user": ["u-1"] * 3, "profile": ["T1"] * 3}), path
    )
    for failure in (MemoryError(), pa.ArrowMemoryError("malloc of size 209715200 failed")):

        def explode(self, *args, failure=failure, **kwargs):
            raise failure
            yield  # a generator, like the real one

        monkeypatch.setattr(pq.ParquetFile, "iter_batches", explode)
        with pytest.raises(InputError) as caught:
            list(batches(path, "log.parquet", "parquet"))
        line = caught.value.problems[0].render("en")
        assert line.startswith("log.parquet:1: out of memory") and "corrupt" not in line, line
        assert "corrompu" not in caught.value.problems[0].render("fr")


@functools.lru_cache(maxsize=1)
def _report_dicts() -> list[dict]:
    """Reports as the checker writes them: every fixture, passes included, a waiver file, a
    baseline, a checklist.
    """
    from helpers import FIXTURES, pack

    from cdap_policy.pipeline.check import CheckOptions, check_snapshot
    from cdap_policy.report import reportfile, waivers

    year1, year2 = (
        FIXTURES / "annual-review" / "ccas-year1.yaml",
        FIXTURES / "annual-review" / "ccas-year2.yaml",
    )
    reports = [
        check_snapshot(pack(), path, CheckOptions(as_of=AS_OF, include_passed=True)).to_dict(True)
        for path in sorted(FIXTURES.glob("*.yaml"))
    ]
    first = check_snapshot(pack(), year1, CheckOptions(as_of="2025-06-30")).to_dict()
    second = check_snapshot(
        pack(),
        year2,
        CheckOptions(
            as_of="2026-06-30",
            baseline=[first],
            baseline_file="y1.json",
            waivers=waivers.load(FIXTURES / "annual-review" / "ccas-year2-waivers.yaml"),
            redact=True,
            redact_key="k",
        ),
    ).to_dict()
    stage = check_snapshot(
        pack(), year1, CheckOptions(as_of="2025-06-30", stage="pre-signature")
    ).to_dict()
    reports += [first, stage, second]
    for report in reports:
        reportfile.parse(json.dumps(report), "report.json")  # raises on any field of the wrong type
    return reports


@pytest.mark.slow
def test_every_report_the_checker_writes_satisfies_the_report_schema():
    reports = _report_dicts()
    assert any(f.get("waiver") for r in reports for f in r["findings"]) and any(
        r.get("checklist") for r in reports
    )
    assert any(f.get("baseline_state") for r in reports for f in r["findings"])


@pytest.mark.slow
def test_the_fast_report_verdict_is_jsonschemas(tmp_path):
    """schema.fast_validator says valid exactly when jsonschema does, on reports with one value
    replaced, at every path, by a value of every JSON type."""
    import copy
    import random

    from cdap_policy.load.schema import fast_validator, validator

    fast, slow = fast_validator("report.schema.json"), validator("report.schema.json")
    report = _report_dicts()[-1]
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node[:3]):
                walk(value, path + (index,))

    walk(report, ())
    values = [
        None,
        True,
        0,
        7,
        -1,
        1.5,
        2.0,
        "",
        "x" * 300,
        "2025-02-30",
        "critical",
        [],
        ["a"],
        [1],
        {},
        {"fr": 1},
    ]
    rng = random.Random(19)
    checked = 0
    for path in rng.sample(paths[1:], min(len(paths) - 1, 60)):
        for value in values:
            mutated = copy.deepcopy(report)
            node = mutated
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value
            assert fast(mutated) == slow.is_valid(mutated), (path, value)
            checked += 1
    assert checked >= 900 and fast(report) and slow.is_valid(report)
    assert fast([report]) is False and slow.is_valid([report]) is False

"""One pass over a snapshot's consultations, judged by the rules' judges and counted per day; and
the consultations row by row, whatever the log's format (`iter_consultations`, `read_log`).

A log file is read column-wise when pyarrow is installed (extra `logs`, cdap_policy/logs/columnar/);
inline consultations, an irregular or invalid log, or no pyarrow: row by row. Both give the same
`Tally`. The log is read even when no judge is given: a truncated or corrupt log is an input error,
not a pass, and the same pass counts the daily volumes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from cdap_policy.logs.rows import fail, log_format, read_lines
from cdap_policy.logs.tally import (
    Activation,
    DailyVolumes,
    Judge,
    LazyActivation,
    RowFacts,
    Tally,
    UserTally,
)
from cdap_policy.support.i18n import tr


def scan(snapshot, judges: Sequence[Judge], facts: RowFacts, activation: Activation) -> Tally:
    """The snapshot's consultations judged by each of `judges` and counted per user and day."""
    result = by_columns(snapshot, judges, facts, activation)
    return result if result is not None else by_rows(snapshot, judges, facts, activation)


def daily_volumes(snapshot, facts: RowFacts) -> DailyVolumes:
    """The consultations per user and day, when no rule is judged (the pass gives them too)."""
    return scan(snapshot, (), facts, _no_activation).daily


def _no_activation(row, facts) -> dict:
    raise AssertionError("no judge, no activation")


def by_columns(
    snapshot, judges: Sequence[Judge], facts: RowFacts, activation: Activation
) -> Tally | None:
    """The column-wise pass, or None where the row pass must run (inline consultations, no pyarrow,
    an irregular or invalid log)."""
    # only a log file is read column-wise: a snapshot without one must not pay pyarrow's import
    if not isinstance(snapshot.data.get("consultations"), dict):
        return None
    from cdap_policy.logs import columnar

    if not columnar.available():
        return None
    from cdap_policy.logs.columnar.groups import tally_columns

    return tally_columns(snapshot, judges, facts, activation)


def by_rows(snapshot, judges: Sequence[Judge], facts: RowFacts, activation: Activation) -> Tally:
    """The row pass: every row validated, judged by every judge, counted."""
    users: list[dict[str, UserTally]] = [{} for _ in judges]
    verdicts = [judge.verdict for judge in judges]
    daily = DailyVolumes()
    for file, line, row in iter_consultations(snapshot):
        daily.add(str(row["user"]), row["at"][:10], file, line)
        if not judges:
            continue
        row_facts = facts(row)
        act = LazyActivation(activation, row, row_facts)
        user = str(row.get("user"))
        for index, verdict in enumerate(verdicts):
            status, error = verdict(row, row_facts, act)
            tally = users[index].get(user)
            if tally is None:
                tally = users[index][user] = UserTally()
            tally.counts[status] += 1
            if status in ("fail", "error"):
                tally.offending(status, file, line, row, error)
    return Tally(tuple(users), daily)


def iter_consultations(snapshot) -> Iterator[tuple[str, int, dict]]:
    """(file, line, row) for every consultation of the snapshot, inline or in a referenced log."""
    ref = snapshot.data.get("consultations")
    if ref is None:
        return
    if isinstance(ref, list):
        for index, row in enumerate(ref):
            yield snapshot.file, snapshot.line_of(("consultations", index)), row
        return
    path = snapshot.consultation_log()
    display = snapshot.log_display
    for line, row in read_log(path, display, ref.get("format")):
        yield display, line, row


def read_log(
    path: Path, display: str, declared_format: str | None = None
) -> Iterator[tuple[int, dict]]:
    """Yield (line, row) for each consultation in the file, row by row."""
    fmt = log_format(path, declared_format)
    if fmt == "parquet":  # no lines: a row's number stands for its line
        yield from _read_parquet(path, display)
        return
    yield from read_lines(path, display, fmt)


def _read_parquet(path: Path, display: str) -> Iterator[tuple[int, dict]]:
    from cdap_policy.logs import columnar

    if not columnar.available():
        fail(
            display,
            None,
            "",
            tr(
                "lire un journal Parquet demande pyarrow : pip install '.[logs]'",
                "reading a Parquet log needs pyarrow: pip install '.[logs]'",
            ),
        )
    from cdap_policy.logs.columnar.groups import iter_parquet

    yield from iter_parquet(path, display)

"""What a pass over the consultation log gives back, whichever reader made it: per rule and user a
`UserTally`, per user and day a count (`DailyVolumes`), both in one `Tally`.

This is the one place that says what is kept of a rule's judgement of a user's rows (counts per
status, the first failing-or-error row, the first failing row and its values, the first error,
the first SAMPLE_ROWS failing-or-error rows) and of a day's volume (count, first row): the row
reader feeds it row by row, the column-wise reader batch by batch, and both give the same Tally,
hence the same report (tests/test_columnar.py).

A rule takes part as a `Judge`: the log never imports the runner, the runner hands it its rules'
judges and the facts of a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

STATUSES = ("pass", "fail", "error", "not_applicable")  # what a judge says of one row
SAMPLE_ROWS = 5  # failing-or-error rows kept per rule and user, in file order

Row = dict  # a consultation as the row reader validates it (logs.rows.normalise): field -> value
Error = str | dict | None  # why a row could not be judged: a text, or a {fr, en} text


# A rule's judgement of one row: (row, its facts, its activation) -> (status, error)
Verdict = Callable[[Row, dict, Callable[[], dict]], tuple[str, Error]]


class Judge(Protocol):
    """One rule as the log sees it. `verdict(row, facts, activation)` is its judgement of one row:
    (status, error), status one of STATUSES, `activation()` what expressions read for this row
    (built on first use, shared by every judge of the row). `entity_fields` and `fact_fields` are
    the row's fields and facts it reads ("*" among them: the whole row): rows that agree on them
    get the same status, which is how the column-wise reader judges a combination once for many
    rows."""

    entity_fields: tuple[str, ...]
    fact_fields: tuple[str, ...]
    whole: bool  # reads the whole row or all its facts: judged row by row
    verdict: Verdict


# The facts of a row (what it says of its user on its day). The column-wise reader computes them
# once per distinct user, profile and day: they may read nothing else of the row.
RowFacts = Callable[[Row], dict]
# What expressions read for a row and its facts (the snapshot's variables, `entity`, `facts`).
Activation = Callable[[Row, dict], dict]


class LazyActivation:
    """A row's activation, built by `build(*args)` on the first judge's call only: most rules
    decide on cached values and never need it (nor, column-wise, the row and facts it is built
    from). One object per row: the row pass makes a million of them for a million rows."""

    __slots__ = ("_build", "_args", "_value")

    def __init__(self, build: Callable[..., dict], *args):
        self._build, self._args = build, args
        self._value: dict | None = None

    def __call__(self) -> dict:
        if self._value is None:
            self._value = self._build(*self._args)
        return self._value


@dataclass
class UserTally:
    """One rule's judgement of one user's rows, fed in file order."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))  # status -> rows
    first: tuple[str, int] | None = None  # (file, line) of the first failing-or-error row
    first_fail: tuple[str, int] | None = None  # (file, line) of the first failing row
    fail_row: dict | None = None  # that row's values, with its line
    error_text: Error = None  # why the first row that could not be judged could not
    samples: list = field(
        default_factory=list
    )  # the first SAMPLE_ROWS failing-or-error rows, with their lines

    def offending(
        self, status: str, file: str, line: int, row: Row | Callable[[], Row], error: Error = None
    ) -> None:
        """A failing or error row (`status`; an error row has its `error`), the user's rows taken in
        file order. `row` may be a function giving the row: it is called only when the row is kept.
        A reader handing rows batch by batch may leave out those that change nothing: a row that
        is neither among the user's first SAMPLE_ROWS failing-or-error rows of its batch nor the
        user's first of its status in the batch."""
        if self.first is None:
            self.first = (file, line)
        if status == "error" and self.error_text is None:
            self.error_text = error
        if status == "fail" and self.first_fail is None:
            self.first_fail = (file, line)
            self.fail_row = {"line": line, **(row() if callable(row) else row)}
        if len(self.samples) < SAMPLE_ROWS:
            self.samples.append({"line": line, **(row() if callable(row) else row)})

    @property
    def status(self) -> str:
        """The user's outcome: a proven failure is one, with the rows not judged beside it; rows
        that could not be judged alone are an error, never a pass."""
        counts = self.counts
        return (
            "fail"
            if counts["fail"]
            else "error"
            if counts["error"]
            else "pass"
            if counts["pass"]
            else "not_applicable"
        )

    @property
    def checked(self) -> int:
        """Rows the rule applied to (judged or not)."""
        return self.counts["pass"] + self.counts["fail"] + self.counts["error"]


class DailyVolumes:
    """Consultations per user and day: the count and the first row of each."""

    def __init__(self):
        self._counts: dict[tuple[str, str], list] = {}

    def add(self, user: str, day: str, file: str, line: int) -> None:
        """One consultation by `user` on `day`, at `file`:`line` (the row reader, row by row)."""
        self.add_many((user,), (day,), file, (line,), (1,))

    def add_many(self, users, days, file: str, lines, counts) -> None:
        """`counts[i]` consultations by `users[i]` on `days[i]`, the first of them at
        `file`:`lines[i]`, each (user, day) once (the column-wise reader, batch by batch). Called
        in file order, so the first call for a (user, day) names its first row."""
        store = self._counts
        get = store.get  # bound once: a log of a million rows has some 100,000 (user, day) pairs
        for key, line, rows in zip(zip(users, days, strict=True), lines, counts, strict=True):
            entry = get(key)
            if entry is None:
                store[key] = [rows, file, line]
            else:
                entry[0] += rows

    def __iter__(self):
        """(user, day, count, file, line), by user and day."""
        for (user, day), (count, file, line) in sorted(self._counts.items()):
            yield user, day, count, file, line

    def __len__(self) -> int:
        return len(self._counts)


@dataclass(frozen=True)
class Tally:
    """A whole log judged: per judge, in the order given, user -> UserTally; and
    the daily volumes.
    """

    users: tuple[Mapping[str, UserTally], ...]
    daily: DailyVolumes

"""The consultation log, in one place: read (row by row, or column-wise with pyarrow), validated,
judged by the rules' judges and tallied per rule and user, and counted per user and day. The second
step of the data path (load → logs → evaluate → report → formatters → cli).

`scan(snapshot, judges, facts, activation)` gives a `Tally` whichever reader read the log; the
runner hands it one `Judge` per consultation rule and never sees a reader, and nothing here
imports the runner or the facts of a snapshot: a row's facts and what an expression reads are
handed in as functions.

- `tally`: the contract (Judge, UserTally, DailyVolumes, Tally), and what is kept of a row;
- `read`: one pass over the log (`scan`) and the choice of reader; the rows whatever the format;
- `rows`: the row reader of CSV and JSON Lines, and the validation of a row (`normalise`);
- `columnar/`: the column-wise reader (extra `logs`), which gives the same Tally.
"""

from cdap_policy.logs.read import daily_volumes, iter_consultations, read_log, scan
from cdap_policy.logs.tally import (
    SAMPLE_ROWS,
    STATUSES,
    DailyVolumes,
    Judge,
    Tally,
    UserTally,
    Verdict,
)

__all__ = [
    "DailyVolumes",
    "Judge",
    "SAMPLE_ROWS",
    "STATUSES",
    "Tally",
    "UserTally",
    "Verdict",
    "daily_volumes",
    "iter_consultations",
    "read_log",
    "scan",
]

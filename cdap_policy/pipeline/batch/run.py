"""One batch from start to end: every snapshot checked (`pool`), each report written as it
comes (`sinks`) and added to the summary, an output that turns out to be one of the files read
refused before anything is written, and nothing half-written left behind on any failure.
"""

from __future__ import annotations

from cdap_policy.pipeline.batch import pool
from cdap_policy.pipeline.batch.summary import Summary
from cdap_policy.support import output as out


def check_batch(
    paths: list,
    setup: pool.Setup,
    jobs: int,
    sink,
    outputs=(),
    pack_loader=None,
    on_done=None,
    on_unreadable=None,
) -> Summary:
    """Check `paths` into `sink` and return the summary; `sink.finish` is left to the caller
    (after its deadline). `on_unreadable(outcome)` is called for each snapshot that could not be
    checked, in input order; the project's own files met on the way are listed in the summary's
    `skipped`. Raises InputError when one of `outputs` is a file a snapshot read."""
    summary = Summary()
    try:
        for outcome in pool.run(paths, setup, jobs, pack_loader=pack_loader, on_done=on_done):
            read = (*outcome.pack_files, *outcome.inputs)
            for target in outputs:
                out.refuse_inputs(target, read)
            if outcome.checked:
                sink.add(outcome)
                summary.add(outcome.digest)
                continue
            if outcome.skipped:
                summary.add_skipped(outcome.path, outcome.skipped)
                continue
            summary.add_unreadable(outcome.path, outcome.problems, outcome.exit_code)
            sink.add_unreadable(outcome)
            if on_unreadable is not None:
                on_unreadable(outcome)
    except BaseException:  # Ctrl-C, --timeout, a broken pool, a refused output
        sink.abort()
        raise
    return summary

"""Evaluate: a pack's rules run on one snapshot at one date, giving a Report of Findings.

`facts` turns the snapshot into what rules read (collections of entities and the facts computed
once for them); `runner` evaluates each rule over its collection, and hands the consultation
rules to the log (`logs.scan`) as judges; `findings` holds what comes out (Finding, Report:
plain values, fingerprints, exit codes). The findings live here rather than in `report`
because the runner makes them: every later layer reads them, no earlier one does.
"""

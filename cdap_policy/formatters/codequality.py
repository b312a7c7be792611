"""GitLab Code Quality report (`artifacts:reports:codequality`): the findings GitLab shows in a
merge request's widget and diff, new ones against the target branch's report.

GitLab reads a JSON array of CodeClimate issues, of which it uses `description`, `check_name`,
`fingerprint`, `severity` and `location.path` / `location.lines.begin`. Failures and errors are
issues (an error, a rule that could not be evaluated, is a blocker: never a pass); waived
findings are not (GitLab has no suppressions). A snapshot that could not be read is a blocker
issue on its file and line. Fingerprints are unique in the report and stable across runs: the
finding's own (rule and entity key) with the snapshot's path.
"""

from __future__ import annotations

import json

from cdap_policy.formatters import common as c
from cdap_policy.support.i18n import pick
from cdap_policy.support.textsafe import printable

SHOWS_UNREADABLE = True
# our severities -> CodeClimate's (info, minor, major, critical, blocker)
SEVERITY = {
    "critical": "blocker",
    "high": "critical",
    "medium": "major",
    "low": "minor",
    "info": "info",
}
UNREADABLE_CHECK = f"{c.TOOL_NAME}/unreadable-snapshot"
MAX_DESCRIPTION = 2000


def render(reports: list, options) -> str:
    issues = []
    for report in reports:
        for finding in report.listed():
            if finding.status in ("fail", "error"):
                issues.append(issue(finding, options))
    for unreadable in options.unreadable:
        path = c.plain_path(unreadable.file, options.srcroot)
        issues.append(
            {
                "type": "issue",
                "check_name": UNREADABLE_CHECK,
                "description": printable(
                    " ".join(pick(unreadable.message, options.lang).split()), MAX_DESCRIPTION
                ),
                "categories": ["Bug Risk"],
                "severity": "blocker",
                "fingerprint": c.located_fingerprint(UNREADABLE_CHECK, path),
                "location": {"path": path, "lines": {"begin": unreadable.line}},
            }
        )
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def issue(finding, options) -> dict:
    path = c.plain_path(finding.file, options.srcroot)
    message = " ".join(pick(finding.message, options.lang).split())
    remediation = " ".join(pick(finding.remediation, options.lang).split())
    body = [
        message,
        f"{c.colon(c.REMEDIATION, options.lang)} {remediation}" if remediation else "",
        (
            f"{c.colon(c.REFERENCES, options.lang)} {c.references_text(finding.references)}"
            if finding.references
            else ""
        ),
    ]
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": printable(f"[{finding.rule_id}] {message}", MAX_DESCRIPTION),
        "content": {
            "body": printable("\n\n".join(part for part in body if part), 4000, keep_newlines=True)
        },
        "categories": ["Security"],
        "severity": (
            "blocker" if finding.status == "error" else SEVERITY.get(finding.severity, "info")
        ),
        "fingerprint": c.located_fingerprint(finding.fingerprint, path),
        "location": {"path": path, "lines": {"begin": c.line_of(finding)}},
    }

"""GitHub Actions workflow commands: one annotation per finding (`::error file=…,line=…::…`),
which GitHub shows on the pull request's changed lines and in the run's summary, without the
code-scanning upload (and so without `security-events: write`).

Critical and high failures and errors are `error`, medium `warning`, low and info `notice`;
waived findings are not annotated, and failures a baseline already knew (--baseline) are
`notice`s marked known: they do not fail the job. GitHub keeps 10 annotations of each level per step
(50 per
job): they are written most severe first, every one stays in the log, and a last plain line
counts them. A snapshot that could not be read is an `error` on its file and line.
"""

from __future__ import annotations

from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.formatters import common as c
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

SHOWS_UNREADABLE = True
LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}
SHOWN_PER_LEVEL = 10  # GitHub's annotations per level and step


def data(text: str) -> str:
    """A command's message: %, CR and LF escaped (GitHub turns %0A back into a line break)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def prop(text: str) -> str:
    """A command's property value: also `:` and `,`, which end a property."""
    return data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, path: str, line: int, title: str, message: str) -> str:
    return f"::{level} file={prop(path)},line={line},title={prop(title)}::{data(message)}"


def _known(finding) -> bool:
    """A failure the baseline (--baseline) already held: it does not count for the exit code."""
    return finding.status == "fail" and finding.baseline_state in ("unchanged", "updated")


def render(reports: list, options) -> str:
    lang = options.lang
    findings = [f for report in reports for f in report.listed() if f.status in ("fail", "error")]
    findings.sort(
        key=lambda f: (
            0 if f.status == "error" else 1 + SEVERITY_RANK[f.severity] + 10 * _known(f),
            f.file,
            c.line_of(f),
            f.rule_id,
        )
    )
    lines, levels = [], {"error": 0, "warning": 0, "notice": 0}
    for unreadable in options.unreadable:
        path = c.plain_path(unreadable.file, options.srcroot)
        text = printable(pick(unreadable.message, lang), 4000, keep_newlines=True)
        lines.append(
            command(
                "error",
                path,
                unreadable.line,
                pick(tr("instantané illisible", "unreadable snapshot"), lang),
                text,
            )
        )
        levels["error"] += 1
    for finding in findings:
        path = c.plain_path(finding.file, options.srcroot)
        level = (
            "error"
            if finding.status == "error"
            else "notice"
            if _known(finding)
            else LEVEL.get(finding.severity, "notice")
        )
        levels[level] += 1
        severity = pick(c.SEVERITY_NAMES.get(finding.severity), lang)
        status = pick(c.STATUS_NAMES["error"], lang) if finding.status == "error" else severity
        if _known(finding):
            status += ", " + pick(tr("connu", "known"), lang)
        body = [printable(pick(finding.message, lang), 4000)]
        remediation = pick(finding.remediation, lang)
        if remediation:
            body.append(f"{c.colon(c.REMEDIATION, lang)} {printable(remediation, 4000)}")
        if finding.references:
            body.append(f"{c.colon(c.REFERENCES, lang)} {c.references_text(finding.references)}")
        title = f"{finding.rule_id} ({status}) — {c.entity_text(finding)}"
        lines.append(
            command(level, path, c.line_of(finding), printable(title, 300), "\n".join(body))
        )
    over = {k: n for k, n in levels.items() if n > SHOWN_PER_LEVEL}
    total = sum(levels.values())
    summary = tr(
        f"cdap-policy : {total} annotation(s) ({levels['error']} erreur(s), {levels['warning']}"
        f" avertissement(s), {levels['notice']} note(s)) pour {len(reports)} instantané(s)",
        f"cdap-policy: {total} annotation(s) ({levels['error']} error(s), {levels['warning']}"
        f" warning(s), {levels['notice']} notice(s)) for {len(reports)} snapshot(s)",
    )
    text = pick(summary, lang)
    if over:
        text += pick(
            tr(
                f" ; GitHub n'en affiche que {SHOWN_PER_LEVEL} de chaque niveau par étape, les plus"
                " graves en premier : toutes sont dans le journal ci-dessus (--format sarif pour"
                " l'analyse de code)",
                f"; GitHub shows only {SHOWN_PER_LEVEL} of each level per step, most severe first:"
                " all of them are in the log above (--format sarif for code scanning)",
            ),
            lang,
        )
    return "\n".join(lines + [text]) + "\n"

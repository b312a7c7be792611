"""The auditor's path: a snapshot (or a zip of a folder of them) in, the report out; two JSON
reports in, their diff out. Uploads go to a private temporary folder removed before the page
is sent; the pack is the one the server loaded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cdap_policy.report.redact import (
    mask_problem,
)  # personal values masked in every error line, as on the command line
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import pick, tr


@dataclass
class Checked:
    refused: str = ""
    reports: list = field(default_factory=list)  # views.report_view of each snapshot
    problems: list = field(default_factory=list)  # lines of snapshots that could not be read
    json_uri: str = ""
    html_uri: str = ""


@dataclass
class Compared:
    refused: str = ""
    view: dict = field(default_factory=dict)


def check_upload(
    env, name: str, data: bytes, as_of: str | None, redact: bool, lang: str
) -> Checked:
    from cdap_policy import formatters
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.pipeline.batch.discover import discover
    from cdap_policy.pipeline.check import CheckOptions, check_loaded
    from cdap_policy.web import security
    from cdap_policy.web.draft import today
    from cdap_policy.web.uploads import SNAPSHOT_SUFFIXES, data_uri, private_folder, safe_name
    from cdap_policy.web.views import report_view

    if len(data) > security.MAX_REQUEST_BYTES:
        return Checked(refused=pick(tr("fichier trop volumineux", "file too large"), lang))
    is_zip = name.lower().endswith(".zip")
    safe = safe_name(name, (".zip",) if is_zip else SNAPSHOT_SUFFIXES)
    if safe is None:
        return Checked(
            refused=pick(
                tr(
                    "déposez un instantané .yaml, .yml ou .json, ou une archive .zip",
                    "upload a .yaml, .yml or .json snapshot, or a .zip archive",
                ),
                lang,
            )
        )
    options = CheckOptions(
        as_of=as_of or today(),
        as_of_source="option" if as_of else "today",
        redact=redact,
        redact_key=env.options.redact_key,
        find_waivers=True,
    )
    out = Checked()
    reports = []
    with private_folder() as folder:
        root = Path(folder)
        if is_zip:
            try:
                security.extract_zip(data, root)
            except security.ZipRefused as exc:
                return Checked(refused=pick(exc.args[0], lang))
            paths, problems = discover([root])
            out.problems += [mask_problem(p).render(lang) for p in problems]
        else:
            (root / safe).write_bytes(data)
            paths = [root / safe]
        if not paths and not out.problems:
            return Checked(
                refused=pick(
                    tr(
                        "aucun instantané (.yaml, .yml, .json) dans l'archive",
                        "no snapshot (.yaml, .yml, .json) in the archive",
                    ),
                    lang,
                )
            )
        for path in paths:
            display = path.relative_to(root).as_posix()
            try:
                snapshot = load_snapshot(path, display=display)
                report = check_loaded(env.pack, snapshot, options)
            except InputError as exc:
                out.problems += [mask_problem(p).render(lang) for p in exc.problems[:20]]
                continue
            reports.append(report)
            out.reports.append(report_view(env.pack, report, snapshot, lang, explain=not redact))
    if reports:
        fmt = formatters.FormatOptions(lang=lang)
        out.json_uri = data_uri(
            formatters.render("json", reports[:1] if len(reports) == 1 else reports, fmt),
            "application/json",
        )
        out.html_uri = data_uri(formatters.render("html", reports, fmt), "text/html")
    return out


def compare_uploads(files: list, force: bool, lang: str) -> Compared:
    from cdap_policy.formatters import diff_text as d
    from cdap_policy.report import reportfile
    from cdap_policy.report.diff import diff_reports

    loaded = []
    for name, data in files:
        display = Path(str(name).replace("\\", "/")).name[:120]
        try:
            reports = reportfile.parse(data.decode("utf-8-sig"), display)
        except UnicodeDecodeError:
            return Compared(
                refused=pick(
                    tr(
                        f"{display} : ce n'est pas un rapport JSON (UTF-8)",
                        f"{display}: not a JSON report (UTF-8)",
                    ),
                    lang,
                )
            )
        except InputError as exc:
            return Compared(
                refused="; ".join(mask_problem(p).render(lang) for p in exc.problems[:3])
            )
        if len(reports) != 1:
            return Compared(
                refused=pick(
                    tr(
                        f"{display} : un rapport d'un seul partenaire est attendu ({len(reports)}"
                        " trouvés)",
                        f"{display}: a report of one partner is expected ({len(reports)} found)",
                    ),
                    lang,
                )
            )
        loaded.append((display, reports[0]))
    try:
        diff = diff_reports(loaded[0][1], loaded[1][1], loaded[0][0], loaded[1][0], force=force)
    except InputError as exc:
        return Compared(refused="; ".join(mask_problem(p).render(lang) for p in exc.problems[:3]))
    classes = diff.classes()
    sections = []
    for name in d.ORDER:
        items = []
        for item in classes[name]:
            finding = item["after"] if name == "updated" else item
            items.append(
                {
                    "severity": finding.get("severity", "info"),
                    "status": d.severity_status(finding, lang),
                    "rule": finding.get("rule_id", ""),
                    "entity": f"{d.entity_text(finding)} ({d.location_text(finding)})",
                    "message": d.message_text(finding, lang),
                    "change": d.change_text(item, lang) if name == "updated" else "",
                }
            )
        sections.append({"name": name, "title": pick(d.HEADINGS[name], lang), "entries": items})
    view = {
        "partner": d.partner_line(diff, lang),
        "sides": [d.side_line(diff, side, lang) for side in ("old", "new")],
        "notices": d.notice_lines(diff, lang),
        "summary": d.summary_line(diff, lang),
        "families": d.family_rows(diff, lang),
        "family_head": [pick(c, lang) for c in d.COLUMNS["family"]],
        "sections": sections,
        "json": json.dumps(diff.to_dict(), ensure_ascii=False)[:0],
    }
    return Compared(view=view)

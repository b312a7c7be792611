"""Helpers shared by the SARIF, JUnit, Markdown, HTML and OSCAL formatters: labels in both
languages, severity maps, repository-relative paths, references and evidence as text."""

from __future__ import annotations

import json
import os
import re
from pathlib import PurePosixPath
from urllib.parse import quote

from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

TOOL_NAME = "cdap-policy"
# The project's public address: where a SARIF viewer sends a user who clicks the tool's name;
# pyproject's [project.urls], the schemas' $id and the CI examples name the same
# (tests/test_packaging.py).
INFORMATION_URI = "https://github.com/cdap-policy/cdap-policy"

# GitHub code scanning: critical/high are errors, medium a warning, low and info notes
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub reads this as a string; a number makes the upload fail. Info has none.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}

FAMILY_ORDER = ("ELIG", "QUOTA", "SCOPE", "RET", "SUB", "GOV", "COORD")
FAMILY_NAMES = {
    "ELIG": tr("Éligibilité des profils", "Profile eligibility"),
    "QUOTA": tr("Quotas d'utilisateurs", "User quotas"),
    "SCOPE": tr("Périmètre des consultations", "Scope of consultations"),
    "RET": tr("Durées de conservation", "Retention periods"),
    "SUB": tr("Sous-traitance", "Subcontracting"),
    "GOV": tr("Gouvernance et habilitations", "Governance and habilitations"),
    "COORD": tr("Coordination du contrôle (T19)", "Control coordination (T19)"),
}


class Words:
    """A page's words as a template reads them, `t.name`. Jinja reads `x.name` as an attribute
    before an item, so on a dict `t.values` or `t.items` would be the dict's method, printed as
    « <built-in method values of dict object> »: here every word is an attribute, whatever its name.
    """

    def __init__(self, words: dict):
        self.__dict__.update(words)

    def __getitem__(self, name: str):  # t[name], for a word chosen at render time
        return self.__dict__[name]


STATUS_NAMES = {
    "fail": tr("échec", "fail"),
    "error": tr("erreur", "error"),
    "waived": tr("dérogé", "waived"),
    "pass": tr("conforme", "pass"),
    "not_applicable": tr("non applicable", "not applicable"),
}
SEVERITY_NAMES = {
    "critical": tr("critique", "critical"),
    "high": tr("élevée", "high"),
    "medium": tr("moyenne", "medium"),
    "low": tr("faible", "low"),
    "info": tr("info", "info"),
}
BASELINE_NAMES = {
    "new": tr("nouveau", "new"),
    "unchanged": tr("inchangé", "unchanged"),
    "updated": tr("modifié", "updated"),
}
FRAMEWORK_NAMES = {
    "mon_compte_partenaire": tr(
        "« Mon Compte Partenaire » (CDAP)", "« Mon Compte Partenaire » (CDAP)"
    ),
    "cafpro": tr("CAFPRO", "CAFPRO"),
}
STAGE_ALL = tr("toutes", "all")
EXCLUSION_NAMES = {  # why a rule of the pack did not run (Report.rules_excluded)
    "framework": tr("autre cadre conventionnel", "other framework"),
    "edition": tr("autre édition du bulletin", "other bulletin edition"),
    "stage": tr("autre étape", "other stage"),
    "selection": tr("non sélectionnées", "not selected"),
    "configuration": tr("écartées par la configuration", "skipped by the configuration"),
}
WAIVER_FIELDS = (
    ("approved_by", tr("approuvée par", "approved by")),
    ("approved_on", tr("le", "on")),
    ("expires_on", tr("expire le", "expires on")),
    ("ticket", tr("référence", "ticket")),
    ("justification", tr("justification", "justification")),
)
REMEDIATION = tr("Action", "Action")
REFERENCES = tr("Références", "References")
NOT_APPLICABLE_REASON = tr(
    "non applicable : la règle ne concerne pas cette entité à cette date",
    "not applicable: the rule does not concern this entity on this date",
)

_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def family_name(family: str, lang: str) -> str:
    return pick(FAMILY_NAMES.get(family), lang) or family


def family_rank(family: str) -> tuple:
    return (FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER), family)


def by_family(findings) -> list[tuple[str, list]]:
    """(family, findings) in the pack's order of families, findings kept in their order."""
    groups: dict[str, list] = {}
    for finding in findings:
        groups.setdefault(finding.family or "—", []).append(finding)
    return sorted(groups.items(), key=lambda item: family_rank(item[0]))


def related_groups(findings) -> list[list]:
    """Findings grouped with those they share a cause with (`related`), each group in the order of
    its first finding, so that an auditor reads one problem once."""
    by_fp = {f.fingerprint: f for f in findings}
    order = {
        f.fingerprint: i for i, f in enumerate(findings)
    }  # once: a 400-user report lists ~10,000 passes
    seen, groups = set(), []
    for finding in findings:
        if finding.fingerprint in seen:
            continue
        group, todo = [], [finding]
        while todo:
            current = todo.pop()
            if current.fingerprint in seen:
                continue
            seen.add(current.fingerprint)
            group.append(current)
            todo += [by_fp[fp] for fp in current.related if fp in by_fp and fp not in seen]
        groups.append(sorted(group, key=lambda f: order[f.fingerprint]))
    return groups


def generic(text: str) -> str:
    """A rule's template without its placeholders (`{missing}` → `…`): rule help describes every
    finding of the rule, not one."""
    return _PLACEHOLDER.sub("…", text or "")


def reference_text(ref: dict) -> str:
    text = " ".join(part for part in (ref.get("document"), ref.get("article")) if part)
    return f"{text} ({ref['source']})" if ref.get("source") else text


def references_text(refs, sep: str = " ; ") -> str:
    return sep.join(reference_text(r) for r in refs)


def line_of(finding) -> int:
    """A 1-based line: an entity the loader could not place points at the top of its file."""
    line = finding.line
    return line if isinstance(line, int) and line >= 1 else 1


def relative_path(path: str, srcroot: str | None) -> tuple[str, bool]:
    """(`path` relative to the repository root with forward slashes, True) when it is inside it;
    (a file URI, False) otherwise. Without a root, a relative path is kept as given."""
    path = str(path)
    if srcroot is None:
        if os.path.isabs(path):
            return PurePosixPath(os.path.normpath(path).replace(os.sep, "/")).as_uri(), False
        return os.path.normpath(path).replace(os.sep, "/"), True
    absolute = os.path.normpath(os.path.abspath(path))
    root = os.path.normpath(os.path.abspath(srcroot))
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:  # another drive (Windows)
        inside = False
    if inside:
        return os.path.relpath(absolute, root).replace(os.sep, "/"), True
    return PurePosixPath(absolute.replace(os.sep, "/")).as_uri(), False


def plain_path(path: str, srcroot: str | None) -> str:
    """`path` relative to the repository root when inside it, else absolute: what a CI annotation
    or a Code Quality location names (they take paths, not URIs)."""
    relative, inside = relative_path(path, srcroot)
    return relative if inside else os.path.abspath(str(path)).replace(os.sep, "/")


def uri_to_path(path: str) -> str:
    """A path as a person reads it: a file URI back to the path it names."""
    from urllib.parse import unquote, urlparse

    text = str(path)
    return unquote(urlparse(text).path) if text.startswith("file://") else text


def shown_path(path: str, srcroot: str | None) -> str:
    """A snapshot's path on a page people read: relative to the root when inside it, else as is."""
    return uri_to_path(relative_path(path, srcroot)[0])


def uri_of(relative: str) -> str:
    """A relative path as a URI reference (spaces and « # » percent-encoded)."""
    return quote(relative, safe="/-._~")


def root_uri(srcroot: str) -> str:
    uri = PurePosixPath(os.path.abspath(srcroot).replace(os.sep, "/")).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def entity_text(finding) -> str:
    return f"{finding.entity_kind} {finding.entity_key}"


def entity_words(finding, lang: str = "fr") -> str:
    """What a finding is about, in words for a page people read: « utilisateur u-04 », « profil T1
    », « partenaire » (never « partner partner »); machine formats keep entity_text."""
    from cdap_policy.support.labels import ENTITY_KINDS, label

    word = label(ENTITY_KINDS, finding.entity_kind, lang)
    return word if finding.entity_key == finding.entity_kind else f"{word} {finding.entity_key}"


def value_text(value, limit: int | None = 400) -> str:
    """An evidence value as one bounded line: text as is, anything else as compact JSON."""
    if isinstance(value, dict) and set(value) <= {"fr", "en"} and value:
        value = value.get("fr") or value.get("en")
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    )
    return printable(text, limit)


def evidence_items(
    evidence: dict, lang: str = "fr", limit: int | None = 400
) -> list[tuple[str, str]]:
    """(name, value) of the values a rule read, sorted by name; worded values in `lang`."""
    evidence = evidence or {}
    other = "en" if lang == "fr" else "fr"
    items = []
    for name in sorted(evidence):
        if name.endswith(f"_{other}"):
            # `reason_fr` / `reason_en`: the reader's language only, named without its
            # suffix
            continue
        value = evidence[name]
        shown = name[:-3] if name.endswith(f"_{lang}") else name
        if isinstance(value, dict) and set(value) == {"fr", "en"}:
            value = value[lang]
        items.append((printable(shown, 100), value_text(value, limit)))
    return items


def waiver_items(waiver: dict | None, lang: str) -> list[tuple[str, str]]:
    """(label, value) of a waiver's fields that are present, in a fixed order."""
    if not waiver:
        return []
    return [
        (pick(label, lang), printable(waiver[key], 2000))
        for key, label in WAIVER_FIELDS
        if waiver.get(key)
    ]


def text(value, lang: str, limit: int | None = None) -> str:
    """A {fr, en} text (or a plain value) in `lang`, control characters escaped, newlines kept."""
    return printable(pick(value, lang), limit, keep_newlines=True)


def exclusions_text(report, lang: str) -> str:
    """« autre édition du bulletin : 7 » for the rules of the pack that did not run."""
    return ", ".join(
        f"{c_name} {n}"
        for c_name, n in (
            (colon(EXCLUSION_NAMES.get(why, why), lang), n)
            for why, n in sorted((report.rules_excluded or {}).items())
            if n
        )
    )


def stage_text(report, lang: str) -> str:
    from cdap_policy.support.labels import STAGES, label

    return label(STAGES, report.stage, lang) if report.stage else pick(STAGE_ALL, lang)


def framework_text(report, lang: str) -> str:
    return pick(FRAMEWORK_NAMES.get(report.framework), lang) or report.framework


def located_fingerprint(fingerprint: str, path: str) -> str:
    """A key unique in a report over several snapshots (two may name the same user u-04) and
    stable across runs: a finding's fingerprint (rule and entity key) with its snapshot's path,
    never a line number or the text of a line."""
    import hashlib

    return hashlib.sha256(f"{path}\x1f{fingerprint}".encode()).hexdigest()


def tool_version(report) -> str:
    from cdap_policy import __version__

    return (report.tool_version if report is not None else None) or __version__


def colon(label: dict | str, lang: str) -> str:
    """« Action : » in French, "Action:" in English."""
    return pick(label, lang) + (" :" if lang == "fr" else ":")


def number(n: int, lang: str) -> str:
    """25 000 in French (narrow no-break space), 25,000 in English."""
    return f"{n:,}".replace(",", "\u202f") if lang == "fr" else f"{n:,}"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)(\d*)([#>+=.)-])")


def md_escape(value, limit: int | None = None, line_start: bool = True) -> str:
    """A value as Markdown text that renders as itself, on one line: inline markup characters are
    backslash-escaped, `&` kept literal (no entity), control characters escaped, mentions and
    bare links made inert (`unlinked`), and, for a value that starts a line, a leading block marker
    (`#`, `-`, `1.`) neutralised."""
    flat = printable(" ".join(str(value if value is not None else "").split()), limit)
    flat = unlinked(_MD_SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;")))
    if not line_start:
        return flat
    return _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3), flat)


_MENTION = re.compile(r"@(?=[\w\\-])")
_BARE_LINK = re.compile(r"(?i)\b(https?|ftp|mailto|file|javascript|data)(?=:)|\b(www)(?=\.)")
ZERO_WIDTH = "&#8203;"  # a zero-width space, as an entity: read as text, invisible once rendered


def unlinked(text: str) -> str:
    """Markdown (or HTML text of a GitHub comment) in which values from the data ping nobody and
    link nowhere: a zero-width space after every `@` (GitHub would notify `@someone` or a team,
    and make `name@host` a mail link) and inside `https:`, `www.` (bare URLs GitHub autolinks)."""
    text = _MENTION.sub("@" + ZERO_WIDTH, text)
    return _BARE_LINK.sub(lambda m: (m.group(1) or m.group(2)) + ZERO_WIDTH, text)

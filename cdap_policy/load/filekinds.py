"""What a YAML or JSON file is when it is not a partner snapshot.

A repository of snapshots also holds the project's own files — waivers beside each snapshot,
reports a job wrote, parameter overrides, the pack's rules and checklist — and a CI glob or a
folder batch reaches them all. They are recognised by their shape (never by their name alone:
a waiver file may be called anything) so that a batch skips them with a notice, and a file that
is neither a snapshot nor one of them is refused in one line as « not a snapshot ».
"""

from __future__ import annotations

from collections.abc import Callable

from cdap_policy.support.i18n import tr

# The top-level sections of a snapshot (schemas/snapshot.schema.json): a mapping with one of them
# is read as a snapshot, and its schema errors are reported as such.
SNAPSHOT_SECTIONS = frozenset(
    {
        "partner",
        "convention",
        "contacts",
        "users",
        "reviews",
        "control",
        "subcontractors",
        "data_stores",
        "automations",
        "incidents",
        "consultations",
    }
)
CONFIG_NAMES = (".cdap-policy.yaml", ".cdap-policy.yml")

KIND_NAMES = {
    "waivers": tr("dérogations", "waivers"),
    "report": tr("rapport", "report"),
    "diff": tr("comparaison de rapports", "report comparison"),
    "summary": tr("synthèse de lot", "batch summary"),
    "sarif": tr("rapport SARIF", "SARIF report"),
    "codequality": tr("rapport Code Quality", "Code Quality report"),
    "oscal": tr("résultats OSCAL", "OSCAL results"),
    "params": tr("paramètres", "parameters"),
    "checklist": tr("liste des pièces", "checklist"),
    "policy": tr("règles du paquet", "policy rules"),
    "policy-tests": tr("cas de test des règles", "rule test cases"),
    "requirements": tr("catalogue des exigences", "requirement catalogue"),
    "pack": tr("description du paquet", "pack description"),
    "config": tr("configuration", "configuration"),
}


def is_snapshot_like(data) -> bool:
    """A mapping with at least one snapshot section: judged by the snapshot schema."""
    return isinstance(data, dict) and not _report_like(data) and bool(SNAPSHOT_SECTIONS & set(data))


def _report_like(data: dict) -> bool:
    # a JSON report has a `snapshot` header, which is also a snapshot section's name
    return "fingerprint_version" in data and "tool" in data


def kind_of(
    data, name: str, parameter_names: Callable[[], frozenset | set] | None = None
) -> str | None:
    """The kind of one of the project's own files (a key of KIND_NAMES), or None: a snapshot, or
    a file the project does not know. `parameter_names` is asked only for a flat mapping that
    could be a parameter override, the one kind that needs the pack to recognise."""
    if name.lower() in CONFIG_NAMES:
        return "config"
    if isinstance(data, list):
        if not data:
            return (
                "report" if name.lower().endswith(".json") else None
            )  # an empty list of reports or issues
        if all(isinstance(item, dict) and _report_like(item) for item in data):
            return "report"
        if all(
            isinstance(item, dict) and {"check_name", "fingerprint", "location"} <= set(item)
            for item in data
        ):
            return "codequality"
        return None
    if not isinstance(data, dict) or not data:
        return None
    keys = set(data)
    if _report_like(data):
        return "diff" if {"files", "reports"} <= keys else "report"
    if {"format_version", "by_rule", "partners"} <= keys:
        return "summary"
    if "runs" in keys and "version" in keys:
        return "sarif"
    if "assessment-results" in keys:
        return "oscal"
    if keys & SNAPSHOT_SECTIONS:
        return None
    if isinstance(data.get("waivers"), list) and keys <= {"$schema", "siret", "waivers"}:
        return "waivers"
    if isinstance(data.get("rules"), list) and "family" in keys:
        return "policy"
    if isinstance(data.get("tests"), list) and keys <= {"$schema", "tests"}:
        return "policy-tests"
    if isinstance(data.get("documents"), list) and keys <= {"$schema", "documents"}:
        return "checklist"
    if {"name", "version", "documents"} <= keys:
        return "pack"
    if isinstance(data.get("requirements"), list) and keys == {"requirements"}:
        return "requirements"
    if isinstance(data.get("parameters"), dict) and keys <= {"$schema", "parameters"}:
        return "params"  # the pack's own parameter definitions
    if parameter_names is not None and keys <= set(parameter_names()):
        return "params"  # an override file (--params)
    return None

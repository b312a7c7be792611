"""Load a partner snapshot: read safely, validate against the schema, check keys are unique."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdap_policy.errors import InputError, Problem, pointer
from cdap_policy.schema import validate
from cdap_policy.yamlsource import Document, load_file

SNAPSHOT_SCHEMA = "snapshot.schema.json"


@dataclass
class Snapshot:
    path: Path
    doc: Document

    @property
    def file(self) -> str:
        return self.doc.file

    @property
    def data(self) -> dict:
        return self.doc.data

    @property
    def partner_name(self) -> str:
        return self.data.get("partner", {}).get("name", "")

    @property
    def edition(self) -> int:
        return self.data["convention"]["edition"]

    def line_of(self, path) -> int:
        return self.doc.line_of(path)

    def consultation_log(self) -> Path | None:
        ref = self.data.get("consultations")
        if isinstance(ref, dict):
            return (self.path.parent / ref["file"]).resolve()
        return None


def load_snapshot(path: str | Path, display: str | None = None) -> Snapshot:
    """Load and validate; raise InputError carrying every problem found."""
    path = Path(path)
    doc = load_file(path, display or str(path))
    if not isinstance(doc.data, dict):
        raise InputError(Problem(doc.file, doc.line_of(()), "", "a snapshot must be a mapping with sections partner, convention, users..."))
    problems = validate(doc, SNAPSHOT_SCHEMA)
    if not problems:
        problems = _unique_keys(doc)
    if problems:
        raise InputError(problems)
    snap = Snapshot(path, doc)
    log = snap.consultation_log()
    if log is not None and not log.is_file():
        ref_path = ("consultations", "file")
        raise InputError(Problem(doc.file, doc.line_of(ref_path), pointer(ref_path), f"consultation log not found: {log}"))
    return snap


def _unique_keys(doc: Document) -> list[Problem]:
    """Entity keys must be unique: a second entry with the same id could hide a habilitation."""
    data = doc.data
    problems: list[Problem] = []

    def check(items, base_path, what):
        seen: dict[str, int] = {}
        for index, item in enumerate(items or []):
            key = item.get("id")
            if key is None:
                continue
            path = base_path + (index, "id")
            if key in seen:
                first = doc.line_of(base_path + (seen[key],))
                problems.append(Problem(doc.file, doc.line_of(path), pointer(path), f"duplicate {what} id {key!r} (first on line {first})"))
            else:
                seen[key] = index

    check(data.get("users"), ("users",), "user")
    check(data.get("data_stores"), ("data_stores",), "data store")
    check(data.get("automations"), ("automations",), "automation")
    check(data.get("incidents"), ("incidents",), "incident")
    check((data.get("convention") or {}).get("amendments"), ("convention", "amendments"), "amendment")
    check((data.get("contacts") or {}).get("administrators"), ("contacts", "administrators"), "administrator")

    def walk_subs(items, base_path):
        check(items, base_path, "subcontractor")
        for index, item in enumerate(items or []):
            walk_subs(item.get("subcontractors"), base_path + (index, "subcontractors"))

    walk_subs(data.get("subcontractors"), ("subcontractors",))
    return problems

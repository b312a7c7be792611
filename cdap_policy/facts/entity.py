"""An item a rule judges: a stable key, where it stands in the snapshot, its data and facts."""
from __future__ import annotations

from dataclasses import dataclass, field

from cdap_policy.engine import to_cel


@dataclass
class Entity:
    kind: str
    key: str
    path: tuple  # where it stands in the snapshot (for its line)
    data: dict
    facts: dict = field(default_factory=dict)
    label: str = ""
    location: tuple | None = None  # (file, line) outside the snapshot, e.g. in the consultation log
    _cel: object = None
    _cel_facts: object = None

    @property
    def cel(self):
        if self._cel is None:
            self._cel = to_cel(self.data)
        return self._cel

    @property
    def cel_facts(self):
        if self._cel_facts is None:
            self._cel_facts = to_cel(self.facts)
        return self._cel_facts


def listed(kind: str, items, path: tuple, key: str = "id") -> list[Entity]:
    """Entities of a plain list of the snapshot, keyed by `key`."""
    return [Entity(kind, str(item.get(key, index)), path + (index,), item, {}, item.get("name", ""))
            for index, item in enumerate(items or [])]

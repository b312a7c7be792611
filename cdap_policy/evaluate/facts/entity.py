"""An item a rule judges: a stable key, where it stands in the snapshot, its data and facts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Entity:
    kind: str
    key: str
    path: tuple  # where it stands in the snapshot (for its line)
    data: dict
    facts: dict = field(default_factory=dict)
    label: str = ""
    location: tuple | None = None  # (file, line) outside the snapshot, e.g. in the consultation log
    # data and facts as the engine's values, made by the engine (Context.activation, Engine.bind)
    _cel: object = None
    _cel_facts: object = None


def listed(kind: str, items, path: tuple, key: str = "id") -> list[Entity]:
    """Entities of a plain list of the snapshot, keyed by `key`."""
    return [
        Entity(kind, str(item.get(key, index)), path + (index,), item, {}, item.get("name", ""))
        for index, item in enumerate(items or [])
    ]

"""Facts of service providers: every subcontractor at any depth, with its whole chain (CEL cannot
recurse).
"""

from __future__ import annotations

from cdap_policy.evaluate.facts.entity import Entity
from cdap_policy.evaluate.facts.transfers import safeguards


def flatten_providers(
    subcontractors: list, partner_name: str, convention_start: str | None = None
) -> list[Entity]:
    """`convention_start`: the day the convention takes effect (its signature), from which a
    provider
    already working for the partner is used « pour l'exécution de la présente convention »."""
    out: list[Entity] = []

    def walk(items, path, chain_names, chain_ids, parent_ends):
        for index, item in enumerate(items or []):
            here = path + (index,)
            names = chain_names + [item.get("name") or item["id"]]
            ids = chain_ids + [item["id"]]
            data = {k: v for k, v in item.items() if k != "subcontractors"}
            ends = (
                min(d for d in (item.get("ends_on"), parent_ends) if d)
                if (item.get("ends_on") or parent_ends)
                else None
            )
            facts = {
                "chain": names,
                "chain_ids": ids,
                "depth": len(ids),
                "parent": chain_ids[-1] if chain_ids else None,
                "sub_count": len(item.get("subcontractors") or []),
                # a sub-provider's work ends at the latest when its parent's contract does
                "chain_ends_on": ends,
                # the day it starts working for this convention (CONV 14: « pour
                # l'exécution de la présente convention »)
                "use_starts_on": use_start(item, convention_start),
                # its safeguards for a transfer outside the EEA, in one shape (facts/transfers.py)
                "safeguards": safeguards(item),
            }
            out.append(
                Entity(
                    "subcontractor",
                    "/".join(ids),
                    here,
                    data,
                    facts,
                    " › ".join([partner_name] + names),
                )
            )
            walk(item.get("subcontractors"), here + ("subcontractors",), names, ids, ends)

    walk(subcontractors, ("subcontractors",), [], [], None)
    return out


def use_start(item: dict, convention_start: str | None) -> str | None:
    """The recorded start of the provider's work for this convention, else the later of its own
    start and the convention's; None when neither is known."""
    if item.get("convention_use_from"):
        return item["convention_use_from"]
    dates = [d for d in (item.get("starts_on"), convention_start) if d]
    return max(dates) if item.get("starts_on") and dates else None

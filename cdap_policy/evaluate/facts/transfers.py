"""Facts of transfers outside the EEA: the safeguards recorded for a recipient (a provider or a
data store), in one shape whichever way the snapshot writes them."""

from __future__ import annotations


def safeguards(item: dict) -> list[dict]:
    """The safeguards recorded for `item`, each `{kind, reference, dated, communicated_to_caf_on,
    art14}` with only the fields recorded: its `safeguard` (art14 false), then the CNIL's prior
    authorisation as CONV art. 14 words it, `transfer_authorisation` (kind `cnil_authorisation`,
    its deliberation as the reference, its date as `dated`; art14 true: the rules judge it as the
    article does, which names no list of accepted kinds and no date of its own)."""
    out = []
    safeguard = item.get("safeguard")
    if isinstance(safeguard, dict):
        out.append({**safeguard, "art14": False})
    authorisation = item.get("transfer_authorisation")
    if isinstance(authorisation, dict):
        normalised = {"kind": "cnil_authorisation", "art14": True}
        for field, name in (
            ("cnil_deliberation", "reference"),
            ("granted_on", "dated"),
            ("communicated_to_caf_on", "communicated_to_caf_on"),
        ):
            if field in authorisation:
                normalised[name] = authorisation[field]
        out.append(normalised)
    return out

"""The T1 attestation on honour (bulletin 2025 annex) drawn from the users' recorded diplomas.

The legal representative attests, for each social worker planned or holding profile T1, the type
and award date of the state diploma. The staff list already gives both: the entries are built
from it, so the partner types nothing twice. Only users with a diploma the bulletin admits and its
date are listed; the others stay out, and the eligibility rules say why (no diploma, no date).
"""

from __future__ import annotations

HOLDING = (
    "planned",
    "active",
    "suspended",
)  # users the attestation must cover (not revoked, not gone)


def entries(users: list[dict], admitted=("ASS", "CESF", "ES")) -> list[dict]:
    """One entry per T1 user with an admitted diploma and its date, in the users' order."""
    out = []
    for user in users or []:
        diploma = user.get("diploma") or {}
        if "T1" not in (user.get("profiles") or []) or user.get("status", "planned") not in HOLDING:
            continue
        if diploma.get("type") not in admitted or not diploma.get("awarded_on"):
            continue
        entry = {"user": user["id"]}
        for key in ("last_name", "first_name"):
            if user.get(key):
                entry[key] = user[key]
        entry.update({"diploma": diploma["type"], "awarded_on": diploma["awarded_on"]})
        out.append(entry)
    return out


def attestation(users: list[dict], signed_on: str | None) -> dict:
    """The `convention.t1_attestation` block: its signature date (None: not signed
    yet) and entries.
    """
    block: dict = {}
    if signed_on:
        block["signed_on"] = signed_on
    block["entries"] = entries(users)
    return block


def set_in_text(text: str, block: dict, is_json: bool = False) -> str:
    """Write `convention.t1_attestation` into a snapshot's text. Only the `convention` block is
    rewritten (ruamel.yaml round-trip: its comments and quotes kept); every other line is copied
    byte for byte, as import-users does for the users block."""
    import io
    import json

    from cdap_policy.authoring.importers.merge import line_ending

    eol = line_ending(text)  # the lines written end as the file's do (CRLF kept)
    if is_json:
        data = json.loads(text)
        data.setdefault("convention", {})["t1_attestation"] = block
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").replace("\n", eol)
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    whole = yaml.load(text)
    lines = text.splitlines(keepends=True)
    starts = sorted(whole.lc.key(k)[0] for k in whole)
    start = whole.lc.key("convention")[0]
    end = next((s for s in starts if s > start), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load("".join(lines[start:end]))
    node = CommentedMap()
    if block.get("signed_on"):
        node["signed_on"] = DoubleQuotedScalarString(block["signed_on"])
    seq = CommentedSeq()
    for entry in block.get("entries") or []:
        item = CommentedMap(
            (k, DoubleQuotedScalarString(v) if k == "awarded_on" else v) for k, v in entry.items()
        )
        item.fa.set_flow_style()
        seq.append(item)
    node["entries"] = seq
    convention = data["convention"]
    if "t1_attestation" in convention:
        convention["t1_attestation"] = node
    else:  # before the last key when it carries the comments that follow it, so they stay in place
        last = list(convention)[-1] if convention else None
        if last is not None and convention.ca.items.get(last):
            convention.insert(len(convention) - 1, "t1_attestation", node)
        else:
            convention["t1_attestation"] = node
    out = io.StringIO()
    yaml.dump(data, out)
    rewritten = out.getvalue().replace("\r\n", "\n")
    rewritten = (rewritten + ("" if rewritten.endswith("\n") else "\n")).replace("\n", eol)
    return "".join(lines[:start]) + rewritten + "".join(lines[end:])

"""Write imported users into an existing snapshot, leaving everything else as it was.

A row is the existing user with the same id, else the same e-mail address, else the same first
and last name (accents and case aside): that user keeps its id, its status and every field the
spreadsheet does not give; the spreadsheet's non-empty cells update the others. Other rows are
added with the next free id (`u-05` after `u-04`) and the status asked for (planned by default).
Users absent from the spreadsheet are kept unchanged, byte for byte. A user whose profiles carry a
history (periods with grant and end dates) keeps it: a staff list says which profiles a person has
now, not when one was withdrawn, so its codes are compared with the profiles not withdrawn and only
the new ones are added.

Only the lines of the users updated are rewritten, with ruamel.yaml's round-trip mode so that
their comments, quotes and flow mappings survive, and the users added are written after the last
one; every other line is copied byte for byte, in the file's own line endings. A user is updated
from a copy with its aliases written out, so that a change never reaches another user through a
YAML alias. A JSON snapshot is rewritten as JSON (it has no comments to keep).
"""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass, field

from cdap_policy.authoring.importers.users import norm
from cdap_policy.load.schemainfo import properties
from cdap_policy.support.errors import Problem, pointer
from cdap_policy.support.i18n import tr

DATES = {"granted_on", "ends_on", "awarded_on"}


@dataclass
class MergeResult:
    text: str
    added: list = field(default_factory=list)  # ids
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # existing users the spreadsheet does not list
    problems: list = field(default_factory=list)


def _identity(user: dict):
    first, last = norm(user.get("first_name")), norm(user.get("last_name"))
    return (first, last) if first and last else None


def match(existing: list[dict], imported: list, file: str) -> tuple[list, list]:
    """For each imported (row, user): the index of the existing user it is, or None; and problems
    for two rows that are the same existing user."""
    by_id = {u["id"]: i for i, u in enumerate(existing)}
    by_email = {
        (u.get("email") or "").casefold(): i for i, u in enumerate(existing) if u.get("email")
    }
    by_identity = {_identity(u): i for i, u in enumerate(existing) if _identity(u)}
    out, problems = [], []
    taken: dict[int, int] = {}  # index of an existing user -> the row that is it
    for number, user in imported:
        index = by_id.get(user.get("id"))
        if index is None and user.get("email"):
            index = by_email.get(user["email"].casefold())
        if index is None and _identity(user):
            index = by_identity.get(_identity(user))
        if index is not None and index in taken:
            problems.append(
                Problem(
                    file,
                    number,
                    "",
                    tr(
                        f"cette ligne et la ligne {taken[index]} désignent le même utilisateur"
                        f" {existing[index]['id']} de l'instantané",
                        f"this row and row {taken[index]} are the same user {existing[index]['id']}"
                        " of the snapshot",
                    ),
                )
            )
            continue
        if index is not None:
            taken[index] = number
        out.append((number, user, index))
    return out, problems


def _next_ids(existing: list[dict], count: int) -> list[str]:
    numbers = [m for m in (re.fullmatch(r"u-(\d+)", str(u["id"])) for u in existing) if m]
    width = len(numbers[0].group(1)) if numbers else 2
    start = max((int(m.group(1)) for m in numbers), default=0) + 1
    taken = {str(u["id"]) for u in existing}
    ids: list[str] = []
    n = start
    while len(ids) < count:
        candidate = f"u-{n:0{width}d}"
        if candidate not in taken:
            ids.append(candidate)
        n += 1
    return ids


def _ordered(user: dict) -> list[str]:
    order = properties("/$defs/user")  # the schema's order of fields
    return sorted(user, key=lambda k: order.index(k) if k in order else len(order))


def _profiles(current: list, codes: list) -> list | None:
    """The profiles to write for a user whose list holds periods, or None when nothing changes:
    every period kept, the codes the spreadsheet adds appended."""
    held = [
        item if isinstance(item, str) else item.get("profile")
        for item in current
        if isinstance(item, str) or not item.get("ended_on")
    ]
    added = [code for code in codes if code not in held]
    return list(current) + added if added else None


def _changes(current: dict, new: dict) -> dict:
    """The fields of `new` that differ from `current` (nested mappings compared key by key)."""
    out: dict = {}
    for key, value in new.items():
        if key == "id":
            continue
        if key == "profiles" and any(
            isinstance(item, dict) for item in current.get("profiles") or []
        ):
            merged = _profiles(list(current["profiles"]), value)
            if merged is not None:
                out[key] = merged
            continue
        if isinstance(value, dict):
            inner = found if isinstance(found := current.get(key), dict) else {}
            diff = {k: v for k, v in value.items() if str(inner.get(k)) != str(v) or k not in inner}
            if diff:
                out[key] = diff
        elif key == "email" and str(current.get(key, "")).casefold() == value.casefold():
            continue  # the same address written in capitals is not a change
        elif key in ("first_name", "last_name") and norm(current.get(key)) == norm(value):
            # « LEMOINE » in the staff list is the snapshot's « Lemoine »: keep how it
            # is written
            continue
        elif (
            key not in current
            or (list(current[key]) if isinstance(value, list) else str(current[key])) != value
        ):
            out[key] = value
    return out


def plan(
    existing: list[dict], imported: list, status: str, file: str
) -> tuple[list, list, MergeResult]:
    """What to write: (updates [(index, changes)], additions [user]) and the result's lists."""
    matched, problems = match(existing, imported, file)
    result = MergeResult("", problems=problems)
    updates, additions = [], []
    new_ids = iter(
        _next_ids(
            existing + [u for _, u, i in matched if i is None and u.get("id")],
            sum(1 for _, u, i in matched if i is None and not u.get("id")),
        )
    )
    for _, user, index in matched:
        if index is None:
            user = {
                "id": user.get("id") or next(new_ids),
                **{k: v for k, v in user.items() if k != "id"},
                "status": status,
            }
            additions.append({k: user[k] for k in _ordered(user)})
            result.added.append(user["id"])
            continue
        changes = _changes(existing[index], user)
        if changes:
            updates.append((index, changes))
            result.updated.append(existing[index]["id"])
        else:
            result.unchanged.append(existing[index]["id"])
    touched = {i for _, _, i in matched if i is not None}
    result.kept = [u["id"] for i, u in enumerate(existing) if i not in touched]
    return updates, additions, result


# -- writing ---------------------------------------------------------------------------------


def merge_text(
    text: str, existing: list[dict], imported: list, status: str, file: str, is_json: bool = False
) -> MergeResult:
    """`text` with the plan applied. Line endings (CRLF or LF) are those of `text` for every line
    written, the others are kept byte for byte; the caller keeps a byte-order mark."""
    updates, additions, result = plan(existing, imported, status, file)
    if result.problems:
        return result
    if not updates and not additions:
        result.text = text
        return result
    if is_json:
        result.text = _merge_json(text, updates, additions)
        return result
    try:
        result.text = _merge_yaml(text, updates, additions, file, existing)
    except _Refused as exc:
        result.problems.append(exc.problem)
    return result


def line_ending(text: str) -> str:
    """The line ending most lines of `text` use."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _merge_json(text: str, updates, additions) -> str:
    data = json.loads(text)
    for index, changes in updates:
        _apply(data["users"][index], changes, plain=True)
    data["users"].extend(additions)
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").replace("\n", line_ending(text))


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line of the partner's file
    return yaml


def _users_span(text: str, data) -> tuple[int, int] | None:
    """First and past-the-end line (0-based) of the top-level `users` block, without the blank and
    comment lines that follow it (they introduce the next section); None when not a block mapping.
    """
    if not hasattr(data, "lc") or data.fa.flow_style() or "users" not in data:
        return None
    starts = sorted(data.lc.key(k)[0] for k in data)
    start = data.lc.key("users")[0]
    lines = text.splitlines(keepends=True)
    end = next((s for s in starts if s > start), len(lines))
    return start, _trim(lines, start + 1, end)


def _trim(lines: list[str], start: int, end: int) -> int:
    """`end` moved back over the blank and comment lines that close lines[start:end]."""
    while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _indent(block: list[str]) -> tuple[int, int]:
    """(dash offset, item indent) of the users list as written; the starter's style when empty."""
    for line in block[1:]:
        found = re.match(r"^( *)- +", line)
        if found:
            return len(found.group(1)), len(found.group(0))
    return 2, 4


class _Refused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.render("en"))
        self.problem = problem


def _merge_yaml(text: str, updates, additions, file: str = "", existing=()) -> str:
    """Only the lines of the users updated are rewritten, and the users added are written after
    the last one: every other line of the file, other users included, is kept byte for byte.

    A user is rewritten from a copy in which every alias is written out: the merge never writes
    through an alias (`contract: *c` renewed must not renew the contract it shares). A user that
    holds an anchor other parts of the file use cannot be rewritten without changing them:
    refused, with both lines."""
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    try:
        data = yaml.load(text)
    except (YAMLError, ValueError) as exc:  # read by our loader already; ruamel's reading differs
        raise _Refused(
            Problem(
                file,
                None,
                "",
                tr(
                    f"le fichier ne peut pas être réécrit ({type(exc).__name__})",
                    f"the file cannot be rewritten ({type(exc).__name__})",
                ),
            )
        ) from None
    span = _users_span(text, data)
    users = data.get("users") if span is not None else None
    if (
        span is None
        or not isinstance(users, CommentedSeq)
        or users.fa.flow_style()
        or not len(users)
    ):
        return _rewrite_block(text, span, data, updates, additions)
    lines = text.splitlines(keepends=True)
    eol = line_ending(text)
    offset, item = _indent(lines[span[0] : span[1]])
    starts = [_item_start(lines, users.lc.item(i)[0]) for i in range(len(users))]
    ends = [
        _trim(lines, starts[i] + 1, starts[i + 1] if i + 1 < len(users) else span[1])
        for i in range(len(users))
    ]
    replacements, reach = {}, _owners(data, users)
    for index, changes in updates:
        _shared_anchor(reach, users, index, (starts[index], ends[index]), file, existing)
        user = _detached(users[index])
        _apply(user, changes)
        replacements[index] = _dump_items([user], offset, item, eol)
    out = []
    for index in range(len(users)):
        begin = ends[index - 1] if index else 0
        out += lines[begin : starts[index]]
        out += replacements.get(index) or lines[starts[index] : ends[index]]
    if additions and out and not out[-1].endswith("\n"):
        out[-1] += eol
    out += _dump_items([_node(u) for u in additions], offset, item, eol) if additions else []
    out += lines[ends[-1] :]
    return "".join(out)


def _item_start(lines: list[str], line: int) -> int:
    """The line of the dash that opens the list item whose content starts on `line`."""
    if (
        re.match(r"^\s*- ", lines[line])
        or line == 0
        or not re.match(r"^\s*-\s*(#.*)?$", lines[line - 1])
    ):
        return line
    return line - 1


def _dump_items(items: list, offset: int, item: int, eol: str) -> list[str]:
    """The lines of list items, indented like the file's users, without the comments that close
    the last one (the lines after it are kept as they were)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = _yaml()
    yaml.indent(mapping=2, sequence=item, offset=offset)
    holder = CommentedMap([("users", CommentedSeq(items))])
    holder["users"].fa.set_block_style()
    out = io.StringIO()
    yaml.dump(holder, out)
    lines = out.getvalue().splitlines(keepends=True)[1:]  # without `users:`
    end = _trim(lines, 0, len(lines))
    return [line.rstrip("\r\n") + eol for line in lines[:end]]


def _owners(data, users) -> tuple[dict, dict]:
    """Who reaches each mapping, list and anchored scalar of the document: id -> the indexes of
    the users (-1: another section) it is reached from, through aliases included; and id -> node."""
    owners: dict[int, set] = {}
    nodes: dict[int, object] = {}

    def walk(node, owner: int):
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, (dict, list)) or getattr(
                getattr(current, "anchor", None), "value", None
            ):
                reached = owners.setdefault(id(current), set())
                if owner in reached:
                    continue
                reached.add(owner)
                nodes[id(current)] = current
            if isinstance(current, dict):
                stack.extend(current.values())
            elif isinstance(current, list):
                stack.extend(current)

    for value in data.values():
        if value is users:
            for index, user in enumerate(users):
                walk(user, index)
        else:
            walk(value, -1)
    return owners, nodes


def _shared_anchor(reach: tuple, users, index: int, lines: tuple, file: str, existing) -> None:
    """Refuse to rewrite a user that defines an anchor used outside it (written out, the alias
    would lose its anchor; kept, the alias would follow the change)."""
    owners, nodes = reach
    for key, reached in owners.items():
        if index not in reached or len(reached) < 2:
            continue
        node = nodes[key]
        where = getattr(node, "lc", None)
        line = where.line if where is not None else None
        if line is None or not lines[0] <= line < lines[1]:
            continue  # an alias here of an anchor defined elsewhere: written out in the copy
        anchor = getattr(getattr(node, "anchor", None), "value", None) or "?"
        user_id = existing[index]["id"] if index < len(existing) else "?"
        raise _Refused(
            Problem(
                file,
                line + 1,
                pointer(("users", index)),
                tr(
                    f"l'utilisateur {user_id} définit l'ancre YAML &{anchor} (ligne {line + 1})"
                    f" qu'une autre partie du fichier reprend (*{anchor}) : le mettre à jour"
                    " changerait aussi celle-ci ; écrivez la valeur en toutes lettres aux deux"
                    " endroits, puis importez de nouveau",
                    f"user {user_id} defines the YAML anchor &{anchor} (line {line + 1}) that"
                    f" another part of the file reuses (*{anchor}): updating it would change that"
                    " part too; write the value out in both places, then import again",
                ),
            )
        )


def _detached(node):
    """A copy of `node` in which every alias is written out: each occurrence its own value, no
    anchor (comments and flow or block style kept)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out = CommentedMap()
        for key, value in node.items():
            out[key] = _detached(value)
        node.copy_attributes(out)
        _drop_anchor(out)
        return out
    if isinstance(node, CommentedSeq):
        seq = CommentedSeq(_detached(value) for value in node)
        node.copy_attributes(seq)
        _drop_anchor(seq)
        return seq
    if getattr(getattr(node, "anchor", None), "value", None):
        out = copy.copy(node)
        _drop_anchor(out)
        return out
    return node


def _drop_anchor(node) -> None:
    anchor = getattr(node, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        anchor.value = None
        anchor.always_dump = False


def _rewrite_block(text: str, span, data, updates, additions) -> str:
    """A users list written in flow style (or empty, or a flow document): the users block is
    rewritten whole, round-trip, each user updated from a detached copy."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    lines = text.splitlines(keepends=True)
    eol = line_ending(text)
    if span is None:  # a flow-style document: rewrite it whole, still round-trip
        head, tail = [], []
        holder = data
    else:
        head, tail = lines[: span[0]], lines[span[1] :]
        holder = CommentedMap([("users", data["users"])])
    yaml = _yaml()
    offset, item = _indent(lines[span[0] : span[1]] if span else lines)
    yaml.indent(mapping=2, sequence=item, offset=offset)
    users = holder["users"]
    if users is None or not isinstance(users, CommentedSeq):
        users = holder["users"] = CommentedSeq(users or [])
    for index, changes in updates:
        users[index] = _detached(users[index])
        _apply(users[index], changes)
    for user in additions:
        users.append(_node(user))
    if additions:
        users.fa.set_block_style()  # `users: []` grows into one entry per line
    out = io.StringIO()
    yaml.dump(holder, out)
    rewritten = out.getvalue().replace("\r\n", "\n")
    if not rewritten.endswith("\n"):
        rewritten += "\n"
    if head and not head[-1].endswith("\n"):
        head[-1] += eol
    return "".join(head) + rewritten.replace("\n", eol) + "".join(tail)


def _scalar(key, value):
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    # dates in double quotes, as the README asks of snapshots
    return DoubleQuotedScalarString(value) if key in DATES and isinstance(value, str) else value


def _node(user: dict, cmap=None, cseq=None):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    cmap, cseq = cmap or CommentedMap, cseq or CommentedSeq
    out = cmap()
    for key, value in user.items():
        if isinstance(value, dict):
            inner = cmap((k, _scalar(k, v)) for k, v in value.items())
            inner.fa.set_flow_style()
            out[key] = inner
        elif isinstance(value, list):
            seq = cseq(value)
            seq.fa.set_flow_style()
            out[key] = seq
        else:
            out[key] = _scalar(key, value)
    return out


def _set(mapping, key, value):
    """Set a key; a new key goes before the last one when that one carries the comments that
    follow it in the file, so the comments stay where they were."""
    if key in mapping or not hasattr(mapping, "ca") or not mapping:
        mapping[key] = value
        return
    last = list(mapping)[-1]
    if mapping.ca.items.get(last):
        mapping.insert(len(mapping) - 1, key, value)
    else:
        mapping[key] = value


def _apply(target, changes: dict, plain: bool = False):
    if plain:
        for key, value in changes.items():
            if isinstance(value, dict):
                target.setdefault(key, {}).update(value)
            else:
                target[key] = value
        return
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    for key, value in changes.items():
        if isinstance(value, dict):
            inner = target.get(key)
            if isinstance(inner, dict):
                for k, v in value.items():
                    _set(inner, k, _scalar(k, v))
            else:
                _set(target, key, _node({key: value}, CommentedMap, CommentedSeq)[key])
        elif isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            _set(target, key, seq)
        else:
            _set(target, key, _scalar(key, value))

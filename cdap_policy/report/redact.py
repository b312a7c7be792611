"""Replace personal data in a report, or in error lines, with stable pseudonyms.

What is personal is decided by the snapshot schema: every property marked `"x-personal": true`
(names, e-mail addresses, phone numbers, logins, who an administrator replaces, justifications),
so the set cannot drift from the code. Every such value of the snapshot is replaced wherever it
appears in a report: names in any spacing and case (« Inès  DUPONT », a trailing space), alone or
as first and last name in either order. Addresses and phone numbers the snapshot does not hold
(in an error line, when the snapshot could not be read) are recognised by their shape.

A pseudonym is a keyed hash of the normalised identity (case, accents and spaces folded), so the
same person gets the same pseudonym in every finding and in the reports of two years, as long as
the key is the same. Entity keys (`u-042`) and fingerprints are not personal data and stay, so
findings remain traceable in the snapshot. Set CDAP_POLICY_REDACT_KEY to a secret of your Caf:
with the default key, a pseudonym can be recomputed by anyone who guesses the name.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import re
import unicodedata

from cdap_policy.evaluate.findings import Finding, Report

DEFAULT_KEY = "cdap-policy-default-redaction-key"
# anything around an @ that is not a space, quote or bracket: a@b, a@b.c, « a.b@host »
_EMAIL = re.compile(r"[^\s@<>()\[\]{}'\"«»,;:]+@[^\s@<>()\[\]{}'\"«»,;:]+")
# phone numbers: +33 / 0 followed by 9 digits in pairs, or any + international number, separated by
# spaces, dots, dashes or slashes; ISO dates (2025-06-30) and SIRET numbers (14 digits) do not match
_PHONE = re.compile(
    r"(?<![\w+./-])(?:(?:\+33[ .\-/]?(?:\(0\)[ .\-/]?)?|0)[1-9](?:[ .\-/]?\d{2}){4}"
    r"|\+(?!33)\d{1,3}(?:[ .\-/]?\d{2,4}){2,5})(?![\w/-])(?!\.\d)"
)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
_LEADING_VALUE = re.compile(
    r"^('(?:[^'\\]|\\.)*'|[^\s:]+)(\s?:\s)"
)  # the value a schema error starts with


def key_from_environment() -> str:
    """The pseudonymisation key: CDAP_POLICY_REDACT_KEY, else the default (see the
    module's note).
    """
    import os

    return os.environ.get("CDAP_POLICY_REDACT_KEY", DEFAULT_KEY)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split()).casefold()


@functools.lru_cache(maxsize=1)
def personal_fields() -> frozenset:
    """Names of the snapshot properties the schema marks `x-personal`."""
    from cdap_policy.load.schema import schema_path

    schema = json.loads(schema_path("snapshot.schema.json").read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict) and sub.get("x-personal") is True:
                    found.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return frozenset(found)


class Pseudonymiser:
    def __init__(self, key: str = DEFAULT_KEY):
        self.key = key.encode("utf-8")

    def token(self, identity: str) -> str:
        return hmac.new(self.key, _fold(identity).encode("utf-8"), hashlib.sha256).hexdigest()[:8]

    def person(self, identity: str) -> str:
        return f"Personne-{self.token(identity)}"

    def email(self, address: str, identity: str | None = None) -> str:
        return f"{self.token(identity or address)}@pseudonyme.invalid"

    def phone(self, number: str) -> str:
        return f"tel-{self.token(re.sub(r'[^0-9+]', '', number))}"

    def text(self, value: str) -> str:
        return f"[masqué-{self.token(value)}]"


def _records(data):
    """Every mapping of the snapshot, at any depth."""
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _records(value)
    elif isinstance(data, list):
        for value in data:
            yield from _records(value)


_TOKEN = re.compile(r"\w+|[^\w\s]")


def _tokens(text: str) -> list[str]:
    """Words and punctuation, spaces dropped: « Inès  Dupont » and « Inès Dupont » are the same."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


class Redactor:
    """The replacements for one snapshot (or for none, in an error line).

    Personal values are matched as sequences of words, whatever the spacing, by one pass over the
    words of each text (a dictionary keyed by first word), not by a regular expression with an
    alternative per value: a department names hundreds of people."""

    def __init__(self, snapshot_data: dict | None, key: str = DEFAULT_KEY):
        self.pseudo = Pseudonymiser(key)
        fields = personal_fields()
        # first word -> [(words, replacement)], longest first; folded keys match in any case
        self.folded: dict[str, list] = {}
        self.exact: dict[str, list] = {}
        for record in _records(snapshot_data or {}):
            first, last = (record.get("first_name") or ""), (record.get("last_name") or "")
            first = first.strip() if isinstance(first, str) else ""
            last = last.strip() if isinstance(last, str) else ""
            identity = f"{first} {last}".strip()
            if identity:
                alias = self.pseudo.person(identity)
                if first and last:  # « DUPONT Inès » is the same person as « Inès Dupont »
                    self._add(f"{first} {last}", alias, True)
                    self._add(f"{last} {first}", alias, True)
                for text in {first, last, first.upper(), last.upper()}:
                    if text:  # alone, as written or in capitals (not « petit » for Mme Petit)
                        self._add(text, alias, False)
            for name in fields - {"first_name", "last_name"}:
                value = record.get(name)
                if not isinstance(value, str) or not value.strip():
                    continue
                value = value.strip()
                if name == "email":
                    alias = self.pseudo.email(value, identity or None)
                elif name.startswith("phone"):
                    alias = self.pseudo.phone(value)
                else:
                    alias = self.pseudo.text(value)
                self._add(value, alias, True)
        for index in (self.folded, self.exact):
            for entries in index.values():
                entries.sort(key=lambda e: len(e[0]), reverse=True)

    def _add(self, text: str, alias: str, insensitive: bool):
        words = _tokens(text)
        if not words:
            return
        if insensitive:
            words = [w.casefold() for w in words]
            self.folded.setdefault(words[0], []).append((tuple(words), alias))
        else:
            self.exact.setdefault(words[0], []).append((tuple(words), alias))

    def _names(self, text: str) -> str:
        if not (self.folded or self.exact):
            return text
        spans = [
            (m.start(), m.end(), m.group())
            for m in _TOKEN.finditer(unicodedata.normalize("NFC", text))
        ]
        if not spans:
            return text
        text = unicodedata.normalize("NFC", text)
        out, cursor, i = [], 0, 0
        folded_words = None
        while i < len(spans):
            word = spans[i][2]
            # a match must start and end on a word boundary: `Inès` is not inside `Inèsa`
            starts_word = spans[i][0] == 0 or not (
                text[spans[i][0] - 1].isalnum() or text[spans[i][0] - 1] == "_"
            )
            hit = None
            if starts_word:
                for words, alias, folded in self._candidates(word):
                    n = len(words)
                    if i + n > len(spans):
                        continue
                    if folded:
                        if folded_words is None:
                            folded_words = [s[2].casefold() for s in spans]
                        seq = folded_words[i : i + n]
                    else:
                        seq = [s[2] for s in spans[i : i + n]]
                    end = spans[i + n - 1][1]
                    if tuple(seq) == words and (
                        end == len(text) or not (text[end].isalnum() or text[end] == "_")
                    ):
                        hit = (n, alias)
                        break
            if hit:
                out.append(text[cursor : spans[i][0]])
                out.append(hit[1])
                cursor = spans[i + hit[0] - 1][1]
                i += hit[0]
            else:
                i += 1
        out.append(text[cursor:])
        return "".join(out)

    def _candidates(self, word: str):
        found = [(w, a, False) for w, a in self.exact.get(word, ())]
        found += [(w, a, True) for w, a in self.folded.get(word.casefold(), ())]
        if len(found) > 1:
            found.sort(key=lambda c: len(c[0]), reverse=True)
        return found

    def text(self, value: str) -> str:
        value = self._names(value)
        value = _EMAIL.sub(
            lambda m: (
                m.group(0)
                if m.group(0).endswith("@pseudonyme.invalid")
                else self.pseudo.email(m.group(0))
            ),
            value,
        )
        return _PHONE.sub(lambda m: self.pseudo.phone(m.group(0)), value)

    def value(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def problem(self, problem):
        """An error of an input with its messages redacted as text (names of the snapshot, and any
        e-mail address or phone number), its personal value masked (see `mask_problem`)."""
        problem = mask_problem(problem, self.pseudo)
        message = (
            problem.message
            if isinstance(problem.message, dict)
            else {"fr": str(problem.message), "en": str(problem.message)}
        )
        return dataclasses.replace(
            problem, message={lang: self.text(text) for lang, text in message.items()}
        )

    def problem_line(self, line: str, field: str = "") -> str:
        """An error line: the value a problem of a personal field quotes is masked whole (quoted
        or not: `'ines@host'`, `612345678`), then the rest is redacted as text."""
        last = next(
            (part for part in reversed(field.split("/")) if part and not part.isdigit()), ""
        )
        if last in personal_fields():
            marker = f"[{field}] "
            head, _, message = line.partition(marker) if marker in line else ("", "", line)
            message = _LEADING_VALUE.sub(
                lambda m: self.pseudo.text(m.group(1)) + m.group(2), message, count=1
            )
            message = _QUOTED.sub(lambda m: self.pseudo.text(m.group(0)), message)
            line = f"{head}{marker}{message}" if head or marker in line else message
        return self.text(line)


def redact_report(report: Report, snapshot_data: dict, key: str = DEFAULT_KEY) -> Report:
    """A copy of the report with every personal string replaced; keys and fingerprints unchanged."""
    redactor = Redactor(snapshot_data, key)

    def clean(finding: Finding) -> Finding:
        return dataclasses.replace(
            finding,
            entity_label=redactor.text(finding.entity_label),
            message=redactor.value(dict(finding.message)),
            remediation=redactor.value(dict(finding.remediation)),
            evidence=redactor.value(finding.evidence),
            waiver=redactor.value(finding.waiver) if finding.waiver else finding.waiver,
        )

    return dataclasses.replace(report, findings=[clean(f) for f in report.findings])


def is_personal(problem) -> bool:
    """The problem is about a personal field: marked so by its schema, or named like one of the
    snapshot's personal fields (`/users/3/first_name`)."""
    if getattr(problem, "personal", False):
        return True
    last = next(
        (part for part in reversed(problem.path.split("/")) if part and not part.isdigit()), ""
    )
    return last in personal_fields()


_MASKED = "[masqué-"


def mask_problem(problem, pseudo: Pseudonymiser | None = None):
    """The problem, with what its message quotes of a personal field's value masked (the value it
    starts with, and every quoted excerpt): `'Jeanne Martin…': expected at most 200 characters`
    reads `[masqué-1a2b3c4d]: expected…`. Done for every error line, whatever --redact: an input
    error never quotes a personal value in clear."""
    if not is_personal(problem):
        return problem
    pseudo = pseudo or Pseudonymiser(key_from_environment())

    def mask(text: str) -> str:
        if text.startswith(_MASKED):  # masked already (by a batch worker): the same pseudonym stays
            return text
        text = _LEADING_VALUE.sub(lambda m: pseudo.text(m.group(1)) + m.group(2), text, count=1)
        return _QUOTED.sub(lambda m: pseudo.text(m.group(0)), text)

    message = (
        problem.message
        if isinstance(problem.message, dict)
        else {"fr": str(problem.message), "en": str(problem.message)}
    )
    return dataclasses.replace(
        problem, message={lang: mask(str(text)) for lang, text in message.items()}
    )

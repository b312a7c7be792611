"""Replace names, e-mail addresses and phone numbers in a report with stable pseudonyms.

A pseudonym is a keyed hash of the person's identity (first and last name, case and accents
folded), so the same person gets the same pseudonym in every finding of a report and in the
reports of two years that are diffed, as long as the key is the same. Entity keys (`u-042`)
are not personal data and stay as they are, so findings remain traceable in the snapshot.
Set CDAP_POLICY_REDACT_KEY to a secret of your Caf: with the default key, a pseudonym can be
recomputed by anyone who guesses the name.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import unicodedata

from cdap_policy.findings import Finding, Report

DEFAULT_KEY = "cdap-policy-default-redaction-key"
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# French numbers (01 23 45 67 89, 01.23.45.67.89, 0123456789, +33 1 23 45 67 89) and other
# international ones (+41 22 123 45 67); ISO dates and SIRET numbers do not match
_PHONE = re.compile(r"(?<![\w+.-])(?:(?:\+33[ .]?(?:\(0\))?|0)[1-9](?:[ .]?\d{2}){4}|\+(?!33)\d{1,3}(?:[ .]?\d{2,4}){2,5})(?![\w-])(?!\.\d)")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split()).casefold()


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


def _people(data: dict):
    """Every person the snapshot names: users, contacts, attestation entries."""
    contacts = data.get("contacts") or {}
    people = list(data.get("users") or [])
    people += list(contacts.get("administrators") or []) + list(contacts.get("escalation") or [])
    people += [contacts.get(k) for k in ("security_officer", "data_protection_referent", "support_l1") if contacts.get(k)]
    people += list(((data.get("convention") or {}).get("t1_attestation") or {}).get("entries") or [])
    return [p for p in people if isinstance(p, dict)]


def replacements(data: dict, pseudo: Pseudonymiser) -> dict[str, str]:
    """Literal personal strings of the snapshot and what replaces each."""
    table: dict[str, str] = {}
    for person in _people(data):
        first, last = (person.get("first_name") or "").strip(), (person.get("last_name") or "").strip()
        identity = f"{first} {last}".strip() or person.get("email") or ""
        if not identity:
            continue
        alias = pseudo.person(identity)
        for text in (f"{first} {last}", f"{last} {first}", f"{last.upper()} {first}", f"{first} {last.upper()}"):
            if text.strip() and first and last:
                table[text] = alias
        if person.get("email"):
            table[person["email"]] = pseudo.email(person["email"], identity)
        for key in ("phone_landline", "phone_mobile"):
            if person.get(key):
                table[person[key]] = pseudo.phone(person[key])
    return table


def _compile(table: dict[str, str]):
    if not table:
        return None
    words = sorted(table, key=len, reverse=True)
    return re.compile("|".join(r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in words))


def redact_value(value, pattern, table, pseudo):
    if isinstance(value, str):
        if pattern is not None:
            value = pattern.sub(lambda m: table[m.group(0)], value)
        value = _EMAIL.sub(lambda m: m.group(0) if m.group(0).endswith("@pseudonyme.invalid") else pseudo.email(m.group(0)), value)
        return _PHONE.sub(lambda m: pseudo.phone(m.group(0)), value)
    if isinstance(value, list):
        return [redact_value(v, pattern, table, pseudo) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, pattern, table, pseudo) for k, v in value.items()}
    return value


def redact_report(report: Report, snapshot_data: dict, key: str = DEFAULT_KEY) -> Report:
    """A copy of the report with every personal string replaced; keys and fingerprints unchanged."""
    pseudo = Pseudonymiser(key)
    table = replacements(snapshot_data, pseudo)
    pattern = _compile(table)

    def clean(finding: Finding) -> Finding:
        return dataclasses.replace(
            finding,
            entity_label=redact_value(finding.entity_label, pattern, table, pseudo),
            message=redact_value(dict(finding.message), pattern, table, pseudo),
            remediation=redact_value(dict(finding.remediation), pattern, table, pseudo),
            evidence=redact_value(finding.evidence, pattern, table, pseudo),
        )

    return dataclasses.replace(report, findings=[clean(f) for f in report.findings])

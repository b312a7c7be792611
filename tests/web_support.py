"""Shared by the web tests: the answers of the CCAS of the README's « Avant la signature »."""
import html
import re

from helpers import ROOT

SHEET = ROOT / "examples" / "ccas-personnel.xlsx"
ORGANISATION = {"kind": "ccas", "name": "CCAS de Pont-Guérin", "siret": "26440999600016", "department": "44",
                "framework": "mon_compte_partenaire", "edition": "2025"}
ROLES = ("principal", "deputy", "security_officer", "data_protection_referent", "support_l1")
PEOPLE = {
    "principal": ("Nadia", "Lemaître", "Directrice", "nadia.lemaitre@pont-guerin.example", "02 40 00 11 22"),
    "deputy": ("Yanis", "Carrel", "Responsable administratif", "yanis.carrel@pont-guerin.example", "06 12 34 56 78"),
    "security_officer": ("Hélène", "Vasseur", "Responsable informatique : mairie", "helene.vasseur@pont-guerin.example", "02 40 00 11 30"),
    "data_protection_referent": ("Marc", "Ribault", "Délégué mutualisé", "marc.ribault@pont-guerin.example", "02 40 00 11 31"),
    "support_l1": ("Lucie", "Garnier", "Gestionnaire des habilitations", "lucie.garnier@pont-guerin.example", "02 40 00 11 32"),
}
FIELDS = ("first_name", "last_name", "function", "email", "phone")
WORKSTATIONS = {"information_method": "Mention sur les formulaires de demande", "non_opposition": "1",
                "browser-0": "firefox", "version-0": "140", "count-0": "4"}


def people_fields() -> dict:
    return {f"{role}-{field}": value for role, values in PEOPLE.items() for field, value in zip(FIELDS, values, strict=True)}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""

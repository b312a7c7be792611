"""Shared by the web tests: the answers of the CCAS of the README's « Avant la signature », and the
current list of maintained browsers its Caf gives the server."""

import datetime
import html
import re
from pathlib import Path

from helpers import ROOT

SHEET = ROOT / "examples" / "ccas-personnel.xlsx"
ORGANISATION = {
    "kind": "ccas",
    "name": "CCAS de Pont-Guérin",
    "siret": "26440999600016",
    "department": "44",
    "framework": "mon_compte_partenaire",
    "edition": "2025",
}
ROLES = ("principal", "deputy", "security_officer", "data_protection_referent", "support_l1")
PEOPLE = {
    "principal": (
        "Nadia",
        "Lemaître",
        "Directrice",
        "nadia.lemaitre@pont-guerin.example",
        "02 40 00 11 22",
    ),
    "deputy": (
        "Yanis",
        "Carrel",
        "Responsable administratif",
        "yanis.carrel@pont-guerin.example",
        "06 12 34 56 78",
    ),
    "security_officer": (
        "Hélène",
        "Vasseur",
        "Responsable informatique : mairie",
        "helene.vasseur@pont-guerin.example",
        "02 40 00 11 30",
    ),
    "data_protection_referent": (
        "Marc",
        "Ribault",
        "Délégué mutualisé",
        "marc.ribault@pont-guerin.example",
        "02 40 00 11 31",
    ),
    "support_l1": (
        "Lucie",
        "Garnier",
        "Gestionnaire des habilitations",
        "lucie.garnier@pont-guerin.example",
        "02 40 00 11 32",
    ),
}
FIELDS = ("first_name", "last_name", "function", "email", "phone")
# the CCAS board authorised the signature a few weeks ago (a date before today's evaluation)
DELIBERATION = {
    "deliberation_body": "Conseil d'administration du CCAS",
    "deliberation_reference": "CA-2026-14",
    "deliberation_adopted_on": (datetime.date.today() - datetime.timedelta(days=17)).isoformat(),
}
WORKSTATIONS = {
    "information_method": "Mention sur les formulaires de demande",
    "non_opposition": "1",
    "browser-0": "firefox",
    "version-0": "140",
    "count-0": "4",
}


def people_fields() -> dict:
    return {
        f"{role}-{field}": value
        for role, values in PEOPLE.items()
        for field, value in zip(FIELDS, values, strict=True)
    }


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""


def caf_params(folder: Path) -> Path:
    """A parameter override as a Caf running the server keeps it: the browser releases maintained,
    dated a month ago (the pack's own list ages past browser_list_max_age_months). Fictitious
    release numbers; Firefox 140 is the partner's."""
    listed_on = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    path = Path(folder) / "caf-params.yaml"
    path.write_text(
        f'browser_supported_releases:\n  "{listed_on}": {{firefox: [140, 145], chrome: [145], edge:'
        " [145], safari: [26]}\n",
        encoding="utf-8",
    )
    return path

"""What a finding quotes is the words of the document it names, for every family: each `quote` of
every rule is found, word for word (line breaks aside), in the seed document of its declared
source. The ELIG family and the profile catalogue are also checked by test_elig_fidelity.py."""

import re

import pytest
import yaml
from helpers import POLICIES, ROOT

# the source documents sit beside the repository (or beside the folder holding its worktrees)
SEEDS = next(
    (
        p
        for p in (ROOT.parent / "shared" / "seeds", ROOT.parent.parent / "shared" / "seeds")
        if p.is_dir()
    ),
    None,
)
FILES = {"HR17-RPT": "000_", "HR17": "001_", "SGL16": "002_", "COU25": "003_", "LYO17": "004_"}
ELISION = "[…]"
FAMILIES = ["gov", "scope", "ret", "sub", "coord", "quota", "elig"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _quotes():
    for family in FAMILIES:
        for rule in yaml.safe_load((POLICIES / f"{family}.yaml").read_text(encoding="utf-8"))[
            "rules"
        ]:
            for ref in rule["references"]:
                # the GDPR is not among the seed documents: its words are quoted from the regulation
                if ref.get("quote") and ref["document"] != "RGPD":
                    yield (
                        f"{rule['id']} {ref['document']} {ref['article']}",
                        ref.get("source"),
                        ref["quote"],
                    )


@pytest.mark.skipif(SEEDS is None, reason="source documents not beside the repository")
def test_every_quote_is_in_the_document_of_its_source():
    seeds = {
        code: _flat(next(SEEDS.glob(prefix + "*.txt")).read_text(encoding="utf-8"))
        for code, prefix in FILES.items()
    }
    wrong = []
    for where, source, quote in _quotes():
        assert source in seeds, f"{where}: a quote must name its source document ({source!r})"
        for part in (_flat(p) for p in quote.split(ELISION)):
            if part and part not in seeds[source]:
                wrong.append((where, source, part[:80]))
    assert wrong == []


def test_every_quote_names_a_source_and_every_source_is_known():
    sources = {source for _, source, _ in _quotes()}
    assert sources <= set(FILES)

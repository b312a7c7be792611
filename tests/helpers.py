"""Shared test helpers: the shipped pack loaded once, and a snapshot writer."""
from __future__ import annotations

import functools
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
POLICIES = ROOT / "policies"


@functools.lru_cache(maxsize=None)
def pack():
    from cdap_policy.policy import load_pack

    return load_pack(POLICIES)


def base(edition: int = 2025) -> dict:
    return yaml.safe_load((POLICIES / "tests" / f"base-{edition}.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, data, name: str = "snapshot.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

"""What the pages do with an uploaded file: its name made safe, a private folder to read it from,
a result given back as a data: URI; and the schema a draft snapshot names."""

from __future__ import annotations

import base64
import functools
import tempfile
from pathlib import Path

SNAPSHOT_SUFFIXES = (".yaml", ".yml", ".json")
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt")


def private_folder():
    """A temporary folder only this process can read, removed when the block ends."""
    return tempfile.TemporaryDirectory(prefix="cdap-serve-")


def data_uri(text: str, media: str) -> str:
    return f"data:{media};charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode(
        "ascii"
    )


@functools.lru_cache(maxsize=1)
def schema_ref() -> str:
    """The schema as installed with the package (the snapshot evaluated on the server)."""
    from cdap_policy.load.schema import schema_path

    return schema_path("snapshot.schema.json").resolve().as_uri()


def safe_name(name: str, suffixes) -> str | None:
    """The last component of an uploaded file's name, if it ends with one of `suffixes`."""
    base = Path(str(name).replace("\\", "/")).name
    base = "".join(c for c in base if c.isalnum() or c in "._- ")[:120].strip() or "fichier"
    return base if base.lower().endswith(tuple(suffixes)) else None

"""A crash prints no identity: an unexpected error shows its type and place, never a value.

The attack: a failure mid-load (here the vault's disk fills up) raised from a frame whose
local variables hold the patients' identities; a pretty traceback with locals printed them.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import REPO, SAMPLE

# The vault's write fails mid-load, with a message that quotes the data it was writing.
CRASH = """
import sqlite3
from socle.privacy import vault

def full_disk(self, entries):
    entries = list(entries)
    raise sqlite3.OperationalError(f"database or disk is full while writing {entries[0]}")

vault.IdentityVault._insert = full_disk
from socle.cli import main
main()
"""


def identity_values(folder: Path) -> set[str]:
    """Names, SSNs, phones, birth dates and addresses of every patient of the input."""
    values: set[str] = set()
    for bundle in folder.glob("*.json.gz"):
        for entry in orjson.loads(gzip.decompress(bundle.read_bytes()))["entry"]:
            r: dict[str, Any] = entry["resource"]
            if r["resourceType"] != "Patient":
                continue
            values.add(r["birthDate"])
            for name in r.get("name", []):
                values.add(name["family"])
                values.update(name.get("given", []))
            values.update(t["value"] for t in r.get("telecom", []))
            values.update(i["value"] for i in r.get("identifier", []) if "value" in i)
            values.update(line for a in r.get("address", []) for line in a.get("line", []))
    return {v for v in values if len(v) >= 4}


def test_a_crash_mid_load_prints_its_type_and_place_but_no_identity(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:3]:
        shutil.copy(bundle, folder / bundle.name)
    result = subprocess.run(
        [sys.executable, "-c", CRASH, "ingest", str(folder), "--home", str(tmp_path / "home")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 70, output
    assert "OperationalError" in output and "vault.py" in output
    leaked = sorted(v for v in identity_values(folder) if v in output)
    assert not leaked, f"the crash printed {len(leaked)} identity values"
    assert "Traceback" not in output and "locals" not in output

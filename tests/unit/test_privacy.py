"""Keys, keyed pseudonyms, the encrypted vault and output checking."""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socle.privacy import (
    IdentityVault,
    Pseudonymizer,
    UnsafeSecretError,
    VaultError,
    check_aggregate,
    load_or_create_key,
)


def test_key_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "k.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key  # stable across runs


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    load_or_create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(UnsafeSecretError, match="chmod 600"):
        load_or_create_key(path)


def test_pseudonyms_are_stable_and_keyed() -> None:
    a, b = Pseudonymizer(b"k" * 32), Pseudonymizer(b"j" * 32)
    assert a.id("Patient", "123") == a.id("Patient", "123")
    assert a.id("Patient", "123") != b.id("Patient", "123")
    assert a.id("Patient", "123") != a.id("Encounter", "123")
    assert "123" not in a.token("Patient", "123")
    assert 0 < a.id("Patient", "123") < 2**63


@pytest.mark.parametrize("key", [b"k" * 32, b"short", bytes(range(64)), b"long" * 40])
def test_pseudonyms_are_hmac_sha256_of_type_and_id(key: bytes) -> None:
    """Ids and tokens stay those of HMAC-SHA256 whatever the key's length, so a warehouse
    loaded before keeps its ids when the same sources are loaded again."""
    pseudo = Pseudonymizer(key)
    for kind, source_id in [("Patient", "123"), ("Observation", "a-b#0"), ("Encounter", "é")]:
        mac = hmac.digest(key, f"{kind}|{source_id}".encode(), "sha256")
        assert pseudo.token(kind, source_id) == mac[:16].hex()
        assert pseudo.id(kind, source_id) == int.from_bytes(mac[:8], "big") & (2**63 - 1)


def test_vault_round_trip_and_lookup(tmp_path: Path) -> None:
    pseudo = Pseudonymizer(b"k" * 32)
    vault = IdentityVault(tmp_path / "v.sqlite", b"v" * 32, pseudo)
    vault.put_many([("tok1", "src-1", {"name": [{"family": "Dupont"}]})])
    assert vault.get("tok1") == {"name": [{"family": "Dupont"}]}
    assert vault.pseudonym_for_source("src-1") == "tok1"
    raw = (tmp_path / "v.sqlite").read_bytes()
    assert b"Dupont" not in raw and b"src-1" not in raw
    vault.close()
    wrong = IdentityVault(tmp_path / "v.sqlite", b"w" * 32, pseudo)
    with pytest.raises(VaultError, match="cannot be decrypted"):
        wrong.get("tok1")


def test_small_cells_are_suppressed_and_others_rounded() -> None:
    table = check_aggregate(["sex", "n"], [("F", 9), ("M", 12), ("U", 0)], ["n"])
    assert table.rows == (("F", None), ("M", 10), ("U", None))
    assert table.suppressed_cells == 2


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=50))
def test_no_released_count_is_below_threshold(counts: list[int]) -> None:
    table = check_aggregate(["n"], [(c,) for c in counts], ["n"], threshold=10, rounding_base=5)
    released = [row[0] for row in table.rows if row[0] is not None]
    assert all(v >= 10 and v % 5 == 0 for v in released)
    assert table.suppressed_cells == sum(1 for c in counts if c < 10)

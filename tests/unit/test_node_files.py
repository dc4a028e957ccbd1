"""The node's files: owner-only on disk, keys apart from the stores they protect."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from socle.config import Settings
from socle.node import Node
from socle.privacy import FileKeyProvider, UnsafeSecretError, key_provider


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The permissive umask of a default shell: what the node must not rely on."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _loose(root: Path) -> list[str]:
    """Every path under ``root`` that group or others can read, write or enter."""
    found = []
    for path in (root, *root.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found


def test_every_file_of_a_node_is_owner_only(
    tmp_path: Path, small_sample: Path, lax_umask: None
) -> None:
    node = Node.open(Settings(home=tmp_path / "home"))
    try:
        node.load(small_sample, actor="steward")
        node.quality_report(actor="steward")
    finally:
        node.close()
    home = tmp_path / "home"
    assert {p.name for p in home.iterdir()} >= {"warehouse.duckdb", "governance.sqlite",
                                                "vault.sqlite", "secrets", "reports"}  # fmt: skip
    assert _loose(home) == []


def test_opening_an_older_node_takes_away_group_and_other_access(
    tmp_path: Path, lax_umask: None
) -> None:
    home = tmp_path / "home"
    Node.open(Settings(home=home)).close()
    os.chmod(home, 0o755)
    os.chmod(home / "governance.sqlite", 0o644)
    Node.open(Settings(home=home)).close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "governance.sqlite").stat().st_mode) == 0o600


def test_keys_live_in_the_folder_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys-volume"
    monkeypatch.setenv("SOCLE_KEYS_DIR", str(keys))
    node = Node.open(Settings(home=tmp_path / "home"))
    node.close()
    assert {p.name for p in keys.iterdir()} >= {"pseudonym.key", "vault.key", "audit.key"}
    assert not (tmp_path / "home" / "secrets").exists()
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700


def test_a_key_with_no_entropy_is_refused(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "keys")
    provider.path("vault").parent.mkdir(mode=0o700)
    fd = os.open(provider.path("vault"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"a" * 32)
    os.close(fd)
    with pytest.raises(UnsafeSecretError, match="too predictable"):
        provider.key("vault")


def test_unknown_key_provider_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSecretError, match="unknown key provider 'kms'; known: file"):
        key_provider("kms", tmp_path)

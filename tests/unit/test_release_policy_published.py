"""One published release policy file sets every disclosure threshold, and the catalogue shows it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from socle.api import Principal, Role
from socle.config import Settings
from socle.node import Node
from socle.release import load_policy
from tests.apiclient import api_client, token_for
from tests.cli import socle
from tests.conftest import loaded_home

STRICT = """
[tables]
safe_threshold = 20
safe_round_base = 10
[desk]
checkers_required = 3
"""


@pytest.fixture
def strict_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    file = tmp_path / "strict-policy.toml"
    file.write_text(STRICT)
    monkeypatch.setenv("SOCLE_RELEASE_POLICY", str(file))
    return file


def test_every_disclosure_threshold_of_the_node_comes_from_the_policy_file(
    tmp_path: Path, strict_policy: Path
) -> None:
    node = Node.open(Settings(home=tmp_path / "home"))
    try:
        assert node.desk.policy.safe_threshold == 20
        assert (node.catalog.threshold, node.catalog.rounding_base) == (20, 10)
        assert (node.workspace.threshold, node.workspace.rounding_base) == (20, 10)
        assert node.catalog.release_policy == node.desk.policy.as_dict()
    finally:
        node.close()


def test_published_policy_names_its_file_and_hash_never_its_server_path(
    strict_policy: Path,
) -> None:
    policy = load_policy(strict_policy).as_dict()
    assert policy["source"] == "strict-policy.toml"
    assert policy["sha256"] == hashlib.sha256(strict_policy.read_bytes()).hexdigest()
    assert str(strict_policy.parent) not in str(policy)


def test_catalogue_shows_the_policy_by_api_and_cli(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, strict_policy: Path
) -> None:
    home = loaded_home(tmp_path_factory, dest=tmp_path / "home")
    node = Node.open(Settings(home=home))
    dataset = node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="steward"
    )
    node.close()
    with api_client(home) as client:
        who = token_for(client, Principal("reader", frozenset({Role.RESEARCHER})))
        body = client.get(f"/catalog/datasets/{dataset.id}", headers=who).json()
    assert body["release_policy"]["safe_threshold"] == 20
    assert body["release_policy"]["checkers_required"] == 3
    assert body["release_policy"]["source"] == "strict-policy.toml"
    assert str(tmp_path) not in str(body)

    shown = socle("catalog", "show", dataset.id, home=home)
    assert shown.returncode == 0, shown.text
    assert "release policy strict-policy.toml" in shown.stdout
    assert "safe_threshold=20" in shown.stdout and "checkers_required=3" in shown.stdout

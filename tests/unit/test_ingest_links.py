"""Ingest never follows a symbolic link out of the import root."""

from __future__ import annotations

from pathlib import Path

from socle.node import Node
from tests.fhirdata import patient, write_bundle


def test_links_out_of_the_import_root_are_refused(node: Node, tmp_path: Path) -> None:
    root = tmp_path / "import"
    write_bundle(root / "inside.json", patient("inside"))
    secret_file = write_bundle(tmp_path / "elsewhere" / "secret.json", patient("outside-file"))
    secret_dir = tmp_path / "elsewhere-dir"
    write_bundle(secret_dir / "deep.json", patient("outside-dir"))
    (root / "link.json").symlink_to(secret_file)
    (root / "folder").symlink_to(secret_dir, target_is_directory=True)
    summary = node.load(root, actor="test")
    assert summary.persons == 1
    node.vault.pseudonym_for_source("inside")
    assert node.vault.count() == 1
    refused = sorted(q.file for q in summary.quarantine)
    assert [Path(f).name for f in refused] == ["folder", "link.json"]
    assert all("link out of the import root" in q.reason for q in summary.quarantine)
    assert summary.reconciles()


def test_link_inside_the_root_is_read_once(node: Node, tmp_path: Path) -> None:
    root = tmp_path / "import"
    write_bundle(root / "real" / "a.json", patient("a"))
    (root / "alias.json").symlink_to(root / "real" / "a.json")
    (root / "again").symlink_to(root / "real", target_is_directory=True)
    summary = node.load(root, actor="test")
    assert summary.persons == 1 and summary.quarantine == []


def test_import_root_given_as_a_link_is_followed_once(node: Node, tmp_path: Path) -> None:
    write_bundle(tmp_path / "data" / "a.json", patient("a"))
    (tmp_path / "current").symlink_to(tmp_path / "data", target_is_directory=True)
    summary = node.load(tmp_path / "current", actor="test")
    assert summary.persons == 1 and summary.quarantine == []

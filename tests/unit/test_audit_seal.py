"""Rewriting the audit log is detectable without trusting the store: every event is sealed with a
key kept apart from it, and the head is anchored in a file outside it, checked by default."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from socle.audit import (
    AuditLog,
    TamperedLogError,
    check_head_signature,
    event_hash,
    head_path,
    verify_jsonl,
)
from socle.cli import app
from socle.config import Settings
from socle.node import Node, store_tables
from socle.store import create_tables, open_engine
from tests.helpers import approved_grant


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A node whose log holds ten committed events."""
    home = tmp_path / "home"
    node = Node.open(Settings(home=home))
    try:
        for i in range(10):
            node.audit.record(
                actor=f"user{i}", role="researcher", action="test.step", object=f"o{i}"
            )
    finally:
        node.close()
    return home


def _sql(home: Path, *statements: str) -> None:
    engine = create_tables(open_engine(f"sqlite:///{home / 'governance.sqlite'}"), store_tables())
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def _verify(home: Path) -> None:
    node = Node.open(Settings(home=home))
    try:
        node.audit.verify()
    finally:
        node.close()


def test_untouched_sealed_log_verifies_with_its_anchors(home: Path) -> None:
    lines = (home / "audit-anchors.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == list(range(1, 11))
    _verify(home)


def test_deleting_the_last_event_is_detected(home: Path) -> None:
    _sql(home, "DELETE FROM audit_event WHERE seq = 10", "DELETE FROM audit_seal WHERE seq = 10")
    with pytest.raises(TamperedLogError, match="has 9 events but event #10 was anchored"):
        _verify(home)


def test_rewriting_an_event_and_recomputing_the_sha256_chain_is_detected(home: Path) -> None:
    engine = create_tables(open_engine(f"sqlite:///{home / 'governance.sqlite'}"), store_tables())
    with engine.begin() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(text("SELECT * FROM audit_event ORDER BY seq"))
        ]
        prev = rows[2]["prev_hash"]
        for row in rows[2:]:  # rewrite event #3, then re-hash it and everything after it
            row["details"] = orjson.loads(row["details"])
            if row["seq"] == 3:
                row["actor"] = "someone-else"
            row["prev_hash"] = prev
            row["hash"] = prev = event_hash(row)
            conn.execute(
                text("UPDATE audit_event SET actor=:a, prev_hash=:p, hash=:h WHERE seq=:s"),
                {"a": row["actor"], "p": row["prev_hash"], "h": row["hash"], "s": row["seq"]},
            )
    AuditLog(engine).verify()  # the plain SHA-256 chain is fooled...
    engine.dispose()
    with pytest.raises(TamperedLogError, match=r"event #3 .*seal does not match"):
        _verify(home)  # ...the keyed seal is not


def test_removing_seals_is_detected(home: Path) -> None:
    _sql(home, "DELETE FROM audit_seal WHERE seq >= 4")
    with pytest.raises(TamperedLogError, match=r"event #4 .*carries no seal"):
        _verify(home)


def test_a_forged_anchor_line_is_detected(home: Path) -> None:
    anchors = home / "audit-anchors.jsonl"
    with anchors.open("ab") as f:
        f.write(orjson.dumps({"seq": 11, "hash": "0" * 64, "mac": "0" * 64}) + b"\n")
    with pytest.raises(TamperedLogError, match=r"line 11 .*not sealed by this node's audit key"):
        _verify(home)


def test_a_deleted_anchor_file_is_reported_not_recreated(home: Path) -> None:
    (home / "audit-anchors.jsonl").unlink()
    node = Node.open(Settings(home=home))
    try:
        node.audit.record(actor="a", role="researcher", action="test.more", object="x")
        with pytest.raises(TamperedLogError, match=r"anchor file .* is missing"):
            node.audit.verify()
    finally:
        node.close()
    assert not (home / "audit-anchors.jsonl").exists()


def test_a_rolled_back_append_leaves_the_anchor_consistent(home: Path) -> None:
    node = Node.open(Settings(home=home))
    try:
        with pytest.raises(RuntimeError), node.engine.begin() as conn:
            node.audit.append(conn, actor="a", role="researcher", action="test.lost", object="x")
            raise RuntimeError("the change failed")
        assert node.audit.verify().events == 10
    finally:
        node.close()


def test_cli_verify_checks_the_anchor_by_default(home: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--home", str(home)])
    assert ok.exit_code == 0 and "10 events" in ok.output
    _sql(home, "DELETE FROM audit_event WHERE seq = 10", "DELETE FROM audit_seal WHERE seq = 10")
    broken = runner.invoke(app, ["audit", "verify", "--home", str(home)])
    assert broken.exit_code == 3 and "truncated" in broken.output


def test_log_from_before_sealing_is_upgraded_once_then_verifies(tmp_path: Path) -> None:
    home = tmp_path / "old"
    home.mkdir()
    legacy = AuditLog(
        create_tables(
            open_engine(f"sqlite:///{(home / 'governance.sqlite').resolve()}"), store_tables()
        )
    )
    for i in range(3):
        legacy.record(actor="u", role="researcher", action="test.old", object=f"o{i}")
    legacy.engine.dispose()
    with pytest.raises(TamperedLogError, match="run `socle audit upgrade`"):
        _verify(home)
    result = CliRunner().invoke(app, ["audit", "upgrade", "--home", str(home)])
    assert result.exit_code == 0 and "3 events sealed" in result.output
    _verify(home)
    node = Node.open(Settings(home=home))
    try:
        [event] = node.audit.events("audit.upgrade")
        assert (event.actor, event.role, event.details) == ("administrator", "administrator",
                                                            {"sealed": 3})  # fmt: skip
    finally:
        node.close()


def test_export_carries_its_sealed_head_and_a_truncated_export_fails(
    home: Path, tmp_path: Path
) -> None:
    node = Node.open(Settings(home=home))
    try:
        export = tmp_path / "audit.jsonl"
        assert node.audit.export_jsonl(export) == 10
        seal = node.audit.seal
    finally:
        node.close()
    head = orjson.loads(head_path(export).read_bytes())
    assert head["seq"] == 10 and head["mac"]
    assert verify_jsonl(export, seal=seal).events == 10
    export.write_bytes(b"".join(export.read_bytes().splitlines(keepends=True)[:-1]))
    with pytest.raises(TamperedLogError, match="truncated"):
        verify_jsonl(export)


def test_an_outside_auditor_checks_the_export_head_with_the_public_key_only(
    home: Path, tmp_path: Path
) -> None:
    node = Node.open(Settings(home=home))
    other = Node.open(Settings(home=tmp_path / "other"))
    try:
        export = tmp_path / "audit.jsonl"
        node.audit.export_jsonl(export)
        assert node.audit.seal is not None and other.audit.seal is not None
        mine, theirs = node.audit.seal.public_key(), other.audit.seal.public_key()
    finally:
        node.close()
        other.close()
    assert verify_jsonl(export, public_key=mine).events == 10
    with pytest.raises(TamperedLogError, match="not signed by the node"):
        verify_jsonl(export, public_key=theirs)
    result = CliRunner().invoke(app, ["audit", "public-key", "--home", str(home)])
    assert result.output.strip() == mine


def test_every_release_carries_the_signed_audit_head(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    request = loaded.workspace.release(
        grant_id, ["sex", "persons"], [("F", 40), ("M", 35)], ["persons"], actor="researcher",
        description="test",
    )  # fmt: skip
    for checker in ("checker1", "checker2"):
        loaded.desk.appoint_checker(checker, actor="admin")
    loaded.desk.review(request.id, "approved", reasons="", actor="checker1")
    head = loaded.audit.head()
    released = loaded.desk.review(request.id, "approved", reasons="ok", actor="checker2")
    assert released.folder is not None
    written = orjson.loads((released.folder / "release.json").read_bytes())["audit_head"]
    assert (written["seq"], written["hash"]) == head
    assert loaded.audit.seal is not None
    check_head_signature(loaded.audit.seal.public_key(), *head, written["signature"])


def test_upgrade_does_not_bless_a_truncated_log(home: Path) -> None:
    _sql(home, "DELETE FROM audit_event WHERE seq = 10", "DELETE FROM audit_seal WHERE seq = 10")
    result = CliRunner().invoke(app, ["audit", "upgrade", "--home", str(home)])
    assert result.exit_code == TamperedLogError.exit_code != 0
    assert "truncated" in result.output

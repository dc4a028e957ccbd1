"""The hash-chained audit log detects every kind of tampering and names the event."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from socle.audit import AuditLog, TamperedLogError
from socle.store import open_engine


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(open_engine(f"sqlite:///{tmp_path / 'gov.sqlite'}"))
    for i in range(5):
        audit.record(actor=f"user{i}", role="researcher", action="test.step", object=f"obj{i}")
    return audit


def _sql(log: AuditLog, statement: str) -> None:
    with log.engine.begin() as conn:
        conn.execute(text(statement))


def test_untouched_log_verifies(log: AuditLog) -> None:
    result = log.verify()
    assert result.events == 5
    assert result.head_hash == log.head()[1]


def test_altered_event_is_named(log: AuditLog) -> None:
    _sql(log, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
    with pytest.raises(TamperedLogError, match=r"event #3 .*altered"):
        log.verify()


def test_deleted_event_is_detected(log: AuditLog) -> None:
    _sql(log, "DELETE FROM audit_event WHERE seq = 2")
    with pytest.raises(TamperedLogError, match=r"event #3 .*expected event #2"):
        log.verify()


def test_inserted_event_is_detected(log: AuditLog) -> None:
    _sql(log, "UPDATE audit_event SET seq = seq + 100 WHERE seq >= 3")  # make room at #3
    _sql(log, "UPDATE audit_event SET seq = seq - 99 WHERE seq >= 100")
    _sql(
        log,
        "INSERT INTO audit_event VALUES (3, '2020-01-01', 'x', 'x', 'forged', 'x', '', 'ok', '{}', "
        f"'{'0' * 64}', '{'0' * 64}')",
    )
    with pytest.raises(TamperedLogError, match=r"event #3"):
        log.verify()


def test_reordered_events_are_detected(log: AuditLog) -> None:
    _sql(log, "UPDATE audit_event SET seq = 99 WHERE seq = 2")
    _sql(log, "UPDATE audit_event SET seq = 2 WHERE seq = 4")
    _sql(log, "UPDATE audit_event SET seq = 4 WHERE seq = 99")
    with pytest.raises(TamperedLogError, match=r"event #2"):
        log.verify()


def test_truncation_is_detected_against_anchored_head(log: AuditLog) -> None:
    _, anchored = log.head()
    _sql(log, "DELETE FROM audit_event WHERE seq = 5")
    log.verify()  # a truncated chain is still internally consistent...
    with pytest.raises(TamperedLogError, match="truncated"):
        log.verify(expected_head=anchored)  # ...but not against the anchored head


def test_export_writes_one_line_per_event(log: AuditLog, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    assert log.export_jsonl(path) == 5
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3, 4, 5]
    assert lines[1]["prev_hash"] == lines[0]["hash"]


def test_append_rolls_back_with_the_state_change(log: AuditLog) -> None:
    with pytest.raises(RuntimeError), log.engine.begin() as conn:
        log.append(conn, actor="a", role="r", action="doomed", object="o")
        raise RuntimeError("the state change failed")
    assert log.verify().events == 5

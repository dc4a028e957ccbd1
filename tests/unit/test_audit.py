"""The hash-chained audit log detects every kind of tampering and names the event."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from socle.audit import Anchor, AuditError, AuditLog, TamperedLogError, verify_jsonl
from socle.node import store_tables
from socle.store import create_tables, open_engine


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(
        create_tables(open_engine(f"sqlite:///{tmp_path / 'gov.sqlite'}"), store_tables())
    )
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


def test_anchor_still_verifies_after_the_log_grows(log: AuditLog) -> None:
    anchor = log.anchor()
    log.record(actor="later", role="researcher", action="test.step", object="obj5")
    assert log.verify(anchors=[anchor]).events == 6


def test_truncation_below_an_anchor_is_detected(log: AuditLog) -> None:
    anchor = log.anchor()
    log.record(actor="later", role="researcher", action="test.step", object="obj5")
    _sql(log, "DELETE FROM audit_event WHERE seq >= 4")
    with pytest.raises(TamperedLogError, match=r"3 events but event #5 was anchored"):
        log.verify(anchors=[anchor])


def test_rewritten_tail_is_detected_against_an_anchor(log: AuditLog) -> None:
    anchor = log.anchor()
    _sql(log, "DELETE FROM audit_event WHERE seq = 5")
    log.record(actor="forger", role="researcher", action="test.step", object="rewritten")
    with pytest.raises(TamperedLogError, match=r"event #5 .*anchored hash"):
        log.verify(anchors=[anchor])


@pytest.mark.parametrize("text", ["", "5", "x:abc", '{"seq": 1}', "3:" + "g" * 64])
def test_malformed_anchor_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(AuditError, match="seq"):
        Anchor.parse(text)


def test_anchor_parses_what_head_prints(log: AuditLog) -> None:
    seq, digest = log.head()
    printed = orjson.dumps({"seq": seq, "hash": digest}).decode()
    assert Anchor.parse(printed) == Anchor.parse(f"{seq}:{digest}") == log.anchor()


def test_append_many_continues_the_chain_in_one_transaction(log: AuditLog) -> None:
    batch = [
        {"actor": "bulk", "role": "system", "action": "test.bulk", "object": f"o{i}"}
        for i in range(50)
    ]
    with log.engine.begin() as conn:
        seq, digest = log.append_many(conn, batch)
    assert (seq, digest) == log.head() and seq == 55
    assert log.verify().events == 55


def test_append_many_is_all_or_nothing(log: AuditLog) -> None:
    batch = [{"actor": "bulk", "role": "system", "action": "test.bulk", "object": "o"}, {}]
    with (
        pytest.raises(AuditError, match="event #2 of the batch lacks actor"),
        log.engine.begin() as conn,
    ):
        log.append_many(conn, batch)
    assert log.verify().events == 5


def _export(log: AuditLog, tmp_path: Path) -> tuple[Path, list[bytes]]:
    path = tmp_path / "audit.jsonl"
    log.export_jsonl(path)
    return path, path.read_bytes().splitlines()


def test_outside_auditor_verifies_an_untouched_export(log: AuditLog, tmp_path: Path) -> None:
    path, _ = _export(log, tmp_path)
    assert verify_jsonl(path, anchors=[log.anchor()]).head_hash == log.head()[1]


def test_outside_auditor_detects_an_edited_export(log: AuditLog, tmp_path: Path) -> None:
    path, lines = _export(log, tmp_path)
    lines[1] = lines[1].replace(b'"user1"', b'"mallory"')
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(TamperedLogError, match=r"event #2 .*altered"):
        verify_jsonl(path)


def test_outside_auditor_detects_a_removed_or_swapped_line(log: AuditLog, tmp_path: Path) -> None:
    path, lines = _export(log, tmp_path)
    path.write_bytes(b"\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + b"\n")
    with pytest.raises(TamperedLogError, match=r"event #3 .*expected event #2"):
        verify_jsonl(path)
    path.write_bytes(b"\n".join(lines[:-1]) + b"\n")
    with pytest.raises(TamperedLogError, match="truncated"):
        verify_jsonl(path, anchors=[log.anchor()])


def test_export_that_is_not_json_names_the_line(log: AuditLog, tmp_path: Path) -> None:
    path, lines = _export(log, tmp_path)
    path.write_bytes(b"\n".join([*lines[:3], b"{oops"]) + b"\n")
    with pytest.raises(TamperedLogError, match="line 4 is not JSON"):
        verify_jsonl(path)


def test_concurrent_appenders_extend_one_chain(tmp_path: Path) -> None:
    """Threads recording at once (the API's workers) neither collide nor fork the chain."""
    from concurrent.futures import ThreadPoolExecutor

    log = AuditLog(
        create_tables(open_engine(f"sqlite:///{tmp_path / 'gov.sqlite'}"), store_tables())
    )

    def record(i: int) -> int:
        return log.record(actor=f"u{i}", role="researcher", action="t.act", object=str(i)).seq

    with ThreadPoolExecutor(max_workers=8) as pool:
        seqs = sorted(pool.map(record, range(80)))
    assert seqs == list(range(1, 81))
    assert log.verify().events == 80


def test_a_page_of_events_is_cut_filtered_and_counted_by_the_store(log: AuditLog) -> None:
    from sqlalchemy import event

    for i in range(25):
        log.record(actor="auditor", role="auditor", action="test.read", object=f"page{i}")
    statements: list[str] = []
    event.listen(log.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    page = log.page(action="test.read", actor="auditor", limit=10, offset=20)
    assert page.total == 25
    assert [e.object for e in page.items] == [f"page{i}" for i in range(20, 25)]
    assert any("LIMIT" in s and "OFFSET" in s for s in statements)
    assert any("count(*)" in s.lower() for s in statements)
    everyone = log.page(limit=3)
    assert everyone.total == 30 and [e.seq for e in everyone.items] == [1, 2, 3]

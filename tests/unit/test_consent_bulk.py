"""Bulk loads: many lines in one transaction, progress reported, all or nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from socle.consent import MalformedConsentError, UnknownPatientError
from socle.demo import source_patient_ids
from socle.errors import SocleError
from socle.node import Node
from tests.helpers import today

LINES = 25_000  # crosses the registry's insert batch size


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _events(node: Node) -> int:
    return sum(
        len(node.consent.history(p))
        for (p,) in node.warehouse.aggregate("SELECT person_id FROM person")
    )


def test_bulk_records_every_line_with_progress(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    ids = source_patient_ids(small_sample)
    rows = [f"{ids[i % 3]},{(today() - timedelta(days=i % 50)).isoformat()}" for i in range(LINES)]
    seen: dict[str, list[tuple[int, int]]] = {}
    n = loaded.consents.bulk_load(
        _csv(tmp_path / "b.csv", "patient,effective", rows),
        purposes=["research", "ai_training"], actor="registry",
        on_progress=lambda phase, done, total: seen.setdefault(phase, []).append((done, total)),
    )  # fmt: skip
    assert n == 2 * LINES == _events(loaded)
    assert seen["matching"][-1] == (LINES, LINES)
    assert seen["recording"][-1] == (2 * LINES, 2 * LINES)
    assert len(seen["recording"]) == 3  # batches of 20,000
    assert {e.channel for e in loaded.consent.history(loaded.person_id(ids[0]))} == {
        "registry_sync"
    }
    assert not loaded.consent.state(loaded.person_id(ids[1]), "ai_training", today())


def test_bulk_line_may_override_purpose_and_kind(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    a, b, _ = source_patient_ids(small_sample)
    path = _csv(
        tmp_path / "b.csv", "patient,purpose,kind", [f"{a},industrial_research,opt_in", f"{b},,"]
    )
    loaded.consents.bulk_load(path, purposes=["research"], actor="s")
    assert loaded.consent.state(loaded.person_id(a), "industrial_research", today())
    assert not loaded.consent.state(loaded.person_id(b), "research", today())


@pytest.mark.parametrize(
    ("header", "last", "error", "needle"),
    [
        ("patient", "nobody-known", UnknownPatientError, f"line {LINES + 2}: no patient"),
        ("patient,effective", "{a},2999-01-01", SocleError, "future"),
        ("patient,effective", "{a},someday", MalformedConsentError, f"line {LINES + 2}"),
        ("patient,purpose", "{a},astrology", SocleError, "astrology"),
        ("name", "{a}", MalformedConsentError, "'patient' column"),
    ],
)
def test_one_bad_line_records_nothing(
    loaded: Node, small_sample: Path, tmp_path: Path, header: str, last: str,
    error: type[Exception], needle: str,
) -> None:  # fmt: skip
    ids = source_patient_ids(small_sample)
    extra = "," if "," in header else ""
    rows = [f"{ids[i % 3]}{extra}" for i in range(LINES)] + [last.format(a=ids[0])]
    with pytest.raises(error, match=needle) as info:
        loaded.consents.bulk_load(
            _csv(tmp_path / "b.csv", header, rows), purposes=["research"], actor="s"
        )
    assert ids[0] not in str(info.value)
    assert _events(loaded) == 0


def test_failure_while_writing_rolls_everything_back(
    loaded: Node, small_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = source_patient_ids(small_sample)
    rows = [ids[i % 3] for i in range(LINES)]

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise SocleError("audit store unavailable")

    monkeypatch.setattr(loaded.consent.audit, "append", broken_audit)
    with pytest.raises(SocleError, match="audit store unavailable"):
        loaded.consents.bulk_load(
            _csv(tmp_path / "b.csv", "patient", rows), purposes=["research"], actor="s"
        )
    assert _events(loaded) == 0


def test_line_without_any_purpose_is_refused(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    a, *_ = source_patient_ids(small_sample)
    with pytest.raises(MalformedConsentError, match="line 2: no purpose"):
        loaded.consents.bulk_load(_csv(tmp_path / "b.csv", "patient", [a]), purposes=[], actor="s")

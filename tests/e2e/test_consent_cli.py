"""The steward's ``socle consent`` commands, run as a user runs them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from socle.demo import source_patient_ids
from tests.cli import Run, socle


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    from tests.conftest import SAMPLE

    root = tmp_path_factory.mktemp("consent-cli")
    (root / "in").mkdir()
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:3]:
        (root / "in" / bundle.name).write_bytes(bundle.read_bytes())
    result = socle("ingest", str(root / "in"), home=root / "home")
    assert result.returncode == 0, result.stderr
    return root / "home", source_patient_ids(root / "in")


def _ok(result: Run) -> str:
    text = result.text
    assert result.returncode == 0, text
    assert "Traceback" not in text
    return text


def test_bulk_state_history_export_import(home: tuple[Path, list[str]], tmp_path: Path) -> None:
    h, (a, b, c) = home
    csv = tmp_path / "registry.csv"
    csv.write_text(f"patient\n{a}\n{b}\n")
    out = _ok(socle("consent", "bulk", str(csv), "--purpose", "ai_training", home=h))
    assert "2 consent events recorded" in out and "recording" in out

    state = _ok(socle("consent", "state", "--patient", a, home=h))
    assert "ai_training" in state and "excluded" in state and "registry_sync" in state
    assert "no consent event" in _ok(socle("consent", "history", "--patient", c, home=h))

    _ok(socle("consent", "opt-in", "--patient", c, "--purpose", "industrial_research", home=h))
    bundle = tmp_path / "c.json"
    _ok(socle("consent", "export", "--patient", c, "--out", str(bundle), home=h))
    (entry,) = orjson.loads(bundle.read_bytes())["entry"]
    assert entry["resource"]["provision"]["type"] == "permit"

    entry["resource"]["provision"]["type"] = "deny"
    bundle.write_bytes(orjson.dumps(orjson.loads(bundle.read_bytes()) | {"entry": [entry]}))
    out = _ok(socle("consent", "import", str(bundle), home=h))
    assert "1 Consent resources: 1 events for 1 patients recorded" in out
    history = _ok(socle("consent", "history", "--patient", c, home=h))
    assert "opt_in" in history and "withdraw_opt_in" in history and "fhir_import" in history

    assert "no project has used" in _ok(socle("consent", "projects", "--patient", a, home=h))
    assert "no released output" in _ok(socle("consent", "impact", home=h))
    assert "industrial_research" in _ok(socle("consent", "purposes", home=h))


def test_bad_bulk_line_is_named_and_nothing_recorded(
    home: tuple[Path, list[str]], tmp_path: Path
) -> None:
    h, (a, _, _) = home
    csv = tmp_path / "bad.csv"
    csv.write_text(f"patient\n{a}\nsomeone-else\n")
    result = socle("consent", "bulk", str(csv), "--purpose", "care_quality", home=h)
    text = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in text
    assert "bad.csv line 3: no patient with this source identifier" in text
    assert "someone-else" not in text
    assert "care_quality" in (state := _ok(socle("consent", "state", "--patient", a, home=h)))
    assert "(default)" in next(line for line in state.splitlines() if "care_quality" in line)

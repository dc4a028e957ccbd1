"""Mistakes a user can make get a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import Run, socle, socle_process


def _fails_cleanly(result: Run, code: int, *needles: str) -> None:
    out = result.text
    assert result.returncode == code, out
    assert "Traceback" not in out
    for needle in needles:
        assert needle in out


def test_missing_input_path(tmp_path: Path) -> None:
    _fails_cleanly(
        socle("ingest", str(tmp_path / "nope"), home=tmp_path / "h"), 2, "does not exist"
    )


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _fails_cleanly(
        socle("ingest", str(tmp_path / "empty"), home=tmp_path / "h"), 2, "holds no FHIR files"
    )


def test_malformed_json_is_named_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.json").write_text("{not json")
    _fails_cleanly(
        socle("ingest", str(tmp_path / "in"), home=tmp_path / "h"),
        3,
        "broken.json",
        "not valid JSON",
    )


@pytest.mark.parametrize(
    "args", [("ingest", "--frobnicate", "x"), ("audit", "verify", "--bogus"), ("nonsense",)]
)
def test_unknown_options_and_commands(tmp_path: Path, args: tuple[str, ...]) -> None:
    _fails_cleanly(socle(*args, home=tmp_path / "h"), 2)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("nonsense",), 2, "No such command"),
        (("consent", "object", "--patient", "nobody", "--purpose", "research"), 1, "no patient"),
    ],
)
def test_the_installed_command_exits_with_the_error_code(
    tmp_path: Path, args: tuple[str, ...], code: int, needle: str
) -> None:
    """The real process (``main``), not only the in-process runner, maps errors to exit codes."""
    _fails_cleanly(socle_process(*args, home=tmp_path / "h"), code, needle)


def test_unknown_patient_for_consent(tmp_path: Path) -> None:
    result = socle(
        "consent", "object", "--patient", "nobody", "--purpose", "research", home=tmp_path / "h"
    )
    _fails_cleanly(result, 1, "no patient with this source identifier")

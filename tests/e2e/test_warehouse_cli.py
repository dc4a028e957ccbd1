"""`socle warehouse`: vocabulary and key rotation through the command line."""

from __future__ import annotations

from pathlib import Path

from tests.cli import socle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_vocabulary_and_key_rotation_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    csv = FIXTURES / "synthea-csv"
    loaded = socle("ingest", str(csv), home=home)
    assert loaded.returncode == 0, loaded.stderr
    assert "resources/s" in loaded.stderr
    vocab = socle("warehouse", "load-vocabulary", str(FIXTURES / "vocabulary"), home=home)
    assert vocab.returncode == 0, vocab.stderr
    assert "9 concepts" in vocab.stdout
    key = (home / "secrets" / "pseudonym.key").read_bytes()

    refused = socle("warehouse", "rotate-key", str(csv / "patients.csv"), home=home)
    assert refused.returncode == 2 and "Traceback" not in refused.stdout + refused.stderr
    assert "sources do not produce" in refused.stderr
    assert (home / "secrets" / "pseudonym.key").read_bytes() == key

    rotated = socle("warehouse", "rotate-key", str(csv), home=home)
    assert rotated.returncode == 0, rotated.stderr
    assert "3 vault identities" in rotated.stdout
    assert (home / "secrets" / "pseudonym.key").read_bytes() != key
    again = socle("ingest", str(csv), home=home)
    assert again.returncode == 0, again.stderr

"""OHDSI Achilles runs on a Socle warehouse with every analysis succeeding, on real concepts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from socle.cli import app
from socle.config import Settings
from socle.node import Node

VOCABULARY = Path(__file__).resolve().parents[2] / "data" / "vocabulary"


def test_achilles_runs_every_analysis_and_counts_real_concepts(
    tmp_path: Path, small_sample: Path
) -> None:
    home = tmp_path / "home"
    node = Node.open(Settings(home=home))
    node.load(small_sample, actor="steward")
    node.load_vocabulary(VOCABULARY, actor="steward")
    node.close()

    result = CliRunner().invoke(app, ["quality", "achilles", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output

    node = Node.open(Settings(home=home))
    try:
        [(analyses, small)] = node.warehouse.aggregate(
            "SELECT count(DISTINCT analysis_id), count(*) FILTER (count_value < 10) "
            "FROM results.achilles_results"
        )
        assert analyses > 10 and small == 0, "small cells are removed from the results"
        [(concepts,)] = node.warehouse.aggregate(
            "SELECT count(*) FROM results.achilles_result_concept_count r "
            "JOIN concept c ON c.concept_id::VARCHAR = r.concept_id WHERE r.record_count > 0"
        )
        assert concepts > 10, "concept counts name real vocabulary concepts, not only 0"
        [event] = list(node.audit.events("quality.achilles"))
        assert event.details["failed"] == 0
    finally:
        node.close()

"""The researcher's walk through the CLI: query, cohort, job, release, and the permit chain."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import orjson
from typer.testing import CliRunner

from socle.cli import app
from socle.config import Settings
from socle.node import Node
from tests.conftest import SAMPLE
from tests.helpers import approved_grant

COUNTS = """
import pandas as pd
persons = pd.read_parquet("/job/extract/person.parquet")
cohort = pd.read_parquet("/job/extract/results/diabetes.parquet")
sex = persons.set_index("person_id").gender_concept_id.map({8507: "M", 8532: "F"})
table = cohort.assign(sex=cohort.person_id.map(sex)).groupby("sex").person_id.nunique()
table.rename("persons").reset_index().to_csv("/job/output/by_sex.csv", index=False)
print(table)  # stays in the job's stdout, an output like any other
"""


def test_researcher_queries_runs_a_job_releases_and_the_chain_traces_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    node = Node.open(Settings(home=home))
    (tmp_path / "input").mkdir()
    for bundle in SAMPLE.glob("*.json.gz"):
        shutil.copy(bundle, tmp_path / "input" / bundle.name)
    node.load(tmp_path / "input", actor="steward")
    grant_id = approved_grant(
        node,
        variables=(
            ("person", "year_of_birth"), ("person", "gender_concept_id"),
            ("condition_occurrence", "condition_source_value"),
            ("condition_occurrence", "condition_start_date"),
        ),
    )  # fmt: skip
    node.close()
    runner = CliRunner()

    def socle(*args: str) -> str:
        result = runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    shown = socle(
        "workspace", "query", "SELECT person_id, year_of_birth FROM scoped_person",
        "--grant", grant_id, "--name", "persons", "--actor", "researcher",
    )  # fmt: skip
    assert "kept in the workspace" in shown and "person_id, year_of_birth" in shown
    refused = runner.invoke(
        app,
        ["workspace", "query", "SELECT * FROM main.person", "--grant", grant_id, "--name", "x",
         "--actor", "researcher", "--home", str(home)],
    )  # fmt: skip
    assert refused.exit_code != 0
    cohort = tmp_path / "diabetes.json"
    cohort.write_bytes(orjson.dumps({"domain": "condition", "source_codes": ["SNOMED|44054006"]}))
    socle("workspace", "cohort", str(cohort), "--grant", grant_id, "--name", "diabetes",
          "--actor", "researcher")  # fmt: skip
    script = tmp_path / "by_sex.py"
    script.write_text(textwrap.dedent(COUNTS))
    ran = socle("job", "run", str(script), "--grant", grant_id, "--actor", "researcher",
                "--result", "diabetes")  # fmt: skip
    job_id = ran.split(":", 1)[0].strip()
    assert "succeeded" in ran and job_id.startswith("job-")
    logs = socle("job", "logs", job_id)
    assert "ended: succeeded" in logs and "by_sex.csv" in logs and "persons" not in logs
    released = socle("workspace", "release-table", job_id, "--file", "by_sex.csv",
                     "--count", "persons", "--actor", "researcher")  # fmt: skip
    release_id = released.split(":", 1)[0].strip()
    trace = socle("audit", "trace", release_id)
    for link in ("release", "job output", "job", "result", "grant", "decision", "request"):
        assert f"\n{link} " in "\n" + trace, trace
    assert grant_id in trace
    export = tmp_path / "audit.jsonl"
    socle("audit", "export", str(export))
    from_export = runner.invoke(
        app, ["audit", "trace", release_id, "--export", str(export)], catch_exceptions=False
    )
    assert from_export.exit_code == 0 and "decision" in from_export.output

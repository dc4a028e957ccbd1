"""``socle workspace extract``: an anonymised extract reaches the desk, or is refused saying why."""

from __future__ import annotations

from pathlib import Path

from socle.config import Settings
from socle.node import Node
from tests.cli import socle
from tests.conftest import SAMPLE
from tests.helpers import approved_grant

SQL = (
    "SELECT year_of_birth AS born, CASE gender_concept_id WHEN 8507 THEN 'M' ELSE 'F' END AS sex, "
    "{sensitive} AS smoker FROM scoped_person"
)


def test_extract_goes_to_the_desk_or_is_refused_with_its_reason(tmp_path: Path) -> None:
    home = tmp_path / "home"
    node = Node.open(Settings(home=home))
    node.load(SAMPLE, actor="steward")
    grant = approved_grant(node, output_types=("anonymised_dataset",))
    node.close()
    common = [
        "--grant",
        grant,
        "--qi",
        "born=year",
        "--qi",
        "sex=category",
        "--actor",
        "researcher",
    ]

    varied = SQL.format(sensitive="CASE WHEN year_of_birth % 2 = 0 THEN 'yes' ELSE 'no' END")
    made = socle("workspace", "extract", varied, *common, "--sensitive", "smoker", home=home)
    assert made.returncode == 0, made.text
    assert "k_anonymity" in made.stdout and "pass" in made.stdout
    assert "submitted at the release desk" in made.stdout

    constant = SQL.format(sensitive="'no'")
    refused = socle("workspace", "extract", constant, *common, "--sensitive", "smoker", home=home)
    assert refused.returncode != 0
    assert "'smoker' takes fewer than l=2 distinct values" in " ".join(refused.text.split())
    assert "Traceback" not in refused.text

    malformed = socle("workspace", "extract", varied, "--grant", grant, "--qi", "born",
                      "--sensitive", "smoker", "--actor", "researcher", home=home)  # fmt: skip
    assert malformed.returncode == 2 and "COLUMN=HIERARCHY" in " ".join(malformed.text.split())

"""Anonymised extracts: generalised to the policy's k, l and t, verified by pyCANON, refused with a
reason when the policy cannot be reached, and released only through the desk."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from pycanon import anonymity

from socle.config import Settings
from socle.node import Node
from socle.release import (
    HIERARCHIES,
    AnonymisationError,
    OutputError,
    ReleasePolicy,
    anonymised_extract,
)
from socle.release.anonymise import Target, anonymise
from tests.conftest import loaded_home
from tests.helpers import approved_grant

PERSONS_SQL = (
    "SELECT extract(year FROM current_date) - p.year_of_birth AS age, "
    "CASE p.gender_concept_id WHEN 8507 THEN 'M' WHEN 8532 THEN 'F' ELSE 'U' END AS sex, "
    "CASE WHEN p.person_id IN (SELECT person_id FROM scoped_condition_occurrence "
    "WHERE condition_source_value = 'SNOMED|59621000') THEN 'yes' ELSE 'no' END AS hypertension "
    "FROM scoped_person p"
)
QIS = {"age": "age", "sex": "category"}


@pytest.fixture(scope="module")
def loaded_all(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """The 50 real sample patients."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    yield node
    node.close()


def _population(n: int, seed: int = 7) -> pd.DataFrame:
    """Records drawn like a hospital population: ages, sex, a 3-digit zip, a diagnosis."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(0, 95, n),
            "sex": rng.choice(["F", "M"], n),
            "zip": rng.choice([f"{z:05d}" for z in range(1000, 1400, 7)], n),
            "diagnosis": rng.choice(["asthma", "diabetes", "copd", "none"], n, p=[.2, .3, .1, .4]),
        }
    )  # fmt: skip


def test_anonymiser_meets_k_l_t_as_pycanon_measures_them() -> None:
    data = _population(5_000)
    qis = {"age": HIERARCHIES["age"], "sex": HIERARCHIES["category"], "zip": HIERARCHIES["zip"]}
    done = anonymise(data, qis, ["diagnosis"], Target(k=10, l=3, t=0.2, max_suppression=0.05))
    out = done.data.astype({"age": str, "sex": str, "zip": str})
    assert anonymity.k_anonymity(out, list(qis)) >= 10
    assert anonymity.l_diversity(out, list(qis), ["diagnosis"]) >= 3
    assert anonymity.t_closeness(out, list(qis), ["diagnosis"]) <= 0.2 + 1e-9
    assert done.suppressed <= 250 and len(out) == 5_000 - done.suppressed
    # Less lost than withholding every quasi-identifier (NCP 1), and not everything withheld.
    assert 0 < done.loss < 1 and any(
        level < HIERARCHIES[q].height for q, level in done.levels.items()
    )


def test_unreachable_policy_is_refused_with_its_reason() -> None:
    data = _population(300).assign(diagnosis="none")
    qis = {"age": HIERARCHIES["age"]}
    with pytest.raises(AnonymisationError, match="'diagnosis' takes fewer than l=2"):
        anonymise(data, qis, ["diagnosis"], Target(k=5, l=2, t=0.5, max_suppression=0.05))
    with pytest.raises(AnonymisationError, match="fewer than k=500 records"):
        anonymise(_population(300), qis, ["diagnosis"], Target(500, 1, 1.0, 0.0))


def test_every_column_is_declared_and_no_id_leaves() -> None:
    policy = ReleasePolicy()
    data = _population(200)
    with pytest.raises(OutputError, match="undeclared: zip"):
        anonymised_extract(data, {"age": "age", "sex": "category"}, ["diagnosis"], policy)
    with pytest.raises(OutputError, match="no record ids: drop person_id"):
        anonymised_extract(
            data.assign(person_id=1), {**QIS, "zip": "zip", "person_id": "category"},
            ["diagnosis"], policy,
        )  # fmt: skip
    with pytest.raises(OutputError, match="no generalisation hierarchy 'postcode'"):
        anonymised_extract(data, {**QIS, "zip": "postcode"}, ["diagnosis"], policy)


def test_extract_of_the_grant_leaves_generalised_after_two_checkers(loaded_all: Node) -> None:
    node = loaded_all
    grant = approved_grant(node, output_types=("anonymised_dataset",))
    for checker in ("checker1", "checker2"):
        node.desk.appoint_checker(checker, actor="admin")
    req = node.workspace.anonymised_extract(
        grant, PERSONS_SQL, QIS, ["hypertension"], actor="researcher", description="ages by sex"
    )
    [item] = req.items
    checks = {c["name"]: c["status"] for c in item.checks}
    assert checks["k_anonymity"] == checks["l_diversity"] == checks["t_closeness"] == "pass"
    [suppression] = [c["reason"] for c in item.checks if c["name"] == "suppression"]
    assert "information loss (NCP)" in suppression and "least of 10 generalisations" in suppression
    assert req.folder is None  # nothing written before the checkers approve
    [event] = [e for e in node.audit.events("release.request") if e.object == req.id]
    assert event.role == "principal_investigator"
    for checker in ("checker1", "checker2"):
        released = node.desk.review(req.id, "approved", reasons="ok", actor=checker)
    assert released.folder is not None
    with (released.folder / "anonymised_extract.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    frame = pd.DataFrame(rows)
    assert set(frame.columns) == {"age", "sex", "hypertension"}
    assert frame.groupby(["age", "sex"]).size().min() >= 10
    assert not any(r["age"].isdigit() for r in rows)  # ages leave as bands (or withheld)


def test_grant_without_the_output_type_gives_no_extract(loaded_all: Node) -> None:
    grant = approved_grant(loaded_all)  # aggregates only
    with pytest.raises(Exception, match="not anonymised_dataset"):
        loaded_all.workspace.anonymised_extract(
            grant, PERSONS_SQL, QIS, ["hypertension"], actor="researcher", description="d"
        )

"""Model training is an exit: every figure leaving it is checked like a release.

Persons, landmarks and events are suppressed below the threshold and rounded
otherwise; metrics on fewer persons than the threshold are withheld; training
below the minimum persons or events is refused with a message that carries
no count of the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from socle.ai import ModelRegistry, TooFewForTrainingError, TrainingRules
from socle.config import Settings
from socle.governance import Population
from socle.node import Node
from tests.conftest import loaded_home
from tests.helpers import TRAINING_VARIABLES as VARIABLES
from tests.helpers import approved_grant

COUNTS = ("persons", "rows", "events", "train_rows", "test_rows", "train_persons", "test_persons")
TEST_METRICS = ("auroc", "brier", "mean_predicted", "observed_rate")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    yield node
    node.close()


def _training(node: Node) -> tuple[int, int, int]:
    """Persons, test-split persons and events of the sample, counted directly through the checkpoint."""
    grant = approved_grant(node, variables=VARIABLES, output_types=("model_training",))
    from socle.ai import build_training_set
    from socle.ai.training import _person_folds

    with node.workspace.session(grant, "model_training", actor="researcher") as ws:
        data = build_training_set(ws)
    _, test = _person_folds(data, 3, 7)[0]
    return data.persons, len(set(data.groups[test].tolist())), int(data.y.sum())


def test_every_count_leaving_the_model_path_is_suppressed_or_rounded(
    sample: Node, tmp_path: Path
) -> None:
    persons, test_persons, _events = _training(sample)
    # A threshold above the held-out side and below the whole set: the attack's shape
    # (train_persons 3, test_persons 2) whatever the split of this deployment's pseudonyms.
    threshold = test_persons + 1
    assert persons >= threshold
    rules = TrainingRules(threshold=threshold, rounding_base=5)
    registry = ModelRegistry(sample.engine, sample.audit, tmp_path, rules)
    grant = approved_grant(sample, variables=VARIABLES, output_types=("model_training",))
    trained = registry.train(sample.workspace, grant, actor="researcher")
    metrics = registry.metrics(trained.id)
    for name in COUNTS:
        value = metrics[name]
        assert value is None or (value >= threshold and value % 5 == 0), (name, value)
    assert metrics["test_persons"] is None
    assert all(metrics[m] is None for m in TEST_METRICS), "metrics on few persons were released"
    assert metrics["persons"] == 5 * round(persons / 5)
    assert metrics["prevalence"] == round(metrics["events"] / metrics["rows"], 3)
    [event] = [e for e in sample.audit.events("model.train") if e.object == trained.id]
    assert event.details["persons"] == metrics["persons"]
    assert event.details["landmarks"] == metrics["rows"]
    notice = trained.notice.read_text()
    assert f"fewer than {rules.min_persons} persons" in notice
    assert f"{rules.min_events} events" in notice
    assert f"Persons: about {metrics['persons']}" in notice
    assert f" {persons};" not in notice and f" {persons}." not in notice


def test_the_node_model_path_applies_the_release_rules(sample: Node) -> None:
    grant = approved_grant(sample, variables=VARIABLES, output_types=("model_training",))
    trained = sample.models.train(sample.workspace, grant, actor="researcher")
    metrics = sample.models.metrics(trained.id)
    assert (metrics["threshold"], metrics["rounding_base"]) == (10, 5)
    for name in COUNTS:
        value = metrics[name]
        assert value is None or (value >= 10 and value % 5 == 0), (name, value)
    if metrics["test_persons"] is None:
        assert all(metrics[m] is None for m in TEST_METRICS)


def test_no_server_path_in_model_metrics(sample: Node) -> None:
    grant = approved_grant(sample, variables=VARIABLES, output_types=("model_training",))
    trained = sample.models.train(sample.workspace, grant, actor="researcher")
    metrics = sample.models.metrics(trained.id)
    assert metrics["calibration_plot"] == "calibration.png"
    assert str(sample.settings.home) not in repr(metrics)


def test_training_on_a_narrow_population_is_refused_without_any_count(sample: Node) -> None:
    narrow = Population(min_age=18, max_age=35, sex="F")
    grant = approved_grant(
        sample, variables=VARIABLES, output_types=("model_training",), population=narrow
    )
    with pytest.raises(TooFewForTrainingError) as refused:
        sample.models.train(sample.workspace, grant, actor="researcher")
    numbers = set(re.findall(r"\d+", refused.value.message))
    assert numbers <= {"10", "3"}, f"the refusal quotes counts: {refused.value.message}"
    assert "at least 10 persons and 10 events" in refused.value.message


def test_minimum_persons_and_events_are_settings(sample: Node, tmp_path: Path) -> None:
    grant = approved_grant(sample, variables=VARIABLES, output_types=("model_training",))
    strict = ModelRegistry(
        sample.engine, sample.audit, tmp_path, TrainingRules(min_persons=1000, min_events=10)
    )
    with pytest.raises(TooFewForTrainingError, match="at least 1000 persons"):
        strict.train(sample.workspace, grant, actor="researcher")
    assert not any(tmp_path.iterdir()), "a refused training wrote files"
    assert Settings(min_training_events=40).min_training_events == 40
    assert Settings().min_training_persons == Settings().min_training_events == 10

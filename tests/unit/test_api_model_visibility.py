"""A model is seen only by its project's team, the committee and auditors, and no response
carries a server file path.

The attack: a researcher off the team read another project's model (``GET /models/ID``),
with its metrics and the server path of its calibration plot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from socle.api import Principal, Role
from socle.config import Settings
from socle.node import Node
from tests.apiclient import api_client, token_for
from tests.conftest import loaded_home
from tests.helpers import TRAINING_VARIABLES as VARIABLES
from tests.helpers import approved_grant


@pytest.fixture(scope="module")
def served_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    home = loaded_home(tmp_path_factory)  # the 50 sample patients
    node = Node.open(Settings(home=home))
    grant = approved_grant(node, variables=VARIABLES, output_types=("model_training",))
    model_id = node.models.train(node.workspace, grant, actor="researcher").id  # team: researcher
    node.close()
    with api_client(home) as client:
        yield client, model_id


def _get(client: TestClient, model_id: str, name: str, role: Role) -> Response:
    response: Response = client.get(
        f"/models/{model_id}", headers=token_for(client, Principal(name, frozenset({role})))
    )
    return response


@pytest.mark.parametrize(
    ("name", "role", "status"),
    [
        ("researcher", Role.RESEARCHER, 200),  # on the project's team
        ("mallory", Role.RESEARCHER, 403),  # a researcher of another project
        ("chair", Role.COMMITTEE_MEMBER, 200),
        ("inspector", Role.AUDITOR, 200),
        ("dr", Role.CLINICIAN, 403),
        ("college", Role.COLLEGE_MEMBER, 403),
    ],
)
def test_only_the_team_the_committee_and_auditors_see_a_model(
    served_model: tuple[TestClient, str], name: str, role: Role, status: int
) -> None:
    client, model_id = served_model
    response = _get(client, model_id, name, role)
    assert response.status_code == status, response.text


def test_no_model_response_carries_a_server_path(served_model: tuple[TestClient, str]) -> None:
    client, model_id = served_model
    response = _get(client, model_id, "researcher", Role.RESEARCHER)
    home = str(client.app.state.runner.call_sync(lambda n: n.settings.home))  # type: ignore[attr-defined]
    assert "/" not in "".join(str(v) for v in response.json()["metrics"].values())
    assert home not in response.text
    missing = _get(client, "model-nope", "chair", Role.COMMITTEE_MEMBER)
    assert missing.status_code == 404

"""Test helpers: an approved grant on a loaded node."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from socle.governance import Population, ProjectRequest, RequestedVariable, TeamMember
from socle.node import Node

JUSTIFIED = "Needed to answer the declared research question."


def make_request(
    node: Node,
    dataset_id: str,
    *,
    purpose: str = "research",
    variables: tuple[tuple[str, str], ...] = (
        ("person", "year_of_birth"),
        ("person", "gender_concept_id"),
        ("condition_occurrence", "condition_source_value"),
    ),
    justification: str = JUSTIFIED,
    output_types: tuple[str, ...] = ("aggregates",),
    population: Population | None = None,
) -> ProjectRequest:
    return ProjectRequest(
        title="Test project",
        sponsor="Test sponsor",
        team=(TeamMember("researcher", "principal_investigator"),),
        purpose=purpose,
        public_interest="Better care for everyone.",
        dataset_id=dataset_id,
        variables=tuple(RequestedVariable(t, c, justification) for t, c in variables),
        output_types=output_types,  # type: ignore[arg-type]
        population=population,
    )


def approved_grant(node: Node, **kwargs: object) -> str:
    """Register the warehouse, file a request, pass checks and review, and issue a grant."""
    dataset = node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="steward"
    )
    request_id = node.governance.create(make_request(node, dataset.id, **kwargs), actor="r")  # type: ignore[arg-type]
    checks = node.governance.submit(request_id, actor="r")
    assert all(c.passed for c in checks), checks
    node.governance.start_review(request_id, actor="chair")
    review_favourably(node, request_id)
    node.governance.decide(request_id, "approved", reviewers=["chair"], reasons="ok", actor="chair")
    expires = datetime.now(UTC).date() + timedelta(days=30)
    return node.governance.issue_grant(request_id, expires=expires, actor="chair").id


def review_favourably(node: Node, request_id: str, member: str = "chair") -> None:
    """A committee member (appointed if new) scores every published criterion 4 of 5."""
    m = node.governance.ensure_member(member, expertise="methods", actor="s")
    scores = dict.fromkeys(node.governance.criteria.criteria, 4)
    node.governance.review(request_id, m.id, scores=scores, summary="Sound.", actor=member)


def today() -> date:
    """Today's date (UTC), read when called: a module-level constant goes stale at midnight."""
    return datetime.now(UTC).date()


COLLEGE_MEMBER = "college@hospital"


def deploy(node: Node, model_id: str, validator: str = "chair") -> None:
    """Validate a model (a committee member off the team) and deploy it (a college member)."""
    node.governance.ensure_member(validator, expertise="methods", actor="admin")
    node.models.transition(
        model_id, "validated", actor=validator, role="committee_member",
        reason="Evaluation read: fit for a supervised deployment.",
    )  # fmt: skip
    node.college.appoint(COLLEGE_MEMBER, expertise="clinical AI", actor="admin")
    node.college.decide(model_id, "deploy", actor=COLLEGE_MEMBER, reason="Deployed under review.")


# The columns a model-training grant of the demo definitions needs.
TRAINING_VARIABLES = (
    ("person", "year_of_birth"), ("person", "gender_concept_id"),
    ("condition_occurrence", "condition_source_value"), ("condition_occurrence", "condition_start_date"),
    ("measurement", "measurement_source_value"), ("measurement", "value_as_number"),
    ("measurement", "measurement_date"), ("observation_period", "observation_period_start_date"),
    ("observation_period", "observation_period_end_date"),
)  # fmt: skip

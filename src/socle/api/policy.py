"""Who may call what: every route's allowed roles, in one place. Deny by default.

A route is known by its name (``name=`` on the route). A route that is not
declared here, and not public, is refused to everyone; the authorisation
matrix test enumerates the app's routes against this table.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from socle.api.auth import Principal
from socle.api.deps import current_principal
from socle.api.errors import PermissionDeniedError
from socle.api.roles import ALL_ROLES, Role

R = Role
STEWARD, RESEARCHER, COMMITTEE = R.DATA_STEWARD, R.RESEARCHER, R.COMMITTEE_MEMBER
CLINICIAN, PATIENT, COLLEGE = R.CLINICIAN, R.PATIENT, R.COLLEGE_MEMBER
AUDITOR, ADMIN = R.AUDITOR, R.ADMINISTRATOR
CHECKER = R.OUTPUT_CHECKER
MAKER, OBS_REVIEWER = R.MAKER, R.OBSERVATORY_REVIEWER

# Routes anyone may call, signed in or not.
PUBLIC: frozenset[str] = frozenset(
    {"health", "auth.token", "openapi", "swagger_ui_html", "swagger_ui_redirect", "redoc_html"}
    # the observatory's public pages read published entries only
    | {
        "observatory.taxonomy",
        "observatory.map",
        "observatory.entry",
        "observatory.top",
        "observatory.method",
        "observatory.alerts",
        "observatory.feed",
        "observatory.dcat",
        "observatory.export_csv",
    }
)

POLICY: dict[str, frozenset[Role]] = {
    "auth.me": ALL_ROLES,
    "users.create": frozenset({ADMIN}),
    # ingest and quality
    "ingest.load": frozenset({STEWARD}),
    "quality.report": frozenset({STEWARD}),
    "jobs.get": frozenset({STEWARD, RESEARCHER}),  # each sees only the jobs they started
    # catalogue
    "catalog.register": frozenset({STEWARD}),
    "catalog.dataset": frozenset({STEWARD, RESEARCHER, COMMITTEE, AUDITOR, ADMIN}),
    "catalog.variables": frozenset({STEWARD, RESEARCHER, COMMITTEE, AUDITOR, ADMIN}),
    # at a hub: each site's checked count, combined and checked again (audited at both)
    "catalog.network_feasibility": frozenset({STEWARD, RESEARCHER, COMMITTEE}),
    # consent
    "consent.purposes": ALL_ROLES,
    "consent.record": frozenset({STEWARD}),
    "consent.check": frozenset({STEWARD}),
    "consent.person": frozenset({STEWARD}),
    "consent.mine": frozenset({PATIENT}),
    "consent.my_choice": frozenset({PATIENT}),
    "consent.my_uses": frozenset({PATIENT}),
    # governance
    "requests.create": frozenset({RESEARCHER}),
    "requests.get": frozenset({RESEARCHER, COMMITTEE, AUDITOR}),
    "requests.submit": frozenset({RESEARCHER}),
    "requests.review": frozenset({COMMITTEE}),
    "requests.decide": frozenset({COMMITTEE}),
    "requests.reviews.create": frozenset({COMMITTEE}),
    "committee.members.create": frozenset({ADMIN}),
    "committee.conflicts.create": frozenset({COMMITTEE}),
    "requests.grant": frozenset({COMMITTEE}),
    "grants.get": frozenset({RESEARCHER, COMMITTEE, AUDITOR}),
    "grants.revoke": frozenset({COMMITTEE}),
    # workspace and AI
    "workspace.condition_counts": frozenset({RESEARCHER}),
    "workspace.query": frozenset({RESEARCHER}),
    "workspace.cohort": frozenset({RESEARCHER}),
    "workspace.jobs.create": frozenset({RESEARCHER}),
    "workspace.jobs.get": frozenset({RESEARCHER}),
    "workspace.jobs.logs": frozenset({RESEARCHER}),
    "workspace.jobs.cancel": frozenset({RESEARCHER}),
    "models.train": frozenset({RESEARCHER}),
    # a model, like a release, is seen by its project's team (scope check), the committee, auditors
    "models.get": frozenset({RESEARCHER, COMMITTEE, AUDITOR}),
    "models.list": frozenset({COMMITTEE, AUDITOR, COLLEGE}),
    "models.definitions": frozenset({RESEARCHER, COMMITTEE, AUDITOR, COLLEGE}),
    "models.stage": frozenset({COMMITTEE}),
    # lineage and report: the project's team (scope check), the committee, auditors, the college
    "models.lineage": frozenset({RESEARCHER, COMMITTEE, AUDITOR, COLLEGE}),
    "models.report": frozenset({RESEARCHER, COMMITTEE, AUDITOR, COLLEGE}),
    # documents: clinicians read the notices only (scope check)
    "models.document": frozenset({RESEARCHER, COMMITTEE, AUDITOR, COLLEGE, CLINICIAN}),
    # release desk
    "workspace.condition_counts_check": frozenset({RESEARCHER}),
    "workspace.dp_count": frozenset({RESEARCHER}),
    "release.policy": ALL_ROLES,
    "release.requests.list": frozenset({RESEARCHER, CHECKER, AUDITOR}),
    "release.requests.get": frozenset({RESEARCHER, CHECKER, AUDITOR}),
    "release.reviews.create": frozenset({CHECKER}),
    "release.files.get": frozenset({RESEARCHER, CHECKER, AUDITOR}),
    "release.checkers.create": frozenset({ADMIN}),
    "release.ledger": frozenset({CHECKER, AUDITOR, COMMITTEE}),
    "release.budget": frozenset({RESEARCHER, CHECKER, AUDITOR, COMMITTEE}),
    # human guarantee
    "predictions.create": frozenset({CLINICIAN}),
    "predictions.get": frozenset({CLINICIAN, COLLEGE}),
    "predictions.decide": frozenset({CLINICIAN}),
    "guarantee.status": frozenset({COLLEGE, AUDITOR, ADMIN}),
    "guarantee.reasons": ALL_ROLES,
    "predictions.outcome": frozenset({CLINICIAN, STEWARD}),
    "guarantee.monitor": frozenset({COLLEGE}),
    "guarantee.alerts": frozenset({COLLEGE, AUDITOR}),
    "guarantee.fhir": frozenset({COLLEGE, AUDITOR}),
    # the college of human guarantee
    "college.members.create": frozenset({ADMIN}),
    "college.decisions.create": frozenset({COLLEGE}),
    "college.reviews.create": frozenset({COLLEGE}),
    # audit
    "audit.events": frozenset({AUDITOR}),
    "audit.verify": frozenset({AUDITOR, ADMIN}),
    "audit.trace": frozenset({AUDITOR, COMMITTEE}),
    # observatory (public reads are in PUBLIC)
    "observatory.submit": frozenset({MAKER, STEWARD, CLINICIAN, RESEARCHER}),
    "observatory.revise": frozenset({MAKER, STEWARD, CLINICIAN, RESEARCHER}),
    "observatory.submission": frozenset(
        {MAKER, STEWARD, CLINICIAN, RESEARCHER, OBS_REVIEWER, AUDITOR}
    ),
    "observatory.queue": frozenset({OBS_REVIEWER, STEWARD, AUDITOR}),
    "observatory.declare": frozenset({OBS_REVIEWER}),
    "observatory.review": frozenset({OBS_REVIEWER}),
    "observatory.publish": frozenset({OBS_REVIEWER}),
    "observatory.review_batch": frozenset({OBS_REVIEWER}),
    "observatory.publish_batch": frozenset({OBS_REVIEWER}),
    "observatory.method_adopt": frozenset({OBS_REVIEWER}),
    "observatory.ranking_record": frozenset({OBS_REVIEWER}),
    "observatory.sync": frozenset({STEWARD}),
}


def allowed_roles(route_name: str) -> frozenset[Role]:
    """The roles a route allows; none for an undeclared route."""
    return POLICY.get(route_name, frozenset())


async def authorize(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """Router-wide dependency: the caller must hold one of the route's declared roles."""
    route = request.scope.get("route")
    name = getattr(route, "name", "")
    if not principal.has_any(allowed_roles(name)):
        raise PermissionDeniedError(
            f"your roles ({', '.join(sorted(principal.roles)) or 'none'}) may not call {name}"
        )
    return principal


Authorized = Annotated[Principal, Depends(authorize)]

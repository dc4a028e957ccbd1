"""What each route does: one function per operation, run on the node's thread.

Each function checks the caller's scope (:mod:`socle.api.access`), calls the
owning context's service with the authenticated subject as the audited
actor, and returns the public schema. Routes only parse and await these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from socle.api import access
from socle.api import schemas as s
from socle.api.auth import Principal
from socle.api.errors import AuthenticationError, PermissionDeniedError
from socle.api.roles import Role
from socle.api.throttle import SignInThrottle
from socle.api.users import UserStore
from socle.consent import ConsentEvent
from socle.errors import InputError
from socle.governance import Population, ProjectRequest, RequestedVariable, TeamMember
from socle.guarantee import Prediction
from socle.node import Node
from socle.store import Page
from socle.workspace import Job, from_json, trace


def _today() -> date:
    return datetime.now(UTC).date()


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """A page of a list built in Python (for lists that are not rows of one store query)."""
    return {"items": items[offset : offset + limit], "total": len(items), "limit": limit,
            "offset": offset}  # fmt: skip


def public_page(found: Page[Any], schema: type[BaseModel]) -> dict[str, Any]:
    """A page read in SQL, each item read into its public ``schema`` from its attributes."""
    items = [schema.model_validate(item, from_attributes=True) for item in found.items]
    return {"items": items, "total": found.total, "limit": found.limit, "offset": found.offset}


# -- users ----------------------------------------------------------------------------


def sign_in(
    users: UserStore, throttle: SignInThrottle, body: s.TokenRequest, client: str
) -> Principal:
    """The principal for a correct password, unless the account or client is throttled."""
    throttle.check(body.username, client)
    try:
        principal = users.authenticate(body.username, body.password)
    except AuthenticationError:
        throttle.failed(body.username, client)
        raise
    throttle.succeeded(body.username)
    return principal


def create_user(node: Node, users: UserStore, who: Principal, body: s.UserCreate) -> s.UserPublic:
    roles = frozenset(body.roles)
    person_id = None
    if Role.PATIENT in roles:
        if not body.patient_source_id:
            raise InputError("a patient account needs patient_source_id (the hospital's id)")
        person_id = node.person_id(body.patient_source_id)
    user = users.create(
        body.username, body.password, roles, person_id=person_id,
        care_contexts=tuple(body.care_contexts), actor=who.subject,
    )  # fmt: skip
    return s.UserPublic(
        username=user.subject, roles=sorted(user.roles), person_id=user.person_id,
        care_contexts=list(user.care_contexts),
    )  # fmt: skip


# -- ingest, quality, catalogue --------------------------------------------------------


def import_path(import_dir: Path, body: s.LoadCreate) -> Path:
    """The input to load: under the import directory, never elsewhere on the server."""
    root = import_dir.resolve()
    try:
        path = (root / body.path).resolve()
        exists = path.exists()
    except (OSError, ValueError) as exc:
        # The OS error's reason only: its text names the resolved server path.
        reason = (exc.strerror or type(exc).__name__) if isinstance(exc, OSError) else exc
        raise InputError(f"'{body.path}' is not a usable path ({reason})") from exc
    if not path.is_relative_to(root):
        raise InputError(f"'{body.path}' is outside the import directory; give a relative path")
    if not exists:
        raise InputError(f"'{body.path}' does not exist in the import directory")
    return path


def load(
    node: Node, who: Principal, import_dir: Path, body: s.LoadCreate,
    on_file: Callable[[Path, int], None] | None = None,
) -> s.LoadPublic:  # fmt: skip
    """Load FHIR input found under the import directory (``on_file`` follows its progress)."""
    summary = node.load(import_path(import_dir, body), actor=who.subject, on_file=on_file)
    return s.LoadPublic(
        load_id=summary.load_id, files=summary.files, persons=summary.persons,
        **summary.totals(),
    )  # fmt: skip


def quality_report(node: Node, who: Principal) -> s.QualityPublic:
    report = node.quality_report(actor=who.subject)
    return s.QualityPublic(
        generated_at=report.generated_at, passed=report.passed, row_counts=report.row_counts,
        completeness=report.completeness, implausible=report.implausible,
        report=report.html_path.name,
    )  # fmt: skip


def _dataset(d: Any) -> s.DatasetPublic:
    return s.DatasetPublic(
        id=d.id, title=d.title, description=d.description, publisher=d.publisher,
        population=d.population, coverage_start=d.coverage_start, coverage_end=d.coverage_end,
        variables=len(d.variables), release_policy=d.release_policy,
    )  # fmt: skip


def register_dataset(node: Node, who: Principal, body: s.DatasetCreate) -> s.DatasetPublic:
    return _dataset(
        node.catalog.register(
            node.warehouse,
            title=body.title,
            description=body.description,
            publisher=body.publisher,
            actor=who.subject,
        )
    )


def _for_purpose(node: Node, who: Principal, dataset_id: str, purpose: str) -> Any:
    """The dataset as seen for ``purpose``: consenting persons only, counts checked."""
    return node.catalog.for_purpose(
        dataset_id, warehouse=node.warehouse, consent=node.consent, purpose=purpose,
        actor=who.subject, role=",".join(sorted(who.roles)),
    )  # fmt: skip


def dataset(node: Node, who: Principal, dataset_id: str, purpose: str) -> s.DatasetPublic:
    return _dataset(_for_purpose(node, who, dataset_id, purpose))


def variables(
    node: Node,
    who: Principal,
    dataset_id: str,
    purpose: str,
    table: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    found = [
        s.VariablePublic(**asdict(v))
        for v in _for_purpose(node, who, dataset_id, purpose).variables
        if table is None or v.table == table
    ]
    return page(found, limit, offset)


# -- consent -------------------------------------------------------------------------------


def purposes(node: Node) -> list[s.PurposePublic]:
    return [
        s.PurposePublic(code=code, title=p.title, rule=p.rule)
        for code, p in node.taxonomy.purposes.items()
    ]


def record_consent(node: Node, who: Principal, body: s.ConsentBatchCreate) -> s.RecordedPublic:
    events = [
        ConsentEvent(e.person_id, e.purpose, e.kind, e.effective, e.channel, who.subject)
        for e in body.events
    ]
    return s.RecordedPublic(
        recorded=node.consent.record(events, actor=who.subject, role=Role.DATA_STEWARD)
    )


def check_consent(
    node: Node, person_id: int, purpose: str, on: date | None
) -> s.ConsentCheckPublic:
    when = on or _today()
    included = node.consent.state(person_id, purpose, when)
    return s.ConsentCheckPublic(person_id=person_id, purpose=purpose, on=when, included=included)


def consent_view(node: Node, person_id: int, limit: int, offset: int) -> s.ConsentViewPublic:
    """A person's current choice for every purpose, and their history of events."""
    today = _today()
    states = [
        s.PurposeStatePublic(
            purpose=code, rule=p.rule, included=node.consent.state(person_id, code, today)
        )
        for code, p in node.taxonomy.purposes.items()
    ]
    history = node.consent.history_page(person_id, limit, offset)
    return s.ConsentViewPublic(
        person_id=person_id, states=states,
        history=s.Page[s.ConsentEventPublic](**public_page(history, s.ConsentEventPublic)),
    )  # fmt: skip


def my_consent(node: Node, who: Principal, limit: int, offset: int) -> s.ConsentViewPublic:
    return consent_view(node, access.own_person(who), limit, offset)


def my_choice(node: Node, who: Principal, body: s.ConsentChoiceCreate) -> s.ConsentViewPublic:
    """A patient records their own choice at the portal, effective today."""
    person = access.own_person(who)
    event = ConsentEvent(person, body.purpose, body.kind, _today(), "portal", who.subject)
    node.consent.record([event], actor=who.subject, role=Role.PATIENT)
    return consent_view(node, person, 50, 0)


def my_uses(node: Node, who: Principal, limit: int, offset: int) -> dict[str, Any]:
    """The approved projects that used the patient's data while their choice allowed it."""
    used = node.consents.projects_of_person(access.own_person(who))
    return page(
        [
            s.ProjectUsePublic(
                grant_id=u.grant_id, title=u.title, sponsor=u.sponsor, purpose=u.purpose,
                first_used=u.first_used, last_used=u.last_used, output_types=list(u.output_types),
            )
            for u in used
        ],
        limit,
        offset,
    )  # fmt: skip


# -- governance ----------------------------------------------------------------------------------


def _request(request_id: str, state: str, r: ProjectRequest) -> s.RequestPublic:
    return s.RequestPublic(
        id=request_id, state=state, title=r.title, sponsor=r.sponsor,
        team=[s.TeamMemberPublic(**asdict(m)) for m in r.team],
        purpose=r.purpose, dataset_id=r.dataset_id,
        variables=[s.VariableRequest(**asdict(v)) for v in r.variables],
        output_types=list(r.output_types),
        population=s.PopulationPublic(**asdict(r.population)) if r.population else None,
    )  # fmt: skip


def create_request(node: Node, who: Principal, body: s.RequestCreate) -> s.RequestPublic:
    """File a request; the researcher filing it is always on its team.

    The filer keeps the role they list themselves with, else the published
    filer role (``researcher``).
    """
    listed = [TeamMember(m.name, m.role) for m in body.team]
    if not any(m.name == who.subject for m in listed):
        listed.insert(0, TeamMember(who.subject, node.governance.team_roles.filer))
    population = Population(**body.population.model_dump()) if body.population else None
    request = ProjectRequest(
        title=body.title, sponsor=body.sponsor, team=tuple(listed), purpose=body.purpose,
        public_interest=body.public_interest, dataset_id=body.dataset_id,
        variables=tuple(RequestedVariable(v.table, v.column, v.justification) for v in body.variables),
        output_types=tuple(body.output_types), period_start=body.period_start,
        period_end=body.period_end, population=population,
    )  # fmt: skip
    request_id = node.governance.create(request, actor=who.subject)
    return _request(request_id, "draft", request)


def get_request(node: Node, who: Principal, request_id: str) -> s.RequestPublic:
    request = access.project_request(node, who, request_id)
    return _request(request_id, node.governance.request(request_id)[1], request)


def submit_request(node: Node, who: Principal, request_id: str) -> s.SubmissionPublic:
    access.project_request(node, who, request_id)
    checks = node.governance.submit(request_id, actor=who.subject)
    return s.SubmissionPublic(
        id=request_id, state=node.governance.request(request_id)[1],
        checks=[s.CheckPublic(**asdict(c)) for c in checks],
    )  # fmt: skip


def start_review(node: Node, who: Principal, request_id: str) -> s.StatePublic:
    node.governance.start_review(request_id, actor=who.subject)
    return s.StatePublic(id=request_id, state=node.governance.request(request_id)[1])


def appoint_member(node: Node, who: Principal, body: s.MemberCreate) -> s.MemberPublic:
    """Appoint a committee member; the name is the user name they sign in with."""
    m = node.governance.add_member(body.name, expertise=body.expertise, actor=who.subject)
    return s.MemberPublic(id=m.id, name=m.name, expertise=m.expertise)


def _signed_in_member(node: Node, who: Principal) -> Any:
    member = next((m for m in node.governance.members() if m.name == who.subject), None)
    if member is None:
        raise PermissionDeniedError(f"{who.subject} is not an appointed committee member")
    return member


def declare_conflict(node: Node, who: Principal, body: s.ConflictCreate) -> s.ConflictPublic:
    """The signed-in member declares their own conflict; they are then barred from it."""
    member = _signed_in_member(node, who)
    node.governance.declare_conflict(
        member.id, statement=body.statement, request_id=body.request_id, sponsor=body.sponsor,
        actor=who.subject,
    )  # fmt: skip
    return s.ConflictPublic(member_id=member.id, request_id=body.request_id, sponsor=body.sponsor)


def review_request(
    node: Node, who: Principal, request_id: str, body: s.ReviewCreate
) -> s.ReviewPublic:
    """Record the signed-in member's scored review (conflicts of interest are refused)."""
    member = _signed_in_member(node, who)
    r = node.governance.review(
        request_id, member.id, scores=body.scores, summary=body.summary,
        comments=body.comments, actor=who.subject,
    )  # fmt: skip
    return s.ReviewPublic(
        request_id=r.request_id, member_id=r.member_id, round=r.round, scores=r.scores,
        summary=r.summary,
    )  # fmt: skip


def decide_request(
    node: Node, who: Principal, request_id: str, body: s.DecisionCreate
) -> s.StatePublic:
    node.governance.decide(
        request_id, body.outcome, reviewers=body.reviewers, reasons=body.reasons,
        conditions=body.conditions, actor=who.subject,
    )  # fmt: skip
    return s.StatePublic(id=request_id, state=node.governance.request(request_id)[1])


def _grant(g: Any) -> s.GrantPublic:
    return s.GrantPublic(
        id=g.id, request_id=g.request_id, purpose=g.purpose,
        columns={t: list(c) for t, c in g.columns.items()}, output_types=list(g.output_types),
        starts=g.starts, expires=g.expires, revoked=g.revoked,
        population=s.PopulationPublic(**asdict(g.population)) if g.population else None,
        dp_epsilon=g.dp_epsilon, dp_delta=g.dp_delta,
    )  # fmt: skip


def issue_grant(node: Node, who: Principal, request_id: str, body: s.GrantCreate) -> s.GrantPublic:
    return _grant(
        node.governance.issue_grant(
            request_id,
            expires=body.expires,
            actor=who.subject,
            dp_epsilon=body.dp_epsilon,
            dp_delta=body.dp_delta,
        )
    )


def get_grant(node: Node, who: Principal, grant_id: str) -> s.GrantPublic:
    return _grant(access.team_grant(node, who, grant_id))


def revoke_grant(node: Node, who: Principal, grant_id: str, body: s.RevokeCreate) -> s.GrantPublic:
    node.governance.revoke_grant(grant_id, actor=who.subject, reason=body.reason)
    return _grant(node.governance.grant(grant_id))


# -- workspace and models --------------------------------------------------------------------------


def _result(r: Any) -> s.ResultPublic:
    return s.ResultPublic(
        id=r.id, grant_id=r.grant_id, name=r.name, kind=r.kind, columns=list(r.columns),
        rows_disclosed=r.rows_disclosed, sha256=r.sha256, notes=list(r.notes),
    )  # fmt: skip


def run_query(node: Node, who: Principal, grant_id: str, body: s.QueryCreate) -> s.ResultPublic:
    access.own_grant(node, who, grant_id)
    return _result(node.workspace.queries.run_sql(grant_id, body.name, body.sql, actor=who.subject))


def run_cohort(node: Node, who: Principal, grant_id: str, body: s.CohortCreate) -> s.ResultPublic:
    access.own_grant(node, who, grant_id)
    cohort = from_json(body.definition, body.name)
    return _result(node.workspace.queries.run_cohort(grant_id, cohort, actor=who.subject))


def _job(node: Node, job: Job) -> s.JobPublic:
    outputs = [
        s.OutputPublic(name=o.name, kind=o.kind, bytes=o.bytes, sha256=o.sha256)
        for o in node.workspace.jobs.outputs(job.id)
    ]
    return s.JobPublic(
        id=job.id, grant_id=job.grant_id, actor=job.actor, role=job.role, state=job.state,
        reason=job.reason, script=job.script, code_sha256=job.code_sha256,
        extract_sha256=job.extract_sha256, created_at=job.created_at, ended_at=job.ended_at,
        outputs=outputs,
    )  # fmt: skip


def start_job(node: Node, who: Principal, grant_id: str, body: s.JobCreate) -> s.JobPublic:
    """Start a job; its supervisor runs on (poll ``GET /jobs/{id}``)."""
    import tempfile

    access.own_grant(node, who, grant_id)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / body.filename
        script.write_text(body.script)
        job = node.workspace.jobs.run(
            grant_id, script, actor=who.subject, params=dict(body.params),
            results=tuple(body.results), wait=False,
        )  # fmt: skip
    return _job(node, job)


def team_job(node: Node, who: Principal, job_id: str) -> Job:
    """The job, if ``who`` is on the team of its grant's project."""
    job = node.workspace.jobs.job(job_id)
    access.own_grant(node, who, job.grant_id)
    return job


def get_job(node: Node, who: Principal, job_id: str) -> s.JobPublic:
    return _job(node, team_job(node, who, job_id))


def job_logs(node: Node, who: Principal, job_id: str) -> s.JobLogPublic:
    team_job(node, who, job_id)
    return s.JobLogPublic(job_id=job_id, log=node.workspace.jobs.logs(job_id))


def cancel_job(node: Node, who: Principal, job_id: str) -> s.JobPublic:
    team_job(node, who, job_id)
    return _job(node, node.workspace.jobs.cancel(job_id, actor=who.subject))


def trace_release(node: Node, release_id: str) -> list[s.TraceLinkPublic]:
    return [
        s.TraceLinkPublic(
            kind=link.kind, seq=link.event.seq, action=link.event.action,
            object=link.event.object, actor=link.event.actor, role=link.event.role,
            at=link.event.at, hash=link.event.hash, details=link.event.details,
        )
        for link in trace(release_id, node.audit.events())
    ]  # fmt: skip


def check_training(node: Node, who: Principal, body: s.ModelCreate) -> None:
    """Refuse at once a training under a grant that is not the caller's project's."""
    access.own_grant(node, who, body.grant_id)


def train_model(node: Node, who: Principal, body: s.ModelCreate) -> s.ModelPublic:
    access.own_grant(node, who, body.grant_id)
    trained = node.models.train(node.workspace, body.grant_id, actor=who.subject)
    return s.ModelPublic(id=trained.id, metrics=node.models.metrics(trained.id))


def get_model(node: Node, who: Principal, model_id: str) -> s.ModelPublic:
    """A model's checked metrics, for its project's team, the committee and auditors."""
    access.team_grant(node, who, node.models.grant_of(model_id))
    return s.ModelPublic(id=model_id, metrics=node.models.metrics(model_id))


# -- human guarantee ---------------------------------------------------------------------------------


def _prediction(p: Prediction) -> s.PredictionPublic:
    return s.PredictionPublic(
        id=p.id, model_id=p.model_id, patient=p.patient, care_context=p.care_context,
        score=p.score, explanation=p.explanation, status=p.status, decided_by=p.decided_by,
        decision_reason=p.decision_reason, reason_code=p.reason_code,
        model_version=p.model_version, notice_version=p.notice_version,
        notice=f"/models/{p.model_id}/documents/notice-en", created_at=p.created_at,
        decided_at=p.decided_at, decision_seconds=p.decision_seconds,
    )  # fmt: skip


def predict(node: Node, who: Principal, body: s.PredictionCreate) -> s.PredictionPublic:
    access.care_context(who, body.care_context)
    return _prediction(
        node.guarantee.predict(
            body.model_id,
            body.patient,
            body.inputs,
            clinician=who.subject,
            care_context=body.care_context,
        )
    )


def get_prediction(node: Node, who: Principal, prediction_id: str) -> s.PredictionPublic:
    return _prediction(access.visible_prediction(who, node.guarantee.get(prediction_id)))


def decide_prediction(
    node: Node, who: Principal, prediction_id: str, body: s.PredictionDecisionCreate
) -> s.PredictionPublic:
    access.visible_prediction(who, node.guarantee.get(prediction_id))
    if Role.CLINICIAN not in who.roles:
        raise PermissionDeniedError("only a clinician decides on a prediction")
    return _prediction(
        node.guarantee.decide(
            prediction_id,
            body.decision,
            clinician=who.subject,
            reason=body.reason,
            reason_code=body.reason_code,
            amended_score=body.amended_score,
        )
    )


# -- audit ---------------------------------------------------------------------------------------------


def audit_events(
    node: Node, action: str | None, actor: str | None, limit: int, offset: int
) -> dict[str, Any]:
    found = node.audit.page(action=action, actor=actor, limit=limit, offset=offset)
    events = [
        s.AuditEventPublic(**{k: v for k, v in e.fields().items() if k != "prev_hash"})
        for e in found.items
    ]
    return {"items": events, "total": found.total, "limit": limit, "offset": offset}


def verify_audit(node: Node) -> s.VerificationPublic:
    v = node.audit.verify()
    return s.VerificationPublic(events=v.events, head_hash=v.head_hash)

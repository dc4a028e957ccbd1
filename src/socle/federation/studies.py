"""Who agreed to a federated study: the hub's committee, then each site for itself.

At the hub, a study is bound to a grant its committee issued (the usual
request → review → decision → grant path of :mod:`socle.governance`); a run
refuses a study whose grant is revoked or expired. At a site, the site's own
steward or committee accepts the hub's study by issuing a local grant to the
federation's service account; refusing or withdrawing is recorded too, and a
withdrawal revokes the local grant, so the site's data stops contributing from
the next message it answers. Every change is audited with the hub's study id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import Engine, select

from socle.audit import AuditLog
from socle.federation.errors import StudyError
from socle.federation.tables import acceptance, study
from socle.governance import Governance, GovernanceError

FEDERATION_ACTOR = "federation"  # the service account a site's SuperNode acts as, on its team
AcceptanceState = Literal["accepted", "refused", "withdrawn"]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Study:
    id: str
    grant_id: str
    title: str
    quorum: int


@dataclass(frozen=True)
class Acceptance:
    study_id: str
    grant_id: str | None
    state: AcceptanceState
    reason: str


class Studies:
    """The hub's register of federated studies, each bound to its committee's grant."""

    def __init__(self, engine: Engine, governance: Governance, audit: AuditLog) -> None:
        self.engine, self.governance, self.audit = engine, governance, audit

    def open(self, grant_id: str, *, quorum: int, actor: str) -> Study:
        """Open a federated study on an active hub grant that allows federated outputs."""
        grant = self.governance.grant(grant_id)
        self._check(grant_id, "aggregates")
        if quorum < 1:
            raise StudyError("a study's quorum is at least one site")
        request, _ = self.governance.request(grant.request_id)
        found = Study("study-" + uuid.uuid4().hex[:10], grant_id, request.title, quorum)
        with self.engine.begin() as conn:
            conn.execute(study.insert().values(
                id=found.id, grant_id=grant_id, title=found.title, quorum=quorum, created_at=_now(),
            ))  # fmt: skip
            self.audit.append(
                conn, actor=actor, role="committee_member", action="federation.study.open",
                object=found.id, purpose=grant.purpose,
                details={"grant": grant_id, "quorum": quorum},
            )  # fmt: skip
        return found

    def get(self, study_id: str) -> Study:
        with self.engine.connect() as conn:
            row = conn.execute(select(study).where(study.c.id == study_id)).first()
        if row is None:
            raise StudyError(f"no federated study '{study_id[:40]}' at this hub")
        return Study(row.id, row.grant_id, row.title, row.quorum)

    def approved(self, study_id: str, output_type: str) -> Study:
        """The study, if its hub grant allows ``output_type`` today; else why not."""
        found = self.get(study_id)
        self._check(found.grant_id, output_type)
        return found

    def _check(self, grant_id: str, output_type: str, on: date | None = None) -> None:
        try:
            self.governance.grant_scope(grant_id, on or datetime.now(UTC).date(), output_type)
        except GovernanceError as exc:
            raise StudyError(f"the hub's committee approval does not cover this: {exc}") from exc


class Acceptances:
    """A site's own decisions on the hub's studies."""

    def __init__(self, engine: Engine, governance: Governance, audit: AuditLog) -> None:
        self.engine, self.governance, self.audit = engine, governance, audit

    def accept(self, study_id: str, grant_id: str, *, actor: str) -> Acceptance:
        """Accept a study with a grant the site's own committee issued to the federation account."""
        self.governance.team_member(grant_id, FEDERATION_ACTOR, "aggregates")
        return self._set(study_id, grant_id, "accepted", "accepted by the site", actor)

    def refuse(self, study_id: str, *, reason: str, actor: str) -> Acceptance:
        return self._set(study_id, None, "refused", reason, actor)

    def withdraw(self, study_id: str, *, reason: str, actor: str) -> Acceptance:
        """Stop contributing: the local grant is revoked, later messages are refused."""
        current = self.get(study_id)
        if current is not None and current.grant_id and current.state == "accepted":
            self.governance.revoke_grant(current.grant_id, actor=actor, reason=reason)
        return self._set(
            study_id, current.grant_id if current else None, "withdrawn", reason, actor
        )

    def get(self, study_id: str) -> Acceptance | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(acceptance).where(acceptance.c.study_id == study_id)).first()
        return (
            None if row is None else Acceptance(row.study_id, row.grant_id, row.state, row.reason)
        )

    def grant_for(self, study_id: str) -> str:
        """The site's grant for an accepted study, or why this site does not take part."""
        found = self.get(study_id)
        if found is None:
            raise StudyError(f"this site has not accepted study {study_id[:40]}")
        if found.state != "accepted" or found.grant_id is None:
            did = "withdrew from" if found.state == "withdrawn" else "refused"
            raise StudyError(f"this site {did} study {study_id[:40]}: {found.reason}")
        return found.grant_id

    def _set(
        self, study_id: str, grant_id: str | None, state: AcceptanceState, reason: str, actor: str
    ) -> Acceptance:
        if not study_id.startswith("study-") or not study_id[6:].isalnum():
            raise StudyError(f"'{study_id[:40]}' is not a hub's study id")
        values = {"grant_id": grant_id, "state": state, "reason": reason, "updated_at": _now()}
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(acceptance.c.study_id).where(acceptance.c.study_id == study_id)
            ).first()
            if exists:
                conn.execute(
                    acceptance.update().where(acceptance.c.study_id == study_id).values(**values)
                )
            else:
                conn.execute(acceptance.insert().values(study_id=study_id, **values))
            self.audit.append(
                conn, actor=actor, role="data_steward", action=f"federation.study.{state}",
                object=study_id, details={"grant": grant_id, "reason": reason},
            )  # fmt: skip
        return Acceptance(study_id, grant_id, state, reason)

"""The release desk: output requests, two independent checkers, release with hashes.

A researcher's outputs are checked automatically (:mod:`socle.release.checks`)
and against the ledger (:mod:`socle.release.differencing`) when the request
is made; an output that fails is refused unless an exception is asked with a
justification. Output checkers — appointed, never on the project's team, never
the requester — each approve, reject with reasons or ask for changes; the
policy's number of approvals releases it: files written, hashed into the audit
log (the permit chain), cells recorded in the ledger.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select

from socle.audit import AuditLog
from socle.governance import Governance, Grant
from socle.release import ledger, records
from socle.release.checks import Check, CheckReport, check_output
from socle.release.differencing import find_differencing
from socle.release.dp import DPResult
from socle.release.errors import BudgetError, DeskError
from socle.release.ledger import Budget, LedgerEntry
from socle.release.outputs import Output, Population
from socle.release.policy import ReleasePolicy
from socle.release.records import OutputRequest, now
from socle.release.tables import output_checker, output_request, output_review
from socle.roles import Role
from socle.store import Page, fetch_page

Decision = Literal["approved", "rejected", "changes_requested"]
OPEN = ("submitted", "in_review")


class ReleaseDesk:
    """Service API of the release context."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        governance: Governance,
        policy: ReleasePolicy,
        releases_dir: Path,
    ) -> None:
        self.engine, self.audit, self.governance = engine, audit, governance
        self.policy, self.releases_dir = policy, releases_dir

    # -- checking -----------------------------------------------------------------------

    def check(self, output: Output, *, project: str | None = None) -> CheckReport:
        """The automatic checks and the differencing check, as the researcher sees them."""
        report = check_output(output, self.policy)
        if report.table is None:
            return report
        scope = None if self.policy.ledger_scope == "node" else project
        with self.engine.connect() as conn:
            earlier = ledger.earlier_tables(conn, scope)
        cells = ledger.table_cells(report.table, report.columns[-1])
        new = ledger.as_ledger_table("", output.population, cells)
        findings = find_differencing(new, earlier, self.policy.safe_threshold)
        check = Check(
            "differencing", "review" if findings else "pass",
            "; ".join(f"with {f.earlier_release}: {f.reason}" for f in findings)
            or f"no combination with {len(earlier)} earlier released table(s) reveals a small cell",
            len(findings), False, "Socle disclosure ledger",
        )  # fmt: skip
        return CheckReport(
            report.output, report.kind, (*report.checks, check), report.columns, report.rows,
            report.table,
        )  # fmt: skip

    def release_automatic(
        self, grant_id: str, output: Output, *, channel: str, reference: str, actor: str,
        role: str,
    ) -> CheckReport:  # fmt: skip
        """An exit with no human checker (a federated answer): every automatic check, the
        differencing check against the ledger included, must pass; then the released cells go
        to the ledger like a checked release's, so later outputs are compared with them.

        ``channel`` names the exit (``federation``), ``reference`` what it answered (a hub's
        study id and round); both are audited. Refused with the checks' reasons otherwise.
        """
        grant = self.governance.grant(grant_id)
        report = self.check(output, project=grant.request_id)
        stopped = [c for c in report.checks if c.status != "pass" and not c.mitigated]
        if stopped:
            raise DeskError(
                "the automatic checks stop this output: "
                + "; ".join(f"{c.name} ({c.reason})" for c in stopped)
            )
        release_id = f"auto-{uuid.uuid4().hex[:10]}/{output.name}"
        with self.engine.begin() as conn:
            recorded = 0
            if report.table is not None:
                cells = ledger.table_cells(report.table, report.columns[-1])
                table = ledger.as_ledger_table(release_id, output.population, cells)
                recorded = ledger.record(conn, grant.request_id, table)
            self.audit.append(
                conn, actor=actor, role=role, action="release.automatic", object=release_id,
                purpose=grant.purpose,
                details={"grant": grant_id, "channel": channel, "reference": reference,
                         "kind": report.kind, "cells": recorded},
            )  # fmt: skip
        return report

    def release_automatic_dp(
        self, grant_id: str, name: str, result: DPResult, *, channel: str, reference: str,
        actor: str, role: str,
    ) -> DPResult:  # fmt: skip
        """A differentially private output for an automatic exit (a federated answer): its ε
        is charged to the grant's budget now, refused once the budget is spent; audited."""
        grant = self.governance.grant(grant_id)
        release_id = f"auto-{uuid.uuid4().hex[:10]}/{name}"
        with self.engine.begin() as conn:
            eps = _spent_within_budget(conn, grant_id, grant, result)
            ledger.spend(conn, grant_id, release_id, result.kind, result.epsilon, result.delta)
            self.audit.append(
                conn, actor=actor, role=role, action="release.automatic", object=release_id,
                purpose=grant.purpose,
                details={"grant": grant_id, "channel": channel, "reference": reference,
                         "dp": result.kind, "epsilon": result.epsilon,
                         "spent": eps + result.epsilon, "budget": grant.dp_epsilon},
            )  # fmt: skip
        return result

    # -- requests -----------------------------------------------------------------------

    def request(
        self,
        grant_id: str,
        outputs: Sequence[Output],
        *,
        description: str,
        actor: str,
        exceptions: Mapping[str, str] | None = None,
    ) -> OutputRequest:
        """Bundle checked outputs into a request for the checkers; refuse unjustified fails."""
        grant = self.governance.grant(grant_id)
        role = self._requester_role(grant.request_id, actor)
        if not outputs or not description.strip():
            raise DeskError("an output request needs at least one output and a description")
        names = [o.name for o in outputs]
        bad = [n for n in names if not re.fullmatch(r"[\w.-]{1,80}", n) or n.startswith(".")]
        if bad:
            raise DeskError(f"output names are file names (letters, digits, . _ -): {bad[0]!r}")
        if len(set(names)) != len(names):
            raise DeskError(f"output names must be unique in a request: {', '.join(names)}")
        exceptions = {k: v for k, v in (exceptions or {}).items() if v.strip()}
        reports = [self.check(o, project=grant.request_id) for o in outputs]
        stopped = [r for r in reports if r.status == "fail" and r.output not in exceptions]
        if stopped:
            reasons = "; ".join(
                f"{r.output}: " + ", ".join(c.reason for c in r.checks if c.status == "fail")
                for r in stopped
            )
            raise DeskError(
                f"automatic checks stopped {len(stopped)} output(s) — {reasons}. Change the "
                "output, or ask for an exception with a justification"
            )
        request_id = "out-" + uuid.uuid4().hex[:10]
        with self.engine.begin() as conn:
            records.insert_request(conn, request_id, grant_id, grant.request_id, actor, description)
            for output, report in zip(outputs, reports, strict=True):
                records.insert_item(
                    conn,
                    request_id,
                    output.name,
                    output.population,
                    output.provenance,
                    report,
                    exceptions.get(output.name),
                )
            self.audit.append(
                conn, actor=actor, role=role, action="release.request", object=request_id,
                purpose=grant.purpose,
                details={
                    "grant": grant_id, "outputs": {r.output: r.status for r in reports},
                    "exceptions": sorted(exceptions), "sources": [dict(o.provenance) for o in outputs if o.provenance],
                },
            )  # fmt: skip
        return self.get(request_id)

    def request_dp(
        self, grant_id: str, name: str, result: DPResult, *, description: str, actor: str,
        population: Population,
    ) -> OutputRequest:  # fmt: skip
        """A differentially private output: its ε is deducted now, refused once spent."""
        grant = self.governance.grant(grant_id)
        role = self._requester_role(grant.request_id, actor)
        request_id = "out-" + uuid.uuid4().hex[:10]
        with self.engine.begin() as conn:
            eps = _spent_within_budget(conn, grant_id, grant, result)
            records.insert_request(conn, request_id, grant_id, grant.request_id, actor, description)
            check = Check(
                "privacy_budget", "pass", f"ε={result.epsilon:g} spent ({eps + result.epsilon:g} "
                f"of {grant.dp_epsilon:g}); {result.confidence:.0%} intervals reported", 0, False,
                "OpenDP",
            )  # fmt: skip
            report = CheckReport(
                name, f"dp_{result.kind}", (check,), ("label", "value", "ci_low", "ci_high"),
                tuple(result.rows()),
            )  # fmt: skip
            records.insert_item(
                conn, request_id, name, population, {"dp": result.kind}, report, None
            )
            ledger.spend(conn, grant_id, request_id, result.kind, result.epsilon, result.delta)
            self.audit.append(
                conn, actor=actor, role=role, action="release.request", object=request_id,
                purpose=grant.purpose,
                details={"grant": grant_id, "dp": result.kind, "epsilon": result.epsilon,
                         "spent": eps + result.epsilon, "budget": grant.dp_epsilon},
            )  # fmt: skip
        return self.get(request_id)

    def _requester_role(self, project_id: str, actor: str) -> str:
        """The requester's role on the project's team: only the team asks for its outputs."""
        project, _ = self.governance.request(project_id)
        member = next((m for m in project.team if m.name == actor), None)
        if member is None:
            raise DeskError(
                f"{actor} is not on the team of project {project_id}; only its team may ask "
                "for the release of its outputs"
            )
        return member.role

    # -- checkers -----------------------------------------------------------------------

    def appoint_checker(self, name: str, *, actor: str) -> None:
        if not name.strip():
            raise DeskError("an output checker needs a name")
        with self.engine.begin() as conn:
            if conn.execute(select(output_checker).where(output_checker.c.name == name)).first():
                return
            conn.execute(
                output_checker.insert().values(name=name, appointed_by=actor, appointed_at=now())
            )
            self.audit.append(
                conn,
                actor=actor,
                role=Role.ADMINISTRATOR,
                action="release.checker_appoint",
                object=name,
            )

    def checkers(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(output_checker.c.name).order_by(output_checker.c.name)
                ).scalars()
            )

    def review(
        self, request_id: str, decision: Decision, *, reasons: str, actor: str
    ) -> OutputRequest:
        """One checker's decision; the policy's number of approvals releases the outputs."""
        req = self.get(request_id)
        # The audit head as the review begins: one more anchor outside the store, in the release.
        head = self.audit.signed_head()
        if decision not in ("approved", "rejected", "changes_requested"):
            raise DeskError(f"a checker approves, rejects or asks for changes, not {decision!r}")
        if req.state not in OPEN:
            raise DeskError(
                f"output request {request_id} is '{req.state}'; it takes no more reviews"
            )
        if actor not in self.checkers():
            raise DeskError(f"{actor} is not an appointed output checker")
        project, _ = self.governance.request(req.project)
        if actor == req.requester or project.on_team(actor):
            raise DeskError(
                f"{actor} is on the team of project {req.project}; output checkers must be "
                "independent of the project they check"
            )
        if any(r.checker == actor for r in req.reviews):
            raise DeskError(f"{actor} already reviewed output request {request_id}")
        if decision != "approved" and not reasons.strip():
            raise DeskError("a rejection or a request for changes must give its reasons")
        approvals = 1 + sum(r.decision == "approved" for r in req.reviews)
        state = {"rejected": "rejected", "changes_requested": "changes_requested"}.get(
            decision, "released" if approvals >= self.policy.checkers_required else "in_review"
        )
        grant = self.governance.grant(req.grant_id)
        with self.engine.begin() as conn:
            conn.execute(
                output_review.insert().values(
                    request_id=request_id,
                    checker=actor,
                    decision=decision,
                    reasons=reasons,
                    at=now(),
                )
            )
            conn.execute(
                output_request.update().where(output_request.c.id == request_id).values(
                    state=state, decided_at=now() if state not in OPEN else None
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.OUTPUT_CHECKER, action=f"release.{decision}",
                object=request_id, purpose=grant.purpose,
                details={"approvals": approvals if decision == "approved" else approvals - 1,
                         "required": self.policy.checkers_required, "reasons": reasons},
            )  # fmt: skip
            if state == "released":
                checkers = [*(r.checker for r in req.reviews), actor]
                records.write_release(
                    conn, self.audit, req, grant.purpose, checkers, self.releases_dir, head
                )
        return self.get(request_id)

    # -- reading ------------------------------------------------------------------------

    def get(self, request_id: str) -> OutputRequest:
        with self.engine.connect() as conn:
            return records.load_request(conn, request_id, self.releases_dir)

    def requests(
        self, *, project: str | None = None, state: str | None = None
    ) -> list[OutputRequest]:
        """Requests, newest first: a checker's queue (``state``), a project's history."""
        query = select(output_request.c.id).order_by(output_request.c.created_at.desc())
        if project is not None:
            query = query.where(output_request.c.project == project)
        if state is not None:
            query = query.where(output_request.c.state == state)
        with self.engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
        return [self.get(i) for i in ids]

    def requests_page(
        self,
        *,
        projects: Sequence[str] | None,
        state: str | None,
        limit: int,
        offset: int,
        grant_id: str | None = None,
    ) -> Page[OutputRequest]:
        """One page of the requests, newest first, of these ``projects`` (``None``: every
        project) in ``state`` (``None``: any), of one grant if given, and how many in all."""
        query = select(output_request.c.id).order_by(
            output_request.c.created_at.desc(), output_request.c.id
        )
        if projects is not None:
            query = query.where(output_request.c.project.in_(projects))
        if state is not None:
            query = query.where(output_request.c.state == state)
        if grant_id is not None:
            query = query.where(output_request.c.grant_id == grant_id)
        with self.engine.connect() as conn:
            ids = fetch_page(conn, query, limit, offset, lambda r: str(r.id))
        return Page([self.get(i) for i in ids.items], ids.total, limit, offset)

    def history(self, request_id: str) -> list[OutputRequest]:
        """The project's earlier releases, which a checker sees beside the request."""
        req = self.get(request_id)
        return [
            r for r in self.requests(project=req.project, state="released") if r.id != request_id
        ]

    def ledger(self, project: str) -> list[LedgerEntry]:
        with self.engine.connect() as conn:
            return ledger.entries(conn, project)

    def ledger_page(self, project: str, limit: int, offset: int) -> Page[LedgerEntry]:
        with self.engine.connect() as conn:
            return ledger.entries_page(conn, project, limit, offset)

    def budget(self, grant_id: str) -> Budget:
        grant = self.governance.grant(grant_id)
        with self.engine.connect() as conn:
            eps, delta = ledger.spent(conn, grant_id)
        return Budget(grant_id, grant.dp_epsilon, grant.dp_delta, eps, delta)

    def spends(self, grant_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return ledger.spends(conn, grant_id)


def _spent_within_budget(conn: Connection, grant_id: str, grant: Grant, result: DPResult) -> float:
    """The ε the grant has spent so far; refuses a release that would overrun its budget."""
    eps, delta = ledger.spent(conn, grant_id)
    if (
        eps + result.epsilon > grant.dp_epsilon + 1e-9
        or delta + result.delta > grant.dp_delta + 1e-12
    ):
        raise BudgetError(
            f"grant {grant_id}: this release needs ε={result.epsilon:g} but "
            f"{max(grant.dp_epsilon - eps, 0):g} of the committee's ε={grant.dp_epsilon:g} "
            "remains; the privacy budget is spent"
        )
    return eps

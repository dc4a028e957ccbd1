"""The permit chain (EHDS art. 68): a release traced back to the committee's decision.

Release → the job or result it came from (code, extract and output hashes,
who ran it) → the grant → the request's approval (reviewers, recommendation)
and its filing. Every link is an audit event, shown with its sequence number
and hash, so an auditor can check each against a verified export of the log.
The trace reads any iterable of audit events: the live log or an export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from socle.audit import AuditEvent
from socle.workspace.errors import WorkspaceError


@dataclass(frozen=True)
class Link:
    """One event of the chain and what it stands for (``release``, ``job``, ``grant``, …)."""

    kind: str
    event: AuditEvent


def trace(release_id: str, events: Iterable[AuditEvent]) -> list[Link]:
    """The permit chain of ``release_id``, from the release back to the request's filing."""
    index: dict[tuple[str, str], list[AuditEvent]] = {}
    for event in events:
        index.setdefault((event.action, event.object), []).append(event)

    def one(action: str, obj: str) -> AuditEvent | None:
        found = index.get((action, obj))
        return found[-1] if found else None

    # A release desk's request (checked, approved, released), or an older direct release.
    request = one("release.request", release_id)
    release = one("release.released", release_id)
    if release is None and request is None:
        release = one("workspace.release", release_id)
    if release is None:
        raise WorkspaceError(
            f"no release '{release_id}' in the audit log"
            + (" (the output request is not released)" if request is not None else "")
        )
    chain = [Link("release", release)]
    for action in ("release.approved", "release.approve"):
        chain += [Link("output check", e) for e in index.get((action, release_id), [])]
    if request is not None:
        chain.append(Link("output request", request))
    sources = release.details.get("sources") or (request.details.get("sources") if request else [])
    for source in sources or []:
        chain += _source_links(source, one)
    return chain + grant_chain(str(release.details.get("grant", "")), one, f"release {release_id}")


def grant_chain(
    grant_id: str, one: Callable[[str, str], AuditEvent | None], named_by: str
) -> list[Link]:
    """The tail every permit chain shares: the grant, the committee's decision, the filing.

    ``one(action, object)`` finds the latest audit event of that action on that object;
    ``named_by`` (e.g. ``"release r-1"``) says who named the grant, for the error.
    """
    grant = one("grant.issue", grant_id)
    if grant is None:
        raise WorkspaceError(f"{named_by} names grant '{grant_id}', not in the log")
    chain = [Link("grant", grant)]
    request_id = str(grant.details.get("request", ""))
    for action, kind in (("request.approved", "decision"), ("request.create", "request")):
        step = one(action, request_id)
        if step is None:
            raise WorkspaceError(f"grant {grant_id}: no {kind} for request '{request_id}'")
        chain.append(Link(kind, step))
    return chain


def _source_links(source: dict[str, Any], one: Any) -> list[Link]:
    links = []
    if "job" in source:
        job_id = str(source["job"])
        end, start = one("workspace.job.end", job_id), one("workspace.job.start", job_id)
        if end is None or start is None:
            raise WorkspaceError(f"job {job_id} of the release has no start or end in the log")
        recorded = end.details.get("outputs", {}).get(source.get("file"))
        if recorded != source.get("sha256"):
            raise WorkspaceError(
                f"the released file '{source.get('file')}' does not match the hash job "
                f"{job_id} recorded for it"
            )
        links += [Link("job output", end), Link("job", start)]
        for used in (start.details.get("results") or {}).values():
            event = one("workspace.sql", used["id"]) or one("workspace.cohort", used["id"])
            if event is None or event.details.get("sha256") != used.get("sha256"):
                raise WorkspaceError(f"job {job_id} used result {used['id']}, not in the log")
            links.append(Link("result", event))
    return links

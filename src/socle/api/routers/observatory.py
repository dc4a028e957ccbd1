"""The observatory: public reads of published entries; submission, review and ranking by role.

``public`` routes are listed in :data:`socle.api.policy.PUBLIC` (anyone, signed in or not)
and read only published entries; ``router`` routes declare their roles in the policy.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from socle.api import observatory as o
from socle.api.deps import Limit, Offset, Runner
from socle.api.policy import Authorized, authorize

public = APIRouter(prefix="/observatory", tags=["observatory"])
router = APIRouter(prefix="/observatory", tags=["observatory"], dependencies=[Depends(authorize)])
EntryId = Annotated[str, Path(min_length=1, max_length=40)]
Category = Annotated[str, Path(min_length=1, max_length=40)]
Filter = Annotated[str | None, Query(max_length=40)]
AsOf = Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD: recompute as of then")]
Version = Annotated[int | None, Query(ge=1, le=10_000)]
Evidence = Annotated[
    str | None, Query(max_length=40, description="Strongest study design, or none")
]


@public.get("/taxonomy", name="observatory.taxonomy")
async def taxonomy() -> dict[str, Any]:
    """The published taxonomy: categories of use, specialities, AI Act classes."""
    return o.taxonomy()


@public.get("/entries", name="observatory.map")
async def entries(
    run: Runner, limit: Limit = 50, offset: Offset = 0, kind: Filter = None,
    category: Filter = None, speciality: Filter = None, risk: Filter = None,
    evidence: Evidence = None,
) -> dict[str, Any]:  # fmt: skip
    """The map: published entries only, filtered by category, speciality, risk, evidence."""
    return await run.call(
        lambda n: o.public_map(n, kind, category, speciality, risk, evidence, limit, offset)
    )


@public.get("/entries/{entry_id}", name="observatory.entry")
async def entry(entry_id: EntryId, run: Runner) -> dict[str, Any]:
    """One published entry (its published version) with its live figures."""
    return await run.call(lambda n: o.public_entry(n, entry_id))


@public.get("/top/{category}", name="observatory.top")
async def top(category: Category, run: Runner, method: Version = None,
              as_of: AsOf = None) -> dict[str, Any]:  # fmt: skip
    """The Top 10 of a category with each criterion's contribution."""
    return await run.call(lambda n: o.top(n, category, method, as_of))


@public.get("/method", name="observatory.method")
async def method(run: Runner, version: Version = None) -> dict[str, Any]:
    """The scoring method (current, or a past version) and who adopted it, when and why."""
    return await run.call(lambda n: o.method(n, version))


@public.get("/alerts", name="observatory.alerts")
async def alerts(run: Runner) -> list[dict[str, str]]:
    return await run.call(o.alerts)


@public.get("/feed", name="observatory.feed")
async def feed(run: Runner) -> Response:
    """A JSON Feed 1.1 of the latest publications."""
    body = await run.call(lambda n: n.observatory.feed())
    return Response(orjson.dumps(body), media_type="application/feed+json")


@public.get("/databases.jsonld", name="observatory.dcat")
async def dcat(run: Runner) -> Response:
    """Published databases as DCAT (HealthDCAT-AP) JSON-LD."""
    body = await run.call(lambda n: n.observatory.dcat())
    return Response(orjson.dumps(body), media_type="application/ld+json")


@public.get("/export.csv", name="observatory.export_csv")
async def export_csv(run: Runner) -> Response:
    """Published entries in the documented CSV format."""
    body = await run.call(lambda n: n.observatory.export("csv"))
    return Response(body, media_type="text/csv")


@router.post("/submissions", name="observatory.submit", response_model=o.SubmissionPublic,
             status_code=201)  # fmt: skip
async def submit(body: o.SubmissionCreate, user: Authorized, run: Runner) -> o.SubmissionPublic:
    """Submit an entry; it is public only once reviewed and published."""
    return await run.call(lambda n: o.submit(n, user, body))


@router.put("/submissions/{entry_id}", name="observatory.revise",
            response_model=o.SubmissionPublic)  # fmt: skip
async def revise(entry_id: EntryId, body: o.SubmissionCreate, user: Authorized,
                 run: Runner) -> o.SubmissionPublic:  # fmt: skip
    """A new version of your entry; the published version stays until this one is reviewed."""
    return await run.call(lambda n: o.revise(n, user, entry_id, body))


@router.get("/submissions/{entry_id}", name="observatory.submission",
            response_model=o.SubmissionPublic)  # fmt: skip
async def submission(entry_id: EntryId, user: Authorized, run: Runner) -> o.SubmissionPublic:
    """An entry's latest version, state and history (submitters see their own)."""
    return await run.call(lambda n: o.submission(n, user, entry_id))


@router.get("/queue", name="observatory.queue")
async def queue(user: Authorized, run: Runner, state: Filter = None, limit: Limit = 50,
                offset: Offset = 0) -> list[dict[str, Any]]:  # fmt: skip
    """Entries by state, newest first (the reviewers' work list)."""
    return await run.call(lambda n: o.queue(n, state, limit, offset))


@router.post("/declarations", name="observatory.declare", status_code=201)
async def declare(body: o.DeclarationCreate, user: Authorized, run: Runner) -> dict[str, Any]:
    """File your declaration of interests (required before reviewing)."""
    return await run.call(lambda n: o.declare(n, user, body))


@router.post("/submissions/{entry_id}/review", name="observatory.review",
             response_model=o.SubmissionPublic)  # fmt: skip
async def review(entry_id: EntryId, body: o.ReviewCreate, user: Authorized,
                 run: Runner) -> o.SubmissionPublic:  # fmt: skip
    return await run.call(lambda n: o.review(n, user, entry_id, body))


@router.post("/submissions/{entry_id}/publish", name="observatory.publish",
             response_model=o.SubmissionPublic)  # fmt: skip
async def publish(entry_id: EntryId, user: Authorized, run: Runner) -> o.SubmissionPublic:
    return await run.call(lambda n: o.publish(n, user, entry_id))


@router.post("/reviews", name="observatory.review_batch", response_model=o.BatchPublic)
async def review_batch(body: o.BatchCreate, user: Authorized, run: Runner) -> o.BatchPublic:
    """Review many entries (e.g. an import); those you may not review are skipped, with why."""
    return await run.call(lambda n: o.review_batch(n, user, body))


@router.post("/publications", name="observatory.publish_batch", response_model=o.BatchPublic)
async def publish_batch(body: o.BatchCreate, user: Authorized, run: Runner) -> o.BatchPublic:
    """Publish many reviewed entries; those you may not publish are skipped, with why."""
    return await run.call(lambda n: o.publish_batch(n, user, body))


@router.post("/methods", name="observatory.method_adopt", status_code=201)
async def adopt(body: o.MethodCreate, user: Authorized, run: Runner) -> dict[str, Any]:
    """Adopt a new version of the scoring method (a recorded, audited decision)."""
    return await run.call(lambda n: o.adopt_method(n, user, body))


@router.post("/rankings", name="observatory.ranking_record", status_code=201)
async def record(body: o.RankingCreate, user: Authorized, run: Runner) -> dict[str, Any]:
    """Compute and record a ranking's digest, so that it can be re-verified later."""
    return await run.call(lambda n: o.record_ranking(n, user, body))


@router.post("/sync", name="observatory.sync")
async def sync(user: Authorized, run: Runner) -> dict[str, int]:
    """Submit this node's models and catalogue datasets; snapshot live figures."""
    return await run.call(lambda n: o.sync(n, user))

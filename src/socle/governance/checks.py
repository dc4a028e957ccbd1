"""Automatic checks run on a submitted request, before any committee time is spent."""

from __future__ import annotations

from socle.catalog import Catalog
from socle.consent import Taxonomy
from socle.governance.model import CheckResult, ProjectRequest

MIN_JUSTIFICATION = 15


def run_checks(request: ProjectRequest, taxonomy: Taxonomy, catalog: Catalog) -> list[CheckResult]:
    """Each check says whether it passed and, if not, what to change."""
    results = []
    forbidden = taxonomy.forbidden.get(request.purpose)
    results.append(
        CheckResult(
            "purpose_allowed",
            forbidden is None,
            f"purpose '{request.purpose}' is forbidden: {forbidden}" if forbidden else "",
        )
    )
    known = request.purpose in taxonomy.purposes
    results.append(
        CheckResult(
            "consent_compatible",
            known,
            "" if known else f"purpose '{request.purpose}' is not in the consent taxonomy",
        )
    )
    unjustified = [
        f"{v.table}.{v.column}"
        for v in request.variables
        if len(v.justification.strip()) < MIN_JUSTIFICATION
    ]
    results.append(
        CheckResult(
            "variables_justified",
            not unjustified,
            f"justify each variable in a sentence: {', '.join(unjustified)}" if unjustified else "",
        )
    )
    unknown = [
        f"{v.table}.{v.column}"
        for v in request.variables
        if not catalog.has_variable(request.dataset_id, v.table, v.column)
    ]
    results.append(
        CheckResult(
            "variables_in_catalogue",
            not unknown,
            f"not in dataset {request.dataset_id}: {', '.join(unknown)}" if unknown else "",
        )
    )
    missing = [
        name
        for name, value in (
            ("title", request.title),
            ("sponsor", request.sponsor),
            ("public-interest statement", request.public_interest),
        )
        if not value.strip()
    ]
    if not request.variables:
        missing.append("variables")
    results.append(
        CheckResult(
            "file_complete",
            not missing,
            f"missing: {', '.join(missing)}" if missing else "",
        )
    )
    return results

"""Automatic checks run on a submitted request, before any committee time is spent."""

from __future__ import annotations

from typing import get_args

from socle.catalog import Catalog, CatalogError, high_risk
from socle.consent import Taxonomy
from socle.governance.model import CheckResult, OutputType, ProjectRequest
from socle.governance.team import TeamRoles, load_team_roles

MIN_JUSTIFICATION = 15
MIN_HIGH_RISK_JUSTIFICATION = 80  # a high-risk variable (note text) needs a paragraph
ROW_LEVEL_OUTPUTS = frozenset({"pseudonymised_extract"})
OUTPUT_TYPES: tuple[OutputType, ...] = get_args(OutputType)


def run_checks(
    request: ProjectRequest,
    taxonomy: Taxonomy,
    catalog: Catalog,
    roles: TeamRoles | None = None,
) -> list[CheckResult]:
    """Each check says whether it passed and, if not, what to change."""
    results = []
    team_problems = (roles or load_team_roles()).problems(request.team)
    results.append(CheckResult("team_roles", not team_problems, "; ".join(team_problems)))
    population_problems = request.population.problems() if request.population else []
    results.append(
        CheckResult(
            "population_valid",
            not population_problems,
            f"population: {'; '.join(population_problems)}" if population_problems else "",
        )
    )
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
    results.append(_high_risk_check(request))
    try:
        dataset = catalog.get(request.dataset_id)
    except CatalogError:
        results.append(
            CheckResult(
                "variables_in_catalogue", False,
                f"dataset '{request.dataset_id}' is not in the catalogue",
            )
        )  # fmt: skip
    else:
        known_vars = {(v.table, v.column) for v in dataset.variables}
        unknown = [
            f"{v.table}.{v.column}"
            for v in request.variables
            if (v.table, v.column) not in known_vars
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
    if not request.team:
        missing.append("team")
    if not request.output_types:
        missing.append("output type")
    unknown_outputs = sorted(set(request.output_types) - set(OUTPUT_TYPES))
    if unknown_outputs:
        missing.append(f"a known output type ({', '.join(OUTPUT_TYPES)}), not {unknown_outputs}")
    if request.period_start and request.period_end and request.period_start > request.period_end:
        missing.append("a period that starts before it ends")
    results.append(
        CheckResult(
            "file_complete",
            not missing,
            f"missing: {', '.join(missing)}" if missing else "",
        )
    )
    return results


def _high_risk_check(request: ProjectRequest) -> CheckResult:
    """High-risk variables need their own, longer justification and never leave as rows."""
    problems = []
    others = {
        v.justification.strip() for v in request.variables if not high_risk(v.table, v.column)
    }
    for v in request.variables:
        if not high_risk(v.table, v.column):
            continue
        name = f"{v.table}.{v.column}"
        text = v.justification.strip()
        if len(text) < MIN_HIGH_RISK_JUSTIFICATION or text in others:
            problems.append(
                f"{name} is high-risk (free text): give it its own justification of at least "
                f"{MIN_HIGH_RISK_JUSTIFICATION} characters (why text, which method, which output)"
            )
        rows = sorted(ROW_LEVEL_OUTPUTS & set(request.output_types))
        if rows:
            problems.append(
                f"{name} cannot leave as rows ({', '.join(rows)}): ask for aggregates or a model"
            )
    return CheckResult("high_risk_variables", not problems, "; ".join(problems))

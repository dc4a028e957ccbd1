"""The whole lifecycle on the bundled sample, step by step (``socle demo``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from socle.ai import FEATURES, build_training_set
from socle.consent import ConsentEvent
from socle.governance import ProjectRequest, RequestedVariable, TeamMember
from socle.ingest import input_files, read_file
from socle.node import Node
from socle.observatory import REVIEWER, explain
from socle.quality import QualityReport

STEWARD, RESEARCHER, CHAIR, CLINICIAN = (
    "steward@hospital",
    "researcher@lab",
    "chair@committee",
    "dr.house@hospital",
)
OBS_REVIEWER = "reviewer@observatory"
DEMO_CONDITION = "SNOMED|73595000"  # Stress (finding): common enough to show released cells
OBJECTOR_EVERY = 8  # every 8th patient (by source id) objects to research

VARIABLES = [
    ("person", "year_of_birth", "Age bands for counts and age as a model feature."),
    ("person", "gender_concept_id", "Sex for counts and as a model feature."),
    ("condition_occurrence", "condition_source_value", "Identify the studied conditions and the outcome."),
    ("condition_occurrence", "condition_start_date", "Date the outcome onset to build the 5-year label."),
    ("measurement", "measurement_source_value", "Select BMI, blood pressure and glucose measurements."),
    ("measurement", "value_as_number", "Values of the baseline measurements used as features."),
    ("measurement", "measurement_date", "Take only measurements before each landmark date."),
    ("observation_period", "observation_period_start_date", "Know when a person enters follow-up."),
    ("observation_period", "observation_period_end_date", "Censor persons without five years of follow-up."),
]  # fmt: skip


@dataclass
class StepResult:
    step: str
    summary: str
    paths: list[Path] = field(default_factory=list)


@dataclass
class DemoRun:
    results: list[StepResult] = field(default_factory=list)
    objectors: list[int] = field(default_factory=list)
    grant_id: str = ""
    releases: list[Path] = field(default_factory=list)
    model_id: str = ""
    decided_prediction: str = ""
    pending_prediction: str = ""


def source_patient_ids(path: Path) -> list[str]:
    """Patient ids in the input, as the patients themselves would give them at the portal."""
    ids: list[str] = []
    for file in input_files(path):
        ids.extend(
            str(item.resource["id"])
            for item in read_file(file)
            if item.resource is not None and item.resource.get("resourceType") == "Patient"
        )
    return sorted(ids)


def run_demo(
    node: Node,
    sample: Path,
    report: Callable[[StepResult], None] = lambda r: None,
    fda_list: Path | None = None,
) -> DemoRun:
    run = DemoRun()

    def done(step: str, summary: str, *paths: Path) -> None:
        result = StepResult(step, summary, list(paths))
        run.results.append(result)
        report(result)

    # 1. Collect
    load = node.load(sample, actor=STEWARD)
    t = load.totals()
    done(
        "ingest",
        f"{load.files} files, {t['read']} resources read = {t['loaded']} loaded + "
        f"{t['quarantined']} quarantined + {t['skipped']} skipped; {load.persons} persons",
    )

    # 2. Qualify
    quality = node.quality_report(actor=STEWARD)
    done(
        "quality",
        f"{sum(quality.row_counts.values())} CDM rows, "
        f"{sum(quality.implausible.values())} implausible values",
        quality.html_path, quality.json_path,
    )  # fmt: skip

    # 3. Catalogue
    dataset = node.catalog.register(
        node.warehouse,
        title="Synthea sample — hospital data warehouse",
        description="Synthetic FHIR R4 patients (Synthea) mapped to the OMOP CDM v5.4.",
        publisher="Socle demo hospital",
        actor=STEWARD,
    )
    node.catalog.attach_quality(dataset.id, _quality_summary(quality), actor=STEWARD)
    done(
        "catalog",
        f"dataset {dataset.id}: {dataset.population} persons, {dataset.coverage_start} to "
        f"{dataset.coverage_end}, {len(dataset.variables)} variables, quality summary attached",
    )

    # 4. Consent: some patients object to research (data-donation model: opt-out)
    today = datetime.now(UTC).date()
    sources = source_patient_ids(sample)
    run.objectors = [node.person_id(s) for s in sources[::OBJECTOR_EVERY]]
    node.consent.record(
        [
            ConsentEvent(p, "research", "objection", today, "portal", "patient")
            for p in run.objectors
        ],
        actor="patient-portal",
        role="patient",
    )
    counts = node.catalog.counts(
        dataset.id, warehouse=node.warehouse, consent=node.consent, purpose="research",
        actor=STEWARD,
    )  # fmt: skip
    done(
        "consent",
        f"{len(run.objectors)} patients objected to 'research'; the catalogue now counts "
        f"{counts.persons} persons available for research",
    )

    # 5. Request, checks, committee, grant
    request = ProjectRequest(
        title="Stress and cardiovascular risk in primary care",
        sponsor="University hospital research department",
        team=(TeamMember(RESEARCHER, "principal_investigator"),),
        purpose="research",
        public_interest="Earlier detection of hypertension in adults followed in primary care.",
        dataset_id=dataset.id,
        variables=tuple(RequestedVariable(t, c, j) for t, c, j in VARIABLES),
        output_types=("aggregates", "model_training"),
    )
    request_id = node.governance.create(request, actor=RESEARCHER)
    checks = node.governance.submit(request_id, actor=RESEARCHER)
    node.governance.start_review(request_id, actor=CHAIR)
    for name, score in ((CHAIR, 4), ("member2@committee", 5)):
        member = node.governance.ensure_member(name, expertise="epidemiology", actor=CHAIR)
        node.governance.review(
            request_id, member.id, scores=dict.fromkeys(node.governance.criteria.criteria, score),
            summary="Proportionate request with a clear public interest.", actor=name,
        )  # fmt: skip
    node.governance.decide(
        request_id, "approved", reviewers=[CHAIR, "member2@committee"],
        reasons="Clear public interest; variables proportionate to the aims.",
        conditions="Aggregates only; model outputs reviewed before use in care.", actor=CHAIR,
    )  # fmt: skip
    grant = node.governance.issue_grant(
        request_id, expires=today + timedelta(days=365), actor=CHAIR
    )
    run.grant_id = grant.id
    done(
        "request",
        f"{request_id}: {sum(c.passed for c in checks)}/{len(checks)} automatic checks passed, "
        f"approved; {grant.id} on {sum(len(c) for c in grant.columns.values())} columns "
        f"until {grant.expires}",
    )

    # 6. Workspace: checked releases (by sex; by age band and sex, where cells are small)
    for dims in (("sex",), ("age_band", "sex")):
        release = node.workspace.condition_counts(grant.id, DEMO_CONDITION, dims, actor=RESEARCHER)
        run.releases.append(release.csv_path)
        done(
            "workspace",
            f"{release.id} ({' x '.join(dims)}): {len(release.table.rows)} cells, "
            f"{release.table.suppressed_cells} suppressed (<{release.table.threshold}), "
            f"others rounded to {release.table.rounding_base}",
            release.csv_path,
        )

    # 7. Model
    trained = node.models.train(node.workspace, grant.id, actor=RESEARCHER)
    run.model_id = trained.id
    ev = trained.evaluation

    def shown(value: float | int | None, fmt: str = "") -> str:
        return format(value, fmt) if value is not None else "suppressed"

    done(
        "model",
        f"{trained.id}: {shown(ev.persons)} persons, {shown(ev.events)} events, "
        f"{shown(ev.train_persons)} training / {shown(ev.test_persons)} held-out persons "
        f"(counts checked like a release); held-out AUROC {shown(ev.auroc, '.2f')}, "
        f"grouped CV AUROC {shown(ev.cv_auroc, '.2f')}",
        trained.notice, ev.calibration_plot,
    )  # fmt: skip

    # 8. Human guarantee: two predictions, one decided, one left pending
    inputs = _latest_inputs(node, grant.id)
    first = node.guarantee.predict(
        trained.id, "person-demo-1", inputs, clinician=CLINICIAN, care_context="gp-clinic"
    )
    node.guarantee.decide(
        first.id, "accepted", clinician=CLINICIAN, reason="Consistent with recent HbA1c trend."
    )
    second = node.guarantee.predict(
        trained.id, "person-demo-2", inputs, clinician=CLINICIAN, care_context="gp-clinic"
    )
    run.decided_prediction, run.pending_prediction = first.id, second.id
    status = node.guarantee.status_report()
    done(
        "guarantee",
        f"{first.id} scored {first.score:.2f}, accepted by the clinician; {second.id} pending; "
        f"status {status}",
    )

    # 9. Observatory: the model with its live figures, the FDA list, a Top 10 with reasons
    summary, report_path = _observatory(node, fda_list)
    done("observatory", summary, report_path)

    # 10. Audit
    verification = node.audit.verify()
    done(
        "audit",
        f"{verification.events} events, chain verified, head {verification.head_hash[:16]}…",
    )
    return run


def _observatory(node: Node, fda_list: Path | None) -> tuple[str, Path]:
    """Submit what this node knows, review and publish it independently, rank, report."""
    obs = node.observatory
    obs.rankings.ensure_method(actor=OBS_REVIEWER, role=REVIEWER)
    obs.live.sync_models()
    obs.sync_catalogue(actor=STEWARD)
    imported = "FDA list not found: import skipped"
    if fda_list is not None and fda_list.is_file():
        fda = obs.import_fda(fda_list, actor=STEWARD, role="data_steward")
        imported = (
            f"FDA list: {fda.rows} devices ({fda.created} new, {fda.unchanged} unchanged), "
            f"{len(fda.unmapped)} not mapped to a category"
        )
    obs.reviews.declare_interests(OBS_REVIEWER, statement="No link with any maker listed.")
    reviewed, _ = obs.reviews.review_many(
        obs.registry.entry_ids(state="submitted"), reviewer=OBS_REVIEWER
    )
    published, _ = obs.reviews.publish_many(reviewed, actor=OBS_REVIEWER)
    obs.live.refresh()
    ranking = obs.rankings.top("prediction")
    obs.rankings.record(ranking, actor=OBS_REVIEWER, role=REVIEWER)
    triage = obs.rankings.top("triage")
    lines = [
        f"{len(published)} entries reviewed and published; {imported}",
        *explain(ranking),
        f"Top of 'triage': {len(triage.ranked)} ranked, {len(triage.lacking_evidence)} published "
        "tools lack the evidence the method requires (no study recorded) and are not ranked",
        f"{len(obs.alerts())} vigilance alerts",
    ]
    return "\n".join(lines), obs.report(node.reports)


def _quality_summary(report: QualityReport) -> dict[str, object]:
    """The counts-only summary of a quality report that the catalogue publishes."""
    return {
        "rows": sum(report.row_counts.values()),
        "implausible": sum(report.implausible.values()),
        "completeness": report.completeness,
        "coverage": list(report.coverage),
    }


def _latest_inputs(node: Node, grant_id: str) -> dict[str, float | None]:
    """One person's latest landmark features, as a clinical system would send them."""
    with node.workspace.session(grant_id, "model_training", actor=CLINICIAN) as ws:
        data = build_training_set(ws)
    row = data.X[-1]
    return {f: (None if np.isnan(v) else float(v)) for f, v in zip(FEATURES, row, strict=True)}

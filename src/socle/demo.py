"""The whole lifecycle on the bundled sample, step by step (``socle demo``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from socle.consent import ConsentEvent
from socle.demo_guarantee import model_documents, run_guarantee
from socle.governance import ProjectRequest, RequestedVariable, TeamMember
from socle.ingest import input_files, read_file
from socle.node import Node
from socle.observatory import REVIEWER, explain
from socle.quality import QualityReport
from socle.release import DeskError, MetricRow, ModelMetrics, Output, Population
from socle.roles import Role
from socle.workspace import CohortDefinition, WorkspaceError, trace

STEWARD, RESEARCHER, CHAIR, CLINICIAN = (
    "steward@hospital",
    "researcher@lab",
    "chair@committee",
    "dr.house@hospital",
)
CHECKERS = ("checker1@output-desk", "checker2@output-desk")
DEMO_EPSILON = 1.0  # the committee's privacy budget for the project's DP releases
OBS_REVIEWER = "reviewer@observatory"
DEMO_CONDITION = "SNOMED|73595000"  # Stress (finding): common enough to show released cells
OBJECTOR_EVERY = 8  # every 8th patient (by source id) objects to research


def bundled_sample() -> Path:
    """The 50 Synthea patients that ship inside the package (``socle/sample``).

    In a source checkout ``src/socle/sample`` links to the repository's ``data/sample``; a
    built wheel holds the files themselves, so ``socle demo`` works from any folder.
    """
    return Path(__file__).resolve().parent / "sample"


def bundled_vocabulary() -> Path:
    """The OHDSI vocabulary extract shipped inside the package (``socle/vocabulary``)."""
    return Path(__file__).resolve().parent / "vocabulary"


def bundled_fda_list() -> Path:
    """The FDA's list of AI-enabled devices shipped inside the package (``socle/fda``)."""
    return Path(__file__).resolve().parent / "fda" / "aiml-devices.csv"


DEMO_JOB = """\
# A researcher's analysis, run in the sandbox on the grant's extract (no network, no node files).
import pandas as pd

cohort = pd.read_parquet("/job/extract/results/stress.parquet")
bands = pd.cut(cohort.age_at_index, [0, 18, 45, 65, 130], right=False,
               labels=["0-17", "18-44", "45-64", "65+"])
table = cohort.groupby(bands, observed=False).person_id.nunique().rename("persons")
table.rename_axis("age_band").reset_index().to_csv("/job/output/stress_by_age.csv", index=False)
"""

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
    vocabulary: Path | None = None,
) -> DemoRun:
    run = DemoRun()

    def done(step: str, summary: str, *paths: Path) -> None:
        result = StepResult(step, summary, list(paths))
        run.results.append(result)
        report(result)

    # 1. Collect (with the OMOP vocabularies, rows map to standard concepts as they load)
    if vocabulary is not None:
        loaded = node.load_vocabulary(vocabulary, actor=STEWARD)
        done("vocabulary", f"{loaded['concept']:,} concepts, {loaded['concept_relationship']:,} "
             "relationships (OHDSI vocabulary extract)")  # fmt: skip
    load = node.load(sample, actor=STEWARD)
    t = load.totals()
    mapping = node.warehouse.mapping_report().totals()
    done(
        "ingest",
        f"{load.files} files, {t['read']} resources read = {t['loaded']} loaded + "
        f"{t['quarantined']} quarantined + {t['skipped']} skipped; {load.persons} persons; "
        f"{mapping['share_standard']:.0%} of coded rows carry a standard concept "
        f"({mapping['share_in_vocabulary']:.0%} have their code in the vocabulary)",
    )

    preview, removed = _note_preview(node, sample)
    done(
        "notes",
        f"{removed['notes']} clinical notes de-identified into note/note_nlp "
        f"({removed['entities']} identifiers replaced by typed surrogates, dates shifted); "
        "one note before/after for the steward only",
        preview,
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
        role=Role.PATIENT,
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
        request_id, expires=today + timedelta(days=365), actor=CHAIR, dp_epsilon=DEMO_EPSILON
    )
    run.grant_id = grant.id
    done(
        "request",
        f"{request_id}: {sum(c.passed for c in checks)}/{len(checks)} automatic checks passed, "
        f"approved; {grant.id} on {sum(len(c) for c in grant.columns.values())} columns "
        f"until {grant.expires}",
    )

    # 6. Workspace: outputs go to the release desk; two output checkers release them
    for checker in CHECKERS:
        node.desk.appoint_checker(checker, actor="admin@hospital")
    for dims in (("sex",), ("age_band", "sex")):
        out = node.workspace.condition_counts(grant.id, DEMO_CONDITION, dims, actor=RESEARCHER)
        for checker in CHECKERS:
            out = node.desk.review(
                out.id, "approved", reasons="Checks pass; suppression verified.", actor=checker
            )
        files = sorted(out.folder.glob("*.csv")) if out.folder else []
        run.releases.extend(files)
        item = out.items[0]
        hidden = sum(v is None for row in item.rows for v in row)
        done(
            "release",
            f"{out.id} ({' x '.join(dims)}): automatic checks '{item.status}', {hidden} of "
            f"{len(item.rows)} entries suppressed; released after {len(out.reviews)} approvals, "
            f"sha256 {(item.sha256 or '')[:12]}… in the audit log",
            *files,
        )  # fmt: skip

    # 6b. The researcher's own work: a cohort kept in the workspace, a sandboxed job on the
    # grant's extract, its table released after checking, and the permit chain behind it.
    cohort = CohortDefinition(name="stress", domain="condition", source_codes=(DEMO_CONDITION,))
    members = node.workspace.queries.run_cohort(grant.id, cohort, actor=RESEARCHER)
    script = node.settings.workspace_dir / "demo-code" / "stress_by_age.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(DEMO_JOB)
    job = node.workspace.jobs.run(grant.id, script, actor=RESEARCHER, results=("stress",))
    if job.state != "succeeded":
        raise WorkspaceError(f"the demo job {job.id} {job.state}: {job.reason}")
    job_release = node.workspace.release_job_table(
        job.id, "stress_by_age.csv", ["persons"], actor=RESEARCHER,
        description="persons with stress by age at first record (sandboxed job)",
    )  # fmt: skip
    for checker in CHECKERS:
        job_release = node.desk.review(
            job_release.id, "approved", reasons="Checks pass; the job's file hash matches.",
            actor=checker,
        )  # fmt: skip
    job_files = sorted(job_release.folder.glob("*.csv")) if job_release.folder else []
    run.releases.extend(job_files)
    chain = trace(job_release.id, node.audit.events())
    done(
        "jobs",
        f"cohort '{members.name}' kept in the workspace; {job.id} ran in the sandbox "
        f"(code {job.code_sha256[:8]}…, extract {job.extract_sha256[:8]}…); {job_release.id} "
        f"released by the desk; permit chain of {len(chain)} links: "
        f"{' → '.join(k.kind for k in chain)}",
        *job_files,
    )  # fmt: skip

    # 7. Model
    trained = node.models.train(node.workspace, grant.id, actor=RESEARCHER)
    run.model_id = trained.id
    ev = trained.evaluation

    def shown(value: float | int | None, fmt: str = "") -> str:
        return format(value, fmt) if value is not None else "suppressed"

    evaluation = trained.report or {}
    disc = evaluation.get("discrimination", {})
    done(
        "model",
        f"{trained.id}: {shown(ev.persons)} persons, {shown(ev.events)} events (counts checked "
        f"like a release); cross-validated AUROC {shown(disc.get('auroc'), '.2f')} (95% CI "
        f"{shown(disc.get('ci95', [None])[0], '.2f')}–{shown(disc.get('ci95', [None, None])[1], '.2f')}), "
        f"calibration slope {shown(evaluation.get('calibration', {}).get('calibration_slope'), '.2f')}; "
        f"{len(evaluation.get('warnings', []))} subgroups withheld as too small (Fairlearn); "
        f"SHAP explanations; TRIPOD+AI {_tripod(trained)}% complete; card, notices FR/EN, "
        "Annex IV pack",
        *model_documents(node, trained.id),
    )  # fmt: skip

    # 7b. The desk stops, catches and budgets
    _release_desk_cases(node, run, grant.id, trained, done)

    # 8. Human guarantee: validated, deployed, used with decisions, monitored; then suspended
    run.decided_prediction, run.pending_prediction = run_guarantee(
        node, grant.id, trained.id, RESEARCHER, CHAIR, done
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


def _note_preview(node: Node, sample: Path) -> tuple[Path, dict[str, int]]:
    """The first note of the sample, before (from the input) and after (from the warehouse)."""
    from socle.notes import Entity, note_text, write_preview

    [(notes, entities)] = node.warehouse.aggregate(
        "SELECT (SELECT count(*) FROM note), (SELECT count(*) FROM note_nlp)"
    )
    counts = {"notes": int(notes), "entities": int(entities)}
    for path in input_files(sample):
        for item in read_file(path, root=sample):
            doc = item.resource
            if not doc or doc.get("resourceType") != "DocumentReference":
                continue
            note_id = node.pseudo.id("DocumentReference", str(doc["id"]))
            stored = node.warehouse.aggregate(
                "SELECT note_text FROM note WHERE note_id = ?", [note_id]
            )
            if not stored:
                continue
            before = note_text([c.get("attachment") for c in doc["content"]], "content").text
            after = str(stored[0][0])
            marks = tuple(
                Entity(str(m).split(";")[0].removeprefix("deid="), int(o), int(o) + len(v))
                for o, v, m in node.warehouse.aggregate(
                    'SELECT "offset", lexical_variant, term_modifiers FROM note_nlp '
                    "WHERE note_id = ?",
                    [note_id],
                )
            )
            page = node.settings.home / "steward" / "note-before-after.html"
            node.audit.record(
                actor=STEWARD, role="data_steward", action="notes.preview",
                object=str(note_id), details={"surrogates": len(marks)},
            )  # fmt: skip
            return write_preview(page, before, after, marks), counts
    raise ValueError("the sample holds no de-identified note")


def _release_desk_cases(
    node: Node, run: DemoRun, grant_id: str, trained: Any, done: Callable[..., None]
) -> None:
    """Model metrics stopped by a check; a differencing pair caught; a DP count released."""
    ev = trained.evaluation
    # The evaluation's counts are already disclosed (rounded; None when suppressed).
    persons = ev.test_persons or 0
    events = round((ev.observed_rate or 0.0) * (ev.test_rows or 0))
    scores = {k: v for k, v in (("auroc", ev.auroc), ("brier", ev.brier)) if v is not None}
    metrics = ModelMetrics(trained.id, (MetricRow("overall", persons, events, scores),))
    population = Population(f"grant {grant_id}: held-out persons of {trained.id}", persons)
    try:
        node.desk.request(
            grant_id, [Output("model_metrics", "model_metrics", metrics, population)],
            description="held-out metrics of the hypertension model", actor=RESEARCHER,
        )  # fmt: skip
        stopped = "was not stopped"
    except DeskError as exc:
        stopped = exc.message.split(" — ")[-1].split(". Change")[0]
    done("release", f"model metrics stopped by an automatic check: {stopped}")

    # The same table on everyone but one (an "outlier" dropped): the difference is that person.
    sql = (
        "SELECT CASE gender_concept_id WHEN 8507 THEN 'M' WHEN 8532 THEN 'F' ELSE 'U' END AS sex, "
        "count(*) AS persons FROM scoped_person WHERE person_id IN (SELECT person_id FROM "
        "scoped_condition_occurrence WHERE condition_source_value = ?) AND person_id <> (SELECT "
        "min(person_id) FROM scoped_condition_occurrence WHERE condition_source_value = ?) "
        "GROUP BY ALL ORDER BY ALL"
    )
    with node.workspace.session(grant_id, "aggregates", actor=RESEARCHER) as ws:
        table = ws.query(sql, [DEMO_CONDITION, DEMO_CONDITION])
    rows = list(zip(*(table.column(i).to_pylist() for i in range(2)), strict=True))
    again = node.workspace.release(
        grant_id, ["sex", "persons"], rows, ["persons"], actor=RESEARCHER,
        description=f"persons with {DEMO_CONDITION} by sex, one outlier excluded",
        population=f"grant {grant_id}: persons with {DEMO_CONDITION} but one",
    )  # fmt: skip
    [differencing] = [c for c in again.items[0].checks if c["name"] == "differencing"]
    node.desk.review(
        again.id, "rejected", reasons="Differencing with an earlier release (see check).",
        actor=CHECKERS[0],
    )  # fmt: skip
    done(
        "release",
        f"{again.id}: differencing '{differencing['status']}' — {differencing['reason']}; rejected by {CHECKERS[0]}",
    )

    dp = node.workspace.dp_condition_count(grant_id, DEMO_CONDITION, 0.5, actor=RESEARCHER)
    for checker in CHECKERS:
        dp = node.desk.review(dp.id, "approved", reasons="DP count within budget.", actor=checker)
    budget = node.desk.budget(grant_id)
    _, value, low, high = dp.items[0].rows[0]
    done(
        "release",
        f"{dp.id}: DP count {value:.0f} persons (95% interval {low:.0f} to {high:.0f}) released; "
        f"ε {budget.spent_epsilon:g} of {budget.epsilon:g} spent",
        *(sorted(dp.folder.glob("*.csv")) if dp.folder else []),
    )  # fmt: skip


def _observatory(node: Node, fda_list: Path | None) -> tuple[str, Path]:
    """Submit what this node knows, review and publish it independently, rank, report."""
    obs = node.observatory
    obs.rankings.ensure_method(actor=OBS_REVIEWER, role=REVIEWER)
    obs.live.sync_models()
    obs.sync_catalogue(actor=STEWARD)
    imported = "FDA list not found: import skipped"
    if fda_list is not None and fda_list.is_file():
        fda = obs.import_fda(fda_list, actor=STEWARD, role=Role.DATA_STEWARD)
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


def _tripod(trained: Any) -> str:
    """The TRIPOD+AI completeness of a trained model's documentation."""
    tripod = orjson.loads(trained.folder.joinpath("tripod_ai.json").read_bytes())
    return str(tripod["completeness_pct"])


def _quality_summary(report: QualityReport) -> dict[str, object]:
    """The counts-only summary of a quality report that the catalogue publishes."""
    return {
        "rows": sum(report.row_counts.values()),
        "implausible": sum(report.implausible.values()),
        "completeness": report.completeness,
        "coverage": list(report.coverage),
    }

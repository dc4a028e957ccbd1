"""``socle guarantee``: clinicians' decisions and the college's status report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from socle.cli.common import Actor, Home, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("decide")
def decide(
    prediction_id: str,
    decision: Annotated[str, typer.Option(help="accepted, amended or rejected")],
    reason: Annotated[str, typer.Option()],
    reason_code: Annotated[str, typer.Option(help="a code of `socle guarantee reasons`")] = "other",
    amended_score: Annotated[float | None, typer.Option()] = None,
    home: Home = None,
    actor: Actor = "clinician",
) -> None:
    """Record a clinician's decision on a pending prediction."""
    with open_node(home) as node:
        p = node.guarantee.decide(
            prediction_id, decision,  # type: ignore[arg-type]
            clinician=actor, reason=reason, reason_code=reason_code, amended_score=amended_score,
        )  # fmt: skip
    out.print(f"{p.id}: {p.status} by {p.decided_by}")


@app.command("report")
def report(home: Home = None) -> None:
    """Predictions by status; pending ones are not yet under human guarantee."""
    with open_node(home) as node:
        for status, n in node.guarantee.status_report().items():
            out.print(f"{status:10} {n}")


@app.command("predict")
def predict(
    model_id: str,
    patient: Annotated[str, typer.Option(help="the patient's pseudonym")],
    inputs: Annotated[str, typer.Option(help='JSON object of features, e.g. {"age": 52, ...}')],
    care_context: Annotated[str, typer.Option()],
    home: Home = None,
    actor: Actor = "clinician",
) -> None:
    """Score one patient with a deployed model: score, SHAP explanation, versions; pending."""
    import orjson

    from socle.errors import InputError

    try:
        values = orjson.loads(inputs)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"--inputs is not JSON: {exc}") from None
    with open_node(home) as node:
        p = node.guarantee.predict(model_id, patient, values, clinician=actor,
                                   care_context=care_context)  # fmt: skip
    out.print(f"{p.id}: score {p.score:.3f} ({p.model_version}, notice {p.notice_version[:12]}…), "
              f"pending a clinician's decision")  # fmt: skip
    for feature, value in sorted(p.explanation.items(), key=lambda kv: -abs(kv[1])):
        out.print(f"  {feature:<14} {value:+.3f} (SHAP, log-odds)")


@app.command("reasons")
def reasons() -> None:
    """The published taxonomy of reasons for a decision."""
    from socle.guarantee import reason_taxonomy

    for r in reason_taxonomy().reasons:
        out.print(f"{r.code:<20} {'/'.join(r.decisions):<28} {r.en} — {r.fr}")


@app.command("outcome")
def outcome(
    prediction_id: str,
    occurred: Annotated[bool, typer.Option("--occurred/--not-occurred")],
    observed_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Link the observed outcome to a prediction."""
    from socle.cli.common import parse_date

    with open_node(home) as node:
        node.guarantee.record_outcome(prediction_id, occurred, parse_date(observed_on),
                                      actor=actor, role="data_steward")  # fmt: skip
    out.print(f"{prediction_id}: outcome recorded")


@app.command("fhir")
def fhir(
    model_id: str,
    path: Path,
    version: Annotated[
        str, typer.Option(help="R4 (Provenance + Basic) or R5 (ArtifactAssessment)")
    ] = "R4",
    home: Home = None,
) -> None:
    """Export clinicians' decisions on a model's predictions as a FHIR Bundle."""
    import orjson

    from socle.guarantee import decisions_bundle

    with open_node(home) as node:
        node.models.info(model_id)
        bundle = decisions_bundle(node.guarantee.predictions(model_id),
                                  "R5" if version.upper() == "R5" else "R4")  # fmt: skip
    path.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    out.print(f"{len(bundle['entry'])} FHIR resources written to {path}", soft_wrap=True)


@app.command("link-outcomes")
def link_outcomes(home: Home = None) -> None:
    """Link the outcomes the warehouse now holds to predictions awaiting one (run after each
    load automatically; run it by hand after a partitioned load or to retry)."""
    with open_node(home) as node:
        links = node.outcomes.link(trigger="socle guarantee link-outcomes")
    out.print(
        f"{links.examined} predictions awaiting an outcome: {links.recorded} linked "
        f"({links.occurred} occurred, {links.not_occurred} did not), {links.awaiting} awaiting "
        f"follow-up, {links.prior} outside the target population, {links.unmatched} not linkable"
    )

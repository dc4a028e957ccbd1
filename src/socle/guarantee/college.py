"""The college of human guarantee: its members, periodic reviews and decisions on models.

Appointed members review each model used in care from a periodic report
(override rates, drift, outcomes, alerts, and a random sample of decided cases)
and decide: deploy, keep, retrain, restrict (to some care contexts), suspend or
retire. Suspension and deployment move the model's stage in the registry, so a
suspended model makes no prediction and every refusal says why.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Boolean, Column, Engine, String, Table, Text, select

from socle.ai import ModelRegistry
from socle.audit import AuditLog
from socle.guarantee.monitoring import Monitoring
from socle.guarantee.reasons import GuaranteeError
from socle.guarantee.service import TABLES, HumanGuarantee
from socle.store import Json, Timestamp

CollegeChoice = Literal["deploy", "keep", "retrain", "restrict", "suspend", "retire"]
CHOICES = ("deploy", "keep", "retrain", "restrict", "suspend", "retire")
ROLE = "college_member"
STAGE_OF = {"deploy": "deployed", "suspend": "suspended", "retire": "retired"}

member_table = Table(
    "college_member",
    TABLES,
    Column("name", String(200), primary_key=True),
    Column("expertise", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("appointed_at", Timestamp("seconds"), nullable=False),
)
decision_table = Table(
    "college_decision",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("model_id", String(40), nullable=False, index=True),
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("care_contexts", Json),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", Timestamp("seconds"), nullable=False),
)


@dataclass(frozen=True)
class CollegeMember:
    name: str
    expertise: str
    active: bool
    appointed_at: str


@dataclass(frozen=True)
class CollegeDecision:
    id: str
    model_id: str
    decision: str
    reason: str
    care_contexts: tuple[str, ...] | None
    decided_by: str
    decided_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class College:
    def __init__(
        self, engine: Engine, audit: AuditLog, models: ModelRegistry,
        guarantee: HumanGuarantee, monitoring: Monitoring,
    ) -> None:  # fmt: skip
        self.engine, self.audit, self.models = engine, audit, models
        self.guarantee, self.monitoring = guarantee, monitoring

    def appoint(
        self, name: str, *, expertise: str, actor: str, role: str = "administrator"
    ) -> CollegeMember:
        """Appoint a member (idempotent for a member already appointed)."""
        if not name.strip() or not expertise.strip():
            raise GuaranteeError("a college member needs a name and an expertise")
        for m in self.members():
            if m.name == name:
                return m
        member = CollegeMember(name, expertise, True, _now())
        with self.engine.begin() as conn:
            conn.execute(member_table.insert().values(**asdict(member)))
            self.audit.append(conn, actor=actor, role=role, action="college.appoint",
                              object=name, details={"expertise": expertise})  # fmt: skip
        return member

    def members(self) -> list[CollegeMember]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(member_table).order_by(member_table.c.name)).all()
        return [CollegeMember(**r._mapping) for r in rows]

    def decide(
        self, model_id: str, decision: CollegeChoice, *, actor: str, reason: str,
        care_contexts: tuple[str, ...] | None = None,
    ) -> CollegeDecision:  # fmt: skip
        """A decision of an appointed member on a model; stages and restrictions follow it."""
        if actor not in {m.name for m in self.members() if m.active}:
            raise GuaranteeError(f"{actor} is not an appointed member of the college")
        if decision not in CHOICES:
            raise GuaranteeError(f"college decision must be one of {', '.join(CHOICES)}")
        if not reason.strip():
            raise GuaranteeError(f"model {model_id}: a college decision needs a reason")
        if decision == "restrict" and not care_contexts:
            raise GuaranteeError(f"model {model_id}: a restriction names the care contexts kept")
        if decision in STAGE_OF:
            self.models.transition(model_id, STAGE_OF[decision], actor=actor, role=ROLE,
                                   reason=f"college: {reason}")  # fmt: skip
        elif decision == "restrict":
            self.models.restrict(model_id, care_contexts, actor=actor, role=ROLE, reason=reason)
        else:
            self.models.info(model_id)
        record = CollegeDecision("cdec-" + uuid.uuid4().hex[:8], model_id, decision, reason,
                                 care_contexts, actor, _now())  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(decision_table.insert().values(
                **{**asdict(record), "care_contexts": list(care_contexts)
                   if care_contexts else None}))  # fmt: skip
            closed = self.monitoring.close_alerts(model_id, conn)
            self.audit.append(
                conn, actor=actor, role=ROLE, action="college.decision", object=model_id,
                details={"decision": decision, "reason": reason, "alerts_closed": closed},
            )  # fmt: skip
        return record

    def decisions(self, model_id: str) -> list[CollegeDecision]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(decision_table).where(decision_table.c.model_id == model_id)
                .order_by(decision_table.c.decided_at)
            ).all()  # fmt: skip
        return [
            CollegeDecision(r.id, r.model_id, r.decision, r.reason,
                            tuple(r.care_contexts) if r.care_contexts else None,
                            r.decided_by, r.decided_at)
            for r in rows
        ]  # fmt: skip

    def review(
        self, model_id: str, folder: Path, *, actor: str, sample_size: int | None = None,
        seed: int | None = None,
    ) -> tuple[Path, Path, dict[str, Any]]:  # fmt: skip
        """Write the periodic review report (HTML ready to print to PDF, and JSON)."""
        from jinja2 import Environment, PackageLoader, select_autoescape

        info = self.models.info(model_id)
        monitoring = self.monitoring.report(model_id, actor=actor, role=ROLE)
        decided = self.guarantee.predictions(model_id, decided_only=True)
        size = int(sample_size or self.monitoring.policy["review"]["sample_size"])
        rng = random.Random(seed)
        sample = rng.sample(decided, min(size, len(decided)))
        data = {
            "model": asdict(info), "generated_at": _now(), "reviewer": actor,
            "usage": asdict(self.guarantee.usage(model_id)), "monitoring": monitoring.as_dict(),
            "alerts": [asdict(a) for a in self.monitoring.alerts(model_id)],
            "decisions": [asdict(d) for d in self.decisions(model_id)],
            "stages": [asdict(t) for t in self.models.transitions(model_id)],
            "sample": [{"id": p.id, "care_context": p.care_context, "score": round(p.score, 3),
                        "decision": p.status, "reason_code": p.reason_code,
                        "reason": p.decision_reason, "decided_by": p.decided_by,
                        "seconds_to_decision": p.decision_seconds,
                        "explanation": p.explanation} for p in sample],
            "sample_seed": seed,
        }  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        html_path = folder / f"college-review-{model_id}-{stamp}.html"
        json_path = html_path.with_suffix(".json")
        env = Environment(loader=PackageLoader("socle.guarantee"), autoescape=select_autoescape())
        html_path.write_text(env.get_template("review.html.j2").render(data))
        json_path.write_bytes(
            orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
        )
        with self.engine.begin() as conn:
            self.audit.append(conn, actor=actor, role=ROLE, action="college.review",
                              object=model_id, details={"sample": len(sample),
                                                        "alerts": len(monitoring.alerts)})  # fmt: skip
        return html_path, json_path, data

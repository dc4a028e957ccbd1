"""What an entry says: an AI tool or a health database, validated against the taxonomy.

Pydantic models, because entries arrive as JSON or CSV from makers, hospitals and the
steward and leave as JSON: validation names the field and the reason. Every value here
is public once the entry is published; nothing about patients belongs in an entry.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from socle.observatory.errors import ObservatoryError
from socle.observatory.taxonomy import UNCLASSIFIED, load_observatory_taxonomy

Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(max_length=300)]
Name = Annotated[str, Field(max_length=1000)]  # some FDA device names list every model
RegulatoryStatus = Literal[
    "authorised", "under_assessment", "not_a_device", "research_use", "unknown"
]
Arrangement = Literal["enforced", "declared", "none", "unknown"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FdaStatus(_Strict):
    submission: Short
    pathway: Literal["510(k)", "De Novo", "PMA", "other"]
    decision_date: date
    panel: Short
    product_code: Short = ""


class DeviceStatus(_Strict):
    """Medical-device status: EU MDR class and CE mark, and FDA authorisation where relevant."""

    regulatory_status: RegulatoryStatus = "unknown"
    mdr_class: Literal["I", "IIa", "IIb", "III", "not_a_device", "unknown"] = "unknown"
    ce_mark: bool | None = None
    notified_body: Short = ""
    fda: FdaStatus | None = None


class TrainingData(_Strict):
    description: Text = ""
    catalogue_datasets: tuple[Short, ...] = ()  # ids of this node's catalogue datasets
    grant: Short = ""  # the Socle grant a model was trained under


class Study(_Strict):
    title: Short
    year: int = Field(ge=1950, le=2100)
    design: str
    sample_size: int | None = Field(default=None, ge=0)
    metrics: dict[str, float] = Field(default_factory=dict)
    external_validation: bool = False
    checklist: str = ""  # TRIPOD+AI, CONSORT-AI, DECIDE-AI...
    checklist_items_met: int | None = Field(default=None, ge=0)
    checklist_items_total: int | None = Field(default=None, ge=1)
    reference: Short = ""

    @field_validator("design")
    @classmethod
    def _known_design(cls, v: str) -> str:
        designs = load_observatory_taxonomy().designs
        if v not in designs:
            raise ValueError(f"design '{v}' unknown; use one of {', '.join(designs)}")
        return v

    @property
    def checklist_completeness(self) -> float | None:
        if self.checklist_items_met is None or not self.checklist_items_total:
            return None
        return min(1.0, self.checklist_items_met / self.checklist_items_total)


class Deployment(_Strict):
    site: Short
    since: date | None = None
    setting: Short = ""


class HumanGuaranteePlan(_Strict):
    arrangement: Arrangement = "unknown"
    description: Text = ""


class Incident(_Strict):
    on: date
    severity: Literal["minor", "serious", "critical"]
    description: Text
    reference: Short = ""


class ToolData(_Strict):
    """An AI tool: what it is for, on whom, its status, its evidence and its use."""

    kind: Literal["tool"] = "tool"
    name: Name
    maker: Name
    version: Short = ""
    category: str
    speciality: str = ""
    intended_use: Text = ""
    population: Text = ""
    setting: Short = ""
    ai_act_risk: str = "not_assessed"
    ai_act_role: str = "not_assessed"
    device: DeviceStatus = DeviceStatus()
    training_data: TrainingData = TrainingData()
    evidence: tuple[Study, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    human_guarantee: HumanGuaranteePlan = HumanGuaranteePlan()
    incidents: tuple[Incident, ...] = ()
    socle_model: Short = ""  # set on entries of models trained through this node

    @field_validator("name", "maker")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()

    @field_validator("category")
    @classmethod
    def _known_category(cls, v: str) -> str:
        known = load_observatory_taxonomy().categories
        if v != UNCLASSIFIED and v not in known:
            raise ValueError(f"category '{v}' unknown; use one of {', '.join(known)}")
        return v

    @field_validator("speciality")
    @classmethod
    def _known_speciality(cls, v: str) -> str:
        if v and v not in load_observatory_taxonomy().specialities:
            raise ValueError(f"speciality '{v}' unknown; see the published taxonomy")
        return v

    @field_validator("ai_act_risk")
    @classmethod
    def _known_risk(cls, v: str) -> str:
        if v not in load_observatory_taxonomy().risk_classes:
            raise ValueError(f"AI Act risk class '{v}' unknown")
        return v

    @field_validator("ai_act_role")
    @classmethod
    def _known_role(cls, v: str) -> str:
        if v not in load_observatory_taxonomy().act_roles:
            raise ValueError(f"AI Act role '{v}' unknown")
        return v


class DatabaseData(_Strict):
    """A health database: this node's catalogue datasets, or one declared by the steward."""

    kind: Literal["database"] = "database"
    name: Name
    maker: Name  # the holder
    description: Text = ""
    sector: str = ""  # a speciality code, or empty for all sectors
    coverage: Text = ""  # population and temporal coverage, in words
    temporal_start: date | None = None
    temporal_end: date | None = None
    quality_summary: dict[str, Any] = Field(default_factory=dict)
    access_rights: Literal["public", "restricted", "non-public"] = "restricted"
    access_conditions: Text = ""
    url: Short = ""
    catalogue_dataset: Short = ""  # set when the database is a catalogue dataset of this node


EntryData = ToolData | DatabaseData


def parse_entry(raw: dict[str, Any], *, record: str) -> EntryData:
    """Validate one entry; a :class:`ObservatoryError` names ``record`` and each bad field."""
    kind = raw.get("kind", "tool")
    model: type[ToolData] | type[DatabaseData] = DatabaseData if kind == "database" else ToolData
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ObservatoryError(f"{record}: {problems(exc)}") from None


def problems(exc: ValidationError) -> str:
    """A validation error in one line: each field and what is wrong with it."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
    )


def entry_json(data: EntryData) -> dict[str, Any]:
    """The entry as plain JSON (dates as ISO strings)."""
    result: dict[str, Any] = data.model_dump(mode="json")
    return result


class LiveFigures(_Strict):
    """Monitoring figures of a model used through this node, read from the guarantee context.

    They are public once the entry is, so they pass output checking when taken: counts
    below the small-cell threshold are ``None`` ("fewer than ``threshold``"), others are
    rounded; the override rate is given only over enough decisions, to the nearest 5%.
    ``None`` for drift alerts or college decisions means the context does not measure them.
    """

    taken_at: str
    predictions: int | None
    decided: int | None
    pending: int | None
    overridden: int | None  # amended or rejected by the clinician
    override_rate: float | None = None
    threshold: int = 10
    drift_alerts: int | None = None
    college_decisions: int | None = None
    suspended: bool | None = None

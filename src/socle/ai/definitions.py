"""Prediction tasks as data: cohort, index date, outcome and time at risk on standard concepts.

The OHDSI PatientLevelPrediction framing: *among* a target cohort, at an index
date, predict whether an outcome occurs within a time at risk, from features
measured in a look-back window before the index. Definitions ship in
``definitions.toml``; a node may add its own file. Codes are ``VOCABULARY|code``
as the warehouse stores source values, and are validated before any SQL is built.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from socle.errors import SocleError

CODE = re.compile(r"^[A-Za-z0-9_-]{1,30}\|[A-Za-z0-9._-]{1,40}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
IndexKind = Literal["yearly", "condition", "inpatient_discharge"]
OutcomeDomain = Literal["condition", "inpatient_admission"]
BUILT_IN = Path(__file__).with_name("definitions.toml")


class DefinitionError(SocleError):
    """A model definition is malformed or unknown; the message names the definition and field."""

    exit_code = 2


@dataclass(frozen=True)
class ModelDefinition:
    """One prediction task. ``features`` maps a feature name to a measurement code."""

    id: str
    title: str
    outcome_label: str
    status: Literal["demo", "ready"]
    use: str
    index: IndexKind
    years: tuple[int, int]
    min_age: int
    cohort: tuple[str, ...]
    outcome_domain: OutcomeDomain
    outcome_codes: tuple[str, ...]
    time_at_risk_days: tuple[int, int]
    lookback_days: int
    features: tuple[tuple[str, str], ...]

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Age and sex first, then each measured feature, in the order of the definition."""
        return ("age", "male", *(name for name, _ in self.features))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["features"] = dict(self.features)
        return data

    @property
    def sha256(self) -> str:
        """The definition's fingerprint, kept in each model's lineage."""
        return hashlib.sha256(orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()


def parse_definition(key: str, raw: dict[str, Any]) -> ModelDefinition:
    """A definition from its TOML table; refuses what could not be compiled safely."""

    def need(field: str) -> Any:
        if field not in raw:
            raise DefinitionError(f"model definition '{key}': field '{field}' is missing")
        return raw[field]

    outcome = need("outcome")
    codes = (*need("cohort"), *outcome.get("codes", []), *need("features").values())
    bad = [c for c in codes if not isinstance(c, str) or not CODE.match(c)]
    if bad:
        raise DefinitionError(
            f"model definition '{key}': {len(bad)} code(s) are not VOCABULARY|code"
        )
    if need("index") not in ("yearly", "condition", "inpatient_discharge"):
        raise DefinitionError(f"model definition '{key}': unknown index '{raw['index']}'")
    if outcome.get("domain") not in ("condition", "inpatient_admission"):
        raise DefinitionError(f"model definition '{key}': unknown outcome domain")
    if raw["index"] == "condition" and not raw["cohort"]:
        raise DefinitionError(f"model definition '{key}': a condition index needs cohort codes")
    if outcome["domain"] == "condition" and not outcome.get("codes"):
        raise DefinitionError(f"model definition '{key}': a condition outcome needs codes")
    names = list(need("features"))
    if any(not NAME.match(n) or n in ("age", "male") for n in names):
        raise DefinitionError(f"model definition '{key}': feature names are lower_snake_case")
    start, end = (int(d) for d in need("time_at_risk_days"))
    first, last = (int(y) for y in need("years"))
    if not 0 <= start <= end or first > last:
        raise DefinitionError(f"model definition '{key}': time at risk or years out of order")
    return ModelDefinition(
        id=key, title=str(need("title")), outcome_label=str(need("outcome_label")),
        status=need("status"), use=str(need("use")), index=raw["index"], years=(first, last),
        min_age=int(need("min_age")), cohort=tuple(raw["cohort"]),
        outcome_domain=outcome["domain"], outcome_codes=tuple(outcome.get("codes", [])),
        time_at_risk_days=(start, end), lookback_days=int(need("lookback_days")),
        features=tuple(raw["features"].items()),
    )  # fmt: skip


def load_definitions(path: Path | None = None) -> dict[str, ModelDefinition]:
    """The built-in definitions, plus (overriding them) those of ``path`` if given."""
    tables = tomllib.loads(BUILT_IN.read_text())
    if path is not None:
        try:
            tables |= tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DefinitionError(f"model definitions {path.name}: {exc}") from None
    return {key: parse_definition(key, raw) for key, raw in tables.items()}


def definition(definition_id: str, path: Path | None = None) -> ModelDefinition:
    found = load_definitions(path)
    if definition_id not in found:
        raise DefinitionError(
            f"no model definition '{definition_id}'; known: {', '.join(sorted(found))}"
        )
    return found[definition_id]


DEFAULT_DEFINITION = "hypertension-5y"

"""The published reason taxonomy of clinicians' decisions (``reasons.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from socle.errors import SocleError


class GuaranteeError(SocleError):
    """Base of human-guarantee errors."""

    exit_code = 4


@dataclass(frozen=True)
class Reason:
    code: str
    decisions: tuple[str, ...]
    en: str
    fr: str


@dataclass(frozen=True)
class ReasonTaxonomy:
    system: str  # the FHIR CodeSystem URL
    reasons: tuple[Reason, ...]

    def check(self, code: str, decision: str) -> Reason:
        """The reason ``code`` if it may justify ``decision``; otherwise a clear error."""
        for reason in self.reasons:
            if reason.code == code:
                if decision not in reason.decisions:
                    raise GuaranteeError(
                        f"reason '{code}' justifies {' or '.join(reason.decisions)}, not {decision}"
                    )
                return reason
        raise GuaranteeError(
            f"unknown reason '{code}'; published reasons: {', '.join(r.code for r in self.reasons)}"
        )


@cache
def reason_taxonomy() -> ReasonTaxonomy:
    raw = tomllib.loads(Path(__file__).with_name("reasons.toml").read_text())
    return ReasonTaxonomy(
        raw["system"],
        tuple(
            Reason(code, tuple(r["decisions"]), r["en"], r["fr"])
            for code, r in raw["reasons"].items()
        ),
    )

"""The published release policy: thresholds of every automatic check, from one TOML file.

The defaults (``policy.toml`` beside this module) use ACRO's names and values
(SACRO, ``acro/default.yaml``); a node publishes its own file and the
catalogue shows it (:meth:`ReleasePolicy.as_dict`).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from socle.release.errors import ReleaseError

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")


@dataclass(frozen=True)
class ReleasePolicy:
    safe_threshold: int = 10
    safe_nk_n: int = 2
    safe_nk_k: float = 0.9
    safe_pratio_p: float = 0.1
    zeros_are_disclosive: bool = True
    safe_round_base: int = 5
    safe_dof_threshold: int = 10
    survival_safe_threshold: int = 10
    min_persons: int = 10
    min_events: int = 10
    checkers_required: int = 2
    ledger_scope: Literal["project", "node"] = "project"
    confidence: float = 0.95
    # Anonymised extracts (k-anonymity, l-diversity, t-closeness on declared quasi-identifiers).
    extract_k: int = 10
    extract_l: int = 2
    extract_t: float = 0.5
    extract_max_suppression: float = 0.05
    source: str = "built-in"  # the file's name (never its server path)
    sha256: str = ""  # of the file's bytes: which published policy was in force

    def __post_init__(self) -> None:
        if self.safe_threshold < 1 or self.safe_round_base < 1 or self.safe_nk_n < 1:
            raise ReleaseError("release policy: thresholds, N and rounding base must be >= 1")
        if not 0 < self.safe_nk_k <= 1 or not 0 <= self.safe_pratio_p < 1:
            raise ReleaseError("release policy: safe_nk_k in (0, 1], safe_pratio_p in [0, 1)")
        if self.checkers_required < 1:
            raise ReleaseError("release policy: at least one output checker must approve")
        if self.ledger_scope not in ("project", "node"):
            raise ReleaseError("release policy: ledger_scope is 'project' or 'node'")
        if not 0 < self.confidence < 1:
            raise ReleaseError("release policy: confidence must be between 0 and 1")
        if self.extract_k < 2 or self.extract_l < 1 or not 0 < self.extract_t <= 1:
            raise ReleaseError(
                "release policy: extract_k >= 2, extract_l >= 1, extract_t in (0, 1]"
            )
        if not 0 <= self.extract_max_suppression < 1:
            raise ReleaseError("release policy: extract_max_suppression in [0, 1)")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_policy(path: Path | None = None) -> ReleasePolicy:
    """Read a policy file (sections are for people; keys are flat); unknown keys are errors."""
    file = path or DEFAULT_POLICY
    try:
        raw = file.read_bytes()
        data = tomllib.loads(raw.decode())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReleaseError(f"release policy {file.name} cannot be read: {exc}") from exc
    flat: dict[str, Any] = {}
    for section in data.values():
        if isinstance(section, dict):
            flat.update(section)
    known = set(ReleasePolicy.__dataclass_fields__) - {"source", "sha256"}
    unknown = sorted(set(flat) - known)
    if unknown:
        raise ReleaseError(f"release policy {file.name}: unknown setting(s) {', '.join(unknown)}")
    return ReleasePolicy(**flat, source=file.name, sha256=hashlib.sha256(raw).hexdigest())

"""Where a model comes from: grant, code, training set, definition, parameters, libraries.

The lineage is written once, when a model is registered, and kept with it;
its hashes are also in the audit event of the registration, so
:func:`trace_model` can walk from a model back to the committee's decision on
the hash-chained log alone.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata as pkg
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socle.ai.training import ModelError

if TYPE_CHECKING:
    import numpy as np

    from socle.audit import AuditEvent

LIBRARIES = ("socle", "scikit-learn", "numpy", "skops", "shap", "fairlearn", "duckdb")


def code_sha256() -> str:
    """The hash of the AI context's source: the code that built, trained and evaluated."""
    digest = hashlib.sha256()
    folder = Path(__file__).parent
    for path in sorted([*folder.glob("*.py"), *folder.glob("*.toml")]):
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()


def training_set_sha256(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> str:
    """The snapshot hash of a training set (rows, labels and pseudonymous persons)."""
    digest = hashlib.sha256()
    for array in (X, y, groups):
        digest.update(array.tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = pkg.version(name)
        except pkg.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class Link:
    """One step of a model's trace: what happened, and the audit event that records it."""

    kind: str
    event: AuditEvent


def trace_model(model_id: str, events: Iterable[AuditEvent]) -> list[Link]:
    """A model's chain in the audit log: its stages, its registration, then the grant,
    the committee's decision and the request, newest first."""
    index: dict[tuple[str, str], list[AuditEvent]] = {}
    for event in events:
        index.setdefault((event.action, event.object), []).append(event)

    def one(action: str, obj: str) -> AuditEvent | None:
        found = index.get((action, obj))
        return found[-1] if found else None

    registered = one("model.train", model_id) or one("model.register", model_id)
    if registered is None:
        raise ModelError(f"no model '{model_id}' in the audit log")
    stages = [Link("stage", e) for e in reversed(index.get(("model.stage", model_id), []))]
    college = [Link("college", e) for e in reversed(index.get(("college.decision", model_id), []))]
    chain = [*sorted([*stages, *college], key=lambda k: -k.event.seq), Link("model", registered)]
    from socle.workspace import WorkspaceError, grant_chain

    try:
        tail = grant_chain(str(registered.details.get("grant", "")), one, f"model {model_id}")
    except WorkspaceError as exc:
        raise ModelError(exc.message) from exc
    return chain + [Link(link.kind, link.event) for link in tail]


def lineage_summary(lineage: dict[str, Any]) -> dict[str, Any]:
    """The hashes and names of a lineage, as the audit event of a registration carries them."""
    keys = ("grant", "definition_id", "definition_sha256", "code_sha256", "training_set_sha256",
            "artifact_sha256", "source", "job")  # fmt: skip
    summary = {k: lineage[k] for k in keys if lineage.get(k) is not None}
    if federated := lineage.get("federation"):
        summary["federation"] = {k: federated[k] for k in ("study", "sites", "rounds", "strategy")}
    return summary

"""Anonymised extracts as outputs: built from person-level rows, verified by pyCANON.

:func:`anonymised_extract` generalises a person-level table to the policy's
k, l and t (:mod:`socle.release.anonymise`); :func:`check_extract` is the
desk's automatic check of the result, computed again by an independent
library (pyCANON, CSIC) on exactly the rows that would leave, with the
re-identification risk figures a checker needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from socle.release.anonymise import Target, anonymise
from socle.release.errors import OutputError
from socle.release.hierarchies import hierarchy
from socle.release.policy import ReleasePolicy

PYCANON = "pyCANON (independent verification)"


@dataclass(frozen=True)
class AnonymisedExtract:
    """The generalised rows that would leave, and how they were made (kept for the checkers)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    quasi_identifiers: dict[str, str]  # column → hierarchy name
    sensitive: tuple[str, ...]
    levels: dict[str, int]
    records: int  # before suppression
    suppressed: int
    loss: float  # normalised certainty penalty, 0 (nothing lost) .. 1
    generalisations: int = 0  # combinations of levels in the lattice searched
    evaluated: int = 0  # of which evaluated on the records (the rest pruned)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def target(policy: ReleasePolicy) -> Target:
    return Target(
        policy.extract_k, policy.extract_l, policy.extract_t, policy.extract_max_suppression
    )


def anonymised_extract(
    data: pd.DataFrame,
    quasi_identifiers: Mapping[str, str],
    sensitive: Sequence[str],
    policy: ReleasePolicy,
) -> AnonymisedExtract:
    """Generalise ``data`` (one row per person) to the policy's k, l and t, or say why not.

    Every column must be declared a quasi-identifier (with its hierarchy) or a
    sensitive attribute; an id column never leaves.
    """
    undeclared = [c for c in data.columns if c not in quasi_identifiers and c not in sensitive]
    if undeclared:
        raise OutputError(
            f"declare every column of an anonymised extract as a quasi-identifier or a sensitive "
            f"attribute; undeclared: {', '.join(map(str, undeclared))}"
        )
    ids = [c for c in data.columns if str(c).endswith("_id") and not str(c).endswith("concept_id")]
    if ids:
        raise OutputError(f"an anonymised extract carries no record ids: drop {', '.join(ids)}")
    if not sensitive:
        raise OutputError("an anonymised extract declares at least one sensitive attribute")
    qis = {c: hierarchy(h) for c, h in quasi_identifiers.items()}
    done = anonymise(data, qis, list(sensitive), target(policy))
    frame = done.data[list(data.columns)]
    rows = tuple(
        tuple(None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row)
        for row in frame.itertuples(index=False, name=None)
    )
    return AnonymisedExtract(
        tuple(map(str, frame.columns)), rows, dict(quasi_identifiers), tuple(sensitive),
        done.levels, done.records, done.suppressed, round(done.loss, 4), done.nodes,
        done.nodes_evaluated,
    )  # fmt: skip


@dataclass(frozen=True)
class Verification:
    k: int
    l: int
    t: float
    classes: int
    prosecutor_max: float  # highest re-identification risk of a record (1 / smallest class)
    prosecutor_mean: float  # = marketer risk on the extract: classes / records
    at_risk: float  # share of records whose risk exceeds 1 / policy k


def verify(extract: AnonymisedExtract, policy: ReleasePolicy) -> Verification:
    """k, l, t and risk figures recomputed by pyCANON on the rows that would leave."""
    from pycanon import anonymity

    frame = extract.frame()
    qi, sa = list(extract.quasi_identifiers), list(extract.sensitive)
    if frame.empty:
        return Verification(0, 0, 1.0, 0, 1.0, 1.0, 1.0)
    for col in qi:  # pyCANON groups on the generalised labels, as they leave
        frame[col] = frame[col].astype(str)
    sizes = frame.groupby(qi, dropna=False).size()
    risk = 1 / sizes.reindex(pd.MultiIndex.from_frame(frame[qi]) if len(qi) > 1 else frame[qi[0]])
    return Verification(
        int(anonymity.k_anonymity(frame, qi)),
        int(anonymity.l_diversity(frame, qi, sa)),
        float(anonymity.t_closeness(frame, qi, sa)),
        len(sizes), float(1 / sizes.min()), len(sizes) / len(frame),
        float((risk.to_numpy() > 1 / policy.extract_k + 1e-12).mean()),
    )  # fmt: skip

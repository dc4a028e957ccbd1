"""k-anonymity, l-diversity and t-closeness by full-domain generalisation and record suppression.

Every quasi-identifier is generalised to one level of its hierarchy (the same
level for every record: *full-domain*); records whose equivalence class still
misses k, l or t are suppressed, up to the policy's share. Of all the
combinations of levels (the lattice), the one kept loses least information,
as normalised certainty penalty (NCP): the search (:mod:`socle.release.lattice`)
prunes the lattice by monotonicity and a lower bound on loss, and evaluates
each node on integer codes (:mod:`socle.release.coding`). The result is
verified independently by pyCANON (:mod:`socle.release.extracts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from socle.release.coding import Coded, Target
from socle.release.errors import OutputError
from socle.release.hierarchies import Hierarchy
from socle.release.lattice import LatticeTooLarge, Search

__all__ = ["AnonymisationError", "Anonymised", "Target", "anonymise"]


class AnonymisationError(OutputError):
    """The privacy model cannot be reached on this data within the policy's suppression."""


@dataclass(frozen=True)
class Anonymised:
    data: pd.DataFrame  # generalised, suppressed records removed
    levels: dict[str, int]  # quasi-identifier → generalisation level chosen
    suppressed: int
    records: int
    loss: float  # NCP over every record and quasi-identifier, suppressed records count 1
    nodes_evaluated: int
    nodes: int  # in the lattice


def anonymise(
    data: pd.DataFrame, qis: Mapping[str, Hierarchy], sensitive: Sequence[str], target: Target
) -> Anonymised:
    """The least-loss full-domain generalisation that meets ``target``, or an error saying why not."""
    names = list(qis)
    missing = [c for c in (*names, *sensitive) if c not in data.columns]
    if missing:
        raise AnonymisationError(f"the extract has no column(s) {', '.join(missing)}")
    if set(names) & set(sensitive):
        raise AnonymisationError("a column cannot be both a quasi-identifier and sensitive")
    coded = Coded(data, qis, sensitive, with_sensitive=target.l > 1 or target.t < 1)
    try:
        search = Search(coded, target)
    except LatticeTooLarge as e:
        raise AnonymisationError(f"{e}: declare fewer quasi-identifiers") from None
    top = search.top()
    if top.suppressed > search.limit:
        raise AnonymisationError(_why_not(data, sensitive, target, top.suppressed, search.limit))
    best = search.run()
    keep = best.keep[coded.row_of_record]
    out = data.loc[keep].copy()
    for i, (qi, level) in enumerate(zip(names, best.node, strict=True)):
        out[qi] = coded.labels(i, level)[keep]
    return Anonymised(
        out.reset_index(drop=True), dict(zip(names, best.node, strict=True)), best.suppressed,
        len(data), best.loss, search.evaluated, len(search.nodes),
    )  # fmt: skip


def _why_not(
    data: pd.DataFrame, sensitive: Sequence[str], target: Target, suppressed: int, limit: int
) -> str:
    reasons = []
    if len(data) < target.k:
        reasons.append(f"the extract has fewer than k={target.k} records")
    for s in sensitive:
        if data[s].nunique(dropna=False) < target.l:
            reasons.append(f"'{s}' takes fewer than l={target.l} distinct values")
    if not reasons:
        reasons.append(
            f"even fully generalised, {suppressed} record(s) would have to be suppressed and the "
            f"policy allows {limit}"
        )
    return (
        f"k={target.k}, l={target.l}, t={target.t:g} cannot be reached: " + "; ".join(reasons)
        + ". Ask for fewer quasi-identifiers or sensitive attributes, or a larger population"
    )  # fmt: skip

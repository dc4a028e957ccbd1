"""Search of the generalisation lattice for the node that meets the target and loses least.

The lattice holds every combination of one level per quasi-identifier. Two
facts prune it (as in Flash and OLA):

- *monotonicity*: generalising merges equivalence classes, so the records a
  node must suppress for k (and for distinct l) are a superset of those of any
  more general node. A node that needs more suppression than allowed fails,
  and so does every node below it; a node that passes makes every node above
  it pass; a node's suppression is a lower bound for every node below it;
- *a lower bound on loss*: a node's NCP is at least the NCP of generalising
  every record without suppressing any (``G``, a sum of per-level means known
  before any record is grouped), plus, for the suppression it must at least
  make, ``1 - (highest NCP of a kept record)`` per suppressed record.

Candidates are taken in order of their lower bound; the search stops when no
unresolved node's bound is below the best loss found, which is then the
least loss of the lattice. A candidate whose outcome is unknown is resolved
by a binary search on a chain from it to the top (raising first the
quasi-identifiers with fewest values): the highest failing node on the chain
prunes everything below it, which is where most of the lattice lies.
t-closeness is not monotone once suppression moves the overall distribution,
so with t the pruning is a heuristic; every node kept is evaluated exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from socle.release.coding import Coded, Evaluation, Node, Target, evaluate

MAX_NODES = 2_000_000  # ~ 11 quasi-identifiers of 4 levels; beyond, ask for fewer
_UNKNOWN, _FAIL, _PASS, _DONE = 0, 1, 2, 3  # _PASS: passes by monotonicity, loss not known


class LatticeTooLarge(ValueError):
    """More combinations of levels than the search visits in reasonable time."""


class Search:
    """One search over the lattice of ``coded``'s hierarchies."""

    def __init__(self, coded: Coded, target: Target) -> None:
        self.coded, self.target = coded, target
        self.limit = int(target.max_suppression * coded.records)
        self.shape = tuple(h + 1 for h in coded.heights)
        size = int(np.prod(self.shape, dtype=np.float64))
        if size > MAX_NODES:
            raise LatticeTooLarge(
                f"{len(self.shape)} quasi-identifiers make {size:,} combinations of levels "
                f"(at most {MAX_NODES:,})"
            )
        self.nodes = np.indices(self.shape, dtype=np.int8).reshape(len(self.shape), -1).T
        q = max(len(self.shape), 1)
        self.floor = self._per_level(coded.mean_ncp) / q  # loss if nothing were suppressed
        self.kept_max = self._per_level(coded.max_ncp) / q  # highest NCP of a kept record
        self.status = np.zeros(size, dtype=np.int8)
        self.must_suppress = np.zeros(size)  # lower bound on records suppressed
        self.evaluated = 0
        self.best: Evaluation | None = None
        self.last: Evaluation | None = None

    def _per_level(self, value: Callable[[int, int], float]) -> np.ndarray:
        total = np.zeros(len(self.nodes))
        for qi, height in enumerate(self.coded.heights):
            table = np.array([value(qi, lv) for lv in range(height + 1)])
            total += table[self.nodes[:, qi]]
        return total

    def _index(self, node: Node) -> int:
        return int(np.ravel_multi_index(node, self.shape))

    def _evaluate(self, node: Node) -> bool:
        """Evaluate ``node``, record what it teaches about the others; whether it passes."""
        self.evaluated += 1
        e = self.last = evaluate(self.coded, node, self.target)
        at = np.asarray(node, dtype=np.int8)
        below = np.all(self.nodes <= at, axis=1)
        np.maximum(self.must_suppress, np.where(below, e.suppressed, 0), out=self.must_suppress)
        ok = e.suppressed <= self.limit
        if ok:
            above = np.all(self.nodes >= at, axis=1)
            self.status[above & (self.status == _UNKNOWN)] = _PASS
            if self._better(e):
                self.best = e
        else:
            self.status[below & ((self.status == _UNKNOWN) | (self.status == _PASS))] = _FAIL
        self.status[self._index(node)] = _DONE if ok else _FAIL
        return ok

    def _better(self, e: Evaluation) -> bool:
        """Less loss; on equal loss, the less generalised node."""
        if self.best is None or e.loss < self.best.loss - 1e-12:
            return True
        return e.loss <= self.best.loss + 1e-12 and sum(e.node) < sum(self.best.node)

    def _chain(self, node: Node) -> list[Node]:
        """From ``node`` to the top, one level at a time, fewest-valued quasi-identifiers first."""
        order = sorted(range(len(node)), key=lambda qi: self.coded.cardinality(qi, node[qi]))
        chain, current = [node], list(node)
        for qi in order:
            while current[qi] < self.coded.heights[qi]:
                current[qi] += 1
                chain.append(tuple(current))
        return chain

    def _resolve(self, node: Node) -> None:
        """Binary search on the chain above ``node`` for the lowest node that passes."""
        chain = self._chain(node)
        lo, hi = 0, len(chain) - 1  # the top passes (checked first)
        while lo < hi:
            mid = (lo + hi) // 2
            status = self.status[self._index(chain[mid])]
            if status == _FAIL:
                lo = mid + 1
            elif status in (_PASS, _DONE) or self._evaluate(chain[mid]):
                hi = mid
            else:
                lo = mid + 1

    def run(self) -> Evaluation:
        """The least-loss node that passes (:meth:`top` first, and it passed)."""
        records = max(self.coded.records, 1)
        while self.best is not None:
            bound = self.floor + self.must_suppress * (1 - self.kept_max) / records
            open_ = (self.status == _UNKNOWN) | (self.status == _PASS)
            bound = np.where(open_, bound, np.inf)
            i = int(np.argmin(bound))
            if not bound[i] < self.best.loss - 1e-12:
                return self.best
            node = tuple(int(v) for v in self.nodes[i])
            if self.status[i] == _PASS:
                self._evaluate(node)
            else:
                self._resolve(node)
                if self.status[i] == _UNKNOWN:  # t broke monotonicity on the chain
                    self._evaluate(node)
        raise AssertionError("run() before the top was evaluated")

    def top(self) -> Evaluation:
        """Evaluate the most general node: if even it fails, no node passes."""
        self._evaluate(self.coded.heights)
        assert self.last is not None
        return self.last

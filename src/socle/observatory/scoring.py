"""The scoring method of the Top 10: read from a versioned TOML file, applied transparently.

Pure functions. Each criterion names a *rule* below; a rule's code never changes once
published (a new behaviour is a new rule), so a method version plus the entries as
published at a date reproduce a ranking exactly. Each ranked entry carries every
criterion's sub-score, weight, points and the data it rests on.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

import orjson

from socle.observatory.errors import MethodError
from socle.observatory.model import LiveFigures, ToolData


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    how: str
    weight: float
    rule: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Method:
    version: int
    title: str
    text: str
    criteria: tuple[Criterion, ...]
    rules: dict[str, Any]
    vigilance: dict[str, Any]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class Contribution:
    criterion: str
    weight: float
    score: float | None  # 0..1, None = no data
    points: float  # weight × score × 100, 0 without data
    basis: str  # the data it rests on, in words


@dataclass(frozen=True)
class Scored:
    entry_id: str
    name: str
    maker: str
    total: float  # 0..100
    contributions: tuple[Contribution, ...]
    rank: int = 0

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.criterion for c in self.contributions if c.score is None)


@dataclass(frozen=True)
class Ranking:
    category: str
    method_version: int
    method_digest: str
    as_of: str
    ranked: tuple[Scored, ...]  # the Top N (ties included)
    lacking_evidence: tuple[Scored, ...]  # not ranked: required criteria without data
    considered: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def digest(self) -> str:
        return hashlib.sha256(orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)).hexdigest()


def packaged_method_text(version: int = 1) -> str:
    return resources.files("socle.observatory").joinpath(f"methods/v{version}.toml").read_text()


def parse_method(text: str) -> Method:
    """Read and check a method: known rules, weights summing to 1, required criteria named."""
    try:
        data = tomllib.loads(text)
        criteria = tuple(
            Criterion(code, str(c["title"]), str(c["how"]), float(c["weight"]), str(c["rule"]),
                      {k: v for k, v in c.items() if k not in ("title", "how", "weight", "rule")})
            for code, c in data["criteria"].items()
        )  # fmt: skip
        version, rules = int(data["version"]), dict(data["rules"])
        vigilance = dict(data.get("vigilance", {}))
        title = str(data.get("title", f"method {version}"))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MethodError(f"the scoring method cannot be read: {exc}") from None
    unknown = sorted(c.rule for c in criteria if c.rule not in RULES)
    if unknown:
        raise MethodError(f"scoring method {version}: unknown rule(s) {', '.join(unknown)}")
    total = sum(c.weight for c in criteria)
    if any(c.weight < 0 for c in criteria) or abs(total - 1) > 1e-9:
        raise MethodError(
            f"scoring method {version}: weights must be >= 0 and sum to 1, not {total}"
        )
    codes = {c.code for c in criteria}
    required = list(rules.get("eligible_requires", []))
    if not set(required) <= codes:
        raise MethodError(f"scoring method {version}: eligible_requires names unknown criteria")
    return Method(version, title, text, criteria, rules, vigilance)


def score(method: Method, entry_id: str, tool: ToolData, live: LiveFigures | None) -> Scored:
    """Every criterion's contribution to one entry's total."""
    parts = []
    for c in method.criteria:
        value, basis = RULES[c.rule](tool, live, c.params, method.rules)
        value = None if value is None else max(0.0, min(1.0, value))
        points = round(c.weight * (value or 0.0) * 100, 3)
        parts.append(Contribution(c.code, c.weight, value, points, basis))
    total = round(sum(p.points for p in parts), 3)
    return Scored(entry_id, tool.name, tool.maker, total, tuple(parts))


def rank(
    method: Method, category: str, as_of: str,
    entries: Sequence[tuple[str, ToolData, LiveFigures | None]],
) -> Ranking:  # fmt: skip
    """The Top N of a category: eligible entries by total, ties sharing a rank."""
    scored = [score(method, i, t, live) for i, t, live in entries if t.category == category]
    required = set(method.rules.get("eligible_requires", []))
    eligible = [s for s in scored if not required & set(s.missing)]
    lacking = sorted(
        (s for s in scored if required & set(s.missing)), key=lambda s: (s.name, s.entry_id)
    )
    eligible.sort(key=lambda s: (-s.total, s.name, s.entry_id))
    top_n, ranked, previous, position = int(method.rules.get("top", 10)), [], None, 0
    for i, s in enumerate(eligible, start=1):
        if s.total != previous:
            position, previous = i, s.total
        if position > top_n:
            break
        ranked.append(Scored(s.entry_id, s.name, s.maker, s.total, s.contributions, position))
    return Ranking(category, method.version, method.digest, as_of, tuple(ranked), tuple(lacking),
                   len(scored))  # fmt: skip


# -- the rules (never edited once published; add a new rule instead) ------------------------

Rule = Callable[
    [ToolData, LiveFigures | None, dict[str, Any], dict[str, Any]], tuple[float | None, str]
]


def _best_design(tool: ToolData, _live: LiveFigures | None, p: dict[str, Any],
                 _r: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    if not tool.evidence:
        return None, "no study recorded"
    levels: dict[str, float] = p["levels"]
    best = max(tool.evidence, key=lambda s: levels.get(s.design, 0.0))
    return levels.get(
        best.design, 0.0
    ), f"{best.design.replace('_', ' ')} ({best.year}, n={best.sample_size or '?'})"


def _external_validation(tool: ToolData, _live: LiveFigures | None, _p: dict[str, Any],
                         _r: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    if not tool.evidence:
        return None, "no study recorded"
    external = [s for s in tool.evidence if s.external_validation]
    if not external:
        return (
            0.0,
            f"{len(tool.evidence)} stud{'y' if len(tool.evidence) == 1 else 'ies'}, none external",
        )
    best = max(external, key=lambda s: s.checklist_completeness or 1.0)
    done = best.checklist_completeness
    if done is None:
        return 1.0, f"external validation: {best.title}"
    return done, f"external validation, {best.checklist} {done:.0%} complete"


def _override_rate(_tool: ToolData, live: LiveFigures | None, _p: dict[str, Any],
                   rules: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    if live is None:
        return None, "not monitored through this node"
    needed = int(rules.get("min_decisions", 20))
    decided = live.decided or 0  # None: fewer than the small-cell threshold
    if decided < needed or live.override_rate is None:
        return None, f"fewer than {needed} clinician decisions so far"
    rate = live.override_rate
    return 1 - rate, f"override rate {rate:.0%} over about {decided} decisions"


def _deployment_sites(tool: ToolData, _live: LiveFigures | None, p: dict[str, Any],
                      _r: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    sites = {d.site for d in tool.deployments}
    if not sites:
        return None, "no deployment declared"
    return len(sites) / float(p.get("full_at", 10)), f"{len(sites)} site(s)"


def _regulatory_status(tool: ToolData, _live: LiveFigures | None, p: dict[str, Any],
                       _r: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    status = tool.device.regulatory_status
    if status == "unknown":
        return None, "regulatory status unknown"
    fda = tool.device.fda
    detail = f" (FDA {fda.pathway} {fda.submission}, {fda.decision_date})" if fda else ""
    return float(p["levels"].get(status, 0.0)), status.replace("_", " ") + detail


def _guarantee_arrangement(tool: ToolData, _live: LiveFigures | None, p: dict[str, Any],
                           _r: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    arrangement = tool.human_guarantee.arrangement
    if arrangement == "unknown":
        return None, "no arrangement declared"
    return float(p["levels"].get(arrangement, 0.0)), arrangement


def _incident_penalty(tool: ToolData, live: LiveFigures | None, p: dict[str, Any],
                      _r: dict[str, Any]) -> tuple[float | None, str]:  # fmt: skip
    if not tool.incidents and live is None:
        return None, "no incident reporting or monitoring"
    penalty = sum(float(p["penalties"].get(i.severity, 0.0)) for i in tool.incidents)
    return 1 - penalty, f"{len(tool.incidents)} incident(s) recorded"


RULES: dict[str, Rule] = {
    "best_design": _best_design,
    "external_validation": _external_validation,
    "override_rate": _override_rate,
    "deployment_sites": _deployment_sites,
    "regulatory_status": _regulatory_status,
    "guarantee_arrangement": _guarantee_arrangement,
    "incident_penalty": _incident_penalty,
}


def explain(ranking: Ranking, *, lacking_shown: int = 5) -> list[str]:
    """The ranking in plain lines: each rank with every criterion's points and basis."""
    lines = [
        f"Top {len(ranking.ranked)} of '{ranking.category}' by method v{ranking.method_version} "
        f"as of {ranking.as_of} ({ranking.considered} published tools in the category)"
    ]
    for s in ranking.ranked:
        lines.append(f"{s.rank:>3}. {s.name} ({s.maker}) — {s.total:.1f}/100")
        for c in s.contributions:
            got = "no data" if c.score is None else f"{c.points:.1f} pts"
            lines.append(f"       {c.criterion:<20} {got:>9}  {c.basis}")
    if not ranking.ranked:
        lines.append("  no entry has the evidence this method requires to be ranked")
    if ranking.lacking_evidence:
        names = ", ".join(s.name for s in ranking.lacking_evidence[:lacking_shown])
        more = len(ranking.lacking_evidence) - lacking_shown
        lines.append(
            f"  not ranked, lacking evidence ({len(ranking.lacking_evidence)}): {names}"
            + (f" and {more} more" if more > 0 else "")
        )
    return lines

"""A model's documents, versioned with it: card, notices (FR/EN), TRIPOD+AI, Annex IV, report.

Rendered with Jinja2 from the registry's data only (definition, lineage, the
checked evaluation report): a figure the release checks withheld reads
"withheld" everywhere. Written once, in the model's folder; the English notice's
hash is the notice version every prediction carries.
"""

from __future__ import annotations

import base64
import tomllib
from functools import reduce
from pathlib import Path
from typing import Any

import orjson

from socle.ai.definitions import ModelDefinition
from socle.ai.training import TrainingRules

DOCUMENTS = {
    "card": "model_card.md", "notice-en": "notice.en.md", "notice-fr": "notice.fr.md",
    "annex-iv": "annex_iv.md", "tripod": "tripod_ai.json", "report": "report.html",
    "report-json": "report.json",
}  # fmt: skip
INDEX_TEXT = {
    "yearly": {"en": "yearly landmarks on 1 January", "fr": "repères annuels au 1er janvier"},
    "condition": {"en": "the first record of the cohort condition",
                  "fr": "le premier enregistrement de la condition de la cohorte"},
    "inpatient_discharge": {"en": "each discharge from an inpatient stay",
                            "fr": "chaque sortie d'hospitalisation"},
}  # fmt: skip


def _lookup(context: dict[str, Any], path: str) -> Any:
    def step(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return value.get(key)
        return getattr(value, key, None)

    return reduce(step, path.split("."), context)


def _present(value: Any) -> bool:
    if value is None or value in ("", [], {}, ()):
        return False
    if isinstance(value, list | tuple):
        return any(_present(v) for v in value)
    return True


def tripod_checklist(context: dict[str, Any]) -> dict[str, Any]:
    """The TRIPOD+AI items filled from the registry, and the share filled."""
    items = tomllib.loads(Path(__file__).with_name("tripod.toml").read_text())["items"]
    filled = [
        {**i, "filled": i["source"] != "manual" and _present(_lookup(context, i["source"]))}
        for i in items
    ]
    done = sum(i["filled"] for i in filled)
    return {"items": filled, "filled": done, "total": len(filled),
            "completeness_pct": round(100 * done / len(filled))}  # fmt: skip


def _formatters() -> dict[str, Any]:
    """Number formats; anything that is not a number (withheld, absent) reads as withheld."""

    def shown(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    def num(v: Any) -> str:
        return (f"{v:.3f}" if isinstance(v, float) else str(v)) if shown(v) else "withheld"

    def pct(v: Any) -> str:
        return f"{v:.0%}" if shown(v) else "withheld"

    def n(v: Any) -> str:
        return f"about {v}" if shown(v) else "suppressed (small count)"

    return {
        "num": num, "pct": pct, "n": n,
        "num_fr": lambda v: num(v).replace(".", ",") if shown(v) else "masqué",
        "pct_fr": lambda v: f"{v:.0%}".replace("%", " %") if shown(v) else "masqué",
        "n_fr": lambda v: f"environ {v}" if shown(v) else "masqué (petit effectif)",
    }  # fmt: skip


def _temporal_text(temporal: dict[str, Any]) -> dict[str, str]:
    if "reason" in temporal:
        return {"en": f"not possible ({temporal['reason']})", "fr": "impossible sur ces données"}
    auc = temporal.get("auroc")
    shown = "withheld (too few persons or events)" if auc is None else f"AUROC {auc:.3f}"
    years = f"{temporal['train_years'][0]}–{temporal['train_years'][1]} → {temporal['test_years'][0]}–{temporal['test_years'][1]}"
    fr = "masquée (trop peu de personnes)" if auc is None else f"AUROC {auc:.3f}".replace(".", ",")
    return {"en": f"trained {years}: {shown}", "fr": f"entraîné {years} : {fr}"}


def write_documents(
    folder: Path,
    model_id: str,
    version: int,
    d: ModelDefinition,
    lineage: dict[str, Any],
    report: dict[str, Any],
    rules: TrainingRules,
) -> Path:
    """Render every document into ``folder``; return the English notice (its hash versions it)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    report = {
        "validation": "as reported by its source",
        "subgroups": {},
        "warnings": [],
        "gaps": {},
        "checks": [],
        "explanations": {"method": "not provided"},
        **report,
    }
    counts = report.get("counts") or lineage.get("training_set") or {}
    context: dict[str, Any] = {
        "model_id": model_id, "version": version, "d": d, "lineage": lineage, "report": report,
        "rules": rules, "counts": counts, "disc": report.get("discrimination", {"ci95": [None, None]}),
        "cal": report.get("calibration", {}), "op": report.get("operating_point", {"threshold": None}),
        "index_text": INDEX_TEXT[d.index], "temporal_text": _temporal_text(report.get("temporal", {"reason": "not run"})),
        "purposes": ", ".join(lineage.get("purposes", [lineage.get("purpose", "")])),
        "features": ", ".join(d.feature_names),
        "params": ", ".join(f"{k}={v}" for k, v in lineage.get("parameters", {}).items()
                            if k in ("C", "penalty", "solver", "max_iter")),
        "libraries": ", ".join(f"{k} {v}" for k, v in lineage.get("libraries", {}).items()),
        **_formatters(),
    }  # fmt: skip
    context["tripod"] = tripod_checklist(context)
    markdown = Environment(loader=PackageLoader("socle.ai"), autoescape=False)
    html = Environment(loader=PackageLoader("socle.ai"), autoescape=select_autoescape())
    for name, template in (("card", "model_card.md.j2"), ("notice-en", "notice.en.md.j2"),
                           ("notice-fr", "notice.fr.md.j2"), ("annex-iv", "annex_iv.md.j2")):  # fmt: skip
        (folder / DOCUMENTS[name]).write_text(markdown.get_template(template).render(context))
    images = {
        key: base64.b64encode((folder / file).read_bytes()).decode() if (folder / file).is_file() else ""
        for key, file in report.get("plots", {}).items()
    }  # fmt: skip
    (folder / DOCUMENTS["report"]).write_text(
        html.get_template("report.html.j2").render(context | {"images": images})
    )
    (folder / DOCUMENTS["report-json"]).write_bytes(
        orjson.dumps({**report, "tripod_ai": context["tripod"]}, option=orjson.OPT_INDENT_2)
    )
    (folder / DOCUMENTS["tripod"]).write_bytes(
        orjson.dumps(context["tripod"], option=orjson.OPT_INDENT_2)
    )
    return folder / DOCUMENTS["notice-en"]

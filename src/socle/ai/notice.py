"""The standardised user notice of a model: what it is for, on whom, how well, and its limits.

Every figure in it comes from the checked :class:`~socle.ai.training.Evaluation`:
counts below the threshold read "suppressed", the others are rounded.
"""

from __future__ import annotations

from socle.ai.dataset import FEATURES, MEASURES, TARGET_LABEL
from socle.ai.training import Evaluation


def render_notice(model_id: str, grant_id: str, purposes: tuple[str, ...], ev: Evaluation) -> str:
    few = f"suppressed (fewer than {ev.threshold} persons)"

    def n(value: int | None) -> str:
        return f"about {value}" if value is not None else f"fewer than {ev.threshold}"

    def pct(value: float | None) -> str:
        return f"{value:.1%}" if value is not None else few

    def num(value: float | None, fmt: str = ".2f") -> str:
        return format(value, fmt) if value is not None else few

    return f"""# User notice — model {model_id}

## Intended use
Decision *support* for clinicians: estimates the risk of a {TARGET_LABEL}
for an adult without that diagnosis, to prompt blood-pressure follow-up.
It is not a diagnosis. Every prediction must be accepted, amended or rejected by a
clinician (human guarantee); none acts on its own.

## Population
Adults (18+) under observation in the source warehouse, from yearly landmarks
2008–2020, whose choices allow every purpose this use needs: {", ".join(purposes)}.
Persons: {n(ev.persons)}; training persons: {n(ev.train_persons)}; held-out persons:
{n(ev.test_persons)}. Landmarks: {n(ev.rows)}; events: {n(ev.events)}; event rate: {pct(ev.prevalence)}.
Every count is checked like a release (below {ev.threshold}: suppressed; others rounded to
{ev.rounding_base}). Training is refused with fewer than {ev.min_persons} persons or
{ev.min_events} events.

## Performance (held-out persons, never seen in training)
- Discrimination, AUROC: {num(ev.auroc)}; 5-fold person-grouped cross-validated AUROC: {num(ev.cv_auroc)}
- Brier score: {num(ev.brier, ".3f")}
- Calibration in the large: mean predicted {pct(ev.mean_predicted)} vs observed {pct(ev.observed_rate)}
- Calibration plot: `{ev.calibration_plot.name}`

## Data used
Grant `{grant_id}`; features: {", ".join(FEATURES)} (measurement codes:
{", ".join(f"{k} = {v}" for k, v in MEASURES.items())}); missing values imputed with the
training median. Patients who objected to any of the purposes above were excluded before training.

## Limits
- Trained on synthetic Synthea patients from a small sample: the figures above say
  how the pipeline behaves, not how the model would perform on real patients.
- Few persons and events: wide uncertainty on every metric; not validated externally.
- Calibration is checked on very few held-out events: read scores as a ranking of risk
  first, and check the calibration plot before reading them as probabilities.
- Not evaluated for subgroup fairness yet; do not use outside the population above.

## Oversight plan
Predictions are stored as *pending* until a clinician decides; override rates and
drift are reviewed by the human-guarantee college.
"""

"""The standardised user notice of a model: what it is for, on whom, how well, and its limits."""

from __future__ import annotations

from socle.ai.dataset import FEATURES, MEASURES, TARGET_LABEL
from socle.ai.training import Evaluation


def render_notice(model_id: str, grant_id: str, purpose: str, ev: Evaluation) -> str:
    auroc = f"{ev.auroc:.2f}" if ev.auroc is not None else "not computable (one class in test set)"
    cv = f"{ev.cv_auroc:.2f}"
    return f"""# User notice — model {model_id}

## Intended use
Decision *support* for clinicians: estimates the risk of a {TARGET_LABEL}
for an adult without that diagnosis, to prompt blood-pressure follow-up.
It is not a diagnosis. Every prediction must be accepted, amended or rejected by a
clinician (human guarantee); none acts on its own.

## Population
Adults (18+) under observation in the source warehouse, from yearly landmarks
2012–2020, consenting to purpose `{purpose}`. Training persons: {ev.train_persons};
held-out persons: {ev.test_persons}. Event rate: {ev.prevalence:.1%}.

## Performance (held-out persons, never seen in training)
- Discrimination, AUROC: {auroc}; 5-fold person-grouped cross-validated AUROC: {cv}
- Brier score: {ev.brier:.3f}
- Calibration in the large: mean predicted {ev.mean_predicted:.1%} vs observed {ev.observed_rate:.1%}
- Calibration plot: `{ev.calibration_plot.name}`

## Data used
Grant `{grant_id}`; features: {", ".join(FEATURES)} (measurement codes:
{", ".join(f"{k} = {v}" for k, v in MEASURES.items())}); missing values imputed with the
training median. Patients who objected to the purpose were excluded before training.

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

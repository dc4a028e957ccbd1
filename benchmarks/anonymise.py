"""Anonymised extracts: Socle's k-anonymity search against ANJANA on the same data and hierarchies.

Builds ``--rows`` person records with 8 quasi-identifiers (age, sex, zip, birth date, admission
date, race, ethnicity, marital status) and a sensitive diagnosis, drawn from fixed distributions
with a seed. Both tools get the same data and the same generalisation hierarchies (Socle's,
written out as ANJANA's per-level tables) and the same target: k-anonymity with k=10 and at most
5% of records suppressed. ANJANA (PyPI ``anjana``) pins numpy 2.0.2, so it runs in its own
virtual environment (``--anjana-python``), in a child process, timed there.

Reports time, information loss (normalised certainty penalty, suppressed records count 1) and
pyCANON's verdict on each output, then Socle with k=10, l=2, t=0.3 as the release policy uses.

    python -m venv /tmp/anjana-venv && /tmp/anjana-venv/bin/pip install anjana
    .venv/bin/python benchmarks/anonymise.py --rows 1000000 --anjana-python /tmp/anjana-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from socle.release import HIERARCHIES
from socle.release.anonymise import Target, anonymise

QIS = {
    "age": "age", "sex": "category", "zip": "zip", "birth_date": "date",
    "admission_date": "date", "race": "category", "ethnicity": "category",
    "marital": "category",
}  # fmt: skip
SENSITIVE = "diagnosis"

ANJANA_CHILD = """
import json, sys, time
import pandas as pd
from anjana.anonymity import k_anonymity
folder, k, supp = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
qis = json.loads(sys.argv[4])
data = pd.read_csv(f"{folder}/data.csv", dtype=str, keep_default_na=False)
hierarchies = {q: dict(pd.read_csv(f"{folder}/h_{q}.csv", header=None, dtype=str,
                                   keep_default_na=False)) for q in qis}
started = time.perf_counter()
out = k_anonymity(data, [], qis, k, supp, hierarchies)
seconds = time.perf_counter() - started
out.to_csv(f"{folder}/anjana.csv", index=False)
print(json.dumps({"seconds": seconds, "rows": len(out)}))
"""


def population(rows: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    birth = pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 33_000, rows), "D")
    admitted = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3_650, rows), "D")
    age = ((admitted - birth).days // 365).astype(int)
    return pd.DataFrame(
        {
            "age": age.astype(str),
            "sex": rng.choice(["F", "M"], rows),
            "zip": rng.choice([f"{z:05d}" for z in range(1000, 2800, 3)], rows),
            "birth_date": birth.strftime("%Y-%m-%d"),
            "admission_date": admitted.strftime("%Y-%m-%d"),
            "race": rng.choice(["white", "black", "asian", "native", "other"], rows,
                               p=[.6, .15, .15, .05, .05]),
            "ethnicity": rng.choice(["hispanic", "nonhispanic"], rows, p=[.2, .8]),
            "marital": rng.choice(["S", "M", "D", "W"], rows, p=[.35, .45, .12, .08]),
            SENSITIVE: rng.choice(["asthma", "diabetes", "copd", "cancer", "none"], rows,
                                  p=[.15, .2, .1, .05, .5]),
        }
    )  # fmt: skip


def hierarchy_tables(data: pd.DataFrame, folder: Path) -> None:
    """Socle's hierarchies as ANJANA's tables: one row per raw value, one column per level."""
    for qi, name in QIS.items():
        raw = pd.Series(data[qi].unique())
        levels = [h(raw).astype(str) for h in HIERARCHIES[name].levels]
        levels[0] = raw.astype(str)
        pd.concat(levels, axis=1).to_csv(folder / f"h_{qi}.csv", header=False, index=False)


def ncp(data: pd.DataFrame, out: pd.DataFrame, suppressed: int) -> tuple[float, dict[str, int]]:
    """The same loss metric on any full-domain output: find each column's level, then NCP."""
    total = np.zeros(len(data))
    levels = {}
    for qi, name in QIS.items():
        h = HIERARCHIES[name]
        shown = set(out[qi].astype(str).unique())
        level = next(
            (i for i, f in enumerate(h.levels) if shown <= set(f(data[qi]).astype(str).unique())),
            h.height,
        )
        levels[qi] = level
        gen = h.levels[level](data[qi]).astype(str)
        width = data.groupby(gen.to_numpy())[qi].nunique()
        domain = max(data[qi].nunique() - 1, 1)
        total += (width.reindex(gen.to_numpy()).to_numpy() - 1) / domain
    per_record = total / len(QIS)
    kept = len(data) - suppressed
    # Which records a foreign output suppressed is not known: kept ones at the mean, the rest 1.
    loss = (per_record.mean() * kept + suppressed) / len(data)
    return float(loss), levels


def pycanon_verdict(out: pd.DataFrame, sensitive: bool) -> str:
    from pycanon import anonymity

    qi = list(QIS)
    frame = out.astype({q: str for q in qi})
    k = anonymity.k_anonymity(frame, qi)
    if not sensitive:
        return f"k={k}"
    return (
        f"k={k}, l={anonymity.l_diversity(frame, qi, [SENSITIVE])}, "
        f"t={anonymity.t_closeness(frame, qi, [SENSITIVE]):.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--suppression", type=float, default=0.05)
    parser.add_argument("--anjana-python", type=Path, default=Path("/tmp/anjana-venv/bin/python"))
    parser.add_argument("--anjana-timeout", type=float, default=1800, help="seconds")
    args = parser.parse_args()
    data = population(args.rows)
    print(f"{args.rows:,} records x {len(QIS)} quasi-identifiers, k={args.k}, "
          f"suppression <= {args.suppression:.0%}")  # fmt: skip
    qis = {q: HIERARCHIES[h] for q, h in QIS.items()}

    started = time.perf_counter()
    ours = anonymise(data, qis, [SENSITIVE], Target(args.k, 1, 1.0, args.suppression))
    socle_s = time.perf_counter() - started
    print(f"  Socle  k-anonymity : {socle_s:8.1f} s  loss (NCP) {ours.loss:.4f}  "
          f"suppressed {ours.suppressed:,}  levels {ours.levels}  "
          f"nodes {ours.nodes_evaluated}  pyCANON {pycanon_verdict(ours.data, False)}")  # fmt: skip

    if args.anjana_python.exists():
        with tempfile.TemporaryDirectory(prefix="socle-anjana-") as tmp:
            folder = Path(tmp)
            data.to_csv(folder / "data.csv", index=False)
            hierarchy_tables(data, folder)
            try:
                child = subprocess.run(
                    [str(args.anjana_python), "-c", ANJANA_CHILD, tmp, str(args.k),
                     str(args.suppression * 100), json.dumps(list(QIS))],
                    capture_output=True, text=True, timeout=args.anjana_timeout,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                print(f"  ANJANA k-anonymity : did not finish in {args.anjana_timeout:.0f} s; "
                      f"ratio ANJANA / Socle > {args.anjana_timeout / socle_s:.1f}x")  # fmt: skip
                child = None
            if child is None:
                pass
            elif child.returncode != 0:
                print(f"  ANJANA failed: {child.stderr[-2000:]}")
            else:
                fig = json.loads(child.stdout.strip().splitlines()[-1])
                out = pd.read_csv(folder / "anjana.csv", dtype=str, keep_default_na=False)
                loss, levels = ncp(data, out, args.rows - len(out))
                print(f"  ANJANA k-anonymity : {fig['seconds']:8.1f} s  loss (NCP) {loss:.4f}  "
                      f"suppressed {args.rows - len(out):,}  levels {levels}  "
                      f"pyCANON {pycanon_verdict(out, False)}")  # fmt: skip
                print(f"  ratio ANJANA / Socle: {fig['seconds'] / socle_s:.1f}x")
    else:
        print(f"  ANJANA not run: no interpreter at {args.anjana_python} (see the docstring)")

    started = time.perf_counter()
    full = anonymise(data, qis, [SENSITIVE], Target(args.k, 2, 0.3, args.suppression))
    full_s = time.perf_counter() - started
    print(f"  Socle  k=10, l=2, t=0.3: {full_s:8.1f} s  loss (NCP) {full.loss:.4f}  "
          f"suppressed {full.suppressed:,}  levels {full.levels}  "
          f"pyCANON {pycanon_verdict(full.data, True)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Anonymised extracts: Socle's k-anonymity search against ANJANA on the same data and hierarchies.

Builds ``--rows`` person records with 8 quasi-identifiers (age, sex, zip, birth date, admission
date, race, ethnicity, marital status) and a sensitive diagnosis, drawn from fixed distributions
with a seed. Both tools get the same data and the same generalisation hierarchies (Socle's,
written out as ANJANA's per-level tables) and the same target: k-anonymity with k=10 and at most
5% of records suppressed. ANJANA (PyPI ``anjana``) pins numpy 2.0.2, so it runs in its own
virtual environment (``--anjana-python``), in a child process, timed there.

Reports time, information loss and pyCANON's verdict on each output, then Socle with k=10, l=2,
t=0.3 as the release policy uses. Loss is given three ways, computed the same way on both outputs:
normalised certainty penalty (NCP, what Socle minimises; a suppressed record counts 1), and the two
utility metrics of pyCANON (ANJANA's companion library; ANJANA itself reports none): the
discernibility metric (sum of squared class sizes, n per suppressed record) and the average
equivalence class size (C_avg = records / (classes * k)).

With ``--anonymeter-python`` (anonymeter pins numpy<1.27, so it too gets its own environment) the
k=10, l=2, t=0.3 extract is attacked (singling out, linkability, inference on the diagnosis): the
attacker knows records of the population generalised to the released levels; the control records
are drawn afresh from the same distributions.

    python3.11 -m venv /tmp/anjana-venv && /tmp/anjana-venv/bin/pip install anjana
    python3.11 -m venv /tmp/anonymeter-venv && /tmp/anonymeter-venv/bin/pip install anonymeter
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
from socle.release.coding import Coded, evaluate

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
started, cpu = time.perf_counter(), time.process_time()
out = k_anonymity(data, [], qis, k, supp, hierarchies)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
out.to_csv(f"{folder}/anjana.csv", index=False)
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": len(out)}))
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


def levels_of(data: pd.DataFrame, out: pd.DataFrame) -> dict[str, int]:
    """The hierarchy level of each column of a full-domain output (the lowest whose labels match)."""
    levels = {}
    for qi, name in QIS.items():
        h = HIERARCHIES[name]
        shown = set(out[qi].astype(str).unique())
        levels[qi] = next(
            (i for i, f in enumerate(h.levels) if shown <= set(f(data[qi]).astype(str).unique())),
            h.height,
        )
    return levels


def ncp(data: pd.DataFrame, out: pd.DataFrame, levels: dict[str, int]) -> float:
    """NCP of any full-domain output: each shown value costs (g-1)/(D-1), a missing record 1."""
    total = 0.0
    for qi, name in QIS.items():
        gen = HIERARCHIES[name].levels[levels[qi]](data[qi]).astype(str)
        width = data.groupby(gen.to_numpy())[qi].nunique()  # raw values behind each label
        domain = max(data[qi].nunique() - 1, 1)
        shown = out[qi].astype(str).map(width).to_numpy(dtype=float)
        total += float(((shown - 1) / domain).sum())
    return (total / len(QIS) + (len(data) - len(out))) / len(data)


def pycanon_figures(data: pd.DataFrame, out: pd.DataFrame, sensitive: bool) -> str:
    """pyCANON's verdict (k, and l, t) and its utility metrics, on the rows that would leave.

    The metrics are pyCANON 1.3's ``discernability_metric`` and ``average_ecsize(sup=True)``,
    written out here because Socle pins pyCANON 1.0, which has no ``metrics`` module.
    """
    from pycanon import anonymity

    qi = list(QIS)
    frame = out.astype({q: str for q in qi})
    k = anonymity.k_anonymity(frame, qi)
    verdict = f"k={k}"
    if sensitive:
        verdict += (
            f", l={anonymity.l_diversity(frame, qi, [SENSITIVE])}, "
            f"t={anonymity.t_closeness(frame, qi, [SENSITIVE]):.3f}"
        )
    sizes = frame.groupby(qi).size().to_numpy()
    dm = int((sizes.astype(np.int64) ** 2).sum()) + (len(data) - len(frame)) * len(data)
    cavg = len(frame) / (len(sizes) * k)
    return f"pyCANON {verdict}  DM {dm:.4g}  C_avg {cavg:.2f}"


def run_anjana(data: pd.DataFrame, args: argparse.Namespace, socle_s: float) -> None:
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
                  f"ratio ANJANA / Socle > {args.anjana_timeout / socle_s:.1f}x", flush=True)  # fmt: skip
            return
        if child.returncode != 0:
            print(f"  ANJANA failed: {child.stderr[-2000:]}")
            return
        fig = json.loads(child.stdout.strip().splitlines()[-1])
        out = pd.read_csv(folder / "anjana.csv", dtype=str, keep_default_na=False)
    levels = levels_of(data, out)
    print(f"  ANJANA k-anonymity : {fig['seconds']:8.1f} s ({fig['cpu']:.1f} s CPU)  loss (NCP) {ncp(data, out, levels):.4f}  "
          f"suppressed {len(data) - len(out):,}  levels {levels}  "
          f"{pycanon_figures(data, out, False)}")  # fmt: skip
    print(f"  ratio ANJANA / Socle: {fig['seconds'] / socle_s:.1f}x", flush=True)


def anjana_replay(
    data: pd.DataFrame, k: int, suppression: float
) -> tuple[dict[str, int], int, str]:
    """ANJANA 1.2's k_anonymity walk, replayed on Socle's fast node evaluation.

    ANJANA stops at the first node whose classes under k hold at most ``suppression`` of the
    records (and whose largest class reaches k); otherwise it generalises the quasi-identifier
    with the most distinct values shown (the first listed on a tie) one level, dropping one that
    is already at its top. This gives the node and loss ANJANA reaches where it cannot finish;
    it is checked against the real run wherever that finishes.
    """
    qis = {q: HIERARCHIES[h] for q, h in QIS.items()}
    coded = Coded(data, qis, [], with_sensitive=False)
    target = Target(k, 1, 1.0, suppression)
    node, open_ = [0] * len(QIS), list(range(len(QIS)))
    while True:
        e = evaluate(coded, tuple(node), target)
        cls, n = coded.classes(tuple(node), compact=True)
        sizes = np.bincount(cls, weights=coded.weight, minlength=n).astype(np.int64)
        if sizes.max(initial=0) >= k and e.suppressed <= suppression * len(data):
            kept = sizes[sizes >= k]
            dm = int((kept**2).sum()) + e.suppressed * len(data)
            cavg = kept.sum() / (len(kept) * kept.min())
            figures = f"loss (NCP) {e.loss:.4f}  DM {dm:.4g}  C_avg {cavg:.2f}"
            return dict(zip(QIS, node, strict=True)), e.suppressed, figures
        if not open_:
            raise RuntimeError("ANJANA would give up")
        qi = max(open_, key=lambda i: (coded.cardinality(i, node[i]), -i))
        if node[qi] == coded.heights[qi]:
            open_.remove(qi)
        else:
            node[qi] += 1


ANONYMETER_CHILD = """
import json, sys
import pandas as pd
from anonymeter.evaluators import (InferenceEvaluator, LinkabilityEvaluator,
                                   SinglingOutEvaluator)
folder, attacks, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ori, syn, control = (pd.read_csv(f"{folder}/{n}.csv", dtype=str, keep_default_na=False)
                     for n in ("ori", "syn", "control"))
qis = [c for c in ori.columns if c != secret]
out = {}
def risk(ev):
    r = ev.risk(confidence_level=0.95)
    return [round(r.value, 4), round(r.ci[0], 4), round(r.ci[1], 4)]
so = SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=attacks, n_cols=3,
                          max_attempts=attacks * 50, seed=7)
out["singling_out"] = risk(so.evaluate(mode="multivariate"))
half = len(qis) // 2
lk = LinkabilityEvaluator(ori=ori, syn=syn, control=control, n_attacks=attacks,
                          aux_cols=(qis[:half], qis[half:]), n_neighbors=10)
out["linkability"] = risk(lk.evaluate(n_jobs=1))
inf = InferenceEvaluator(ori=ori, syn=syn, control=control, aux_cols=qis, secret=secret,
                         n_attacks=attacks)
out["inference"] = risk(inf.evaluate(n_jobs=1))
print(json.dumps(out))
"""


def run_anonymeter(
    data: pd.DataFrame, extract: pd.DataFrame, levels: dict[str, int], args: argparse.Namespace
) -> None:
    """Attack the extract: the attacker holds records generalised to the released levels."""

    def generalised(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[[*QIS, SENSITIVE]].copy()
        for qi, name in QIS.items():
            out[qi] = HIERARCHIES[name].levels[levels[qi]](frame[qi]).astype(str)
        return out

    attacks = min(args.anonymeter_attacks, len(extract) // 4)
    rng = np.random.default_rng(1)
    sample = rng.choice(len(data), size=min(len(data), 20 * attacks), replace=False)
    control = population(max(2 * attacks, 1000), seed=4242)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="socle-anonymeter-") as tmp:
        generalised(data.iloc[sample]).to_csv(f"{tmp}/ori.csv", index=False)
        extract[[*QIS, SENSITIVE]].astype(str).to_csv(f"{tmp}/syn.csv", index=False)
        generalised(control).to_csv(f"{tmp}/control.csv", index=False)
        child = subprocess.run(
            [str(args.anonymeter_python), "-c", ANONYMETER_CHILD, tmp, str(attacks), SENSITIVE],
            capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
    if child.returncode != 0:
        print(f"  anonymeter failed: {child.stderr[-2000:]}")
        return
    risks = json.loads(child.stdout.strip().splitlines()[-1])
    shown = "  ".join(f"{k} {v[0]:.4f} [{v[1]:.4f}, {v[2]:.4f}]" for k, v in risks.items())
    print(f"  anonymeter ({attacks} attacks, {time.perf_counter() - started:.0f} s): {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--suppression", type=float, default=0.05)
    parser.add_argument("--anjana-python", type=Path, default=Path("/tmp/anjana-venv/bin/python"))
    parser.add_argument("--anjana-timeout", type=float, default=1800, help="seconds")
    parser.add_argument("--no-anjana", action="store_true")
    parser.add_argument(
        "--anonymeter-python", type=Path, default=Path("/tmp/anonymeter-venv/bin/python")
    )
    parser.add_argument("--anonymeter-attacks", type=int, default=500)
    args = parser.parse_args()
    data = population(args.rows)
    print(f"{args.rows:,} records x {len(QIS)} quasi-identifiers, k={args.k}, "
          f"suppression <= {args.suppression:.0%}", flush=True)  # fmt: skip
    qis = {q: HIERARCHIES[h] for q, h in QIS.items()}

    started, cpu = time.perf_counter(), time.process_time()
    ours = anonymise(data, qis, [SENSITIVE], Target(args.k, 1, 1.0, args.suppression))
    socle_s = time.perf_counter() - started
    print(f"  Socle  k-anonymity : {socle_s:8.1f} s ({time.process_time() - cpu:.1f} s CPU)  "
          f"loss (NCP) {ours.loss:.4f}  "
          f"suppressed {ours.suppressed:,}  levels {ours.levels}  "
          f"nodes {ours.nodes_evaluated} of {ours.nodes}  "
          f"{pycanon_figures(data, ours.data, False)}", flush=True)  # fmt: skip
    check = ncp(data, ours.data, levels_of(data, ours.data))
    assert abs(check - ours.loss) < 1e-6, (check, ours.loss)  # the two NCPs are the same metric

    levels, suppressed, figures = anjana_replay(data, args.k, args.suppression)
    print(f"  ANJANA's walk replayed: {figures}  suppressed {suppressed:,}  levels {levels}",
          flush=True)  # fmt: skip
    if args.no_anjana:
        pass
    elif args.anjana_python.exists():
        run_anjana(data, args, socle_s)
    else:
        print(f"  ANJANA not run: no interpreter at {args.anjana_python} (see the docstring)")

    started = time.perf_counter()
    full = anonymise(data, qis, [SENSITIVE], Target(args.k, 2, 0.3, args.suppression))
    full_s = time.perf_counter() - started
    print(f"  Socle  k=10, l=2, t=0.3: {full_s:8.1f} s  loss (NCP) {full.loss:.4f}  "
          f"suppressed {full.suppressed:,}  levels {full.levels}  "
          f"nodes {full.nodes_evaluated} of {full.nodes}  "
          f"{pycanon_figures(data, full.data, True)}", flush=True)  # fmt: skip
    if args.anonymeter_python.exists():
        run_anonymeter(data, full.data, full.levels, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

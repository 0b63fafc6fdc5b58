"""How well a conditional model hits target properties, against unconditional sampling followed by filtering.

    python -m molgan.benchmarks.conditional --model runs/qm9-cond/best [--num 10000]
        [--tolerances qed=0.02,logp=0.25,mw=2] [--baseline MODEL] [--window 0.25] [--noise-scale S]
        [--seed 0] [--plot control.png] [--json]

For each conditioned property and each target at the training data's 10th, 50th and 90th percentile
(the other properties left free): ``--num`` raw graphs aimed at the target (seed ``--seed``, default 0,
argmax, no correction). Hit rate = share of the generated graphs that are valid with the property within the
tolerance of the target; MAE = mean absolute error of the valid ones. The baseline draws ``--num``
graphs unconditionally (from ``--baseline``, by default the same model without a target) and counts
the same hits: what filtering unconditional samples gives at the same number of generated graphs.
Also printed: valid and unique share of the aimed samples and novelty of their distinct valid molecules.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

#: Default tolerances of a hit (issue 13: QM9 +-0.02 QED, +-0.25 logP; MOSES +-0.05 QED, +-0.5 logP, +-25 Da).
#: QM9's MW tolerance, which the issue does not give, is a quarter of the training standard deviation (7.56 Da),
#: the scale of its QED (0.02 = 0.27 sd) and logP (0.25 = 0.26 sd) tolerances.
TOLERANCES = {
    "qm9": {"qed": 0.02, "logp": 0.25, "mw": 2.0, "sa": 0.25, "tpsa": 5.0, "rings": 0.0},
    "moses": {"qed": 0.05, "logp": 0.5, "mw": 25.0, "sa": 0.5, "tpsa": 10.0, "rings": 0.0},
}
TARGET_PERCENTILES = ("10", "50", "90")


@dataclass
class ControlRow:
    """One (property, target) row: the aimed samples against the filtered baseline."""

    property: str
    percentile: str
    target: float
    tolerance: float
    hit_rate: float
    baseline_hit_rate: float
    mae: float
    baseline_mae: float
    valid: float
    unique: float
    novel: float


def property_values(name: str, smiles: Sequence[str | None]) -> np.ndarray:
    """``name`` of each raw sample (NaN where invalid)."""
    from molgan.chem.mol import to_mols
    from molgan.chem.properties import PROPERTIES

    return PROPERTIES[name](to_mols(s or None for s in smiles))


def hits(values: np.ndarray, target: float, tolerance: float) -> tuple[float, float]:
    """(share of all samples within ``tolerance`` of ``target``, mean absolute error of the finite ones)."""
    finite = values[np.isfinite(values)]
    rate = float((np.abs(finite - target) <= tolerance + 1e-9).sum() / max(len(values), 1))
    return rate, float(np.abs(finite - target).mean()) if len(finite) else float("nan")


def condition_control(
    model, num: int, tolerances: Mapping[str, float], *, baseline=None, window: float | None = None,
    train_smiles: set[str] | None = None, seed: int = 0,
) -> tuple[list[ControlRow], dict[str, dict[str, np.ndarray]]]:
    """Rows of :class:`ControlRow` for every conditioned property of ``model`` and target percentile, and the
    property values behind them (``{property: {label: values}}``, for the plot)."""
    stats = dict(zip(model.conditions.names, model.conditions.stats))
    base_raw = (baseline or model).sample_raw(num, seed=seed)
    rows, values = [], {}
    for name in model.conditions.names:
        base = property_values(name, base_raw)
        values[name] = {"unconditional": base}
        for p in TARGET_PERCENTILES:
            target = stats[name].percentiles[p]
            raw = model.with_condition({name: target}, window).sample_raw(num, seed=seed)
            aimed = property_values(name, raw)
            values[name][f"target {target:.3g} (p{p})"] = aimed
            rate, mae = hits(aimed, target, tolerances[name])
            base_rate, base_mae = hits(base, target, tolerances[name])
            valid = [s for s in raw if s]
            distinct = set(valid)
            novel = len(distinct - train_smiles) / len(distinct) if train_smiles is not None and distinct else float("nan")
            rows.append(ControlRow(
                name, p, target, tolerances[name], rate, base_rate, mae, base_mae,
                len(valid) / num, len(distinct) / len(valid) if valid else 0.0, novel,
            ))
    return rows, values


def summary(rows: Sequence[ControlRow]) -> dict[str, dict[str, float]]:
    """Per property: mean hit rate over the targets, the baseline's, their ratio, mean valid and unique."""
    out = {}
    for name in dict.fromkeys(r.property for r in rows):
        mine = [r for r in rows if r.property == name]
        hit, base = np.mean([r.hit_rate for r in mine]), np.mean([r.baseline_hit_rate for r in mine])
        out[name] = {
            "hit_rate": float(hit), "baseline_hit_rate": float(base), "ratio": float(hit / base) if base else (float("inf") if hit else float("nan")),
            "valid": float(np.mean([r.valid for r in mine])), "unique": float(np.mean([r.unique for r in mine])),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--tolerances", default=None, help="NAME=VALUE,...; default by the model's data (qm9 or moses)")
    parser.add_argument("--baseline", default=None, help="unconditional model to filter (default: the model without a target)")
    parser.add_argument("--window", type=float, default=None, help="code window in training standard deviations (inf: generator alone)")
    parser.add_argument("--noise-scale", type=float, default=None, help="width of the noise around the codes (default: the model's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the aimed and the baseline samples")
    parser.add_argument("--plot", default=None, help="PNG of requested against obtained distributions")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from molgan.data.conditions import parse_condition
    from molgan.evaluation.metrics import load_reference
    from molgan.sampling.model import load

    model = load(args.model, noise_scale=args.noise_scale)
    if model.conditions is None:
        raise SystemExit(f"error: {args.model} is not a conditional model")
    data = model.config.train.data
    tolerances = dict(TOLERANCES["moses" if data.startswith("moses") else "qm9"])
    if args.tolerances:
        tolerances.update(parse_condition(args.tolerances))
    baseline = load(args.baseline) if args.baseline else None
    train_smiles = set(load_reference(data)) if data in ("qm9", "moses", "moses-sample") else None
    rows, values = condition_control(model, args.num, tolerances, baseline=baseline, window=args.window, train_smiles=train_smiles,
                                         seed=args.seed)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "summary": summary(rows)}, indent=2))
    else:
        print(f"{'property':>8} {'pct':>4} {'target':>8} {'tol':>6} {'hit %':>6} {'filter %':>8} {'MAE':>7} "
              f"{'filt MAE':>8} {'valid %':>7} {'uniq %':>7} {'novel %':>7}")
        for r in rows:
            print(f"{r.property:>8} {'p' + r.percentile:>4} {r.target:>8.3f} {r.tolerance:>6.3g} {100 * r.hit_rate:>6.1f} "
                  f"{100 * r.baseline_hit_rate:>8.1f} {r.mae:>7.3f} {r.baseline_mae:>8.3f} {100 * r.valid:>7.1f} "
                  f"{100 * r.unique:>7.1f} {100 * r.novel:>7.1f}")
        for name, s in summary(rows).items():
            print(f"{name}: mean hit rate {100 * s['hit_rate']:.1f} % vs filter {100 * s['baseline_hit_rate']:.1f} % "
                  f"= {s['ratio']:.2f}x; valid {100 * s['valid']:.1f} %, unique {100 * s['unique']:.1f} %")
    if args.plot:
        from molgan.evaluation.draw import plot_condition_control

        targets = {name: [r.target for r in rows if r.property == name] for name in values}
        plot_condition_control(values, args.plot, targets)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()

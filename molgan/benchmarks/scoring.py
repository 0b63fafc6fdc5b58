"""Time reward scoring: QED + SA + logP on 10,000 QM9 molecules, one process and several.

    python -m molgan.benchmarks.scoring [--n 10000] [--jobs 2] [--input FILE.csv[.gz]]

The molecules come from ``--input`` (a CSV with a ``SMILES``/``smiles`` column), else molgan's
bundled ``datasets/qm9.csv.gz`` if present, else the ``qm9pack`` package's QM9 CSV. SMILES parsing is
timed separately; the scoring times include everything ``Reward.score`` does (for ``n_jobs > 1``:
starting the worker processes and shipping the molecules as RDKit binary).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from importlib import resources
from itertools import islice
from pathlib import Path

from rdkit import Chem

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None

from molgan.chem.mol import to_mols
from molgan.data.datasets import bundled_file
from molgan.data.readers import iter_molecules
from molgan.errors import InputError
from molgan.scoring import Reward, ReverseSigmoid, Sigmoid, Term


def benchmark_reward() -> Reward:
    """QED + SA + logP, arithmetic mean (the transforms of the ``sa`` and ``logp`` presets)."""
    return Reward(
        [
            Term("qed"),
            Term("sa", transform=ReverseSigmoid(1.5, 5.0)),
            Term("logp", transform=Sigmoid(-2.12, 6.04)),
        ]
    )


def default_input() -> Path:
    """The bundled QM9 file if there is one, else qm9pack's first QM9 part."""
    try:
        return bundled_file("qm9.csv.gz")
    except InputError:
        pass
    try:
        return Path(str(resources.files("qm9pack") / "data" / "qm9_part1.csv"))
    except ModuleNotFoundError:
        raise SystemExit("no QM9 file found: pass --input FILE.csv with a SMILES column") from None


def read_smiles(path: Path, n: int) -> list[str]:
    """The first ``n`` SMILES of a molecule file (a CSV with a ``smiles`` column, any case; optionally gzipped)."""
    return [text for text, _, _ in islice(iter_molecules(path), n)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of molecules (default 10000)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the parallel run (default 2)")
    parser.add_argument("--input", type=Path, default=None, help="CSV with a SMILES column")
    args = parser.parse_args(argv)

    path = args.input or default_input()
    smiles = read_smiles(path, args.n)
    start = time.perf_counter()
    mols = to_mols(smiles)
    parse_s = time.perf_counter() - start
    binary = [None if m is None else m.ToBinary() for m in mols]
    reward = benchmark_reward()
    reward(mols[:10])  # load the SA fragment scores once, outside the timings

    print(f"{len(mols)} molecules from {path} (parsed in {parse_s:.2f} s); reward: {reward}")
    runs = [("Reward.__call__, 1 process", lambda m: reward(m))]
    runs.append(("Reward.score, n_jobs=1", lambda m: reward.score(m, n_jobs=1)))
    if args.jobs > 1:
        runs.append((f"Reward.score, n_jobs={args.jobs}", lambda m: reward.score(m, n_jobs=args.jobs)))
    print(f"{'':32s} {'wall':>8s} {'molecules/s':>12s} {'CPU':>8s}")
    for name, run in runs:
        # fresh molecules each run: RDKit caches some descriptors (Crippen, TPSA) on a Mol
        fresh = [None if b is None else Chem.Mol(b) for b in binary]
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        run(fresh)
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_start
        print(f"{name:32s} {seconds:7.2f}s {len(mols) / seconds:12.0f} {cpu:7.2f}s")
    print("CPU: seconds used by this process and its worker processes (independent of other load).")


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished child processes."""
    if resource is None:  # Windows: this process only
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()

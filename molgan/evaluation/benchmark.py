"""Named benchmarks of generated SMILES: ``molgan evaluate --benchmark NAME`` and ``molgan.evaluate(benchmark=NAME)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from molgan.errors import InputError


def _moses(smiles: Sequence[str | None], n_jobs: int) -> dict[str, float]:
    from molgan.evaluation.moses import moses_metrics  # RDKit/ChemNet imports only when asked for

    return moses_metrics(smiles, n_jobs=n_jobs)


#: Benchmark name -> its metrics of a list of generated SMILES.
BENCHMARKS: dict[str, Callable[[Sequence[str | None], int], dict[str, float]]] = {"moses": _moses}


def benchmark_metrics(name: str, smiles: Sequence[str | None], *, n_jobs: int = 1) -> dict[str, float]:
    """The metrics of benchmark ``name``; :class:`~molgan.errors.InputError` for an unknown name."""
    try:
        run = BENCHMARKS[name.lower()]
    except KeyError:
        raise InputError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}") from None
    return run(smiles, n_jobs)

"""Score a file of molecules into a CSV: ``molgan score IN -r REWARD -o OUT`` as a function."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from molgan.errors import InputError
from molgan.jobs import resolve_jobs
from molgan.scoring.output import write_scores_csv
from molgan.scoring.reward import Reward, ScoreTable


@dataclass
class ScoreFileResult:
    """What :func:`score_file` wrote: the scores, the reward, records read and skipped (by reason)."""

    output: Path
    table: ScoreTable
    reward: Reward
    n_read: int
    skipped: dict[str, int] = field(default_factory=dict)


def score_file(
    input: str | Path,
    reward: str | Path | Reward,
    output: str | Path,
    *,
    smiles_column: str | None = None,
    jobs: int = 1,
    force: bool = False,
) -> ScoreFileResult:
    """Write ``smiles``, per-component raw and transformed scores and ``total`` of each molecule of
    ``input`` that can be read to the CSV ``output``.

    ``reward`` is a preset name, a TOML file or a :class:`~molgan.scoring.reward.Reward`; ``jobs``
    processes score (0 or -1: all cores). An existing ``output`` is refused unless ``force``.
    """
    from molgan.data.readers import read_molecules
    from molgan.scoring import load_reward

    jobs, output = resolve_jobs(jobs), Path(output)
    if output.exists() and not force:
        raise InputError(f"{output} exists; use --force to overwrite it")
    loaded = reward if isinstance(reward, Reward) else load_reward(reward)
    result = read_molecules(input, smiles_column=smiles_column)
    table = loaded.score(result.mols, n_jobs=jobs)
    write_scores_csv(output, result.smiles, table, force=force)
    skipped = {reason: n for reason, n in result.skipped.items() if n}
    return ScoreFileResult(output, table, loaded, result.n_read, skipped)

"""Score a file of molecules into a CSV: ``molgan score IN -r REWARD -o OUT`` as a function.

The output joins back to the input by row: one row per input record (blank lines and comments are
not records), the input's columns kept, and records that could not be read given empty scores and
their ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from molgan.errors import InputError, NothingUsableError
from molgan.jobs import resolve_jobs
from molgan.scoring.output import write_scores_csv
from molgan.scoring.reward import Reward, ScoreTable

#: Molecules scored between two progress reports of :func:`score_file`.
SCORE_CHUNK = 5_000

@dataclass
class ScoreFileResult:
    """What :func:`score_file` wrote: the scores (one row per input record, NaN where it could not be
    read), the reward, records read and skipped (by reason), and input columns renamed to make way
    for score columns (old name -> new name). ``smiles``, ``fields`` (the input's other columns, renamed),
    ``columns`` (their names, in order) and ``reasons`` have one entry per row, as written."""

    output: Path | str
    table: ScoreTable
    reward: Reward
    n_read: int
    skipped: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    smiles: list[str] = field(default_factory=list)
    fields: list[dict[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def n_scored(self) -> int:
        """Rows with a score (the records that could be read)."""
        return int(np.count_nonzero(~np.isnan(self.table.total)))

    def to_dict(self) -> dict[str, Any]:
        """The columns of the CSV written (``smiles``, the input's, the scores, ``reason``) as
        ``{column: values}``, one entry per input record; ``pandas.DataFrame(...)`` accepts it."""
        columns: dict[str, Any] = {"smiles": list(self.smiles)}
        columns.update({name: [row.get(name, "") for row in self.fields] for name in self.columns})
        columns.update({k: v for k, v in self.table.to_dict().items() if k != "smiles"})
        columns["reason"] = list(self.reasons)
        return columns

    def to_frame(self) -> Any:
        """The CSV written as a ``pandas.DataFrame`` (pandas needed), indexed by input record (0, 1, ...)."""
        from molgan.data.frame import to_frame

        return to_frame(self.to_dict())


def score_file(
    input: str | Path,
    reward: str | Path | Reward,
    output: str | Path,
    *,
    smiles_column: str | None = None,
    jobs: int = 1,
    force: bool = False,
    delimiter: str | None = None,
    keep_fragments: str = "all",
    progress: Callable[[int, int], None] | None = None,
) -> ScoreFileResult:
    """Write ``smiles``, the other columns of ``input``, per-component raw and transformed scores,
    ``total`` and ``reason`` of each record of ``input`` to the CSV ``output`` (``"-"``: standard output).

    ``reward`` is a preset name, a TOML file or a :class:`~molgan.scoring.reward.Reward`; ``jobs``
    processes score (0 or -1: all cores). An existing ``output`` is refused unless ``force``; an input
    column named like a score column is written as ``input_<name>``. ``delimiter`` forces a table's
    delimiter (default: sniffed from its header line). ``keep_fragments``: ``"all"`` (as read),
    ``"largest"`` (salts stripped: the largest fragment is scored and written) or ``"skip"`` (a
    several-fragment record gets empty scores and the reason ``several_fragments``).
    ``progress(scored, total)`` is called after each :data:`SCORE_CHUNK` molecules scored.
    """
    from molgan.data.readers import ReadTally, is_stdin, iter_records, parse_delimiter
    from molgan.data.writers import STDOUT, check_output_path, input_column_name
    from molgan.scoring import load_reward

    jobs = resolve_jobs(jobs)
    delimiter = parse_delimiter(delimiter)
    if str(output) != STDOUT:
        check_output_path(output, force=force)
    if not is_stdin(input) and not Path(input).exists():
        raise InputError(f"file not found: {input}")
    loaded = reward if isinstance(reward, Reward) else load_reward(reward)
    tally = ReadTally()
    records = list(iter_records(input, smiles_column, keep_fragments=keep_fragments, tally=tally, delimiter=delimiter))
    valid = [i for i, r in enumerate(records) if r.mol is not None]
    if not valid:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(tally.skipped.items())) or "the file is empty"
        raise NothingUsableError(f"no usable molecule in {input} ({tally.n_read} records read; {reasons})")
    mols = [records[i].mol for i in valid]
    parts = []
    for start in range(0, len(mols), SCORE_CHUNK):  # scores are per molecule: chunks only report progress
        parts.append(loaded.score(mols[start : start + SCORE_CHUNK], n_jobs=jobs))
        if progress is not None:
            progress(min(start + SCORE_CHUNK, len(mols)), len(mols))
    table = _spread(_concat(parts), valid, len(records))
    taken = set(table.columns) | {"smiles", "reason"}
    given = list(dict.fromkeys(key for r in records for key in r.fields if key != "smiles"))  # SD files repeat it
    renamed = {c: input_column_name(c, taken | set(given)) for c in given if c in taken}
    fields = [{renamed.get(k, k): v for k, v in r.fields.items()} for r in records]
    write_scores_csv(
        output, [r.smiles for r in records], table, force=force, fields=fields,
        columns=[renamed.get(c, c) for c in given], reasons=[r.reason for r in records],
    )
    skipped = {reason: n for reason, n in tally.skipped.items() if n}
    return ScoreFileResult(
        output if str(output) == STDOUT else Path(output), table, loaded, tally.n_read, skipped, renamed,
        smiles=[r.smiles for r in records], fields=fields, columns=[renamed.get(c, c) for c in given],
        reasons=[r.reason for r in records],
    )


def _concat(tables: list[ScoreTable]) -> ScoreTable:
    """Score tables of consecutive chunks as one table."""
    if len(tables) == 1:
        return tables[0]
    join = lambda get: {k: np.concatenate([get(t)[k] for t in tables]) for k in tables[0].labels}  # noqa: E731
    total = np.concatenate([t.total for t in tables])
    return ScoreTable(tables[0].labels, join(lambda t: t.raw), join(lambda t: t.transformed), total)


def _spread(table: ScoreTable, rows: list[int], n: int) -> ScoreTable:
    """``table`` (one row per molecule in ``rows``) as ``n`` rows, NaN in the others."""

    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan)
        out[rows] = values
        return out

    return ScoreTable(
        table.labels, {k: full(v) for k, v in table.raw.items()},
        {k: full(v) for k, v in table.transformed.items()}, full(table.total),
    )


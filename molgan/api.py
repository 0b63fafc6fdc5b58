"""The Python API: everything the CLI does, as functions for pipelines.

    import molgan
    model = molgan.load("qm9")                                   # molgan sample / info
    smiles = model.sample(1000, seed=0)
    metrics = molgan.evaluate(smiles, reference="qm9")           # molgan evaluate
    table = molgan.score(smiles, reward="druglike")              # molgan score
    molgan.score_file("in.smi", "scored.csv", reward="qed")       # molgan score IN -o OUT
    hits = molgan.screen(smiles, where=["qed>0.5"], pains=True)  # molgan screen
    molgan.screen_file("in.csv", "hits.csv", where="qed>0.5")    # molgan screen IN -o OUT
    model.sample_to_file("big.smi.gz", 1_000_000, seed=0)        # molgan sample -o (all cores)
    molgan.draw(hits.smiles, "hits.png", legends="qed")          # molgan draw
    molgan.write("hits.csv", hits.smiles, properties=["qed"])    # --output of every command
    values = molgan.properties(hits.smiles, ["qed", "logp"])     # --properties
    molgan.optimize("qm9", reward="qed", out="runs/qed-search")   # molgan optimize
    near = model.analogs("c1ccncc1", num=100, seed=0)            # molgan analogs: (smiles, similarity), best first
    path = model.interpolate("CCO", "c1ccncc1", steps=10)       # molgan interpolate: (t, smiles, sim to a, sim to b)
    dataset = molgan.load_dataset("qm9")                         # molgan data info
    molgan.models()                                              # molgan models

Each function is a thin wrapper over a library module (:mod:`molgan.evaluation.screen`, :mod:`molgan.evaluation.draw`,
:mod:`molgan.data.writers`, :mod:`molgan.data.readers`, :mod:`molgan.data.datasets`, :mod:`molgan.chem.properties`,
:mod:`molgan.evaluation.metrics`, :mod:`molgan.scoring`); molecules may be given as SMILES or RDKit molecules
wherever that makes sense, and bad input raises :class:`~molgan.errors.InputError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rdkit import Chem

from molgan.chem.mol import to_mol, to_mols
from molgan.config import RunConfig, load_config
from molgan.data.datasets import DataSetWarning, MolDataset, dataset_warnings, load_dataset
from molgan.errors import InputError
if TYPE_CHECKING:  # pragma: no cover
    from molgan.sampling.model import Model
    from molgan.training.loop import ProgressCallback, TrainResult
    from molgan.latent.search import SearchResult as LatentSearchResult
    from molgan.data.readers import ReadResult
    from molgan.data.labels import LabelTable
    from molgan.scoring import ScoreTable
    from molgan.evaluation.screen import Condition, ScreenResult, ScreenSpec
    from molgan.evaluation.screen_file import ScreenFileResult
    from molgan.scoring.score_file import ScoreFileResult

Mol = Chem.Mol

from molgan import __all__ as _PACKAGE_ALL  # noqa: E402  (the one list of public names)

#: Public names defined elsewhere (``molgan.<name>`` imports them from there, so torch only when needed).
HOMES = {
    "Model": "molgan.sampling.model",
    "load": "molgan.sampling.model",
    "MolDataset": "molgan.data.datasets",
    "load_dataset": "molgan.data.datasets",
    "ScreenSpec": "molgan.evaluation.screen",
    "sample_to_file": "molgan.sampling.to_file",
}

__all__ = [name for name in _PACKAGE_ALL if name != "__version__" and name not in HOMES]


def train(
    out: str | Path,
    *,
    config: str | Path | RunConfig | None = None,
    resume: bool = False,
    init_from: str | Path | None = None,
    max_atoms: int | None = None,
    smiles_column: str | None = None,
    progress: ProgressCallback | None = None,
    command: str | None = None,
    force: bool = False,
    delimiter: str | None = None,
    fragments: str = "skip",
    **overrides: Any,
) -> TrainResult:
    """Train a model into ``out`` (see :class:`molgan.config.TrainConfig` for ``overrides``).

    With ``resume=True`` the ``out/last`` checkpoint's stored config is used (only ``steps``,
    ``time_limit_minutes``, ``checkpoint_minutes``, ``threads``, ``device`` and ``precision`` may be
    changed) and training continues where it stopped; without ``out/last`` it raises :class:`InputError`. An
    ``out`` that holds a run (``last/``, ``best/``, ``metrics.csv``) is refused unless ``resume`` or
    ``force`` (which removes that run's outputs and starts over). A tiny data set, an empty split or
    a size cap set for a file warn (:class:`~molgan.data.datasets.DataSetWarning`). ``max_atoms``, ``smiles_column``,
    ``delimiter`` (forced table delimiter) and ``fragments`` (``"skip"`` several-fragment molecules or
    keep the ``"largest"`` fragment) apply to a ``data`` file as in :func:`load_dataset`.
    """
    from molgan.training import distributed

    with distributed.session():
        reading = dict(max_atoms=max_atoms, smiles_column=smiles_column, delimiter=delimiter, fragments=fragments)
        return _train_run(Path(out), config, resume, init_from, progress, command, force, reading, overrides)


def _read_labels(run: RunConfig, reading: dict[str, Any]) -> LabelTable | None:
    """The label columns a conditional model is trained on, read from its data file (``None``: no labels)."""
    from molgan.data.conditions import label_names
    from molgan.data.labels import LabelSource, read_labels

    columns = label_names(run.model.conditions)
    if not columns:
        return None
    source = LabelSource(
        str(Path(run.train.data).resolve()), columns, reading.get("smiles_column"), reading.get("delimiter"), reading.get("fragments", "skip"),
    )
    return read_labels(source)


def _train_run(
    out: Path, config: str | Path | RunConfig | None, resume: bool, init_from: str | Path | None,
    progress: ProgressCallback | None, command: str | None, force: bool, reading: dict[str, Any],
    overrides: dict[str, Any],
) -> TrainResult:
    """:func:`train` within its process group (rank 0 alone repairs or clears ``out``)."""
    from molgan.checkpoint import load_checkpoint, recover_interrupted_save
    from molgan.training import distributed
    from molgan.training.loop import TrainingData
    from molgan.training.loop import train as _train
    from molgan.training.run_dir import check_run_dir, clear_run

    if distributed.is_main():
        recover_interrupted_save(out / "last")
    distributed.barrier()
    check_run_dir(out, resume=resume, force=force)
    if resume:
        run = load_checkpoint(out / "last").config
        changeable = ("steps", "time_limit_minutes", "checkpoint_minutes", "threads", "device", "precision")
        allowed = {k: overrides.get(k) for k in changeable}
        run = run.with_overrides(**allowed)
    else:
        if isinstance(config, RunConfig):
            run = config
        elif config is not None:
            run = load_config(config)
        else:
            run = RunConfig()
        run = run.with_overrides(**overrides)
    # what can fail without the data fails before it is read (a large file takes minutes)
    from molgan.nn.device import resolve_device
    from molgan.training.precision import resolve_precision

    resolve_precision(run.train.precision, resolve_device(run.train.device))
    reward = None
    if run.train.rl.reward:
        from molgan.scoring import load_reward

        reward = load_reward(run.train.rl.reward)
    labels = _read_labels(run, reading)  # before the data set: an unknown column fails fast
    dataset = load_dataset(run.train.data, bonds=run.train.bonds, **reading)
    for line in dataset_warnings(dataset):
        warnings.warn(line, DataSetWarning, stacklevel=2)
    data = TrainingData.from_dataset(dataset, run.model.conditions, labels)
    if reward is not None:
        if run.train.rl.focus < 1.0 or run.train.elite.size > 0:
            train_index = dataset.split("train")
            mols = to_mols(dataset.smiles[i] for i in train_index)
            data = data.focus(reward(mols), run.train.rl.focus)
    if force:
        distributed.barrier()  # every rank has checked ``out`` before rank 0 empties it
        if distributed.is_main():
            clear_run(out)
    return _train(
        run, data, out, resume=resume, reward=reward,
        init_from=init_from, progress=progress, command=command,
    )


def evaluate(
    smiles: Sequence[str | None],
    reference: str | Sequence[str] | None = None,
    *,
    model: str | Path | None = None,
    fcd: bool = True,
    n_jobs: int = 1,
    benchmark: str | None = None,
) -> dict[str, float]:
    """MOSES-style metrics of generated SMILES (``None`` / ``""`` count as invalid samples), as ``molgan evaluate``.

    ``reference`` is a data set name (its *training split*), a file or a list of SMILES: novelty
    and FCD are computed against it. Without one, ``model`` (a shipped name or a checkpoint)
    stands for the data it was trained on; with neither, there is no novelty and no FCD. The
    result also holds ``heavy_atoms_mean``, ``mw_mean``, ``rings_mean`` and ``aromatic_rings_mean`` of the
    samples and, with a reference, the reference's (``reference_heavy_atoms_mean``, ...).
    ``benchmark="moses"`` gives MOSES's own metrics against its test sets instead (``reference``
    and ``fcd`` are then not used).
    """
    if benchmark is not None:
        from molgan.evaluation.benchmark import benchmark_metrics

        return benchmark_metrics(benchmark, list(smiles), n_jobs=n_jobs)
    from molgan.evaluation import metrics

    ref, _ = metrics.reference_of(reference, model)
    return metrics.evaluate(list(smiles), ref, n_jobs=n_jobs, compute_fcd=fcd and ref is not None, sizes=True)


def score(molecules: Sequence[str | Mol | None], reward: str | Path = "qed", *, n_jobs: int = 1) -> ScoreTable:
    """Score molecules (SMILES or RDKit molecules) with a reward preset or TOML file.

    Returns a :class:`molgan.scoring.ScoreTable` (per component raw and transformed values, total);
    ``table.to_frame()`` is a pandas DataFrame with a ``smiles`` column and the input's index (a
    pandas Series keeps its labels), ``table.to_dict()`` the same columns without pandas.
    """
    import dataclasses

    from molgan.data.frame import index_of
    from molgan.scoring import load_reward

    index = index_of(molecules)
    smiles, mols = _smiles_and_mols(molecules)
    table = load_reward(reward).score(mols, n_jobs=n_jobs)
    return dataclasses.replace(table, smiles=smiles, index=index)


def score_file(
    input: str | Path,
    output: str | Path,
    reward: str | Path = "qed",
    *,
    smiles_column: str | None = None,
    n_jobs: int = 1,
    force: bool = False,
    delimiter: str | None = None,
    keep_fragments: str = "all",
    progress: Any = None,
) -> ScoreFileResult:
    """Score a file of molecules into a CSV, as ``molgan score IN -r REWARD -o OUT`` (same bytes).

    One row per input record (its columns kept; unreadable ones with empty scores and a ``reason``);
    ``output`` ``"-"`` is standard output. Returns a :class:`molgan.scoring.score_file.ScoreFileResult`
    (``table``: one row per record, ``n_scored``, ``n_read``, ``skipped``, ``renamed``).
    ``delimiter`` (``","``, ``";"``, ``"tab"``) forces a table's delimiter; by default it is sniffed.
    ``keep_fragments="largest"`` scores the largest fragment of each record (salts stripped);
    ``progress(scored, total)`` is called as the scoring goes.
    """
    from molgan.scoring.score_file import score_file as _score_file

    return _score_file(
        input, reward, output, smiles_column=smiles_column, jobs=n_jobs, force=force, delimiter=delimiter,
        keep_fragments=keep_fragments, progress=progress,
    )


def optimize(
    model: str | Path,
    *,
    reward: str | Path,
    out: str | Path,
    data: str | None = None,
    resume: bool = False,
    n_jobs: int = 1,
    progress: Any = None,
    command: str | None = None,
    **settings: Any,
) -> LatentSearchResult:
    """Steer ``model`` towards a reward (preset or TOML file) by reward-guided latent search.

    Writes ``out/model`` (the same weights, noise drawn around the polished codes of the best molecules found:
    ``molgan.load(out / "model")``), ``out/pool.csv`` and ``out/search.csv``. ``settings`` are fields
    of :class:`molgan.latent.search.SearchConfig` (``rounds``, ``pool_size``, ``bandwidth``, ...);
    ``resume=True`` continues a killed search from its last saved round. ``data`` (whose best
    training molecules start the pool) defaults to the data set the model's checkpoint was trained on.
    """
    from molgan.latent.settings import SearchConfig
    from molgan.latent.search import optimize as _optimize
    from molgan.scoring import load_reward

    from molgan.jobs import resolve_jobs

    n_jobs = resolve_jobs(n_jobs)
    unknown = sorted(set(settings) - set(SearchConfig.__dataclass_fields__))
    if unknown:
        raise InputError(f"unknown search setting {unknown[0]!r}; known: {', '.join(SearchConfig.__dataclass_fields__)}")
    return _optimize(model, load_reward(reward), out, SearchConfig(**settings), data=data, resume=resume,
                     jobs=n_jobs, progress=progress, command=command, reward_name=str(reward))


def screen(
    molecules: Iterable[str | Mol | None],
    *,
    where: str | Iterable[str | Condition] = (),
    lipinski: bool = False,
    pains: bool = False,
    brenk: bool = False,
    novel_against: str | Path | Iterable[str | Mol] | None = None,
    unique: bool = True,
    properties: str | Sequence[str] = (),
    neutral: bool = False,
    smarts: str | Sequence[str] = (),
    exclude_smarts: str | Sequence[str] = (),
) -> ScreenResult:
    """Keep the molecules that pass every filter, in input order (as ``molgan screen``).

    ``where``: conditions such as ``"qed>0.6"`` (one string or a list); ``lipinski``: rule of five
    (at most one violation); ``pains`` / ``brenk``: drop structural-alert hits; ``novel_against``:
    drop molecules found in a reference (a list of SMILES or molecules, a file, or a data set name
    such as ``"qm9"``, which stands for its training split: see
    :func:`molgan.evaluation.metrics.load_reference`); ``unique``: keep the first of each canonical SMILES; ``properties``: extra
    properties to compute for the molecules that pass; ``neutral``: drop charged species and radicals;
    ``smarts`` / ``exclude_smarts``: keep molecules matching every pattern / none. Invalid SMILES and ``None`` are counted in
    ``n_invalid`` and dropped. Returns a :class:`molgan.evaluation.screen.ScreenResult` (``smiles``, ``mols``,
    ``indices``, ``properties``, ``report``); :func:`molgan.evaluation.screen.format_report` prints the report.
    ``hits.to_frame()`` is a pandas DataFrame (``smiles`` and the properties, indexed by input position or
    by the labels of a pandas Series given as ``molecules``); ``hits.to_dict()`` the same columns without pandas.
    """
    from molgan.evaluation.screen import ScreenSpec
    from molgan.evaluation.screen import screen as _screen

    import dataclasses

    from molgan.data.frame import index_of

    spec = ScreenSpec(
        where=where, lipinski=lipinski, pains=pains, brenk=brenk, novel_against=novel_against,
        unique=unique, properties=properties, neutral=neutral, smarts=smarts, exclude_smarts=exclude_smarts,
    )
    index = index_of(molecules)
    smiles, mols = _smiles_and_mols(molecules)
    return dataclasses.replace(_screen(smiles, spec, mols=mols), input_index=index)


def screen_file(
    input: str | Path,
    output: str | Path,
    spec: ScreenSpec | None = None,
    *,
    smiles_column: str | None = None,
    force: bool = False,
    delimiter: str | None = None,
    **filters: Any,
) -> ScreenFileResult:
    """Screen a file of molecules into a file, as ``molgan screen IN -o OUT`` (same bytes).

    ``spec`` is a :class:`molgan.evaluation.screen.ScreenSpec`; without one, ``filters`` are its
    fields, as for :func:`screen` (``where``, ``lipinski``, ``pains``, ``brenk``, ``novel_against``,
    ``unique``, ``properties``). OUT gets ``smiles``, the other columns of IN and the properties.
    Returns a :class:`molgan.evaluation.screen_file.ScreenFileResult` (``report``, ``n_written``,
    ``skipped``); :func:`molgan.evaluation.screen.format_report` prints the report. ``delimiter``
    (``","``, ``";"``, ``"tab"``) forces a table's delimiter; by default it is sniffed.
    """
    from molgan.evaluation.screen import spec_from
    from molgan.evaluation.screen_file import screen_file as _screen_file

    return _screen_file(
        input, output, spec_from(spec, filters), smiles_column=smiles_column, force=force, delimiter=delimiter
    )


def draw(
    molecules: Iterable[str | Mol | None],
    path: str | Path,
    *,
    legends: str | Sequence[str] | None = None,
    mols_per_row: int = 6,
    max_mols: int = 48,
) -> Path:
    """Draw up to ``max_mols`` molecules in a grid picture (``.png`` or ``.svg``); return its path.

    ``legends``: ``None``, ``"smiles"``, a property name such as ``"qed"``, or one caption per
    molecule. Invalid SMILES are skipped. An existing picture is overwritten (``molgan draw`` refuses one without ``--force``).
    For training curves and property histograms see :mod:`molgan.evaluation.draw`.
    """
    from molgan.evaluation.draw import draw_grid

    return draw_grid(molecules, path, legends=legends, mols_per_row=mols_per_row, max_mols=max_mols)


def write(
    path: str | Path,
    molecules: Iterable[str | Mol | None],
    *,
    properties: str | Sequence[str] = (),
    force: bool = False,
) -> int:
    """Write molecules to ``.smi``, ``.csv`` or ``.sdf`` (optionally ``.gz``) or ``"-"``; return the row count.

    Molecules are SMILES (written as given) or RDKit molecules (written as canonical SMILES);
    ``None`` and ``""`` become rows with an empty SMILES, so row ``i`` is input ``i``; properties of
    a molecule that cannot be parsed are empty cells. ``properties``
    names columns to compute (``"qed,logp"`` or a list, see :data:`molgan.chem.properties.PROPERTIES`).
    The file appears atomically when complete; an existing file is refused unless ``force=True``.
    """
    from molgan.data.writers import write_molecules

    items = list(molecules)
    smiles = [Chem.MolToSmiles(m) if isinstance(m, Chem.Mol) else m for m in items]
    mols = [m if isinstance(m, Chem.Mol) else None for m in items]
    return write_molecules(path, smiles, mols, properties=_names(properties), force=force)


def read(
    path: str | Path, smiles_column: str | None = None, *, keep_fragments: str = "all", delimiter: str | None = None
) -> ReadResult:
    """Read the molecules of a ``.smi``, ``.csv``, ``.tsv`` or ``.sdf`` file (optionally ``.gz``).

    Returns a :class:`molgan.data.readers.ReadResult`: ``smiles``, ``mols``, ``records`` (other columns)
    of each usable record, ``n_read`` and ``skipped`` (counts by reason). ``smiles_column`` picks
    the column of a table (default: ``smiles`` in any case); ``keep_fragments``: ``"all"``,
    ``"skip"`` or ``"largest"``; ``delimiter`` (``","``, ``";"``, ``"tab"``) forces a table's delimiter.
    A missing file raises :class:`~molgan.errors.InputError`, a file
    without one usable molecule :class:`~molgan.errors.NothingUsableError`.
    """
    from molgan.data.readers import read_molecules

    return read_molecules(path, smiles_column, keep_fragments=keep_fragments, delimiter=delimiter)


def models(*, installed_only: bool = True) -> dict[str, str]:
    """Shipped models by name with a description (as ``molgan models``); pass one to :func:`load`.

    With ``installed_only=False`` every known name is listed, including models whose weights are
    not part of this installation.
    """
    from molgan.pretrained import SHIPPED, available

    return available() if installed_only else dict(SHIPPED)


def properties(
    molecules: Iterable[str | Mol | None],
    names: str | Sequence[str] = ("qed", "logp", "sa", "mw"),
) -> dict[str, np.ndarray]:
    """Named properties of each molecule: ``{name: float array}``, NaN where a molecule is invalid.

    ``names``: ``"qed,logp"`` or a list from :data:`molgan.chem.properties.PROPERTIES` (qed, logp, sa,
    np, mw, tpsa, hbd, hba, rotb, rings, heavy_atoms); unknown names raise
    :class:`~molgan.errors.InputError`.
    """
    from molgan.chem.properties import compute
    from molgan.data.writers import check_properties

    _, mols = _smiles_and_mols(molecules)
    return compute(check_properties(_names(names)), mols)


def _names(names: str | Sequence[str]) -> list[str]:
    """``"qed, logp"`` or ``["qed", "logp"]`` -> ``["qed", "logp"]``."""
    if isinstance(names, str):
        names = names.split(",")
    return [n.strip() for n in names if n.strip()]


def _smiles_and_mols(molecules: Iterable[str | Mol | None]) -> tuple[list[str | None], list[Mol | None]]:
    """SMILES and parsed molecules (``None`` where missing, empty or invalid) of mixed input."""
    smiles: list[str | None] = []
    mols: list[Mol | None] = []
    for item in molecules:
        if isinstance(item, Chem.Mol):
            mol: Mol | None = item if item.GetNumAtoms() > 0 else None
            smiles.append(Chem.MolToSmiles(item) if mol is not None else None)
        else:
            text = str(item).strip() if item is not None else ""
            mol = to_mol(text)
            smiles.append(text or None)
        mols.append(mol)
    return smiles, mols

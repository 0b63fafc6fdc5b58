"""Evaluation metrics for generated molecules, MOSES-style: plain functions over lists of SMILES.

An entry is a SMILES string, or ``None`` / ``""`` for a sample that did not decode to a molecule.
"Canonical" means RDKit canonical SMILES without stereo. Definitions:

- validity: fraction of entries that RDKit parses and sanitizes into one connected fragment.
- uniqueness: distinct canonical SMILES among the valid entries / number of valid entries.
- unique@k: uniqueness over the first k valid entries (MOSES); reported when at least k are valid.
- novelty: fraction of the distinct valid canonical SMILES that are not in the reference set.
- intdiv_p: 1 - mean_i (mean_j T(i, j)^p)^(1/p) over the valid molecules, T = Tanimoto of Morgan
  fingerprints (radius 2, 1024 bits), pairs i = j included (MOSES IntDiv_p).
- fcd: Fréchet ChemNet Distance (Preuer 2018) between the canonical valid SMILES and the reference.
- qed_mean, logp_mean, sa_mean: mean QED, Crippen logP and SA score of the distinct valid molecules.

A ratio with an empty denominator (no entries, no valid entries) is ``NaN``.
:func:`evaluate` returns all of them in one dict, like MOSES' ``get_all_metrics``.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molgan.chem.mol import canonical_key, to_mol
from molgan.chem import properties
from molgan.errors import InputError
from molgan.evaluation.fcd import FCDStats, compute_stats, frechet_distance, reference_stats


Mol = Chem.Mol

#: Sizes of the ``unique@k`` entries of :func:`evaluate`.
UNIQUE_AT = (1000, 10000)

#: At most this many valid molecules enter :func:`internal_diversity` (a deterministic subsample).
INTDIV_MAX_MOLECULES = 5000

_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)


# --- validity and canonical SMILES -------------------------------------------------------------


def to_valid_mol(smiles: str | None) -> Mol | None:
    """The sanitized molecule of ``smiles`` if it is valid (one connected fragment), else ``None``."""
    mol = to_mol(smiles)
    return mol if mol is not None and len(Chem.GetMolFrags(mol)) == 1 else None


def canonicalize(smiles: Iterable[str | None]) -> list[str | None]:
    """Canonical SMILES (no stereo) of each valid entry, ``None`` for each invalid one."""
    out: list[str | None] = []
    for s in smiles:
        mol = to_valid_mol(s)
        out.append(None if mol is None else canonical_key(mol))
    return out


def _valid(canonical: Sequence[str | None]) -> list[str]:
    return [s for s in canonical if s is not None]


class CanonicalSmiles(list):
    """A list of canonical SMILES (:func:`molgan.chem.mol.canonical_key`) of valid molecules, as
    :func:`load_reference` returns them: the metrics use it as it is instead of parsing it again."""


def canonical_valid(smiles: Iterable[str | None]) -> list[str]:
    """The canonical SMILES of the valid entries, in order (a :class:`CanonicalSmiles` passes through)."""
    if isinstance(smiles, CanonicalSmiles):
        return smiles
    return _valid(canonicalize(smiles))


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


# --- metrics -------------------------------------------------------------------------------------


def validity(smiles: Sequence[str | None]) -> float:
    """Fraction of entries that are valid single-fragment molecules (``None`` and ``""`` are invalid)."""
    return _ratio(len(_valid(canonicalize(smiles))), len(smiles))


def uniqueness(smiles: Sequence[str | None]) -> float:
    """Distinct canonical SMILES among the valid entries / number of valid entries."""
    valid = _valid(canonicalize(smiles))
    return _unique_at(valid, len(valid))


def unique_at_k(smiles: Sequence[str | None], k: int) -> float:
    """Uniqueness of the first ``k`` valid entries (MOSES unique@k).

    With fewer than ``k`` valid entries it uses all of them and warns, as MOSES does.
    """
    valid = _valid(canonicalize(smiles))
    if len(valid) < k:
        warnings.warn(f"unique@{k} asked for, but only {len(valid)} valid molecules", stacklevel=2)
    return _unique_at(valid, k)


def _unique_at(valid: Sequence[str], k: int) -> float:
    """Distinct share of the first ``k`` canonical SMILES of ``valid``."""
    first = valid[:k]
    return _ratio(len(set(first)), len(first))


def novelty(smiles: Sequence[str | None], reference: Iterable[str]) -> float:
    """Fraction of the distinct valid molecules whose canonical SMILES without stereo is not in ``reference``.

    Both sides are keyed by :func:`molgan.chem.mol.canonical_key` (stereo dropped), the key of
    :func:`uniqueness`; the ``novelty`` scoring component and ``screen --novel-against`` use it too.
    The shipped model cards' novelty figures are this definition against the QM9 training split
    (:func:`load_reference` of ``"qm9"``).
    """
    return _novelty(set(canonical_valid(smiles)), set(canonical_valid(reference)))


def _novelty(unique: set[str], reference: set[str]) -> float:
    return _ratio(len(unique - reference), len(unique))


def fingerprints(mols: Sequence[Mol]) -> list:
    """Morgan bit vectors, radius 2, 1024 bits (the MOSES fingerprint)."""
    return [_MORGAN.GetFingerprint(m) for m in mols]


def internal_diversity(
    smiles: Sequence[str | None], p: int = 1, *, max_molecules: int = INTDIV_MAX_MOLECULES, seed: int = 0
) -> float:
    """MOSES IntDiv_p: ``1 - mean_i (mean_j T(i, j)^p)^(1/p)`` over the valid molecules, duplicates kept.

    ``T`` is the Tanimoto similarity of Morgan fingerprints (radius 2, 1024 bits); the mean over
    ``j`` includes ``j = i``. With more than ``max_molecules`` valid molecules a subsample of that
    size, drawn with ``numpy.random.default_rng(seed)``, is used (the cost grows as its square).
    """
    mols = [m for m in (to_valid_mol(s) for s in smiles) if m is not None]
    return _internal_diversity(mols, (p,), max_molecules=max_molecules, seed=seed)[p]


def _internal_diversity(
    mols: Sequence[Mol], ps: Sequence[int], *, max_molecules: int, seed: int
) -> dict[int, float]:
    n = len(mols)
    if n == 0:
        return {p: math.nan for p in ps}
    if n > max_molecules:
        keep = np.sort(np.random.default_rng(seed).choice(n, size=max_molecules, replace=False))
        mols = [mols[i] for i in keep]
        n = max_molecules
    fps = fingerprints(mols)
    # row_sums[p][i] = sum_j T(i, j)^p; T is symmetric, so each pair is computed once.
    row_sums = {p: np.ones(n) for p in ps}  # T(i, i) = 1
    for i in range(n - 1):
        sims = np.asarray(DataStructs.BulkTanimotoSimilarity(fps[i], fps[i + 1 :]))
        for p, sums in row_sums.items():
            powered = sims**p
            sums[i] += powered.sum()
            sums[i + 1 :] += powered
    return {p: float(1.0 - np.mean((sums / n) ** (1.0 / p))) for p, sums in row_sums.items()}


def fcd(
    gen_smiles: Sequence[str | None],
    reference: Sequence[str] | FCDStats,
    *,
    n_jobs: int = 1,
    device: str | None = "cpu",
    cache: bool = True,
) -> float:
    """Fréchet ChemNet Distance between the valid generated molecules and a reference.

    Both sides enter as canonical SMILES of their valid molecules, duplicates kept (MOSES).
    ``reference`` is SMILES or precomputed :class:`~molgan.evaluation.fcd.FCDStats`; the statistics of
    reference SMILES are cached on disk if ``cache`` (see :func:`molgan.evaluation.fcd.reference_stats`).
    ``NaN`` if fewer than 2 generated molecules are valid. ``n_jobs`` processes one-hot encode SMILES.
    """
    if not isinstance(reference, FCDStats):
        reference = canonical_valid(reference)
    return _fcd(_valid(canonicalize(gen_smiles)), reference, n_jobs=n_jobs, device=device, cache=cache)


def _fcd(
    gen_valid: Sequence[str], reference: Sequence[str] | FCDStats, *, n_jobs: int, device, cache: bool,
    progress: Callable[[int, int], None] | None = None,
) -> float:
    if len(gen_valid) < 2:
        return math.nan
    if not isinstance(reference, FCDStats):
        if len(reference) < 2:
            raise ValueError(f"FCD needs at least 2 valid reference molecules, got {len(reference)}")
        reference = reference_stats(reference, cache=cache, n_jobs=n_jobs, device=device, progress=progress)
    return frechet_distance(compute_stats(gen_valid, n_jobs=n_jobs, device=device), reference)


def _property_mean(name: str, mols: Sequence[Mol]) -> float:
    values = properties.PROPERTIES[name](mols)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else math.nan


#: ``evaluate`` key -> name in :data:`molgan.chem.properties.PROPERTIES`.
PROPERTY_MEANS = {"qed_mean": "qed", "logp_mean": "logp", "sa_mean": "sa"}
#: The size means of ``evaluate(..., sizes=True)``: are the samples as large as the data?
SIZE_MEANS = {"heavy_atoms_mean": "heavy_atoms", "mw_mean": "mw", "rings_mean": "rings", "aromatic_rings_mean": "aromatic_rings"}
#: Reference molecules (drawn with seed 0) that the reference's size means are taken over.
SIZE_REFERENCE_SAMPLE = 5_000


def evaluate(
    smiles: Sequence[str | None],
    reference: Sequence[str] | None = None,
    *,
    fcd_reference: Sequence[str] | FCDStats | None = None,
    n_jobs: int = 1,
    compute_fcd: bool = True,
    sizes: bool = False,
    fcd_progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """All metrics of the module docstring in one dict (MOSES ``get_all_metrics``).

    Keys: ``n``, ``n_valid``, ``n_unique``, ``validity``, ``uniqueness``, ``unique@1000`` and
    ``unique@10000`` (when that many are valid), ``novelty`` and ``vun`` (valid, distinct and novel share of
    all samples; with ``reference``), ``fcd`` (with
    ``reference`` or ``fcd_reference``, if ``compute_fcd``), ``intdiv1``, ``intdiv2``,
    ``qed_mean``, ``logp_mean``, ``sa_mean``. ``fcd_reference`` replaces ``reference`` for FCD
    (e.g. a test split, or cached statistics). ``sizes`` adds ``heavy_atoms_mean``, ``mw_mean``,
    ``rings_mean`` and ``aromatic_rings_mean`` of the distinct valid samples and, with ``reference``, the
    same with ``reference_`` before them (over up to :data:`SIZE_REFERENCE_SAMPLE` reference molecules, seed 0).
    ``fcd_progress(done, total)`` follows the ChemNet pass over the reference when its statistics
    are not cached.
    """
    mols = [to_valid_mol(s) for s in smiles]
    canonical = [None if m is None else canonical_key(m) for m in mols]
    valid = _valid(canonical)
    first_of: dict[str, Mol] = {}
    for s, m in zip(canonical, mols):
        if s is not None and s not in first_of:
            first_of[s] = m

    result: dict[str, float] = {
        "n": len(smiles),
        "n_valid": len(valid),
        "n_unique": len(first_of),
        "validity": _ratio(len(valid), len(smiles)),
        "uniqueness": _ratio(len(first_of), len(valid)),
    }
    for k in UNIQUE_AT:
        if len(valid) >= k:
            result[f"unique@{k}"] = _unique_at(valid, k)

    reference_valid = None if reference is None else canonical_valid(reference)
    if reference_valid is not None:
        unique, known = set(first_of), set(reference_valid)  # the reference's set once: it may hold millions
        result["novelty"] = _novelty(unique, known)
        # V.U.N.: the share of all samples that are valid, distinct and not in the reference
        result["vun"] = _ratio(len(unique - known), len(smiles))
    if compute_fcd:
        if fcd_reference is not None and not isinstance(fcd_reference, FCDStats):
            fcd_reference = canonical_valid(fcd_reference)
        fcd_against = fcd_reference if fcd_reference is not None else reference_valid
        if fcd_against is not None:
            result["fcd"] = _fcd(valid, fcd_against, n_jobs=n_jobs, device="cpu", cache=True, progress=fcd_progress)

    valid_mols = [m for m in mols if m is not None]
    diversity = _internal_diversity(valid_mols, (1, 2), max_molecules=INTDIV_MAX_MOLECULES, seed=0)
    result["intdiv1"], result["intdiv2"] = diversity[1], diversity[2]
    unique_mols = list(first_of.values())
    for key, name in PROPERTY_MEANS.items():
        result[key] = _property_mean(name, unique_mols)
    if sizes:
        result.update(_size_means(unique_mols, reference_valid))
    return result


def _size_means(mols: Sequence[Mol], reference: Sequence[str] | None) -> dict[str, float]:
    """Mean heavy atoms, MW, rings and aromatic rings of ``mols`` and of (a seeded draw of) the reference's molecules."""
    result = {key: _property_mean(name, mols) for key, name in SIZE_MEANS.items()}
    if reference:
        chosen = reference
        if len(reference) > SIZE_REFERENCE_SAMPLE:
            picks = np.random.default_rng(0).choice(len(reference), SIZE_REFERENCE_SAMPLE, replace=False)
            chosen = [reference[i] for i in np.sort(picks)]
        ref_mols = [m for m in map(to_mol, chosen) if m is not None]
        result.update({f"reference_{key}": _property_mean(name, ref_mols) for key, name in SIZE_MEANS.items()})
    return result


def reference_of(
    reference: str | Path | Sequence[str] | None, model: str | Path | None = None
) -> tuple[list[str] | None, str | None]:
    """The reference molecules of novelty and FCD and what they are, the one rule of ``evaluate`` (CLI
    and API): ``reference`` (a data set name, a file or a list of SMILES), else the training data of
    ``model`` (a shipped name or a checkpoint, as its checkpoint records it), else ``(None, None)``."""
    if reference is None and model is not None:
        from molgan.pretrained import training_data

        reference = training_data(model)
        try:
            return load_reference(reference), f"{reference} (the training data of {model})"
        except InputError as exc:
            raise InputError(f"the training data of {model}, {reference}, cannot be read ({exc}); give --reference") from None
    if reference is None:
        return None, None
    if isinstance(reference, (str, Path)):
        return load_reference(reference), str(reference)
    return list(reference), "the given SMILES"


# --- reading generated SMILES ----------------------------------------------------------------------

_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_LINE_FORMATS = (".smi", ".smiles", ".txt")


MAX_LINE_CHARS = 100_000  # a longer entry is not a molecule: it counts as an invalid sample


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(_TolerantGzip(path), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


class _TolerantGzip(io.RawIOBase):
    """A gzip stream that ends quietly where a truncated file ends (the rows before it are kept)."""

    def __init__(self, path: Path) -> None:
        self._inner = gzip.open(path, "rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._inner.read(len(buffer))
        except EOFError:
            return 0
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def read_generated(
    path: str | Path, smiles_column: str | None = None, *, delimiter: str | None = None
) -> list[str | None]:
    """Every generated sample of a file, in order: its SMILES, or ``None`` where the cell is empty.

    Unlike a data-set reader this drops nothing that stands for a sample, since an unparsable or
    empty entry counts against validity. ``.csv`` / ``.tsv`` need a header with a ``smiles``
    column (matched case-insensitively; or ``smiles_column``), and an empty cell is an invalid
    sample. ``.smi`` / ``.smiles`` / ``.txt`` take the first whitespace-separated field of each
    non-blank line (blank lines are not samples); a first line naming a ``smiles`` column is a
    header. A table's delimiter is sniffed from its header line unless ``delimiter`` forces it
    (:func:`molgan.data.readers.parse_delimiter`). Each may be gzipped (``.csv.gz``). SD files and ``-`` (standard input, format sniffed)
    are read by :func:`molgan.data.readers.iter_records`: one sample per record, an unreadable one
    ``None``. Raises :class:`~molgan.errors.InputError` for a missing file, an unknown format or a
    missing column.
    """
    from molgan.data.readers import SDF_SUFFIXES, is_stdin, iter_records, parse_delimiter

    forced = parse_delimiter(delimiter)
    path = Path(path)
    suffix = Path(path.stem).suffix.lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    if is_stdin(path) or (suffix in SDF_SUFFIXES and path.is_file()):
        return [record.smiles or None for record in iter_records(path, smiles_column, delimiter=forced)]
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    want = (smiles_column or "smiles").lower()
    try:
        with _open_text(path) as f:
            if suffix in _DELIMITERS:
                return _read_table(f, forced, _DELIMITERS[suffix], want, path)
            if suffix in _LINE_FORMATS:
                return _read_lines(f, want)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    known = ", ".join(sorted((*_DELIMITERS, *_LINE_FORMATS)))
    raise InputError(f"{path}: unknown format {suffix or '(no extension)'!r}; use {known} (optionally .gz)")


def _read_table(f, forced: str | None, default: str, want: str, path: Path) -> list[str | None]:
    from molgan.data.readers import sniff_delimiter

    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))  # huge cells become invalid samples
    first = f.readline()
    delimiter = forced or sniff_delimiter(first, default)
    reader = csv.reader(itertools.chain([first], f) if first else f, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return []
    lowered = [h.strip().lower() for h in header]
    if want not in lowered:
        raise InputError(f"{path}: no {want!r} column; columns are {header}")
    col = lowered.index(want)
    out: list[str | None] = []
    for row in reader:
        if not row and len(header) > 1:
            continue  # a blank line is not a sample (with one column it is an empty cell)
        cell = row[col].strip() if col < len(row) else ""
        out.append(cell if cell and len(cell) <= MAX_LINE_CHARS else None)
    return out


def _read_lines(f, want: str) -> list[str | None]:
    out: list[str | None] = []
    col = 0
    first = True
    for line in f:
        fields = line.split()
        if not fields:
            continue
        if first:
            first = False
            lowered = [x.lower() for x in fields]
            if want in lowered:  # a header line
                col = lowered.index(want)
                continue
        entry = fields[col] if col < len(fields) else None
        out.append(entry if entry and len(entry) <= MAX_LINE_CHARS else None)
    return out


def load_reference(reference: str | Path) -> CanonicalSmiles:
    """The reference molecules of novelty and FCD, as canonical SMILES of the valid ones, in order.

    The one rule, for ``evaluate``, ``screen --novel-against`` and the API alike: a data set name
    (``qm9``, ``moses-sample``, ``moses``) stands for the *training split* of that data set (as
    :func:`molgan.data.datasets.load_dataset` builds it); anything else is a file of molecules read by
    :func:`molgan.data.readers.iter_molecules` (SMILES, CSV/TSV with a ``smiles`` column, SDF; ``.gz``
    too). An existing path wins over a data-set name. Valid means as in :func:`validity`.
    """
    from molgan.data.readers import iter_molecules

    reference = str(reference)
    path = Path(reference).expanduser()
    if path.exists() or path.suffix or "/" in reference or "\\" in reference:
        if not path.is_file():
            raise InputError(f"reference {path}: no such file (or give a data set name such as qm9)")
        smiles = CanonicalSmiles(canonical_valid(text for text, _, _ in iter_molecules(path)))
        if not smiles:
            raise InputError(f"reference {path}: no valid SMILES")
        return smiles
    try:
        from molgan.data.datasets import load_dataset  # another module; imported only when a name is used
    except ImportError as exc:
        raise InputError(f"reference {reference!r}: named data sets are not available ({exc})") from None
    try:
        dataset = load_dataset(reference)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise InputError(f"reference {reference!r}: no such file or data set (data sets: qm9, moses-sample, moses): {exc}") from None
    # A data set keeps canonical SMILES of valid single-fragment molecules only (molgan.data.featurize
    # checks each graph's round trip): no second canonicalisation.
    return CanonicalSmiles(dataset.smiles[int(i)] for i in dataset.split("train"))

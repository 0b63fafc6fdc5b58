"""The MOSES benchmark metrics (Polykovskiy et al. 2020) with MOSES's own definitions.

:func:`moses_metrics` returns what ``moses.get_all_metrics`` returns, under the same keys:

- ``valid``: fraction of entries RDKit parses and sanitizes (several fragments allowed, as in MOSES).
- ``unique@k``: distinct canonical SMILES among the first ``k`` valid ones / their number (all
  valid ones, with a warning, when fewer than ``k`` are valid).
- ``FCD/<set>``: Fréchet ChemNet Distance between the canonical valid SMILES and the set.
- ``SNN/<set>``: mean over the valid molecules of the largest Tanimoto similarity to a molecule of
  the set (Morgan fingerprints, radius 2, 1024 bits).
- ``Frag/<set>``, ``Scaf/<set>``: cosine similarity of the counts of BRICS fragments / of Bemis-Murcko
  scaffolds with at least 2 rings, generated vs set.
- ``IntDiv``, ``IntDiv2``: ``1 - mean_i (mean_j T(i, j)^p)^(1/p)`` over all pairs of valid molecules
  (``j = i`` and duplicates included), ``p`` = 1 and 2.
- ``Filters``: fraction of the valid molecules that pass MOSES's MCF and PAINS filters, have only
  C, N, S, O, F, Cl, Br, H atoms, no charge and no ring of 8 or more atoms.
- ``logP``, ``SA``, ``QED``, ``weight``: Wasserstein-1 distance of the property's distribution
  over the valid molecules to the test set's.
- ``Novelty``: fraction of the distinct canonical valid SMILES that are not in the MOSES training set.

"Canonical" is RDKit's ``MolToSmiles`` with its defaults (stereo kept), as in MOSES; the valid
molecules keep their duplicates everywhere except in ``unique@k`` and ``Novelty``. ``<set>`` is
``Test`` (the MOSES test set) or ``TestSF`` (the scaffold test set). What the metrics need of the
test sets, apart from fingerprints, ships in ``datasets/moses/`` (built by ``python -m
molgan.data.build moses-metrics``); SNN fingerprints and the training set for ``Novelty`` are read
from the ``molsets`` package's data files (fingerprints cached in ``$MOLGAN_CACHE_DIR/moses``).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem, rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgan.chem import properties
from molgan.data.atomic import atomic_file
from molgan.errors import InputError
from molgan.evaluation.fcd import FCDStats, compute_stats, frechet_distance

RDLogger.DisableLog("rdApp.*")

Mol = Chem.Mol

#: The reference sets, by the suffix MOSES gives their metrics.
SETS = {"Test": "test", "TestSF": "test_scaffolds"}

#: ``unique@k`` sizes MOSES reports.
UNIQUE_AT = (1000, 10000)

#: W1 property key -> property of :data:`molgan.chem.properties.PROPERTIES` (MOSES's functions).
W1_PROPERTIES = {"logP": "logp", "SA": "sa", "QED": "qed", "weight": "mw"}

#: Atoms a molecule may have to pass ``Filters``.
FILTER_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})

#: Bump when anything that changes the shipped or cached statistics changes.
STATS_VERSION = "molgan-moses-1"

MOSES_PIP = "pip install --no-deps molsets"



class FewMoleculesWarning(UserWarning):
    """``unique@k`` was asked for with fewer than ``k`` valid molecules (MOSES warns too)."""


_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
_BLOCK = 4096  # rows of a Tanimoto block: 4096 x 4096 float32 = 64 MB


# --- one molecule ----------------------------------------------------------------------------------


def get_mol(smiles: str | None) -> Mol | None:
    """The sanitized molecule of ``smiles`` (MOSES ``get_mol``), ``None`` if empty or invalid."""
    if not smiles:
        return None
    return Chem.MolFromSmiles(smiles)


def fragments(mol: Mol) -> list[str]:
    """SMILES of the BRICS fragments of ``mol`` (MOSES ``fragmenter``)."""
    return Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split(".")


def scaffold(mol: Mol, min_rings: int = 2) -> str | None:
    """Canonical SMILES of the Bemis-Murcko scaffold of ``mol`` if it has ``min_rings`` rings, else ``None``."""
    try:
        core = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    smiles = Chem.MolToSmiles(core)
    if not smiles or core.GetRingInfo().NumRings() < min_rings:
        return None
    return smiles


@lru_cache(maxsize=1)
def _filters() -> tuple[Mol, ...]:
    """MOSES's MCF and PAINS SMARTS (``mcf.csv``, ``wehi_pains.csv``, bundled from ``molsets``)."""
    from molgan.data.datasets import bundled_file

    patterns = []
    with open(bundled_file("moses/mcf.csv"), newline="", encoding="utf-8") as f:
        patterns += [row["smarts"].strip() for row in csv.DictReader(f)]
    with open(bundled_file("moses/wehi_pains.csv"), newline="", encoding="utf-8") as f:
        patterns += [row[0].strip() for row in csv.reader(f) if row]
    return tuple(Chem.MolFromSmarts(p) for p in patterns)


def passes_filters(mol: Mol) -> bool:
    """MOSES ``mol_passes_filters``: no ring of >= 8 atoms, no charge, allowed atoms, no MCF/PAINS match."""
    if any(len(ring) >= 8 for ring in mol.GetRingInfo().AtomRings()):
        return False
    atoms = mol.GetAtoms()
    if any(a.GetFormalCharge() != 0 for a in atoms) or any(a.GetSymbol() not in FILTER_ATOMS for a in atoms):
        return False
    with_h = Chem.AddHs(mol)
    if any(with_h.HasSubstructMatch(p) for p in _filters()):
        return False
    smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smiles) and Chem.MolFromSmiles(smiles) is not None


# --- fingerprints and Tanimoto ---------------------------------------------------------------------


def packed_fingerprints(mols: Sequence[Mol]) -> np.ndarray:
    """Morgan fingerprints (radius 2, 1024 bits) of ``mols`` as packed bits, ``uint8 [n, 128]``."""
    bits = np.zeros((len(mols), 1024), dtype=np.uint8)
    for i, mol in enumerate(mols):
        DataStructs.ConvertToNumpyArray(_MORGAN.GetFingerprint(mol), bits[i])
    return np.packbits(bits, axis=1)


def _blocks(packed: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(start, bits float32 [b, 1024], popcounts [b])`` for blocks of rows of packed fingerprints."""
    for start in range(0, len(packed), _BLOCK):
        bits = np.unpackbits(packed[start : start + _BLOCK], axis=1).astype(np.float32)
        yield start, bits, bits.sum(axis=1)


def _tanimoto(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Tanimoto ``[len(a), len(b)]`` of two blocks; 1 where both fingerprints are empty (as MOSES)."""
    both = (a[0] @ b[0].T).astype(np.float64)  # exact: sums of at most 1024 ones
    union = a[1][:, None] + b[1][None, :] - both
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = both / union
    sim[union == 0] = 1.0
    return sim


def nearest_similarity(gen: np.ndarray, ref: np.ndarray) -> float:
    """Mean over ``gen`` of the largest Tanimoto similarity to ``ref`` (packed fingerprints; MOSES SNN)."""
    if len(gen) == 0 or len(ref) == 0:
        return math.nan
    best = np.zeros(len(gen))
    for i, g_bits, g_count in _blocks(gen):
        for _, r_bits, r_count in _blocks(ref):
            sim = _tanimoto((g_bits, g_count), (r_bits, r_count))
            np.maximum(best[i : i + len(g_bits)], sim.max(axis=1), out=best[i : i + len(g_bits)])
    return float(best.mean())


def internal_diversity(fps: np.ndarray, ps: Sequence[int] = (1, 2)) -> dict[int, float]:
    """MOSES IntDiv_p over packed fingerprints, for each ``p`` in ``ps`` (one pass over all pairs):
    ``1 - mean_i (mean_j T(i, j)^p)^(1/p)``."""
    if len(fps) == 0:
        return {p: math.nan for p in ps}
    sums = {p: np.zeros(len(fps)) for p in ps}
    for i, a_bits, a_count in _blocks(fps):
        for _, b_bits, b_count in _blocks(fps):
            sim = _tanimoto((a_bits, a_count), (b_bits, b_count))
            for p, row in sums.items():
                row[i : i + len(a_bits)] += (sim**p).sum(axis=1)
    return {p: float(1.0 - np.mean((row / len(fps)) ** (1.0 / p))) for p, row in sums.items()}


# --- distribution comparisons ----------------------------------------------------------------------


def cosine_similarity(ref: dict[str, int], gen: dict[str, int]) -> float:
    """Cosine similarity of two count vectors given as ``{key: count}`` (NaN if either is empty)."""
    if not ref or not gen:
        return math.nan
    dot = sum(count * ref.get(key, 0) for key, count in gen.items())
    norms = math.sqrt(sum(c * c for c in ref.values())) * math.sqrt(sum(c * c for c in gen.values()))
    return dot / norms


def wasserstein1(u: np.ndarray, v: np.ndarray) -> float:
    """Wasserstein-1 distance of two empirical distributions (``scipy.stats.wasserstein_distance``)."""
    if len(u) == 0 or len(v) == 0:
        return math.nan
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(u, v))


def property_values(name: str, mols: Sequence[Mol]) -> np.ndarray:
    """Finite values of a :data:`W1_PROPERTIES` property over ``mols``."""
    values = properties.PROPERTIES[W1_PROPERTIES[name]](mols)
    return values[np.isfinite(values)]


# --- a reference set -------------------------------------------------------------------------------


@dataclass
class Reference:
    """What the metrics need of one reference set.

    ``fcd`` are ChemNet statistics, ``fragments`` / ``scaffolds`` counts, ``properties`` the
    :data:`W1_PROPERTIES` values (only the test set needs them), ``fingerprints`` packed Morgan bits
    (or a function that makes them when SNN first needs them).
    """

    fcd: FCDStats
    fragments: dict[str, int]
    scaffolds: dict[str, int]
    properties: dict[str, np.ndarray] = field(default_factory=dict)
    fingerprints: np.ndarray | Callable[[], np.ndarray] | None = None

    @classmethod
    def from_smiles(cls, smiles: Sequence[str], *, with_properties: bool = True, **fcd_kwargs) -> Reference:
        """Compute everything from the SMILES of a set (invalid ones are dropped; SMILES enter ChemNet as given)."""
        kept = [(s, m) for s, m in ((s, get_mol(s)) for s in smiles) if m is not None]
        if len(kept) < 2:
            raise InputError(f"a MOSES reference needs at least 2 valid molecules, got {len(kept)}")
        mols = [m for _, m in kept]
        return cls(
            fcd=compute_stats([s for s, _ in kept], **fcd_kwargs),
            fragments=dict(Counter(f for m in mols for f in fragments(m))),
            scaffolds=_scaffold_counts(mols),
            properties={k: property_values(k, mols) for k in W1_PROPERTIES} if with_properties else {},
            fingerprints=packed_fingerprints(mols),
        )

    def packed_fingerprints(self) -> np.ndarray:
        """The packed fingerprints, made (and kept) on first use."""
        if callable(self.fingerprints):
            self.fingerprints = self.fingerprints()
        if self.fingerprints is None:
            raise InputError("this reference set has no fingerprints for SNN")
        return self.fingerprints

    def save(self, stem: str | os.PathLike) -> None:
        """Write ``<stem>.npz`` (statistics, float32, no pickle) and ``<stem>.json.gz`` (counts)."""
        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"property_{k}": np.sort(v).astype(np.float32) for k, v in self.properties.items()}
        with atomic_file(stem.with_suffix(".npz")) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                fcd_mu=self.fcd.mu.astype(np.float32),
                fcd_sigma=self.fcd.sigma.astype(np.float32),
                n=np.int64(self.fcd.n),
                version=np.str_(STATS_VERSION),
                **arrays,
            )
        counts = {"version": STATS_VERSION, "fragments": self.fragments, "scaffolds": self.scaffolds}
        text = json.dumps(counts, sort_keys=True, separators=(",", ":")).encode("utf-8")
        with atomic_file(stem.with_suffix(".json.gz")) as tmp, open(tmp, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as gz:
            gz.write(text)

    @classmethod
    def load(cls, stem: str | os.PathLike, fingerprints=None) -> Reference:
        """Read what :meth:`save` wrote; ``ValueError`` if it is from another version."""
        stem = Path(stem)
        with np.load(stem.with_suffix(".npz"), allow_pickle=False) as data:
            if str(data["version"]) != STATS_VERSION:
                raise ValueError(f"{stem}: statistics version {data['version']}, expected {STATS_VERSION}")
            fcd = FCDStats(
                mu=data["fcd_mu"].astype(np.float64), sigma=data["fcd_sigma"].astype(np.float64), n=int(data["n"])
            )
            props = {k: data[f"property_{k}"].astype(np.float64) for k in W1_PROPERTIES if f"property_{k}" in data}
        with gzip.open(stem.with_suffix(".json.gz"), "rt", encoding="utf-8") as f:
            counts = json.load(f)
        return cls(fcd, counts["fragments"], counts["scaffolds"], props, fingerprints)


def _scaffold_counts(mols: Sequence[Mol]) -> dict[str, int]:
    counts = Counter(scaffold(m) for m in mols)
    counts.pop(None, None)
    return dict(counts)


# --- the MOSES data files --------------------------------------------------------------------------


def moses_data_file(split: str) -> Path:
    """``moses/dataset/data/<split>.csv.gz`` of the installed ``molsets`` package."""
    from molgan.data.datasets import package_dir

    path = package_dir("moses", MOSES_PIP) / "dataset" / "data" / f"{split}.csv.gz"
    if not path.is_file():
        raise InputError(f"{path} is missing; run: {MOSES_PIP} --force-reinstall")
    return path


def moses_smiles(split: str) -> list[str]:
    """The SMILES of a MOSES split (``train``, ``test``, ``test_scaffolds``) as MOSES gives them."""
    with gzip.open(moses_data_file(split), "rt", newline="", encoding="utf-8") as f:
        return [row["SMILES"].strip() for row in csv.DictReader(f)]


def _cache_dir() -> Path:
    from molgan.data.datasets import default_cache_dir

    return default_cache_dir() / "moses"


def cached_fingerprints(split: str) -> np.ndarray:
    """Packed fingerprints of a MOSES split, from ``$MOLGAN_CACHE_DIR/moses`` or computed and cached."""
    source = moses_data_file(split)
    path = _cache_dir() / f"{split}_fps_{STATS_VERSION}_{source.stat().st_size}.npy"
    if path.is_file():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            pass  # corrupt: recompute
    mols = [m for m in (get_mol(s) for s in moses_smiles(split)) if m is not None]
    fps = packed_fingerprints(mols)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp, open(tmp, "wb") as f:
            np.save(f, fps, allow_pickle=False)
    except OSError:
        pass  # read-only cache: the result is still right, only not cached
    return fps


@lru_cache(maxsize=len(SETS))
def bundled_reference(split: str) -> Reference:
    """The shipped statistics of a MOSES test split; its fingerprints come from ``molsets`` on first use."""
    from molgan.data.datasets import bundled_file

    stem = bundled_file(f"moses/{split}.npz").with_suffix("")
    return Reference.load(stem, fingerprints=lambda: cached_fingerprints(split))


@lru_cache(maxsize=1)
def moses_train() -> frozenset[str]:
    """The MOSES training SMILES as MOSES compares them (``set(train)``, strings as given)."""
    return frozenset(moses_smiles("train"))


# --- all metrics -----------------------------------------------------------------------------------


def _as_reference(
    ref: Sequence[str] | Reference | None, split: str, *, with_properties: bool = True, **fcd_kwargs
) -> Reference:
    if ref is None:
        return bundled_reference(split)
    if isinstance(ref, Reference):
        return ref
    return Reference.from_smiles(list(ref), with_properties=with_properties, **fcd_kwargs)


def moses_metrics(
    smiles: Sequence[str | None],
    *,
    test: Sequence[str] | Reference | None = None,
    test_scaffolds: Sequence[str] | Reference | None = None,
    train: Sequence[str] | None = None,
    k: Sequence[int] = UNIQUE_AT,
    n_jobs: int = 1,
    device: str | None = "cpu",
) -> dict[str, float]:
    """MOSES's ``get_all_metrics`` of generated SMILES (``None`` / ``""`` are invalid samples).

    ``test``, ``test_scaffolds`` (SMILES or a :class:`Reference`) and ``train`` (SMILES) default
    to the MOSES sets; the W1 distances are to ``test``. ``n_jobs`` and ``device`` go to ChemNet.
    Raises :class:`~molgan.errors.InputError` if a default set is needed and ``molsets`` is missing.
    """
    if test is None or test_scaffolds is None or train is None:
        moses_data_file("train")  # fail before the slow part if molsets is missing
    smiles = list(smiles)
    fcd_kwargs = {"n_jobs": n_jobs, "device": device}
    mols_all = [get_mol(s) for s in smiles]
    gen = [Chem.MolToSmiles(m) for m in mols_all if m is not None]  # MOSES remove_invalid(canonize=True)
    mols = [Chem.MolFromSmiles(s) for s in gen]
    result: dict[str, float] = {"valid": len(gen) / len(smiles) if smiles else math.nan}
    for size in k:
        if len(gen) < size:
            warnings.warn(f"unique@{size}: only {len(gen)} valid molecules", FewMoleculesWarning, stacklevel=2)
        first = gen[:size]
        result[f"unique@{size}"] = len(set(first)) / len(first) if first else math.nan

    references = {
        "Test": _as_reference(test, "test", **fcd_kwargs),
        "TestSF": _as_reference(test_scaffolds, "test_scaffolds", with_properties=False, **fcd_kwargs),
    }
    gen_fcd = compute_stats(gen, **fcd_kwargs) if len(gen) >= 2 else None
    gen_fps = packed_fingerprints(mols)
    gen_fragments = dict(Counter(f for m in mols for f in fragments(m)))
    gen_scaffolds = _scaffold_counts(mols)
    for name, ref in references.items():  # MOSES's order: FCD, SNN, Frag, Scaf for each set
        result[f"FCD/{name}"] = math.nan if gen_fcd is None else frechet_distance(gen_fcd, ref.fcd)
        result[f"SNN/{name}"] = nearest_similarity(gen_fps, ref.packed_fingerprints())
        result[f"Frag/{name}"] = cosine_similarity(ref.fragments, gen_fragments)
        result[f"Scaf/{name}"] = cosine_similarity(ref.scaffolds, gen_scaffolds)
    diversity = internal_diversity(gen_fps, (1, 2))
    result["IntDiv"], result["IntDiv2"] = diversity[1], diversity[2]
    result["Filters"] = float(np.mean([passes_filters(m) for m in mols])) if mols else math.nan
    for prop in W1_PROPERTIES:
        result[prop] = wasserstein1(references["Test"].properties[prop], property_values(prop, mols))
    train_set = moses_train() if train is None else frozenset(train)
    unique = set(gen)
    result["Novelty"] = len(unique - train_set) / len(unique) if unique else math.nan
    return result

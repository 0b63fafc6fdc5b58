"""Data sets: molecules read, cleaned, encoded into graph arrays, split, and cached.

:func:`load_dataset` turns a source (``"qm9"``, ``"moses"``, ``"moses-sample"`` or a file path) into
a :class:`MolDataset`: canonical SMILES (no stereo, no duplicates), ``nodes [M, N]`` uint8, the
bonds kept packed (:class:`~molgan.data.packed.PackedAdjacency`: ``adj[index]`` densifies the
selected graphs), the vocabulary, a seeded train/valid/test split, and a :class:`LoadReport` that
counts every molecule dropped on the way and why. A molecule is kept only if the vocabulary
represents it *exactly*: decoding its graph gives back the same canonical SMILES.

Encoding runs on worker processes (:mod:`molgan.data.featurize`). The arrays are cached
(``np.savez`` + JSON metadata, never pickle) under ``$MOLGAN_CACHE_DIR`` or ``~/.cache/molgan``,
keyed by the source file's content and every option that changes the result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import importlib.util
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rdkit

from molgan.errors import InputError, NothingUsableError
from molgan.data.atomic import atomic_file
from molgan.data.featurize import featurize
from molgan.data.packed import PackedAdjacency, num_pairs
from molgan.data.readers import parse_delimiter
from molgan.chem.vocab import BOND_REPRESENTATIONS, QM9_VOCABULARY, Vocabulary
from molgan.jobs import resolve_jobs

#: Bump when the cached content or its meaning changes (2: bonds packed, ``bonds [M, N(N-1)/2]``).
CACHE_FORMAT = 2
SPLITS = ("train", "valid", "test")
FRAGMENT_POLICIES = ("skip", "largest")
#: Bundled files (in ``datasets/``, or ``molgan/_datasets`` of an installed wheel).
BUNDLED = {"qm9": "qm9.csv.gz", "moses-sample": "moses_sample.csv.gz"}
#: The named data sets (their content never depends on the guards for user files below).
NAMED = ("qm9", "moses-sample", "moses")
#: A user file with an inferred vocabulary and no ``max_atoms`` is sized at this quantile of its
#: molecules' heavy-atom counts: one 200-atom outlier cannot make the generator 200 atoms wide.
MAX_ATOMS_QUANTILE = 0.999
#: Fewer molecules than this make a data set tiny for a GAN (:func:`dataset_warnings` says so).
TINY_DATA_SET = 1_000
MOSES_PIP = "pip install --no-deps molsets"
_HASH_BYTES_UP_TO = 256 * 2**20  # larger files are identified by path, size and mtime


@dataclass
class LoadReport:
    """What happened to the molecules of a source on their way into a :class:`MolDataset`.

    ``n_read`` records seen, ``n_valid`` parsed by RDKit, ``n_representable`` encoded by the
    vocabulary (after de-duplication), ``n_roundtrip_exact`` decoded back to the same canonical
    SMILES, ``n_kept`` in the data set. ``skipped`` maps a reason to a count; ``fragments_reduced``
    and ``truncated_file`` are notes, not drops.
    """

    source: str
    n_read: int = 0
    n_valid: int = 0
    n_representable: int = 0
    n_roundtrip_exact: int = 0
    n_kept: int = 0
    max_atoms: int = 0
    atom_types: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    size_quantile: float | None = None  # max_atoms was set at this quantile of the molecules' sizes

    @property
    def roundtrip_exactness(self) -> float:
        """Fraction of the representable molecules that decode back exactly."""
        return self.n_roundtrip_exact / self.n_representable if self.n_representable else 0.0

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["roundtrip_exactness"] = round(self.roundtrip_exactness, 6)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> LoadReport:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class MolDataset:
    """Encoded molecules: ``smiles[i]`` is the canonical SMILES of graph ``nodes[i]``, ``adj[i]``.

    ``nodes``: ``[M, N]`` uint8 node-type indices, ``N = vocab.max_atoms``; ``adj``: the ``[M, N, N]``
    uint8 bond-type indices, kept packed: ``adj[index]`` gives dense matrices of the selected
    molecules only, ``adj.take(index)`` a packed subset. ``splits`` maps ``train``/``valid``/``test``
    to sorted index arrays.
    """

    smiles: list[str]
    nodes: np.ndarray
    adj: PackedAdjacency
    vocab: Vocabulary
    report: LoadReport
    splits: dict[str, np.ndarray]
    cache_file: Path | None = None

    def __len__(self) -> int:
        return len(self.smiles)

    def split(self, name: str) -> np.ndarray:
        """Indices of the ``train``, ``valid`` or ``test`` molecules."""
        if name not in self.splits:
            raise KeyError(f"unknown split {name!r}; use one of {list(self.splits)}")
        return self.splits[name]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.splits.items())
        return f"MolDataset({self.report.source!r}, n={len(self)}, max_atoms={self.vocab.max_atoms}, {sizes})"


def load_dataset(
    source: str | Path,
    *,
    vocab: Vocabulary | None = None,
    max_atoms: int | None = None,
    smiles_column: str | None = None,
    fragments: str = "skip",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    split_seed: int = 0,
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    jobs: int = 0,
    shipped: bool = True,
    delimiter: str | None = None,
    bonds: str = "kekule",
) -> MolDataset:
    """Load ``"qm9"``, ``"moses"``, ``"moses-sample"`` or a molecule file (see :mod:`molgan.data.readers`).

    ``vocab`` defaults to :data:`~molgan.chem.vocab.QM9_VOCABULARY` for QM9 and is inferred from the
    molecules otherwise; ``max_atoms`` overrides its size (larger molecules are skipped as
    ``too_many_atoms``). ``fragments``: ``"skip"`` several-fragment molecules or keep the
    ``"largest"`` fragment. With ``cache=True`` the encoded arrays are reused when the source file
    and the options are unchanged. ``jobs`` processes encode a file of more than one chunk
    (0 or -1: all cores). ``shipped=False`` encodes a bundled data set even where its encoded graphs
    are shipped (``datasets/graphs``; they are read only when every option matches).
    ``delimiter`` forces the delimiter of a table file (default: sniffed).
    A file (not a named data set) with an inferred vocabulary and no ``max_atoms`` gets
    ``max_atoms`` at the :data:`MAX_ATOMS_QUANTILE` of its molecules' heavy-atom counts (larger
    ones are skipped as ``too_many_atoms``; ``report.size_quantile`` says so).
    ``bonds="aromatic"`` keeps RDKit's aromatic bonds as a bond type of their own (and ``[nH]``-like
    atoms as atom types) instead of kekulizing; the vocabulary, stored in every checkpoint, carries
    the choice (QM9's fixed vocabulary is then inferred from the molecules like any other).
    """
    if fragments not in FRAGMENT_POLICIES:
        raise InputError(f"fragments must be one of {FRAGMENT_POLICIES}, got {fragments!r}")
    if bonds not in BOND_REPRESENTATIONS:
        raise InputError(f"bonds must be one of {tuple(BOND_REPRESENTATIONS)}, got {bonds!r}")
    fractions = _check_fractions(split_fractions)
    jobs = resolve_jobs(jobs, "jobs")
    if max_atoms is not None and max_atoms < 1:
        raise InputError(f"max_atoms must be >= 1, got {max_atoms}")
    delimiter = parse_delimiter(delimiter)
    path, column, default_vocab = resolve_source(source)
    column = smiles_column or column
    if vocab is not None and vocab.bonds != bonds:
        raise InputError(f"the vocabulary's bonds are {vocab.bonds!r}, not {bonds!r}")
    vocab = vocab or (default_vocab if bonds == "kekule" else None)
    if vocab is not None and max_atoms is not None:
        vocab = dataclasses.replace(vocab, max_atoms=max_atoms)

    options = {
        "format": CACHE_FORMAT,
        "rdkit": rdkit.__version__,
        "source": _file_identity(path),
        "smiles_column": column,
        "vocab": vocab.to_dict() if vocab is not None else None,
        "max_atoms": max_atoms,
        "fragments": fragments,
    }
    if delimiter is not None:  # only then: the cache keys of existing data sets stay as they were
        options["delimiter"] = delimiter
    if bonds != "kekule":  # likewise
        options["bonds"] = bonds
    size_quantile = MAX_ATOMS_QUANTILE if str(source) not in NAMED and vocab is None and max_atoms is None else None
    if size_quantile is not None:
        options["size_quantile"] = size_quantile
    stem = None
    if cache:
        key = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:24]
        stem = _cache_root(cache_dir) / f"{_safe_name(str(source))}-{key}"
        cached = _read_cache(stem, options) or (_read_shipped_graphs(stem.name, options) if shipped else None)
        if cached is not None:
            smiles, nodes, bonds, cached_vocab, report = cached
            splits = _cached_split(stem, len(smiles), split_seed, fractions)
            adj = PackedAdjacency(bonds, cached_vocab.max_atoms)
            return MolDataset(smiles, nodes, adj, cached_vocab, report, splits, stem.with_suffix(".npz"))

    smiles, nodes, bonds, vocab, report = _featurize(
        path, str(source), column, vocab, max_atoms, fragments, jobs, delimiter, size_quantile, bonds
    )
    splits = make_split(len(smiles), split_seed, fractions)
    if stem is not None and _write_cache(stem, options, smiles, nodes, bonds, vocab, report):
        _write_split(stem, split_seed, fractions, splits)
    adj = PackedAdjacency(bonds, vocab.max_atoms)
    return MolDataset(smiles, nodes, adj, vocab, report, splits, None if stem is None else stem.with_suffix(".npz"))


class DataSetWarning(UserWarning):
    """A data set is usable, but a user should know something before training on it."""


def dataset_warnings(dataset: MolDataset) -> list[str]:
    """What a user should know before training on ``dataset``: the size cap a file got, a tiny data
    set, an empty split (one line each; none for a healthy data set)."""
    report, lines = dataset.report, []
    dropped = report.skipped.get("too_many_atoms", 0)
    if report.size_quantile is not None and dropped:
        lines.append(
            f"max_atoms {report.max_atoms} (the {report.size_quantile * 100:g}th percentile of heavy atoms): "
            f"{dropped:,} larger molecules dropped; --max-atoms N chooses the size"
        )
    if len(dataset) < TINY_DATA_SET:
        lines.append(f"only {len(dataset):,} molecules: a GAN needs thousands (expect it to repeat its training set)")
    empty = [name for name in SPLITS if len(dataset.splits.get(name, ())) == 0]
    if empty:
        lines.append(f"the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty")
    return lines


def resolve_source(source: str | Path) -> tuple[Path, str | None, Vocabulary | None]:
    """``(file, smiles column, default vocabulary)`` of a data set name or a path."""
    name = str(source)
    if name == "qm9":
        return bundled_file(BUNDLED["qm9"]), "smiles", QM9_VOCABULARY
    if name == "moses-sample":
        return bundled_file(BUNDLED["moses-sample"]), "smiles", None
    if name == "moses":
        return moses_train_file(), "SMILES", None
    return Path(source), None, None


def bundled_file(name: str) -> Path:
    """A file of the bundled ``datasets/`` folder: from an installed wheel or from the repository."""
    try:
        packaged = importlib.resources.files("molgan") / "_datasets" / name
        if isinstance(packaged, Path) and packaged.is_file():
            return packaged
    except (ModuleNotFoundError, NotADirectoryError):
        pass
    repo = Path(__file__).resolve().parents[2] / "datasets" / name
    if repo.is_file():
        return repo
    raise InputError(f"bundled data file {name} not found (looked in molgan/_datasets and {repo.parent})")


def package_dir(name: str, pip_hint: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"package {name!r} is not installed; run: {pip_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def moses_train_file() -> Path:
    """The MOSES training set (``moses/dataset/data/train.csv.gz``) of the ``molsets`` package."""
    path = package_dir("moses", MOSES_PIP) / "dataset" / "data" / "train.csv.gz"
    if not path.is_file():
        raise InputError(f"{path} is missing; run: {MOSES_PIP} --force-reinstall")
    return path


def make_split(n: int, seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
    """Seeded random split of ``range(n)`` into sorted ``train``/``valid``/``test`` index arrays."""
    fractions = _check_fractions(fractions)
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_valid = min(int(round(fractions[1] * n)), n - n_train)
    bounds = (0, n_train, n_train + n_valid, n)
    return {name: np.sort(order[bounds[i] : bounds[i + 1]]).astype(np.int64) for i, name in enumerate(SPLITS)}


def default_cache_dir() -> Path:
    """``$MOLGAN_CACHE_DIR``, else ``~/.cache/molgan``."""
    env = os.environ.get("MOLGAN_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "molgan"


# --- featurization -----------------------------------------------------------------------------


def _featurize(
    path: Path,
    source: str,
    column: str | None,
    vocab: Vocabulary | None,
    max_atoms: int | None,
    fragments: str,
    jobs: int,
    delimiter: str | None = None,
    size_quantile: float | None = None,
    bonds: str = "kekule",
) -> tuple[list[str], np.ndarray, np.ndarray, Vocabulary, LoadReport]:
    done = featurize(
        path, source, column, fragments=fragments, vocab=vocab, max_atoms=max_atoms, jobs=jobs, delimiter=delimiter,
        size_quantile=size_quantile, bonds=bonds,
    )
    report = LoadReport(source=source, n_read=done.n_read, n_valid=done.n_valid, size_quantile=size_quantile)
    report.n_representable = done.n_representable
    report.max_atoms = done.vocab.max_atoms
    report.atom_types = done.vocab.atom_labels()
    report.n_roundtrip_exact = report.n_kept = len(done.smiles)
    report.skipped = {k: v for k, v in sorted(done.skipped.items()) if v}
    if not done.smiles:
        raise NothingUsableError(f"no molecule of {source} fits the vocabulary exactly; skipped: {report.skipped}")
    return done.smiles, done.nodes, done.bonds, done.vocab, report


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    values = tuple(float(f) for f in fractions)
    if len(values) != 3 or any(f < 0 for f in values) or abs(sum(values) - 1.0) > 1e-6:
        raise InputError(f"split_fractions must be three non-negative numbers summing to 1, got {list(fractions)}")
    return values  # type: ignore[return-value]


# --- cache -------------------------------------------------------------------------------------


def _cache_root(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else default_cache_dir()


def _safe_name(source: str) -> str:
    stem = Path(source).name.split(".")[0] or "data"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:40]


def _file_identity(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return str(path)  # the reader reports the missing file
    if stat.st_size > _HASH_BYTES_UP_TO:
        return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(2**20):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _read_cache(stem: Path, options: dict):
    """The cached ``(smiles, nodes, bonds, vocab, report)``, or ``None`` if absent, stale or damaged."""
    meta_path, data_path = stem.with_suffix(".json"), stem.with_suffix(".npz")
    if not meta_path.is_file() or not data_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("options") != options:
            return None
        vocab = Vocabulary.from_dict(meta["vocab"])
        report = LoadReport.from_dict(meta["report"])
        with np.load(data_path, allow_pickle=False) as data:
            nodes, bonds = data["nodes"], data["bonds"]
            smiles = data["smiles"].tobytes().decode("utf-8").split("\n")
        m, n = len(smiles), vocab.max_atoms
        if nodes.shape != (m, n) or bonds.shape != (m, num_pairs(n)) or m != report.n_kept:
            return None
        if nodes.dtype != np.uint8 or bonds.dtype != np.uint8:
            return None
        return smiles, nodes, bonds, vocab, report
    except Exception:  # any damage (truncated zip, bad JSON, missing key): rebuild
        return None


def _read_shipped_graphs(name: str, options: dict):
    """The encoded graphs shipped in ``datasets/graphs/<name>.npz`` (QM9), if their options match.

    The name carries the hash of the options (source file, vocabulary, RDKit version, format), so a
    different RDKit or featurizer simply misses and the data set is encoded as for any other file.
    """
    try:
        meta = bundled_file(f"graphs/{name}.json")
    except InputError:
        return None
    return _read_cache(meta.with_suffix(""), options)


def _write_cache(stem: Path, options: dict, smiles, nodes, bonds, vocab: Vocabulary, report: LoadReport) -> bool:
    meta = {"options": options, "vocab": vocab.to_dict(), "report": report.to_dict()}
    text = np.frombuffer("\n".join(smiles).encode("utf-8"), dtype=np.uint8)
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(stem.with_suffix(".npz"), lambda f: np.savez(f, nodes=nodes, bonds=bonds, smiles=text))
        _atomic_write(stem.with_suffix(".json"), lambda f: f.write(json.dumps(meta, indent=1).encode()))
    except OSError as exc:
        warnings.warn(f"could not write the data cache in {stem.parent}: {exc}", stacklevel=3)
        return False
    return True


def _split_path(stem: Path, seed: int, fractions: tuple[float, float, float]) -> Path:
    tag = hashlib.sha256(json.dumps([seed, fractions]).encode()).hexdigest()[:8]
    return stem.parent / f"{stem.name}.split-{seed}-{tag}.npz"


def _cached_split(stem: Path, n: int, seed: int, fractions: tuple[float, float, float]) -> dict[str, np.ndarray]:
    path = _split_path(stem, seed, fractions)
    try:
        with np.load(path, allow_pickle=False) as data:
            splits = {name: data[name] for name in SPLITS}
        if sum(len(v) for v in splits.values()) == n and all(v.max(initial=-1) < n for v in splits.values()):
            return splits
    except Exception:  # absent or damaged: make it again
        pass
    splits = make_split(n, seed, fractions)
    try:
        _write_split(stem, seed, fractions, splits)
    except OSError:
        pass
    return splits


def _write_split(stem: Path, seed: int, fractions, splits: dict[str, np.ndarray]) -> None:
    _atomic_write(_split_path(stem, seed, fractions), lambda f: np.savez(f, **splits))


def _atomic_write(path: Path, write) -> None:
    with atomic_file(path) as tmp, open(tmp, "wb") as handle:
        write(handle)

"""A molecule file -> canonical SMILES and compact graph arrays, encoded chunk by chunk in worker processes.

The main process reads SMILES texts (no parsing) in chunks of :data:`CHUNK`; each worker parses a
chunk, applies the fragment policy, takes canonical SMILES, encodes the molecules (canonical atom
order) and keeps those whose graph decodes back to the same canonical SMILES. The main process
drops duplicates (first occurrence kept) and streams the kept graphs into ``nodes [M, N]`` and
packed ``bonds [M, N(N-1)/2]`` uint8 arrays (:mod:`molgan.data.packed`): no list of RDKit molecules
and no dense adjacency of the whole set ever exists.

When the vocabulary is inferred, a worker encodes with the atom types and size of its own chunk;
the chunks are mapped onto the final vocabulary once the whole file is read.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molgan.chem.graphs import TOO_MANY_ATOMS, UNSUPPORTED_ATOM, EncodedGraphs, decode_graphs, encode_mols, to_smiles
from molgan.chem.mol import canonical_key, quiet_rdkit
from molgan.chem.vocab import BOND_REPRESENTATIONS, AtomType, Vocabulary, atom_key, sort_atom_types
from molgan.data.packed import num_pairs, pack_bonds, widen_bonds
from molgan.data.readers import ReadTally, iter_smiles_texts, parse_record
from molgan.errors import NothingUsableError
from molgan.jobs import process_context

#: SMILES per worker task.
CHUNK = 2_000  # 2,000 RDKit molecules take ~100 MB in a worker
ROUNDTRIP_MISMATCH = "roundtrip_mismatch"


@dataclass
class EncodedChunk:
    """One worker task's result: every parsed molecule's canonical SMILES and status, the kept graphs.

    ``status[i]`` is ``None`` (kept) or why molecule ``i`` was dropped; ``nodes [K, n]`` and
    ``bonds [K, n(n-1)/2]`` hold the kept ones in order, node types indexing ``atom_types``
    (1-based). With an inferred vocabulary, ``types_used`` are the atom types of the encoded
    molecules; ``largest`` is the size of the largest molecule within the atom limit.
    """

    canonical: list[str]
    status: list[str | None]
    nodes: np.ndarray
    bonds: np.ndarray
    atom_types: tuple[AtomType, ...]
    types_used: tuple[AtomType, ...]
    largest: int
    n_read: int
    skipped: dict[str, int]


@dataclass
class Featurized:
    """Kept canonical SMILES, ``nodes [M, N]``, packed ``bonds [M, N(N-1)/2]``, the vocabulary and the counts."""

    smiles: list[str]
    nodes: np.ndarray
    bonds: np.ndarray
    vocab: Vocabulary
    n_read: int
    n_valid: int
    n_representable: int
    skipped: Counter


def encode_chunk(
    texts: list[str], fragments: str, vocab: Vocabulary | None, max_atoms: int | None, bonds: str = "kekule"
) -> EncodedChunk:
    """Parse, canonicalize, encode and round-trip check one chunk of SMILES texts (a worker's task).

    ``bonds`` is the bond representation of an inferred vocabulary (a given one has its own)."""
    tally = ReadTally()
    mols, canonical = [], []
    with quiet_rdkit():
        for text in texts:
            mol = parse_record(text, fragments, tally)
            if mol is not None:
                mols.append(mol)
                canonical.append(canonical_key(mol))
    aromatic = vocab.aromatic if vocab is not None else bonds == "aromatic"
    # read before encoding kekulizes the molecules in place; aromatic graphs always take the round trip
    implied = None if aromatic else np.array([hydrogens_implied(m) for m in mols], dtype=bool)
    small = [m for m in mols if max_atoms is None or m.GetNumAtoms() <= max_atoms]
    largest = max((m.GetNumAtoms() for m in small), default=0)
    if vocab is None:
        local, encoded = _encode_inferred(mols, largest or max_atoms or 1, bonds)
        used = np.unique(encoded.nodes)
        types_used = tuple(local.atom_types[i - 1] for i in used[used > 0].tolist())
    else:
        local, encoded, types_used = vocab, encode_mols(mols, vocab, ordering="canonical", in_place=True), ()
    status = list(encoded.failures)
    ok = np.flatnonzero(encoded.ok)
    # a kekulé graph of neutral atoms whose hydrogens all come from RDKit's default valences decodes to the
    # same molecule (same atoms, bonds and implied hydrogens): only the others need the round trip
    check = ok if implied is None else ok[~implied[ok]]
    mismatched = {
        i for i, text in zip(check.tolist(), to_smiles(decode_graphs(encoded.nodes[check], encoded.adj[check], local)))
        if text != canonical[i]
    }
    exact = [i for i in ok.tolist() if i not in mismatched]
    for i in mismatched:
        status[i] = ROUNDTRIP_MISMATCH
    return EncodedChunk(
        canonical=canonical, status=status, nodes=encoded.nodes[exact], bonds=pack_bonds(encoded.adj[exact]),
        atom_types=local.atom_types, types_used=types_used, largest=largest, n_read=tally.n_read,
        skipped=dict(tally.skipped),
    )


def hydrogens_implied(mol) -> bool:
    """Whether every atom is neutral, without radicals, and gets all its hydrogens from RDKit's default valences
    (none written in the SMILES): its heavy-atom graph alone then gives the molecule back."""
    return all(
        not atom.GetNoImplicit() and atom.GetNumExplicitHs() == 0 and atom.GetFormalCharge() == 0
        and atom.GetNumRadicalElectrons() == 0
        for atom in map(mol.GetAtomWithIdx, range(mol.GetNumAtoms()))
    )


def featurize(
    path: Path, source: str, column: str | None, *, fragments: str, vocab: Vocabulary | None, max_atoms: int | None,
    jobs: int = 1, chunk: int = CHUNK, delimiter: str | None = None, size_quantile: float | None = None,
    bonds: str = "kekule",
) -> Featurized:
    """Read the records of ``path`` here and encode them on ``jobs`` processes.

    ``vocab=None`` infers the vocabulary (``max_atoms`` caps its size); the counts of the reader and
    of the workers are added up in ``Featurized``. ``delimiter`` forces a table's delimiter.
    ``size_quantile`` (with an inferred vocabulary and no ``max_atoms``) sizes the vocabulary at that
    quantile of the kept molecules' heavy-atom counts: larger ones are dropped as ``too_many_atoms``.
    ``bonds`` (``"kekule"`` or ``"aromatic"``) is the bond representation of an inferred vocabulary.
    """
    tally = ReadTally()
    texts = iter_smiles_texts(path, column, tally=tally, delimiter=delimiter)
    task = functools.partial(encode_chunk, fragments=fragments, vocab=vocab, max_atoms=max_atoms, bonds=bonds)
    seen: set[str] = set()
    kept: list[str] = []
    parts: list[tuple[np.ndarray, np.ndarray, tuple[AtomType, ...]]] = []
    types: set[AtomType] = set()
    largest = n_read = n_mols = n_representable = 0
    skipped: Counter = Counter()
    for result in ordered_map(task, _chunks(texts, chunk), jobs):
        n_read += result.n_read
        n_mols += len(result.canonical)
        skipped.update(result.skipped)
        types.update(result.types_used)
        largest = max(largest, result.largest)
        rows, row = [], 0
        for key, status in zip(result.canonical, result.status):
            if key in seen:
                skipped["duplicate"] += 1
            else:
                seen.add(key)
                if status is None:
                    kept.append(key)
                    rows.append(row)
                else:
                    skipped[status] += 1
                n_representable += status is None or status == ROUNDTRIP_MISMATCH
            row += status is None
        if rows:
            parts.append((result.nodes[rows], result.bonds[rows], result.atom_types))
        del result
    del seen
    n_read += tally.n_read
    skipped.update(tally.skipped)
    if n_mols == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "the file is empty"
        raise NothingUsableError(f"no usable molecule in {source} ({n_read} records read; {reasons})")
    if vocab is None:
        if not types:
            if not largest:
                raise NothingUsableError(f"no molecule of {source} has at most {max_atoms} atoms")
            reasons = dict(sorted(skipped.items()))
            raise NothingUsableError(f"no molecule of {source} could be encoded; skipped: {reasons}")
        if size_quantile is not None and max_atoms is None:
            largest, n_dropped = _cap_sizes(parts, kept, size_quantile, largest)
            if n_dropped:
                skipped[TOO_MANY_ATOMS] += n_dropped
                n_representable -= n_dropped
                types = _types_used(parts)  # an atom type only the dropped molecules had goes too
        vocab = Vocabulary(sort_atom_types(types), max_atoms or largest, BOND_REPRESENTATIONS[bonds])
    nodes, bonds = _assemble(parts, len(kept), vocab)
    n_valid = n_mols + skipped["several_fragments"]
    return Featurized(kept, nodes, bonds, vocab, n_read, n_valid, n_representable, skipped)


def _cap_sizes(parts: list, kept: list[str], quantile: float, largest: int) -> tuple[int, int]:
    """Drop (in place) the graphs of ``parts`` / ``kept`` larger than ``quantile`` of their atom counts;
    return the new largest size and the number dropped."""
    sizes = [np.count_nonzero(part_nodes, axis=1) for part_nodes, _, _ in parts]
    if not sizes:
        return largest, 0
    cap = int(np.quantile(np.concatenate(sizes), quantile, method="higher"))  # a size some molecule has
    if cap >= largest:
        return largest, 0
    keep = np.concatenate(sizes) <= cap
    kept[:] = [key for key, ok in zip(kept, keep) if ok]
    for k, ((part_nodes, part_bonds, atom_types), size) in enumerate(zip(parts, sizes)):
        rows = size <= cap
        width = min(part_nodes.shape[1], cap)  # atoms fill the first slots: narrowing drops padding only
        parts[k] = (part_nodes[rows, :width], part_bonds[rows, : num_pairs(width)], atom_types)
    return cap, int(np.count_nonzero(~keep))


def _types_used(parts: list) -> set[AtomType]:
    """The atom types the graphs of ``parts`` use."""
    used: set[AtomType] = set()
    for part_nodes, _, atom_types in parts:
        indices = np.unique(part_nodes)
        used.update(atom_types[i - 1] for i in indices[indices > 0].tolist())
    return used


def ordered_map(task: Callable, items: Iterator, jobs: int) -> Iterator:
    """``task(item)`` of each item in order, on ``jobs`` processes when there is more than one item.

    At most ``2 * jobs`` tasks wait at a time, so a long input is never held in memory at once.
    """
    first = list(itertools.islice(items, 2))
    if jobs <= 1 or len(first) < 2:
        yield from map(task, itertools.chain(first, items))
        return
    context, _ = process_context()
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        pending: deque = deque()
        for item in itertools.chain(first, items):
            pending.append(pool.submit(task, item))
            if len(pending) > 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(texts)
    while block := list(itertools.islice(iterator, size)):
        yield block


#: Atom types this process has met per bond representation, in the order met: the node types of
#: inferred-vocabulary chunks.
_MET: dict[str, dict[AtomType, None]] = {name: {} for name in BOND_REPRESENTATIONS}


def _encode_inferred(mols: list, size: int, bonds: str = "kekule") -> tuple[Vocabulary, EncodedGraphs]:
    """Encode with the atom types met so far; when a molecule has a new one, add it and encode again.

    (Collecting every molecule's atom types first would cost a second pass over the atoms.)
    """
    met_so_far = _MET[bonds]
    while True:
        vocab = Vocabulary(tuple(met_so_far) or (("C", 0),), size, BOND_REPRESENTATIONS[bonds])
        encoded = encode_mols(mols, vocab, ordering="canonical", in_place=True)
        new = [mol for mol, reason in zip(mols, encoded.failures) if reason == UNSUPPORTED_ATOM]
        if not new:
            return vocab, encoded
        atoms = (atom for mol in new for atom in map(mol.GetAtomWithIdx, range(mol.GetNumAtoms())))
        met = {atom_key(atom, vocab.aromatic) for atom in atoms}
        met_so_far.update(dict.fromkeys(sort_atom_types(met - met_so_far.keys())))


def _assemble(parts: list, m: int, vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Copy the chunks' graphs into ``nodes [m, N]`` and ``bonds [m, N(N-1)/2]``, freeing each chunk as it goes."""
    n = vocab.max_atoms
    nodes = np.zeros((m, n), dtype=np.uint8)
    bonds = np.zeros((m, num_pairs(n)), dtype=np.uint8)
    index = vocab.atom_index()
    start = 0
    parts.reverse()
    while parts:
        part_nodes, part_bonds, atom_types = parts.pop()
        lookup = np.array([0] + [index.get(a, 0) for a in atom_types], dtype=np.uint8)  # 0: a type no kept graph uses
        stop = start + len(part_nodes)
        nodes[start:stop, : part_nodes.shape[1]] = lookup[part_nodes]
        bonds[start:stop] = widen_bonds(part_bonds, n)
        start = stop
    return nodes, bonds

"""Molecules <-> dense graph tensors.

A batch of graphs is two integer arrays: ``nodes [B, N]`` (node-type index, 0 = empty slot) and
``adj [B, N, N]`` (bond-type index, 0 = no bond, symmetric, zero diagonal), with the meaning of the
indices given by a :class:`~molgan.chem.vocab.Vocabulary`. Encoding kekulizes aromatic rings, unless the
vocabulary has aromatic bonds (then RDKit's aromatic bonds are kept as bond type 4); decoding
builds RDKit molecules and returns ``None`` for a graph that is not a valid molecule. Decoding applies
no correction unless :func:`decode_graphs` is asked for ``correct=True`` (see :mod:`molgan.chem.correction`).
"""

from __future__ import annotations

import functools

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from molgan.chem.mol import Mol, canonical_key, quiet_rdkit
from molgan.chem.vocab import RDKIT_BONDS, Vocabulary, atom_key

#: Reasons an RDKit molecule cannot be encoded.
TOO_MANY_ATOMS = "too_many_atoms"
UNSUPPORTED_ATOM = "unsupported_atom"
UNSUPPORTED_BOND = "unsupported_bond"
KEKULIZE_FAILED = "kekulize_failed"
EMPTY_MOLECULE = "empty_molecule"


@dataclass
class EncodedGraphs:
    """Dense graph arrays for a batch; ``failures[i]`` is ``None`` or why molecule ``i`` did not fit.

    ``nodes``: ``[B, N]`` uint8, ``adj``: ``[B, N, N]`` uint8. Rows of failed molecules are all zero.
    """

    nodes: np.ndarray
    adj: np.ndarray
    failures: list[str | None]

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask ``[B]`` of molecules that were encoded."""
        return np.array([f is None for f in self.failures], dtype=bool)


def atom_order(mol: Mol, ordering: str = "canonical") -> list[int]:
    """Atom indices in the order their slots take: ``canonical`` (canonical SMILES order) or ``input``."""
    if ordering == "input":
        return list(range(mol.GetNumAtoms()))
    if ordering != "canonical":
        raise ValueError(f"unknown atom ordering {ordering!r}; use 'canonical' or 'input'")
    Chem.MolToSmiles(mol, isomericSmiles=False)
    order = mol.GetProp("_smilesAtomOutputOrder")
    return [int(i) for i in order.strip("[]").split(",") if i]


def encode_mols(
    mols: Sequence[Mol | None], vocab: Vocabulary, ordering: str = "canonical", *, in_place: bool = False
) -> EncodedGraphs:
    """Encode molecules into ``nodes [B, N]`` and ``adj [B, N, N]`` (kekulized bond orders, or
    RDKit's aromatic bonds as type 4 when ``vocab.aromatic``).

    ``ordering`` places atoms in canonical-SMILES order (bonds then sit mostly next to the
    diagonal, which is easier for a one-shot generator to learn) or in the input order.
    ``in_place=True`` kekulizes the given molecules themselves instead of copies (for a caller
    that has no further use for them).
    """
    n = vocab.max_atoms
    batch = len(mols)
    nodes = np.zeros((batch, n), dtype=np.uint8)
    adj = np.zeros((batch, n, n), dtype=np.uint8)
    failures: list[str | None] = [None] * batch
    atom_index = vocab.atom_index()
    for b, mol in enumerate(mols):
        reason = _encode_one(mol, atom_index, n, ordering, nodes[b], adj[b], in_place, vocab.aromatic)
        if reason is not None:
            failures[b] = reason
            nodes[b] = 0
            adj[b] = 0
    return EncodedGraphs(nodes=nodes, adj=adj, failures=failures)


def _encode_one(
    mol: Mol | None,
    atom_index: dict[tuple[str, int], int],
    max_atoms: int,
    ordering: str,
    nodes_row: np.ndarray,
    adj_row: np.ndarray,
    in_place: bool = False,
    aromatic: bool = False,
) -> str | None:
    if mol is None:
        return EMPTY_MOLECULE
    n_atoms = mol.GetNumAtoms()
    if n_atoms == 0:
        return EMPTY_MOLECULE
    if n_atoms > max_atoms:
        return TOO_MANY_ATOMS
    if aromatic:
        return _encode_aromatic(mol, atom_index, n_atoms, ordering, nodes_row, adj_row)
    if not in_place:
        mol = Chem.Mol(mol)
    try:
        Chem.Kekulize(mol, clearAromaticFlags=True)
    except Exception:  # RDKit raises KekulizeException / ValueError variants
        return KEKULIZE_FAILED
    atoms = map(mol.GetAtomWithIdx, range(n_atoms))  # mol.GetAtoms() goes through slow Python wrappers
    types = [atom_index.get((atom.GetSymbol(), atom.GetFormalCharge())) for atom in atoms]
    if None in types:
        return UNSUPPORTED_ATOM
    orders = Chem.GetAdjacencyMatrix(mol, useBO=True)
    bonds = orders.astype(np.uint8)
    if bonds.max(initial=0) > 3 or (bonds != orders).any():  # a bond order above triple, or not whole
        return UNSUPPORTED_BOND
    _place(mol, n_atoms, ordering, types, bonds, nodes_row, adj_row)
    return None


def _encode_aromatic(
    mol: Mol, atom_index: dict, n_atoms: int, ordering: str, nodes_row: np.ndarray, adj_row: np.ndarray
) -> str | None:
    """Encode keeping RDKit's aromaticity: aromatic bonds are type 4, ``[nH]``-like atoms their own types."""
    atoms = map(mol.GetAtomWithIdx, range(n_atoms))
    types = [atom_index.get(atom_key(atom, True)) for atom in atoms]
    if None in types:
        return UNSUPPORTED_ATOM
    orders = Chem.GetAdjacencyMatrix(mol, useBO=True)  # aromatic bonds: 1.5
    orders[orders == 1.5] = RDKIT_BONDS[Chem.BondType.AROMATIC]
    bonds = orders.astype(np.uint8)
    if (bonds != orders).any() or not np.isin(bonds, (0, 1, 2, 3, 4)).all():  # e.g. dative, quadruple
        return UNSUPPORTED_BOND
    _place(mol, n_atoms, ordering, types, bonds, nodes_row, adj_row)
    return None


def _place(
    mol: Mol, n_atoms: int, ordering: str, types: list[int], bonds: np.ndarray, nodes_row: np.ndarray, adj_row: np.ndarray
) -> None:
    """Write atom types and bonds into their slots (canonical or input order)."""
    if ordering == "input":
        slots = np.arange(n_atoms)
    else:
        slots = np.empty(n_atoms, dtype=np.int64)
        slots[atom_order(mol, ordering)] = np.arange(n_atoms)
    nodes_row[slots] = types
    adj_row[slots[:, None], slots] = bonds


def decode_graphs(
    nodes: np.ndarray,
    adj: np.ndarray,
    vocab: Vocabulary,
    *,
    connected: bool = True,
    correct: bool = False,
) -> list[Mol | None]:
    """Build RDKit molecules from ``nodes [B, N]`` and ``adj [B, N, N]`` integer arrays.

    Bonds touching an empty slot are ignored. A graph gives ``None`` when it has no atom, fails
    RDKit sanitization, or (with ``connected=True``) falls apart into several fragments.
    ``correct=True`` applies :func:`molgan.chem.correction.correct_valence` first: results from it must
    be reported as *corrected*.
    """
    nodes = _as_numpy(nodes)
    adj = _as_numpy(adj)
    if nodes.ndim != 2 or adj.ndim != 3 or adj.shape != (*nodes.shape, nodes.shape[1]):
        raise ValueError(f"expected nodes [B, N] and adj [B, N, N], got {nodes.shape} and {adj.shape}")
    if nodes.size and (nodes.max() >= vocab.num_node_types or nodes.min() < 0):
        raise ValueError("node index outside the vocabulary")
    if adj.size and (adj.max() >= vocab.num_bond_types or adj.min() < 0):
        raise ValueError("bond index outside the vocabulary")
    atom_json, bond_json = _json_tables(vocab, nodes.shape[1])
    present = nodes > 0
    counts = present.sum(axis=1)
    atom_starts = np.concatenate([[0], np.cumsum(counts)]).tolist()
    atom_strs = [atom_json[t] for t in nodes[present].tolist()]  # row-major: graph by graph, slot order
    upper = np.triu(adj, 1) * present[:, :, None] * present[:, None, :]
    b_idx, i_idx, j_idx = np.nonzero(upper)
    # position of each slot among the present atoms of its graph
    position = np.cumsum(present, axis=1) - 1
    n_slots = nodes.shape[1]
    codes = (upper[b_idx, i_idx, j_idx].astype(np.int64) * n_slots + position[b_idx, i_idx]) * n_slots + position[b_idx, j_idx]
    bond_strs = [bond_json[c] for c in codes.tolist()]
    starts = np.searchsorted(b_idx, np.arange(len(nodes) + 1))
    built = np.flatnonzero(counts > 0).tolist()  # empty graphs are not molecules
    tails = _aromatic_extensions(upper, b_idx, i_idx, j_idx, position, starts) if vocab.aromatic else {}
    starts = starts.tolist()
    bodies = [
        '{"atoms":[' + ",".join(atom_strs[atom_starts[b] : atom_starts[b + 1]]) + '],"bonds":['
        + ",".join(bond_strs[starts[b] : starts[b + 1]]) + "]" + tails.get(b, "") + "}"
        for b in built
    ]
    out: list[Mol | None] = [None] * len(nodes)
    if not bodies:
        return out
    with quiet_rdkit():
        mols = Chem.JSONToMols(_JSON_HEADER + ",".join(bodies) + "]}", _JSON_PARAMS)
        if vocab.aromatic:
            _set_hydrogens(mols, built, nodes[present], atom_starts, vocab)
        for b, mol in zip(built, mols):
            if correct:
                from molgan.chem.correction import correct_valence

                mol = correct_valence(mol)
            out[b] = _sanitized(mol, connected)
    return out


def _aromatic_extensions(
    upper: np.ndarray, b_idx: np.ndarray, i_idx: np.ndarray, j_idx: np.ndarray, position: np.ndarray, starts: np.ndarray
) -> dict[int, str]:
    """Per graph with aromatic bonds (type 4), the RDKit JSON extension that flags those bonds and
    their atoms aromatic: ``{graph: ',"extensions":[...]'}``."""
    aromatic = np.flatnonzero(upper[b_idx, i_idx, j_idx] == 4)
    if not aromatic.size:
        return {}
    graphs = b_idx[aromatic]
    local = (aromatic - starts[graphs]).tolist()  # bond index within its molecule
    n_slots = position.shape[1]
    ends = np.concatenate([graphs * n_slots + position[graphs, i_idx[aromatic]], graphs * n_slots + position[graphs, j_idx[aromatic]]])
    atom_codes = np.unique(ends)  # graph * n_slots + atom position, sorted: graph by graph
    atom_graphs, atoms = np.divmod(atom_codes, n_slots)
    keys = np.unique(graphs)
    bond_bounds = np.searchsorted(graphs, np.append(keys, keys[-1] + 1)).tolist()
    atom_bounds = np.searchsorted(atom_graphs, np.append(keys, keys[-1] + 1)).tolist()
    atoms = list(map(str, atoms.tolist()))
    local = list(map(str, local))
    return {
        b: _AROMATIC_EXTENSION.format(
            atoms=",".join(atoms[atom_bounds[k] : atom_bounds[k + 1]]), bonds=",".join(local[bond_bounds[k] : bond_bounds[k + 1]])
        )
        for k, b in enumerate(keys.tolist())
    }


def _set_hydrogens(mols: list, built: list[int], present_types: np.ndarray, atom_starts: list[int], vocab: Vocabulary) -> None:
    """Give the atoms of a type with hydrogens (``[nH]``) their explicit hydrogens."""
    hydrogens = np.array([0] + [a[2] if len(a) > 2 else 0 for a in vocab.atom_types])
    counts = hydrogens[present_types]
    where = np.flatnonzero(counts)
    if not where.size:
        return
    graph_of = np.searchsorted(np.asarray(atom_starts), where, side="right") - 1
    mol_of = {b: mol for b, mol in zip(built, mols)}
    for k, b, h in zip(where.tolist(), graph_of.tolist(), counts[where].tolist()):
        mol = mol_of.get(b)
        if mol is not None:
            mol.GetAtomWithIdx(k - atom_starts[b]).SetNumExplicitHs(h)


_JSON_HEADER = (
    '{"commonchem":{"version":10},"defaults":{"atom":{"z":6,"impHs":0,"chg":0,"nRad":0,'
    '"isotope":0,"stereo":"unspecified"},"bond":{"bo":1,"stereo":"unspecified"}},"molecules":['
)
_AROMATIC_EXTENSION = (
    ',"extensions":[{{"name":"rdkitRepresentation","formatVersion":2,'
    '"aromaticAtoms":[{atoms}],"aromaticBonds":[{bonds}]}}]'
)
_JSON_PARAMS = Chem.JSONParseParameters()
_JSON_PARAMS.useHCounts = False


@functools.lru_cache(maxsize=32)
def _json_tables(vocab: Vocabulary, n_slots: int) -> tuple[list[str], list[str]]:
    """CommonChem JSON of every atom type (indexed by node type, 0 unused) and of every bond
    ``(kind * n_slots + i) * n_slots + j`` between atom positions ``i`` and ``j``."""
    atoms = [""] + [_atom_json(atom[0], atom[1]) for atom in vocab.atom_types]
    bonds = [
        f'{{"bo":{1 if kind == 4 else kind},"atoms":[{i},{j}]}}'  # aromatic (4): flagged by an extension
        for kind in range(vocab.num_bond_types) for i in range(n_slots) for j in range(n_slots)
    ]
    return atoms, bonds


def _atom_json(symbol: str, charge: int) -> str:
    z = Chem.GetPeriodicTable().GetAtomicNumber(symbol)
    return f'{{"z":{z},"chg":{charge}}}' if charge else f'{{"z":{z}}}'


def _sanitized(mol: Mol | None, connected: bool) -> Mol | None:
    if mol is None:
        return None
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # AtomValenceException, KekulizeException, ...
        return None
    if connected and len(Chem.GetMolFrags(mol)) > 1:
        return None
    return mol


def _as_numpy(array) -> np.ndarray:
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def to_smiles(mols: Sequence[Mol | None]) -> list[str | None]:
    """Canonical SMILES without stereo for each molecule (``None`` stays ``None``)."""
    return [None if m is None else canonical_key(m) for m in mols]

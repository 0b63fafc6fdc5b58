"""Compact bond storage: the strict upper triangle of each adjacency matrix, one uint8 per atom pair.

A data set of ``M`` graphs with ``N`` atom slots keeps ``bonds [M, N(N-1)/2]`` instead of
``adj [M, N, N]`` (351 bytes per molecule instead of 729 for ``N = 27``), and densifies only the
graphs a batch asks for. Pairs ``(i, j)``, ``i < j``, are ordered by ``j`` then ``i``
(``(0,1), (0,2), (1,2), (0,3), ...``), so the packing of ``n`` slots is a prefix of the packing of
any larger ``N``: graphs encoded with fewer slots widen by padding zeros on the right.
"""

from __future__ import annotations

import functools

import numpy as np


def num_pairs(n: int) -> int:
    """Atom pairs ``i < j`` of ``n`` slots: the width of a packed row."""
    return n * (n - 1) // 2


@functools.lru_cache(maxsize=16)
def pair_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(i, j)`` of every packed column for ``n`` slots (``i < j``, ordered by ``j`` then ``i``)."""
    j, i = np.tril_indices(n, -1)
    i.flags.writeable = j.flags.writeable = False
    return i, j


def pack_bonds(adj: np.ndarray) -> np.ndarray:
    """``[B, N, N]`` symmetric bond types -> ``[B, N(N-1)/2]`` uint8 (the diagonal is dropped)."""
    adj = np.asarray(adj)
    i, j = pair_index(adj.shape[-1])
    return np.ascontiguousarray(adj[:, i, j], dtype=np.uint8)


def unpack_bonds(bonds: np.ndarray, n: int, dtype=np.uint8) -> np.ndarray:
    """``[B, N(N-1)/2]`` packed bonds -> ``[B, N, N]`` symmetric matrices with a zero diagonal."""
    bonds = np.asarray(bonds)
    if bonds.ndim != 2 or bonds.shape[1] != num_pairs(n):
        raise ValueError(f"expected packed bonds [B, {num_pairs(n)}] for {n} slots, got {bonds.shape}")
    i, j = pair_index(n)
    adj = np.zeros((len(bonds), n, n), dtype=dtype)
    adj[:, i, j] = bonds
    adj[:, j, i] = bonds
    return adj


def widen_bonds(bonds: np.ndarray, n: int) -> np.ndarray:
    """Packed bonds of fewer slots as packed bonds of ``n`` slots (zeros appended)."""
    width = num_pairs(n)
    if bonds.shape[1] == width:
        return bonds
    out = np.zeros((len(bonds), width), dtype=np.uint8)
    out[:, : bonds.shape[1]] = bonds
    return out


class PackedAdjacency:
    """``M`` adjacency matrices ``[N, N]`` kept packed; indexing densifies only what it selects.

    ``adj[index]`` (an int, a slice, an index or boolean array) gives dense uint8 matrices as a
    ``[M, N, N]`` array would; :meth:`take` selects without densifying; ``bonds`` is the packed
    ``[M, N(N-1)/2]`` uint8 array.
    """

    def __init__(self, bonds: np.ndarray, n: int) -> None:
        bonds = np.asarray(bonds, dtype=np.uint8)
        if bonds.ndim != 2 or bonds.shape[1] != num_pairs(n):
            raise ValueError(f"expected packed bonds [M, {num_pairs(n)}] for {n} slots, got {bonds.shape}")
        self.bonds, self.n = bonds, n

    @classmethod
    def from_dense(cls, adj: np.ndarray) -> PackedAdjacency:
        """Pack dense ``[M, N, N]`` matrices (symmetric, as :func:`molgan.chem.graphs.encode_mols` makes them)."""
        adj = np.asarray(adj)
        if adj.ndim != 3 or adj.shape[1] != adj.shape[2]:
            raise ValueError(f"expected adj [M, N, N], got {adj.shape}")
        return cls(pack_bonds(adj), adj.shape[1])

    def __len__(self) -> int:
        return len(self.bonds)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The shape of the dense array, ``(M, N, N)``."""
        return (len(self.bonds), self.n, self.n)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8)

    @property
    def ndim(self) -> int:
        return 3

    @property
    def nbytes(self) -> int:
        """Bytes held (the packed array)."""
        return self.bonds.nbytes

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return unpack_bonds(self.bonds[index][None], self.n)[0]
        return unpack_bonds(self.bonds[index], self.n)

    def take(self, index) -> PackedAdjacency:
        """The selected matrices, still packed."""
        return PackedAdjacency(self.bonds[index], self.n)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        dense = unpack_bonds(self.bonds, self.n)
        return dense if dtype is None else dense.astype(dtype)

    def __repr__(self) -> str:
        return f"PackedAdjacency(m={len(self)}, n={self.n}, {self.nbytes:,} bytes)"

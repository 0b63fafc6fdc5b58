"""Analogs of a molecule and paths between two molecules, in the encoder's code space.

A molecule is encoded to the mean of ``q(z | graph)`` (deterministic: no noise is drawn), codes are
decoded by the generator (argmax, no valence correction), and decoded molecules are compared with
Morgan bit fingerprints (radius 2, 2048 bits; :mod:`molgan.scoring.components._fingerprints`).

- :func:`analogs`: ``draws`` codes drawn from a Gaussian of width ``radius`` around the molecule's code
  (default 20 per requested analog, at least 1,000); of their distinct valid decodings other than the
  molecule itself, the ``num`` most similar, most similar first (fewer if fewer were found).
- :func:`interpolate`: ``steps`` codes on the line (or the great circle) from one molecule's code to
  the other's, each with its decoding and its similarity to both ends; :func:`path_smoothness` is
  the mean similarity of consecutive valid molecules along the path.

A conditional model's codes carry the molecule's own conditions; a label column of the training file
(a measured value) is unknown for a molecule given here and left free (see :func:`encode`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from rdkit import Chem
from torch import Tensor

from molgan.chem.graphs import TOO_MANY_ATOMS, UNSUPPORTED_ATOM, encode_mols
from molgan.chem.mol import Mol, canonical_key, to_mol, to_mols
from molgan.errors import InputError
from molgan.scoring.components._fingerprints import bit_fingerprints, tanimoto

if TYPE_CHECKING:  # pragma: no cover
    from molgan.sampling.model import Model

#: Width of the Gaussian around a molecule's code (chosen on the analog benchmark, see the README).
DEFAULT_RADIUS = 0.5
#: Codes decoded per generator call.
CHUNK = 1024
#: Codes drawn per requested analog (at least :data:`MIN_DRAWS`) unless ``draws`` is given.
DRAWS_PER_ANALOG = 20
MIN_DRAWS = 1000


class Analog(NamedTuple):
    """A decoded molecule near the query and its Tanimoto similarity to the query."""

    smiles: str
    similarity: float


class PathPoint(NamedTuple):
    """One code on a path: its position ``t`` in [0, 1], its decoding (``None`` if invalid) and the
    Tanimoto similarity of that molecule to each end (``None`` if invalid)."""

    t: float
    smiles: str | None
    similarity_a: float | None
    similarity_b: float | None


def parse_molecule(smiles: str) -> Mol:
    """The molecule of ``smiles``, or :class:`InputError` if it does not parse."""
    mol = to_mol(smiles)
    if mol is None:
        raise InputError(f"cannot parse SMILES {smiles!r}")
    return mol


def _check_connected(smiles: str, mol: Mol) -> None:
    parts = len(Chem.GetMolFrags(mol))
    if parts > 1:
        raise InputError(f"{smiles!r} has {parts} fragments: the generator makes connected molecules; give one fragment")


def encode(model: Model, smiles: Sequence[str]) -> Tensor:
    """Generator inputs of molecules: codes ``[len(smiles), Z]`` (encoder means), for a conditional model
    followed by the molecules' own normalised conditions ``[len(smiles), C]``; a molecule the model's
    vocabulary cannot represent raises :class:`InputError` saying why.

    A label condition (a column of the training file, e.g. a measured pIC50) of a molecule given here is
    unknown: it is left free (NaN), which the generator sees as the training mean, as it sees a property
    RDKit cannot compute."""
    from molgan.latent.codes import encode_codes

    mols = [parse_molecule(s) for s in smiles]
    for text, mol in zip(smiles, mols):
        _check_connected(text, mol)
    encoded = encode_mols(mols, model.vocab)
    for text, mol, failure in zip(smiles, mols, encoded.failures):
        if failure is not None:
            raise InputError(f"model {model.path.name} cannot represent {text!r}: {_why(mol, failure, model)}")
    codes = encode_codes(model.encoder, encoded.nodes, encoded.adj, model.vocab)
    if model.conditions is None:
        return codes
    from molgan.data.conditions import condition_values

    own = model.conditions.network_inputs(condition_values(model.conditions.names, [canonical_key(m) for m in mols]))
    return torch.cat([codes, torch.from_numpy(own)], dim=1)


def _why(mol: Mol, failure: str, model: Model) -> str:
    vocab = model.vocab
    if failure == TOO_MANY_ATOMS:
        return f"{mol.GetNumAtoms()} heavy atoms, the model holds at most {vocab.max_atoms}"
    if failure == UNSUPPORTED_ATOM:
        known = {(atom[0], atom[1]) for atom in vocab.atom_types}
        atoms = {(a.GetSymbol(), a.GetFormalCharge()) for a in mol.GetAtoms()} - known
        names = ", ".join(sorted(s if c == 0 else f"{s}{c:+d}" for s, c in atoms))
        return f"atom {names} not in its vocabulary ({', '.join(vocab.atom_labels())})"
    return failure.replace("_", " ")


def decode(model: Model, codes: Tensor) -> list[str | None]:
    """Canonical SMILES (``None`` if invalid) of the graphs the generator makes of ``codes [B, Z]``
    (argmax decoding, no correction)."""
    from molgan.chem.graphs import decode_graphs, to_smiles
    from molgan.sampling.sampler import graphs_of_codes

    out: list[str | None] = []
    for start in range(0, len(codes), CHUNK):
        nodes, adj = graphs_of_codes(model.generator, codes[start : start + CHUNK], device=model.device)
        out.extend(to_smiles(decode_graphs(nodes, adj, model.vocab)))
    return out


def similarities(query: Mol, smiles: Sequence[str | None]) -> list[float | None]:
    """Tanimoto similarity of each molecule to ``query`` (``None`` for ``None`` or an unparsable SMILES)."""
    mols = to_mols(smiles)
    valid = [m for m in mols if m is not None]
    values = iter(tanimoto(query, bit_fingerprints(valid)).tolist() if valid else [])
    return [None if m is None else next(values) for m in mols]


def analogs(
    model: Model, smiles: str, num: int = 10, radius: float = DEFAULT_RADIUS, seed: int = 0, draws: int | None = None
) -> list[Analog]:
    """The ``num`` molecules most similar to ``smiles`` among the distinct valid decodings of ``draws``
    codes ``code(smiles) + radius * N(0, I)`` (the input itself left out), most similar first (ties by
    SMILES); fewer when fewer were found. Same seed, same analogs."""
    if not isinstance(num, (int, np.integer)) or num < 1:
        raise InputError(f"the number of analogs must be a positive integer, got {num!r}")
    draws = max(DRAWS_PER_ANALOG * int(num), MIN_DRAWS) if draws is None else draws
    if not isinstance(draws, (int, np.integer)) or draws < 1:
        raise InputError(f"the number of draws must be a positive integer, got {draws!r}")
    if not radius >= 0:
        raise InputError(f"the radius must be >= 0, got {radius}")
    code = encode(model, [smiles])
    rng = torch.Generator().manual_seed(int(seed))
    noise = torch.randn(int(draws), model.generator.z_dim, generator=rng)
    codes = code + radius * torch.nn.functional.pad(noise, (0, code.shape[1] - noise.shape[1]))  # the condition stays
    own = canonical_key(parse_molecule(smiles))
    found = sorted({s for s in decode(model, codes) if s is not None and s != own})
    values = similarities(parse_molecule(smiles), found)
    ranked = sorted((Analog(s, float(v)) for s, v in zip(found, values)), key=lambda a: (-a.similarity, a.smiles))
    return ranked[: int(num)]


def linear(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Points ``[T, Z]`` on the segment from ``a [Z]`` to ``b [Z]`` at ``t [T]``."""
    return a + t[:, None] * (b - a)


def spherical(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Points ``[T, Z]`` on the great circle from ``a`` to ``b`` (slerp; the norm is interpolated linearly)."""
    na, nb = a.norm(), b.norm()
    cos = torch.clamp(a @ b / (na * nb).clamp_min(1e-12), -1.0, 1.0)
    angle = torch.arccos(cos)
    if angle < 1e-6:
        return linear(a, b, t)
    ua, ub = a / na, b / nb
    direction = (torch.sin((1 - t) * angle)[:, None] * ua + torch.sin(t * angle)[:, None] * ub) / torch.sin(angle)
    return direction * (na + t * (nb - na))[:, None]


#: Interpolation methods by name.
PATHS: dict[str, Callable[[Tensor, Tensor, Tensor], Tensor]] = {"linear": linear, "spherical": spherical}


def interpolate(model: Model, a: str, b: str, steps: int = 10, method: str = "linear") -> list[PathPoint]:
    """``steps`` evenly spaced codes from ``a``'s code (t = 0) to ``b``'s (t = 1), decoded, with each
    molecule's similarity to ``a`` and to ``b``. ``method``: ``linear`` or ``spherical``."""
    if method not in PATHS:
        raise InputError(f"unknown interpolation {method!r}; use one of: {', '.join(PATHS)}")
    if not isinstance(steps, (int, np.integer)) or steps < 2:
        raise InputError(f"the path needs at least 2 steps, got {steps!r}")
    codes = encode(model, [a, b])
    t = torch.linspace(0.0, 1.0, int(steps))
    decoded = decode(model, PATHS[method](codes[0], codes[1], t))
    to_a = similarities(parse_molecule(a), decoded)
    to_b = similarities(parse_molecule(b), decoded)
    return [PathPoint(round(float(x), 6), s, sa, sb) for x, s, sa, sb in zip(t.tolist(), decoded, to_a, to_b)]


def path_smoothness(points: Sequence[PathPoint]) -> float:
    """Mean Tanimoto similarity of consecutive valid molecules along a path (NaN with fewer than two)."""
    mols = [m for m in to_mols(p.smiles for p in points) if m is not None]
    if len(mols) < 2:
        return float("nan")
    fingerprints = bit_fingerprints(mols)
    return float(np.mean([tanimoto(mols[i], fingerprints[i + 1 : i + 2])[0] for i in range(len(mols) - 1)]))


def write_analogs(analogs_found: Sequence[Analog], output: str | Path, *, force: bool = False) -> int:
    """Write analogs with a ``similarity`` column (``.smi``, ``.csv``, ``.sdf``, ``.gz`` or ``-``); return the row count."""
    from molgan.data.writers import open_writer

    with open_writer(output, columns=["similarity"], force=force) as writer:
        return writer.write_many([a.smiles for a in analogs_found], props=[{"similarity": a.similarity} for a in analogs_found])


def write_path(points: Sequence[PathPoint], output: str | Path, *, force: bool = False) -> int:
    """Write a path: ``smiles`` (empty if invalid), ``t``, ``similarity_a``, ``similarity_b``; return the row count."""
    from molgan.data.writers import open_writer

    columns = ["t", "similarity_a", "similarity_b"]
    with open_writer(output, columns=columns, force=force) as writer:
        rows = [{"t": p.t, "similarity_a": p.similarity_a, "similarity_b": p.similarity_b} for p in points]
        return writer.write_many([p.smiles for p in points], props=rows)


def draw_path(points: Sequence[PathPoint], picture: str | Path, *, mols_per_row: int = 5) -> Path:
    """A grid picture (``.png`` or ``.svg``) of the valid molecules along a path, captioned with ``t``
    and the similarities to both ends."""
    from molgan.evaluation.draw import draw_grid

    captions = [f"t={p.t:.2f}  A {p.similarity_a:.2f}  B {p.similarity_b:.2f}" if p.smiles else "" for p in points]
    return draw_grid([p.smiles for p in points], picture, legends=captions, mols_per_row=mols_per_row, max_mols=len(points))

"""molgan.chem.valence: one valence table for the loss penalty and the decoder's correction."""

from __future__ import annotations

from rdkit import Chem

from molgan.chem.correction import allowed_valence
from molgan.chem.valence import has_valence_limit, max_valence
from molgan.chem.vocab import QM9_VOCABULARY
from molgan.training.losses import max_valences


def test_neutral_and_charged_organic_atoms():
    assert [max_valence(z) for z in (1, 6, 7, 8, 9)] == [1, 4, 3, 2, 1]
    assert max_valence(7, +1) == 4  # N+ like C
    assert max_valence(8, -1) == 1  # O- like F
    assert max_valence(6, -1) == 3  # C- like N
    assert max_valence(1, +1) == 0  # a bare proton takes no bond


def test_elements_rdkit_leaves_unrestricted():
    assert not has_valence_limit(26)  # iron: RDKit lists -1
    assert max_valence(26) is None
    assert not has_valence_limit(3) and max_valence(3) == 1  # lithium lists [1, -1]
    assert has_valence_limit(6)


def test_loss_and_correction_read_the_same_numbers():
    limits = max_valences(QM9_VOCABULARY).tolist()
    assert limits[0] == 0.0
    for (symbol, charge), limit in zip(QM9_VOCABULARY.atom_types, limits[1:]):
        atom = Chem.Atom(symbol)
        atom.SetFormalCharge(charge)
        assert allowed_valence(atom) == limit == max_valence(atom.GetAtomicNum(), charge)

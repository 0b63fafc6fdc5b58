import pytest
from rdkit import Chem

from molgan.chem.vocab import QM9_VOCABULARY, Vocabulary, VocabularyError


def test_qm9_vocabulary():
    assert QM9_VOCABULARY.max_atoms == 9
    assert QM9_VOCABULARY.num_node_types == 9
    assert QM9_VOCABULARY.num_bond_types == 4
    assert QM9_VOCABULARY.atom_labels() == ["C-", "C", "N-", "N", "N+", "O-", "O", "F"]
    assert QM9_VOCABULARY.atom_index()[("C", 0)] == 2


def test_from_mols_orders_by_element_then_charge_and_skips_none():
    mols = [Chem.MolFromSmiles(s) for s in ("ClCC[O-]", "C[N+](C)(C)C", "invalid")]
    vocab = Vocabulary.from_mols(mols)
    assert vocab.atom_types == (("C", 0), ("N", 1), ("O", -1), ("Cl", 0))
    assert vocab.max_atoms == 5
    assert Vocabulary.from_mols(mols, max_atoms=12).max_atoms == 12
    with pytest.raises(VocabularyError):
        Vocabulary.from_mols([None])


def test_save_load_round_trip(tmp_path):
    path = tmp_path / "vocab.json"
    QM9_VOCABULARY.save(path)
    assert Vocabulary.load(path) == QM9_VOCABULARY


@pytest.mark.parametrize(
    "data",
    [
        {"atom_types": [["C", 0]], "max_atoms": 0},
        {"atom_types": [["Xx", 0]], "max_atoms": 3},
        {"atom_types": [["C", 0], ["C", 0]], "max_atoms": 3},
        {"atom_types": [["C", 0]], "max_atoms": 3, "colour": "red"},
        {"max_atoms": 3},
    ],
)
def test_invalid_vocabularies_are_refused(data):
    with pytest.raises(VocabularyError):
        Vocabulary.from_dict(data)


def test_unreadable_file(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text("{not json")
    with pytest.raises(VocabularyError):
        Vocabulary.load(path)

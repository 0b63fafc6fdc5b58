"""molgan.chem.mol: SMILES -> molecule, the canonical key, and RDKit's log kept quiet in a block."""

from __future__ import annotations

from rdkit import Chem, rdBase

from molgan.chem.mol import canonical_key, quiet_rdkit, to_mol, to_mols


def test_to_mol_parses_and_strips():
    mol = to_mol("  CCO \n")
    assert mol is not None and mol.GetNumAtoms() == 3


def test_to_mol_gives_none_for_missing_empty_and_invalid():
    for item in (None, "", "   ", "C1CC", "not a molecule", 42, "[Na+].[Cl-]x"):
        assert to_mol(item) is None, item


def test_to_mols_keeps_positions():
    out = to_mols(["C", None, "C1CC", "O=C=O"])
    assert [m is None for m in out] == [False, True, True, False]
    assert Chem.MolToSmiles(out[3]) == "O=C=O"


def test_canonical_key_drops_stereo_and_canonicalizes():
    assert canonical_key(Chem.MolFromSmiles("C[C@H](N)O")) == "CC(N)O"
    assert canonical_key(Chem.MolFromSmiles("OCC")) == "CCO"


def _status() -> str:
    return rdBase.LogStatus()


def test_quiet_rdkit_silences_inside_and_restores_after():
    rdBase.EnableLog("rdApp.warning")
    rdBase.EnableLog("rdApp.error")
    before = _status()
    assert "rdApp.error:enabled" in before
    with quiet_rdkit():
        assert "rdApp.error:disabled" in _status()
        assert "rdApp.warning:disabled" in _status()
    assert _status() == before


def test_quiet_rdkit_restores_after_an_exception():
    rdBase.EnableLog("rdApp.error")
    before = _status()
    try:
        with quiet_rdkit():
            raise ValueError("boom")
    except ValueError:
        pass
    assert _status() == before


def test_parsing_logs_nothing(capfd):
    rdBase.EnableLog("rdApp.error")
    capfd.readouterr()
    assert to_mol("C1CC") is None
    assert capfd.readouterr().err == ""
    Chem.MolFromSmiles("C1CC")  # unguarded, RDKit reports the unclosed ring
    assert "SMILES Parse Error" in capfd.readouterr().err

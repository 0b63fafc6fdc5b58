"""Each scoring component against values computed here with plain RDKit calls."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem, DataStructs, RDConfig
from rdkit.Chem import QED, Crippen, Descriptors, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molgan.errors import ConfigError
from molgan.scoring import COMPONENTS
from molgan.scoring.components.alerts import AlertParams
from molgan.scoring.components.counts import CountLimits
from molgan.scoring.components.physchem import qed_properties
from molgan.scoring.components._reference import ReferenceSet
from molgan.scoring.components.similarity import TanimotoParams

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "O=C1NC(=S)SC1=Cc1ccccc1", "C1CC2CC1C2N"]
MOLS = [Chem.MolFromSmiles(s) for s in SMILES]
WITH_NONE = [*MOLS, None]


def _contrib(folder: str, name: str):
    path = Path(RDConfig.RDContribDir) / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"test_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(values: np.ndarray, expected: list[float]) -> None:
    assert values.shape == (len(WITH_NONE),)
    np.testing.assert_allclose(values[:-1], expected, rtol=1e-12, atol=1e-12)
    assert math.isnan(values[-1])


def test_registry_has_the_components():
    assert set(COMPONENTS) >= {
        "validity", "qed", "logp", "sa", "np_likeness", "mw", "tpsa", "num_rings", "num_heavy_atoms",
        "tanimoto", "alerts", "novelty", "sklearn_model",
    }


def test_validity():
    assert COMPONENTS["validity"]()(WITH_NONE).tolist() == [1.0] * len(MOLS) + [0.0]


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("qed", QED.qed),
        ("logp", Crippen.MolLogP),
        ("mw", Descriptors.MolWt),
        ("tpsa", rdMolDescriptors.CalcTPSA),
    ],
)
def test_descriptor_components(name, reference):
    _check(COMPONENTS[name]()(WITH_NONE), [reference(m) for m in MOLS])


def test_qed_equals_rdkit_on_molecules_with_alerts_and_explicit_hydrogens():
    smiles = ["O=[N+]([O-])c1ccccc1C=O", "ClCCCl", "C#CC#N", "CC(C)(C)OC(=O)N1CCC(CC1)C(=O)O"]
    mols = [Chem.MolFromSmiles(s) for s in smiles] + [Chem.AddHs(Chem.MolFromSmiles("CCOC(=O)C"))]
    for mol in mols:
        assert qed_properties(mol) == QED.properties(mol)
    np.testing.assert_allclose(COMPONENTS["qed"]()(mols), [QED.qed(m) for m in mols], rtol=1e-12)


def test_sa_score():
    sascorer = _contrib("SA_Score", "sascorer")
    sascorer.readFragmentScores()
    _check(COMPONENTS["sa"]()(WITH_NONE), [sascorer.calculateScore(m) for m in MOLS])


def test_np_likeness():
    npscorer = _contrib("NP_Score", "npscorer")
    model = npscorer.readNPModel()
    _check(COMPONENTS["np_likeness"]()(WITH_NONE), [npscorer.scoreMol(m, model) for m in MOLS])


def test_num_rings_and_heavy_atoms_limits():
    rings = [rdMolDescriptors.CalcNumRings(m) for m in MOLS]  # 0, 1, 1, 2, 2
    _check(COMPONENTS["num_rings"](CountLimits(min=1, max=1))(WITH_NONE), [float(r == 1) for r in rings])
    _check(COMPONENTS["num_rings"](CountLimits(min=2))(WITH_NONE), [float(r >= 2) for r in rings])
    atoms = [m.GetNumHeavyAtoms() for m in MOLS]
    _check(COMPONENTS["num_heavy_atoms"](CountLimits(max=9))(WITH_NONE), [float(a <= 9) for a in atoms])
    with pytest.raises(ConfigError):
        CountLimits(min=3, max=2)


def test_tanimoto_max_similarity():
    refs = ["c1ccccc1O", "CCN"]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    ref_fps = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in refs]
    expected = [max(DataStructs.TanimotoSimilarity(generator.GetFingerprint(m), r) for r in ref_fps) for m in MOLS]
    values = COMPONENTS["tanimoto"](TanimotoParams(smiles=tuple(refs)))(WITH_NONE)
    _check(values, expected)
    assert values[1] == 1.0  # phenol is a reference


def test_tanimoto_reads_a_reference_file(tmp_path):
    path = tmp_path / "refs.smi"
    path.write_text("smiles\n# a comment\nc1ccccc1O phenol\n\nCCN\n")
    from_file = COMPONENTS["tanimoto"](TanimotoParams(path=str(path)))(MOLS)
    inline = COMPONENTS["tanimoto"](TanimotoParams(smiles=("c1ccccc1O", "CCN")))(MOLS)
    np.testing.assert_array_equal(from_file, inline)


def test_reference_errors(tmp_path):
    with pytest.raises(ConfigError, match="exactly one"):
        TanimotoParams()
    with pytest.raises(ConfigError, match="exactly one"):
        ReferenceSet(smiles=("CCO",), path="x.smi")
    with pytest.raises(ConfigError, match="cannot parse"):
        COMPONENTS["novelty"](ReferenceSet(smiles=("CCO", "C1CC")))
    with pytest.raises(ConfigError, match="not found"):
        COMPONENTS["novelty"](ReferenceSet(path=str(tmp_path / "missing.smi")))
    bad = tmp_path / "bad.smi"
    bad.write_text("CCO\nC1CC\n")
    with pytest.raises(ConfigError, match="cannot parse every reference SMILES .unparsable_smiles 1"):
        COMPONENTS["novelty"](ReferenceSet(path=str(bad)))


def test_novelty_uses_canonical_smiles():
    known = ["OCC", "Oc1ccccc1"]  # ethanol and phenol, written differently from SMILES above
    canonical = {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in known}
    expected = [float(Chem.MolToSmiles(m) not in canonical) for m in MOLS]
    values = COMPONENTS["novelty"](ReferenceSet(smiles=tuple(known)))(WITH_NONE)
    _check(values, expected)
    assert values[:2].tolist() == [0.0, 0.0]


def test_alerts_catalogs_and_smarts():
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.BRENK)
    catalog = FilterCatalog(params)
    expected = [float(not catalog.HasMatch(m)) for m in MOLS]
    _check(COMPONENTS["alerts"]()(WITH_NONE), expected)
    assert expected[3] == 0.0  # the benzylidene rhodanine is a PAINS hit

    amine = Chem.MolFromSmarts("[NX3;H2]")
    only_smarts = COMPONENTS["alerts"](AlertParams(smarts=("[NX3;H2]",), catalogs=()))(WITH_NONE)
    _check(only_smarts, [float(not m.HasSubstructMatch(amine)) for m in MOLS])
    assert only_smarts[4] == 0.0


def test_alerts_parameter_errors():
    with pytest.raises(ConfigError, match="unknown catalog 'painz'"):
        AlertParams(catalogs=("painz",))
    with pytest.raises(ConfigError, match="at least one"):
        AlertParams(catalogs=())
    with pytest.raises(ConfigError, match="cannot parse SMARTS"):
        COMPONENTS["alerts"](AlertParams(smarts=("[C",)))

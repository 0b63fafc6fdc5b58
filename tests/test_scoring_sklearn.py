"""The ``sklearn_model`` component: a tiny model trained here, saved with joblib, loaded with a warning."""

from __future__ import annotations

import math
import warnings

import joblib
import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from sklearn.linear_model import LogisticRegression, Ridge

from molgan.errors import ConfigError
from molgan.scoring import COMPONENTS, Reward, Sigmoid, Term, UnsafeModelFileWarning, load_reward
from molgan.scoring.components.sklearn_model import SklearnModelParams

TRAIN = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccc(O)cc1", "CCN", "CCCN"]
LABELS = [0, 0, 0, 1, 1, 1, 0, 0]  # aromatic or not
TEST = ["CCCCCO", "c1ccccc1CC", "OCCN"]


def _fingerprints(smiles, radius=2, n_bits=256):
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return np.array([generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles])


@pytest.fixture()
def classifier_path(tmp_path):
    model = LogisticRegression().fit(_fingerprints(TRAIN), LABELS)
    path = tmp_path / "aromatic.joblib"
    joblib.dump(model, path)
    return path, model


def test_predict_proba_with_a_warning(classifier_path):
    path, model = classifier_path
    params = SklearnModelParams(path=str(path), method="predict_proba", n_bits=256)
    with pytest.warns(UnsafeModelFileWarning, match="run code when loaded"):
        component = COMPONENTS["sklearn_model"](params)
    mols = [Chem.MolFromSmiles(s) for s in TEST] + [None]
    values = component(mols)
    np.testing.assert_allclose(values[:-1], model.predict_proba(_fingerprints(TEST))[:, 1])
    assert math.isnan(values[-1])
    assert component.unit_interval


def test_predict_of_a_regressor_needs_a_transform(tmp_path):
    model = Ridge().fit(_fingerprints(TRAIN, radius=1, n_bits=128), np.arange(len(TRAIN), dtype=float))
    path = tmp_path / "ridge.joblib"
    joblib.dump(model, path)
    params = {"path": str(path), "radius": 1, "n_bits": 128}
    with pytest.warns(UnsafeModelFileWarning):
        with pytest.raises(ConfigError, match="give it a transform"):
            Reward([Term("sklearn_model", params=params)])
    with pytest.warns(UnsafeModelFileWarning):
        reward = Reward([Term("sklearn_model", params=params, transform=Sigmoid(0, 8))])
    table = reward.score([Chem.MolFromSmiles(s) for s in TEST])
    np.testing.assert_allclose(table.raw["sklearn_model"], model.predict(_fingerprints(TEST, radius=1, n_bits=128)))


def test_loaded_only_from_the_named_file_relative_to_the_toml(tmp_path, classifier_path):
    path, _ = classifier_path
    toml = tmp_path / "reward.toml"
    toml.write_text(
        '[[component]]\nname = "sklearn_model"\n'
        f'params = {{ path = "{path.name}", method = "predict_proba", n_bits = 256 }}\n'
    )
    with pytest.warns(UnsafeModelFileWarning, match=str(path)):
        reward = load_reward(toml)
    assert reward([Chem.MolFromSmiles("c1ccccc1CC")])[0] > 0.5


def test_model_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="model file not found"):
        COMPONENTS["sklearn_model"](SklearnModelParams(path=str(tmp_path / "missing.joblib")))
    with pytest.raises(ConfigError, match="unknown method 'transform'"):
        SklearnModelParams(path="x", method="transform")
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsafeModelFileWarning)
        with pytest.raises(ConfigError, match="cannot load model file"):
            COMPONENTS["sklearn_model"](SklearnModelParams(path=str(garbage)))
    no_proba = tmp_path / "ridge.joblib"
    joblib.dump(Ridge().fit(_fingerprints(TRAIN), LABELS), no_proba)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsafeModelFileWarning)
        with pytest.raises(ConfigError, match=r"no predict_proba\(\) method"):
            COMPONENTS["sklearn_model"](SklearnModelParams(path=str(no_proba), method="predict_proba", n_bits=256))

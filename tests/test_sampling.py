"""Sampling from a trained model: counts, uniqueness, give-up limits and argument errors."""

import numpy as np
import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.sampling.sampler import BLOCK, SamplingOptions, generate_block, sample_raw


def test_sample_raw_returns_exactly_num_rows_in_order(tiny_model):
    raw = tiny_model.sample_raw(BLOCK + 10, seed=0)
    assert len(raw) == BLOCK + 10
    assert all(s is None or Chem.MolFromSmiles(s) is not None for s in raw)
    assert any(s is None for s in raw) and any(s for s in raw)
    assert tiny_model.sample_raw(0) == []


def test_sample_returns_valid_canonical_smiles(tiny_model):
    smiles = tiny_model.sample(20, seed=0)
    assert len(smiles) == 20
    for s in smiles:
        assert Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) == s
    assert smiles == [s for s in tiny_model.sample_raw(BLOCK * 2, seed=0) if s][:20]
    mols = tiny_model.sample_mols(3, seed=0)
    assert [Chem.MolToSmiles(m, isomericSmiles=False) for m in mols] == smiles[:3]


def test_sample_unique_returns_distinct_molecules(tiny_model):
    smiles = tiny_model.sample(30, seed=0, unique=True)
    assert len(smiles) == len(set(smiles)) == 30


def test_giving_up_after_max_draws_is_an_input_error(tiny_model):
    with pytest.raises(InputError, match=r"after 50 draws"):
        tiny_model.sample(1000, seed=0, unique=True, max_draws=50)


@pytest.mark.parametrize("num", [-1, -5, 2.5, "10"])
def test_bad_counts_are_input_errors(tiny_model, num):
    with pytest.raises(InputError, match="non-negative integer"):
        tiny_model.sample(num)
    with pytest.raises(InputError, match="non-negative integer"):
        tiny_model.sample_raw(num)


def test_sampling_zero_molecules_gives_an_empty_list(tiny_model):
    assert tiny_model.sample(0) == []


@pytest.mark.parametrize("options", [{"decoding": "beam"}, {"temperature": 0.0}, {"temperature": -1.0}])
def test_bad_decoding_options_are_input_errors(tiny_model, options):
    with pytest.raises(InputError):
        tiny_model.sample_raw(5, **options)


def test_sampling_options_validate():
    with pytest.raises(ValueError):
        SamplingOptions(decoding="beam")
    with pytest.raises(ValueError):
        SamplingOptions(temperature=0)


def test_argmax_decoding_and_correction(tiny_model):
    argmax = tiny_model.sample_raw(200, seed=0, decoding="argmax")
    assert len(argmax) == 200
    plain = tiny_model.sample_raw(500, seed=1)
    corrected = tiny_model.sample_raw(500, seed=1, correct=True)
    assert sum(map(bool, corrected)) >= sum(map(bool, plain))
    # where the graph was already valid, correction changes nothing
    assert all(c == p for p, c in zip(plain, corrected) if p)


def test_graph_blocks_are_uint8_and_symmetric(tiny_model):
    nodes, adj = generate_block(tiny_model.generator, seed=0, block=0, options=SamplingOptions("sample"))
    assert nodes.shape == (BLOCK, tiny_model.vocab.max_atoms) and nodes.dtype == np.uint8
    assert adj.shape == (BLOCK, 9, 9) and np.array_equal(adj, adj.transpose(0, 2, 1))
    assert (np.diagonal(adj, axis1=1, axis2=2) == 0).all()


def test_module_level_sample_raw_matches_the_model(tiny_model):
    options = SamplingOptions(decoding="sample")
    raw = sample_raw(tiny_model.generator, tiny_model.vocab, 100, 3, options, prior=tiny_model.prior)
    assert raw == tiny_model.sample_raw(100, seed=3, discriminator_keep=1.0)  # the plain generator


def test_model_card_and_repr(tiny_model, tiny_model_dir):
    card = tiny_model.card()
    assert card["trained_steps"] == 40 and card["max_atoms"] == 9 and card["z_dim"] == 8
    assert card["path"] == str(tiny_model_dir / "best")
    assert "Model(" in repr(tiny_model)

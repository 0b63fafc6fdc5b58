"""The elite pool of reward-guided self-training, and a short training run that uses it."""

import numpy as np
import pytest
from rdkit import Chem

from molgan.latent.pool import ElitePool
from molgan.chem.vocab import QM9_VOCABULARY


def test_the_pool_keeps_the_best_distinct_molecules_encoded():
    pool = ElitePool(3, QM9_VOCABULARY)
    assert pool.add(["CCO", "CCN", "CCO", None, "CC"], [0.5, 0.4, 0.9, 1.0, 0.1]) == 3
    assert pool.smiles == ["CCO", "CCN", "CC"] and pool.scores.tolist() == [0.9, 0.4, 0.1]
    assert pool.add(["C1CC1", "CCN", "O"], [0.6, 0.99, 0.05]) == 1  # CCN is known, O is worse than the worst
    assert pool.smiles == ["CCO", "C1CC1", "CCN"]
    assert pool.nodes.shape == (3, QM9_VOCABULARY.max_atoms) and pool.adj.shape == (3, 9, 9)
    from molgan.chem.graphs import decode_graphs, to_smiles

    assert to_smiles(decode_graphs(pool.nodes, pool.adj, QM9_VOCABULARY)) == pool.smiles


def test_the_pool_skips_molecules_the_vocabulary_cannot_hold_and_non_finite_scores():
    pool = ElitePool(5, QM9_VOCABULARY)
    assert pool.add(["CCS", "CCCCCCCCCCC", "CC", "CN"], [0.9, 0.9, float("nan"), 0.2]) == 1
    assert pool.smiles == ["CN"]


def test_the_pool_state_round_trips():
    pool = ElitePool(4, QM9_VOCABULARY)
    pool.add(["CCO", "CCN", "c1ccccc1", "CC#N"], [0.3, 0.2, 0.5, 0.5])
    again = ElitePool.from_state(pool.state(), QM9_VOCABULARY)
    assert again.smiles == pool.smiles and np.array_equal(again.scores, pool.scores)
    assert np.array_equal(again.nodes, pool.nodes) and np.array_equal(again.adj, pool.adj)


def test_a_pool_run_improves_the_pool_and_resumes_exactly(tmp_path, tiny_data, make_config):
    from molgan.checkpoint import load_checkpoint
    from molgan.scoring import load_reward
    from molgan.training.loop import train

    reward = load_reward("qed")
    config = make_config(
        steps=6, elite_size=8, elite_every=2, elite_samples=64, rl_start=0.0, rl_lambda=1.0, noise_prior_start=0.0,
        lr_generator=1e-2, decoding="sample",
    )
    straight = tmp_path / "straight"
    train(config, tiny_data, straight, reward=reward)
    state = load_checkpoint(straight / "last").extra["elite_pool"]
    assert len(state["smiles"]) == 8 and len(set(state["smiles"])) == 8
    start = sorted(reward([Chem.MolFromSmiles(s) for s in _tiny_smiles()]), reverse=True)[:8]
    training = {Chem.CanonSmiles(s) for s in _tiny_smiles()}
    generated = [s for s in state["smiles"] if Chem.CanonSmiles(s) not in training]
    assert generated, "no generated molecule entered the pool"
    assert np.mean(state["scores"]) > np.mean(start)  # generated molecules better than the start replaced some
    rescored = reward([Chem.MolFromSmiles(s) for s in state["smiles"]])
    np.testing.assert_allclose(state["scores"], rescored, rtol=1e-6)  # each score is its molecule's reward
    rows = (straight / "metrics.csv").read_text().splitlines()
    assert "eval_reward" in rows[0] and "pool_reward" in rows[0]

    interrupted = tmp_path / "interrupted"

    def stop_at_step_4(step, total, values):
        if step == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tiny_data, interrupted, reward=reward, progress=stop_at_step_4)
    train(config, tiny_data, interrupted, reward=reward, resume=True)
    assert load_checkpoint(interrupted / "last").extra["elite_pool"] == state
    a, b = load_checkpoint(straight / "last").weights, load_checkpoint(interrupted / "last").weights
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_a_pool_needs_a_reward(tmp_path, tiny_data, make_config):
    from molgan.errors import InputError
    from molgan.training.loop import train

    with pytest.raises(InputError, match="reward"):
        train(make_config(elite_size=4), tiny_data, tmp_path)


def _tiny_smiles():
    from conftest import TINY_SMILES

    return TINY_SMILES

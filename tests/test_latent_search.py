"""Reward-guided latent search (molgan.latent_search, ``molgan optimize``)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.errors import InputError
from molgan.latent_search import CodePool, SearchConfig, decode_smiles, optimize
from molgan.scoring import load_reward

SEARCH = dict(rounds=3, samples=256, pool_size=12, search_scale=0.5, parent_share=0.5, bandwidth=0.1, checkpoint_every=1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model that reconstructs some of its training molecules, and those molecules as a file."""
    from conftest import SMALL_SMILES, train_small_model

    root = tmp_path_factory.mktemp("search-model")
    train_small_model(root / "run", steps=1000, eval_every=1000, checkpoint_every=1000, noise_prior="none",
                      lr_generator=3e-3, lr_decay=1.0)
    data = root / "small.smi"
    data.write_text("\n".join(SMALL_SMILES) + "\n")
    return root / "run" / "best", data


def _pool_rows(path):
    with open(path, newline="") as handle:
        return [(row["smiles"], float(row["score"])) for row in csv.DictReader(handle)]


def test_config_refuses_bad_values():
    for bad in (dict(rounds=0), dict(samples=-1), dict(pool_size=2.5), dict(bandwidth=0), dict(parent_share=1.5),
                dict(search_scale=-0.1)):
        with pytest.raises(InputError):
            SearchConfig(**bad)


def test_code_pool_keeps_the_best_distinct_molecules():
    pool = CodePool(3, z_dim=2)
    codes = torch.arange(10, dtype=torch.float32).reshape(5, 2)
    assert pool.add(["A", "B", "C", "D", "E"], np.array([0.1, 0.5, np.nan, 0.3, 0.9]), codes) == 3
    assert pool.smiles == ["E", "B", "D"]
    assert np.allclose(pool.scores, [0.9, 0.5, 0.3])
    assert torch.equal(pool.codes, codes[[4, 1, 3]])
    assert pool.add(["E", "F"], np.array([1.0, 0.2]), codes[:2]) == 0  # known, and worse than the worst
    assert pool.add(["G"], np.array([0.4]), codes[:1]) == 1
    assert pool.smiles == ["E", "B", "G"]
    parents = pool.parents(50, share=0.34, generator=torch.Generator().manual_seed(0))
    assert torch.equal(parents, pool.codes[:1].expand(50, 2))  # the best third of three is the best one


def test_search_finds_better_molecules_and_each_code_decodes_to_its_molecule(trained, tmp_path):
    from molgan.checkpoint import load_checkpoint
    from molgan.modules import build_generator

    model_dir, data = trained
    reward = load_reward("qed")
    result = optimize(model_dir, reward, tmp_path / "s", SearchConfig(**SEARCH), data=str(data), reward_name="qed")
    rows = _pool_rows(tmp_path / "s" / "pool.csv")
    assert len(rows) == result.pool_size > 0
    scores = [v for _, v in rows]
    assert scores == sorted(scores, reverse=True)
    with open(tmp_path / "s" / "search.csv") as handle:
        log = list(csv.DictReader(handle))
    assert [int(r["round"]) for r in log] == [1, 2, 3]
    assert float(log[-1]["pool_mean"]) == pytest.approx(result.pool_mean, abs=1e-5)
    # the pool's codes are the noise that produced each molecule: decoding them gives the molecules back
    checkpoint = load_checkpoint(tmp_path / "s" / "model")
    generator = build_generator(checkpoint.config.model, checkpoint.vocab)
    checkpoint.load_into("generator", generator)
    generator.eval()
    codes = checkpoint.state_dict("prior")["codes"].float()
    assert len(codes) == len(rows)
    decoded = decode_smiles(generator, codes, checkpoint.vocab)
    assert np.mean([d == s for d, (s, _) in zip(decoded, rows)]) >= 0.9  # codes are stored in float16
    # the reward of the pool is the reward RDKit gives those molecules
    from rdkit import Chem
    from rdkit.Chem.QED import qed

    assert scores[0] == pytest.approx(qed(Chem.MolFromSmiles(rows[0][0])), abs=1e-5)
    assert checkpoint.extra["prior"]["kind"] == "latent-search"


def test_search_beats_its_starting_pool(trained, tmp_path):
    model_dir, data = trained
    reward = load_reward("qed")
    start = optimize(model_dir, reward, tmp_path / "a", SearchConfig(**{**SEARCH, "rounds": 1, "samples": 1}),
                     data=str(data))
    longer = optimize(model_dir, reward, tmp_path / "b", SearchConfig(**{**SEARCH, "rounds": 6}), data=str(data))
    assert longer.pool_mean > start.pool_mean


def test_killed_search_resumes_to_the_same_pool(trained, tmp_path):
    model_dir, data = trained
    reward = load_reward("qed")
    optimize(model_dir, reward, tmp_path / "whole", SearchConfig(**SEARCH), data=str(data))
    optimize(model_dir, reward, tmp_path / "cut", SearchConfig(**{**SEARCH, "rounds": 1}), data=str(data))
    optimize(model_dir, reward, tmp_path / "cut", SearchConfig(**SEARCH), data=str(data), resume=True)
    assert _pool_rows(tmp_path / "cut" / "pool.csv") == _pool_rows(tmp_path / "whole" / "pool.csv")
    with open(tmp_path / "cut" / "search.csv") as handle:
        assert [int(r["round"]) for r in csv.DictReader(handle)] == [1, 2, 3]


def test_searched_model_samples_near_its_pool(trained, tmp_path):
    import molgan

    model_dir, data = trained
    molgan.optimize(model_dir, reward="qed", out=tmp_path / "s", data=str(data), **SEARCH)
    pool = {s for s, _ in _pool_rows(tmp_path / "s" / "pool.csv")}
    smiles = molgan.load(tmp_path / "s" / "model").sample(200, seed=0)
    assert np.mean([s in pool for s in smiles]) > 0.5


def test_cli_optimize_and_its_errors(trained, tmp_path):
    model_dir, data = trained
    runner = CliRunner()
    args = ["optimize", str(model_dir), "--reward", "qed", "--out", str(tmp_path / "s"), "--data", str(data),
            "--rounds", "2", "--samples", "128", "--pool-size", "8", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "model" / "model.safetensors").exists()
    assert "pool of" in result.output
    for bad, message in (
        (["--reward", "nosuchreward"], "no reward preset"),
        (["--rounds", "0"], "rounds must be a positive integer"),
        (["--bandwidth", "-1"], "bandwidth must be positive"),
    ):
        result = runner.invoke(app, args[:2] + bad + args[4:] if bad[0] == "--reward" else args + bad)
        assert result.exit_code != 0
        assert message in str(result.exception) + result.output


def test_optimize_needs_an_encoder(tmp_path):
    from conftest import train_small_model

    out = train_small_model(tmp_path / "run", steps=2, eval_every=2, checkpoint_every=2, reconstruction_weight=0.0,
                            noise_prior="none")
    with pytest.raises(InputError, match="no encoder"):
        optimize(out / "best", load_reward("qed"), tmp_path / "s", SearchConfig(**SEARCH))

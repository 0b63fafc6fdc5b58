"""Reward-guided latent search (molgan.latent.search, ``molgan optimize``)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from molgan.chem.mol import to_mols
from molgan.cli.main import app
from molgan.errors import InputError
from molgan.latent.search import CodePool, SearchConfig, optimize, smiles_from_noise
from molgan.scoring import load_reward

SEARCH = dict(rounds=3, samples=256, pool_size=12, search_scale=0.5, parent_share=0.5, bandwidth=0.1, checkpoint_every=1,
              prior_size=10, polish_rounds=2, polish_samples=4)


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


def _pool_rows(path, kept_only=False):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(row["smiles"], float(row["score"])) for row in rows if row["in_prior"] == "1" or not kept_only]


def test_config_refuses_bad_values():
    for bad in (dict(rounds=0), dict(samples=-1), dict(pool_size=2.5), dict(bandwidth=0), dict(parent_share=1.5),
                dict(search_scale=-0.1), dict(polish_rounds=-1), dict(prior_size=0)):
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
    from molgan.nn.build import build_generator

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
    # the prior keeps prior_size codes, polished versions of the noise that produced pool molecules
    checkpoint = load_checkpoint(tmp_path / "s" / "model")
    generator = build_generator(checkpoint.config.model, checkpoint.vocab)
    checkpoint.load_into("generator", generator)
    generator.eval()
    codes = checkpoint.state_dict("prior")["codes"].float()
    kept = _pool_rows(tmp_path / "s" / "pool.csv", kept_only=True)
    assert len(codes) == len(kept) == min(SEARCH["prior_size"], len(rows)) == result.prior_size
    decoded = smiles_from_noise(generator, codes, checkpoint.vocab)
    assert np.mean([d in {s for s, _ in kept} for d in decoded]) >= 0.9  # codes are stored in float16
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


def test_killed_search_resumes_to_the_same_model(trained, tmp_path, monkeypatch):
    import molgan.latent.search as latent_search
    from molgan.checkpoint import load_checkpoint

    model_dir, data = trained
    reward = load_reward("qed")
    cfg = SearchConfig(**{**SEARCH, "rounds": 5, "checkpoint_every": 2})
    optimize(model_dir, reward, tmp_path / "whole", cfg, data=str(data))
    real_round, calls = latent_search.search_round, []

    def killed_in_round_4(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_round(*args, **kwargs)

    monkeypatch.setattr(latent_search, "search_round", killed_in_round_4)
    with pytest.raises(KeyboardInterrupt):
        optimize(model_dir, reward, tmp_path / "cut", cfg, data=str(data))
    monkeypatch.setattr(latent_search, "search_round", real_round)
    with open(tmp_path / "cut" / "search.csv") as handle:  # round 3 was logged, the state holds round 2
        assert [int(r["round"]) for r in csv.DictReader(handle)] == [1, 2, 3]
    optimize(model_dir, reward, tmp_path / "cut", cfg, data=str(data), resume=True)
    assert _pool_rows(tmp_path / "cut" / "pool.csv") == _pool_rows(tmp_path / "whole" / "pool.csv")
    with open(tmp_path / "cut" / "search.csv") as handle:
        assert [int(r["round"]) for r in csv.DictReader(handle)] == [1, 2, 3, 4, 5]
    codes = [load_checkpoint(tmp_path / run / "model").state_dict("prior")["codes"] for run in ("whole", "cut")]
    assert torch.equal(codes[0], codes[1])


def test_resume_refuses_other_settings_and_a_fresh_run_ignores_old_state(trained, tmp_path):
    model_dir, data = trained
    reward = load_reward("qed")
    optimize(model_dir, reward, tmp_path / "s", SearchConfig(**SEARCH), data=str(data))
    with pytest.raises(InputError, match="other settings \\(samples\\)"):
        optimize(model_dir, reward, tmp_path / "s", SearchConfig(**{**SEARCH, "samples": 100}), data=str(data),
                 resume=True)
    (tmp_path / "s" / "search_state.safetensors").write_bytes(b"not a state file")
    with pytest.raises(InputError, match="cannot resume"):
        optimize(model_dir, reward, tmp_path / "s", SearchConfig(**SEARCH), data=str(data), resume=True)
    fresh = optimize(model_dir, reward, tmp_path / "s", SearchConfig(**SEARCH), data=str(data))  # not resumed
    assert fresh.pool_size > 0


def test_non_finite_rewards_never_enter_the_pool(trained, tmp_path):
    from rdkit.Chem.QED import qed

    model_dir, data = trained

    def odd_reward(mols):  # NaN for molecules with an oxygen, inf for those with a nitrogen, QED otherwise
        return np.array([np.nan if m.HasSubstructMatch(OXYGEN) else np.inf if m.HasSubstructMatch(NITROGEN) else qed(m)
                         for m in mols])

    from rdkit import Chem

    OXYGEN, NITROGEN = Chem.MolFromSmarts("[#8]"), Chem.MolFromSmarts("[#7]")
    result = optimize(model_dir, odd_reward, tmp_path / "s", SearchConfig(**SEARCH), data=str(data))
    rows = _pool_rows(tmp_path / "s" / "pool.csv")
    assert len(rows) == result.pool_size > 0
    assert all(not set(s) & set("OoNn") for s, _ in rows)
    assert np.isfinite(result.expected_reward)


def test_searched_model_samples_near_its_pool(trained, tmp_path):
    import molgan

    model_dir, data = trained
    molgan.optimize(model_dir, reward="qed", out=tmp_path / "s", data=str(data), **SEARCH)
    pool = {s for s, _ in _pool_rows(tmp_path / "s" / "pool.csv")}
    model, base = molgan.load(tmp_path / "s" / "model"), molgan.load(model_dir)
    searched = model.sample(2000, seed=0)
    before = base.sample(2000, seed=0)  # same seed, same number: only the noise prior differs
    share, share_before = np.mean([s in pool for s in searched]), np.mean([s in pool for s in before])
    assert share > 0.5 and share > share_before + 0.2
    qed = molgan.properties(searched, ["qed"])["qed"]
    qed_before = molgan.properties(before, ["qed"])["qed"]
    assert np.mean(qed) > np.mean(qed_before)
    card = model.card()
    assert card["noise_search"]["reward"] == "qed" and card["noise_search"]["prior_size"] == SEARCH["prior_size"]
    assert card["validation_metrics"] == molgan.load(model_dir).checkpoint.metrics  # the base model's


def test_cli_optimize_and_its_errors(trained, tmp_path, monkeypatch, capsys):
    from molgan.cli.main import run

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
        (["--bandwidth", "-1"], "bandwidth must be a positive number"),
        (["--polish-rounds", "-1"], "polish-rounds must be a non-negative integer"),
        (["--polish-samples", "0"], "polish-samples must be a positive integer"),
        (["--checkpoint-every", "0"], "checkpoint-every must be a positive integer"),
        (["--jobs", "-2"], "--jobs must be a positive number, or 0 or -1 for all cores"),
    ):
        argv = args[:2] + bad + args[4:] if bad[0] == "--reward" else args + bad
        monkeypatch.setattr("sys.argv", ["molgan", *argv])
        with pytest.raises(SystemExit) as exit_info:
            run()
        err = capsys.readouterr().err
        assert exit_info.value.code != 0
        assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1, err


def test_optimize_needs_an_encoder(tmp_path):
    from conftest import train_small_model

    out = train_small_model(tmp_path / "run", steps=2, eval_every=2, checkpoint_every=2, reconstruction_weight=0.0,
                            noise_prior="none")
    with pytest.raises(InputError, match="no encoder"):
        optimize(out / "best", load_reward("qed"), tmp_path / "s", SearchConfig(**SEARCH))


def test_polish_moves_codes_into_their_molecules_regions(trained, tmp_path):
    """After polishing, noise drawn around a code decodes to that code's molecule more often."""
    from molgan.checkpoint import load_checkpoint
    from molgan.data.datasets import load_dataset
    from molgan.latent.search import initial_pool, polish
    from molgan.nn.build import build_encoder, build_generator

    model_dir, data = trained
    checkpoint = load_checkpoint(model_dir)
    generator = build_generator(checkpoint.config.model, checkpoint.vocab)
    checkpoint.load_into("generator", generator)
    generator.eval()
    encoder = build_encoder(checkpoint.config.model, checkpoint.vocab)
    checkpoint.load_into("encoder", encoder)
    cfg = SearchConfig(**{**SEARCH, "bandwidth": 0.3, "polish_rounds": 3, "polish_samples": 16})
    reward = load_reward("qed")
    pool = initial_pool(generator, encoder, load_dataset(str(data), vocab=checkpoint.vocab), reward, cfg, jobs=1)

    def self_rate(codes):
        rng = torch.Generator().manual_seed(5)
        z = codes.repeat_interleave(64, 0) + cfg.bandwidth * torch.randn(len(codes) * 64, codes.shape[1], generator=rng)
        decoded = smiles_from_noise(generator, z, checkpoint.vocab)
        return np.mean([s == pool.smiles[i // 64] for i, s in enumerate(decoded)])

    codes, expected = polish(generator, pool, reward, checkpoint.vocab, cfg, torch.Generator().manual_seed(0), jobs=1)
    assert codes.shape == pool.codes.shape and expected.shape == (len(pool),)
    assert np.all((expected >= 0) & (expected <= 1))
    assert self_rate(codes) > self_rate(pool.codes)
    plain = SearchConfig(**{**SEARCH, "polish_rounds": 0})
    unpolished, scores = polish(generator, pool, reward, checkpoint.vocab, plain, torch.Generator().manual_seed(1), jobs=1)
    assert torch.equal(unpolished, pool.codes)  # no round: the codes stay; the score is their neighbourhood's mean reward
    m = plain.polish_samples
    draws = pool.codes.repeat_interleave(m, 0) + plain.bandwidth * torch.randn(
        len(pool) * m, pool.codes.shape[1], generator=torch.Generator().manual_seed(1))
    decoded = smiles_from_noise(generator, draws, checkpoint.vocab)
    rewards = [0.0 if s is None else float(np.nan_to_num(reward(to_mols([s]))[0])) for s in decoded]
    np.testing.assert_allclose(scores, np.reshape(rewards, (len(pool), m)).mean(1), rtol=1e-9)

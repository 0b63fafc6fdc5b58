"""The fitted noise mixture: sampling is seeded, and a model carrying one draws its noise from it."""

import shutil

import torch

from molgan.checkpoint import load_checkpoint, save_checkpoint
from molgan.model import _StateHolder, load
from molgan.nn.latent_prior import GaussianMixturePrior, fit_prior


def test_fit_prior_recovers_two_clusters():
    g = torch.Generator().manual_seed(0)
    codes = torch.cat([torch.randn(500, 2, generator=g) * 0.1 + 3, torch.randn(500, 2, generator=g) * 0.1 - 3])
    prior = fit_prior(codes, num_components=2)
    means = prior.means[prior.means[:, 0].argsort()]
    assert torch.allclose(means, torch.tensor([[-3.0, -3.0], [3.0, 3.0]]), atol=0.05)
    draws = prior.sample(2000, torch.Generator().manual_seed(1))
    assert draws.shape == (2000, 2)
    assert ((draws[:, 0] > 0).float().mean() - 0.5).abs() < 0.05


def test_sampling_is_seeded_and_scale_shrinks_spread():
    prior = GaussianMixturePrior(torch.ones(1), torch.zeros(1, 4), torch.eye(4)[None], scale=0.5)
    a = prior.sample(100, torch.Generator().manual_seed(3))
    b = prior.sample(100, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert 0.35 < a.std().item() < 0.65


def test_a_model_with_a_prior_samples_from_it(tiny_model_dir, tmp_path):
    target = tmp_path / "with_prior"
    shutil.copytree(tiny_model_dir / "best", target)
    checkpoint = load_checkpoint(target)
    z_dim = checkpoint.config.model.z_dim
    far_away = GaussianMixturePrior(torch.ones(1), torch.full((1, z_dim), 50.0), torch.eye(z_dim)[None] * 1e-3)
    modules = {name: _StateHolder(checkpoint.state_dict(name)) for name in checkpoint.meta["modules"]}
    modules["prior"] = far_away
    save_checkpoint(target, config=checkpoint.config, vocab=checkpoint.vocab, modules=modules, step=checkpoint.step)
    with_prior = load(target)
    assert with_prior.prior is not None and "components=1" in with_prior.card()["noise"]
    plain = load(tiny_model_dir / "best")
    assert plain.prior is None
    assert with_prior.sample_raw(64, seed=0) == with_prior.sample_raw(64, seed=0)
    nodes_a, _ = next(with_prior.iter_graphs(0))
    nodes_b, _ = next(plain.iter_graphs(0))
    assert not (nodes_a == nodes_b).all()  # noise at 50 sigma gives other graphs than N(0, I)

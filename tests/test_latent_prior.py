"""The fitted noise mixture: sampling is seeded, and a model carrying one draws its noise from it."""

import shutil

import pytest
import torch

from molgan.checkpoint import load_checkpoint, save_checkpoint
from molgan.sampling.model import _StateHolder, load, load_prior
from molgan.latent.priors import GaussianMixturePrior, KernelDensityPrior, fit_prior


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
    modules = {name: _StateHolder(checkpoint.state_dict(name)) for name in checkpoint.meta["modules"] if name != "prior"}
    save_checkpoint(tmp_path / "plain", config=checkpoint.config, vocab=checkpoint.vocab, modules=modules, step=checkpoint.step)
    modules["prior"] = far_away
    save_checkpoint(target, config=checkpoint.config, vocab=checkpoint.vocab, modules=modules, step=checkpoint.step)
    with_prior = load(target)
    assert with_prior.prior is not None and "components=1" in with_prior.card()["noise"]
    plain = load(tmp_path / "plain")
    assert plain.prior is None and plain.card()["noise"] == "N(0, I)"
    assert with_prior.sample_raw(64, seed=0) == with_prior.sample_raw(64, seed=0)
    nodes_a, _ = next(with_prior.iter_graphs(0))
    nodes_b, _ = next(plain.iter_graphs(0))
    assert not (nodes_a == nodes_b).all()  # noise at 50 sigma gives other graphs than N(0, I)


def test_kernel_prior_draws_around_its_codes_with_its_bandwidth():
    codes = torch.tensor([[10.0, 0.0], [-10.0, 0.0]])
    prior = KernelDensityPrior(codes, bandwidth=0.5)
    assert prior.codes.dtype == torch.float16 and prior.z_dim == 2 and prior.num_codes == 2
    a = prior.sample(4000, torch.Generator().manual_seed(2))
    assert torch.equal(a, prior.sample(4000, torch.Generator().manual_seed(2)))
    left = a[a[:, 0] < 0]
    assert 0.45 < len(left) / len(a) < 0.55
    assert torch.allclose(left.mean(0), torch.tensor([-10.0, 0.0]), atol=0.05)
    assert 0.45 < left[:, 1].std().item() < 0.55


def test_a_kernel_prior_survives_a_checkpoint_round_trip(tiny_model_dir, tmp_path):
    target = tmp_path / "with_kernel"
    shutil.copytree(tiny_model_dir / "best", target)
    checkpoint = load_checkpoint(target)
    z_dim = checkpoint.config.model.z_dim
    prior = KernelDensityPrior(torch.randn(7, z_dim), bandwidth=0.3)
    modules = {name: _StateHolder(checkpoint.state_dict(name)) for name in checkpoint.meta["modules"] if name != "prior"}
    modules["prior"] = prior
    save_checkpoint(target, config=checkpoint.config, vocab=checkpoint.vocab, modules=modules, step=checkpoint.step)
    loaded = load_prior(load_checkpoint(target))
    assert isinstance(loaded, KernelDensityPrior)
    assert torch.equal(loaded.codes, prior.codes) and float(loaded.bandwidth) == pytest.approx(0.3)
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    assert torch.equal(loaded.sample(16, g1), prior.sample(16, g2))


def test_a_shipped_kernel_prior_stores_its_codes_in_int8_steps(tiny_model_dir, tmp_path):
    from molgan.latent.priors import compact_kernel_state

    codes = torch.randn(500, 4) * torch.tensor([0.1, 1.0, 3.0, 0.0])  # a constant dimension too
    conditions = torch.randn(500, 2)
    prior = KernelDensityPrior(codes, bandwidth=0.4, conditions=conditions)
    compact = compact_kernel_state(prior.state_dict())
    assert compact["codes"].dtype == torch.int8 and compact["conditions"].dtype == torch.float16
    restored = KernelDensityPrior.from_state(compact)
    half_step = compact["code_step"] / 2 + 1e-3 * codes.abs().max(0).values  # + float16 rounding of the codes
    assert ((restored.codes.float() - prior.codes.float()).abs() <= half_step).all()
    assert torch.allclose(restored.conditions, conditions, atol=2e-3) and float(restored.bandwidth) == pytest.approx(0.4)
    assert torch.equal(KernelDensityPrior.from_state(prior.state_dict()).codes, prior.codes)  # float16 as saved by training
    sizes = [sum(v.numel() * v.element_size() for v in state.values()) for state in (prior.state_dict(), compact)]
    assert sizes[1] < 0.51 * sizes[0]


@pytest.mark.parametrize("kind", ["kernel", "mixture"])
def test_fit_code_prior_uses_the_encoder_codes(tiny_data, kind):
    from molgan.config import ModelConfig
    from molgan.latent.codes import encode_codes, fit_code_prior
    from molgan.nn.build import build_encoder

    torch.manual_seed(0)
    encoder = build_encoder(ModelConfig(z_dim=3, encoder_dims=(16,)), tiny_data.vocab)
    codes = encode_codes(encoder, tiny_data.nodes, tiny_data.adj, tiny_data.vocab)
    assert codes.shape == (len(tiny_data.nodes), 3)
    prior = fit_code_prior(encoder, tiny_data.nodes, tiny_data.adj, tiny_data.vocab, kind=kind, size=1000, scale=0.2)
    if kind == "kernel":  # keeps every code (fewer than asked for), rounded to float16
        assert torch.allclose(prior.codes.float(), codes, atol=1e-2)
    else:  # no more components than codes
        assert prior.num_components == len(codes)
        overall_mean = (prior.weights[:, None] * prior.means).sum(0)  # EM keeps the data mean
        assert torch.allclose(overall_mean, codes.mean(0), atol=1e-3)


def test_noise_scale_replaces_the_prior_width_and_needs_a_prior(tiny_model_dir, tmp_path):
    from molgan.errors import InputError

    model = load(tiny_model_dir / "best", noise_scale=0.01)
    assert isinstance(model.prior, KernelDensityPrior) and float(model.prior.bandwidth) == pytest.approx(0.01)
    default = load(tiny_model_dir / "best")  # the width its trained discriminator's rejection sampling is set against
    assert float(default.prior.bandwidth) == pytest.approx(0.5) and default.noise_scale == 0.5
    assert float(load_prior(load_checkpoint(tiny_model_dir / "best")).bandwidth) == pytest.approx(0.4)  # as trained
    assert torch.equal(model.prior.codes, default.prior.codes)
    with pytest.raises(InputError, match="positive"):
        load(tiny_model_dir / "best", noise_scale=0)
    plain = tmp_path / "plain"
    checkpoint = load_checkpoint(tiny_model_dir / "best")
    modules = {name: _StateHolder(checkpoint.state_dict(name)) for name in checkpoint.meta["modules"] if name != "prior"}
    save_checkpoint(plain, config=checkpoint.config, vocab=checkpoint.vocab, modules=modules, step=checkpoint.step)
    with pytest.raises(InputError, match="noise prior"):
        load(plain, noise_scale=0.5)


def test_mixture_with_scale_keeps_the_components():
    prior = GaussianMixturePrior(torch.ones(2), torch.zeros(2, 3), torch.eye(3).repeat(2, 1, 1), scale=1.0)
    narrow = prior.with_scale(0.1)
    assert float(narrow.scale) == pytest.approx(0.1) and torch.equal(narrow.means, prior.means)
    assert narrow.sample(500, torch.Generator().manual_seed(0)).std().item() < 0.15

"""The relational discriminator of the default recipe: its losses, R1, the straight-through input, its schedule,
what reaches the generator through it, resume with it on, and the switch that turns it off."""

import csv
import itertools
import math

import numpy as np

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from typer.testing import CliRunner

from molgan.checkpoint import load_checkpoint
from molgan.cli.main import app
from molgan.config import RunConfig
from molgan.nn.build import build_modules
from molgan.chem.vocab import QM9_VOCABULARY
from molgan.training import losses
from molgan.training.loop import train
from molgan.training.steps import CriticSettings, GraphBatch, adversarial_term, critic_step, straight_through

from conftest import TINY_MODEL, TINY_SMILES, TINY_TOML


class LinearCritic(nn.Module):
    """``D(nodes, adj) = <a, nodes> + <b, adj>`` per graph: its input gradient is ``(a, b)`` everywhere."""

    def __init__(self, nodes_shape, adj_shape):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.a = nn.Parameter(torch.randn(nodes_shape, generator=generator))
        self.b = nn.Parameter(torch.randn(adj_shape, generator=generator))

    def forward(self, nodes, adj):
        return ((nodes * self.a).flatten(1).sum(1) + (adj * self.b).flatten(1).sum(1)).unsqueeze(-1)


def real_batch(num=6):
    from rdkit import Chem

    from molgan.chem.graphs import encode_mols

    encoded = encode_mols([Chem.MolFromSmiles(s) for s in TINY_SMILES[:num]], QM9_VOCABULARY)
    return GraphBatch.from_indices(
        torch.from_numpy(encoded.nodes), torch.from_numpy(encoded.adj), QM9_VOCABULARY.num_node_types,
        QM9_VOCABULARY.num_bond_types,
    )


def test_r1_is_the_squared_input_gradient_norm_of_a_plain_computation():
    real = real_batch()
    critic = LinearCritic(real.nodes_onehot.shape[1:], real.adj_onehot.shape[1:])
    expected = critic.a.pow(2).sum() + critic.b.pow(2).sum()  # the same for every graph
    torch.testing.assert_close(losses.r1_penalty(critic, (real.nodes_onehot, real.adj_onehot)), expected)


def test_r1_of_a_quadratic_critic_matches_its_analytic_gradient():
    """``D(x) = sum(x^2)``: grad 2x, so R1 = mean over graphs of 4 * sum(x^2); it also differentiates (create_graph)."""

    class Quadratic(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.tensor(1.5))

        def forward(self, nodes, adj):
            return self.scale * (nodes.pow(2).flatten(1).sum(1) + adj.pow(2).flatten(1).sum(1))

    nodes, adj = torch.rand(4, 3, 5), torch.rand(4, 3, 3, 2)
    critic = Quadratic()
    penalty = losses.r1_penalty(critic, (nodes, adj))
    squares = nodes.pow(2).flatten(1).sum(1) + adj.pow(2).flatten(1).sum(1)
    torch.testing.assert_close(penalty, (4 * 1.5**2 * squares).mean())
    penalty.backward()
    torch.testing.assert_close(critic.scale.grad, (8 * 1.5 * squares).mean())


def test_hinge_and_the_loss_tables():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    assert losses.hinge_critic_loss(real, fake).item() == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    assert set(losses.CRITIC_LOSSES) == set(losses.GENERATOR_LOSSES) == {"bce", "hinge", "wgan"}
    assert losses.GENERATOR_LOSSES["hinge"](fake).item() == pytest.approx(1.0)


def test_straight_through_graphs_are_hard_one_hot_without_bonds_to_empty_slots_and_carry_gradients():
    torch.manual_seed(0)
    node_logits = torch.randn(3, 9, QM9_VOCABULARY.num_node_types, requires_grad=True)
    edge_logits = torch.randn(3, 9, 9, QM9_VOCABULARY.num_bond_types)
    edge_logits = (0.5 * (edge_logits + edge_logits.transpose(1, 2))).requires_grad_(True)
    nodes, adj = straight_through(node_logits, edge_logits)
    assert torch.equal(nodes.sum(-1), torch.ones(3, 9)) and set(nodes.unique().tolist()) == {0.0, 1.0}
    assert set(adj.detach().unique().tolist()) <= {0.0, 1.0} and torch.allclose(adj.sum(-1), torch.ones(3, 9, 9))
    empty = nodes[..., 0].bool()
    assert empty.any()
    assert (adj[..., 1:].sum(-1)[empty] == 0).all() and (adj[..., 1:].sum(-1).transpose(1, 2)[empty] == 0).all()
    (nodes[..., 1].sum() + adj[..., 1].sum()).backward()
    assert node_logits.grad.abs().sum() > 0 and edge_logits.grad.abs().sum() > 0


def tiny_modules():
    from molgan.config import ModelConfig

    torch.manual_seed(0)
    return build_modules(ModelConfig(**TINY_MODEL), QM9_VOCABULARY)


def test_gradients_reach_the_generator_through_the_discriminator_and_not_its_weights():
    modules = tiny_modules()
    z = torch.randn(8, TINY_MODEL["z_dim"])
    term = adversarial_term(modules, straight_through(*modules.generator(z)), "bce")
    term.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in modules.generator.parameters())
    assert all(p.grad is None for p in modules.critic.parameters())
    assert all(p.requires_grad for p in modules.critic.parameters())  # restored after the generator's step


def test_feature_matching_is_the_squared_distance_of_mean_embeddings_and_trains_only_the_generator():
    modules = tiny_modules()
    real = real_batch()
    real_graphs = (real.nodes_onehot, real.adj_onehot)
    fake = straight_through(*modules.generator(torch.randn(8, TINY_MODEL["z_dim"])))
    term = adversarial_term(modules, fake, "bce", real_graphs)
    with torch.no_grad():  # plain reference: sum_k (mean_i f_k(fake_i) - mean_j f_k(real_j))^2
        f_fake, f_real = modules.critic.embed(*fake), modules.critic.embed(*real_graphs)
        expected = sum((f_fake[:, k].mean() - f_real[:, k].mean()) ** 2 for k in range(f_fake.shape[1]))
    assert torch.isclose(term, expected, rtol=1e-5) and term > 0
    term.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in modules.generator.parameters())
    assert all(p.grad is None for p in modules.critic.parameters())
    same = adversarial_term(modules, real_graphs, "bce", real_graphs)
    assert same.item() == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("settings", [
    CriticSettings("bce", "r1", 1.0, 1), CriticSettings("hinge", "none", 0.0, 1), CriticSettings("wgan", "gp", 10.0, 1),
    CriticSettings("bce", "r1", 1.0, 1, "relaxed"),
])
def test_a_discriminator_step_moves_only_the_discriminator_and_reports_finite_values(settings):
    modules = tiny_modules()
    before = {k: v.clone() for k, v in modules.generator.state_dict().items()}
    critic_before = [p.clone() for p in modules.critic.parameters()]
    optimizer = torch.optim.Adam(modules.critic.parameters(), lr=1e-2)
    values = critic_step(modules, optimizer, real_batch(), torch.randn(6, TINY_MODEL["z_dim"]), settings)
    assert all(math.isfinite(v) for v in values.values())
    assert ("d_reg" in values) == (settings.regularizer != "none")
    assert all(torch.equal(before[k], v) for k, v in modules.generator.state_dict().items())
    assert any(not torch.equal(a, b) for a, b in zip(critic_before, modules.critic.parameters()))


def test_lazy_regularisation_weights_r1_by_its_interval():
    """Every k-th step with weight k * gamma / 2 is, to first order, gamma / 2 every step: the loss the
    optimizer sees in a regularised step carries k times the penalty."""
    real, z = real_batch(), torch.randn(6, TINY_MODEL["z_dim"])
    grads = {}
    for every in (1, 4):
        m = tiny_modules()
        sgd = torch.optim.SGD(m.critic.parameters(), lr=0.0)  # lr 0: the step leaves the weights, we read the grads
        critic_step(m, sgd, real, z, CriticSettings("bce", "none", 0.0, 1))
        plain = [p.grad.clone() for p in m.critic.parameters()]
        critic_step(m, sgd, real, z, CriticSettings("bce", "r1", 2.0, every))
        grads[every] = [p.grad - g for p, g in zip(m.critic.parameters(), plain)]
    for one, four in zip(grads[1], grads[4]):
        torch.testing.assert_close(four, 4 * one, atol=1e-6, rtol=1e-4)
    assert any(g.abs().sum() > 0 for g in grads[1])


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_adversarial_path_trains_end_to_end_through_the_cli(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY_TOML)
    (tmp_path / "mols.smi").write_text("\n".join(TINY_SMILES * 2) + "\n")
    result = CliRunner().invoke(app, [
        "train", "--data", str(tmp_path / "mols.smi"), "--config", str(tmp_path / "tiny.toml"), "--out",
        str(tmp_path / "run"), "--steps", "12", "--eval-every", "3", "--checkpoint-every", "6", "--quiet",
        "--adversarial-weight", "0.5", "--loss", "hinge", "--regularizer", "r1", "--regularizer-weight", "2",
        "--regularizer-every", "2", "--n-critic", "2",
    ])
    assert result.exit_code == 0, result.output
    rows = read_rows(tmp_path / "run" / "metrics.csv")
    d_loss = [float(r["d_loss"]) for r in rows if r["d_loss"]]
    g_adv = [float(r["g_adv"]) for r in rows if r["g_adv"]]
    assert len(d_loss) == 3 and all(math.isfinite(v) for v in d_loss + g_adv)  # from step 3 (start 0.25 of 12)
    assert len(set(d_loss)) == 3 and len(set(g_adv)) == 3  # they move
    critic = load_checkpoint(tmp_path / "run" / "last").config.train.critic
    assert (critic.loss, critic.regularizer, critic.regularizer_weight, critic.regularizer_every, critic.n_critic) == (
        "hinge", "r1", 2.0, 2, 2)
    assert load_checkpoint(tmp_path / "run" / "best").has("critic")


def test_no_discriminator_keeps_no_critic_and_ignores_every_critic_setting(tmp_path, tiny_data, make_config):
    """The switch gives the auto-encoder recipe: whatever the discriminator's settings, the generator is the same,
    and no untrained critic is stored."""
    runs = {
        "off": dict(adversarial_weight=0.0),
        "off_other_settings": dict(adversarial_weight=0.0, loss="wgan", regularizer="gp", n_critic=3, lr_critic=0.5),
    }
    for name, options in runs.items():
        train(make_config(**options), tiny_data, tmp_path / name)
    a, b = load_checkpoint(tmp_path / "off" / "last"), load_checkpoint(tmp_path / "off_other_settings" / "last")
    assert not a.has("critic") and not load_checkpoint(tmp_path / "off" / "best").has("critic")
    assert a.weights.keys() == b.weights.keys() and all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
    on = tmp_path / "on"
    train(make_config(adversarial_weight=0.5), tiny_data, on)
    generator = [k for k in a.weights if k.startswith("generator.")]
    assert any(not torch.equal(a.weights[k], load_checkpoint(on / "last").weights[k]) for k in generator)


def test_the_cli_switch_and_a_contradiction(tmp_path, capsys, monkeypatch):
    from conftest import run_main

    (tmp_path / "tiny.toml").write_text(TINY_TOML)
    (tmp_path / "mols.smi").write_text("\n".join(TINY_SMILES * 2) + "\n")
    base = ["train", "--data", str(tmp_path / "mols.smi"), "--config", str(tmp_path / "tiny.toml"), "--steps", "2",
            "--eval-every", "2", "--quiet"]
    result = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "off"), "--no-discriminator"])
    assert result.exit_code == 0, result.output
    assert load_checkpoint(tmp_path / "off" / "last").config.train.critic.adversarial_weight == 0.0
    code, _, stderr = run_main([*base, "--out", tmp_path / "x", "--no-discriminator", "--adversarial-weight", "1"], capsys, monkeypatch)
    assert code != 0 and "contradict" in stderr and len(stderr.strip().splitlines()) == 1


def test_old_configs_keep_their_meaning():
    """A checkpoint config of the WGAN-GP era (``gp_weight``, 5 critic steps) loads as WGAN + GP with that weight."""
    old = {"train": {"adversarial_weight": 0.1, "gp_weight": 7.0}}
    critic = RunConfig.from_dict(old).train.critic
    assert (critic.loss, critic.regularizer, critic.regularizer_weight, critic.n_critic) == ("wgan", "gp", 7.0, 5)
    bce = RunConfig.from_dict({"train": {"critic": {"loss": "bce", "gp_weight": 10.0, "n_critic": 5}}}).train.critic
    assert bce.regularizer == "none"


def test_the_generator_optimizer_is_the_same_with_and_without_the_discriminator(tmp_path, tiny_data, make_config):
    from molgan.training.loop import _optimizers

    for weight in (0.0, 0.5):
        cfg = make_config(adversarial_weight=weight).train
        modules = tiny_modules()
        if weight == 0:
            modules.critic = None
        optimizers = _optimizers(modules, cfg)
        assert optimizers["generator"].defaults["betas"] == (0.9, 0.999)
        assert ("critic" in optimizers) == (weight > 0)


def test_rejection_sampling_keeps_about_its_share_prefers_high_scores_and_is_seeded(tmp_path, tiny_data, make_config):
    from molgan.sampling.model import load
    from molgan.sampling.rejection import critic_scores

    train(make_config(adversarial_weight=0.5, steps=8, eval_every=8, checkpoint_every=8), tiny_data, tmp_path / "m")
    model = load(tmp_path / "m" / "last")
    everything = next(model.iter_graphs(seed=3))
    kept = model.rejection_filter(0.5)
    chosen = kept.accept(*everything, seed=3, block=0)
    assert 0.35 < len(chosen) / len(everything[0]) < 0.65
    scores = critic_scores(kept.critic, *everything, model.vocab)
    rest = np.setdiff1d(np.arange(len(scores)), chosen)
    assert scores[chosen].mean() > scores[rest].mean()
    first = next(model.iter_raw(seed=3, discriminator_keep=0.5))
    assert first == next(model.iter_raw(seed=3, discriminator_keep=0.5)) and len(first) == len(chosen)
    assert len(next(model.iter_raw(seed=3, discriminator_keep=1.0))) == len(everything[0])
    # away from one half too: 0.8 keeps about 80 % of the graphs of later blocks (not the calibration's)
    blocks = list(itertools.islice(model.iter_graphs(seed=4), 4))
    strict = model.rejection_filter(0.8)
    accepted = sum(len(strict.accept(*graphs, seed=4, block=b)) for b, graphs in enumerate(blocks))
    assert abs(accepted / (4 * len(blocks[0][0])) - 0.8) < 0.04


def test_the_acceptance_offset_gives_the_mean_acceptance_asked_for():
    from molgan.sampling.rejection import acceptance_offset, sigmoid

    for spread in (4.0, 1.0):
        scores = np.random.default_rng(0).normal(0.0, spread, 5000)
        for keep in (0.1, 0.56, 0.8, 0.99):
            offset = acceptance_offset(scores, keep)
            assert np.mean(1.0 / (1.0 + np.exp(-(scores - offset)))) == pytest.approx(keep, abs=1e-6)
    # a narrow spread, as a discriminator's scores have: the score quantile (the rule before) kept far fewer
    assert np.mean(sigmoid(scores - np.quantile(scores, 0.2))) < 0.7
    assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.slow  # real worker processes
def test_rejection_sampling_gives_the_same_file_on_any_number_of_processes(tmp_path, tiny_data, make_config):
    from molgan.sampling.to_file import sample_to_file

    train(make_config(adversarial_weight=0.5, steps=8, eval_every=8, checkpoint_every=8), tiny_data, tmp_path / "m")
    files, drawn = [], set()
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}.smi"
        result = sample_to_file(tmp_path / "m" / "last", out, 2500, raw=True, discriminator_keep=0.6, jobs=jobs)
        assert result.written == 2500 and result.drawn > 2500  # 2,500 accepted graphs of more generated ones
        files.append(out.read_bytes())
        drawn.add(result.drawn)
    assert files[0] == files[1] and len(drawn) == 1


def test_a_model_samples_with_the_rejection_and_width_it_was_trained_for_unless_told_otherwise(tmp_path, tiny_data, make_config):
    from molgan.sampling.model import load

    cfg = make_config(adversarial_weight=0.5, steps=8, eval_every=8, checkpoint_every=8)
    cfg.train.critic.sample_keep, cfg.train.critic.sample_noise_scale = 0.5, 0.7
    train(cfg, tiny_data, tmp_path / "m")
    model = load(tmp_path / "m" / "last")
    assert model.default_keep == 0.5 and model.noise_scale == 0.7 and model.prior.scale == pytest.approx(0.7)
    assert load(tmp_path / "m" / "last", noise_scale=0.3).noise_scale == 0.3
    by_default = next(model.iter_raw(seed=2))
    assert by_default == next(model.iter_raw(seed=2, discriminator_keep=0.5)) and len(by_default) < 700
    assert len(next(model.iter_raw(seed=2, discriminator_keep=1.0))) == 1024  # 1 turns rejection off
    cfg.train.critic.adversarial_weight = 0.0  # the switch: no discriminator, so neither applies
    train(cfg, tiny_data, tmp_path / "off")
    off = load(tmp_path / "off" / "last")
    assert off.default_keep is None and off.noise_scale is None and len(next(off.iter_raw(seed=2))) == 1024


def test_the_valence_check_baseline_drops_exactly_the_hypervalent_graphs(tmp_path, tiny_data, make_config):
    from molgan.benchmarks.noise_scale import hypervalent, valence_checked_raw
    from molgan.errors import InputError
    from molgan.sampling.model import load
    from molgan.sampling.sampler import decode_smiles

    n = QM9_VOCABULARY.max_atoms
    carbon, nitrogen = QM9_VOCABULARY.atom_types.index(("C", 0)) + 1, QM9_VOCABULARY.atom_types.index(("N", 0)) + 1
    nodes = np.zeros((3, n), dtype=np.uint8)
    adj = np.zeros((3, n, n), dtype=np.uint8)
    nodes[:, :2] = [carbon, nitrogen]
    adj[:, 0, 1] = adj[:, 1, 0] = [1, 3, 3]  # C-N, C#N, and C#N with a bond to an empty slot: none hypervalent
    nodes[1, 2] = carbon
    adj[1, 1, 2] = adj[1, 2, 1] = 1  # ... except N carrying four bonds (neutral N: at most 3)
    adj[2, 1, 5] = adj[2, 5, 1] = 2  # slot 5 is empty: that bond is not counted
    assert hypervalent(nodes, adj, QM9_VOCABULARY).tolist() == [False, True, False]

    train(make_config(adversarial_weight=0.0, steps=4, eval_every=4, checkpoint_every=4), tiny_data, tmp_path / "m")
    model = load(tmp_path / "m" / "last")
    nodes, adj = next(model.iter_graphs(seed=0))
    kept = ~hypervalent(nodes, adj, model.vocab)
    expected = decode_smiles(nodes[kept], adj[kept], model.vocab)
    if expected:
        assert valence_checked_raw(model, len(expected)) == expected
    with pytest.raises(InputError, match=f"only {len(expected)} of {len(expected) + 1} graphs"):
        valence_checked_raw(model, len(expected) + 1, max_draws=len(nodes))


def test_rejection_sampling_needs_a_trained_discriminator(tmp_path, tiny_data, make_config):
    from molgan.errors import InputError
    from molgan.sampling.model import load

    train(make_config(adversarial_weight=0.0, steps=2, eval_every=2, checkpoint_every=2), tiny_data, tmp_path / "m")
    with pytest.raises(InputError, match="no trained discriminator"):
        load(tmp_path / "m" / "last").rejection_filter(0.8)


def test_valence_features_see_each_atoms_free_and_excess_valence():
    """Methane-like and hypervalent carbons: free and excess valence read off the graph, as RDKit counts them."""
    from molgan.nn import GraphCritic
    from molgan.nn.valence import max_valences

    limits = max_valences(QM9_VOCABULARY)
    critic = GraphCritic(QM9_VOCABULARY.num_node_types, QM9_VOCABULARY.num_bond_types, (8,), 8, (8,), valence_limits=limits)
    carbon = 1 + QM9_VOCABULARY.atom_types.index(("C", 0))
    n = QM9_VOCABULARY.max_atoms
    nodes = torch.zeros(2, n, dtype=torch.long)
    adj = torch.zeros(2, n, n, dtype=torch.long)
    nodes[:, :3] = carbon  # C=C-C, then the same with a triple and a double bond on the middle carbon (valence 5)
    adj[0, 0, 1] = adj[0, 1, 0] = 2
    adj[0, 1, 2] = adj[0, 2, 1] = 1
    adj[1, 0, 1] = adj[1, 1, 0] = 3
    adj[1, 1, 2] = adj[1, 2, 1] = 2
    adj[:, 3, 0] = adj[:, 0, 3] = 1  # a bond to an empty slot does not count
    onehot = F.one_hot(nodes, QM9_VOCABULARY.num_node_types).float(), F.one_hot(adj, QM9_VOCABULARY.num_bond_types).float()
    excess, free = critic._valence(*onehot)
    assert excess[0].abs().sum() == 0 and free[0, :3].tolist() == [2.0, 1.0, 3.0]
    assert excess[1, :3].tolist() == [0.0, 1.0, 0.0] and free[1, :3].tolist() == [1.0, 0.0, 2.0]
    assert free[:, 3:].abs().sum() == 0
    soft_nodes, soft_adj = (t.clone().requires_grad_() for t in onehot)
    soft_excess, soft_free = critic._valence(soft_nodes, soft_adj)
    (bond_gradient,) = torch.autograd.grad(soft_excess.sum(), soft_adj, allow_unused=True)
    assert bond_gradient is None or bond_gradient.abs().sum() == 0  # the excess asks no bond to go
    (bond_gradient,) = torch.autograd.grad(soft_free.sum(), soft_adj)
    assert bond_gradient.abs().sum() > 0  # the free valence does steer the bonds
    embedding = critic.embed(*onehot)
    assert embedding[:, -1].tolist() == [0.0, 1.0]  # the graph's total excess, beside the readout
    assert critic(*onehot).shape == (2, 1)


def test_valence_features_are_a_model_setting_of_the_discriminator_alone(tmp_path, tiny_data, make_config):
    from molgan.nn.build import build_critic
    from molgan.sampling.model import load

    cfg = make_config(adversarial_weight=0.5, steps=4, eval_every=4, checkpoint_every=4)
    cfg.model.critic_valence_features = True
    modules = build_modules(cfg.model, QM9_VOCABULARY, reward_net=True)
    assert modules.critic.valence_features and not modules.reward_net.valence_features
    assert not build_critic(cfg.model, QM9_VOCABULARY).valence_features
    train(cfg, tiny_data, tmp_path / "m")
    model = load(tmp_path / "m" / "last")
    kept = model.rejection_filter(0.5)
    assert kept.critic.valence_features and len(next(model.iter_raw(seed=1, discriminator_keep=0.5))) > 0


@pytest.mark.gpu
def test_a_full_adversarial_training_run_and_sampling_on_the_gpu(tmp_path, tiny_data, make_config):
    """The same code on CUDA: discriminator, R1 and generator steps, evaluation, checkpoints, rejection sampling."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from molgan.sampling.model import load

    config = make_config(adversarial_weight=0.5, regularizer_every=1, steps=4, eval_every=2, checkpoint_every=2, device="cuda")
    train(config, tiny_data, tmp_path / "gpu")
    rows = read_rows(tmp_path / "gpu" / "metrics.csv")
    assert rows and all(math.isfinite(float(r["d_loss"])) for r in rows if r["d_loss"])
    model = load(tmp_path / "gpu" / "last", device="cuda")
    assert len(model.sample_raw(64, seed=0)) == 64
    assert next(model.iter_raw(seed=0, discriminator_keep=0.5)) is not None


def test_a_new_prior_samples_at_its_own_width_and_a_critic_before_its_start_does_not_serve(tiny_model_dir):
    """A prior refitted or searched after training (``molgan prior``, ``molgan optimize``) samples as it is: the
    discriminator's defaults were set for the prior it trained against. A checkpoint from before the
    discriminator's start holds an untrained one: it neither serves by default nor on request."""
    from molgan.errors import InputError
    from molgan.latent.priors import KernelDensityPrior
    from molgan.sampling.model import Model, load, save_with_prior

    trained = load(tiny_model_dir / "best")
    assert trained.default_keep == 0.5 and trained.noise_scale == 0.5  # the default recipe's sampling
    checkpoint = load_checkpoint(tiny_model_dir / "best")
    prior = KernelDensityPrior(torch.randn(5, checkpoint.config.model.z_dim), bandwidth=0.2)
    out = save_with_prior(checkpoint, prior, tiny_model_dir.parent / "refitted", extra={})
    refitted = load(out)
    assert refitted.default_keep is None and refitted.noise_scale is None
    assert float(refitted.prior.bandwidth) == pytest.approx(0.2)
    assert len(refitted.sample_raw(50, seed=0, discriminator_keep=0.5)) == 50  # still on request
    early = load_checkpoint(tiny_model_dir / "best")
    early.meta["step"] = 1  # before the discriminator's start (a quarter of training)
    assert not early.critic_trained and Model(early).default_keep is None
    with pytest.raises(InputError, match="no trained discriminator"):
        Model(early).sample_raw(10, discriminator_keep=0.5)


def test_max_draws_counts_generated_graphs_with_rejection(tiny_model):
    from molgan.errors import InputError

    with pytest.raises(InputError, match=r"after 1024 draws") as error:
        tiny_model.sample(10**6, seed=0, max_draws=1024)
    found = int(str(error.value).split()[1])  # "only N of ..."
    drawn = tiny_model.sample_raw(1024, seed=0, mark_rejected=True)  # the first 1,024 graphs, rejected ones False
    assert False in drawn and found == sum(1 for s in drawn if s)  # the valid ones among the 1,024 drawn

"""Conditional generation: condition parsing and validation, the conditioned prior, the networks'
condition inputs, and a short conditional training run through the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.config import RunConfig
from molgan.data.conditions import ConditionStats, ConditionWarning, condition_values, parse_condition
from molgan.errors import ConfigError, InputError
from molgan.latent.conditioned import ConditionedPrior
from molgan.latent.priors import KernelDensityPrior
from molgan.nn.critic import GraphCritic
from molgan.nn.generator import Generator

from conftest import TINY_TOML, run_main


def test_parse_condition():
    assert parse_condition("qed=0.8, logP = 2") == {"qed": 0.8, "logp": 2.0}
    for bad, message in [("qed", "NAME=VALUE"), ("qed=high", "must be a number"), ("qed=1,qed=2", "twice"), (" , ", "empty")]:
        with pytest.raises(InputError, match=message):
            parse_condition(bad)


def test_condition_values_match_rdkit():
    from rdkit import Chem
    from rdkit.Chem import Crippen, QED

    values = condition_values(["qed", "logp"], ["CCO", "not a molecule", "c1ccccc1O"])
    assert values.shape == (3, 2) and np.isnan(values[1]).all()
    assert values[2, 0] == pytest.approx(QED.qed(Chem.MolFromSmiles("c1ccccc1O")))
    assert values[0, 1] == pytest.approx(Crippen.MolLogP(Chem.MolFromSmiles("CCO")))


@pytest.fixture
def stats() -> ConditionStats:
    values = np.stack([np.linspace(0.0, 1.0, 101), np.linspace(-2.0, 2.0, 101)], axis=1)
    return ConditionStats.fit(["qed", "logp"], values)


def test_stats_normalize_and_round_trip(stats):
    assert stats.stats[0].percentiles["50"] == pytest.approx(0.5)
    normalized = stats.normalize(np.array([[0.5, 0.0]]))
    assert normalized == pytest.approx(np.zeros((1, 2)), abs=1e-6)
    assert ConditionStats.from_dict(stats.to_dict()) == stats


def test_targets_check_names_and_ranges(stats):
    targets = stats.targets({"qed": 0.5})
    assert targets.shape == (1, 2) and np.isnan(targets[0, 1])  # logp left free
    assert stats.targets([{"qed": 0.5}, {"logp": 1.0}]).shape == (2, 2)
    with pytest.raises(InputError, match="outside the training range"):
        stats.targets({"qed": 1.5})
    with pytest.raises(InputError, match="conditioned on qed, logp"):
        stats.targets({"mw": 100})
    with pytest.warns(ConditionWarning, match="outer 1 %"):
        stats.targets({"qed": 0.995})


def test_config_validates_conditions():
    assert RunConfig.from_dict({"model": {"conditions": ["QED"]}, "train": {}}).model.conditions == ("qed",)
    with pytest.raises(ConfigError, match="unknown condition"):
        RunConfig.from_dict({"model": {"conditions": ["potency"]}, "train": {}})
    with pytest.raises(ConfigError, match="kernel noise prior"):
        RunConfig.from_dict({"model": {"conditions": ["qed"]}, "train": {"prior": {"kind": "mixture"}}})
    with pytest.raises(ConfigError, match="reward"):
        RunConfig.from_dict({"model": {"conditions": ["qed"]}, "train": {"rl": {"reward": "qed"}}})


def test_conditional_networks_take_the_condition():
    generator = Generator(z_dim=4, max_atoms=5, num_node_types=3, num_bond_types=4, hidden_dims=(8,), condition_dim=2)
    nodes, edges = generator(torch.randn(6, 6))
    assert nodes.shape == (6, 5, 3) and edges.shape == (6, 5, 5, 4)
    critic = GraphCritic(3, 4, conv_dims=(8,), readout_dim=8, head_dims=(8,), condition_dim=2)
    graphs = (torch.softmax(nodes, -1), torch.softmax(edges, -1))
    assert critic(*graphs, torch.zeros(6, 2)).shape == (6, 1)
    # the verdict depends on the condition
    assert not torch.allclose(critic(*graphs, torch.zeros(6, 2)), critic(*graphs, torch.ones(6, 2)))
    with pytest.raises(ValueError, match="condition"):
        critic(*graphs)


def test_conditioned_prior_draws_codes_near_the_target():
    conditions = torch.linspace(-2, 2, 400).reshape(200, 2)
    prior = KernelDensityPrior(torch.randn(200, 3), bandwidth=0.0, conditions=conditions)
    g = torch.Generator().manual_seed(0)
    assert prior.sample(8, g).shape == (8, 5)
    aimed = ConditionedPrior(prior, np.array([[1.0, np.nan]]), window=0.25, min_codes=4)
    z = aimed.sample(500, g)
    assert (z[:, 3] == 1.0).all()  # the generator is asked for the target
    codes = prior.codes.float()
    chosen = [int(torch.nonzero((codes == row).all(1))[0]) for row in z[:500:25, :3]]
    assert all(abs(float(conditions[i, 0]) - 1.0) <= 0.25 for i in chosen)  # codes from the window
    assert torch.equal(z[:, 4], conditions[torch.tensor([int(torch.nonzero((codes == r).all(1))[0]) for r in z[:, :3]]), 1])
    # one target per molecule: the i-th draw aims at target i mod T
    cycling = ConditionedPrior(prior, np.array([[-1.0, np.nan], [1.0, np.nan]]), window=0.25, min_codes=4)
    assert cycling.sample(3, g)[:, 3].tolist() == [-1.0, 1.0, -1.0]
    assert cycling.sample(2, g)[:, 3].tolist() == [1.0, -1.0]


def test_conditioned_prior_draws_every_code_of_a_window_before_repeating_one():
    conditions = torch.linspace(-2, 2, 400).reshape(200, 2)
    prior = KernelDensityPrior(torch.randn(200, 3), bandwidth=0.0, conditions=conditions)
    aimed = ConditionedPrior(prior, np.array([[1.0, np.nan], [-1.0, np.nan]]), window=0.25, min_codes=4)
    sizes = [len(c) for c in aimed.candidates]
    assert min(sizes) > 4
    g = torch.Generator().manual_seed(0)
    z = torch.cat([aimed.sample(7, g) for _ in range(2 * sum(sizes) // 7 + 1)])  # streamed in small calls
    codes = prior.codes.float()
    drawn = torch.tensor([int(torch.nonzero((codes == row).all(1))[0]) for row in z[:, :3]])
    for t, size in enumerate(sizes):
        mine = drawn[t::2]
        assert sorted(mine[:size].tolist()) == aimed.candidates[t].tolist()  # a full pass, no repeat
        assert sorted(mine[size : 2 * size].tolist()) == aimed.candidates[t].tolist()
        assert not torch.equal(mine[:size], mine[size : 2 * size])  # reshuffled between passes


def test_short_conditional_training_and_aimed_sampling(tmp_path, capsys, monkeypatch):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_TOML.replace("[train.critic]", '[train.critic]\nfake_conditions = "data"'))
    out = tmp_path / "run"
    # mw and rings are fast to compute (qed and logp are checked against RDKit above)
    args = ["train", "--data", "moses-sample", "--config", str(config), "--out", str(out), "--condition", "mw,rings",
            "--steps", "40", "--eval-every", "20", "--checkpoint-every", "20", "--adversarial-weight", "0.1", "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    import molgan

    model = molgan.load(out / "last")
    assert model.conditions.names == ("mw", "rings") and model.prior.condition_dim == 2
    assert model.default_keep is None and model.noise_scale is None  # the sampling defaults serve unconditional models
    assert len(model.sample_raw(50, seed=0, condition={"mw": model.conditions.stats[0].percentiles["50"]})) == 50
    code, _, err = run_main(["sample", "--model", str(out / "last"), "--condition", "mw=7", "-n", "5", "-o", "-"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1 and "outside the training range" in err
    # a released conditional model may carry a standing target, which every sampling call aims at
    from molgan.latent.conditioned import ConditionedPrior
    from molgan.pretrained.release import write_trained_weights

    median = model.conditions.stats[0].percentiles["50"]
    aimed_dir = tmp_path / "aimed"
    aimed_dir.mkdir()
    write_trained_weights(out / "last", aimed_dir, {"target": {"mw": median}, "window": 0.5})
    aimed = molgan.load(aimed_dir)
    assert aimed.condition == {"mw": median} and isinstance(aimed.prior, ConditionedPrior)
    assert aimed.sample_raw(40, seed=1) == model.with_condition({"mw": median}, 0.5).sample_raw(40, seed=1)
    assert aimed.card()["aimed_at"] == {"mw": median}


def test_chemistry_rule_of_steered_models():
    from molgan.pretrained.release import chemistry_rule

    data = {"charged": 0.005, "unusual_bond": 0.018, "alert_pains": 0.006, "alert_brenk": 0.56}
    card = {"training_data": data, "samples": dict(data, charged=0.014, alert_brenk=0.30)}
    assert chemistry_rule(card, outside_library=0.6) == []
    card["samples"].update(charged=0.474, unusual_bond=0.142, alert_pains=0.007)
    broken = chemistry_rule(card, outside_library=0.08)
    assert len(broken) == 4 and "charged share 47.4 %" in broken[0] and "unusual bond" in broken[1]
    assert "PAINS" in broken[2] and "8.0 % of distinct samples" in broken[3]


def test_fake_conditions_data_asks_for_random_training_molecules_properties():
    from types import SimpleNamespace

    from molgan.training.loop import TrainingData, _Batches

    conditions = np.arange(20, dtype=np.float32).reshape(10, 2)
    data = TrainingData(np.zeros((10, 3), np.uint8), np.zeros((10, 3, 3), np.uint8), vocab=None, conditions=conditions)
    codes = torch.zeros(10, 4)
    prior = KernelDensityPrior(codes, bandwidth=0.0, conditions=torch.full((10, 2), -1.0))
    state = SimpleNamespace(prior=prior, rng=torch.Generator().manual_seed(0))
    batches = _Batches(state, data, batch_size=64, z_dim=4, device=torch.device("cpu"))
    own = batches.fake_noise("code")
    assert own.shape == (64, 6) and (own[:, 4:] == -1).all()  # the code's own properties
    asked = batches.fake_noise("data")
    assert (asked[:, :4] == 0).all()
    rows = {tuple(r) for r in conditions.tolist()}
    assert all(tuple(r) in rows for r in asked[:, 4:].tolist()) and len({tuple(r) for r in asked[:, 4:].tolist()}) > 3


def test_property_net_learns_properties_and_pulls_the_generator_towards_the_asked_ones():
    from molgan.nn.build import GanModules
    from molgan.training.steps import GraphBatch, condition_term, property_step

    torch.manual_seed(0)
    generator = Generator(z_dim=4, max_atoms=5, num_node_types=3, num_bond_types=4, hidden_dims=(8,), condition_dim=1)
    property_net = GraphCritic(3, 4, conv_dims=(8,), readout_dim=8, head_dims=(8,), out_dim=1)
    modules = GanModules(generator=generator, critic=None, property_net=property_net)
    nodes = torch.randint(0, 3, (16, 5))
    adj = torch.randint(0, 4, (16, 5, 5))
    adj = torch.triu(adj, 1) + torch.triu(adj, 1).transpose(1, 2)
    real = GraphBatch.from_indices(nodes, adj, 3, 4)
    real.conditions = (nodes > 0).float().sum(1, keepdim=True) - 3.0  # a property the net can read: atom count
    optimizer = torch.optim.Adam(property_net.parameters(), lr=1e-2)
    first = property_step(modules, optimizer, real)["p_loss"]
    for _ in range(60):
        last = property_step(modules, optimizer, real)["p_loss"]
    assert last < 0.5 * first
    z = torch.randn(8, 5)
    logits = generator(z)
    fake = (torch.softmax(logits[0], -1), torch.softmax(logits[1], -1))
    term = condition_term(modules, fake, z[:, 4:])
    expected = (property_net(*fake) - z[:, 4:]).pow(2).mean()  # the plain computation
    assert term.item() == pytest.approx(expected.item(), rel=1e-5)
    optimizer.zero_grad(set_to_none=True)
    term.backward()
    assert generator.node_head.weight.grad is not None and generator.node_head.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in property_net.parameters())  # the property net is not trained by it
    with pytest.raises(ConfigError, match="needs model.conditions"):
        RunConfig.from_dict({"model": {}, "train": {"condition_weight": 1.0}})

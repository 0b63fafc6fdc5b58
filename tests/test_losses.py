"""Loss terms of molgan.training.losses on cases with known values."""

import pytest
import torch
import torch.nn.functional as F
from rdkit import Chem

from molgan.training import losses
from molgan.chem.graphs import encode_mols
from molgan.chem.vocab import QM9_VOCABULARY

VOCAB = QM9_VOCABULARY
T, R = VOCAB.num_node_types, VOCAB.num_bond_types
CARBON = VOCAB.atom_index()[("C", 0)]


def onehot_graphs(smiles):
    encoded = encode_mols([Chem.MolFromSmiles(s) for s in smiles], VOCAB, ordering="canonical")
    assert encoded.ok.all(), encoded.failures
    nodes = torch.from_numpy(encoded.nodes).long()
    adj = torch.from_numpy(encoded.adj).long()
    return F.one_hot(nodes, T).float(), F.one_hot(adj, R).float(), nodes, adj


class LinearCritic(torch.nn.Module):
    """``D(x) = <w_n, nodes> + <w_a, adj>`` with ``||(w_n, w_a)|| = 1``: its gradient norm is 1 everywhere."""

    def __init__(self, n: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        w_n, w_a = torch.randn(n, T, generator=g), torch.randn(n, n, R, generator=g)
        norm = torch.sqrt(w_n.pow(2).sum() + w_a.pow(2).sum())
        self.w_n, self.w_a = w_n / norm, w_a / norm

    def forward(self, nodes, adj):
        return (nodes * self.w_n).flatten(1).sum(1, keepdim=True) + (adj * self.w_a).flatten(1).sum(1, keepdim=True)


def test_gradient_penalty_is_zero_for_a_unit_gradient_linear_critic():
    real = onehot_graphs(["CCO", "c1ccccc1", "CC(=O)O"])[:2]
    fake = (torch.rand_like(real[0]).softmax(-1), torch.rand_like(real[1]).softmax(-1))
    penalty = losses.gradient_penalty(LinearCritic(VOCAB.max_atoms), real, fake, torch.Generator().manual_seed(0))
    assert penalty.item() == pytest.approx(0.0, abs=1e-8)


def test_gradient_penalty_grows_with_the_gradient_norm_and_is_differentiable():
    critic = LinearCritic(VOCAB.max_atoms)
    critic.w_n, critic.w_a = 3 * critic.w_n, 3 * critic.w_a  # gradient norm 3 -> penalty (3 - 1)^2
    real = onehot_graphs(["CCO", "CCN"])[:2]
    fake = (torch.full_like(real[0], 1 / T), torch.full_like(real[1], 1 / R))
    assert losses.gradient_penalty(critic, real, fake).item() == pytest.approx(4.0, rel=1e-5)
    from molgan.nn import GraphCritic

    net = GraphCritic(T, R, (8,), 8, (8,))
    losses.gradient_penalty(net, real, fake).backward()
    # the input gradient does not depend on the output bias; every other parameter gets a gradient
    missing = [name for name, p in net.named_parameters() if p.grad is None]
    assert missing == ["head.3.bias"]


def test_max_valences_follow_rdkit_and_formal_charges():
    limits = dict(zip([("", 0), *VOCAB.atom_types], losses.max_valences(VOCAB).tolist()))
    assert limits[("", 0)] == 0
    assert limits[("C", 0)] == 4 and limits[("F", 0)] == 1
    assert limits[("N", 1)] == 4  # N+ like C
    assert limits[("O", -1)] == 1  # O- like F
    assert limits[("C", -1)] == 3  # C- like N


def test_valence_penalty_is_zero_for_valid_molecules():
    nodes, adj, _, _ = onehot_graphs(["CCO", "c1ccccc1", "C#N", "CC(=O)O", "FC(F)(F)F", "C[N+](C)(C)C", "CC(=O)[O-]"])
    assert losses.valence_penalty(nodes, adj, losses.max_valences(VOCAB)).item() == 0.0


def test_valence_penalty_is_positive_for_a_pentavalent_carbon():
    nodes = torch.zeros(1, 6, dtype=torch.long)
    nodes[0, :] = CARBON
    adj = torch.zeros(1, 6, 6, dtype=torch.long)
    adj[0, 0, 1:] = adj[0, 1:, 0] = 1  # carbon 0 has five single bonds
    penalty = losses.valence_penalty(F.one_hot(nodes, T).float(), F.one_hot(adj, R).float(), losses.max_valences(VOCAB))
    assert penalty.item() == pytest.approx(1.0 / 6)  # excess 1, squared, averaged over 6 atoms


def test_valence_penalty_ignores_bonds_to_empty_slots():
    nodes = torch.tensor([[CARBON, 0, 0, 0, 0, 0]])
    adj = torch.zeros(1, 6, 6, dtype=torch.long)
    adj[0, 0, 1:] = adj[0, 1:, 0] = 3
    assert losses.valence_penalty(F.one_hot(nodes, T).float(), F.one_hot(adj, R).float(), losses.max_valences(VOCAB)) == 0


def test_connectivity_penalty_is_zero_on_real_molecules_and_positive_on_fragments():
    nodes, adj, _, _ = onehot_graphs(["CCO", "c1ccccc1", "CC(C)(C)O", "OC1CC1", "CC(N)C(=O)O", "C1CCOC1"])
    assert losses.connectivity_penalty(nodes, adj).item() == pytest.approx(0.0, abs=1e-6)
    nodes, adj, _, _ = onehot_graphs(["CC.CC"])
    assert losses.connectivity_penalty(nodes, adj).item() > 0.1


def test_reconstruction_loss_is_small_for_near_one_hot_logits_and_large_otherwise():
    nodes_1h, adj_1h, nodes, adj = onehot_graphs(["CCO", "c1ccccc1"])
    good = losses.reconstruction_loss(20 * nodes_1h, 20 * adj_1h, nodes, adj)
    bad = losses.reconstruction_loss(-20 * nodes_1h, -20 * adj_1h, nodes, adj)
    assert good.item() < 1e-6
    assert bad.item() > 10


def test_mmd_is_about_zero_for_identical_samples_and_large_for_shifted_ones():
    z = torch.randn(256, 8, generator=torch.Generator().manual_seed(0))
    same = losses.mmd_to_prior(z, z).item()
    assert abs(same) < 2.0 / len(z)  # the unbiased estimator is off by O(1/n) on identical samples
    assert losses.mmd_to_prior(z + 3.0, z).item() > 0.1


def test_kl_divergence_is_zero_at_the_prior():
    assert losses.kl_divergence(torch.zeros(4, 3), torch.zeros(4, 3)).item() == 0.0
    assert losses.kl_divergence(torch.ones(4, 3), torch.zeros(4, 3)).item() == pytest.approx(1.5)


def test_adversarial_losses_have_the_right_signs():
    real, fake = torch.tensor([2.0, 4.0]), torch.tensor([-1.0, 1.0])
    assert losses.wgan_critic_loss(real, fake).item() == -3.0
    assert losses.wgan_generator_loss(fake).item() == 0.0
    assert losses.bce_critic_loss(torch.tensor([50.0]), torch.tensor([-50.0])).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.bce_generator_loss(torch.tensor([-50.0])).item() == pytest.approx(50.0)

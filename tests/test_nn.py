"""Layers and networks of molgan.nn: against reference implementations, shapes, gradients, reprs, devices."""

import pytest
import torch
import torch.nn.functional as F

from molgan.nn import DenseRelationalConv, GatedSumReadout, Generator, GraphCritic, GraphEncoder
from molgan.nn.relax import RELAXATIONS, hard_graphs, relax

B, N, T, R = 3, 7, 5, 4  # graphs, slots, node types (empty included), bond types (no-bond included)

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def random_hard_graphs(seed: int, batch: int = B, nodes: int = N, relations: int = R - 1):
    """Random one-hot relational adjacency ``[B, R, N, N]`` (directed, at most one relation per pair)."""
    g = torch.Generator().manual_seed(seed)
    kind = torch.randint(0, relations + 1, (batch, nodes, nodes), generator=g)  # 0 = no edge
    kind[:, torch.arange(nodes), torch.arange(nodes)] = 0
    adj = F.one_hot(kind, relations + 1)[..., 1:].permute(0, 3, 1, 2).float()
    return adj


def test_relational_conv_matches_pyg_rgcn():
    from torch_geometric.nn import RGCNConv

    torch.manual_seed(0)
    conv = DenseRelationalConv(6, 5, num_relations=3)
    torch.nn.init.normal_(conv.bias)  # a non-zero bias is compared too
    reference = RGCNConv(6, 5, num_relations=3, aggr="add", root_weight=True, bias=True)
    with torch.no_grad():
        reference.weight.copy_(conv.weight)
        reference.root.copy_(conv.root)
        reference.bias.copy_(conv.bias)
    for seed in range(3):
        adj = random_hard_graphs(seed, relations=3)
        x = torch.randn(B, N, 6)
        dense = conv(x, adj)
        for b in range(B):
            rel, target, source = adj[b].nonzero(as_tuple=True)  # adj[r, i, j]: message j -> i
            edge_index = torch.stack([source, target])
            expected = reference(x[b], edge_index, rel)
            torch.testing.assert_close(dense[b], expected, atol=1e-5, rtol=1e-5)


def test_relational_conv_mask_zeroes_absent_nodes_and_soft_adjacency_carries_gradients():
    conv = DenseRelationalConv(4, 3, num_relations=2)
    x = torch.randn(2, 5, 4)
    adj = torch.rand(2, 2, 5, 5, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.float)
    out = conv(x, adj, mask)
    assert out.shape == (2, 5, 3)
    assert torch.all(out[0, 3:] == 0)
    out.sum().backward()
    assert adj.grad is not None and adj.grad.abs().sum() > 0


def test_gated_sum_readout_matches_a_plain_loop():
    torch.manual_seed(1)
    readout = GatedSumReadout(6, 4)
    x = torch.randn(B, N, 6)
    weight = torch.rand(B, N)
    out = readout(x, weight)
    assert out.shape == (B, 4)
    for b in range(B):
        total = torch.zeros(4)
        for i in range(N):
            gate = torch.sigmoid(x[b, i] @ readout.gate.weight.T + readout.gate.bias)
            value = torch.tanh(x[b, i] @ readout.value.weight.T + readout.value.bias)
            total += weight[b, i] * gate * value
        torch.testing.assert_close(out[b], torch.tanh(total), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(readout(x), readout(x, torch.ones(B, N)))


def test_generator_shapes_symmetry_and_no_bond_diagonal():
    torch.manual_seed(2)
    generator = Generator(z_dim=8, max_atoms=N, num_node_types=T, num_bond_types=R, hidden_dims=(16, 16))
    node_logits, edge_logits = generator(torch.randn(B, 8))
    assert node_logits.shape == (B, N, T)
    assert edge_logits.shape == (B, N, N, R)
    torch.testing.assert_close(edge_logits, edge_logits.transpose(1, 2))
    diagonal = edge_logits[:, torch.arange(N), torch.arange(N)]
    assert torch.all(diagonal.argmax(-1) == 0)
    assert torch.all(relax(edge_logits)[:, torch.arange(N), torch.arange(N), 0] > 0.999)
    nodes, adj = hard_graphs(node_logits, edge_logits, "sample", generator=torch.Generator().manual_seed(0))
    assert torch.equal(adj, adj.transpose(1, 2)) and torch.all(adj.diagonal(dim1=1, dim2=2) == 0)


def test_critic_and_encoder_shapes():
    critic = GraphCritic(T, R, conv_dims=(8, 6), readout_dim=5, head_dims=(4,), out_dim=3)
    nodes = F.one_hot(torch.randint(0, T, (B, N)), T).float()
    adj = F.one_hot(torch.randint(0, R, (B, N, N)), R).float()
    assert critic(nodes, adj).shape == (B, 3)
    assert critic.embed(nodes, adj).shape == (B, 5)
    encoder = GraphEncoder(N, T, R, z_dim=4, hidden_dims=(8,))
    mean, log_var = encoder(nodes, adj)
    assert mean.shape == log_var.shape == (B, 4)


def test_critic_is_invariant_to_the_order_of_atoms():
    torch.manual_seed(3)
    critic = GraphCritic(T, R, conv_dims=(8,), readout_dim=5, head_dims=(4,))
    nodes = F.one_hot(torch.randint(0, T, (B, N)), T).float()
    kind = torch.triu(torch.randint(0, R, (B, N, N)), 1)
    adj = F.one_hot(kind + kind.transpose(1, 2), R).float()
    perm = torch.randperm(N)
    permuted = critic(nodes[:, perm], adj[:, perm][:, :, perm])
    torch.testing.assert_close(critic(nodes, adj), permuted, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("method", RELAXATIONS)
def test_gradient_flows_from_critic_into_every_generator_parameter(method):
    torch.manual_seed(4)
    generator = Generator(z_dim=8, max_atoms=N, num_node_types=T, num_bond_types=R, hidden_dims=(16,))
    critic = GraphCritic(T, R, conv_dims=(8,), readout_dim=8, head_dims=(8,))
    node_logits, edge_logits = generator(torch.randn(B, 8))
    score = critic(relax(node_logits, method), relax(edge_logits, method)).sum()
    score.backward()
    for name, parameter in generator.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_relax_rejects_unknown_method_and_outputs_distributions():
    logits = torch.randn(2, 3, 4)
    for method in RELAXATIONS:
        torch.testing.assert_close(relax(logits, method).sum(-1), torch.ones(2, 3))
    assert set(relax(logits, "gumbel_hard").unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="unknown relaxation"):
        relax(logits, "nope")


def test_reset_parameters_changes_weights_and_keeps_shapes():
    torch.manual_seed(5)
    for module in (
        DenseRelationalConv(4, 3, 2), GatedSumReadout(4, 3), Generator(4, 3, 3, 4, (8,)),
        GraphCritic(3, 4, (8,), 8, (8,)), GraphEncoder(3, 3, 4, 2, (8,)),
    ):
        before = {k: v.clone() for k, v in module.state_dict().items()}
        module.reset_parameters()
        after = module.state_dict()
        assert {k: v.shape for k, v in before.items()} == {k: v.shape for k, v in after.items()}
        assert any(not torch.equal(before[k], after[k]) for k in before if after[k].numel() > 1)


def test_reprs_say_what_a_layer_is():
    assert repr(DenseRelationalConv(4, 3, 2)) == "DenseRelationalConv(4, 3, num_relations=2)"
    assert repr(GatedSumReadout(4, 3)) == "GatedSumReadout(4, 3)"
    assert repr(Generator(8, 9, 9, 4, (16,))) == "Generator(z_dim=8, max_atoms=9, node_types=9, bond_types=4)"
    assert repr(GraphEncoder(9, 9, 4, 8, (16,))) == "GraphEncoder(max_atoms=9, z_dim=8)"
    text = repr(GraphCritic(9, 4, (8, 6), 5, (4,)))
    assert "DenseRelationalConv(9, 8, num_relations=3)" in text and "GatedSumReadout(15, 5)" in text


@pytest.mark.parametrize("device", DEVICES)
def test_forward_pass_on_device(device):
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    generator = Generator(8, N, T, R, (16,)).to(device)
    critic = GraphCritic(T, R, (8,), 8, (8,)).to(device)
    node_logits, edge_logits = generator(torch.randn(B, 8, device=device))
    score = critic(relax(node_logits), relax(edge_logits))
    assert score.shape == (B, 1) and score.device.type == device
    score.sum().backward()

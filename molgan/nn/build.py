"""Build the networks of a molgan model from its config and vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from molgan.config import ModelConfig
from molgan.nn import Generator, GraphCritic
from molgan.nn.encoder import GraphEncoder
from molgan.nn.valence import max_valences
from molgan.chem.vocab import Vocabulary


@dataclass
class GanModules:
    """The generator and the graph critics of one model (discriminator, encoder, reward net and a conditional
    model's property net, which predicts the conditioned properties of a graph, are optional)."""

    generator: Generator
    critic: GraphCritic | None
    encoder: GraphEncoder | None = None
    reward_net: GraphCritic | None = None
    property_net: GraphCritic | None = None

    def named(self) -> dict[str, nn.Module]:
        """The present modules by name (the keys used in checkpoints)."""
        pairs = {
            "generator": self.generator,
            "critic": self.critic,
            "encoder": self.encoder,
            "reward_net": self.reward_net,
            "property_net": self.property_net,
        }
        return {name: module for name, module in pairs.items() if module is not None}

    def to(self, device) -> GanModules:
        for module in self.named().values():
            module.to(device)
        return self


def build_generator(config: ModelConfig, vocab: Vocabulary) -> Generator:
    return Generator(
        z_dim=config.z_dim,
        max_atoms=vocab.max_atoms,
        num_node_types=vocab.num_node_types,
        num_bond_types=vocab.num_bond_types,
        hidden_dims=config.generator_dims,
        dropout=config.generator_dropout,
        condition_dim=len(config.conditions),
    )


def build_critic(config: ModelConfig, vocab: Vocabulary, out_dim: int = 1, *, discriminator: bool = False) -> GraphCritic:
    """A relational critic; the ``discriminator`` (of a conditional model or not) also takes the
    condition, and the valence features where the config asks for them."""
    return GraphCritic(
        num_node_types=vocab.num_node_types,
        num_bond_types=vocab.num_bond_types,
        conv_dims=config.critic_conv_dims,
        readout_dim=config.critic_readout_dim,
        head_dims=config.critic_head_dims,
        out_dim=out_dim,
        condition_dim=len(config.conditions) if discriminator else 0,
        valence_limits=max_valences(vocab) if discriminator and config.critic_valence_features else None,
    )


def build_encoder(config: ModelConfig, vocab: Vocabulary) -> GraphEncoder:
    return GraphEncoder(
        max_atoms=vocab.max_atoms,
        num_node_types=vocab.num_node_types,
        num_bond_types=vocab.num_bond_types,
        z_dim=config.z_dim,
        hidden_dims=config.encoder_dims,
    )


def build_modules(
    config: ModelConfig, vocab: Vocabulary, *, encoder: bool = True, reward_net: bool = False, property_net: bool = False
) -> GanModules:
    """Generator + critic, and optionally the encoder (latent mean and log-variance), reward net and property net."""
    return GanModules(
        generator=build_generator(config, vocab),
        critic=build_critic(config, vocab, discriminator=True),
        encoder=build_encoder(config, vocab) if encoder else None,
        reward_net=build_critic(config, vocab) if reward_net else None,
        property_net=build_critic(config, vocab, out_dim=len(config.conditions)) if property_net else None,
    )

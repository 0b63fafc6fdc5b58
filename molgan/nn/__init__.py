"""Neural network layers and models: generator, relational graph critic (discriminator, encoder, reward)."""

from molgan.nn.critic import GraphCritic
from molgan.nn.encoder import GraphEncoder
from molgan.nn.generator import Generator
from molgan.nn.readout import GatedSumReadout
from molgan.nn.relational_conv import DenseRelationalConv

__all__ = ["DenseRelationalConv", "GatedSumReadout", "Generator", "GraphCritic", "GraphEncoder"]

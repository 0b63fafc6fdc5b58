"""molgan: generate new molecules with a graph GAN."""

__version__ = "0.1.0"

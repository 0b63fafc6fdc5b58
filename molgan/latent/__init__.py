"""The latent space: noise priors fitted to encoder codes, codes of data sets, top-k pools, reward-guided search."""

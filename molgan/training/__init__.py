"""Training: loss terms, one step per network, the loop, and resumable optimizer state."""

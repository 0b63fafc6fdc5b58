"""Chemistry <-> tensors: the vocabulary, Mol <-> dense graphs, properties, correction, torch-geometric interop."""

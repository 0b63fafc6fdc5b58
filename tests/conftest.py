"""Shared test fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_cache(tmp_path_factory, monkeypatch):
    """Keep the data cache of every test out of ``~/.cache`` (one folder shared by the session)."""
    monkeypatch.setenv("MOLGAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "molgan-cache"))


# --- GAN core fixtures (tests/test_nn.py ... tests/test_fuzz.py) ------------------------------------

import torch  # noqa: E402

#: A handful of QM9-like molecules (C, N, O, F; <= 9 heavy atoms) to train tiny models on.
TINY_SMILES = [
    "CCO", "CC(=O)O", "c1ccccc1", "CCN", "C#N", "OC1CC1", "CC(C)C", "NC=O", "CCCO", "FC(F)F",
    "CC#CC", "OCC(O)CO", "C1CCOC1", "CC(N)C(=O)O", "N#CC#N", "CC(C)(C)O", "c1ccncc1", "O=CC=O",
]

#: :data:`TINY_SMILES` and ten more.
SMALL_SMILES = TINY_SMILES + [
    "CC(C)O", "CCOC", "CC=O", "OCCO", "CN(C)C", "C1CC1", "CCC#N", "COC=O", "CC(=O)N", "OC(=O)CO",
]


def train_small_model(out, **train):
    """Train a small model (z_dim 32, narrow layers, one thread, CPU) on :data:`SMALL_SMILES` into ``out``;
    ``train`` holds further training options (flat names, as :meth:`~molgan.config.RunConfig.with_overrides`)."""
    from rdkit import Chem

    from molgan.config import ModelConfig, RunConfig
    from molgan.chem.graphs import encode_mols
    from molgan.training.loop import TrainingData, train as run_training
    from molgan.chem.vocab import QM9_VOCABULARY

    torch.set_num_threads(1)
    encoded = encode_mols([Chem.MolFromSmiles(s) for s in SMALL_SMILES], QM9_VOCABULARY)
    data = TrainingData(encoded.nodes, encoded.adj, QM9_VOCABULARY, {Chem.CanonSmiles(s) for s in SMALL_SMILES})
    config = RunConfig(
        ModelConfig(generator_dims=(32,), critic_conv_dims=(16,), critic_readout_dim=16, critic_head_dims=(16,),
                    encoder_dims=(32,)),
    ).with_overrides(**{"batch_size": 16, "eval_samples": 64, "threads": 1, "device": "cpu", **train})
    run_training(config, data, out)
    return out


#: The tiny network sizes (:data:`TINY_MODEL`) as the ``[model]`` section of a TOML run config.
TINY_MODEL_TOML = """
[model]
z_dim = 8
generator_dims = [32]
critic_conv_dims = [16]
critic_readout_dim = 16
critic_head_dims = [16]
encoder_dims = [32]
"""

#: A TOML run config with the tiny network sizes, for tests that train through the CLI.
TINY_TOML = TINY_MODEL_TOML + """
[train]
batch_size = 16
eval_samples = 32
device = "cpu"
threads = 1

[train.critic]
n_critic = 1
"""

#: Tiny network sizes: a training step costs milliseconds.
TINY_MODEL = dict(
    z_dim=8, generator_dims=(32,), critic_conv_dims=(16,), critic_readout_dim=16, critic_head_dims=(16,),
    encoder_dims=(32,),
)
TINY_TRAIN = dict(
    steps=6, eval_every=3, checkpoint_every=3, eval_samples=64, batch_size=16, n_critic=1, device="cpu",
)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The machine is shared with training jobs: one intra-op thread per test process."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_data():
    """``TrainingData`` of :data:`TINY_SMILES` with the QM9 vocabulary (canonical atom order)."""
    from rdkit import Chem

    from molgan.chem.graphs import encode_mols
    from molgan.training.loop import TrainingData
    from molgan.chem.vocab import QM9_VOCABULARY

    encoded = encode_mols([Chem.MolFromSmiles(s) for s in TINY_SMILES], QM9_VOCABULARY)
    assert encoded.ok.all()
    return TrainingData(encoded.nodes, encoded.adj, QM9_VOCABULARY, {Chem.CanonSmiles(s) for s in TINY_SMILES})


@pytest.fixture(scope="session")
def make_config():
    """``make_config(**train_overrides) -> RunConfig`` with tiny networks and a few steps."""
    from molgan.config import ModelConfig, RunConfig

    def make(model: dict | None = None, **train) -> RunConfig:
        return RunConfig(ModelConfig(**{**TINY_MODEL, **(model or {})})).with_overrides(**{**TINY_TRAIN, **train})

    return make


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_data, make_config):
    """Training output directory of a tiny model that samples some valid molecules (categorical decoding)."""
    from molgan.training.loop import train

    out = tmp_path_factory.mktemp("tiny-model")
    config = make_config(steps=40, eval_every=40, checkpoint_every=40, lr_generator=1e-2, decoding="sample")
    train(config, tiny_data, out)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from molgan.sampling.model import load

    return load(tiny_model_dir)


def run_main(args, capsys, monkeypatch):
    """Run ``molgan.cli.main.run()`` in this process (as the console script does): ``(exit code, stdout, stderr)``."""
    import sys

    from molgan.cli import main

    monkeypatch.setattr(sys, "argv", ["molgan", *map(str, args)])
    capsys.readouterr()
    try:
        main.run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err

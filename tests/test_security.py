"""Security: nothing is unpickled from a checkpoint, and no module unpickles outside the allowed places."""

import contextlib
import pickle
import re
from pathlib import Path

import pytest

import molgan.checkpoint as checkpoint_module
from molgan.checkpoint import META, WEIGHTS, save_checkpoint
from molgan.checkpoint import load_checkpoint
from molgan.config import ModelConfig, RunConfig
from molgan.errors import CheckpointError
from molgan.nn.build import build_modules
from molgan.chem.vocab import QM9_VOCABULARY

CONFIG = RunConfig(ModelConfig(z_dim=4, generator_dims=(8,), critic_conv_dims=(8,), critic_readout_dim=8,
                               critic_head_dims=(8,), encoder_dims=(8,))).validate()


def saved(tmp_path):
    modules = build_modules(CONFIG.model, QM9_VOCABULARY)
    return save_checkpoint(tmp_path / "ckpt", config=CONFIG, vocab=QM9_VOCABULARY, modules=modules.named())


class Exploit:
    """Unpickling this runs ``Path(marker).touch()``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("target", [WEIGHTS, META, "optimizer.safetensors"])
def test_a_malicious_pickle_is_refused_and_never_run(tmp_path, target):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Exploit(marker))
    pickle.loads(pickle.dumps(Exploit(tmp_path / "self-check")))  # the payload does work when unpickled
    assert (tmp_path / "self-check").exists()
    path = saved(tmp_path)
    (path / target).write_bytes(payload)
    from molgan.sampling.model import load

    with pytest.raises(CheckpointError):
        checkpoint = load_checkpoint(path)
        checkpoint.optimizer_state()
    # sampling never reads the optimizer state
    with pytest.raises(CheckpointError) if target != "optimizer.safetensors" else contextlib.nullcontext():
        load(path)
    assert not marker.exists()


ALLOWED_UNPICKLERS = {
    Path("scoring/components/sklearn_model.py"),  # joblib models: documented as trusted-files-only
    Path("properties.py"),  # RDKit Contrib SA/NP score files bundled with RDKit itself
}
UNPICKLE_CALLS = re.compile(r"\b(pickle\.loads?|torch\.load|joblib\.load|cPickle\.load|np\.load\([^)]*allow_pickle\s*=\s*True)")


def test_no_module_unpickles_outside_the_allowed_places():
    root = Path(checkpoint_module.__file__).resolve().parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if UNPICKLE_CALLS.search(code) and relative not in ALLOWED_UNPICKLERS:
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_cli_refuses_a_pickled_checkpoint_without_running_it(tmp_path, capsys, monkeypatch):
    from conftest import run_main

    marker = tmp_path / "pwned"
    path = saved(tmp_path)
    (path / WEIGHTS).write_bytes(pickle.dumps(Exploit(marker)))
    for args in (["info", "--model", path], ["sample", "--model", path, "-n", "3", "-o", tmp_path / "x.smi"]):
        code, _, stderr = run_main(args, capsys, monkeypatch)
        assert code != 0 and stderr.startswith("error:") and "model.safetensors" in stderr
    assert not marker.exists()

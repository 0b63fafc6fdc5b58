"""The built wheel works on its own: shipped model, bundled QM9 file and the ``molgan`` command.

The wheel is built from the repository (hatchling), installed without dependencies into a fresh
virtual environment that sees this environment's third-party packages (torch, RDKit, ...) through
a ``.pth`` line, never the repository itself; everything then runs from an unrelated folder with
the package index switched off (``PIP_NO_INDEX=1``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import pytest

from molgan.pretrained import shipped_dir

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (shipped_dir("qm9") / "checkpoint.json").exists(), reason="the shipped qm9 model is not installed"),
]


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _site_packages(env_dir: Path) -> Path:
    purelib = sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)})
    return Path(purelib)


def test_wheel_installs_and_runs_offline(tmp_path):
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["MOLGAN_CACHE_DIR"] = str(tmp_path / "cache")

    # build (hatchling from this environment if present, else pip fetches it into an isolated build env)
    wheels = tmp_path / "wheels"
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", str(wheels), str(ROOT)], tmp_path, env)
    (wheel,) = wheels.glob("molgan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("model.safetensors", "checkpoint.json"):
        assert f"molgan/pretrained/qm9/{name}" in names
    assert "molgan/_datasets/qm9.csv.gz" in names
    assert {"molgan/_datasets/moses/test.npz", "molgan/_datasets/moses/mcf.csv"} <= names
    built = time.perf_counter()

    # a fresh environment that borrows only third-party packages from this one
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    offline = {**env, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--force-reinstall",
          str(wheel)], tmp_path, offline)
    # only now borrow the third-party packages: before, pip would have seen (and might have
    # uninstalled) this environment's molgan. A plain path line: its .pth files (our editable
    # install) are not processed.
    ours = Path(sysconfig.get_path("purelib"))
    (_site_packages(env_dir) / "zz_third_party.pth").write_text(f"{ours}\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import molgan, molgan.data.datasets as d; print(molgan.__file__); "
        "print(d.bundled_file('qm9.csv.gz')); print(len(molgan.load('qm9').sample(50, seed=0)))"
    )
    where, bundled, count = _run([str(python), "-c", code], elsewhere, offline).split()
    assert Path(where).is_relative_to(env_dir), f"molgan imported from {where}, not from the new environment"
    assert Path(bundled).is_relative_to(env_dir) and Path(bundled).is_file()
    assert count == "50"

    molgan = str(env_dir / "bin" / "molgan")
    _run([molgan, "sample", "--num", "20", "--output", "x.smi", "-q"], elsewhere, offline)
    assert len((elsewhere / "x.smi").read_text().splitlines()) == 20
    assert "(not installed)" not in _run([molgan, "models"], elsewhere, offline).splitlines()[0]
    print(f"wheel test: build {built - start:.1f} s, total {time.perf_counter() - start:.1f} s")

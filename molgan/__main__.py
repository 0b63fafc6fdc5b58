"""``python -m molgan``: the CLI, as the ``molgan`` script runs it (what ``torchrun -m molgan`` starts)."""

from molgan.cli.main import run

if __name__ == "__main__":
    run()

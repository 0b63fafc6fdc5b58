"""``molgan optimize``: steer a trained model towards a reward by latent search (weights unchanged)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from molgan.latent.settings import SearchConfig

EXAMPLES = """
Examples:

  molgan optimize qm9 --reward qed --out runs/qm9-qed-search

  molgan optimize runs/mine/best --reward my_reward.toml --rounds 30 --out runs/mine-steered

  molgan optimize qm9 --reward qed --out runs/s --resume      # continue a killed search
"""

_DEFAULTS = SearchConfig()


def register(app: typer.Typer) -> None:
    @app.command(
        "optimize",
        help="Steer a trained model towards a reward without retraining: search its latent space for the best "
        "molecules (a pool of the best distinct ones, each round perturbing the codes of the best share), polish "
        "their codes, and write OUT/model, the same model whose noise is drawn around the --prior-size codes "
        "whose neighbourhood scores best, with OUT/pool.csv (the molecules found, best first) and "
        "OUT/search.csv (one row per round)." + "\n" + EXAMPLES,
    )
    def optimize_command(
        model: str = typer.Argument(..., help="Shipped model name or checkpoint directory (needs an encoder)."),
        reward: str = typer.Option(..., "--reward", "-r", help="Reward preset (qed, qed-clean, logp, sa, druglike) or TOML file."),
        out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
        data: Optional[str] = typer.Option(
            None, help="Data set whose best training molecules start the pool (default: the model's training data)."
        ),
        rounds: int = typer.Option(_DEFAULTS.rounds, help="Search rounds."),
        samples: int = typer.Option(_DEFAULTS.samples, help="Noise vectors decoded per round."),
        pool_size: int = typer.Option(_DEFAULTS.pool_size, help="Distinct molecules kept while searching."),
        search_scale: float = typer.Option(_DEFAULTS.search_scale, help="Noise width around a parent while searching."),
        parent_share: float = typer.Option(_DEFAULTS.parent_share, help="Parents come from this best share of the pool."),
        bandwidth: float = typer.Option(_DEFAULTS.bandwidth, help="Noise width of the final model (sampling)."),
        prior_size: int = typer.Option(
            _DEFAULTS.prior_size, help="Codes the final model keeps: those whose neighbourhood scores best."
        ),
        polish_rounds: int = typer.Option(_DEFAULTS.polish_rounds, help="Re-centring passes over the codes at the end."),
        polish_samples: int = typer.Option(_DEFAULTS.polish_samples, help="Noise vectors per code and polish pass."),
        checkpoint_every: int = typer.Option(_DEFAULTS.checkpoint_every, help="Rounds between saves of the search state."),
        seed: int = typer.Option(_DEFAULTS.seed, help="Random seed."),
        jobs: int = typer.Option(1, "--jobs", "-j", help="Processes scoring molecules (0 or -1: all cores)."),
        resume: bool = typer.Option(False, "--resume", help="Continue a killed search in OUT."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    ) -> None:
        from molgan.api import optimize
        from molgan.cli.progress import progress_bar

        with progress_bar("searching", rounds, quiet=quiet) as update:

            def report(done: int, total: int, row: dict[str, float]) -> None:
                update(done, f"pool mean {row['pool_mean']:.4f} min {row['pool_min']:.4f} new {row['new']}")

            result = optimize(
                model, reward=reward, out=out, data=data, resume=resume, n_jobs=jobs, progress=report,
                command="molgan " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
                rounds=rounds, samples=samples, pool_size=pool_size, search_scale=search_scale,
                parent_share=parent_share, bandwidth=bandwidth, prior_size=prior_size,
                polish_rounds=polish_rounds, polish_samples=polish_samples, checkpoint_every=checkpoint_every, seed=seed,
            )
        typer.echo(
            f"searched {result.rounds} rounds in {result.seconds / 60:.1f} min; pool of {result.pool_size} molecules, "
            f"reward mean {result.pool_mean:.4f} (min {result.pool_min:.4f}); the model keeps {result.prior_size} codes "
            f"whose samples score {result.expected_reward:.4f} on average; model in {result.out_dir / 'model'}",
            err=True,
        )

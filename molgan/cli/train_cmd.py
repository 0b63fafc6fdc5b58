"""``molgan train``: train a model on QM9, MOSES or a user's file."""

from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path
from typing import Optional

import typer

from molgan.cli import DELIMITER_HELP, warning_line
from molgan.errors import InputError

EXAMPLES = """
Examples:

  molgan train --data qm9 --out runs/qm9 --minutes 30

  molgan train --data my_mols.smi --max-atoms 20 --config my.toml --out runs/mine

  molgan train --data qm9 --out runs/qm9-qed --init qm9 --reward qed --lambda 0.5

  molgan train --data qm9 --out runs/qm9 --resume      # continue a killed run

  molgan train --data qm9 --condition qed,logp,mw --out runs/qm9-cond   # conditional model

  molgan train --data my.csv --condition qed,pIC50 --out runs/mine-cond   # a label column of my.csv too

  torchrun --nproc_per_node 4 -m molgan train --data qm9 --out runs/qm9   # data parallel
"""


def register(app: typer.Typer) -> None:
    @app.command("train", help="Train a graph GAN and write checkpoints, metrics.csv and training_curves.png." + "\n" + EXAMPLES)
    def train_command(
        out: Path = typer.Option(..., "--out", "-o", help="Output directory (checkpoints in out/last and out/best)."),
        data: Optional[str] = typer.Option(None, "--data", "-d", help="qm9, moses, moses-sample or a file."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=r"TOML file with \[model] and \[train] (and \[train.critic], \[train.rl], \[train.prior], \[train.elite])."),
        steps: Optional[int] = typer.Option(None, help="Generator steps."),
        minutes: Optional[float] = typer.Option(None, help="Stop after this many minutes of training."),
        batch_size: Optional[int] = typer.Option(None, help="Graphs per batch."),
        lr: Optional[float] = typer.Option(None, help="Learning rate of generator and critic."),
        adversarial_weight: Optional[float] = typer.Option(
            None, help="Weight of the discriminator's term in the generator's loss (default 0.1; 0 = no discriminator)."
        ),
        no_discriminator: bool = typer.Option(
            False, "--no-discriminator", help="Ablation: train without the discriminator (the auto-encoder recipe alone; configs/autoencoder.toml is the former default to the bit)."
        ),
        n_critic: Optional[int] = typer.Option(None, help="Discriminator steps per generator step (default 1)."),
        loss: Optional[str] = typer.Option(None, help="Discriminator loss: bce (non-saturating, default), hinge or wgan."),
        regularizer: Optional[str] = typer.Option(None, help="Discriminator regulariser: r1 (default), gp (WGAN-GP) or none."),
        regularizer_weight: Optional[float] = typer.Option(None, help="R1 gamma / gradient-penalty weight (default 1)."),
        regularizer_every: Optional[int] = typer.Option(None, help="Lazy regularisation: every N discriminator steps (default 16)."),
        reward: Optional[str] = typer.Option(None, help="Reward preset (qed, qed-clean, logp, sa, druglike) or TOML file."),
        rl_lambda: Optional[float] = typer.Option(None, "--lambda", help="MolGAN lambda: 1 pure GAN, 0 pure RL."),
        rl_start: Optional[float] = typer.Option(None, help="Share of training after which RL starts."),
        init: Optional[str] = typer.Option(None, help="Start from a model's weights (name or directory)."),
        condition: Optional[str] = typer.Option(
            None, "--condition",
            help="Train a conditional model on these conditions (comma-separated): RDKit properties (qed, logp, mw, sa, "
            "tpsa, rings) or numeric columns of a CSV/TSV/SD --data file (case-sensitive, e.g. qed,pIC50; a molecule "
            "whose label is empty or not a number is not trained on).",
        ),
        condition_weight: Optional[float] = typer.Option(
            None, help="Weight of a conditional model's property-consistency term (default 0: off)."
        ),
        noise_prior: Optional[str] = typer.Option(
            None, help="Noise fitted to the encoder codes during training: kernel (default), mixture, or none (N(0, I))."
        ),
        max_atoms: Optional[int] = typer.Option(None, help="Largest molecule kept from --data."),
        smiles_column: Optional[str] = typer.Option(None, help="SMILES column of a CSV/TSV --data file."),
        delimiter: Optional[str] = typer.Option(None, "--delimiter", help=DELIMITER_HELP),
        fragments: str = typer.Option(
            "skip", "--fragments", help="Several-fragment molecules of --data: skip, or keep the largest (strips salts)."
        ),
        bonds: Optional[str] = typer.Option(
            None, "--bonds", help="Bond types of the graphs: kekule (default) or aromatic (aromatic bonds a type of their own)."
        ),
        eval_every: Optional[int] = typer.Option(None, help="Evaluate validity/uniqueness every N steps."),
        checkpoint_every: Optional[int] = typer.Option(None, help="Write out/last every N steps."),
        checkpoint_minutes: Optional[float] = typer.Option(
            None, help="Also write out/last after this many minutes of wall time (default 5)."
        ),
        seed: Optional[int] = typer.Option(None, help="Random seed."),
        device: Optional[str] = typer.Option(None, help="auto, cpu or cuda."),
        threads: Optional[int] = typer.Option(None, help="CPU threads for torch."),
        precision: Optional[str] = typer.Option(
            None, help="auto (default: bf16 autocast on a GPU that has it, fp32 on CPU), fp32 or bf16 (GPU only)."
        ),
        resume: bool = typer.Option(False, "--resume", help="Continue from out/last."),
        force: bool = typer.Option(False, "--force", help="Start over in an --out that holds a run (its outputs are removed)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    ) -> None:
        from molgan.api import train

        if steps is not None and steps <= 0:
            raise InputError("--steps must be a positive integer")
        if minutes is not None and minutes <= 0:
            raise InputError("--minutes must be positive")
        if no_discriminator:
            if adversarial_weight not in (None, 0):
                raise InputError("--no-discriminator and --adversarial-weight contradict each other; give one")
            adversarial_weight = 0.0
        if checkpoint_minutes is not None and checkpoint_minutes <= 0:
            raise InputError("--checkpoint-minutes must be positive")
        overrides = dict(
            data=data, steps=steps, time_limit_minutes=minutes, batch_size=batch_size, lr_generator=lr,
            lr_critic=lr, adversarial_weight=adversarial_weight, n_critic=n_critic, loss=loss, regularizer=regularizer,
            regularizer_weight=regularizer_weight, regularizer_every=regularizer_every, reward=reward, rl_lambda=rl_lambda, rl_start=rl_start,
            eval_every=eval_every, checkpoint_every=checkpoint_every, seed=seed, device=device, threads=threads,
            noise_prior=noise_prior, checkpoint_minutes=checkpoint_minutes, precision=precision, bonds=bonds,
            conditions=None if condition is None else tuple(c for c in condition.split(",") if c.strip()),
            condition_weight=condition_weight,
        )
        from molgan.cli.progress import progress_bar
        from molgan.training.distributed import is_main
        from molgan.training.run_dir import resume_step

        main = is_main()  # under torchrun only rank 0 reports
        start = resume_step(out) if resume else None
        if main and start is not None:
            typer.echo(f"resuming {out} from step {start}", err=True)

        with progress_bar("training", steps, quiet=quiet or not main, start=start or 0) as update, warnings.catch_warnings():
            warnings.showwarning = warning_line  # e.g. a collapse warning: one line, above the bar
            if not main:
                warnings.simplefilter("ignore")  # the other ranks' warnings repeat rank 0's

            def report(step: int, total: int, values: dict[str, float]) -> None:
                shown = ("d_loss", "d_real", "d_fake", "g_adv", "g_loss", "validity", "uniqueness")
                text = " ".join(f"{k} {values[k]:.3g}" for k in shown if k in values)
                update(step, text, total)

            result = train(
                out, config=config, resume=resume, force=force, init_from=init, max_atoms=max_atoms,
                smiles_column=smiles_column, delimiter=delimiter, fragments=fragments, progress=report,
                command="molgan " + " ".join(shlex.quote(a) for a in sys.argv[1:]), **overrides,
            )
        if not main:
            return
        best = result.best
        typer.echo(
            f"trained {result.steps} steps in {result.seconds / 60:.1f} min"
            + (f" ({result.stopped_early})" if result.stopped_early else "")
            + f"; best at step {best.get('step')}: valid {best.get('validity', 0):.3f}, "
            f"unique {best.get('uniqueness', 0):.3f}; checkpoints in {result.out_dir}",
            err=True,
        )

"""Reward-guided latent search: steer a trained model towards a reward without changing its weights.

The decoder reproduces a molecule from its code, so a good set of codes is a good sampler. The pool
starts as the best training molecules (by the reward) whose encoder codes the generator decodes back
to the same molecule. Each round draws noise around the codes of the best share of the pool,
decodes it, scores the molecules not seen before, and keeps the ``pool_size`` best distinct ones,
each with the noise vector that produced it (decoding that vector gives the molecule back). The
search ends with a polish: each code is moved to the mean of the noise around it that decodes to the
same molecule (away from the edges of its region), and the ``prior_size`` codes whose neighbourhood
scores best on average (the reward a sample drawn there is expected to get) make the noise prior of
the result, a kernel density of width ``bandwidth``: the same generator and encoder, new noise.
This is latent-space optimisation in the spirit of Gomez-Bombarelli et al. (2018), with an
evolutionary search (keep the best, perturb them) instead of a surrogate model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from molgan.data.atomic import atomic_file
from molgan.data.csv_log import append_row, truncate_rows
from molgan.errors import InputError
from molgan.latent.pool import merge_top_k, new_candidates, worst_kept
from molgan.latent.settings import SearchConfig
from molgan.chem.vocab import Vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from molgan.checkpoint import Checkpoint
    from molgan.data.datasets import MolDataset

#: Files written beside the searched model.
MODEL_DIR = "model"
POOL_FILE = "pool.csv"
LOG_FILE = "search.csv"
STATE_FILE = "search_state.safetensors"


class CodePool:
    """At most ``size`` distinct molecules (canonical SMILES) with the highest scores and a code for each, best first."""

    def __init__(self, size: int, z_dim: int) -> None:
        self.size = size
        self.smiles: list[str] = []
        self.scores = np.zeros(0)
        self.codes = torch.zeros(0, z_dim)

    def __len__(self) -> int:
        return len(self.smiles)

    def add(self, smiles: Sequence[str], scores: np.ndarray, codes: Tensor) -> int:
        """Offer molecules with their scores and codes; new ones with finite scores may join (the first
        of repeats: one SMILES always scores the same). Returns how many joined."""
        scores = np.asarray(scores, dtype=np.float64)
        chosen = new_candidates(smiles, scores, set(self.smiles), worst_kept(self.scores, self.size))
        if not chosen:
            return 0
        order, joined = merge_top_k(self.scores, scores[chosen], self.size)
        merged = self.smiles + [smiles[i] for i in chosen]
        self.smiles = [merged[i] for i in order]
        self.scores = np.concatenate([self.scores, scores[chosen]])[order]
        self.codes = torch.cat([self.codes, codes[chosen].float()])[torch.from_numpy(order)]
        return joined

    def parents(self, num: int, share: float, generator: torch.Generator) -> Tensor:
        """Codes of ``num`` parents drawn uniformly from the best ``share`` of the pool."""
        top = max(1, int(round(len(self) * share)))
        return self.codes[torch.randint(0, top, (num,), generator=generator)]


@dataclass
class SearchResult:
    """What :func:`optimize` did: rounds, seconds (search and polish), the pool and the prior it kept."""

    out_dir: Path
    rounds: int
    seconds: float
    pool_size: int
    pool_mean: float
    pool_min: float
    prior_size: int = 0
    expected_reward: float = float("nan")  #: mean over the prior's codes of the reward of samples drawn there


RoundCallback = Callable[[int, int, dict[str, float]], None]


DECODE_CHUNK = 8192  # codes decoded per generator call


@torch.no_grad()
def smiles_from_noise(generator: torch.nn.Module, z: Tensor, vocab: Vocabulary) -> list[str | None]:
    """Canonical SMILES (or ``None``) of the argmax graphs the generator makes from noise ``z``."""
    from molgan.nn.relax import hard_graphs
    from molgan.sampling.sampler import decode_smiles

    out: list[str | None] = []
    for start in range(0, len(z), DECODE_CHUNK):
        nodes, adj = hard_graphs(*generator(z[start : start + DECODE_CHUNK]))
        out += decode_smiles(nodes.cpu().numpy(), adj.cpu().numpy(), vocab)
    return out


def score_smiles(reward: Callable, smiles: Sequence[str], jobs: int) -> np.ndarray:
    """Reward totals of valid SMILES (``reward.score`` on ``jobs`` processes when it has one)."""
    from molgan.chem.mol import to_mols

    mols = to_mols(smiles)
    if hasattr(reward, "score"):
        return np.asarray(reward.score(mols, n_jobs=jobs).total, dtype=np.float64)
    return np.asarray(reward(mols), dtype=np.float64)


def initial_pool(generator: torch.nn.Module, encoder: torch.nn.Module, data: MolDataset, reward: Callable,
                 cfg: SearchConfig, jobs: int) -> CodePool:
    """The best ``pool_size`` training molecules of ``data`` whose codes decode back to themselves."""
    from molgan.latent.codes import encode_codes

    index = data.split("train")
    smiles = [data.smiles[i] for i in index]
    scores = score_smiles(reward, smiles, jobs)
    order = [i for i in np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable") if np.isfinite(scores[i])]
    order = order[: cfg.pool_size]
    rows = index[order]
    codes = encode_codes(encoder, data.nodes[rows], data.adj[rows], data.vocab)
    decoded = smiles_from_noise(generator, codes, data.vocab)
    faithful = [k for k, i in enumerate(order) if decoded[k] == smiles[i]]
    pool = CodePool(cfg.pool_size, codes.shape[1])
    pool.add([smiles[order[k]] for k in faithful], scores[[order[k] for k in faithful]], codes[faithful])
    return pool


def search_round(generator: torch.nn.Module, pool: CodePool, reward: Callable, vocab: Vocabulary, cfg: SearchConfig,
                 rng: torch.Generator, seen: set[str], jobs: int) -> dict[str, float]:
    """One round: decode noise around the best codes, score what is new, offer it to the pool."""
    parents = pool.parents(cfg.samples, cfg.parent_share, rng)
    z = parents + cfg.search_scale * torch.randn(parents.shape, generator=rng)
    decoded = smiles_from_noise(generator, z, vocab)
    first: dict[str, int] = {}
    for i, s in enumerate(decoded):
        if s is not None and s not in seen and s not in first:
            first[s] = i
    new = list(first)
    seen.update(new)
    scores = score_smiles(reward, new, jobs) if new else np.zeros(0)
    joined = pool.add(new, scores, z[list(first.values())]) if new else 0
    valid = sum(s is not None for s in decoded) / len(decoded)
    return {"valid": valid, "new": len(new), "joined": joined,
            "pool_mean": float(pool.scores.mean()), "pool_min": float(pool.scores.min())}


def polish(generator: torch.nn.Module, pool: CodePool, reward: Callable, vocab: Vocabulary, cfg: SearchConfig,
           rng: torch.Generator, jobs: int) -> tuple[Tensor, np.ndarray]:
    """Re-centred codes ``[K, Z]`` and the mean reward of samples drawn around each (width ``bandwidth``).

    Each of ``polish_rounds`` passes draws ``polish_samples`` noise vectors around every code and
    moves the code to the mean of itself and the draws that decode to its own molecule; a last pass
    at the final positions scores what draws decode to (invalid or non-finite: 0).
    """
    codes = pool.codes.clone()
    known = dict(zip(pool.smiles, pool.scores))
    m = cfg.polish_samples
    for last in [False] * cfg.polish_rounds + [True]:
        z = codes.repeat_interleave(m, 0) + cfg.bandwidth * torch.randn(len(codes) * m, codes.shape[1], generator=rng)
        decoded = smiles_from_noise(generator, z, vocab)
        if last:
            new = sorted({s for s in decoded if s is not None and s not in known})
            if new:
                scores = score_smiles(reward, new, jobs)
                known.update(zip(new, np.where(np.isfinite(scores), scores, 0.0)))
            rewards = np.array([known[s] if s is not None else 0.0 for s in decoded]).reshape(len(codes), m)
            return codes, rewards.mean(axis=1)
        same = torch.tensor([s == pool.smiles[i // m] for i, s in enumerate(decoded)]).reshape(len(codes), m, 1)
        codes = (codes + (z.reshape(len(codes), m, -1) * same).sum(1)) / (1 + same.sum(1))
    raise AssertionError("unreachable")  # pragma: no cover


def optimize(
    model: str | Path,
    reward: Callable,
    out_dir: str | Path,
    cfg: SearchConfig = SearchConfig(),
    *,
    data: str | None = None,
    resume: bool = False,
    jobs: int = 1,
    progress: RoundCallback | None = None,
    command: str | None = None,
    reward_name: str | None = None,
) -> SearchResult:
    """Search ``model``'s latent space for molecules ``reward`` likes; writes ``out_dir/model``
    (the model with a kernel prior over the polished codes), ``pool.csv`` and ``search.csv``.

    ``data`` (whose best training molecules start the pool) defaults to the data set recorded in
    the model's checkpoint. ``resume=True`` continues from the last saved state in ``out_dir``
    (same model and search settings; ``rounds`` and the polish / prior settings may change).
    """
    from molgan.checkpoint import load_checkpoint
    from molgan.nn.build import build_generator
    from molgan.pretrained import resolve_model

    checkpoint = load_checkpoint(resolve_model(model))
    if not checkpoint.has("encoder"):
        raise InputError(f"{checkpoint.path} has no encoder: latent search needs a model trained with reconstruction")
    if checkpoint.config.model.conditions:
        raise InputError(f"{checkpoint.path} is a conditional model: aim it with --condition instead, or search an unconditional model")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = checkpoint.vocab
    data = data or checkpoint.config.train.data
    generator = build_generator(checkpoint.config.model, vocab)
    checkpoint.load_into("generator", generator)
    generator.eval()
    rng = torch.Generator().manual_seed(cfg.seed)
    state_file = out_dir / STATE_FILE
    identity = {"model": str(model), "data": data, **_search_settings(cfg)}
    if resume and state_file.exists():
        pool, seen, done, seconds = _load_state(state_file, cfg, rng, identity)
        truncate_rows(out_dir / LOG_FILE, LOG_COLUMNS, "round", done, line_end="\n")  # later rounds run again
    else:
        state_file.unlink(missing_ok=True)  # a fresh search never resumes an older one's state
        pool = _start_pool(checkpoint, generator, reward, cfg, data, jobs)
        seen, done, seconds = set(pool.smiles), 0, 0.0
        truncate_rows(out_dir / LOG_FILE, LOG_COLUMNS, "round", 0, line_end="\n")
    started = time.monotonic() - seconds
    for round_ in range(done, cfg.rounds):
        row = search_round(generator, pool, reward, vocab, cfg, rng, seen, jobs)
        log_row = {"round": round_ + 1, **row, "seconds": round(time.monotonic() - started, 1)}
        append_row(out_dir / LOG_FILE, LOG_COLUMNS, log_row, line_end="\n")
        if (round_ + 1) % cfg.checkpoint_every == 0 or round_ + 1 == cfg.rounds:
            _save_state(state_file, pool, seen, round_ + 1, time.monotonic() - started, rng, identity)
        if progress is not None:
            progress(round_ + 1, cfg.rounds, row)
    codes, expected = polish(generator, pool, reward, vocab, cfg, rng, jobs)
    chosen = np.argsort(-expected, kind="stable")[: cfg.prior_size]
    expected_reward = float(expected[chosen].mean())
    _save_model(checkpoint, codes[torch.from_numpy(chosen)], cfg, out_dir / MODEL_DIR,
                {**identity, "reward": reward_name, "command": command, "pool_mean": float(pool.scores.mean()),
                 "pool_min": float(pool.scores.min()), "expected_reward": expected_reward})
    _write_pool_csv(out_dir / POOL_FILE, pool, expected, chosen)
    return SearchResult(out_dir, cfg.rounds, time.monotonic() - started, len(pool), float(pool.scores.mean()),
                        float(pool.scores.min()), len(chosen), expected_reward)


def _start_pool(checkpoint: Checkpoint, generator: torch.nn.Module, reward: Callable, cfg: SearchConfig, data: str,
                jobs: int) -> CodePool:
    from molgan.data.datasets import load_dataset
    from molgan.nn.build import build_encoder

    encoder = build_encoder(checkpoint.config.model, checkpoint.vocab)
    checkpoint.load_into("encoder", encoder)
    pool = initial_pool(generator, encoder, load_dataset(data, vocab=checkpoint.vocab), reward, cfg, jobs)
    if len(pool) == 0:
        raise InputError(f"no {data} training molecule has a finite reward that the model reproduces")
    return pool


def _search_settings(cfg: SearchConfig) -> dict:
    """The settings a resumed search must share with the one it continues."""
    return {k: getattr(cfg, k) for k in ("pool_size", "samples", "search_scale", "parent_share", "seed")}


def _save_model(checkpoint: Checkpoint, codes: Tensor, cfg: SearchConfig, path: Path, search: dict) -> None:
    """The input checkpoint with a kernel prior over ``codes``; its training metrics move to ``base_metrics``."""
    from molgan.sampling.model import save_with_prior
    from molgan.latent.priors import KernelDensityPrior

    extra = {"prior": {"kind": "latent-search", **asdict(cfg), **search}, "base_metrics": checkpoint.metrics}
    save_with_prior(checkpoint, KernelDensityPrior(codes, cfg.bandwidth), path, extra=extra, metrics={})


def _write_pool_csv(path: Path, pool: CodePool, expected: np.ndarray, chosen: np.ndarray) -> None:
    """The pool, best first: SMILES, reward, mean reward around its code, whether the prior keeps its code."""
    kept = np.zeros(len(pool), dtype=bool)
    kept[chosen] = True
    rows = "".join(f"{s},{v:.6g},{e:.6g},{int(k)}\n" for s, v, e, k in zip(pool.smiles, pool.scores, expected, kept))
    with atomic_file(path) as tmp:
        tmp.write_text("smiles,score,expected_score,in_prior\n" + rows)


LOG_COLUMNS = ("round", "valid", "new", "joined", "pool_mean", "pool_min", "seconds")


def _save_state(path: Path, pool: CodePool, seen: set[str], done: int, seconds: float, rng: torch.Generator,
                identity: dict) -> None:
    """The whole search state in one safetensors file, written atomically (SMILES as UTF-8 bytes)."""
    from safetensors.torch import save_file

    def text(lines: Sequence[str]) -> Tensor:
        return torch.frombuffer(bytearray("\n".join(lines).encode()), dtype=torch.uint8)

    tensors = {"codes": pool.codes.contiguous(), "scores": torch.from_numpy(pool.scores.copy()),
               "rng": rng.get_state(), "smiles": text(pool.smiles), "seen": text(sorted(seen))}
    meta = {"round": str(done), "seconds": repr(seconds), "identity": json.dumps(identity, sort_keys=True)}
    with atomic_file(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)


def _load_state(path: Path, cfg: SearchConfig, rng: torch.Generator, identity: dict) -> tuple[CodePool, set[str], int, float]:
    """Pool, seen SMILES, rounds done and seconds of a saved search; ``InputError`` if it cannot continue."""
    from safetensors import safe_open

    def lines(tensor: Tensor) -> list[str]:
        text = bytes(tensor.numpy()).decode()
        return text.split("\n") if text else []

    try:
        with safe_open(str(path), "pt") as handle:
            meta = handle.metadata() or {}
            codes, scores, rng_state = (handle.get_tensor(k) for k in ("codes", "scores", "rng"))
            smiles, seen = lines(handle.get_tensor("smiles")), set(lines(handle.get_tensor("seen")))
        saved = json.loads(meta["identity"])
        done, seconds = int(meta["round"]), float(meta["seconds"])
    except Exception as exc:  # a damaged or foreign file: say so in one line
        raise InputError(f"cannot resume from {path}: {type(exc).__name__}: {exc}") from None
    changed = sorted(k for k in identity if saved.get(k) != identity[k])
    if changed:
        raise InputError(
            f"cannot resume {path.parent}: it was searched with other settings ({', '.join(changed)}); "
            "use the same ones, or a new --out"
        )
    pool = CodePool(cfg.pool_size, codes.shape[1])
    pool.add(smiles, scores.numpy(), codes)
    rng.set_state(rng_state)
    return pool, seen, done, seconds

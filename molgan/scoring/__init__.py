"""Scoring: components, transforms and aggregation that make the reward steering the generator.

::

    from molgan.scoring import load_reward
    reward = load_reward("druglike")              # a preset, or a path to a TOML file
    table = reward.score(mols, n_jobs=2)          # per-component raw/transformed scores and totals
    totals = reward(mols)                         # just the totals, single process

See :mod:`molgan.scoring.config` for the TOML format and :data:`COMPONENTS`, :data:`TRANSFORMS`
and :data:`AGGREGATIONS` for what can go in it.
"""

from molgan.scoring.aggregation import AGGREGATIONS, arithmetic_mean, geometric_mean
from molgan.scoring.components import COMPONENTS, Component, UnsafeModelFileWarning, morgan_fingerprints
from molgan.scoring.config import PRESETS, load_reward, reward_from_dict
from molgan.scoring.output import write_scores_csv
from molgan.scoring.reward import Reward, ScoreTable, Term
from molgan.scoring.transforms import TRANSFORMS, DoubleSigmoid, Identity, ReverseSigmoid, Sigmoid, Step

__all__ = [
    "AGGREGATIONS",
    "COMPONENTS",
    "PRESETS",
    "TRANSFORMS",
    "Component",
    "DoubleSigmoid",
    "Identity",
    "ReverseSigmoid",
    "Reward",
    "ScoreTable",
    "Sigmoid",
    "Step",
    "Term",
    "UnsafeModelFileWarning",
    "arithmetic_mean",
    "geometric_mean",
    "load_reward",
    "morgan_fingerprints",
    "reward_from_dict",
    "write_scores_csv",
]

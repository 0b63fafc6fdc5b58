"""The one keep-the-best-K merge that the elite pool and the latent search's code pool share."""

import numpy as np

from molgan.latent.pool import merge_top_k, new_candidates, worst_kept


def test_candidates_are_new_finite_distinct_and_keep_the_best_score_of_repeats():
    smiles = ["A", "B", "A", None, "", "C", "B", "D", "A"]
    scores = np.array([0.2, 0.5, 0.7, 1.0, 1.0, np.nan, 0.5, 0.1, 0.7])
    # A: best at index 2 (index 8 ties and is later); B: first of two equal; C not finite; D known
    assert new_candidates(smiles, scores, known={"D"}) == [2, 1]
    assert new_candidates(smiles, scores, known=set(), worst=0.5) == [2]


def test_worst_kept_is_minus_infinity_until_the_pool_is_full():
    assert worst_kept(np.array([0.3, 0.1]), 3) == -np.inf
    assert worst_kept(np.array([0.3, 0.1]), 2) == 0.1


def test_the_merge_keeps_the_best_k_stably_and_counts_newcomers():
    order, joined = merge_top_k(np.array([0.9, 0.4]), np.array([0.4, 0.95, 0.1]), 3)
    assert order.tolist() == [3, 0, 1] and joined == 1  # the old 0.4 beats the offered 0.4 (earlier)
    order, joined = merge_top_k(np.zeros(0), np.array([0.2, 0.3]), 5)
    assert order.tolist() == [1, 0] and joined == 2

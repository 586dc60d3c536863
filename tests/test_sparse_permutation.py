"""The tour family on candidate lists (issue 16): the same distribution as the dense
family it stands for, exact sampling, the CE update, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

import cemopt as ce
from cemopt.families import SparsePermutation, nearest_candidates
from cemopt.testing import check_family


def _all_tours(n):
    return np.array([[0, *p] for p in itertools.permutations(range(1, n))])


def _random_family(n, k, seed, concentration=1.0):
    rng = np.random.default_rng(seed)
    candidates = nearest_candidates(rng.uniform(size=(n, n)), k)
    P = rng.dirichlet(np.full(k + 1, concentration), size=n)
    if k == n - 1:  # no other node to escape to
        P[:, -1] = 0.0
        P /= P.sum(axis=1, keepdims=True)
    return SparsePermutation(candidates, P)


@pytest.mark.parametrize(("n", "k"), [(7, 3), (7, 6), (6, 1), (8, 2)])
def test_logpdf_is_the_dense_familys_on_every_tour(n, k):
    # the dense Permutation with the equivalent matrix is the reference sampler
    f = _random_family(n, k, seed=n + k)
    dense = ce.Permutation(n, f.dense())
    tours = _all_tours(n)
    mine, reference = f.logpdf(tours), dense.logpdf(tours)
    np.testing.assert_array_equal(np.isneginf(mine), np.isneginf(reference))
    finite = np.isfinite(reference)
    np.testing.assert_allclose(mine[finite], reference[finite], rtol=0, atol=1e-12)
    assert np.exp(mine).sum() == pytest.approx(1.0, abs=1e-12)


def test_samples_follow_the_exact_tour_distribution():
    # 120 tours of 6 nodes: chi-square of 200 000 draws against exp(logpdf)
    f = _random_family(6, 2, seed=3)
    tours = _all_tours(6)
    p = np.exp(f.logpdf(tours))
    draws = f.sample(200_000, rng=1)
    code = lambda t: (t * 6 ** np.arange(6)).sum(axis=1)  # noqa: E731
    index = {c: i for i, c in enumerate(code(tours))}
    counts = np.bincount([index[c] for c in code(draws)], minlength=len(tours))
    assert counts[p == 0].sum() == 0  # nothing the sampler cannot produce
    expected = p * len(draws)
    used = expected > 5
    chi2 = float(((counts[used] - expected[used]) ** 2 / expected[used]).sum())
    assert stats.chi2.sf(chi2, used.sum() - 1) > 1e-4


def test_a_row_with_no_mass_left_draws_uniformly_like_the_dense_sampler():
    # node 0 may only go to 1; once 1 is visited from elsewhere its row is empty
    P = np.array([[1.0, 0.0, 0.0]] + [[0.5, 0.5, 0.0]] * 4)
    f = SparsePermutation([[1, 2], [2, 3], [3, 4], [4, 0], [0, 1]], P)
    tours = _all_tours(5)
    dense = ce.Permutation(5, f.dense()).logpdf(tours)
    np.testing.assert_allclose(f.logpdf(tours), dense, atol=1e-12)
    assert np.exp(f.logpdf(f.sample(500, rng=0))).min() > 0


def test_check_family_passes():
    for family in (_random_family(9, 3, seed=0, concentration=10.0), _random_family(9, 3, 1)):
        report = check_family(family)
        assert report["fit"] == "ok" and report["likelihood_ratio"] == "ok"
    assert check_family(SparsePermutation(nearest_candidates(np.eye(5) + 1, 2)))["fit"] == "ok"


def test_fit_is_the_dense_fit_on_the_candidate_lists():
    f = _random_family(9, 3, seed=4)
    tours = f.sample(400, rng=2)
    w = np.random.default_rng(5).uniform(size=400)
    mine = f.fit(tours, w)
    dense = ce.Permutation(9, f.dense()).fit(tours, w).P
    on_lists = dense[np.arange(9)[:, None], f.candidates]
    np.testing.assert_allclose(mine.P[:, :3], on_lists, atol=1e-14)
    np.testing.assert_allclose(mine.P[:, 3], 1.0 - on_lists.sum(axis=1), atol=1e-14)


def test_default_is_the_uniform_tour_distribution():
    f = SparsePermutation(nearest_candidates(np.random.default_rng(0).uniform(size=(6, 6)), 2))
    np.testing.assert_allclose(np.exp(f.logpdf(_all_tours(6))), 1 / 120, rtol=1e-12)


def test_mode_and_degeneracy_of_a_deterministic_family():
    candidates = [[1, 2], [2, 3], [3, 4], [4, 0], [0, 1]]
    P = np.array([[1.0, 0.0, 0.0]] * 5)
    f = SparsePermutation(candidates, P)
    assert f.mode().tolist() == [0, 1, 2, 3, 4] and f.degeneracy() == 0.0
    assert f.sample(3, rng=0).tolist() == [[0, 1, 2, 3, 4]] * 3


def test_ce_finds_the_optimal_tour_of_a_small_instance():
    # 11 random cities; the optimum by Held-Karp dynamic programming (itself checked
    # against enumeration on 7 cities)
    small = np.random.default_rng(7).uniform(size=(7, 2))
    D7 = np.sqrt(((small[:, None] - small[None]) ** 2).sum(axis=-1))
    T7 = _all_tours(7)
    assert _held_karp(D7) == pytest.approx(D7[T7, np.roll(T7, -1, axis=1)].sum(axis=1).min())
    rng = np.random.default_rng(11)
    pts = rng.uniform(size=(11, 2))
    D = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=-1))
    optimum = _held_karp(D)

    def length(T):
        return D[T, np.roll(T, -1, axis=1)].sum(axis=1)

    family = SparsePermutation(nearest_candidates(D, 5))
    res = ce.minimize(length, family, vectorized=True, n_samples=2000, rng=0, max_iter=60)
    assert res.fun == pytest.approx(optimum, rel=1e-12)


def _held_karp(D):
    n = len(D)
    full = 1 << (n - 1)
    best = np.full((full, n - 1), np.inf)
    for j in range(n - 1):
        best[1 << j, j] = D[0, j + 1]
    for subset in range(1, full):
        for j in range(n - 1):
            if not subset >> j & 1 or not np.isfinite(best[subset, j]):
                continue
            for m in range(n - 1):
                if subset >> m & 1:
                    continue
                nxt = subset | 1 << m
                best[nxt, m] = min(best[nxt, m], best[subset, j] + D[j + 1, m + 1])
    return float(min(best[full - 1, j] + D[j + 1, 0] for j in range(n - 1)))


def test_nearest_candidates():
    D = np.array([[0, 1, 5, 2], [1, 0, 3, 9], [5, 3, 0, 4], [2, 9, 4, 0]])
    assert nearest_candidates(D, 2).tolist() == [[1, 3], [0, 2], [1, 3], [0, 2]]
    # asymmetric: out-neighbours; ties to the lower index
    A = np.array([[0, 2, 2, 1], [5, 0, 1, 1], [1, 1, 0, 1], [3, 2, 1, 0]])
    assert nearest_candidates(A, 2).tolist() == [[3, 1], [2, 3], [0, 1], [2, 1]]
    with pytest.raises(ValueError, match=r"`k` must be at most n - 1 = 3, but got k=4"):
        nearest_candidates(D, 4)
    with pytest.raises(ValueError, match=r"`distance` must be a square matrix"):
        nearest_candidates(np.ones((3, 4)), 1)


@pytest.mark.parametrize(
    ("candidates", "P", "start", "error", "match"),
    [
        ([[1], [2]], None, 0, ValueError, r"`candidates` must be an \(n, k\) array with n >= 3"),
        ([[0], [2], [0]], None, 0, ValueError, r"rows must hold distinct nodes .* candidates\[0\]"),
        ([[1, 1], [2, 0], [0, 1]], None, 0, ValueError, r"candidates\[0\]=\[1, 1\]"),
        ([[1], [3], [0]], None, 0, ValueError, r"candidates\[1\]=\[3\]"),
        ([[1.0], [2.0], [0.0]], None, 0, TypeError, r"`candidates` must be an array of integers"),
        ([[1], [2], [0]], np.ones((3, 3)) / 3, 0, ValueError, r"`P` must have shape \(n, k \+ 1\)"),
        ([[1], [2], [0]], [[0.5, 0.6]] * 3, 0, ValueError, r"`P` rows must sum to 1, but row 0"),
        ([[1, 2], [2, 0], [0, 1]], [[0.5, 0.4, 0.1]] * 3, 0, ValueError, r"escape mass"),
        ([[1], [2], [0]], None, 3, ValueError, r"`0 <= start < n` must hold, but got start=3"),
    ],
)
def test_bad_input(candidates, P, start, error, match):
    with pytest.raises(error, match=match):
        SparsePermutation(np.asarray(candidates), P, start)


def test_blend_and_fit_refuse_what_does_not_fit():
    f = SparsePermutation([[1], [2], [3], [0]])
    g = SparsePermutation([[2], [3], [0], [1]])
    with pytest.raises(ValueError, match=r"`previous` must have the same candidates and start"):
        f.blend(g, 0.5)
    with pytest.raises(ValueError, match=r"rows must be permutations of 0..3"):
        f.fit([[0, 1, 1, 2]])
    with pytest.raises(ce.DegenerateFitError, match=r"zero total weight"):
        f.fit([[0, 1, 2, 3]], [0.0])

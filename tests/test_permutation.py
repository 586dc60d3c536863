"""The Permutation family: closed tours sampled node by node from a transition matrix."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

import cemopt as ce
from cemopt.families.permutation import _first_above
from cemopt.testing import check_family


def _peaked(n: int, seed: int, spread: float = 2.0) -> np.ndarray:
    """A random transition matrix with a few dominant entries per row (softmax)."""
    logits = spread * np.random.default_rng(seed).normal(size=(n, n))
    np.fill_diagonal(logits, -np.inf)
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    return P / P.sum(axis=1, keepdims=True)


def _all_tours(n: int, start: int) -> np.ndarray:
    rest = [i for i in range(n) if i != start]
    return np.array([(start, *p) for p in itertools.permutations(rest)], dtype=np.int64)


def _is_tour(rows: np.ndarray, n: int, start: int) -> bool:
    return bool(np.all(np.sort(rows, axis=1) == np.arange(n)) and np.all(rows[:, 0] == start))


# ------------------------------------------------------------------ conformance
@pytest.mark.parametrize(
    "family",
    [ce.Permutation(6), ce.Permutation(8, _peaked(8, 1), start=3)],
    ids=["uniform-6", "peaked-8"],
)
def test_check_family(family):
    report = check_family(family)
    assert set(report.values()) == {"ok"}


def test_fit_does_not_recover_its_own_params():
    """Why the family opts out of the recovery check: the CE update targets edge
    frequencies, which differ from P under the renormalising sampler."""
    assert ce.Permutation.fit_recovers_params is False
    f = ce.Permutation(5, _peaked(5, 0))
    fitted = f.fit(f.sample(50000, rng=0))
    assert np.max(np.abs(fitted.P - f.P)) > 0.05  # far beyond sampling error (~0.005)


# ------------------------------------------------------------------ sampling
@pytest.mark.parametrize("start", [0, 4])
def test_samples_are_tours_from_start(start):
    P = _peaked(9, 2, spread=4.0)
    P[P < 0.05] = 0.0  # sparse rows: some tours run out of mass and fall back
    P /= P.sum(axis=1, keepdims=True)
    f = ce.Permutation(9, P, start=start)
    X = f.sample(2000, rng=1)
    assert X.dtype == np.int64 and X.shape == (2000, 9)
    assert _is_tour(X, 9, start)
    assert np.all(np.isfinite(f.logpdf(X)))


def test_same_rng_same_tours_and_empty_batch():
    f = ce.Permutation(12, _peaked(12, 3))
    assert np.array_equal(f.sample(300, rng=7), f.sample(300, np.random.default_rng(7)))
    assert f.sample(0, rng=0).shape == (0, 12)
    assert f.logpdf(np.empty((0, 12), dtype=int)).shape == (0,)


def _pairs_P(n: int) -> np.ndarray:
    """0 <-> 1 and 2 <-> 3 point only at each other: the second step of such a pair
    finds no mass left and must fall back to uniform."""
    P = np.full((n, n), 1.0 / (n - 1))
    np.fill_diagonal(P, 0.0)
    for i, j in ((0, 1), (1, 0), (2, 3), (3, 2)):
        P[i] = 0.0
        P[i, j] = 1.0
    return P


def _sparse_P(n: int) -> np.ndarray:
    P = _peaked(n, 4, spread=1.0)
    P[0, 2] = P[3, 1] = P[4, 0] = 0.0
    return P / P.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("P", "start"),
    [(_peaked(5, 5, spread=1.0), 0), (_sparse_P(5), 2), (_pairs_P(5), 0), (None, 1)],
    ids=["dense", "zeros", "fallback", "uniform"],
)
def test_sampler_matches_logpdf_exactly(P, start):
    """All (n-1)! = 24 tours: exp(logpdf) sums to 1, and 200k samples follow it.

    Chi-square goodness of fit over the tours of positive probability at a fixed
    seed; the test fails when the p-value is below 1e-3. Tours of probability 0
    (logpdf -inf) must never be drawn.
    """
    n = 5
    f = ce.Permutation(n, P, start=start)
    tours = _all_tours(n, start)
    prob = np.exp(f.logpdf(tours))
    assert abs(prob.sum() - 1.0) < 1e-12
    X = f.sample(200_000, rng=11)
    base = n ** np.arange(n - 2, -1, -1)  # big-endian digits: codes sort like tuples
    tour_codes = tours[:, 1:] @ base  # sorted: itertools.permutations is lexicographic
    index = np.searchsorted(tour_codes, X[:, 1:] @ base)
    assert np.array_equal(tour_codes[index], X[:, 1:] @ base)
    counts = np.bincount(index, minlength=len(tours))
    possible = prob > 0
    assert np.all(counts[~possible] == 0)
    expected = prob[possible] * X.shape[0]
    result = stats.chisquare(counts[possible], expected / expected.sum() * counts.sum())
    assert result.pvalue > 1e-3, result


def test_fallback_is_uniform_among_unvisited():
    # 0 -> 1 surely, and row 1 has all its mass on the visited node 0
    P = [[0, 1, 0, 0], [1, 0, 0, 0], [0.5, 0, 0, 0.5], [0.5, 0, 0.5, 0]]
    f = ce.Permutation(4, P)
    X = f.sample(4000, rng=0)
    assert np.all(X[:, :2] == [0, 1])
    share = np.mean(X[:, 2] == 2)
    assert abs(share - 0.5) < 4 * 0.5 / math.sqrt(4000)
    np.testing.assert_allclose(np.exp(f.logpdf([[0, 1, 2, 3], [0, 1, 3, 2]])), [0.5, 0.5])
    assert f.logpdf([[0, 2, 1, 3]])[0] == -np.inf  # P[0, 2] = 0 while mass is left


def test_logpdf_by_hand():
    P = np.array([[0, 0.5, 0.25, 0.25], [0.2, 0, 0.2, 0.6], [0.1, 0.3, 0, 0.6], [1 / 3] * 3 + [0]])
    f = ce.Permutation(4, P)
    # 0 -> 2: 0.25; 2 -> 1 among {1, 3}: 0.3 / 0.9; 1 -> 3 the last: 1
    np.testing.assert_allclose(f.logpdf([[0, 2, 1, 3]]), [math.log(0.25 * 0.3 / 0.9)], rtol=1e-14)


def test_first_above_never_picks_zero_mass_on_rounding():
    cum = np.array([[0.0, 1.0, 1.0], [0.5, 0.5, 1.0]]).T  # one column per tour
    # threshold equal to the total (rounding of u * total): the last positive entry
    assert _first_above(cum, np.array([1.0, 1.0])).tolist() == [1, 2]
    assert _first_above(cum, np.array([0.0, 0.5])).tolist() == [1, 2]


# ------------------------------------------------------------------ CE update
def test_fit_is_the_weighted_edge_frequency():
    tours = [[0, 1, 2, 3], [0, 2, 1, 3]]
    fitted = ce.Permutation(4).fit(tours, weights=[1.0, 3.0])
    expected = [[0, 0.25, 0.75, 0], [0, 0, 0.25, 0.75], [0, 0.75, 0, 0.25], [1, 0, 0, 0]]
    assert np.array_equal(fitted.P, expected)  # closing edge 3 -> 0 counted
    repeated = ce.Permutation(4).fit([tours[0], tours[1], tours[1], tours[1]])
    assert np.array_equal(repeated.P, fitted.P)
    assert fitted.n == 4 and fitted.start == 0 and not fitted.P.flags.writeable


def test_fit_with_start_and_zero_weights():
    f = ce.Permutation(3, start=2)
    assert np.array_equal(f.fit([[2, 0, 1]]).P, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(ce.DegenerateFitError, match="zero total weight"):
        f.fit([[2, 0, 1]], weights=[0.0])
    with pytest.raises(ce.DegenerateFitError, match="at least one sample"):
        f.fit(np.empty((0, 3), dtype=int))


def test_blend():
    a, b = ce.Permutation(4), ce.Permutation(4).fit([[0, 1, 2, 3]])
    mixed = b.blend(a, 0.25, scale_alpha=0.9)  # scale_alpha is ignored
    np.testing.assert_allclose(mixed.P, 0.25 * b.P + 0.75 * a.P, rtol=0, atol=1e-16)
    assert b.blend(a, 1.0).P.tolist() == b.P.tolist()
    with pytest.raises(ValueError, match="`previous` must have start 0"):
        a.blend(ce.Permutation(4, start=1), 0.5)
    with pytest.raises(ValueError, match="`previous` must have dim 4"):
        a.blend(ce.Permutation(5), 0.5)
    with pytest.raises(TypeError, match="`previous` must be a Permutation"):
        a.blend(ce.Bernoulli([0.5] * 4), 0.5)
    with pytest.raises(ValueError, match="0 <= alpha <= 1"):
        a.blend(b, 1.5)


# ------------------------------------------------------------------ mode, degeneracy, params
def test_mode_and_degeneracy():
    cycle = [0, 3, 1, 4, 2]  # 0 -> 3 -> 1 -> 4 -> 2 -> 0
    P = np.zeros((5, 5))
    P[cycle, np.roll(cycle, -1)] = 1.0
    f = ce.Permutation(5, P, start=1)
    assert f.mode().tolist() == [1, 4, 2, 0, 3]
    assert f.mode().dtype == np.int64
    assert f.degeneracy() == 0.0
    assert ce.Permutation(5).mode().tolist() == [0, 1, 2, 3, 4]  # ties to the lowest index
    assert ce.Permutation(4).degeneracy() == pytest.approx(2 / 3)


def test_params_with_params_and_repr():
    f = ce.Permutation(6, _peaked(6, 6), start=2)
    assert f.dim == 6 and f.n == 6
    assert set(f.params) == {"P"} and not f.params["P"].flags.writeable
    g = f.with_params({"P": f.P.copy()})
    assert g.start == 2 and np.array_equal(g.P, f.P)
    with pytest.raises(ValueError, match=r"`params` must be a dict with keys \['P'\]"):
        f.with_params({"probs": f.P})
    with pytest.raises(AttributeError):
        f.P = f.P
    text = repr(ce.Permutation(50))
    assert text.startswith("Permutation(n=50, start=0, P=[[0. , 0.02, ...") and len(text) < 200


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((2,), {}, ValueError, r"`n >= 3` must hold, but got n=2"),
        ((3.0,), {}, TypeError, r"`n` must be an integer"),
        ((4,), {"start": 4}, ValueError, r"`0 <= start < n` must hold, but got start=4"),
        ((4,), {"start": -1}, ValueError, r"`start >= 0` must hold"),
        ((4, np.full((3, 3), 0.5)), {}, ValueError, r"`P` must have shape \(n, n\) = \(4, 4\)"),
        ((3, [0.5, 0.5, 0.0]), {}, ValueError, r"`P` must be 2-d"),
        ((3, [[0, 1, 0], [np.nan, 0, 1], [1, 0, 0]]), {}, ValueError, "`P` must be finite"),
        (
            (3, [[0, 1, 0], [1.5, 0, -0.5], [1, 0, 0]]),
            {},
            ValueError,
            r"`P` rows must be non-negative, but got P\[1\]",
        ),
        (
            (3, [[0, 1, 0], [0, 0, 1], [0.5, 0, 0.5]]),
            {},
            ValueError,
            r"`P` rows must have a zero diagonal, but got P\[2\]",
        ),
        (
            (3, [[0, 1, 0], [0.5, 0, 0.4], [1, 0, 0]]),
            {},
            ValueError,
            r"`P` rows must sum to 1, but got P\[1\]=.* summing to 0\.9",
        ),
    ],
)
def test_constructor_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ce.Permutation(*args, **kwargs)


@pytest.mark.parametrize("method", ["logpdf", "fit"])
@pytest.mark.parametrize(
    ("tours", "error", "match"),
    [
        ([[0, 1, 2]], ValueError, r"`tours` must have shape \(n, 4\), but got tours with shape"),
        ([[0, 1, 2, 2]], ValueError, r"`tours` rows must be permutations of 0\.\.3, .*\[0\]"),
        ([[0, 1, 2, 3], [0, 1, 2, 4]], ValueError, r"permutations of 0\.\.3, but got tours\[1\]"),
        ([[1, 0, 2, 3]], ValueError, r"`tours` rows must begin at start=0, but got tours\[0\]"),
        ([[0, 1, 2.5, 3]], ValueError, r"`tours` must contain integers"),
        ([["a", "b", "c", "d"]], TypeError, r"`tours` must be an array of integers"),
    ],
)
def test_tour_errors(method, tours, error, match):
    with pytest.raises(error, match=match):
        getattr(ce.Permutation(4), method)(tours)


def test_float_tours_with_integer_values_are_accepted():
    f = ce.Permutation(4)
    np.testing.assert_array_equal(f.logpdf([[0.0, 2.0, 1.0, 3.0]]), f.logpdf([[0, 2, 1, 3]]))

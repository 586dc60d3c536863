"""Information measures of families (entropy, KL divergence, cross-entropy) and their use
as convergence diagnostics: history columns, the kl_tol stopping rule, the plot.

References nobody here wrote: scipy's entropies and discrete KL, numerical quadrature
(scipy.integrate.quad; mpmath for far tails), exact enumeration of tours with the
sampler's rule written out here, and Monte Carlo averages of logpdf over the family's
own samples (within 4 standard errors, fixed seeds).
"""

from __future__ import annotations

import doctest
import itertools
import math
from pathlib import Path

import matplotlib
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import cemopt as ce
from cemopt.families._information import NoClosedForm
from cemopt.plot import plot_information
from cemopt.problems.maxcut import MaxCut

matplotlib.use("Agg")

K = 4.0  # tolerance of the statistical checks, in standard errors
DOCS = Path(__file__).resolve().parents[1] / "docs" / "information.md"
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def transition_matrix(n: int, seed: int, zeros: bool = False) -> np.ndarray:
    P = np.random.default_rng(seed).random((n, n)) ** 2
    np.fill_diagonal(P, 0.0)
    if zeros:
        P[0, 1] = P[2, 0] = 0.0  # zero-probability steps (and renormalisation) matter
    return P / P.sum(axis=1, keepdims=True)


def monte_carlo(p, q, n=20_000, seed=0):
    """Means and standard errors of -log p, -log q and log p - log q over X ~ p."""
    X = p.sample(n, np.random.default_rng(seed))
    log_p, log_q = np.asarray(p.logpdf(X)), np.asarray(q.logpdf(X))
    return [
        (terms.mean(), terms.std(ddof=1) / math.sqrt(n))
        for terms in (-log_p, -log_q, log_p - log_q)
    ]


def ragged_categorical(seed, k=(2, 3, 5)):
    rng = np.random.default_rng(seed)
    return ce.Categorical([rng.dirichlet(np.ones(kj)) for kj in k])


PAIRS = {
    "normal": (ce.Normal([0.0, 1.0], [1.0, 2.0]), ce.Normal([0.5, -1.0], [1.5, 0.7])),
    "truncated": (  # the last coordinate far in the upper tail; q's boxes contain p's
        ce.Normal([0.0, 0.3, 0.0], [1.0, 2.0, 1.0], lower=[-1.0, 0.0, 5.0], upper=[2.0, 1.0, 6.0]),
        ce.Normal(
            [0.5, 0.0, 1.0], [2.0, 1.0, 3.0], lower=[-3.0, -np.inf, 4.0], upper=[np.inf, 2.0, 7.0]
        ),
    ),
    "truncated-vs-plain": (
        ce.Normal([0.0], [1.0], lower=0.0),
        ce.Normal([0.5], [1.5]),
    ),
    "mvn": (
        ce.MultivariateNormal([0.0, 1.0, 2.0], [[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.5]]),
        ce.MultivariateNormal(
            [1.0, 0.0, 2.5], [[1.0, -0.3, 0.0], [-0.3, 2.0, 0.4], [0.0, 0.4, 1.0]]
        ),
    ),
    "bernoulli": (ce.Bernoulli([0.1, 0.5, 0.9, 0.3]), ce.Bernoulli([0.2, 0.4, 0.6, 0.05])),
    "categorical": (ragged_categorical(1), ragged_categorical(2)),
    "exponential": (ce.Exponential([1.0, 3.0]), ce.Exponential([2.0, 0.5])),
    "product": (
        ce.Product(x=ce.Normal([0.0], [1.0]), k=ce.Bernoulli([0.3, 0.6])),
        ce.Product(x=ce.Normal([1.0], [2.0]), k=ce.Bernoulli([0.5, 0.5])),
    ),
    "permutation": (
        ce.Permutation(7, transition_matrix(7, 0)),
        ce.Permutation(7, transition_matrix(7, 1)),
    ),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_closed_forms_agree_with_monte_carlo(name):
    p, q = PAIRS[name]
    (h, h_se), (cross, cross_se), (kl, kl_se) = monte_carlo(p, q)
    assert type(p.entropy()) is float  # exact: a plain float, not an Estimate
    assert abs(p.entropy() - h) <= K * h_se
    assert abs(p.cross_entropy(q) - cross) <= K * cross_se
    assert abs(p.kl_divergence(q) - kl) <= K * kl_se


# ------------------------------------------------------------------------ scipy checks
def test_entropies_match_scipy():
    mean, std = np.array([0.0, -2.0, 3.0]), np.array([1.0, 0.1, 7.0])
    assert ce.Normal(mean, std).entropy() == pytest.approx(
        stats.norm(mean, std).entropy().sum(), rel=1e-13
    )
    cov = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.5]])
    assert ce.MultivariateNormal(mean, cov).entropy() == pytest.approx(
        stats.multivariate_normal(mean, cov).entropy(), rel=1e-13
    )
    means = np.array([0.01, 1.0, 40.0])
    assert ce.Exponential(means).entropy() == pytest.approx(
        stats.expon(scale=means).entropy().sum(), rel=1e-13
    )
    p = np.array([0.0, 0.1, 0.5, 0.97, 1.0])
    assert ce.Bernoulli(p).entropy() == pytest.approx(stats.bernoulli(p).entropy().sum(), rel=1e-13)
    assert ce.Bernoulli(p).entropy(base=2) == pytest.approx(
        sum(stats.entropy([pj, 1 - pj], base=2) for pj in p), rel=1e-13
    )
    f = ragged_categorical(4)
    rows = [f.probs[j, :kj] for j, kj in enumerate(f.n_categories)]
    assert f.entropy() == pytest.approx(sum(stats.entropy(r) for r in rows), rel=1e-13)


@pytest.mark.parametrize(
    "mean, std, lower, upper",
    [(0.0, 1.0, -1.0, 2.0), (0.5, 2.0, -3.0, 0.0), (1.0, 0.5, 1.2, 4.0), (0.0, 1.0, -4.0, 4.0)],
)
def test_truncated_entropy_matches_scipy(mean, std, lower, upper):
    a, b = (lower - mean) / std, (upper - mean) / std
    expected = stats.truncnorm(a, b, loc=mean, scale=std).entropy()
    assert ce.Normal(mean, std, lower=lower, upper=upper).entropy() == pytest.approx(
        expected, rel=1e-10, abs=1e-12
    )


@pytest.mark.parametrize("lower, upper", [(5.0, 6.0), (-30.0, -29.0), (10.0, np.inf)])
def test_truncated_entropy_in_far_tails_matches_mpmath(lower, upper):
    """scipy's truncnorm.entropy loses digits (or gives NaN) there; mpmath at 50 digits."""
    mpmath.mp.dps = 50
    lo, hi = mpmath.mpf(lower), mpmath.inf if np.isinf(upper) else mpmath.mpf(upper)
    mass = mpmath.ncdf(hi) - mpmath.ncdf(lo)

    def integrand(x):
        density = mpmath.npdf(x) / mass
        return -density * mpmath.log(density)

    expected = float(mpmath.quad(integrand, [lo, lo + 1, hi] if np.isinf(upper) else [lo, hi]))
    got = ce.Normal(0.0, 1.0, lower=lower, upper=upper).entropy()
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_truncated_kl_matches_quadrature():
    p = ce.Normal(0.3, 0.7, lower=-0.5, upper=1.5)
    q = ce.Normal(1.0, 2.0, lower=-1.0, upper=3.0)
    pd = stats.truncnorm((-0.5 - 0.3) / 0.7, (1.5 - 0.3) / 0.7, loc=0.3, scale=0.7)
    qd = stats.truncnorm((-1.0 - 1.0) / 2.0, (3.0 - 1.0) / 2.0, loc=1.0, scale=2.0)
    kl = integrate.quad(lambda x: pd.pdf(x) * (pd.logpdf(x) - qd.logpdf(x)), -0.5, 1.5)[0]
    cross = integrate.quad(lambda x: -pd.pdf(x) * qd.logpdf(x), -0.5, 1.5)[0]
    assert p.kl_divergence(q) == pytest.approx(kl, rel=1e-9)
    assert p.cross_entropy(q) == pytest.approx(cross, rel=1e-9)


def test_discrete_kl_matches_scipy_entropy():
    p, q = np.array([0.1, 0.5, 0.9, 0.0]), np.array([0.2, 0.4, 0.6, 0.3])
    expected = sum(stats.entropy([a, 1 - a], [b, 1 - b]) for a, b in zip(p, q, strict=True))
    assert ce.Bernoulli(p).kl_divergence(ce.Bernoulli(q)) == pytest.approx(expected, rel=1e-13)
    f, g = ragged_categorical(5), ragged_categorical(6)
    expected = sum(
        stats.entropy(f.probs[j, :kj], g.probs[j, :kj]) for j, kj in enumerate(f.n_categories)
    )
    assert f.kl_divergence(g) == pytest.approx(expected, rel=1e-13)
    assert f.kl_divergence(g, base=2) == pytest.approx(expected / math.log(2), rel=1e-13)


def test_mvn_with_diagonal_covariance_equals_independent_normals():
    p = ce.MultivariateNormal([0.0, 1.0], np.diag([4.0, 0.25]))
    q = ce.MultivariateNormal([1.0, -1.0], np.diag([1.0, 9.0]))
    pn, qn = ce.Normal([0.0, 1.0], [2.0, 0.5]), ce.Normal([1.0, -1.0], [1.0, 3.0])
    assert p.entropy() == pytest.approx(pn.entropy(), rel=1e-13)
    assert p.kl_divergence(q) == pytest.approx(pn.kl_divergence(qn), rel=1e-12)
    assert p.cross_entropy(q) == pytest.approx(pn.cross_entropy(qn), rel=1e-12)


# ------------------------------------------------------------------- property tests
def _normal_pair(seed, d, truncated):
    rng = np.random.default_rng(seed)
    mean_p, mean_q = rng.uniform(-5, 5, d), rng.uniform(-5, 5, d)
    std_p, std_q = np.exp(rng.uniform(-3, 2, (2, d)))
    if not truncated:
        return ce.Normal(mean_p, std_p), ce.Normal(mean_q, std_q)
    lo = mean_p + std_p * rng.uniform(-8, 6, d)
    hi = lo + std_p * np.exp(rng.uniform(-3, 2, d))
    open_lo, open_hi = rng.random(d) < 0.3, rng.random(d) < 0.3
    lo, hi = np.where(open_lo, -np.inf, lo), np.where(open_hi, np.inf, hi)
    q_lo = np.where(rng.random(d) < 0.5, -np.inf, lo - rng.exponential(1.0, d))
    q_hi = np.where(rng.random(d) < 0.5, np.inf, hi + rng.exponential(1.0, d))
    return ce.Normal(mean_p, std_p, lower=lo, upper=hi), ce.Normal(
        mean_q, std_q, lower=q_lo, upper=q_hi
    )


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.1 * np.eye(d)


def _pair(kind, seed, d):
    rng = np.random.default_rng(seed)
    if kind in ("normal", "truncated"):
        return _normal_pair(seed, d, kind == "truncated")
    if kind == "mvn":
        return (
            ce.MultivariateNormal(rng.normal(size=d), _spd(rng, d)),
            ce.MultivariateNormal(rng.normal(size=d), _spd(rng, d)),
        )
    if kind == "bernoulli":  # probabilities 0 and 1 included
        return tuple(ce.Bernoulli(np.round(rng.random(d), 1)) for _ in range(2))
    if kind == "categorical":
        return tuple(ce.Categorical(rng.dirichlet(np.full(3, 0.3), d)) for _ in range(2))
    if kind == "exponential":
        return tuple(ce.Exponential(np.exp(rng.uniform(-4, 4, d))) for _ in range(2))
    return (
        ce.Permutation(d + 3, transition_matrix(d + 3, seed, zeros=True)),
        ce.Permutation(d + 3, transition_matrix(d + 3, seed + 1)),
    )


KINDS = ["normal", "truncated", "mvn", "bernoulli", "categorical", "exponential", "permutation"]


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 4))
def test_information_identities(kind, seed, d):
    p, q = _pair(kind, seed, d)
    h, kl, cross = p.entropy(), p.kl_divergence(q), p.cross_entropy(q)
    tol = 1e-9 * (1.0 + abs(h))
    assert p.kl_divergence(p) == pytest.approx(0.0, abs=tol)  # KL(p || p) = 0
    assert p.cross_entropy(p) == pytest.approx(h, abs=tol)
    assert kl >= -tol  # Gibbs' inequality
    if math.isinf(kl):
        assert cross == math.inf
    else:
        assert cross == pytest.approx(h + kl, rel=1e-9, abs=tol)
    assert p.kl_divergence(q, base=2) == pytest.approx(kl / math.log(2), rel=1e-12)


# --------------------------------------------------------------------------- inf
def test_infinite_where_q_has_no_mass():
    box = ce.Normal([0.0], [1.0], lower=-1.0, upper=1.0)
    plain = ce.Normal([0.0], [1.0])
    assert plain.kl_divergence(box) == math.inf == plain.cross_entropy(box)
    assert box.kl_divergence(ce.Normal([0.0], [1.0], lower=0.0, upper=2.0)) == math.inf
    assert box.kl_divergence(plain) < math.inf  # box inside the real line: finite
    assert ce.Bernoulli([0.5]).kl_divergence(ce.Bernoulli([0.0])) == math.inf
    assert ce.Bernoulli([0.0]).kl_divergence(ce.Bernoulli([0.5])) == pytest.approx(math.log(2))
    cycle = ce.Permutation(4, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
    assert ce.Permutation(4).kl_divergence(cycle) == math.inf
    assert cycle.kl_divergence(ce.Permutation(4)) == pytest.approx(math.log(6))


# -------------------------------------------------------------------- Permutation
def tour_probability(P, tour):
    """The sampler's rule, written out: renormalise P[cur] over the unvisited nodes,
    uniform among them when that row has no mass left there."""
    n, prob, visited = len(tour), 1.0, {tour[0]}
    for k in range(1, n - 1):
        cur, nxt = tour[k - 1], tour[k]
        unvisited = [j for j in range(n) if j not in visited]
        mass = sum(P[cur, j] for j in unvisited)
        prob *= P[cur, nxt] / mass if mass > 0 else 1.0 / len(unvisited)
        visited.add(nxt)
    return prob


@pytest.mark.parametrize("n, start", [(4, 0), (5, 2), (6, 1)])
def test_permutation_exact_matches_enumeration(n, start):
    P, Q = transition_matrix(n, n, zeros=True), transition_matrix(n, n + 10)
    P[3, :] = 0.0
    P[3, 0] = 1.0  # node 3 goes back to 0 only: its row is empty once 0 is visited
    p, q = ce.Permutation(n, P, start), ce.Permutation(n, Q, start)
    rest = [j for j in range(n) if j != start]
    tours = [(start, *perm) for perm in itertools.permutations(rest)]
    pp = np.array([tour_probability(P, t) for t in tours])
    qq = np.array([tour_probability(Q, t) for t in tours])
    assert pp.sum() == pytest.approx(1.0, rel=1e-13)
    support = pp > 0
    expected_h = -np.sum(pp[support] * np.log(pp[support]))
    expected_kl = np.sum(pp[support] * np.log(pp[support] / qq[support]))
    assert p.entropy() == pytest.approx(expected_h, rel=1e-12)
    assert p.kl_divergence(q) == pytest.approx(expected_kl, rel=1e-12)
    assert p.cross_entropy(q) == pytest.approx(expected_h + expected_kl, rel=1e-12)


def test_permutation_uniform_entropy_is_log_of_the_number_of_tours():
    for n in (3, 8, 12):
        assert ce.Permutation(n).entropy() == pytest.approx(math.log(math.factorial(n - 1)))


def test_permutation_estimate_agrees_with_exact_and_is_marked():
    p = ce.Permutation(9, transition_matrix(9, 7))
    q = ce.Permutation(9, transition_matrix(9, 8))
    for method, args in (("entropy", ()), ("kl_divergence", (q,)), ("cross_entropy", (q,))):
        exact = getattr(p, method)(*args, exact=True)
        estimate = getattr(p, method)(*args, exact=False, n_samples=20_000, rng=0)
        assert type(exact) is float and isinstance(estimate, ce.Estimate)
        assert estimate.n_samples == 20_000
        assert abs(estimate - exact) <= K * estimate.std_error
    big = ce.Permutation(13)  # beyond the default exact range: an estimate
    h = big.entropy(n_samples=2000, rng=0)
    assert isinstance(h, ce.Estimate) and abs(h - math.log(math.factorial(12))) < 1e-9
    assert not big.closed_form_information and ce.Permutation(8).closed_form_information
    with pytest.raises(NoClosedForm, match=r"`exact=True` needs n <= 16 .*, but got n=17"):
        ce.Permutation(17).entropy(exact=True)


# ------------------------------------------------------------------------ Mixture
def test_mixture_estimates_match_quadrature():
    p = ce.Mixture([ce.Normal([-1.0], [0.5]), ce.Normal([2.0], [1.0])], weights=[0.3, 0.7])
    q = ce.Mixture([ce.Normal([0.0], [1.0]), ce.Normal([3.0], [2.0])], weights=[0.5, 0.5])

    def log_density(f, x):
        return float(f.logpdf(np.array([[x]]))[0])

    def expect(func):
        return integrate.quad(lambda x: math.exp(log_density(p, x)) * func(x), -12, 15, limit=200)[
            0
        ]

    exact_h = expect(lambda x: -log_density(p, x))
    exact_kl = expect(lambda x: log_density(p, x) - log_density(q, x))
    h = p.entropy(n_samples=20_000, rng=0)
    kl = p.kl_divergence(q, n_samples=20_000, rng=1)
    cross = p.cross_entropy(q, n_samples=20_000, rng=1)
    assert all(isinstance(v, ce.Estimate) for v in (h, kl, cross))
    assert abs(h - exact_h) <= K * h.std_error
    assert abs(kl - exact_kl) <= K * kl.std_error
    assert abs(cross - (exact_h + exact_kl)) <= K * cross.std_error
    bits = p.entropy(base=2, n_samples=20_000, rng=0)
    assert float(bits) == pytest.approx(float(h) / math.log(2), rel=1e-12)
    assert bits.std_error == pytest.approx(h.std_error / math.log(2), rel=1e-12)
    assert "std_error" in repr(h) and not p.closed_form_information


def test_product_sums_components_and_carries_an_estimate():
    mix = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([4.0])])
    f = ce.Product(x=ce.Normal([0.0], [2.0]), m=mix)
    h = f.entropy(n_samples=5000, rng=3)
    alone = mix.entropy(n_samples=5000, rng=3)
    assert isinstance(h, ce.Estimate) and h.std_error == alone.std_error
    assert float(h) == pytest.approx(ce.Normal([0.0], [2.0]).entropy() + float(alone), rel=1e-14)
    assert not f.closed_form_information


# ---------------------------------------------------------------------- bad input
def test_bad_input():
    normal = ce.Normal([0.0, 0.0], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"`other` must be a Normal for kl_divergence, but got a "):
        normal.kl_divergence(ce.Bernoulli([0.5, 0.5]))
    with pytest.raises(TypeError, match=r"`other` must be a Bernoulli for cross_entropy"):
        ce.Bernoulli([0.5]).cross_entropy(ce.Categorical([[0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"`other` must have dim 2 like self for kl_divergence"):
        normal.kl_divergence(ce.Normal([0.0], [1.0]))
    with pytest.raises(ValueError, match=r"`other` must have dim 2 like self"):
        ce.MultivariateNormal([0.0, 0.0], np.eye(2)).kl_divergence(
            ce.MultivariateNormal([0.0], [[1.0]])
        )
    with pytest.raises(ValueError, match=r"`other` must have the same numbers of categories"):
        ce.Categorical([[0.5, 0.5]]).kl_divergence(ce.Categorical([[0.2, 0.3, 0.5]]))
    with pytest.raises(ValueError, match=r"`other` must have start 0 like self"):
        ce.Permutation(4).kl_divergence(ce.Permutation(4, start=1))
    with pytest.raises(ValueError, match=r"`other` must have the components \['a'\]"):
        ce.Product(a=ce.Bernoulli([0.5])).kl_divergence(ce.Product(b=ce.Bernoulli([0.5])))
    with pytest.raises(TypeError, match=r"`other` must have Normal components like self"):
        ce.Mixture([ce.Normal([1.0], [1.0])]).kl_divergence(ce.Mixture([ce.Exponential([1.0])]))
    with pytest.raises(ValueError, match=r"`base` must be None \(nats\) or a finite number > 0"):
        normal.entropy(base=1)
    with pytest.raises(ValueError, match=r"`0 < base` must hold, but got base=-2.0"):
        normal.entropy(base=-2)
    with pytest.raises(TypeError, match=r"`base` must be a real number, but got base='2'"):
        ce.Mixture([ce.Exponential([1.0])]).entropy(base="2")
    with pytest.raises(TypeError, match=r"`exact` must be True, False or None"):
        ce.Permutation(4).entropy(exact="yes")
    with pytest.raises(ValueError, match=r"`n_samples >= 2` must hold, but got n_samples=1"):
        ce.Mixture([ce.Exponential([1.0])]).entropy(n_samples=1)
    with pytest.raises(TypeError, match=r"`options` may be n_samples, rng and exact"):
        ce.Product(a=ce.Bernoulli([0.5])).entropy(samples=10)


# ------------------------------------------------------------ docs: scipy example
def test_docs_examples_run():
    """docs/information.md: its examples, the textbook cross-entropy 0.71355817782 included."""
    if not DOCS.exists():
        pytest.skip("docs/information.md is not next to the tests")
    assert "0.71355817782" in DOCS.read_text()
    result = doctest.testfile(str(DOCS), module_relative=False)
    assert result.attempted >= 10 and result.failed == 0


# -------------------------------------------------------------------- the engine
def test_history_records_entropy_and_kl_of_each_update():
    start = ce.Normal([3.0, -2.0], [2.0, 2.0])
    res = ce.minimize(
        lambda X: (X**2).sum(axis=1), start, n_samples=100, vectorized=True, max_iter=15,
        keep_params=True, rng=0,
    )  # fmt: skip
    h = res.history
    previous = start
    for i in range(len(h)):
        family = start.with_params({"mean": h.params["mean"][i], "std": h.params["std"][i]})
        assert h.entropy[i] == family.entropy()
        assert h.kl[i] == family.kl_divergence(previous)
        previous = family
    assert np.all(h.kl > 0) and h.entropy[-1] < h.entropy[0] - 5  # it concentrated


def test_history_is_nan_without_a_closed_form():
    mix = ce.Mixture([ce.Normal([-1.0], [1.0]), ce.Normal([1.0], [1.0])])
    res = ce.minimize(lambda X: X[:, 0] ** 2, mix, n_samples=50, vectorized=True, max_iter=3, rng=0)
    assert np.isnan(res.history.entropy).all() and np.isnan(res.history.kl).all()


def test_rare_event_history_records_entropy_and_kl():
    nominal = ce.Exponential([1.0] * 5)
    est = ce.estimate(lambda X: X.sum(axis=1), nominal, 30.0, n_final=10_000, rng=0)
    h = est.history
    assert est.success and len(h) >= 2
    assert h.entropy[-1] == est.proposal.entropy()
    assert np.all(np.isfinite(h.kl)) and np.all(h.kl > 0)
    assert np.all(np.diff(h.entropy) > 0)  # the proposal's means grow towards the event


def test_kl_tol_stops_max_cut_earlier_at_the_same_solution():
    problem = MaxCut.synthetic(n=200, m=100, rng=2024)
    p0 = np.full(200, 0.5)
    p0[0] = 1.0
    settings = dict(vectorized=True, target=None, patience=0, value_tol=None, rng=0)
    alone = ce.maximize(problem.cut_value, ce.Bernoulli(p0), **settings)
    with_kl = ce.maximize(problem.cut_value, ce.Bernoulli(p0), kl_tol=1e-6, **settings)
    assert alone.status == "degenerate" and with_kl.status == "kl" and with_kl.success
    assert with_kl.message == ce.result.STATUS_MESSAGES["kl"][1]
    assert with_kl.nit < alone.nit
    assert with_kl.fun == alone.fun == problem.optimum
    np.testing.assert_array_equal(with_kl.x, alone.x)
    np.testing.assert_array_equal(with_kl.x_mode, alone.x_mode)
    assert with_kl.history.kl[-1] < 1e-6 <= with_kl.history.kl[-2]


def test_kl_tol_bad_input():
    family = ce.Normal([0.0], [1.0])
    with pytest.raises(ValueError, match=r"`0 < kl_tol` must hold, but got kl_tol=0.0"):
        ce.CrossEntropy(family, kl_tol=0)
    with pytest.raises(TypeError, match=r"`kl_tol` must be a real number, but got kl_tol='x'"):
        ce.minimize(lambda X: X[:, 0], family, kl_tol="x", vectorized=True)


def test_plot_information():
    res = ce.maximize(
        lambda X: X.sum(axis=1), ce.Bernoulli([0.5] * 10), n_samples=100, vectorized=True, rng=0
    )
    ax = plot_information(res, title="one-max")
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), res.history.entropy)
    assert ax.get_title() == "one-max" and ax.right_ax.get_yscale() == "log"
    with pytest.raises(TypeError, match=r"`result` must be an OptimizeResult or RareEventResult"):
        plot_information(object())
    matplotlib.pyplot.close("all")

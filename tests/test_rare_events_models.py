"""The reference rare-event models: every exact value against an independent reference."""

from __future__ import annotations

import itertools
import math
import pickle

import numpy as np
import pytest
from scipy import integrate, special, stats

import cemopt as ce
from cemopt.problems import PROBLEMS, rare_events
from cemopt.problems.rare_events import (
    RareEventModel,
    bernoulli_sum,
    bridge,
    bridge_length,
    exponential_sum,
    gaussian_linear,
)

BRIDGE_MEANS = (0.25, 0.4, 0.1, 0.3, 0.2)
QUOTED_BRIDGE = 1.3424597e-5  # de Boer, Kroese, Mannor & Rubinstein (2005)


def _crude_mc_agrees(model, n, rng, n_sigma=4.0):
    """Crude Monte Carlo of P(S >= gamma), within n_sigma standard errors of exact."""
    hits = model.S(model.nominal.sample(n, rng=rng)) >= model.gamma
    p_hat = hits.mean()
    se = math.sqrt(model.exact * (1.0 - model.exact) / n)
    assert abs(p_hat - model.exact) < n_sigma * se, (p_hat, model.exact, se)


# --------------------------------------------------------------------------- the type


def test_model_is_a_four_field_named_tuple():
    assert RareEventModel._fields == ("S", "nominal", "gamma", "exact")
    S, nominal, gamma, exact = bridge()
    assert S is bridge_length
    assert isinstance(nominal, ce.Exponential)
    assert gamma == 2.0
    assert isinstance(exact, float)


@pytest.mark.parametrize("name", sorted(rare_events.MODELS))
def test_names_registry_and_pickling(name):
    model = rare_events.MODELS[name]()
    assert model.name == name
    assert PROBLEMS[f"rare_events.{name}"] is rare_events.MODELS[name]
    again = pickle.loads(pickle.dumps(model))
    assert again.name == name
    assert again.gamma == model.gamma
    assert again.exact == model.exact
    assert again.log_exact == model.log_exact
    X = model.nominal.sample(5, rng=0)
    np.testing.assert_array_equal(again.S(X), model.S(X))


def test_custom_model_name_and_log_exact():
    model = RareEventModel(np.sum, ce.Exponential(np.ones(5)), 1.0, 0.25)
    assert model.name == "custom"
    assert model.log_exact == pytest.approx(math.log(0.25))


@pytest.mark.parametrize("name", sorted(rare_events.MODELS))
def test_scores_are_vectorised_float(name):
    model = rare_events.MODELS[name]()
    X = model.nominal.sample(7, rng=1)
    values = model.S(X)
    assert values.shape == (7,)
    assert values.dtype == np.float64
    with pytest.raises(ValueError, match=r"`X` must have shape \(n, "):
        model.S(X[0])


def test_score_values():
    X = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 1.0, 0.0, 1.0, 1.0], [0, 5, 0.5, 5, 0]])
    np.testing.assert_allclose(bridge_length(X), [5.0, 2.0, 0.5])
    with pytest.raises(ValueError, match=r"`X` must have shape \(n, 5\)"):
        bridge_length(np.ones((3, 4)))
    S = bernoulli_sum(n=3, k=2).S
    assert S(np.array([[1, 1, 0], [0, 0, 0]], dtype=np.int8)).tolist() == [2.0, 0.0]
    S = gaussian_linear(d=2, coefficients=[3.0, 4.0]).S
    np.testing.assert_allclose(S(np.array([[3.0, 4.0], [4.0, -3.0]])), [5.0, 0.0], atol=1e-12)


# --------------------------------------------------------------------------- bridge


def _bridge_reference(g, u, epsrel=1e-10):
    """P(S >= g) by an independent route: adaptive scipy quad over X3 and X1 and
    Gauss-Legendre over X2 (all numerical), split at every kink, given the exact
    exponential tails of X4 and X5."""
    u1, u2, u3, u4, u5 = u
    nodes, weights = np.polynomial.legendre.leggauss(24)

    def over_x2(x1, x3):
        kinks = np.sort(np.clip([0.0, g - x3, x1 - x3, x1 + x3, g], 0.0, None))
        lo, hi = kinks[:-1, None], kinks[1:, None]  # (4, 1): empty pieces add 0
        x2 = 0.5 * (lo + hi) + 0.5 * (hi - lo) * nodes
        a4 = np.maximum(max(0.0, g - x1), g - x2 - x3)
        a5 = np.maximum(max(0.0, g - x1 - x3), g - x2)
        total = np.sum(0.5 * (hi - lo) * weights * np.exp(-x2 / u2 - a4 / u4 - a5 / u5)) / u2
        a4, a5 = max(0.0, g - x1), max(0.0, g - x1 - x3)  # beyond the kinks: flat in x2
        return total + math.exp(-kinks[-1] / u2 - a4 / u4 - a5 / u5)

    def quad(f, lo, hi, points=None):
        return integrate.quad(f, lo, hi, points=points, epsabs=0, epsrel=epsrel, limit=200)[0]

    def over_x1(x3):
        def f(x1):
            return over_x2(x1, x3) * math.exp(-x1 / u1) / u1

        kinks = sorted({k for k in (x3, g - 2 * x3, g - x3, g) if 0 < k < g + x3})
        return quad(f, 0.0, g + x3, kinks or None) + quad(f, g + x3, np.inf)

    def f3(x3):
        return over_x1(x3) * math.exp(-x3 / u3) / u3

    return quad(f3, 0.0, g, [g / 3, g / 2]) + quad(f3, g, np.inf)


def test_bridge_exact_matches_quote_and_independent_integral():
    model = bridge()
    # all 8 quoted digits: within half a unit of the 8th
    assert abs(model.exact - QUOTED_BRIDGE) < 0.5e-12
    reference = _bridge_reference(2.0, BRIDGE_MEANS)
    assert model.exact == pytest.approx(reference, rel=1e-9)
    # the stored constant is what the module's own integration gives
    log_p = rare_events._bridge_log_probability(2.0, BRIDGE_MEANS)
    assert model.log_exact == pytest.approx(log_p, rel=1e-13)
    assert math.exp(log_p) == pytest.approx(1.34245974977068e-5, rel=1e-12)


def test_bridge_other_gamma_and_means():
    means = (1.0, 0.5, 0.7, 0.3, 1.2)
    model = bridge(gamma=1.5, means=means)
    assert np.asarray(model.nominal.mean).tolist() == list(means)
    assert 0.05 < model.exact < 0.1
    assert model.exact == pytest.approx(_bridge_reference(1.5, means, epsrel=1e-6), rel=1e-6)
    _crude_mc_agrees(model, 400_000, rng=np.random.default_rng(5))


def test_bridge_limit_of_a_long_middle_edge():
    # edge 3 almost never shorter than gamma: S = min(X1 + X4, X2 + X5), a product of
    # two hypoexponential tails in closed form
    def hypo_tail(a, b, g):  # P(Exp(mean a) + Exp(mean b) >= g), a != b
        return (a * math.exp(-g / a) - b * math.exp(-g / b)) / (a - b)

    u1, u2, _, u4, u5 = BRIDGE_MEANS
    model = bridge(gamma=2.0, means=(u1, u2, 1e7, u4, u5))
    expected = hypo_tail(u1, u4, 2.0) * hypo_tail(u2, u5, 2.0)
    assert model.exact == pytest.approx(expected, rel=1e-6)


def test_bridge_crude_monte_carlo_checks_S_and_integral():
    model = bridge(gamma=1.0)
    assert 5e-3 < model.exact < 2e-2
    _crude_mc_agrees(model, 2_000_000, rng=np.random.default_rng(20240607))


@pytest.mark.parametrize(("gamma", "mean"), [(20.0, 1.0), (3.0, 0.1)])
def test_bridge_log_space_far_tail(gamma, mean):
    # rigorous bounds: X1, X2 >= gamma suffices; X1 + X4 >= gamma and X2 + X5 >= gamma
    # (independent, edge-disjoint paths) is necessary
    model = bridge(gamma=gamma, means=(mean,) * 5)
    lower = -2 * gamma / mean
    upper = 2 * (-gamma / mean + math.log1p(gamma / mean))
    assert lower < model.log_exact < upper
    assert model.log_exact == pytest.approx(math.log(model.exact), rel=1e-12)


# --------------------------------------------------------------------------- sums


def _erlang_log_sf(g, n, mean):
    """log P(Gamma(n, mean) >= g) = -g/m + log sum_{j<n} (g/m)^j / j!, closed form."""
    x = g / mean
    j = np.arange(n)
    return -x + special.logsumexp(j * math.log(x) - special.gammaln(j + 1))


def test_exponential_sum_benchmark_value():
    model = exponential_sum(n=10, mean=1.0, gamma=40.0)
    assert model.exact == pytest.approx(3.9259e-9, rel=2e-5)
    assert model.log_exact == pytest.approx(_erlang_log_sf(40.0, 10, 1.0), rel=1e-13)
    assert exponential_sum().gamma == 40.0  # the default level is 4 n mean


@pytest.mark.parametrize("probability", [1e-5, 1e-10, 1e-30, 1e-100, 1e-300])
@pytest.mark.parametrize(("n", "mean"), [(10, 1.0), (1, 2.5), (50, 0.3)])
def test_exponential_sum_quantile_is_exact_in_log_space(probability, n, mean):
    model = exponential_sum(n=n, mean=mean, probability=probability)
    assert model.exact == probability
    log_sf = _erlang_log_sf(model.gamma, n, mean)
    assert log_sf == pytest.approx(math.log(probability), rel=1e-10)
    log_sf = stats.gamma.logsf(model.gamma, n, scale=mean)
    assert log_sf == pytest.approx(math.log(probability), rel=1e-12)


@pytest.mark.parametrize(
    ("n", "mean", "gamma"), [(10, 1.0, 2000.0), (3, 0.5, 400.0), (40, 2.0, 3000.0)]
)
def test_exponential_sum_underflow_keeps_log(n, mean, gamma):
    mpmath = pytest.importorskip("mpmath")
    model = exponential_sum(n=n, mean=mean, gamma=gamma)
    assert model.exact == 0.0
    with mpmath.workdps(30):
        reference = float(mpmath.log(mpmath.gammainc(n, gamma / mean, regularized=True)))
    assert model.log_exact == pytest.approx(reference, rel=1e-12)


def test_exponential_sum_crude_monte_carlo():
    model = exponential_sum(n=10, mean=2.0, gamma=36.0)
    assert 1e-2 < model.exact < 5e-2
    _crude_mc_agrees(model, 200_000, rng=np.random.default_rng(7))


def _enumerated_tail(p, k):
    """P(sum >= k) by summing over all 2^n configurations."""
    p = np.asarray(p, dtype=float)
    configs = np.array(list(itertools.product((0, 1), repeat=p.size)))
    probs = np.prod(np.where(configs == 1, p, 1.0 - p), axis=1)
    return probs[configs.sum(axis=1) >= k].sum()


def test_bernoulli_sum_binomial_vs_enumeration():
    model = bernoulli_sum()
    assert model.gamma == 5.0
    assert model.exact == pytest.approx(2.42e-8, rel=2e-3)
    assert model.exact == pytest.approx(stats.binom.sf(4, 10, 0.01), rel=1e-12)
    assert model.exact == pytest.approx(_enumerated_tail(np.full(10, 0.01), 5), rel=1e-10)
    assert model.nominal.sample(3, rng=0).dtype == np.int8
    for k in (1, 3, 10):
        other = bernoulli_sum(n=10, p=0.2, k=k)
        assert other.exact == pytest.approx(_enumerated_tail(np.full(10, 0.2), k), rel=1e-10)


def test_bernoulli_sum_poisson_binomial_vs_enumeration():
    p = np.random.default_rng(3).uniform(0.001, 0.3, size=10)
    for k in (1, 4, 7, 10):
        model = bernoulli_sum(n=10, p=p, k=k)
        assert model.exact == pytest.approx(_enumerated_tail(p, k), rel=1e-10)
    # a constant vector is the binomial case
    assert bernoulli_sum(10, np.full(10, 0.01), 5).exact == pytest.approx(
        bernoulli_sum(10, 0.01, 5).exact, rel=1e-12
    )


def test_bernoulli_sum_log_space_far_tail():
    model = bernoulli_sum(n=10, p=1e-40, k=10)  # 1e-400
    assert model.exact == 0.0
    assert model.log_exact == pytest.approx(10 * math.log(1e-40), rel=1e-13)
    model = bernoulli_sum(n=10, p=np.full(10, 1e-40), k=9)
    expected = math.log(10) + 9 * math.log(1e-40) + math.log1p(-1e-40)
    assert model.log_exact == pytest.approx(expected, rel=1e-13)


# --------------------------------------------------------------------------- Gaussian


def test_gaussian_linear_vs_scipy():
    model = gaussian_linear(d=2, beta=3.0, coefficients=[1.0, 2.0])
    assert model.exact == pytest.approx(stats.norm.sf(3.0), rel=1e-13)
    # the same probability from the bivariate normal of (-S, orthogonal direction)
    a = np.array([1.0, 2.0]) / math.sqrt(5.0)
    A = np.array([-a, [a[1], -a[0]]])
    mvn = stats.multivariate_normal(mean=np.zeros(2), cov=A @ A.T)
    assert model.exact == pytest.approx(mvn.cdf([-3.0, 40.0]), rel=1e-6)
    assert gaussian_linear().gamma == 4.0


@pytest.mark.parametrize("probability", [1e-5, 1e-10, 1e-30, 1e-100, 1e-300])
def test_gaussian_linear_probability_is_exact_in_log_space(probability):
    model = gaussian_linear(d=3, probability=probability)
    assert model.exact == probability
    assert stats.norm.logsf(model.gamma) == pytest.approx(math.log(probability), rel=1e-12)
    if probability >= 1e-30:
        assert model.gamma == pytest.approx(stats.norm.isf(probability), rel=1e-12)


def test_gaussian_linear_crude_monte_carlo():
    model = gaussian_linear(d=3, beta=2.0, coefficients=[1.0, -2.0, 0.5])
    _crude_mc_agrees(model, 1_000_000, rng=np.random.default_rng(11))
    assert np.asarray(model.nominal.mean).tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: bridge(gamma=0.0), ValueError, r"`gamma` must be > 0, but got gamma=0.0"),
        (lambda: bridge(gamma="2"), TypeError, r"`gamma` must be a real number"),
        (lambda: bridge(means=(1, 2, 3)), ValueError, r"`means` must be 5 edge means"),
        (lambda: bridge(means=(1, 2, 3, 4, -5)), ValueError, r"`means` must be finite and > 0"),
        (lambda: bridge(gamma=100.0), ValueError, r"`gamma \* sum\(1 / means\) <= 500`"),
        (lambda: exponential_sum(n=0), ValueError, r"`n >= 1` must hold, but got n=0"),
        (lambda: exponential_sum(n=2.0), TypeError, r"`n` must be an integer, but got n=2.0"),
        (lambda: exponential_sum(mean=-1.0), ValueError, r"`mean` must be > 0"),
        (
            lambda: exponential_sum(gamma=3.0, probability=1e-3),
            ValueError,
            r"at most one of `gamma` and `probability`",
        ),
        (
            lambda: exponential_sum(probability=1.0),
            ValueError,
            r"`probability` must satisfy 0 < probability < 1, but got probability=1.0",
        ),
        (lambda: exponential_sum(gamma=math.inf), ValueError, r"`gamma` must be finite"),
        (
            lambda: bernoulli_sum(p=1.5),
            ValueError,
            r"`p` must satisfy 0 < p < 1, but got p=1.5",
        ),
        (lambda: bernoulli_sum(p=[0.1, 0.2]), ValueError, r"`p` must be a scalar or have shape"),
        (lambda: bernoulli_sum(n=2, p=[0.1, 0.0], k=1), ValueError, r"`p` must satisfy 0 < p < 1"),
        (lambda: bernoulli_sum(p="x"), TypeError, r"`p` must be a probability or an array"),
        (lambda: bernoulli_sum(k=11), ValueError, r"`k <= n` must hold, but got k=11, n=10"),
        (lambda: bernoulli_sum(k=0), ValueError, r"`k >= 1` must hold, but got k=0"),
        (
            lambda: gaussian_linear(beta=2.0, probability=0.1),
            ValueError,
            r"at most one of `beta` and `probability`",
        ),
        (
            lambda: gaussian_linear(d=2, coefficients=[1.0]),
            ValueError,
            r"`coefficients` must have shape \(d,\) = \(2,\)",
        ),
        (
            lambda: gaussian_linear(d=2, coefficients=[0.0, 0.0]),
            ValueError,
            r"`coefficients` must be finite and not all zero",
        ),
        (lambda: gaussian_linear(d=True), TypeError, r"`d` must be an integer"),
        (lambda: gaussian_linear(probability=0.0), ValueError, r"0 < probability < 1"),
    ],
)
def test_validation(call, error, match):
    with pytest.raises(error, match=match):
        call()

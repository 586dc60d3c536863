"""The reliability reference problems: shapes, exact references re-derived here, crude and
conditional Monte Carlo against the references, and (where installed) otbenchmark."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest
from scipy import integrate, optimize, signal, stats

from cemopt.problems import limit_states as ls
from cemopt.problems.limit_states import PROBLEMS, LimitState

NAMES = list(PROBLEMS)
BUILT = {name: factory() for name, factory in PROBLEMS.items()}  # built once, read-only
K_SIGMA = 4.0  # every statistical check: within 4 standard errors
N = stats.norm

#: our name -> otbenchmark 0.2.1 class
OTB_CLASSES = {
    **{name: f"ReliabilityProblem{name[2:]}" for name in NAMES if name.startswith("RP")},
    "four_branch": "FourBranchSerialSystemReliability",
}


@pytest.fixture(scope="module", params=NAMES)
def problem(request) -> LimitState:
    return BUILT[request.param]


# --------------------------------------------------------------------------- 1. shapes


def test_every_problem_is_a_limit_state(problem):
    assert isinstance(problem, LimitState)
    assert problem.dim == len(problem.marginals) >= 2
    assert 0 < problem.probability < 1
    assert problem.beta == pytest.approx(-N.ppf(problem.probability), rel=1e-12)
    assert problem.source and problem.description and problem.method
    assert problem.correlation is None  # every problem here has independent inputs
    assert problem.std_error >= 0


def test_the_module_table_is_true():
    rows = re.findall(r"^``(\w+)``\s+(\d+)\s+(\S+)\s", ls.__doc__, flags=re.MULTILINE)
    assert [name for name, _, _ in rows] == NAMES
    for name, dim, probability in rows:
        assert int(dim) == BUILT[name].dim
        assert probability == f"{BUILT[name].probability:.4e}"


def test_g_is_vectorised_float_and_deterministic(problem):
    X = problem.sample(64, rng=0)
    assert X.shape == (64, problem.dim) and X.dtype == np.float64
    g = problem.g(X)
    assert g.shape == (64,) and g.dtype == np.float64
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(problem.g(X.copy()), g)
    np.testing.assert_array_equal(problem.g(X[:5]), g[:5])  # rows are independent
    again = pickle.loads(pickle.dumps(problem))
    np.testing.assert_array_equal(again.g(X), g)
    np.testing.assert_array_equal(again.sample(64, rng=0), X)


def test_g_refuses_the_wrong_width(problem):
    with pytest.raises(ValueError, match=re.escape(f"`X` must have shape (n, {problem.dim})")):
        problem.g(np.zeros((3, problem.dim + 1)))


def test_samples_follow_the_marginals(problem):
    # Kolmogorov-Smirnov on the first few inputs; the statistic's 4-sigma-equivalent
    # level (p-value 6.3e-5) keeps the check statistical.
    X = problem.sample(2000, rng=1)
    for i in range(min(problem.dim, 5)):
        assert stats.kstest(X[:, i], problem.marginals[i].cdf).pvalue > 6.3e-5


def test_standard_space_round_trip(problem):
    # |u| <= 5: further out a bounded input (RP14's uniform) sits within a few ulps
    # of its bound, and the round trip is only as good as that float
    U = np.clip(np.random.default_rng(2).standard_normal((50, problem.dim)) * 2.0, -5, 5)
    X = problem.to_physical(U)
    np.testing.assert_allclose(problem.to_standard(X), U, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(problem.g_standard(U), problem.g(X))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"`0 < probability < 1` must hold"):
        LimitState("x", ls.g_rp22, ls.rp22().marginals, 1.5, "s", "d")
    with pytest.raises(TypeError, match=r"`marginals` must hold scipy.stats frozen"):
        LimitState("x", ls.g_rp22, (1.0, 2.0), 0.1, "s", "d")
    with pytest.raises(TypeError, match=r"`g` must be callable"):
        LimitState("x", None, ls.rp22().marginals, 0.1, "s", "d")
    with pytest.raises(ValueError, match=r"`correlation` must be positive definite"):
        LimitState("x", ls.g_rp22, ls.rp22().marginals, 0.1, "s", "d", [[1, 2], [2, 1]])
    with pytest.raises(ValueError, match=r"`correlation` must be a symmetric \(2, 2\)"):
        LimitState("x", ls.g_rp22, ls.rp22().marginals, 0.1, "s", "d", np.eye(3))
    with pytest.raises(ValueError, match=r"`d >= 1` must hold, but got d=0"):
        ls.normal_sum(d=0)
    with pytest.raises(ValueError, match=r"`0 < k` must hold, but got k=-1.0"):
        ls.four_branch(k=-1.0)
    with pytest.raises(ValueError, match=r"`n >= 0` must hold"):
        ls.rp22().sample(-1)


def test_gaussian_copula_correlation():
    # Normal marginals with a Gaussian copula are a multivariate normal: exact logpdf,
    # and the sample correlation within 4 of its standard errors (1 - rho^2) / sqrt(n).
    R = np.array([[1.0, 0.6], [0.6, 1.0]])
    marginals = (stats.norm(1.0, 2.0), stats.norm(-1.0, 0.5))
    problem = LimitState("c", ls.g_rp22, marginals, 0.1, "s", "d", correlation=R)
    X = problem.sample(20_000, rng=3)
    rho = np.corrcoef(X.T)[0, 1]
    assert abs(rho - 0.6) < K_SIGMA * (1 - 0.36) / math.sqrt(len(X))
    cov = np.diag([2.0, 0.5]) @ R @ np.diag([2.0, 0.5])
    mvn = stats.multivariate_normal([1.0, -1.0], cov)
    np.testing.assert_allclose(problem.logpdf(X[:100]), mvn.logpdf(X[:100]), rtol=1e-12)
    np.testing.assert_allclose(problem.to_standard(problem.to_physical(X)), X, atol=1e-12)


def test_upper_tail_keeps_its_accuracy():
    # u = 30 maps to a lognormal quantile through the upper tail: cdf(x) would round to 1.
    problem = ls.rp8()
    x = problem.to_physical(np.full((1, 6), 30.0))
    assert np.all(np.isfinite(x))
    np.testing.assert_allclose(problem.to_standard(x), 30.0, rtol=1e-10)


# --------------------------------------------------------------------------- 2. otbenchmark


@pytest.fixture(scope="module")
def otb():
    try:
        import openturns as ot
    except ImportError:
        pytest.skip("openturns is not installed (it comes with the `peers` extra)")
    added = not hasattr(ot, "ComposedDistribution")
    if added:  # otbenchmark 0.2.1 predates the rename (OpenTURNS >= 1.24)
        ot.ComposedDistribution = ot.JointDistribution
    try:
        import otbenchmark
    except ImportError:
        pytest.skip("otbenchmark is not installed (pip install --no-deps otbenchmark)")
    yield otbenchmark
    if added:
        del ot.ComposedDistribution


def _otb_problem(otb, name):
    if name not in OTB_CLASSES:
        pytest.skip(f"{name} is not an otbenchmark problem")
    try:
        problem = getattr(otb, OTB_CLASSES[name])()
        event = problem.getEvent()
        event.getFunction()(event.getAntecedent().getDistribution().getMean())
    except Exception as exc:  # RP77 and RP110: OpenTURNS cannot parse their if/else
        pytest.skip(f"otbenchmark's {OTB_CLASSES[name]} does not evaluate: {str(exc)[:100]}")
    return problem


def test_g_equals_otbenchmark(otb, problem):
    import openturns as ot

    event = _otb_problem(otb, problem.name).getEvent()
    assert event.getOperator().getImplementation().getClassName() == "Less"
    X = problem.sample(200, rng=4)
    theirs = np.array(event.getFunction()(ot.Sample(X))).ravel() - event.getThreshold()
    ours = problem.g(X)
    # relative 1e-10, with the function's scale as the floor for values that cancel to ~0
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * np.abs(theirs).max())


def test_marginals_equal_otbenchmark(otb, problem):
    dist = _otb_problem(otb, problem.name).getEvent().getAntecedent().getDistribution()
    assert dist.getDimension() == problem.dim
    assert dist.hasIndependentCopula() and problem.correlation is None
    for i, ours in enumerate(problem.marginals):
        theirs = dist.getMarginal(i)
        assert theirs.getMean()[0] == pytest.approx(ours.mean(), rel=1e-12)
        assert theirs.getStandardDeviation()[0] == pytest.approx(ours.std(), rel=1e-12)
        for q in (1e-3, 0.1, 0.5, 0.9, 0.999):
            assert theirs.computeCDF(float(ours.ppf(q))) == pytest.approx(q, rel=1e-9)


def test_published_probability_is_otbenchmarks(otb, problem):
    stored = _otb_problem(otb, problem.name).getProbability()
    assert problem.published == stored


# --------------------------------------------------------------------------- 3. references


def _quad(f, a, b, points=None):
    return integrate.quad(f, a, b, epsabs=0, epsrel=1e-12, limit=500, points=points)[0]


def _rp57_given_x1(x):
    lo, hi = (2 - x) / 8, np.cbrt(x * x - 3)
    p = N.cdf(hi) - N.cdf(lo) if hi > lo else 0.0
    if abs(x + 3) < 2:  # the disc's chord, minus its overlap with [lo, hi]
        r = math.sqrt(4 - (x + 3) ** 2)
        a, b = -3 - r, -3 + r
        p += N.cdf(b) - N.cdf(a)
        if hi > lo and min(b, hi) > max(a, lo):
            p -= N.cdf(min(b, hi)) - N.cdf(max(a, lo))
    return p


def _rp57_kinks():
    # [(2 - x) / 8, cbrt(x^2 - 3)] opens at two roots; the disc's chord spans (-5, -1)
    # and never meets that interval (there lo >= 0.375 > -1 >= the chord's top).
    def gap(x):
        return (2 - x) / 8 - np.cbrt(x * x - 3)

    left = optimize.brentq(gap, -1.8, -1.7, xtol=1e-15)
    right = optimize.brentq(gap, 1.7, 1.74, xtol=1e-15)
    return [-40.0, -5.0, left, -1.0, right, 40.0]


def _pieces(edges):
    return list(zip(edges[:-1], edges[1:], strict=True))


def _gauss_legendre(f, a, b, pieces=200, order=20):
    """Composite Gauss-Legendre of a smooth vectorised ``f`` over [a, b]."""
    nodes, weights = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(a, b, pieces + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    x = 0.5 * (lo + hi) + 0.5 * (hi - lo) * nodes
    return float(np.sum(0.5 * (hi - lo) * weights * f(x)))


def _rp60():
    # x5 = exp(mu + s z): the integrand is smooth in z (no kinks), so Gauss-Legendre.
    m = ls.rp60().marginals
    s, scale = m[4].kwds["s"], m[4].kwds["scale"]
    return _gauss_legendre(lambda z: _rp60_given_x5(scale * np.exp(s * z), m) * N.pdf(z), -12, 12)


def _rp60_given_x5(s, m):
    F1, F4s, F4h = m[0].cdf(s), m[3].cdf(s), m[3].cdf(s / 2)
    both_s, both_h = m[1].sf(s) * m[2].sf(s), m[1].sf(s / 2) * m[2].sf(s / 2)
    # g11 <= 0: min(x2, x3, x4) <= s/2, x4 <= s and min(x2, x3) <= s
    p11 = F4s * (1 - both_s) - (F4s - F4h) * (both_h - both_s)
    return 1 - (1 - F1) * (1 - p11)


def _rp55():
    def h(w):
        return 0.6 * w**4 - w / math.sqrt(2) + 0.2

    r1, r2 = optimize.brentq(h, 0.2, 0.32, xtol=1e-15), optimize.brentq(h, 0.5, 1.0, xtol=1e-15)
    c = 5 / math.sqrt(2) - 2.2

    def F(w):  # int_0^w of the triangular density (2 - t) / 4 of w = x1 - x2
        return (2 * w - w * w / 2) / 4

    return 2 * ((F(r2) - F(r1)) + (F(2.0) - F(c)))


def _rp8_convolution(h=0.4):
    """P(5 x5 >= D), D = x1 + 2 x2 + 2 x3 + x4 - 5 x6: D's density by FFT convolution of
    sampled densities (the trapezoid rule, spectrally accurate for these smooth densities)."""
    m = ls.rp8().marginals
    grid = np.arange(0.0, 1500.0 + h / 2, h)
    f = m[0].pdf(grid)
    for dist, scale in ((m[1], 2), (m[2], 2), (m[3], 1)):
        f = signal.fftconvolve(f, dist.pdf(grid / scale) / scale) * h
    load = np.arange(0.0, 2500.0 + h / 2, h)
    fD = signal.fftconvolve(f, (m[5].pdf(load / 5) / 5)[::-1]) * h
    d = np.arange(len(fD)) * h - load[-1]
    sf5 = np.where(d > 0, m[4].sf(np.maximum(d, 0) / 5), 1.0)
    return float(np.sum(fD * sf5) * h)


def _exact_references():
    s2, s3 = math.sqrt(2), math.sqrt(3)
    x3_77, diff_77 = stats.norm(4, 1), stats.norm(10, math.sqrt(1.25))
    m28 = (78064.0, 11710.0, 0.0104, 0.00156)
    c24, q24 = 0.2357 * 3 * s2, 0.00463 * (3 * s2) ** 4

    def E(f, a=-40.0, b=40.0, points=None, loc=0.0):
        return _quad(lambda x: f(x) * N.pdf(x, loc), a, b, points)

    def rp35(x):
        a = 2 + math.exp(-0.1 * x * x) + (0.2 * x) ** 4
        if x > 0:
            return N.sf(min(a, 4.5 / x))
        return N.sf(a) + (N.cdf(4.5 / x) if x < 0 else 0.0)

    def rp28(x):
        t = (m28[3] ** -1) * (146.14 / x - m28[2])
        return (N.cdf(t) if x > 0 else N.sf(t)) * N.pdf(x, m28[0], m28[1])

    return {
        "RP8": _rp8_convolution,
        "RP22": lambda: E(lambda v: N.sf(2.5 + 0.2 * v * v)),
        "RP24": lambda: E(lambda u: N.sf((2.5 + q24 * u**4) / c24), -20, 20),
        "RP25": lambda: E(
            lambda x: max(0.0, N.cdf(16 * x - 32) - N.cdf((x * x + 16) / 8)), 1.5, 20, [2, 3, 4]
        ),
        "RP28": lambda: (
            _quad(rp28, 1e-3, 5e5, [m28[0] - 5 * m28[1], m28[0], m28[0] + 5 * m28[1]])
            + _quad(rp28, -5e5, -1e-3)
        ),
        "RP31": lambda: E(lambda x: N.sf(2 + 256 * x**4), -5, 5, [0]),
        "RP33": lambda: N.sf(3) + E(lambda x: N.cdf((x - 3 * s3) / s2), -40, 3),
        "RP35": lambda: E(rp35, -40, 0) + E(rp35, 0, 40, [1, 1.5, 2, 3]),
        "RP53": lambda: E(
            lambda x: N.sf(1 + 20 * (math.sin(2.5 * x) + 2) / (x * x + 4) - 2.5),
            -15,
            18,
            list(np.linspace(-10, 12, 30)),
            loc=1.5,
        ),
        "RP54": lambda: float(stats.gamma(20).cdf(8.951)),
        "RP55": _rp55,
        "RP57": lambda: sum(E(_rp57_given_x1, a, b) for a, b in _pieces(_rp57_kinks())),
        "RP60": _rp60,
        "RP63": lambda: _quad(
            lambda q: N.sf(0.1 * q - 4.5) * stats.chi2(99).pdf(q), 0, 400, [45, 99]
        ),
        "RP75": lambda: 2 * E(lambda x: N.sf(3 / x), 1e-9, 40),
        "RP77": lambda: (
            _quad(lambda t: diff_77.cdf(t) * x3_77.pdf(t), -10, 5)
            + _quad(lambda t: N.sf(t) * x3_77.pdf(t), 5, 40)
        ),
        "RP89": lambda: E(lambda x: N.sf(min(8 - x * x, 6 - x / 5)), points=[-1.3177, 1.5177]),
        "RP107": lambda: float(N.sf(5.0)),
        "RP110": lambda: 1 - (1 - N.sf(4.0)) * (1 - N.sf(5.0)),
        "RP111": lambda: 4 * E(lambda x: N.sf(12.5 / x), 1e-9, 40, [3.5]),
        "four_branch": lambda: 2 * N.sf(3.5) + E(lambda v: 2 * N.sf(3 + 0.2 * v * v), -3.5, 3.5),
        "normal_sum_100": lambda: float(N.sf(4.0)),
        "normal_sum_1000": lambda: float(N.sf(4.0)),
    }


EXACT = _exact_references()


@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_reference_rederived(name):
    problem = BUILT[name]
    assert problem.std_error == 0.0
    assert EXACT[name]() == pytest.approx(problem.probability, rel=1e-9)


def test_every_reference_is_exact_or_an_estimate_with_an_error_bar():
    estimated = {name for name in NAMES if BUILT[name].std_error > 0}
    assert estimated == {"RP14", "RP38", "RP91", "lognormal_sum_30"}
    assert set(NAMES) == set(EXACT) | estimated


def test_rp111_by_the_product_density():
    # |x1 x2| has density 2 K0(z) / pi on z > 0: an independent form of the integral.
    from scipy import special

    tail = 2 * _quad(lambda z: special.k0(z) / np.pi, 12.5, 200.0)
    assert tail == pytest.approx(ls.rp111().probability, rel=1e-6)


def test_four_branch_other_k():
    # k = 6 (Waarts' other case) by the same integral; and a large k leaves the curves only.
    assert ls.four_branch(k=6.0).probability == pytest.approx(
        2 * N.sf(3.0) + _quad(lambda v: 2 * N.sf(3 + 0.2 * v * v) * N.pdf(v), -3, 3), rel=1e-10
    )
    X = np.random.default_rng(5).standard_normal((10, 2))
    np.testing.assert_array_equal(ls.four_branch(k=6.0).g(X), ls.g_four_branch(X, k=6.0))


@pytest.mark.parametrize("name", ["RP107", "normal_sum_100", "normal_sum_1000"])
def test_linear_in_normals_closed_form(name):
    # g(x) = a0 + a . x (checked), X_i ~ N(mu_i, s_i): P = Phi(-(a0 + a . mu) / |a s|).
    problem = BUILT[name]
    d = problem.dim
    a0 = problem.g(np.zeros((1, d)))[0]
    a = problem.g(np.eye(d)) - a0
    X = problem.sample(20, rng=6)
    np.testing.assert_allclose(problem.g(X), a0 + X @ a, rtol=1e-12, atol=1e-9)
    mu = np.array([m.mean() for m in problem.marginals])
    sd = np.array([m.std() for m in problem.marginals])
    beta = (a0 + a @ mu) / np.linalg.norm(a * sd)
    assert problem.beta == pytest.approx(beta, rel=1e-12)
    assert problem.probability == pytest.approx(N.sf(beta), rel=1e-12)


def _crude(problem, n, rng, chunk=500_000):
    hits = 0
    gen = np.random.default_rng(rng)
    for start in range(0, n, chunk):
        hits += int(
            np.count_nonzero(problem.is_failure(problem.sample(min(chunk, n - start), rng=gen)))
        )
    return hits / n


CRUDE = sorted(name for name in NAMES if BUILT[name].probability >= 1e-3)


@pytest.mark.parametrize("name", CRUDE)
def test_crude_monte_carlo_agrees(name):
    problem = BUILT[name]
    p = problem.probability
    n = 1_000_000 if problem.dim <= 3 else 400_000
    p_hat = _crude(problem, n, rng=7)
    se = math.sqrt(p * (1 - p) / n + problem.std_error**2)
    assert abs(p_hat - p) <= K_SIGMA * se, (p_hat, p, se)


def _cmc(values, problem):
    mean, n = float(values.mean()), len(values)
    se = math.sqrt(values.var(ddof=1) / n + problem.std_error**2)
    assert abs(mean - problem.probability) <= K_SIGMA * se, (mean, problem.probability, se)


def test_rp14_conditional_on_x1():
    # A different conditioning from the reference's (which integrates out x3): given
    # x2..x5, failure is x1 <= h, and x1 ~ U(70, 80).
    problem = ls.rp14()
    X = problem.sample(300_000, rng=8)
    x2, x3, x4, x5 = X[:, 1:].T
    h = 32 / (np.pi * x2**3) * np.sqrt(x3**2 * x4**2 / 16 + x5**2)
    _cmc(problem.marginals[0].cdf(h), problem)


def test_rp38_conditional_on_x1():
    # The reference integrates out x3; here x1 (g is linear in x1, with slope -K).
    problem = ls.rp38()
    x1, x2, x3, x4, x5, x6, x7 = problem.sample(300_000, rng=9).T
    a = x4**2 - 4 * x5 * x6 * x7**2 + x4 * (x6 + 4 * x5 + 2 * x6 * x7)
    K = x2**3 / (2 * x3**3) * a / (x4 * x5 * (x4 + x6 + 2 * x6 * x7))
    t = 15.59e4 / K
    _cmc(np.where(K > 0, problem.marginals[0].sf(t), problem.marginals[0].cdf(t)), problem)


def test_rp91_conditional_on_x1():
    problem = ls.rp91()
    x1, x2, x3, x4, x5 = problem.sample(200_000, rng=10).T
    g1 = ls.g_rp91(np.column_stack([np.full_like(x1, 1e3), x2, x3, x4, x5]))  # g2, g3 > 0
    c = np.maximum(np.sqrt(x3**2 + x4**2 - x3 * x4 + 3 * x5**2), np.abs(x4)) / 84000
    _cmc(np.where(g1 <= 0, 1.0, problem.marginals[0].cdf(c)), problem)


def test_lognormal_sum_by_asmussen_kroese():
    # n * P(X_n > max(M_{n-1}, 500 - S_{n-1})): a fresh seeded run of the reference's estimator.
    problem = ls.lognormal_sum_30()
    assert problem.g(np.full((1, 30), 500 / 30))[0] == pytest.approx(0.0, abs=1e-12)
    y = problem.sample(100_000, rng=11)[:, :29]
    bound = np.maximum(y.max(axis=1), 500 - y.sum(axis=1))
    _cmc(30 * problem.marginals[0].sf(bound), problem)
    # and the value is within 4 standard errors of ours
    assert abs(problem.published - problem.probability) <= K_SIGMA * problem.std_error


# --------------------------------------------------------------------------- published values

#: published values (otbenchmark's) that differ from our reference by more than their
#: rounding and our error bar: published / ours - 1
KNOWN_GAPS = {
    "RP8": -1.2e-6,  # OpenTURNS' RandomMixture CDF against the converged convolution
    "RP28": -6.9e-8,  # OpenTURNS' product-distribution CDF against quadrature and mpmath
    "RP33": -2.2e-3,
    "RP54": 7.5e-3,  # against the Gamma(20, 1) cdf
    "RP57": 5.8e-3,
    "RP60": 1.7e-2,
    "RP63": 5.5e-3,
    "RP77": 6.7e-2,
    "RP89": -7.5e-3,
    "RP91": -4.6e-3,  # 100 of our standard errors
    "RP107": 1.9e-2,  # against Phi(-5)
    "RP110": -1.8e-3,  # stored truncated, not rounded, to three digits
    "RP111": -4.8e-2,
}


def _rounding(published: float) -> float:
    """Half a unit in the last significant digit of ``repr(published)``."""
    exponent = int(f"{published:e}".split("e")[1])
    digits = repr(published).lower().split("e")[0].lstrip("0.").replace(".", "")
    return 0.5 * 10.0 ** (exponent - (len(digits) - 1))


def test_rounding():
    assert _rounding(0.0081) == pytest.approx(5e-5)
    assert _rounding(2.92e-07) == pytest.approx(5e-10)
    assert _rounding(0.00077285) == pytest.approx(5e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if BUILT[n].published is not None])
def test_published_values_agree_or_are_listed(name):
    problem = BUILT[name]
    gap = abs(problem.published - problem.probability)
    allowed = _rounding(problem.published) + K_SIGMA * problem.std_error + 1e-15
    if name in KNOWN_GAPS:
        assert gap > allowed, f"{name} now agrees with its published value"
        ratio = problem.published / problem.probability - 1
        assert ratio == pytest.approx(KNOWN_GAPS[name], rel=0.05)
    else:
        assert gap <= allowed, (problem.published, problem.probability, gap, allowed)

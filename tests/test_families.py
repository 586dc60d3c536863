"""Tests of the sampling families and of the public conformance suite check_family."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy import optimize, stats

import cemopt as ce
from cemopt.errors import DegenerateFitError
from cemopt.families import (
    Bernoulli,
    Categorical,
    Exponential,
    Family,
    MultivariateNormal,
    Normal,
    Product,
    is_family,
)
from cemopt.testing import check_family

INF = np.inf

FAMILIES = {
    "normal": Normal([0.0, 1.0, -2.0], [1.0, 2.0, 0.5]),
    "normal-scalar": Normal(3.0, 0.1),
    "truncnorm-both": Normal([0.0, 1.0], [1.0, 2.0], lower=[-1.0, 0.0], upper=[2.0, 1.5]),
    "truncnorm-lower": Normal([0.0, 1.0], [1.0, 2.0], lower=[0.5, -INF]),
    "truncnorm-upper": Normal(0.0, 1.0, upper=-3.0),
    "truncnorm-far-tail": Normal(0.0, 1.0, lower=5.0, upper=6.0),
    "truncnorm-mixed": Normal([0.0, 1.0, 2.0], 1.0, lower=[-INF, 0.0, 1.0], upper=[INF, INF, 2.5]),
    "mvn": MultivariateNormal(
        [0.0, 1.0, 2.0], [[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 0.5]]
    ),
    # a box that bends much of the mass (one side open in the last coordinate)
    "mvn-box": MultivariateNormal(
        [4.0, 0.0, -1.0],
        [[4.0, 1.0, 0.0], [1.0, 9.0, 2.0], [0.0, 2.0, 1.0]],
        lower=-5.0,
        upper=[5.0, 5.0, INF],
        margin=0.05,  # a margin whose tail keeps these wide draws off the bounds
    ),
    # a mean outside the box, in its corner
    "mvn-box-corner": MultivariateNormal(
        [5.5, -5.2], [[0.04, 0.01], [0.01, 0.09]], lower=-5.0, upper=5.0, margin=0.05
    ),
    # the default margin (a thousandth) with a Gaussian that reaches into its bent zone
    # but not past its flat tail, where draws would land on the bound (see the Notes)
    "mvn-box-default": MultivariateNormal(
        [4.0, -4.6], [[0.09, 0.01], [0.01, 0.04]], lower=-5.0, upper=5.0
    ),
    "bernoulli": Bernoulli([0.1, 0.5, 0.9]),
    "bernoulli-certain": Bernoulli([0.0, 0.3, 1.0]),
    "categorical": Categorical(np.array([[0.2, 0.3, 0.5], [0.6, 0.4, 0.0]])),
    "categorical-ragged": Categorical([[0.2, 0.8], [0.1, 0.2, 0.3, 0.4], [1.0]]),
    "exponential": Exponential([1.0, 0.1, 30.0]),
    "product": Product(
        x=Normal([0.0, 1.0], [1.0, 2.0], lower=[-1.0, -INF]),
        c=Categorical([[0.2, 0.8], [0.1, 0.2, 0.7]]),
    ),
    "product-no-mode": Product(e=Exponential([2.0]), b=Bernoulli([0.3, 0.6])),
}


# ------------------------------------------------------------------- conformance
@pytest.mark.parametrize("name", list(FAMILIES))
def test_check_family(name):
    report = check_family(FAMILIES[name])
    assert report["fit"] == "ok"
    assert all(v == "ok" for v in report.values())
    assert report.optional["mode"] == (name not in ("exponential", "product-no-mode"))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_protocol_and_basic_behaviour(name):
    family = FAMILIES[name]
    assert isinstance(family, Family) and is_family(family)
    assert not is_family(type(family))
    x = family.sample(5, 123)
    y = family.sample(5, np.random.default_rng(123))
    if isinstance(x, dict):
        assert all(np.array_equal(x[k], y[k]) for k in x)
    else:
        assert np.array_equal(x, y)
    assert "(" in repr(family) and type(family).__name__ in repr(family)
    assert family.logpdf(family.sample(0, 0)).shape == (0,)


def test_sample_dtypes():
    assert Normal(0.0, 1.0).sample(4, 0).dtype == np.float64
    assert Normal(0.0, 1.0, lower=0.0).sample(4, 0).dtype == np.float64
    assert MultivariateNormal([0.0], [[1.0]]).sample(4, 0).dtype == np.float64
    assert Bernoulli([0.5, 0.5]).sample(4, 0).dtype == np.int8
    assert Categorical([[0.5, 0.5]]).sample(4, 0).dtype == np.int64
    assert Exponential([1.0]).sample(4, 0).dtype == np.float64


def test_untruncated_normal_sampling_is_the_plain_formula():
    f = Normal([1.0, -2.0], [2.0, 0.5])
    z = np.random.default_rng(7).standard_normal((50, 2))
    np.testing.assert_array_equal(f.sample(50, 7), f.mean + f.std * z)


def test_bernoulli_sampling_is_one_pass():
    p = np.array([0.1, 0.5, 0.0, 1.0])
    u = np.random.default_rng(3).random((40, 4))
    np.testing.assert_array_equal(Bernoulli(p).sample(40, 3), (u < p).astype(np.int8))


# ------------------------------------------------------------- logpdf vs scipy
def _truncnorm_reference(f: Normal, x: np.ndarray) -> np.ndarray:
    lo = np.full(f.dim, -INF) if f.lower is None else f.lower
    hi = np.full(f.dim, INF) if f.upper is None else f.upper
    a, b = (lo - f.mean) / f.std, (hi - f.mean) / f.std
    return stats.truncnorm.logpdf(x, a, b, loc=f.mean, scale=f.std).sum(axis=1)


@pytest.mark.parametrize(
    "family",
    [FAMILIES["normal"], Normal(np.linspace(-3, 3, 7), np.linspace(0.1, 4, 7))],
    ids=["three", "seven"],
)
def test_normal_logpdf_matches_scipy(family):
    x = family.sample(200, 1)
    ref = stats.norm.logpdf(x, family.mean, family.std).sum(axis=1)
    np.testing.assert_allclose(family.logpdf(x), ref, rtol=1e-10)


@pytest.mark.parametrize(
    "name",
    [
        "truncnorm-both",
        "truncnorm-lower",
        "truncnorm-upper",
        "truncnorm-far-tail",
        "truncnorm-mixed",
    ],
)
def test_truncated_logpdf_matches_scipy(name):
    f = FAMILIES[name]
    x = f.sample(300, 2)
    np.testing.assert_allclose(f.logpdf(x), _truncnorm_reference(f, x), rtol=1e-10)


def test_truncated_logpdf_deep_tail_and_outside():
    f = Normal([0.0, 0.0], [1.0, 1.0], lower=[30.0, -INF], upper=[31.0, -20.0])
    x = f.sample(100, 0)
    np.testing.assert_allclose(f.logpdf(x), _truncnorm_reference(f, x), rtol=1e-10)
    outside = x.copy()
    outside[0, 0] = 29.0
    outside[1, 1] = -19.0
    lp = f.logpdf(outside)
    assert lp[0] == -INF and lp[1] == -INF and np.all(np.isfinite(lp[2:]))


def test_mvn_logpdf_matches_scipy():
    f = FAMILIES["mvn"]
    x = f.sample(200, 3)
    ref = stats.multivariate_normal(f.mean, f.cov).logpdf(x)
    np.testing.assert_allclose(f.logpdf(x), ref, rtol=1e-10)


def test_bernoulli_logpdf_matches_scipy_including_certain_coordinates():
    f = FAMILIES["bernoulli-certain"]
    x = np.array([[0, 1, 1], [0, 0, 1], [1, 0, 1], [0, 0, 0]], dtype=np.int8)
    ref = stats.bernoulli.logpmf(x, f.p).sum(axis=1)
    lp = f.logpdf(x)
    assert np.array_equal(np.isinf(lp), np.isinf(ref))
    np.testing.assert_allclose(lp[:2], ref[:2], rtol=1e-10)
    assert lp[2] == -INF and lp[3] == -INF
    assert f.logpdf([[0, 1, 2]])[0] == -INF  # not a binary value


def test_categorical_logpdf_and_out_of_range():
    f = FAMILIES["categorical-ragged"]
    x = np.array([[1, 3, 0], [0, 0, 0]])
    ref = np.log([0.8 * 0.4 * 1.0, 0.2 * 0.1 * 1.0])
    np.testing.assert_allclose(f.logpdf(x), ref, rtol=1e-12)
    np.testing.assert_allclose(f.logpdf(x.astype(float)), ref, rtol=1e-12)
    bad = np.array([[2, 0, 0], [0, 4, 0], [0, 0, 1], [-1, 0, 0]])
    assert np.all(f.logpdf(bad) == -INF)
    with pytest.raises(ValueError, match="`x` must hold integer categories"):
        f.logpdf([[0.5, 0, 0]])


def test_exponential_logpdf_matches_scipy():
    f = FAMILIES["exponential"]
    x = f.sample(100, 4)
    ref = stats.expon.logpdf(x, scale=f.mean).sum(axis=1)
    np.testing.assert_allclose(f.logpdf(x), ref, rtol=1e-10)
    x[0, 1] = -1e-9
    assert f.logpdf(x)[0] == -INF


# ------------------------------------------------------------------ truncated normal
@pytest.mark.parametrize(
    "lower, upper",
    [(-1.0, 2.0), (0.5, INF), (-INF, -3.0), (5.0, 6.0), (30.0, 31.0), (-1e-3, 1e-3), (8.0, 8.01)],
)
def test_truncated_sampling_inside_bounds_and_matches_cdf(lower, upper):
    f = Normal(0.0, 1.0, lower=lower, upper=upper)
    x = f.sample(20000, 11)[:, 0]
    assert x.min() >= lower and x.max() <= upper
    dist = stats.truncnorm(lower, upper)
    assert stats.kstest(x, dist.cdf).pvalue > 1e-3


def test_truncated_sampling_matches_scipy_moments_per_coordinate():
    f = Normal([0.0, 2.0, -1.0], [1.0, 0.5, 3.0], lower=[-0.5, 2.5, -INF], upper=[INF, 4.0, -2.0])
    x = f.sample(50000, 5)
    for j in range(3):
        a, b = (f._lo[j] - f.mean[j]) / f.std[j], (f._hi[j] - f.mean[j]) / f.std[j]
        dist = stats.truncnorm(a, b, loc=f.mean[j], scale=f.std[j])
        assert x[:, j].min() >= f._lo[j] and x[:, j].max() <= f._hi[j]
        assert stats.kstest(x[:, j], dist.cdf).pvalue > 1e-3


def _weighted_nll(theta, x, w, lower, upper):
    """Reference negative log-likelihood, written independently of cemopt."""
    mu, log_sigma = theta
    sigma = np.exp(log_sigma)
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    if a > 0:  # upper tail: survival functions keep the precision
        mass = stats.norm.sf(a) - stats.norm.sf(b)
    else:
        mass = stats.norm.cdf(b) - stats.norm.cdf(a)
    z = (x - mu) / sigma
    return np.sum(w * (0.5 * z * z + log_sigma + 0.5 * np.log(2 * np.pi) + np.log(mass)))


@pytest.mark.parametrize(
    "mean, std, lower, upper, n",
    [
        (0.0, 1.0, -1.0, 2.0, 300),
        (1.0, 2.0, 0.0, INF, 200),
        (0.0, 1.0, -INF, -1.0, 150),
        (0.0, 1.0, 5.0, 6.0, 2000),
        (0.3, 0.4, 0.0, 1.0, 40),
    ],
)
def test_truncated_fit_is_the_weighted_mle(mean, std, lower, upper, n):
    f = Normal(mean, std, lower=lower, upper=upper, truncated_fit="mle")
    x = f.sample(n, 21)
    w = np.random.default_rng(22).uniform(0.0, 2.0, size=n)
    g = f.fit(x, w)
    assert g.lower[0] == lower if f.lower is not None else g.lower is None
    theta = np.array([g.mean[0], np.log(g.std[0])])
    ours = _weighted_nll(theta, x[:, 0], w, lower, upper)
    ref = optimize.minimize(
        _weighted_nll,
        theta + [0.05, 0.05],
        args=(x[:, 0], w, lower, upper),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    assert ours <= ref.fun + 1e-8 * abs(ref.fun)
    # the MLE matches the weighted sample's mean and variance exactly
    m = np.average(x[:, 0], weights=w)
    v = np.average((x[:, 0] - m) ** 2, weights=w)
    a, b = (lower - g.mean[0]) / g.std[0], (upper - g.mean[0]) / g.std[0]
    tm, tv = stats.truncnorm(a, b, loc=g.mean[0], scale=g.std[0]).stats()
    assert abs(tm - m) <= 1e-8 * np.sqrt(v)
    assert tv == pytest.approx(v, rel=1e-7)


@pytest.mark.parametrize("rule", ["moments", "mle"])
def test_truncated_fit_far_bounds_give_moment_estimates(rule):
    f = Normal([0.0, 1.0], [1.0, 2.0], lower=[-50.0, -INF], upper=[50.0, 100.0], truncated_fit=rule)
    x = f.sample(500, 3)
    g = f.fit(x)
    np.testing.assert_allclose(g.mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(g.std, x.std(axis=0), rtol=1e-14)


def test_truncated_fit_flat_data_caps_the_std():
    # U-shaped data on the box: the likelihood increases as std -> inf; the fit caps it
    f = Normal(0.5, 1.0, lower=0.0, upper=1.0, truncated_fit="mle")
    x = np.r_[np.linspace(0.0, 0.2, 50), np.linspace(0.8, 1.0, 50)][:, None]
    g = f.fit(x)
    assert np.isfinite(g.mean[0]) and np.isfinite(g.std[0])
    assert g.std[0] == pytest.approx(30.0 * x.std(), rel=1e-9)
    assert np.all(np.isfinite(g.logpdf(x)))


def test_truncated_fit_that_does_not_converge_raises(monkeypatch):
    import cemopt.families.normal as normal_module

    monkeypatch.setattr(normal_module, "_MAX_NEWTON", 0)
    f = Normal([0.0, 0.0], [1.0, 1.0], lower=[0.0, -INF], truncated_fit="mle")
    x = f.sample(50, 0)
    with pytest.raises(DegenerateFitError, match=r"did not converge in coordinate\(s\) \[0\]"):
        f.fit(x)


def test_bounded_fit_by_moments_keeps_the_mean_in_the_box():
    # elite piled on the upper bound: the MLE's parent mean leaves the box, the
    # moments stay in it (and sampling pulls inwards)
    x = np.r_[np.linspace(9.0, 10.0, 40), np.linspace(2.0, 10.0, 10)][:, None]
    moments = Normal(2.5, 7.5, lower=-5.0, upper=10.0).fit(x)
    np.testing.assert_allclose(moments.mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(moments.std, x.std(axis=0), rtol=1e-14)
    assert moments.truncated_fit == "moments" and not moments.fit_recovers_params
    mle = Normal(2.5, 7.5, lower=-5.0, upper=10.0, truncated_fit="mle").fit(x)
    assert mle.mean[0] > 10.0 and mle.truncated_fit == "mle" and mle.fit_recovers_params
    with pytest.raises(ValueError, match=r"`truncated_fit` must be one of \['moments', 'mle'\]"):
        Normal(0.0, 1.0, lower=0.0, truncated_fit="exact")


def test_bounded_zakharov_is_not_pinned_on_the_bounds():
    # issue 14: with the truncated MLE every coordinate ran to a bound and the elite
    # degenerated after ~5000 of 80000 evaluations; the optimum 0 is inside the box
    def zakharov(X):
        s = (0.5 * np.arange(1, X.shape[1] + 1) * X).sum(axis=1)
        return (X**2).sum(axis=1) + s**2 + s**4

    family = Normal(np.full(8, 2.5), np.full(8, 7.5), lower=-5.0, upper=10.0)
    res = ce.minimize(zakharov, family, vectorized=True, max_evals=40_000, restarts=0, rng=0)
    assert res.fun < 1e-6 and res.status != "degenerate elite"
    assert np.all((res.family.mean > -5.0) & (res.family.mean < 10.0))


def test_truncated_fit_rejects_samples_outside_bounds():
    f = Normal(0.0, 1.0, lower=0.0)
    with pytest.raises(ValueError, match=r"`x` must lie within \[lower, upper\]"):
        f.fit([[1.0], [-0.5]])


def test_normal_fit_matches_weighted_moments():
    f = FAMILIES["normal"]
    x = f.sample(100, 8)
    w = np.random.default_rng(9).uniform(size=100)
    g = f.fit(x, w)
    m = np.average(x, axis=0, weights=w)
    np.testing.assert_allclose(g.mean, m, rtol=1e-13)
    np.testing.assert_allclose(g.std, np.sqrt(np.average((x - m) ** 2, axis=0, weights=w)))


def test_normal_mode_and_degeneracy():
    f = Normal([-2.0, 0.5, 3.0], [1.0, 3.0, 2.0], lower=[-1.0, 0.0, -INF], upper=[1.0, 1.0, 2.0])
    np.testing.assert_array_equal(f.mode(), [-1.0, 0.5, 2.0])
    assert f.degeneracy() == 3.0


# ---------------------------------------------------------------- other fits
def test_mvn_fit_with_fewer_samples_than_dimensions_stays_pd():
    f = MultivariateNormal(np.zeros(10), np.eye(10))
    x = f.sample(10, 0)  # 10 elite samples in 10-d: rank 9 covariance
    g = f.fit(x, np.arange(1.0, 11.0))
    assert np.all(np.linalg.eigvalsh(g.cov) > 0)
    assert np.all(np.isfinite(g.logpdf(f.sample(5, 1))))
    h = f.fit(x[:3])
    assert np.all(np.diag(h.cholesky) > 0)


def test_mvn_fit_matches_weighted_covariance():
    f = FAMILIES["mvn"]
    x = f.sample(500, 2)
    w = np.random.default_rng(3).uniform(size=500)
    g = f.fit(x, w)
    np.testing.assert_allclose(g.mean, np.average(x, axis=0, weights=w), rtol=1e-12)
    np.testing.assert_allclose(g.cov, np.cov(x.T, aweights=w, bias=True), rtol=1e-10)
    np.testing.assert_allclose(g.cholesky @ g.cholesky.T, g.cov, rtol=1e-12, atol=1e-15)


def test_mvn_mode_and_degeneracy():
    f = FAMILIES["mvn"]
    np.testing.assert_array_equal(f.mode(), f.mean)
    assert f.degeneracy() == pytest.approx(np.sqrt(2.0))


def test_categorical_fit_keeps_padding_and_ragged_shape():
    f = FAMILIES["categorical-ragged"]
    x = np.array([[1, 3, 0], [1, 2, 0], [0, 3, 0]])
    g = f.fit(x, [1.0, 2.0, 1.0])
    np.testing.assert_array_equal(g.n_categories, [2, 4, 1])
    np.testing.assert_allclose(g.probs, [[0.25, 0.75, 0, 0], [0, 0, 0.5, 0.5], [1, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"`x` must hold categories in \[0, n_categories\)"):
        f.fit([[2, 0, 0]])


def test_categorical_never_samples_padding_or_zero_probability():
    f = Categorical([[0.0, 0.5, 0.0, 0.5, 0.0], [1.0], [0.3, 0.7]])
    x = f.sample(100000, 0)
    assert set(np.unique(x[:, 0])) == {1, 3}
    assert np.all(x[:, 1] == 0)
    assert abs(np.mean(x[:, 2]) - 0.7) < 0.01
    many = Categorical(np.full((3, 40), 1 / 40))  # the per-coordinate search path
    y = many.sample(40000, 1)
    assert y.min() == 0 and y.max() == 39
    assert np.abs(np.bincount(y.ravel()) / y.size - 1 / 40).max() < 0.003


def test_categorical_mode_degeneracy_and_with_params():
    f = FAMILIES["categorical-ragged"]
    np.testing.assert_array_equal(f.mode(), [1, 3, 0])
    assert f.degeneracy() == pytest.approx(0.6)
    g = f.with_params({"probs": f.probs})
    np.testing.assert_array_equal(g.n_categories, f.n_categories)
    with pytest.raises(ValueError, match="`probs` must be 0 beyond"):
        f.with_params({"probs": np.full((3, 4), 0.25)})


def test_bernoulli_fit_mode_degeneracy():
    f = FAMILIES["bernoulli"]
    g = f.fit([[1, 0, 1], [1, 1, 0]], [3, 1])
    np.testing.assert_allclose(g.p, [1.0, 0.25, 0.75])
    np.testing.assert_array_equal(g.mode(), np.array([1, 0, 1], dtype=np.int8))
    assert g.degeneracy() == 0.25
    with pytest.raises(ValueError, match="`x` must contain only 0 and 1"):
        f.fit([[0, 2, 1]])


def test_exponential_has_no_mode_or_degeneracy_and_fits_mean():
    f = FAMILIES["exponential"]
    assert not hasattr(f, "mode") and not hasattr(f, "degeneracy")
    g = f.fit([[1.0, 2.0, 3.0], [3.0, 0.0, 5.0]], [1.0, 3.0])
    np.testing.assert_allclose(g.mean, [2.5, 0.5, 4.5])
    with pytest.raises(DegenerateFitError, match="all weighted samples are 0"):
        f.fit([[1.0, 0.0, 3.0]])
    with pytest.raises(ValueError, match="`x` must be finite and >= 0"):
        f.fit([[1.0, -1.0, 3.0]])


# ------------------------------------------------------------------ degenerate fits
@pytest.mark.parametrize("name", list(FAMILIES))
def test_zero_total_weight_is_a_degenerate_fit(name):
    family = FAMILIES[name]
    x = family.sample(5, 0)
    with pytest.raises(DegenerateFitError, match=r"effective sample size 0"):
        family.fit(x, np.zeros(5))
    with pytest.raises(ValueError, match="`weights` must be finite and >= 0"):
        family.fit(x, [1.0, -1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="`weights` must have one entry per sample"):
        family.fit(x, np.ones(4))


def test_constant_coordinate_is_a_degenerate_fit_not_nan():
    x = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    with pytest.raises(DegenerateFitError, match=r"coordinate\(s\) \[0\].*effective sample size 3"):
        Normal([0.0, 0.0], [1.0, 1.0]).fit(x)
    with pytest.raises(DegenerateFitError, match=r"coordinate\(s\) \[0\]"):
        Normal([0.0, 0.0], [1.0, 1.0], lower=0.0).fit(x, [1.0, 1.0, 0.0])
    with pytest.raises(DegenerateFitError, match="covariance is 0"):
        MultivariateNormal([0.0, 0.0], np.eye(2)).fit(np.ones((4, 2)))
    # positive weight on one sample only is the same as one sample
    with pytest.raises(DegenerateFitError, match="effective sample size 1"):
        Normal([0.0, 0.0], [1.0, 1.0]).fit(x, [0.0, 1.0, 0.0])


# ------------------------------------------------------------------------- blend
def test_blend_uses_scale_alpha_for_scales():
    f = Normal([0.0, 0.0], [1.0, 2.0])
    g = Normal([1.0, 2.0], [3.0, 4.0])
    h = f.blend(g, 0.25, scale_alpha=0.5)
    np.testing.assert_allclose(h.mean, [0.75, 1.5])
    np.testing.assert_allclose(h.std, [2.0, 3.0])
    m = MultivariateNormal([0.0], [[1.0]]).blend(
        MultivariateNormal([4.0], [[5.0]]), 0.5, scale_alpha=1.0
    )
    np.testing.assert_allclose(m.mean, [2.0])
    np.testing.assert_allclose(m.cov, [[1.0]])
    b = Bernoulli([0.0]).blend(Bernoulli([1.0]), 0.25, scale_alpha=0.9)  # accepted, ignored
    np.testing.assert_allclose(b.p, [0.75])


def test_product_blend_passes_scale_alpha_through():
    f = Product(x=Normal([0.0], [1.0]), b=Bernoulli([0.0]))
    g = Product(x=Normal([1.0], [3.0]), b=Bernoulli([1.0]))
    h = f.blend(g, 0.5, scale_alpha=1.0)
    assert h["x"].mean[0] == 0.5 and h["x"].std[0] == 1.0 and h["b"].p[0] == 0.5


@pytest.mark.parametrize("name", list(FAMILIES))
def test_blend_validation(name):
    family = FAMILIES[name]
    other = Bernoulli([0.5]) if not isinstance(family, Bernoulli) else Exponential([1.0])
    with pytest.raises(TypeError, match="`previous` must be a"):
        family.blend(other, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        family.blend(family, 1.5)
    with pytest.raises(ValueError, match="alpha"):
        family.blend(family, -0.1)
    with pytest.raises(ValueError, match="scale_alpha"):
        family.blend(family, 0.5, scale_alpha=2.0)


@pytest.mark.parametrize(
    "family, previous",
    [
        (Normal([0.0, 0.0], 1.0), Normal([0.0], 1.0)),
        (Normal(0.0, 1.0, lower=0.0), Normal(0.0, 1.0, lower=-1.0)),
        (Normal(0.0, 1.0, lower=0.0), Normal(0.0, 1.0)),
        (MultivariateNormal([0.0], [[1.0]]), MultivariateNormal([0.0, 0.0], np.eye(2))),
        (Bernoulli([0.5, 0.5]), Bernoulli([0.5])),
        (Categorical([[0.5, 0.5]]), Categorical([[0.2, 0.3, 0.5]])),
        (Exponential([1.0, 2.0]), Exponential([1.0])),
        (Product(a=Bernoulli([0.5])), Product(b=Bernoulli([0.5]))),
    ],
)
def test_blend_with_a_mismatched_previous(family, previous):
    with pytest.raises(ValueError, match="`previous` must have"):
        family.blend(previous, 0.5)


# --------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: Normal(0.0, -1.0), ValueError, r"`std` must be > 0, but got std="),
        (lambda: Normal([0.0, 1.0], [1.0, 0.0]), ValueError, r"`std` must be > 0"),
        (lambda: Normal(0.0, [1.0, INF]), ValueError, r"`std` must be finite"),
        (
            lambda: Normal([0.0, 1.0], [1.0, 1.0, 1.0]),
            ValueError,
            r"`std` must have the same length",
        ),
        (lambda: Normal(0.0, 1.0, lower=1.0, upper=1.0), ValueError, r"`lower < upper` must hold"),
        (lambda: Normal(0.0, 1.0, lower=[0.0, 2.0], upper=1.0), ValueError, r"`lower < upper`"),
        (lambda: Normal(0.0, 1.0, lower=INF), ValueError, r"`lower < upper`"),
        (lambda: Normal(0.0, 1.0, lower=np.nan), ValueError, r"`lower` must not contain NaN"),
        (lambda: Normal(np.zeros((2, 2)), 1.0), ValueError, r"`mean` must be 0-d or 1-d"),
        (lambda: Normal("a", 1.0), TypeError, r"`mean` must be an array of real numbers"),
        (
            lambda: MultivariateNormal([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]),
            ValueError,
            r"`cov` must be positive definite",
        ),
        (
            lambda: MultivariateNormal([0.0, 0.0], [[1.0, 0.5], [0.4, 1.0]]),
            ValueError,
            r"`cov` must be symmetric",
        ),
        (
            lambda: MultivariateNormal([0.0, 0.0], np.eye(3)),
            ValueError,
            r"`cov` must have shape \(2, 2\)",
        ),
        (lambda: MultivariateNormal([0.0, 0.0], [1.0, 1.0]), ValueError, r"`cov` must be 2-d"),
        (
            lambda: MultivariateNormal([0.0, 0.0], np.zeros((2, 2))),
            ValueError,
            r"`cov` must be positive definite",
        ),
        (lambda: Bernoulli([0.5, 1.5]), ValueError, r"`0 <= p <= 1` must hold, but got p="),
        (lambda: Bernoulli([-0.1]), ValueError, r"`0 <= p <= 1` must hold"),
        (lambda: Bernoulli([np.nan]), ValueError, r"`p` must be finite"),
        (
            lambda: Categorical([[0.5, 0.6]]),
            ValueError,
            r"`probs` rows must sum to 1, but got probs\[0\]",
        ),
        (
            lambda: Categorical([[0.5, 0.5], [1.2, -0.2]]),
            ValueError,
            r"`probs` must be non-negative, but got probs\[1\]",
        ),
        (lambda: Categorical(np.array([0.5, 0.5])), ValueError, r"`probs` must be 2-d"),
        (lambda: Categorical([]), ValueError, r"`probs` must have at least one coordinate"),
        (lambda: Categorical([[1.0], []]), ValueError, r"`probs` rows must be non-empty 1-d"),
        (lambda: Exponential([1.0, 0.0]), ValueError, r"`mean` must be > 0"),
        (lambda: Exponential([-1.0]), ValueError, r"`mean` must be > 0"),
        (lambda: Product(), ValueError, r"`components` must name at least one family"),
        (lambda: Product(a=Normal(0.0, 1.0), b=3), TypeError, r"`b` must be a family"),
        (lambda: Product(a=Normal), TypeError, r"`a` must be a family"),
    ],
)
def test_constructor_validation(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize("name", list(FAMILIES))
def test_wrong_sample_shape_is_rejected(name):
    family = FAMILIES[name]
    if isinstance(family, Product):
        x = family.sample(3, 0)
        with pytest.raises(ValueError, match="`x` must be a dict with keys"):
            family.logpdf({"zzz": x[next(iter(x))]})
        with pytest.raises(ValueError, match="`x` must be a dict with keys"):
            family.fit(np.zeros((3, 2)))
        return
    d = family.dim
    for bad in (np.zeros((3, d + 1)), np.zeros(d), np.zeros((2, d, 1))):
        with pytest.raises(
            ValueError, match=rf"`x` must have shape \(n, {d}\), but got x with shape"
        ):
            family.logpdf(bad)
        with pytest.raises(ValueError, match=r"`x` must have shape"):
            family.fit(bad)


def test_sample_size_and_rng_validation():
    f = Normal(0.0, 1.0)
    with pytest.raises(ValueError, match="`n >= 0` must hold"):
        f.sample(-1, 0)
    with pytest.raises(TypeError, match="`n` must be an integer"):
        f.sample(2.5, 0)
    with pytest.raises(TypeError, match="`rng` must be None"):
        f.sample(2, "seed")


def test_with_params_validation_and_round_trip():
    for name, family in FAMILIES.items():
        g = family.with_params(family.params)
        assert type(g) is type(family), name
        flat_f, flat_g = _flat(family.params), _flat(g.params)
        assert all(np.array_equal(flat_f[k], flat_g[k]) for k in flat_f), name
    t = FAMILIES["truncnorm-both"]
    u = t.with_params({"mean": [0.5, 0.5], "std": [1.0, 1.0]})
    np.testing.assert_array_equal(u.lower, t.lower)
    with pytest.raises(ValueError, match=r"`params` must be a dict with keys \['mean', 'std'\]"):
        t.with_params({"mean": [0.0, 0.0]})
    with pytest.raises(ValueError, match="`params` must be a dict with keys"):
        FAMILIES["product"].with_params({"x": {}})


def _flat(params, prefix=""):
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


# ------------------------------------------------------------------ immutability
@pytest.mark.parametrize("name", list(FAMILIES))
def test_families_are_frozen(name):
    family = FAMILIES[name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        family.anything = 1
    for value in _flat(family.params).values():
        assert not value.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            value[...] = 0


def test_inputs_are_copied():
    mean = np.array([0.0, 1.0])
    f = Normal(mean, 1.0)
    mean[0] = 5.0
    assert f.mean[0] == 0.0


# -------------------------------------------------------------------------- Product
def test_product_optional_members_follow_components():
    f = FAMILIES["product"]
    mode = f.mode()
    assert set(mode) == {"x", "c"}
    np.testing.assert_array_equal(mode["c"], [1, 2])
    assert f.degeneracy() == max(f["x"].degeneracy(), f["c"].degeneracy())
    g = FAMILIES["product-no-mode"]
    assert not hasattr(g, "mode")
    assert g.degeneracy() == g["b"].degeneracy()
    assert not hasattr(Product(e=Exponential([1.0])), "degeneracy")
    assert set(f.components) == {"x", "c"}
    with pytest.raises(TypeError):
        f.components["x"] = None


def test_product_rows_must_agree():
    f = FAMILIES["product"]
    x = f.sample(4, 0)
    x["c"] = x["c"][:3]
    with pytest.raises(ValueError, match="`x` must have the same number of rows"):
        f.fit(x)
    with pytest.raises(ValueError, match="`x` must have the same number of rows"):
        f.logpdf(x)


# --------------------------------------------------------------- check_family itself
@dataclass(frozen=True, eq=False)
class _MinimalExponential:
    """A user family with only the four protocol methods (no optional members)."""

    rate: float

    def sample(self, n, rng):
        return np.random.default_rng(rng).exponential(1 / self.rate, size=(n, 1))

    def logpdf(self, x):
        x = np.asarray(x)[:, 0]
        return np.where(x >= 0, np.log(self.rate) - self.rate * x, -np.inf)

    def fit(self, x, weights=None):
        x = np.asarray(x)[:, 0]
        w = np.ones_like(x) if weights is None else np.asarray(weights, float)
        return _MinimalExponential(float(w.sum() / (w @ x)))

    def blend(self, previous, alpha):
        return _MinimalExponential(alpha * self.rate + (1 - alpha) * previous.rate)


def test_check_family_accepts_a_minimal_user_family():
    report = check_family(_MinimalExponential(2.0))
    assert not any(report.optional.values())  # it says what it lacks ...
    assert report["optional members"].startswith("skipped")  # ... and checks nothing of it
    assert report["fit"].startswith("skipped")
    assert report["weights"] == report["blend"] == report["likelihood_ratio"] == "ok"
    assert report["information"].startswith("skipped: the family has no entropy")


@dataclass(frozen=True, eq=False)
class _Broken:
    """A Normal wrapper with one deliberate defect, selected by ``defect``."""

    inner: Any
    defect: str

    @property
    def params(self):
        return self.inner.params

    def sample(self, n, rng):
        if self.defect == "unseeded":
            rng = None
        return self.inner.sample(n, rng)

    def logpdf(self, x):
        out = self.inner.logpdf(x)
        if self.defect == "unnormalised":  # forgets the -log(std) term
            out = out + np.log(self.inner.std).sum()
        return out

    def fit(self, x, weights=None):
        if self.defect == "ignores-weights":
            weights = None
        if self.defect == "biased":
            g = self.inner.fit(x, weights)
            return _Broken(Normal(g.mean, 1.05 * g.std), self.defect)
        return _Broken(self.inner.fit(x, weights), self.defect)

    def blend(self, previous, alpha):
        if self.defect == "blend-swapped":
            alpha = 1 - alpha
        return _Broken(self.inner.blend(previous.inner, alpha), self.defect)

    def entropy(self):
        return self.inner.entropy(base=2 if self.defect == "entropy-in-bits" else None)

    def kl_divergence(self, other):
        return self.inner.kl_divergence(other.inner)

    def cross_entropy(self, other):
        return self.inner.cross_entropy(other.inner)


@pytest.mark.parametrize(
    "defect, check",
    [
        ("unseeded", "sample"),
        ("biased", "fit"),
        ("ignores-weights", "weights"),
        ("blend-swapped", "blend"),
        ("unnormalised", "likelihood_ratio"),
        ("entropy-in-bits", "information"),
    ],
)
def test_check_family_catches_defects(defect, check):
    family = _Broken(Normal([0.0, 1.0], [1.0, 2.0]), defect)
    with pytest.raises(AssertionError, match=rf"\[{check}\]"):
        check_family(family)


class _Mutable:
    """Like _MinimalExponential, but a plain (mutable) class."""

    def __init__(self, rate):
        self.rate = rate

    sample = _MinimalExponential.sample
    logpdf = _MinimalExponential.logpdf
    fit = _MinimalExponential.fit
    blend = _MinimalExponential.blend


def test_check_family_catches_mutable_families():
    with pytest.raises(AssertionError, match=r"\[immutability\].*must raise"):
        check_family(_Mutable(1.0))


def test_check_family_rejects_non_families():
    with pytest.raises(TypeError, match="`family` must implement"):
        check_family(object())


# ------------------------------------------------- adaptive variance scaling support
@pytest.mark.parametrize(
    "family",
    [
        Normal([1.0, -2.0, 0.5], [0.5, 2.0, 1.0]),
        MultivariateNormal([1.0, -2.0], [[2.0, 0.9], [0.9, 1.0]]),
    ],
    ids=["normal", "mvn"],
)
def test_rescaled_whitens_to_scaled_identity(family):
    # X ~ family.rescaled(c)  =>  family.whiten(X) ~ N(0, c I): check the second moments
    # against their standard errors (var of a chi-square_1 moment: 2 c^2 / n).
    c, n = 2.25, 40_000
    Z = family.whiten(family.rescaled(c).sample(n, rng=3))
    moments = Z.T @ Z / n
    expected = c * np.eye(family.dim)
    se = np.sqrt((expected**2 + np.outer(np.diag(expected), np.diag(expected))) / n)
    assert np.all(np.abs(moments - expected) <= 4 * se)
    np.testing.assert_allclose(family.whiten(family.mode()[None, :]), 0.0, atol=1e-15)
    same = family.rescaled(1.0)
    for name, value in family.params.items():
        np.testing.assert_allclose(same.params[name], value, rtol=1e-15)


def test_rescaled_rejects_non_positive_factor():
    with pytest.raises(ValueError, match=r"`0 < factor` must hold, but got factor=0.0"):
        Normal([0.0], [1.0]).rescaled(0.0)
    with pytest.raises(ValueError, match=r"`0 < factor` must hold, but got factor=-1.0"):
        MultivariateNormal([0.0], [[1.0]]).rescaled(-1.0)

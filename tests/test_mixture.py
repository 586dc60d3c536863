"""Mixture: finite mixtures of one family, fitted by weighted EM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import cemopt as ce
from cemopt.testing import check_family


def normal_mixture() -> ce.Mixture:
    return ce.Mixture(
        [ce.Normal([-4.0, 0.0], [1.0, 0.5]), ce.Normal([4.0, 1.0], [0.7, 1.0])], [0.4, 0.6]
    )


def exponential_mixture() -> ce.Mixture:
    return ce.Mixture([ce.Exponential([1.0, 2.0]), ce.Exponential([10.0, 20.0])], [0.5, 0.5])


def mvn_mixture() -> ce.Mixture:
    return ce.Mixture(
        [
            ce.MultivariateNormal([0.0, 0.0], [[1.0, 0.3], [0.3, 0.5]]),
            ce.MultivariateNormal([6.0, -6.0], [[0.5, -0.2], [-0.2, 1.0]]),
        ],
        [0.7, 0.3],
    )


def mean_log_likelihood(family, x, w):
    return float(w @ family.logpdf(x) / w.sum())


# ------------------------------------------------------------------ conformance
@pytest.mark.parametrize(
    "make, n",
    [(normal_mixture, 20000), (exponential_mixture, 4000), (mvn_mixture, 20000)],
    ids=["normal", "exponential", "mvn"],
)
def test_check_family(make, n):
    # The exponential components overlap (means 10x apart), so EM takes ~25 steps per
    # fit; n=4000 keeps the 21 fits of the recovery check fast.
    report = check_family(make(), n=n)
    # a mixture's entropy and KL are Monte Carlo estimates: nothing exact to check
    assert report.pop("information").startswith("skipped"), report
    assert set(report.values()) == {"ok"}, report


def test_is_public_family():
    f = normal_mixture()
    assert ce.is_family(f) and isinstance(f, ce.Family)
    assert ce.families.Mixture is ce.Mixture
    assert f.n_components == 2 and f.dim == 2


# ----------------------------------------------------------------------- sample
def test_sample_labels_shapes_and_reproducibility():
    components = [ce.Normal([m], [1.0]) for m in (-50.0, 0.0, 50.0)]
    f = ce.Mixture(components, [0.2, 0.0, 0.8])
    x = f.sample(5000, rng=3)
    assert x.shape == (5000, 1) and x.dtype == np.float64
    np.testing.assert_array_equal(x, f.sample(5000, rng=np.random.default_rng(3)))
    left = np.mean(x[:, 0] < 0)
    assert abs(left - 0.2) < 4 * np.sqrt(0.2 * 0.8 / 5000)
    assert not np.any(np.abs(x) < 25)  # the weight-0 component is never drawn
    assert f.sample(0, rng=0).shape == (0, 1)


def test_sample_scatters_batched_component_draws():
    f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([10.0])], [0.3, 0.7])
    x = f.sample(50, rng=7)
    rng = np.random.default_rng(7)
    labels = np.searchsorted(np.cumsum(f.weights), rng.random(50), side="right")
    expected = np.empty((50, 1))
    for k, component in enumerate(f.components):
        expected[labels == k] = component.sample(int(np.sum(labels == k)), rng)
    np.testing.assert_array_equal(x, expected)


def test_sample_keeps_component_dtype():
    f = ce.Mixture([ce.Bernoulli([0.1, 0.1]), ce.Bernoulli([0.9, 0.9])])
    x = f.sample(10, rng=0)
    assert x.dtype == ce.Bernoulli([0.5]).sample(1, rng=0).dtype and x.shape == (10, 2)


# ----------------------------------------------------------------------- logpdf
def test_logpdf_matches_scipy_exponential():
    f = ce.Mixture([ce.Exponential([1.0, 2.0]), ce.Exponential([10.0, 0.5])], [0.3, 0.7])
    x = np.random.default_rng(0).uniform(0.0, 30.0, size=(200, 2))
    pdf = 0.3 * stats.expon.pdf(x, scale=[1.0, 2.0]).prod(axis=1) + 0.7 * stats.expon.pdf(
        x, scale=[10.0, 0.5]
    ).prod(axis=1)
    np.testing.assert_allclose(f.logpdf(x), np.log(pdf), rtol=1e-12)


def test_logpdf_matches_scipy_normal():
    f = normal_mixture()
    x = np.random.default_rng(1).normal(0.0, 4.0, size=(200, 2))
    parts = [
        w * stats.norm.pdf(x, c.mean, c.std).prod(axis=1)
        for w, c in zip(f.weights, f.components, strict=True)
    ]
    np.testing.assert_allclose(f.logpdf(x), np.log(parts[0] + parts[1]), rtol=1e-12)


def test_logpdf_zero_weight_and_no_support_give_minus_inf_silently():
    # pyproject turns warnings into errors, so this also checks that none is emitted
    f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([5.0])], [1.0, 0.0])
    x = np.array([[-1.0], [2.0]])
    out = f.logpdf(x)
    assert out[0] == -np.inf
    np.testing.assert_allclose(out[1], stats.expon.logpdf(2.0), rtol=1e-12)
    far = ce.Mixture([ce.Normal([0.0], [1.0]), ce.Normal([1.0], [1.0])])
    assert far.logpdf([[1e200]])[0] == -np.inf  # every component underflows


# -------------------------------------------------------------------------- fit
def test_fit_recovers_a_known_mixture_within_4_standard_errors():
    n = 50_000
    truth = ce.Mixture([ce.Normal([-2.0], [1.0]), ce.Normal([3.0], [0.8])], [0.3, 0.7])
    x = truth.sample(n, rng=11)
    start = ce.Mixture([ce.Normal([-1.0], [1.5]), ce.Normal([1.0], [1.5])], max_em_steps=500)
    g = start.fit(x)
    # Complete-data standard errors (the components are 5 stds apart, so the missing
    # information is negligible): sqrt(w (1 - w) / n) for a weight and std_k / sqrt(n w_k)
    # for a mean.
    w = truth.weights
    se_w = np.sqrt(w * (1 - w) / n)
    assert np.all(np.abs(g.weights - w) < 4 * se_w), (g.weights, se_w)
    for k, c in enumerate(truth.components):
        se_mean = c.std / np.sqrt(n * w[k])
        assert np.all(np.abs(g.components[k].mean - c.mean) < 4 * se_mean), (g, se_mean)
    assert g.max_em_steps == 500 and g.tol == start.tol


def test_fit_weighted_recovers_by_importance_weights():
    # x ~ N(0, 2^2) reweighted to the target mixture density gives the target back
    n = 50_000
    truth = ce.Mixture([ce.Normal([-2.0], [0.7]), ce.Normal([2.0], [0.7])], [0.25, 0.75])
    proposal = ce.Normal([0.0], [2.0])
    x = proposal.sample(n, rng=5)
    w = np.exp(truth.logpdf(x) - proposal.logpdf(x))
    g = ce.Mixture([ce.Normal([-1.0], [1.0]), ce.Normal([1.0], [1.0])], max_em_steps=500).fit(x, w)
    ess = w.sum() ** 2 / np.square(w).sum()
    assert np.all(np.abs(g.weights - truth.weights) < 4 * np.sqrt(0.25 * 0.75 / ess))
    for k, c in enumerate(truth.components):
        se = c.std / np.sqrt(ess * truth.weights[k])
        assert np.all(np.abs(g.components[k].mean - c.mean) < 4 * se), (g, se)


def test_em_is_monotone():
    truth = mvn_mixture()
    x = truth.sample(3000, rng=2)
    w = np.random.default_rng(3).uniform(0.1, 2.0, size=3000)
    components = [ce.MultivariateNormal(m, np.eye(2)) for m in ([1.0, 1.0], [3.0, -2.0])]
    start = ce.Mixture(components, [0.5, 0.5], max_em_steps=1)
    lls = [mean_log_likelihood(start, x, w)]
    current = start
    for _ in range(15):
        current = current.fit(x, w)
        lls.append(mean_log_likelihood(current, x, w))
    # monotone up to rounding: once EM has converged, the mean log-likelihood (about
    # -3) moves by an ulp or two either way, with the BLAS kernels of the machine
    assert np.all(np.diff(lls) >= -1e-12 * np.abs(lls[1:])), lls
    assert lls[-1] > lls[0] + 1.0
    full = ce.Mixture(start.components, start.weights).fit(x, w)
    assert mean_log_likelihood(full, x, w) >= lls[-1] - 1e-12  # converged (to rounding)


def test_fit_integer_weights_equal_repeated_rows():
    f = normal_mixture()
    x = f.sample(500, rng=4)
    counts = np.random.default_rng(5).integers(0, 4, size=500)
    a = f.fit(x, counts)
    b = f.fit(np.repeat(x, counts, axis=0))
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-10)
    for ca, cb in zip(a.components, b.components, strict=True):
        np.testing.assert_allclose(ca.mean, cb.mean, rtol=1e-10)
        np.testing.assert_allclose(ca.std, cb.std, rtol=1e-10)


def test_component_without_responsibility_keeps_its_parameters():
    f = ce.Mixture([ce.Normal([0.0], [1.0]), ce.Normal([1000.0], [1.0])], [0.5, 0.5])
    x = ce.Normal([0.5], [2.0]).sample(1000, rng=0)
    g = f.fit(x)
    assert g.components[1] is f.components[1]
    np.testing.assert_array_equal(g.weights, [1.0, 0.0])
    np.testing.assert_allclose(g.components[0].mean, x.mean(), rtol=1e-12)
    # weight 0 from now on: left out of logpdf, sample and degeneracy, refits stay finite
    h = g.fit(x)
    assert h.components[1] is f.components[1] and np.all(np.isfinite(h.weights))
    assert g.degeneracy() == pytest.approx(g.components[0].std[0])


def test_component_with_degenerate_fit_keeps_its_parameters():
    # component 1 is responsible only for ten copies of one point: its own fit raises
    # DegenerateFitError (std 0), so it keeps its parameters and gets weight 10 / n
    x = np.concatenate([ce.Normal([0.0], [1.0]).sample(990, rng=1), np.full((10, 1), 50.0)])
    f = ce.Mixture([ce.Normal([0.0], [1.0]), ce.Normal([50.0], [2.0])], [0.5, 0.5])
    with pytest.raises(ce.DegenerateFitError):
        f.components[1].fit(x[-10:])
    g = f.fit(x)
    assert g.components[1] is f.components[1]
    np.testing.assert_allclose(g.weights, [0.99, 0.01], rtol=1e-12)


def test_single_component_mixture_equals_its_component():
    for component in (ce.Exponential([1.0, 3.0]), ce.Normal([1.0, -1.0], [0.5, 2.0])):
        f = ce.Mixture([component])
        x = component.sample(300, rng=0)
        w = np.random.default_rng(1).uniform(0.5, 1.5, size=300)
        np.testing.assert_array_equal(f.weights, [1.0])
        np.testing.assert_allclose(f.logpdf(x), component.logpdf(x), rtol=1e-15)
        fitted, expected = f.fit(x, w).components[0], component.fit(x, w)
        for key, value in expected.params.items():
            np.testing.assert_allclose(fitted.params[key], value, rtol=1e-12)


# ------------------------------------------------------------------------ blend
def test_blend_componentwise_and_weights_linearly():
    a = mvn_mixture()
    components = [ce.MultivariateNormal(m, np.eye(2)) for m in ([1.0, 1.0], [5.0, -5.0])]
    b = ce.Mixture(components, [0.4, 0.6])
    c = a.blend(b, 0.25, scale_alpha=0.5)
    np.testing.assert_allclose(c.weights, 0.25 * a.weights + 0.75 * b.weights, rtol=1e-15)
    for k in range(2):
        expected = a.components[k].blend(b.components[k], 0.25, scale_alpha=0.5)
        np.testing.assert_allclose(c.components[k].mean, expected.mean, rtol=1e-15)
        np.testing.assert_allclose(c.components[k].cov, expected.cov, rtol=1e-15)
    expected_cov = 0.25 * a.components[0].cov + 0.75 * np.eye(2)  # scale_alpha = alpha
    np.testing.assert_allclose(a.blend(b, 0.25).components[0].cov, expected_cov, rtol=1e-15)


def test_blend_rejects_mismatched_previous():
    f = normal_mixture()
    with pytest.raises(TypeError, match=r"`previous` must be a Mixture to blend with"):
        f.blend(f.components[0], 0.5)
    three = ce.Mixture([ce.Normal([0.0, 0.0], [1.0, 1.0])] * 3)
    with pytest.raises(ValueError, match=r"`previous` must have 2 components like self"):
        f.blend(three, 0.5)
    expo = ce.Mixture([ce.Exponential([1.0, 1.0]), ce.Exponential([2.0, 2.0])])
    with pytest.raises(TypeError, match=r"`previous` must have Normal components like self"):
        f.blend(expo, 0.5)
    one_d = ce.Mixture([ce.Normal([0.0], [1.0]), ce.Normal([1.0], [1.0])])
    with pytest.raises(ValueError, match=r"`previous` must have dim 2 like self"):
        f.blend(one_d, 0.5)
    with pytest.raises(ValueError, match=r"`0 <= alpha <= 1` must hold"):
        f.blend(f, 1.5)
    with pytest.raises(ValueError, match=r"`0 <= scale_alpha <= 1` must hold"):
        f.blend(f, 0.5, scale_alpha=-0.1)


# ------------------------------------------------------------- optional members
def test_params_and_with_params_round_trip():
    f = normal_mixture()
    p = f.params
    assert set(p) == {"weights", "components"} and set(p["components"]) == {"0", "1"}
    assert not p["weights"].flags.writeable
    np.testing.assert_array_equal(p["components"]["1"]["std"], f.components[1].std)
    swapped = {"0": p["components"]["1"], "1": p["components"]["0"]}
    g = f.with_params({"weights": [0.1, 0.9], "components": swapped})
    np.testing.assert_array_equal(g.weights, [0.1, 0.9])
    np.testing.assert_array_equal(g.components[0].mean, f.components[1].mean)
    with pytest.raises(ValueError, match=r"`params` must be a dict with keys \['components', "):
        f.with_params({"weights": [0.5, 0.5]})
    with pytest.raises(ValueError, match=r"components keys \['0', '1'\] for Mixture"):
        f.with_params({"weights": [0.5, 0.5], "components": {"0": p["components"]["0"]}})


def test_optional_members_follow_the_components():
    normal = normal_mixture()
    assert hasattr(normal, "mode") and hasattr(normal, "degeneracy")
    np.testing.assert_array_equal(normal.mode(), normal.components[1].mode())  # weight 0.6
    assert normal.degeneracy() == pytest.approx(1.0)
    expo = exponential_mixture()
    assert hasattr(expo, "params") and hasattr(expo, "with_params")
    assert not hasattr(expo, "mode") and not hasattr(expo, "degeneracy")
    wide = ce.Mixture([ce.Normal([0.0], [9.0]), ce.Normal([1.0], [1.0])], [0.0, 1.0])
    assert wide.degeneracy() == pytest.approx(1.0)  # the weight-0 component is ignored


def test_is_immutable_and_repr_is_readable():
    f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([10.0])], [0.25, 0.75])
    with pytest.raises(AttributeError):
        f.weights = np.array([0.5, 0.5])
    assert not f.weights.flags.writeable and isinstance(f.components, tuple)
    assert repr(f) == (
        "Mixture([Exponential(mean=[1.]), Exponential(mean=[10.])], weights=[0.25, 0.75])"
    )
    assert "max_em_steps=5" in repr(ce.Mixture(f.components, max_em_steps=5))


# ------------------------------------------------------------------- validation
def test_validation_errors():
    n1, n2 = ce.Normal([0.0], [1.0]), ce.Normal([0.0, 0.0], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"`components` must be a sequence of families"):
        ce.Mixture(n1)
    with pytest.raises(TypeError, match=r"`components` must be a sequence of families"):
        ce.Mixture(3)
    with pytest.raises(ValueError, match=r"`components` must hold at least one family"):
        ce.Mixture([])
    with pytest.raises(TypeError, match=r"`components` must hold only families .* components\[1\]"):
        ce.Mixture([n1, "normal"])
    with pytest.raises(TypeError, match=r"`components` must all be of one family type"):
        ce.Mixture([n1, ce.Exponential([1.0])])
    with pytest.raises(ValueError, match=r"`components` must all have the same dim, .* \[1, 2\]"):
        ce.Mixture([n1, n2])
    with pytest.raises(ValueError, match=r"`weights` must have one entry per component \(2\)"):
        ce.Mixture([n1, n1], [1.0])
    with pytest.raises(ValueError, match=r"`weights` must be >= 0, but got weights="):
        ce.Mixture([n1, n1], [1.5, -0.5])
    with pytest.raises(ValueError, match=r"`weights` must sum to 1, but got weights=.*sum 0.9"):
        ce.Mixture([n1, n1], [0.5, 0.4])
    with pytest.raises(ValueError, match=r"`weights` must be finite"):
        ce.Mixture([n1, n1], [np.nan, 1.0])
    with pytest.raises(TypeError, match=r"`weights` must be an array of real numbers"):
        ce.Mixture([n1, n1], ["a", "b"])
    with pytest.raises(ValueError, match=r"`max_em_steps >= 1` must hold"):
        ce.Mixture([n1], max_em_steps=0)
    with pytest.raises(TypeError, match=r"`max_em_steps` must be an integer"):
        ce.Mixture([n1], max_em_steps=2.0)
    with pytest.raises(ValueError, match=r"`0 <= tol` must hold"):
        ce.Mixture([n1], tol=-1.0)
    np.testing.assert_array_equal(ce.Mixture((n1, n1, n1, n1)).weights, [0.25] * 4)


def test_fit_errors():
    f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([10.0])])
    x = np.array([[1.0], [2.0]])
    with pytest.raises(ce.DegenerateFitError, match=r"Mixture.fit got zero total weight"):
        f.fit(x, [0.0, 0.0])
    with pytest.raises(ce.DegenerateFitError, match=r"Mixture.fit needs at least one sample"):
        f.fit(np.empty((0, 1)))
    with pytest.raises(ValueError, match=r"`weights` must be finite and >= 0"):
        f.fit(x, [1.0, -1.0])
    with pytest.raises(ValueError, match=r"`x` must lie where the mixture density is positive"):
        f.fit([[1.0], [-2.0]])
    f.fit([[1.0], [2.0], [-2.0]], [1.0, 1.0, 0.0])  # a row of weight 0 may lie anywhere
    with pytest.raises(ValueError, match=r"`x` must be an array of samples"):
        f.fit(1.0)
    with pytest.raises(ValueError, match=r"`x` must have shape \(n, 1\)"):
        f.fit(np.ones((3, 2)))

"""The Pareto k-hat of importance weights (cemopt.diagnostics).

Ground truth: samples of generalized Pareto distributions of known shape (scipy),
importance weights whose variance is known to be finite or infinite, arviz's PSIS
(when installed) and a direct transcription of the Zhang & Stephens estimate in mpmath
for weights that span far more than a double can hold.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy import stats

from cemopt.diagnostics import (
    ParetoDiagnostic,
    khat_threshold,
    pareto_diagnostic,
    pareto_khat,
    pareto_tail_size,
)

K = 4  # standard errors allowed


def _normal_log_weights(scale: float, rng: np.random.Generator, n: int = 10_000) -> np.ndarray:
    """log N(x; 0, 1) - log N(x; 0, scale^2) for x drawn from the proposal N(0, scale^2)."""
    x = scale * rng.normal(size=n)
    return -(x**2) / 2 + (x / scale) ** 2 / 2 + math.log(scale)


# ------------------------------------------------------------------ the sample-size rules
def test_tail_size_and_threshold_follow_the_paper():
    # M = ceil(min(0.2 S, 3 sqrt(S))): 0.2 S up to S = 225, then 3 sqrt(S)
    assert [pareto_tail_size(s) for s in (1, 20, 21, 225, 226, 10_000)] == [1, 4, 5, 45, 46, 300]
    assert khat_threshold(1) == -math.inf
    assert khat_threshold(10) == 0.0 and khat_threshold(100) == pytest.approx(0.5)
    assert khat_threshold(2000) == pytest.approx(1 - 1 / math.log10(2000))
    assert khat_threshold(2200) == khat_threshold(10**6) == 0.7


# ------------------------------------------------------------------ (1) known shapes
@pytest.mark.parametrize("xi", [0.2, 0.5, 0.8, 1.2])
def test_recovers_the_shape_of_generalized_pareto_samples(xi):
    n, seeds = 10_000, 40
    khat = np.array(
        [
            pareto_khat(np.log(stats.genpareto.rvs(xi, size=n, random_state=seed)))
            for seed in range(seeds)
        ]
    )
    # above any threshold a GPD sample is GPD of the same shape; the prior pulls the
    # estimate from M tail weights toward 0.5 as if 10 more had that shape
    m = pareto_tail_size(n)
    target = (m * xi + 10 * 0.5) / (m + 10)
    spread = khat.std(ddof=1)
    assert abs(khat.mean() - target) < K * spread / math.sqrt(seeds)
    # and one run is within K of its own spread (about (1 + xi) / sqrt(M): 0.06-0.13)
    assert spread < 1.5 * (1 + xi) / math.sqrt(m)
    assert np.all(np.abs(khat - target) < K * spread)


# ------------------------------------------------------------------ (2) finite / infinite variance
@pytest.mark.parametrize("scale", [1.5, 0.9])
def test_finite_variance_weights_have_khat_below_one_half(scale):
    # target N(0, 1), proposal N(0, scale^2): finite variance when scale^2 > 1/2
    # (bounded weights for scale >= 1; k = 1 - scale^2 = 0.19 at 0.9)
    for seed in range(20):
        assert pareto_khat(_normal_log_weights(scale, np.random.default_rng(seed))) < 0.5


def test_infinite_variance_weights_have_khat_above_the_threshold():
    # a proposal with lighter tails than the target: N(0, 1) for the target Exp(1)
    # (k = 1 up to a slowly varying factor), and N(0, 0.3^2) for N(0, 1) (k = 0.91)
    threshold = khat_threshold(10_000)
    for seed in range(20):
        x = np.random.default_rng(seed).normal(size=10_000)
        with np.errstate(divide="ignore"):
            log_w = np.where(x >= 0, -x, -np.inf) + x**2 / 2 + 0.5 * math.log(2 * math.pi)
        d = pareto_diagnostic(log_w)
        assert d.khat > threshold and not d.reliable
    narrow = [pareto_khat(_normal_log_weights(0.3, np.random.default_rng(s))) for s in range(20)]
    # k-hat from 10^4 such weights spreads widely (0.62 to 1.0 over these seeds): the
    # typical run is flagged
    assert np.median(narrow) > threshold


# ------------------------------------------------------------------ (3) arviz
def _datasets():
    rng = np.random.default_rng(12)
    x = rng.normal(size=10_000)
    with np.errstate(divide="ignore"):
        exp_target = np.where(x >= 0, -x, -np.inf) + x**2 / 2
    return {
        "normal log weights": rng.normal(size=1000),
        "t3 log weights": rng.standard_t(3, size=4000),
        "wide lognormal": 2 * rng.normal(size=10_000),
        "pareto shape 1": np.log(rng.pareto(1.0, size=5000)),
        "30 weights": rng.normal(size=30),
        "exponential target": exp_target,
        "narrow normal proposal": _normal_log_weights(0.4, rng),
    }


@pytest.mark.parametrize("name", list(_datasets()))
def test_agrees_with_arviz(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arviz announces its refactor on import
        az = pytest.importorskip(
            "arviz", reason="arviz is not installed (pip install arviz to compare with it)"
        )
        log_w = _datasets()[name]
        expected = float(az.psislw(log_w.copy())[1])
    assert pareto_khat(log_w) == pytest.approx(expected, rel=1e-12, abs=1e-12)


# ------------------------------------------------------------------ log space
def _khat_mpmath(log_weights, digits=50):
    """Zhang & Stephens with the PSIS prior, written out plainly with mpmath numbers."""
    with mpmath.workdps(digits):
        x = sorted(mpmath.mpf(float(v)) for v in log_weights)
        size = pareto_tail_size(len(x))
        cutoff = mpmath.exp(x[-size - 1])
        y = [mpmath.exp(v) - cutoff for v in x[-size:]]
        m = 30 + math.isqrt(size)
        quartile = y[int(size / 4 + 0.5) - 1]
        theta = [
            1 / y[-1] + (1 - mpmath.sqrt(mpmath.mpf(m) / (j - mpmath.mpf(0.5)))) / (3 * quartile)
            for j in range(1, m + 1)
        ]

        def xi(t):
            return mpmath.fsum(mpmath.log(1 - t * v) for v in y) / size

        profile = [size * (mpmath.log(-t / xi(t)) - xi(t) - 1) for t in theta]
        top = max(profile)
        weights = [mpmath.exp(p - top) for p in profile]
        theta_post = mpmath.fsum(w * t for w, t in zip(weights, theta, strict=True)) / mpmath.fsum(
            weights
        )
        return float((size * xi(theta_post) + 5) / (size + 10))


@pytest.mark.parametrize("spread", [1.0, 150.0, 3000.0])
def test_weights_spanning_far_more_than_a_double_holds(spread):
    # log weights spread over +-3 * spread: weights from e^-9000 to 1 when spread = 3000,
    # which no float can hold, fitted from their logs alone
    log_w = spread * np.random.default_rng(5).normal(size=200)
    assert pareto_khat(log_w) == pytest.approx(_khat_mpmath(log_w), rel=1e-10)


# ------------------------------------------------------------------ (5) scale invariance
@pytest.mark.parametrize("shift", [-745.0, -1e4, 700.0, 1e5])
def test_adding_a_constant_to_the_log_weights_changes_nothing(shift):
    log_w = _datasets()["wide lognormal"]
    # the shifted values are rounded to the spacing of doubles near the shift
    tolerance = 1e-14 * (abs(shift) + 10) * 100
    assert pareto_khat(log_w + shift) == pytest.approx(pareto_khat(log_w), abs=tolerance)
    assert pareto_khat(log_w * 1.0) == pareto_khat(log_w)


# ------------------------------------------------------------------ the largest values only
def test_the_largest_log_weights_and_the_count_give_the_same_khat():
    rng = np.random.default_rng(3)
    log_w = rng.standard_t(4, size=10_000)
    keep = pareto_tail_size(log_w.size) + 1
    largest = rng.permutation(np.sort(log_w)[-keep:])  # in any order
    assert pareto_khat(largest, n=log_w.size) == pareto_khat(log_w)
    more = np.sort(log_w)[-2 * keep :]  # more than needed: the extra ones are ignored
    assert pareto_khat(more, n=log_w.size) == pareto_khat(log_w)
    d = pareto_diagnostic(largest, n=log_w.size)
    assert d == ParetoDiagnostic(pareto_khat(log_w), 10_000, 300, 0.7)
    with pytest.raises(ValueError, match=r"the pareto_tail_size\(n\) \+ 1 = 301 largest"):
        pareto_khat(largest[:-1], n=log_w.size)


# ------------------------------------------------------------------ special cases
def test_too_few_weights_give_nan_and_flat_tails_minus_infinity():
    rng = np.random.default_rng(0)
    for n in (1, 2, 20):  # a tail of fewer than 5 weights
        assert math.isnan(pareto_khat(rng.normal(size=n)))
        assert not pareto_diagnostic(rng.normal(size=n)).reliable
    assert not math.isnan(pareto_khat(rng.normal(size=21)))
    assert math.isnan(pareto_khat(np.full(100, -np.inf)))  # every weight 0
    assert pareto_khat(np.zeros(100)) == -math.inf  # equal weights (crude Monte Carlo)
    assert pareto_diagnostic(np.zeros(100)).reliable
    # zero weights below the tail are part of the count, not of the fit
    log_w = rng.normal(size=1000)
    with_zeros = np.concatenate([log_w, np.full(50, -np.inf)])
    assert pareto_khat(with_zeros) == pareto_khat(np.sort(with_zeros)[-201:], n=1050)
    # ties with the threshold stay in the tail as exceedances of 0
    tied = np.concatenate([np.zeros(500), np.log1p(rng.pareto(2.0, size=50))])
    assert np.isfinite(pareto_khat(tied))


# ------------------------------------------------------------------ (4) bad input
@pytest.mark.parametrize(
    ("log_weights", "kwargs", "match"),
    [
        ([], {}, r"`log_weights` must be a one-dimensional array with at least one value"),
        (np.zeros((3, 4)), {}, r"`log_weights` must be a one-dimensional .* shape \(3, 4\)"),
        (5.0, {}, r"`log_weights` must be a one-dimensional .* shape \(\)"),
        ([0.0, np.nan], {}, r"`log_weights` must be finite or -inf .* but got nan"),
        ([0.0, np.inf], {}, r"`log_weights` must be finite or -inf .* but got inf"),
        (np.zeros(10), {"n": 5}, r"`log_weights` holds 10 values, more than .* n=5"),
        (np.zeros(10), {"n": 0}, r"`n` must be an integer >= 1, but got n=0"),
        (np.zeros(10), {"n": 20.5}, r"`n` must be an integer >= 1, but got n=20.5"),
        (np.zeros(10), {"n": 1000}, r"`log_weights` must hold the .* 96 largest"),
    ],
)
def test_bad_input_names_the_argument(log_weights, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pareto_khat(log_weights, **kwargs)
    with pytest.raises(ValueError, match=match):
        pareto_diagnostic(log_weights, **kwargs)


@pytest.mark.parametrize("function", [pareto_tail_size, khat_threshold])
@pytest.mark.parametrize("n", [0, -3, 2.5, True, "10"])
def test_sample_size_rules_reject_bad_counts(function, n):
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 1"):
        function(n)

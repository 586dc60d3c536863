"""Rare-event estimation: exact answers, failure modes, bad input (the engine side;
the reference models are tested in test_rare_events_models.py)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy import stats

import cemopt as ce
from objectives import row_sum


def exponential_tail(gamma: float, n: int = 5) -> tuple[float, float]:
    """Exact P(sum of n Exp(1) >= gamma) and its log (gamma distribution)."""
    return stats.gamma.sf(gamma, n), stats.gamma.logsf(gamma, n)


@pytest.mark.parametrize("gamma", [30.0, 250.0])
def test_exponential_sum_within_four_standard_errors_in_log_space(gamma):
    # 250 gives about 1e-100: the estimate's log must be right (delta method: the
    # standard error of log p is the relative error).
    exact, log_exact = exponential_tail(gamma)
    # at 1e-100 the weights of 20 000 final draws are pre-asymptotic (Pareto k-hat above
    # 0.7, flagged): 100 000 give a tail the error bar can rest on
    n_final = 20_000 if gamma < 100 else 100_000
    est = ce.estimate(row_sum, ce.Exponential(np.ones(5)), gamma, n_final=n_final, rng=1)
    assert est.success and est.status == "converged" and est.khat < 0.7
    assert abs(est.log_probability - log_exact) <= 4 * est.relative_error
    assert est.levels[-1] == gamma and np.all(np.diff(est.levels) > 0)
    if exact > 0:
        assert abs(est.probability - exact) <= 4 * est.std_error


def test_log_probability_survives_underflow():
    # P(X >= 38) for X ~ N(0, 1) is about 3e-317: below the smallest normal double.
    log_exact = stats.norm.logsf(38.0)
    est = ce.estimate(lambda X: X[:, 0], ce.Normal([0.0], [1.0]), 38.0, n_final=20_000, rng=2)
    assert est.success and est.probability < 1e-300 and math.isfinite(est.log_probability)
    assert abs(est.log_probability - log_exact) <= 4 * est.relative_error


def test_lower_tail_event():
    # P(sum of 5 Exp(1) <= 0.05) = gamma.cdf(0.05, 5) ~ 2.5e-9
    exact = stats.gamma.cdf(0.05, 5)
    est = ce.estimate(row_sum, ce.Exponential(np.ones(5)), 0.05, event="<=", n_final=20_000, rng=3)
    assert est.success and abs(est.probability - exact) <= 4 * est.std_error
    assert np.all(np.diff(est.levels) < 0)


def test_bernoulli_sum_where_openturns_is_wrong():
    # P(sum of 10 Bernoulli(0.01) >= 5) = 2.42e-8 (OpenTURNS' CE gives 1.04e-11).
    exact = stats.binom.sf(4, 10, 0.01)
    est = ce.estimate(row_sum, ce.Bernoulli(np.full(10, 0.01)), 5, n_final=20_000, rng=4)
    assert est.success and abs(est.probability - exact) <= 4 * est.std_error
    assert est.levels.tolist()[-3:] == [3.0, 4.0, 5.0]  # one count at a time, no stall


def test_gaussian_mean_shift_with_multivariate_normal():
    # a . X / |a| >= 4.5 for X ~ N(0, I_3): exact Phi(-4.5)
    a = np.array([1.0, 2.0, -1.0]) / math.sqrt(6.0)
    nominal = ce.MultivariateNormal(np.zeros(3), np.eye(3))
    est = ce.estimate(lambda X: X @ a, nominal, 4.5, n_final=20_000, rng=5)
    assert est.success and abs(est.probability - stats.norm.sf(4.5)) <= 4 * est.std_error
    np.testing.assert_allclose(
        est.proposal.mean / np.linalg.norm(est.proposal.mean), a, atol=0.05
    )  # the proposal shifted along a


def test_product_family_mixed_inputs():
    # X ~ Exp(1)^2 and K ~ Bernoulli(0.1)^2 independent; S = X1 + X2 + 10 (K1 + K2).
    # P(S >= 25) by exact conditioning on K: sum_k P(K1 + K2 = k) P(Gamma(2) >= 25 - 10 k).
    nominal = ce.Product(x=ce.Exponential([1.0, 1.0]), k=ce.Bernoulli([0.1, 0.1]))
    pk = stats.binom.pmf([0, 1, 2], 2, 0.1)
    exact = sum(pk[k] * stats.gamma.sf(25 - 10 * k, 2) for k in range(3))

    def S(X):
        return X["x"].sum(axis=1) + 10.0 * X["k"].sum(axis=1)

    est = ce.estimate(S, nominal, 25.0, n_final=20_000, rng=6)
    assert est.success and abs(est.probability - exact) <= 4 * est.std_error


def test_same_seed_same_estimate_on_any_executor():
    nominal = ce.Exponential(np.ones(5))
    a = ce.estimate(row_sum, nominal, 30.0, n_final=5_000, rng=7)
    with ThreadPoolExecutor(max_workers=3) as pool:
        b = ce.estimate(row_sum, nominal, 30.0, n_final=5_000, executor=pool, rng=7)
    assert (a.probability, a.std_error, a.nfev) == (b.probability, b.std_error, b.nfev)
    np.testing.assert_array_equal(a.levels, b.levels)


# ------------------------------------------------------------------ failure modes
class _Frozen:
    """A proposal whose fit cannot move it: the smoothed levels reach a plateau."""

    def __init__(self, inner):
        self.inner = inner

    def sample(self, n, rng=None):
        return self.inner.sample(n, rng)

    def logpdf(self, x):
        return self.inner.logpdf(x)

    def fit(self, x, weights=None):
        return self

    def blend(self, previous, alpha):
        return self


def test_a_plateau_of_the_smoothed_levels_is_judged_by_a_final_sample():
    # the width stops narrowing while the proposal reaches the event: the final sample
    # estimates from that proposal and its own checks decide (exact: Phi(-3.5))
    exact = stats.norm.sf(3.5)
    est = ce.estimate(
        lambda X: X[:, 0],
        ce.Normal([0.0], [1.0]),
        3.5,
        proposal=_Frozen(ce.Normal([1.0], [1.0])),
        levels="smoothed",
        n_samples=1000,
        n_final=20_000,
        rng=0,
    )
    assert est.status == "plateau" and est.success and est.n_final == 20_000
    assert "stopped narrowing" in est.message
    assert abs(est.probability - exact) < 4 * est.std_error


def test_impossible_event_stalls_with_a_message():
    with pytest.warns(ce.ConvergenceWarning, match="stalled"):
        est = ce.estimate(
            row_sum, ce.Bernoulli(np.full(10, 0.01)), 11, n_final=1000, max_iter=50, rng=0
        )
    assert not est.success and est.status == "stalled"
    assert math.isnan(est.probability) and all(math.isnan(v) for v in est.ci(0.95))
    assert len(est.levels) < 50  # stopped by the stall rule, not by max_iter
    assert est.nfev == est.history.nfev[-1] and est.n_final == 0  # no final sample spent


def test_max_iter_is_reported():
    with pytest.warns(ce.ConvergenceWarning, match="within max_iter"):
        est = ce.estimate(
            row_sum, ce.Exponential(np.ones(5)), 100.0, max_iter=2, n_final=1000, rng=0
        )
    assert not est.success and est.status == "max_iter" and len(est.levels) == 2


class _UnfittableNormal(ce.Normal):
    """A Normal whose fit refuses, as a family does when its samples cannot hold it."""

    def fit(self, x, weights=None):
        raise ce.DegenerateFitError("_UnfittableNormal.fit: no room for a fit here.")


@pytest.mark.parametrize("levels", ["quantile", "smoothed"])
def test_a_failed_fit_is_reported_in_the_family_s_words(levels):
    nominal = ce.Normal(0.0, 1.0)
    with pytest.warns(ce.ConvergenceWarning, match=r"could not be fitted.*no room for a fit"):
        est = ce.estimate(
            lambda X: X[:, 0],
            nominal,
            4.0,
            proposal=_UnfittableNormal(0.0, 1.0),
            levels=levels,
            rng=0,
        )
    assert est.status == "degenerate elite" and math.isnan(est.probability)


def test_degenerate_final_weights_are_flagged():
    # A proposal (kept by tiny smoothing) far narrower than the conditional density.
    with pytest.warns(ce.ConvergenceWarning, match="degenerate"):
        est = ce.estimate(
            lambda X: X[:, 0],
            ce.Normal([0.0], [1.0]),
            3.0,
            proposal=ce.Normal([3.6], [0.15]),
            smoothing=1e-9,
            n_final=2000,
            rng=0,
        )
    assert not est.success and est.status == "degenerate weights" and est.ess < 50


def test_nan_scores_make_a_flagged_lower_bound():
    def S(X):
        values = X.sum(axis=1)
        return np.where(X[:, 0] > 9.0, np.nan, values)

    with pytest.warns(ce.ConvergenceWarning, match="NaN"):
        est = ce.estimate(S, ce.Exponential(np.ones(5)), 30.0, n_final=5000, rng=0)
    assert est.n_nan > 0 and not est.success


def test_crude_monte_carlo_and_its_exact_interval():
    exact = stats.gamma.sf(8.0, 2)  # 3.0e-3
    est = ce.crude_monte_carlo(
        row_sum, ce.Exponential([1.0, 1.0]), 8.0, n=200_000, batch_size=30_000, rng=0
    )
    assert est.method == "crude" and est.success and est.nfev == 200_000
    assert abs(est.probability - exact) <= 4 * est.std_error
    low, high = est.ci(0.999)
    assert low < exact < high
    with pytest.warns(ce.ConvergenceWarning, match="No final sample reached gamma"):
        none = ce.crude_monte_carlo(row_sum, ce.Exponential([1.0, 1.0]), 50.0, n=1000, rng=0)
    assert none.probability == 0.0 and none.ci(0.95) == (0.0, pytest.approx(3.6e-3, rel=0.05))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": math.inf}, ValueError, r"`gamma` must be finite, but got gamma=inf"),
        ({"gamma": "high"}, TypeError, r"`gamma` must be a real number"),
        ({"n_final": 0}, ValueError, r"`n_final >= 1` must hold, but got n_final=0"),
        ({"n_samples": 5}, ValueError, r"`elite_frac \* n_samples >= 1` must hold"),
        ({"event": ">"}, ValueError, r"`event` must be '>=' or '<=', but got event='>'"),
        ({"smoothing": 0.0}, ValueError, r"`0 < smoothing <= 1` must hold"),
        ({"nominal": object()}, TypeError, r"`nominal` must implement sample/logpdf"),
        ({"proposal": 3}, TypeError, r"`proposal` must implement sample/logpdf"),
        ({"S": 3}, TypeError, r"`S` must be callable, but got S=3"),
        ({"S": lambda X: X}, ValueError, r"must return one value per sample: got 10000 values"),
        ({"min_ess": -1.0}, ValueError, r"`0 <= min_ess` must hold"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    call = {
        "S": row_sum,
        "nominal": ce.Exponential(np.ones(10)),
        "gamma": 40.0,
        "n_final": 100,
        **kwargs,
    }
    with pytest.raises(error, match=match):
        ce.estimate(call.pop("S"), call.pop("nominal"), call.pop("gamma"), **call)


def test_ci_level_checked():
    est = ce.crude_monte_carlo(row_sum, ce.Exponential([1.0]), 1.0, n=100, rng=0)
    with pytest.raises(ValueError, match=r"`0 < level < 1` must hold, but got level=95"):
        est.ci(95)


# ------------------------------------------------------------------ common events
def test_a_certain_event_is_one_with_an_exact_interval():
    # every sample is inside: the first batch, from the nominal, reaches gamma, and the
    # nominal is the final proposal (weights 1): 1 exactly, never 1.0000745
    est = ce.estimate(row_sum, ce.Exponential(np.ones(3)), 0.0, n_final=5000, rng=0)
    assert est.success and est.probability == 1.0 and est.method == "crude"
    low, high = est.ci(0.95)
    assert high == 1.0 and low == pytest.approx(1 - 3.689 / 5000, rel=1e-3)  # Clopper-Pearson


@pytest.mark.parametrize("levels", ["quantile", "smoothed"])
def test_a_common_event_is_crude_monte_carlo_from_the_nominal(levels):
    exact = stats.gamma.sf(2.0, 3)  # 0.677
    est = ce.estimate(
        row_sum, ce.Exponential(np.ones(3)), 2.0, n_final=20_000, levels=levels, rng=1
    )
    assert est.success and est.proposal is not None and est.method == "crude"
    assert abs(est.probability - exact) <= 4 * est.std_error and est.probability <= 1.0
    low, high = est.ci(0.99)
    assert low < exact < high

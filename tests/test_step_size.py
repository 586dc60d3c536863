"""The CE update with cumulative step-size adaptation (``csa``, cemopt/_step_size.py).

Checked against properties of CMA-ES's step-size rule derived by its authors, not
against numbers of ours: under random selection the log step size performs an
unbiased walk (Hansen 2016, section 3.3: the path is then distributed as N(0, I)),
on a linear function it grows geometrically, and the covariance update about the old
mean equals the ML fit plus the step's outer product.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cemopt as ce
from cemopt._step_size import CumulativeStepSize, condition_bound, without_effect


def test_weights_and_rates_are_cma_es_defaults():
    # Hansen (2016), table 1, for d = 10 and the default batch 4 + floor(3 ln 10) = 10
    rule = CumulativeStepSize(dim=10, n_samples=10)
    raw = math.log(5.5) - np.log(np.arange(1, 6))
    np.testing.assert_allclose(rule.weights, raw / raw.sum(), rtol=1e-15)
    mu_eff = 1 / np.sum(rule.weights**2)
    assert rule.mu_eff == pytest.approx(mu_eff, rel=1e-15)
    assert rule.c_s == pytest.approx((mu_eff + 2) / (10 + mu_eff + 5), rel=1e-15)
    assert rule.c_1 == pytest.approx(2 / (11.3**2 + mu_eff), rel=1e-15)
    assert rule.c_mu == pytest.approx(2 * (mu_eff - 2 + 1 / mu_eff) / (144 + mu_eff), rel=1e-15)
    assert rule.history_window == 10 + 30


def test_covariance_update_is_the_fit_about_the_old_mean():
    # c_mu's term: the weighted covariance of the elite about the previous mean
    family = ce.MultivariateNormal([1.0, -2.0, 0.5], np.diag([1.0, 2.0, 0.5]))
    rule = CumulativeStepSize(dim=3, n_samples=8)
    X = family.sample(8, rng=3)
    scores = np.arange(8.0)[::-1]  # the last rows are best
    out = rule.step(family, X, scores)
    elite = X[::-1][: rule.n_elite]
    w = rule.weights
    centred = elite - family.mean
    about_old = (centred * w[:, None]).T @ centred
    np.testing.assert_allclose(out.fitted.cov + np.outer(*(2 * [out.fitted.mean - family.mean])),
                               about_old, rtol=1e-12, atol=1e-14)  # fmt: skip
    np.testing.assert_allclose(out.family.mean, w @ elite, rtol=1e-13)
    np.testing.assert_array_equal(np.sort(out.elite), np.arange(8)[::-1][: rule.n_elite][::-1])


def test_log_step_size_is_unbiased_under_random_selection():
    # random scores: the path is N(0, I) in distribution, so E log(sigma) stays 0 over
    # many seeds (a tolerance of four standard errors of the mean)
    d, n, steps, seeds = 5, 8, 60, 200
    logs = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        family = ce.MultivariateNormal(np.zeros(d), np.eye(d))
        rule = CumulativeStepSize(d, n)
        for _ in range(steps):
            X = family.sample(n, rng)
            family = rule.step(family, X, rng.random(n)).family
        logs.append(math.log(rule.sigma))
    logs = np.array(logs)
    assert abs(logs.mean()) < 4 * logs.std(ddof=1) / math.sqrt(seeds)


def test_step_size_grows_on_a_linear_function():
    # a slope: successive steps agree, the path is long, sigma grows geometrically
    d, n = 5, 8
    rng = np.random.default_rng(0)
    family = ce.MultivariateNormal(np.zeros(d), np.eye(d))
    rule = CumulativeStepSize(d, n)
    for _ in range(60):
        X = family.sample(n, rng)
        family = rule.step(family, X, X[:, 0]).family
    assert rule.sigma > 100 and family.mean[0] < -100


def test_nan_scores_are_never_elite_and_an_all_nan_batch_is_refused():
    family = ce.MultivariateNormal(np.zeros(2), np.eye(2))
    rule = CumulativeStepSize(2, 6)
    X = family.sample(6, rng=0)
    scores = np.array([np.nan, 3.0, np.nan, 1.0, 2.0, np.nan])
    out = rule.step(family, X, scores)
    assert sorted(out.elite.tolist()) == [1, 3, 4] and out.level == 3.0
    with pytest.raises(ce.DegenerateFitError, match="every score in the batch is NaN"):
        rule.step(family, X, np.full(6, np.nan))


def test_an_adapted_covariance_without_a_factor_is_a_degenerate_fit(monkeypatch):
    # rounding (or an overflow) can leave the blended covariance without a Cholesky
    # factor; the step says so as a failed fit, which ends the start like any other
    import cemopt._step_size as step_size

    monkeypatch.setattr(step_size, "cholesky_or_none", lambda a: None)
    family = ce.MultivariateNormal(np.zeros(2), np.eye(2))
    X = family.sample(6, rng=0)
    with pytest.raises(ce.DegenerateFitError, match="adapted covariance is not positive definite"):
        CumulativeStepSize(2, 6).step(family, X, np.arange(6.0))
    res = ce.minimize(lambda X: (X**2).sum(axis=1), family, vectorized=True, max_evals=60, rng=0)
    # batches of 6, 12, 24 and the 18 evaluations left, each start ended by its fit
    assert res.status == "max_evals" and res.nit == 0 and res.n_restarts == 3


def test_defaults_for_a_multivariate_normal():
    opt = ce.CrossEntropy(ce.MultivariateNormal(np.zeros(10), np.eye(10)))
    assert opt.csa and not opt.variance_scaling and not opt.mean_shift
    assert opt.n_samples == 10 and opt.elite_frac == 0.5 and opt.patience == 0
    amalgam = ce.CrossEntropy(ce.MultivariateNormal(np.zeros(10), np.eye(10)), csa=False)
    assert amalgam.variance_scaling and amalgam.mean_shift and amalgam.n_samples == 32
    assert not ce.CrossEntropy(ce.Normal(np.zeros(2), np.ones(2))).csa


@pytest.mark.parametrize(
    ("family", "options", "error", "match"),
    [
        (ce.Normal([0.0], [1.0]), {"csa": True}, ValueError, r"`csa=True` needs a Multivariat"),
        (ce.MultivariateNormal([0.0], [[1.0]]), {"csa": 1}, TypeError, r"`csa` must be True, F"),
        (ce.MultivariateNormal([0.0], [[1.0]]), {"smoothing": 0.5}, ValueError,
         r"`smoothing` does not apply with csa=True"),
        (ce.MultivariateNormal([0.0], [[1.0]]), {"scale_smoothing": 0.5}, ValueError,
         r"`scale_smoothing` does not apply with csa=True"),
        (ce.MultivariateNormal([0.0], [[1.0]]), {"variance_scaling": True}, ValueError,
         r"`variance_scaling=True` and `csa=True` are two step-size rules"),
        (ce.MultivariateNormal([0.0], [[1.0]]), {"mean_shift": True}, ValueError,
         r"`mean_shift=True` belongs to AMaLGaM's"),
        (ce.MultivariateNormal([0.0], [[1.0]]), {"elite_frac": 0.1}, ValueError,
         r"`elite_frac` does not apply with csa=True, .* but got elite_frac=0.1"),
    ],
)  # fmt: skip
def test_bad_csa_settings_are_refused(family, options, error, match):
    with pytest.raises(error, match=match):
        ce.CrossEntropy(family, **options)


def test_an_ill_conditioned_covariance_ends_the_run():
    # condition 1e15 from the start: the update keeps it past 1e14, and the run ends
    family = ce.MultivariateNormal(np.zeros(2), np.diag([1.0, 1e-15]))
    res = ce.minimize(
        lambda X: (X**2).sum(axis=1), family, vectorized=True, restarts=0, max_iter=50, rng=0
    )
    assert res.status == "ill-conditioned" and not res.success and res.nit == 1
    assert condition_bound(res.family) > 1e14
    assert "condition number passed 1e14" in res.message


def test_a_distribution_below_the_spacing_of_its_mean_has_no_effect():
    # pycma's noeffectcoord: at 1e12 the doubles are 1.2e-4 apart, so a fifth of a
    # standard deviation of 1e-6 cannot move the mean
    far = np.full(2, 1e12)
    assert without_effect(ce.MultivariateNormal(far, 1e-12 * np.eye(2)), axes=False) == "coordinate"
    # noeffectaxis: each coordinate has standard deviation 1 (0.2 moves 1e12), but the
    # principal axis (1, -1) / sqrt(2) has variance 1e-8: a tenth of its 1e-4 cannot
    rotated = np.array([[1.0, 1.0 - 1e-8], [1.0 - 1e-8, 1.0]])
    assert without_effect(ce.MultivariateNormal(far, rotated), axes=False) is None
    assert without_effect(ce.MultivariateNormal(far, rotated), axes=True) == "axis"
    # near the origin the same covariances move the mean in every direction
    for cov in (1e-12 * np.eye(2), rotated):
        assert without_effect(ce.MultivariateNormal(np.ones(2), cov), axes=True) is None


def test_a_distribution_without_effect_ends_the_run_and_restarts():
    def shifted_sphere(X):
        return ((X - 1e12) ** 2).sum(axis=1)

    # standard deviations of 1e-4: the samples differ (the doubles are 1.2e-4 apart),
    # a fifth of one (or e times that, the step size's largest growth) does not
    family = ce.MultivariateNormal(np.full(3, 1e12), 1e-8 * np.eye(3))
    res = ce.minimize(shifted_sphere, family, vectorized=True, restarts=0, rng=0)
    assert res.status == "no effect" and not res.success and res.nit == 1
    assert "narrower than the floating-point spacing of its mean" in res.message
    # like every convergence stop, it restarts while the budget lasts
    res = ce.minimize(shifted_sphere, family, vectorized=True, max_evals=200, rng=0)
    assert res.status == "max_evals" and res.n_restarts >= 2


def test_a_best_score_that_stays_put_ends_the_run_by_its_flat_history():
    # every batch spreads over 0 .. n - 1 (the batch rule cannot fire) but its best
    # is always 0: after 10 + ceil(30 d / n) iterations the history is flat
    d = 3
    opt = ce.CrossEntropy(ce.MultivariateNormal(np.zeros(d), np.eye(d)), restarts=0, rng=0)
    n = opt.n_samples
    window = 10 + math.ceil(30 * d / n)
    while not opt.stop():
        X = opt.ask()
        opt.tell(X, np.arange(float(len(X))))
    res = opt.result()
    assert res.status == "flat history" and res.success and res.nit == window
    assert np.all(res.history.best == 0.0) and np.all(np.ptp(X, axis=0) > 0)


def test_restarts_double_the_batch_and_start_the_paths_afresh():
    # Rastrigin 5-d: local minima end runs, each restart doubles n_samples from 8
    res = ce.minimize(
        lambda X: 10 * X.shape[1] + (X**2 - 10 * np.cos(2 * np.pi * X)).sum(axis=1),
        ce.MultivariateNormal(np.full(5, 3.0), 4.0 * np.eye(5)),
        vectorized=True,
        max_evals=30_000,
        rng=2,
    )
    assert res.n_restarts >= 2
    for r in range(res.n_restarts + 1):
        rows = res.history.restart == r
        assert np.all(res.history.n_samples[rows][:-1] == 8 * 2**r)
    # and the new run's rule starts with empty paths and the sizes of its batch
    opt = ce.CrossEntropy(ce.MultivariateNormal(np.full(5, 3.0), 4.0 * np.eye(5)), rng=2)
    opt.max_evals = 30_000
    while opt._restart == 0:
        X = opt.ask()
        opt.tell(X, 10 * 5 + (X**2 - 10 * np.cos(2 * np.pi * X)).sum(axis=1))
    rule = opt._step_size
    assert rule.t == 0 and rule.sigma == 1.0 and not rule.path_sigma.any()
    assert rule.n_elite == 8 and opt.family is opt.initial_family


def test_resumed_csa_run_is_bit_identical(tmp_path):
    def sphere(X):
        return ((X - 1.0) ** 2).sum(axis=1)

    family = ce.MultivariateNormal(np.zeros(4), np.eye(4))
    full = ce.minimize(sphere, family, vectorized=True, max_iter=40, rng=3)
    path = tmp_path / "run.npz"
    ce.minimize(sphere, family, vectorized=True, max_iter=17, rng=3, checkpoint=path)
    resumed = ce.minimize(sphere, family, vectorized=True, max_iter=40, resume=path)
    np.testing.assert_array_equal(resumed.x, full.x)
    np.testing.assert_array_equal(resumed.family.cov, full.family.cov)
    np.testing.assert_array_equal(resumed.history.scale, full.history.scale)


def test_a_best_score_that_never_improves_again_ends_the_run_by_stagnation():
    # the first batch holds the best score; later batches score at random above it,
    # so neither flat rule fires: after 100 + 100 d^1.5 / n iterations the run ends
    d = 2
    opt = ce.CrossEntropy(ce.MultivariateNormal(np.zeros(d), np.eye(d)), restarts=0, rng=0)
    n, rng = opt.n_samples, np.random.default_rng(1)
    window = 100 + math.ceil(100 * d**1.5 / n)
    while not opt.stop():
        X = opt.ask()
        opt.tell(X, np.arange(float(n)) if opt.nit == 0 else 1.0 + rng.random(n))
    res = opt.result()
    assert res.status == "stagnation" and not res.success and res.nit == window + 1
    assert "did not improve for 100 + 100 d^1.5 / n_samples iterations" in res.message


def test_a_distribution_lost_on_a_plateau_restarts():
    # Ackley from a start spread over its whole domain: on the outer plateau the step
    # size walks at random and the run never improves; stagnation ends it and the
    # restart (twice the batch) finds the optimum
    def ackley(X):
        d = X.shape[1]
        return (
            20.0
            + np.e
            - 20.0 * np.exp(-0.2 * np.sqrt((X**2).sum(axis=1) / d))
            - np.exp(np.cos(2 * np.pi * X).sum(axis=1) / d)
        )

    x0 = np.random.default_rng(4).uniform(-32.768, 32.768, 10)
    res = ce.minimize(
        ackley,
        ce.MultivariateNormal(x0, 32.768**2 * np.eye(10)),
        vectorized=True,
        max_evals=100_000,
        target=1e-8,
        rng=4,
    )
    assert res.status == "target" and res.n_restarts >= 1


def test_negative_weights_follow_cma_es_and_shrink_the_worst_directions():
    # Hansen (2016), eq. 53: the worse half's weights sum to -min(alpha_mu, alpha_mueff,
    # alpha_posdef); the update then narrows the covariance along the worst steps
    d, n = 3, 12
    rule = CumulativeStepSize(d, n)
    worse = math.log(6.5) - np.log(np.arange(7, 13))
    mm = worse.sum() ** 2 / np.sum(worse**2)
    limit = min(
        1 + rule.c_1 / rule.c_mu,
        1 + 2 * mm / (rule.mu_eff + 2),
        (1 - rule.c_1 - rule.c_mu) / (d * rule.c_mu),
    )
    assert np.all(rule.negative_weights < 0) and rule.negative_weights.size == n - 6
    assert rule.negative_weights.sum() == pytest.approx(-limit, rel=1e-12)
    family = ce.MultivariateNormal(np.zeros(d), np.eye(d))
    X = family.sample(n, rng=5)
    scores = X[:, 2] ** 2  # the worst samples lie far out along the last axis
    with_active = CumulativeStepSize(d, n).step(family, X, scores).family
    plain = CumulativeStepSize(d, n)
    plain.negative_weights = np.zeros(0)
    without = plain.step(family, X, scores).family
    assert with_active.cov[2, 2] < without.cov[2, 2]
    np.testing.assert_array_equal(with_active.mean, without.mean)

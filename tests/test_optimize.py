"""The CE optimiser: results against known optima, stopping rules, ask/tell, errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

import cemopt as ce
from cemopt.problems import functions
from objectives import shifted_sphere, shifted_sphere_one


def normal(d: int = 3, mean: float = 0.0, std: float = 3.0) -> ce.Normal:
    return ce.Normal(mean=np.full(d, mean), std=np.full(d, std))


# ---------------------------------------------------------------- known optima
def test_minimize_sphere_reaches_known_optimum():
    res = ce.minimize(shifted_sphere, normal(), n_samples=200, vectorized=True, rng=0)
    assert res.success and res.status == "flat"  # batch values spread < value_tol = 1e-12
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-6)
    assert res.fun == pytest.approx(0.0, abs=1e-10)
    np.testing.assert_allclose(res.x_mode, np.ones(3), atol=1e-6)


def test_maximize_flips_sign_in_one_place():
    res = ce.maximize(lambda X: -shifted_sphere(X), normal(), n_samples=200, vectorized=True, rng=0)
    ref = ce.minimize(shifted_sphere, normal(), n_samples=200, vectorized=True, rng=0)
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.fun == -ref.fun
    np.testing.assert_array_equal(res.history.best_so_far, -ref.history.best_so_far)


def test_peaks_maximum_as_in_ceoptim_example():
    # CEoptim's first example: maximise peaks from mean (-3, -3), sd (10, 10).
    res = ce.maximize(
        functions.peaks,
        ce.Normal([-3.0, -3.0], [10.0, 10.0]),
        n_samples=100,
        vectorized=True,
        rng=1234,
    )
    assert res.fun == pytest.approx(functions.peaks.f_opt, abs=1e-9)
    np.testing.assert_allclose(res.x, functions.peaks.x_opt(2), atol=1e-5)


@pytest.mark.parametrize("name", ["sphere", "griewank", "ackley"])
def test_minimize_test_functions_with_restarts(name):
    fn = functions.FUNCTIONS[name]
    d = 5
    rng = np.random.default_rng(3)
    family = ce.Normal(rng.uniform(fn.lower, fn.upper, d), np.full(d, (fn.upper - fn.lower) / 2))
    res = ce.minimize(
        fn, family, vectorized=True, target=fn.f_opt + 1e-8, restarts=5, max_evals=200_000, rng=4
    )
    assert res.status == "target", res
    assert res.fun - fn.f_opt < 1e-8


# ---------------------------------------------------------------- stopping rules
def test_max_iter_and_max_evals():
    res = ce.minimize(shifted_sphere, normal(), n_samples=100, vectorized=True, max_iter=3, rng=0)
    assert (res.status, res.nit, res.nfev, res.success) == ("max_iter", 3, 300, False)
    res = ce.minimize(
        shifted_sphere, normal(), n_samples=100, vectorized=True, max_evals=250, rng=0
    )
    # the last batch is cut to the remaining budget
    assert (res.status, res.nfev) == ("max_evals", 250)
    assert res.history.n_samples.tolist() == [100, 100, 50]


def test_target_stops_early():
    res = ce.minimize(shifted_sphere, normal(), n_samples=100, vectorized=True, target=1e-2, rng=0)
    assert res.status == "target" and res.fun <= 1e-2
    assert res.history.best_so_far[-2] > 1e-2  # it did not run past the target


def test_patience_on_a_plateau():
    res = ce.minimize(
        lambda X: np.zeros(len(X)),
        normal(),
        n_samples=50,
        vectorized=True,
        patience=4,
        value_tol=None,
        rng=0,
    )
    assert res.status == "patience" and res.nit == 5  # level 0 set at 1, no gain for 4 more


def test_flat_batch_is_convergence():
    res = ce.minimize(lambda X: np.zeros(len(X)), normal(), n_samples=50, vectorized=True, rng=0)
    assert (res.status, res.nit, res.success) == ("flat", 1, True)


def test_callback_stops_run_and_sees_intermediate_results():
    seen = []

    def callback(intermediate):
        seen.append(intermediate.nit)
        return intermediate.nit >= 4

    res = ce.minimize(
        shifted_sphere, normal(), n_samples=50, vectorized=True, callback=callback, rng=0
    )
    assert res.status == "callback" and not res.success and seen == [1, 2, 3, 4]

    def stop_iteration(intermediate):
        raise StopIteration

    assert (
        ce.minimize(
            shifted_sphere, normal(), n_samples=50, vectorized=True, callback=stop_iteration, rng=0
        ).nit
        == 1
    )


def test_restarts_grow_the_sample_size():
    res = ce.minimize(
        lambda X: np.zeros(len(X)),
        normal(),
        n_samples=50,
        vectorized=True,
        patience=2,
        value_tol=None,
        restarts=2,
        rng=0,
    )
    assert res.n_restarts == 2 and res.status == "patience"
    sizes = {r: set(res.history.n_samples[res.history.restart == r]) for r in range(3)}
    assert sizes == {0: {50}, 1: {100}, 2: {200}}


class _FitOnceNormal:
    """A Normal (only the documented family methods) whose every second fit fails,
    as a family's does when its elite has collapsed."""

    calls = 0

    def __init__(self, inner: ce.Normal):
        self.inner = inner

    def sample(self, n, rng=None):
        return self.inner.sample(n, rng)

    def logpdf(self, x):
        return self.inner.logpdf(x)

    def fit(self, x, weights=None):
        type(self).calls += 1
        if type(self).calls % 2 == 0:
            raise ce.DegenerateFitError("_FitOnceNormal.fit: the elite collapsed.")
        return _FitOnceNormal(self.inner.fit(x, weights))

    def blend(self, previous, alpha):
        return _FitOnceNormal(self.inner.blend(previous.inner, alpha))


def test_a_degenerate_elite_restarts_while_the_budget_lasts():
    _FitOnceNormal.calls = 0
    res = ce.minimize(
        shifted_sphere,
        _FitOnceNormal(ce.Normal([5.0, 5.0], [2.0, 2.0])),
        n_samples=100,
        vectorized=True,
        max_evals=3000,
        rng=0,
    )
    # every second iteration's fit fails: each failure starts the run again
    # (two iterations of 100, 200, 400 and 800 samples: three restarts)
    assert res.status == "max_evals" and res.n_restarts == 3 and res.nfev == 3000
    # without a budget (and restarts=None) it ends, in the family's own words
    _FitOnceNormal.calls = 0
    res = ce.minimize(
        shifted_sphere,
        _FitOnceNormal(ce.Normal([5.0, 5.0], [2.0, 2.0])),
        n_samples=100,
        vectorized=True,
        rng=0,
    )
    assert res.status == "degenerate elite" and res.n_restarts == 0
    assert res.message == "The elite could not be fitted: _FitOnceNormal.fit: the elite collapsed."


def test_dynamic_smoothing_schedule_is_used_for_scales():
    schedule = ce.DynamicSmoothing(beta=0.8, q=5)
    res = ce.minimize(
        shifted_sphere,
        normal(),
        n_samples=100,
        vectorized=True,
        scale_smoothing=schedule,
        max_iter=6,
        rng=0,
    )
    t = np.arange(1, 7)
    np.testing.assert_allclose(res.history.scale_alpha, 0.8 - 0.8 * (1 - 1 / t) ** 5)
    np.testing.assert_allclose(res.history.alpha, 0.7)


def test_elite_size_is_ceil_of_fraction():
    res = ce.minimize(
        shifted_sphere, normal(), n_samples=300, elite_frac=0.1, vectorized=True, max_iter=1, rng=0
    )
    assert res.history.n_elite.tolist() == [30]  # 0.1 * 300 is 30, not 31


def test_family_dependent_defaults():
    gaussian = ce.CrossEntropy(normal(d=10))
    # 10 (4 + 3 ln 10) = 109.08 > (10 + 1) / 0.2 = 55
    assert (gaussian.elite_frac, gaussian.n_samples, gaussian.patience) == (0.2, 109, 0)
    assert ce.CrossEntropy(normal(d=100)).n_samples == 505  # (100 + 1) / 0.2
    binary = ce.CrossEntropy(ce.Bernoulli(np.full(30, 0.5)))
    assert (binary.elite_frac, binary.n_samples, binary.patience) == (0.1, 300, 5)
    plain = ce.CrossEntropy(normal(d=10), variance_scaling=False)
    assert plain.patience == 5


def test_history_columns_one_row_per_iteration():
    res = ce.minimize(
        shifted_sphere,
        normal(),
        n_samples=100,
        vectorized=True,
        max_iter=5,
        keep_params=True,
        rng=0,
    )
    h = res.history
    assert len(h) == 5 and h.nfev.tolist() == [100, 200, 300, 400, 500]
    assert np.all(np.diff(h.best_so_far) <= 0)
    assert np.all(h.level >= h.best)
    assert h.params["mean"].shape == (5, 3)
    np.testing.assert_array_equal(h.params["std"][-1], res.family.params["std"])
    assert "best" in repr(h) and "message" in repr(res)


# ---------------------------------------------------------------- ask / tell
def test_ask_tell_equals_minimize():
    ref = ce.minimize(shifted_sphere, normal(), n_samples=100, vectorized=True, rng=7)
    opt = ce.CrossEntropy(normal(), n_samples=100, rng=7)
    while not opt.stop():
        X = opt.ask()
        opt.tell(X, shifted_sphere(X))
    res = opt.result()
    np.testing.assert_array_equal(res.x, ref.x)
    assert (res.fun, res.nit, res.nfev, res.status) == (ref.fun, ref.nit, ref.nfev, ref.status)
    assert list(opt.termination) == [res.status] == ["flat"]


def test_tell_rejects_wrong_number_of_values():
    opt = ce.CrossEntropy(normal(), n_samples=100, rng=0)
    X = opt.ask()
    with pytest.raises(ValueError, match=r"`values` must have one entry per sample: got 99"):
        opt.tell(X, np.zeros(99))


def test_vectorized_and_one_at_a_time_agree():
    a = ce.minimize(shifted_sphere, normal(), n_samples=100, vectorized=True, max_iter=5, rng=2)
    b = ce.minimize(shifted_sphere_one, normal(), n_samples=100, max_iter=5, rng=2)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.history.level, b.history.level)


def test_same_seed_same_result_and_generator_accepted():
    a = ce.minimize(shifted_sphere, normal(), n_samples=100, vectorized=True, max_iter=5, rng=11)
    b = ce.minimize(
        shifted_sphere,
        normal(),
        n_samples=100,
        vectorized=True,
        max_iter=5,
        rng=np.random.default_rng(11),
    )
    np.testing.assert_array_equal(a.x, b.x)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"elite_frac": 0.0}, ValueError, r"`0 < elite_frac < 1` must hold, but got elite_frac=0"),
        ({"elite_frac": 1.0}, ValueError, r"`0 < elite_frac < 1` must hold, but got elite_frac=1"),
        ({"elite_frac": "a"}, TypeError, r"`elite_frac` must be a real number"),
        (
            {"n_samples": 5, "elite_frac": 0.1},
            ValueError,
            r"`elite_frac \* n_samples >= 1` must hold .* n_samples=5",
        ),
        ({"n_samples": 0}, ValueError, r"`n_samples >= 1` must hold, but got n_samples=0"),
        ({"n_samples": 10.5}, TypeError, r"`n_samples` must be an integer"),
        ({"smoothing": 0.0}, ValueError, r"`0 < smoothing <= 1` must hold"),
        ({"smoothing": 1.5}, ValueError, r"`0 < smoothing <= 1` must hold, but got smoothing=1.5"),
        ({"scale_smoothing": 2.0}, ValueError, r"scale_smoothing <= 1` must hold"),
        ({"max_iter": 0}, ValueError, r"`max_iter >= 1` must hold, but got max_iter=0"),
        ({"max_evals": -1}, ValueError, r"`max_evals >= 1` must hold"),
        ({"patience": -1}, ValueError, r"`patience >= 0` must hold, but got patience=-1"),
        ({"value_tol": -1.0}, ValueError, r"`0 <= value_tol` must hold"),
        ({"variance_scaling": "yes"}, TypeError, r"`variance_scaling` must be True, False or None"),
        ({"restarts": -1}, ValueError, r"`restarts >= 0` must hold"),
        ({"restart_growth": 0.5}, ValueError, r"`1 <= restart_growth` must hold"),
        ({"degeneracy_tol": -1.0}, ValueError, r"`0 <= degeneracy_tol` must hold"),
        ({"target": "low"}, TypeError, r"`target` must be a real number"),
        ({"rng": "seed"}, TypeError, r"`rng` must be None, an int seed or a numpy"),
        ({"rng": np.random.RandomState(0)}, TypeError, r"legacy RandomState is not supported"),
        ({"maximize": 1}, TypeError, r"`maximize` must be True or False"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, match):
    options = {"n_samples": 100, **kwargs}
    with pytest.raises(error, match=match):
        ce.minimize(shifted_sphere, normal(), vectorized=True, **options)
    with pytest.raises(error, match=match):
        ce.CrossEntropy(normal(), **options)


def test_bad_family_and_objective():
    with pytest.raises(TypeError, match=r"`family` must implement sample/logpdf/fit/blend"):
        ce.minimize(shifted_sphere, object(), n_samples=100)
    with pytest.raises(TypeError, match=r"`f` must be callable, but got f=3"):
        ce.minimize(3, normal(), n_samples=100)
    with pytest.raises(TypeError, match=r"`callback` must be callable or None"):
        ce.minimize(shifted_sphere, normal(), n_samples=100, callback=1)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'maximize'"):
        ce.maximize(shifted_sphere, normal(), maximize=False)


def test_objective_returning_wrong_number_of_values():
    with pytest.raises(ValueError, match=r"must return one value per sample: got 1 values"):
        ce.minimize(lambda X: np.float64(1.0), normal(), n_samples=100, vectorized=True)
    with pytest.raises(ValueError, match=r"must return one number per sample, .* pass vectorized"):
        ce.minimize(lambda x: np.ones(2), normal(), n_samples=100)


def test_progress_bar_on_stderr_only_on_request(capsys):
    ce.minimize(shifted_sphere, normal(), n_samples=50, vectorized=True, max_iter=3, rng=0)
    assert capsys.readouterr() == ("", "")
    ce.minimize(
        shifted_sphere, normal(), n_samples=50, vectorized=True, max_iter=3, progress=True, rng=0
    )
    out, err = capsys.readouterr()
    assert out == "" and err.count("\r") == 3 and err.endswith("\n")
    assert "100% iter 3  nfev 150" in err


# ---------------------------------------------------------------- defaults on hard functions
def start_mvn(fn, d: int, seed: int) -> ce.MultivariateNormal:
    x0 = np.random.default_rng(seed).uniform(fn.lower, fn.upper, d)
    return ce.MultivariateNormal(x0, np.eye(d) * ((fn.upper - fn.lower) / 2) ** 2)


@pytest.mark.parametrize("csa", [None, False])
def test_rosenbrock_d10_with_either_step_size_rule(csa):
    # The valley needs a full covariance and a step size that follows it
    fn = functions.rosenbrock
    res = ce.minimize(
        fn, start_mvn(fn, 10, 0), vectorized=True, target=1e-8, max_evals=100_000, csa=csa, rng=0
    )
    assert res.status == "target" and res.fun < 1e-8
    np.testing.assert_allclose(res.x, fn.x_opt(10), atol=1e-3)
    if csa is None:  # the default: the path rule shrinks the distribution on the way in
        assert res.n_restarts == 0 and np.all(res.history.n_samples == 10)
        assert res.history.scale[-1] < 1e-6 and np.all(res.history.alpha == 1.0)
    else:  # AMaLGaM's rule: the multiplier widens the distribution in the valley
        assert res.history.scale.max() > 1.0


def test_rastrigin_d10_needs_restarts_with_growing_batches():
    fn = functions.rastrigin
    res = ce.minimize(
        fn, start_mvn(fn, 10, 1), vectorized=True, target=1e-8, max_evals=100_000, rng=1
    )
    assert res.status == "target" and res.n_restarts >= 1
    sizes = [res.history.n_samples[res.history.restart == r][0] for r in range(res.n_restarts)]
    # CMA-ES's 4 + floor(3 ln 10) = 10 first, then doubling (IPOP)
    assert sizes == [10 * 2**r for r in range(res.n_restarts)]
    single = ce.minimize(
        fn,
        start_mvn(fn, 10, 1),
        vectorized=True,
        target=1e-8,
        max_evals=100_000,
        restarts=0,
        rng=1,
    )
    assert single.status in ("flat", "degenerate") and single.fun > 0.5  # a local minimum


def test_variance_scaling_off_keeps_scale_one():
    res = ce.minimize(
        shifted_sphere,
        normal(),
        n_samples=100,
        vectorized=True,
        max_iter=20,
        variance_scaling=False,
        rng=0,
    )
    assert np.all(res.history.scale == 1.0)


def test_time_limit_stops_and_allows_restarts():
    def slow(X):
        time.sleep(0.02)
        return np.zeros(len(X))  # flat: every iteration converges, so restarts follow

    res = ce.minimize(slow, normal(), n_samples=20, vectorized=True, time_limit=0.2, rng=0)
    assert res.status == "time_limit" and not res.success
    assert res.n_restarts >= 2  # restarts continue while time is left
    assert res.message == "The time limit (time_limit) was reached."
    with pytest.raises(ValueError, match=r"`0 < time_limit` must hold, but got time_limit=0"):
        ce.minimize(slow, normal(), n_samples=20, vectorized=True, time_limit=0.0)


def test_improve_hook_replaces_rows_before_the_update():
    seen = []

    def snap_best_to_optimum(X, values):
        i = int(np.argmin(values))
        X = X.copy()
        X[i] = 1.0  # a "local search" that lands on the optimum
        values = values.copy()
        values[i] = 0.0
        seen.append(len(X))
        return X, values

    res = ce.minimize(
        shifted_sphere,
        normal(),
        n_samples=50,
        vectorized=True,
        max_iter=1,
        improve=snap_best_to_optimum,
        rng=0,
    )
    assert seen == [50] and res.fun == 0.0 and np.array_equal(res.x, np.ones(3))
    with pytest.raises(TypeError, match=r"`improve` must be callable or None, but got improve=3"):
        ce.minimize(shifted_sphere, normal(), n_samples=50, improve=3)


def test_anticipated_mean_shift_moves_faster_down_a_slope():
    # the sphere centred 40 standard deviations away: a long slope to follow
    far = lambda X: ((X - 80.0) ** 2).sum(axis=1)  # noqa: E731
    runs = {
        shift: ce.minimize(
            far,
            ce.MultivariateNormal(np.zeros(5), 4.0 * np.eye(5)),
            vectorized=True,
            target=1e-8,
            max_evals=200_000,
            mean_shift=shift,
            csa=False,
            rng=1,
        )
        for shift in (False, True)
    }
    assert all(r.status == "target" for r in runs.values())
    assert runs[True].nfev < 0.8 * runs[False].nfev
    # on by default for an unbounded Gaussian with variance scaling, off otherwise
    assert ce.CrossEntropy(ce.Normal([0.0], [1.0])).mean_shift
    assert not ce.CrossEntropy(ce.Normal([0.0], [1.0], lower=-1.0)).mean_shift
    assert not ce.CrossEntropy(ce.Normal([0.0], [1.0]), variance_scaling=False).mean_shift


@pytest.mark.parametrize(
    ("family", "value", "error", "match"),
    [
        (ce.Normal([0.0], [1.0], lower=-1.0), True, ValueError, r"`mean_shift=True` needs"),
        (ce.Normal([0.0], [1.0]), "yes", TypeError, r"`mean_shift` must be True, False or None"),
    ],
)
def test_mean_shift_bad_input(family, value, error, match):
    with pytest.raises(error, match=match):
        ce.CrossEntropy(family, mean_shift=value)

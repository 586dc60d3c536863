"""Scoring: executors, determinism, NaN and exception policy, interruption."""

from __future__ import annotations

import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import cemopt as ce
from objectives import shifted_sphere, shifted_sphere_one


def normal(d: int = 3) -> ce.Normal:
    return ce.Normal(mean=np.zeros(d), std=np.full(d, 3.0))


RUN = {"n_samples": 100, "max_iter": 8, "rng": 5}


def assert_same_run(a: ce.OptimizeResult, b: ce.OptimizeResult) -> None:
    np.testing.assert_array_equal(a.x, b.x)
    assert (a.fun, a.nit, a.nfev) == (b.fun, b.nit, b.nfev)
    np.testing.assert_array_equal(a.history.level, b.history.level)
    for name, value in a.family.params.items():
        np.testing.assert_array_equal(value, b.family.params[name])


def test_thread_pool_gives_identical_result():
    serial = ce.minimize(shifted_sphere, normal(), vectorized=True, **RUN)
    with ThreadPoolExecutor(max_workers=3) as pool:
        threaded = ce.minimize(shifted_sphere, normal(), vectorized=True, executor=pool, **RUN)
        one_by_one = ce.minimize(shifted_sphere_one, normal(), executor=pool, **RUN)
    assert_same_run(serial, threaded)
    assert_same_run(serial, one_by_one)


def test_process_pool_gives_identical_result():
    serial = ce.minimize(shifted_sphere, normal(), vectorized=True, **RUN)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = ce.minimize(shifted_sphere, normal(), vectorized=True, executor=pool, **RUN)
    assert_same_run(serial, parallel)


def test_process_pool_rejects_unpicklable_objective_with_advice():
    with ProcessPoolExecutor(max_workers=1) as pool:
        with pytest.raises(TypeError, match=r"`f` must be picklable .* functools.partial"):
            ce.minimize(lambda X: X.sum(axis=1), normal(), vectorized=True, executor=pool, **RUN)


def test_dask_local_cluster_gives_identical_result():
    distributed = pytest.importorskip("distributed")
    serial = ce.minimize(shifted_sphere, normal(), vectorized=True, **RUN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own start-up/shut-down chatter
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            with distributed.Client(cluster) as client:
                executor = client.get_executor()
                on_dask = ce.minimize(
                    shifted_sphere, normal(), vectorized=True, executor=executor, **RUN
                )
    assert_same_run(serial, on_dask)


def test_evaluator_keeps_order_across_chunks():
    X = np.arange(20.0).reshape(10, 2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        values = ce.Evaluator(lambda x: x[0], executor=pool, n_chunks=3)(X)
    np.testing.assert_array_equal(values, X[:, 0])


def nan_in_corner(X: np.ndarray) -> np.ndarray:
    values = shifted_sphere(X)
    return np.where(X[:, 0] > 2.0, np.nan, values)


def test_nan_scores_are_worst_counted_and_warned_once():
    with pytest.warns(ce.CemoptWarning, match=r"returned NaN") as record:
        res = ce.minimize(nan_in_corner, normal(), vectorized=True, **RUN)
    assert len(record) == 1
    assert res.n_nan > 0 and res.n_nan == res.history.n_nan[-1]
    assert np.isfinite(res.fun) and res.x[0] <= 2.0


def test_all_nan_batch_ends_as_degenerate_elite():
    with pytest.warns(ce.CemoptWarning, match=r"returned NaN"):
        res = ce.minimize(lambda X: np.full(len(X), np.nan), normal(), vectorized=True, **RUN)
    assert res.status == "degenerate elite" and not res.success
    assert res.n_nan == 100 and res.x is None and np.isnan(res.fun)


class Flaky:
    """Raises on every sample whose first coordinate is negative."""

    def __call__(self, x):
        if x[0] < 0:
            raise ArithmeticError("negative")
        return shifted_sphere_one(x)


def test_exception_propagates_unless_caught():
    with pytest.raises(ArithmeticError, match="negative"):
        ce.minimize(Flaky(), normal(), **RUN)
    with pytest.warns(ce.CemoptWarning, match=r"returned NaN"):
        res = ce.minimize(Flaky(), normal(), catch=ArithmeticError, **RUN)
    assert res.n_nan > 0 and res.x[0] >= 0


def test_catch_rejects_keyboard_interrupt_and_non_exceptions():
    with pytest.raises(ValueError, match=r"`catch` must not include KeyboardInterrupt"):
        ce.minimize(shifted_sphere, normal(), catch=(KeyboardInterrupt,), **RUN)
    with pytest.raises(TypeError, match=r"`catch` must be a tuple of exception types"):
        ce.minimize(shifted_sphere, normal(), catch=("oops",), **RUN)
    with pytest.raises(TypeError, match=r"`executor` must be a concurrent.futures.Executor"):
        ce.minimize(shifted_sphere, normal(), executor=object(), **RUN)


class InterruptAfter:
    """Raises KeyboardInterrupt (as Ctrl-C would) on the given call."""

    def __init__(self, calls: int) -> None:
        self.calls, self.left = calls, calls

    def __call__(self, X):
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt
        return shifted_sphere(X)


def test_ctrl_c_returns_best_so_far_marked_interrupted():
    res = ce.minimize(InterruptAfter(3), normal(), vectorized=True, **RUN)
    ref = ce.minimize(shifted_sphere, normal(), vectorized=True, **{**RUN, "max_iter": 3})
    assert res.interrupted and res.status == "interrupted" and not res.success
    assert res.nit == 3 and res.fun == ref.fun
    np.testing.assert_array_equal(res.x, ref.x)

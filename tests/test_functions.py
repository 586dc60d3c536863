"""Test functions: values at known optima and points from the literature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from cemopt.problems import PROBLEMS, functions


@pytest.mark.parametrize(
    "fn", [f for f in functions.FUNCTIONS.values() if f.dims is None], ids=lambda f: f.name
)
@pytest.mark.parametrize("d", [1, 2, 10])
def test_optimum_value(fn, d):
    if fn.name == "rosenbrock" and d == 1:
        pytest.skip("Rosenbrock needs d >= 2")
    assert fn(fn.x_opt(d)) == fn.f_opt
    X = np.random.default_rng(0).uniform(fn.lower, fn.upper, size=(50, d))
    assert np.all(fn(X) >= fn.f_opt)


def test_batch_and_single_point_agree():
    X = np.random.default_rng(1).normal(size=(7, 4))
    for fn in (
        functions.sphere,
        functions.rosenbrock,
        functions.rastrigin,
        functions.ackley,
        functions.griewank,
    ):
        batch = fn(X)
        assert batch.shape == (7,)
        assert [fn(x) for x in X] == pytest.approx(batch.tolist(), rel=1e-15)


def test_reference_values_from_closed_forms():
    # Hand-checkable points: each term evaluated by its textbook formula.
    x = np.array([1.0, 2.0])
    assert functions.sphere(x) == 5.0
    assert functions.rosenbrock(x) == 100.0 * (2.0 - 1.0) ** 2 + 0.0
    assert functions.rastrigin(x) == pytest.approx(20 + 1 + 4 - 10 * (1 + 1), abs=1e-12)
    expected = -20 * np.exp(-0.2 * np.sqrt(2.5)) - np.exp(1.0) + 20 + np.e
    assert functions.ackley(x) == pytest.approx(expected, rel=1e-14)
    expected = 1 + 5 / 4000 - np.cos(1.0) * np.cos(2.0 / np.sqrt(2.0))
    assert functions.griewank(x) == pytest.approx(expected, rel=1e-14)


def test_peaks_maximum_matches_scipy():
    starts = np.random.default_rng(2).uniform(-3, 3, size=(20, 2))
    best = min(
        (
            optimize.minimize(
                lambda v: -functions.peaks(v), s, method="BFGS", options={"gtol": 1e-10}
            )
            for s in starts
        ),
        key=lambda r: r.fun,
    )
    assert -best.fun == pytest.approx(functions.peaks.f_opt, abs=1e-10)
    np.testing.assert_allclose(best.x, functions.peaks.x_opt(2), atol=1e-6)


def test_shapes_checked():
    with pytest.raises(ValueError, match=r"`X` must be one point \(d,\) or a batch \(n, d\)"):
        functions.sphere(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"`X` must have 2 columns for peaks"):
        functions.peaks(np.zeros((4, 3)))


def test_registry_names():
    assert {"sphere", "rosenbrock", "rastrigin", "ackley", "griewank", "peaks", "maxcut"} <= set(
        PROBLEMS
    )
    assert PROBLEMS["rastrigin"]() is functions.rastrigin

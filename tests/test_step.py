"""The CE step: elite selection (ties, NaN), likelihood-ratio weights in log space."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cemopt as ce
from cemopt.step import ce_step, elite_indices, likelihood_ratio_weights, n_elite


def test_elite_is_ceil_of_fraction_with_ties_at_the_level_included():
    values = np.array([5.0, 1.0, 3.0, 3.0, 3.0, 9.0, 0.0, 7.0, 8.0, 6.0])
    elite, level = elite_indices(values, 0.3)  # ceil(3) = 3rd smallest is 3.0
    assert level == 3.0
    assert elite.tolist() == [1, 2, 3, 4, 6]  # all three 3.0s tie at the level


def test_nan_is_never_elite_and_all_nan_is_degenerate():
    values = np.array([np.nan, 2.0, np.nan, 1.0])
    elite, level = elite_indices(values, 0.5)
    assert elite.tolist() == [1, 3] and level == 2.0
    with pytest.raises(ce.DegenerateFitError, match="every score in the batch is NaN"):
        elite_indices(np.full(4, np.nan), 0.5)


def test_level_limit_caps_the_level():
    values = np.array([4.0, 1.0, 2.0, 3.0])
    elite, level = elite_indices(values, 0.25, level_limit=2.5)
    assert level == 2.5 and elite.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("frac", "n", "expected"), [(0.1, 300, 30), (0.1, 1000, 100), (0.2, 109, 22), (0.01, 50, 1)]
)
def test_n_elite(frac, n, expected):
    assert n_elite(frac, n) == expected


def test_likelihood_ratio_weights_are_exact_and_do_not_underflow():
    nominal = ce.Normal([0.0], [1.0])
    proposal = ce.Normal([40.0], [1.0])
    X = np.array([[39.0], [40.0], [41.0]])
    w = likelihood_ratio_weights(nominal, proposal, X)
    # log W = -x^2/2 + (x - 40)^2/2 = 800 - 40 x: ratios exp(-40) between neighbours
    np.testing.assert_allclose(np.log(w), [0.0, -40.0, -80.0], atol=1e-9)
    assert np.exp(800 - 40 * 41.0) == 0.0  # the raw ratio would underflow


def test_step_with_likelihood_ratio_is_weighted_fit():
    rng = np.random.default_rng(0)
    nominal = ce.Exponential([1.0])
    proposal = ce.Exponential([3.0])
    X = proposal.sample(2000, rng)
    out = ce_step(proposal, X, -X[:, 0], elite_frac=0.1, alpha=1.0, nominal=nominal)
    elite = X[out.elite, 0]
    w = np.exp(nominal.logpdf(X[out.elite]) - proposal.logpdf(X[out.elite]))
    np.testing.assert_allclose(
        out.family.params["mean"], [np.sum(w * elite) / np.sum(w)], rtol=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.integers(1, 60),
        elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan), st.sampled_from([0.0, 1.0])),
    ),
    frac=st.floats(0.01, 0.99),
)
def test_elite_selection_properties(values, frac):
    valid = ~np.isnan(values)
    if not valid.any():
        with pytest.raises(ce.DegenerateFitError):
            elite_indices(values, frac)
        return
    elite, level = elite_indices(values, frac)
    others = np.setdiff1d(np.flatnonzero(valid), elite)
    assert valid[elite].all()  # NaN never elite
    assert np.all(values[elite] <= level) and np.all(values[others] > level)
    assert elite.size >= min(n_elite(frac, values.size), valid.sum())  # ties may add more
    assert level in values[valid]

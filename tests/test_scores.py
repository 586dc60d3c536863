"""Scores must be real numbers: what the objective returns, and what ``tell`` is given.

Complex values are not cut to their real part, numeric strings are not parsed and None
is not turned into NaN; each raises a TypeError that names the objective (or
``values``) and the value. ``tell`` with an empty batch raises and leaves the run as it
was (it does not end it): a demanding user expects a bug in their loop to be reported
at once, and a run not to stop because one batch was empty.
"""

from __future__ import annotations

import numpy as np
import pytest

import cemopt as ce
from cemopt.evaluate import Evaluator


def my_objective(X):
    return np.sum(X, axis=1) + 1j


BAD = [
    (lambda X: np.sum(X, axis=1) + 2j, r"complex values \(e\.g\. \(-?[\d.e-]+\+2j\)\); return "
     "the real part or the modulus explicitly"),
    (lambda X: np.zeros(len(X), complex), r"complex values \(e\.g\. 0j\)"),
    (lambda X: ["1.5"] * len(X), r"strings \(e\.g\. '1\.5'\); convert them with float\(\)"),
    (lambda X: [None] * len(X), r"None\."),
    (lambda X: [1.0] * (len(X) - 1) + [None], r"None\."),
    (lambda X: [object()] * len(X), r"object <object object"),
]  # fmt: skip


@pytest.mark.parametrize(("f", "message"), BAD)
def test_vectorised_objective_must_return_real_numbers(f, message):
    family = ce.Normal(np.zeros(2), np.ones(2))
    with pytest.raises(TypeError, match=r"The objective `.*<lambda>` must return real "
                       r"numbers, but got " + message):  # fmt: skip
        ce.minimize(f, family, n_samples=20, max_iter=2, vectorized=True, rng=0)


@pytest.mark.parametrize("value", [1 + 0j, "1.5", None, b"1"])
def test_per_sample_objective_must_return_a_real_number(value):
    with pytest.raises(TypeError, match=r"The objective `.*<lambda>` must return real"):
        ce.minimize(lambda x: value, ce.Normal([0.0], [1.0]), n_samples=20, max_iter=2, rng=0)


def test_the_message_names_the_objective():
    with pytest.raises(TypeError, match=r"The objective `my_objective` must return real"):
        Evaluator(my_objective, vectorized=True)(np.zeros((3, 2)))


def test_real_numbers_of_every_kind_are_accepted():
    X = np.zeros((3, 1))
    for values in ([1, 2, 3], [True, False, True], np.float32([1, 2, 3]), [np.int64(1)] * 3,
                   [1.0, np.nan, 2.0], np.array([[1.0], [2.0], [3.0]])):  # fmt: skip
        out = Evaluator(lambda X, v=values: v, vectorized=True)(X)
        assert out.dtype == float and out.shape == (3,)
    assert Evaluator(lambda x: np.float32(2.5))(X).tolist() == [2.5] * 3


@pytest.mark.parametrize(
    ("values", "message"),
    [([1j] * 10, "complex values"), (["1"] * 10, "strings"), ([None] * 10, "None"),
     (list(range(9)) + [None], "None")],
)  # fmt: skip
def test_tell_rejects_scores_that_are_not_real_and_keeps_the_run(values, message):
    opt = ce.CrossEntropy(ce.Normal(np.zeros(2), np.ones(2)), n_samples=10, rng=0)
    X = opt.ask()
    with pytest.raises(TypeError, match=r"`values` \(the scores told\) must be real numbers, "
                       r"but got " + message):  # fmt: skip
        opt.tell(X, values)
    assert not opt.stop() and opt.nfev == 0
    opt.tell(X, np.arange(10.0))
    assert opt.nit == 1 and opt.nfev == 10


@pytest.mark.parametrize(
    "make",
    [
        lambda: ce.CrossEntropy(ce.Normal(np.zeros(2), np.ones(2)), n_samples=10, rng=0),
        lambda: ce.RareEventCE(ce.Normal(np.zeros(2), np.ones(2)), 3.0, n_samples=100, rng=0),
    ],
    ids=["CrossEntropy", "RareEventCE"],
)
def test_tell_with_an_empty_batch_raises_and_does_not_end_the_run(make):
    opt = make()
    X = opt.ask()
    with pytest.raises(ValueError, match=r"`X` must hold at least one sample, but got an empty"):
        opt.tell(X[:0], np.zeros(0))
    assert not opt.stop() and opt.nfev == 0
    opt.tell(X, X.sum(axis=1))  # the run goes on
    assert opt.nfev == len(X)

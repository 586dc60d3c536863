"""The one CE loop: what minimize and estimate share (budgets, time limits inside a
batch, Ctrl-C, callbacks, progress, checkpoints), checked on both."""

from __future__ import annotations

import math
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

import cemopt as ce
from objectives import row_sum, shifted_sphere


def exponential_sum(n: int = 5, gamma: float = 30.0) -> tuple[ce.Exponential, float, float]:
    """Exp(1)^n with the exact tail P(sum >= gamma) (a Gamma(n) survival function)."""
    return ce.Exponential(np.ones(n)), gamma, float(stats.gamma.sf(gamma, n))


class CallCounter:
    """S that counts calls; raises KeyboardInterrupt or sleeps past a deadline on one."""

    def __init__(self, f=row_sum, *, interrupt_at=None, sleep_at=None, sleep=0.0):
        self.f, self.calls = f, 0
        self.interrupt_at, self.sleep_at, self.sleep = interrupt_at, sleep_at, sleep

    def __call__(self, X):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        if self.calls == self.sleep_at:
            time.sleep(self.sleep)
        return self.f(X)


# ------------------------------------------------------------------ max_evals
@pytest.mark.parametrize("max_evals", [3_000, 6_000, 20_000])
def test_estimate_within_max_evals_is_right_or_says_it_could_not(max_evals):
    nominal, gamma, exact = exponential_sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = ce.estimate(row_sum, nominal, gamma, max_evals=max_evals, rng=11)
    assert est.nfev <= max_evals
    assert [w.message.args[0] for w in caught] == ([] if est.success else [est.message])
    if est.success:
        assert abs(est.probability - exact) <= 4 * est.std_error
        assert est.n_final == max_evals - est.history.nfev[-1]  # the final got what was left
    else:
        assert est.status == "max_evals" and math.isnan(est.probability)


def test_estimate_budget_levels_stop_honestly():
    nominal, _, _ = exponential_sum()
    with pytest.warns(ce.ConvergenceWarning, match="within the evaluations max_evals leaves"):
        est = ce.estimate(row_sum, nominal, 80.0, max_evals=4_000, rng=0)  # p ~ 1e-28
    assert est.status == "max_evals" and not est.success and est.nfev <= 4_000
    assert math.isnan(est.probability) and est.n_final == 0


def test_estimate_explicit_n_final_is_reserved_within_max_evals():
    nominal, gamma, exact = exponential_sum()
    est = ce.estimate(row_sum, nominal, gamma, max_evals=12_000, n_final=6_000, rng=1)
    assert est.success and est.n_final == 6_000 and est.nfev <= 12_000
    assert abs(est.probability - exact) <= 4 * est.std_error


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_evals": 1500}, r"`max_evals >= 2000` must hold, but got max_evals=1500"),
        ({"max_evals": 5000, "n_final": 4500}, r"`max_evals >= 5500` must hold"),
    ],
)
def test_estimate_budget_too_small_for_a_level_and_a_final_sample(kwargs, match):
    nominal, gamma, _ = exponential_sum()
    with pytest.raises(ValueError, match=match):
        ce.estimate(row_sum, nominal, gamma, **kwargs)


# ------------------------------------------------------------------ time_limit
def test_minimize_time_limit_is_checked_inside_a_batch():
    # one call of f sleeps past the limit: the run stops at the next sample, keeping
    # every evaluation made, without waiting for the batch (200 samples) to end
    f = CallCounter(lambda x: float(np.sum((x - 1.0) ** 2)), sleep_at=30, sleep=0.3)
    res = ce.minimize(f, ce.Normal(np.zeros(2), np.ones(2)), n_samples=200, time_limit=0.2, rng=0)
    assert res.status == "time_limit" and not res.success
    assert res.nfev == f.calls == 30 and res.nit == 0 and np.isfinite(res.fun)


def test_a_batch_that_cannot_be_drawn_in_time_is_not_started(monkeypatch):
    # a sampler that takes 0.2 s a batch and a limit of 0.5 s: the third batch would
    # end at 0.6 s, so the run stops after two (a sampler cannot be cut part way)
    draws, sample = [], ce.Normal.sample

    def slow(self, n, rng=None):
        draws.append(n)
        time.sleep(0.2)
        return sample(self, n, rng)

    monkeypatch.setattr(ce.Normal, "sample", slow)
    family = ce.Normal(np.zeros(2), np.ones(2))
    res = ce.minimize(row_sum, family, vectorized=True, n_samples=20, time_limit=0.5, rng=0)
    assert res.status == "time_limit" and draws == [20, 20] and res.nit == 2


def test_estimate_time_limit_in_the_final_sample_uses_the_draws_made():
    nominal, gamma, exact = exponential_sum()
    plain = ce.estimate(row_sum, nominal, gamma, n_final=20_000, rng=2)
    n_level_batches = int(plain.history.n_batches.sum())
    # sleep past the limit during the 6th batch of the final sample (vectorised: the
    # deadline is checked before each block of 1024 rows)
    S = CallCounter(sleep_at=n_level_batches + 6, sleep=1.2)
    est = ce.estimate(S, nominal, gamma, n_final=20_000, time_limit=1.0, rng=2)
    assert est.status == "time_limit" and est.n_final == 6_000 < 20_000
    assert est.success and "cut to 6000 of 20000 draws" in est.message
    assert abs(est.probability - exact) <= 4 * est.std_error
    np.testing.assert_array_equal(est.levels, plain.levels)  # the same run up to the cut


def test_estimate_time_limit_during_the_levels_gives_no_estimate():
    nominal, gamma, _ = exponential_sum()
    with pytest.warns(ce.ConvergenceWarning, match="No level had reached gamma"):
        est = ce.estimate(CallCounter(sleep_at=2, sleep=0.3), nominal, gamma, time_limit=0.2, rng=2)
    assert est.status == "time_limit" and not est.success and math.isnan(est.probability)
    # the second level batch was scored (one block of 1000 rows) and fitted; then the
    # clock had run out
    assert est.nfev == 2000 and len(est.levels) == 2


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_in_the_first_batch_keeps_the_evaluations_made():
    f = CallCounter(lambda x: float(np.sum((x - 1.0) ** 2)), interrupt_at=38)
    res = ce.minimize(f, ce.Normal(np.zeros(2), np.ones(2)), n_samples=100, rng=0)
    assert res.status == "interrupted" and res.interrupted
    assert res.nfev == 37 and res.nit == 0 and np.isfinite(res.fun)
    X = ce.Normal(np.zeros(2), np.ones(2)).sample(100, np.random.default_rng(0))[:37]
    assert res.fun == pytest.approx(shifted_sphere(X).min(), rel=1e-15)


def test_ctrl_c_in_the_final_sample_returns_the_estimate_so_far():
    nominal, gamma, exact = exponential_sum()
    plain = ce.estimate(row_sum, nominal, gamma, n_final=20_000, rng=3)
    S = CallCounter(interrupt_at=int(plain.history.n_batches.sum()) + 9)
    est = ce.estimate(S, nominal, gamma, n_final=20_000, rng=3)
    assert est.status == "interrupted" and est.interrupted and est.n_final == 8_000
    if est.success:
        assert abs(est.probability - exact) <= 4 * est.std_error


# ------------------------------------------------------------------ callback, progress
def test_callback_after_every_iteration_the_last_one_included():
    seen = []
    res = ce.minimize(
        shifted_sphere,
        ce.Normal(np.zeros(2), np.ones(2)),
        n_samples=50,
        vectorized=True,
        max_iter=6,
        callback=lambda r: seen.append((r.nit, r.status)),
        rng=0,
    )
    assert [nit for nit, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert seen[-1][1] == res.status == "max_iter"


def test_estimate_callback_sees_every_batch_and_can_stop_on_precision():
    nominal, gamma, exact = exponential_sum()
    seen = []

    def enough(est):
        seen.append(est)
        return est.n_final > 0 and est.relative_error < 0.03

    est = ce.estimate(row_sum, nominal, gamma, n_final=100_000, callback=enough, rng=4)
    assert est.status == "callback" and est.success and est.n_final < 100_000
    assert est.relative_error < 0.03 and abs(est.probability - exact) <= 4 * est.std_error
    assert seen[-1].status == "running" and est.nfev == seen[-1].nfev  # it saw the last batch
    levels = [s for s in seen if s.n_final == 0]
    assert all(math.isnan(s.probability) and s.status == "running" for s in levels)


def test_estimate_progress_bar(capsys):
    nominal, gamma, _ = exponential_sum()
    ce.estimate(row_sum, nominal, gamma, n_final=3_000, progress=True, rng=5)
    err = capsys.readouterr().err
    assert "level" in err and "final 3000/3000" in err and err.endswith("\n")


# ------------------------------------------------------------------ checkpoints
@pytest.mark.parametrize("where", ["levels", "final", "middle of a batch"])
def test_estimate_interrupted_and_resumed_is_bit_identical(tmp_path, where):
    nominal, gamma, _ = exponential_sum()
    options = {"n_samples": 500, "n_final": 5_000}
    full = ce.estimate(row_sum, nominal, gamma, rng=6, **options)
    n_levels = int(full.history.n_batches.sum())
    path = tmp_path / "est.npz"
    if where == "middle of a batch":  # one sample at a time: Ctrl-C at a row inside a batch
        S = CallCounter(lambda x: float(np.sum(x)), interrupt_at=500 * n_levels + 1234)
        cut = ce.estimate(S, nominal, gamma, vectorized=False, checkpoint=path, rng=6, **options)
        assert cut.n_final == 1233  # the rows scored before Ctrl-C joined the estimate
    elif where == "final":
        S = CallCounter(interrupt_at=n_levels + 3)
        cut = ce.estimate(S, nominal, gamma, checkpoint=path, rng=6, **options)
        assert cut.n_final == 1000
    else:
        with pytest.warns(ce.ConvergenceWarning, match="Interrupted"):
            cut = ce.estimate(
                CallCounter(interrupt_at=2), nominal, gamma, checkpoint=path, rng=6, **options
            )
    # interrupted in the final sample, the estimate so far is honest (success) if its
    # checks pass; interrupted in the levels there is none
    assert cut.status == "interrupted" and cut.success == (where != "levels")
    resumed = ce.estimate(row_sum, nominal, gamma, resume=path, checkpoint=path, **options)
    assert (resumed.probability, resumed.std_error, resumed.nfev, resumed.status) == (
        full.probability,
        full.std_error,
        full.nfev,
        full.status,
    )
    for name in ("level", "n_elite", "elite_ess", "n_batches", "nfev", "entropy", "kl"):
        np.testing.assert_array_equal(getattr(resumed.history, name), getattr(full.history, name))
    np.testing.assert_array_equal(resumed.proposal.mean, full.proposal.mean)


def test_minimize_ctrl_c_in_the_middle_of_a_batch_then_resume_is_bit_identical(tmp_path):
    # one sample at a time, Ctrl-C at the 17th sample of the third batch: the checkpoint
    # holds the state after the second, and the resumed run draws the third again
    def f(x):
        return float(np.sum((x - 1.0) ** 2))

    family = ce.Normal(np.zeros(2), np.full(2, 2.0))
    options = {"n_samples": 60, "max_iter": 8, "patience": 0, "rng": 4}
    full = ce.minimize(f, family, **options)
    path = tmp_path / "run.npz"
    cut = ce.minimize(CallCounter(f, interrupt_at=2 * 60 + 17), family, checkpoint=path, **options)
    assert cut.status == "interrupted" and cut.nit == 2 and cut.nfev == 2 * 60 + 16
    resumed = ce.minimize(f, family, resume=path, **options)
    assert (resumed.fun, resumed.nfev, resumed.nit, resumed.status) == (
        full.fun,
        full.nfev,
        full.nit,
        full.status,
    )
    np.testing.assert_array_equal(resumed.x, full.x)
    for name, column in full.history.as_dict().items():
        np.testing.assert_array_equal(getattr(resumed.history, name), column, err_msg=name)


def test_estimate_resume_refuses_another_nominal(tmp_path):
    nominal, gamma, _ = exponential_sum()
    path = tmp_path / "est.npz"
    with pytest.warns(ce.ConvergenceWarning, match="Interrupted"):
        ce.estimate(CallCounter(interrupt_at=3), nominal, gamma, checkpoint=path, rng=0)
    with pytest.raises(
        ValueError, match=r"`nominal` must have the dimension .* dim 5, but got dim 4"
    ):
        ce.estimate(row_sum, ce.Exponential(np.ones(4)), gamma, resume=path)
    with pytest.raises(ValueError, match=r"`gamma` must match the checkpoint .* gamma=30.0"):
        ce.estimate(row_sum, nominal, 31.0, resume=path)


def test_checkpoint_writes_one_iteration_per_save(tmp_path):
    # the state file keeps its size and the history log grows by one record per
    # iteration: a write costs O(one iteration), not O(history)
    path = tmp_path / "run.npz"
    sizes = []

    def measure(result):
        sizes.append((path.stat().st_size, (tmp_path / "run.npz.rows").stat().st_size))

    ce.minimize(
        shifted_sphere,
        ce.Normal(np.zeros(3), np.ones(3)),
        n_samples=30,
        vectorized=True,
        max_iter=120,
        degeneracy_tol=None,
        value_tol=None,
        checkpoint=path,
        callback=measure,
        rng=0,
    )
    npz, rows = np.array(sizes[:-1]).T  # the last write also records why the run stopped
    record = 8 * len(ce.History.__dataclass_fields__) - 8  # float64 per column, params aside
    assert np.all(np.diff(rows) == record)
    assert npz.max() - npz.min() < 64  # numbers of a few more digits, nothing that grows
    assert npz.max() < 4096


# ------------------------------------------------------------------ minimal families
@dataclass(frozen=True)
class MinimalNormal:
    """A user family with only the four protocol methods: N(mean, 1) in one dimension."""

    mean: float

    def sample(self, n, rng):
        return rng.normal(self.mean, 1.0, size=(n, 1))

    def logpdf(self, x):
        return stats.norm.logpdf(np.asarray(x)[:, 0], self.mean, 1.0)

    def fit(self, x, weights=None):
        w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
        return MinimalNormal(float(w @ np.asarray(x)[:, 0] / w.sum()))

    def blend(self, previous, alpha):
        return MinimalNormal(alpha * self.mean + (1 - alpha) * previous.mean)


def test_a_four_method_family_runs_minimize():
    res = ce.minimize(
        lambda X: (X[:, 0] - 3.0) ** 2, MinimalNormal(0.0), n_samples=200, vectorized=True, rng=0
    )
    assert abs(res.family.mean - 3.0) < 0.1 and res.x_mode is None
    assert np.all(np.isnan(res.history.degeneracy)) and np.all(np.isnan(res.history.entropy))


def test_a_four_method_family_runs_estimate():
    # P(X >= 5) for X ~ N(0, 1): 2.87e-7, with the minimal family as nominal and proposal
    est = ce.estimate(lambda X: X[:, 0], MinimalNormal(0.0), 5.0, n_final=20_000, rng=0)
    assert est.success and abs(est.probability - stats.norm.sf(5.0)) <= 4 * est.std_error


def test_scale_smoothing_needs_a_family_that_takes_it():
    with pytest.raises(TypeError, match=r"`scale_smoothing` needs a family whose blend takes"):
        ce.estimate(lambda X: X[:, 0], MinimalNormal(0.0), 5.0, scale_smoothing=0.5)
    with pytest.raises(TypeError, match=r"`scale_smoothing` needs a family whose blend takes"):
        ce.minimize(lambda X: X[:, 0], MinimalNormal(0.0), n_samples=50, scale_smoothing=0.5)


def test_checkpoint_needs_params_and_says_so_before_any_work(tmp_path):
    calls = []
    with pytest.raises(TypeError, match=r"Checkpoints need a family with `params`"):
        ce.minimize(
            lambda X: calls.append(1) or X[:, 0],
            MinimalNormal(0.0),
            n_samples=50,
            vectorized=True,
            checkpoint=tmp_path / "run.npz",
        )
    assert not calls


# ------------------------------------------------------------------ seed alone
def blas_objective(X: np.ndarray) -> np.ndarray:
    """A matrix product, whose last bits can depend on how many rows BLAS sees."""
    A = np.random.default_rng(123).standard_normal((X.shape[1], 64))
    return np.log1p(((X @ A) ** 2).sum(axis=1))


@pytest.mark.parametrize("n_chunks", [1, 7, 64])
def test_same_result_for_any_number_of_chunks_with_a_blas_objective(n_chunks):
    family = ce.Normal(np.zeros(20), np.ones(20))
    options = {"n_samples": 3000, "vectorized": True, "max_iter": 4, "block_size": 256, "rng": 9}
    serial = ce.minimize(blas_objective, family, **options)
    score = ce.Evaluator(blas_objective, vectorized=True, block_size=256, n_chunks=n_chunks)
    with ThreadPoolExecutor(max_workers=4) as pool:
        score.executor = pool
        X = family.sample(3000, np.random.default_rng(1))
        np.testing.assert_array_equal(
            score(X), ce.Evaluator(blas_objective, vectorized=True, block_size=256)(X)
        )
        res = ce.minimize(blas_objective, family, executor=pool, **options)
    assert res.fun == serial.fun and res.nfev == serial.nfev
    np.testing.assert_array_equal(res.x, serial.x)


def test_blocks_do_not_depend_on_the_cpu_count(monkeypatch):
    seen = []

    def recording(X):
        seen.append(len(X))
        return row_sum(X)

    X = np.ones((2500, 3))
    for cpus in (2, 64):
        monkeypatch.setattr("os.cpu_count", lambda cpus=cpus: cpus)
        with ThreadPoolExecutor(max_workers=2) as pool:
            ce.Evaluator(recording, vectorized=True, executor=pool)(X)
    assert sorted(seen) == sorted([1024, 1024, 452] * 2)

"""Checkpoints: a plain file, and resume ends bit-identical to the uninterrupted run."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import cemopt as ce
from cemopt.problems import functions
from objectives import shifted_sphere

RUN = {"n_samples": 60, "vectorized": True, "max_iter": 12, "patience": 3, "restarts": 1}


def start() -> ce.Product:
    return ce.Product(
        x=ce.Normal(mean=np.zeros(3), std=np.full(3, 3.0)),
        k=ce.Bernoulli(np.full(4, 0.5)),
    )


def mixed(X: dict) -> np.ndarray:
    return shifted_sphere(X["x"]) + X["k"].sum(axis=1)


class InterruptAfter:
    def __init__(self, calls: int) -> None:
        self.left = calls

    def __call__(self, X):
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt
        return mixed(X)


@pytest.mark.parametrize("k", [1, 5, 9])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, k):
    path = tmp_path / "run.npz"
    full = ce.minimize(mixed, start(), rng=3, **RUN)
    cut = ce.minimize(InterruptAfter(k), start(), rng=3, checkpoint=path, **RUN)
    assert cut.interrupted and cut.nit == k
    resumed = ce.minimize(mixed, start(), resume=path, checkpoint=path, **RUN)
    assert (resumed.fun, resumed.nit, resumed.nfev, resumed.status) == (
        full.fun,
        full.nit,
        full.nfev,
        full.status,
    )
    for part in ("x", "k"):
        np.testing.assert_array_equal(resumed.x[part], full.x[part])
        for name, value in full.family.params[part].items():
            np.testing.assert_array_equal(resumed.family.params[part][name], value)
    for name, column in full.history.as_dict().items():
        np.testing.assert_array_equal(getattr(resumed.history, name), column, err_msg=name)


def test_checkpoint_is_plain_npz_with_json(tmp_path):
    path = tmp_path / "run.npz"
    ce.minimize(mixed, start(), rng=3, checkpoint=path, **{**RUN, "max_iter": 2})
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "__json__.npy" in names and not any(n.endswith(".pkl") for n in names)
    with np.load(path, allow_pickle=False) as data:
        document = json.loads(data["__json__"].tobytes().decode("utf-8"))
    assert document["format"] == "cemopt-checkpoint"
    assert document["state"]["__dict__"]["counters"]["__dict__"]["nit"] == 2


def test_resume_with_different_settings_names_the_setting(tmp_path):
    path = tmp_path / "run.npz"
    ce.minimize(mixed, start(), rng=3, checkpoint=path, **{**RUN, "max_iter": 2})
    with pytest.raises(
        ValueError,
        match=r"`elite_frac` must match the checkpoint .* "
        r"elite_frac=0.1, but got elite_frac=0.2",
    ):
        ce.minimize(mixed, start(), resume=path, elite_frac=0.2, **RUN)


def test_resume_can_extend_a_finished_run(tmp_path):
    path = tmp_path / "run.npz"
    short = ce.minimize(mixed, start(), rng=3, checkpoint=path, **{**RUN, "max_iter": 4})
    assert short.status == "max_iter"
    longer = ce.minimize(mixed, start(), resume=path, **{**RUN, "max_iter": 6})
    full = ce.minimize(mixed, start(), rng=3, **{**RUN, "max_iter": 6})
    assert longer.nit == 6 and longer.fun == full.fun


def test_missing_or_foreign_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"`resume` must name an existing checkpoint"):
        ce.minimize(mixed, start(), resume=tmp_path / "nope.npz", **RUN)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ValueError, match=r"is not a cemopt checkpoint"):
        ce.minimize(mixed, start(), resume=foreign, **RUN)


class InterruptRosenbrockAfter:
    def __init__(self, calls: int) -> None:
        self.left = calls

    def __call__(self, X):
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt
        return functions.rosenbrock(X)


def test_resume_keeps_variance_scaling_and_restart_state(tmp_path):
    # Rosenbrock from a fixed start: the variance multiplier moves and restarts happen,
    # so both must be in the checkpoint for the resumed run to match.
    path = tmp_path / "run.npz"
    family = ce.MultivariateNormal(np.full(4, 3.0), 16.0 * np.eye(4))
    run = {"vectorized": True, "n_samples": 40, "max_evals": 6000, "rng": 5}
    full = ce.minimize(functions.rosenbrock, family, **run)
    assert full.history.scale.max() > 1.0 and full.n_restarts >= 1
    cut = ce.minimize(InterruptRosenbrockAfter(37), family, checkpoint=path, **run)
    assert cut.interrupted
    resumed = ce.minimize(functions.rosenbrock, family, resume=path, **run)
    assert (resumed.fun, resumed.nfev, resumed.n_restarts) == (full.fun, full.nfev, full.n_restarts)
    np.testing.assert_array_equal(resumed.history.scale, full.history.scale)
    np.testing.assert_array_equal(resumed.family.params["cov"], full.family.params["cov"])


def test_resume_with_schedules(tmp_path):
    path = tmp_path / "run.npz"
    run = {**RUN, "max_iter": 6}
    for schedule in (ce.DynamicSmoothing(beta=0.8, q=5), lambda t: 0.5):
        full = ce.minimize(mixed, start(), rng=3, scale_smoothing=schedule, **run)
        ce.minimize(
            InterruptAfter(3), start(), rng=3, checkpoint=path, scale_smoothing=schedule, **run
        )
        resumed = ce.minimize(mixed, start(), resume=path, scale_smoothing=schedule, **run)
        assert (resumed.fun, resumed.nfev) == (full.fun, full.nfev)
    with pytest.raises(ValueError, match=r"`scale_smoothing` must match the checkpoint"):
        ce.minimize(mixed, start(), resume=path, scale_smoothing=0.3, **run)


def test_resume_keeps_the_kl_rule_and_columns(tmp_path):
    """A run stopped by kl_tol resumes to the same stop; kl_tol must match the checkpoint."""
    path = tmp_path / "run.npz"
    run = {"n_samples": 60, "vectorized": True, "patience": 0, "value_tol": None, "kl_tol": 1e-4}

    def ones(X):
        return X.sum(axis=1)

    def interrupted(X):
        if interrupted.left == 0:
            raise KeyboardInterrupt
        interrupted.left -= 1
        return ones(X)

    interrupted.left = 4
    family = ce.Bernoulli(np.full(6, 0.5))
    full = ce.minimize(ones, family, rng=3, **run)
    assert full.status == "kl" and full.history.kl[-1] < 1e-4
    cut = ce.minimize(interrupted, family, rng=3, checkpoint=path, **run)
    assert cut.interrupted and cut.nit == 4
    resumed = ce.minimize(ones, family, resume=path, **run)
    assert (resumed.status, resumed.nit, resumed.fun) == (full.status, full.nit, full.fun)
    for name in ("entropy", "kl"):
        np.testing.assert_array_equal(getattr(resumed.history, name), getattr(full.history, name))
    with pytest.raises(ValueError, match=r"`kl_tol` must match the checkpoint"):
        ce.minimize(ones, family, resume=path, **{**run, "kl_tol": 1e-5})

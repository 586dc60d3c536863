"""cemopt.compare: records, budgets, seeds, summaries and plots, checked against scipy,
exact enumeration and re-drawn random samples."""

from __future__ import annotations

import itertools
import json
import math
from concurrent.futures import ProcessPoolExecutor

import matplotlib
import numpy as np
import pytest
from scipy import optimize

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from cemopt._compare_plots import plot_convergence, plot_ecdf, plot_final_values  # noqa: E402
from cemopt._peers import nevergrad_trap  # noqa: E402
from cemopt.compare import Comparison, Problem, RunRecord, compare  # noqa: E402
from cemopt.problems.functions import rosenbrock, sphere  # noqa: E402
from cemopt.problems.maxcut import MaxCut  # noqa: E402
from cemopt.problems.tsp import TSP  # noqa: E402

BUDGET, DIM, SEEDS = 4000, 3, [0, 1]


def small_maxcut() -> MaxCut:
    problem = MaxCut.synthetic(n=12, m=6, rng=0)
    cuts = np.array(list(itertools.product((0, 1), repeat=12)))
    assert problem.cut_value(cuts).max() == problem.optimum == 36.0  # by enumeration
    return problem


@pytest.fixture(scope="module")
def result() -> Comparison:
    return compare(
        {"sphere": "sphere", "rosenbrock": rosenbrock, "maxcut": small_maxcut()},
        ["cemopt", "random", "differential_evolution"],
        budget=BUDGET,
        seeds=SEEDS,
        dim=DIM,
    )


def test_records_one_per_problem_optimizer_seed(result):
    keys = [(r.problem, r.optimizer, r.seed) for r in result.records]
    assert keys == list(
        itertools.product(
            ["sphere", "rosenbrock", "maxcut"],
            ["cemopt", "random", "differential_evolution"],
            SEEDS,
        )
    )
    for r in result.records:
        assert r.budget == BUDGET and 0 <= r.evaluations <= BUDGET
        assert set(r.as_dict()) == {
            "problem",
            "optimizer",
            "seed",
            "budget",
            "evaluations",
            "best",
            "target",
            "reached",
            "evals_to_target",
            "time",
            "status",
            "error",
        }
    unavailable = result.select("maxcut", "differential_evolution")
    assert [r.status for r in unavailable] == ["unavailable"] * 2
    assert unavailable[0].error == (
        "differential_evolution does not handle binary problems (only continuous)"
    )
    assert all(
        r.status == "ok"
        for r in result.records
        if r.problem != "maxcut" or r.optimizer != "differential_evolution"
    )


def test_traces_are_the_best_so_far(result):
    for r in result.records:
        if r.status != "ok":
            continue
        at = [t[0] for t in r.trace]
        values = np.array([t[1] for t in r.trace])
        assert at[0] == 1 and np.all(np.diff(at) > 0) and at[-1] <= r.evaluations
        # strictly improving, in the problem's sense (a larger cut is better)
        step = np.diff(values) if r.problem == "maxcut" else -np.diff(values)
        assert np.all(step > 0)
        assert values[-1] == r.best


def test_random_search_best_equals_the_redrawn_samples(result):
    # the adapter draws batches of 1000 from default_rng(seed): redraw them here
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        X = np.concatenate([rng.uniform(-5.12, 5.12, (1000, DIM)) for _ in range(4)])
        (record,) = result.select("sphere", "random")[seed : seed + 1]
        assert record.evaluations == BUDGET and not record.reached
        assert record.best == (X**2).sum(axis=1).min()


def test_cemopt_reaches_known_optima(result):
    for r in result.select("maxcut", "cemopt"):
        assert r.reached and r.best == 36.0 and r.target == 36.0
        assert r.evals_to_target <= r.evaluations < BUDGET  # stopped after that batch
    for r in result.select("sphere", "cemopt"):
        assert r.reached and r.best <= 1e-8 and r.target == 1e-8
        assert r.evals_to_target <= r.evaluations < BUDGET


def test_summary_follows_coco_definitions(result):
    rows = {(row["problem"], row["optimizer"]): row for row in result.summary().rows}
    assert len(rows) == 9
    row = rows[("sphere", "differential_evolution")]
    runs = result.select("sphere", "differential_evolution")
    successes = [r.evals_to_target for r in runs if r.reached]
    assert row["successes"] == len(successes) and row["runs"] == 2
    if successes:  # ERT: evaluations to target or to the end of the run, per success
        spent = sum(r.evals_to_target if r.reached else r.evaluations for r in runs)
        assert row["ert"] == spent / len(successes)
    finals = [r.best for r in result.select("maxcut", "random")]
    row = rows[("maxcut", "random")]
    assert row["best"] == max(finals) and row["worst"] == min(finals)  # maximisation
    assert row["median"] == np.median(finals)
    assert rows[("maxcut", "differential_evolution")]["runs"] == 0
    table = result.summary().to_markdown()
    assert table.count("\n") == 10 and "| maxcut | cemopt | 2/2 |" in table


def test_same_seed_same_records_whatever_executor(result):
    again = compare(
        {"sphere": "sphere", "rosenbrock": rosenbrock, "maxcut": small_maxcut()},
        ["cemopt", "random", "differential_evolution"],
        budget=BUDGET,
        seeds=SEEDS,
        dim=DIM,
    )
    with ProcessPoolExecutor(2) as pool:
        farmed = compare(
            ["sphere"], ["cemopt", "random"], budget=BUDGET, seeds=SEEDS, dim=DIM, executor=pool
        )

    def strip(records):
        return [
            (*(v for k, v in r.as_dict().items() if k != "time"), [t[:2] for t in r.trace])
            for r in records
        ]

    assert strip(again.records) == strip(result.records)
    assert strip(farmed.records) == strip(
        [
            r
            for r in result.records
            if r.problem == "sphere" and r.optimizer != "differential_evolution"
        ]
    )


def test_differential_evolution_counted_as_scipy_counts():
    # with room to spare, scipy stops by itself. Its nfev counts calls when vectorised
    # (one per generation), so the reference is the same run one point at a time
    settings = {"tol": 1e-3, "maxiter": 200, "polish": False}
    res = compare(
        "sphere",
        "differential_evolution",
        budget=10**6,
        seeds=[3],
        dim=2,
        stop_at_target=False,
        options={"differential_evolution": settings},
    )
    (record,) = res.records
    x0 = np.random.default_rng(3).uniform(-5.12, 5.12, 2)
    direct = optimize.differential_evolution(
        sphere, [(-5.12, 5.12)] * 2, x0=x0, rng=3, updating="deferred", atol=0, **settings
    )
    assert record.evaluations == direct.nfev < 10**6
    assert record.best == direct.fun


def test_dual_annealing_counted_as_scipy_counts():
    res = compare(
        "rosenbrock", "dual_annealing", budget=1000, seeds=[0], dim=4, stop_at_target=False
    )
    (record,) = res.records
    x0 = np.random.default_rng(0).uniform(-5.0, 10.0, 4)
    direct = optimize.dual_annealing(
        rosenbrock, [(-5.0, 10.0)] * 4, x0=x0, rng=0, maxfun=1000, maxiter=10**9
    )
    assert record.evaluations == direct.nfev == 1000
    assert record.best <= direct.fun  # the counter keeps the best point scipy evaluated


def test_cma_and_permutation_peers():
    pytest.importorskip("cma")
    res = compare("sphere", "cma", budget=3000, seeds=[0], dim=3)
    assert res.records[0].reached and res.records[0].best <= 1e-8
    # an 8-city tour: the optimum by enumerating the 7! tours from city 0
    base = TSP.random_euclidean(8, rng=5)
    tours = np.array([(0, *p) for p in itertools.permutations(range(1, 8))])
    best = base.tour_length(tours).min()
    tsp = TSP(base.distances, optimum=best, name="tsp8")
    res = compare(tsp, ["cemopt", "random", "multistart-ls"], budget=600, seeds=[0])
    for r in res.records:
        assert r.evaluations <= 600 and r.status == "ok"
    assert res.select(optimizer="multistart-ls")[0].reached
    assert res.select(optimizer="cemopt")[0].reached


def test_nevergrad_discrete_on_maxcut_and_traps():
    pytest.importorskip("nevergrad")
    res = compare(
        small_maxcut(), ["nevergrad:DiscreteOnePlusOne", "nevergrad:NGOpt"], budget=2000, seeds=[0]
    )
    one_plus_one, ngopt = res.records
    assert one_plus_one.status == "ok" and one_plus_one.reached and one_plus_one.best == 36.0
    from importlib.metadata import version

    reason = nevergrad_trap("NGOpt", version("nevergrad"), np.__version__)
    if reason is None:
        assert ngopt.status == "ok"
    else:
        assert ngopt.status == "unavailable" and ngopt.error == reason
        assert ngopt.evaluations == 0
    assert "swapped" in nevergrad_trap("NaiveIsoEMNA", "1.0.12", "2.4.0")
    assert nevergrad_trap("NGOpt", "1.0.12", "2.3.1") is None
    assert nevergrad_trap("NaiveIsoEMNA", "1.1.0", "2.4.0") is None
    if reason is not None:
        with pytest.raises(ValueError, match=r"`optimizers`: nevergrad:NGOpt cannot run: "):
            compare(small_maxcut(), "nevergrad:NGOpt", budget=10, seeds=[0], errors="raise")


def test_a_failing_run_is_recorded():
    def flaky(X):
        if flaky.calls >= 2:
            raise RuntimeError("simulator crashed")
        flaky.calls += 1
        return (np.asarray(X) ** 2).sum(axis=1)

    flaky.calls = 0
    problem = Problem("flaky", flaky, "continuous", 2, lower=-1, upper=1, optimum=0.0)
    res = compare(problem, "random", budget=5000, seeds=[0])
    (record,) = res.records
    assert record.status == "error" and record.error == "RuntimeError: simulator crashed"
    assert record.evaluations == 2000 and math.isfinite(record.best)
    flaky.calls = 0
    with pytest.raises(RuntimeError, match="simulator crashed"):
        compare(problem, "random", budget=5000, seeds=[0], errors="raise")


def test_files_and_frames(result, tmp_path):
    result.to_csv(tmp_path / "runs.csv")
    result.to_csv(tmp_path / "trace.csv", what="trace")
    lines = (tmp_path / "runs.csv").read_text().splitlines()
    assert lines[0].startswith("problem,optimizer,seed,budget,evaluations,best")
    assert len(lines) == 1 + len(result.records)
    text = result.to_json(tmp_path / "all.json")
    back = Comparison.from_json(tmp_path / "all.json")
    assert json.loads(text)["budget"] == BUDGET
    assert [r.as_dict() for r in back.records][:4] == result.rows()[:4]
    assert back.records[0].trace == result.records[0].trace
    pd = pytest.importorskip("pandas")
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(result.records)
    assert len(result.to_frame("trace")) == len(result.trace_rows())


def test_plots_save_to_png(result, tmp_path):
    for name, fig in (
        ("convergence", plot_convergence(result)),
        ("time", plot_convergence(result, x="time", problems=["sphere"])),
        ("ecdf", plot_ecdf(result)),
        ("final", plot_final_values(result)),
    ):
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        plt.close(fig)
        assert matplotlib.image.imread(path).shape[2] == 4


def test_ecdf_with_the_final_target_is_the_success_rate(result):
    # one target, the counter's own (f - f* <= 1e-8): the ECDF ends at the success rate
    fig = plot_ecdf(result, targets=[1e-8], groups={"sphere": ["sphere"]})
    lines = {
        line.get_label(): line for line in fig.axes[0].get_lines() if line.get_label()[0] != "_"
    }
    for optimizer in ("cemopt", "random", "differential_evolution"):
        runs = result.select("sphere", optimizer)
        rate = sum(r.reached for r in runs) / len(runs)
        assert lines[optimizer].get_ydata()[-1] == rate
        hits = sorted(r.evals_to_target for r in runs if r.reached)
        assert list(lines[optimizer].get_xdata()[1 : 1 + len(hits)]) == hits
    plt.close(fig)


def test_bad_input():
    with pytest.raises(
        ValueError,
        match=r"`optimizers` must hold names from \[.*\] or "
        r"'nevergrad:<Name>', but got 'bfgs'\.",
    ):
        compare("sphere", ["cemopt", "bfgs"], budget=10)
    with pytest.raises(ValueError, match=r"`problems` must name one of \[.*\], but got 'spehre'\."):
        compare("spehre", "cemopt", budget=10)
    with pytest.raises(ValueError, match=r"`budget >= 1` must hold, but got budget=0\."):
        compare("sphere", "cemopt", budget=0)
    with pytest.raises(TypeError, match=r"`budget` must be an integer, but got budget=10\.5\."):
        compare("sphere", "cemopt", budget=10.5)
    with pytest.raises(
        ValueError,
        match=r"`seeds` must be a non-empty sequence of non-negative "
        r"integers, but got seeds=\[\]\.",
    ):
        compare("sphere", "cemopt", budget=10, seeds=[])
    with pytest.raises(ValueError, match=r"`seeds` must be distinct, but got seeds=\[1, 1\]\."):
        compare("sphere", "cemopt", budget=10, seeds=[1, 1])
    with pytest.raises(ValueError, match=r"`seeds >= 0` must hold, but got seeds=-1\."):
        compare("sphere", "cemopt", budget=10, seeds=[-1])
    with pytest.raises(ValueError, match=r"`optimizers` must have distinct names"):
        compare("sphere", ["cemopt", "cemopt"], budget=10)
    with pytest.raises(ValueError, match=r"`options` must name optimizers being compared"):
        compare("sphere", "cemopt", budget=10, options={"cma": {}})
    with pytest.raises(ValueError, match=r"`target` must name problems being compared"):
        compare("sphere", "cemopt", budget=10, target={"ackley": 1.0})
    with pytest.raises(ValueError, match=r"`dim` must be one of \[2\] for peaks, but got dim=10\."):
        compare("peaks", "cemopt", budget=10)
    with pytest.raises(TypeError, match=r"`problems` must hold names, Problem objects"):
        compare(42, "cemopt", budget=10)
    with pytest.raises(ValueError, match=r"`errors` must be 'record' or 'raise'"):
        compare("sphere", "cemopt", budget=10, errors="ignore")
    with pytest.raises(ValueError, match=r"`kind` must be one of"):
        Problem("p", np.sum, "integer", 2)
    with pytest.raises(ValueError, match=r"`x` must be 'evaluations' or 'time'"):
        plot_convergence(compare("sphere", "random", budget=10, seeds=[0], dim=2), x="seconds")


def test_record_best_at_is_a_step_function():
    r = RunRecord(
        "p",
        "o",
        0,
        10,
        10,
        1.0,
        None,
        False,
        None,
        0.0,
        "ok",
        trace=((1, 5.0, 0.0), (4, 2.0, 0.0), (9, 1.0, 0.0)),
    )
    assert r.best_at([0, 1, 3, 4, 8, 9, 10]).tolist()[1:] == [5.0, 5.0, 2.0, 2.0, 1.0, 1.0]
    assert math.isnan(r.best_at([0])[0])

"""Figures of each result kind: what they draw is the result's own data, and they save.

Each figure is read back from its artists and compared with the arrays it was meant
to draw (the history, the parameters, the confidence interval, the link geometry and
failure probabilities), then saved as a PNG and read with matplotlib's reader.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.image import imread  # noqa: E402

import cemopt as ce  # noqa: E402
from cemopt import plot  # noqa: E402
from cemopt.problems.network_reliability import Network  # noqa: E402
from cemopt.problems.tsp import TSP  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _saved(fig, tmp_path) -> np.ndarray:
    path = tmp_path / "figure.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    return image


def test_matplotlib_is_not_imported_by_the_engine():
    # the library imports matplotlib only inside the plot functions
    import subprocess

    code = "import cemopt, cemopt.plot, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plot_history_draws_the_history(tmp_path):
    res = ce.minimize(
        lambda X: (X**2).sum(axis=1),
        ce.Normal([3.0, -2.0], [1.0, 1.0]),
        n_samples=100,
        vectorized=True,
        max_evals=6000,
        restarts=2,
        patience=3,
        rng=0,
    )
    ax = plot.plot_history(res, title="sphere")
    lines = {line.get_label(): line for line in ax.lines}
    iterations = np.arange(1, res.nit + 1)
    for label, column in (
        ("level", res.history.level),
        ("batch best", res.history.best),
        ("best so far", res.history.best_so_far),
    ):
        np.testing.assert_array_equal(lines[label].get_xdata(), iterations)
        np.testing.assert_array_equal(lines[label].get_ydata(), column)
    # one dotted line per restart, between the iterations of consecutive restarts
    restarts = np.flatnonzero(np.diff(res.history.restart)) + 1.5
    marks = [line.get_xdata()[0] for line in ax.lines if line.get_label().startswith("_")]
    np.testing.assert_array_equal(sorted(marks), restarts)
    assert ax.get_yscale() == "log" and ax.get_title() == "sphere"
    _saved(ax.figure, tmp_path)


def test_plot_history_maximisation_is_in_the_callers_sign():
    res = ce.maximize(
        lambda X: X.sum(axis=1), ce.Bernoulli([0.5] * 10), n_samples=50, rng=1, vectorized=True
    )
    ax = plot.plot_history(res)
    best = next(line for line in ax.lines if line.get_label() == "best so far")
    assert best.get_ydata()[-1] == res.fun == 10
    assert ax.get_yscale() == "linear"


def test_plot_params_bernoulli_heatmap_is_p_by_iteration(tmp_path):
    res = ce.maximize(
        lambda X: X.sum(axis=1),
        ce.Bernoulli([0.5] * 7),
        n_samples=60,
        vectorized=True,
        keep_params=True,
        rng=0,
    )
    fig = plot.plot_params(res)
    image = fig.axes[0].images[0]
    np.testing.assert_array_equal(image.get_array(), res.history.params["p"])
    assert image.get_clim() == (0.0, 1.0)
    _saved(fig, tmp_path)


def test_plot_params_normal_means_and_scales():
    res = ce.minimize(
        lambda X: ((X - 1.0) ** 2).sum(axis=1),
        ce.MultivariateNormal([0.0, 0.0, 0.0], 4 * np.eye(3)),
        n_samples=100,
        vectorized=True,
        keep_params=True,
        max_iter=15,
        rng=0,
    )
    fig = plot.plot_params(res)
    means, scales = fig.axes  # lines only: no colour bars
    params = res.history.params
    for j in range(3):
        np.testing.assert_array_equal(means.lines[j].get_ydata(), params["mean"][:, j])
        np.testing.assert_allclose(
            scales.lines[j].get_ydata(), np.sqrt(params["cov"][:, j, j]), rtol=1e-15
        )
    assert scales.get_yscale() == "log" and "sqrt diag cov" in scales.get_title()


def test_plot_params_permutation_matrix_and_categorical():
    problem = TSP.random_euclidean(7, rng=0)
    res = ce.minimize(
        problem.tour_length,
        ce.Permutation(7),
        vectorized=True,
        keep_params=True,
        n_samples=300,
        max_iter=6,
        rng=0,
    )
    fig = plot.plot_params(res, iteration=2)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), res.history.params["P"][2])
    assert fig.axes[0].get_xlabel() == "to node"

    res = ce.minimize(
        lambda X: (X != np.arange(5) % 3).sum(axis=1),
        ce.Categorical(np.full((5, 3), 1 / 3)),
        vectorized=True,
        keep_params=True,
        n_samples=100,
        rng=0,
    )
    probs = res.history.params["probs"]
    fig = plot.plot_params(res)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), probs[-1])
    mode = probs[-1].argmax(axis=1)
    by_iteration = fig.axes[1].images[0].get_array()  # colour bars come after
    np.testing.assert_array_equal(by_iteration, probs[:, np.arange(5), mode])


def test_plot_params_bad_input():
    res = ce.minimize(
        lambda X: (X**2).sum(axis=1),
        ce.Normal([1.0], [1.0]),
        n_samples=20,
        vectorized=True,
        max_iter=2,
        rng=0,
    )
    with pytest.raises(ValueError, match=r"keep_params=True"):
        plot.plot_params(res)
    res = ce.minimize(
        lambda X: (X**2).sum(axis=1),
        ce.Normal([1.0], [1.0]),
        n_samples=20,
        vectorized=True,
        max_iter=2,
        keep_params=True,
        rng=0,
    )
    with pytest.raises(ValueError, match=r"`iteration` must be in \[-2, 1\], but got iteration=5"):
        plot.plot_params(res, iteration=5)
    with pytest.raises(TypeError, match=r"`result` must be an OptimizeResult"):
        plot.plot_params(object())
    with pytest.raises(TypeError, match=r"`result` must be an OptimizeResult"):
        plot.plot_history("not a result")


def test_plot_rare_event_draws_levels_and_the_confidence_interval(tmp_path):
    from cemopt.problems.rare_events import bridge

    model = bridge()
    est = ce.estimate(model.S, model.nominal, model.gamma, n_final=20_000, rng=0)
    fig = plot.plot_rare_event({"CE": est}, exact=model.exact, gamma=model.gamma, level=0.9)
    levels, estimates = fig.axes
    np.testing.assert_array_equal(levels.lines[0].get_ydata(), est.levels)
    assert levels.lines[1].get_ydata()[0] == model.gamma  # the gamma line
    low, high = est.ci(0.9)
    caps = sorted(float(line.get_ydata()[0]) for line in estimates.lines[1:3])
    np.testing.assert_allclose(caps, [low, high], rtol=1e-12)
    assert estimates.lines[0].get_ydata()[0] == est.probability
    assert any(line.get_ydata()[0] == model.exact for line in estimates.lines)
    _saved(fig, tmp_path)


def test_plot_rare_event_crude_without_hits_against_ce():
    S = lambda X: X.sum(axis=1)  # noqa: E731
    nominal = ce.Exponential([1.0] * 3)
    est = ce.estimate(S, nominal, 30.0, n_final=2000, rng=0)
    with pytest.warns(ce.ConvergenceWarning, match="No final sample"):
        crude = ce.crude_monte_carlo(S, nominal, 30.0, n=1000, rng=0)
    fig = plot.plot_rare_event({"CE": est, "crude": crude})
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["CE", "crude"]
    assert fig.axes[1].get_yscale() == "log"
    # no hits: the estimate 0 has no place on a log axis; its upper bound is drawn
    upper = fig.axes[1].lines[-1]
    assert upper.get_marker() == "v" and upper.get_ydata()[0] == crude.ci(0.95)[1]
    with pytest.raises(ValueError, match=r"`exact` must be a probability in \[0, 1\]"):
        plot.plot_rare_event(est, exact=2.0)
    with pytest.raises(TypeError, match=r"`result` must be a RareEventResult"):
        plot.plot_rare_event({"x": 1.0})


def test_plot_network_links_are_the_networks_links(tmp_path):
    q = np.r_[np.full(16, 1e-3), 0.2]  # one failure-prone link
    net = Network.grid(3, 4, failure_prob=q)
    ax = plot.plot_network(net, title="grid")
    lines = ax.collections[0]
    segments = np.array(lines.get_segments())
    # grid nodes (row, col) are drawn at (col, -row)
    where = np.array([(c, -r) for r, c in net.nodes], dtype=float)
    np.testing.assert_array_equal(segments, where[net.edges])
    np.testing.assert_array_equal(lines.get_array(), net.failure_prob)
    assert isinstance(lines.norm, LogNorm)  # values two decades apart
    # the terminals: the two corners, drawn as squares
    terminals = ax.collections[2].get_offsets()
    np.testing.assert_array_equal(terminals, where[net.terminals])
    _saved(ax.figure, tmp_path)


def test_plot_network_with_values_and_a_multigraph():
    graph = nx.MultiGraph([(0, 1), (0, 1), (1, 2), (0, 2)])
    net = Network(graph, terminals=[0, 2], failure_prob=0.1)
    ax = plot.plot_network(net, values=[0.5, 0.2, 0.3, 0.4], label="tuned q")
    np.testing.assert_array_equal(ax.collections[0].get_array(), [0.5, 0.2, 0.3, 0.4])
    assert isinstance(ax.collections[0].norm, Normalize)
    assert not isinstance(ax.collections[0].norm, LogNorm)
    assert len(ax.collections[0].get_segments()) == 4  # parallel links both drawn
    with pytest.raises(ValueError, match=r"`values` must be 4 finite numbers, one per link"):
        plot.plot_network(net, values=[0.1, 0.2])
    with pytest.raises(TypeError, match=r"`network` must be a cemopt.problems"):
        plot.plot_network(graph)
    with pytest.raises(ValueError, match=r"`layout` must be None"):
        plot.plot_network(net, layout="hexagonal")


def test_comparison_plots_are_reexported():
    from cemopt import _compare_plots

    for name in ("plot_convergence", "plot_ecdf", "plot_final_values"):
        assert getattr(plot, name) is getattr(_compare_plots, name)
        assert name in plot.__all__


# ------------------------------------------------ what a user looks for in them
def test_plot_network_colour_limits_come_from_the_data():
    net = Network.dodecahedron(failure_prob=1e-3)  # every link the same
    ax = plot.plot_network(net)
    low, high = ax.collections[0].get_clim()
    assert low < 1e-3 < high and high - low == pytest.approx(2e-4)  # not 0 to 1
    colorbar = ax.collections[0].colorbar
    assert colorbar.vmin == low and colorbar.vmax == high
    mixed = Network.grid(2, 3, failure_prob=[0.2, 0.3, 0.25, 0.2, 0.3, 0.22, 0.21])
    assert plot.plot_network(mixed).collections[0].get_clim() == (0.2, 0.3)


def test_plot_network_labels_its_nodes():
    grid = Network.grid(2, 3, failure_prob=0.1)
    ax = plot.plot_network(grid)
    texts = {t.get_text(): t.xy for t in ax.texts}
    assert set(texts) == {"0,0", "0,1", "0,2", "1,0", "1,1", "1,2"}
    assert texts["1,2"] == (2.0, -1.0)  # beside its node: (col, -row)
    assert not plot.plot_network(grid, labels=False).texts
    path = nx.MultiGraph([("s", "a"), ("a", "t"), ("s", "t"), ("s", "t")])
    named = plot.plot_network(Network(path, ["s", "t"], 0.1))
    assert sorted(t.get_text() for t in named.texts) == ["a", "s", "t"]


def test_geo_tours_are_drawn_longitude_across(test_data):
    problem = TSP.from_tsplib(test_data / "tsplib" / "tsp" / "burma14.tsp")
    x, y = problem.coordinates.T  # burma14: latitudes 14-26 N, longitudes 92-99 E
    assert 92 < x.min() and x.max() < 99 and 14 < y.min() and y.max() < 26
    # node 1 is 16.47 N, 96.10 E in DDD.MM: 16 + 47/60 north, 96 + 10/60 east
    np.testing.assert_allclose(problem.coordinates[0], [96 + 10 / 60, 16 + 47 / 60])
    ax = plot.plot_tour(problem.coordinates, np.arange(14))
    xdata, ydata = ax.lines[0].get_data()
    np.testing.assert_allclose(xdata[:14], x)
    np.testing.assert_allclose(ydata[:14], y)


def test_buffer_history_marks_the_re_evaluated_answer():
    from cemopt.problems import buffer_allocation as ba

    line = ba.FlowLine([1.1, 0.67, 0.98, 1.35])
    res = ba.solve(ba.BufferAllocation(line, total_buffer=6), rng=0, max_iter=4, n_samples=40)
    ax = plot.plot_history(res)
    labels = [c.get_label() for c in ax.containers]
    assert labels == [f"answer, re-evaluated: {res.fun:.4g} ± {1.96 * res.std_error:.2g} (95%)"]
    marker = ax.containers[0].lines[0]
    assert marker.get_ydata()[0] == res.fun
    assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == res.fun for line in ax.lines)
    assert res.best_seen >= res.fun  # the "best so far" that the eye would take
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1].startswith("answer, re-evaluated")


def test_plot_history_of_a_plain_run_has_no_answer_marker():
    res = ce.minimize(lambda X: (X**2).sum(axis=1), ce.Normal([3.0], [1.0]), n_samples=50,
                      vectorized=True, max_iter=5, rng=0)  # fmt: skip
    assert not plot.plot_history(res).containers


def test_plot_rare_event_of_an_underflowing_probability_is_in_log10():
    from cemopt.problems import rare_events

    model = rare_events.gaussian_linear(beta=40.0)
    est = ce.estimate(model.S, model.nominal, model.gamma, n_final=20_000, rng=0)
    assert est.probability == 0.0 and model.exact == 0.0  # both underflow
    fig = plot.plot_rare_event({"CE": est}, gamma=model.gamma, log_exact=model.log_exact)
    right = fig.axes[1]
    assert right.get_ylabel() == "log10 probability"
    (bar,) = right.containers
    y = bar.lines[0].get_ydata()[0]
    assert y == pytest.approx(est.log_probability / np.log(10))
    low, high = (v / np.log(10) for v in est.log_ci(0.95))
    segment = bar.lines[2][0].get_segments()[0]
    np.testing.assert_allclose(segment[:, 1], [low, high])
    (exact_line,) = [line for line in right.lines if line.get_linestyle() == "--"]
    assert exact_line.get_ydata()[0] == pytest.approx(model.log_exact / np.log(10))
    assert low < exact_line.get_ydata()[0] < high

"""Rare-event estimation: cemopt's cross-entropy against crude MC and OpenTURNS.

Three reference cases with exact answers (``cemopt.problems.rare_events``):

* ``bridge``: the CE tutorial's bridge network, five independent exponential edge
  lengths with means (0.25, 0.4, 0.1, 0.3, 0.2), ``S = min(X1 + X4, X1 + X3 + X5,
  X2 + X3 + X4, X2 + X5)``, ``P(S >= 2) = 1.3425e-5``;
* ``exponential_sum``: ``P(X1 + ... + X10 >= 40)``, ``X_i ~ Exp(mean 1)``, 3.9259e-9;
* ``bernoulli_sum``: ``P(X1 + ... + X10 >= 5)``, ``X_i ~ Bernoulli(0.01)``, 2.4168e-8.

Every method runs ``R`` repetitions (default 20) with seeds ``0 .. R-1`` and is judged
by the spread of its estimates around the exact value, not by its own error estimate:

* **RE empirical** = standard deviation (ddof 1) of the R estimates / exact;
* **RE reported** = mean of the method's self-reported relative error (coefficient
  of variation). OpenTURNS' CE and NAIS estimate on the last level's sample, the one
  the proposal was fitted to, so their reported error is not an independent check;
* **bias** = mean / exact - 1, with its standard error (std / sqrt(R) / exact);
* **evaluations** = mean number of evaluations of S per run (counted by the method
  for cemopt, by ``Function.getEvaluationCallsNumber()`` of the limit state for
  OpenTURNS); **CPU s** = mean ``time.process_time()`` per run;
* **WNRV** = RE_empirical^2 * evaluations, the work-normalised relative variance
  (lower is better; crude MC has ``(1 - p) / p`` whatever its budget). The bracket is
  a 95% chi-square interval for it: with R = 20 a variance is known to about +-30%,
  so WNRVs within a factor ~1.5 are not distinguishable (and for heavy-tailed
  estimators the interval is optimistic);
* **failed/flagged**: runs with no answer (exception, crash, wall-clock timeout) /
  answers the method itself flagged (cemopt ``success=False``; crude MC with no
  hit; OpenTURNS flags nothing: "-"). Statistics are over the answered runs; zero
  estimates (crude MC with no hit) count as 0.

Methods
-------
``cemopt-ce``
    ``ce.estimate`` with its defaults (N = 1000 per level, rho = 0.1, alpha = 0.7, a
    fresh final sample of N1 = 1e5): exponential tilting (``ce.Exponential``) on the
    bridge and the exponential sum, Bernoulli CE (``ce.Bernoulli``) on the Bernoulli sum.
``cemopt-mixture`` (bridge only)
    The same with ``proposal = ce.Mixture`` of two ``ce.Exponential`` components, one
    started on the cut {X1, X2} and one on the cut {X4, X5} (see
    :func:`bridge_mixture_proposal`, where what was tried is written down).
``cemopt-reliability`` (continuous cases)
    ``ce.failure_probability(lambda X: gamma - S(X), [stats.expon(scale=mean), ...])``
    with its defaults: the improved CE with a Gaussian-mixture proposal in standard
    normal space, two runs that must agree (see :func:`run_reliability`).
``crude``
    ``ce.crude_monte_carlo`` with ``n`` = the mean evaluations of ``cemopt-ce`` on the
    case (``--crude-n`` when ``cemopt-ce`` is not run).
``ot-*`` (OpenTURNS, skipped with a note when ``import openturns`` fails)
    The limit state is an ``ot.SymbolicFunction`` (vectorised in C++, so OpenTURNS is
    not slowed by Python callbacks), the input an ``ot.JointDistribution`` of
    ``ot.Exponential(rate = 1 / mean)`` or ``ot.Bernoulli(p)`` marginals, the event
    ``ot.ThresholdEvent(ot.CompositeRandomVector(g, ot.RandomVector(dist)),
    ot.GreaterOrEqual(), gamma)``. ``ot.RandomGenerator.SetSeed(seed)`` before each
    run. Sample size per level: OpenTURNS' default ``maximumOuterSampling = 1000``
    (block size 1) for CE and NAIS, and ``setMaximumOuterSampling(1000)`` for subset
    sampling (its default is 10000 per step). Each run happens in a forked child with a
    wall-clock limit (``--timeout``); after ``--max-timeouts`` timeouts in a row a
    method's remaining repetitions on that case are skipped.

    * ``ot-ce-standard``: ``StandardSpaceCrossEntropyImportanceSampling(event, 0.1)``:
      Gaussian CE (mean and std) after the isoprobabilistic transformation.
    * ``ot-ce-physical``: ``PhysicalSpaceCrossEntropyImportanceSampling(event, aux,
      active, initial, bounds, 0.1)``. OpenTURNS has no default auxiliary family, so
      we use the documented form with ``aux`` = the input distribution itself, the
      rates (``lambda``) or the ``p`` as active parameters started at their nominal
      values, bounds ``[rate / 1000, 10 rate]`` for rates and ``[1e-3, 0.9]`` for
      ``p`` (with ``[1e-6, 1 - 1e-6]`` NLopt's L-BFGS stops with "FAILURE").
    * ``ot-nais``: ``NAIS(event, 0.1)``. NAIS refuses bounded inputs in OpenTURNS 1.27
      ("only adapted to unbounded distribution"), so it runs in standard space: the
      event on ``ot.Normal(d)`` with ``g`` composed with the input distribution's
      ``getInverseIsoProbabilisticTransformation()`` (the same model; g's calls are
      counted). On the Bernoulli case, NAIS and the standard-space CE work through
      OpenTURNS' isoprobabilistic transformation of a discrete distribution (a step
      function of u; we checked that it maps N(0, 1) to Bernoulli(0.01)).
    * ``ot-subset``: ``SubsetSampling(event)`` with its defaults (conditional
      probability 0.1, proposal range 2).
    * ``ot-ce-standard-q0.25``, ``ot-ce-physical-q0.25``, ``ot-nais-q0.25``: the same
      with OpenTURNS' default quantile level 0.25 (``ResourceMap``
      ``CrossEntropyImportanceSampling-DefaultQuantileLevel`` / ``NAIS-Default...``).
      The main rows use 0.1 = cemopt's ``elite_frac``; for a ``>=`` event OpenTURNS
      stores ``1 - rho`` (``getQuantileLevel()`` returns 0.9).

    OpenTURNS' CE and NAIS have no option for a fresh final sample: their estimate is
    the importance-sampling mean over the last level's sample (their docs, step 7).

Run:  python benchmarks/rare_event.py [--repetitions 20] [--cases ...] [--methods ...]
      (writes benchmarks/out/rare_event.json; about 2 minutes on one core)
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import platform
import time
import traceback
import warnings
from _json import clean  # benchmarks/_json.py, beside this script
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy
from scipy import stats

import cemopt as ce

try:
    import openturns as ot
except ImportError:  # the OpenTURNS peers are optional
    ot = None

BRIDGE_MEANS = (0.25, 0.4, 0.1, 0.3, 0.2)
CASE_NAMES = ("bridge", "exponential_sum", "bernoulli_sum")


# ------------------------------------------------------------------------------- cases
class Model(NamedTuple):
    """``P(S(X) >= gamma)`` for ``X ~ nominal``, with its exact value."""

    S: Callable[[np.ndarray], np.ndarray]
    nominal: Any
    gamma: float
    exact: float


def _bridge_length(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    x1, x2, x3, x4, x5 = X.T
    return np.minimum.reduce([x1 + x4, x1 + x3 + x5, x2 + x3 + x4, x2 + x5])


def _row_sum(X: np.ndarray) -> np.ndarray:
    return np.asarray(X).sum(axis=1, dtype=float)


def _local_models() -> dict[str, Callable[[], Model]]:
    """Fallback definitions, used only if ``cemopt.problems.rare_events`` is missing."""
    return {
        "bridge": lambda: Model(_bridge_length, ce.Exponential(BRIDGE_MEANS), 2.0, 1.3424597e-5),
        "exponential_sum": lambda: Model(
            _row_sum, ce.Exponential(np.ones(10)), 40.0, float(stats.gamma.sf(40.0, 10))
        ),
        "bernoulli_sum": lambda: Model(
            _row_sum, ce.Bernoulli(np.full(10, 0.01)), 5.0, float(stats.binom.sf(4, 10, 0.01))
        ),
    }


def load_models() -> tuple[dict[str, Callable[[], Model]], str]:
    try:
        from cemopt.problems import rare_events
    except ImportError:
        return _local_models(), "local definitions (cemopt.problems.rare_events missing)"
    return {
        "bridge": rare_events.bridge,
        "exponential_sum": lambda: rare_events.exponential_sum(n=10, mean=1.0, gamma=40.0),
        "bernoulli_sum": lambda: rare_events.bernoulli_sum(n=10, p=0.01, k=5),
    }, "cemopt.problems.rare_events"


def openturns_model(case: str) -> tuple[Any, Any, float]:
    """The same case for OpenTURNS: ``(distribution, SymbolicFunction g, gamma)``."""
    joint = getattr(ot, "JointDistribution", None) or ot.ComposedDistribution
    if case == "bridge":
        names = [f"x{i}" for i in range(1, 6)]
        formula = "min(x1 + x4, x1 + x3 + x5, x2 + x3 + x4, x2 + x5)"
        dist = joint([ot.Exponential(1.0 / mean) for mean in BRIDGE_MEANS])
        return dist, ot.SymbolicFunction(names, [formula]), 2.0
    names = [f"x{i}" for i in range(10)]
    g = ot.SymbolicFunction(names, [" + ".join(names)])
    if case == "exponential_sum":
        return joint([ot.Exponential(1.0)] * 10), g, 40.0
    if case == "bernoulli_sum":
        return joint([ot.Bernoulli(0.01)] * 10), g, 5.0
    raise ValueError(case)


# ----------------------------------------------------------------------------- methods
def bridge_mixture_proposal(means: np.ndarray) -> Any:
    """The ``cemopt-mixture`` proposal for the bridge (the hook for a richer family).

    Two ``ce.Exponential`` components, equal weights, one with the means of the cut
    {X1, X2} scaled up (x8, x5), one with those of {X4, X5} (x7, x10), so that the
    first levels already sample both cuts. What we tried (20 seeds each, defaults
    N = 1000, N1 = 1e5; mean reported RE is the sharper measure, the empirical WNRV
    is +-30%):

    * 1 component (= ``cemopt-ce``): reported RE 0.030, WNRV 60-110 over reruns;
    * 2 components {X1,X2} / {X4,X5} scaled x4: reported RE 0.030, WNRV 42-90;
      EM keeps the {X4, X5} component, with weight 0.02-0.45;
    * the same scaled x8/x5 and x7/x10 (this one): reported RE 0.031-0.032, WNRV 70-93;
    * 2 components nominal / nominal x4: reported RE 0.032, WNRV 54;
    * 3 components ({X1,X2}, {X4,X5}, {X1,X3,X5}) and 4 (one per minimal cut): the
      components merge onto the {X1, X2} mode; reported RE 0.030-0.032, WNRV 100-143;
    * a pilot's CE optimum (1.78, 1.95, 0.10, 0.63, 0.44) + a {X4,X5} component at
      weight 0.05: reported RE 0.030, WNRV 159;
    * N = 2000 per level, N1 = 2e5, or no smoothing: no change in reported RE.

    None lowers the per-sample relative variance (reported RE^2 * N1 is about 100 for
    all): the mode {X4, X5} holds only ~2% of the optimal density, and the X1 and X2
    marginals of the optimal density are peaked near 2 (the event needs
    X1 >= 2 - X4), a shape no mixture of exponentials (all decreasing from 0) has.
    """
    means = np.asarray(means, dtype=float)
    return ce.Mixture(
        [ce.Exponential(means * [8, 5, 1, 1, 1]), ce.Exponential(means * [1, 1, 1, 7, 10])]
    )


def _cemopt_record(result: Any, cpu: float) -> dict[str, Any]:
    return {
        "estimate": float(result.probability),
        "reported_re": float(result.relative_error),
        "evaluations": int(result.nfev),
        "cpu_s": cpu,
        "status": str(result.status),
        "failed": False,
        "flagged": not bool(result.success),
        "levels": [float(level) for level in np.atleast_1d(result.levels)],
    }


def run_cemopt(model: Model, seed: int, **settings: Any) -> dict[str, Any]:
    cpu = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ce.ConvergenceWarning)  # recorded as `flagged`
        result = ce.estimate(model.S, model.nominal, model.gamma, rng=seed, **settings)
    return _cemopt_record(result, time.process_time() - cpu)


def run_reliability(model: Model, seed: int) -> dict[str, Any]:
    """``ce.failure_probability`` on the same event, its inputs as scipy marginals.

    ``g = gamma - S(x)`` (failure ``g <= 0`` is ``S >= gamma``), the marginals
    ``scipy.stats.expon(scale=mean)`` of the model's exponential nominal: the CE runs
    in standard normal space with its Gaussian-mixture proposal, its two runs and its
    defaults.
    """
    marginals = [stats.expon(scale=float(mean)) for mean in model.nominal.mean]
    cpu = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ce.ConvergenceWarning)  # recorded as `flagged`
        result = ce.failure_probability(lambda X: model.gamma - model.S(X), marginals, rng=seed)
    return {
        "estimate": float(result.probability),
        "reported_re": float(result.cov),
        "evaluations": int(result.nfev),
        "cpu_s": time.process_time() - cpu,
        "status": str(result.status),
        "failed": False,
        "flagged": not bool(result.success),
        "levels": [],
    }


def run_crude(model: Model, seed: int, n: int) -> dict[str, Any]:
    cpu = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ce.ConvergenceWarning)
        result = ce.crude_monte_carlo(model.S, model.nominal, model.gamma, n=n, rng=seed)
    record = _cemopt_record(result, time.process_time() - cpu)
    record["hits"] = int(result.n_hits)
    return record


def _openturns_algorithm(kind: str, case: str, quantile: float) -> tuple[Any, Any]:
    dist, g, gamma = openturns_model(case)
    vector = ot.RandomVector(dist)

    def event(inputs: Any, function: Any) -> Any:
        output = ot.CompositeRandomVector(function, inputs)
        return ot.ThresholdEvent(output, ot.GreaterOrEqual(), gamma)

    if kind == "ce-standard":
        return ot.StandardSpaceCrossEntropyImportanceSampling(event(vector, g), quantile), g
    if kind == "ce-physical":
        params = list(dist.getParameter())
        names = list(dist.getParameterDescription())
        active = [i for i, name in enumerate(names) if name.split("_")[0] in ("lambda", "p")]
        initial = [params[i] for i in active]
        if case == "bernoulli_sum":
            bounds = ot.Interval([1e-3] * len(active), [0.9] * len(active))
        else:
            bounds = ot.Interval([v / 1000 for v in initial], [v * 10 for v in initial])
        algo = ot.PhysicalSpaceCrossEntropyImportanceSampling(
            event(vector, g), dist, active, initial, bounds, quantile
        )
        return algo, g
    if kind == "nais":
        to_physical = dist.getInverseIsoProbabilisticTransformation()
        standard = ot.RandomVector(ot.Normal(dist.getDimension()))
        return ot.NAIS(event(standard, ot.ComposedFunction(g, to_physical)), quantile), g
    if kind == "subset":
        algo = ot.SubsetSampling(event(vector, g))
        algo.setMaximumOuterSampling(1000)
        return algo, g
    raise ValueError(kind)


def _openturns_child(kind: str, case: str, quantile: float, seed: int, conn: Any) -> None:
    try:
        ot.RandomGenerator.SetSeed(seed)
        cpu = time.process_time()
        algo, g = _openturns_algorithm(kind, case, quantile)
        algo.run()
        result = algo.getResult()
        cpu = time.process_time() - cpu
        steps = algo.getStepsNumber() if hasattr(algo, "getStepsNumber") else None
        conn.send(
            {
                "estimate": float(result.getProbabilityEstimate()),
                "reported_re": float(result.getCoefficientOfVariation()),
                "evaluations": int(g.getEvaluationCallsNumber()),
                "cpu_s": cpu,
                "status": "ok",
                "failed": False,
                "flagged": None,
                "steps": None if steps is None else int(steps),
            }
        )
    except Exception as exc:  # an OpenTURNS exception is a failed run, not a crash
        message = f"error: {type(exc).__name__}: {str(exc).strip()[:200]}"
        conn.send({"status": message, "failed": True, "traceback": traceback.format_exc()})
    finally:
        conn.close()


def run_openturns(
    case: str, seed: int, kind: str, quantile: float, timeout: float
) -> dict[str, Any]:
    """One OpenTURNS run in a forked child, killed after ``timeout`` wall seconds."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_openturns_child, args=(kind, case, quantile, seed, send))
    start = time.perf_counter()
    child.start()
    send.close()
    record = None
    if receive.poll(timeout):
        try:
            record = receive.recv()
        except EOFError:  # the child died without answering
            record = None
    child.join(max(0.0, timeout - (time.perf_counter() - start)) + 1.0)
    if child.is_alive():
        child.kill()
        child.join()
        return {"status": f"timeout {timeout:g}s", "failed": True, "timeout": True}
    if record is None:
        return {"status": f"crash (exit code {child.exitcode})", "failed": True}
    return record


class Method(NamedTuple):
    """A method: ``run(case, model, seed, args) -> record``; ``skip(case) -> reason``."""

    run: Callable[[str, Model, int, argparse.Namespace], dict[str, Any]]
    skip: Callable[[str], str | None]
    settings: str


def _always(case: str) -> str | None:
    return None


def _needs_openturns(case: str) -> str | None:
    return None if ot is not None else "openturns is not installed"


def _mixture_skip(case: str) -> str | None:
    if not hasattr(ce, "Mixture"):
        return "ce.Mixture does not exist yet (hook: bridge_mixture_proposal)"
    return None if case == "bridge" else "bridge only"


def _continuous_only(case: str) -> str | None:
    return "discrete inputs (no standard normal map)" if case == "bernoulli_sum" else None


def _openturns_method(kind: str, quantile: float, settings: str) -> Method:
    def run(case: str, model: Model, seed: int, args: argparse.Namespace) -> dict[str, Any]:
        return run_openturns(case, seed, kind, quantile, args.timeout)

    return Method(run, _needs_openturns, settings)


METHODS: dict[str, Method] = {
    "cemopt-ce": Method(
        lambda case, model, seed, args: run_cemopt(model, seed),
        _always,
        "ce.estimate defaults: N=1000, rho=0.1, alpha=0.7, N1=1e5",
    ),
    "cemopt-mixture": Method(
        lambda case, model, seed, args: run_cemopt(
            model, seed, proposal=bridge_mixture_proposal(model.nominal.mean)
        ),
        _mixture_skip,
        "ce.estimate defaults, proposal = 2-component ce.Mixture of ce.Exponential",
    ),
    "cemopt-reliability": Method(
        lambda case, model, seed, args: run_reliability(model, seed),
        _continuous_only,
        "ce.failure_probability defaults: scipy expon marginals, improved CE with "
        "Gaussian mixtures in standard normal space, 2 runs, N=2000/level, N1=2e4 per run",
    ),
    "crude": Method(
        lambda case, model, seed, args: run_crude(model, seed, args.crude_budget[case]),
        _always,
        "ce.crude_monte_carlo, n = mean evaluations of cemopt-ce",
    ),
    "ot-ce-standard": _openturns_method("ce-standard", 0.1, "rho=0.1, N=1000/level"),
    "ot-ce-physical": _openturns_method("ce-physical", 0.1, "rho=0.1, N=1000/level"),
    "ot-nais": _openturns_method("nais", 0.1, "rho=0.1, N=1000/level, standard space"),
    "ot-subset": _openturns_method("subset", 0.1, "p0=0.1, N=1000/step"),
    "ot-ce-standard-q0.25": _openturns_method("ce-standard", 0.25, "OT default rho=0.25"),
    "ot-ce-physical-q0.25": _openturns_method("ce-physical", 0.25, "OT default rho=0.25"),
    "ot-nais-q0.25": _openturns_method("nais", 0.25, "OT default rho=0.25"),
}


# ------------------------------------------------------------------------------ report
def summarise(records: list[dict[str, Any]], exact: float) -> dict[str, Any]:
    """Statistics of one (case, method) over its answered runs."""
    answered = [r for r in records if not r["failed"]]
    out: dict[str, Any] = {
        "runs": len(records),
        "answered": len(answered),
        "failed": len(records) - len(answered),
        "flagged": sum(bool(r.get("flagged")) for r in answered),
        "flags": any(r.get("flagged") is not None for r in answered),
        "statuses": sorted({r["status"] for r in records}),
    }
    if not answered:
        return out
    estimates = np.array([r["estimate"] for r in answered])
    reported = np.array([r["reported_re"] for r in answered], dtype=float)
    evaluations = float(np.mean([r["evaluations"] for r in answered]))
    n = len(estimates)
    out.update(
        mean=float(estimates.mean()),
        bias=float(estimates.mean() / exact - 1.0),
        reported_re=float(np.nanmean(reported)) if np.isfinite(reported).any() else math.nan,
        evaluations=evaluations,
        cpu_s=float(np.mean([r["cpu_s"] for r in answered])),
    )
    if n >= 2:
        std = float(estimates.std(ddof=1))
        re = std / exact
        out.update(
            bias_se=std / math.sqrt(n) / exact,
            re=re,
            wnrv=re**2 * evaluations,
            # 95% chi-square interval for a variance from n draws
            wnrv_ci=(
                re**2 * evaluations * (n - 1) / float(stats.chi2.ppf(0.975, n - 1)),
                re**2 * evaluations * (n - 1) / float(stats.chi2.ppf(0.025, n - 1)),
            ),
        )
    return out


def _g(x: float, digits: int = 3) -> str:
    return "nan" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def table(case: str, exact: float, rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"### {case} (exact {exact:.5g})",
        "",
        "| method | mean estimate | exact | RE empirical | RE reported | bias | evaluations "
        "| CPU s | WNRV [95% CI] | failed/flagged |",
        "|---" * 10 + "|",
    ]
    for method, s in rows.items():
        if "skipped" in s:
            lines.append(f"| {method} | skipped: {s['skipped']} |" + " |" * 8)
            continue
        name = method if s["answered"] == s["runs"] else f"{method} ({s['answered']} answered)"
        flagged = str(s["flagged"]) if s["flags"] else "-"
        fails = f"{s['failed']}/{flagged}"
        if s.get("skipped_reps"):
            fails += f" ({s['skipped_reps']} reps skipped)"
        if not s["answered"]:
            why = ", ".join(s["statuses"])
            lines.append(f"| {name} | no answer ({why}) |" + " |" * 7 + f" {fails} |")
            continue
        bias = f"{s['bias']:+.3g}"
        if "bias_se" in s:
            bias += f" ± {s['bias_se']:.2g}"
        re, wnrv = _g(s.get("re", math.nan)), "nan"
        if s["mean"] == 0.0:  # crude MC without a single hit: no variance to speak of
            re, wnrv = "n/a (all 0)", "n/a"
        elif "wnrv" in s:
            low, high = s["wnrv_ci"]
            wnrv = f"{_g(s['wnrv'])} [{_g(low, 2)}, {_g(high, 2)}]"
        if method == "crude":
            wnrv += f"; theory {_g((1 - exact) / exact, 2)}"
        lines.append(
            f"| {name} | {s['mean']:.4e} | {exact:.4e} | {re} "
            f"| {_g(s['reported_re'])} | {bias} | {s['evaluations']:.0f} | {s['cpu_s']:.3f} "
            f"| {wnrv} | {fails} |"
        )
    return "\n".join(lines)


def versions() -> dict[str, str]:
    out = {
        "cemopt": ce.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }
    out["openturns"] = ot.__version__ if ot is not None else "not installed"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--cases", nargs="+", default=list(CASE_NAMES), choices=CASE_NAMES)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="wall seconds per OpenTURNS run"
    )
    parser.add_argument(
        "--max-timeouts",
        type=int,
        default=2,
        help="skip a method's remaining repetitions on a case after this many timeouts",
    )
    parser.add_argument(
        "--crude-n", type=int, default=100_000, help="crude MC budget without cemopt-ce"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/rare_event.json"))
    args = parser.parse_args()
    if ot is None:
        print("# note: `import openturns` failed; the ot-* methods are skipped")
    factories, source = load_models()
    # cemopt-ce first: crude MC's budget is its mean evaluations
    methods = sorted(args.methods, key=lambda m: (m != "cemopt-ce", args.methods.index(m)))
    wall = time.perf_counter()
    records: list[dict[str, Any]] = []
    summaries: dict[str, dict[str, dict[str, Any]]] = {}
    args.crude_budget = {}
    for case in args.cases:
        model = factories[case]()
        exact = float(model.exact)
        summaries[case] = {}
        for method in methods:
            spec = METHODS[method]
            reason = spec.skip(case)
            if reason is not None:
                summaries[case][method] = {"skipped": reason}
                continue
            if method == "crude":
                ce_runs = [r for r in records if r["case"] == case and r["method"] == "cemopt-ce"]
                budget = np.mean([r["evaluations"] for r in ce_runs]) if ce_runs else args.crude_n
                args.crude_budget[case] = int(round(budget))
            rows, timeouts = [], 0
            for seed in range(args.repetitions):
                if timeouts >= args.max_timeouts:
                    break
                record = spec.run(case, model, seed, args)
                timeouts = timeouts + 1 if record.get("timeout") else 0
                record.update(case=case, method=method, seed=seed, exact=exact)
                rows.append(record)
            records.extend(rows)
            summary = summarise(rows, exact)
            summary["skipped_reps"] = args.repetitions - len(rows)
            summary["settings"] = spec.settings
            summaries[case][method] = summary
    wall = time.perf_counter() - wall
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "versions": versions(),
        "models": source,
        "repetitions": args.repetitions,
        "timeout_s": args.timeout,
        "crude_budget": args.crude_budget,
        "wall_s": wall,
    }
    args.out.write_text(
        json.dumps(clean({"meta": meta, "summaries": summaries, "records": records}), indent=1)
    )
    print(
        "# "
        + ", ".join(f"{k} {v}" for k, v in versions().items())
        + f"; {args.repetitions} repetitions (seeds 0..{args.repetitions - 1}); "
        f"models from {source}; OpenTURNS runs limited to {args.timeout:g} s wall"
    )
    print(
        "# RE empirical = std(estimates)/exact; RE reported = mean self-reported; "
        "WNRV = RE_empirical^2 * evaluations; failed = no answer, flagged = success=False"
    )
    for case in args.cases:
        print()
        print(table(case, float(factories[case]().exact), summaries[case]))
    print()
    for method in methods:
        print(f"# {method}: {METHODS[method].settings}")
    if "crude" in methods:
        print(f"# crude budgets: {args.crude_budget}")
    print(f"# wall time {wall:.1f} s")


if __name__ == "__main__":
    main()

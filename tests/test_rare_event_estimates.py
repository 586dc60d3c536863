"""CE importance sampling on the reference models: within 4 standard errors of the
exact answers from 1e-5 to 1e-100, and confidence intervals that cover as claimed."""

from __future__ import annotations

import pytest

import cemopt as ce
from cemopt.problems import rare_events

PROBABILITIES = [1e-5, 1e-10, 1e-30, 1e-100]


def assert_within_4_standard_errors(est: ce.RareEventResult, model) -> None:
    # Compared in log space (delta method: the standard error of log p is the relative
    # error), which is the same test as |p - exact| <= 4 se for moderate probabilities
    # and still works where p underflows.
    assert est.success, est.message
    assert abs(est.log_probability - model.log_exact) <= 4 * est.relative_error, (
        f"estimate {est.probability:.6e} (RE {est.relative_error:.3g}) vs exact {model.exact:.6e}"
    )


@pytest.mark.parametrize("probability", PROBABILITIES)
def test_exponential_sum(probability):
    model = rare_events.exponential_sum(n=10, probability=probability)
    S, nominal, gamma, exact = model
    est = ce.estimate(S, nominal, gamma, n_final=20_000, rng=11)
    assert_within_4_standard_errors(est, model)


@pytest.mark.parametrize("probability", PROBABILITIES)
def test_gaussian_linear_mean_shift(probability):
    model = rare_events.gaussian_linear(d=4, probability=probability)
    est = ce.estimate(model.S, model.nominal, model.gamma, n_final=20_000, rng=12)
    assert_within_4_standard_errors(est, model)


def test_bernoulli_sum():
    model = rare_events.bernoulli_sum()  # P(Bin(10, 0.01) >= 5) = 2.4168e-8
    est = ce.estimate(model.S, model.nominal, model.gamma, n_final=20_000, rng=13)
    assert_within_4_standard_errors(est, model)
    assert abs(est.probability - model.exact) <= 4 * est.std_error


def test_bridge_network_tutorial_settings():
    # The tutorial's N = 1000, rho = 0.1, N1 = 1e5: relative error about 0.03.
    model = rare_events.bridge()
    est = ce.estimate(
        model.S, model.nominal, model.gamma, n_samples=1000, elite_frac=0.1, n_final=100_000, rng=14
    )
    assert abs(est.probability - model.exact) <= 4 * est.std_error
    assert est.relative_error < 0.06


@pytest.mark.parametrize(
    "make",
    [
        lambda: rare_events.exponential_sum(n=10, probability=1e-6),
        lambda: rare_events.bernoulli_sum(),
    ],
    ids=["exponential-sum", "bernoulli-sum"],
)
def test_confidence_interval_coverage(make):
    # 200 seeded replications. If the 95% interval is honest, the number covering the
    # exact value is Binomial(200, 0.95) (mean 190, sd 3.08): four sd below the mean is
    # 177.7, so at least 178 must cover (a calibrated interval fails this with
    # probability about 3e-5). The 95% count cannot reveal intervals that are too wide
    # (200 is within tolerance), so the 50% interval is checked on both sides:
    # Binomial(200, 0.5) has mean 100 and sd 7.07, four sd give [72, 128].
    model = make()
    covered_95 = covered_50 = 0
    for seed in range(200):
        est = ce.estimate(
            model.S, model.nominal, model.gamma, n_samples=500, n_final=2_000, rng=seed
        )
        low, high = est.ci(0.95)
        covered_95 += low <= model.exact <= high
        low, high = est.ci(0.50)
        covered_50 += low <= model.exact <= high
    assert covered_95 >= 178, f"{covered_95}/200 95% intervals covered the exact value"
    assert 72 <= covered_50 <= 128, f"{covered_50}/200 50% intervals covered the exact value"

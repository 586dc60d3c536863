"""Sampling families: immutable batch distributions that the CE engine samples and refits.

Every family is a frozen value object: ``fit`` and ``blend`` return new objects. See
:class:`Family` for the protocol and :func:`cemopt.testing.check_family` for the
conformance checks any family (ours or a user's) must pass. Every family also has
``entropy``, ``kl_divergence`` and ``cross_entropy`` (see ``docs/information.md``).
"""

from ._base import OPTIONAL_MEMBERS, Family, capabilities, is_family
from ._information import Estimate
from .bernoulli import Bernoulli
from .categorical import Categorical
from .exponential import Exponential
from .gaussian_mixture import GaussianMixture
from .mixture import Mixture
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .permutation import Permutation
from .product import Product
from .sparse_permutation import SparsePermutation, nearest_candidates
from .vmfnm import VonMisesFisherNakagami

__all__ = [
    "Bernoulli",
    "Categorical",
    "Estimate",
    "OPTIONAL_MEMBERS",
    "Exponential",
    "Family",
    "GaussianMixture",
    "Mixture",
    "MultivariateNormal",
    "Normal",
    "Permutation",
    "SparsePermutation",
    "nearest_candidates",
    "Product",
    "VonMisesFisherNakagami",
    "capabilities",
    "is_family",
]

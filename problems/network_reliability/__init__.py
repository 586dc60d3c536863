r"""Network reliability: exact unreliability, CE importance-sampling estimates, design.

Links of a network fail independently, link ``e`` with probability ``q_e``. The
*unreliability* is the probability that the terminals (two, ``K``, or all nodes) are not
all connected by working links. For well-built networks it is 1e-6 to 1e-12: a rare
event, on which crude Monte Carlo is hopeless and the cross-entropy method shines.

- :class:`Network`: a networkx graph (multigraphs too), its terminals and failure
  probabilities.
- :func:`exact_unreliability`: exact, by a frontier dynamic programme with sums of
  non-negative terms only (tiny values keep their digits); for small and narrow graphs.
- :func:`estimate_unreliability`: ``"ce-turnip"`` (the merge process of the
  graph-evolution model with CE-tuned repair rates, the default), ``"turnip"`` and
  ``"pmc"`` (the merge process and permutation Monte Carlo at nominal rates), ``"ce"``
  (multilevel CE on the link-failure Bernoulli probabilities), ``"evolution"``
  (multilevel CE on the repair times) and ``"crude"`` Monte Carlo. Each returns a
  :class:`cemopt.RareEventResult`.
- :class:`NetworkDesign` and :func:`solve`: which candidate links to build within a
  budget to make the network most reliable, by CE over inclusion variables.

All batch work (connectivity, connection times, minimum cuts) is vectorised across the
samples: see ``_batch``. The package: ``_network`` (the model), ``_exact`` (the exact
programme on plain arrays), ``_estimators`` and ``_pmc`` (the estimators and the merge
process), ``_design``.

>>> from cemopt.problems.network_reliability import (Network, exact_unreliability,
...                                                  estimate_unreliability)
>>> net = Network.dodecahedron(failure_prob=0.1)        # 30 links, terminals 0 and 19
>>> exact = exact_unreliability(net)
>>> f"{exact:.6e}"
'2.494551e-03'
>>> est = estimate_unreliability(net, method="pmc", n_final=2_000, rng=0)
>>> bool(abs(est.probability - exact) < 4 * est.std_error)
True

Design: which 3 links of the complete graph on 4 nodes to build (terminals 0 and 3):

>>> import networkx as nx
>>> from cemopt.problems.network_reliability import NetworkDesign, solve
>>> net = Network(nx.complete_graph(4), terminals=[0, 3], failure_prob=0.1)
>>> res = solve(NetworkDesign(net, costs=[1, 1, 1, 1, 1, 1], budget=3), rng=0)
>>> res.cost, round(res.fun, 6)   # the direct link and a 2-link path: 0.1 * (1 - 0.9**2)
(3.0, 0.019)

References
----------
.. [1] Hui, K.-P., Bean, N., Kraetzl, M. & Kroese, D. P. (2005). The cross-entropy method
   for network reliability estimation. *Annals of Operations Research* 134, 101-118.
.. [2] Kroese, D. P., Hui, K.-P. & Nariai, S. (2007). Network reliability optimization
   via the cross-entropy method. *IEEE Transactions on Reliability* 56, 275-287.
.. [3] Elperin, T., Gertsbakh, I. & Lomonosov, M. (1991). Estimation of network
   reliability using graph evolution models. *IEEE Trans. Reliability* 40, 572-581.
.. [4] Hesterberg, T. (1995). Weighted average importance sampling and defensive mixture
   distributions. *Technometrics* 37, 185-194.
"""

from ._design import RELIABILITY, DesignResult, NetworkDesign, solve
from ._estimators import METHODS, estimate_unreliability, exact_unreliability
from ._network import Network

__all__ = [
    "Network",
    "exact_unreliability",
    "estimate_unreliability",
    "NetworkDesign",
    "solve",
    "DesignResult",
    "METHODS",
    "RELIABILITY",
]

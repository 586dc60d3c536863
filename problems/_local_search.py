"""What the routing modules (:mod:`cemopt.problems.tsp`, :mod:`cemopt.problems.vrp`)
share about local search: the ``local_search=`` argument of their ``solve`` and the
deadline that every local search takes.

``local_search`` means the same in both: True (the problem's default search), False
(plain CE), a name of the module's searches, or a callable
``local_search(problem, x, *, deadline) -> x`` (a tour for the TSP, routes for the
CVRP). A deadline is a :func:`time.perf_counter` reading, or None for no limit; a
search that finds it passed returns the best solution it has, at once.

>>> import time
>>> expired(None), expired(time.perf_counter() - 1.0)
(False, True)
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from typing import Any

from cemopt.validation import check_real

__all__ = [
    "allowed_local_search",
    "check_deadline",
    "check_search_callable",
    "deadline_after",
    "expired",
]


def check_deadline(deadline: Any) -> float | None:
    """``deadline`` checked: None, or a finite :func:`time.perf_counter` reading.

    >>> check_deadline(None) is None, check_deadline(12.5)
    (True, 12.5)
    """
    return check_real(deadline, "deadline", allow_none=True)


def deadline_after(time_limit: float | None) -> float | None:
    """The :func:`time.perf_counter` reading ``time_limit`` seconds from now (None: none).

    >>> deadline_after(None) is None
    True
    """
    return None if time_limit is None else time.perf_counter() + time_limit


def expired(deadline: float | None) -> bool:
    """Whether ``deadline`` has passed (never, for None).

    >>> expired(float("inf"))
    False
    """
    return deadline is not None and time.perf_counter() >= deadline


def check_search_callable(
    local_search: Callable[..., Any], problem: Any, what: str, names: Sequence[str]
) -> None:
    """Raise ``TypeError`` before any work unless ``local_search(problem, x, deadline=...)``
    binds (the one convention of user-supplied local searches).

    >>> check_search_callable(lambda problem, x, *, deadline: x, None, "tour", ["2-opt"])
    >>> check_search_callable(lambda problem, x: x, None, "tour", ["2-opt"])
    Traceback (most recent call last):
    ...
    TypeError: `local_search` must be True, False, one of ['2-opt'] or a callable \
local_search(problem, tour, *, deadline) -> tour, but got a callable with signature \
(problem, x).
    """
    try:
        signature = inspect.signature(local_search)
    except (TypeError, ValueError):  # no signature to read (some builtins): trust it
        return
    try:
        signature.bind(problem, None, deadline=None)
    except TypeError:
        raise TypeError(
            f"{allowed_local_search(names, what)}, but got a callable with signature {signature}."
        ) from None


def allowed_local_search(names: Sequence[str], what: str) -> str:
    """The rule for ``local_search``, worded once for both routing modules."""
    return (
        f"`local_search` must be True, False, one of {list(names)} or a callable "
        f"local_search(problem, {what}, *, deadline) -> {what}"
    )

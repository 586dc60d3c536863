"""A one-line progress bar on stderr, shown only on request (``progress=True``)."""

from __future__ import annotations

import sys
from typing import Any, TextIO


class ProgressBar:
    """Redraws one line per iteration: a bar over the budget, iterations, evaluations,
    and the values the run reports (the best so far, the current level, ...). The bar
    follows ``max_evals`` when set, else ``max_iter``.

    >>> import io
    >>> stream = io.StringIO()
    >>> bar = ProgressBar(max_iter=4, max_evals=None, stream=stream, width=8)
    >>> bar.update(nit=1, nfev=100, best=2.5)
    >>> bar.close()
    >>> stream.getvalue()
    '\\r[##      ]  25% iter 1  nfev 100  best 2.5\\n'
    """

    def __init__(
        self,
        max_iter: int | None,
        max_evals: int | None,
        stream: TextIO | None = None,
        width: int = 24,
    ) -> None:
        self.max_iter, self.max_evals = max_iter, max_evals
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self._drawn = False

    def update(self, *, nit: int, nfev: int, **shown: Any) -> None:
        """Redraw with these counters and the named values in ``shown``."""
        if self.max_evals is not None:
            done = nfev / self.max_evals
        else:
            done = nit / self.max_iter if self.max_iter else 0.0
        done = min(max(done, 0.0), 1.0)
        filled = round(done * self.width)
        bar = "#" * filled + " " * (self.width - filled)
        values = "".join(f"  {name.replace('_', ' ')} {_number(v)}" for name, v in shown.items())
        self.stream.write(f"\r[{bar}] {done:4.0%} iter {nit}  nfev {nfev}{values}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _number(value: Any) -> str:
    try:
        return f"{value:.6g}"
    except (TypeError, ValueError):
        return str(value)

"""Save and restore the state of a run in one plain ``.npz`` file (never pickle).

Arrays are stored as ``.npz`` members named by their path in the state tree
(``"history/level"``); everything else (counters, settings, the generator state) is
one JSON document stored as the member ``"__json__"``. The file is written to a
temporary name and renamed, so an interruption while saving leaves the previous
checkpoint intact. Loading uses ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save_state", "load_state", "rng_from_state"]

_FORMAT = "cemopt-checkpoint"
_VERSION = 1


def save_state(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write a nested dict of arrays, numbers, strings, bools and None to ``path``."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _split(state, "", arrays)
    document = json.dumps({"format": _FORMAT, "version": _VERSION, "state": tree})
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:  # a file handle: np.savez must not append ".npz"
        np.savez(fh, __json__=np.array(document), **arrays)
    os.replace(tmp, path)
    return path


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read a file written by :func:`save_state` back into the same nested dict."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`resume` must name an existing checkpoint, but {path} does not exist."
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            document = json.loads(str(data["__json__"]))
            arrays = {name: data[name] for name in data.files if name != "__json__"}
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path} is not a cemopt checkpoint ({exc}).") from exc
    if document.get("format") != _FORMAT or document.get("version") != _VERSION:
        raise ValueError(
            f"{path} is not a cemopt checkpoint of version {_VERSION} "
            f"(format={document.get('format')!r}, version={document.get('version')!r})."
        )
    return _join(document["state"], arrays)


def rng_from_state(state: dict[str, Any]) -> np.random.Generator:
    """A Generator whose bit generator continues exactly from ``state``."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _split(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Move arrays into ``arrays`` (keyed by path), leaving JSON-able references."""
    if isinstance(value, dict):
        return {"__dict__": {k: _split(v, f"{prefix}{k}/", arrays) for k, v in value.items()}}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"checkpoint cannot store object arrays (at {prefix!r}).")
        key = prefix.rstrip("/") or "root"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_split(v, f"{prefix}{i}/", arrays) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"checkpoint cannot store {type(value).__name__} (at {prefix!r}).")


def _join(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, dict):
        if "__array__" in tree:
            return arrays[tree["__array__"]]
        return {k: _join(v, arrays) for k, v in tree["__dict__"].items()}
    if isinstance(tree, list):
        return [_join(v, arrays) for v in tree]
    return tree

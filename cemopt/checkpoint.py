"""Save and restore the state of a run: one plain ``.npz`` file and its history log.

A checkpoint ``run.npz`` is a zip of ``.npy`` members (``numpy.savez``, never pickle):
arrays stored under their path in the state tree (``"family/mean"``), and one JSON
document, the member ``"__json__"`` (its UTF-8 bytes), with everything else (settings, counters, the
generator state). A member ``"__sha256__"`` holds a digest of all the others, so a
corrupted or edited file is refused instead of resumed. The state is written to a
temporary name and renamed, so an interruption while saving leaves the previous
checkpoint intact.

The history (one row per iteration) grows with the run, so it is not rewritten each
time: its rows are appended to ``run.npz.rows`` (raw little-endian float64 records),
and the state records how many rows belong to it and a running digest of them. Each
write therefore costs one iteration's worth of bytes, not the whole history's. Rows
beyond the recorded count (a crash between the two writes) are ignored and
overwritten by the next write.

Every problem found while loading raises :class:`cemopt.CheckpointError` (a
``ValueError``) naming the file and what is wrong. The generator is rebuilt only from
numpy's own bit generators, by name.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CheckpointError

__all__ = [
    "BIT_GENERATORS",
    "RowLog",
    "family_fingerprint",
    "load_state",
    "rng_from_state",
    "save_state",
]

_FORMAT = "cemopt-checkpoint"
_VERSION = 2
_JSON = "__json__"
_DIGEST = "__sha256__"
ROWS_SUFFIX = ".rows"

#: the bit generators a checkpoint may name (numpy's own; nothing else is looked up)
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


# --------------------------------------------------------------------------- writing
def save_state(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write a nested dict of arrays, numbers, strings, bools and None to ``path``.

    >>> import tempfile, numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "state.npz"
    >>> _ = save_state(path, {"a": np.arange(3), "b": {"c": 1.5}})
    >>> load_state(path)["b"]
    {'c': 1.5}
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _split(state, "", arrays)
    document = json.dumps({"format": _FORMAT, "version": _VERSION, "state": tree})
    digest = _digest(document, arrays)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:  # a file handle: np.savez must not append ".npz"
        np.savez(fh, **{_JSON: _utf8(document), _DIGEST: _utf8(digest)}, **arrays)
    os.replace(tmp, path)
    return path


class RowLog:
    """The history rows of a run, appended to ``<checkpoint>.rows`` a few at a time.

    ``columns`` names the values of a record (all stored as float64). The log knows
    how many rows the file already holds for this run, so each :meth:`write` appends
    only the new ones and returns the count and digest the state must record.
    """

    def __init__(self, path: str | os.PathLike, width: int) -> None:
        self.path = Path(str(path) + ROWS_SUFFIX)
        self.width = width
        self.written = 0
        self.digest = _EMPTY_DIGEST

    def write(self, new: np.ndarray) -> tuple[int, str]:
        """Append ``new`` (the rows after the :attr:`written` ones, shape (k, width))."""
        new = np.ascontiguousarray(new, dtype="<f8").reshape(-1, self.width)
        mode = "r+b" if self.written and self.path.exists() else "wb"
        with open(self.path, mode) as fh:
            fh.seek(self.written * self.width * 8)
            fh.truncate()  # rows of a write that was cut short, beyond the committed count
            fh.write(new.tobytes())
        for record in new:
            self.digest = _chain(self.digest, record)
        self.written += len(new)
        return self.written, self.digest

    @classmethod
    def resumed(cls, path: str | os.PathLike, width: int, n_rows: int, digest: str) -> RowLog:
        """A log that continues the rows a loaded checkpoint committed."""
        log = cls(path, width)
        log.written, log.digest = n_rows, digest
        return log


_EMPTY_DIGEST = hashlib.sha256(b"cemopt-rows").hexdigest()


def _chain(digest: str, record: np.ndarray) -> str:
    return hashlib.sha256(bytes.fromhex(digest) + record.tobytes()).hexdigest()


# --------------------------------------------------------------------------- reading
def load_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read a file written by :func:`save_state` back into the same nested dict.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    CheckpointError
        The file is not a complete, unmodified cemopt checkpoint of this version.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`resume` must name an existing checkpoint, but {path} does not exist."
        )
    if not path.is_file():
        raise CheckpointError(f"{path} is not a file.")
    members = _read_members(path)
    if _JSON not in members or _DIGEST not in members:
        raise CheckpointError(
            f"{path} is not a cemopt checkpoint (it has no {_JSON!r} and {_DIGEST!r} members)."
        )
    document_text = _scalar_text(members.pop(_JSON), path, _JSON)
    stored_digest = _scalar_text(members.pop(_DIGEST), path, _DIGEST)
    if _digest(document_text, members) != stored_digest:
        raise CheckpointError(
            f"{path} was modified or corrupted after it was written (its SHA-256 digest does "
            "not match its contents)."
        )
    try:
        document = json.loads(document_text)
    except ValueError as exc:
        raise CheckpointError(f"{path} has an unreadable JSON document ({exc}).") from None
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        raise CheckpointError(f"{path} is not a cemopt checkpoint (no format tag {_FORMAT!r}).")
    if document.get("version") != _VERSION:
        raise CheckpointError(
            f"{path} is a cemopt checkpoint of version {document.get('version')!r}; this "
            f"cemopt reads version {_VERSION} only."
        )
    try:
        return _join(document["state"], members)
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{path} has a malformed state tree ({exc!r}).") from None


def read_rows(path: str | os.PathLike, width: int, n_rows: int, digest: str) -> np.ndarray:
    """The ``n_rows`` committed history records of the checkpoint at ``path``."""
    rows_path = Path(str(path) + ROWS_SUFFIX)
    if n_rows == 0:
        return np.empty((0, width))
    if not rows_path.is_file():
        raise CheckpointError(
            f"{path}: its history file {rows_path.name} is missing (it holds {n_rows} rows)."
        )
    need = n_rows * width * 8
    with open(rows_path, "rb") as fh:
        data = fh.read(need)
    if len(data) < need:
        raise CheckpointError(
            f"{path}: its history file {rows_path.name} is truncated ({len(data)} bytes, "
            f"{need} expected for {n_rows} rows)."
        )
    records = np.frombuffer(data, dtype="<f8").reshape(n_rows, width).astype(float)
    running = _EMPTY_DIGEST
    for record in np.frombuffer(data, dtype="<f8").reshape(n_rows, width):
        running = _chain(running, record)
    if running != digest:
        raise CheckpointError(
            f"{path}: its history file {rows_path.name} was modified (its digest does not "
            "match the one the checkpoint recorded)."
        )
    return records


def rng_from_state(state: Any, path: str | os.PathLike = "checkpoint") -> np.random.Generator:
    """A Generator whose bit generator continues exactly from ``state``.

    Only numpy's bit generators (:data:`BIT_GENERATORS`) are rebuilt; any other name
    is refused, so a checkpoint can never make cemopt look up an arbitrary object.

    >>> state = np.random.default_rng(1).bit_generator.state
    >>> int(rng_from_state(state).integers(100)) == int(np.random.default_rng(1).integers(100))
    True
    """
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise CheckpointError(
            f"{path}: the generator state must name one of numpy's bit generators "
            f"{list(BIT_GENERATORS)}, but names {name!r}."
        )
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise CheckpointError(f"{path}: the {name} generator state is invalid ({exc}).") from None
    return np.random.Generator(bit_generator)


# ------------------------------------------------------------- families in the state
def family_fingerprint(family: Any) -> dict[str, Any]:
    """What identifies a family for resuming: its kind, dimension, bounds, parameters.

    >>> import cemopt as ce
    >>> family_fingerprint(ce.Normal([0.0, 1.0], [1.0, 1.0]))["kind"]
    'Normal'
    """
    dim = getattr(family, "dim", None)
    params = getattr(family, "params", None)
    bounds = {
        name: None if getattr(family, name, None) is None else np.asarray(getattr(family, name))
        for name in ("lower", "upper")
    }
    margin = getattr(family, "margin", None)
    if margin is not None and (bounds["lower"] is not None or bounds["upper"] is not None):
        # how a bounded MultivariateNormal bends onto its box is part of the family
        bounds["margin"] = float(margin)
    return {
        "kind": type(family).__name__,
        "dim": int(dim) if isinstance(dim, (int, np.integer)) else None,
        "bounds": bounds,
        "params": _plain_tree(params) if isinstance(params, Mapping) else None,
    }


def check_fingerprint(saved: Any, family: Any, path: str | os.PathLike, what: str) -> None:
    """Refuse a resume whose ``family`` is not the one the checkpoint was started with."""
    now = family_fingerprint(family)
    if not isinstance(saved, dict) or set(saved) != set(now):
        raise CheckpointError(f"{path}: the saved {what} description is malformed.")
    if saved["kind"] != now["kind"]:
        raise ValueError(
            f"`{what}` must be the family the checkpoint {path} was started with: it was "
            f"saved with a {saved['kind']}, but got a {now['kind']}."
        )
    if saved["dim"] != now["dim"]:
        raise ValueError(
            f"`{what}` must have the dimension the checkpoint {path} was started with: it "
            f"was saved with dim {saved['dim']}, but got dim {now['dim']}."
        )
    saved_bounds = saved["bounds"] if isinstance(saved["bounds"], dict) else {}
    for name in ("lower", "upper"):
        if name not in saved_bounds or not _same(saved_bounds[name], now["bounds"][name]):
            raise ValueError(
                f"`{what}` must have the bounds the checkpoint {path} was started with: its "
                f"`{name}` differs."
            )
    if not _same(saved_bounds.get("margin"), now["bounds"].get("margin")):
        raise ValueError(
            f"`{what}` must have the margin the checkpoint {path} was started with: it was "
            f"saved with margin {saved_bounds.get('margin')}, but got "
            f"{now['bounds'].get('margin')}."
        )
    if not _same(saved["params"], now["params"]):
        raise ValueError(
            f"`{what}` must have the initial parameters the checkpoint {path} was started "
            "with, but its parameters differ."
        )


def restore_family(family: Any, params: Any, path: str | os.PathLike, what: str) -> Any:
    """``family.with_params(params)``, with any refusal reported against the file.

    The restored family must keep ``family``'s kind, dimension and bounds (its
    parameters may change shape: a mixture may have gained components). Some families
    take parameters of any length (an ``Exponential`` given 4 means is a 4-d family),
    so a saved vector of the wrong length would otherwise resume a run of another
    dimension.
    """
    try:
        restored = family.with_params(params)
    except Exception as exc:  # the family's own validation, whatever it raises
        raise CheckpointError(
            f"{path}: the saved {what} parameters are not valid for "
            f"{type(family).__name__} ({type(exc).__name__}: {exc})."
        ) from None
    before, after = family_fingerprint(family), family_fingerprint(restored)
    for name in ("kind", "dim", "bounds"):
        if not _same(before[name], after[name]):
            raise CheckpointError(
                f"{path}: the saved {what} parameters do not fit the {type(family).__name__} "
                f"of dimension {before['dim']}: restored, they give kind {after['kind']!r}, "
                f"dimension {after['dim']}{'' if name != 'bounds' else ', other bounds'}."
            )
    return restored


# ------------------------------------------------------------------ schema checking
class Reader:
    """Typed access to a loaded state, every failure a :class:`CheckpointError`.

    >>> r = Reader({"counters": {"nit": 3}}, "run.npz")
    >>> r.int("counters", "nit", minimum=0)
    3
    """

    def __init__(self, state: Any, path: str | os.PathLike) -> None:
        if not isinstance(state, dict):
            raise CheckpointError(f"{path}: the state is not a mapping.")
        self.state, self.path = state, path

    def get(self, *keys: str) -> Any:
        node: Any = self.state
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                raise CheckpointError(
                    f"{self.path}: the entry {'/'.join(keys[: depth + 1])!r} is missing."
                )
            node = node[key]
        return node

    def fail(self, keys: tuple[str, ...], rule: str, value: Any) -> CheckpointError:
        return CheckpointError(
            f"{self.path}: the entry {'/'.join(keys)!r} must be {rule}, but is {value!r}."
        )

    def int(self, *keys: str, minimum: int = 0, maximum: float = math.inf) -> int:
        value = self.get(*keys)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            rule = f"an integer >= {minimum}" + (
                "" if maximum == math.inf else f" and <= {maximum}"
            )
            raise self.fail(keys, rule, value)
        return value

    def real(
        self,
        *keys: str,
        allow_inf: bool = False,
        allow_nan: bool = False,
        low: float = -math.inf,
        high: float = math.inf,
    ) -> float:
        value = self.get(*keys)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(keys, "a number", value)
        value = float(value)
        if math.isnan(value):
            if not allow_nan:
                raise self.fail(keys, "a number, not NaN", value)
            return value
        if math.isinf(value) and not allow_inf:
            raise self.fail(keys, "finite", value)
        if not low <= value <= high:
            raise self.fail(keys, f"in [{low:g}, {high:g}]", value)
        return value

    def bool(self, *keys: str) -> bool:
        value = self.get(*keys)
        if not isinstance(value, bool):
            raise self.fail(keys, "true or false", value)
        return value

    def choice(self, *keys: str, allowed: tuple[str, ...]) -> str:
        value = self.get(*keys)
        if value not in allowed:
            raise self.fail(keys, f"one of {list(allowed)}", value)
        return value

    def dict(self, *keys: str) -> dict:
        value = self.get(*keys)
        if not isinstance(value, dict):
            raise self.fail(keys, "a mapping", type(value).__name__)
        return value

    def array(self, *keys: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        value = self.get(*keys)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            raise self.fail(keys, "a numeric array", type(value).__name__)
        if shape is not None and value.shape != shape:
            raise self.fail(keys, f"an array of shape {shape}", value.shape)
        return value


def check_sample_shape(value: Any, family: Any, path: str | os.PathLike, what: str) -> None:
    """``value`` must look like one sample of ``family``: shape, keys for a dict, and
    finite numbers (no family draws NaN or infinity)."""
    probe = family.sample(1, np.random.default_rng(0))

    def fail(detail: str) -> CheckpointError:
        return CheckpointError(
            f"{path}: the saved {what} is not a sample of the family ({detail})."
        )

    if isinstance(probe, dict):
        if not isinstance(value, dict) or set(value) != set(probe):
            raise fail(f"expected a dict with keys {sorted(probe)}")
        for name in probe:
            if np.shape(value[name]) != np.shape(probe[name])[1:]:
                raise fail(f"{name!r} has shape {np.shape(value[name])}")
            _check_finite(value[name], fail, f"{name!r} ")
        return
    if not isinstance(value, np.ndarray) or value.shape != np.shape(probe)[1:]:
        raise fail(f"shape {np.shape(value)}, expected {np.shape(probe)[1:]}")
    _check_finite(value, fail, "")


def _check_finite(value: Any, fail: Any, label: str) -> None:
    array = np.asarray(value)
    if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
        raise fail(f"{label}holds NaN or infinite values")


# -------------------------------------------------------------------------- helpers
def _digest(document: str, arrays: Mapping[str, np.ndarray]) -> str:
    sha = hashlib.sha256(document.encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        sha.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()


def _read_members(path: Path) -> dict[str, np.ndarray]:
    """Every ``.npy`` member, each checked against its declared size before it is read."""
    with open(path, "rb") as fh:  # what save_state writes ends in a bare end-of-directory
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 22))
        tail = fh.read()
    if size < 22 or tail[:4] != b"PK\x05\x06" or tail[20:22] != b"\0\0":
        raise CheckpointError(
            f"{path} is not a readable cemopt checkpoint (it does not end in a zip directory)."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = {}
            for info in archive.infolist():
                name = info.filename
                if not name.endswith(".npy"):
                    raise CheckpointError(f"{path} has a member {name!r} that is not an array.")
                with archive.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    read_header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read_header(fh)
                    if dtype.hasobject:
                        raise CheckpointError(f"{path}: the member {name!r} holds Python objects.")
                    expected = fh.tell() + math.prod(shape) * dtype.itemsize
                if expected != info.file_size:
                    raise CheckpointError(
                        f"{path}: the member {name!r} declares {math.prod(shape)} values of "
                        f"{dtype} but holds {info.file_size} bytes."
                    )
                with archive.open(info) as fh:
                    members[name[: -len(".npy")]] = np.lib.format.read_array(fh, allow_pickle=False)
            return members
    except CheckpointError:
        raise
    except Exception as exc:  # zip, zlib, npy header and CRC errors all mean a damaged file
        raise CheckpointError(
            f"{path} is not a readable cemopt checkpoint ({type(exc).__name__}: {exc})."
        ) from None


def _utf8(text: str) -> np.ndarray:
    """Text as a uint8 array of its UTF-8 bytes (a quarter of numpy's UTF-32 strings)."""
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _scalar_text(array: np.ndarray, path: Path, name: str) -> str:
    if array.ndim != 1 or array.dtype != np.uint8:
        raise CheckpointError(f"{path}: the member {name!r} is not UTF-8 text.")
    try:
        return array.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"{path}: the member {name!r} is not UTF-8 text.") from None


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


def _plain_tree(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: _plain_tree(v) if isinstance(v, Mapping) else np.asarray(v) for k, v in params.items()
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and set(a) == set(b)
            and all(_same(a[k], b[k]) for k in a)
        )
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    floats = a.dtype.kind == "f" and b.dtype.kind == "f"
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=floats))

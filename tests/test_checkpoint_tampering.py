"""Damaged, edited and mismatched checkpoints: each one is refused with a ValueError that
names the file and what is wrong, before anything is resumed.

Three kinds of case: bytes damaged (truncation, flipped bytes, foreign files), contents
edited by someone who also recomputed the digest (so that the semantic checks behind it
are reached), and an intact file resumed with another family or settings.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import cemopt as ce
import cemopt.checkpoint as ck
from objectives import row_sum, shifted_sphere

RUN = {"n_samples": 40, "vectorized": True, "rng": 0}


def family() -> ce.Normal:
    return ce.Normal(np.zeros(2), np.full(2, 2.0))


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A checkpoint of 4 iterations of a minimize run (and its .rows history)."""
    path = tmp_path_factory.mktemp("ck") / "run.npz"
    ce.minimize(shifted_sphere, family(), max_iter=4, checkpoint=path, **RUN)
    return path


@pytest.fixture
def copy(saved, tmp_path) -> Path:
    target = tmp_path / "run.npz"
    target.write_bytes(saved.read_bytes())
    Path(str(target) + ".rows").write_bytes(Path(str(saved) + ".rows").read_bytes())
    return target


def resume(path: Path, fam: ce.Normal | None = None, **settings) -> ce.OptimizeResult:
    return ce.minimize(
        shifted_sphere,
        family() if fam is None else fam,
        resume=path,
        **{**RUN, "max_iter": 8, **settings},
    )


def names_the_file(path: Path, message: str) -> str:
    """A pattern for a message that names ``path`` and says ``message`` (in any order)."""
    return f"(?s)(?=.*{re.escape(str(path))})(?=.*(?:{message}))"


def test_the_intact_copy_resumes(copy, saved):
    full = ce.minimize(shifted_sphere, family(), max_iter=8, **RUN)
    resumed = resume(copy)
    assert (resumed.fun, resumed.nfev, resumed.nit) == (full.fun, full.nfev, full.nit)


# ----------------------------------------------------------------- damaged bytes
def _truncate(fraction: float | int) -> Callable[[bytes], bytes]:
    return lambda data: data[
        : int(fraction * len(data)) if isinstance(fraction, float) else fraction
    ]


def _flip(where: float | int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        i = int(where * len(data)) if isinstance(where, float) else where % len(data)
        return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :]

    return edit


DAMAGE = {
    "empty": (lambda data: b"", "not a readable cemopt checkpoint"),
    "10 bytes": (_truncate(10), "not a readable cemopt checkpoint"),
    "100 bytes": (_truncate(100), "not a readable cemopt checkpoint"),
    "a quarter": (_truncate(0.25), "not a readable cemopt checkpoint"),
    "half": (_truncate(0.5), "not a readable cemopt checkpoint"),
    "90 percent": (_truncate(0.9), "not a readable cemopt checkpoint"),
    "all but 1 byte": (_truncate(-1), "not a readable cemopt checkpoint"),
    "all but the directory end": (_truncate(-22), "not a readable cemopt checkpoint"),
    "flip byte 0": (_flip(0), "not a readable cemopt checkpoint"),
    "flip byte 40": (_flip(40), "not a readable cemopt checkpoint|modified or corrupted"),
    "flip at 10%": (_flip(0.1), "not a readable cemopt checkpoint|modified or corrupted"),
    "flip at 25%": (_flip(0.25), "not a readable cemopt checkpoint|modified or corrupted"),
    "flip at 50%": (_flip(0.5), "not a readable cemopt checkpoint|modified or corrupted"),
    "flip at 75%": (_flip(0.75), "not a readable cemopt checkpoint|modified or corrupted"),
    "flip the last byte": (_flip(-1), "not a readable cemopt checkpoint"),
    "a text file": (lambda data: b"hello, I am not a checkpoint\n", "not a readable"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_bytes(copy, case):
    edit, message = DAMAGE[case]
    copy.write_bytes(edit(copy.read_bytes()))
    with pytest.raises(ce.CheckpointError, match=names_the_file(copy, f"({message})")):
        resume(copy)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_a_foreign_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ce.CheckpointError, match=names_the_file(path, "has no '__json__'")):
        resume(path)


def test_a_member_that_is_not_an_array(tmp_path):
    path = tmp_path / "run.npz"
    _zip(path, {"notes.txt": b"hi"})
    with pytest.raises(ce.CheckpointError, match="member 'notes.txt' that is not an array"):
        resume(path)


def test_a_pickled_member_is_never_loaded(tmp_path):
    path = tmp_path / "run.npz"
    _zip(path, {"__json__.npy": _npy(np.array([{"a": 1}], dtype=object))})
    with pytest.raises(ce.CheckpointError, match="holds Python objects"):
        resume(path)


def test_a_member_declaring_more_data_than_it_holds(tmp_path):
    # a header that claims 10^12 values must not make the reader allocate them
    path = tmp_path / "run.npz"
    header = _npy(np.zeros(3))
    lying = header.replace(b"(3,)", b"(1000000000000,)".ljust(4))
    _zip(path, {"__json__.npy": lying})
    with pytest.raises(ce.CheckpointError, match="declares|not a readable"):
        resume(path)


def test_a_directory_and_a_missing_file(tmp_path):
    with pytest.raises(ce.CheckpointError, match="is not a file"):
        resume(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resume(tmp_path / "none.npz")


# ----------------------------------------------- contents edited, digest recomputed
def _members(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _rewrite(path: Path, document: str | None = None, **replace: np.ndarray) -> None:
    """Write the file again with edited members and a *correct* digest (an editor who
    read cemopt's code), so that the checks behind the digest are what is tested."""
    members = _members(path)
    members.pop("__sha256__")
    if document is not None:
        members["__json__"] = np.frombuffer(document.encode(), dtype=np.uint8)
    members.update(replace)
    text = members.pop("__json__").tobytes().decode()
    digest = ck._digest(text, members)  # the private digest: this test forges files
    with open(path, "wb") as fh:
        np.savez(fh, __json__=ck._utf8(text), __sha256__=ck._utf8(digest), **members)


def test_edited_json_without_a_new_digest(copy):
    members = _members(copy)
    text = members["__json__"].tobytes().decode().replace('"nit": 4', '"nit": 3')
    members["__json__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    with open(copy, "wb") as fh:
        np.savez(fh, **members)
    with pytest.raises(ce.CheckpointError, match=names_the_file(copy, "was modified or corrupted")):
        resume(copy)


def test_edited_array_without_a_new_digest(copy):
    members = _members(copy)
    members["family/mean"] = members["family/mean"] + 1.0
    with open(copy, "wb") as fh:
        np.savez(fh, **members)
    with pytest.raises(ce.CheckpointError, match="was modified or corrupted"):
        resume(copy)


def test_no_digest_member(copy):
    members = _members(copy)
    del members["__sha256__"]
    with open(copy, "wb") as fh:
        np.savez(fh, **members)
    with pytest.raises(ce.CheckpointError, match="has no '__json__' and '__sha256__' members"):
        resume(copy)


def test_digest_that_is_not_text(copy):
    members = _members(copy)
    members["__sha256__"] = np.zeros(3)
    with open(copy, "wb") as fh:
        np.savez(fh, **members)
    with pytest.raises(ce.CheckpointError, match="'__sha256__' is not UTF-8 text"):
        resume(copy)


def test_unreadable_json(copy):
    _rewrite(copy, document="{not json")
    with pytest.raises(ce.CheckpointError, match="unreadable JSON document"):
        resume(copy)


def test_another_format_and_version(copy):
    text = _members(copy)["__json__"].tobytes().decode()
    _rewrite(copy, document=text.replace('"format": "cemopt-checkpoint"', '"format": "x"'))
    with pytest.raises(ce.CheckpointError, match="no format tag 'cemopt-checkpoint'"):
        resume(copy)
    _rewrite(copy, document=text.replace('"version": 2', '"version": 1'))
    with pytest.raises(ce.CheckpointError, match="version 1; this cemopt reads version 2 only"):
        resume(copy)


def test_a_state_tree_pointing_at_a_missing_array(copy):
    text = _members(copy)["__json__"].tobytes().decode()
    _rewrite(copy, document=text.replace('{"__array__": "best_x"}', '{"__array__": "nowhere"}'))
    with pytest.raises(ce.CheckpointError, match="malformed state tree"):
        resume(copy)


def _edit_state(path: Path, edit: Callable[[dict], None]) -> None:
    state = ck.load_state(path)
    edit(state)
    ck.save_state(path, state)  # a valid digest over the edited state


def _set(*keys, value):
    def edit(state):
        node = state
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


def _delete(*keys):
    def edit(state):
        node = state
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return edit


def _rng_state(name="PCG64"):
    return {"bit_generator": name, "state": {"state": 1, "inc": 3}, "has_uint32": 0, "uinteger": 0}


EDITS = {
    "kind": (_set("kind", value="estimate"), "is a checkpoint of a 'estimate' run"),
    "settings key missing": (_delete("settings", "smoothing"), "its settings name"),
    "settings changed": (
        _set("settings", "smoothing", value=0.5),
        r"`smoothing` must match the checkpoint .* smoothing=0.5, but got smoothing=0.7",
    ),
    "rng name": (
        _set("rng", value=_rng_state("os.system")),
        "must name one of numpy's bit generators .* but names 'os.system'",
    ),
    "rng of another kind": (
        _set("rng", value=_rng_state("MT19937")),
        "the MT19937 generator state is invalid",
    ),
    "rng not a mapping": (_set("rng", value=[1, 2]), "'rng' must be a mapping"),
    "rng state missing": (
        _set("rng", value={"bit_generator": "PCG64"}),
        "the PCG64 generator state is invalid",
    ),
    "nit negative": (_set("counters", "nit", value=-1), "'counters/nit' must be an integer >= 0"),
    "nit a float": (_set("counters", "nit", value=2.5), "'counters/nit' must be an integer"),
    "nit beyond the history": (
        _set("counters", "nit", value=9),
        "'counters/nit' must be an integer >= 0 and <= 4",
    ),
    "nfev below the history": (
        _set("counters", "nfev", value=100),
        "its history records more evaluations",
    ),
    "n_nan above nfev": (_set("counters", "n_nan", value=10**6), "'counters/n_nan' must be"),
    "n_samples zero": (_set("counters", "n_samples", value=0), "'counters/n_samples' must be"),
    "best NaN": (
        _set("counters", "best", value=math.nan),
        "'counters/best' must be a number, not NaN",
    ),
    "best a string": (_set("counters", "best", value="0.1"), "'counters/best' must be a number"),
    "scale zero": (_set("counters", "scale", value=0.0), "'counters/scale' must be in"),
    "warned_nan not a bool": (
        _set("counters", "warned_nan", value=1),
        "'counters/warned_nan' must be true or false",
    ),
    "counter missing": (_delete("counters", "stall"), "the entry 'counters/stall' is missing"),
    "best_x of another shape": (
        _set("best_x", value=np.zeros(3)),
        r"the saved best sample is not a sample of the family \(shape \(3,\)",
    ),
    "best_x missing with a finite best": (
        _set("best_x", value=None),
        "the saved best value and best sample disagree",
    ),
    "family mean of another length": (
        _set("family", "mean", value=np.zeros(3)),
        "the saved family parameters are not valid for Normal",
    ),
    "family std negative": (
        _set("family", "std", value=np.array([1.0, -1.0])),
        "the saved family parameters are not valid for Normal",
    ),
    "family parameter missing": (
        _delete("family", "std"),
        "the saved family parameters are not valid for Normal",
    ),
    "initial family kind": (
        _set("initial_family", "kind", value="MultivariateNormal"),
        "`family` must be the family the checkpoint .* saved with a MultivariateNormal",
    ),
    "initial family malformed": (
        _delete("initial_family", "bounds"),
        "the saved family description is malformed",
    ),
    "termination unknown": (
        _set("termination", value={"because": True}),
        "'termination' must be one stopping rule",
    ),
    "termination two rules": (
        _set("termination", value={"max_iter": 4, "flat": 0.0}),
        "'termination' must be one stopping rule",
    ),
    "history rows beyond the file": (
        _set("history", "rows", value=40),
        r"history file run.npz.rows is truncated",
    ),
    "history digest": (_set("history", "digest", value="00" * 32), "run.npz.rows was modified"),
    "history digest not text": (_set("history", "digest", value=7), "'history/digest' must be"),
    "history columns": (_set("history", "columns", value=["level"]), "its history columns are not"),
    "history layout": (_set("history", "extra", value={"mean": [2]}), "parameter history layout"),
    "history rows negative": (_set("history", "rows", value=-3), "'history/rows' must be"),
    "mean shift of another length": (
        _set("mean_shift", value=np.zeros(3)),
        "'mean_shift' must be 2 numbers, but is \\(3,\\)",
    ),
    "mean shift not finite": (
        _set("mean_shift", value=np.array([np.nan, 1.0])),
        "'mean_shift' must be finite numbers, but is array\\(\\[nan,",
    ),
}


@pytest.mark.parametrize("case", list(EDITS))
def test_edited_state(copy, case):
    edit, message = EDITS[case]
    _edit_state(copy, edit)
    with pytest.raises(ValueError, match=names_the_file(copy, message)):
        resume(copy)


def test_history_log_missing(copy):
    Path(str(copy) + ".rows").unlink()
    with pytest.raises(
        ce.CheckpointError, match=names_the_file(copy, "history file run.npz.rows is missing")
    ):
        resume(copy)


def test_history_log_truncated(copy):
    rows = Path(str(copy) + ".rows")
    rows.write_bytes(rows.read_bytes()[:-8])
    with pytest.raises(ce.CheckpointError, match="run.npz.rows is truncated"):
        resume(copy)


def test_history_log_edited(copy):
    rows = Path(str(copy) + ".rows")
    data = bytearray(rows.read_bytes())
    data[100] ^= 0x01
    rows.write_bytes(bytes(data))
    with pytest.raises(ce.CheckpointError, match="run.npz.rows was modified"):
        resume(copy)


def test_history_log_with_extra_rows_is_fine(copy, saved):
    # a crash between appending rows and writing the state leaves uncommitted rows:
    # they are ignored (and overwritten by the next write)
    rows = Path(str(copy) + ".rows")
    rows.write_bytes(rows.read_bytes() + b"\0" * 8 * 14)
    full = ce.minimize(shifted_sphere, family(), max_iter=8, **RUN)
    assert resume(copy, checkpoint=copy).fun == full.fun


# ------------------------------------------------- intact file, another family
@pytest.mark.parametrize(
    ("fam", "message"),
    [
        (ce.Normal(np.zeros(3), np.full(3, 2.0)), "dimension .* dim 2, but got dim 3"),
        (
            ce.MultivariateNormal(np.zeros(2), 4 * np.eye(2)),
            "saved with a Normal, but got a MultivariateNormal",
        ),
        (ce.Normal(np.zeros(2), np.full(2, 2.0), lower=-5.0), "its `lower` differs"),
        (ce.Normal(np.ones(2), np.full(2, 2.0)), "initial parameters the checkpoint"),
    ],
)
def test_resume_with_another_family(copy, fam, message):
    with pytest.raises(ValueError, match=f"`family` must .*{message}"):
        resume(copy, fam)


# ------------------------------------------------- rare-event checkpoints
@pytest.fixture
def estimate_file(tmp_path) -> Path:
    path = tmp_path / "est.npz"
    options = {"n_samples": 300, "n_final": 3000, "rng": 0}
    plain = ce.estimate(row_sum, ce.Exponential(np.ones(3)), 20.0, **options)
    stop_at = int(plain.history.n_batches.sum()) + 3  # in the final sample

    class Stop:
        calls = 0

        def __call__(self, X):
            self.calls += 1
            if self.calls == stop_at:
                raise KeyboardInterrupt
            return row_sum(X)

    with warnings.catch_warnings():  # an estimate cut this short may be flagged
        warnings.simplefilter("ignore", ce.ConvergenceWarning)
        ce.estimate(Stop(), ce.Exponential(np.ones(3)), 20.0, checkpoint=path, **options)
    return path


ESTIMATE_EDITS = {
    "phase": (_set("phase", value="done"), "'phase' must be one of \\['levels', 'final'\\]"),
    "pending scores": (
        lambda s: (
            _set("pending", "batches", value=1)(s),
            _set("pending", "scores", value=np.zeros(3))(s),
        ),
        "'pending/scores' must be 300 scores",
    ),
    "pending batches beyond the limit": (
        _set("pending", "batches", value=99),
        "'pending/batches' must be an integer >= 0 and <= 10",
    ),
    "final sums": (_set("final", "s1", value=0.0), "the saved final sums disagree"),
    "final hits beyond draws": (_set("final", "n_hits", value=10**6), "'final/n_hits' must be"),
    "final draws beyond the plan": (
        _set("counters", "final_target", value=1),
        "more final samples",
    ),
    "levels and rows": (_set("counters", "nit", value=0), "levels but|disagree"),
    "nominal of another kind": (
        _set("nominal", "kind", value="Normal"),
        "`nominal` must be the family the checkpoint .* saved with a Normal",
    ),
    "previous level missing": (
        _set("counters", "previous", value=None),
        "last level and the number",
    ),
}


@pytest.mark.parametrize("case", list(ESTIMATE_EDITS))
def test_edited_estimate_state(estimate_file, case):
    edit, message = ESTIMATE_EDITS[case]
    state = ck.load_state(estimate_file)
    assert state["phase"] == "final"  # the fixture stops in the final sample
    edit(state)
    ck.save_state(estimate_file, state)
    with pytest.raises(ValueError, match=names_the_file(estimate_file, message)):
        ce.estimate(
            row_sum,
            ce.Exponential(np.ones(3)),
            20.0,
            n_samples=300,
            n_final=3000,
            resume=estimate_file,
        )


def test_an_estimate_checkpoint_is_not_an_optimisation_one(estimate_file):
    with pytest.raises(
        ce.CheckpointError, match="is a checkpoint of a 'estimate' run, not of a 'optimize'"
    ):
        ce.minimize(row_sum, ce.Exponential(np.ones(3)), n_samples=300, resume=estimate_file)

"""Checkpoints fuzzed: seeded byte mutations of real checkpoints (and their ``.rows``
history) written by a short ``ce.minimize`` run and by an interrupted ``ce.estimate``
run.

Raw mutations (a byte flipped, the file cut short, bytes inserted or deleted, the digest
left as it was): every mutated file either resumes to the bit-identical result of the
uninterrupted run or raises a ``ValueError`` (``cemopt.CheckpointError``) that names
the file. Nothing else may escape.

Re-signed mutations (the JSON document or an array edited, then the digest recomputed,
as a buggy writer or a deliberate edit would leave it) reach the checks behind the
digest: loading either succeeds or raises a ``ValueError`` naming the file, and a run
resumed from a state that loads raises nothing but ``ValueError``; its result may
differ, as the file says something else.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import cemopt as ce
import cemopt.checkpoint as ck
from cemopt.optimize import CrossEntropy
from cemopt.rare_event import RareEventCE
from objectives import row_sum, shifted_sphere

RUN = {"n_samples": 40, "vectorized": True, "rng": 0}
EST = {"n_samples": 300, "n_final": 3000}
N_RAW = 250  # per checkpoint
N_RESIGNED = 150


def family() -> ce.Normal:
    return ce.Normal(np.zeros(2), np.full(2, 2.0))


def nominal() -> ce.Exponential:
    return ce.Exponential(np.ones(3))


def _minimize_case(directory: Path):
    path = directory / "run.npz"
    ce.minimize(shifted_sphere, family(), max_iter=4, checkpoint=path, **RUN)
    full = ce.minimize(shifted_sphere, family(), max_iter=8, **RUN)

    def resume(p: Path):
        return ce.minimize(shifted_sphere, family(), resume=p, **{**RUN, "max_iter": 8})

    def load(p: Path):
        return CrossEntropy.load(p, family(), n_samples=RUN["n_samples"])

    def key(r: ce.OptimizeResult):
        return (r.fun, r.x.tobytes(), r.nfev, r.nit, r.status, r.history.best_so_far.tobytes())

    return path, key(full), resume, load, key


def _estimate_case(directory: Path):
    path = directory / "est.npz"
    plain = ce.estimate(row_sum, nominal(), 20.0, rng=0, **EST)
    stop_at = int(plain.history.n_batches.sum()) + 3  # interrupted in the final sample

    class Stop:
        calls = 0

        def __call__(self, X):
            self.calls += 1
            if self.calls == stop_at:
                raise KeyboardInterrupt
            return row_sum(X)

    with warnings.catch_warnings():  # the interrupted run returns what it has
        warnings.simplefilter("ignore", ce.ConvergenceWarning)
        ce.estimate(Stop(), nominal(), 20.0, checkpoint=path, rng=0, **EST)
    assert ck.load_state(path)["phase"] == "final"

    def resume(p: Path):
        return ce.estimate(row_sum, nominal(), 20.0, resume=p, **EST)

    def load(p: Path):
        return RareEventCE.load(p, nominal(), 20.0, **EST)

    def key(r: ce.RareEventResult):
        return (r.probability, r.log_probability, r.std_error, r.nfev, r.success,
                r.history.level.tobytes())  # fmt: skip

    return path, key(plain), resume, load, key


CASES = {"minimize": _minimize_case, "estimate": _estimate_case}


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    return CASES[request.param](tmp_path_factory.mktemp(request.param))


def test_the_unmutated_checkpoints_resume_bit_identically(case):
    path, reference, resume, _, key = case
    assert key(resume(path)) == reference


def _raw_mutation(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    kind = str(rng.choice(["flip", "truncate", "insert", "delete"]))
    i = int(rng.integers(len(data) + (kind in ("insert", "truncate"))))
    if kind == "flip":
        return data[:i] + bytes([data[i] ^ int(rng.integers(1, 256))]) + data[i + 1 :], kind
    if kind == "truncate":
        return data[:i], kind
    if kind == "insert":
        extra = rng.integers(0, 256, size=int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
        return data[:i] + extra + data[i:], kind
    return data[:i] + data[i + int(rng.integers(1, 9)) :], kind


def _write(path: Path, npz: bytes, rows: bytes) -> None:
    path.write_bytes(npz)
    Path(str(path) + ck.ROWS_SUFFIX).write_bytes(rows)


def test_raw_byte_mutations_resume_identically_or_name_the_file(case, tmp_path):
    source, reference, resume, _, key = case
    npz, rows = source.read_bytes(), Path(str(source) + ck.ROWS_SUFFIX).read_bytes()
    rng = np.random.default_rng(11)
    outcome: Counter = Counter()
    for k in range(N_RAW):
        path = tmp_path / f"m{k}.npz"
        target = "rows" if rng.random() < 0.25 else "npz"
        if target == "npz":
            mutated, kind = _raw_mutation(npz, rng)
            _write(path, mutated, rows)
        else:
            mutated, kind = _raw_mutation(rows, rng)
            _write(path, npz, mutated)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ce.ConvergenceWarning)
                result = resume(path)
        except ValueError as exc:  # CheckpointError is one
            assert str(path) in str(exc), (target, kind, str(exc))
            outcome["ValueError"] += 1
            continue
        # any other exception escapes and fails the test
        assert key(result) == reference, (target, kind)
        outcome["same result"] += 1
    print(dict(outcome))  # shown with pytest -s
    assert sum(outcome.values()) == N_RAW
    assert outcome["ValueError"] > N_RAW // 2 and outcome["same result"] >= 1, outcome


def _resigned_mutation(source: Path, path: Path, rng: np.random.Generator) -> str:
    """Edit the JSON document or one array of ``source``, recompute the digest, save."""
    with np.load(source) as archive:
        members = {name: archive[name] for name in archive.files}
    document = members.pop("__json__").tobytes().decode()
    members.pop("__sha256__")
    if rng.random() < 0.6:
        text = bytearray(document.encode())
        kind = str(rng.choice(["json-flip", "json-digit", "json-delete", "json-insert"]))
        i = int(rng.integers(len(text)))
        if kind == "json-flip":
            text[i] ^= int(rng.integers(1, 128))
        elif kind == "json-digit":
            digits = [j for j, c in enumerate(text) if chr(c).isdigit()]
            text[int(rng.choice(digits))] = ord(str(int(rng.integers(10))))
        elif kind == "json-delete":
            del text[i : i + int(rng.integers(1, 4))]
        else:
            alphabet = list(b'0123456789-.eE,:[]{}"truefalsn')
            text[i:i] = bytes(int(c) for c in rng.choice(alphabet, int(rng.integers(1, 4))))
        document = bytes(text).decode("utf-8", errors="replace")
    else:
        name = str(rng.choice(sorted(members)))
        array = members[name]
        if array.size and rng.random() < 0.7:
            raw = bytearray(array.tobytes())
            raw[int(rng.integers(len(raw)))] ^= int(rng.integers(1, 256))
            array = np.frombuffer(bytes(raw), dtype=array.dtype).reshape(array.shape)
            kind = "array-flip"
        else:
            flat = array.reshape(-1)
            array = flat[:-1] if rng.random() < 0.5 else np.append(flat, flat[:1])
            kind = "array-shape"
        members[name] = array
    digest = ck._digest(document, members)
    with open(path, "wb") as fh:
        np.savez(fh, __json__=ck._utf8(document), __sha256__=ck._utf8(digest), **members)
    return kind


def test_resigned_mutations_load_or_name_the_file(case, tmp_path):
    source, _, resume, load, _ = case
    sample_shape = np.shape(load(source).ask())[1:]
    rows = Path(str(source) + ck.ROWS_SUFFIX).read_bytes()
    rng = np.random.default_rng(12)
    outcome: Counter = Counter()
    for k in range(N_RESIGNED):
        path = tmp_path / f"m{k}.npz"
        kind = _resigned_mutation(source, path, rng)
        Path(str(path) + ck.ROWS_SUFFIX).write_bytes(rows)
        try:
            run = load(path)
        except ValueError as exc:
            assert str(path) in str(exc), (kind, str(exc))
            outcome["ValueError naming the file"] += 1
            continue
        outcome["loaded"] += 1
        # what loads is a run of the family it was given: its next batch has that shape
        batch = run.ask()
        assert np.shape(batch)[1:] == sample_shape and np.all(np.isfinite(batch)), kind
        try:  # a state that loads resumes; what it computes is what the file says
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                resume(path)
        except ValueError:  # e.g. a family fitted to samples near 1e300 (its own words)
            outcome["loaded, then a ValueError while running"] += 1
    print(dict(outcome))
    assert sum(outcome.values()) - outcome["loaded, then a ValueError while running"] == N_RESIGNED
    assert outcome["ValueError naming the file"] > N_RESIGNED // 3 and outcome["loaded"] > 10, (
        outcome
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "family/mean",
            "the saved proposal parameters do not fit the Exponential of dimension 3: "
            "restored, they give kind 'Exponential', dimension 4",
        ),
        ("design_point", r"the saved design point is not a sample of the family \(holds NaN"),
    ],
)
def test_fuzz_findings_in_an_estimate_checkpoint(tmp_path, edit, message):
    """What the fuzzer found: an Exponential restored from 4 saved means became a 4-d
    family (numpy's concatenate error on the next batch); a non-finite saved sample
    was resumed as the best point or design point."""
    path = _estimate_case(tmp_path)[0]
    state = ck.load_state(path)
    node = state
    *parents, leaf = edit.split("/")
    for name in parents:
        node = node[name]
    node[leaf] = np.append(node[leaf], 1.0) if edit == "family/mean" else np.full(3, np.inf)
    ck.save_state(path, state)
    with pytest.raises(ce.CheckpointError, match=f"^{path}: {message}"):
        ce.estimate(row_sum, nominal(), 20.0, resume=path, **EST)


def test_fuzz_finding_a_non_finite_best_sample(tmp_path):
    path = _minimize_case(tmp_path)[0]
    state = ck.load_state(path)
    state["best_x"] = np.array([np.nan, 0.0])
    ck.save_state(path, state)
    with pytest.raises(
        ce.CheckpointError,
        match=f"^{path}: the saved best sample is not a sample of the family \\(holds NaN",
    ):
        ce.minimize(shifted_sphere, family(), resume=path, **{**RUN, "max_iter": 8})

"""Fuzzing of the public API (issue 10): hypothesis properties over every family of the
test registry (tests/registry.py ``CASES``) and every functional sampler of
``numdist.random.__all__``.

Inputs: random shapes (zero-size included) and broadcasting, non-contiguous /
negative-stride / misaligned / read-only views, float32/float64/int/bool/object
dtypes, NaN/inf/extreme parameter values, ``validate_args`` on and off, ``out=``
arrays that are right, wrong (dtype, shape, read-only, not an array) or overlapping
an input.

Property: the call raises a clear Python exception (ValueError/TypeError, naming the
parameter when it is about one; OverflowError/MemoryError for sizes), or returns a
result of the right shape and dtype, equal (NaN-aware) to the result of the same call
on clean inputs (contiguous, aligned copies) with the same rng; a clean call and a
fuzzed call fail or succeed together; ``out=`` is untouched after any refusal.

Profiles (tests/conftest.py): "ci" (default) is derandomised (the same examples every
run): 60 examples per registry case, 300 per functional sampler; ``NUMDIST_FUZZ=long``
runs about 13x as many random examples (800 / 4000; a few minutes), e.g.
``NUMDIST_FUZZ=long python -m pytest tests/test_fuzz.py``.
"""
import inspect
import os
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numdist as nd
from numdist.utils import as_float_params

sys.path.insert(0, os.path.dirname(__file__))
from registry import CASES  # noqa: E402

# examples per test (conftest.py's profile: "ci" 300, "long" 4000): a fifth of it per
# registry case (60 / 800), all of it per functional sampler (300 / 4000)
SAMPLER_EXAMPLES = settings.default.max_examples
FAMILY_EXAMPLES = max(1, SAMPLER_EXAMPLES // 5)
ALLOWED = (ValueError, TypeError, OverflowError, MemoryError)

EXTREMES = [np.nan, np.inf, -np.inf, 0.0, -1.0, 1e308, -1e308, 1e-308, 5e-324, 1e-300, 2.0]
LAYOUTS = ["clean", "step2", "negative", "misaligned", "readonly", "fortran"]
DTYPES = ["same", "float32", "float64", "int64", "bool", "object"]


# -- building fuzzed arrays ------------------------------------------------------------------------
def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """``a``'s values (same dtype and shape) in another memory layout."""
    if a.dtype == object or a.ndim == 0 and layout in ("step2", "negative", "fortran"):
        return a.copy()
    if layout == "step2":
        base = np.zeros(a.shape[:-1] + (2 * a.shape[-1],) if a.ndim else (2,), a.dtype)
        v = base[..., ::2] if a.ndim else base[::2].reshape(())
    elif layout == "negative":
        base = np.zeros(a.shape, a.dtype)
        v = base[(slice(None, None, -1),) * a.ndim]
    elif layout == "misaligned":
        if a.dtype.itemsize == 1:
            return a.copy()
        base = np.zeros(a.nbytes + 1, np.uint8)[1:]
        v = base.view(a.dtype).reshape(a.shape)
    elif layout == "fortran":
        v = np.zeros(a.shape, a.dtype, order="F")
    else:
        v = np.zeros(a.shape, a.dtype)
    v[...] = a
    if layout == "readonly":
        v.flags.writeable = False
    return v


def _cast(a: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "same":
        return a.copy()
    if dtype == "object":
        return a.astype(object)
    with np.errstate(invalid="ignore", over="ignore"):
        if dtype == "int64":
            return np.nan_to_num(np.round(a), nan=0, posinf=2**62, neginf=-(2**62)).astype(np.int64)
        return a.astype(dtype)


@st.composite
def fuzzed_param(draw, value):
    """(clean, fuzzed) versions of one parameter: same values, different memory."""
    a = np.array(value, dtype=np.float64)
    if a.size and draw(st.integers(0, 3)) == 0:  # inject an extreme value
        a.reshape(-1)[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(EXTREMES))
    if draw(st.integers(0, 4)) == 0:  # a leading broadcast dim, maybe zero-size
        a = np.broadcast_to(a, (draw(st.integers(0, 2)),) + a.shape).copy()
    a = _cast(a, draw(st.sampled_from(DTYPES)))
    return a.copy(), _layout(a, draw(st.sampled_from(LAYOUTS)))


shapes = st.one_of(st.just(()), st.integers(0, 3),
                   st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple),
                   st.sampled_from([(2**40, 2**40), 2**63 - 1, (0, 2**62, 4)]))  # too large: ValueError


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    if a.dtype == object:
        assert all(x == y or (x != x and y != y) for x, y in zip(a.ravel(), b.ravel())), (a, b)
        return
    np.testing.assert_array_equal(a, b)  # NaN == NaN here


def _outcome(fn):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(), None
        except ALLOWED as exc:
            return None, exc


def _check_exception(exc, names):
    """A refusal must be clear: ValueError/TypeError say which parameter (or size/out/
    shape/value) they are about."""
    msg = str(exc)
    assert msg, f"{type(exc).__name__} without a message"
    if isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, (OverflowError, MemoryError)):
        words = list(names) + ["size", "shape", "out", "value", "sample", "dtype", "too large", "broadcast",
                               "categor", "K ", "dimension", "event", "square", "component", "internal"]
        assert any(w in msg for w in words), f"unclear {type(exc).__name__}: {msg}"
        assert "internal error" not in msg, msg


# -- property 1: every family of the registry ------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@settings(max_examples=FAMILY_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), sample_shape=shapes, validate=st.sampled_from([True, False, None]),
       seed=st.integers(0, 2**32 - 1))
def test_fuzz_family(case, data, sample_shape, validate, seed):
    pairs = {k: data.draw(fuzzed_param(v), label=k) for k, v in case.params.items()}
    clean = {k: c for k, (c, _) in pairs.items()}
    fuzzed = {k: f for k, (_, f) in pairs.items()}
    snapshot = {k: np.array(f, copy=True) for k, f in fuzzed.items()}

    def run(params):
        d = case.nd(params, validate_args=validate)
        x = d.sample(sample_shape, rng=seed)
        assert x.shape == d._extended_shape(sample_shape), (x.shape, d._extended_shape(sample_shape))
        if case.int_samples:
            assert x.dtype == np.int64
        else:  # float32 parameters give float32, anything else float64
            want = as_float_params(**params)[0]
            if case.family == "RelaxedOneHotCategorical":
                # known: temperature and probs/logits are promoted separately (bool/int with
                # float32 gives float64 here, float32 in NumPy and the other families)
                want = d.dtype
            assert x.dtype == want, (x.dtype, {k: v.dtype for k, v in params.items()})
        lp = d.log_prob(x) if x.size else None
        return x, lp

    ref, ref_exc = _outcome(lambda: run(clean))
    got, exc = _outcome(lambda: run(fuzzed))
    for k in fuzzed:  # inputs are never written
        _same(fuzzed[k], snapshot[k])
    assert (exc is None) == (ref_exc is None), (repr(exc), repr(ref_exc))
    if exc is not None:
        assert type(exc) is type(ref_exc), (repr(exc), repr(ref_exc))
        _check_exception(exc, case.params)
        return
    _same(got[0], ref[0])
    if ref[1] is not None:
        _same(got[1], ref[1])


# -- property 2: every functional sampler --------------------------------------------------------------
_r = np.random.default_rng(7)
_SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.5]])
SAMPLER_PARAMS = {
    "standard_normal": {},
    "normal": {"loc": _r.normal(size=(3,)), "scale": _r.uniform(0.5, 2, size=(2, 1))},
    "multivariate_normal": {"mean": _r.normal(size=(2, 3)), "cov": _SPD},
    "categorical": {"p": _r.uniform(0.1, 1, size=(2, 4))},
    "uniform": {"low": _r.uniform(-2, -1, size=(3,)), "high": _r.uniform(1, 2, size=(3,))},
    "standard_exponential": {},
    "exponential": {"scale": _r.uniform(0.5, 2, size=(3,))},
    "laplace": {"loc": _r.normal(size=(2, 3)), "scale": np.array(1.5)},
    "gumbel": {"loc": np.array(0.5), "scale": _r.uniform(0.5, 2, size=(3,))},
    "standard_cauchy": {},
    "geometric": {"p": _r.uniform(0.1, 0.9, size=(3,))},
    "standard_gamma": {"shape": _r.uniform(0.2, 3, size=(3,))},
    "gamma": {"shape": _r.uniform(0.2, 3, size=(2, 1)), "scale": _r.uniform(0.5, 2, size=(3,))},
    "beta": {"a": _r.uniform(0.2, 3, size=(3,)), "b": np.array(1.5)},
    "dirichlet": {"alpha": _r.uniform(0.2, 3, size=(2, 4))},
    "chisquare": {"df": _r.uniform(0.5, 5, size=(3,))},
    "standard_t": {"df": _r.uniform(0.5, 5, size=(3,))},
    "lognormal": {"mean": _r.normal(size=(2, 3)), "sigma": _r.uniform(0.5, 2, size=(3,))},
    "weibull": {"a": _r.uniform(0.3, 4, size=(3,))},
    "poisson": {"lam": np.array([0.05, 3.7, 25.0, 4000.0])},
    "negative_binomial": {"n": _r.uniform(0.3, 50, size=(2, 1)), "p": _r.uniform(0.05, 1, size=(3,))},
}
SAMPLERS = [n for n in nd.random.__all__ if n not in ("Xoshiro256x8", "default_rng")]
EVENT = {"multivariate_normal": 1, "dirichlet": 1}


def test_every_functional_sampler_is_fuzzed():
    assert sorted(SAMPLERS) == sorted(SAMPLER_PARAMS), "add the new sampler to SAMPLER_PARAMS"


def _out_dtype(name, params, dtype):
    if name in ("categorical", "geometric", "poisson", "negative_binomial"):
        return np.dtype(np.int64)
    if dtype is not None:
        return np.dtype(dtype)
    if not params:
        return np.dtype(np.float64)
    return as_float_params(**params)[0]


@pytest.mark.parametrize("name", SAMPLERS)
@settings(max_examples=SAMPLER_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_fuzz_functional_sampler(name, data, seed):
    fn = getattr(nd.random, name)
    pairs = {k: data.draw(fuzzed_param(v), label=k) for k, v in SAMPLER_PARAMS[name].items()}
    clean = {k: c for k, (c, _) in pairs.items()}
    fuzzed = {k: f for k, (_, f) in pairs.items()}
    kw = {}
    if "dtype" in inspect.signature(fn).parameters and data.draw(st.booleans(), label="set dtype"):
        kw["dtype"] = data.draw(st.sampled_from([np.float32, np.float64, np.int64]), label="dtype")
    size = data.draw(st.one_of(st.none(), shapes), label="size")

    # the shape a right out= has: what the clean call returns
    def clean_call(size_, out=None):
        return fn(**clean, size=size_, rng=seed, **kw, **({} if out is None else {"out": out}))

    ref, ref_exc = _outcome(lambda: clean_call(size))
    out_kind = data.draw(st.sampled_from(["none", "right", "wrong-dtype", "wrong-shape", "readonly", "list",
                                          "overlap"]), label="out")
    out = None
    wrong = out_kind in ("wrong-dtype", "wrong-shape", "readonly", "list")
    if out_kind != "none":
        if ref_exc is not None or np.ndim(ref) == 0 and size is None:
            out_kind, wrong = "none", False
        else:
            shape, dt = np.shape(ref), np.asarray(ref).dtype
            layout = data.draw(st.sampled_from(["clean", "step2", "negative", "misaligned", "fortran"]),
                               label="out layout")
            if out_kind == "overlap":
                # out= a view (forwards or reversed, at any offset) of an input's memory
                n = int(np.prod(shape))
                cands = [k for k, f in fuzzed.items() if f.dtype == dt and f.flags.writeable
                         and f.flags.c_contiguous and n > 0 and f.size >= n]
                if not cands:
                    out_kind = "right"
                else:
                    flat = fuzzed[data.draw(st.sampled_from(cands), label="overlaps")].reshape(-1)
                    start = data.draw(st.integers(0, flat.size - n), label="offset")
                    view = flat[start:start + n]
                    out = (view[::-1] if data.draw(st.booleans(), label="reversed") else view).reshape(shape)
            if out is None and out_kind != "none":
                if out_kind == "list":
                    out = [0.0] * max(1, int(np.prod(shape)))
                else:
                    odt = {"wrong-dtype": np.dtype(np.float32) if dt != np.float32 else np.dtype(np.float64)}.get(
                        out_kind, dt)
                    oshape = shape + (2,) if out_kind == "wrong-shape" else shape
                    out = _layout(np.full(oshape, -7, dtype=odt), layout)
                    if out_kind == "readonly":
                        out.flags.writeable = False
    out_before = None if out is None or isinstance(out, list) else np.array(out, copy=True)
    inputs_before = {k: np.array(f, copy=True) for k, f in fuzzed.items()}
    # size=None with out= given: the shape comes from out (NumPy's rule)
    call_size = size if (out is None or data.draw(st.booleans(), label="pass size too")) else None
    if out_kind == "wrong-shape":  # with size=None a differently shaped out= would set the shape
        call_size = size if size is not None else np.shape(ref)
    got, exc = _outcome(lambda: fn(**fuzzed, size=call_size, rng=seed, **kw,
                                   **({} if out is None else {"out": out})))
    if out_kind != "overlap":
        for k in fuzzed:
            _same(fuzzed[k], inputs_before[k])
    if wrong:
        assert exc is not None, f"wrong out= ({out_kind}) accepted"
        assert isinstance(exc, (TypeError, ValueError)), repr(exc)
        if out_before is not None:
            _same(out, out_before)
        return
    if exc is not None:
        assert ref_exc is not None, f"fuzzed call refused, clean call did not: {exc!r}"
        _check_exception(exc, list(SAMPLER_PARAMS[name]))
        if out_before is not None and out_kind != "overlap":
            _same(out, out_before)
        return
    assert ref_exc is None, f"clean call refused, fuzzed call did not: {ref_exc!r}"
    if out is not None:
        assert got is out
        _same(np.asarray(out).copy(), np.asarray(ref))
    else:
        if np.ndim(ref) == 0 and size is None:
            assert type(got) is type(ref)
        _same(got, ref)
    if not (np.ndim(ref) == 0 and size is None and out is None):  # a Python scalar (NumPy's rule)
        assert np.asarray(got).dtype == _out_dtype(name, clean, kw.get("dtype"))

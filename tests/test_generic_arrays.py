"""Every registered distribution: dtypes (float32 variants), read-only and strided
parameters, pickling and deepcopy, and thread-count invariance of sampling."""
import copy
import pickle

import numpy as np
import pytest

import numdist as nd
from registry import CASES

ids = [c.id for c in CASES]
cases = pytest.mark.parametrize("case", CASES, ids=ids)


def _rng(seed=11):
    return np.random.Generator(np.random.PCG64(seed))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@cases
def test_dtypes_follow_parameters(case, dtype):
    c = case.astype(dtype)
    d = c.nd()
    x = d.sample((3,), rng=0)
    assert x.dtype == (np.int64 if case.int_samples else dtype)
    assert x.shape == (3,) + d.batch_shape + d.event_shape
    lp = d.log_prob(x)
    assert lp.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@cases
def test_vjp_dtypes_follow_parameters(case, dtype):
    c = case.astype(dtype)
    d = c.nd()
    x = d.sample((3,), rng=0)
    if d.has_rsample:
        xr, vjp = d.rsample_vjp((3,), rng=0)
        assert xr.dtype == dtype
        grads = vjp(np.ones(xr.shape, dtype=dtype))
        assert {k: (v.shape, v.dtype) for k, v in grads.items()} == {k: (v.shape, v.dtype) for k, v in c.params.items()}
    lp, vjp = d.log_prob_vjp(x)
    grads = vjp(np.ones(np.shape(lp), dtype=dtype))
    for k, v in c.params.items():
        assert grads[k].shape == v.shape and grads[k].dtype == v.dtype, k
    if "value" in grads:
        assert grads["value"].shape == x.shape and grads["value"].dtype == dtype


@cases
def test_float32_values_close_to_float64(case):
    d64, d32 = case.nd(), case.astype(np.float32).nd()
    x = d64.sample((4,), rng=3)
    with np.errstate(all="ignore"):
        lp32 = d32.log_prob(x.astype(np.float32) if x.dtype.kind == "f" else x)
    np.testing.assert_allclose(lp32, d64.log_prob(x), rtol=2e-4, atol=2e-4)


@cases
def test_read_only_parameters(case):
    params = {k: np.array(v) for k, v in case.params.items()}
    for v in params.values():
        v.flags.writeable = False
    d, ref = case.nd(params), case.nd()
    x = d.sample((5,), rng=_rng())
    np.testing.assert_array_equal(x, ref.sample((5,), rng=_rng()))
    np.testing.assert_array_equal(d.log_prob(x), ref.log_prob(x))
    if d.has_rsample:
        xr, vjp = d.rsample_vjp((5,), rng=_rng())
        np.testing.assert_array_equal(xr, x)
        vjp(np.ones_like(xr))


def _strided(v, how):
    v = np.asarray(v)
    if v.ndim == 0:
        return v
    if how == "step2":
        big = np.zeros(v.shape[:-1] + (2 * v.shape[-1],), dtype=v.dtype)
        big[..., ::2] = v
        out = big[..., ::2]
    elif how == "negative":
        out = np.ascontiguousarray(v[..., ::-1])[..., ::-1]
    else:  # "fortran"
        out = np.asfortranarray(v)
    assert np.array_equal(out, v, equal_nan=True)
    return out


@pytest.mark.parametrize("how", ["step2", "negative", "fortran"])
@cases
def test_strided_parameters_give_the_same_values(case, how):
    params = {k: _strided(v, how) for k, v in case.params.items()}
    d, ref = case.nd(params), case.nd()
    x = d.sample((5,), rng=_rng())
    np.testing.assert_array_equal(x, ref.sample((5,), rng=_rng()))
    np.testing.assert_array_equal(d.log_prob(x), ref.log_prob(x))
    if d.has_rsample:
        a, va = d.rsample_vjp((5,), rng=_rng())
        b, vb = ref.rsample_vjp((5,), rng=_rng())
        np.testing.assert_array_equal(a, b)
        ga, gb = va(np.ones_like(a)), vb(np.ones_like(b))
        for k in gb:
            np.testing.assert_allclose(ga[k], gb[k], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@cases
def test_pickle_and_deepcopy_round_trip(case, how):
    d = case.nd()
    d.sample((2,), rng=0)  # anything cached on first use goes along
    e = pickle.loads(pickle.dumps(d)) if how == "pickle" else copy.deepcopy(d)
    assert type(e) is type(d)
    assert e.batch_shape == d.batch_shape and e.event_shape == d.event_shape
    x = d.sample((4,), rng=_rng())
    np.testing.assert_array_equal(e.sample((4,), rng=_rng()), x)
    np.testing.assert_array_equal(e.log_prob(x), d.log_prob(x))


CHUNK = 65536


@cases
def test_samples_do_not_depend_on_thread_count(case):
    d = case.nd()
    per_draw = max(1, int(np.prod(d.batch_shape + d.event_shape)))
    n = -(-4 * CHUNK // per_draw) + 7  # spans several chunks, not a multiple of one
    before = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a = d.sample((n,), rng=_rng(5))
        nd.set_num_threads(2)
        b = d.sample((n,), rng=_rng(5))
    finally:
        nd.set_num_threads(before)
    np.testing.assert_array_equal(a, b)

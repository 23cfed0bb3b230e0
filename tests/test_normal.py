"""Normal: values against torch and scipy, dtypes, sampling statistics, gradients
against torch autograd on the same draws, expand, and the seed document's example.

Shape checks shared by every family live in test_generic.py; the random source in
test_rng.py; the functional samplers in test_functional_normal.py; bad input in
test_bad_input_normal.py.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes
from scipy import stats

import numdist as nd
from conftest import ks_pvalue

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


def _params(loc_shape=(3, 1), scale_shape=(5,), seed=0, dtype=np.float64):
    r = np.random.default_rng(seed)
    return (r.normal(size=loc_shape).astype(dtype), r.uniform(0.5, 2.0, size=scale_shape).astype(dtype))


def _tensor(torch, a, requires_grad=False):
    a = np.asarray(a)
    t = torch.tensor(a, dtype=torch.float64 if a.dtype == F64 else torch.float32)
    return t.requires_grad_(requires_grad)


# ---------------------------------------------------------------------------------
# Values: log_prob, cdf, icdf, entropy against torch and scipy.stats.norm
# ---------------------------------------------------------------------------------
def test_log_prob_float64_matches_torch_and_scipy(torch):
    loc, scale = _params()
    r = np.random.default_rng(1)
    value = loc + scale * r.uniform(-8, 8, size=(2, 3, 5))
    lp = nd.Normal(loc, scale).log_prob(value)
    assert lp.shape == (2, 3, 5) and lp.dtype == F64
    np.testing.assert_allclose(lp, stats.norm.logpdf(value, loc, scale), rtol=1e-12)
    tlp = torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)).log_prob(_tensor(torch, value))
    np.testing.assert_allclose(lp, tlp.numpy(), rtol=1e-12)


def test_cdf_float64_matches_scipy_everywhere_including_tails():
    # Standard normal over the whole range where the cdf is a normal (not subnormal) double.
    z = np.concatenate([np.linspace(-37.5, 8.5, 40001), [-30.0, -20.0, -10.0, -5.0, 0.0, 5.0, 8.0]])
    c = nd.Normal(0.0, 1.0).cdf(z)
    np.testing.assert_allclose(c, stats.norm.cdf(z), rtol=1e-12, atol=0)
    # and with loc/scale (broadcast), again in both tails
    loc, scale = _params()
    r = np.random.default_rng(2)
    value = loc + scale * r.uniform(-36, 8, size=(4, 3, 5))
    np.testing.assert_allclose(nd.Normal(loc, scale).cdf(value), stats.norm.cdf(value, loc, scale), rtol=1e-12, atol=0)
    assert nd.Normal(0.0, 1.0).cdf(-np.inf) == 0.0 and nd.Normal(0.0, 1.0).cdf(np.inf) == 1.0


def test_cdf_float64_matches_torch_in_the_body(torch):
    # torch computes 0.5 * (1 + erf(z / sqrt 2)): accurate to ~1e-16 absolute, so compare
    # relatively where that is meaningful (|z| < 5) with an absolute floor of a few ulps of 1.
    loc, scale = _params()
    r = np.random.default_rng(3)
    value = loc + scale * r.uniform(-5, 5, size=(200, 3, 5))
    c = nd.Normal(loc, scale).cdf(value)
    tc = torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)).cdf(_tensor(torch, value)).numpy()
    np.testing.assert_allclose(c, tc, rtol=1e-12, atol=1e-15)


def test_icdf_float64_matches_scipy_and_torch(torch):
    q = np.concatenate([np.logspace(-300, -1, 600), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-15, -1, 200)])
    x = nd.Normal(0.0, 1.0).icdf(q)
    np.testing.assert_allclose(x, stats.norm.ppf(q), rtol=1e-12, atol=1e-300)
    assert nd.Normal(0.0, 1.0).icdf(0.0) == -np.inf and nd.Normal(0.0, 1.0).icdf(1.0) == np.inf
    loc, scale = _params()
    qq = np.random.default_rng(4).uniform(0.001, 0.999, size=(7, 3, 5))
    xi = nd.Normal(loc, scale).icdf(qq)
    floor = 1e-14 * (np.abs(loc) + scale)  # loc + scale * ppf cancels near the median
    np.testing.assert_allclose(xi, stats.norm.ppf(qq, loc, scale), rtol=1e-12, atol=floor.max())
    ti = torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)).icdf(_tensor(torch, qq)).numpy()
    np.testing.assert_allclose(xi, ti, rtol=1e-12, atol=floor.max())
    # icdf inverts cdf
    np.testing.assert_allclose(nd.Normal(loc, scale).cdf(xi), qq, rtol=1e-12)


def test_entropy_float64_matches_torch_and_scipy(torch):
    loc, scale = _params(scale_shape=(3, 5))
    h = nd.Normal(loc, scale).entropy()
    assert h.shape == (3, 5)
    np.testing.assert_allclose(h, stats.norm.entropy(loc, scale), rtol=1e-12)
    np.testing.assert_allclose(h, torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)).entropy().numpy(),
                               rtol=1e-12)


def test_float32_values_match_scipy_and_torch_to_1e_5(torch):
    loc, scale = _params(dtype=np.float32)
    r = np.random.default_rng(5)
    value = (loc + scale * r.uniform(-5, 5, size=(6, 3, 5))).astype(np.float32)
    q = r.uniform(0.001, 0.999, size=(6, 3, 5)).astype(np.float32)
    d = nd.Normal(loc, scale)
    loc64, scale64, value64, q64 = (a.astype(np.float64) for a in (loc, scale, value, q))
    td = torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale))
    out = {"log_prob": d.log_prob(value), "cdf": d.cdf(value), "icdf": d.icdf(q), "entropy": d.entropy()}
    ref = {"log_prob": stats.norm.logpdf(value64, loc64, scale64), "cdf": stats.norm.cdf(value64, loc64, scale64),
           "icdf": stats.norm.ppf(q64, loc64, scale64), "entropy": stats.norm.entropy(loc64, scale64)}
    tref = {"log_prob": td.log_prob(_tensor(torch, value)), "cdf": td.cdf(_tensor(torch, value)),
            "icdf": td.icdf(_tensor(torch, q)), "entropy": td.entropy()}
    for k in out:
        assert out[k].dtype == F32, k
        atol = 1e-5 * float(np.max(np.abs(loc) + scale)) if k == "icdf" else 0.0
        np.testing.assert_allclose(out[k], ref[k], rtol=1e-5, atol=atol, err_msg=k)
        np.testing.assert_allclose(out[k], tref[k].numpy(), rtol=1e-5, atol=max(atol, 1e-6), err_msg=k)


def test_moments_and_support(torch):
    loc, scale = _params()
    d = nd.Normal(loc, scale)
    np.testing.assert_array_equal(d.mode, np.broadcast_to(loc, (3, 5)))
    np.testing.assert_array_equal(d.stddev, np.broadcast_to(scale, (3, 5)))
    assert d.has_rsample and d.support.check(np.array([-np.inf, 0.0, 1e300])).all()
    assert not d.support.check(np.array([np.nan])).any()
    assert set(d.arg_constraints) == set(torch.distributions.Normal.arg_constraints) == {"loc", "scale"}


# ---------------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------------
DTYPE_CASES = [
    ("f32-f32", np.zeros(3, np.float32), np.ones(3, np.float32), F32),
    ("f64-f64", np.zeros(3), np.ones(3), F64),
    ("int-int", 0, 1, F64),
    ("intarr-intarr", np.zeros(3, np.int64), np.ones(3, np.int32), F64),
    ("f32-pyfloat", np.zeros(3, np.float32), 2.0, F32),
    ("pyfloat-f32", 0.5, np.ones(3, np.float32), F32),
    ("f32-pyint", np.zeros(3, np.float32), 2, F32),
    ("f32-f64", np.zeros(3, np.float32), np.ones(3, np.float64), F64),
    ("npf32-npf64", np.float32(0), np.float64(1), F64),
    ("npf32-npf32", np.float32(0), np.float32(1), F32),
    ("f32-int64arr", np.zeros(3, np.float32), np.ones(3, np.int64), F64),
    ("pyfloat-pyfloat", 0.0, 1.0, F64),
    ("bool-f32", np.array([True, False, True]), np.ones(3, np.float32), F32),
]


@pytest.mark.parametrize("loc,scale,expected", [c[1:] for c in DTYPE_CASES], ids=[c[0] for c in DTYPE_CASES])
def test_dtype_follows_numpy_promotion(loc, scale, expected):
    d = nd.Normal(loc, scale)
    assert d.loc.dtype == expected and d.scale.dtype == expected
    x = d.sample((4,), rng=0)
    assert x.dtype == expected and d.rsample((4,), rng=0).dtype == expected
    assert d.log_prob(x).dtype == expected
    assert d.log_prob(0.25).dtype == expected          # Python scalars are weak
    assert d.log_prob(1).dtype == expected             # integers take the distribution's dtype
    assert d.cdf(x).dtype == expected and d.cdf(0.25).dtype == expected
    assert d.icdf(0.25).dtype == expected and d.icdf(np.full(3, 0.5, dtype=expected)).dtype == expected
    assert d.entropy().dtype == expected
    for m in (d.mean, d.mode, d.variance, d.stddev):
        assert np.asarray(m).dtype == expected
    xv, vjp = d.rsample_vjp((4,), rng=0)
    assert xv.dtype == expected


def test_value_promotion_in_log_prob_cdf_icdf():
    d = nd.Normal(np.zeros(2, np.float32), np.ones(2, np.float32))
    v64 = np.array([0.5, 1.5])
    # A float64 array meets float32 parameters: NumPy promotes to float64 (as torch does).
    assert d.log_prob(v64).dtype == F64 and d.cdf(v64).dtype == F64 and d.icdf(np.array([0.1, 0.2])).dtype == F64
    np.testing.assert_allclose(d.log_prob(v64), stats.norm.logpdf(v64), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(v64), stats.norm.cdf(v64), rtol=1e-12)
    assert d.log_prob(np.float32(0.5)).dtype == F32
    assert d.log_prob(np.array([1, 2], np.int64)).dtype == F32


# ---------------------------------------------------------------------------------
# Sampling statistics
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_sample_ks_against_scipy(dtype):
    loc, scale = dtype(1.5), dtype(2.5)
    x = nd.Normal(np.full(1, loc), np.full(1, scale)).sample((10**6,), rng=2024)
    assert x.dtype == dtype and x.shape == (10**6, 1)
    assert ks_pvalue(x, stats.norm(float(loc), float(scale)).cdf) > 1e-4
    # the mean and variance are right too (5 sigma bounds for 1e6 draws)
    assert abs(x.mean() - 1.5) < 5 * 2.5 / 1e3
    assert abs(x.astype(np.float64).var() / 6.25 - 1) < 5 * np.sqrt(2 / 1e6)


def test_normal_sample_broadcast_members_have_their_own_loc_and_scale():
    loc = np.array([[-10.0], [0.0], [10.0]])
    scale = np.array([0.1, 1.0, 5.0, 20.0])
    x = nd.Normal(loc, scale).sample((20000,), rng=11)
    assert x.shape == (20000, 3, 4)
    z = (x - loc) / scale
    for idx in np.ndindex(3, 4):
        assert ks_pvalue(z[(slice(None),) + idx], stats.norm.cdf) > 1e-4, idx


def test_sample_and_rsample_agree_with_same_rng_state():
    loc, scale = _params()
    d = nd.Normal(loc, scale)
    g1, g2, g3 = (np.random.Generator(np.random.PCG64(9)) for _ in range(3))
    a, b = d.sample((3, 2), rng=g1), d.rsample((3, 2), rng=g2)
    c, _ = d.rsample_vjp((3, 2), rng=g3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    # the generators were advanced identically
    assert g1.random() == g2.random() == g3.random()
    # float32 too
    d32 = nd.Normal(loc.astype(np.float32), scale.astype(np.float32))
    np.testing.assert_array_equal(d32.sample(7, rng=5), d32.rsample(7, rng=5))


def test_same_seed_same_numbers_and_sample_is_loc_plus_scale_z():
    loc, scale = _params()
    d = nd.Normal(loc, scale)
    a, b = d.sample((6,), rng=123), d.sample((6,), rng=123)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, d.sample((6,), rng=124))
    nd.manual_seed(77)
    c = d.sample((6,))
    nd.manual_seed(77)
    np.testing.assert_array_equal(c, d.sample((6,)))
    # the draws are loc + scale * z for the same standard normals z as the functional API
    z = nd.random.standard_normal((6, 3, 5), rng=123)
    np.testing.assert_array_equal(a, loc + scale * z)


def test_sample_shape_int_and_tuple_and_empty():
    d = nd.Normal(np.zeros(2), 1.0)
    assert d.sample(4, rng=0).shape == (4, 2)
    assert d.sample((), rng=0).shape == (2,)
    assert d.sample((0, 3), rng=0).shape == (0, 3, 2)
    np.testing.assert_array_equal(d.sample(4, rng=0), d.sample((4,), rng=0))
    assert nd.Normal(0.0, 1.0).sample(rng=0).shape == ()


# ---------------------------------------------------------------------------------
# expand
# ---------------------------------------------------------------------------------
def test_expand_is_a_view_with_right_shapes(torch):
    loc, scale = _params()
    d = nd.Normal(loc, scale)
    e = d.expand((4, 3, 5))
    te = torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)).expand((4, 3, 5))
    assert e.batch_shape == tuple(te.batch_shape) == (4, 3, 5) and e.event_shape == ()
    assert e.loc.shape == e.scale.shape == (4, 3, 5)
    assert np.shares_memory(e.loc, d.loc) and np.shares_memory(e.scale, d.scale)
    assert np.shares_memory(e.loc, loc) and np.shares_memory(e.scale, scale)
    assert e.dtype == d.dtype and type(e) is nd.Normal
    assert e.sample((2,), rng=0).shape == (2, 4, 3, 5)
    v = np.random.default_rng(0).normal(size=(4, 3, 5))
    np.testing.assert_allclose(e.log_prob(v), te.log_prob(_tensor(torch, v)).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(e.expand((2, 4, 3, 5)).loc[1], e.loc)
    with pytest.raises(ValueError):
        d.expand((3, 4))


def test_expand_float32_keeps_dtype_and_memory():
    loc, scale = _params(dtype=np.float32)
    d = nd.Normal(loc, scale)
    e = d.expand((2, 3, 5))
    assert e.sample(rng=0).dtype == F32 and np.shares_memory(e.loc, loc)


# ---------------------------------------------------------------------------------
# Gradients: every VJP against torch autograd on the same draws (float64, 1e-10)
# ---------------------------------------------------------------------------------
GRAD_SHAPES = [
    ("broadcast", (3, 1), (5,), (4,)),
    ("same", (2, 3), (2, 3), (2, 2)),
    ("scalar-params", (), (), (6,)),
    ("scalar-loc", (), (4,), (3,)),
    ("no-sample-dims", (3, 1), (1, 5), ()),
]
GRAD_IDS = [c[0] for c in GRAD_SHAPES]


@pytest.mark.parametrize("_,loc_shape,scale_shape,sample_shape", GRAD_SHAPES, ids=GRAD_IDS)
def test_rsample_vjp_matches_torch_on_same_draws(torch, _, loc_shape, scale_shape, sample_shape):
    loc, scale = _params(loc_shape, scale_shape, seed=10)
    d = nd.Normal(loc, scale)
    x, vjp = d.rsample_vjp(sample_shape, rng=31)
    np.testing.assert_array_equal(x, d.sample(sample_shape, rng=31))
    eps = (x - loc) / scale
    g = np.random.default_rng(32).normal(size=x.shape)
    grads = vjp(g)
    tl, ts = _tensor(torch, loc, True), _tensor(torch, scale, True)
    tx = tl + ts * _tensor(torch, eps)
    np.testing.assert_allclose(x, tx.detach().numpy(), rtol=1e-12)
    tx.backward(_tensor(torch, g))
    assert set(grads) == {"loc", "scale"}
    for name, t, shape in (("loc", tl, loc_shape), ("scale", ts, scale_shape)):
        assert grads[name].shape == shape and grads[name].dtype == F64, name
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("_,loc_shape,scale_shape,sample_shape", GRAD_SHAPES, ids=GRAD_IDS)
def test_log_prob_vjp_matches_torch(torch, _, loc_shape, scale_shape, sample_shape):
    loc, scale = _params(loc_shape, scale_shape, seed=11)
    d = nd.Normal(loc, scale)
    value = np.random.default_rng(12).normal(size=tuple(sample_shape) + d.batch_shape) * 2
    lp, vjp = d.log_prob_vjp(value)
    np.testing.assert_array_equal(lp, d.log_prob(value))
    g = np.random.default_rng(13).normal(size=lp.shape)
    grads = vjp(g)
    tl, ts, tv = _tensor(torch, loc, True), _tensor(torch, scale, True), _tensor(torch, value, True)
    tlp = torch.distributions.Normal(tl, ts).log_prob(tv)
    np.testing.assert_allclose(lp, tlp.detach().numpy(), rtol=1e-12)
    tlp.backward(_tensor(torch, g))
    assert set(grads) == {"loc", "scale", "value"}
    for name, t, arr in (("loc", tl, loc), ("scale", ts, scale), ("value", tv, value)):
        assert grads[name].shape == arr.shape and grads[name].dtype == F64, name
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, err_msg=name)


def test_log_prob_vjp_value_broadcast_against_batch(torch):
    # value smaller than the batch: its gradient is summed back to its own shape
    loc, scale = _params((3, 1), (5,), seed=14)
    value = np.random.default_rng(15).normal(size=(5,))
    lp, vjp = nd.Normal(loc, scale).log_prob_vjp(value)
    assert lp.shape == (3, 5)
    g = np.random.default_rng(16).normal(size=lp.shape)
    grads = vjp(g)
    tl, ts, tv = _tensor(torch, loc, True), _tensor(torch, scale, True), _tensor(torch, value, True)
    torch.distributions.Normal(tl, ts).log_prob(tv).backward(_tensor(torch, g))
    assert grads["value"].shape == (5,)
    for name, t in (("loc", tl), ("scale", ts), ("value", tv)):
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("_,loc_shape,scale_shape,sample_shape", GRAD_SHAPES, ids=GRAD_IDS)
def test_entropy_vjp_matches_torch(torch, _, loc_shape, scale_shape, sample_shape):
    loc, scale = _params(loc_shape, scale_shape, seed=17)
    d = nd.Normal(loc, scale)
    h, vjp = d.entropy_vjp()
    np.testing.assert_array_equal(h, d.entropy())
    g = np.random.default_rng(18).normal(size=h.shape)
    grads = vjp(g)
    tl, ts = _tensor(torch, loc, True), _tensor(torch, scale, True)
    th = torch.distributions.Normal(tl, ts).entropy()
    np.testing.assert_allclose(h, th.detach().numpy(), rtol=1e-12)
    th.backward(_tensor(torch, g))
    assert tl.grad is None  # the entropy does not depend on loc...
    assert grads["loc"].shape == loc_shape and not grads["loc"].any()  # ...so its gradient is zero
    assert grads["scale"].shape == scale_shape and grads["scale"].dtype == F64
    np.testing.assert_allclose(grads["scale"], ts.grad.numpy(), rtol=1e-10)


def test_vjps_of_expanded_distribution_flow_to_original_parameters(torch):
    loc, scale = _params((3, 1), (5,), seed=19)
    e = nd.Normal(loc, scale).expand((2, 3, 5))
    x, vjp = e.rsample_vjp((4,), rng=3)
    eps = (x - loc) / scale
    g = np.random.default_rng(20).normal(size=x.shape)
    grads = vjp(g)
    tl, ts = _tensor(torch, loc, True), _tensor(torch, scale, True)
    (tl.expand(2, 3, 5) + ts.expand(2, 3, 5) * _tensor(torch, eps)).backward(_tensor(torch, g))
    assert grads["loc"].shape == (3, 1) and grads["scale"].shape == (5,)
    np.testing.assert_allclose(grads["loc"], tl.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(grads["scale"], ts.grad.numpy(), rtol=1e-10)
    value = np.random.default_rng(21).normal(size=(2, 3, 5))
    lp, vjp = e.log_prob_vjp(value)
    grads = vjp(np.ones_like(lp))
    tl, ts, tv = _tensor(torch, loc, True), _tensor(torch, scale, True), _tensor(torch, value, True)
    torch.distributions.Normal(tl, ts).expand((2, 3, 5)).log_prob(tv).sum().backward()
    for name, t in (("loc", tl), ("scale", ts), ("value", tv)):
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, err_msg=name)


def test_vjp_scalar_cotangent_broadcasts_to_the_value(torch):
    # vjp(1.0) means "d sum(value)": the same as a cotangent of ones
    loc, scale = _params((3,), (3,), seed=22)
    d = nd.Normal(loc, scale)
    x, vjp = d.rsample_vjp((4,), rng=0)
    for k, v in vjp(1.0).items():
        np.testing.assert_array_equal(v, vjp(np.ones_like(x))[k])
    np.testing.assert_allclose(vjp(1.0)["loc"], [4.0, 4.0, 4.0])
    lp, lvjp = d.log_prob_vjp(x)
    for k, v in lvjp(1.0).items():
        np.testing.assert_array_equal(v, lvjp(np.ones_like(lp))[k])
    with pytest.raises(ValueError, match="cotangent"):
        vjp(np.ones(5))


def test_gradients_have_each_parameters_dtype():
    # float32 loc with float64 scale: computed in float64, loc's gradient returned in float32
    loc = np.array([[0.5], [-1.0]], dtype=np.float32)
    scale = np.array([1.0, 2.0, 3.0])
    d = nd.Normal(loc, scale)
    assert d.dtype == F64
    x, vjp = d.rsample_vjp((3,), rng=0)
    grads = vjp(np.ones_like(x))
    assert grads["loc"].dtype == F32 and grads["loc"].shape == (2, 1)
    assert grads["scale"].dtype == F64 and grads["scale"].shape == (3,)
    np.testing.assert_allclose(grads["loc"], np.full((2, 1), 9.0), rtol=1e-6)
    eps = (x - loc.astype(np.float64)) / scale
    np.testing.assert_allclose(grads["scale"], eps.sum(axis=(0, 1)), rtol=1e-10)
    lp, lvjp = d.log_prob_vjp(np.float32(0.25))
    lg = lvjp(np.ones_like(lp))
    assert lg["loc"].dtype == F32 and lg["scale"].dtype == F64 and lg["value"].dtype == F32 and lg["value"].shape == ()
    # all float32: everything float32
    d32 = nd.Normal(loc, scale.astype(np.float32))
    x32, vjp32 = d32.rsample_vjp((3,), rng=0)
    assert all(v.dtype == F32 for v in vjp32(np.ones_like(x32)).values())
    h, hvjp = d32.entropy_vjp()
    assert all(v.dtype == F32 for v in hvjp(np.ones_like(h)).values())


# ---------------------------------------------------------------------------------
# Property test: shapes and broadcasting of sample, log_prob and the gradients
# ---------------------------------------------------------------------------------
def _reduce_to(g, shape, full_shape):
    """Reference adjoint of broadcasting ``shape`` to ``full_shape``: bincount over the
    flat index each output element reads from (independent of numdist's sum_to_shape)."""
    size = int(np.prod(shape))
    idx = np.broadcast_to(np.arange(size).reshape(shape), full_shape)
    return np.bincount(idx.ravel(), weights=np.broadcast_to(g, full_shape).ravel(), minlength=size).reshape(shape)


@settings(max_examples=60, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       sample_shape=array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
       seed=st.integers(0, 2**32 - 1))
def test_shapes_and_gradients_broadcast_like_numpy(shapes, sample_shape, seed):
    loc_shape, scale_shape = shapes.input_shapes
    r = np.random.default_rng(seed)
    loc, scale = r.normal(size=loc_shape), r.uniform(0.5, 2, size=scale_shape)
    d = nd.Normal(loc, scale)
    batch = np.broadcast_shapes(loc_shape, scale_shape)
    assert d.batch_shape == batch == shapes.result_shape and d.event_shape == ()
    x, vjp = d.rsample_vjp(sample_shape, rng=seed)
    full = tuple(sample_shape) + batch
    assert x.shape == full and d.sample(sample_shape, rng=seed).shape == full
    assert d.log_prob(x).shape == full and d.cdf(x).shape == full
    assert d.entropy().shape == batch and d.expand((2,) + batch).batch_shape == (2,) + batch
    g = r.normal(size=full)
    grads = vjp(g)
    eps = (x - loc) / scale
    assert grads["loc"].shape == loc_shape and grads["scale"].shape == scale_shape
    np.testing.assert_allclose(grads["loc"], _reduce_to(g, loc_shape, full), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["scale"], _reduce_to(g * eps, scale_shape, full), rtol=1e-10, atol=1e-12)
    lp, lvjp = d.log_prob_vjp(x)
    lg = lvjp(g)
    assert lg["loc"].shape == loc_shape and lg["scale"].shape == scale_shape and lg["value"].shape == full


# ---------------------------------------------------------------------------------
# The seed document (000): sample() vs rsample() on a standard Normal
# ---------------------------------------------------------------------------------
def test_seed_document_sample_vs_rsample_example(torch):
    # dist = normal.Normal(loc=0, scale=1); samples = dist.sample((10,)); rsamples = dist.rsample((10,))
    dist = nd.Normal(loc=0, scale=1)
    tdist = torch.distributions.normal.Normal(loc=0, scale=1)
    samples = dist.sample((10,))
    rsamples = dist.rsample((10,))
    assert samples.shape == tuple(tdist.sample((10,)).shape) == (10,)
    assert rsamples.shape == tuple(tdist.rsample((10,)).shape) == (10,)
    assert dist.batch_shape == tuple(tdist.batch_shape) and dist.event_shape == tuple(tdist.event_shape)
    assert not np.array_equal(samples, rsamples)  # two draws from the global stream
    sample_mean, rsample_mean = np.mean(samples), np.mean(rsamples)
    assert np.shape(sample_mean) == tuple(torch.mean(tdist.sample((10,))).shape) == ()
    assert np.isfinite(sample_mean) and np.isfinite(rsample_mean)
    # the deterministic quantities the document lists: log_prob, cdf, entropy
    for v in (-1.0, 0.0, 2.5):
        np.testing.assert_allclose(dist.log_prob(v), tdist.log_prob(torch.tensor(v, dtype=torch.float64)).item(),
                                   rtol=1e-7)  # torch evaluates in float32 here
        np.testing.assert_allclose(dist.cdf(v), tdist.cdf(torch.tensor(v, dtype=torch.float64)).item(), rtol=1e-7)
    np.testing.assert_allclose(dist.entropy(), tdist.entropy().item(), rtol=1e-7)

"""The one-pass gradient paths (csrc/grad_fused.c through numdist._fused) against the
NumPy expressions they replace, torch autograd and jax; their memory; the ELBO step of
docs/performance.md; and the MVN glue (one-pass validation, nothing copied when
validation is off)."""
import math

import numpy as np
import pytest

import numdist as nd
from conftest import peak_bytes
from numdist import _fused
from numdist.benchmarks.normal import (ELBO_D, ELBO_S, elbo_data, elbo_fixed_numdist, elbo_fixed_torch,
                                       elbo_grad_jax, elbo_step_numdist, elbo_step_torch, jax_or_none)
from numdist.utils import sum_rightmost, sum_to_shape

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


# -- the previous NumPy path, written out as it was (the reference for "no change") --------------
def numpy_log_prob(loc, scale, v):
    z = (v - loc) / scale
    return -0.5 * (z * z) - np.log(scale) - _HALF_LOG_2PI


def numpy_log_prob_grads(loc, scale, v, g, loc_shape, scale_shape, value_shape, dtype):
    z = (v - loc) / scale
    dloc = g * z / scale
    return {"loc": sum_to_shape(dloc, loc_shape, dtype), "scale": sum_to_shape(g * (z * z - 1) / scale, scale_shape, dtype),
            "value": sum_to_shape(-dloc, value_shape, dtype)}


def numpy_rsample_grads(eps, g, loc_shape, scale_shape, dtype):
    return {"loc": sum_to_shape(g, loc_shape, dtype), "scale": sum_to_shape(g * eps, scale_shape, dtype)}


def _params(loc_shape, scale_shape, dtype, seed=0):
    r = np.random.default_rng(seed)
    loc = r.normal(size=loc_shape).astype(dtype)
    scale = np.exp(0.5 * r.normal(size=scale_shape)).astype(dtype)
    return loc, scale


SHAPES = [((1000,), (1000,)), ((), ()), ((3, 1), (4,)), ((5,), ()), ((2, 3, 4), (1, 3, 1))]
DTYPES = [np.float64, np.float32]


# -- Normal.log_prob / Independent.log_prob: the same bits as the NumPy expressions --------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loc_shape,scale_shape", SHAPES)
def test_log_prob_bits_unchanged(loc_shape, scale_shape, dtype):
    loc, scale = _params(loc_shape, scale_shape, dtype)
    d = nd.Normal(loc, scale)
    r = np.random.default_rng(1)
    value = (r.normal(size=(6,) + d.batch_shape) * 2).astype(dtype)
    expected = numpy_log_prob(d.loc, d.scale, value)
    got = d.log_prob(value)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    # strided and flipped values, a value broadcast against the batch
    np.testing.assert_array_equal(d.log_prob(value[::-2]), numpy_log_prob(d.loc, d.scale, value[::-2]))
    one = value[0]
    np.testing.assert_array_equal(d.log_prob(one), numpy_log_prob(d.loc, d.scale, one))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("D", [1, 7, 8, 127, 128, 129, 1000, 4097])
def test_independent_log_prob_is_numpys_pairwise_sum(D, dtype):
    """The summed log densities come from the kernel's own pairwise sum: bit for bit
    NumPy's sum over the last axis of the per-element densities."""
    loc, scale = _params((D,), (D,), dtype, seed=D)
    base = nd.Normal(loc, scale)
    value = np.random.default_rng(D).normal(size=(5, D)).astype(dtype) * 3
    expected = numpy_log_prob(loc, scale, value).sum(-1)
    got = nd.Independent(base, 1).log_prob(value)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    lp, _ = nd.Independent(base, 1).log_prob_vjp(value)
    np.testing.assert_array_equal(lp, expected)


@pytest.mark.parametrize("n", [1, 2])
def test_independent_partial_reinterpretation(n):
    loc, scale = _params((3, 4, 130), (3, 4, 130), np.float64)
    value = np.random.default_rng(2).normal(size=(2, 3, 4, 130))
    ind = nd.Independent(nd.Normal(loc, scale), n)
    np.testing.assert_array_equal(ind.log_prob(value), sum_rightmost(numpy_log_prob(loc, scale, value), n))
    lp, vjp = ind.log_prob_vjp(value)
    g = np.random.default_rng(3).normal(size=lp.shape)
    gfull = np.broadcast_to(g.reshape(g.shape + (1,) * n), value.shape)
    ref = numpy_log_prob_grads(loc, scale, value, gfull, loc.shape, scale.shape, value.shape, np.float64)
    got = vjp(g)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k])


def test_log_prob_scalar_distribution_returns_numpy_scalar():
    d = nd.Normal(0.5, 2.0)
    assert isinstance(d.log_prob(0.1), np.floating)
    assert float(d.log_prob(0.1)) == float(numpy_log_prob(0.5, 2.0, np.float64(0.1)))
    x, _ = d.rsample_vjp(rng=0)
    assert isinstance(x, np.floating) and x == d.rsample(rng=0)


# -- log_prob_vjp: the NumPy formulas bit for bit, and torch autograd ----------------------------
def _pow2_scales(dtype, n, r):
    """Exact powers of two whose reciprocals are normal numbers (the fast path's
    scales), including the largest and the smallest such exponent."""
    fi = np.finfo(dtype)
    top = fi.maxexp - 2           # 2**top: the largest scale with a normal reciprocal
    edge = [1.0, 0.5, 2.0, 2.0 ** top, 2.0 ** -top, 2.0 ** fi.minexp]
    k = r.integers(-8, 9, size=n)
    s = np.ldexp(np.ones(n), k)
    s[:len(edge)] = edge
    return s.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scales", ["pow2", "ones", "three", "too_large", "negative"])
def test_power_of_two_scales_keep_numpys_bits(dtype, scales):
    """Scales that are exact powers of two take a multiplication by the reciprocal in
    place of each division (grad_fused.c): log_prob, the Independent pairwise sums and
    log_prob_vjp must keep the bits of NumPy's divisions, including at the exponents
    where the reciprocal stops being exact and for values that overflow or underflow.
    One scale outside the fast path (3, 2**(maxexp - 1), -1) sends the call back to the
    divisions, which must give the same bits too."""
    r = np.random.default_rng(11)
    B = 300
    scale = {"pow2": _pow2_scales(dtype, B, r), "ones": np.ones(B, dtype),
             "three": np.concatenate([_pow2_scales(dtype, B - 1, r), np.asarray([3.0], dtype)]),
             "too_large": np.concatenate([_pow2_scales(dtype, B - 1, r), [np.ldexp(1.0, int(np.finfo(dtype).maxexp) - 1)]]).astype(dtype),
             "negative": np.concatenate([np.ones(B - 1, dtype), np.asarray([-1.0], dtype)])}[scales]
    loc = r.normal(size=B).astype(dtype)
    value = (r.normal(size=(5, B)) * np.exp(r.uniform(-30, 30, size=(5, B)))).astype(dtype)
    value[0, :4] = [0.0, -0.0, np.finfo(dtype).tiny / 3, np.finfo(dtype).max]
    with np.errstate(all="ignore"):
        d = nd.Normal(loc, scale, validate_args=False)
        np.testing.assert_array_equal(d.log_prob(value), numpy_log_prob(loc, scale, value))
        ind = nd.Independent(d, 1)
        np.testing.assert_array_equal(ind.log_prob(value), numpy_log_prob(loc, scale, value).sum(-1))
        g = r.normal(size=(5, B)).astype(dtype)
        got = d.log_prob_vjp(value)[1](g)
        ref = numpy_log_prob_grads(loc, scale, value, g, (B,), (B,), value.shape, dtype)
        for k in ("loc", "scale", "value"):
            np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
        got = ind.log_prob_vjp(value)[1](np.full(5, 0.25, dtype))   # a cotangent read with column stride 0
        ref = numpy_log_prob_grads(loc, scale, value, np.full((5, B), 0.25, dtype), (B,), (B,), value.shape, dtype)
        for k in ("loc", "scale", "value"):
            np.testing.assert_array_equal(got[k], ref[k], err_msg=k)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loc_shape,scale_shape", SHAPES)
def test_log_prob_vjp_matches_numpy_path(loc_shape, scale_shape, dtype):
    loc, scale = _params(loc_shape, scale_shape, dtype)
    d = nd.Normal(loc, scale)
    r = np.random.default_rng(4)
    value = r.normal(size=(3, 2) + d.batch_shape).astype(dtype)
    lp, vjp = d.log_prob_vjp(value)
    g = r.normal(size=lp.shape).astype(dtype)
    got = vjp(g)
    ref = numpy_log_prob_grads(d.loc, d.scale, value, g, loc.shape, scale.shape, value.shape, dtype)
    for k in ("loc", "scale", "value"):
        assert got[k].shape == ref[k].shape and got[k].dtype == ref[k].dtype, k
        np.testing.assert_array_equal(got[k], ref[k])
    # a scalar cotangent and a non-contiguous one
    s = vjp(2.0)
    ref = numpy_log_prob_grads(d.loc, d.scale, value, np.broadcast_to(np.asarray(2.0, dtype), lp.shape),
                               loc.shape, scale.shape, value.shape, dtype)
    for k in ref:
        np.testing.assert_array_equal(s[k], ref[k])
    gt = np.asfortranarray(g)[::-1]
    ref = numpy_log_prob_grads(d.loc, d.scale, value, gt, loc.shape, scale.shape, value.shape, dtype)
    got = vjp(gt)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k])


def test_log_prob_vjp_value_dtype_and_broadcast_value():
    loc, scale = _params((2, 5), (5,), np.float64)
    d = nd.Normal(loc, scale)
    v32 = np.random.default_rng(5).normal(size=(3, 2, 5)).astype(np.float32)
    lp, vjp = d.log_prob_vjp(v32)
    grads = vjp(np.ones(lp.shape))
    assert grads["value"].dtype == np.float32 and grads["loc"].dtype == np.float64
    v = np.random.default_rng(6).normal(size=(5,))     # broadcast against batch (2, 5)
    lp, vjp = d.log_prob_vjp(v)
    g = np.random.default_rng(7).normal(size=lp.shape)
    ref = numpy_log_prob_grads(d.loc, d.scale, v, g, loc.shape, scale.shape, v.shape, np.float64)
    got = vjp(g)
    for k in ref:
        assert got[k].shape == ref[k].shape
        np.testing.assert_array_equal(got[k], ref[k])


def test_log_prob_vjp_matches_torch(torch):
    loc, scale = _params((4, 50), (50,), np.float64)
    value = np.random.default_rng(8).normal(size=(6, 4, 50)) * 2
    g = np.random.default_rng(9).normal(size=(6, 4))
    lp, vjp = nd.Independent(nd.Normal(loc, scale), 1).log_prob_vjp(value)
    ours = vjp(g)
    tl, ts, tv = (torch.tensor(a, requires_grad=True) for a in (loc, scale, value))
    tlp = torch.distributions.Independent(torch.distributions.Normal(tl, ts), 1).log_prob(tv)
    np.testing.assert_allclose(lp, tlp.detach().numpy(), rtol=1e-13)
    tlp.backward(torch.tensor(g))
    for k, t in (("loc", tl), ("scale", ts), ("value", tv)):
        np.testing.assert_allclose(ours[k], t.grad.numpy(), rtol=1e-10, atol=1e-12)


# -- rsample_vjp: same draws, gradients summed in one pass ---------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loc_shape,scale_shape", SHAPES)
def test_rsample_vjp_same_draws_and_gradients(loc_shape, scale_shape, dtype):
    loc, scale = _params(loc_shape, scale_shape, dtype)
    d = nd.Normal(loc, scale)
    x, vjp = d.rsample_vjp((4, 3), rng=11)
    np.testing.assert_array_equal(x, d.rsample((4, 3), rng=11))
    eps = nd.random.standard_normal((4, 3) + d.batch_shape, dtype=dtype, rng=11)
    np.testing.assert_array_equal(x, d.loc + d.scale * eps)    # the kernel's bits: product, then sum
    g = np.random.default_rng(12).normal(size=x.shape).astype(dtype)
    got = vjp(g)
    ref = numpy_rsample_grads(eps, g, loc.shape, scale.shape, dtype)
    for k in ref:
        assert got[k].shape == ref[k].shape and got[k].dtype == ref[k].dtype
        np.testing.assert_array_equal(got[k], ref[k])
    b = vjp(np.asarray(1.5, dtype))    # broadcast cotangent (a zero-stride view)
    ref = numpy_rsample_grads(eps, np.full(x.shape, 1.5, dtype), loc.shape, scale.shape, dtype)
    for k in ref:
        np.testing.assert_array_equal(b[k], ref[k])


def test_rsample_vjp_leading_sums_are_numpys():
    """Summing over the sample dims only (parameters with the batch shape): the kernel adds
    the rows in order from the first, as NumPy's reduction over a leading axis: same bits
    (also for the seed example's scalar Normal, where NumPy sums pairwise: that case runs
    NumPy's expressions)."""
    loc, scale = _params((300,), (300,), np.float64)
    d = nd.Normal(loc, scale)
    x, vjp = d.rsample_vjp((50,), rng=1)
    eps = nd.random.standard_normal((50, 300), rng=1)
    g = np.random.default_rng(2).normal(size=x.shape)
    got = vjp(g)
    np.testing.assert_array_equal(got["loc"], g.sum(0))
    np.testing.assert_array_equal(got["scale"], (g * eps).sum(0))
    x, vjp = nd.Normal(0.0, 1.0).rsample_vjp((10,), rng=0)
    assert float(vjp(np.full(10, 0.1))["loc"]) == float(np.full(10, 0.1).sum())


def test_zero_size_and_thread_invariance():
    loc, scale = _params((3,), (3,), np.float64)
    d = nd.Normal(loc, scale)
    x, vjp = d.rsample_vjp((0,), rng=0)
    assert x.shape == (0, 3)
    got = vjp(np.ones((0, 3)))
    np.testing.assert_array_equal(got["loc"], np.zeros(3))
    lp, vjp = nd.Independent(d, 1).log_prob_vjp(np.zeros((0, 3)))
    assert lp.shape == (0,) and vjp(np.ones(0))["value"].shape == (0, 3)
    # many column blocks: the split over threads changes no number
    loc, scale = _params((40000,), (40000,), np.float64)
    big = nd.Independent(nd.Normal(loc, scale), 1)
    value = np.random.default_rng(3).normal(size=(8, 40000))
    results = []
    saved = nd.get_num_threads()
    for n in (1, 2):
        nd.set_num_threads(n)
        try:
            lp, vjp = big.log_prob_vjp(value)
            z, zvjp = big.rsample_vjp((8,), rng=4)
            results.append((lp, vjp(np.ones(8)), z, zvjp(value)))
        finally:
            nd.set_num_threads(saved)
    (a, ga, za, gza), (b, gb, zb, gzb) = results
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(za, zb)
    for k in ga:
        np.testing.assert_array_equal(ga[k], gb[k])
    for k in gza:
        np.testing.assert_array_equal(gza[k], gzb[k])


def test_kernels_refuse_wrong_operands():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="internal error"):
        _fused.affine(np.zeros(3), np.zeros(3), x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="internal error"):
        _fused.affine(np.zeros(3), np.zeros(3), x, np.zeros((2, 3), np.float32))
    ro = np.zeros((2, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="internal error"):
        _fused.affine(np.zeros(3), np.zeros(3), x, ro)
    with pytest.raises(ValueError, match="internal error"):
        _fused.affine_vjp(x, x, np.zeros(4), None)


def test_validation_off_nonfinite_inputs_do_not_crash():
    d = nd.Normal(np.array([0.0, np.nan, 1.0]), np.array([1.0, 1.0, 0.0]), validate_args=False)
    lp, vjp = d.log_prob_vjp(np.array([[np.inf, 0.0, 1.0]]))
    g = vjp(np.ones((1, 3)))
    assert lp.shape == (1, 3) and g["value"].shape == (1, 3)
    x, vjp = d.rsample_vjp((2,), rng=0)
    assert vjp(np.ones((2, 3)))["scale"].shape == (3,)


# -- the ELBO step (docs/performance.md) ---------------------------------------------------------
def test_elbo_step_matches_torch_autograd(torch):
    data = elbo_data()
    mu, sigma, y = data["mu"], data["sigma"], data["y"]
    lik, prior = elbo_fixed_numdist(y)
    obj, g_mu, g_sigma = elbo_step_numdist(mu, sigma, lik, prior, rng=21)
    eps = nd.random.standard_normal((ELBO_S, ELBO_D), rng=21)        # the same draws
    tlik, tprior = elbo_fixed_torch(torch, torch.from_numpy(y))
    tobj, tg_mu, tg_sigma = elbo_step_torch(torch, torch.from_numpy(mu), torch.from_numpy(sigma), tlik, tprior,
                                            eps=torch.from_numpy(eps))
    assert obj == pytest.approx(tobj, rel=1e-12)
    np.testing.assert_allclose(g_mu, tg_mu.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(g_sigma, tg_sigma.numpy(), rtol=1e-10, atol=1e-13)


def test_elbo_step_matches_jax():
    jax = jax_or_none()
    if jax is None:
        pytest.skip("jax not installed (optional bench peer)")
    data = elbo_data(D=200)
    mu, sigma, y = data["mu"], data["sigma"], data["y"]
    lik, prior = elbo_fixed_numdist(y)
    _, g_mu, g_sigma = elbo_step_numdist(mu, sigma, lik, prior, S=16, rng=22)
    eps = nd.random.standard_normal((16, 200), rng=22)
    j_mu, j_sigma = elbo_grad_jax(jax, S=16, given_eps=True)(mu, sigma, y, eps)
    np.testing.assert_allclose(g_mu, np.asarray(j_mu), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_sigma, np.asarray(j_sigma), rtol=1e-10, atol=1e-12)


def test_elbo_step_takes_the_one_pass_kernels(monkeypatch):
    """The step's gradient paths run the C kernels (not the NumPy fallbacks)."""
    calls = []
    for name in ("affine", "affine_vjp", "normal_log_prob_sum", "normal_log_prob_vjp"):
        fn = getattr(_fused, name)
        monkeypatch.setattr(_fused, name, lambda *a, _fn=fn, _name=name: (calls.append(_name), _fn(*a))[1])
    data = elbo_data(D=50)
    lik, prior = elbo_fixed_numdist(data["y"])
    elbo_step_numdist(data["mu"], data["sigma"], lik, prior, S=8, rng=0)
    assert sorted(calls) == ["affine", "affine_vjp", "normal_log_prob_sum", "normal_log_prob_vjp"]




def test_elbo_step_allocates_a_few_sample_sized_arrays():
    """The whole gradient step (forward and backward) peaks at a small constant number of
    arrays of the sample's size: the draw, the kept noise and the value gradient."""
    data = elbo_data()
    mu, sigma, y = data["mu"], data["sigma"], data["y"]
    lik, prior = elbo_fixed_numdist(y)
    sample_bytes = ELBO_S * ELBO_D * 8
    peak = peak_bytes(lambda: elbo_step_numdist(mu, sigma, lik, prior, rng=0), warm=True)
    assert peak <= 3.5 * sample_bytes, f"peak {peak / sample_bytes:.2f} sample-sized arrays"

    # the same for a bigger sample: the constant does not grow with S
    peak = peak_bytes(lambda: elbo_step_numdist(mu, sigma, lik, prior, S=512, rng=0), warm=True)
    assert peak <= 3.5 * 512 * ELBO_D * 8, f"peak {peak / (512 * ELBO_D * 8):.2f} sample-sized arrays"


# -- MVN glue -------------------------------------------------------------------------------------
def _spd(n, d, seed=0):
    r = np.random.default_rng(seed)
    a = r.normal(size=(n, d, d))
    return a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)


def test_mvn_construction_without_validation_allocates_only_the_factor():
    covs, locs = _spd(20000, 4), np.random.default_rng(1).normal(size=(20000, 4))
    peak = peak_bytes(lambda: nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False), warm=True)
    assert peak <= 1.1 * covs.nbytes, f"construction peaked at {peak / covs.nbytes:.2f}x the matrices"
    d = nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False)
    assert np.shares_memory(d.covariance_matrix, covs) and np.shares_memory(d.loc, locs)
    assert "precision_matrix" not in d.__dict__ and "scale_tril" not in d.__dict__   # lazies stay lazy
    # the draw writes its output and nothing else of the batch's size
    peak = peak_bytes(lambda: d.rsample(rng=0), warm=True)
    assert peak <= 1.1 * locs.nbytes
    peak = peak_bytes(lambda: d.log_prob(locs), warm=True)
    assert peak <= 1.1 * locs.nbytes / 4 + 4096


@pytest.mark.parametrize("dtype", DTYPES)
def test_mvn_validation_one_pass_symmetry_and_finiteness(dtype):
    covs = _spd(50, 3).astype(dtype)
    locs = np.zeros((50, 3), dtype)
    nd.MultivariateNormal(locs, covariance_matrix=covs)   # valid: no error
    bad = covs.copy()
    bad[17, 2, 0] = np.inf
    bad[17, 0, 2] = np.inf     # symmetric, but infinite
    with pytest.raises(ValueError, match=r"covariance_matrix.*index \(17,\).*inf"):
        nd.MultivariateNormal(locs, covariance_matrix=bad)
    bad = covs.copy()
    bad[3, 1, 0] += 1.0        # not symmetric
    with pytest.raises(ValueError, match=r"covariance_matrix.*index \(3,\).*not symmetric"):
        nd.MultivariateNormal(locs, covariance_matrix=bad)
    bad = covs.copy()
    bad[9, 1, 1] = np.nan
    with pytest.raises(ValueError, match=r"covariance_matrix.*index \(9,\).*NaN"):
        nd.MultivariateNormal(locs, covariance_matrix=bad)
    from numdist import _mvn
    assert _mvn.symmetric_check(covs, 1e-5, 1e-6, True) is None
    inf = covs.copy()
    inf[4, 2, 2] = np.inf
    assert _mvn.symmetric_check(inf, 1e-5, 1e-6, False) is None      # equal infinities are symmetric
    assert _mvn.symmetric_check(inf, 1e-5, 1e-6, True) == (4, 2, 2)


# -- Categorical: the score function without a one-hot array --------------------------------------
def numpy_categorical_score(d, v, g):
    """The previous path: a one-hot (S, B, K) cotangent through the normalisation."""
    shape = np.broadcast_shapes(np.shape(v), d.batch_shape) + (d._num_events,)
    onehot = np.zeros(shape, dtype=d.dtype)
    np.put_along_axis(onehot, np.broadcast_to(np.asarray(v)[..., None], shape[:-1] + (1,)), 1, -1)
    return d._normalisation_vjp(None, np.asarray(g, dtype=d.dtype)[..., None] * onehot)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_categorical_score_function(param, dtype, torch):
    r = np.random.default_rng(30)
    raw = r.uniform(0.1, 1.0, size=(4, 7)) if param == "probs" else r.normal(size=(4, 7))
    d = nd.Categorical(**{param: raw.astype(dtype)})
    v = d.sample((50, 3), rng=1)
    lp, vjp = d.log_prob_vjp(v)
    g = r.normal(size=lp.shape).astype(dtype)
    got = vjp(g)[param]
    ref = numpy_categorical_score(d, v, g)[param]
    assert got.dtype == ref.dtype == dtype and got.shape == raw.shape
    np.testing.assert_array_equal(got, ref)       # the same bits as the one-hot expressions
    if dtype == np.float64:
        t = torch.tensor(raw, requires_grad=True)
        tlp = torch.distributions.Categorical(**{param: t}).log_prob(torch.from_numpy(v))
        tlp.backward(torch.from_numpy(g))
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    # a value broadcast against the batch, a scalar cotangent, a broadcast parameter
    one = np.array([2])
    lp, vjp = d.log_prob_vjp(one)
    np.testing.assert_array_equal(vjp(1.0)[param], numpy_categorical_score(d, one, np.ones(lp.shape))[param])
    e = nd.Categorical(**{param: raw[:1].astype(dtype)}).expand((3, 4))
    v = e.sample((5,), rng=2)
    lp, vjp = e.log_prob_vjp(v)
    np.testing.assert_array_equal(vjp(np.ones(lp.shape))[param], numpy_categorical_score(e, v, np.ones(lp.shape))[param])


def test_categorical_score_function_memory():
    """REINFORCE over many draws: the backward pass allocates the (B, K) gradient, not a
    one-hot array of the draws times K."""
    K, B, S = 200, 50, 2000
    d = nd.Categorical(logits=np.random.default_rng(31).normal(size=(B, K)))
    v = d.sample((S,), rng=2)
    lp, vjp = d.log_prob_vjp(v)
    g = np.ones(lp.shape)
    peak = peak_bytes(lambda: vjp(g), warm=True)
    assert peak <= 8 * B * K * 8, f"peak {peak} bytes for a {B}x{K} gradient ({S * B * K * 8} for a one-hot)"


def test_independent_of_a_normal_subclass_uses_its_density():
    """A subclass of Normal with its own log_prob is summed from that log_prob, not from
    Normal's one-pass kernels."""
    class Shifted(nd.Normal):
        def log_prob(self, value):
            return super().log_prob(value) + 1.0

        def log_prob_vjp(self, value):
            lp, vjp = super().log_prob_vjp(value)
            return lp + 1.0, vjp

    base = Shifted(np.zeros(3), np.ones(3))
    value = np.zeros((2, 3))
    ind = nd.Independent(base, 1)
    np.testing.assert_array_equal(ind.log_prob(value), base.log_prob(value).sum(-1))
    lp, vjp = ind.log_prob_vjp(value)
    np.testing.assert_array_equal(lp, base.log_prob(value).sum(-1))
    assert vjp(np.ones(2))["value"].shape == (2, 3)


def test_categorical_probs_validation_is_one_pass_without_temporaries():
    """Validating float64 probs reads the rows once in C (no boolean arrays of the
    parameter's size): construction allocates the normalised probs and little else."""
    from numdist import constraints

    p = np.random.default_rng(40).uniform(size=(500, 400))
    peak = peak_bytes(lambda: constraints.validate("probs", p, constraints.unnormalized_simplex, where="test"), warm=True)
    assert peak <= 0.02 * p.nbytes, f"validation peaked at {peak / p.nbytes:.3f}x the probs"
    peak = peak_bytes(lambda: nd.Categorical(probs=p), warm=True)
    assert peak <= 1.1 * p.nbytes, f"validated construction peaked at {peak / p.nbytes:.2f}x the probs"
    for bad, reason in (([0.1, -0.2, 0.3], "negative entry"), ([0.0, 0.0, 0.0], "sums to zero"),
                        ([np.nan, 1.0, 1.0], "NaN"), ([np.inf, 1.0, 1.0], "inf")):
        for dtype in DTYPES:
            with pytest.raises(ValueError, match=rf"probs at batch index \(1,\).*{reason}"):
                nd.Categorical(probs=np.array([[0.2, 0.3, 0.5], bad], dtype=dtype))

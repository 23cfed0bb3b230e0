"""The short paths of the ELBO step (issue 14): Independent(Normal).log_prob_vjp of a
C-contiguous value, the summed Independent(Normal) || Independent(Normal) KL and its VJP,
the one-pass loc/scale validation, the block pool of sample-sized arrays, and the SIMD
levels of the fused kernels. Each gives the numbers of the NumPy expressions it replaces
(written out here), bit for bit, and torch autograd's to 1e-10."""
import cProfile
import gc
import math
import pstats

import numpy as np
import pytest

import numdist as nd
from conftest import peak_bytes
from numdist import _fused
from numdist.benchmarks.normal import elbo_data, elbo_fixed_numdist, elbo_step_numdist
from numdist.utils import sum_rightmost, sum_to_shape

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
DTYPES = [np.float64, np.float32]


# -- the NumPy expressions of the previous paths, written out --------------------------------------
def numpy_log_prob(loc, scale, v):
    z = (v - loc) / scale
    return -0.5 * (z * z) - np.log(scale) - _HALF_LOG_2PI


def numpy_log_prob_grads(loc, scale, v, g):
    z = (v - loc) / scale
    dloc = g * z / scale
    return dloc, g * (z * z - 1) / scale, -dloc


def numpy_kl(pl, ps, ql, qs):
    var_ratio = (ps / qs) ** 2
    t1 = ((pl - ql) / qs) ** 2
    return 0.5 * (var_ratio + t1 - 1 - np.log(var_ratio))


def numpy_kl_grads(pl, ps, ql, qs, g):
    diff = (pl - ql) / qs**2
    dp_scale = ps / qs**2 - 1 / ps
    dq_scale = 1 / qs - (ps**2 + (pl - ql) ** 2) / qs**3
    return g * diff, g * dp_scale, -g * diff, g * dq_scale


def _normal_params(batch, dtype, seed):
    r = np.random.default_rng(seed)
    return r.normal(size=batch).astype(dtype), np.exp(0.5 * r.normal(size=batch)).astype(dtype)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(a, b)


BATCHES = [(1,), (2,), (7,), (1000,), (4099,), (3, 5)]


# -- Independent(Normal).log_prob_vjp of a C-contiguous value ---------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("pow2", [False, True])
def test_independent_log_prob_vjp_is_numpys(batch, dtype, pow2):
    loc, scale = _normal_params(batch, dtype, 1)
    if pow2:
        scale = np.full(batch, 0.5, dtype)  # the reciprocal-multiplying kernels
    d = nd.Independent(nd.Normal(loc, scale), len(batch))
    r = np.random.default_rng(2)
    value = (2 * r.normal(size=(4, 3) + batch)).astype(dtype)
    lp, vjp = d.log_prob_vjp(value)
    expected = sum_rightmost(numpy_log_prob(loc, scale, value), len(batch))
    _same(lp, expected)
    for g in (0.25, np.linspace(-1, 1, 12).reshape(4, 3).astype(dtype)):
        grads = vjp(g)
        gb = np.broadcast_to(np.asarray(g, dtype).reshape(np.shape(g) + (1,) * len(batch)), value.shape)
        dloc, dscale, dvalue = numpy_log_prob_grads(loc, scale, value, gb)
        _same(grads["loc"], sum_to_shape(dloc, batch, dtype))
        _same(grads["scale"], sum_to_shape(dscale, batch, dtype))
        _same(grads["value"], sum_to_shape(dvalue, value.shape, dtype))


def test_independent_log_prob_vjp_matches_torch(torch):
    loc, scale = _normal_params((50,), np.float64, 3)
    value = np.random.default_rng(4).normal(size=(6, 50))
    lp, vjp = nd.Independent(nd.Normal(loc, scale), 1).log_prob_vjp(value)
    tl, ts, tv = (torch.tensor(a, requires_grad=True) for a in (loc, scale, value))
    tlp = torch.distributions.Independent(torch.distributions.Normal(tl, ts), 1).log_prob(tv)
    g = np.linspace(0.5, 2, 6)
    tlp.backward(torch.from_numpy(g))
    grads = vjp(g)
    np.testing.assert_allclose(lp, tlp.detach().numpy(), rtol=1e-12)
    for name, t in (("loc", tl), ("scale", ts), ("value", tv)):
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_independent_log_prob_nan_value_is_refused_and_passes_without_validation():
    loc, scale = _normal_params((10,), np.float64, 5)
    value = np.zeros((3, 10))
    value[2, 7] = np.nan
    with pytest.raises(ValueError, match=r"within the support.*index \(2, 7\)"):
        nd.Independent(nd.Normal(loc, scale), 1).log_prob_vjp(value)
    lp, vjp = nd.Independent(nd.Normal(loc, scale, validate_args=False), 1).log_prob_vjp(value)
    assert np.isnan(lp[2]) and np.isfinite(lp[:2]).all()
    assert np.isnan(vjp(1.0)["loc"][7])
    # infinities are in the support: -inf densities, no error
    value[2, 7] = np.inf
    lp, _ = nd.Independent(nd.Normal(loc, scale), 1).log_prob_vjp(value)
    assert lp[2] == -np.inf


def test_independent_log_prob_vjp_other_layouts_give_the_same_numbers():
    """Strided, Fortran-ordered and integer values take the general path: same numbers."""
    loc, scale = _normal_params((20,), np.float64, 6)
    d = nd.Independent(nd.Normal(loc, scale), 1)
    value = np.random.default_rng(7).normal(size=(5, 20))
    lp, vjp = d.log_prob_vjp(value)
    g = np.arange(1.0, 6.0)
    ref = vjp(g)
    for other in (np.asfortranarray(value), np.repeat(value, 2, axis=1)[:, ::2]):
        lp2, vjp2 = d.log_prob_vjp(other)
        _same(lp2, lp)
        grads = vjp2(g)
        for k in ref:
            np.testing.assert_allclose(grads[k], ref[k], rtol=1e-15, atol=0)


# -- Independent(Normal) || Independent(Normal) ---------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", BATCHES)
def test_summed_kl_vjp_is_numpys(batch, dtype):
    pl, ps = _normal_params(batch, dtype, 8)
    ql, qs = _normal_params(batch, dtype, 9)
    p = nd.Independent(nd.Normal(pl, ps), len(batch))
    q = nd.Independent(nd.Normal(ql, qs), len(batch))
    kl, vjp = nd.kl_divergence_vjp(p, q)
    _same(kl, sum_rightmost(numpy_kl(pl, ps, ql, qs), len(batch)))
    _same(nd.kl_divergence(p, q), kl)
    for g in (-1.0, 0.3, 2, np.asarray(0.7, dtype), np.float32(1.5)):
        grads = vjp(g)
        gc = np.asarray(g).astype(dtype)
        e = numpy_kl_grads(pl, ps, ql, qs, np.broadcast_to(gc, batch))
        _same(grads["p"]["loc"], e[0])
        _same(grads["p"]["scale"], e[1])
        _same(grads["q"]["loc"], e[2])
        _same(grads["q"]["scale"], e[3])


def test_summed_kl_vjp_matches_torch(torch):
    pl, ps = _normal_params((300,), np.float64, 10)
    ql, qs = _normal_params((300,), np.float64, 11)
    kl, vjp = nd.kl_divergence_vjp(nd.Independent(nd.Normal(pl, ps), 1), nd.Independent(nd.Normal(ql, qs), 1))
    t = [torch.tensor(a, requires_grad=True) for a in (pl, ps, ql, qs)]
    td = torch.distributions
    tkl = td.kl_divergence(td.Independent(td.Normal(t[0], t[1]), 1), td.Independent(td.Normal(t[2], t[3]), 1))
    (tkl * -0.5).backward()
    grads = vjp(-0.5)
    assert float(kl) == pytest.approx(float(tkl.detach()), rel=1e-12)
    for got, tt in zip((grads["p"]["loc"], grads["p"]["scale"], grads["q"]["loc"], grads["q"]["scale"]), t):
        np.testing.assert_allclose(got, tt.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_summed_kl_falls_back_where_it_does_not_apply():
    """Broadcast parameters, a partial reinterpretation, mixed dtypes and a subclass with
    its own KL keep the general path (and its numbers)."""
    pl, ps = _normal_params((4, 6), np.float64, 12)
    ql, qs = _normal_params((4, 6), np.float64, 13)
    cases = [
        (nd.Independent(nd.Normal(pl, ps), 1), nd.Independent(nd.Normal(ql, qs), 1)),  # partial: (4,) KLs
        (nd.Independent(nd.Normal(pl, 1.0), 2), nd.Independent(nd.Normal(ql, qs), 2)),  # scale broadcast
        (nd.Independent(nd.Normal(pl[0], ps[0]), 1), nd.Independent(nd.Normal(ql[:, 0:1], qs[:, 0:1]), 1)),
    ]
    for p, q in cases:
        kl, vjp = nd.kl_divergence_vjp(p, q)
        base = numpy_kl(p.base_dist.loc, p.base_dist.scale, q.base_dist.loc, q.base_dist.scale)
        _same(kl, sum_rightmost(base, p.reinterpreted_batch_ndims))
        grads = vjp(np.ones(kl.shape))
        assert grads["p"]["loc"].shape == p.base_dist._params["loc"].shape
        assert grads["q"]["scale"].shape == q.base_dist._params["scale"].shape

    class Shifted(nd.Normal):
        pass

    calls = []

    @nd.register_kl_vjp(Shifted, Shifted)
    def _kl_shifted(p, q):
        calls.append(1)
        return np.zeros(p.batch_shape), lambda g: {"p": {}, "q": {}}

    kl, _ = nd.kl_divergence_vjp(nd.Independent(Shifted(pl, ps), 2), nd.Independent(Shifted(ql, qs), 2))
    assert calls == [1] and kl == 0.0


# -- construction: one C pass for the checks --------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,index,bad,reason", [
    ("loc", 3, np.nan, "NaN"), ("loc", 0, np.inf, "inf"), ("scale", 5, 0.0, ""), ("scale", 9, -1.0, "negative"),
    ("scale", 2, np.inf, "inf"), ("scale", 4, np.nan, "NaN")])
def test_normal_validation_names_parameter_and_index(dtype, name, index, bad, reason):
    loc, scale = _normal_params((10,), dtype, 14)
    arr = loc if name == "loc" else scale
    arr[index] = bad
    with pytest.raises(ValueError, match=rf"{name} at batch index \({index},\).*{reason}"):
        nd.Normal(loc, scale)
    nd.Normal(loc, scale, validate_args=False)  # no check
    # non-contiguous parameters take the NumPy check: the same message
    with pytest.raises(ValueError, match=rf"{name} at batch index \({index},\)"):
        nd.Normal(np.repeat(loc, 2)[::2], np.repeat(scale, 2)[::2])


def test_loc_scale_ok_kernel():
    loc, scale = _normal_params((100,), np.float64, 15)
    assert _fused.loc_scale_ok(loc, scale)
    scale[50] = 5e-324  # subnormal: positive and finite
    assert _fused.loc_scale_ok(loc, scale)
    scale[50] = -0.0
    assert not _fused.loc_scale_ok(loc, scale)
    with pytest.raises(ValueError, match="internal error"):
        _fused.loc_scale_ok(loc, scale[:50])
    with pytest.raises(ValueError, match="internal error"):
        _fused.loc_scale_ok(loc[::2], scale[::2])


# -- the block pool ---------------------------------------------------------------------------------
def test_pool_arrays_are_plain_numpy_arrays_and_reused():
    a = _fused.empty((64, 1000), np.dtype(np.float64))
    assert a.flags.owndata and a.flags.c_contiguous and a.flags.writeable and a.base is None
    addr = a.ctypes.data
    del a
    gc.collect()
    blocks, nbytes = _fused.pool_state()
    assert 1 <= blocks <= 16 and nbytes <= 64 << 20
    b = _fused.empty((64, 1000), np.dtype(np.float64))
    assert b.ctypes.data == addr  # the freed block came back
    b[...] = 1.0
    assert b.sum() == 64000
    # small and very large arrays are not kept; zero-size arrays work
    for shape in ((0,), (10,), (3, 0, 2)):
        assert _fused.empty(shape, np.dtype(np.float32)).shape == shape
    before = _fused.pool_state()[1]
    big = _fused.empty(((1 << 21) + 1,), np.dtype(np.float64))  # > 16 MiB: NumPy's own allocator
    assert big.flags.owndata and big.shape == ((1 << 21) + 1,)
    del big
    assert _fused.pool_state()[1] == before


def test_pool_blocks_start_on_a_cache_line_and_resize():
    """Pool blocks are 64-byte aligned (the kernels' vector loads and stores then never
    straddle two lines), whether fresh or reused, and an in-place resize (NumPy's
    realloc through the handler) keeps the values and the alignment."""
    arrays = [_fused.empty(shape, np.dtype(dt)) for shape, dt in
              [((64, 1000), np.float64), ((3, 10000), np.float32), ((1 << 17,), np.float64)] * 2]
    assert all(a.ctypes.data % 64 == 0 for a in arrays)
    del arrays
    a = _fused.empty((64, 1000), np.dtype(np.float64))
    assert a.ctypes.data % 64 == 0
    a[...] = np.arange(64000.0).reshape(64, 1000)
    a.resize((128, 1000), refcheck=False)
    assert a.ctypes.data % 64 == 0 and a.flags.owndata
    np.testing.assert_array_equal(a[:64].ravel(), np.arange(64000.0))
    a.resize((10,), refcheck=False)  # below the pool's sizes: freed to the C library later
    np.testing.assert_array_equal(a, np.arange(10.0))
    del a
    gc.collect()
    assert _fused.pool_state()[1] <= 64 << 20


def test_pool_is_bounded_and_traced():
    arrays = [_fused.empty((1 << 19,), np.dtype(np.float64)) for _ in range(20)]  # 20 x 4 MiB: 80 MiB
    del arrays
    blocks, nbytes = _fused.pool_state()
    assert blocks <= 16 and nbytes <= 64 << 20
    assert nbytes >= 15 * (4 << 20)  # it keeps what fits (the oldest blocks went back to the C library)
    # tracemalloc sees the pooled arrays while they live (NumPy reports them)
    peak = peak_bytes(lambda: _fused.empty((64, 1000), np.dtype(np.float64)), warm=True)
    assert peak >= 64 * 1000 * 8


# -- the step --------------------------------------------------------------------------------------
def test_elbo_step_same_bits_at_every_simd_level():
    data = elbo_data(D=300)
    lik, prior = elbo_fixed_numdist(data["y"])
    best = _fused.simd_level()
    results = []
    try:
        for level in sorted({best, 2, 0}, reverse=True):
            _fused.simd_level(level)
            results.append(elbo_step_numdist(data["mu"], data["sigma"], lik, prior, S=16, rng=5))
    finally:
        _fused.simd_level(best)
    assert _fused.simd_level() == best
    for r in results[1:]:
        assert r[0] == results[0][0]
        _same(r[1], results[0][1])
        _same(r[2], results[0][2])


def test_elbo_step_takes_the_short_paths(monkeypatch):
    calls = []
    for name in ("kl_normal_ratio", "kl_normal_sum", "kl_normal_vjp", "loc_scale_ok", "empty"):
        fn = getattr(_fused, name)
        monkeypatch.setattr(_fused, name, lambda *a, _fn=fn, _name=name: (calls.append(_name), _fn(*a))[1])
    data = elbo_data(D=50)
    lik, prior = elbo_fixed_numdist(data["y"])
    calls.clear()
    elbo_step_numdist(data["mu"], data["sigma"], lik, prior, S=8, rng=0)
    assert sorted(set(calls)) == ["empty", "kl_normal_ratio", "kl_normal_sum", "kl_normal_vjp", "loc_scale_ok"]
    assert calls.count("empty") == 3  # the draw, the kept noise, the value gradient


def test_elbo_step_python_calls():
    """The Python-level work of a step (issue 14: about 330 calls before): a bound, so
    that a layer added back to this path shows up here."""
    data = elbo_data()
    lik, prior = elbo_fixed_numdist(data["y"])
    step = lambda: elbo_step_numdist(data["mu"], data["sigma"], lik, prior, rng=1)  # noqa: E731
    step()
    prof = cProfile.Profile()
    prof.runcall(step)
    calls = pstats.Stats(prof).total_calls
    assert calls <= 200, calls


def _misaligned(a):
    """``a``'s values in a misaligned (offset by one byte), read-only-free copy."""
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = buf[1:].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_short_paths_take_misaligned_parameters_and_values(dtype):
    loc, scale = _normal_params((40,), dtype, 16)
    ql, qs = _normal_params((40,), dtype, 17)
    value = np.random.default_rng(18).normal(size=(3, 40)).astype(dtype)
    ref_p, ref_q = nd.Independent(nd.Normal(loc, scale), 1), nd.Independent(nd.Normal(ql, qs), 1)
    mis_p = nd.Independent(nd.Normal(_misaligned(loc), _misaligned(scale)), 1)
    mis_q = nd.Independent(nd.Normal(_misaligned(ql), _misaligned(qs)), 1)
    for v in (value, _misaligned(value)):
        lp, vjp = mis_p.log_prob_vjp(v)
        lp0, vjp0 = ref_p.log_prob_vjp(value)
        _same(lp, lp0)
        for k, g in vjp(0.5).items():
            _same(g, vjp0(0.5)[k])
    kl, kv = nd.kl_divergence_vjp(mis_p, mis_q)
    kl0, kv0 = nd.kl_divergence_vjp(ref_p, ref_q)
    _same(kl, kl0)
    for side in ("p", "q"):
        for k, g in kv(-1.0)[side].items():
            _same(g, kv0(-1.0)[side][k])
    x, xv = mis_p.rsample_vjp((5,), rng=3)
    x0, xv0 = ref_p.rsample_vjp((5,), rng=3)
    _same(x, x0)
    g = np.linspace(-1, 1, x.size).reshape(x.shape).astype(dtype)
    for k in ("loc", "scale"):
        _same(xv(g)[k], xv0(g)[k])
        _same(xv(_misaligned(g))[k], xv0(g)[k])


# -- the column strips of the two reducing kernels -------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("B", [1, 15, 16, 17, 31, 32, 33, 48, 65, 1000])
def test_reducing_kernels_strips_and_tails_keep_numpys_bits(B, dtype):
    """``normal_log_prob_vjp`` and ``affine_vjp`` work whole strips of columns with their
    sums in registers and the columns left over in row loops: column counts around the
    strip widths (16 float64, 32 float32), a cotangent per element and one per row,
    power-of-two and general scales, at every SIMD level, give NumPy's sums over the
    rows (added in order) and its element-wise values, bit for bit."""
    r = np.random.default_rng(B)
    S = 7
    x = r.normal(size=(S, B)).astype(dtype)
    loc = r.normal(size=B).astype(dtype)
    scales = {"pow2": np.exp2(r.integers(-3, 4, size=B)).astype(dtype),
              "general": np.exp(0.5 * r.normal(size=B)).astype(dtype)}
    cotangents = {"per element": r.normal(size=(S, B)).astype(dtype),
                  "per row": r.normal(size=(S, 1)).astype(dtype)}
    best = _fused.simd_level()
    try:
        for level in sorted({best, 2, 0}, reverse=True):
            _fused.simd_level(level)
            for scale in scales.values():
                for g in cotangents.values():
                    gb = np.broadcast_to(g, (S, B))
                    z = (x - loc) / scale
                    t = gb * z / scale
                    dv, dl, ds = np.empty((S, B), dtype), np.empty(B, dtype), np.empty(B, dtype)
                    _fused.normal_log_prob_vjp(g, x, loc, scale, dv, dl, ds)
                    _same(dv, -t)
                    _same(dl, t.sum(0))
                    _same(ds, (gb * (z * z - 1) / scale).sum(0))
                    _fused.affine_vjp(g, x, dl, ds)
                    _same(dl, gb.sum(0))
                    _same(ds, (gb * x).sum(0))
    finally:
        _fused.simd_level(best)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("R", [1, 7, 8, 9, 127, 128, 129, 300, 1000])
def test_log_density_row_sums_in_pairs_of_rows_keep_numpys_bits(R, dtype):
    """``normal_log_prob_sum`` takes the rows two at a time (the two rows' leaves side by
    side) and an odd last row alone: every row sum is NumPy's pairwise sum of the
    log densities over the last axis, for any row count, power-of-two and general
    scales, at every SIMD level."""
    r = np.random.default_rng(R)
    best = _fused.simd_level()
    try:
        for level in sorted({best, 2, 0}, reverse=True):
            _fused.simd_level(level)
            for S in (1, 2, 3, 6):
                x = r.normal(size=(S, R)).astype(dtype)
                loc = r.normal(size=R).astype(dtype)
                for scale in (np.exp2(r.integers(-3, 4, size=R)).astype(dtype),
                              np.exp(0.5 * r.normal(size=R)).astype(dtype)):
                    sums = np.empty((S, 1), dtype)
                    _fused.normal_log_prob_sum(x, loc, scale, np.log(scale), _HALF_LOG_2PI, sums)
                    _same(sums[:, 0], numpy_log_prob(loc, scale, x).sum(-1))
    finally:
        _fused.simd_level(best)

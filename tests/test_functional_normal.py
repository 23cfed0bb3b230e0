"""The functional samplers nd.random.standard_normal / nd.random.normal: NumPy
Generator signatures, out= into any view, dtypes, broadcasting, and the
distribution of the draws (KS and tail frequencies) for each method and dtype."""
import numpy as np
import pytest
from scipy import stats

import numdist as nd
from conftest import ks_pvalue, strided_views

METHODS = ["ziggurat", "box_muller"]
DTYPES = [np.float64, np.float32]


# ---------------------------------------------------------------------------------
# Signatures and return types (as numpy.random.Generator)
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_size_none_gives_python_float(method, dtype):
    x = nd.random.standard_normal(dtype=dtype, rng=0, method=method)
    assert type(x) is float
    assert type(np.random.default_rng(0).standard_normal(dtype=dtype)) is float  # what numpy does
    assert type(nd.random.normal(rng=0, method=method)) is float
    assert type(nd.random.normal(1.0, 2.0, rng=0, dtype=dtype, method=method)) is float
    assert type(nd.random.normal(np.float32(1.0), np.float32(2.0), rng=0)) is float


@pytest.mark.parametrize("size,shape", [(5, (5,)), (np.int64(3), (3,)), ((2, 3), (2, 3)), ([4, 1], (4, 1)),
                                        ((), ()), (0, (0,)), ((3, 0, 2), (3, 0, 2))])
def test_size_int_tuple_and_empty(size, shape):
    x = nd.random.standard_normal(size, rng=0)
    assert isinstance(x, np.ndarray) and x.shape == shape and x.dtype == np.float64
    assert np.isfinite(x).all()
    y = nd.random.normal(0.0, 1.0, size, rng=0)
    assert isinstance(y, np.ndarray) and y.shape == shape
    np.testing.assert_array_equal(x, y)
    assert nd.random.standard_normal(size=size, dtype=np.float32, rng=0).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, "float32", np.dtype("float32"), "f4"])
def test_float32_dtype_spellings(dtype):
    assert nd.random.standard_normal(4, dtype=dtype, rng=0).dtype == np.float32
    assert nd.random.normal(0.0, 1.0, 4, dtype=dtype, rng=0).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float16, np.complex128, np.longdouble, object, "U3"])
def test_unsupported_dtype_is_type_error(dtype):
    if np.dtype(dtype) == np.float64:  # longdouble is float64 on some platforms
        pytest.skip("longdouble is double here")
    with pytest.raises(TypeError, match="dtype"):
        nd.random.standard_normal(3, dtype=dtype, rng=0)
    with pytest.raises(TypeError, match="dtype"):
        nd.random.normal(0.0, 1.0, 3, dtype=dtype, rng=0)


def test_unknown_method_is_value_error():
    with pytest.raises(ValueError, match="method"):
        nd.random.standard_normal(3, rng=0, method="polar")
    with pytest.raises(ValueError, match="method"):
        nd.random.normal(0.0, 1.0, 3, rng=0, method="inversion")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_same_seed_same_numbers_and_prefix_property(method, dtype):
    a = nd.random.standard_normal(1001, dtype=dtype, rng=42, method=method)
    b = nd.random.standard_normal(1001, dtype=dtype, rng=42, method=method)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nd.random.standard_normal(1001, dtype=dtype, rng=43, method=method))
    # the first k values of a draw of n >= k are the draw of k (csrc/include/numdist/normal.h)
    for k in (1, 2, 77, 1000):
        np.testing.assert_array_equal(nd.random.standard_normal(k, dtype=dtype, rng=42, method=method), a[:k])


def test_methods_differ():
    assert not np.array_equal(nd.random.standard_normal(100, rng=0),
                              nd.random.standard_normal(100, rng=0, method="box_muller"))


# ---------------------------------------------------------------------------------
# out=: in place into any view, nothing outside it touched
# ---------------------------------------------------------------------------------
def _misaligned(shape, dtype, step=1):
    """A misaligned view (items start one byte into a uint8 buffer) over NaNs, and its buffer."""
    itemsize = np.dtype(dtype).itemsize
    n = int(np.prod(shape)) * step
    buf = np.full(n * itemsize + 2, 0xAB, dtype=np.uint8)
    flat = buf[1:1 + n * itemsize].view(dtype)
    flat[...] = np.nan
    view = flat[::step].reshape(shape)
    assert not view.flags.aligned
    return buf, flat, view


def _all_views(shape, dtype):
    views = dict(strided_views(shape, dtype))
    base = np.full(0, np.nan, dtype=dtype)
    views["zero-size"] = (base, base.reshape((0,) + shape[1:]))
    n = int(np.prod(shape))
    base = np.full(n + 6, np.nan, dtype=dtype)  # NaN guards on both sides of the view
    views["padded-negative"] = (base, base[3:-3][::-1].reshape(shape))
    base = np.full(n + 6, np.nan, dtype=dtype)
    views["padded-transposed"] = (base, base[3:-3].reshape(shape[::-1]).T)
    buf, flat, view = _misaligned(shape, dtype)
    views["misaligned"] = (flat, view)
    buf2, flat2, view2 = _misaligned(shape, dtype, step=2)
    views["misaligned-step2"] = (flat2, view2)
    return views, (buf, buf2)


def _check_only_view_written(base, view):
    """Every element of the view is a finite draw, everything else in base is still NaN."""
    assert np.isfinite(view).all()
    mask = np.ones(base.shape, bool)
    if view.size:
        # mark the elements the view covers through their byte offsets into base
        start = base.__array_interface__["data"][0]
        offs = np.add.reduce(np.indices(view.shape).reshape(view.ndim, -1).T * np.array(view.strides), axis=1) \
            + view.__array_interface__["data"][0] - start
        mask[offs // base.itemsize] = False
    assert np.isnan(base[mask]).all()


@pytest.mark.parametrize("shape", [(7,), (5, 6), (64, 130)])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_normal_out_any_view(shape, method, dtype):
    views, bufs = _all_views(shape, dtype)
    for name, (base, view) in views.items():
        ref = nd.random.standard_normal(view.shape, dtype=dtype, rng=8, method=method)
        res = nd.random.standard_normal(out=view, dtype=dtype, rng=8, method=method)
        assert res is view, name
        np.testing.assert_array_equal(view, ref, err_msg=name)
        _check_only_view_written(base, view)
        # size given together with out is fine when it matches
        nd.random.standard_normal(view.shape, dtype, out=view, rng=9, method=method)
        np.testing.assert_array_equal(view, nd.random.standard_normal(view.shape, dtype=dtype, rng=9, method=method))
        _check_only_view_written(base, view)
    for buf in bufs:  # the bytes around the misaligned views are untouched
        assert buf[0] == 0xAB and buf[-1] == 0xAB


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_out_any_view_with_broadcast_params(method, dtype):
    shape = (6, 9)
    loc = np.linspace(-3, 3, 9).astype(dtype)
    scale = np.linspace(0.5, 2, 6).astype(dtype)[:, None]
    views, bufs = _all_views(shape, dtype)
    for name, (base, view) in views.items():
        vloc, vscale = (loc, scale) if view.size else (loc, scale[:0])
        ref = vloc + vscale * nd.random.standard_normal(view.shape, dtype=dtype, rng=4, method=method)
        res = nd.random.normal(vloc, vscale, out=view, rng=4, method=method)
        assert res is view, name
        assert view.dtype == dtype
        np.testing.assert_array_equal(view, ref, err_msg=name)
        _check_only_view_written(base, view)
    for buf in bufs:
        assert buf[0] == 0xAB and buf[-1] == 0xAB


# ---------------------------------------------------------------------------------
# normal(): broadcasting of loc/scale against size, as numpy
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("loc_shape,scale_shape,size", [
    ((3,), (), (4, 3)), ((), (3,), (2, 4, 3)), ((4, 1), (3,), (4, 3)), ((4, 1), (3,), None),
    ((2, 3), (2, 3), (2, 3)), ((), (), (5,)), ((1,), (1, 1), (2, 3)),
])
def test_normal_broadcasts_like_numpy(loc_shape, scale_shape, size):
    loc = np.arange(np.prod(loc_shape), dtype=float).reshape(loc_shape) * 10
    scale = np.linspace(0.5, 1, int(np.prod(scale_shape))).reshape(scale_shape)
    x = nd.random.normal(loc, scale, size, rng=1)
    expected = np.random.default_rng(0).normal(loc, scale, size)
    assert x.shape == expected.shape
    z = nd.random.standard_normal(x.shape, rng=1)
    np.testing.assert_array_equal(x, loc + scale * z)


@pytest.mark.parametrize("loc_shape,scale_shape,size", [
    ((3,), (), (4, 2)), ((2, 3), (), (3,)), ((4, 1), (3,), (3,)), ((3,), (4,), None), ((3,), (3,), (3, 1)),
])
def test_normal_shape_mismatch_is_value_error(loc_shape, scale_shape, size):
    loc, scale = np.zeros(loc_shape), np.ones(scale_shape)
    with pytest.raises(ValueError):
        np.random.default_rng(0).normal(loc, scale, size)  # numpy refuses these too
    with pytest.raises(ValueError, match="shape|broadcast"):
        nd.random.normal(loc, scale, size, rng=0)


def test_normal_dtype_follows_params_unless_given():
    f32 = np.ones(3, np.float32)
    assert nd.random.normal(f32, f32, rng=0).dtype == np.float32
    assert nd.random.normal(f32, 2.0, rng=0).dtype == np.float32      # Python scalar is weak
    assert nd.random.normal(0, 1, 3, rng=0).dtype == np.float64       # ints -> float64
    assert nd.random.normal(f32, np.ones(3), rng=0).dtype == np.float64  # mixed: numpy promotion
    assert nd.random.normal(np.ones(3), 1.0, dtype=np.float32, rng=0).dtype == np.float32
    assert nd.random.normal(f32, 1.0, dtype=np.float64, rng=0).dtype == np.float64


def test_normal_scale_zero_gives_loc_and_read_only_params_work():
    loc = np.arange(4.0)
    scale = np.zeros(4)
    loc.flags.writeable = False
    scale.flags.writeable = False
    np.testing.assert_array_equal(nd.random.normal(loc, scale, rng=0), loc)
    s2 = np.full(4, 2.0)
    s2.flags.writeable = False
    x = nd.random.normal(loc, s2, (3, 4), rng=0)
    np.testing.assert_array_equal(x, loc + s2 * nd.random.standard_normal((3, 4), rng=0))
    # non-contiguous and misaligned parameter arrays are read correctly
    buf = np.zeros(8 * 8 + 1, np.uint8)
    mis = buf[1:].view(np.float64)
    mis[...] = np.arange(8.0)
    x = nd.random.normal(mis[::2], s2[::-1], rng=5)
    np.testing.assert_array_equal(x, np.arange(0.0, 8.0, 2) + 2.0 * nd.random.standard_normal(4, rng=5))
    # read-only Normal parameters too
    d = nd.Normal(loc, s2)
    assert d.sample((2,), rng=0).shape == (2, 4)


# ---------------------------------------------------------------------------------
# Distribution of the draws
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_normal_ks_1e6(method, dtype):
    x = nd.random.standard_normal(10**6, dtype=dtype, rng=20240601, method=method)
    assert x.dtype == dtype
    assert ks_pvalue(x, stats.norm.cdf) > 1e-4
    # symmetric: the sign is a fair coin, independent of the magnitude
    assert abs(np.count_nonzero(x > 0) - 5e5) < 5 * 500
    assert ks_pvalue(np.abs(x[x > 0]), stats.halfnorm.cdf) > 1e-4
    assert ks_pvalue(np.abs(x[x < 0]), stats.halfnorm.cdf) > 1e-4


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_ks_1e6_with_loc_scale(method, dtype):
    x = nd.random.normal(-2.0, 0.5, 10**6, dtype=dtype, rng=5, method=method)
    assert ks_pvalue(x, stats.norm(-2.0, 0.5).cdf) > 1e-4


def _binom_ok(k, n, p, alpha=1e-6):
    lo, hi = stats.binom.interval(1 - alpha, n, p)
    return lo <= k <= hi


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_tail_frequencies_1e7(method, dtype):
    n = 10**7
    x = nd.random.standard_normal(n, dtype=dtype, rng=777, method=method)
    ax = np.abs(x)
    for t in (3.0, 4.0, 5.0):
        k = int(np.count_nonzero(ax > t))
        p = 2 * stats.norm.sf(t)
        assert _binom_ok(k, n, p), (t, k, n * p)
    for t in (4.0, 5.0):  # each tail separately
        assert _binom_ok(int(np.count_nonzero(x > t)), n, stats.norm.sf(t))
        assert _binom_ok(int(np.count_nonzero(x < -t)), n, stats.norm.sf(t))
    # beyond the ziggurat's base layer (r ~ 3.65) the shape of the tail is exact:
    # |x| given |x| > 3.5 follows the normal's conditional tail
    tail = ax[ax > 3.5].astype(np.float64)
    assert ks_pvalue(tail, lambda v: 1 - stats.norm.sf(v) / stats.norm.sf(3.5)) > 1e-4


def test_maximum_of_1e7_draws_is_not_truncated():
    # exact tails: values beyond 5.5 sigma occur (expected ~38 in 1e9 draws is too slow, so use
    # a conditional check: the largest of 1e7 draws is distributed as max of 1e7 |N(0,1)|)
    n = 10**7
    for method in METHODS:
        m = float(np.abs(nd.random.standard_normal(n, rng=99, method=method)).max())
        # P(max|X| <= m) = (1 - 2 sf(m))^n must not be extreme
        cdf_max = np.exp(n * np.log1p(-2 * stats.norm.sf(m)))
        assert 1e-6 < cdf_max < 1 - 1e-6, (method, m)


def test_params_must_broadcast_to_out_when_size_is_omitted():
    out = np.full(4, np.nan)
    with pytest.raises(ValueError, match="shape mismatch: loc \\(3,\\)"):
        nd.random.normal(np.zeros(3), 1.0, out=out, rng=0)
    assert np.isnan(out).all()
    nd.random.normal(np.zeros((1,)), np.ones(4), out=out, rng=0)
    assert np.isfinite(out).all()

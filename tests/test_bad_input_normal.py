"""Bad input to Normal, Independent and the functional samplers (docs/architecture.md):
ValueError naming the parameter, the batch index and the reason; TypeError for
non-numeric input; a wrong out= refused before any write; validate_args=False
never crashes."""
import warnings

import numpy as np
import pytest

import numdist as nd
from numdist.distribution import Distribution


@pytest.fixture
def no_validation():
    """Turn validation off by default for the test, then restore the previous default."""
    saved = Distribution._validate_default
    nd.set_default_validate_args(False)
    yield
    nd.set_default_validate_args(saved)


# ---------------------------------------------------------------------------------
# Parameter values: ValueError naming the parameter and the batch index
# ---------------------------------------------------------------------------------
BAD_VALUES = [
    # loc, scale, parameter named, batch index, reason
    (0.0, [1.0, -1.0, 2.0], "scale", r"\(1,\)", ""),
    (0.0, [1.0, 2.0, 0.0], "scale", r"\(2,\)", ""),
    (0.0, -3.0, "scale", r"\(\)", ""),
    ([0.0, np.nan], 1.0, "loc", r"\(1,\)", "NaN"),
    ([np.inf, 0.0], 1.0, "loc", r"\(0,\)", "infinite"),
    ([0.0, -np.inf], 1.0, "loc", r"\(1,\)", "infinite"),
    (0.0, [1.0, np.nan], "scale", r"\(1,\)", "NaN"),
    (0.0, [1.0, 1.0, np.inf], "scale", r"\(2,\)", "infinite"),
    (np.zeros((2, 3)), [[1.0, 1.0, 1.0], [1.0, 1.0, -0.5]], "scale", r"\(1, 2\)", ""),
    ([[0.0], [np.nan]], np.ones(4), "loc", r"\(1, 0\)", "NaN"),  # index into the broadcast batch
]


@pytest.mark.parametrize("loc,scale,name,index,reason", BAD_VALUES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bad_parameter_values_name_parameter_and_index(loc, scale, name, index, reason, dtype):
    loc, scale = np.asarray(loc, dtype), np.asarray(scale, dtype)
    with pytest.raises(ValueError, match=rf"(?s){name}.*index {index}.*{reason}"):
        nd.Normal(loc, scale)
    with pytest.raises(ValueError, match=rf"(?s){name}.*index {index}"):
        nd.Normal(loc, scale, validate_args=True)


def test_first_offending_index_is_reported():
    with pytest.raises(ValueError, match=r"index \(0, 2\)"):
        nd.Normal(0.0, [[1.0, 1.0, -1.0], [-1.0, -1.0, -1.0]])


@pytest.mark.parametrize("loc,scale", [(np.zeros(3), np.ones(4)), (np.zeros((2, 3)), np.ones((3, 2))),
                                       ([0.0, 1.0], [1.0, 1.0, 1.0])])
def test_shapes_that_do_not_broadcast(loc, scale):
    with pytest.raises(ValueError, match="broadcast"):
        nd.Normal(loc, scale)
    with pytest.raises(ValueError, match="broadcast"):
        nd.Normal(loc, scale, validate_args=False)


NON_NUMERIC = ["a", b"1", ["a", "b"], np.array([1.0, 2.0], dtype=object), 1 + 2j, np.array([1 + 0j]),
               None, {"loc": 1}, np.array(["2020-01-01"], dtype="datetime64[D]")]


@pytest.mark.parametrize("bad", NON_NUMERIC, ids=lambda b: type(b).__name__ + (f"-{b.dtype}" if isinstance(b, np.ndarray) else ""))
def test_non_numeric_parameters_are_type_errors(bad):
    with pytest.raises(TypeError):
        nd.Normal(bad, 1.0)
    with pytest.raises(TypeError):
        nd.Normal(0.0, bad)
    with pytest.raises(TypeError):
        nd.Normal(bad, 1.0, validate_args=False)
    with pytest.raises(TypeError):
        nd.random.normal(bad, 1.0, rng=0)
    with pytest.raises(TypeError):
        nd.random.normal(0.0, bad, rng=0)


@pytest.mark.parametrize("bad", ["x", np.array([1.0], dtype=object), 1j, np.array([0.5 + 1j])])
def test_non_numeric_values_are_type_errors(bad):
    d = nd.Normal(0.0, 1.0)
    for fn in (d.log_prob, d.cdf, d.icdf, d.log_prob_vjp):
        with pytest.raises(TypeError):
            fn(bad)
    with pytest.raises(TypeError):
        nd.Independent(nd.Normal(np.zeros(2), 1.0), 1).log_prob(bad)


# ---------------------------------------------------------------------------------
# Values passed to log_prob / cdf / icdf
# ---------------------------------------------------------------------------------
def test_log_prob_nan_names_the_index():
    d = nd.Normal(np.zeros(4), 1.0)
    with pytest.raises(ValueError, match=r"index \(2,\)"):
        d.log_prob([0.0, 1.0, np.nan, 0.0])
    with pytest.raises(ValueError, match=r"index \(1, 3\)"):
        d.log_prob(np.array([[0.0] * 4, [0.0, 0.0, 0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"index \(0,\)"):
        d.log_prob_vjp([np.nan, 0.0, 0.0, 0.0])
    assert np.isfinite(d.log_prob([0.0, 1.0, 2.0, 3.0])).all()
    # infinite values are in the support: log_prob is -inf, not an error
    assert d.log_prob(np.inf)[0] == -np.inf
    # the support check sums the value first (a NaN sum means a NaN, or infinities of
    # both signs, or an overflow): none of the latter may be refused
    big = np.array([[np.inf, -np.inf, 1e308, 1e308], [1e308] * 4])
    assert d.log_prob(big).shape == (2, 4)
    with pytest.raises(ValueError, match=r"index \(1, 2\)"):
        d.log_prob(np.array([[np.inf, -np.inf, 0.0, 0.0], [1e308, 1e308, np.nan, 0.0]]))
    with pytest.raises(ValueError, match=r"index \(0,\)"):
        d.log_prob(np.array([np.nan, 0.0, 0.0, 0.0], np.float32))
    assert d.log_prob(np.arange(4)).shape == (4,)  # integers hold no NaN


def test_icdf_outside_unit_interval():
    d = nd.Normal(0.0, 1.0)
    with pytest.raises(ValueError, match=r"index \(1,\)"):
        d.icdf([0.5, 1.5])
    with pytest.raises(ValueError, match=r"index \(0,\)"):
        d.icdf([-0.1, 0.5])
    with pytest.raises(ValueError):
        d.icdf(np.nan)


def test_value_shape_that_does_not_broadcast():
    d = nd.Normal(np.zeros((3, 4)), 1.0)
    for fn in (d.log_prob, d.cdf, d.log_prob_vjp):
        with pytest.raises(ValueError):
            fn(np.zeros(5))


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), ((2, -1), ValueError), (1.5, TypeError), ("3", TypeError),
                                     ((2.0,), TypeError), (None, TypeError)])
def test_bad_sample_shape(bad, exc):
    d = nd.Normal(0.0, 1.0)
    for fn in (d.sample, d.rsample, d.rsample_vjp):
        with pytest.raises(exc):
            fn(bad, rng=0)
    if bad is not None:  # size=None is legal in the functional API
        with pytest.raises(exc):
            nd.random.standard_normal(bad, rng=0)


def test_bad_cotangent():
    d = nd.Normal(np.zeros(3), 1.0)
    x, vjp = d.rsample_vjp((2,), rng=0)
    with pytest.raises(ValueError):
        vjp(np.ones((2, 4)))
    with pytest.raises(TypeError):
        vjp("ones")


# ---------------------------------------------------------------------------------
# Wrong out=: refused before any write
# ---------------------------------------------------------------------------------
def _sentinel(shape, dtype):
    return np.full(shape, 123.0, dtype=dtype)


def test_standard_normal_wrong_out_dtype_is_type_error_and_untouched():
    out = _sentinel(5, np.float32)
    with pytest.raises(TypeError):
        nd.random.standard_normal(out=out, rng=0)  # default dtype float64
    assert (out == 123).all()
    out64 = _sentinel(5, np.float64)
    with pytest.raises(TypeError):
        nd.random.standard_normal(out=out64, dtype=np.float32, rng=0)
    assert (out64 == 123).all()
    for bad in (_sentinel(5, np.int64), _sentinel(5, np.complex128)):
        with pytest.raises(TypeError):
            nd.random.standard_normal(out=bad, rng=0)
        assert (bad == 123).all()
    with pytest.raises(TypeError):
        nd.random.standard_normal(out=[0.0, 0.0], rng=0)


def test_standard_normal_wrong_out_shape_is_value_error_and_untouched():
    out = _sentinel((3, 4), np.float64)
    for size in ((4, 3), 12, (3, 4, 1), (3,)):
        with pytest.raises(ValueError):
            nd.random.standard_normal(size, out=out, rng=0)
        assert (out == 123).all()


def test_read_only_out_is_value_error_and_untouched():
    out = _sentinel(6, np.float64)
    out.flags.writeable = False
    with pytest.raises(ValueError):
        nd.random.standard_normal(out=out, rng=0)
    with pytest.raises(ValueError):
        nd.random.normal(0.0, 1.0, out=out, rng=0)
    assert (out == 123).all()
    view = np.broadcast_to(np.full(1, 123.0), (6,))  # broadcast views are read-only
    with pytest.raises(ValueError):
        nd.random.standard_normal(out=view, rng=0)
    assert (view == 123).all()


def test_normal_wrong_out_refused_before_any_write():
    out32 = _sentinel((4, 3), np.float32)
    with pytest.raises(TypeError):
        nd.random.normal(np.zeros(3), 1.0, out=out32, rng=0)  # float64 params -> float64 draws
    assert (out32 == 123).all()
    out = _sentinel((4, 3), np.float64)
    with pytest.raises(ValueError):
        nd.random.normal(np.zeros(3), 1.0, size=(4, 2), out=out, rng=0)
    with pytest.raises(ValueError):
        nd.random.normal(np.zeros(3), 1.0, size=(2, 3), out=out, rng=0)
    with pytest.raises(ValueError):
        nd.random.normal(np.zeros(5), 1.0, out=out, rng=0)  # params do not fit out
    assert (out == 123).all()
    # a bad parameter is refused before the draw too
    with pytest.raises(ValueError, match=r"scale.*\(1,\)"):
        nd.random.normal(0.0, [1.0, -1.0, 1.0], out=out, rng=0)
    with pytest.raises(ValueError, match=r"loc.*\(2,\).*NaN"):
        nd.random.normal([0.0, 0.0, np.nan], 1.0, out=out, rng=0)
    assert (out == 123).all()


@pytest.mark.parametrize("loc,scale,name", [([0.0, np.inf], 1.0, "loc"), (0.0, [1.0, np.nan], "scale"),
                                            (0.0, [-1.0, 1.0], "scale"), (0.0, [1.0, np.inf], "scale")])
def test_functional_normal_bad_params(loc, scale, name):
    with pytest.raises(ValueError, match=name):
        nd.random.normal(loc, scale, rng=0)
    # scale == 0 is allowed, as in numpy
    assert nd.random.normal(1.0, 0.0, rng=0) == 1.0


# ---------------------------------------------------------------------------------
# validate_args=False: no crash (NaN results are fine)
# ---------------------------------------------------------------------------------
BAD_PARAMS = [(0.0, -1.0), (np.nan, 1.0), (0.0, np.nan), (0.0, 0.0), (np.inf, 1.0), (0.0, np.inf), (-np.inf, -np.inf)]


def _exercise(d):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = d.sample((5,), rng=0)
        assert x.shape == (5,) + d.batch_shape
        d.rsample((3,), rng=np.random.default_rng(0))
        xv, vjp = d.rsample_vjp((4,), rng=0)
        vjp(np.ones_like(xv))
        d.log_prob(np.array([0.0, np.nan, np.inf]).reshape((3,) + (1,) * len(d.batch_shape)))
        lp, lvjp = d.log_prob_vjp(0.5)
        lvjp(np.ones_like(lp))
        d.cdf(0.3)
        d.icdf(0.3)
        h, hvjp = d.entropy_vjp()
        hvjp(np.ones_like(h))
        d.expand((2,) + d.batch_shape).sample(rng=0)
        nd.kl_divergence(d, d)
        kl, kvjp = nd.kl_divergence_vjp(d, nd.Normal(0.0, 1.0))
        kvjp(np.ones_like(kl))
        _ = (d.mean, d.mode, d.variance, d.stddev)


@pytest.mark.parametrize("loc,scale", BAD_PARAMS)
def test_validate_args_false_does_not_crash(loc, scale):
    d = nd.Normal(np.full(3, loc), np.full(3, scale), validate_args=False)
    _exercise(d)
    d32 = nd.Normal(np.full(3, loc, np.float32), np.full(3, scale, np.float32), validate_args=False)
    _exercise(d32)
    # a large draw with a bad scale does not crash either, and stays the right size
    x = nd.Normal(np.full(3, loc), np.full(3, scale), validate_args=False).sample((100_000,), rng=1)
    assert x.shape == (100_000, 3)
    if scale == 0.0 and np.isfinite(loc):
        assert (x == loc).all()


def test_set_default_validate_args_false(no_validation):
    d = nd.Normal([0.0, np.nan], [-1.0, 0.0])   # no exception
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(d.log_prob(0.5)).all()
        assert np.isnan(nd.Normal(0.0, 1.0).log_prob(np.nan))  # value checks are off too
    _exercise(nd.Normal(np.full(2, np.nan), np.full(2, -1.0)))
    i = nd.Independent(nd.Normal(np.zeros((2, 2)), -1.0), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert i.log_prob(np.zeros((2, 2))).shape == (2,)
    # explicit validate_args=True still validates
    with pytest.raises(ValueError, match="scale"):
        nd.Normal(0.0, -1.0, validate_args=True)


def test_default_validation_is_restored_after_fixture():
    # runs after test_set_default_validate_args_false in file order: validation is on again
    with pytest.raises(ValueError, match="scale"):
        nd.Normal(0.0, -1.0)


def test_set_default_validate_args_rejects_non_bool():
    with pytest.raises(ValueError):
        nd.set_default_validate_args("yes")

"""The simple families (Uniform, Exponential, Laplace, Cauchy, Gumbel, Bernoulli,
Geometric) and their functional samplers: goodness of fit against scipy.stats on
large draws, NumPy conventions of the functional samplers, bad parameters.
Shapes, values and gradients against torch are in the generic tests (registry)."""
import numpy as np
import pytest
from scipy import stats

import numdist as nd

N = 200_000
ALPHA = 1e-4  # fixed seeds: a failure is a real misfit, not bad luck

CONTINUOUS = [
    ("Uniform", dict(low=-2.0, high=3.0), stats.uniform(loc=-2.0, scale=5.0)),
    ("Exponential", dict(rate=2.5), stats.expon(scale=1 / 2.5)),
    ("Laplace", dict(loc=1.0, scale=0.5), stats.laplace(loc=1.0, scale=0.5)),
    ("Cauchy", dict(loc=-1.0, scale=2.0), stats.cauchy(loc=-1.0, scale=2.0)),
    ("Gumbel", dict(loc=0.5, scale=1.5), stats.gumbel_r(loc=0.5, scale=1.5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("family,params,ref", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_goodness_of_fit(family, params, ref, dtype):
    d = getattr(nd, family)(**{k: np.asarray(v, dtype=dtype) for k, v in params.items()})
    x = d.sample((N,), rng=20261127)
    assert x.dtype == dtype and x.shape == (N,)
    assert np.isfinite(x).all()
    assert stats.kstest(x.astype(np.float64), ref.cdf).pvalue > ALPHA
    # the closed forms agree with scipy too
    grid = ref.ppf(np.linspace(0.01, 0.99, 7))
    np.testing.assert_allclose(d.log_prob(grid.astype(dtype)), ref.logpdf(grid), rtol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(d.cdf(grid.astype(dtype)), ref.cdf(grid), rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [0.03, 0.3, 0.5, 0.97])
def test_bernoulli_chisquare(p, dtype):
    x = nd.Bernoulli(probs=np.asarray(p, dtype=dtype)).sample((N,), rng=11)
    assert x.dtype == dtype and set(np.unique(x)) <= {0.0, 1.0}
    ones = x.sum()
    assert stats.binomtest(int(ones), N, p).pvalue > ALPHA


@pytest.mark.parametrize("p", [0.02, 0.3, 0.9, 1.0])
def test_geometric_chisquare(p):
    x = nd.Geometric(probs=p).sample((N,), rng=12)
    assert x.dtype == np.int64 and x.min() >= 0
    if p == 1.0:
        assert (x == 0).all()
        return
    ref = stats.geom(p, loc=-1)  # failures before the first success
    kmax = int(ref.ppf(0.999))
    observed = np.bincount(np.minimum(x, kmax), minlength=kmax + 1)
    expected = ref.pmf(np.arange(kmax + 1)) * N
    expected[-1] = ref.sf(kmax - 1) * N
    assert stats.chisquare(observed, expected).pvalue > ALPHA
    np.testing.assert_allclose(nd.Geometric(probs=p).log_prob(np.arange(5)), ref.logpmf(np.arange(5)), rtol=1e-12)


def test_geometric_logits_and_probs_agree():
    p = np.array([0.1, 0.5, 0.8])
    a, b = nd.Geometric(probs=p), nd.Geometric(logits=np.log(p) - np.log1p(-p))
    np.testing.assert_allclose(a.probs, b.probs, rtol=1e-14)
    np.testing.assert_allclose(a.log_prob(np.arange(4)[:, None]), b.log_prob(np.arange(4)[:, None]), rtol=1e-12)


# -- functional samplers: NumPy's conventions ------------------------------------------------
FUNCTIONAL = [
    ("uniform", (-1.0, 2.0), stats.uniform(loc=-1.0, scale=3.0)),
    ("exponential", (2.0,), stats.expon(scale=2.0)),
    ("laplace", (0.5, 2.0), stats.laplace(loc=0.5, scale=2.0)),
    ("gumbel", (0.5, 2.0), stats.gumbel_r(loc=0.5, scale=2.0)),
    ("standard_exponential", (), stats.expon()),
    ("standard_cauchy", (), stats.cauchy()),
]


@pytest.mark.parametrize("name,args,ref", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional_fit_shapes_and_scalars(name, args, ref):
    fn = getattr(nd.random, name)
    x = fn(*args, size=N, rng=5)
    assert x.shape == (N,) and x.dtype == np.float64
    assert stats.kstest(x, ref.cdf).pvalue > ALPHA
    assert isinstance(fn(*args, rng=5), float)  # no size: a Python float, as numpy
    assert fn(*args, size=(2, 3), rng=5).shape == (2, 3)
    np.testing.assert_array_equal(fn(*args, size=10, rng=7), fn(*args, size=10, rng=7))
    x32 = fn(*args, size=1000, dtype=np.float32, rng=5)
    assert x32.dtype == np.float32
    out = np.empty((4, 6))[:, ::-2]
    res = fn(*args, out=out, rng=9)
    assert res is out
    np.testing.assert_array_equal(out, fn(*args, size=(4, 3), rng=9))


def test_functional_geometric_counts_trials_like_numpy():
    x = nd.random.geometric(0.25, size=N, rng=1)
    assert x.dtype == np.int64 and x.min() >= 1
    ref = stats.geom(0.25)
    kmax = 40
    observed = np.bincount(np.minimum(x, kmax), minlength=kmax + 1)[1:]
    expected = ref.pmf(np.arange(1, kmax + 1)) * N
    expected[-1] = ref.sf(kmax - 1) * N
    assert stats.chisquare(observed, expected).pvalue > ALPHA
    assert isinstance(nd.random.geometric(0.5, rng=0), int)
    assert (nd.random.geometric(1.0, size=10, rng=0) == 1).all()


def test_functional_parameters_broadcast_against_size():
    x = nd.random.laplace(np.arange(3.0), [[0.1], [0.2]], size=(5, 2, 3), rng=0)
    assert x.shape == (5, 2, 3)
    with pytest.raises(ValueError, match="shape mismatch"):
        nd.random.laplace(np.zeros(3), 1.0, size=(4,), rng=0)


def test_functional_out_overlapping_an_input_reads_before_writing():
    a = np.arange(10.0)
    expected = nd.random.laplace(a.copy()[::-1], 1.0, rng=1)
    nd.random.laplace(a[::-1], 1.0, out=a, rng=1)  # out overlaps loc reversed
    np.testing.assert_array_equal(a, expected)
    buf = np.arange(11.0)
    expected = nd.random.uniform(buf[:-1].copy(), buf[:-1] + 1, rng=2)
    nd.random.uniform(buf[:-1], buf[:-1] + 1, out=buf[1:], rng=2)
    np.testing.assert_array_equal(buf[1:], expected)


def test_functional_misaligned_out_and_parameters():
    raw = np.zeros(8 * 20 + 1, np.uint8)
    out = raw[1:].view(np.float64)
    loc = np.zeros(8 * 20 + 1, np.uint8)[1:].view(np.float64)
    assert not out.flags.aligned and not loc.flags.aligned
    nd.random.gumbel(loc, 1.0, out=out, rng=3)
    np.testing.assert_array_equal(out, nd.random.gumbel(np.zeros(20), 1.0, rng=3))


@pytest.mark.parametrize("call,param", [
    (lambda: nd.random.exponential(-1.0, size=3), "scale"),
    (lambda: nd.random.laplace(0.0, [1.0, np.nan]), "scale"),
    (lambda: nd.random.gumbel([0.0, np.inf], 1.0), "loc"),
    (lambda: nd.random.uniform(0.0, [1.0, np.nan]), "high"),
    (lambda: nd.random.geometric([0.5, 0.0]), "p"),
    (lambda: nd.random.geometric(1.5), "p"),
])
def test_functional_bad_parameters_named(call, param):
    with pytest.raises(ValueError, match=rf"\b{param}\b.*index"):
        call()


def test_functional_wrong_out_refused_before_any_write():
    out = np.full(3, 7.0)
    with pytest.raises(TypeError):
        nd.random.laplace(0.0, 1.0, out=out.astype(np.float32), rng=0)
    with pytest.raises(ValueError):
        nd.random.laplace(0.0, 1.0, size=4, out=out, rng=0)
    ro = out.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        nd.random.laplace(0.0, 1.0, out=ro, rng=0)
    with pytest.raises(TypeError):
        nd.random.geometric(0.5, out=np.empty(3), rng=0)  # counts are int64
    assert (out == 7.0).all()


# -- bad parameters of the classes -------------------------------------------------------------
@pytest.mark.parametrize("make,param", [
    (lambda: nd.Exponential([1.0, -2.0]), "rate"),
    (lambda: nd.Laplace(0.0, [1.0, 0.0]), "scale"),
    (lambda: nd.Cauchy([0.0, np.nan], 1.0), "loc"),
    (lambda: nd.Gumbel(0.0, [[1.0], [np.nan]]), "scale"),
    (lambda: nd.Uniform([0.0, 1.0], [1.0, 1.0]), "low"),
    (lambda: nd.Bernoulli(probs=[0.5, 1.5]), "probs"),
    (lambda: nd.Bernoulli(logits=[0.5, np.nan]), "logits"),
    (lambda: nd.Geometric(probs=[0.5, 0.0]), "probs"),
    (lambda: nd.Geometric(probs=[0.5, -0.1]), "probs"),
])
def test_bad_parameters_named_with_index(make, param):
    with pytest.raises(ValueError, match=rf"\b{param}\b.*index \(1"):
        make()


@pytest.mark.parametrize("make", [
    lambda: nd.Exponential([1.0, -2.0, np.nan, np.inf], validate_args=False),
    lambda: nd.Laplace([0.0, np.inf, np.nan, 1.0], [1.0, -1.0, 0.0, np.nan], validate_args=False),
    lambda: nd.Cauchy([0.0, np.inf, np.nan, 1.0], [1.0, -1.0, 0.0, np.nan], validate_args=False),
    lambda: nd.Gumbel([0.0, np.inf, np.nan, 1.0], [1.0, -1.0, 0.0, np.nan], validate_args=False),
    lambda: nd.Uniform([0.0, 2.0, np.nan, -np.inf], [1.0, 1.0, 0.0, np.inf], validate_args=False),
    lambda: nd.Bernoulli(probs=[0.5, 1.5, -1.0, np.nan], validate_args=False),
    lambda: nd.Geometric(probs=[0.5, 0.0, -1.0, np.nan], validate_args=False),
    lambda: nd.Geometric(probs=[1e-300, 2.0, np.inf, 1e-20], validate_args=False),
])
def test_validation_off_never_crashes(make):
    d = make()
    x = d.sample((1000,), rng=0)
    assert x.shape == (1000, 4)
    with np.errstate(all="ignore"):
        d.log_prob(np.zeros(4))
        d.entropy()

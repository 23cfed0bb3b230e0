"""Binomial and Multinomial: goodness of fit against scipy.stats, huge counts (1e12,
2^62) in time independent of the count, values and shapes against torch beyond the
generic registry tests, bad input, and the documented values of bad parameters with
validation off."""
import time
import tracemalloc

import numpy as np
import pytest
from scipy import stats

import numdist as nd

BIG = 2**62


def _chi2_pvalue(x, pmf, lo, hi, min_expected=20.0):
    """Chi-square test of integer draws ``x`` against ``pmf`` on [lo, hi] (tails merged into
    the end bins, bins merged until each expects ``min_expected``)."""
    x = np.asarray(x).ravel()
    n = x.size
    ks = np.arange(lo, hi + 1)
    probs = pmf(ks)
    probs[0] += pmf.cdf_below(lo)
    probs[-1] += pmf.sf_above(hi)
    counts = np.bincount(np.clip(x - lo, 0, hi - lo), minlength=hi - lo + 1).astype(float)
    exp_, obs_ = [], []
    e = o = 0.0
    for pk, ck in zip(probs * n, counts):
        e += pk
        o += ck
        if e >= min_expected:
            exp_.append(e)
            obs_.append(o)
            e = o = 0.0
    if e > 0:
        if exp_:
            exp_[-1] += e
            obs_[-1] += o
        else:
            exp_.append(e)
            obs_.append(o)
    exp_, obs_ = np.array(exp_), np.array(obs_)
    assert obs_.sum() == n
    if len(exp_) < 2:
        return 1.0
    stat = ((obs_ - exp_) ** 2 / exp_).sum()
    return stats.chi2.sf(stat, len(exp_) - 1)


class _BinomPMF:
    def __init__(self, n, p):
        self.d = stats.binom(n, p)

    def __call__(self, ks):
        return self.d.pmf(ks)

    def cdf_below(self, lo):
        return self.d.cdf(lo - 1)

    def sf_above(self, hi):
        return self.d.sf(hi)


def _window(n, p):
    mu, sd = n * p, np.sqrt(n * p * (1 - p))
    return int(max(0, np.floor(mu - 8 * sd - 2))), int(min(n, np.ceil(mu + 8 * sd + 2)))


GOF = [(1, 0.5), (10, 0.03), (200, 0.7), (10**6, 0.4), (1000, 0.0099), (1000, 0.0101), (25, 0.45),
       (57, 0.9), (10**12, 3e-12), (10**9, 0.5)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("n, p", GOF, ids=[f"{n}-{p}" for n, p in GOF])
def test_binomial_goodness_of_fit(n, p, dtype):
    """Chi-square against scipy.stats.binom on 2e5 draws (class and functional sampler),
    float32 and float64 parameters (float32: the float32 value of p is the law)."""
    pd = dtype(p)
    d = nd.Binomial(total_count=np.array(n, dtype=dtype), probs=pd)
    x = d.sample((200_000,), rng=123)
    assert x.dtype == np.int64
    ref = _BinomPMF(float(np.asarray(n, dtype=dtype)), float(pd))
    lo, hi = _window(float(np.asarray(n, dtype=dtype)), float(pd))
    assert _chi2_pvalue(x, ref, lo, hi) > 1e-4
    if dtype == np.float64:
        y = nd.random.binomial(n, p, size=200_000, rng=7)
        assert y.dtype == np.int64
        assert _chi2_pvalue(y, ref, lo, hi) > 1e-4


@pytest.mark.parametrize("n, p", [(10**12, 0.3), (BIG, 0.3), (BIG, 0.5), (BIG - 12345, 0.97), (BIG, 1e-9)])
def test_huge_count_moments(n, p):
    """Mean and variance at n = 1e12 and 2^62 (z-scores on 4e5 draws; exact integer
    offsets: counts near 1e18 are not representable as float64 sums)."""
    x = nd.random.binomial(n, p, size=400_000, rng=11)
    mu = n * p
    base = int(round(mu))
    z = (x - base).astype(np.float64) + (base - mu)  # x - mu
    var = n * p * (1 - p)
    zmean = z.mean() / np.sqrt(var / z.size)
    zvar = (np.mean(z**2) / var - 1) / np.sqrt(2.0 / z.size)
    assert abs(zmean) < 5 and abs(zvar) < 6, (zmean, zvar)
    assert x.min() >= 0 and x.max() <= n
    # not quantised by double rounding: all residues mod 64 appear
    assert np.unique(x[:20000] % 64).size == 64 or var < 1e6


def test_huge_count_speed_and_memory():
    """Binomial(1e12, 0.3), 1000 rows x 100 draws, and Multinomial(1e9, 100 categories):
    no work or memory proportional to the count."""
    d = nd.Binomial(total_count=1e12, probs=np.full(1000, 0.3))
    d.sample((100,), rng=0)
    tracemalloc.start()
    t = time.perf_counter()
    x = d.sample((100,), rng=1)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert x.shape == (100, 1000) and peak < 3 * x.nbytes
    assert dt < 2.0, dt  # about 5 ms here; generous for a loaded machine
    assert abs(x.mean() - 3e11) < 10 * np.sqrt(1e12 * 0.21 / x.size)
    m = nd.Multinomial(10**9, probs=np.random.default_rng(0).uniform(0.1, 1, size=100))
    t = time.perf_counter()
    y = m.sample((1000,), rng=2)
    assert time.perf_counter() - t < 2.0
    assert (y.sum(-1) == 10**9).all() and y.min() >= 0


@pytest.mark.parametrize("n", [60, 1000], ids=["alias-path", "binomial-path"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_multinomial_marginals_and_sums(dtype, n):
    """Each category's count is Binomial(n, p_j) (chi-square per category, 2e5 rows), and
    every row sums to total_count exactly; probs normalised as torch (probs / sum). Rows of
    at most 16 K trials are counted alias draws, larger ones conditional binomials."""
    raw = np.array([3.0, 0.5, 0.0, 1.5, 5.0], dtype=dtype)
    d = nd.Multinomial(n, probs=raw)
    x = d.sample((200_000,), rng=5)
    assert x.dtype == np.int64 and x.shape == (200_000, 5)
    assert (x.sum(-1) == n).all()
    assert (x[:, 2] == 0).all()
    p = raw.astype(np.float64) / raw.astype(np.float64).sum()
    for j in (0, 1, 3, 4):
        lo, hi = _window(n, p[j])
        assert _chi2_pvalue(x[:, j], _BinomPMF(n, p[j]), lo, hi) > 1e-4, j
    # a pair: the covariance -n p_i p_j (z-score)
    c = np.cov(x[:, 0], x[:, 4])[0, 1]
    se = np.sqrt((n * p[0] * (1 - p[0])) * (n * p[4] * (1 - p[4])) / x.shape[0]) * 1.5
    assert abs(c + n * p[0] * p[4]) < 5 * se


def test_multinomial_huge_counts_and_wide_rows():
    """n = 1e12 and 2^62 rows sum exactly; K above the kernel's stack buffer (a workspace
    is allocated); batched rows broadcast against sample_shape."""
    x = nd.random.multinomial([10**12, BIG], [[0.25, 0.25, 0.5], [0.1, 0.2, 0.7]], size=(2000, 2), rng=3)
    assert (x.sum(-1) == np.array([10**12, BIG])).all()
    rel = x.mean(0) / np.array([[10**12], [BIG]])
    np.testing.assert_allclose(rel, [[0.25, 0.25, 0.5], [0.1, 0.2, 0.7]], rtol=1e-6)
    k = 700
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=(3, k))
    y = nd.Multinomial(5000, probs=w).sample((400,), rng=4)
    assert (y.sum(-1) == 5000).all()
    mu = 5000 * w / w.sum(-1, keepdims=True)
    z = (y.mean(0) - mu) / np.sqrt(mu * (1 - mu / 5000) / y.shape[0])
    assert np.abs(z).max() < 5.5 and abs(z.mean()) < 0.2


def test_multinomial_numpy_semantics_of_pvals():
    """As numpy: the last category takes 1 - sum(pvals[:-1]); pvals[:-1] summing above 1
    is refused; batched pvals broadcast against size (numpy 2 agrees on shapes)."""
    x = nd.random.multinomial(100, [0.2, 0.3, 0.9], size=50_000, rng=0)  # last entry ignored: 0.5
    np.testing.assert_allclose(x.mean(0), [20, 30, 50], atol=0.3)
    with pytest.raises(ValueError, match="pvals"):
        nd.random.multinomial(10, [0.7, 0.6, 0.0])
    ref = np.random.default_rng(0).multinomial([5, 7], [[0.5, 0.5], [0.2, 0.8]], size=(4, 2))
    got = nd.random.multinomial([5, 7], [[0.5, 0.5], [0.2, 0.8]], size=(4, 2), rng=0)
    assert got.shape == ref.shape and got.dtype == np.int64
    assert (got.sum(-1) == np.array([5, 7])).all()


def test_multinomial_out_and_threads():
    """out= (strided, misaligned) gets the same numbers as a fresh array; the numbers do
    not depend on the thread count (several row chunks)."""
    p = np.random.default_rng(2).uniform(0.1, 1, size=(300, 7))
    p /= p.sum(-1, keepdims=True)
    ref = nd.random.multinomial(1000, p, size=(60, 300), rng=9)
    buf = np.zeros((60, 300, 14), dtype=np.int64)
    out = buf[..., ::2]
    assert nd.random.multinomial(1000, p, size=(60, 300), out=out, rng=9) is out
    np.testing.assert_array_equal(out, ref)
    raw = np.zeros(ref.nbytes + 1, np.uint8)[1:]
    mis = raw.view(np.int64).reshape(ref.shape)
    nd.random.multinomial(1000, p, out=mis, rng=9)
    np.testing.assert_array_equal(mis, ref)
    before = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a = nd.Multinomial(1000, probs=p).sample((60,), rng=4)
        nd.set_num_threads(2)
        b = nd.Multinomial(1000, probs=p).sample((60,), rng=4)
    finally:
        nd.set_num_threads(before)
    np.testing.assert_array_equal(a, b)


# -- values, shapes, dtypes ---------------------------------------------------------------------
def test_float32_parameters_give_float32_values(torch):
    d = nd.Binomial(total_count=np.float32(30), probs=np.array([0.2, 0.7], dtype=np.float32))
    x = d.sample((5,), rng=0)
    assert d.log_prob(x).dtype == np.float32 and d.mean.dtype == np.float32 and d.entropy().dtype == np.float32
    m = nd.Multinomial(9, logits=np.zeros((2, 3), np.float32))
    y = m.sample((4,), rng=0)
    assert m.log_prob(y).dtype == np.float32 and m.mean.dtype == np.float32
    lp, vjp = m.log_prob_vjp(y)
    g = vjp(np.ones_like(lp))["logits"]
    assert g.dtype == np.float32 and g.shape == (2, 3)


def test_log_prob_accepts_ints_and_floats_and_refuses_bad_values():
    d = nd.Binomial(total_count=np.array([4.0, 10.0]), probs=0.3)
    np.testing.assert_array_equal(d.log_prob(np.array([2, 7])), d.log_prob(np.array([2.0, 7.0])))
    np.testing.assert_allclose(d.log_prob(np.array([2, 7])), stats.binom.logpmf([2, 7], [4, 10], 0.3), rtol=1e-12)
    with pytest.raises(ValueError, match=r"index \(1,\)"):
        d.log_prob(np.array([2.0, 7.5]))  # not an integer
    with pytest.raises(ValueError, match=r"index \(0,\)"):
        d.log_prob(np.array([5, 7]))  # above total_count 4
    with pytest.raises(ValueError, match="index"):
        d.log_prob(np.array([-1, 7]))
    m = nd.Multinomial(5, probs=np.array([0.2, 0.3, 0.5]))
    np.testing.assert_allclose(m.log_prob(np.array([1, 1, 3])), stats.multinomial.logpmf([1, 1, 3], 5, [0.2, 0.3, 0.5]),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="index"):
        m.log_prob(np.array([[1, 1, 3], [1.5, 0.5, 3]]))
    with pytest.raises(ValueError, match="index"):
        m.log_prob(np.array([1, 2, 3]))  # sums to 6 > 5


def test_entropies_against_scipy():
    """Binomial's entropy as torch (sum over the support); Multinomial's exact one (torch's
    adds lgamma(n + 1) in float32: the generic comparison with torch is an xfail)."""
    d = nd.Binomial(total_count=np.array(30.0), probs=np.array([0.1, 0.5, 0.93]))
    np.testing.assert_allclose(d.entropy(), stats.binom(30, [0.1, 0.5, 0.93]).entropy(), rtol=1e-12)
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    m = nd.Multinomial(12, probs=p)
    ref = [stats.multinomial(12, row).entropy() for row in p]
    np.testing.assert_allclose(m.entropy(), ref, rtol=1e-12)


def test_multinomial_entropy_close_to_torch(torch):
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    h = nd.Multinomial(12, probs=p).entropy()
    th = torch.distributions.Multinomial(12, probs=torch.tensor(p)).entropy().numpy()
    np.testing.assert_allclose(h, th, rtol=1e-6)  # torch: lgamma(13) in float32


def test_multinomial_expand_is_a_view_and_matches_torch(torch):
    raw = np.array([[1.0, 2.0, 3.0, 0.5]])
    d = nd.Multinomial(6, probs=raw)
    e = d.expand((3, 1))
    assert e.batch_shape == (3, 1) and e.event_shape == (4,)
    originals = [v for v in vars(d).values() if isinstance(v, np.ndarray)]
    for k, v in vars(e).items():
        if isinstance(v, np.ndarray) and v.size > 1:
            assert any(v is o or np.shares_memory(v, o) for o in originals), k
    te = torch.distributions.Multinomial(6, probs=torch.tensor(raw)).expand((3, 1))
    x = e.sample((2,), rng=0)
    np.testing.assert_allclose(e.log_prob(x), te.log_prob(torch.as_tensor(x, dtype=torch.float64)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(e.mean, te.mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(e.variance, te.variance.numpy(), rtol=1e-12)
    lp, vjp = e.log_prob_vjp(x)
    assert vjp(np.ones_like(lp))["probs"].shape == raw.shape


def test_enumerate_support_and_mode(torch):
    d = nd.Binomial(total_count=4.0, probs=np.array([0.2, 0.9]))
    s = d.enumerate_support()
    assert s.dtype == np.int64 and s.shape == (5, 2)
    td = torch.distributions.Binomial(torch.tensor(4.0), probs=torch.tensor([0.2, 0.9], dtype=torch.float64))
    np.testing.assert_array_equal(s, td.enumerate_support().numpy())
    np.testing.assert_array_equal(d.enumerate_support(expand=False)[:, 0], np.arange(5))
    np.testing.assert_array_equal(d.mode, td.mode.numpy())
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        nd.Binomial(total_count=np.array([3.0, 4.0]), probs=0.5).enumerate_support()
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        nd.Binomial(total_count=np.array([3.0, 4.0]), probs=0.5).entropy()


def test_total_count_broadcasts_as_torch(torch):
    n = np.array([[5.0], [10.0]])
    p = np.array([0.5, 0.8, 0.1])
    d = nd.Binomial(total_count=n, probs=p)
    td = torch.distributions.Binomial(torch.tensor(n), probs=torch.tensor(p))
    assert d.batch_shape == tuple(td.batch_shape) == (2, 3)
    x = d.sample((4,), rng=0)
    assert x.shape == (4, 2, 3) and (x <= n).all()
    np.testing.assert_allclose(d.log_prob(x), td.log_prob(torch.as_tensor(x, dtype=torch.float64)).numpy(), rtol=1e-12)
    lp, vjp = d.log_prob_vjp(x)
    assert set(vjp(np.ones_like(lp))) == {"probs"} and vjp(np.ones_like(lp))["probs"].shape == (3,)
    e = d.expand((2, 2, 3))
    assert e.total_count.shape == (2, 2, 3) and np.shares_memory(e.total_count, d.total_count)


def test_reinforce_estimator_is_unbiased():
    """Score-function gradient of E[f(x)], f(k) = k^2, against the closed form
    d/dp (n p (1 - p) + n^2 p^2) through logits = log(p / (1 - p))."""
    n, p = 20.0, 0.3
    logit = np.log(p / (1 - p))
    d = nd.Binomial(total_count=n, logits=np.array(logit))
    x = d.sample((400_000,), rng=8)
    lp, vjp = d.log_prob_vjp(x)
    f = x.astype(np.float64) ** 2
    est = vjp(f - f.mean())["logits"] / x.size
    dmean_dp = n * (1 - 2 * p) + 2 * n * n * p
    exact = dmean_dp * p * (1 - p)
    assert abs(est - exact) < 0.02 * abs(exact)


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, name, index", [
    ({"total_count": np.array([3.0, -1.0]), "probs": 0.5}, "total_count", "(1,)"),
    ({"total_count": np.array([3.0, 2.5]), "probs": 0.5}, "total_count", "(1,)"),
    ({"total_count": np.array([np.nan, 2.0]), "probs": 0.5}, "total_count", "(0,)"),
    ({"total_count": 3.0, "probs": np.array([0.5, 1.5])}, "probs", "(1,)"),
    ({"total_count": 3.0, "probs": np.array([-0.1, 0.5])}, "probs", "(0,)"),
    ({"total_count": 3.0, "probs": np.array([0.5, np.nan])}, "probs", "(1,)"),
    ({"total_count": 3.0, "logits": np.array([0.5, np.nan])}, "logits", "(1,)"),
])
def test_bad_binomial_parameters_are_refused(kw, name, index):
    with pytest.raises(ValueError, match=rf"{name}.*index {re_escape(index)}"):
        nd.Binomial(**kw)


def re_escape(s):
    import re

    return re.escape(s)


def test_bad_multinomial_and_functional_parameters_are_refused():
    with pytest.raises(ValueError, match=r"probs.*index \(1,\)"):
        nd.Multinomial(3, probs=np.array([[0.5, 0.5], [-0.5, 1.0]]))
    with pytest.raises(ValueError, match=r"logits.*index"):
        nd.Multinomial(3, logits=np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="total_count"):
        nd.Multinomial(-2, probs=np.array([0.5, 0.5]))
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        nd.Multinomial(np.array([2, 3]), probs=np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"n .*index \(1,\)"):
        nd.random.binomial([3, -1], 0.5)
    with pytest.raises(ValueError, match=r"n .*index \(0,\)"):
        nd.random.binomial([2.5, 1], 0.5)
    with pytest.raises(ValueError, match=r"p .*index \(1,\)"):
        nd.random.binomial(3, [0.5, 1.5])
    with pytest.raises(ValueError, match="n "):
        nd.random.binomial(2**63, 0.5)  # above 2^62
    with pytest.raises(ValueError, match=r"n .*index \(1,\)"):
        nd.random.multinomial([3, -1], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"pvals.*index \(0,\)"):
        nd.random.multinomial(3, [[0.5, np.nan], [0.5, 0.5]])
    with pytest.raises(TypeError, match="n"):
        nd.random.multinomial("3", [0.5, 0.5])
    with pytest.raises(ValueError, match="total_count"):
        nd.Binomial(total_count=2.0**63, probs=0.5).sample(rng=0)  # above 2^62: not sampled


def test_validation_off_never_hangs_and_gives_documented_values():
    """With validate_args=False: -1 for NaN/inf/negative/non-integer counts and bad
    probabilities (as the geometric kernel's documented value); extreme valid parameters
    (2^62, 1e-300, 5e-324, 1 - 1e-16) terminate in range."""
    n = np.array([np.nan, np.inf, -3.0, 2.5, 2.0**63, 10.0, 10.0, 10.0, BIG, BIG, BIG, 1e12])
    p = np.array([0.5, 0.5, 0.5, 0.5, 0.5, np.nan, -0.5, 1.5, 1e-300, 5e-324, 1 - 1e-16, 1e-300])
    d = nd.Binomial(total_count=n, probs=p, validate_args=False)
    x = d.sample((50,), rng=0)
    np.testing.assert_array_equal(x[:, :8], -1)
    assert (x[:, 8:10] == 0).all()
    assert ((x[:, 10] > BIG - 10**4) & (x[:, 10] <= BIG)).all()
    assert (x[:, 11] == 0).all()
    m = nd.Multinomial(5, probs=np.array([[0.5, np.nan, 0.5], [0.0, 0.0, 0.0], [np.inf, 1.0, 1.0]]),
                       validate_args=False)
    np.testing.assert_array_equal(m.sample((3,), rng=0), -1)
    d32 = nd.Binomial(total_count=np.float32(BIG), probs=np.float32(0.3), validate_args=False)
    y = d32.sample((1000,), rng=1)
    assert np.abs(y / BIG - 0.3).max() < 1e-6


@pytest.mark.parametrize("n, p", [(10**12, 0.3), (BIG, 0.4), (BIG - 12345, 0.97), (10**15, 0.5)])
def test_huge_count_shape_against_normal_limit(n, p):
    """At n p q >= 1e11 the binomial is normal to O(1/sd) < 1e-5: KS of the standardised
    draws (exact integer offsets) against N(0, 1) on 2e5 draws (class sampler, f64)."""
    d = nd.Binomial(total_count=np.array(float(n)), probs=p)
    x = d.sample((200_000,), rng=21)
    nn = int(np.float64(n))  # the count as the float64 parameter holds it
    mu = nn * p
    base = int(round(mu))
    z = ((x - base).astype(np.float64) + (base - mu)) / np.sqrt(nn * p * (1 - p))
    assert stats.kstest(z, "norm").pvalue > 1e-4

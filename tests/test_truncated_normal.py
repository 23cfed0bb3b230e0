"""TruncatedNormal against scipy.stats.truncnorm and mpmath (tails included), goodness of
fit of the kernel at any truncation, and its implicit reparameterisation gradients."""
import math

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import numdist as nd
from numdist import _special, vjp
from numdist.sampling import draw

INTERVALS = [(8.0, 9.0), (-np.inf, -30.0), (-1.0, 3.0), (-np.inf, np.inf), (0.0, np.inf), (-np.inf, 0.1),
             (-40.0, -39.0), (2.0, 2.01), (-0.1, 0.1), (30.0, np.inf), (-4.0, -3.9), (5.0, 5.001),
             (-1000.0, -999.0), (-1e-8, 1e-8)]


def _ref(a, b):
    """Mean, variance, entropy of the standard normal on [a, b] at 60 digits."""
    with mp.workdps(60):
        a_, b_ = mp.mpf(a), mp.mpf(b)
        phi = lambda x: mp.npdf(x) if mp.isfinite(x) else mp.mpf(0)  # noqa: E731
        xphi = lambda x: x * mp.npdf(x) if mp.isfinite(x) else mp.mpf(0)  # noqa: E731
        z = mp.ncdf(b_) - mp.ncdf(a_) if a < 0 else mp.ncdf(-a_) - mp.ncdf(-b_)
        m = (phi(a_) - phi(b_)) / z
        var = 1 + (xphi(a_) - xphi(b_)) / z - m ** 2
        h = mp.log(mp.sqrt(2 * mp.pi * mp.e) * z) + (xphi(a_) - xphi(b_)) / (2 * z)
        return float(m), float(var), float(h), z


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.mark.parametrize("a,b", INTERVALS, ids=str)
def test_moments_and_entropy_vs_mpmath(a, b):
    loc, scale = 0.7, 1.3
    d = nd.TruncatedNormal(loc, scale, loc + scale * a, loc + scale * b)
    m, var, h, _ = _ref(float(d._a), float(d._b))  # the standardised bounds the parameters give
    assert _rel(d.mean, loc + scale * m) < 1e-13
    # log Z + (a phi(a) - b phi(b)) / (2 Z) cancels by ~a^2 / 2 in a tail: absolute error ~1e-16 a^2
    near = 0.0 if a < 0 < b else min(abs(a), abs(b))
    assert abs(d.entropy() - (h + math.log(scale))) < 1e-12 * max(1.0, abs(h)) + 1e-15 * near**2
    assert _rel(d.variance, scale**2 * var) < 1e-13


@pytest.mark.parametrize("a,b", INTERVALS, ids=str)
def test_log_prob_cdf_icdf_vs_scipy_and_mpmath(a, b):
    loc, scale = -0.4, 2.0
    lo, hi = loc + scale * a, loc + scale * b
    d = nd.TruncatedNormal(loc, scale, lo, hi)
    a, b = float(d._a), float(d._b)  # as the parameters give them
    ref = st.truncnorm(a, b, loc=loc, scale=scale)
    q = np.array([1e-12, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-12])
    x = d.icdf(q)
    assert np.all((x >= lo) & (x <= hi))
    if b - a > 1e-6:  # scipy's ppf loses a narrow interval
        assert _rel(x, ref.ppf(q)) < 1e-9
    # the round trip through a float64 x is as good as x's last bit allows
    np.testing.assert_allclose(d.cdf(x), q, rtol=1e-9, atol=4 * np.spacing(np.abs(x)).max() * np.exp(np.max(d.log_prob(x))))
    standard = nd.TruncatedNormal(0.0, 1.0, a, b)
    zq = standard.icdf(q)
    with mp.workdps(60):  # the root of log Phi(+-z) = log(target) near numdist's answer
        zref = []
        for u, z0 in zip(q, zq):
            u = mp.mpf(u)
            if a >= 0:
                t = mp.log(mp.ncdf(-b) + (1 - u) * (mp.ncdf(-a) - mp.ncdf(-b)))
                zref.append(mp.findroot(lambda z: mp.log(mp.ncdf(-z)) - t, mp.mpf(z0)))
            else:
                t = mp.log(mp.ncdf(a) + u * (mp.ncdf(b) - mp.ncdf(a)))
                zref.append(mp.findroot(lambda z: mp.log(mp.ncdf(z)) - t, mp.mpf(z0)))
    zref = np.array([float(v) for v in zref])
    assert np.all(np.abs(zq - zref) <= 1e-13 * np.abs(zref) + 1e-16 * min(1.0, b - a)), (zq, zref)
    _, _, _, z = _ref(a, b)
    with mp.workdps(60):
        lp_ref = [float(-(mp.mpf(v) - loc) ** 2 / (2 * scale**2) - mp.log(scale * mp.sqrt(2 * mp.pi) * z)) for v in x]
    near = 0.0 if a < 0 < b else min(abs(a), abs(b))  # lp cancels by ~a^2 / 2 in a far tail
    assert np.all(np.abs(d.log_prob(x) - lp_ref) < 1e-12 * np.maximum(1, np.abs(lp_ref)) + 1e-15 * near**2)
    if np.isfinite(lo) and np.isfinite(hi) and -8 < a and b < 8 and b - a > 1:  # scipy loses far tails, narrow intervals
        assert _rel(d.log_prob(x), ref.logpdf(x)) < 1e-12
        assert _rel(d.mean, ref.mean()) < 1e-12 and _rel(d.variance, ref.var()) < 1e-10


def test_outside_support():
    d = nd.TruncatedNormal(0.0, 1.0, -1.0, 2.0, validate_args=False)
    assert d.log_prob(np.array([-1.5, 2.5])).tolist() == [-np.inf, -np.inf]
    assert d.cdf(np.array([-5.0, 5.0])).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="support"):
        nd.TruncatedNormal(0.0, 1.0, -1.0, 2.0).log_prob(3.0)


@pytest.mark.parametrize("a,b", INTERVALS, ids=str)
def test_goodness_of_fit(a, b):
    """KS against scipy's truncnorm CDF (numdist's own cdf where scipy's Z underflows) on
    2e5 draws; every draw inside the interval."""
    loc, scale = 1.0, 0.5
    d = nd.TruncatedNormal(loc, scale, loc + scale * a, loc + scale * b)
    x = d.sample((200_000,), rng=hash((a, b)) % 2**32)
    assert np.all((x >= d.low) & (x <= d.high))
    cdf = st.truncnorm(a, b, loc=loc, scale=scale).cdf if b - a > 1e-2 and a > -35 and b < 35 else d.cdf
    assert st.kstest(x, cdf).pvalue > 1e-4


def test_goodness_of_fit_float32_and_batch():
    low = np.array([8.0, -np.inf, -1.0], dtype=np.float32)
    high = np.array([9.0, -30.0, 0.5], dtype=np.float32)
    d = nd.TruncatedNormal(np.float32(0), np.float32(1), low, high)
    x = d.sample((200_000,), rng=3)
    assert x.dtype == np.float32 and x.shape == (200_000, 3)
    assert np.all((x >= low) & (x <= high))
    for j in range(3):
        # float32 rounding of the draws: compare at float32 resolution
        ref = st.truncnorm(float(low[j]), float(high[j]))
        assert st.kstest(x[:, j].astype(np.float64), ref.cdf if j != 1 else nd.TruncatedNormal(0.0, 1.0, -np.inf, -30.0).cdf).pvalue > 1e-4


def test_kernel_edge_cases_never_fail():
    """With validation off every bound pair gives a value in [a, b] or NaN, quickly."""
    a = np.array([np.nan, 1.0, 2.0, np.inf, -np.inf, 3.0, -np.inf, 1e300, -1e300, 0.0, -1e-300, 5e-324])
    b = np.array([1.0, np.nan, 1.0, np.inf, -np.inf, 3.0, np.inf, np.inf, 1e300, 5e-324, 1e-300, 1e-323])
    z = draw("truncated_normal", 0, (10_000, a.size), np.float64, np.broadcast_to(a, (10_000, a.size)),
             np.broadcast_to(b, (10_000, a.size)))
    nan_cols = [0, 1, 2, 3, 4]
    assert np.isnan(z[:, nan_cols]).all()
    ok = z[:, 5:]
    assert np.all((ok >= a[5:]) & (ok <= b[5:]))
    assert (z[:, 5] == 3.0).all() and (z[:, 7] == 1e300).all()
    # NULL parameters are the untruncated standard normal
    y = draw("truncated_normal", 0, (200_000,), np.float64, None, None)
    assert st.kstest(y, "norm").pvalue > 1e-4


def test_sampling_is_thread_invariant_and_reproducible():
    d = nd.TruncatedNormal(np.zeros(7), 1.0, np.linspace(-3, 8, 7), np.linspace(-2, 12, 7))
    old = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        x1 = d.sample((40_000,), rng=9)
        nd.set_num_threads(2)
        x2 = d.sample((40_000,), rng=9)
    finally:
        nd.set_num_threads(old)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(d.rsample_vjp((40_000,), rng=9)[0], x1)


def _icdf_at(u, **th):
    return nd.TruncatedNormal(**th).icdf(u)


@pytest.mark.parametrize("th", [dict(loc=0.3, scale=1.2, low=8.0, high=9.0), dict(loc=0.0, scale=1.0, low=-np.inf, high=-30.0),
                                dict(loc=1.0, scale=2.0, low=-1.0, high=3.0), dict(loc=0.5, scale=0.7, low=0.0, high=np.inf),
                                dict(loc=-2.0, scale=0.5, low=-np.inf, high=np.inf)], ids=str)
def test_rsample_gradient_is_the_icdf_derivative_at_fixed_u(th):
    """The implicit gradient equals d icdf(u; theta) / d theta at u = cdf(x), by central
    differences of the (log-space) icdf."""
    d = nd.TruncatedNormal(**th)
    x, vjp_fn = d.rsample_vjp((6,), rng=1)
    u = d.cdf(x)
    for i in range(6):
        g = vjp_fn(np.eye(6)[i])
        for k, v in th.items():
            if not np.isfinite(v):
                assert g[k] == 0
                continue
            h = 1e-5 * max(1.0, abs(v))
            fd = (_icdf_at(u[i], **{**th, k: v + h}) - _icdf_at(u[i], **{**th, k: v - h})) / (2 * h)
            assert abs(g[k] - fd) < 1e-6 * max(1.0, abs(fd)), (k, g[k], fd)


def test_rsample_gradient_vs_mpmath_in_the_tail():
    """dz/da, dz/db of the standard truncated normal on [8, 9] against mpmath's
    derivative of the quantile at fixed u (60 digits)."""
    d = nd.TruncatedNormal(0.0, 1.0, 8.0, 9.0)
    x, vjp_fn = d.rsample_vjp((4,), rng=2)
    with mp.workdps(60):
        def quantile(u, a, b):
            pa, pb = mp.ncdf(a), mp.ncdf(b)
            return mp.sqrt(2) * mp.erfinv(2 * (pa + u * (pb - pa)) - 1)
        for i in range(4):
            u = (mp.ncdf(mp.mpf(x[i])) - mp.ncdf(8)) / (mp.ncdf(9) - mp.ncdf(8))
            g = vjp_fn(np.eye(4)[i])
            da = mp.diff(lambda a: quantile(u, a, mp.mpf(9)), mp.mpf(8))
            db = mp.diff(lambda b: quantile(u, mp.mpf(8), b), mp.mpf(9))
            assert abs(g["low"] - float(da)) < 1e-10 * abs(float(da))
            assert abs(g["high"] - float(db)) < 1e-10 * abs(float(db))


@pytest.mark.parametrize("th", [dict(loc=0.3, scale=1.2, low=8.0, high=9.0), dict(loc=0.0, scale=1.0, low=-np.inf, high=-30.0),
                                dict(loc=1.0, scale=2.0, low=-1.0, high=3.0)], ids=str)
def test_rsample_gradient_is_unbiased(th):
    """Monte Carlo mean of the rsample VJP of f(x) = x equals the gradient of the closed-form
    mean (within 5 standard errors from 40 batches)."""
    d = nd.TruncatedNormal(**th)
    n, batches = 200_000, 40
    x, vjp_fn = d.rsample_vjp((n,), rng=4)
    per = []
    for bi in range(batches):
        g = np.zeros(n)
        g[bi * n // batches:(bi + 1) * n // batches] = batches / n
        gb = vjp_fn(g)
        per.append([gb[k] for k in th])
    per = np.array(per, dtype=float)
    est, se = per.mean(0), per.std(0, ddof=1) / np.sqrt(batches)
    mean, mean_vjp = vjp.closed_form_vjp(nd.TruncatedNormal._mean, d)
    exact = mean_vjp(1.0)
    for j, k in enumerate(th):
        assert abs(est[j] - exact[k]) <= 5 * se[j] + 1e-9 * max(1.0, abs(exact[k])), (k, est[j], exact[k], se[j])


def test_log_prob_and_entropy_vjp_vs_finite_differences():
    th = dict(loc=0.3, scale=1.2, low=-0.5, high=2.0)
    for t2 in (th, dict(loc=0.0, scale=1.0, low=8.0, high=9.0), dict(loc=0.0, scale=1.0, low=-np.inf, high=-30.0)):
        d = nd.TruncatedNormal(**t2)
        x = d.sample((3,), rng=0)
        lp, lvjp = d.log_prob_vjp(x)
        g = lvjp(np.ones(3))
        h, hvjp = d.entropy_vjp()
        gh = hvjp(1.0)
        for k, v in t2.items():
            if not np.isfinite(v):
                assert g[k] == 0 and gh[k] == 0
                continue
            e = 1e-6 * max(1.0, abs(v))
            up, dn = nd.TruncatedNormal(**{**t2, k: v + e}), nd.TruncatedNormal(**{**t2, k: v - e})
            fd = (up.log_prob(x).sum() - dn.log_prob(x).sum()) / (2 * e)
            assert abs(g[k] - fd) < 1e-6 * max(1.0, abs(fd)), (k, g[k], fd)
            eh = 1e-4 * max(1.0, abs(v))  # entropy in the tails: values good to ~1e-13, larger step
            fdh = (nd.TruncatedNormal(**{**t2, k: v + eh}).entropy() - nd.TruncatedNormal(**{**t2, k: v - eh}).entropy()) / (2 * eh)
            assert abs(gh[k] - fdh) < 1e-6 * max(1.0, abs(fdh)), (k, gh[k], fdh)
        fdx = (d.log_prob(x + 1e-6).sum() - d.log_prob(x - 1e-6).sum()) / 2e-6
        assert abs(g["value"].sum() - fdx) < 1e-5 * max(1.0, abs(fdx))


def test_log_prob_vjp_vs_torch_autograd():
    """The same closed form written with torch.special.ndtr, autograd vs numdist, 1e-10."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    p = {"loc": r.normal(size=(3, 1)), "scale": r.uniform(0.5, 2, size=(4,)), "low": r.uniform(-3, -1, size=(4,)),
         "high": r.uniform(0.5, 2.5, size=(3, 4))}
    d = nd.TruncatedNormal(**p)
    x = d.sample((5,), rng=1)
    lp, lvjp = d.log_prob_vjp(x)
    gcot = r.normal(size=lp.shape)
    ours = lvjp(gcot)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    tx = torch.tensor(x, requires_grad=True)
    a, b = (t["low"] - t["loc"]) / t["scale"], (t["high"] - t["loc"]) / t["scale"]
    z = (tx - t["loc"]) / t["scale"]
    tlp = -0.5 * z * z - torch.log(t["scale"]) - 0.5 * math.log(2 * math.pi) \
        - torch.log(torch.special.ndtr(b) - torch.special.ndtr(a))
    np.testing.assert_allclose(lp, tlp.detach().numpy(), rtol=1e-13)
    ref = torch.autograd.grad(tlp, list(t.values()) + [tx], torch.tensor(gcot))
    for k, tg in zip(list(p) + ["value"], ref):
        assert _rel(ours[k], tg.numpy()) < 1e-10, k


def test_bad_parameters():
    with pytest.raises(ValueError, match="low"):
        nd.TruncatedNormal(0.0, 1.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="low"):
        nd.TruncatedNormal(0.0, 1.0, np.array([0.0, np.nan]), 1.0)
    with pytest.raises(ValueError, match="scale"):
        nd.TruncatedNormal(0.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="high"):
        nd.TruncatedNormal(0.0, 1.0, 0.0, -np.inf)
    with pytest.raises(TypeError):
        nd.TruncatedNormal("a", 1.0, 0.0, 1.0)


def test_log_special_functions_vs_mpmath():
    x = np.array([-1e5, -1000.0, -40.0, -20.0, -15.0, -14.99, -5.0, -1.0, 0.0, 0.5, 3.0, 8.0, 30.0])
    with mp.workdps(50):
        ref = np.array([float(mp.log(mp.ncdf(v)) if v <= 0 else mp.log1p(-mp.ncdf(-v))) for v in x])
        gref = np.array([float(mp.npdf(v) / mp.ncdf(v)) for v in x])
    np.testing.assert_allclose(_special.log_ndtr(x), ref, rtol=3e-14)  # log1p(-Phi(-x)): Phi's own error
    np.testing.assert_allclose(_special.log_ndtr_grad(x), gref, rtol=1e-14)
    back = _special.ndtri_exp(ref[:-1])  # log Phi(30) rounds to 0: not invertible
    np.testing.assert_allclose(back, x[:-1], rtol=1e-14, atol=1e-15)
    assert np.isnan(_special.ndtri_exp(np.array([0.5, np.nan]))).all()
    assert _special.ndtri_exp(np.array([0.0, -np.inf])).tolist() == [np.inf, -np.inf]


def test_float32_throughout():
    d = nd.TruncatedNormal(np.float32(0), np.float32(1), np.float32(-1), np.float32(2))
    x = d.sample((3,), rng=0)
    assert x.dtype == np.float32
    for v in (d.log_prob(x), d.cdf(x), d.icdf(np.float32(0.3)), d.mean, d.variance, d.entropy()):
        assert v.dtype == np.float32
    _, vjp_fn = d.rsample_vjp((3,), rng=0)
    assert all(g.dtype == np.float32 for g in vjp_fn(np.ones(3, np.float32)).values())
    np.testing.assert_allclose(d.log_prob(x), nd.TruncatedNormal(0.0, 1.0, -1.0, 2.0).log_prob(x.astype(np.float64)),
                               rtol=1e-6)


def test_stream_tiles_reproduce_the_draw():
    """numdist.dask's element-wise plan: any 65,536-element tile of the draw, computed
    alone from the kernel on the standardised bounds and finished, equals the full draw."""
    from numdist._common import CHUNK_ELEMS
    from numdist.sampling import draw_tiles

    d = nd.TruncatedNormal(np.linspace(-1, 1, 3), 0.5, np.array([8.0, -np.inf, -0.5]), np.array([9.0, -10.0, 0.5]))
    n = 2 * CHUNK_ELEMS // 3 + 50
    ref = d.sample((n,), rng=nd.random.Xoshiro256x8(21)).ravel()
    shape = (n, 3)
    params = [np.broadcast_to(getattr(d, k), shape) for k in ("_a", "_b")]
    tile = draw_tiles("truncated_normal", nd.random.Xoshiro256x8(21), shape, d.dtype, 1, 2, *params)
    part = slice(CHUNK_ELEMS, 2 * CHUNK_ELEMS)
    fin = [np.broadcast_to(getattr(d, k), shape).ravel()[part] for k in d._finish_params]
    d._finish_draw(tile, *fin)
    np.testing.assert_array_equal(tile, ref[part])


def test_dask_equals_sample():
    pytest.importorskip("dask")
    import numdist.dask as ndd

    d = nd.TruncatedNormal(0.0, 1.0, np.array([8.0, -np.inf]), np.array([9.0, -30.0]))
    ref = d.sample((1000,), rng=3)
    np.testing.assert_array_equal(ndd.sample(d, (1000,), chunks=(300, 1), rng=3).compute(scheduler="sync"), ref)


@pytest.mark.parametrize("lo,hi", [(8.0, 9.0), (-np.inf, -30.0)], ids=str)
def test_far_tails_vs_scipy(lo, hi):
    """The two intervals of the issue against scipy.stats.truncnorm directly (scipy's own
    tail values are good to ~1e-11 there; numdist's to 1e-13 against mpmath above)."""
    d = nd.TruncatedNormal(0.0, 1.0, lo, hi)
    ref = st.truncnorm(lo, hi)
    x = d.sample((200_000,), rng=12)
    assert st.kstest(x, ref.cdf).pvalue > 1e-4
    np.testing.assert_allclose(d.log_prob(x[:1000]), ref.logpdf(x[:1000]), rtol=1e-10)
    np.testing.assert_allclose(d.cdf(x[:1000]), ref.cdf(x[:1000]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d.mean, ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(x.mean(), ref.mean(), atol=5 * x.std() / np.sqrt(x.size))

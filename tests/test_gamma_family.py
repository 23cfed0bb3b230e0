"""Gamma, Chi2, Beta, Dirichlet, StudentT: goodness of fit against scipy.stats, small
concentrations, implicit reparameterisation gradients against mpmath (pointwise) and
by unbiasedness (Monte Carlo mean of the VJP = gradient of the closed-form mean).
Values, shapes and closed-form VJPs against torch are in the generic tests (registry)."""
import numpy as np
import pytest
from scipy import stats

import numdist as nd

mpmath = pytest.importorskip("mpmath")
N = 200_000
ALPHA = 1e-4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("family,params,ref", [
    ("Gamma", dict(concentration=0.3, rate=2.0), stats.gamma(0.3, scale=0.5)),
    ("Gamma", dict(concentration=40.0, rate=0.5), stats.gamma(40.0, scale=2.0)),
    ("Gamma", dict(concentration=2.5, rate=1.0), stats.gamma(2.5)),
    ("Chi2", dict(df=3.0), stats.chi2(3.0)),
    ("Beta", dict(concentration1=0.3, concentration0=0.3), stats.beta(0.3, 0.3)),
    ("Beta", dict(concentration1=40.0, concentration0=60.0), stats.beta(40.0, 60.0)),
    ("Beta", dict(concentration1=5.0, concentration0=0.7), stats.beta(5.0, 0.7)),
    ("StudentT", dict(df=0.3, loc=1.0, scale=2.0), stats.t(0.3, loc=1.0, scale=2.0)),
    ("StudentT", dict(df=40.0), stats.t(40.0)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_goodness_of_fit(family, params, ref, dtype):
    d = getattr(nd, family)(**{k: np.asarray(v, dtype=dtype) for k, v in params.items()})
    x = d.sample((N,), rng=20261127)
    assert x.dtype == dtype and np.isfinite(x).all()
    assert stats.kstest(x.astype(np.float64), ref.cdf).pvalue > ALPHA
    if family != "Chi2":
        grid = ref.ppf(np.linspace(0.02, 0.98, 9)).astype(dtype)
        np.testing.assert_allclose(d.cdf(grid), ref.cdf(grid.astype(np.float64)), rtol=2e-5 if dtype == np.float32 else 1e-12)


def test_functional_samplers_fit():
    assert stats.kstest(nd.random.standard_gamma(0.3, size=N, rng=1), stats.gamma(0.3).cdf).pvalue > ALPHA
    assert stats.kstest(nd.random.gamma(2.0, 3.0, size=N, rng=2), stats.gamma(2.0, scale=3.0).cdf).pvalue > ALPHA
    assert stats.kstest(nd.random.beta(0.5, 2.0, size=N, rng=3), stats.beta(0.5, 2.0).cdf).pvalue > ALPHA
    assert stats.kstest(nd.random.chisquare(5.0, size=N, rng=4), stats.chi2(5.0).cdf).pvalue > ALPHA
    assert stats.kstest(nd.random.standard_t(2.5, size=N, rng=5), stats.t(2.5).cdf).pvalue > ALPHA
    x = nd.random.dirichlet([[1.0, 2.0, 3.0]], size=(N, 1), rng=6)
    assert x.shape == (N, 1, 3)
    assert stats.kstest(x[:, 0, 0], stats.beta(1.0, 5.0).cdf).pvalue > ALPHA  # marginal Beta(a_i, a0 - a_i)
    assert isinstance(nd.random.standard_gamma(2.0, rng=0), float)


def test_tiny_concentrations():
    x = nd.Beta(1e-3, 1e-3).sample((N,), rng=7)
    assert np.isfinite(x).all() and ((x >= 0) & (x <= 1)).all()
    assert abs((x > 0.5).mean() - 0.5) < 0.01
    alpha = np.full(5, 2e-3)
    rows = nd.Dirichlet(alpha).sample((N,), rng=8)
    assert np.isfinite(rows).all() and np.allclose(rows.sum(-1), 1)
    np.testing.assert_allclose(rows.mean(0), 0.2, atol=0.01)
    g = nd.Gamma(1e-3, 1.0).sample((N,), rng=9)
    assert (g > 0).all() and np.isfinite(g).all()
    # P(G < 1e-100) = P(1e-3, 1e-100) = 1e-100**1e-3 / Gamma(1.001) ~ 0.79: most draws are tiny, none is 0
    np.testing.assert_allclose((g < 1e-100).mean(), stats.gamma(1e-3).cdf(1e-100), atol=0.01)
    for d in (nd.Beta(1e-3, 1e-3), nd.Dirichlet(alpha), nd.Gamma(1e-3, 1.0)):
        x, vjp = d.rsample_vjp((1000,), rng=10)
        for grad in vjp(np.ones_like(x)).values():
            assert np.isfinite(grad).all()


def _mp_gamma_grad(a, z):
    a, z = mpmath.mpf(a), mpmath.mpf(z)
    dP = mpmath.diff(lambda s: mpmath.gammainc(s, 0, z, regularized=True), a)
    pdf = mpmath.exp((a - 1) * mpmath.log(z) - z - mpmath.loggamma(a))
    return float(-dP / pdf)


def _mp_beta_grad(a, b, x):
    a, b, x = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
    pdf = mpmath.exp((a - 1) * mpmath.log(x) + (b - 1) * mpmath.log1p(-x) - mpmath.log(mpmath.beta(a, b)))
    da = mpmath.diff(lambda s: mpmath.betainc(s, b, 0, x, regularized=True), a)
    db = mpmath.diff(lambda s: mpmath.betainc(a, s, 0, x, regularized=True), b)
    return float(-da / pdf), float(-db / pdf)


@pytest.mark.parametrize("a", [1e-3, 0.3, 1.0, 7.5, 1e3, 1e4])
def test_gamma_rsample_vjp_pointwise_against_mpmath(a):
    mpmath.mp.dps = 40
    d = nd.Gamma(np.full(4, a), 1.0)
    x, vjp = d.rsample_vjp(rng=11)
    grad = vjp(np.eye(4)[0])["concentration"]  # d x_0 / d a_0
    assert grad[1:].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(grad[0], _mp_gamma_grad(a, x[0]), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gamma_rsample_vjp_backward_is_the_elementwise_rule(dtype):
    """The one-pass backward (g * dz/da / rate in C, summed to the parameters' shapes)
    equals the rule written out with numpy, on broadcast parameters and a sample
    shape, for concentrations in every region of the gradient (series, fraction,
    Temme), float32 included; Chi2 keys it by df (half the concentration's)."""
    from numdist import _special
    from numdist.gamma import _standard_gamma_draw

    conc = np.array([[0.02], [0.9], [4.0], [35.0], [2e3]], dtype=dtype)
    rate = np.array([0.5, 1.0, 3.0], dtype=dtype)
    d = nd.Gamma(conc, rate)
    x, vjp = d.rsample_vjp((7,), rng=5)
    z = _standard_gamma_draw(d, d.concentration, (7,), 5)
    np.testing.assert_array_equal(x, z / d.rate)
    g = np.random.default_rng(1).normal(size=x.shape).astype(dtype)
    grads = vjp(g)
    a = np.broadcast_to(d.concentration, x.shape)
    dz = _special.gamma_sample_grad(a, z)
    dconc = (g * dz / d.rate).sum(axis=(0, 2))[:, None]
    drate = (-g * x / d.rate).sum(axis=(0, 1))
    assert grads["concentration"].dtype == dtype and grads["concentration"].shape == conc.shape
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(grads["concentration"], dconc, rtol=tol)
    np.testing.assert_allclose(grads["rate"], drate, rtol=tol)
    c2 = nd.Chi2(2 * conc[:, 0])
    y, vjp2 = c2.rsample_vjp((3,), rng=6)
    z2 = _standard_gamma_draw(c2, c2.concentration, (3,), 6)
    g2 = np.ones_like(y)
    ref = 0.5 * (_special.gamma_sample_grad(np.broadcast_to(c2.concentration, y.shape), z2) / 0.5).sum(axis=0)
    np.testing.assert_allclose(vjp2(g2)["df"], ref, rtol=tol)


@pytest.mark.parametrize("a,b", [(0.3, 0.3), (1.0, 2.0), (5.0, 0.7), (40.0, 60.0)])
def test_beta_rsample_vjp_pointwise_against_mpmath(a, b):
    mpmath.mp.dps = 40
    x, vjp = nd.Beta(a, b).rsample_vjp((3,), rng=12)
    for i in range(3):
        g = np.zeros(3)
        g[i] = 1.0
        grads = vjp(g)
        ra, rb = _mp_beta_grad(a, b, x[i])
        np.testing.assert_allclose(grads["concentration1"], ra, rtol=1e-10)
        np.testing.assert_allclose(grads["concentration0"], rb, rtol=1e-10)


def _batched_vjp_means(d, fn_of_x, batches, per_batch, rng):
    """Per batch of draws, the VJP of mean(fn(x)) (one estimate of d E[fn(x)] / d param each)."""
    x, vjp = d.rsample_vjp((batches, per_batch), rng=rng)
    _, dfn = fn_of_x(x)
    out = {k: [] for k in d._params}
    for b in range(batches):
        g = np.zeros_like(x)
        g[b] = dfn[b] / per_batch
        for k, v in vjp(g).items():
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


MOMENTS = {"mean": lambda x: (x, np.ones_like(x)), "second moment": lambda x: (x * x, 2 * x)}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("make", [
    lambda: nd.Gamma(np.array([0.3, 2.5]), np.array([2.0, 0.5])),
    lambda: nd.Beta(np.array([0.3, 5.0]), np.array([0.7, 2.0])),
    lambda: nd.Chi2(np.array([0.7, 4.0])),
    lambda: nd.StudentT(np.array([5.0, 9.0]), np.array([0.5, -1.0]), np.array([2.0, 0.5])),
], ids=["gamma", "beta", "chi2", "studentt"])
def test_rsample_vjp_unbiased(make, moment, torch):
    """Monte Carlo mean of the VJP over 4e5 draws = gradient (torch autograd) of the
    closed-form moment, within 5 standard errors."""
    d = make()
    est = _batched_vjp_means(d, MOMENTS[moment], 20, 20_000, 13)
    leaves = {k: torch.tensor(np.asarray(d._validation_values()[k]), requires_grad=True) for k in d._params}
    td = getattr(torch.distributions, type(d).__name__)(**leaves)
    m = td.mean if moment == "mean" else td.variance + td.mean**2
    m.sum().backward()
    for k in d._params:
        grad = leaves[k].grad  # None: the moment does not depend on k (StudentT's mean on df)
        expected = np.zeros(leaves[k].shape) if grad is None else grad.numpy()
        mean, se = est[k].mean(0), est[k].std(0, ddof=1) / np.sqrt(len(est[k]))
        assert np.all(np.abs(mean - expected) <= 5 * se + 1e-12), (k, mean, expected, se)


def test_gamma_sample_grad_grid_against_mpmath():
    """dz/da over the benchmark's range, a in [0.5, 5] x z at the quantiles 1e-6 ..
    1 - 1e-6 of Gamma(a) (series, fraction and the boundary between them): max
    relative error against mpmath at 40 digits <= 1e-13 (measured about 5e-15)."""
    from scipy import special as sc

    from numdist import _special

    mpmath.mp.dps = 40
    q = np.array([1e-6, 1e-4, 1e-2, 0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95, 0.99, 1 - 1e-4, 1 - 1e-6])
    a, qq = np.meshgrid(np.linspace(0.5, 5.0, 19), q)
    a = a.ravel()
    z = sc.gammaincinv(a, qq.ravel())
    ref = np.array([_mp_gamma_grad(ai, zi) for ai, zi in zip(a, z)])
    got = _special.gamma_sample_grad(a, z)
    rel = np.abs(got - ref) / np.abs(ref)
    assert rel.max() <= 1e-13, (rel.max(), a[rel.argmax()], z[rel.argmax()])


@pytest.mark.parametrize("rate", [1.0, "ones", "varying"])
def test_gamma_rsample_grads_one_pass(rate):
    """Gamma.rsample_vjp's backward (_special.gamma_rsample_grads, one C pass): the
    concentration cotangent has the bits of gamma_sample_grad_scaled, the rate
    cotangent those of numpy's -(g * x) / rate on x = z / rate; a unit rate (where
    the divisions are skipped) included, broadcast parameters under a sample shape."""
    from numdist import _special

    conc = np.array([0.02, 0.9, 4.0, 35.0, 2e3])
    r = {1.0: 1.0, "ones": np.ones(5), "varying": np.array([0.5, 1.0, 3.0, 0.25, 7.0])}[rate]
    d = nd.Gamma(conc, r)
    x, vjp = d.rsample_vjp((64,), rng=3)
    g = np.random.default_rng(2).normal(size=x.shape)
    z = x * 0 + np.random.default_rng(4).gamma(np.broadcast_to(conc, x.shape))
    dc, dr = _special.gamma_rsample_grads(d.concentration, z, g, d.rate)
    np.testing.assert_array_equal(dc, _special.gamma_sample_grad_scaled(d.concentration, z, g, d.rate))
    np.testing.assert_array_equal(dr, -(g * (z / d.rate)) / d.rate)
    grads = vjp(g)
    lead = tuple(range(x.ndim - np.ndim(r)))  # the dims broadcasting added to rate
    np.testing.assert_array_equal(grads["rate"], (-(g * x) / d.rate).sum(axis=lead))


def test_gamma_rsample_vjp_arrays_come_back_from_the_block_pool():
    """A training loop's Gamma step (rsample_vjp, then its backward) takes its
    sample-sized arrays - the draw, x, the two cotangents - from numdist._fused's
    block pool: the second step reuses the first one's blocks and does not fault
    on their pages again (fresh 8 MB arrays from np.empty fault ~2000 4 KiB pages
    a step; the cotangent is made once, so only numdist's own arrays count, whatever
    the C library's allocator)."""
    import gc
    import os
    import resource

    d = nd.Gamma(np.linspace(0.5, 5.0, 10**6), 1.0)
    rng = nd.random.default_rng(0)
    g = np.ones(10**6)

    def step():
        x, vjp = d.rsample_vjp(rng=rng)
        grads = vjp(g)
        return x, grads["concentration"]

    x, dc = step()
    first = {x.ctypes.data, dc.ctypes.data}
    assert x.flags.owndata and dc.flags.owndata and x.ctypes.data % 64 == 0
    del x, dc
    gc.collect()
    step()  # warm: every array of the step has a block
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x, dc = step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert {x.ctypes.data, dc.ctypes.data} & first
    # measured: 16 faults a step with glibc's malloc, ~300 under .ci/sanitize (ASan's
    # allocator hands out fresh memory for the step's small temporaries); each of the
    # four arrays from np.empty instead adds ~650
    assert faults < (600 if os.environ.get("ND_SANITIZE") else 100), faults

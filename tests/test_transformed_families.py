"""LogNormal, HalfNormal, HalfCauchy, Weibull, LogisticNormal and TransformedDistribution
beyond the generic registry tests: goodness of fit against scipy.stats (KS on 2e5
draws), values against scipy, the tanh-squashed Normal against torch with
cache_size=1, bad input, the lognormal kernel and random.lognormal."""
import numpy as np
import pytest
from scipy import stats

import numdist as nd
from numdist import transforms as T

N_DRAWS = 200_000
KS_ALPHA = 1e-4  # a correct sampler fails one of these tests with probability ~1e-4


def _ks(x, cdf):
    res = stats.kstest(np.ravel(x), cdf)
    assert res.pvalue > KS_ALPHA, f"KS statistic {res.statistic:.5f}, p = {res.pvalue:.2e}"


# -- goodness of fit ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loc,scale", [(0.0, 1.0), (-1.5, 0.3), (2.0, 2.5)])
def test_lognormal_ks(loc, scale, dtype):
    d = nd.LogNormal(np.asarray(loc, dtype), np.asarray(scale, dtype))
    x = d.sample((N_DRAWS,), rng=11)
    assert x.dtype == dtype and (x > 0).all()
    _ks(x.astype(np.float64), stats.lognorm(s=float(np.float32(scale)) if dtype == np.float32 else scale,
                                           scale=np.exp(float(np.float32(loc)) if dtype == np.float32 else loc)).cdf)


@pytest.mark.parametrize("scale", [0.2, 1.0, 7.5])
def test_halfnormal_and_halfcauchy_ks(scale):
    _ks(nd.HalfNormal(scale).sample((N_DRAWS,), rng=12), stats.halfnorm(scale=scale).cdf)
    _ks(nd.HalfCauchy(scale).sample((N_DRAWS,), rng=13), stats.halfcauchy(scale=scale).cdf)


@pytest.mark.parametrize("scale,concentration", [(1.0, 0.5), (2.0, 1.0), (0.7, 3.5)])
def test_weibull_ks(scale, concentration):
    _ks(nd.Weibull(scale, concentration).sample((N_DRAWS,), rng=14), stats.weibull_min(c=concentration, scale=scale).cdf)


def test_logistic_normal_ks():
    loc, scale = np.array([0.3, -1.0, 2.0]), np.array([0.5, 1.5, 1.0])
    y = nd.LogisticNormal(loc, scale).sample((N_DRAWS,), rng=15)
    assert y.shape == (N_DRAWS, 4)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    x = T.StickBreakingTransform().inv(y)  # back to the base normals
    for k in range(3):
        _ks(x[:, k], stats.norm(loc[k], scale[k]).cdf)


def test_tanh_normal_ks():
    d = nd.TransformedDistribution(nd.Normal(0.4, 0.8), [T.TanhTransform()])
    y = d.sample((N_DRAWS,), rng=16)
    assert (np.abs(y) <= 1).all()
    _ks(y, lambda v: stats.norm(0.4, 0.8).cdf(np.arctanh(v)))
    # the distribution's own cdf is the same function
    v = np.linspace(-0.99, 0.99, 11)
    np.testing.assert_allclose(d.cdf(v), stats.norm(0.4, 0.8).cdf(np.arctanh(v)), rtol=1e-12)


# -- values against scipy --------------------------------------------------------------------------
def _scipy_cases():
    return [
        (nd.LogNormal(0.4, 0.9), stats.lognorm(s=0.9, scale=np.exp(0.4)), np.array([0.05, 0.8, 1.5, 6.0])),
        (nd.HalfNormal(1.7), stats.halfnorm(scale=1.7), np.array([0.0, 0.3, 2.0, 5.0])),
        (nd.HalfCauchy(0.6), stats.halfcauchy(scale=0.6), np.array([0.0, 0.3, 2.0, 50.0])),
        (nd.Weibull(1.3, 2.2), stats.weibull_min(c=2.2, scale=1.3), np.array([0.1, 0.9, 1.3, 3.0])),
    ]


@pytest.mark.parametrize("d,ref,x", _scipy_cases(), ids=["LogNormal", "HalfNormal", "HalfCauchy", "Weibull"])
def test_values_match_scipy(d, ref, x):
    np.testing.assert_allclose(d.log_prob(x), ref.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x), rtol=1e-12, atol=1e-15)
    q = np.array([0.01, 0.3, 0.5, 0.95])
    np.testing.assert_allclose(d.icdf(q), ref.ppf(q), rtol=1e-11)
    np.testing.assert_allclose(d.entropy(), ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(d.mean, ref.mean(), rtol=1e-12)
    if np.isfinite(ref.var()):
        np.testing.assert_allclose(d.variance, ref.var(), rtol=1e-12)


# -- the tanh-squashed Normal against torch (cache_size=1) -----------------------------------------
def test_tanh_normal_log_prob_of_own_draws_matches_torch_with_cache():
    """log_prob of its own rsample and the total gradient d/dtheta [sum(a * log_prob(y)) +
    sum(b * y)] (through the draw: log_prob_vjp's "value" goes into rsample_vjp) equal torch's
    autograd with TanhTransform(cache_size=1) to 1e-9, draws with |x| up to ~6."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    loc, scale = r.normal(size=(6,)) * 2, r.uniform(0.3, 1.5, size=(6,))
    d = nd.TransformedDistribution(nd.Normal(loc, scale), [T.TanhTransform(cache_size=1)])
    y, rs_vjp = d.rsample_vjp((50,), rng=7)
    lp, lp_vjp = d.log_prob_vjp(y)
    a, b = r.normal(size=lp.shape), r.normal(size=y.shape)
    g_lp = lp_vjp(a)
    g_rs = rs_vjp(b + g_lp["value"])
    total = {k: g_lp[k] + g_rs[k] for k in ("loc", "scale")}

    tl, ts = torch.tensor(loc, requires_grad=True), torch.tensor(scale, requires_grad=True)
    td = torch.distributions.TransformedDistribution(torch.distributions.Normal(tl, ts),
                                                     [torch.distributions.transforms.TanhTransform(cache_size=1)])
    # the same draw: torch's rsample is tanh(loc + scale * eps), eps from our pre-tanh draw
    eps = torch.tensor((_pre_tanh(d, y) - loc) / scale)
    xt = tl + ts * eps
    yt = td.transforms[0](xt)  # caches (xt, yt)
    np.testing.assert_allclose(yt.detach().numpy(), y, rtol=1e-12, atol=1e-15)
    tlp = td.log_prob(yt)  # the cache hands back xt: no atanh
    np.testing.assert_allclose(lp, tlp.detach().numpy(), rtol=1e-9, atol=1e-12)
    obj = (tlp * torch.tensor(a)).sum() + (yt * torch.tensor(b)).sum()
    gl, gs = torch.autograd.grad(obj, [tl, ts])
    np.testing.assert_allclose(total["loc"], gl.numpy(), rtol=1e-9, atol=1e-9 * np.abs(gl.numpy()).max())
    np.testing.assert_allclose(total["scale"], gs.numpy(), rtol=1e-9, atol=1e-9 * np.abs(gs.numpy()).max())


def _pre_tanh(d, y):
    """The pre-tanh draw of ``y``: the cached input of the distribution's TanhTransform."""
    x = d.transforms[0].inv(y)
    assert x is d.transforms[0]._cached_x_y[0]
    return x


def test_log_prob_vjp_value_gradient_matches_finite_differences():
    d = nd.TransformedDistribution(nd.Normal(np.zeros(3), [0.5, 1.0, 2.0]),
                                   [T.ExpTransform(), T.AffineTransform(1.0, -2.0)])
    y = d.sample((4,), rng=5)
    lp, vjp = d.log_prob_vjp(y)
    gv = vjp(np.ones(lp.shape))["value"]
    h = 1e-6
    fd = (d.log_prob(y + h) - d.log_prob(y - h)) / (2 * h)
    np.testing.assert_allclose(gv, fd, rtol=1e-6)


# -- bad input and validation -------------------------------------------------------------------------
@pytest.mark.parametrize("make,param", [
    (lambda: nd.LogNormal(0.0, np.array([1.0, -1.0])), "scale"),
    (lambda: nd.LogNormal(np.array([np.nan, 0.0]), 1.0), "loc"),
    (lambda: nd.HalfNormal(np.array([1.0, 0.0])), "scale"),
    (lambda: nd.HalfCauchy(np.array([1.0, np.inf])), "scale"),
    (lambda: nd.Weibull(1.0, np.array([2.0, -0.5])), "concentration"),
    (lambda: nd.Weibull(np.array([1.0, np.nan]), 2.0), "scale"),
    (lambda: nd.LogisticNormal(np.zeros(3), np.array([1.0, 1.0, -2.0])), "scale"),
])
def test_bad_parameters_name_family_parameter_and_index(make, param):
    with pytest.raises(ValueError, match=rf"parameter {param} .*batch index") as exc:
        make()
    fam = str(exc.value)
    assert any(f in fam for f in ("LogNormal", "HalfNormal", "HalfCauchy", "Weibull", "LogisticNormal"))


def test_values_outside_support_are_refused():
    with pytest.raises(ValueError, match="support"):
        nd.LogNormal(0.0, 1.0).log_prob(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="support"):
        nd.HalfNormal(1.0).log_prob_vjp(-0.5)
    with pytest.raises(ValueError, match="support"):
        nd.LogisticNormal(np.zeros(2), 1.0).log_prob(np.array([0.5, 0.6, 0.1]))
    with pytest.raises(TypeError):
        nd.LogNormal(0.0, 1.0).log_prob("a")


def test_validation_off_never_crashes():
    bad = np.array([np.nan, -1.0, 0.0, np.inf, -np.inf, 1e308])
    with np.errstate(all="ignore"):
        for d in (nd.LogNormal(bad, bad, validate_args=False), nd.HalfNormal(bad, validate_args=False),
                  nd.HalfCauchy(bad, validate_args=False), nd.Weibull(bad, bad[::-1], validate_args=False)):
            x = d.sample((3,), rng=1)
            assert x.shape == (3, 6)
            d.log_prob(np.abs(x[0]))


# -- the lognormal kernel and random.lognormal ----------------------------------------------------------
def test_rsample_and_rsample_vjp_give_the_same_values():
    for dtype in (np.float64, np.float32):
        d = nd.LogNormal(np.linspace(-1, 1, 5).astype(dtype), np.linspace(0.5, 2, 5).astype(dtype))
        a = d.rsample((1000,), rng=np.random.Generator(np.random.PCG64(9)))
        b, _ = d.rsample_vjp((1000,), rng=np.random.Generator(np.random.PCG64(9)))
        np.testing.assert_array_equal(a, b)


def test_lognormal_kernel_is_exp_of_the_normal_kernel():
    """Same words as the normal kernel: log of the draws is Normal's draw (to rounding)."""
    loc, scale = np.linspace(-2, 2, 7), np.linspace(0.2, 3, 7)
    y = nd.LogNormal(loc, scale).rsample((200,), rng=21)
    x = nd.Normal(loc, scale).rsample((200,), rng=21)
    np.testing.assert_allclose(np.log(y), x, rtol=1e-14, atol=1e-14)
    y32 = nd.LogNormal(loc.astype(np.float32), scale.astype(np.float32)).rsample((200,), rng=21)
    ref = nd.LogNormal(loc.astype(np.float32).astype(np.float64),
                       scale.astype(np.float32).astype(np.float64)).rsample((200,), rng=21)
    np.testing.assert_array_equal(y32, ref.astype(np.float32))  # f32: computed in double, rounded once


def test_lognormal_thread_count_invariant():
    d = nd.LogNormal(np.zeros(1000), np.ones(1000))
    old = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a = d.sample((300,), rng=4)
        nd.set_num_threads(2)
        b = d.sample((300,), rng=4)
    finally:
        nd.set_num_threads(old)
    np.testing.assert_array_equal(a, b)


def test_random_lognormal_numpy_semantics():
    x = nd.random.lognormal(0.5, 0.7, size=N_DRAWS, rng=3)
    _ks(x, stats.lognorm(s=0.7, scale=np.exp(0.5)).cdf)
    assert isinstance(nd.random.lognormal(rng=1), float)
    assert nd.random.lognormal(np.zeros((2, 1)), np.ones(3), rng=1).shape == (2, 3)
    np.testing.assert_allclose(nd.random.lognormal(1.5, 0.0, size=4, rng=1), np.exp(1.5), rtol=4e-16)
    assert nd.random.lognormal(np.float32(0.0), np.float32(1.0), size=3, rng=1).dtype == np.float32
    out = np.empty(5)
    assert nd.random.lognormal(size=5, out=out, rng=2) is out
    with pytest.raises(ValueError, match="sigma"):
        nd.random.lognormal(0.0, -1.0, size=3)
    ro = np.empty(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        nd.random.lognormal(size=3, out=ro)
    with pytest.raises(TypeError):
        nd.random.lognormal(size=3, out=np.empty(3, np.float32))


def test_random_weibull_numpy_semantics():
    x = nd.random.weibull(1.7, size=N_DRAWS, rng=5)
    _ks(x, stats.weibull_min(c=1.7).cdf)
    np.testing.assert_array_equal(nd.random.weibull(0.0, size=4, rng=1), 0.0)  # NumPy's a = 0
    assert isinstance(nd.random.weibull(2.0, rng=1), float)
    assert nd.random.weibull(np.ones((2, 1)), size=(2, 3), rng=1).shape == (2, 3)
    assert nd.random.weibull(np.float32(2.0), size=3, rng=1).dtype == np.float32
    with pytest.raises(ValueError, match="parameter a"):
        nd.random.weibull(-1.0, size=3)


def test_weibull_kernel_is_the_power_of_the_exponential_kernel():
    k = np.array([0.5, 1.0, 2.5])
    y = nd.Weibull(2.0, k).rsample((300,), rng=6)
    e = nd.Exponential(np.ones(3)).rsample((300,), rng=6)
    np.testing.assert_allclose(y, 2.0 * e ** (1 / k), rtol=1e-13)
    a, _ = nd.Weibull(2.0, k).rsample_vjp((300,), rng=6)
    np.testing.assert_array_equal(a, y)


def test_transformed_distribution_refuses_bad_construction():
    with pytest.raises(TypeError, match="Distribution"):
        nd.TransformedDistribution(np.zeros(3), [T.ExpTransform()])
    with pytest.raises(ValueError, match="Transform"):
        nd.TransformedDistribution(nd.Normal(0.0, 1.0), [T.ExpTransform(), "exp"])
    with pytest.raises(ValueError, match="at least 1"):
        nd.TransformedDistribution(nd.Normal(0.0, 1.0), [T.StickBreakingTransform()])
    d = nd.TransformedDistribution(nd.Normal(np.zeros(2), 1.0), [T.TanhTransform()])
    with pytest.raises(ValueError, match="support"):
        d.log_prob(np.array([0.5, 1.5]))
    with pytest.raises(NotImplementedError):
        d.entropy()


def test_transformed_distribution_float32():
    d = nd.TransformedDistribution(nd.Normal(np.zeros(3, np.float32), np.float32(0.7)),
                                   [T.TanhTransform(), T.AffineTransform(1.0, 2.0)])
    y, rs_vjp = d.rsample_vjp((4,), rng=1)
    lp, lp_vjp = d.log_prob_vjp(y)
    assert y.dtype == lp.dtype == np.float32
    g = lp_vjp(np.ones(lp.shape, np.float32))
    assert g["loc"].dtype == g["value"].dtype == np.float32 and g["scale"].shape == ()
    assert rs_vjp(np.ones(y.shape, np.float32))["scale"].dtype == np.float32
    ref = nd.TransformedDistribution(nd.Normal(np.zeros(3), 0.7), [T.TanhTransform(), T.AffineTransform(1.0, 2.0)])
    np.testing.assert_allclose(lp, ref.log_prob(y.astype(np.float64)), rtol=2e-5)

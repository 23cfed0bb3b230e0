"""MixtureSameFamily against torch.distributions (values and autograd VJPs), its sampler
(goodness of fit, one draw per element), and the implicit reparameterisation gradient of
rsample (exactness against the mixture quantile, unbiasedness against the mean's gradient)."""
import numpy as np
import pytest
import scipy.optimize as so
import scipy.stats as st
import torch
import torch.distributions as td

import numdist as nd


pytestmark = pytest.mark.usefixtures("torch_float64")  # float64 torch for this module only

GRAD_RTOL = 1e-10


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _make(lib, mix_name, mix_p, comp_family, comp_p, independent=0, leaves=None):
    """The mixture in numdist or torch; for torch, ``leaves`` collects the parameter
    tensors as ``{(argument, name): tensor}``."""
    def T(group, name, v):
        if lib is nd:
            return v
        t = torch.tensor(v, requires_grad=True)
        if leaves is not None:
            leaves[(group, name)] = t
        return t
    mix = lib.Categorical(**{mix_name: T("mixture_distribution", mix_name, mix_p)})
    comp = getattr(lib, comp_family)(**{k: T("component_distribution", k, v) for k, v in comp_p.items()})
    if independent:
        comp = lib.Independent(comp, independent)
    return lib.MixtureSameFamily(mix, comp)


R = np.random.default_rng(0)
CASES = [
    ("normal-logits", "logits", R.normal(size=(3, 4)), "Normal", {"loc": R.normal(size=(3, 4)), "scale": R.uniform(0.5, 2, (3, 4))}, 0),
    ("normal-probs-broadcast", "probs", R.uniform(0.1, 1, size=(1, 5)), "Normal",
     {"loc": R.normal(size=(2, 5)), "scale": R.uniform(0.5, 2, (5,))}, 0),
    ("laplace-logits", "logits", R.normal(size=(4,)), "Laplace", {"loc": R.normal(size=(4,)), "scale": R.uniform(0.5, 2, (4,))}, 0),
    ("cauchy-probs", "probs", R.uniform(0.1, 1, size=(2, 3)), "Cauchy", {"loc": R.normal(size=(2, 3)), "scale": R.uniform(0.5, 2, (2, 3))}, 0),
    ("independent-normal", "logits", R.normal(size=(2, 3)), "Normal",
     {"loc": R.normal(size=(2, 3, 4)), "scale": R.uniform(0.5, 2, (2, 3, 4))}, 1),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_match_torch(case):
    _, mname, mp, fam, cp, ind = case
    m = _make(nd, mname, mp, fam, cp, ind)
    t = _make(torch.distributions, mname, mp, fam, cp, ind)
    assert m.batch_shape == tuple(t.batch_shape) and m.event_shape == tuple(t.event_shape)
    x = t.sample((6,)).numpy()
    assert _rel(m.log_prob(x), t.log_prob(torch.tensor(x)).detach().numpy()) < 1e-12
    if fam != "Cauchy":
        assert _rel(m.mean, t.mean.detach().numpy()) < 1e-12
        assert _rel(m.variance, t.variance.detach().numpy()) < 1e-12
    if not ind:
        assert _rel(m.cdf(x), t.cdf(torch.tensor(x)).detach().numpy()) < 1e-12


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_log_prob_vjp_matches_autograd(case):
    _, mname, mp, fam, cp, ind = case
    m = _make(nd, mname, mp, fam, cp, ind)
    leaves = {}
    t = _make(torch.distributions, mname, mp, fam, cp, ind, leaves)
    x = t.sample((5,)).numpy()
    lp, vjp = m.log_prob_vjp(x)
    g = R.normal(size=lp.shape)
    ours = vjp(g)
    assert set(ours) == {"mixture_distribution", "component_distribution", "value"}
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.autograd.grad(t.log_prob(tx), list(leaves.values()) + [tx], torch.tensor(g))
    for (side, k), tg in zip(leaves, ref):
        assert ours[side][k].shape == tg.shape
        assert _rel(ours[side][k], tg.numpy()) < GRAD_RTOL, (side, k)
    assert _rel(ours["value"], ref[-1].numpy()) < GRAD_RTOL
    assert set(ours["component_distribution"]) == set(cp)


@pytest.mark.parametrize("family", ["Normal", "Laplace", "Cauchy", "Gumbel"])
def test_loc_scale_cdf_vjp(family):
    """cdf_vjp of the location-scale families against autograd of torch's cdf (Gumbel:
    its closed form exp(-exp(-z)))."""
    p = {"loc": R.normal(size=(3,)), "scale": R.uniform(0.5, 2, (2, 1))}
    d = getattr(nd, family)(**p)
    x = R.normal(size=(4, 2, 3))
    c, vjp = d.cdf_vjp(x)
    g = R.normal(size=c.shape)
    ours = vjp(g)
    tl, ts, tx = (torch.tensor(v, requires_grad=True) for v in (p["loc"], p["scale"], x))
    if family == "Gumbel":
        tc = torch.exp(-torch.exp(-(tx - tl) / ts))
    else:
        tc = getattr(td, family)(tl, ts).cdf(tx)
    assert _rel(c, tc.detach().numpy()) < 1e-12
    ref = torch.autograd.grad(tc, [tl, ts, tx], torch.tensor(g))
    for k, tg in zip(("loc", "scale", "value"), ref):
        assert _rel(ours[k], tg.numpy()) < GRAD_RTOL, k


@pytest.mark.parametrize("case", CASES[:4], ids=[c[0] for c in CASES[:4]])
def test_sampler_goodness_of_fit(case):
    """KS of 2e5 draws of each batch element against the mixture CDF."""
    _, mname, mp, fam, cp, ind = case
    m = _make(nd, mname, mp, fam, cp, ind)
    x = m.sample((200_000,), rng=7)
    assert x.shape == (200_000,) + m.batch_shape
    flat = x.reshape(200_000, -1)
    for j in range(flat.shape[1]):
        idx = np.unravel_index(j, m.batch_shape) if m.batch_shape else ()

        def cdf(v, idx=idx):
            return m.cdf(v[:, None, ...].reshape((-1,) + (1,) * len(m.batch_shape)) * np.ones(m.batch_shape))[(slice(None),) + idx]
        assert st.kstest(flat[:, j], cdf).pvalue > 1e-4


def test_sampler_with_event_dims_and_fallback():
    """Independent(Normal) components (selected per element) and MultivariateNormal
    components (every component drawn, then selected): mean and covariance match."""
    logits = np.log(np.array([0.2, 0.5, 0.3]))
    loc = np.array([[0.0, 0.0], [3.0, -1.0], [-2.0, 4.0]])
    m1 = nd.MixtureSameFamily(nd.Categorical(logits=logits), nd.Independent(nd.Normal(loc, 0.5), 1))
    cov = np.array([[[1.0, 0.3], [0.3, 0.5]]] * 3)
    m2 = nd.MixtureSameFamily(nd.Categorical(logits=logits), nd.MultivariateNormal(loc, covariance_matrix=cov))
    for m, comp_cov in ((m1, 0.25 * np.eye(2)), (m2, cov[0])):
        x = m.sample((200_000,), rng=3)
        assert x.shape == (200_000, 2)
        w = np.exp(logits)
        mean = w @ loc
        total = comp_cov + sum(w[k] * np.outer(loc[k] - mean, loc[k] - mean) for k in range(3))
        np.testing.assert_allclose(x.mean(0), mean, atol=0.02)
        np.testing.assert_allclose(np.cov(x.T), total, atol=0.05)
        np.testing.assert_allclose(m.mean, mean, rtol=1e-14)


def test_one_draw_per_element_and_reproducible():
    """Sampling picks the component first and draws only it: the draws are those of
    the chosen component's own kernel on the same stream."""
    m = _make(nd, "logits", np.zeros(3), "Normal", {"loc": np.array([-5.0, 0.0, 5.0]), "scale": np.array([0.1, 0.1, 0.1])}, 0)
    x1 = m.sample((1000,), rng=4)
    np.testing.assert_array_equal(x1, m.sample((1000,), rng=4))
    np.testing.assert_array_equal(x1, m.rsample((1000,), rng=4))
    np.testing.assert_array_equal(x1, m.rsample_vjp((1000,), rng=4)[0])
    bg = nd.random.Xoshiro256x8(4)  # what rng=4 resolves to: indices, then the chosen normals
    idx = m.mixture_distribution.sample((1000,), rng=bg)
    np.testing.assert_array_equal(x1, nd.Normal(np.array([-5.0, 0.0, 5.0])[idx], 0.1).sample((), rng=bg))
    counts = np.bincount(np.digitize(x1, [-2.5, 2.5]), minlength=3)
    assert st.chisquare(counts).pvalue > 1e-4


def _mixture_quantile(logits, loc, scale, family, u):
    m = nd.MixtureSameFamily(nd.Categorical(logits=logits), getattr(nd, family)(loc, scale))
    return so.brentq(lambda v: float(m.cdf(v)) - u, -60, 60, xtol=1e-14, rtol=1e-15)


@pytest.mark.parametrize("family", ["Normal", "Laplace", "Gumbel"])
def test_rsample_gradient_is_the_quantile_derivative_at_fixed_u(family):
    """dx/dtheta = -(dF/dtheta)/p equals the derivative of the mixture quantile
    F^{-1}(u; theta) at u = F(x), by central differences."""
    logits = np.array([0.3, -0.5, 1.0])
    loc = np.array([-2.0, 0.5, 3.0])
    scale = np.array([0.5, 1.0, 2.0])
    m = nd.MixtureSameFamily(nd.Categorical(logits=logits), getattr(nd, family)(loc, scale))
    x, vjp = m.rsample_vjp((4,), rng=5)
    u = m.cdf(x)
    for i in range(4):
        g = vjp(np.eye(4)[i])
        for group, name, base in (("mixture_distribution", "logits", logits), ("component_distribution", "loc", loc),
                                  ("component_distribution", "scale", scale)):
            for k in range(3):
                h = 1e-6
                up, dn = base.copy(), base.copy()
                up[k] += h
                dn[k] -= h
                args_up = {"logits": logits, "loc": loc, "scale": scale, name: up}
                args_dn = {"logits": logits, "loc": loc, "scale": scale, name: dn}
                fd = (_mixture_quantile(family=family, u=u[i], **args_up)
                      - _mixture_quantile(family=family, u=u[i], **args_dn)) / (2 * h)
                assert abs(g[group][name][k] - fd) < 1e-6 * max(1.0, abs(fd)), (group, name, k, g[group][name][k], fd)


@pytest.mark.parametrize("mix_name", ["logits", "probs"])
def test_rsample_gradient_is_unbiased(mix_name):
    """Monte Carlo mean of the rsample VJP of f(x) = x equals the gradient of the
    closed-form mixture mean sum_k w_k loc_k with respect to the mixture parameter and
    the components' loc and scale (within 5 standard errors estimated from 50 batches)."""
    logits = np.array([[0.3, -0.5, 1.0], [0.0, 0.2, -1.0]])
    probs = np.exp(logits)
    loc = np.array([[-2.0, 0.5, 3.0], [1.0, -1.0, 0.0]])
    scale = np.array([[0.5, 1.0, 2.0], [0.3, 0.7, 1.5]])
    par = logits if mix_name == "logits" else probs
    m = nd.MixtureSameFamily(nd.Categorical(**{mix_name: par}), nd.Normal(loc, scale))
    n, batches = 400_000, 50
    x, vjp = m.rsample_vjp((n,), rng=6)
    per = []
    for b in range(batches):
        g = np.zeros((n, 2))
        g[b * n // batches:(b + 1) * n // batches] = batches / n
        gb = vjp(g)
        per.append(np.concatenate([gb["mixture_distribution"][mix_name].ravel(), gb["component_distribution"]["loc"].ravel(),
                                   gb["component_distribution"]["scale"].ravel()]))
    per = np.array(per)
    est, se = per.mean(0), per.std(0, ddof=1) / np.sqrt(batches)
    # exact gradient of the closed-form mean, by autograd
    tp, tl, ts = (torch.tensor(v, requires_grad=True) for v in (par, loc, scale))
    tm = td.MixtureSameFamily(td.Categorical(**{mix_name: tp}), td.Normal(tl, ts))
    ref = torch.autograd.grad(tm.mean.sum(), [tp, tl, ts], allow_unused=True)
    exact = np.concatenate([ref[0].numpy().ravel(), ref[1].numpy().ravel(), np.zeros(loc.size)])
    assert np.all(np.abs(est - exact) < 5 * se + 1e-12), (est - exact) / se


def test_bad_input():
    comp = nd.Normal(np.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError, match="Categorical"):
        nd.MixtureSameFamily(nd.Normal(0.0, 1.0), comp)
    with pytest.raises(ValueError, match="number of components"):
        nd.MixtureSameFamily(nd.Categorical(logits=np.zeros((2, 4))), comp)
    with pytest.raises(ValueError, match="batch_shape"):
        nd.MixtureSameFamily(nd.Categorical(logits=np.zeros((5, 3))), comp)
    m = nd.MixtureSameFamily(nd.Categorical(logits=np.zeros((2, 3))), comp)
    with pytest.raises(ValueError):
        m.log_prob(np.zeros(5))
    mvn = nd.MixtureSameFamily(nd.Categorical(logits=np.zeros(2)), nd.MultivariateNormal(np.zeros((2, 2)), np.eye(2)))
    assert not mvn.has_rsample
    with pytest.raises(NotImplementedError, match="univariate"):
        mvn.rsample_vjp((2,), rng=0)


def test_expand_and_pickle():
    import pickle

    m = _make(nd, "logits", R.normal(size=(3,)), "Normal", {"loc": R.normal(size=(3,)), "scale": R.uniform(0.5, 2, (3,))}, 0)
    e = m.expand((4, 2))
    assert e.batch_shape == (4, 2) and e.sample((5,), rng=0).shape == (5, 4, 2)
    x = R.normal(size=(4, 2))
    np.testing.assert_allclose(e.log_prob(x), m.log_prob(x), rtol=1e-15)
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.sample((10,), rng=1), m.sample((10,), rng=1))


def test_fused_normal_log_prob_equals_the_generic_path():
    """The C loop for float64 Normal components against the log-sum-exp of the
    components' own log_prob, including infinite and NaN values (validation off)."""
    from numdist.utils import logsumexp

    r = np.random.default_rng(8)
    mix = nd.Categorical(probs=r.uniform(0.0, 1.0, size=(2, 1, 6)))
    comp = nd.Normal(r.normal(size=(3, 6)), r.uniform(0.2, 3.0, size=(2, 3, 6)), validate_args=False)
    m = nd.MixtureSameFamily(mix, comp, validate_args=False)
    x = np.concatenate([r.normal(scale=4, size=(50, 2, 3)), np.full((1, 2, 3), np.inf), np.full((1, 2, 3), -np.inf),
                        np.full((1, 2, 3), np.nan), np.full((1, 2, 3), 1e200)])
    fused = m.log_prob(x)
    with np.errstate(over="ignore", invalid="ignore"):
        generic = logsumexp(comp.log_prob(x[..., None]) + np.broadcast_to(mix.logits, (2, 3, 6)), axis=-1)
    np.testing.assert_allclose(fused[:50], generic[:50], rtol=1e-14, atol=1e-14)
    assert (fused[50:52] == -np.inf).all() and np.isnan(fused[52]).all() and (fused[53] == -np.inf).all()
    assert m.log_prob(np.int64(1)).shape == (2, 3)
    f32 = nd.MixtureSameFamily(nd.Categorical(logits=np.zeros(3, np.float32)),
                               nd.Normal(np.zeros(3, np.float32), np.ones(3, np.float32)))
    assert f32.log_prob(np.float32(0.5)).dtype == np.float32


def test_dask_refuses_clearly():
    pytest.importorskip("dask")
    import numdist.dask as ndd

    m = nd.MixtureSameFamily(nd.Categorical(logits=np.zeros(2)), nd.Normal(np.zeros(2), 1.0))
    with pytest.raises(NotImplementedError, match="MixtureSameFamily"):
        ndd.sample(m, (4,), rng=1)

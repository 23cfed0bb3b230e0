"""MultivariateNormal VJPs against torch autograd on the same draws (1e-10 relative):
rsample, log_prob (with "value"), entropy and KL, for all three parameterisations
and broadcasting batch shapes; the symmetric-gradient convention checked by finite
differences; cotangent broadcasting; gradient shapes and dtypes."""
import numpy as np
import pytest

import numdist as nd

PARAMS = ("covariance_matrix", "precision_matrix", "scale_tril")
COMBOS = [
    ((3,), (3, 3)),
    ((4, 3), (4, 3, 3)),
    ((3,), (4, 3, 3)),        # loc broadcast over the batch: its gradient is summed
    ((2, 1, 3), (4, 3, 3)),   # both broadcast
    ((4, 3), (1, 3, 3)),      # a size-1 matrix batch dim
]
combo_ids = [f"loc{a}-mat{b}" for a, b in COMBOS]


def spd(rng, batch, d):
    a = rng.normal(size=tuple(batch) + (d, d))
    return a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)


def param_value(name, cov):
    if name == "covariance_matrix":
        return cov
    if name == "precision_matrix":
        return np.linalg.inv(cov)
    return np.linalg.cholesky(cov)


def close(a, b, rtol=1e-10):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def setup(combo, name, seed):
    r = np.random.default_rng(seed)
    loc_shape, mat_shape = combo
    loc = r.normal(size=loc_shape)
    mat = param_value(name, spd(r, mat_shape[:-2], mat_shape[-1]))
    return r, loc, mat


def torch_dist(torch, name, loc, mat):
    tl = torch.tensor(loc, requires_grad=True)
    tm = torch.tensor(mat, requires_grad=True)
    return torch.distributions.MultivariateNormal(tl, **{name: tm}), tl, tm


def grads(torch, out, g, inputs):
    return [x.numpy() for x in torch.autograd.grad((out * torch.as_tensor(g)).sum(), inputs)]


@pytest.mark.parametrize("name", PARAMS)
@pytest.mark.parametrize("combo", COMBOS, ids=combo_ids)
def test_rsample_vjp_matches_torch_on_same_draws(combo, name, torch):
    r, loc, mat = setup(combo, name, [1, COMBOS.index(combo), PARAMS.index(name)])
    d = nd.MultivariateNormal(loc, **{name: mat})
    x, vjp = d.rsample_vjp((5,), rng=3)
    np.testing.assert_array_equal(x, d.rsample((5,), rng=3))
    # the standard normals behind x, recovered, feed torch's own rsample formula
    L = np.broadcast_to(np.linalg.cholesky(d.covariance_matrix), x.shape[:-1] + x.shape[-1:] * 2)
    eps = np.linalg.solve(L, (x - d.loc)[..., None])[..., 0]
    td, tl, tm = torch_dist(torch, name, loc, mat)
    tx = td.loc + (td._unbroadcasted_scale_tril @ torch.as_tensor(eps)[..., None])[..., 0]
    close(x, tx.detach().numpy(), 1e-12)
    g = r.normal(size=x.shape)
    ours = vjp(g)
    assert set(ours) == {"loc", name}
    tg = grads(torch, tx, g, [tl, tm])
    close(ours["loc"], tg[0])
    close(ours[name], tg[1])


@pytest.mark.parametrize("name", PARAMS)
@pytest.mark.parametrize("combo", COMBOS, ids=combo_ids)
def test_log_prob_vjp_matches_torch(combo, name, torch):
    r, loc, mat = setup(combo, name, [2, COMBOS.index(combo), PARAMS.index(name)])
    d = nd.MultivariateNormal(loc, **{name: mat})
    ev = d.event_shape
    for vshape in [(2,) + d.batch_shape + ev, ev, (3,) + (1,) * len(d.batch_shape) + ev]:
        v = r.normal(size=vshape) * 1.5
        lp, vjp = d.log_prob_vjp(v)
        td, tl, tm = torch_dist(torch, name, loc, mat)
        tv = torch.tensor(v, requires_grad=True)
        tlp = td.log_prob(tv)
        close(lp, tlp.detach().numpy())
        g = r.normal(size=np.shape(lp))
        ours = vjp(g)
        assert set(ours) == {"loc", name, "value"}
        tg = grads(torch, tlp, g, [tl, tm, tv])
        close(ours["loc"], tg[0])
        close(ours[name], tg[1])
        close(ours["value"], tg[2])


@pytest.mark.parametrize("name", PARAMS)
@pytest.mark.parametrize("combo", COMBOS, ids=combo_ids)
def test_entropy_vjp_matches_torch(combo, name, torch):
    r, loc, mat = setup(combo, name, [3, COMBOS.index(combo), PARAMS.index(name)])
    d = nd.MultivariateNormal(loc, **{name: mat})
    h, vjp = d.entropy_vjp()
    td, tl, tm = torch_dist(torch, name, loc, mat)
    th = td.entropy()
    close(h, th.detach().numpy())
    g = r.normal(size=np.shape(h))
    ours = vjp(g)
    (tgm,) = grads(torch, th, g, [tm])
    close(ours[name], tgm)
    np.testing.assert_array_equal(ours["loc"], np.zeros_like(loc))


@pytest.mark.parametrize("qname", PARAMS)
@pytest.mark.parametrize("pname", PARAMS)
def test_kl_vjp_matches_torch(pname, qname, torch):
    r = np.random.default_rng([4, PARAMS.index(pname), PARAMS.index(qname)])
    cp, cq = spd(r, (4,), 3), spd(r, (2, 1), 3)          # p batch (4,), q batch (2, 1)
    lp_, lq_ = r.normal(size=(3,)), r.normal(size=(2, 4, 3))
    p = nd.MultivariateNormal(lp_, **{pname: param_value(pname, cp)})
    q = nd.MultivariateNormal(lq_, **{qname: param_value(qname, cq)})
    kl, vjp = nd.kl_divergence_vjp(p, q)
    tp, tpl, tpm = torch_dist(torch, pname, lp_, param_value(pname, cp))
    tq, tql, tqm = torch_dist(torch, qname, lq_, param_value(qname, cq))
    tkl = torch.distributions.kl_divergence(tp, tq)
    close(kl, tkl.detach().numpy())
    close(nd.kl_divergence(p, q), kl, 0)
    g = r.normal(size=kl.shape)
    ours = vjp(g)
    tg = grads(torch, tkl, g, [tpl, tpm, tql, tqm])
    close(ours["p"]["loc"], tg[0])
    close(ours["p"][pname], tg[1])
    close(ours["q"]["loc"], tg[2])
    close(ours["q"][qname], tg[3])
    assert ours["p"]["loc"].shape == (3,) and ours["q"][qname].shape == (2, 1, 3, 3)


def test_independent_vjps_match_torch(torch):
    r = np.random.default_rng(5)
    loc, cov = r.normal(size=(2, 3, 2)), spd(r, (3,), 2)
    ind = nd.Independent(nd.MultivariateNormal(loc, cov), 1)
    td, tl, tm = torch_dist(torch, "covariance_matrix", loc, cov)
    tind = torch.distributions.Independent(td, 1)
    v = r.normal(size=(4, 2, 3, 2))
    lp, vjp = ind.log_prob_vjp(v)
    tlp = tind.log_prob(torch.as_tensor(v))
    g = r.normal(size=lp.shape)
    ours = vjp(g)
    tg = grads(torch, tlp, g, [tl, tm])
    close(ours["loc"], tg[0])
    close(ours["covariance_matrix"], tg[1])
    h, hvjp = ind.entropy_vjp()
    td, tl, tm = torch_dist(torch, "covariance_matrix", loc, cov)
    (tgm,) = grads(torch, torch.distributions.Independent(td, 1).entropy(), np.ones(2), [tm])
    close(hvjp(np.ones(2))["covariance_matrix"], tgm)


# -- the symmetric convention, independently of torch ------------------------------------------
@pytest.mark.parametrize("name", ["covariance_matrix", "precision_matrix"])
def test_symmetric_gradient_convention_by_finite_differences(name):
    """The gradient G of a symmetric parameter is symmetric and gives the directional
    derivative along every symmetric perturbation E: df = sum(G * E)."""
    r = np.random.default_rng(6)
    cov = spd(r, (), 3)
    mat, loc = param_value(name, cov), r.normal(size=3)
    v = r.normal(size=(5, 3))
    lp, vjp = nd.MultivariateNormal(loc, **{name: mat}).log_prob_vjp(v)
    G = vjp(np.ones(5))[name]
    np.testing.assert_allclose(G, G.T, rtol=1e-13, atol=1e-14)
    for _ in range(3):
        e = r.normal(size=(3, 3))
        e = e + e.T
        h = 1e-6

        def f(t):
            return nd.MultivariateNormal(loc, **{name: mat + t * e}).log_prob(v).sum()

        fd = (f(h) - f(-h)) / (2 * h)
        np.testing.assert_allclose(np.sum(G * e), fd, rtol=1e-6)
    # and the closed form for the covariance: (S^-1 r r^T S^-1 - S^-1) / 2 summed over values
    if name == "covariance_matrix":
        si = np.linalg.inv(cov)
        res = (v - loc) @ si
        close(G, 0.5 * (res.T @ res) - 2.5 * si, 1e-10)


# -- cotangents, shapes and dtypes --------------------------------------------------------------------
def test_scalar_and_broadcastable_cotangents():
    r = np.random.default_rng(7)
    d = nd.MultivariateNormal(r.normal(size=(4, 3)), spd(r, (4,), 3))
    x, vjp = d.rsample_vjp((6,), rng=0)
    full = vjp(np.full(x.shape, 2.0))
    for g in (2.0, np.float64(2.0), np.full((1, 4, 1), 2.0), np.full(3, 2.0)):
        got = vjp(g)
        for k in full:
            close(got[k], full[k], 1e-14)
    lp, lvjp = d.log_prob_vjp(x)
    ref = lvjp(np.ones(lp.shape))
    got = lvjp(1.0)
    for k in ref:
        close(got[k], ref[k], 1e-14)
    h, hvjp = d.entropy_vjp()
    close(hvjp(1)["covariance_matrix"], hvjp(np.ones(4))["covariance_matrix"], 1e-14)
    kl, kvjp = nd.kl_divergence_vjp(d, d)
    close(kvjp(1.0)["q"]["loc"], kvjp(np.ones(4))["q"]["loc"], 1e-14)
    with pytest.raises(ValueError, match="cotangent"):
        vjp(np.ones((5, 4, 3)))


@pytest.mark.parametrize("name", PARAMS)
def test_gradients_shaped_and_typed_like_the_parameters(name):
    r = np.random.default_rng(8)
    cov = spd(r, (1, 4), 2)
    mat32 = param_value(name, cov).astype(np.float32)
    loc32 = r.normal(size=(3, 1, 2)).astype(np.float32)
    d = nd.MultivariateNormal(loc32, **{name: mat32})
    assert d.batch_shape == (3, 4)
    x, vjp = d.rsample_vjp(2, rng=0)
    for grads_ in (vjp(1.0), d.log_prob_vjp(x)[1](1.0), d.entropy_vjp()[1](1.0),
                   nd.kl_divergence_vjp(d, d)[1](1.0)["p"]):
        assert grads_["loc"].shape == (3, 1, 2) and grads_["loc"].dtype == np.float32
        assert grads_[name].shape == (1, 4, 2, 2) and grads_[name].dtype == np.float32
    g = d.log_prob_vjp(x)[1](1.0)
    assert g["value"].dtype == np.float32 and g["value"].shape == x.shape
    # float32 gradients agree with the float64 ones
    d64 = nd.MultivariateNormal(loc32.astype(np.float64), **{name: mat32.astype(np.float64)})
    g64 = d64.log_prob_vjp(x.astype(np.float64))[1](1.0)
    for k in ("loc", name, "value"):
        np.testing.assert_allclose(g[k], g64[k], rtol=2e-3, atol=2e-3 * np.abs(g64[k]).max())
    # Python lists are float64, and their gradients too; a float64 value gets a float64 "value" gradient
    dl = nd.MultivariateNormal([0.0, 1.0], **{name: param_value(name, cov[0, 0]).tolist()})
    gl = dl.log_prob_vjp(np.zeros(2))[1](1.0)
    assert gl["loc"].dtype == np.float64 and gl[name].shape == (2, 2)
    assert d.log_prob_vjp(x.astype(np.float64))[1](1.0)["value"].dtype == np.float64


def test_rsample_vjp_many_draws_sums_over_samples(torch):
    r = np.random.default_rng(9)
    cov, loc = spd(r, (), 4), r.normal(size=4)
    d = nd.MultivariateNormal(loc, cov)
    x, vjp = d.rsample_vjp(200_000, rng=1)
    g = vjp(1.0)
    # d/dloc of sum(x) is the number of draws; d/dcov is the symmetric pull-back of sum(eps)
    close(g["loc"], np.full(4, 200_000.0), 1e-12)
    L = np.linalg.cholesky(cov)
    eps = np.linalg.solve(L, (x - loc).T).T
    tl = torch.tensor(loc, requires_grad=True)
    tc = torch.tensor(cov, requires_grad=True)
    tL = torch.linalg.cholesky(tc)
    tx = tl + torch.as_tensor(eps) @ tL.T
    (tg,) = grads(torch, tx, 1.0, [tc])
    close(g["covariance_matrix"], tg, 1e-9)

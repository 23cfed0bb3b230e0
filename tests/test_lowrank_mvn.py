"""LowRankMultivariateNormal against torch.distributions (values, autograd VJPs, KL pairs)
and the unbiasedness of its reparameterised gradient."""
import numpy as np
import pytest
import torch
import torch.distributions as td

import numdist as nd


pytestmark = pytest.mark.usefixtures("torch_float64")  # float64 torch for this module only

GRAD_RTOL = 1e-10


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _params(r, loc_shape=(3, 4), W_shape=(3, 1, 4, 2), D_shape=(4,)):
    return {"loc": r.normal(size=loc_shape), "cov_factor": 0.7 * r.normal(size=W_shape),
            "cov_diag": r.uniform(0.5, 2.0, size=D_shape)}


def _torch(p):
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    return td.LowRankMultivariateNormal(**leaves), leaves


SHAPES = [((4,), (4, 2), (4,)), ((3, 4), (3, 1, 4, 2), (4,)), ((2, 1, 5), (3, 5, 1), (2, 3, 5)), ((6,), (6, 6), (6,))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_values_match_torch(shapes):
    r = np.random.default_rng(1)
    p = _params(r, *shapes)
    d = nd.LowRankMultivariateNormal(**p)
    t, _ = _torch(p)
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    x = r.normal(size=(5,) + d.batch_shape + d.event_shape)
    assert _rel(d.log_prob(x), t.log_prob(torch.tensor(x)).detach().numpy()) < 1e-12
    assert _rel(d.entropy(), t.entropy().detach().numpy()) < 1e-12
    for name in ("covariance_matrix", "precision_matrix", "scale_tril", "variance", "mean", "mode"):
        assert _rel(getattr(d, name), getattr(t, name).detach().numpy()) < 1e-12, name


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_log_prob_and_entropy_vjp_match_autograd(shapes):
    r = np.random.default_rng(2)
    p = _params(r, *shapes)
    d = nd.LowRankMultivariateNormal(**p)
    x = r.normal(size=(7,) + d.batch_shape + d.event_shape)
    lp, vjp = d.log_prob_vjp(x)
    g = r.normal(size=lp.shape)
    ours = vjp(g)
    t, leaves = _torch(p)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.autograd.grad(t.log_prob(tx), list(leaves.values()) + [tx], torch.tensor(g))
    for k, tg in zip(list(leaves) + ["value"], ref):
        assert _rel(ours[k], tg.numpy()) < GRAD_RTOL, k
    h, hvjp = d.entropy_vjp()
    gh = r.normal(size=h.shape)
    ours = hvjp(gh)
    t, leaves = _torch(p)
    ref = torch.autograd.grad(t.entropy(), [leaves["cov_factor"], leaves["cov_diag"]], torch.tensor(gh))
    assert _rel(ours["cov_factor"], ref[0].numpy()) < GRAD_RTOL
    assert _rel(ours["cov_diag"], ref[1].numpy()) < GRAD_RTOL
    assert not ours["loc"].any() and ours["loc"].shape == p["loc"].shape


def test_rsample_vjp_is_the_gradient_of_the_same_draws():
    """x = loc + W eps_W + sqrt(D) eps_D: eps recovered from the draws' VJP, torch's
    autograd on the same formula gives the same gradients."""
    r = np.random.default_rng(3)
    p = _params(r)
    d = nd.LowRankMultivariateNormal(**p)
    x, vjp = d.rsample_vjp((6,), rng=5)
    np.testing.assert_array_equal(x, d.rsample((6,), rng=5))
    rr = p["cov_factor"].shape[-1]
    eps = nd.random.standard_normal(size=x.shape[:-1] + (rr + x.shape[-1],), rng=5)
    t, leaves = _torch(p)
    tx = leaves["loc"] + (leaves["cov_factor"] @ torch.tensor(eps[..., :rr, None]))[..., 0] \
        + leaves["cov_diag"].sqrt() * torch.tensor(eps[..., rr:])
    assert _rel(x, tx.detach().numpy()) < 1e-13
    g = r.normal(size=x.shape)
    ours = vjp(g)
    ref = torch.autograd.grad(tx, list(leaves.values()), torch.tensor(g))
    for k, tg in zip(leaves, ref):
        assert _rel(ours[k], tg.numpy()) < GRAD_RTOL, k


def test_rsample_moments_and_unbiased_gradient():
    """Draws have the covariance W W^T + D; the Monte Carlo mean of the rsample VJP of
    f(x) = sum(c * x^2) equals the gradient of E f = sum(c * (loc^2 + var)) (within 5
    standard errors, estimated from 40 batches)."""
    r = np.random.default_rng(4)
    p = {"loc": r.normal(size=3), "cov_factor": r.normal(size=(3, 2)), "cov_diag": r.uniform(0.5, 1.5, size=3)}
    d = nd.LowRankMultivariateNormal(**p)
    n, batches = 200_000, 40
    x, vjp = d.rsample_vjp((n,), rng=11)
    np.testing.assert_allclose(np.cov(x.T), d.covariance_matrix, atol=0.03)
    c = np.array([0.5, -1.0, 2.0])
    per = []
    for b in range(batches):
        g = np.zeros_like(x)
        sl = slice(b * n // batches, (b + 1) * n // batches)
        g[sl] = 2 * c * x[sl] * batches / n
        gb = vjp(g)
        per.append(np.concatenate([gb["loc"].ravel(), gb["cov_factor"].ravel(), gb["cov_diag"].ravel()]))
    per = np.array(per)
    est, se = per.mean(0), per.std(0, ddof=1) / np.sqrt(batches)
    exact = np.concatenate([2 * c * p["loc"], (2 * c[:, None] * p["cov_factor"]).ravel(), c])
    assert np.all(np.abs(est - exact) < 5 * se + 1e-12), (est - exact) / se


def _mvn(r, name, d=4):
    A = r.normal(size=(d, d))
    S = A @ A.T + d * np.eye(d)
    val = {"covariance_matrix": S, "precision_matrix": np.linalg.inv(S), "scale_tril": np.linalg.cholesky(S)}[name]
    return {"loc": r.normal(size=(d,)), name: val}


def _torch_dist(spec):
    kind, p = spec
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    cls = td.LowRankMultivariateNormal if kind == "lr" else td.MultivariateNormal
    return cls(**leaves), leaves


def _nd_dist(spec):
    kind, p = spec
    return (nd.LowRankMultivariateNormal if kind == "lr" else nd.MultivariateNormal)(**p)


@pytest.mark.parametrize("pair,name", [("lr-lr", "covariance_matrix")] + [
    (pair, name) for pair in ("lr-mvn", "mvn-lr") for name in ("covariance_matrix", "precision_matrix", "scale_tril")])
def test_kl_pairs_and_vjps_match_torch(pair, name):
    r = np.random.default_rng(5)
    specs = {"lr": ("lr", _params(r, (3, 4), (3, 4, 2), (4,))), "lr2": ("lr", _params(r, (4,), (4, 3), (3, 4))),
             "mvn": ("mvn", _mvn(r, name))}
    a, b = pair.split("-")
    sp, sq = specs[a], specs["lr2" if b == "lr" and a == "lr" else b]
    kl, vjp = nd.kl_divergence_vjp(_nd_dist(sp), _nd_dist(sq))
    tp, lp_ = _torch_dist(sp)
    tq, lq_ = _torch_dist(sq)
    tkl = td.kl_divergence(tp, tq)
    assert _rel(kl, tkl.detach().numpy()) < 1e-11
    assert _rel(nd.kl_divergence(_nd_dist(sp), _nd_dist(sq)), tkl.detach().numpy()) < 1e-11
    g = r.normal(size=kl.shape)
    ours = vjp(g)
    ref = torch.autograd.grad(tkl, list(lp_.values()) + list(lq_.values()), torch.tensor(g))
    keys = [("p", k) for k in lp_] + [("q", k) for k in lq_]
    for (side, k), tg in zip(keys, ref):
        mine, theirs = ours[side][k], tg.numpy()
        assert _rel(mine, theirs) < GRAD_RTOL, (side, k)


def test_bad_parameters_are_refused():
    r = np.random.default_rng(6)
    with pytest.raises(ValueError, match="cov_diag"):
        nd.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="cov_factor"):
        nd.LowRankMultivariateNormal(np.zeros(3), np.array([[1.0], [np.nan], [0.0]]), np.ones(3))
    with pytest.raises(ValueError, match="loc"):
        nd.LowRankMultivariateNormal(np.array([0.0, np.inf, 0.0]), np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="cov_factor"):
        nd.LowRankMultivariateNormal(np.zeros(3), np.ones((4, 1)), np.ones(3))
    with pytest.raises(ValueError, match="cov_diag"):
        nd.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.ones(2))
    with pytest.raises(TypeError):
        nd.LowRankMultivariateNormal(np.array(["a", "b"]), np.ones((2, 1)), np.ones(2))
    d = nd.LowRankMultivariateNormal(r.normal(size=3), np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError):
        d.log_prob(np.zeros(4))


def test_expand_pickle_and_float32():
    import pickle

    r = np.random.default_rng(7)
    p = _params(r, (4,), (4, 2), (4,))
    d = nd.LowRankMultivariateNormal(**p)
    e = d.expand((3, 2))
    assert e.batch_shape == (3, 2) and e.sample(rng=0).shape == (3, 2, 4)
    x = r.normal(size=(3, 2, 4))
    np.testing.assert_allclose(e.log_prob(x), d.log_prob(x), rtol=1e-14)
    d2 = pickle.loads(pickle.dumps(d))
    np.testing.assert_array_equal(d2.log_prob(x), d.log_prob(x))
    f = nd.LowRankMultivariateNormal(*(p[k].astype(np.float32) for k in ("loc", "cov_factor", "cov_diag")))
    assert f.sample((3,), rng=0).dtype == np.float32 and f.log_prob(x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(f.log_prob(x.astype(np.float32)), d.log_prob(x), rtol=1e-4)


def test_dask_reproduces_the_draw_on_any_chunking():
    pytest.importorskip("dask")
    import numdist.dask as ndd
    r = np.random.default_rng(5)
    d = nd.LowRankMultivariateNormal(r.normal(size=(2, 3, 4)), r.normal(size=(3, 4, 2)), r.uniform(0.5, 2.0, size=(4,)))
    ref = d.sample((20,), rng=9)
    for chunks in ("auto", (7, 1, 3, 4), (20, 2, 1, 1), (3, 1, 2, 3)):
        np.testing.assert_array_equal(ndd.sample(d, (20,), chunks=chunks, rng=9).compute(), ref)

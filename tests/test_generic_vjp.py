"""VJPs of every registered distribution against torch autograd (float64, 1e-10 relative):
log_prob_vjp, entropy_vjp, kl_divergence_vjp over the discovered KL pairs, and
rsample_vjp (exactly, on the same draw, and by the mean rule)."""
import numpy as np
import pytest

import numdist as nd
from registry import CASES, kl_pairs
from test_generic import _implemented, _torch_value

ids = [c.id for c in CASES]
cases = pytest.mark.parametrize("case", CASES, ids=ids)


def _has_rsample(c):
    try:
        return c.nd().has_rsample
    except Exception:  # a broken constructor: let the test report it
        return True


RS = [c for c in CASES if _has_rsample(c)]
rsample_cases = pytest.mark.parametrize("case", RS, ids=[c.id for c in RS])
PAIRS = kl_pairs()


def _cotangent(shape, seed):
    return np.random.default_rng(seed).normal(size=shape)


def _autograd(torch, out, g, leaves):
    """Gradients of sum(out * g) w.r.t. ``leaves`` (a dict), zeros where unused."""
    names = list(leaves)
    if not out.requires_grad:  # a constant (e.g. an infinite KL): zero gradients
        return {k: np.zeros(tuple(leaves[k].shape)) for k in names}
    grads = torch.autograd.grad((out * torch.as_tensor(g)).sum(), [leaves[k] for k in names], allow_unused=True)
    return {k: (np.zeros(tuple(leaves[k].shape)) if gr is None else gr.numpy()) for k, gr in zip(names, grads)}


def _compare(case, grads, expected, params, what, value_fn=None):
    """Same keys; each gradient shaped and typed like the parameter as passed; values
    to ``case.grad_rtol`` relative (to the largest entry of that gradient).

    Where torch's autograd gives NaN (e.g. through -inf logits) and ``value_fn`` is given,
    the reference for those entries is (NaN from numdist too fails) a central finite difference of
    ``value_fn(key, new_param) = sum(g * value)`` (numdist's value, itself checked
    against torch), to 1e-6; entries of a non-finite parameter get 0."""
    assert set(grads) == set(expected), f"{what}: keys {sorted(grads)} != {sorted(expected)}"
    for k, e in expected.items():
        a = grads[k]
        assert isinstance(a, np.ndarray) or np.isscalar(a), f"{what}[{k}] is {type(a)}"
        a = np.asarray(a)
        ref = np.asarray(params[k]) if k in params else e
        assert a.shape == np.shape(ref), f"{what}[{k}]: shape {a.shape} != {np.shape(ref)}"
        assert a.dtype == np.asarray(ref).dtype, f"{what}[{k}]: dtype {a.dtype} != {np.asarray(ref).dtype}"
        e = np.array(e, dtype=np.float64)
        nan = np.isnan(e)
        if nan.any() and value_fn is not None:
            p = np.asarray(params[k], dtype=np.float64)
            fd = np.zeros_like(e)
            for idx in (tuple(i) for i in np.argwhere(nan)):
                if not np.isfinite(p[idx]):
                    continue
                h = 1e-6 * max(1.0, abs(p[idx]))
                up, dn = p.copy(), p.copy()
                up[idx] += h
                dn[idx] -= h
                fd[idx] = (value_fn(k, up) - value_fn(k, dn)) / (2 * h)
            np.testing.assert_allclose(a[nan], fd[nan], rtol=1e-6, atol=1e-8, err_msg=f"{what}[{k}] (finite differences)")
            e[nan] = a[nan]
        finite = e[np.isfinite(e)]
        scale = max(np.abs(finite).max() if finite.size else 1.0, 1e-10)
        np.testing.assert_allclose(a, e, rtol=case.grad_rtol, atol=case.grad_rtol * scale, err_msg=f"{what}[{k}]")


def _continuous(d):
    return not d.support.is_discrete


@cases
def test_log_prob_vjp_matches_torch(case, torch):
    d = case.nd()
    td, leaves = case.torch(torch, requires_grad=True)
    x = d.sample((3,), rng=2)
    lp, vjp = d.log_prob_vjp(x)
    np.testing.assert_allclose(lp, d.log_prob(x), rtol=1e-15, atol=0)
    g = _cotangent(np.shape(lp), 5)
    grads = vjp(g)
    if _continuous(d):
        leaves = dict(leaves, value=torch.tensor(x, requires_grad=True))
    tlp = td.log_prob(leaves.get("value", _torch_value(torch, x)))
    expected = _autograd(torch, tlp, g, leaves)

    def value_fn(k, v):
        if k == "value":
            return float((g * d.log_prob(v)).sum())
        return float((g * case.nd(dict(case.params, **{k: v})).log_prob(x)).sum())

    _compare(case, grads, expected, dict(case.params, value=x), "log_prob_vjp", value_fn)


@cases
def test_entropy_vjp_matches_torch(case, torch):
    d = case.nd()
    td, leaves = case.torch(torch, requires_grad=True)
    if not _implemented(td.entropy, d.entropy_vjp):
        return
    h, vjp = d.entropy_vjp()
    np.testing.assert_allclose(h, d.entropy(), rtol=1e-15, atol=0)
    g = _cotangent(np.shape(h), 6)

    def value_fn(k, v):
        return float((g * case.nd(dict(case.params, **{k: v})).entropy()).sum())

    _compare(case, vjp(g), _autograd(torch, td.entropy(), g, leaves), case.params, "entropy_vjp", value_fn)


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{p.id}||{q.id}" for p, q in PAIRS])
def test_kl_divergence_and_vjp_match_torch(pair, torch):
    pc, qc = pair
    p, q = pc.nd(), qc.nd()
    tp, lp_ = pc.torch(torch, requires_grad=True)
    tq, lq_ = qc.torch(torch, requires_grad=True)
    try:
        tkl = torch.distributions.kl_divergence(tp, tq)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            nd.kl_divergence(p, q)
        with pytest.raises(NotImplementedError):
            nd.kl_divergence_vjp(p, q)
        return
    kl = nd.kl_divergence(p, q)
    np.testing.assert_allclose(kl, tkl.detach().numpy(), rtol=pc.rtol, atol=pc.atol)
    kl2, vjp = nd.kl_divergence_vjp(p, q)
    np.testing.assert_allclose(kl2, kl, rtol=1e-15, atol=0)
    g = _cotangent(np.shape(kl), 7)
    grads = vjp(g)
    assert set(grads) == {"p", "q"}
    names = list(lp_) + list(lq_)
    leaves = {f"p.{k}": v for k, v in lp_.items()} | {f"q.{k}": v for k, v in lq_.items()}
    expected = _autograd(torch, tkl, g, leaves)
    assert len(names) == len(leaves)

    def kl_p(k, v):
        return float((g * nd.kl_divergence(pc.nd(dict(pc.params, **{k: v})), q)).sum())

    def kl_q(k, v):
        return float((g * nd.kl_divergence(p, qc.nd(dict(qc.params, **{k: v})))).sum())

    _compare(pc, grads["p"], {k: expected[f"p.{k}"] for k in lp_}, pc.params, "kl_vjp p", kl_p)
    _compare(qc, grads["q"], {k: expected[f"q.{k}"] for k in lq_}, qc.params, "kl_vjp q", kl_q)


def _base(torch, td):
    while isinstance(td, torch.distributions.Independent):
        td = td.base_dist
    return td


@rsample_cases
def test_rsample_vjp_matches_torch_on_the_same_draw(case, torch):
    """Exact check on one draw: torch autograd of torch's reparameterisation with the
    draw's base noise (``Case.reparam``), or else the implicit reparameterisation
    dx/dtheta = -(dF/dtheta)(x) / p(x) through torch's cdf, which every
    inverse-cdf or location-scale reparameterisation equals."""
    d = case.nd()
    td, leaves = case.torch(torch, requires_grad=True)
    x, vjp = d.rsample_vjp((3,), rng=4)
    g = _cotangent(x.shape, 8)
    grads = vjp(g)
    xt = torch.as_tensor(x)
    try:
        if case.reparam is not None:
            out = case.reparam(td, xt)
            np.testing.assert_allclose(out.detach().numpy(), x, rtol=1e-12, atol=1e-12)
            expected = _autograd(torch, out, g, leaves)
        else:
            base = _base(torch, td)
            F = base.cdf(xt)
            dens = torch.exp(base.log_prob(xt)).detach()
            expected = _autograd(torch, -F / dens, g, leaves)
    except NotImplementedError:
        pytest.skip(f"{case.family}: no base noise exposed (Case.reparam) and no cdf in torch")
    except RuntimeError as exc:
        if "not implemented" not in str(exc):
            raise
        pytest.skip(f"{case.family}: torch cannot differentiate its cdf ({exc}); give Case.reparam")
    _compare(case, grads, expected, case.params, "rsample_vjp")


# Mean rule: d/dtheta E[sum(g * x)] = d/dtheta sum(g * mean), and for the second moment
# d/dtheta E[sum(g * x**2)] = d/dtheta sum(g * (mean**2 + variance)), estimated with the
# cotangent 2 g x (the scale-like parameters do not move the mean of a location-scale
# family). The Monte-Carlo mean of vjp over BATCHES x DRAWS draws must be within TOL_SE
# standard errors (from the spread of the batch means) of torch's autograd.
BATCHES, DRAWS, TOL_SE = 32, 8000, 5.0


@pytest.mark.parametrize("moment", [1, 2])
@rsample_cases
def test_rsample_vjp_is_unbiased_mean_rule(case, moment, torch):
    d = case.nd()
    td, leaves = case.torch(torch, requires_grad=True)
    if not _implemented(lambda: td.mean, lambda: d.mean):
        pytest.skip("torch has no mean (numdist neither): covered by the exact same-draw check")
    if moment == 2 and not _implemented(lambda: td.variance, lambda: d.variance):
        pytest.skip("torch has no variance (numdist neither): covered by the exact same-draw check")
    target = td.mean if moment == 1 else td.mean**2 + td.variance
    if not bool(torch.isfinite(target).all()):
        pytest.skip("moment undefined (e.g. Cauchy): covered by the exact same-draw check")
    shape = d.batch_shape + d.event_shape
    g = _cotangent(shape, 9)
    expected = _autograd(torch, target, g, leaves)
    rng = np.random.Generator(np.random.PCG64(2024))
    estimates = {k: [] for k in expected}
    for _ in range(BATCHES):
        x, vjp = d.rsample_vjp((DRAWS,), rng=rng)
        gx = np.broadcast_to(g, x.shape) if moment == 1 else 2 * g * x
        for k, v in vjp(gx).items():
            estimates[k].append(np.asarray(v) / DRAWS)
    assert set(estimates) == set(expected)
    for k, e in expected.items():
        est = np.array(estimates[k])
        m = est.mean(0)
        se = est.std(0, ddof=1) / np.sqrt(BATCHES)
        tol = TOL_SE * se + 1e-9 * max(1.0, np.abs(e).max())
        bad = np.abs(m - e) > tol
        assert not bad.any(), (f"{k}: MC mean {m[bad]} vs {e[bad]} (se {se[bad]})")

"""OneHotCategorical and RelaxedOneHotCategorical (Gumbel-softmax) as torch defines
them: shapes, samples, log_prob, entropy, moments, enumerate_support, expand, and
gradients (log_prob_vjp, entropy_vjp, rsample_vjp) against torch autograd."""
import numpy as np
import pytest

import numdist as nd

_r = np.random.default_rng(77)


def _close(a, b, rtol=1e-12, atol=0.0):
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    a = np.asarray(a)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _probs():
    p = _r.random((3, 5))
    p[0, 2] = 0.0
    return p


def _logits():
    x = _r.normal(size=(2, 3, 4))
    x[1, 0, 1] = -np.inf
    return x


PARAMS = {"probs": _probs(), "logits": _logits(), "probs-vector": _r.random(6) + 0.1,
          "logits-finite": _r.normal(size=(3, 4)) * 2}


def _param(case):
    return ("probs" if case.startswith("probs") else "logits"), PARAMS[case]


# ----------------------------------------------------------------------------------
# OneHotCategorical
# ----------------------------------------------------------------------------------
def _onehot_pair(torch, case, requires_grad=False):
    name, value = _param(case)
    t = torch.tensor(value, requires_grad=requires_grad)
    return nd.OneHotCategorical(**{name: value}), torch.distributions.OneHotCategorical(**{name: t}), t, name, value


@pytest.mark.parametrize("case", list(PARAMS))
def test_onehot_matches_torch(case, torch):
    d, td, _, name, value = _onehot_pair(torch, case)
    assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape)
    assert d.param_shape == tuple(td.param_shape)
    assert not d.has_rsample and d.has_enumerate_support
    _close(d.probs, td.probs)
    _close(d.logits, td.logits)
    _close(d.mean, td.mean)
    _close(d.variance, td.variance)
    _close(d.mode, td.mode)
    _close(d.entropy(), td.entropy())
    for expand in (True, False):
        _close(d.enumerate_support(expand), td.enumerate_support(expand))
    v = d.enumerate_support()
    _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)))


@pytest.mark.parametrize("sample_shape", [(), 3, (2, 4), (0,)], ids=str)
@pytest.mark.parametrize("case", list(PARAMS))
def test_onehot_samples(case, sample_shape, torch):
    d, td, _, name, value = _onehot_pair(torch, case)
    x = d.sample(sample_shape, rng=5)
    tss = (sample_shape,) if isinstance(sample_shape, int) else sample_shape
    assert x.shape == tss + d.batch_shape + d.event_shape
    if 0 not in tss:
        assert x.shape == tuple(td.sample(tss).shape)
    assert x.dtype == d.probs.dtype
    assert ((x == 0) | (x == 1)).all() and (x.sum(-1) == 1).all()
    # the one-hot of the Categorical draw with the same rng
    idx = nd.Categorical(**{name: value}).sample(sample_shape, rng=5)
    np.testing.assert_array_equal(x.argmax(-1), idx)
    if x.size:
        _close(d.log_prob(x), td.log_prob(torch.as_tensor(x)))


def test_onehot_sample_frequencies():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    x = nd.OneHotCategorical(probs=p).sample((200_000,), rng=0)
    assert x[:, 1].sum() == 0
    np.testing.assert_allclose(x.mean(0), p, atol=0.005)


@pytest.mark.parametrize("case", list(PARAMS))
def test_onehot_vjps_match_torch_autograd(case, torch):
    d, td, t, name, value = _onehot_pair(torch, case, requires_grad=True)
    x = d.sample((4,), rng=1)
    lp, vjp = d.log_prob_vjp(x)
    tlp = td.log_prob(torch.as_tensor(x))
    _close(lp, tlp)
    g = _r.normal(size=lp.shape)
    (tg,) = torch.autograd.grad((tlp * torch.as_tensor(g)).sum(), t)
    _close(vjp(g)[name], tg, rtol=1e-10, atol=1e-14)
    d, td, t, name, value = _onehot_pair(torch, case, requires_grad=True)
    h, vjp = d.entropy_vjp()
    th = td.entropy()
    g = _r.uniform(0.2, 1.0, size=h.shape)
    (tg,) = torch.autograd.grad((th * torch.as_tensor(g)).sum(), t)
    _close(vjp(g)[name], tg, rtol=1e-10, atol=1e-14)


def test_onehot_expand_and_validation(torch):
    d, td, _, _, _ = _onehot_pair(torch, "probs")
    e, te = d.expand((2, 3)), td.expand((2, 3))
    assert e.batch_shape == tuple(te.batch_shape) and e.event_shape == tuple(te.event_shape)
    _close(e.probs, te.probs)
    assert e.sample((5,), rng=0).shape == (5, 2, 3, 5)
    with pytest.raises(ValueError, match="support"):
        d.log_prob(np.full((3, 5), 0.2))  # not one-hot
    with pytest.raises(ValueError, match="event_shape"):
        d.log_prob(np.eye(4)[:3])
    with pytest.raises(ValueError, match=r"probs.*\(1,\)"):
        nd.OneHotCategorical(probs=[[0.5, 0.5], [-1.0, 2.0]])


def test_onehot_float32():
    p = (_r.random((2, 3)) + 0.1).astype(np.float32)
    d = nd.OneHotCategorical(probs=p)
    x = d.sample((4,), rng=0)
    assert x.dtype == np.float32 and d.log_prob(x).dtype == np.float32 and d.mean.dtype == np.float32


# ----------------------------------------------------------------------------------
# RelaxedOneHotCategorical (Gumbel-softmax)
# ----------------------------------------------------------------------------------
def _uniforms(rng, shape, dtype=np.float64):
    """The uniforms numdist's rsample draws for ``rng`` (a seed here)."""
    return np.random.Generator(nd.random.Xoshiro256x8(rng)).random(shape, dtype=dtype)


def _torch_relaxed_from_uniforms(torch, td, u):
    """torch's RelaxedOneHotCategorical.rsample, step by step, on given uniforms."""
    base = td.base_dist
    uniforms = torch.distributions.utils.clamp_probs(torch.as_tensor(u))
    gumbels = -((-(uniforms.log())).log())
    scores = (base.logits + gumbels) / base.temperature
    return (scores - scores.logsumexp(dim=-1, keepdim=True)).exp()


TEMPS = {"scalar": 0.7, "array0d": np.array(1.3), "rows": _r.uniform(0.5, 2.0, size=(3, 1)),
         "one": np.array([0.9])}


def _relaxed_pair(torch, case, temp_case, requires_grad=False):
    name, value = _param(case)
    temp = TEMPS[temp_case]
    t = torch.tensor(value, requires_grad=requires_grad)
    tt = torch.tensor(np.asarray(temp, dtype=np.float64), requires_grad=requires_grad)
    d = nd.RelaxedOneHotCategorical(temp, **{name: value})
    td = torch.distributions.RelaxedOneHotCategorical(tt, **{name: t})
    return d, td, t, tt, name, value, temp


RELAXED_CASES = [("probs", "scalar"), ("probs", "rows"), ("logits-finite", "scalar"), ("logits-finite", "array0d"),
                 ("probs-vector", "one"), ("logits-finite", "rows"), ("logits-finite", "one")]


@pytest.mark.parametrize("case,temp_case", RELAXED_CASES)
def test_relaxed_shapes_and_rsample_match_torch(case, temp_case, torch):
    d, td, _, _, _, _, _ = _relaxed_pair(torch, case, temp_case)
    assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape)
    assert d.has_rsample and td.has_rsample
    for ss in [(), 4, (2, 3)]:
        tss = (ss,) if isinstance(ss, int) else ss
        y = d.rsample(ss, rng=3)
        assert y.shape == tuple(td.rsample(tss).shape)
        assert y.dtype == np.float64
        assert (y >= 0).all() and np.allclose(y.sum(-1), 1.0, rtol=0, atol=1e-12)
        ty = _torch_relaxed_from_uniforms(torch, td, _uniforms(3, y.shape))
        _close(y, ty, rtol=1e-12, atol=1e-300)
        np.testing.assert_array_equal(d.sample(ss, rng=3), y)


@pytest.mark.parametrize("case,temp_case", [c for c in RELAXED_CASES if c[1] in ("scalar", "array0d", "one")])
def test_relaxed_log_prob_matches_torch(case, temp_case, torch):
    d, td, _, _, _, _, _ = _relaxed_pair(torch, case, temp_case)
    y = d.rsample((5,), rng=4)
    _close(d.log_prob(y), td.log_prob(torch.as_tensor(y)))
    # also at points that are not its own samples
    k = d.event_shape[0]
    v = _r.dirichlet(np.ones(k), size=(5,) + d.batch_shape)
    _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)))


@pytest.mark.parametrize("case,temp_case", RELAXED_CASES)
def test_relaxed_rsample_vjp_matches_torch_autograd(case, temp_case, torch):
    d, td, t, tt, name, value, temp = _relaxed_pair(torch, case, temp_case, requires_grad=True)
    y, vjp = d.rsample_vjp((3,), rng=6)
    ty = _torch_relaxed_from_uniforms(torch, td, _uniforms(6, y.shape))
    _close(y, ty, atol=1e-300)
    g = _r.normal(size=y.shape)
    tg, tgt = torch.autograd.grad((ty * torch.as_tensor(g)).sum(), (t, tt))
    grads = vjp(g)
    assert set(grads) == {name, "temperature"}
    assert grads[name].shape == np.shape(value)
    assert grads["temperature"].shape == np.shape(temp)
    _close(grads[name], tg, rtol=1e-10, atol=1e-13)
    _close(grads["temperature"], tgt, rtol=1e-10, atol=1e-13)


def test_relaxed_rsample_vjp_matches_finite_differences():
    """Independent of torch: d<g, y>/d(logits, temperature) by central differences on the
    same noise (same rng)."""
    x = _r.normal(size=(2, 4))
    g = _r.normal(size=(5, 2, 4))

    def f(logits, temp):
        return float((nd.RelaxedOneHotCategorical(temp, logits=logits).rsample((5,), rng=9) * g).sum())

    y, vjp = nd.RelaxedOneHotCategorical(0.8, logits=x).rsample_vjp((5,), rng=9)
    grads = vjp(g)
    h = 1e-6
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        a, b = x.copy(), x.copy()
        a[idx] += h
        b[idx] -= h
        fd[idx] = (f(a, 0.8) - f(b, 0.8)) / (2 * h)
    np.testing.assert_allclose(grads["logits"], fd, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(grads["temperature"], (f(x, 0.8 + h) - f(x, 0.8 - h)) / (2 * h), rtol=1e-5)


def test_relaxed_low_temperature_approaches_one_hot():
    p = np.array([0.2, 0.5, 0.3])
    y = nd.RelaxedOneHotCategorical(0.01, probs=p).rsample((100_000,), rng=0)
    assert (y.max(-1) > 0.9).mean() > 0.95
    np.testing.assert_allclose(np.bincount(y.argmax(-1), minlength=3) / 100_000, p, atol=0.006)


def test_relaxed_expand_float32_and_validation(torch):
    d, td, _, _, _, _, _ = _relaxed_pair(torch, "logits", "scalar")  # has a -inf logit
    y = d.rsample((3,), rng=2)
    _close(y, _torch_relaxed_from_uniforms(torch, td, _uniforms(2, y.shape)), atol=1e-300)
    assert (y[:, 1, 0, 1] == 0).all() and np.isfinite(y).all()
    e, te = d.expand((5, 2, 3)), td.expand((5, 2, 3))
    assert e.batch_shape == tuple(te.batch_shape) and e.event_shape == tuple(te.event_shape)
    assert e.rsample((2,), rng=0).shape == (2, 5, 2, 3, 4)
    f = nd.RelaxedOneHotCategorical(np.float32(0.5), logits=np.zeros(3, dtype=np.float32))
    y, vjp = f.rsample_vjp((4,), rng=0)
    assert y.dtype == np.float32 and f.log_prob(y).dtype == np.float32
    assert vjp(np.ones_like(y))["logits"].dtype == np.float32
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="temperature"):
            nd.RelaxedOneHotCategorical(bad, probs=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"logits.*\(0,\).*-inf"):
        nd.RelaxedOneHotCategorical(1.0, logits=[[-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="not both"):
        nd.RelaxedOneHotCategorical(1.0)
    with pytest.raises(ValueError, match="support"):
        d.log_prob(np.full((2, 3, 4), 0.5))  # not on the simplex

"""Categorical as torch defines it: normalisation, lazy counterpart, shapes, log_prob,
entropy, moments, enumerate_support, expand, VJPs (against torch autograd), the
Categorical KL and its VJP, the seed document's examples, and bad input."""
import numpy as np
import pytest

import numdist as nd

_r = np.random.default_rng(2024)


def _probs_with_zeros():
    p = _r.random((3, 6))
    p[:, 1] = 0.0
    p[2] = [0.0, 0.0, 0.0, 5.0, 0.0, 0.0]  # a one-hot row
    p[0, 5] = 0.0
    return p


def _logits_with_neginf():
    x = _r.normal(size=(2, 3, 5)) * 3
    x[..., 0] = -np.inf
    x[1, 2] = [-np.inf, -np.inf, 0.7, -np.inf, -np.inf]  # a single finite logit
    return x


CASES = {
    "probs-random": ("probs", _r.random((3, 5))),
    "probs-unnormalised": ("probs", _r.random((2, 3, 4)) * 7),
    "probs-vector": ("probs", _r.random(9)),
    "probs-zeros": ("probs", _probs_with_zeros()),
    "probs-tiny-scale": ("probs", _r.random((2, 4)) * 1e-300),
    "probs-K1": ("probs", np.array([[2.0], [0.5]])),
    "logits-random": ("logits", _r.normal(size=(4, 6)) * 3),
    "logits-vector": ("logits", _r.normal(size=7)),
    "logits-neginf": ("logits", _logits_with_neginf()),
    "logits-large": ("logits", _r.normal(size=(3, 4)) * 300),
}


def _pair(torch, name, value, requires_grad=False, **kw):
    t = torch.tensor(value, requires_grad=requires_grad)
    return nd.Categorical(**{name: value}, **kw), torch.distributions.Categorical(**{name: t}), t


def _close(a, b, rtol=1e-12, atol=0.0):
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    a = np.asarray(a)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------
# The seed document (seeds/002): every Categorical example, with numdist
# ----------------------------------------------------------------------------------
SEED_RAW = [[[0.25, 0.25, 0.25, 0.25]], [[0.33, 0.33, 0.33, 0.01]]]


def test_seed_example_float32_as_in_the_post(torch):
    raw_output = np.array(SEED_RAW, dtype=np.float32)  # torch.tensor(...) is float32
    assert raw_output.shape == (2, 1, 4)
    dist1 = nd.Categorical(probs=raw_output)
    dist2 = nd.Categorical(logits=raw_output)
    t1 = torch.distributions.Categorical(probs=torch.tensor(SEED_RAW))
    t2 = torch.distributions.Categorical(logits=torch.tensor(SEED_RAW))
    # the printed values of the post (4 decimals)
    np.testing.assert_array_equal(dist1.probs.round(4), np.array(SEED_RAW, dtype=np.float32).round(4))
    f32 = lambda x: np.array(x, dtype=np.float32)  # noqa: E731 (the printed values, as float32)
    np.testing.assert_array_equal(dist1.logits.round(4)[:, 0], f32([[-1.3863] * 4, [-1.1087, -1.1087, -1.1087, -4.6052]]))
    np.testing.assert_array_equal(dist2.probs.round(4)[:, 0], f32([[0.25] * 4, [0.2684, 0.2684, 0.2684, 0.1949]]))
    np.testing.assert_array_equal(dist2.logits.round(4)[:, 0], f32([[-1.3863] * 4, [-1.3154, -1.3154, -1.3154, -1.6354]]))
    for d, td in ((dist1, t1), (dist2, t2)):
        assert d.probs.dtype == np.float32 and d.logits.dtype == np.float32
        _close(d.probs, td.probs, rtol=1e-6)
        _close(d.logits, td.logits, rtol=1e-6)
        assert d.batch_shape == tuple(td.batch_shape) == (2, 1)
    # sampling: one index per row, shape (2, 1), int64
    s1 = dist1.sample()
    s2 = dist2.sample()
    assert s1.shape == s2.shape == (2, 1) and s1.dtype == s2.dtype == np.int64
    assert ((0 <= s1) & (s1 < 4)).all() and ((0 <= s2) & (s2 < 4)).all()
    # log_prob(s) is the (normalised) logit of the sampled category
    for d, td, s in ((dist1, t1, s1), (dist2, t2, s2)):
        lp = d.log_prob(s)
        assert lp.shape == (2, 1) and lp.dtype == np.float32
        np.testing.assert_array_equal(lp, np.take_along_axis(d.logits, s[..., None], -1)[..., 0])
        _close(lp, td.log_prob(torch.as_tensor(s)), rtol=1e-6)
    # the post's shown log_prob values for its shown samples [[1], [1]] and [[2], [0]]
    np.testing.assert_array_equal(dist1.log_prob(np.array([[1], [1]])).round(4), f32([[-1.3863], [-1.1087]]))
    np.testing.assert_array_equal(dist2.log_prob(np.array([[2], [0]])).round(4), f32([[-1.3863], [-1.3154]]))


def test_seed_example_float64_equals_torch(torch):
    raw = np.array(SEED_RAW)
    for name in ("probs", "logits"):
        d, td, _ = _pair(torch, name, raw)
        _close(d.probs, td.probs)
        _close(d.logits, td.logits)
        v = d.enumerate_support()
        _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)))
        _close(d.entropy(), td.entropy())
        s = d.sample((1000,), rng=0)
        assert s.shape == (1000, 2, 1)
        _close(d.log_prob(s), td.log_prob(torch.as_tensor(s)))


def test_seed_normalisation_formulas():
    """The post's __init__: probs / probs.sum(-1), logits - logits.logsumexp(-1)."""
    raw = np.array(SEED_RAW) * 3.0
    d1, d2 = nd.Categorical(probs=raw), nd.Categorical(logits=raw)
    np.testing.assert_allclose(d1.probs, raw / raw.sum(-1, keepdims=True), rtol=1e-15)
    lse = np.log(np.exp(raw).sum(-1, keepdims=True))
    np.testing.assert_allclose(d2.logits, raw - lse, rtol=1e-15)
    # probs -> logits: log of probs clamped to [eps, 1 - eps]
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(d1.logits, np.log(np.clip(d1.probs, eps, 1 - eps)), rtol=1e-15)


def test_lazy_counterpart_not_computed_until_used():
    d = nd.Categorical(probs=np.array(SEED_RAW))
    assert "probs" in d.__dict__ and "logits" not in d.__dict__
    _ = d.logits
    assert "logits" in d.__dict__
    d = nd.Categorical(logits=np.array(SEED_RAW))
    assert "logits" in d.__dict__ and "probs" not in d.__dict__
    _ = d.probs
    assert "probs" in d.__dict__


def test_exactly_one_parameter():
    with pytest.raises(ValueError, match="not both"):
        nd.Categorical()
    with pytest.raises(ValueError, match="not both"):
        nd.Categorical(probs=[0.5, 0.5], logits=[0.0, 0.0])


# ----------------------------------------------------------------------------------
# Values against torch (float64, 1e-12)
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(CASES))
def test_probs_logits_log_prob_entropy_match_torch(case, torch):
    name, value = CASES[case]
    d, td, _ = _pair(torch, name, value)
    _close(d.probs, td.probs)
    _close(d.logits, td.logits)  # -inf where torch has -inf
    v = d.enumerate_support()
    _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)))
    _close(d.entropy(), td.entropy())
    _close(d.perplexity(), td.perplexity())
    assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape) == ()
    assert d.param_shape == tuple(td.param_shape)


@pytest.mark.parametrize("case", list(CASES))
def test_moments_mode_support_match_torch(case, torch):
    name, value = CASES[case]
    d, td, _ = _pair(torch, name, value)
    _close(d.mean, td.mean)  # NaN-filled, as torch
    _close(d.variance, td.variance)
    _close(d.stddev, td.stddev)
    assert np.isnan(d.mean).all() and d.mean.dtype == d.probs.dtype
    np.testing.assert_array_equal(d.mode, td.mode.numpy())
    assert d.mode.dtype == np.int64
    for expand in (True, False):
        e, te = d.enumerate_support(expand), td.enumerate_support(expand)
        assert e.dtype == np.int64
        np.testing.assert_array_equal(e, te.numpy())
    assert d.support.check(np.arange(-1, value.shape[-1] + 1)).tolist() == [False] + [True] * value.shape[-1] + [False]
    assert d.has_enumerate_support and not d.has_rsample


def test_random_inputs_match_torch(torch):
    rng = np.random.default_rng(7)
    for trial in range(20):
        k = int(rng.integers(1, 12))
        shape = tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(0, 3))) + (k,)
        p = rng.random(shape) * rng.choice([1e-3, 1.0, 1e3])
        p[rng.random(shape) < 0.3] = 0.0
        p[..., rng.integers(k)] += 0.1  # no all-zero row
        x = rng.normal(size=shape) * 5
        x[rng.random(shape) < 0.3] = -np.inf
        x[..., rng.integers(k)] = rng.normal()
        for name, value in (("probs", p), ("logits", x)):
            d, td, _ = _pair(torch, name, value)
            _close(d.probs, td.probs)
            _close(d.logits, td.logits)
            v = d.enumerate_support()
            _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)))
            _close(d.entropy(), td.entropy(), atol=1e-300)


def test_float32_parameters(torch):
    p = _probs_with_zeros().astype(np.float32)
    for name, value in (("probs", p), ("logits", np.log(p + 0.1).astype(np.float32))):
        d, td, _ = _pair(torch, name, value)
        for attr in ("probs", "logits"):
            assert getattr(d, attr).dtype == np.float32
            _close(getattr(d, attr), getattr(td, attr), rtol=2e-6, atol=1e-7)
        v = d.enumerate_support()
        assert d.log_prob(v).dtype == np.float32 and d.entropy().dtype == np.float32
        _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)), rtol=2e-6, atol=1e-6)
        _close(d.entropy(), td.entropy(), rtol=2e-6, atol=1e-6)
        s = d.sample((7,), rng=0)
        assert s.dtype == np.int64 and s.shape == (7, 3)


def test_integer_probs_are_promoted():
    d = nd.Categorical(probs=[1, 3])
    assert d.probs.dtype == np.float64
    np.testing.assert_allclose(d.probs, [0.25, 0.75])


# ----------------------------------------------------------------------------------
# Shapes against torch for many (param shape, sample_shape)
# ----------------------------------------------------------------------------------
PARAM_SHAPES = [(4,), (1, 4), (3, 4), (2, 3, 4), (2, 1, 4), (1, 1, 1, 2), (5, 1), (3, 0, 4)]
SAMPLE_SHAPES = [(), 1, (1,), (5,), (2, 3), (0,), (2, 0), (1, 1, 2)]


@pytest.mark.parametrize("param_shape", PARAM_SHAPES, ids=str)
@pytest.mark.parametrize("name", ["probs", "logits"])
def test_shapes_match_torch(param_shape, name, torch):
    value = _r.random(param_shape) + 0.05
    empty = 0 in param_shape  # torch's validation cannot reshape an empty batch
    d = nd.Categorical(**{name: value})
    td = torch.distributions.Categorical(**{name: torch.tensor(value)}, validate_args=False if empty else None)
    assert d.batch_shape == tuple(td.batch_shape)
    assert d.event_shape == tuple(td.event_shape)
    assert d.param_shape == tuple(td.param_shape)
    assert d.entropy().shape == tuple(td.entropy().shape)
    assert d.mean.shape == tuple(td.mean.shape) and d.mode.shape == tuple(td.mode.shape)
    assert d.enumerate_support().shape == tuple(td.enumerate_support().shape)
    assert d.enumerate_support(False).shape == tuple(td.enumerate_support(False).shape)
    for ss in SAMPLE_SHAPES:
        tss = (ss,) if isinstance(ss, int) else ss
        x = d.sample(ss, rng=1)
        assert x.dtype == np.int64
        if 0 in tss or empty:  # torch.multinomial refuses to draw nothing
            assert x.shape == tss + d.batch_shape
            assert d.log_prob(x).shape == x.shape
            continue
        assert x.shape == tuple(td.sample(tss).shape), ss
        lp = d.log_prob(x)
        tlp = td.log_prob(torch.as_tensor(x))
        assert lp.shape == tuple(tlp.shape)
        _close(lp, tlp)


@pytest.mark.parametrize("value_shape", [(), (1,), (3,), (5, 1), (5, 3), (2, 5, 1)], ids=str)
def test_log_prob_broadcasts_like_torch(value_shape, torch):
    d, td, _ = _pair(torch, "logits", _r.normal(size=(3, 4)))
    v = _r.integers(0, 4, size=value_shape)
    _close(d.log_prob(v), td.log_prob(torch.as_tensor(v)))


def test_log_prob_accepts_float_indices_and_checks_support(torch):
    d, td, _ = _pair(torch, "probs", _r.random((2, 3)))
    _close(d.log_prob(np.array([2.0, 0.0])), td.log_prob(torch.tensor([2.0, 0.0])))
    for bad in ([3, 0], [-1, 0], [0.5, 1]):
        with pytest.raises(ValueError, match="support"):
            d.log_prob(np.array(bad))
    with pytest.raises(ValueError):
        d.log_prob(np.zeros(5, dtype=np.int64))  # does not broadcast with batch (2,)


# ----------------------------------------------------------------------------------
# expand
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["probs", "logits"])
def test_expand_matches_torch_and_is_a_view(name, torch):
    d, td, _ = _pair(torch, name, _r.random((3, 5)) + 0.1)
    e, te = d.expand((4, 3)), td.expand((4, 3))
    assert e.batch_shape == tuple(te.batch_shape) == (4, 3)
    assert e.param_shape == tuple(te.param_shape)
    _close(e.probs, te.probs)
    _close(e.logits, te.logits)
    _close(e.entropy(), te.entropy())
    stored = getattr(e, name)
    assert np.shares_memory(stored, getattr(d, name)) and stored.strides[0] == 0
    x = e.sample((6,), rng=0)
    assert x.shape == (6, 4, 3)
    _close(e.log_prob(x), te.log_prob(torch.as_tensor(x)))
    with pytest.raises(ValueError, match="expand"):
        d.expand((4,))
    one = nd.Categorical(probs=[0.2, 0.8]).expand((1000,))
    x = one.sample((200,), rng=0)
    assert abs(x.mean() - 0.8) < 0.01


# ----------------------------------------------------------------------------------
# Gradients: VJPs against torch autograd
# ----------------------------------------------------------------------------------
GRAD_CASES = ["probs-random", "probs-unnormalised", "probs-zeros", "logits-random", "logits-neginf",
              "logits-vector", "probs-K1"]


@pytest.mark.parametrize("case", GRAD_CASES)
def test_log_prob_vjp_matches_torch_autograd(case, torch):
    name, value = CASES[case]
    d, td, t = _pair(torch, name, value, requires_grad=True)
    k = value.shape[-1]
    rng = np.random.default_rng(3)
    v = rng.integers(0, k, size=(4,) + d.batch_shape)  # a sample_shape: grads sum over it
    lp, vjp = d.log_prob_vjp(v)
    g = rng.normal(size=lp.shape)
    tlp = td.log_prob(torch.as_tensor(v))
    _close(lp, tlp)
    (tg,) = torch.autograd.grad((tlp * torch.as_tensor(g)).sum(), t)
    grads = vjp(g)
    assert set(grads) == {name}
    assert grads[name].shape == value.shape and grads[name].dtype == np.float64
    _close(grads[name], tg, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("case", GRAD_CASES)
def test_entropy_vjp_matches_torch_autograd(case, torch):
    name, value = CASES[case]
    d, td, t = _pair(torch, name, value, requires_grad=True)
    h, vjp = d.entropy_vjp()
    # |g| < 1: torch's clamp of -inf logits to the most negative float makes g * logit
    # overflow (NaN gradients, in torch as here) for |g| > 1
    g = np.random.default_rng(4).uniform(-1, 1, size=h.shape)
    th = td.entropy()
    _close(h, th)
    (tg,) = torch.autograd.grad((th * torch.as_tensor(g)).sum(), t)
    grads = vjp(g)
    assert set(grads) == {name} and grads[name].shape == value.shape
    assert np.isfinite(grads[name]).all()
    _close(grads[name], tg, rtol=1e-10, atol=1e-14)


def test_vjp_float32_gradients_are_float32(torch):
    p = (_r.random((2, 3)) + 0.1).astype(np.float32)
    d = nd.Categorical(probs=p)
    lp, vjp = d.log_prob_vjp(np.array([0, 2]))
    assert vjp(np.ones(2, dtype=np.float32))["probs"].dtype == np.float32
    _, vjp = d.entropy_vjp()
    assert vjp(np.ones(2, dtype=np.float32))["probs"].dtype == np.float32


def test_vjp_of_expanded_distribution_sums_to_the_parameter_shape(torch):
    x = _r.normal(size=(3, 4))
    d = nd.Categorical(logits=x).expand((2, 3))
    t = torch.tensor(x, requires_grad=True)
    td = torch.distributions.Categorical(logits=t).expand((2, 3))
    v = _r.integers(0, 4, size=(2, 3))
    lp, vjp = d.log_prob_vjp(v)
    g = _r.normal(size=lp.shape)
    (tg,) = torch.autograd.grad((td.log_prob(torch.as_tensor(v)) * torch.as_tensor(g)).sum(), t)
    _close(vjp(g)["logits"], tg, rtol=1e-10, atol=1e-14)


# ----------------------------------------------------------------------------------
# KL(Categorical || Categorical) and its VJP
# ----------------------------------------------------------------------------------
def _kl_pairs():
    k = 5
    p = _r.random((3, k)) + 0.05
    q = _r.random((3, k)) + 0.05
    lp = _r.normal(size=(3, k))
    lq = _r.normal(size=(1, k))
    return [("probs", p, "probs", q), ("logits", lp, "logits", lq), ("probs", p, "logits", lq),
            ("logits", lp, "probs", q[:1])]


@pytest.mark.parametrize("i", range(4))
def test_kl_and_vjp_match_torch(i, torch):
    pn, pv, qn, qv = _kl_pairs()[i]
    p, tp, tpt = _pair(torch, pn, pv, requires_grad=True)
    q, tq, tqt = _pair(torch, qn, qv, requires_grad=True)
    kl, vjp = nd.kl_divergence_vjp(p, q)
    tkl = torch.distributions.kl_divergence(tp, tq)
    _close(kl, tkl)
    _close(nd.kl_divergence(p, q), tkl)
    g = _r.normal(size=kl.shape)
    gp, gq = torch.autograd.grad((tkl * torch.as_tensor(g)).sum(), (tpt, tqt))
    grads = vjp(g)
    assert grads["p"][pn].shape == pv.shape and grads["q"][qn].shape == qv.shape
    _close(grads["p"][pn], gp, rtol=1e-10, atol=1e-13)
    _close(grads["q"][qn], gq, rtol=1e-10, atol=1e-13)


def _fd_grad(f, x, h=1e-6):
    """Central differences of scalar f at x over x's finite entries (others 0)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        if not np.isfinite(x[idx]):
            continue
        a, b = x.copy(), x.copy()
        a[idx] += h
        b[idx] -= h
        g[idx] = (f(a) - f(b)) / (2 * h)
    return g


def test_kl_with_neginf_logits_and_zero_probs(torch):
    """Values as torch (inf where q has a zero p does not); gradients by finite
    differences, since torch's autograd gives NaN through the -inf logits."""
    lp = np.array([[0.3, -np.inf, 1.0, -0.5], [-np.inf, 0.2, 0.1, -1.0]])
    lq = np.array([[0.1, 0.4, -np.inf, 0.0], [0.5, -np.inf, 0.3, 0.2]])
    p, tp, _ = _pair(torch, "logits", lp)
    q, tq, _ = _pair(torch, "logits", lq)
    kl = nd.kl_divergence(p, q)
    _close(kl, torch.distributions.kl_divergence(tp, tq))
    assert np.isinf(kl).all()  # each row puts p-mass where q has none
    lq2 = np.array([[0.1, -np.inf, 0.3, 0.0], [-np.inf, 0.5, 0.3, 0.2]])  # q zero only where p is
    q2, tq2, _ = _pair(torch, "logits", lq2)
    kl2, vjp = nd.kl_divergence_vjp(p, q2)
    _close(kl2, torch.distributions.kl_divergence(tp, tq2))
    assert np.isfinite(kl2).all()
    g = np.array([0.7, -1.3])
    grads = vjp(g)

    def f_p(x):
        return float((nd.kl_divergence(nd.Categorical(logits=x), q2) * g).sum())

    def f_q(x):
        return float((nd.kl_divergence(p, nd.Categorical(logits=x)) * g).sum())

    np.testing.assert_allclose(grads["p"]["logits"], _fd_grad(f_p, lp), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads["q"]["logits"], _fd_grad(f_q, lq2), rtol=1e-6, atol=1e-8)
    # torch really does give NaN here (why finite differences are used)
    t = torch.tensor(lp, requires_grad=True)
    tk = torch.distributions.kl_divergence(torch.distributions.Categorical(logits=t), tq2)
    (tg,) = torch.autograd.grad(tk.sum(), t)
    assert torch.isnan(tg).any()
    # with zero probs (probs parameter) the finite parts agree with torch autograd
    pp = np.array([[0.2, 0.0, 0.5, 0.3]])
    qq = np.array([[0.1, 0.3, 0.4, 0.2]])
    p3, tp3, tpt = _pair(torch, "probs", pp, requires_grad=True)
    q3, tq3, tqt = _pair(torch, "probs", qq, requires_grad=True)
    kl3, vjp3 = nd.kl_divergence_vjp(p3, q3)
    tk3 = torch.distributions.kl_divergence(tp3, tq3)
    _close(kl3, tk3)
    gp, gq = torch.autograd.grad(tk3.sum(), (tpt, tqt))
    _close(vjp3(np.ones(1))["p"]["probs"], gp, rtol=1e-10, atol=1e-13)
    _close(vjp3(np.ones(1))["q"]["probs"], gq, rtol=1e-10, atol=1e-13)


def test_kl_of_a_distribution_with_itself_is_zero():
    d = nd.Categorical(logits=_r.normal(size=(4, 6)))
    np.testing.assert_allclose(nd.kl_divergence(d, d), 0.0, atol=1e-15)


# ----------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------
BAD = [
    ("probs", [[0.2, 0.8], [0.5, -0.1]], r"probs.*\(1,\).*negative"),
    ("probs", [[0.2, 0.8], [0.0, 0.0]], r"probs.*\(1,\).*sums to zero"),
    ("probs", [[[0.2, 0.8]], [[np.nan, 0.5]]], r"probs.*\(1, 0\).*NaN"),
    ("probs", [[0.2, np.inf], [0.5, 0.5]], r"probs.*\(0,\).*inf"),
    ("logits", [[0.0, 1.0], [-np.inf, -np.inf]], r"logits.*\(1,\).*-inf"),
    ("logits", [[0.0, np.nan], [0.0, 0.0]], r"logits.*\(0,\).*NaN"),
    ("logits", [[0.0, 0.0], [np.inf, 0.0]], r"logits.*\(1,\).*\+inf"),
]


@pytest.mark.parametrize("name,value,pattern", BAD)
def test_bad_parameters_raise_value_error_naming_parameter_and_row(name, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        nd.Categorical(**{name: np.array(value)})
    with pytest.raises(ValueError, match=pattern):
        nd.OneHotCategorical(**{name: np.array(value)})


@pytest.mark.parametrize("name", ["probs", "logits"])
def test_k_zero_and_scalar_parameters_refused(name):
    with pytest.raises(ValueError, match="K = 0|at least one category"):
        nd.Categorical(**{name: np.zeros((3, 0))})
    with pytest.raises(ValueError, match="one-dimensional"):
        nd.Categorical(**{name: 0.5})
    with pytest.raises(TypeError):
        nd.Categorical(**{name: ["a", "b"]})


@pytest.mark.parametrize("name,value,pattern", BAD)
def test_validation_off_never_crashes(name, value, pattern):
    """validate_args=False: construction, log_prob and entropy work (NaN where the row
    is bad); sampling a bad row is refused with a ValueError naming it, on both paths."""
    value = np.array(value)
    d = nd.Categorical(**{name: value}, validate_args=False)
    v = np.zeros(d.batch_shape, dtype=np.int64)
    d.log_prob(v)
    d.entropy()
    d.log_prob_vjp(v)[1](np.ones(d.batch_shape))
    for shape in ((), (2000,)):  # CDF path, alias path
        with pytest.raises(ValueError, match=f"{name}.*batch index"):
            d.sample(shape, rng=0)


def test_default_validate_args_switch():
    nd.set_default_validate_args(False)
    try:
        d = nd.Categorical(probs=np.array([0.5, -0.5, 1.0]))
        assert d._validate_args is False
        with pytest.raises(ValueError, match="probs"):
            d.sample(rng=0)
    finally:
        nd.set_default_validate_args(True)
    with pytest.raises(ValueError, match="negative"):
        nd.Categorical(probs=np.array([0.5, -0.5, 1.0]))

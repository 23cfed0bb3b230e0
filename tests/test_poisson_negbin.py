"""Poisson and NegativeBinomial: goodness of fit against scipy (chi-square on 2.5e5 draws,
float32 and float64 parameters, both the distributions and the functional samplers), values
against torch and scipy beyond the generic registry cases (large rates, probs near 1, the
NumPy/torch conventions), bad input, and the documented outputs for parameters that are only
possible with validation off (every rejection loop terminates)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import numdist as nd
from numdist.poisson import POISSON_LAM_MAX

torch = pytest.importorskip("torch")

N = 250_000
INT64_MAX = np.iinfo(np.int64).max


def chisquare_pvalue(x: np.ndarray, dist) -> float:
    """Chi-square goodness of fit of integer draws ``x`` to the scipy distribution ``dist``:
    one bin per integer between its 1e-5 and 1 - 1e-5 quantiles and one per tail, adjacent
    bins merged until each expects >= 5 draws."""
    x = np.asarray(x).ravel()
    n = x.size
    lo, hi = int(dist.ppf(1e-5)), int(dist.ppf(1 - 1e-5))
    ks = np.arange(lo, hi + 1)
    probs = dist.pmf(ks)
    probs[0] = dist.cdf(lo)           # (-inf, lo]
    probs[-1] = dist.sf(hi - 1)       # [hi, inf)
    obs = np.bincount(np.clip(x, lo, hi) - lo, minlength=ks.size).astype(np.float64)
    exp_, obs_m, acc_e, acc_o = [], [], 0.0, 0.0
    for e, o in zip(probs * n, obs):
        acc_e, acc_o = acc_e + e, acc_o + o
        if acc_e >= 5:
            exp_.append(acc_e)
            obs_m.append(acc_o)
            acc_e = acc_o = 0.0
    if acc_e > 0:
        exp_[-1] += acc_e
        obs_m[-1] += acc_o
    exp_a, obs_a = np.array(exp_), np.array(obs_m)
    exp_a *= obs_a.sum() / exp_a.sum()  # the pmf's rounding: totals equal
    assert exp_a.size >= 2
    return float(stats.chisquare(obs_a, exp_a).pvalue)


# -- goodness of fit -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.05, 3.7, 25.0, 250.0, 4000.0])  # 250: both forms of log P(k)
def test_poisson_chisquare(rate, dtype):
    d = nd.Poisson(np.array(rate, dtype=dtype))
    x = d.sample((N,), rng=int(rate * 100) + 1)
    assert x.dtype == np.int64 and x.shape == (N,)
    assert chisquare_pvalue(x, stats.poisson(float(np.float32(rate)) if dtype == np.float32 else rate)) > 1e-3
    # the functional sampler, a batch of rates (the varying-rate path of the kernel)
    lam = np.array([rate, rate * 2], dtype=dtype)
    y = nd.random.poisson(lam, size=(N // 2, 2), rng=7)
    assert y.dtype == np.int64
    for j in range(2):
        assert chisquare_pvalue(y[:, j], stats.poisson(float(lam[j]))) > 1e-3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("total_count", [0.5, 3.0, 50.0])
def test_negative_binomial_chisquare(total_count, dtype):
    probs = np.array([0.3, 0.8], dtype=dtype)
    d = nd.NegativeBinomial(np.array(total_count, dtype=dtype), probs=probs)
    x = d.sample((N // 2,), rng=int(total_count * 10) + 3)
    assert x.dtype == np.int64
    for j in range(2):
        # torch's convention: successes (probs) before total_count failures; scipy counts
        # failures before n successes of probability p, so p = 1 - probs
        ref = stats.nbinom(float(d.total_count[j]), 1 - float(probs[j]))
        assert chisquare_pvalue(x[:, j], ref) > 1e-3
    # from logits: the same law
    dl = nd.NegativeBinomial(total_count, logits=np.log(probs / (1 - probs)))
    z = dl.sample((N // 2,), rng=5)
    for j in range(2):
        assert chisquare_pvalue(z[:, j], stats.nbinom(total_count, 1 - float(probs[j]))) > 1e-3


@pytest.mark.parametrize("n, p", [(0.5, 0.3), (3.0, 0.6), (50.0, 0.9), (3.0, 1.0)])
def test_functional_negative_binomial_is_numpys_convention(n, p):
    x = nd.random.negative_binomial(n, p, size=N, rng=11)
    assert x.dtype == np.int64
    if p == 1.0:
        assert (x == 0).all()  # NumPy: p = 1 gives 0 failures
        return
    assert chisquare_pvalue(x, stats.nbinom(n, p)) > 1e-3
    g = np.random.default_rng(0).negative_binomial(n, p, size=N)
    assert abs(x.mean() - g.mean()) < 6 * np.sqrt(n * (1 - p) / p**2 * 2 / N)


def test_huge_and_tiny_rates_terminate_with_the_right_scale():
    x = nd.Poisson(1e18).sample((20000,), rng=0)
    assert abs(x.mean() / 1e18 - 1) < 1e-10
    assert abs(x.astype(np.float64).std() / 1e9 - 1) < 0.05
    big = nd.random.poisson(POISSON_LAM_MAX, size=1000, rng=0)
    assert (big > 0).all() and (big < INT64_MAX).all()
    assert (nd.random.poisson(1e-300, size=10000, rng=0) == 0).all()
    # probs = 1e-300: odds ~ 1e-300, draws are 0
    assert (nd.NegativeBinomial(3.0, probs=1e-300).sample((10000,), rng=0) == 0).all()
    # NumPy convention, p = 1e-300: odds 1e300, rates beyond the largest sampled: INT64_MAX
    assert (nd.random.negative_binomial(3.0, 1e-300, size=1000, rng=0) == INT64_MAX).all()


# -- the documented values of parameters that only pass with validation off --------------------------
def test_out_of_domain_parameters_give_documented_counts():
    rate = np.array([np.nan, -1.0, 0.0, np.inf, 1e19, 3.0])
    x = nd.Poisson(rate, validate_args=False).sample((50,), rng=0)
    assert (x[:, 0] == -1).all() and (x[:, 1] == -1).all() and (x[:, 2] == 0).all()
    assert (x[:, 3] == INT64_MAX).all() and (x[:, 4] == INT64_MAX).all() and (x[:, 5] >= 0).all()
    nb = nd.NegativeBinomial(np.array([0.0, -1.0, np.nan, np.inf, 2.0, 2.0, 2.0]),
                             probs=np.array([0.5, 0.5, 0.5, 0.5, 1.0, 1.5, np.nan]), validate_args=False)
    y = nb.sample((30,), rng=1)
    assert (y[:, 0] == 0).all() and (y[:, 1] == -1).all() and (y[:, 2] == -1).all()
    assert (y[:, 3] == INT64_MAX).all() and (y[:, 4] == INT64_MAX).all()
    assert (y[:, 5] == -1).all() and (y[:, 6] == -1).all()
    lg = nd.NegativeBinomial(2.0, logits=np.array([-np.inf, np.inf, 700.0]), validate_args=False).sample((30,), rng=2)
    assert (lg[:, 0] == 0).all() and (lg[:, 1] == INT64_MAX).all() and (lg[:, 2] == INT64_MAX).all()


# -- values against torch and scipy ------------------------------------------------------------------
def test_poisson_values_against_torch_and_scipy():
    rate = np.array([0.05, 3.7, 25.0, 4000.0, 1e6])
    d, td = nd.Poisson(rate), torch.distributions.Poisson(torch.tensor(rate))
    x = d.sample((7,), rng=3)
    lp = d.log_prob(x)
    tlp = td.log_prob(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(lp[:, :4], tlp[:, :4], rtol=1e-10)
    # torch's formula cancels terms of size rate log(rate) (1.4e7 at 1e6, an ulp is 2e-9): both
    # numdist and torch are within a few ulps of those terms of the exact value (mpmath)
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    exact = np.array([[float(k * mpmath.log(r) - r - mpmath.loggamma(k + 1)) for k, r in zip(row, rate)] for row in x])
    scale = np.abs(x * np.log(rate)) + rate
    for got in (lp, tlp):
        assert (np.abs(got - exact) <= 8 * np.finfo(np.float64).eps * scale).all()
    np.testing.assert_allclose(lp, stats.poisson.logpmf(x, rate), rtol=1e-9)
    np.testing.assert_array_equal(d.mode, td.mode.numpy().astype(np.int64))
    assert d.mode.dtype == np.int64
    np.testing.assert_allclose(d.variance, td.variance.numpy(), rtol=0)
    # integers or floats as values, the same numbers
    np.testing.assert_array_equal(d.log_prob(x.astype(np.float64)), lp)
    np.testing.assert_array_equal(d.log_prob(x.tolist()), lp)
    q = nd.Poisson(rate[::-1].copy())
    tq = torch.distributions.Poisson(torch.tensor(rate[::-1].copy()))
    np.testing.assert_allclose(nd.kl_divergence(d, q), torch.distributions.kl_divergence(td, tq).numpy(), rtol=1e-10)


def test_negative_binomial_values_against_torch_and_scipy():
    tc = np.array([[0.5], [3.0], [50.0]])
    probs = np.array([0.01, 0.3, 0.9, 0.999])
    d = nd.NegativeBinomial(tc, probs=probs)
    td = torch.distributions.NegativeBinomial(torch.tensor(tc), probs=torch.tensor(probs))
    x = d.sample((5,), rng=4)
    lp = d.log_prob(x)
    np.testing.assert_allclose(lp, td.log_prob(torch.tensor(x, dtype=torch.float64)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(lp, stats.nbinom.logpmf(x, tc, 1 - probs), rtol=1e-8)
    for q in ("mean", "variance"):
        np.testing.assert_allclose(getattr(d, q), getattr(td, q).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(d.mode, td.mode.numpy().astype(np.int64))
    assert d.mode.dtype == np.int64 and d.batch_shape == (3, 4)
    e = d.expand((2, 3, 4))
    assert e.total_count.shape == (2, 3, 4) and e.sample(rng=0).shape == (2, 3, 4)
    assert not e.total_count.flags.writeable or e.total_count.base is not None


def test_float32_parameters_give_float32_values():
    d = nd.Poisson(np.array([0.5, 40.0], dtype=np.float32))
    x = d.sample((10,), rng=0)
    assert x.dtype == np.int64 and d.log_prob(x).dtype == np.float32 and d.mean.dtype == np.float32
    lp, vjp = d.log_prob_vjp(x)
    assert lp.dtype == np.float32 and vjp(np.ones_like(lp))["rate"].dtype == np.float32
    nb = nd.NegativeBinomial(3, logits=np.float32([0.2, -1.0]))  # an int total_count takes the logits' dtype
    assert nb.total_count.dtype == np.float32
    y = nb.sample((10,), rng=0)
    assert y.dtype == np.int64 and nb.log_prob(y).dtype == np.float32
    g = nb.log_prob_vjp(y)[1](np.ones((10, 2), np.float32))
    assert set(g) == {"logits"} and g["logits"].dtype == np.float32


# -- gradients: score functions against torch autograd ----------------------------------------------
@pytest.mark.parametrize("which", ["probs", "logits"])
def test_negative_binomial_score_against_torch(which):
    tc = np.array([[0.5], [3.0], [50.0]])
    param = np.array([0.2, 0.55, 0.9]) if which == "probs" else np.array([-2.0, 0.1, 3.0])
    d = nd.NegativeBinomial(tc, **{which: param})
    x = d.sample((6,), rng=9)
    g = np.random.default_rng(0).normal(size=x.shape)
    lp, vjp = d.log_prob_vjp(x)
    grads = vjp(g)
    assert set(grads) == {which} and grads[which].shape == param.shape
    t = torch.tensor(param, requires_grad=True)
    tlp = torch.distributions.NegativeBinomial(torch.tensor(tc), **{which: t}).log_prob(torch.tensor(x, dtype=torch.float64))
    (tlp * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(grads[which], t.grad.numpy(), rtol=1e-8)


def test_poisson_kl_vjps_against_torch():
    pr, qr, bp = np.array([0.3, 2.0, 50.0]), np.array([1.5, 0.7, 60.0]), np.array([0.2, 0.6, 0.9])
    g = np.array([0.5, -1.0, 2.0])
    for make_p, make_q, keys in [
        (lambda D, a: D.Poisson(a["p"]), lambda D, a: D.Poisson(a["q"]), {"p": pr, "q": qr}),
        (lambda D, a: D.Bernoulli(probs=a["p"]), lambda D, a: D.Poisson(a["q"]), {"p": bp, "q": qr}),
    ]:
        p, q = make_p(nd, keys), make_q(nd, keys)
        kl, vjp = nd.kl_divergence_vjp(p, q)
        leaves = {k: torch.tensor(v, requires_grad=True) for k, v in keys.items()}
        tkl = torch.distributions.kl_divergence(make_p(torch.distributions, leaves), make_q(torch.distributions, leaves))
        np.testing.assert_allclose(kl, tkl.detach().numpy(), rtol=1e-10)
        (tkl * torch.tensor(g)).sum().backward()
        grads = vjp(g)
        np.testing.assert_allclose(next(iter(grads["p"].values())), leaves["p"].grad.numpy(), rtol=1e-8)
        np.testing.assert_allclose(grads["q"]["rate"], leaves["q"].grad.numpy(), rtol=1e-8)
    assert np.isinf(nd.kl_divergence(nd.Poisson(pr), nd.Bernoulli(probs=bp))).all()


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, name, index", [
    (lambda: nd.Poisson(np.array([1.0, 2.0, -0.5])), "rate", "(2,)"),
    (lambda: nd.Poisson(np.array([[1.0], [np.nan]])), "rate", "(1, 0)"),
    (lambda: nd.NegativeBinomial(np.array([1.0, 0.0]), probs=0.5), "total_count", "(1,)"),
    (lambda: nd.NegativeBinomial(np.array([1.0, -2.0]), probs=0.5), "total_count", "(1,)"),
    (lambda: nd.NegativeBinomial(np.array([1.0, np.nan]), probs=0.5), "total_count", "(1,)"),
    (lambda: nd.NegativeBinomial(2.0, probs=np.array([0.5, 1.2])), "probs", "(1,)"),
    (lambda: nd.NegativeBinomial(2.0, probs=np.array([-0.1, 0.5])), "probs", "(0,)"),
    (lambda: nd.NegativeBinomial(2.0, probs=np.array([0.5, 1.0])), "probs", "(1,)"),
    (lambda: nd.NegativeBinomial(2.0, logits=np.array([0.5, np.nan])), "logits", "(1,)"),
    (lambda: nd.random.poisson(np.array([1.0, -1.0])), "lam", "(1,)"),
    (lambda: nd.random.poisson(np.array([1.0, np.nan])), "lam", "(1,)"),
    (lambda: nd.random.poisson(np.array([1.0, 1e19])), "lam", "(1,)"),
    (lambda: nd.random.negative_binomial(np.array([1.0, 0.0]), 0.5), "n", "(1,)"),
    (lambda: nd.random.negative_binomial(1.0, np.array([0.5, 0.0])), "p", "(1,)"),
    (lambda: nd.random.negative_binomial(1.0, np.array([1.5, 0.5])), "p", "(0,)"),
])
def test_bad_parameters_named_with_index(build, name, index):
    with pytest.raises(ValueError) as info:
        build()
    msg = str(info.value)
    assert name in msg and index in msg, msg


def test_values_outside_the_support_refused_with_index():
    d = nd.Poisson(np.array([1.0, 2.0]))
    for bad in ([[0, 1], [2, -1]], [[0, 1.5]], [[np.nan, 1]]):
        with pytest.raises(ValueError, match=r"index"):
            d.log_prob(np.array(bad))
    with pytest.raises(ValueError, match=r"index \(0, 1\)"):
        nd.NegativeBinomial(2.0, probs=0.5).log_prob(np.array([[1, 2.5]]))
    with pytest.raises(TypeError):
        d.log_prob(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        nd.Poisson("x")
    # validation off: the formula, as torch
    lp = nd.Poisson(2.0, validate_args=False).log_prob(np.array([1.5, -1.0]))
    assert np.isfinite(lp[0])


def test_out_and_rng():
    out = np.empty((4, 3), np.int64)
    r = nd.random.poisson([1.0, 20.0, 300.0], out=out, rng=0)
    assert r is out and (out >= 0).all()
    np.testing.assert_array_equal(out, nd.random.poisson([1.0, 20.0, 300.0], size=(4, 3), rng=0))
    with pytest.raises((TypeError, ValueError)):
        nd.random.poisson(2.0, out=np.empty(3, np.float64), rng=0)
    ro = np.empty(3, np.int64)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        nd.random.negative_binomial(2.0, 0.5, out=ro, rng=0)
    g = np.random.default_rng(1)
    a = nd.random.poisson(5.0, size=10, rng=np.random.default_rng(1))
    b = nd.random.poisson(5.0, size=10, rng=g)
    np.testing.assert_array_equal(a, b)
    assert isinstance(nd.random.poisson(2.0), int) and isinstance(nd.random.negative_binomial(2.0, 0.5), int)
    # a constant rate and the same rate repeated in an array: the same numbers (C kernel paths)
    for lam in (3.7, 1000.0):
        np.testing.assert_array_equal(nd.random.poisson(lam, size=5000, rng=3),
                                      nd.random.poisson(np.full(5000, lam), rng=3))
    # int64 out= that overlaps an input (read first, as NumPy's ufuncs)
    buf = np.array([3, 40, 500], dtype=np.int64)
    lam_before = buf.astype(np.float64)
    ref = nd.random.poisson(lam_before, rng=2)
    np.testing.assert_array_equal(nd.random.poisson(buf, out=buf, rng=2), ref)


def test_samples_do_not_depend_on_thread_count():
    d = nd.NegativeBinomial(np.array([0.5, 30.0]), logits=np.array([0.3, 2.0]))
    p = nd.Poisson(np.array([2.0, 4000.0]))
    n0 = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a, b = d.sample((200_000,), rng=3), p.sample((200_000,), rng=3)
        nd.set_num_threads(2)
        np.testing.assert_array_equal(a, d.sample((200_000,), rng=3))
        np.testing.assert_array_equal(b, p.sample((200_000,), rng=3))
    finally:
        nd.set_num_threads(n0)

"""KL divergence: Normal||Normal and Independent||Independent values and VJPs against
torch autograd, and the registry's dispatch rules (as torch.distributions.kl)."""
import numpy as np
import pytest
from scipy import integrate

import numdist as nd
from numdist import kl as kl_module


def _tensor(torch, a, requires_grad=False):
    a = np.asarray(a)
    t = torch.tensor(a, dtype=torch.float64 if a.dtype == np.float64 else torch.float32)
    return t.requires_grad_(requires_grad)


def _normal_params(shapes, seed):
    r = np.random.default_rng(seed)
    ploc, pscale, qloc, qscale = shapes
    return (r.normal(size=ploc), r.uniform(0.3, 3.0, size=pscale), r.normal(size=qloc), r.uniform(0.3, 3.0, size=qscale))


SHAPES = [
    ("same", ((4,), (4,), (4,), (4,))),
    ("broadcast", ((3, 1), (5,), (5,), ())),
    ("q-bigger", ((), (), (2, 3), (3,))),
    ("scalars", ((), (), (), ())),
]


@pytest.mark.parametrize("shapes", [s[1] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_kl_normal_normal_matches_torch(torch, shapes):
    pl, ps, ql, qs = _normal_params(shapes, 0)
    kl = nd.kl_divergence(nd.Normal(pl, ps), nd.Normal(ql, qs))
    tkl = torch.distributions.kl_divergence(torch.distributions.Normal(_tensor(torch, pl), _tensor(torch, ps)),
                                            torch.distributions.Normal(_tensor(torch, ql), _tensor(torch, qs)))
    assert kl.shape == tuple(tkl.shape) and kl.dtype == np.float64
    np.testing.assert_allclose(kl, tkl.numpy(), rtol=1e-12)
    assert np.all(kl >= 0)


def test_kl_normal_normal_by_quadrature():
    # the definition, integrated numerically: KL = E_p[log p - log q]
    p, q = nd.Normal(0.3, 0.7), nd.Normal(-1.0, 1.9)
    f = lambda x: np.exp(p.log_prob(x)) * (p.log_prob(x) - q.log_prob(x))  # noqa: E731
    val, _ = integrate.quad(f, -15, 15, epsabs=1e-13, epsrel=1e-13)
    np.testing.assert_allclose(nd.kl_divergence(p, q), val, rtol=1e-10)
    assert nd.kl_divergence(p, p) == 0.0


def test_kl_float32_and_mixed_dtypes():
    p32 = nd.Normal(np.zeros(3, np.float32), np.ones(3, np.float32))
    q32 = nd.Normal(np.ones(3, np.float32), np.full(3, 2.0, np.float32))
    assert nd.kl_divergence(p32, q32).dtype == np.float32
    q64 = nd.Normal(np.ones(3), np.full(3, 2.0))
    assert nd.kl_divergence(p32, q64).dtype == np.float64
    np.testing.assert_allclose(nd.kl_divergence(p32, q32), nd.kl_divergence(p32, q64), rtol=1e-6)
    kl, vjp = nd.kl_divergence_vjp(p32, q64)
    grads = vjp(np.ones(3))
    # each gradient has the dtype of its own parameter
    assert grads["p"]["loc"].dtype == np.float32 and grads["p"]["scale"].dtype == np.float32
    assert grads["q"]["loc"].dtype == np.float64 and grads["q"]["scale"].dtype == np.float64


@pytest.mark.parametrize("shapes", [s[1] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_kl_normal_normal_vjp_matches_torch(torch, shapes):
    pl, ps, ql, qs = _normal_params(shapes, 1)
    kl, vjp = nd.kl_divergence_vjp(nd.Normal(pl, ps), nd.Normal(ql, qs))
    np.testing.assert_array_equal(kl, nd.kl_divergence(nd.Normal(pl, ps), nd.Normal(ql, qs)))
    g = np.random.default_rng(2).normal(size=kl.shape)
    grads = vjp(g)
    t = {k: _tensor(torch, a, True) for k, a in zip(("pl", "ps", "ql", "qs"), (pl, ps, ql, qs))}
    tkl = torch.distributions.kl_divergence(torch.distributions.Normal(t["pl"], t["ps"]),
                                            torch.distributions.Normal(t["ql"], t["qs"]))
    tkl.backward(_tensor(torch, g))
    assert set(grads) == {"p", "q"} and set(grads["p"]) == set(grads["q"]) == {"loc", "scale"}
    for side, name, key, arr in (("p", "loc", "pl", pl), ("p", "scale", "ps", ps),
                                 ("q", "loc", "ql", ql), ("q", "scale", "qs", qs)):
        got = grads[side][name]
        assert got.shape == arr.shape and got.dtype == np.float64, (side, name)
        np.testing.assert_allclose(got, t[key].grad.numpy(), rtol=1e-10, err_msg=f"{side}.{name}")


def test_kl_vjp_scalar_cotangent():
    p, q = nd.Normal(np.zeros(3), 1.0), nd.Normal(np.arange(3.0), 2.0)
    kl, vjp = nd.kl_divergence_vjp(p, q)
    a, b = vjp(1.0), vjp(np.ones(3))
    for side in ("p", "q"):
        for name in ("loc", "scale"):
            np.testing.assert_array_equal(a[side][name], b[side][name])


# ---------------------------------------------------------------------------------
# Independent || Independent
# ---------------------------------------------------------------------------------
IND_SHAPES = [
    ("3x2-1", ((3, 2), (3, 2), (3, 2), (3, 2)), 1),
    ("broadcast-2", ((4, 1, 2), (3, 2), (3, 2), (1, 2)), 2),
    ("0", ((3,), (3,), (3,), (3,)), 0),
]


@pytest.mark.parametrize("shapes,n", [s[1:] for s in IND_SHAPES], ids=[s[0] for s in IND_SHAPES])
def test_kl_independent_matches_torch_with_vjp(torch, shapes, n):
    pl, ps, ql, qs = _normal_params(shapes, 3)
    p, q = nd.Independent(nd.Normal(pl, ps), n), nd.Independent(nd.Normal(ql, qs), n)
    kl = nd.kl_divergence(p, q)
    kl2, vjp = nd.kl_divergence_vjp(p, q)
    np.testing.assert_array_equal(kl, kl2)
    t = {k: _tensor(torch, a, True) for k, a in zip(("pl", "ps", "ql", "qs"), (pl, ps, ql, qs))}
    D = torch.distributions
    tkl = D.kl_divergence(D.Independent(D.Normal(t["pl"], t["ps"]), n), D.Independent(D.Normal(t["ql"], t["qs"]), n))
    assert kl.shape == tuple(tkl.shape) == p.batch_shape
    np.testing.assert_allclose(kl, tkl.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(4).normal(size=kl.shape)
    grads = vjp(g)
    tkl.backward(_tensor(torch, g))
    for side, name, key, arr in (("p", "loc", "pl", pl), ("p", "scale", "ps", ps),
                                 ("q", "loc", "ql", ql), ("q", "scale", "qs", qs)):
        got = grads[side][name]
        assert got.shape == arr.shape, (side, name)
        np.testing.assert_allclose(got, t[key].grad.numpy(), rtol=1e-10, err_msg=f"{side}.{name}")


def test_kl_independent_with_different_ndims_is_not_implemented():
    base = nd.Normal(np.zeros((3, 2)), 1.0)
    with pytest.raises(NotImplementedError):
        nd.kl_divergence(nd.Independent(base, 1), nd.Independent(base, 2))
    with pytest.raises(NotImplementedError):
        nd.kl_divergence_vjp(nd.Independent(base, 1), nd.Independent(base, 2))


def test_kl_between_unrelated_types_is_not_implemented():
    base = nd.Normal(np.zeros((3, 2)), 1.0)
    with pytest.raises(NotImplementedError):
        nd.kl_divergence(base, nd.Independent(base, 1))
    with pytest.raises(NotImplementedError):
        nd.kl_divergence_vjp(nd.Independent(base, 1), base)


# ---------------------------------------------------------------------------------
# Registry dispatch
# ---------------------------------------------------------------------------------
class _A(nd.Normal):
    pass


class _B(nd.Normal):
    pass


class _AA(_A):
    pass


@pytest.fixture
def clean_registry():
    before = dict(kl_module._KL_REGISTRY), dict(kl_module._KL_VJP_REGISTRY)
    yield
    for reg, saved in zip((kl_module._KL_REGISTRY, kl_module._KL_VJP_REGISTRY), before):
        reg.clear()
        reg.update(saved)
    kl_module._dispatch_cache.clear()


def test_subclasses_use_the_parent_rule():
    p, q = _AA(0.0, 1.0), _B(1.0, 2.0)
    np.testing.assert_allclose(nd.kl_divergence(p, q), nd.kl_divergence(nd.Normal(0.0, 1.0), nd.Normal(1.0, 2.0)))


def test_register_kl_most_specific_wins(clean_registry):
    @nd.register_kl(_A, nd.Normal)
    def _kl_a(p, q):
        return np.float64(-1.0)

    assert nd.kl_divergence(_A(0.0, 1.0), nd.Normal(0.0, 2.0)) == -1.0
    assert nd.kl_divergence(_AA(0.0, 1.0), _B(0.0, 2.0)) == -1.0   # (_A, Normal) beats (Normal, Normal)
    assert nd.kl_divergence(nd.Normal(0.0, 1.0), _A(0.0, 2.0)) != -1.0

    @nd.register_kl(_AA, _B)
    def _kl_aa_b(p, q):
        return np.float64(-2.0)

    assert nd.kl_divergence(_AA(0.0, 1.0), _B(0.0, 2.0)) == -2.0   # registering clears the dispatch cache
    assert nd.kl_divergence(_AA(0.0, 1.0), nd.Normal(0.0, 2.0)) == -1.0


def test_register_kl_ambiguous_pair_refused(clean_registry):
    @nd.register_kl(_A, nd.Normal)
    def _kl_1(p, q):
        return 1.0

    @nd.register_kl(nd.Normal, _B)
    def _kl_2(p, q):
        return 2.0

    with pytest.raises(NotImplementedError, match="Ambiguous"):
        nd.kl_divergence(_A(0.0, 1.0), _B(0.0, 1.0))


def test_register_kl_vjp_and_type_checks(clean_registry):
    @nd.register_kl_vjp(_A, _A)
    def _vjp(p, q):
        return np.float64(0.0), lambda g: {"p": {}, "q": {}}

    kl, vjp = nd.kl_divergence_vjp(_A(0.0, 1.0), _A(0.0, 1.0))
    assert kl == 0.0 and vjp(1.0) == {"p": {}, "q": {}}
    with pytest.raises(TypeError):
        nd.register_kl(int, nd.Normal)
    with pytest.raises(TypeError):
        nd.register_kl(nd.Normal, "Normal")

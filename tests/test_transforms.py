"""numdist.transforms against torch.distributions.transforms: forward, inverse and
log_abs_det_jacobian values (1e-12) and their VJPs against torch autograd (1e-10,
float64); stable log-dets at |x| = 40 against mpmath; constraints, shapes, cache;
biject_to / transform_to for every constraint the families use."""
import math

import numpy as np
import pytest

import numdist as nd
from numdist import constraints as C
from numdist import transforms as T

torch = pytest.importorskip("torch")
TT = torch.distributions.transforms
_r = np.random.default_rng(2026)


def _normal(*shape, s=2.0):
    return lambda: _r.normal(size=shape) * s


def _positive(*shape):
    return lambda: np.exp(_r.normal(size=shape))


# id -> (numdist transform, torch transform, input generator)
SPECS = {
    "exp": (lambda M: M.ExpTransform(), _normal(3, 4)),
    "affine-scalar": (lambda M: M.AffineTransform(1.5, -2.0), _normal(3, 4)),
    "affine-event1": (lambda M: M.AffineTransform(_arr(M, [0.5, -1.0, 2.0]), _arr(M, [2.0, -0.5, 3.0]), event_dim=1),
                      _normal(4, 3)),
    "sigmoid": (lambda M: M.SigmoidTransform(), _normal(3, 4, s=4.0)),
    "tanh": (lambda M: M.TanhTransform(), _normal(3, 4, s=1.5)),
    "softplus": (lambda M: M.SoftplusTransform(), _normal(3, 4, s=3.0)),
    "power": (lambda M: M.PowerTransform(_arr(M, [0.5, 1.5, 2.5, -1.3])), _positive(3, 4)),
    "abs": (lambda M: M.AbsTransform(), _normal(3, 4)),
    "stick-breaking": (lambda M: M.StickBreakingTransform(), _normal(3, 4)),
    "softmax": (lambda M: M.SoftmaxTransform(), _normal(3, 5)),
    "lower-cholesky": (lambda M: M.LowerCholeskyTransform(), _normal(2, 3, 3, s=1.0)),
    "positive-definite": (lambda M: M.PositiveDefiniteTransform(), _normal(2, 3, 3, s=0.7)),
    "compose-exp-affine": (lambda M: M.ComposeTransform([M.ExpTransform(), M.AffineTransform(1.0, 3.0)]), _normal(3, 4)),
    "compose-tanh-by-sigmoid": (lambda M: M.ComposeTransform(
        [M.AffineTransform(0.0, 2.0), M.SigmoidTransform(), M.AffineTransform(-1.0, 2.0)]), _normal(5)),
    "compose-event-change": (lambda M: M.ComposeTransform([M.AffineTransform(0.3, 1.5), M.StickBreakingTransform()]),
                             _normal(2, 3)),
    "independent-exp": (lambda M: M.IndependentTransform(M.ExpTransform(), 1), _normal(3, 4)),
    "inverse-exp": (lambda M: M.ExpTransform().inv, _positive(3, 4)),
    "inverse-sigmoid": (lambda M: M.SigmoidTransform().inv, lambda: _r.uniform(0.05, 0.95, size=(3, 4))),
    "inverse-stick-breaking": (lambda M: M.StickBreakingTransform().inv, lambda: _r.dirichlet(np.ones(4), size=3)),
    "identity": (lambda M: M.identity_transform, _normal(3)),
}
IDS = list(SPECS)


def _arr(M, v):
    return np.array(v) if M is T else torch.tensor(v, dtype=torch.float64)


def _pair(name):
    make, gen = SPECS[name]
    return make(T), make(TT), gen()


def _check(actual, expected, rtol, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(float(np.abs(expected).max()) if expected.size else 1.0, 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def _grad(out, leaves, g):
    if not out.requires_grad:
        return [np.zeros(tuple(x.shape)) for x in leaves]
    gr = torch.autograd.grad((out * torch.as_tensor(g)).sum(), leaves, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if r is None else r.numpy() for x, r in zip(leaves, gr)]


@pytest.mark.parametrize("name", IDS)
def test_forward_and_vjp_match_torch(name):
    t, tt, x = _pair(name)
    y, vjp = t.forward_vjp(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = tt(xt)
    _check(y, yt.detach().numpy(), 1e-12, "forward")
    _check(t(x), y, 0, "__call__ vs forward_vjp")
    g = _r.normal(size=y.shape)
    gx = vjp(g)
    assert gx.shape == x.shape and gx.dtype == x.dtype
    _check(gx, _grad(yt, [xt], g)[0], 1e-10, "forward_vjp")


@pytest.mark.parametrize("name", IDS)
def test_inverse_and_vjp_match_torch(name):
    t, tt, x = _pair(name)
    y = np.asarray(tt(torch.tensor(x)).numpy())
    xi, vjp = t.inv_vjp(y)
    yt = torch.tensor(y, requires_grad=True)
    xit = tt.inv(yt)
    _check(xi, xit.detach().numpy(), 1e-12, "inverse")
    _check(t.inv(y), xi, 0, "inv vs inv_vjp")
    g = _r.normal(size=xi.shape)
    gy = vjp(g)
    assert gy.shape == y.shape
    _check(gy, _grad(xit, [yt], g)[0], 1e-10, "inv_vjp")
    # the inverse transform's forward is the same map
    xi2, vjp2 = t.inv.forward_vjp(y)
    _check(xi2, xi, 0, "inv.forward_vjp")
    _check(vjp2(g), gy, 0, "inv.forward_vjp vjp")


@pytest.mark.parametrize("name", IDS)
def test_log_abs_det_jacobian_and_vjp_match_torch(name):
    t, tt, x = _pair(name)
    xt = torch.tensor(x, requires_grad=True)
    y = tt(torch.tensor(x)).numpy()
    yt = torch.tensor(y, requires_grad=True)
    try:
        ladj_t = tt.log_abs_det_jacobian(xt, yt)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            t.log_abs_det_jacobian(x, y)
        with pytest.raises(NotImplementedError):
            t.log_abs_det_jacobian_vjp(x, y)
        return
    ladj, vjp = t.log_abs_det_jacobian_vjp(x, y)
    _check(ladj, ladj_t.detach().numpy(), 1e-12, "log_abs_det_jacobian")
    _check(t.log_abs_det_jacobian(x, y), ladj, 0, "ladj vs ladj_vjp")
    g = _r.normal(size=ladj.shape)
    grads = vjp(g)
    assert set(grads) == {"x", "y"}
    ex, ey = _grad(ladj_t, [xt, yt], g)
    _check(grads["x"], ex, 1e-10, "ladj_vjp x")
    _check(grads["y"], ey, 1e-10, "ladj_vjp y")


@pytest.mark.parametrize("name", IDS)
def test_constraints_shapes_and_sign_match_torch(name):
    t, tt, x = _pair(name)
    for a, b in ((t.domain, tt.domain), (t.codomain, tt.codomain)):
        assert a.event_dim == b.event_dim and a.is_discrete == b.is_discrete
    assert t.bijective == tt.bijective
    assert t.inv.inv is t
    shape = tuple(x.shape)
    assert t.forward_shape(shape) == tuple(tt.forward_shape(torch.Size(shape)))
    yshape = t.forward_shape(shape)
    assert t.inverse_shape(yshape) == tuple(tt.inverse_shape(torch.Size(yshape)))
    try:
        ts = tt.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            t.sign
        return
    np.testing.assert_array_equal(np.asarray(t.sign), np.asarray(ts))


@pytest.mark.parametrize("name", IDS)
def test_zero_size_and_strided_inputs(name):
    """An empty batch gives empty results of the right shapes; a negative-stride,
    read-only view gives what its contiguous copy gives."""
    t, _, x = _pair(name)
    if x.ndim < 2 or "affine-event1" in name or "power" in name:
        return  # no batch dim to empty (or parameters fixing the batch)
    empty = x[:0]
    y, vjp = t.forward_vjp(empty)
    assert y.shape == t.forward_shape(empty.shape) and vjp(np.zeros(y.shape)).shape == empty.shape
    view = x[::-1]
    view.flags.writeable = False
    np.testing.assert_array_equal(t(view), t(np.ascontiguousarray(view)))


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "softplus", "stick-breaking", "compose-exp-affine"])
def test_forward_and_inverse_round_trip(name):
    t, _, x = _pair(name)
    np.testing.assert_allclose(t.inv(t(x)), x, rtol=1e-9, atol=1e-12)


def _mp_ladj(name, x):
    """log |f'(x)| and its derivative in x, 50 digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    f = {"tanh": mpmath.tanh, "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
         "softplus": lambda v: mpmath.log1p(mpmath.exp(v))}[name]
    ladj = lambda v: mpmath.log(abs(mpmath.diff(f, v)))  # noqa: E731
    v = mpmath.mpf(x)
    return float(ladj(v)), float(mpmath.diff(ladj, v))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus"])
@pytest.mark.parametrize("x", [-40.0, -20.0, -3.0, 0.5, 20.0, 40.0])
def test_stable_log_abs_det_jacobian_at_large_inputs(name, x):
    """Finite where the naive log(f'(x)) underflows, equal to mpmath, and so is its VJP."""
    t = {"tanh": T.TanhTransform(), "sigmoid": T.SigmoidTransform(), "softplus": T.SoftplusTransform()}[name]
    xs = np.array([x])
    y = t(xs)
    ladj, vjp = t.log_abs_det_jacobian_vjp(xs, y)
    ref, dref = _mp_ladj(name, x)
    assert np.isfinite(ladj).all()
    np.testing.assert_allclose(ladj[0], ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(vjp(np.ones(1))["x"][0], dref, rtol=1e-12, atol=1e-15)


def test_float32_stays_float32():
    x = _r.normal(size=(3, 4)).astype(np.float32)
    for t in (T.ExpTransform(), T.TanhTransform(), T.SigmoidTransform(), T.SoftplusTransform(),
              T.StickBreakingTransform(), T.AffineTransform(1.0, 2.0)):
        y, vjp = t.forward_vjp(x)
        assert y.dtype == np.float32 and vjp(np.ones(y.shape, np.float32)).dtype == np.float32
        ladj, lvjp = t.log_abs_det_jacobian_vjp(x, y)
        assert ladj.dtype == np.float32
        assert lvjp(np.ones(ladj.shape))["x"].dtype == np.float32


def test_cache_returns_the_input_of_the_last_call():
    t = T.TanhTransform(cache_size=1)
    x = np.array([0.3, 25.0])  # tanh(25) rounds to 1: atanh would give inf
    y = t(x)
    assert t.inv(y) is x
    with np.errstate(divide="ignore"):
        assert np.isinf(T.TanhTransform().inv(y)[1])
    c = T.ComposeTransform([T.ExpTransform(), T.TanhTransform()], cache_size=1)
    assert np.array_equal(c.inv(c(x)), x)
    with pytest.raises(ValueError, match="cache_size"):
        T.ExpTransform(cache_size=2)


def test_equality_follows_torch():
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.TanhTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.PowerTransform(np.ones(2)) != T.PowerTransform(np.ones(3))  # shapes do not broadcast
    assert T.ExpTransform().inv == T.ExpTransform().inv
    assert T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()])


def test_non_numeric_input_is_refused():
    with pytest.raises(TypeError, match="real"):
        T.ExpTransform()(np.array(["a"]))


# -- biject_to / transform_to --------------------------------------------------------------------
def _family_constraints():
    """Every (constraint, shape of a parameter or draw) pair the registry's families use."""
    from registry import CASES

    seen = {}
    for case in CASES:
        d = case.nd()
        pairs = [(type(d).arg_constraints.get(k), np.shape(getattr(d, k))) for k in type(d).arg_constraints
                 if getattr(d, k, None) is not None]
        pairs.append((d.support, d.batch_shape + d.event_shape))
        for c, shape in pairs:
            if c is None or c.is_discrete or C.is_dependent(c) or not shape or 0 in shape:
                continue
            seen.setdefault(repr(c), (c, tuple(shape)))
    return list(seen.values())


FAMILY_CONSTRAINTS = _family_constraints()


@pytest.mark.parametrize("constraint,shape", FAMILY_CONSTRAINTS, ids=[repr(c) for c, _ in FAMILY_CONSTRAINTS])
def test_transform_to_reaches_every_family_constraint(constraint, shape):
    t = nd.transform_to(constraint)
    u = _r.normal(size=t.inverse_shape(shape))
    y, vjp = t.forward_vjp(u)
    assert y.shape == shape
    ok = np.asarray(constraint.check(y))
    assert ok.all(), f"{t!r} left {constraint!r}"
    assert np.isfinite(vjp(np.ones(y.shape))).all()
    try:
        b = nd.biject_to(constraint)
    except NotImplementedError:
        assert isinstance(constraint, (type(C.lower_cholesky), type(C.positive_definite)))  # as torch
        return
    assert b.bijective
    y = b(u)
    assert np.asarray(constraint.check(y)).all()
    np.testing.assert_allclose(b.inv(y), u, rtol=1e-8, atol=1e-10)
    assert np.isfinite(b.log_abs_det_jacobian(u, y)).all()


@pytest.mark.parametrize("make", [
    lambda M: M.constraints.positive, lambda M: M.constraints.greater_than(1.5), lambda M: M.constraints.less_than(-2.0),
    lambda M: M.constraints.unit_interval, lambda M: M.constraints.interval(-1.0, 3.0), lambda M: M.constraints.simplex,
    lambda M: M.constraints.real, lambda M: M.constraints.real_vector,
    lambda M: M.constraints.independent(M.constraints.positive, 1), lambda M: M.constraints.half_open_interval(0.0, 2.0),
], ids=["positive", "greater_than", "less_than", "unit_interval", "interval", "simplex", "real", "real_vector",
        "independent-positive", "half_open_interval"])
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_registries_match_torch(make, registry):
    c, tc = make(nd), make(torch.distributions)
    t, tt = getattr(nd, registry)(c), getattr(torch.distributions, registry)(tc)
    u = _r.normal(size=(3, 4))
    y = t(u)
    np.testing.assert_allclose(y, tt(torch.tensor(u)).numpy(), rtol=1e-12, atol=1e-15)
    if t.bijective:
        np.testing.assert_allclose(t.log_abs_det_jacobian(u, y),
                                   tt.log_abs_det_jacobian(torch.tensor(u), torch.tensor(y)).numpy(), rtol=1e-12, atol=1e-14)


def test_registry_refuses_unknown_constraints():
    with pytest.raises(NotImplementedError, match="Boolean"):
        nd.biject_to(C.boolean)
    with pytest.raises(NotImplementedError):
        nd.biject_to(C.lower_cholesky)  # torch: transform_to only

    class Odd(C.Constraint):
        pass

    nd.transform_to.register(Odd, lambda c: T.ExpTransform())
    assert isinstance(nd.transform_to(Odd()), T.ExpTransform)
    with pytest.raises(TypeError):
        nd.transform_to.register(int, lambda c: T.ExpTransform())


def test_transforms_pickle():
    import pickle

    t = T.ComposeTransform([T.AffineTransform(np.arange(3.0), 2.0), T.ExpTransform()])
    u = pickle.loads(pickle.dumps(t))
    x = _r.normal(size=3)
    np.testing.assert_array_equal(u(x), t(x))
    assert math.isfinite(float(u.inv(u(x))[0]))

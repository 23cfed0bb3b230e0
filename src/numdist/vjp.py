"""Vector-Jacobian products of closed-form expressions, without autograd.

A family writes each closed form (``log_prob``, ``entropy``, a KL pair) once,
as a function of a parameter namespace using NumPy ufuncs and the functions
below. Called on the distribution itself it gives values at NumPy speed;
called on a namespace of :class:`Node` leaves it records the operations and
:func:`closed_form_vjp` runs them backwards. The result is the exact chain rule
of the same formula (what torch autograd computes), with torch's conventions at
kinks (``abs'(0) = 0``, ``clip`` passes the gradient inside its closed bounds).
Broadcasting is undone per operation, so every gradient has its input's shape.
"""
from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Callable, Iterable

import numpy as np

from numdist.utils import reduce_to_shape

__all__ = ["Node", "closed_form_vjp", "kl_vjp", "register_kl_closed_form", "infinite_kl", "where", "clip", "erf", "lgamma", "digamma", "softplus",
           "sigmoid", "log_sigmoid", "xlogy", "logsumexp", "expand_dims", "value_of", "EULER_GAMMA"]

Grads = dict[str, np.ndarray]

EULER_GAMMA = 0.57721566490153286061


class Node:
    """A value in a recorded expression: its array and, per input, the input and
    a function mapping the output cotangent to that input's cotangent."""

    __slots__ = ("value", "parents")
    __array_priority__ = 1000.0

    def __init__(self, value: Any, parents: tuple[tuple["Node", Callable[[np.ndarray], Any]], ...] = ()) -> None:
        self.value = np.asarray(value)
        self.parents = parents

    # shape and dtype so that formulas can ask for them
    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            return NotImplemented
        rule = _UFUNC_RULES.get(ufunc)
        if rule is None:
            raise TypeError(f"numdist.vjp: no derivative rule for np.{ufunc.__name__}")
        return rule(*inputs)

    def __add__(self, o: Any) -> Node: return _add(self, o)
    def __radd__(self, o: Any) -> Node: return _add(o, self)
    def __sub__(self, o: Any) -> Node: return _sub(self, o)
    def __rsub__(self, o: Any) -> Node: return _sub(o, self)
    def __mul__(self, o: Any) -> Node: return _mul(self, o)
    def __rmul__(self, o: Any) -> Node: return _mul(o, self)
    def __truediv__(self, o: Any) -> Node: return _div(self, o)
    def __rtruediv__(self, o: Any) -> Node: return _div(o, self)
    def __neg__(self) -> Node: return _neg(self)
    def __pow__(self, o: Any) -> Node: return _pow(self, o)
    def __abs__(self) -> Node: return _abs(self)

    # comparisons give plain boolean arrays (no gradient flows through a test)
    def __lt__(self, o: Any) -> Any: return self.value < value_of(o)
    def __le__(self, o: Any) -> Any: return self.value <= value_of(o)
    def __gt__(self, o: Any) -> Any: return self.value > value_of(o)
    def __ge__(self, o: Any) -> Any: return self.value >= value_of(o)

    def __getitem__(self, index: Any) -> Node:
        def back(g: np.ndarray) -> np.ndarray:
            full = np.zeros(self.value.shape, dtype=g.dtype)
            np.add.at(full, index, g)
            return full
        return Node(self.value[index], ((self, back),))

    def sum(self, axis: Any = None, keepdims: bool = False) -> Node:
        shape = self.value.shape

        def back(g: np.ndarray) -> np.ndarray:
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return np.broadcast_to(g, shape)
        return Node(self.value.sum(axis=axis, keepdims=keepdims), ((self, back),))


def value_of(x: Any) -> Any:
    """The array behind ``x`` (``x`` itself when it is not a :class:`Node`)."""
    return x.value if isinstance(x, Node) else x


def _make(value: Any, *pairs: tuple[Any, Callable[[np.ndarray], Any]]) -> Node:
    return Node(value, tuple((x, fn) for x, fn in pairs if isinstance(x, Node)))


def _add(a: Any, b: Any) -> Node:
    return _make(value_of(a) + value_of(b), (a, lambda g: g), (b, lambda g: g))


def _sub(a: Any, b: Any) -> Node:
    return _make(value_of(a) - value_of(b), (a, lambda g: g), (b, lambda g: -g))


def _mul(a: Any, b: Any) -> Node:
    va, vb = value_of(a), value_of(b)
    return _make(va * vb, (a, lambda g: g * vb), (b, lambda g: g * va))


def _div(a: Any, b: Any) -> Node:
    va, vb = value_of(a), value_of(b)
    out = va / vb
    return _make(out, (a, lambda g: g / vb), (b, lambda g: -g * out / vb))


def _neg(a: Any) -> Node:
    return _make(-value_of(a), (a, lambda g: -g))


def _pow(a: Any, b: Any) -> Node:
    if isinstance(b, Node):
        raise TypeError("numdist.vjp: only constant exponents are supported")
    va = value_of(a)
    if b == 2:
        return _make(va * va, (a, lambda g: 2 * g * va))
    return _make(va ** b, (a, lambda g: g * b * va ** (b - 1)))


def _abs(a: Any) -> Node:
    va = value_of(a)
    return _make(np.abs(va), (a, lambda g: g * np.sign(va)))


def _unary(fn: Callable[[Any], Any], deriv: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    """A function that is NumPy's on arrays and records itself on Nodes;
    ``deriv(x, y)`` is dy/dx given input and output values."""
    def apply(x: Any) -> Any:
        if not isinstance(x, Node):
            return fn(x)
        vx = x.value
        y = fn(vx)
        return Node(y, ((x, lambda g: g * deriv(vx, y)),))
    return apply


_UFUNC_RULES: dict[np.ufunc, Callable[..., Node]] = {
    np.add: _add, np.subtract: _sub, np.multiply: _mul, np.true_divide: _div, np.negative: _neg,
    np.absolute: _abs, np.power: _pow,
    np.square: lambda a: _pow(a, 2),
    np.sqrt: _unary(np.sqrt, lambda x, y: 0.5 / y),
    np.exp: _unary(np.exp, lambda x, y: y),
    np.expm1: _unary(np.expm1, lambda x, y: y + 1),
    np.log: _unary(np.log, lambda x, y: 1 / x),
    np.log1p: _unary(np.log1p, lambda x, y: 1 / (1 + x)),
    np.tanh: _unary(np.tanh, lambda x, y: 1 - y * y),
    np.reciprocal: lambda a: _div(1.0, a),
}


def where(cond: Any, a: Any, b: Any) -> Any:
    """``np.where`` that passes each branch's gradient where it was chosen."""
    c = np.asarray(value_of(cond))
    out = np.where(c, value_of(a), value_of(b))
    if not isinstance(a, Node) and not isinstance(b, Node):
        return out
    zero = np.zeros((), dtype=out.dtype)
    return _make(out, (a, lambda g: np.where(c, g, zero)), (b, lambda g: np.where(c, zero, g)))


def clip(x: Any, lo: float, hi: float) -> Any:
    """``np.clip``; the gradient passes where ``lo <= x <= hi`` (torch's clamp)."""
    vx = value_of(x)
    out = np.clip(vx, lo, hi)
    if not isinstance(x, Node):
        return out
    inside = (vx >= lo) & (vx <= hi)
    return Node(out, ((x, lambda g: np.where(inside, g, 0)),))


_erf = np.frompyfunc(math.erf, 1, 1)


def _as_float(y: Any, like: Any) -> Any:
    dt = np.result_type(like, np.float32) if np.asarray(like).dtype.kind == "f" else np.float64
    return np.asarray(y, dtype=dt)[()]


def _erf_value(x: Any) -> Any:
    return _as_float(_erf(x), x)


def _special_value(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A float64 C special function of numdist._special, returned in the input's float dtype."""
    def apply(x: Any) -> Any:
        return _as_float(fn(np.asarray(x, dtype=np.float64)), x)
    return apply


def _c_special(name: str) -> Callable[[Any], Any]:
    from numdist import _special

    return _special_value(getattr(_special, name))


erf = _unary(_erf_value, lambda x, y: (2 / math.sqrt(math.pi)) * np.exp(-x * x))
digamma = _unary(_c_special("digamma"), lambda x, y: _c_special("trigamma")(x))
lgamma = _unary(_c_special("lgamma"), lambda x, y: _c_special("digamma")(x))


def _softplus_value(x: Any) -> Any:
    return np.logaddexp(0, x)


def _sigmoid_value(x: Any) -> Any:
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))[()]


softplus = _unary(_softplus_value, lambda x, y: _sigmoid_value(x))
sigmoid = _unary(_sigmoid_value, lambda x, y: y * (1 - y))
log_sigmoid = _unary(lambda x: -_softplus_value(-np.asarray(x)), lambda x, y: _sigmoid_value(-np.asarray(x)))


def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)``, 0 where ``x == 0`` (gradient in y also 0 there)."""
    vx, vy = value_of(x), value_of(y)
    zero = vx == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(zero, 0.0, vx * np.log(np.where(zero, 1.0, vy)))
        if not isinstance(x, Node) and not isinstance(y, Node):
            return out[()]
        logy = np.log(np.where(zero, 1.0, vy))
        return _make(out, (x, lambda g: np.where(zero, 0.0, g * logy)),
                     (y, lambda g: np.where(zero, 0.0, g * vx / np.where(zero, 1.0, vy))))


def expand_dims(x: Any, axis: int) -> Any:
    """``np.expand_dims`` that records itself on Nodes."""
    vx = value_of(x)
    out = np.expand_dims(vx, axis)
    if not isinstance(x, Node):
        return out
    return Node(out, ((x, lambda g: np.squeeze(g, axis)),))


def logsumexp(x: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` along ``axis``, stable; its gradient is the softmax
    (0 for -inf entries, and for rows that are all -inf)."""
    from numdist.utils import logsumexp as _lse

    vx = value_of(x)
    out = _lse(vx, axis=axis, keepdims=keepdims)
    if not isinstance(x, Node):
        return out

    def back(g: np.ndarray) -> np.ndarray:
        gk = g if keepdims else np.expand_dims(g, axis)
        ok = out if keepdims else np.expand_dims(out, axis)
        with np.errstate(invalid="ignore"):
            soft = np.exp(vx - ok)
        return gk * np.where(np.isfinite(ok), soft, 0)

    return Node(out, ((x, back),))


# -- running an expression backwards ----------------------------------------------------
def _backward(out: Node, g: np.ndarray) -> dict[int, np.ndarray]:
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(out, False)]
    while stack:  # iterative post-order DFS: parents before children in `order`
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p, _ in node.parents if id(p) not in seen)
    grads: dict[int, np.ndarray] = {id(out): g}
    for node in reversed(order):
        gn = grads.get(id(node))
        if gn is None:
            continue
        for parent, fn in node.parents:
            contrib = reduce_to_shape(np.asarray(fn(gn)), parent.value.shape)
            key = id(parent)
            grads[key] = grads[key] + contrib if key in grads else contrib
    return grads


def _leaves(dist: Any, names: Iterable[str]) -> dict[str, Node]:
    """One leaf per parameter, holding its value as given (before any normalisation)."""
    given = dist._validation_values()
    return {name: Node(given[name] if name in given else getattr(dist, name)) for name in names}


def _namespace(dist: Any, leaves: dict[str, Node]) -> Any:
    """What a formula sees in place of ``dist``: its derived quantities built from
    the leaves (``dist._vjp_namespace``, e.g. logits from probs) or the leaves."""
    build = getattr(dist, "_vjp_namespace", None)
    if build is not None:
        return build(leaves)
    return SimpleNamespace(**leaves)


def _pull(out: Any, g: Any, leaves: dict[str, Node], dtype: np.dtype) -> dict[str, np.ndarray]:
    from numdist.utils import as_cotangent

    value = value_of(out)
    if not isinstance(out, Node):  # the expression does not depend on the leaves
        return {k: np.zeros(n.value.shape, dtype=dtype) for k, n in leaves.items()}
    grads = _backward(out, as_cotangent(g, np.shape(value), dtype))
    return {k: grads.get(id(n), np.zeros(n.value.shape, dtype=dtype)) for k, n in leaves.items()}


def closed_form_vjp(fn: Callable[..., Any], dist: Any, value: np.ndarray | None = None,
                    value_shape: tuple[int, ...] | None = None,
                    value_dtype: np.dtype | None = None) -> tuple[np.ndarray, Callable[[Any], Grads]]:
    """``(fn(dist[, value]), vjp)``; ``vjp(g)`` gives each parameter the distribution
    was built with its gradient (shape and dtype as passed, through ``dist._grad``)
    and, when ``value`` is given, ``"value"`` (``value_shape``/``value_dtype``)."""
    from numdist.utils import sum_to_shape

    names = list(dist._params)
    leaves = _leaves(dist, names)
    ns = _namespace(dist, leaves)
    if value is None:
        out = fn(ns)
    else:
        leaves["value"] = Node(value)
        out = fn(ns, leaves["value"])
    result = np.asarray(value_of(out))
    dtype = result.dtype

    def vjp(g: Any) -> Grads:
        raw = _pull(out, g, leaves, dtype)
        grads = {name: dist._grad(name, raw[name]) for name in names}
        if value is not None:
            grads["value"] = sum_to_shape(raw["value"], value_shape if value_shape is not None else value.shape,
                                          value_dtype if value_dtype is not None else dtype)
        return grads

    return result, vjp


def kl_vjp(fn: Callable[[Any, Any], Any], p: Any, q: Any) -> tuple[np.ndarray, Callable[[Any], dict[str, Grads]]]:
    """``(fn(p, q), vjp)`` with ``vjp(g) -> {"p": {...}, "q": {...}}`` (see :func:`closed_form_vjp`)."""
    pn, qn = list(p._params), list(q._params)
    pl, ql = _leaves(p, pn), _leaves(q, qn)
    out = fn(_namespace(p, pl), _namespace(q, ql))
    result = np.asarray(value_of(out))

    def vjp(g: Any) -> dict[str, Grads]:
        both = {**{("p", k): v for k, v in pl.items()}, **{("q", k): v for k, v in ql.items()}}
        raw = _pull(out, g, {f"{a}.{k}": v for (a, k), v in both.items()}, result.dtype)
        return {"p": {k: p._grad(k, raw[f"p.{k}"]) for k in pn},
                "q": {k: q._grad(k, raw[f"q.{k}"]) for k in qn}}

    return result, vjp


def register_kl_closed_form(type_p: type, type_q: type) -> Callable[[Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]:
    """Register ``fn(p, q)``, a closed form written with ufuncs and this module's
    functions, as both ``kl_divergence`` and ``kl_divergence_vjp`` for the pair."""
    from numdist.kl import register_kl, register_kl_vjp

    def decorator(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        register_kl(type_p, type_q)(fn)
        register_kl_vjp(type_p, type_q)(lambda p, q: kl_vjp(fn, p, q))
        return fn

    return decorator


def infinite_kl(param: str) -> Callable[[Any, Any], Any]:
    """A KL that is infinite (``q``'s support misses part of ``p``'s), shaped like
    ``p.<param>`` as torch's ``_infinite_like``; its gradient is zero."""
    def fn(p: Any, q: Any) -> Any:
        v = value_of(getattr(p, param))
        return np.full(np.shape(v), np.inf, dtype=v.dtype)
    return fn


# -- functions of arrays (transforms): cumulative sums and products, padding, powers ----------
# Appended for numdist.transforms: a transform's forward, inverse and log-det are written
# once with ufuncs and these, and function_vjp records them to give their VJPs.
__all__ += ["function_vjp", "cumsum", "cumprod", "pad_last", "power", "atanh"]

_UFUNC_RULES[np.arctanh] = _unary(np.arctanh, lambda x, y: 1 / (1 - x * x))
atanh = _UFUNC_RULES[np.arctanh]


def cumsum(x: Any, axis: int = -1) -> Any:
    """``np.cumsum`` along ``axis``; its VJP is the reversed cumulative sum of the cotangent."""
    vx = value_of(x)
    out = np.cumsum(vx, axis=axis)
    if not isinstance(x, Node):
        return out

    def back(g: np.ndarray) -> np.ndarray:
        return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)

    return Node(out, ((x, back),))


def cumprod(x: Any, axis: int = -1) -> Any:
    """``np.cumprod`` along ``axis`` of entries that are nonzero (the VJP divides by them:
    d c_k / d x_i = c_k / x_i for i <= k)."""
    vx = value_of(x)
    out = np.cumprod(vx, axis=axis)
    if not isinstance(x, Node):
        return out

    def back(g: np.ndarray) -> np.ndarray:
        tail: np.ndarray = np.flip(np.cumsum(np.flip(g * out, axis), axis=axis), axis) / vx
        return tail

    return Node(out, ((x, back),))


def pad_last(x: Any, before: int, after: int, value: float) -> Any:
    """``x`` with ``before``/``after`` entries equal to ``value`` added along the last axis
    (torch's ``pad(x, [before, after], value=value)``)."""
    vx = value_of(x)
    widths = [(0, 0)] * (np.ndim(vx) - 1) + [(before, after)]
    out = np.pad(vx, widths, constant_values=value)
    if not isinstance(x, Node):
        return out
    n = np.shape(vx)[-1]
    return Node(out, ((x, lambda g: g[..., before:before + n]),))


def power(x: Any, exponent: Any) -> Any:
    """``x ** exponent`` with a constant (array) ``exponent`` (torch's ``pow``); the VJP
    is ``g * exponent * x ** (exponent - 1)``."""
    vx = value_of(x)
    out = vx ** exponent
    if not isinstance(x, Node):
        return out
    return Node(out, ((x, lambda g: g * exponent * vx ** (exponent - 1)),))


def function_vjp(fn: Callable[..., Any], *args: np.ndarray) -> tuple[np.ndarray, Callable[[Any], tuple[np.ndarray, ...]]]:
    """``(fn(*args), vjp)`` for ``fn`` written with NumPy ufuncs and this module's functions;
    ``vjp(g)`` gives one gradient per argument, shaped and typed like it (broadcast dims
    summed away), the exact chain rule of ``fn``'s formula."""
    from numdist.utils import as_cotangent

    arrays = [np.asarray(a) for a in args]
    leaves = [Node(a) for a in arrays]
    out = fn(*leaves)
    value = np.asarray(value_of(out))

    def vjp(g: Any) -> tuple[np.ndarray, ...]:
        if not isinstance(out, Node):
            return tuple(np.zeros(a.shape, dtype=a.dtype) for a in arrays)
        grads = _backward(out, as_cotangent(g, value.shape, value.dtype))
        result = []
        for a, leaf in zip(arrays, leaves):
            gr = grads.get(id(leaf))
            gr = np.zeros(a.shape, dtype=a.dtype) if gr is None else reduce_to_shape(np.asarray(gr), a.shape)
            result.append(np.array(np.broadcast_to(gr, a.shape), dtype=a.dtype if a.dtype.kind == "f" else value.dtype))
        return tuple(result)

    return value, vjp


# -- matrices (PositiveDefiniteTransform) -------------------------------------------------------
__all__ += ["matmul", "matrix_transpose", "cholesky"]


def matrix_transpose(x: Any) -> Any:
    """``x`` with its last two dims swapped."""
    vx = value_of(x)
    out = np.swapaxes(vx, -1, -2)
    if not isinstance(x, Node):
        return out
    return Node(out, ((x, lambda g: np.swapaxes(g, -1, -2)),))


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` over batched matrices; VJPs ``g @ b^T`` and ``a^T @ g`` (broadcast batch
    dims summed back by the backward pass)."""
    va, vb = value_of(a), value_of(b)
    out = va @ vb
    if not isinstance(a, Node) and not isinstance(b, Node):
        return out
    return _make(out, (a, lambda g: g @ np.swapaxes(vb, -1, -2)), (b, lambda g: np.swapaxes(va, -1, -2) @ g))


def cholesky(a: Any) -> Any:
    """Lower Cholesky factor ``L`` of symmetric positive definite ``a`` (NumPy's); the VJP
    is torch's symmetric rule ``L^-T sym(tril(L^T gL)) L^-1`` with ``sym(T)`` the
    symmetric matrix of ``T``'s lower triangle and half its diagonal."""
    va = value_of(a)
    L = np.linalg.cholesky(va)
    if not isinstance(a, Node):
        return L

    def back(g: np.ndarray) -> np.ndarray:
        t = np.tril(np.swapaxes(L, -1, -2) @ g)
        m = 0.5 * (t + np.swapaxes(np.tril(t, -1), -1, -2))
        # L^-T m L^-1 by two solves: x = L^-T m, then (L^-T (x^T))^T = x L^-1 (x symmetric)
        lt = np.swapaxes(L, -1, -2)
        x = np.linalg.solve(lt, m)
        return np.swapaxes(np.linalg.solve(lt, np.swapaxes(x, -1, -2)), -1, -2)

    return Node(L, ((a, back),))

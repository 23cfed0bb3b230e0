"""KL divergence registry (as ``torch.distributions.kl``) with VJPs.

``register_kl(P, Q)`` registers ``fn(p, q) -> kl``; ``register_kl_vjp(P, Q)``
registers ``fn(p, q) -> (kl, vjp)`` with ``vjp(g) -> {"p": {...}, "q": {...}}``.
Dispatch picks the most specific registered pair by class hierarchy, and
refuses an ambiguous pair rather than guessing.

This module is only the registry: each family module registers its own pairs
(Normal-Normal in ``normal.py``, ...), importing this one; it imports no family.
"""
from __future__ import annotations

from functools import total_ordering
from typing import Any, Callable, TypeVar, cast

import numpy as np

from numdist.distribution import Distribution

__all__ = ["register_kl", "register_kl_vjp", "kl_divergence", "kl_divergence_vjp", "register_summed_kl_vjp",
           "summed_kl_divergence_vjp"]

KLFn = Callable[[Any, Any], np.ndarray]  # fn(p, q) -> kl
KLVJP = Callable[[Any], dict[str, dict[str, np.ndarray]]]  # vjp(g) -> {"p": {...}, "q": {...}}
KLVJPFn = Callable[[Any, Any], tuple[np.ndarray, KLVJP]]  # fn(p, q) -> (kl, vjp)

_F = TypeVar("_F", bound=Callable[..., Any])
_KLFnT = TypeVar("_KLFnT", bound=KLFn)
_KLVJPFnT = TypeVar("_KLVJPFnT", bound=KLVJPFn)

_KL_REGISTRY: dict[tuple[type, type], KLFn] = {}
_KL_VJP_REGISTRY: dict[tuple[type, type], KLVJPFn] = {}
_dispatch_cache: dict[tuple[int, type, type], Callable[..., Any] | None] = {}
SummedKLVJPFn = Callable[[Any, Any, int], "tuple[np.ndarray, KLVJP] | None"]
#: a pair's registered KL VJP -> fn(p, q, n): its KL summed over the n rightmost batch dims
#: and the VJP of that sum, in one pass (None: not for these operands)
_SUMMED_KL_VJP: dict[Callable[..., Any], SummedKLVJPFn] = {}


def _register(registry: dict[tuple[type, type], Any], type_p: type[Distribution],
              type_q: type[Distribution]) -> Callable[[_F], _F]:
    for t in (type_p, type_q):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"register_kl expects subclasses of Distribution, got {t!r}")

    def decorator(fn: _F) -> _F:
        registry[type_p, type_q] = fn
        _dispatch_cache.clear()
        return fn

    return decorator


def register_kl(type_p: type[Distribution], type_q: type[Distribution]) -> Callable[[_KLFnT], _KLFnT]:
    """Decorator registering ``fn(p, q)`` as ``KL(p || q)`` for ``p: type_p``, ``q: type_q``.

    Examples
    --------
    >>> import numdist as nd
    >>> class MyNormal(nd.Normal):
    ...     pass
    >>> @nd.register_kl(MyNormal, MyNormal)
    ... def _kl_mine(p, q):
    ...     return 0.0 * p.loc
    >>> float(nd.kl_divergence(MyNormal(0.0, 1.0), MyNormal(1.0, 1.0)))
    0.0
    """
    return _register(_KL_REGISTRY, type_p, type_q)


def register_kl_vjp(type_p: type[Distribution], type_q: type[Distribution]) -> Callable[[_KLVJPFnT], _KLVJPFnT]:
    """Decorator registering ``fn(p, q) -> (kl, vjp)`` for :func:`kl_divergence_vjp`.

    Examples
    --------
    >>> import numdist as nd
    >>> class Point(nd.Normal):
    ...     pass
    >>> @nd.register_kl_vjp(Point, Point)
    ... def _kl_point_vjp(p, q):
    ...     return 0.0 * p.loc, lambda g: {"p": {}, "q": {}}
    >>> kl, vjp = nd.kl_divergence_vjp(Point(0.0, 1.0), Point(2.0, 1.0))
    >>> float(kl), vjp(1.0)
    (0.0, {'p': {}, 'q': {}})
    """
    return _register(_KL_VJP_REGISTRY, type_p, type_q)


@total_ordering
class _Match:
    """Orders candidate (P, Q) pairs lexicographically by specificity (as torch): the
    first types decide unless they are the same class. Dispatch takes the minimum in
    (P, Q) order and in (Q, P) order; when the two disagree the pair is ambiguous."""

    def __init__(self, *types: type) -> None:
        self.types = types

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Match) and self.types == other.types

    def __le__(self, other: "_Match") -> bool:
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


def _dispatch(registry: dict[tuple[type, type], _F], type_p: type, type_q: type) -> _F | None:
    key = (id(registry), type_p, type_q)
    if key in _dispatch_cache:
        # the entries keyed by id(registry) were found in that registry
        return cast("_F | None", _dispatch_cache[key])
    matches = [(p, q) for p, q in registry if issubclass(type_p, p) and issubclass(type_q, q)]
    fn = None
    if matches:
        left_p, left_q = min(_Match(*m) for m in matches).types
        right_q, right_p = min(_Match(*reversed(m)) for m in matches).types
        left, right = registry[left_p, left_q], registry[right_p, right_q]
        if left is not right:
            raise NotImplementedError(
                f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}): both "
                f"({left_p.__name__}, {left_q.__name__}) and ({right_p.__name__}, {right_q.__name__}) "
                "match; register the exact pair to resolve it")
        fn = left
    _dispatch_cache[key] = fn
    return fn


def kl_divergence(p: Distribution, q: Distribution) -> np.ndarray:
    """``KL(p || q)`` over the broadcast batch shape.

    Examples
    --------
    >>> import numdist as nd
    >>> float(nd.kl_divergence(nd.Normal(0.0, 1.0), nd.Normal(1.0, 1.0)))
    0.5
    """
    fn = _dispatch(_KL_REGISTRY, type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


def kl_divergence_vjp(p: Distribution, q: Distribution) -> tuple[np.ndarray, KLVJP]:
    """``(kl, vjp)`` with ``vjp(g) -> {"p": {param: grad}, "q": {param: grad}}``.

    Examples
    --------
    >>> import numdist as nd
    >>> kl, vjp = nd.kl_divergence_vjp(nd.Normal(0.0, 1.0), nd.Normal(1.0, 2.0))
    >>> sorted(vjp(1.0)["q"])
    ['loc', 'scale']
    """
    fn = _dispatch(_KL_VJP_REGISTRY, type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) gradient is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


def register_summed_kl_vjp(pair_vjp: KLVJPFn) -> Callable[[SummedKLVJPFn], SummedKLVJPFn]:
    """Decorator attaching ``fn(p, q, n) -> (kl summed over the n rightmost batch dims,
    vjp of that sum)`` (or None when it does not apply) to the registered pair VJP
    ``pair_vjp``: ``Independent`` pairs use it instead of summing the per-element KL
    and spreading the cotangent back. It must give the numbers of the sum of
    ``pair_vjp``'s KL and of its VJP."""
    def decorator(fn: SummedKLVJPFn) -> SummedKLVJPFn:
        _SUMMED_KL_VJP[pair_vjp] = fn
        return fn

    return decorator


def summed_kl_divergence_vjp(p: Distribution, q: Distribution, n: int) -> tuple[np.ndarray, KLVJP] | None:
    """The summed KL VJP of the pair (:func:`register_summed_kl_vjp`) for the function
    :func:`kl_divergence_vjp` dispatches to, or None."""
    fn = _dispatch(_KL_VJP_REGISTRY, type(p), type(q))
    summed = _SUMMED_KL_VJP.get(fn) if fn is not None else None
    return None if summed is None else summed(p, q, n)

"""``biject_to`` and ``transform_to``: from unconstrained space to a constraint, as
``torch.distributions.constraint_registry``.

``biject_to(c)`` is a bijection from the reals (of ``c.event_dim`` dims) onto ``c``
with a log-det (for densities: HMC, unconstrained variational inference);
``transform_to(c)`` is any map onto ``c`` (for optimising a parameter). So a
parameter is optimised in plain NumPy as ``theta = t(u)`` with ``u`` free and the
gradient pulled back by ``t.forward_vjp(u)``::

    t = nd.biject_to(nd.Gamma.arg_constraints["rate"])   # ExpTransform
    rate, pull = t.forward_vjp(u)
    grad_u = pull(grad_rate)

Lookup is by the constraint's class (a new constraint class registers its factory
with ``biject_to.register(ConstraintClass, factory)``); the factory receives the
constraint instance (its bounds).
"""
from __future__ import annotations

from typing import Any, Callable, overload

import numpy as np

from numdist import constraints as C
from numdist import transforms as T

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]

Factory = Callable[[Any], T.Transform]


class ConstraintRegistry:
    """Maps constraint classes to factories ``factory(constraint) -> Transform``;
    ``numdist.biject_to`` and ``numdist.transform_to`` are the two instances.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> nd.biject_to(nd.constraints.positive)
    ExpTransform()
    >>> t = nd.biject_to(nd.constraints.simplex)
    >>> y = t(np.zeros(3))
    >>> y.round(3).tolist(), nd.constraints.simplex.check(y)
    ([0.25, 0.25, 0.25, 0.25], np.True_)
    >>> nd.transform_to(nd.constraints.simplex)
    SoftmaxTransform()
    """

    def __init__(self) -> None:
        self._registry: dict[type, Factory] = {}

    @overload
    def register(self, constraint: Any, factory: None = None) -> Callable[[Factory], Factory]: ...

    @overload
    def register(self, constraint: Any, factory: Factory) -> Factory: ...

    def register(self, constraint: Any, factory: Factory | None = None) -> Any:
        """Register ``factory`` for ``constraint`` (a Constraint subclass or an instance,
        which stands for its class); usable as a decorator."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, C.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, C.Constraint)):
            raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint: C.Constraint) -> T.Transform:
        """The transform from unconstrained space onto ``constraint``."""
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(
                f"Cannot transform {type(constraint).__name__.lstrip('_')} constraints") from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(*constraint_types: Any) -> Callable[[Factory], Factory]:
    def decorator(factory: Factory) -> Factory:
        for c in constraint_types:
            biject_to.register(c, factory)
            transform_to.register(c, factory)
        return factory
    return decorator


def _is_number(x: Any, value: float) -> bool:
    return np.ndim(x) == 0 and float(x) == value


@_both(C.real, C.finite)
def _identity(constraint: Any) -> T.Transform:
    return T.identity_transform


@_both(C.independent)
def _independent(constraint: Any) -> T.Transform:
    base = biject_to(constraint.base_constraint)
    return T.IndependentTransform(base, constraint.reinterpreted_batch_ndims)


@_both(C.greater_than, C.greater_than_eq, C.positive_finite, C.nonnegative_finite)
def _greater_than(constraint: Any) -> T.Transform:
    """``exp``, shifted by a nonzero lower bound."""
    if _is_number(constraint.lower_bound, 0.0):
        return T.ExpTransform()
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(constraint.lower_bound, 1)])


@_both(C.less_than)
def _less_than(constraint: Any) -> T.Transform:
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(constraint.upper_bound, -1)])


@_both(C.interval, C.half_open_interval, C.open_interval, C.left_open_interval)
def _interval(constraint: Any) -> T.Transform:
    """``sigmoid`` onto (0, 1), scaled onto other bounds (array bounds: one interval
    per batch element, e.g. Uniform's support)."""
    if _is_number(constraint.lower_bound, 0.0) and _is_number(constraint.upper_bound, 1.0):
        return T.SigmoidTransform()
    loc = constraint.lower_bound
    return T.ComposeTransform([T.SigmoidTransform(), T.AffineTransform(loc, constraint.upper_bound - loc)])


@biject_to.register(C.simplex)
def _biject_to_simplex(constraint: Any) -> T.Transform:
    return T.StickBreakingTransform()


@transform_to.register(C.simplex)
def _transform_to_simplex(constraint: Any) -> T.Transform:
    return T.SoftmaxTransform()


@_both(C.unnormalized_simplex)
def _unnormalized_simplex(constraint: Any) -> T.Transform:
    """Positive weights (their sum then positive): ``exp`` of each entry."""
    return T.IndependentTransform(T.ExpTransform(), 1)


@_both(C.logits_vector)
def _logits_vector(constraint: Any) -> T.Transform:
    return T.IndependentTransform(T.identity_transform, 1)


@transform_to.register(C.lower_cholesky)
def _transform_to_lower_cholesky(constraint: Any) -> T.Transform:
    return T.LowerCholeskyTransform()


@transform_to.register(C.positive_definite)
def _transform_to_positive_definite(constraint: Any) -> T.Transform:
    return T.PositiveDefiniteTransform()

"""TransformedDistribution: a base distribution pushed through a list of transforms.

``Y = f(X)`` with ``X ~ base_distribution`` and ``f = transforms[-1] o ... o
transforms[0]``; ``log p(y) = log p_X(f^-1(y)) - log |det df/dx|``. Shapes as
torch: the event shape is the larger of the base's and the transforms'. The
VJPs chain the transforms' VJPs (:mod:`numdist.transforms`) back to the base's
parameters, so the gradient dict is the base's, unchanged (``"value"`` added by
``log_prob_vjp``); transform parameters are constants.
"""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from numdist import constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.independent import Independent
from numdist.kl import KLVJP, kl_divergence, kl_divergence_vjp, register_kl, register_kl_vjp
from numdist.transforms import ComposeTransform, Transform
from numdist.utils import as_cotangent, reduce_to_shape, sum_rightmost, sum_to_shape, value_dtype

__all__ = ["TransformedDistribution"]


def _spread(g: np.ndarray, shape: tuple[int, ...], n: int) -> np.ndarray:
    """The cotangent of ``term`` (``shape``) for ``out = ... + sum_rightmost(term, n)``
    broadcast, given ``out``'s cotangent ``g``."""
    lead = shape[: len(shape) - n]
    g = reduce_to_shape(np.asarray(g), lead) if g.ndim >= len(lead) else g
    g = np.broadcast_to(g, np.broadcast_shapes(g.shape, lead))
    return np.broadcast_to(g.reshape(g.shape + (1,) * n), shape)


def _dtype_of(d: Distribution) -> np.dtype:
    while not hasattr(d, "dtype"):
        d = getattr(d, "base_dist")
    return np.dtype(getattr(d, "dtype"))


class TransformedDistribution(Distribution):
    """``Y = transforms[-1](... transforms[0](X))``, ``X ~ base_distribution``.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> from numdist.transforms import TanhTransform
    >>> d = nd.TransformedDistribution(nd.Normal(np.zeros(2), 1.0), [TanhTransform(cache_size=1)])
    >>> y, rs_vjp = d.rsample_vjp((5,), rng=0)
    >>> lp, lp_vjp = d.log_prob_vjp(y)
    >>> y.shape, lp.shape, sorted(lp_vjp(np.ones(lp.shape)))
    ((5, 2), (5, 2), ['loc', 'scale', 'value'])
    """

    arg_constraints: dict[str, constraints.Constraint] = {}

    def __init__(self, base_distribution: Distribution, transforms: Transform | Sequence[Transform],
                 validate_args: bool | None = None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"base_distribution must be a numdist Distribution, got {type(base_distribution).__name__}")
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, (list, tuple)):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = list(transforms)
        else:
            raise ValueError(f"transforms must be a Transform or list, but was {transforms!r}")
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{transform.domain.event_dim}, but got {base_shape}.")
        forward_shape = transform.forward_shape(base_shape)
        expanded_base_shape = transform.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            base_batch = expanded_base_shape[: len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch)
        reinterpreted = transform.domain.event_dim - base_event_dim
        if reinterpreted > 0:
            base_distribution = Independent(base_distribution, reinterpreted, validate_args=False)
        self.base_dist = base_distribution
        self.dtype = _dtype_of(base_distribution)
        event_dim = max(transform.codomain.event_dim,
                        base_event_dim + transform.codomain.event_dim - transform.domain.event_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Any:
        new = self._get_checked_instance(TransformedDistribution, _instance)
        batch_shape = self._expand_shape(batch_shape)
        shape: tuple[int, ...] = batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        base_batch = shape[: len(shape) - len(self.base_dist.event_shape)]
        new.base_dist = self.base_dist.expand(base_batch)
        new.transforms = self.transforms
        new.dtype = self.dtype
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        if not self.transforms:
            return self.base_dist.support  # type: ignore[return-value]
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    # -- parameters of the derived families, validated by name ---------------------------
    def _validation_values(self) -> dict[str, Any]:
        """A derived family (LogNormal, ...) exposes its parameters as properties of its
        base: validate those by name, so messages name the family and the parameter."""
        if self.__dict__.get("_params"):
            return super()._validation_values()
        return {name: getattr(self, name) for name in self.arg_constraints}

    # -- sampling -------------------------------------------------------------------------
    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        x = self.base_dist.sample(sample_shape, rng=rng)
        for t in self.transforms:
            x = t(x)
        return x

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        if not self.has_rsample:
            raise NotImplementedError(f"{type(self).__name__} has no rsample: its base has none")
        x = self.base_dist.rsample(sample_shape, rng=rng)
        for t in self.transforms:
            x = t(x)
        return x

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """The base's ``rsample_vjp`` followed by each transform's ``forward_vjp``; the
        gradient dict is the base's."""
        if not self.has_rsample:
            raise NotImplementedError(f"{type(self).__name__} has no rsample: its base has none")
        x, base_vjp = self.base_dist.rsample_vjp(sample_shape, rng=rng)
        steps: list[tuple[tuple[int, ...], Callable[[Any], np.ndarray]]] = []
        for t in self.transforms:
            shape_in = np.shape(x)
            x, step = t.forward_vjp(x)
            steps.append((shape_in, step))
        y = x

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            gx = as_cotangent(g, np.shape(y), y.dtype)
            for shape_in, step in reversed(steps):
                gx = sum_to_shape(step(gx), shape_in)
            return base_vjp(gx)

        return y, vjp_fn

    # -- densities ------------------------------------------------------------------------
    def _base_value(self, value: Any) -> np.ndarray:
        v = np.asarray(value)
        if v.dtype.kind not in "biuf":
            raise TypeError(f"value must be a real number or array, got dtype {v.dtype}")
        if self._validate_args:
            self._validate_sample(v)
        return v.astype(value_dtype(value, v, self.dtype), copy=False)

    def log_prob(self, value: Any) -> np.ndarray:
        return self._log_prob_chain(value, with_vjp=False)[0]

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP: the base's dict (its parameters and ``"value"``, the
        cotangent of ``value`` through every inverse and log-det)."""
        return self._log_prob_chain(value, with_vjp=True)

    def _log_prob_chain(self, value: Any, with_vjp: bool) -> tuple[np.ndarray, VJP]:
        """torch's loop: invert the transforms one by one from the value side, subtract
        each log-det (summed over the event dims it does not see), add the base's
        log_prob; with ``with_vjp`` the VJPs of every step are kept and chained."""
        y = self._base_value(value)
        event_dim = len(self.event_shape)
        lp: Any = 0.0
        steps = []
        for t in reversed(self.transforms):
            if not with_vjp:
                x = t.inv(y)
                ladj = t.log_abs_det_jacobian(x, y)
                inv_step = ladj_step = None
            else:
                x, inv_step = t.inv_vjp(y)
                ladj, ladj_step = t.log_abs_det_jacobian_vjp(x, y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            n = event_dim - t.domain.event_dim
            lp = lp - sum_rightmost(ladj, n)
            steps.append((np.shape(x), inv_step, np.shape(ladj), n, ladj_step))
            y = x
        nb = event_dim - len(self.base_dist.event_shape)
        if not with_vjp:
            blp = self.base_dist.log_prob(y)
            return np.asarray(lp + sum_rightmost(blp, nb)), lambda g: {}
        blp, base_vjp = self.base_dist.log_prob_vjp(y)
        out = np.asarray(lp + sum_rightmost(blp, nb))
        value_shape = np.shape(value)
        dvalue_dtype = self._value_grad_dtype(value, out)

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, out.shape, out.dtype)
            grads = dict(base_vjp(_spread(g, np.shape(blp), nb)))
            gx = grads.pop("value")
            for x_shape, inv_step, ladj_shape, n, ladj_step in reversed(steps):
                d = ladj_step(-_spread(g, ladj_shape, n))
                gx = sum_to_shape(np.asarray(gx) + d["x"], x_shape)
                gx = inv_step(gx) + d["y"]
            grads["value"] = sum_to_shape(gx, value_shape, dvalue_dtype)
            return grads

        return out, vjp_fn

    def _monotonize_cdf(self, value: np.ndarray) -> np.ndarray:
        """``value`` flipped to ``1 - value`` where the composed map is decreasing."""
        sign: Any = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value: Any) -> np.ndarray:
        """The base's cdf at the inverse image (monotone transforms only)."""
        v = self._base_value(value)
        for t in reversed(self.transforms):
            v = t.inv(v)
        return self._monotonize_cdf(self.base_dist.cdf(v))

    def icdf(self, value: Any) -> np.ndarray:
        q = self._as_probability(value)
        x = self.base_dist.icdf(self._monotonize_cdf(q))
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        if type(self) is TransformedDistribution:
            return f"TransformedDistribution({self.base_dist!r}, {self.transforms!r})"
        return super().__repr__()


# -- KL: equal transforms leave the divergence of the bases ----------------------------------
def _same_transforms(p: TransformedDistribution, q: TransformedDistribution) -> None:
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError("KL between TransformedDistributions with different transforms")


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution) -> np.ndarray:
    _same_transforms(p, q)
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl_vjp(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed_vjp(p: TransformedDistribution, q: TransformedDistribution) -> tuple[np.ndarray, KLVJP]:
    _same_transforms(p, q)
    return kl_divergence_vjp(p.base_dist, q.base_dist)


def closed_form_on_base(fn: Callable[..., Any], d: Any, *args: Any, drop: tuple[str, ...] = ()) -> tuple[np.ndarray, VJP]:
    """``vjp.closed_form_vjp(fn, d.base_dist, *args)``: a closed form of a derived family
    written over its base's parameters (``fn(base_params[, value])``; ``args`` are
    ``value, value_shape, value_dtype`` as :func:`numdist.vjp.closed_form_vjp` takes
    them), with the base's gradient dict minus the keys in ``drop`` (fixed base
    parameters, e.g. HalfNormal's ``loc = 0``)."""
    out, pull = vjp.closed_form_vjp(fn, d.base_dist, *args)

    def vjp_fn(g: Any) -> dict[str, np.ndarray]:
        grads = pull(g)
        for k in drop:
            grads.pop(k, None)
        return grads

    return out, vjp_fn

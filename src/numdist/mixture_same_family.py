"""Mixture of distributions of one family, weighted by a Categorical (torch's MixtureSameFamily)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import _rng, _special, constraints
from numdist.categorical import Categorical
from numdist.distribution import VJP, Distribution
from numdist.independent import Independent
from numdist.normal import Normal
from numdist.utils import as_cotangent, lazy_property, logsumexp, sum_to_shape

__all__ = ["MixtureSameFamily"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class MixtureSameFamily(Distribution):
    """A mixture of ``K`` components of one family: draw ``k`` from
    ``mixture_distribution`` (a :class:`Categorical` with ``batch_shape`` ``B``), then a
    value from component ``k`` of ``component_distribution`` (``batch_shape`` ``B + (K,)``).

    Torch semantics: ``log_prob`` by log-sum-exp over the components, ``mean``,
    ``variance`` (law of total variance), ``cdf`` for univariate components.
    ``sample`` draws the component index first and then only the chosen component
    (one draw per output element, not ``K``), for element-wise families and
    ``Independent`` over them; other families draw every component and select.

    Beyond torch: ``rsample``/``rsample_vjp`` for univariate components with a
    ``cdf_vjp`` (Normal, Laplace, Cauchy, Gumbel), by implicit reparameterisation
    through the mixture CDF ``F(x) = sum_k w_k F_k(x)``: ``dx/dtheta = -(dF/dtheta)(x) / p(x)``,
    with respect to the mixture weights and the components' parameters.

    Gradients nest by constructor argument: ``{"mixture_distribution": {...},
    "component_distribution": {...}}`` (plus ``"value"`` for ``log_prob_vjp``).

    Examples
    --------
    >>> import numdist as nd
    >>> mix = nd.Categorical(logits=np.zeros(3))
    >>> comp = nd.Normal(np.array([-2.0, 0.0, 2.0]), 1.0)
    >>> gmm = nd.MixtureSameFamily(mix, comp)
    >>> gmm.batch_shape, gmm.event_shape, float(gmm.mean)
    ((), (), 0.0)
    >>> x, vjp = gmm.rsample_vjp((4,), rng=0)
    >>> g = vjp(np.ones(4))
    >>> sorted(g), sorted(g["component_distribution"])
    (['component_distribution', 'mixture_distribution'], ['loc', 'scale'])
    """

    arg_constraints: dict[str, constraints.Constraint] = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("The mixture_distribution must be a Categorical distribution, "
                             f"got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The component_distribution must be a numdist Distribution, "
                             f"got {type(component_distribution).__name__}")
        mdbs = mixture_distribution.batch_shape
        cdbs = component_distribution.batch_shape[:-1]
        if len(component_distribution.batch_shape) < 1 or len(mdbs) != len(cdbs) or \
                any(m != 1 and c != 1 and m != c for m, c in zip(mdbs, cdbs)):
            raise ValueError(
                "`mixture_distribution.batch_shape` must match `component_distribution.batch_shape[:-1]`: "
                f"got {mdbs} and {component_distribution.batch_shape}")
        batch_shape = tuple(np.broadcast_shapes(mdbs, cdbs))
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(
                "`mixture_distribution` number of components does not match `component_distribution`'s "
                f"rightmost batch dimension: {km} vs {kc}")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        # a size-1 batch dim of either side broadcasts (views): every element then gets
        # its own index and its own component draw
        self._mix_b = mixture_distribution if mdbs == batch_shape else mixture_distribution.expand(batch_shape)
        self._comp_b = component_distribution if cdbs == batch_shape else \
            component_distribution.expand(batch_shape + (component_distribution.batch_shape[-1],))
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        base = component_distribution
        while isinstance(base, Independent):
            base = base.base_dist
        self.dtype = np.dtype(getattr(base, "dtype", np.float64))
        # implicit reparameterisation needs a univariate component with a CDF gradient
        self.has_rsample = self._event_ndims == 0 and hasattr(component_distribution, "cdf_vjp")
        super().__init__(batch_shape, component_distribution.event_shape, validate_args=validate_args)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    @property
    def support(self) -> constraints.Constraint | None:  # type: ignore[override]
        return self._component_distribution.support

    def expand(self, batch_shape: Any, _instance: Any = None) -> "MixtureSameFamily":
        shape = self._expand_shape(batch_shape)
        new = self.__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        new._component_distribution = self._component_distribution.expand(shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(shape)
        new._comp_b, new._mix_b = new._component_distribution, new._mixture_distribution
        new.__dict__.pop("_weights", None)
        new._batch_shape = shape
        return new

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n"
                f"  {self._component_distribution!r})")

    # -- helpers ----------------------------------------------------------------------
    def _pad(self, x: np.ndarray) -> np.ndarray:
        """``x`` with a length-1 axis where the component axis is (before the event dims)."""
        return np.expand_dims(x, -1 - self._event_ndims)

    @lazy_property
    def _weights(self) -> np.ndarray:
        """The mixture probabilities, shaped to broadcast against component quantities."""
        w: np.ndarray = self._mixture_distribution.probs
        return w.reshape(w.shape + (1,) * self._event_ndims)

    # -- moments ----------------------------------------------------------------------
    @property
    def mean(self) -> np.ndarray:
        m: np.ndarray = (self._weights * self._component_distribution.mean).sum(-1 - self._event_ndims)
        return m

    @property
    def variance(self) -> np.ndarray:
        axis = -1 - self._event_ndims
        comp = self._component_distribution
        mean_cond_var = (self._weights * comp.variance).sum(axis)
        var_cond_mean = (self._weights * (comp.mean - self._pad(self.mean)) ** 2).sum(axis)
        v: np.ndarray = mean_cond_var + var_cond_mean
        return v

    # -- densities --------------------------------------------------------------------
    def _check_value(self, value: Any) -> np.ndarray:
        arr = self._validate_sample(value)  # shapes, and support when validating
        return arr

    def log_prob(self, value: Any) -> np.ndarray:
        """``logsumexp(log w_k + log p_k(value))`` over the components (float64 Normal
        components: one fused C loop, ``numdist._special.normal_mixture_logpdf``)."""
        v = self._check_value(value)
        if type(self._component_distribution) is Normal and self.dtype == np.float64 and v.dtype.kind in "biuf" \
                and np.result_type(v.dtype, np.float64) == np.float64:
            return self._normal_log_prob(v)
        x = self._pad(v)
        lp_k = self._component_distribution.log_prob(x)
        lp: np.ndarray = logsumexp(lp_k + self._mixture_distribution.logits, axis=-1)
        return lp

    def _normal_log_prob(self, v: np.ndarray) -> np.ndarray:
        comp = self._comp_b
        assert isinstance(comp, Normal)
        K = self._num_component
        full = tuple(np.broadcast_shapes(v.shape, self.batch_shape))
        nb = int(np.prod(self.batch_shape, dtype=np.int64))
        x = np.broadcast_to(v.astype(np.float64, copy=False), full).reshape(-1, nb)
        scale = np.broadcast_to(comp.scale, self.batch_shape + (K,)).reshape(nb, K)
        mu = np.broadcast_to(comp.loc, self.batch_shape + (K,)).reshape(nb, K)
        logw = np.broadcast_to(self._mix_b.logits, self.batch_shape + (K,)).reshape(nb, K)
        c = logw - np.log(scale) - _HALF_LOG_2PI
        lp: np.ndarray = _special.normal_mixture_logpdf(x, mu, 1 / scale, c).reshape(full)
        return lp if full else lp[()]

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP: the components get ``g * r_k`` (``r_k`` the
        posterior responsibilities) through their own ``log_prob_vjp``, the mixture
        weights the same through the Categorical's normalisation, and ``"value"`` the
        sum over the components."""
        v = self._check_value(value)
        x = self._pad(v)
        lp_k, comp_vjp = self._component_distribution.log_prob_vjp(x)
        joint = lp_k + self._mixture_distribution.logits
        lp = logsumexp(joint, axis=-1)
        value_dtype = np.asarray(value).dtype if np.asarray(value).dtype.kind == "f" else lp.dtype

        def vjp(g: Any) -> dict[str, Any]:
            g = as_cotangent(g, lp.shape, lp.dtype)
            with np.errstate(invalid="ignore"):
                resp = np.where(np.isfinite(lp)[..., None], np.exp(joint - lp[..., None]), 0)
            gk = g[..., None] * resp
            comp = comp_vjp(gk)
            dvalue = np.squeeze(comp.pop("value"), -1 - self._event_ndims)
            return {"mixture_distribution": self._mixture_distribution._normalisation_vjp(None, gk),
                    "component_distribution": comp,
                    "value": sum_to_shape(dvalue, v.shape, value_dtype)}

        return lp, vjp

    def cdf(self, value: Any) -> np.ndarray:
        """``sum_k w_k F_k(value)`` (univariate components)."""
        if self._event_ndims:
            raise NotImplementedError("MixtureSameFamily.cdf needs univariate components")
        x = self._pad(self._check_value(value))
        c: np.ndarray = (self._component_distribution.cdf(x) * self._mixture_distribution.probs).sum(-1)
        return c

    # -- sampling ---------------------------------------------------------------------
    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """Component indices from the mixture, then one draw of each chosen component
        (both from the one random source ``rng`` resolves to, one after the other)."""
        shape = self._extended_shape(sample_shape)
        bg = _rng.as_bit_generator(rng)  # one stream for both draws (an int seed would key both alike)
        idx = self._mix_b.sample(shape[: len(shape) - len(self.event_shape) - len(self.batch_shape)], rng=bg)
        chosen = _select_components(self._comp_b, idx, 0)
        if chosen is not None:
            x: np.ndarray = chosen.sample((), rng=bg)
            return x
        every = self._comp_b.sample(shape[: len(shape) - len(self.event_shape) - len(self.batch_shape)], rng=bg)
        ix = self._pad(idx.reshape(idx.shape + (1,) * self._event_ndims))
        ix = np.broadcast_to(ix, idx.shape + (1,) + every.shape[every.ndim - self._event_ndims:])
        return np.take_along_axis(every, ix, -1 - self._event_ndims).squeeze(-1 - self._event_ndims)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """The draws of :meth:`sample` (the gradient comes with :meth:`rsample_vjp`)."""
        self._check_rsample()
        return self.sample(sample_shape, rng=rng)

    def _check_rsample(self) -> None:
        if not self.has_rsample:
            raise NotImplementedError(
                "MixtureSameFamily.rsample needs univariate components with a cdf gradient (cdf_vjp); "
                f"{type(self._component_distribution).__name__} with event_shape "
                f"{self._component_distribution.event_shape} has none")

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """Draws and their implicit reparameterisation gradient: for ``F(x) = sum_k w_k F_k(x)``
        and ``p(x) = sum_k w_k p_k(x)``, ``dx/dw_k = -F_k(x) / p(x)`` (through the
        Categorical's normalisation to ``logits`` or ``probs``) and
        ``dx/dtheta_k = -w_k (dF_k/dtheta_k)(x) / p(x)`` (the components' ``cdf_vjp``)."""
        self._check_rsample()
        x = self.sample(sample_shape, rng=rng)
        comp = self._component_distribution
        xk = x[..., None]
        cdf_k, cdf_vjp = comp.cdf_vjp(xk)  # type: ignore[attr-defined]
        logw = self._mixture_distribution.logits
        log_p = logsumexp(comp.log_prob(xk) + logw, axis=-1)
        probs = self._mixture_distribution.probs

        def vjp(g: Any) -> dict[str, Any]:
            g = as_cotangent(g, x.shape, x.dtype)
            c = (-g * np.exp(-log_p))[..., None]  # -g / p(x)
            comp_grads = cdf_vjp(c * probs)
            comp_grads.pop("value", None)
            return {"mixture_distribution": self._mixture_distribution._normalisation_vjp(c * cdf_k, None),
                    "component_distribution": comp_grads}

        return x, vjp


def _select_components(dist: Distribution, idx: np.ndarray, tail: int) -> Distribution | None:
    """``dist`` (batch ``B + (K,) + T``, ``len(T) == tail``) restricted to component
    ``idx`` (shape ``S + B``) per element: a distribution of batch ``S + B + T`` of the
    same family, built from views of the selected parameters, so that drawing it costs
    one draw per output element. ``None`` where that is not known to be exact (only
    element-wise families, whose draws read nothing but their recorded parameters, and
    ``Independent`` over them)."""
    if isinstance(dist, Independent):
        base = _select_components(dist.base_dist, idx, tail + dist.reinterpreted_batch_ndims)
        if base is None:
            return None
        return Independent(base, dist.reinterpreted_batch_ndims, validate_args=False)
    if type(dist)._kernel is None or not dist._params:
        return None
    bshape = dist.batch_shape
    k_axis = len(bshape) - 1 - tail
    lead = idx.shape
    new = dist.__new__(type(dist))
    cls = type(dist)
    for key, value in dist.__dict__.items():
        if isinstance(getattr(cls, key, None), lazy_property):
            continue  # recomputed for the selected parameters
        new.__dict__[key] = value
    for name in dist._params:
        arr = getattr(dist, name)
        ev = arr.shape[len(bshape):]
        full = np.broadcast_to(arr, lead[: len(lead) - k_axis] + bshape + ev)
        ix = idx.reshape(lead + (1,) * (tail + 1 + len(ev)))
        ix = np.broadcast_to(ix, lead + (1,) + bshape[k_axis + 1:] + ev)
        picked = np.take_along_axis(full, ix, len(lead)).squeeze(len(lead))
        picked.flags.writeable = False
        new.__dict__[name] = picked
    new._batch_shape = lead + bshape[k_axis + 1:]
    return new

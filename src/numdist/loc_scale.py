"""Location-scale families drawn by one element-wise kernel: ``x = loc + scale * eps``.

Normal, Laplace, Cauchy and Gumbel share everything but their kernel, their
moments and their closed forms; this base holds the rest once.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints
from numdist.distribution import VJP, Distribution
from numdist.sampling import draw
from numdist.utils import as_cotangent, grad_dtype, sum_to_shape

__all__ = ["LocScale"]


class LocScale(Distribution):
    """Base of the location-scale families: parameters ``loc`` (finite) and ``scale``
    (positive), ``rsample`` by the family's ``_kernel`` with both, ``mode = loc``."""

    loc: np.ndarray
    scale: np.ndarray
    arg_constraints = {"loc": constraints.finite, "scale": constraints.positive_finite}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(loc=loc, scale=scale)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mode(self) -> np.ndarray:
        return self.loc

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``loc + scale * eps``, fused in the C kernel."""
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = loc + scale * eps`` with ``eps`` the kernel's standard draw (the same
        numbers as ``rsample``: the C kernels round the product, then the sum), so
        ``d/dloc = g`` and ``d/dscale = g * eps``, summed to each parameter's shape."""
        assert self._kernel is not None
        shape = self._extended_shape(sample_shape)
        eps = draw(self._kernel[0], rng, shape, self.dtype)
        x: np.ndarray = self.loc + self.scale * eps

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, shape, self.dtype)
            return {"loc": self._grad("loc", g), "scale": self._grad("scale", g * eps)}

        return x, vjp

    def cdf_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``cdf`` and its VJP. ``F(x) = G((x - loc) / scale)`` with ``G`` the family's
        standard CDF, so ``dF/dvalue = p(x)``, ``dF/dloc = -p(x)``,
        ``dF/dscale = -p(x) (x - loc) / scale`` (``p`` the density); the implicit
        reparameterisation of MixtureSameFamily.rsample uses it."""
        v = self._as_value(value)
        c = self.cdf(v)
        value_shape, dvalue_dtype = v.shape, grad_dtype(value, c.dtype)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, c.shape, c.dtype)
            gp = g * np.exp(self.log_prob(v))
            return {"loc": self._grad("loc", -gp), "scale": self._grad("scale", -gp * ((v - self.loc) / self.scale)),
                    "value": sum_to_shape(gp, value_shape, dvalue_dtype)}

        return c, vjp

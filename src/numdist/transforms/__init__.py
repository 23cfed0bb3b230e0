"""Invertible (and a few non-invertible) maps between constrained spaces, as
``torch.distributions.transforms``, with vector-Jacobian products.

A transform ``t`` maps ``x`` in ``t.domain`` to ``y = t(x)`` in ``t.codomain``;
``t.inv`` is its inverse, ``t.log_abs_det_jacobian(x, y)`` the log of
``|det dy/dx|`` summed over ``t.domain.event_dim`` event dims. Each transform
writes its forward map, inverse and log-det once (``_call``, ``_inverse``,
``_log_abs_det_jacobian``) with NumPy ufuncs and the functions of
:mod:`numdist.vjp`; called on arrays they give values, and
:func:`numdist.vjp.function_vjp` records them to give the VJPs:

- ``y, vjp = t.forward_vjp(x)``; ``vjp(gy) -> gx``
- ``x, vjp = t.inv_vjp(y)``; ``vjp(gx) -> gy`` (also ``t.inv.forward_vjp(y)``)
- ``ladj, vjp = t.log_abs_det_jacobian_vjp(x, y)``; ``vjp(g) -> {"x": gx, "y": gy}``

Parameters of a transform (``AffineTransform``'s ``loc``/``scale``,
``PowerTransform``'s ``exponent``) are constants: they get no gradient.

``cache_size=1`` keeps the last ``(x, y)`` pair, so ``t.inv(t(x))`` returns
``x`` itself (torch's cache): ``TransformedDistribution.log_prob`` of its own
``rsample`` then needs no inverse (``atanh`` of values rounded to 1 is infinite).
"""
from numdist.transforms._base import ComposeTransform, IndependentTransform, Transform, identity_transform
from numdist.transforms.elementwise import (AbsTransform, AffineTransform, ExpTransform, PowerTransform,
                                            SigmoidTransform, SoftplusTransform, TanhTransform)
from numdist.transforms.structured import (LowerCholeskyTransform, PositiveDefiniteTransform, SoftmaxTransform,
                                           StickBreakingTransform)

__all__ = [
    "Transform", "ComposeTransform", "IndependentTransform", "ExpTransform", "AffineTransform",
    "SigmoidTransform", "TanhTransform", "SoftplusTransform", "PowerTransform", "AbsTransform",
    "StickBreakingTransform", "SoftmaxTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
    "identity_transform",
]

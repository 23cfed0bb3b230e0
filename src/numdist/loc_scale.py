"""Location-scale families drawn by one element-wise kernel: ``x = loc + scale * eps``.

Normal, Laplace, Cauchy and Gumbel share everything but their kernel, their
moments and their closed forms; this base holds the rest once.

Gradient paths go through the one-pass kernels of ``csrc/grad_fused.c``
(binding ``numdist._fused``) on an ``(S, B)`` view of the operands: ``S`` the
sample dims, ``B`` the batch dims, parameters read per batch element (never
broadcast to the sample shape) and their gradients summed over ``S`` in the
same pass (:class:`SBLayout`).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from numdist import _elementwise, _fused, constraints
from numdist._layout import param_layout, reshape_view, sb_layout
from numdist.distribution import VJP, Distribution, ParamRecord
from numdist.utils import as_cotangent, grad_dtype, sum_to_shape

__all__ = ["LocScale", "SBLayout"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _read_only(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.flags.writeable = False
    return view


def _c_like(arr: np.ndarray) -> bool:
    """C order up to broadcast (zero) and flipped (negative) strides: the layouts whose
    sums over leading axes NumPy adds row after row (a Fortran-ordered array it sums
    in another order)."""
    expected = arr.itemsize
    for n, st in zip(reversed(arr.shape), reversed(arr.strides)):
        if n == 1 or st == 0:
            continue
        if abs(st) != expected:
            return False
        expected *= n
    return True


def _param_column(arr: np.ndarray, batch: tuple[int, ...], B: int) -> np.ndarray:
    """:meth:`SBLayout.param`: a per-batch parameter as a contiguous (B,) array."""
    if arr.shape == batch and arr.flags.c_contiguous and arr.flags.aligned:
        return arr.reshape(B)
    return np.ascontiguousarray(param_layout(arr, batch, 0))


class SBLayout(NamedTuple):
    """An output of shape ``full = sample dims + batch_shape`` seen as ``(S, B)``."""

    full: tuple[int, ...]
    batch: tuple[int, ...]
    S: int
    B: int

    @classmethod
    def of(cls, full: tuple[int, ...], batch: tuple[int, ...]) -> "SBLayout":
        full, batch = tuple(full), tuple(batch)
        return cls(full, batch, math.prod(full[: len(full) - len(batch)]), math.prod(batch))

    def element(self, arr: np.ndarray) -> np.ndarray:
        """``arr`` (broadcastable to ``full``) as an aligned (S, B) array: a view where
        its strides allow (zero strides for broadcast dims), else a copy."""
        if arr.shape == self.full and arr.flags.c_contiguous and arr.flags.aligned:
            return arr.reshape(self.S, self.B)
        return sb_layout(arr, self.full, len(self.full) - len(self.batch), ())

    def output(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """A fresh C-ordered array of shape ``full`` and its writeable (S, B) view."""
        out = np.empty(self.full, dtype=dtype)
        return out, out.reshape(self.S, self.B)

    def param(self, arr: np.ndarray) -> np.ndarray:
        """A per-batch parameter (broadcastable to ``batch``) as a contiguous (B,) array,
        which the kernels read with a zero sample stride (their vector loops want
        contiguous columns): at most a copy of its ``B`` values, never of the sample."""
        return _param_column(arr, self.batch, self.B)

    def rows(self, g: np.ndarray, dims: int) -> np.ndarray:
        """The cotangent ``g`` of a sum over the ``dims`` rightmost dims of ``full``
        (shape ``full[:-dims]``) as the kernels read it: ``(S, 1)`` (one value per
        row, when the summed dims are the whole batch) or a broadcast (S, B) view."""
        if dims == len(self.batch) and g.shape == self.full[: len(self.full) - dims] and g.flags.aligned:
            rows = reshape_view(g, (self.S, 1))
            if rows is not None:
                return rows
        return self.element(np.broadcast_to(g.reshape(g.shape + (1,) * dims), self.full))

    def column_sums(self, dtype: np.dtype, n: int) -> list[np.ndarray]:
        """``n`` fresh (B,) outputs for gradients summed over the sample dims."""
        return [np.empty(self.B, dtype=dtype) for _ in range(n)]


class LocScale(Distribution):
    """Base of the location-scale families: parameters ``loc`` (finite) and ``scale``
    (positive), ``rsample`` by the family's ``_kernel`` with both, ``mode = loc``."""

    loc: np.ndarray
    scale: np.ndarray
    arg_constraints = {"loc": constraints.finite, "scale": constraints.positive_finite}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        if self._init_same_shape(loc, scale, validate_args):
            return
        _, batch_shape = self._init_params(loc=loc, scale=scale)
        super().__init__(batch_shape, validate_args=validate_args)

    def _init_same_shape(self, loc: Any, scale: Any, validate_args: bool | None) -> bool:
        """The common case in a few operations: ``loc`` and ``scale`` float arrays of one
        shape and dtype, so there is nothing to convert or broadcast. Records and views
        as :meth:`_init_params` makes them; validation by one scan per parameter, and the
        base class's path (its messages) only when a value fails. False: not this case."""
        if (type(loc) is not np.ndarray or type(scale) is not np.ndarray or loc.shape != scale.shape
                or loc.dtype != scale.dtype or loc.dtype not in _FLOAT_DTYPES
                or self.arg_constraints is not LocScale.arg_constraints or self._param_constraints):
            return False  # the scans below are those of LocScale's own constraints
        record = ParamRecord(loc.shape, loc.dtype)
        self._params = {"loc": record, "scale": record}
        self.loc, self.scale = _read_only(loc), _read_only(scale)
        self.dtype = loc.dtype
        Distribution.__init__(self, loc.shape, validate_args=False)
        self._validate_args = self._validate_default if validate_args is None else bool(validate_args)
        if self._validate_args:
            if loc.flags.c_contiguous and scale.flags.c_contiguous and loc.flags.aligned and scale.flags.aligned:
                ok = _fused.loc_scale_ok(loc, scale)  # one C pass over both, no temporaries
            else:
                with np.errstate(invalid="ignore"):
                    ok = bool(np.isfinite(loc).all()) and bool(((scale > 0) & (scale < np.inf)).all())
            if not ok:
                self._validate_params()  # raises, naming the parameter, batch index and value
        return True

    @property
    def mode(self) -> np.ndarray:
        return self.loc

    def _column_grad(self, name: str, sums: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
        """A gradient summed over the sample dims by a kernel (a fresh (B,) array) as the
        parameter's gradient: that array itself when the parameter was passed with the
        batch shape and the same dtype, else summed and cast by the base (``_grad``)."""
        return self._grad_owned(name, sums if sums.shape == batch else sums.reshape(batch))

    def _params_are_columns(self, B: int, nb: int) -> bool:
        """The parameters' half of :meth:`_sums_are_numpys`: at least two columns (NumPy
        sums a single column pairwise) and every parameter with the batch's ``nb`` dims
        (so that the sum over leading dims is exactly over the sample dims)."""
        return B > 1 and all(len(rec.shape) == nb for rec in self._params.values())

    def _sums_are_numpys(self, lay: SBLayout, *operands: np.ndarray) -> bool:
        """Whether the kernels' column sums give the bits of the NumPy reductions they
        replace (``_grad`` of the per-element gradients): the parameters as columns
        (:meth:`_params_are_columns`) and per-element operands in C-like order (NumPy
        adds their rows in order). Otherwise the NumPy expressions run: a gradient
        never changes with the path taken."""
        return self._params_are_columns(lay.B, len(lay.batch)) and all(_c_like(a) for a in operands)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``loc + scale * eps``, fused in the C kernel."""
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = loc + scale * eps`` with ``eps`` the kernel's standard draw (the same
        numbers as ``rsample``: the C kernels round the product, then the sum), so
        ``d/dloc = g`` and ``d/dscale = g * eps``, summed to each parameter's shape.

        The backward pass keeps ``eps`` (nothing is recomputed) and sums both
        gradients over the sample dims in one pass, without materialising the
        broadcast cotangent or ``g * eps``, whenever that gives NumPy's sums bit for
        bit (:meth:`_sums_are_numpys`); otherwise it evaluates the NumPy expressions.
        ``x`` and the kept ``eps`` come from the block pool of ``numdist._fused``
        (a training loop gets the same blocks back every step, with no page faults)."""
        assert self._kernel is not None
        shape = self._extended_shape(sample_shape)
        dtype, batch = self.dtype, self._batch_shape
        eps = _fused.empty(shape, dtype)
        if eps.size:  # (draw() with out=: the same call, for an aligned C-ordered output;
            # plain stores: the affine pass below reads eps straight back)
            _elementwise.fill(self._kernel[0], rng, eps, read_back=True)
        nb = len(batch)
        S, B = math.prod(shape[: len(shape) - nb]), math.prod(batch)
        eps2 = eps.reshape(S, B)  # a view: eps is C-contiguous
        x = _fused.empty(shape, dtype)
        _fused.affine(_param_column(self.loc, batch, B), _param_column(self.scale, batch, B), eps2, x.reshape(S, B))
        # the column sums are NumPy's (see _sums_are_numpys) for any C-like cotangent
        fused = self._params_are_columns(B, nb)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            if (type(g) is np.ndarray and g.shape == shape and g.dtype == dtype and g.flags.c_contiguous
                    and g.flags.aligned):
                g2 = g.reshape(S, B) if fused else None  # the common case: a fresh gradient array
            else:
                g = as_cotangent(g, shape, dtype)
                g2 = SBLayout.of(shape, batch).element(g) if fused and _c_like(g) else None
            if g2 is None:
                return {"loc": self._grad("loc", g), "scale": self._grad("scale", g * eps)}
            dloc, dscale = np.empty(B, dtype), np.empty(B, dtype)
            _fused.affine_vjp(g2, eps2, dloc, dscale)
            return {"loc": self._column_grad("loc", dloc, batch), "scale": self._column_grad("scale", dscale, batch)}

        return (x if shape else x[()]), vjp  # a 0-d result is a NumPy scalar, as loc + scale * eps gives

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

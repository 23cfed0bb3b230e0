"""Normal (Gaussian) distribution."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import _fused, _special
from numdist.loc_scale import LocScale, SBLayout, _param_column
from numdist.distribution import VJP
from numdist.kl import KLVJP, register_kl, register_kl_vjp, register_summed_kl_vjp
from numdist.utils import as_cotangent, grad_dtype, lazy_property, sum_rightmost, sum_to_shape

__all__ = ["Normal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(LocScale):
    """Normal distribution with mean ``loc`` and standard deviation ``scale``.

    Parameters
    ----------
    loc, scale : array_like
        Broadcast together to give ``batch_shape``; ``scale > 0``.
    validate_args : bool, optional
        Check parameter and sample values (default on, see
        :func:`numdist.set_default_validate_args`).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Normal(loc=0.0, scale=1.0)
    >>> d.sample((10,), rng=0).shape
    (10,)
    >>> float(d.log_prob(0.0))
    -0.9189385332046727
    >>> x, vjp = nd.Normal([0.0, 1.0], 2.0).rsample_vjp(rng=0)
    >>> sorted(vjp(np.ones(2)))
    ['loc', 'scale']
    """

    _kernel = ("normal", ("loc", "scale"))

    @property
    def mean(self) -> np.ndarray:
        return self.loc


    @property
    def stddev(self) -> np.ndarray:
        return self.scale

    # log(scale) and scale**3, NumPy's, once per distribution: a training loop's fixed
    # likelihood and prior are asked for them every step (log_prob, the KL's VJP)
    @lazy_property
    def _log_scale(self) -> np.ndarray:
        return np.asarray(np.log(self.scale))

    @lazy_property
    def _scale_cubed(self) -> np.ndarray:
        return np.asarray(self.scale ** 3)

    @property
    def variance(self) -> np.ndarray:
        return self.scale**2


    # -- densities ------------------------------------------------------------------
    def log_prob(self, value: Any) -> np.ndarray:
        return self._log_prob_of(self._as_value(value))

    def _fused_layout(self, v: np.ndarray) -> SBLayout | None:
        """The (S, B) layout of ``log_prob(v)`` when the one-pass kernels apply (``v`` in
        the distribution's dtype, a batch with elements), else None (NumPy expressions)."""
        if v.dtype != self.dtype or math.prod(self._batch_shape) == 0:
            return None
        return SBLayout.of(tuple(np.broadcast_shapes(v.shape, self._batch_shape)), self._batch_shape)

    def _log_prob_of(self, v: np.ndarray, summed_dims: int = 0) -> np.ndarray:
        """``log_prob`` of a value already checked and cast (:meth:`_as_value`), summed
        over its ``summed_dims`` rightmost dims (``Independent``)."""
        lay = self._fused_layout(v)
        if lay is None:
            # z first: scale**2 underflows (scale 1e-300) or overflows (1e200) where the
            # density is finite (issue 10, defect 8)
            z = (v - self.loc) / self.scale
            lp: np.ndarray = -0.5 * (z * z) - np.log(self.scale) - _HALF_LOG_2PI  # weak: promotes like value
            return sum_rightmost(lp, summed_dims)
        # one pass: z = (x - loc) / scale, (-0.5 * (z * z) - log(scale)) - log(2 pi)/2, the
        # operations of the expression above (same bits); log(scale) once per batch element
        operands = (lay.element(v), lay.param(self.loc), lay.param(self.scale), lay.param(self._log_scale),
                    _HALF_LOG_2PI)
        if summed_dims == 0:
            out, out2 = lay.output(self.dtype)
            _fused.normal_log_prob(*operands, out2)
            return out if lay.full else out[()]
        # summed in the same pass, in NumPy's pairwise order (the bits of sum_rightmost(lp))
        shape = lay.full[: len(lay.full) - summed_dims]
        sums = np.empty(shape, dtype=self.dtype)
        _fused.normal_log_prob_sum(*operands, sums.reshape(lay.S, lay.B // math.prod(lay.batch[len(lay.batch) - summed_dims:])))
        return sums if shape else sums[()]

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP with respect to ``loc``, ``scale`` and ``value``.

        With ``z = (value - loc) / scale``: ``d/dloc = g z / scale = -d/dvalue`` and
        ``d/dscale = g (z^2 - 1) / scale``, computed in one pass that writes the value
        gradient and sums the parameter gradients over the sample dims (no broadcast
        cotangent or ``z`` is materialised), with the NumPy expressions' operations and
        order of summation: the same bits (where the one-pass sums could not give
        them, :meth:`LocScale._sums_are_numpys`, the NumPy expressions run)."""
        return self._log_prob_vjp(value, 0)

    def _summed_log_prob(self, value: Any, dims: int) -> np.ndarray:
        """``log_prob`` summed over the ``dims`` rightmost dims, in one pass (Independent)."""
        if type(self).log_prob is not Normal.log_prob:  # a subclass with its own density
            return sum_rightmost(self.log_prob(value), dims)
        return self._log_prob_of(self._as_value(value), dims)

    def _summed_log_prob_vjp(self, value: Any, dims: int) -> tuple[np.ndarray, VJP]:
        """:meth:`log_prob_vjp` of ``log_prob`` summed over the ``dims`` rightmost dims
        (Independent): the per-element densities are never stored, and the cotangent of
        the sums is read through a broadcast view."""
        if type(self).log_prob_vjp is not Normal.log_prob_vjp:  # a subclass with its own density
            lp, vjp = self.log_prob_vjp(value)
            return sum_rightmost(lp, dims), lambda g: vjp(np.broadcast_to(
                np.asarray(g).reshape(np.shape(g) + (1,) * dims), lp.shape))
        return self._log_prob_vjp(value, dims)

    def _log_prob_vjp(self, value: Any, dims: int) -> tuple[np.ndarray, VJP]:
        nb = len(self._batch_shape)
        if (dims == nb and nb > 0 and type(value) is np.ndarray and value.dtype == self.dtype
                and value.shape[value.ndim - nb:] == self._batch_shape and value.flags.c_contiguous
                and value.flags.aligned):
            return self._summed_log_prob_vjp_fast(value)
        return self._log_prob_vjp_general(value, dims)

    def _log_prob_vjp_general(self, value: Any, dims: int) -> tuple[np.ndarray, VJP]:
        v = self._as_value(value)
        lp = self._log_prob_of(v, dims)
        value_shape = v.shape
        dvalue_dtype = grad_dtype(value, lp.dtype)
        lay = self._fused_layout(v)
        full = tuple(np.broadcast_shapes(v.shape, self._batch_shape))

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, np.shape(lp), lp.dtype)
            if lay is not None and self._sums_are_numpys(lay, g, v):
                direct = value_shape == lay.full and dvalue_dtype == self.dtype
                dvalue, dvalue2 = lay.output(self.dtype)
                dl, ds = lay.column_sums(self.dtype, 2)
                _fused.normal_log_prob_vjp(lay.rows(g, dims) if dims else lay.element(g), lay.element(v),
                                           lay.param(self.loc), lay.param(self.scale), dvalue2, dl, ds)
                return {"loc": self._column_grad("loc", dl, lay.batch), "scale": self._column_grad("scale", ds, lay.batch),
                        "value": dvalue if direct else sum_to_shape(dvalue, value_shape, dvalue_dtype)}
            if dims:  # the cotangent of a sum, spread over the summed dims (a view)
                g = np.broadcast_to(g.reshape(g.shape + (1,) * dims), full)
            return self._log_prob_vjp_numpy(g, v, value_shape, dvalue_dtype)

        return lp, vjp

    def _summed_log_prob_vjp_fast(self, v: np.ndarray) -> tuple[np.ndarray, VJP]:
        """:meth:`_log_prob_vjp` summed over the whole batch (``Independent(Normal, all
        batch dims)``, the likelihood of a training loop) of a C-contiguous value in the
        distribution's dtype with the batch as its trailing shape: the same kernels and
        numbers as the general path, with the checks folded in. The support check
        (no NaN) reads the row sums: with validated parameters a row sums to NaN exactly
        when one of its values is NaN, and only then does the element-wise check run
        (it raises, naming the index)."""
        dtype, batch = self.dtype, self._batch_shape
        full = v.shape
        S, B = math.prod(full[: len(full) - len(batch)]), math.prod(batch)
        if B == 0:
            return self._log_prob_vjp_general(v, len(batch))
        v2 = v.reshape(S, B)
        # (B,) views of the parameters, or aligned contiguous copies where their layout forbids
        loc, scale = _param_column(self.loc, batch, B), _param_column(self.scale, batch, B)
        sums = np.empty(full[: len(full) - len(batch)], dtype=dtype)
        log_scale = _param_column(self._log_scale, batch, B)
        _fused.normal_log_prob_sum(v2, loc, scale, log_scale, _HALF_LOG_2PI, sums.reshape(S, 1))
        if self._validate_args and math.isnan(np.add.reduce(sums, axis=None)):  # no +inf densities: NaN iff a NaN
            self._validate_sample(v)  # raises for a NaN value (the sums are then NaN as they should be)
        lp = sums if sums.ndim else sums[()]
        fused = self._params_are_columns(B, len(batch))

        def vjp(g: Any) -> dict[str, np.ndarray]:
            if type(g) is float:
                rows = np.empty((S, 1), dtype)
                rows.fill(g)  # the cotangent cast to the dtype, as as_cotangent casts it
            elif type(g) is np.ndarray and g.shape == sums.shape and g.dtype == dtype and g.flags.aligned:
                rows = g.reshape(S, 1)  # (S,) with any stride: a view
            else:
                rows = lay_rows(as_cotangent(g, sums.shape, dtype))
            if not fused:
                return self._log_prob_vjp_numpy(np.broadcast_to(rows, (S, B)).reshape(full), v, full, dtype)
            dvalue = _fused.empty(full, dtype)
            dl, ds = np.empty(B, dtype), np.empty(B, dtype)
            _fused.normal_log_prob_vjp(rows, v2, loc, scale, dvalue.reshape(S, B), dl, ds)
            return {"loc": self._column_grad("loc", dl, batch), "scale": self._column_grad("scale", ds, batch),
                    "value": dvalue}

        def lay_rows(g: np.ndarray) -> np.ndarray:
            return SBLayout.of(full, batch).rows(g, len(batch))

        return lp, vjp

    def _log_prob_vjp_numpy(self, g: np.ndarray, v: np.ndarray, value_shape: tuple[int, ...],
                            dvalue_dtype: np.dtype) -> dict[str, np.ndarray]:
        """The NumPy expressions of the VJP, ``g`` already spread over the value's shape."""
        z = (v - self.loc) / self.scale
        dloc = g * z / self.scale
        return {"loc": self._grad("loc", dloc),
                "scale": self._grad("scale", g * (z * z - 1) / self.scale),
                "value": sum_to_shape(-dloc, value_shape, dvalue_dtype)}

    def cdf(self, value: Any) -> np.ndarray:
        value = self._as_value(value)
        z = (value - self.loc) / self.scale
        return _special.ndtr(z).astype(z.dtype, copy=False)

    def icdf(self, value: Any) -> np.ndarray:
        q = self._as_probability(value)
        x: np.ndarray = self.loc + self.scale * _special.ndtri(q).astype(q.dtype, copy=False)
        return x

    def entropy(self) -> np.ndarray:
        h: np.ndarray = self.dtype.type(0.5 + _HALF_LOG_2PI) + np.log(self.scale)
        return h

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        """Entropy ``0.5 + log(2 pi)/2 + log(scale)``; its VJP is ``g / scale`` for scale, 0 for loc."""
        h = self.entropy()

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, h.shape, self.dtype)
            return {"loc": self._zero_grad("loc"), "scale": self._grad("scale", g / self.scale)}

        return h, vjp


# -- Normal || Normal ------------------------------------------------------------
@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> np.ndarray:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    kl: np.ndarray = 0.5 * (var_ratio + t1 - 1 - np.log(var_ratio))
    return kl


@register_kl_vjp(Normal, Normal)
def _kl_normal_normal_vjp(p: Normal, q: Normal) -> tuple[np.ndarray, KLVJP]:
    kl = _kl_normal_normal(p, q)
    dtype = kl.dtype

    def vjp(g: Any) -> dict[str, dict[str, np.ndarray]]:
        g = as_cotangent(g, kl.shape, dtype)
        diff = (p.loc - q.loc) / q.scale**2
        dp_scale = p.scale / q.scale**2 - 1 / p.scale
        dq_scale = 1 / q.scale - (p.scale**2 + (p.loc - q.loc) ** 2) / q.scale**3
        # the products are fresh arrays: passed on as the gradients when no sum or cast is due
        return {
            "p": {"loc": p._grad_owned("loc", g * diff), "scale": p._grad_owned("scale", g * dp_scale)},
            "q": {"loc": q._grad_owned("loc", -g * diff), "scale": q._grad_owned("scale", g * dq_scale)},
        }

    return kl, vjp


@register_summed_kl_vjp(_kl_normal_normal_vjp)
def _kl_normal_normal_summed_vjp(p: Normal, q: Normal, n: int) -> tuple[np.ndarray, KLVJP] | None:
    """``Independent(Normal) || Independent(Normal)`` over all batch dims: the KL summed
    and its VJP in one C pass each (csrc/grad_fused.c), with the operations of the two
    functions above and NumPy's log and ``q.scale ** 3``: the same numbers. For
    parameters of the batch's shape and dtype, C-contiguous; otherwise None."""
    batch, dtype = p._batch_shape, p.dtype
    if n != len(batch) or q._batch_shape != batch or q.dtype != dtype or math.prod(batch) == 0:
        return None
    for rec in (*p._params.values(), *q._params.values()):
        if rec.shape != batch or rec.grad_dtype != dtype:
            return None
    pl, ps, ql, qs = p.loc, p.scale, q.loc, q.scale
    if len(batch) != 1:
        pl, ps, ql, qs = pl.reshape(-1), ps.reshape(-1), ql.reshape(-1), qs.reshape(-1)
    if not (pl.flags.c_contiguous and ps.flags.c_contiguous and ql.flags.c_contiguous and qs.flags.c_contiguous
            and pl.flags.aligned and ps.flags.aligned and ql.flags.aligned and qs.flags.aligned):
        return None
    vr = _fused.kl_normal_ratio(ps, qs, np.empty(pl.size, dtype))
    terms = np.log(vr)
    total: np.ndarray = _fused.kl_normal_sum(pl, ql, qs, vr, terms)  # a NumPy scalar, as the sum of an array

    def vjp(g: Any) -> dict[str, dict[str, np.ndarray]]:
        # the sum's cotangent cast to the dtype, as as_cotangent casts it (exact as a double)
        gd = float(dtype.type(g)) if type(g) is float else float(as_cotangent(g, (), dtype))
        size = pl.size
        dpl, dps, dql, dqs = np.empty(size, dtype), np.empty(size, dtype), np.empty(size, dtype), np.empty(size, dtype)
        qs3 = q._scale_cubed if len(batch) == 1 else q._scale_cubed.reshape(-1)
        _fused.kl_normal_vjp(gd, pl, ps, ql, qs, qs3, dpl, dps, dql, dqs)
        if len(batch) != 1:
            dpl, dps, dql, dqs = dpl.reshape(batch), dps.reshape(batch), dql.reshape(batch), dqs.reshape(batch)
        return {"p": {"loc": dpl, "scale": dps}, "q": {"loc": dql, "scale": dqs}}

    return total, vjp

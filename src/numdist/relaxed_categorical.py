"""RelaxedOneHotCategorical: the Gumbel-softmax (concrete) relaxation, reparameterised."""
from __future__ import annotations

from types import SimpleNamespace

import math
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist._rng import as_bit_generator
from numdist.categorical import Categorical
from numdist.distribution import VJP, Distribution, ParamRecord
from numdist.utils import as_float_params, as_shape, clamp_probs, grad_dtype, logsumexp

__all__ = ["RelaxedOneHotCategorical"]


class RelaxedOneHotCategorical(Distribution):
    """Gumbel-softmax over the simplex, as torch's ``RelaxedOneHotCategorical``:
    ``softmax((logits + G) / temperature)`` with ``G`` standard Gumbel noise.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> d = nd.RelaxedOneHotCategorical(0.5, logits=np.zeros(4))
    >>> y, vjp = d.rsample_vjp((3,), rng=0)
    >>> y.shape, np.allclose(y.sum(-1), 1)
    ((3, 4), True)
    >>> sorted(vjp(np.ones_like(y)))
    ['logits', 'temperature']
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector,
                       "temperature": constraints.positive}
    _param_constraints = Categorical._param_constraints
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=False)
        dtype, p = as_float_params(temperature=temperature)
        dtype = np.result_type(dtype, self._categorical.dtype)
        temp = p["temperature"].astype(dtype, copy=False)
        # As in torch, temperature broadcasts against the (..., K) logits and
        # does not enter batch_shape.
        try:
            np.broadcast_shapes(self._categorical.param_shape, temp.shape)
        except ValueError:
            raise ValueError(f"temperature with shape {temp.shape} does not broadcast with "
                             f"logits of shape {self._categorical.param_shape}") from None
        batch_shape = self._categorical.batch_shape
        self.temperature = temp
        # temperature broadcasts against (..., K), not against batch_shape: recorded, not broadcast
        self._params = {**self._categorical._params,
                        "temperature": ParamRecord(temp.shape, grad_dtype(temperature, dtype), 0)}
        self.dtype = dtype
        super().__init__(batch_shape, self._categorical.param_shape[-1:], validate_args=validate_args)
        self._categorical._validate_args = self._validate_args

    def _validation_values(self) -> dict[str, Any]:
        c = self._categorical
        return {c._param_name: c._raw, "temperature": self.temperature}

    def expand(self, batch_shape: Any, _instance: Any = None) -> "RelaxedOneHotCategorical":
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        batch_shape = self._expand_shape(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        new.temperature = self.temperature
        new._params = self._params
        new.dtype = self.dtype
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self) -> np.ndarray:
        return self._categorical.probs

    @property
    def logits(self) -> np.ndarray:
        return self._categorical.logits

    def _scores(self, sample_shape: Any, rng: Any) -> tuple[np.ndarray, np.ndarray]:
        shape = self._extended_shape(sample_shape)
        u = np.random.Generator(as_bit_generator(rng)).random(shape, dtype=self.dtype)
        gumbels = -np.log(-np.log(clamp_probs(u)))
        scores = (self.logits + gumbels) / self.temperature
        return scores, scores - logsumexp(scores, keepdims=True)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        y: np.ndarray = np.exp(self._scores(sample_shape, rng)[1])
        return y

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """Sample ``y = softmax(s)``, ``s = (logits + G) / temperature``, and its VJP with
        respect to ``probs``/``logits`` (through the normalisation) and ``temperature``."""
        scores, log_y = self._scores(sample_shape, rng)
        y = np.exp(log_y)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = np.asarray(g, dtype=self.dtype)
            ds = y * (g - (y * g).sum(-1, keepdims=True))
            t = self.temperature
            grads = self._categorical._normalisation_vjp(None, ds / t)
            grads["temperature"] = self._grad("temperature", -ds * scores / t)
            return grads

        return y, vjp

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        """torch's form: the ExpRelaxedCategorical density of ``log(value)`` less the
        log-Jacobian ``sum(log(value))`` of the exp transform."""
        k = vjp.value_of(p.logits).shape[-1]
        x = np.log(value)
        log_scale = math.lgamma(k) + np.log(p.temperature) * (k - 1)
        score = p.logits - x * p.temperature
        score = (score - vjp.logsumexp(score, keepdims=True)).sum(-1)
        return score + log_scale - x.sum(-1)

    def _vjp_namespace(self, leaves: dict[str, Any]) -> Any:
        """temperature and the normalised logits, from the leaves as given (torch's
        normalisation: ``probs / sum`` clamped then logged, or ``logits - logsumexp``)."""
        name = self._categorical._param_name
        raw = leaves[name]
        if name == "probs":
            eps = float(np.finfo(self.dtype).eps)
            logits = np.log(vjp.clip(raw / raw.sum(-1, keepdims=True), eps, 1 - eps))
        else:
            logits = raw - vjp.logsumexp(raw, keepdims=True)
        return SimpleNamespace(temperature=leaves["temperature"], logits=logits)

    def log_prob(self, value: Any) -> np.ndarray:
        value = self._validate_sample(value)
        lp: np.ndarray = np.asarray(self._log_prob(self, value)).astype(self.dtype, copy=False)
        return lp

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP with respect to ``temperature``, ``probs``/``logits``
        (through the normalisation) and ``value``."""
        v = self._validate_sample(value)
        vv = v.astype(np.result_type(v.dtype, self.dtype), copy=False)
        return vjp.closed_form_vjp(self._log_prob, self, vv, v.shape, self._value_grad_dtype(value, vv))

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self.rsample(as_shape(sample_shape), rng=rng)

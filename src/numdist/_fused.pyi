import numpy as np
import numpy.typing as npt

# (S, B) operands of one dtype (float32 or float64), aligned, any strides;
# column outputs contiguous (B,).
_FloatArray = npt.NDArray[np.float32 | np.float64]

def affine(loc: _FloatArray, scale: _FloatArray, eps: _FloatArray, out: _FloatArray) -> _FloatArray: ...
def affine_vjp(g: _FloatArray, eps: _FloatArray, dloc: _FloatArray | None, dscale: _FloatArray | None) -> None: ...
def normal_log_prob(x: _FloatArray, loc: _FloatArray, scale: _FloatArray, log_scale: _FloatArray,
                    half_log_2pi: float, lp: _FloatArray) -> _FloatArray: ...
def normal_log_prob_vjp(g: _FloatArray, x: _FloatArray, loc: _FloatArray, scale: _FloatArray,
                        dvalue: _FloatArray | None, dloc: _FloatArray | None,
                        dscale: _FloatArray | None) -> None: ...

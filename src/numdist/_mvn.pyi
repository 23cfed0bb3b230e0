from typing import TypeVar

import numpy as np
import numpy.typing as npt

from numdist._rng import _RNGLike

# Operands are float32 or float64 (one dtype per call), aligned, any strides.
_FloatArray = npt.NDArray[np.float32 | np.float64]
_OutT = TypeVar("_OutT", bound=_FloatArray)

MAXD: int

def cholesky(A: _FloatArray, L: _FloatArray, precision: bool = ...) -> tuple[int, int]: ...
def symmetric_check(A: _FloatArray, rtol: float, atol: float, finite: bool = ...) -> tuple[int, int, int] | None: ...
def cholesky_packed(A: _FloatArray, P: _FloatArray) -> tuple[int, int]: ...
def draw(rng: _RNGLike, out: _OutT, loc: _FloatArray | None, L: _FloatArray,
         eps: _FloatArray | None = ..., packed: bool = ...) -> _OutT: ...
def cov_draw(rng: _RNGLike, out: _FloatArray, loc: _FloatArray | None, A: _FloatArray,
             L: _FloatArray | None = ..., eps: _FloatArray | None = ...) -> tuple[int, int]: ...
def solve(L: _FloatArray, x: _FloatArray, loc: _FloatArray | None = ..., maha: _FloatArray | None = ...,
          y: _FloatArray | None = ..., lp: _FloatArray | None = ..., transpose: bool = ...,
          hld: _FloatArray | None = ..., packed: bool = ...) -> None: ...
def logdet(L: _FloatArray, out: _OutT, packed: bool = ...) -> _OutT: ...

from typing import TypeVar

import numpy as np
import numpy.typing as npt

from numdist._rng import _RNGLike

# float32 or float64 (the kernels have no other variant)
_FloatArray = npt.NDArray[np.float32 | np.float64]
_OutT = TypeVar("_OutT", bound=_FloatArray)

METHODS: dict[str, int]

def normal_fill(rng: _RNGLike, method: str, out: _OutT, loc: _FloatArray | None = ...,
                scale: _FloatArray | None = ...) -> _OutT: ...
def ndtr(x: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
def ndtri(p: npt.ArrayLike) -> npt.NDArray[np.float64]: ...

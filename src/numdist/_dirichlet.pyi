from typing import TypeVar

import numpy as np
import numpy.typing as npt

from numdist._rng import _RNGLike

_OutT = TypeVar("_OutT", bound=npt.NDArray[np.float32] | npt.NDArray[np.float64])

def rows_per_chunk(K: int) -> int: ...
def dirichlet_fill(rng: _RNGLike, out: _OutT, alpha: npt.NDArray[np.float32] | npt.NDArray[np.float64]) -> _OutT: ...

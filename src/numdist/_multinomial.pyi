import numpy as np
import numpy.typing as npt

from numdist._rng import _RNGLike

def rows_per_chunk(K: int) -> int: ...
def multinomial_fill(rng: _RNGLike, out: npt.NDArray[np.int64], n: npt.NDArray[np.int64],
                     p: npt.NDArray[np.float32] | npt.NDArray[np.float64]) -> npt.NDArray[np.int64]: ...

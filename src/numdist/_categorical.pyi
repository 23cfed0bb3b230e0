import numpy as np
import numpy.typing as npt

from numdist._rng import _RNGLike

TABLE_DTYPE: np.dtype[np.void]
MAX_ALIAS_K: int

class BadRowError(ValueError):
    row: int
    def __init__(self, row: int) -> None: ...

def prefer_alias(K: int, n_per_row: int, nrows: int = ...) -> bool: ...
def build_table(w: npt.NDArray[np.float64]) -> npt.NDArray[np.void]: ...
def check_rows(w: npt.NDArray[np.float64]) -> None: ...
def sample_rows(rng: _RNGLike, w: npt.NDArray[np.float64] | None, n: int, table: npt.NDArray[np.void] | None = ...,
                *, alias: bool | None = ..., out: npt.NDArray[np.int64] | None = ...) -> npt.NDArray[np.int64]: ...

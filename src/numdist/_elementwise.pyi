from typing import TypeVar

import numpy as np
import numpy.typing as npt

from numdist._rng import _RNGLike

_OutT = TypeVar("_OutT", bound=np.ndarray)

def kernel_names() -> tuple[str, ...]: ...
def kernel_info(name: str) -> tuple[int, bool]: ...
def fill(name: str, rng: _RNGLike, out: _OutT, *params: npt.NDArray[np.float32 | np.float64] | None) -> _OutT: ...
def fill_tiles(name: str, rng: _RNGLike, shape: tuple[int, ...], c0: int, c1: int, buf: _OutT,
               *params: npt.NDArray[np.float32 | np.float64] | None, nthreads: int = 0) -> _OutT: ...

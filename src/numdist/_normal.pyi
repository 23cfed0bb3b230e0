from typing import Any

import numpy as np
import numpy.typing as npt

METHODS: dict[str, int]

def normal_fill(rng: Any, method: str, out: npt.NDArray[Any], loc: npt.NDArray[Any] | None = ...,
                scale: npt.NDArray[Any] | None = ...) -> npt.NDArray[Any]: ...
def ndtr(x: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
def ndtri(p: npt.ArrayLike) -> npt.NDArray[np.float64]: ...

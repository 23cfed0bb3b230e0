from collections.abc import Sequence
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt
from typing_extensions import NotRequired, TypeAlias

# What ``rng=`` accepts (SPEC 7); anything else raises TypeError at run time.
_RNGLike: TypeAlias = (
    int | np.integer[Any] | np.random.SeedSequence | np.random.BitGenerator | np.random.Generator | None
)

class _XoshiroInternal(TypedDict):
    key: list[int]
    counter: int

class _XoshiroState(TypedDict):
    bit_generator: str
    seeding: int  # 2 since numdist 0.2 (Philox4x64-10 row seeds); other versions are refused
    state: _XoshiroInternal
    buffered: NotRequired[int]

class Xoshiro256x8(np.random.BitGenerator):
    def __init__(
        self, seed: int | Sequence[int] | npt.NDArray[np.integer[Any]] | np.random.SeedSequence | None = ...
    ) -> None: ...
    # numpy's own bit generators narrow ``state`` to their TypedDict the same way
    @property  # type: ignore[override]
    def state(self) -> _XoshiroState: ...
    @state.setter
    def state(self, value: _XoshiroState) -> None: ...

class RandomSource:
    def __enter__(self) -> RandomSource: ...
    def __exit__(self, *exc: object) -> Literal[False]: ...

def manual_seed(seed: int | np.integer[Any] | np.random.SeedSequence) -> None: ...
def global_bit_generator() -> Xoshiro256x8: ...
def as_bit_generator(rng: _RNGLike) -> np.random.BitGenerator: ...
def random_source(rng: _RNGLike) -> RandomSource: ...

"""The committed ziggurat tables and the stream's words, read in Python.

For the tests that re-implement a sampler's rule word by word and compare every SIMD
level against it (test_simd_levels.py: float32 normals; test_normal64_levels.py:
float64 normals; test_exponential_levels.py: exponentials). Not a test module.
"""
from __future__ import annotations

import math
import pathlib
import re
from typing import Any, Callable

ROOT = pathlib.Path(__file__).resolve().parents[1]
_TABLES = (ROOT / "csrc" / "ziggurat_tables.c").read_text()
_HEADER = (ROOT / "csrc" / "include" / "numdist" / "ziggurat_tables.h").read_text()


def table(name: str, conv: Callable[[str], Any]) -> list[Any]:
    """The entries of the C array ``name`` of csrc/ziggurat_tables.c (any number of
    dimensions, flattened in C order), each converted by ``conv``."""
    body = re.search(rf"\b{name}(?:\[\d+\])+[^=]*=\s*\{{(.*?)\}};", _TABLES, re.S).group(1)
    items = (t.strip() for t in body.replace("{", ",").replace("}", ",").split(","))
    return [conv(t) for t in items if t]


def uint_literal(tok: str) -> int:
    """``UINT64_C(n)`` or ``UINT32_C(n)`` -> n."""
    return int(re.fullmatch(r"UINT(?:64|32)_C\((\d+)\)", tok).group(1))


def header_constant(name: str) -> float:
    """A hexadecimal float ``#define`` of ziggurat_tables.h."""
    return float.fromhex(re.search(rf"#define {name} (\S+)", _HEADER).group(1))


ZIG_R = header_constant("ND_ZIG_R")
ZIG_INV_R = header_constant("ND_ZIG_INV_R")


class Words:
    """The stream's 64-bit words, consumed in order (``pos``: how many so far)."""

    def __init__(self, words: Any) -> None:
        self._words = words
        self.pos = 0

    def next(self) -> int:
        w = int(self._words[self.pos])
        self.pos += 1
        return w

    def u_co(self) -> float:
        """A uniform on [0, 1) from the top 53 bits of the next word."""
        return (self.next() >> 11) * 2.0**-53

    def u_oc(self) -> float:
        """A uniform on (0, 1] from the top 53 bits of the next word."""
        return ((self.next() >> 11) + 1) * 2.0**-53


def normal_tail(words: Words) -> float:
    """The magnitude of a normal in the ziggurat's tail (beyond ZIG_R): Marsaglia's
    method, two (0, 1] uniforms per try (computed with math.log: the library's log may
    differ in the last bit, so callers compare tail values with a tolerance)."""
    while True:
        xx = -math.log(words.u_oc()) * ZIG_INV_R
        yy = -math.log(words.u_oc())
        if yy + yy > xx * xx:
            return ZIG_R + xx

import os

import numpy as np
import pytest
from hypothesis import settings

# Hypothesis profiles (tests/test_fuzz.py and every @given test):
#   ci    (default, NUMDIST_FUZZ unset): derandomised, the same examples every run,
#         300 examples per property (the fuzz tests take a fifth of that per registry case)
#   long  (NUMDIST_FUZZ=long): random examples, 4000 per property, for local runs
settings.register_profile("ci", derandomize=True, max_examples=300, deadline=None, database=None,
                          print_blob=True)
settings.register_profile("long", max_examples=4000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("NUMDIST_FUZZ") or "ci")


@pytest.fixture
def torch():
    """torch (CPU, float64 by default for comparisons); a test extra, installed in CI."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def assert_rel(actual, expected, rtol, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def ks_pvalue(x, cdf):
    from scipy import stats

    return stats.kstest(np.asarray(x, dtype=np.float64).ravel(), cdf).pvalue


def assert_same_bits(ref, got, cap):
    """Every array of the npz file ``got`` (written at ``NUMDIST_SIMD_MAX=cap``) has the
    dtype, shape and bits of the same-named array of ``ref``."""
    assert sorted(got.files) == sorted(ref.files)
    for name in ref.files:
        a, b = ref[name], got[name]
        assert a.dtype == b.dtype and a.shape == b.shape, name
        bits = {4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
        diff = np.flatnonzero(a.view(bits).ravel() != b.view(bits).ravel())
        assert diff.size == 0, f"{name} at NUMDIST_SIMD_MAX={cap}: {diff.size} values differ, first at {diff[:5]}"


def run_at_simd_level(script, cap, *args, key="level", timeout=900):
    """Run ``python -c script *args`` in a subprocess with ``NUMDIST_SIMD_MAX=cap`` (None:
    no cap; the library reads it once at load, hence the subprocess) and return field
    ``key`` of the JSON object the script prints last."""
    import json
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("NUMDIST_SIMD_MAX", None)
    if cap is not None:
        env["NUMDIST_SIMD_MAX"] = cap
    proc = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])[key]


def peak_bytes(fn, warm=False):
    """Peak bytes traced (tracemalloc) while ``fn()`` runs, above what was allocated
    before it; ``warm``: call ``fn`` once first (lazy imports, tables, caches)."""
    import tracemalloc

    if warm:
        fn()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak - base


def strided_views(shape, dtype):
    """Views the kernels must write without copying: contiguous, every other element,
    negative stride, transposed, zero-size; each with its base to check nothing else is touched."""
    n = int(np.prod(shape))
    views = {}
    base = np.full(n, np.nan, dtype=dtype)
    views["contiguous"] = (base, base.reshape(shape))
    base = np.full(2 * n, np.nan, dtype=dtype)
    views["step2"] = (base, base[::2].reshape(shape) if len(shape) == 1 else base.reshape(shape[:-1] + (2 * shape[-1],))[..., ::2])
    base = np.full(n, np.nan, dtype=dtype)
    views["negative"] = (base, base[::-1].reshape(shape) if len(shape) == 1 else base.reshape(shape)[..., ::-1])
    base = np.full(n, np.nan, dtype=dtype)
    views["transposed"] = (base, base.reshape(shape[::-1]).T)
    return views


def pytest_collection_modifyitems(config, items):
    """Apply the registry's known failures: ``Case.xfail = {"test_name": "reason"}`` marks
    that one test of that one entry (for KL pairs: of the pair's ``p`` or ``q``) as a
    strict xfail."""
    try:
        from registry import Case
    except ImportError:
        return
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        name = item.originalname
        cases = []
        for v in callspec.params.values():
            if isinstance(v, Case):
                cases.append(v)
            elif isinstance(v, tuple) and v and all(isinstance(x, Case) for x in v):
                cases.extend(v)
        for c in cases:
            reason = c.xfail.get(name)
            if reason:
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"{c.id}: {reason}"))
                break


@pytest.fixture
def torch_float64():
    """torch's default dtype float64 during one test (modules that compare in float64 use it
    through ``pytestmark``; setting it at import would leak into every later module)."""
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)

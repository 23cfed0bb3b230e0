"""``python -m numdist bench``: the benchmark table against numpy, torch and scipy."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# --machine avx2: the process runs again with every library capped at AVX2, as on an
# AVX2-only x86-64 (NUMDIST_SIMD_MAX=avx2 alone caps numdist and leaves its peers at
# the machine's widest level: a stricter comparison than the target's machine)
_MACHINE_ENV = "NUMDIST_BENCH_MACHINE"


def _avx2_machine_env() -> dict[str, str]:
    """The environment that caps numdist, NumPy, torch and jax at AVX2."""
    import importlib

    dispatch: list[str] = []
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # NumPy 2, 1
        try:
            dispatch = list(importlib.import_module(name).__cpu_dispatch__)
            break
        except ImportError:
            continue
    wide = [f for f in dispatch if "AVX512" in f or f == "X86_V4"]  # NumPy's AVX-512 dispatch targets
    xla = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith("--xla_cpu_max_isa"))
    return {"NUMDIST_SIMD_MAX": "avx2", "NPY_DISABLE_CPU_FEATURES": " ".join(wide),
            "ATEN_CPU_CAPABILITY": "avx2", "XLA_FLAGS": (xla + " --xla_cpu_max_isa=AVX2").strip(),
            _MACHINE_ENV: "avx2"}


def _peer_caps() -> str:
    """What the peers were capped to (the header of a --machine avx2 run)."""
    caps = [f"NumPy without {os.environ.get('NPY_DISABLE_CPU_FEATURES') or 'nothing'}"]
    try:
        import torch

        caps.append(f"torch {torch.backends.cpu.get_cpu_capability()}")
    except ImportError:
        pass
    caps.append(f"jax {os.environ.get('XLA_FLAGS', '')}")
    return "; ".join(caps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m numdist")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="time numdist against numpy, torch and scipy in one run")
    b.add_argument("--scale", type=float, default=1.0, help="problem size factor (default 1: the sizes of docs/performance.md)")
    b.add_argument("--repeat", type=int, default=5, help="timing rounds per row; the best is kept")
    b.add_argument("--only", default=None, help="comma-separated families: normal,mvn,categorical")
    b.add_argument("--json", metavar="PATH", help="also write the records as JSON")
    b.add_argument("--plot", metavar="PATH", help="also save a bar chart of speed-ups (needs matplotlib)")
    b.add_argument("--machine", choices=("native", "avx2"), default="native",
                   help="avx2: time as on an AVX2-only x86-64, numdist and its peers (NumPy, torch, jax) "
                        "all capped at AVX2 (NUMDIST_SIMD_MAX=avx2 alone caps numdist only)")
    args = parser.parse_args(argv)
    if args.machine == "avx2" and os.environ.get(_MACHINE_ENV) != "avx2":
        # the caps are read when the libraries load: run again in a capped process
        cmd = [sys.executable, "-m", "numdist", *(sys.argv[1:] if argv is None else argv)]
        return subprocess.call(cmd, env={**os.environ, **_avx2_machine_env()})

    from numdist import benchmarks

    families = tuple(args.only.split(",")) if args.only else benchmarks.FAMILIES
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("--plot needs matplotlib: pip install 'numdist[bench]'", file=sys.stderr)
            return 2
    import numpy as np

    from numdist._elementwise import normal_simd_level, simd_level

    print(f"numdist benchmark (numpy {np.__version__}; single thread; best of {args.repeat}; "
          f"SIMD level {simd_level()}, normal kernels {normal_simd_level()}; "
          f"speed-up = peer time / numdist time)")
    if os.environ.get(_MACHINE_ENV) == "avx2":
        print(f"as on an AVX2-only machine: peers capped too ({_peer_caps()})")
    print(benchmarks.HEADER)
    records = benchmarks.run(args.scale, args.repeat, families)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    if args.plot:
        from numdist.benchmarks.plot import plot_speedups

        plot_speedups(records, args.plot)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m numdist bench``: the benchmark table against numpy, torch and scipy."""
from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m numdist")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="time numdist against numpy, torch and scipy in one run")
    b.add_argument("--scale", type=float, default=1.0, help="problem size factor (default 1: the sizes of docs/performance.md)")
    b.add_argument("--repeat", type=int, default=5, help="timing rounds per row; the best is kept")
    b.add_argument("--only", default=None, help="comma-separated families: normal,mvn,categorical")
    b.add_argument("--json", metavar="PATH", help="also write the records as JSON")
    b.add_argument("--plot", metavar="PATH", help="also save a bar chart of speed-ups (needs matplotlib)")
    args = parser.parse_args(argv)

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

#!/usr/bin/env python3
"""Generate csrc/ziggurat_tables.h: 256-layer ziggurat tables for the standard normal.

Pure Python (stdlib ``decimal`` only), deterministic: running it again reproduces the
committed header byte for byte.  Usage::

    python tools/gen_ziggurat_tables.py            # writes csrc/ziggurat_tables.h
    python tools/gen_ziggurat_tables.py --check    # exit 1 if the file differs

Geometry (Marsaglia & Tsang 2000, numpy's layout).  f(x) = exp(-x^2/2) (unnormalised
density), N = 256 regions of equal area v:

  * region 0 is the base strip [0, q] x [0, f(r)] plus the tail x > r, where
    q = v / f(r) and v = r f(r) + int_r^inf f;
  * region i = 1..255 is the rectangle [0, x_i] x [f(x_i), f(x_{i-1})], with
    x_255 = r, x_0 = 0 and x_i (f(x_{i-1}) - f(x_i)) = v.

r is the root of "the top rectangle closes at f = 1", solved by bisection in 80-digit
decimal arithmetic.  A sample with layer i (8 bits), sign s (1 bit) and magnitude m
(B bits, B = 52 for float64 and 23 for float32) is x = m * w[i + 256 s]; it is accepted
at once when m < k[i] (the point is inside the next narrower rectangle); otherwise the
wedge test uses fd[i-1], fd[i] = f(x_{i-1}), f(x_i), and region 0 falls to the exact tail.

Tables emitted (index j = i + 256 s, i = layer, s = sign):
  nd_zig_k64[512]  uint64  floor(2^52 x_{i-1} / x_i)    (i = 0: floor(2^52 r / q))
  nd_zig_w64[512]  double  (-1)^s x_i / 2^52            (i = 0: q / 2^52), correctly rounded
  nd_zig_k32[512]  uint32  same with 2^23
  nd_zig_w32[512]  float   same with 2^23, correctly rounded to binary32 directly
  nd_zig_kw32[512] uint64  nd_zig_k32[j] | (bits of nd_zig_w32[j]) << 32 (one load for both)
  nd_zig_wedge[256][4]     x, idx, acc, rej of layer i in one row (one cache line half)
  nd_zig_planes32[6][256]  bytes of nd_zig_w32[i] and of nd_zig_k32[i] >> 7, i = 0..255
  nd_zig_fd[256]   double  f(x_i), fd[0] = 1
  nd_zig_x[256]    double  x_i (x_0 = 0; index 0 unused)
  nd_zig_idx[256]  double  1 / (x_i - x_{i-1})               (index 0 unused)
  nd_zig_acc[256]  double  A_i, and
  nd_zig_rej[256]  double  R_i: quick wedge decisions.  With t = (x_i - x) / (x_i -
                           x_{i-1}) and the wedge point y = f(x_i) + u (f(x_{i-1}) -
                           f(x_i)), the chord is u = t and the curve lies between it
                           and the parallel tangent u = t +- H_i (above the chord
                           where f is concave, x_i <= 1, below where convex,
                           x_{i-1} >= 1).  So u < t + A_i accepts and u > t + R_i
                           rejects, with A_i, R_i = -M, H_i + M (concave) or
                           -H_i - M, M (convex), margin M = 1e-9 (layer containing
                           x = 1: A = -2, R = 2, i.e. never).
k and w are repeated for both signs so that one 9-bit index addresses both.
Floating values are printed as C99 hexadecimal literals (exact), with %.17g comments
for the scalar constants.
"""
import argparse
import os
import sys
from decimal import Decimal, getcontext, ROUND_FLOOR, ROUND_HALF_EVEN

PREC = 80
N = 256
getcontext().prec = PREC

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc",
                   "ziggurat_tables.h")


def dec_pi():
    """pi to the context precision (recipe from the decimal module docs)."""
    getcontext().prec += 2
    three = Decimal(3)
    lasts, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
    while s != lasts:
        lasts = s
        n, na = n + na, na + 8
        d, da = d + da, da + 32
        t = (t * n) / d
        s += t
    getcontext().prec -= 2
    return +s


PI = dec_pi()
TWO = Decimal(2)


def f(x):
    return (-(x * x) / 2).exp()


def finv(y):
    return (-2 * y.ln()).sqrt()


def erfc(z):
    """erfc(z) for moderate z > 0: 1 - erf(z) with the all-positive series
    erf(z) = 2/sqrt(pi) e^{-z^2} sum_n 2^n z^{2n+1} / (1*3*...*(2n+1))."""
    getcontext().prec += 20
    term = z
    total = z
    n = 0
    eps = Decimal(10) ** (-(PREC + 20))
    while term > eps * total:
        n += 1
        term = term * 2 * z * z / (2 * n + 1)
        total += term
    res = 1 - 2 / PI.sqrt() * (-(z * z)).exp() * total
    getcontext().prec -= 20
    return +res


def tail_area(r):
    return (PI / 2).sqrt() * erfc(r / TWO.sqrt())


def layers(r):
    """Return (v, xs) with xs[i] = x_i for i = 1..N-1 (xs[0] = 0), or None when the
    layers reach the top (f >= 1) before layer 1, i.e. r is too small."""
    v = r * f(r) + tail_area(r)
    xs = [Decimal(0)] * N
    xs[N - 1] = r
    for i in range(N - 1, 1, -1):
        y = f(xs[i]) + v / xs[i]
        if y >= 1:
            return v, None
        xs[i - 1] = finv(y)
    return v, xs


def top_residual(r):
    v, xs = layers(r)
    if xs is None:
        return Decimal(1)
    return f(xs[1]) + v / xs[1] - 1


def solve_r():
    lo, hi = Decimal(3), Decimal(4)
    assert top_residual(lo) > 0 and top_residual(hi) < 0
    tol = Decimal(10) ** (-(PREC - 10))
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if top_residual(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def round_binary(x, p):
    """Round Decimal x (normal range) to the nearest binary float with p significant
    bits (ties to even).  Returns (mantissa M, exponent e) with value M * 2^e."""
    if x == 0:
        return 0, 0
    neg = x < 0
    a = -x if neg else x
    e = 0
    while a >= 2:
        a /= 2
        e += 1
    while a < 1:
        a *= 2
        e -= 1
    # a in [1, 2): exact scalings by 2 (context precision is ample)
    scaled = a * (TWO ** (p - 1))
    m = int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN))
    if m == 1 << p:
        m >>= 1
        e += 1
    m_exp = e - (p - 1)
    return (-m if neg else m), m_exp


def hexfloat(x, p):
    """C99 hexadecimal literal of x correctly rounded to p bits (53 or 24)."""
    m, e = round_binary(x, p)
    if m == 0:
        return "0x0p+0"
    sign = "-" if m < 0 else ""
    m = abs(m)
    # normalise to 1.xxx form with the fraction in whole hex digits
    nfrac = p - 1
    frac = m - (1 << nfrac)
    pad = (-nfrac) % 4
    frac <<= pad
    digits = (nfrac + pad) // 4
    exp = e + nfrac
    s = "%s0x1.%0*xp%+d" % (sign, digits, frac, exp)
    return s


def binary32_bits(x):
    """IEEE binary32 bit pattern of x correctly rounded to 24 bits (normal range)."""
    m, e = round_binary(x, 24)
    sign = 1 << 31 if m < 0 else 0
    m = abs(m)
    assert (1 << 23) <= m < (1 << 24)
    biased = e + 23 + 127
    assert 0 < biased < 255
    return sign | (biased << 23) | (m - (1 << 23))


def as_double(x):
    m, e = round_binary(x, 53)
    return float(m) * 2.0 ** e


def floor_int(x):
    return int(x.to_integral_value(rounding=ROUND_FLOOR))


def build():
    r = solve_r()
    v, xs = layers(r)
    q = v / f(r)
    fd = [Decimal(1)] + [f(xs[i]) for i in range(1, N)]

    def ratio(i):
        return (r / q) if i == 0 else (xs[i - 1] / xs[i])

    def width(i):
        return q if i == 0 else xs[i]

    k64 = [floor_int(ratio(i) * TWO ** 52) for i in range(N)]
    k32 = [floor_int(ratio(i) * TWO ** 23) for i in range(N)]
    w64 = [hexfloat(width(i) / TWO ** 52, 53) for i in range(N)]
    w32 = [hexfloat(width(i) / TWO ** 23, 24) for i in range(N)]
    w32b = [binary32_bits(width(i) / TWO ** 23) for i in range(N)]
    fdh = [hexfloat(fd[i], 53) for i in range(N)]
    assert all(0 <= k < 2 ** 52 for k in k64) and all(0 <= k < 2 ** 23 for k in k32)
    xh = [hexfloat(xs[i], 53) for i in range(N)]
    idx = ["0x0p+0"] * N
    acc = ["0x0p+0"] * N
    rej = ["0x0p+0"] * N
    margin = Decimal("1e-9")
    for i in range(1, N):
        a, c = xs[i - 1], xs[i]
        dx, df = c - a, fd[i - 1] - fd[i]
        idx[i] = hexfloat(1 / dx, 53)
        if a < 1 < c:
            acc[i], rej[i] = hexfloat(Decimal(-2), 53), hexfloat(Decimal(2), 53)
            continue
        # tangent point: f'(x*) = chord slope, i.e. x* f(x*) = df/dx (x f(x) is
        # monotone on each side of 1)
        target = df / dx
        lo, hi = a, c
        increasing = c <= 1
        for _ in range(200):
            mid = (lo + hi) / 2
            if (mid * f(mid) < target) == increasing:
                lo = mid
            else:
                hi = mid
        xstar = (lo + hi) / 2
        chord = fd[i] + (c - xstar) / dx * df
        band = abs(f(xstar) - chord) / df
        if c <= 1:
            acc[i], rej[i] = hexfloat(-margin, 53), hexfloat(band + margin, 53)
        else:
            acc[i], rej[i] = hexfloat(-band - margin, 53), hexfloat(margin, 53)
    return dict(r=r, v=v, q=q, k64=k64, k32=k32, w64=w64, w32=w32, w32b=w32b, fd=fdh,
                x=xh, idx=idx, acc=acc, rej=rej)


def neg(h):
    return h[1:] if h.startswith("-") else "-" + h


def emit(t):
    lines = []
    a = lines.append
    a("/* GENERATED by tools/gen_ziggurat_tables.py -- do not edit by hand.")
    a(" *")
    a(" * 256-layer ziggurat for the standard normal (Marsaglia & Tsang layout, as in")
    a(" * numpy's random/src/distributions).  Index j = layer + 256 * sign; see the")
    a(" * generator's docstring for the exact definitions.  Values are exact hex floats.")
    a(" */")
    a("#ifndef NUMDIST_ZIGGURAT_TABLES_H")
    a("#define NUMDIST_ZIGGURAT_TABLES_H")
    a("")
    a("#include <stdint.h>")
    a("")
    a("#if defined(__GNUC__)")
    a("#define ND_ZIG_ALIGNED __attribute__((aligned(64)))")
    a("#else")
    a("#define ND_ZIG_ALIGNED")
    a("#endif")
    a("")
    rd = as_double(t["r"])
    a("/* r = %.17g: start of the tail */" % rd)
    a("#define ND_ZIG_R %s" % hexfloat(t["r"], 53))
    a("/* 1/r = %.17g */" % as_double(1 / t["r"]))
    a("#define ND_ZIG_INV_R %s" % hexfloat(1 / t["r"], 53))
    a("/* v = %.17g: area of each of the 256 regions (unnormalised density) */"
      % as_double(t["v"]))
    a("#define ND_ZIG_V %s" % hexfloat(t["v"], 53))
    a("/* q = v / f(r) = %.17g: width of the base strip */" % as_double(t["q"]))
    a("#define ND_ZIG_Q %s" % hexfloat(t["q"], 53))
    a("")

    def table(ctype, name, vals, per_line, fmt, attr=""):
        a("static const %s %s[%d]%s = {" % (ctype, name, len(vals), attr))
        for i in range(0, len(vals), per_line):
            chunk = vals[i:i + per_line]
            a("    " + ", ".join(fmt(x) for x in chunk) + ",")
        a("};")
        a("")

    k64 = t["k64"] + t["k64"]
    k32 = t["k32"] + t["k32"]
    w64 = t["w64"] + [neg(h) for h in t["w64"]]
    w32 = t["w32"] + [neg(h) for h in t["w32"]]
    a("/* accept m (52-bit magnitude) at once when m < nd_zig_k64[j] */")
    table("uint64_t", "nd_zig_k64", k64, 4, lambda k: "UINT64_C(%d)" % k)
    a("/* x = m * nd_zig_w64[j] (sign included) */")
    table("double", "nd_zig_w64", w64, 3, lambda h: h)
    a("/* accept m (23-bit magnitude) at once when m < nd_zig_k32[j] */")
    table("uint32_t", "nd_zig_k32", k32, 6, lambda k: "UINT32_C(%d)" % k)
    a("/* x = (float)m * nd_zig_w32[j] (sign included) */")
    table("float", "nd_zig_w32", w32, 4, lambda h: h + "f")
    kw32 = [k | (wb << 32) for k, wb in zip(t["k32"], t["w32b"])]
    kw32 += [k | ((wb ^ (1 << 31)) << 32) for k, wb in zip(t["k32"], t["w32b"])]
    a("/* nd_zig_k32[j] | (binary32 bits of nd_zig_w32[j]) << 32: both in one load */")
    table("uint64_t", "nd_zig_kw32", kw32, 3, lambda v: "UINT64_C(0x%016x)" % v, " ND_ZIG_ALIGNED")
    # byte planes for table lookups by byte permutes: layer i (no sign)
    planes = [[(wb >> (8 * b)) & 0xff for wb in t["w32b"]] for b in range(4)]
    planes += [[((k >> 7) >> (8 * b)) & 0xff for k in t["k32"]] for b in range(2)]
    a("/* byte planes of layer i = 0..255 for byte-permute lookups: planes 0-3 the")
    a(" * bytes of the binary32 bits of nd_zig_w32[i] (low byte first), planes 4-5 the")
    a(" * bytes of nd_zig_k32[i] >> 7 (a 16-bit threshold: (m >> 7) < it implies m < k) */")
    a("static const uint8_t nd_zig_planes32[6][256] ND_ZIG_ALIGNED = {")
    for pl in planes:
        a("    {")
        for i in range(0, 256, 16):
            a("        " + ", ".join("%d" % v for v in pl[i:i + 16]) + ",")
        a("    },")
    a("};")
    a("")
    a("/* f(x_i) = exp(-x_i^2 / 2), fd[0] = 1: wedge test bounds */")
    table("double", "nd_zig_fd", t["fd"], 3, lambda h: h)
    a("/* x_i (right edge of layer i) */")
    table("double", "nd_zig_x", t["x"], 3, lambda h: h)
    a("/* 1/(x_i - x_{i-1}) */")
    table("double", "nd_zig_idx", t["idx"], 3, lambda h: h)
    a("/* wedge: u < t + acc[i] accepts, u > t + rej[i] rejects, t = (x_i - x) idx[i] */")
    table("double", "nd_zig_acc", t["acc"], 3, lambda h: h)
    table("double", "nd_zig_rej", t["rej"], 3, lambda h: h)
    a("/* the same four per layer in one 32-byte row: x_i, idx, acc, rej */")
    a("static const double nd_zig_wedge[256][4] ND_ZIG_ALIGNED = {")
    for i in range(N):
        a("    {%s, %s, %s, %s}," % (t["x"][i], t["idx"][i], t["acc"][i], t["rej"][i]))
    a("};")
    a("")
    a("#endif")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the header differs")
    ap.add_argument("-o", "--output", default=OUT)
    args = ap.parse_args(argv)
    text = emit(build())
    path = os.path.normpath(args.output)
    if args.check:
        try:
            with open(path, "r", newline="") as fh:
                old = fh.read()
        except OSError:
            old = None
        if old != text:
            print("%s is out of date" % path, file=sys.stderr)
            return 1
        print("%s is up to date" % path)
        return 0
    with open(path, "w", newline="\n") as fh:
        fh.write(text)
    print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

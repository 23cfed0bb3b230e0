#!/usr/bin/env python3
"""Generate the 256-layer ziggurat tables of the standard normal and the standard
exponential:

  csrc/include/numdist/ziggurat_tables.h   constants and extern declarations
                                           (hidden visibility: no GOT indirection)
  csrc/ziggurat_tables.c                   the table definitions

Pure Python (stdlib ``decimal`` only, 80 significant digits; no mpmath, no binary
floats in the computation), deterministic: running it again reproduces the committed
files byte for byte (tests/test_tables.py checks that).  Usage::

    python tools/gen_ziggurat_tables.py                 # writes both files
    python tools/gen_ziggurat_tables.py --check         # exit 1 if either differs
    python tools/gen_ziggurat_tables.py -o DIR          # write both files into DIR

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

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
OUT_H = os.path.join(ROOT, "csrc", "include", "numdist", "ziggurat_tables.h")
OUT_C = os.path.join(ROOT, "csrc", "ziggurat_tables.c")


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


# --- standard exponential -------------------------------------------------------
#
# f(x) = exp(-x), N = 256 regions of equal area ve:
#   * region 0 is the base strip [0, qe] x [0, f(re)] plus the tail x > re, where
#     ve = re f(re) + int_re^inf f = (re + 1) exp(-re) and qe = ve / f(re) = re + 1;
#   * region i = 1..255 is [0, xe_i] x [f(xe_i), f(xe_{i-1})], xe_255 = re, xe_0 = 0.
# re solves "the top rectangle closes at f = 1" (bisection, as for the normal).
# A candidate with layer i (8 bits) and magnitude m (53 bits) is x = m * nd_exp_w[i];
# accepted at once when m < nd_exp_k[i]; region 0 beyond re is the tail (re + a fresh
# exponential, by memorylessness); layers i >= 1 go to the wedge test with
# nd_exp_fe[i-1], nd_exp_fe[i] and the quick decisions of nd_exp_wedge (f is convex
# everywhere: the curve lies below the chord and above the parallel tangent, so
# acc = -H_i - M, rej = M, margin M = 1e-9 of the layer height).
#
# Tables (i = layer):
#   nd_exp_k[256]       uint64  floor(2^53 xe_{i-1} / xe_i)   (i = 0: floor(2^53 re / qe))
#   nd_exp_w[256]       double  xe_i / 2^53                     (i = 0: qe / 2^53)
#   nd_exp_fe[256]      double  f(xe_i), fe[0] = 1
#   nd_exp_wedge[256][4]        xe_i, 1/(xe_i - xe_{i-1}), acc_i, rej_i (row 0 unused)


def fexp(x):
    return (-x).exp()


def exp_layers(r):
    v = (r + 1) * fexp(r)
    xs = [Decimal(0)] * N
    xs[N - 1] = r
    for i in range(N - 1, 1, -1):
        y = fexp(xs[i]) + v / xs[i]
        if y >= 1:
            return v, None
        xs[i - 1] = -y.ln()
    return v, xs


def exp_top_residual(r):
    v, xs = exp_layers(r)
    if xs is None:
        return Decimal(1)
    return fexp(xs[1]) + v / xs[1] - 1


def solve_exp_r():
    lo, hi = Decimal(7), Decimal(8)
    assert exp_top_residual(lo) > 0 and exp_top_residual(hi) < 0
    tol = Decimal(10) ** (-(PREC - 10))
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if exp_top_residual(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def build_exp():
    r = solve_exp_r()
    v, xs = exp_layers(r)
    q = v / fexp(r)
    fe = [Decimal(1)] + [fexp(xs[i]) for i in range(1, N)]

    def ratio(i):
        return (r / q) if i == 0 else (xs[i - 1] / xs[i])

    def width(i):
        return q if i == 0 else xs[i]

    k = [floor_int(ratio(i) * TWO ** 53) for i in range(N)]
    assert all(0 <= kk < 2 ** 53 for kk in k)
    w = [hexfloat(width(i) / TWO ** 53, 53) for i in range(N)]
    feh = [hexfloat(fe[i], 53) for i in range(N)]
    margin = Decimal("1e-9")
    wedge = [["0x0p+0"] * 4 for _ in range(N)]
    for i in range(1, N):
        a, c = xs[i - 1], xs[i]
        dx, df = c - a, fe[i - 1] - fe[i]
        # tangent parallel to the chord: f'(x*) = -df/dx, x* = -ln(df/dx)
        xstar = -(df / dx).ln()
        assert a < xstar < c
        chord = fe[i] + (c - xstar) / dx * df
        band = (chord - fexp(xstar)) / df
        assert band > 0
        wedge[i] = [hexfloat(c, 53), hexfloat(1 / dx, 53), hexfloat(-band - margin, 53),
                    hexfloat(margin, 53)]
    return dict(r=r, v=v, q=q, k=k, w=w, fe=feh, wedge=wedge)


def emit(t, te):
    """Return (header text, source text)."""
    hdr, src = [], []
    a = hdr.append
    s = src.append
    a("/* GENERATED by tools/gen_ziggurat_tables.py -- do not edit by hand.")
    a(" *")
    a(" * 256-layer ziggurats for the standard normal (Marsaglia & Tsang layout, as in")
    a(" * numpy's random/src/distributions) and for the standard exponential.  Normal")
    a(" * tables: index j = layer + 256 * sign; exponential tables: index = layer; see the")
    a(" * generator's docstring and comments for the exact definitions.  The tables")
    a(" * are defined in csrc/ziggurat_tables.c (exact hex floats); they have hidden")
    a(" * visibility, so code inlined into any TU of the kernel library addresses them")
    a(" * directly.")
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
    a("#if defined(__GNUC__) && !defined(_WIN32) && !defined(__CYGWIN__)")
    a("#define ND_ZIG_HIDDEN __attribute__((visibility(\"hidden\")))")
    a("#else")
    a("#define ND_ZIG_HIDDEN")
    a("#endif")
    a("")
    a("#ifdef __cplusplus")
    a('extern "C" {')
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

    s("/* GENERATED by tools/gen_ziggurat_tables.py -- do not edit by hand.")
    s(" * Definitions of the tables declared in numdist/ziggurat_tables.h. */")
    s("#include \"numdist/ziggurat_tables.h\"")
    s("")

    def table(ctype, name, vals, per_line, fmt, attr=""):
        a("extern ND_ZIG_HIDDEN const %s %s[%d]%s;" % (ctype, name, len(vals), attr))
        a("")
        s("ND_ZIG_HIDDEN const %s %s[%d]%s = {" % (ctype, name, len(vals), attr))
        for i in range(0, len(vals), per_line):
            chunk = vals[i:i + per_line]
            s("    " + ", ".join(fmt(x) for x in chunk) + ",")
        s("};")
        s("")

    def rows(ctype, name, nrow, ncol, lines, attr=""):
        a("extern ND_ZIG_HIDDEN const %s %s[%d][%d]%s;" % (ctype, name, nrow, ncol, attr))
        a("")
        s("ND_ZIG_HIDDEN const %s %s[%d][%d]%s = {" % (ctype, name, nrow, ncol, attr))
        for line in lines:
            s(line)
        s("};")
        s("")

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
    lines = []
    for pl in planes:
        lines.append("    {")
        for i in range(0, 256, 16):
            lines.append("        " + ", ".join("%d" % v for v in pl[i:i + 16]) + ",")
        lines.append("    },")
    rows("uint8_t", "nd_zig_planes32", 6, 256, lines, " ND_ZIG_ALIGNED")
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
    rows("double", "nd_zig_wedge", N, 4,
         ["    {%s, %s, %s, %s}," % (t["x"][i], t["idx"][i], t["acc"][i], t["rej"][i])
          for i in range(N)], " ND_ZIG_ALIGNED")

    a("/* --- standard exponential, f(x) = exp(-x) --- */")
    a("/* re = %.17g: start of the tail */" % as_double(te["r"]))
    a("#define ND_EXP_R %s" % hexfloat(te["r"], 53))
    a("/* ve = (re + 1) exp(-re) = %.17g: area of each region */" % as_double(te["v"]))
    a("#define ND_EXP_V %s" % hexfloat(te["v"], 53))
    a("/* qe = ve / f(re) = re + 1 = %.17g: width of the base strip */" % as_double(te["q"]))
    a("#define ND_EXP_Q %s" % hexfloat(te["q"], 53))
    a("")
    a("/* accept m (53-bit magnitude) at once when m < nd_exp_k[i] */")
    table("uint64_t", "nd_exp_k", te["k"], 4, lambda k: "UINT64_C(%d)" % k, " ND_ZIG_ALIGNED")
    a("/* x = m * nd_exp_w[i] */")
    table("double", "nd_exp_w", te["w"], 3, lambda h: h, " ND_ZIG_ALIGNED")
    a("/* f(xe_i) = exp(-xe_i), fe[0] = 1: wedge test bounds */")
    table("double", "nd_exp_fe", te["fe"], 3, lambda h: h)
    a("/* wedge rows xe_i, 1/(xe_i - xe_{i-1}), acc_i, rej_i: with t = (xe_i - x) * row[1],")
    a(" * u < t + acc accepts, u > t + rej rejects (row 0 unused) */")
    rows("double", "nd_exp_wedge", N, 4,
         ["    {%s}," % ", ".join(te["wedge"][i]) for i in range(N)], " ND_ZIG_ALIGNED")

    a("#ifdef __cplusplus")
    a("}")
    a("#endif")
    a("#endif")
    return "\n".join(hdr) + "\n", "\n".join(src)  + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if a generated file differs")
    ap.add_argument("-o", "--outdir", default=None,
                    help="write both files into this directory (default: their places "
                         "in the source tree)")
    args = ap.parse_args(argv)
    hdr, csrc = emit(build(), build_exp())
    if args.outdir:
        targets = [(os.path.join(args.outdir, "ziggurat_tables.h"), hdr),
                   (os.path.join(args.outdir, "ziggurat_tables.c"), csrc)]
    else:
        targets = [(os.path.normpath(OUT_H), hdr), (os.path.normpath(OUT_C), csrc)]
    status = 0
    for path, text in targets:
        if args.check:
            try:
                with open(path, "r", newline="") as fh:
                    old = fh.read()
            except OSError:
                old = None
            if old != text:
                print("%s is out of date" % path, file=sys.stderr)
                status = 1
            else:
                print("%s is up to date" % path)
            continue
        with open(path, "w", newline="\n") as fh:
            fh.write(text)
        print("wrote %s" % path)
    return status


if __name__ == "__main__":
    sys.exit(main())

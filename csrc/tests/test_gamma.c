/* Standalone checks of the gamma family kernels (numdist/gamma.h and the
 * element-wise entries standard_gamma, log_standard_gamma, chisquare,
 * standard_t, beta), and of the Dirichlet rows; no Python.
 *   test_gamma      run all checks
 *   test_gamma -v   print the statistics too
 * The general element-wise checks (strides, prefix, pieces, NULL defaults,
 * aliasing) run on these entries in test_elementwise.c as well.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/gamma.h"
#include "numdist/strided.h"
#include "numdist/xoshiro256.h"
#include "numdist/ziggurat.h"

#define ND_TEST_STREAM
#include "check.h"
static int verbose = 0;


static void reseed(uint64_t a)
{
    uint64_t k0 = (a + 3) * UINT64_C(0x9e3779b97f4a7c15), k1 = (a + 11) * UINT64_C(0xd1b54a32d192ed03);
    nd_xoshiro_seed(&xo, k0 ^ (k0 >> 29), k1 ^ (k1 >> 31));
    nd_bits_init_xoshiro(&bits, &xo);
}


#define NBIG 1000000
static double *A, *B;
static float *F;

static const nd_ew_kernel *K(const char *name)
{
    const nd_ew_kernel *k = nd_ew_find(name);
    if (!k) { printf("missing kernel %s\n", name); exit(1); }
    return k;
}

static void draw1(const char *name, intptr_t n, double *out, double a)
{
    K(name)->f64(&bits, n, (char *)out, 8, (const char *)&a, 0, NULL, 0);
}

/* ---------------------------------------------------------- reference CDF */

/* regularised lower incomplete gamma P(a, x), x = exp(lx) (test-only, libm) */
static double gammainc_p(double a, double lx)
{
    double x = exp(lx);
    if (x <= 0.0 || x < a + 1.0) {
        /* series: x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n)) */
        double term = 1.0, sum = 1.0;
        int n;
        for (n = 1; n < 100000; n++) {
            term *= x / (a + n);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return exp(a * lx - x - lgamma(a + 1.0)) * sum;
    } else {
        /* continued fraction for Q (Lentz) */
        double b = x + 1.0 - a, c = 1e300, d = 1.0 / b, h = d;
        int i;
        for (i = 1; i < 100000; i++) {
            double an = -i * (i - a), del;
            b += 2.0;
            d = an * d + b;
            if (fabs(d) < 1e-300) d = 1e-300;
            c = b + an / c;
            if (fabs(c) < 1e-300) c = 1e-300;
            d = 1.0 / d;
            del = d * c;
            h *= del;
            if (fabs(del - 1.0) < 1e-16) break;
        }
        return 1.0 - exp(a * lx - x - lgamma(a)) * h;
    }
}

static int cmp_d(const void *p, const void *q)
{
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

/* Kolmogorov-Smirnov distance of the n log-gamma samples L against P(a, e^L) */
static double ks_log(double a, double *L, intptr_t n)
{
    double dmax = 0.0;
    intptr_t i;
    qsort(L, (size_t)n, sizeof(double), cmp_d);
    for (i = 0; i < n; i++) {
        double f = gammainc_p(a, L[i]);
        double d1 = fabs(f - (double)i / n), d2 = fabs((double)(i + 1) / n - f);
        if (d1 > dmax) dmax = d1;
        if (d2 > dmax) dmax = d2;
    }
    return dmax;
}

/* a NumPy-style bit generator replaying a word array */
typedef struct { const uint64_t *w; uint64_t i; } replay_t;
static uint64_t replay_next(void *st)
{
    replay_t *r = (replay_t *)st;
    return r->w[r->i++];
}

/* ------------------------------------------------------------------ tests */

static void test_exp(void)
{
    double worst = 0, y;
    for (y = -745.0; y < 709.7; y += 0.0137) {
        double e = exp(y), r = nd_gamma_exp(y), rel;
        if (e < 0x1p-1022) continue;
        rel = fabs(r - e) / e;
        if (rel > worst) worst = rel;
    }
    if (verbose) printf("nd_gamma_exp worst rel err %.3g\n", worst);
    CHECK(worst < 3e-16, "nd_gamma_exp rel err %g", worst);
    CHECK(nd_gamma_exp(0.0) == 1.0, "exp(0)");
    CHECK(nd_gamma_exp(710.0) == INFINITY && nd_gamma_exp(1e308) == INFINITY, "exp overflow");
    CHECK(nd_gamma_exp(-746.0) == 0.0 && nd_gamma_exp(-INFINITY) == 0.0, "exp underflow");
    CHECK(isnan(nd_gamma_exp(NAN)), "exp NaN");
    CHECK(fabs(nd_gamma_exp(-740.0) - exp(-740.0)) <= 0x1p-1074, "exp subnormal %g vs %g",
          nd_gamma_exp(-740.0), exp(-740.0));
}

/* ---- a plain reference of the bulk rules (csrc/gamma.c, top comment) ------
 * Written from the rule's text with the scalar pieces of ziggurat.h and
 * gamma.h, one word at a time; the kernels must give its values and use its
 * words exactly, at every SIMD level. */

/* the ziggurat normal of candidate word w (its slow path drawing from bits) */
static double ref_normal_of(uint64_t w)
{
    uint64_t m = w >> 12;
    unsigned j = (unsigned)(w & 0x1ff);
    if (m < nd_zig_k64[j]) return (double)(int64_t)m * nd_zig_w64[j];
    return nd_standard_normal_slow(&bits, w);
}

/* a try of Marsaglia-Tsang with normal x and uniform word wu: 1 and d v^3 if accepted */
static int ref_try(double d, double c, double x, uint64_t wu, double *val)
{
    double cx = c * x, v = 1.0 + cx, u, x2;
    if (!(v > 0.0)) return 0;
    v = v * v * v;
    u = nd_u01_oc(wu);
    x2 = x * x;
    if (x2 * x2 < (1.0 - u) * ((108.0 * d) * (1.0 + (cx < 0.0 ? cx : 0.0))) ||
        nd_log_pos(u) < 0.5 * (x * x) + d * (1.0 - v + nd_log_pos(v))) {
        *val = d * v;
        return 1;
    }
    return 0;
}

/* tries until one is accepted, each a normal (nd_standard_normal) and then,
 * if v > 0, a uniform word */
static double ref_mt(double d, double c)
{
    for (;;) {
        double x = nd_standard_normal(&bits), cx = c * x, v = 1.0 + cx, val;
        if (v > 0.0 && ref_try(d, c, x, nd_bits_next64(&bits), &val)) return val;
    }
}

static double ref_log0(double g) { return g > 0.0 ? nd_log_pos(g) : -INFINITY; }

/* one kernel call, constant concentration a (0 < a < inf, a != 1, a + 1 != 1):
 * blocks of 64 tries (128 words: normals, then uniforms; slow-path words
 * after), accepted values in order, the leftover of the last block dropped;
 * a < 1: per piece of 1024 outputs, G(a + 1) values then as many exponentials */
static void ref_const(intptr_t n, double a, int log_, double *out)
{
    const double m = a < 1.0 ? a + 1.0 : a, d = m - 1.0 / 3.0, c = 1.0 / (3.0 * sqrt(d)), ia = 1.0 / a;
    double carry[64];
    int ci = 0, cn = 0;
    intptr_t k0, k;
    for (k0 = 0; k0 < n; k0 += 1024) {
        const intptr_t pc = n - k0 < 1024 ? n - k0 : 1024;
        for (k = 0; k < pc; k++) {
            while (ci == cn) {
                uint64_t w[128];
                int i;
                for (i = 0; i < 128; i++) w[i] = nd_bits_next64(&bits);
                for (i = 0, cn = ci = 0; i < 64; i++) {
                    double x = ref_normal_of(w[i]);
                    if (ref_try(d, c, x, w[64 + i], &carry[cn])) cn++;
                }
            }
            out[k0 + k] = carry[ci++];
        }
        if (a < 1.0) {
            static double e[1024];
            for (k = 0; k < pc; k++) e[k] = nd_standard_exponential(&bits);
            for (k = 0; k < pc; k++)
                out[k0 + k] = log_ ? ref_log0(out[k0 + k]) - e[k] * ia : out[k0 + k] * nd_gamma_exp(-(e[k] * ia));
        } else if (log_) {
            for (k = 0; k < pc; k++) out[k0 + k] = ref_log0(out[k0 + k]);
        }
    }
}

/* one kernel call, a concentration per element: per piece of 1024, blocks of
 * up to 64 elements (first tries: normals, then uniforms, two words each also
 * for bad a), then in element order the tries left open or rejected finished
 * and redrawn, then an exponential per element with 0 < a < 1 */
static void ref_vary(intptr_t n, const double *a, int log_, double *out)
{
    intptr_t k0, b0, k;
    static double e[1024];
    for (k0 = 0; k0 < n; k0 += 1024) {
        const intptr_t pc = n - k0 < 1024 ? n - k0 : 1024;
        for (b0 = 0; b0 < pc; b0 += 64) {
            const intptr_t nb = pc - b0 < 64 ? pc - b0 : 64;
            uint64_t w[128];
            intptr_t i;
            for (i = 0; i < 2 * nb; i++) w[i] = nd_bits_next64(&bits);
            for (i = 0; i < nb; i++) {
                double ai = a[k0 + b0 + i], m, d, c, x;
                k = k0 + b0 + i;
                if (!(ai > 0.0 && ai < INFINITY)) {
                    out[k] = ai > 0.0 ? INFINITY : NAN;
                    continue;
                }
                m = ai < 1.0 ? ai + 1.0 : ai;
                d = m - 1.0 / 3.0;
                c = 1.0 / (3.0 * sqrt(d));
                x = ref_normal_of(w[i]);
                if (!ref_try(d, c, x, w[nb + i], &out[k])) out[k] = ref_mt(d, c);
            }
            for (i = 0; i < nb; i++) {
                double ai = a[k0 + b0 + i];
                if (ai > 0.0 && ai < 1.0) e[b0 + i] = nd_standard_exponential(&bits);
            }
        }
        for (k = k0; k < k0 + pc; k++) {
            double ai = a[k];
            if (!(ai > 0.0 && ai < INFINITY)) continue;
            if (ai < 1.0)
                out[k] = log_ ? ref_log0(out[k]) - e[k - k0] * (1.0 / ai) : out[k] * nd_gamma_exp(-(e[k - k0] * (1.0 / ai)));
            else if (log_)
                out[k] = ref_log0(out[k]);
        }
    }
}

/* one kernel call of the bulk rule: the constant rule when all n concentrations
 * are equal (NaN counted equal), whatever their stride; a == 1, a + 1 == 1 and
 * bad or infinite a then follow the scalar rule element by element */
static void ref_call(intptr_t n, const double *a, int log_, double *out)
{
    intptr_t i = 1;
    const double a0 = a[0];
    while (i < n && (a[i] == a0 || (a[i] != a[i] && a0 != a0))) i++;
    if (i < n) {
        ref_vary(n, a, log_, out);
    } else if (!(a0 > 0.0 && a0 < INFINITY) || a0 == 1.0 || a0 + 1.0 == 1.0) {
        for (i = 0; i < n; i++) out[i] = log_ ? nd_log_standard_gamma(&bits, a0) : nd_standard_gamma(&bits, a0);
    } else {
        ref_const(n, a0, log_, out);
    }
}

static long ndiff(const double *x, const double *y, intptr_t n)
{
    long bad = 0;
    intptr_t i;
    for (i = 0; i < n; i++) bad += memcmp(&x[i], &y[i], 8) != 0;
    return bad;
}

/* Constant concentration: the kernels give the reference's numbers and use
 * its words (one call, and several calls continuing the stream); f32 = the
 * f64 numbers rounded; chisquare(2a) = 2 G(a); log kernel = the reference in
 * log space; prefixes of a call; strided output; a NumPy-style source.
 * a == 1 (exponentials) and a + 1 == 1 follow the scalar rule element by
 * element. */
static void test_stream_rule(void)
{
    static const double as[] = {2.5, 0.3, 1.0, 40.0, 1e4, 1e-3, 1e-6, 1.0000001, 0.9999999, 1.5, 1e-17, 1e300};
    intptr_t n = 300000, i;
    int j;
    for (j = 0; j < (int)(sizeof as / sizeof as[0]); j++) {
        double a = as[j];
        const int scalar = a == 1.0 || a + 1.0 == 1.0;
        float af = (float)a;
        uint64_t c1, c2;
        long bad;
        reseed(10 + j);
        draw1("standard_gamma", n, A, a);
        c1 = consumed();
        reseed(10 + j);
        if (scalar) for (i = 0; i < n; i++) B[i] = nd_standard_gamma(&bits, a);
        else ref_const(n, a, 0, B);
        c2 = consumed();
        CHECK(ndiff(A, B, n) == 0, "standard_gamma(%g): %ld differ from the reference", a, ndiff(A, B, n));
        CHECK(c1 == c2, "standard_gamma(%g): words %llu vs %llu", a, (unsigned long long)c1,
              (unsigned long long)c2);
        if (verbose) printf("standard_gamma(%g): %.4f words per value\n", a, (double)c1 / n);
        /* two calls continue the stream: each the reference of its own call */
        reseed(10 + j);
        draw1("standard_gamma", 777, A, a);
        draw1("standard_gamma", 5000, A + 777, a);
        c1 = consumed();
        reseed(10 + j);
        if (scalar) for (i = 0; i < 5777; i++) B[i] = nd_standard_gamma(&bits, a);
        else { ref_const(777, a, 0, B); ref_const(5000, a, 0, B + 777); }
        CHECK(ndiff(A, B, 5777) == 0 && consumed() == c1, "standard_gamma(%g): two calls", a);
        reseed(10 + j);
        draw1("log_standard_gamma", n, A, a);
        c1 = consumed();
        reseed(10 + j);
        if (scalar) for (i = 0; i < n; i++) B[i] = nd_log_standard_gamma(&bits, a);
        else ref_const(n, a, 1, B);
        CHECK(ndiff(A, B, n) == 0, "log_standard_gamma(%g): %ld differ from the reference", a, ndiff(A, B, n));
        CHECK(consumed() == c1, "log_standard_gamma(%g) words", a);
        /* f32: the same numbers rounded (parameter exactly representable or not) */
        reseed(10 + j);
        K("standard_gamma")->f32(&bits, n, (char *)F, 4, (const char *)&af, 0, NULL, 0);
        reseed(10 + j);
        if (scalar) for (i = 0; i < n; i++) B[i] = nd_standard_gamma(&bits, (double)af);
        else ref_const(n, (double)af, 0, B);
        for (i = 0, bad = 0; i < n; i++) bad += F[i] != (float)B[i];
        CHECK(bad == 0, "standard_gamma f32(%g): %ld differ", a, bad);
        /* chisquare(2a) = 2 G(a), same words */
        reseed(10 + j);
        if (scalar) for (i = 0; i < n; i++) B[i] = nd_standard_gamma(&bits, a);
        else ref_const(n, a, 0, B);
        c2 = consumed();
        reseed(10 + j);
        draw1("chisquare", n, A, 2 * a);
        for (i = 0, bad = 0; i < n; i++) bad += A[i] != 2 * B[i];
        CHECK(bad == 0 && consumed() == c2, "chisquare(%g) is not 2 G(%g)", 2 * a, a);
        /* prefixes of a call (a >= 1: the boost's exponentials follow each piece) */
        if (a > 1.0) {
            intptr_t m;
            for (m = 1; m < 20000; m = m * 3 + 1) {
                reseed(10 + j);
                draw1("standard_gamma", m, A, a);
                CHECK(memcmp(A, B, (size_t)m * 8) == 0, "standard_gamma(%g) prefix %ld", a, (long)m);
            }
        }
        /* strided output, reversed */
        reseed(10 + j);
        K("standard_gamma")->f64(&bits, 5000, (char *)(A + 3 * 4999), -24, (const char *)&a, 0, NULL, 0);
        reseed(10 + j);
        if (scalar) for (i = 0; i < 5000; i++) B[i] = nd_standard_gamma(&bits, a);
        else ref_const(5000, a, 0, B);
        for (i = 0, bad = 0; i < 5000; i++) bad += A[3 * (4999 - i)] != B[i];
        CHECK(bad == 0, "standard_gamma(%g) output stride -3: %ld differ", a, bad);
    }
    /* a NumPy-style source (words one at a time) gives the same numbers */
    {
        static const double as2[] = {2.5, 0.3};
        for (j = 0; j < 2; j++) {
            double a = as2[j], p[3] = {a, 0.7, 3.5};
            nd_bitgen_t bg;
            nd_bits_t *nb = malloc(sizeof(nd_bits_t));
            uint64_t *W = (uint64_t *)B;
            replay_t st;
            intptr_t nn = 100000;
            reseed(30 + j);
            for (i = 0; i < NBIG; i++) W[i] = nd_bits_next64(&bits);
            reseed(30 + j);
            draw1("standard_gamma", nn, A, a);
            st.w = W;
            st.i = 0;
            bg.state = &st;
            bg.next_uint64 = replay_next;
            nd_bits_init_numpy(nb, &bg);
            nd_bits_expect(nb, 3 * (size_t)nn);
            K("standard_gamma")->f64(nb, nn, (char *)(A + nn), 8, (const char *)&a, 0, NULL, 0);
            CHECK(memcmp(A, A + nn, (size_t)nn * 8) == 0, "standard_gamma(%g): NumPy source differs", a);
            CHECK(st.i - (uint64_t)(nb->end - nb->pos) == consumed(), "NumPy source words");
            /* varying concentrations too */
            for (i = 0; i < 3000; i++) A[2 * nn + i] = p[i % 3];
            reseed(30 + j);
            K("standard_gamma")->f64(&bits, 3000, (char *)A, 8, (const char *)(A + 2 * nn), 8, NULL, 0);
            st.i = 0;
            nd_bits_init_numpy(nb, &bg);
            nd_bits_expect(nb, 10000);
            K("standard_gamma")->f64(nb, 3000, (char *)(A + nn), 8, (const char *)(A + 2 * nn), 8, NULL, 0);
            CHECK(memcmp(A, A + nn, 3000 * 8) == 0, "varying standard_gamma: NumPy source differs");
            free(nb);
        }
    }
}

/* Every SIMD level (the test passes and the boosts have AVX-512, AVX2 and
 * plain-C versions, chosen like the exponential fill's and capped by
 * nd_exponential_level_cap): the reference's values and words. */
extern int nd_exponential_level_cap;

static void test_levels(void)
{
    static const double as[] = {2.5, 0.3, 40.0, 1.5, 1.0000001, 0.9999999, 0.05, 1e-3};
    static const int caps[] = {3, 2, 0};
    intptr_t n = 200000;
    int j, c;
    double *L = malloc(sizeof(double) * (size_t)n);
    if (!L) return;
    for (j = 0; j < (int)(sizeof as / sizeof as[0]); j++) {
        double a = as[j];
        uint64_t cref;
        reseed(200 + j);
        ref_const(n, a, 0, B);
        cref = consumed();
        reseed(200 + j);
        ref_const(n, a, 1, L);
        for (c = 0; c < 3; c++) {
            nd_exponential_level_cap = caps[c];
            reseed(200 + j);
            bits.stream_out = 1; /* n >= GB_NT_MIN: the streamed path */
            draw1("standard_gamma", n, A, a);
            CHECK(ndiff(A, B, n) == 0, "standard_gamma(%g) level cap %d (runs at %d): %ld differ",
                  a, caps[c], nd_exponential_simd_level(), ndiff(A, B, n));
            CHECK(consumed() == cref, "standard_gamma(%g) level cap %d: words", a, caps[c]);
            reseed(200 + j);
            bits.stream_out = 1;
            draw1("log_standard_gamma", n, A, a);
            CHECK(ndiff(A, L, n) == 0, "log_standard_gamma(%g) level cap %d: %ld differ", a, caps[c], ndiff(A, L, n));
        }
        nd_exponential_level_cap = 3;
    }
    free(L);
}

/* Large contiguous float64 outputs (a call of >= 65536 values writes whole
 * 64-byte lines with non-temporal stores at levels 2 and 3, from a staging
 * buffer, when bits.stream_out allows it; the ends with plain stores) at every
 * 8-byte offset from a line: the
 * reference's values and words at every level, the values on either side
 * untouched. */
static void test_large_offsets(void)
{
    static const double as[] = {2.5, 0.3, 1.0};
    static const intptr_t ns[] = {65536, 65537, 70001};
    static const int caps[] = {3, 2, 0};
    double *line = A + ((64 - ((uintptr_t)A & 63)) & 63) / 8 + 8, *L = malloc(sizeof(double) * 70001);
    int j, m, c, off, lg;
    if (!L) return;
    for (j = 0; j < 3; j++)
        for (m = 0; m < 3; m++)
            for (lg = 0; lg < 2; lg++) {
                const double a = as[j];
                const intptr_t n = ns[m];
                uint64_t cref;
                intptr_t i;
                reseed(300 + j);
                if (a == 1.0)
                    for (i = 0; i < n; i++) L[i] = lg ? nd_log_standard_gamma(&bits, a) : nd_standard_gamma(&bits, a);
                else
                    ref_const(n, a, lg, L);
                cref = consumed();
                for (c = 0; c < 3; c++) {
                    nd_exponential_level_cap = caps[c];
                    for (off = 0; off < 8; off++) {
                        double *o = line + off;
                        long bad = 0;
                        for (i = -8; i < n + 8; i++) o[i] = -7.0;
                        reseed(300 + j);
                        bits.stream_out = 1; /* the dispatcher's flag for resident outputs */
                        draw1(lg ? "log_standard_gamma" : "standard_gamma", n, o, a);
                        CHECK(ndiff(o, L, n) == 0 && consumed() == cref,
                              "%sstandard_gamma(%g) n %ld offset %d level cap %d: %ld differ", lg ? "log_" : "", a,
                              (long)n, off, caps[c], ndiff(o, L, n));
                        for (i = 1; i <= 8; i++) bad += o[-i] != -7.0 || o[n - 1 + i] != -7.0;
                        CHECK(bad == 0, "standard_gamma(%g) n %ld offset %d: %ld values written outside", a,
                              (long)n, off, bad);
                    }
                }
                nd_exponential_level_cap = 3;
            }
    free(L);
}

/* Varying concentrations: the reference's values and words at every SIMD
 * level, with every kind of concentration mixed in (a == 1, a + 1 == 1,
 * a < 1, NaN, <= 0, inf), the log kernel, in place, reversed strides in
 * pieces, f32, chisquare (kernels take aligned pointers: elementwise.h). */
static void test_varying(void)
{
    static const double special[] = {1.0, 1e-17, 0.3, 0.9999999, 2.5, 40.0, -1.0, 0.0, 1e300};
    static const int caps[] = {3, 2, 0};
    const intptr_t n = 150000;
    double *P = malloc(sizeof(double) * (size_t)n), *R = malloc(sizeof(double) * (size_t)n);
    intptr_t i;
    long bad;
    int c, s;
    uint64_t cref, x = 12345;
    if (!P || !R) { free(P); free(R); return; }
    for (i = 0; i < n; i++) {
        x = x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        if ((x >> 60) == 0) P[i] = special[(x >> 20) % 9];
        else if ((x >> 60) == 1) P[i] = (x >> 30) % 2 ? 0.0 / 0.0 : 1.0 / 0.0;
        else P[i] = 0.05 + (double)(x >> 11) * 0x1p-53 * 10.0;
    }
    for (s = 0; s < 2; s++) {
        /* s = 1: concentrations in [0.06, 2.06): many boosts, 1/a < 19 (vector boosts) */
        double *Q = s ? B : P;
        if (s) for (i = 0; i < n; i++) B[i] = 0.06 + (double)((uint64_t)i * UINT64_C(0x9e3779b97f4a7c15) >> 11) * 0x1p-52;
        reseed(300 + s);
        ref_vary(n, Q, 0, R);
        cref = consumed();
        for (c = 0; c < 3; c++) {
            nd_exponential_level_cap = caps[c];
            reseed(300 + s);
            K("standard_gamma")->f64(&bits, n, (char *)A, 8, (const char *)Q, 8, NULL, 0);
            CHECK(ndiff(A, R, n) == 0, "varying standard_gamma (%d), level cap %d: %ld differ", s, caps[c], ndiff(A, R, n));
            CHECK(consumed() == cref, "varying standard_gamma (%d), level cap %d: words", s, caps[c]);
        }
        nd_exponential_level_cap = 3;
        reseed(300 + s);
        ref_vary(n, Q, 1, R);
        for (c = 0; c < 3; c++) {
            nd_exponential_level_cap = caps[c];
            reseed(300 + s);
            K("log_standard_gamma")->f64(&bits, n, (char *)A, 8, (const char *)Q, 8, NULL, 0);
            CHECK(ndiff(A, R, n) == 0, "varying log_standard_gamma (%d), level cap %d: %ld differ", s, caps[c], ndiff(A, R, n));
        }
        nd_exponential_level_cap = 3;
    }
    reseed(300);
    ref_vary(n, P, 0, R);
    /* in place */
    memcpy(A, P, sizeof(double) * (size_t)n);
    reseed(300);
    K("standard_gamma")->f64(&bits, n, (char *)A, 8, (const char *)A, 8, NULL, 0);
    CHECK(ndiff(A, R, n) == 0, "varying standard_gamma in place: %ld differ", ndiff(A, R, n));
    /* an array of equal values (and of NaNs) = the value broadcast (stride 0) */
    {
        static const double eq[] = {2.5, 0.3, 1.0, 1e-17, NAN, -1.0};
        int q;
        for (q = 0; q < 6; q++) {
            for (i = 0; i < 5000; i++) B[i] = eq[q];
            reseed(320 + q);
            K("standard_gamma")->f64(&bits, 5000, (char *)A, 8, (const char *)B, 8, NULL, 0);
            cref = consumed();
            reseed(320 + q);
            K("standard_gamma")->f64(&bits, 5000, (char *)(A + 5000), 8, (const char *)&eq[q], 0, NULL, 0);
            CHECK(ndiff(A, A + 5000, 5000) == 0 && consumed() == cref, "equal concentrations %g: array and broadcast differ", eq[q]);
        }
    }
    /* reversed strides in pieces: each call the reference of its own elements */
    for (i = 0; i < n; i++) B[n - 1 - i] = P[i];
    reseed(300);
    {
        intptr_t done = 0, m = 1;
        while (done < n) {
            intptr_t cc = m < n - done ? m : n - done;
            K("standard_gamma")->f64(&bits, cc, (char *)(A + 2 * (n - 1 - done)), -16,
                                     (const char *)(B + n - 1 - done), -8, NULL, 0);
            done += cc;
            m = m * 2 + 3;
        }
        cref = consumed();
        reseed(300);
        for (done = 0, m = 1; done < n; m = m * 2 + 3) {
            intptr_t cc = m < n - done ? m : n - done;
            ref_call(cc, P + done, 0, R + done); /* cc = 1: the constant rule */
            done += cc;
        }
    }
    for (i = 0, bad = 0; i < n; i++) bad += memcmp(&A[2 * (n - 1 - i)], &R[i], 8) != 0;
    CHECK(bad == 0 && consumed() == cref, "varying standard_gamma, reversed strides in pieces: %ld differ", bad);
    /* f32 parameters and output */
    for (i = 0; i < n; i++) F[i] = (float)P[i];
    for (i = 0; i < n; i++) B[i] = (double)F[i];
    reseed(300);
    ref_vary(n, B, 0, R);
    reseed(300);
    K("standard_gamma")->f32(&bits, n, (char *)(F + n), 4, (const char *)F, 4, NULL, 0);
    for (i = 0, bad = 0; i < n; i++)
        bad += F[n + i] != (float)R[i] && !(R[i] != R[i] && F[n + i] != F[n + i]);
    CHECK(bad == 0, "varying standard_gamma f32: %ld differ", bad);
    /* chisquare(df) = 2 G(df / 2) */
    for (i = 0; i < n; i++) B[i] = P[i] * 0.5;
    reseed(300);
    ref_vary(n, B, 0, R);
    reseed(300);
    K("chisquare")->f64(&bits, n, (char *)A, 8, (const char *)P, 8, NULL, 0);
    for (i = 0, bad = 0; i < n; i++) bad += A[i] != 2.0 * R[i] && !(A[i] != A[i] && R[i] != R[i]);
    CHECK(bad == 0, "varying chisquare: %ld differ", bad);
    free(P);
    free(R);
}

/* The law of the varying path: u_i = P(a_i, G_i) is uniform when G_i ~
 * Gamma(a_i); KS over 2e5 draws with a_i spread over [0.05, 5] and over
 * [0.5, 5] (the boost, the range near 1, larger a), through the log kernel. */
static void test_varying_gof(void)
{
    static const double lo[] = {0.05, 0.5, 0.999};
    static const double hi[] = {5.0, 5.0, 1.001};
    intptr_t n = 200000, i;
    int r;
    double crit = 1.95 / sqrt((double)n);
    for (r = 0; r < 3; r++) {
        double dmax = 0;
        for (i = 0; i < n; i++) B[i] = lo[r] + (hi[r] - lo[r]) * (double)((uint64_t)i * UINT64_C(0x9e3779b97f4a7c15) >> 11) * 0x1p-53;
        reseed(700 + r);
        K("log_standard_gamma")->f64(&bits, n, (char *)A, 8, (const char *)B, 8, NULL, 0);
        for (i = 0; i < n; i++) A[i] = gammainc_p(B[i], A[i]);
        qsort(A, (size_t)n, sizeof(double), cmp_d);
        for (i = 0; i < n; i++) {
            double d1 = fabs(A[i] - (double)i / n), d2 = fabs((double)(i + 1) / n - A[i]);
            dmax = d1 > dmax ? d1 : dmax;
            dmax = d2 > dmax ? d2 : dmax;
        }
        if (verbose) printf("KS varying gamma a in [%g, %g]: %.5f (crit %.5f)\n", lo[r], hi[r], dmax, crit);
        CHECK(dmax < crit, "KS varying gamma a in [%g, %g] = %g", lo[r], hi[r], dmax);
        /* the value kernel: the same law */
        reseed(710 + r);
        K("standard_gamma")->f64(&bits, n, (char *)A, 8, (const char *)B, 8, NULL, 0);
        for (i = 0, dmax = 0; i < n; i++) A[i] = A[i] > 0 ? gammainc_p(B[i], log(A[i])) : 0.0;
        qsort(A, (size_t)n, sizeof(double), cmp_d);
        for (i = 0; i < n; i++) {
            double d1 = fabs(A[i] - (double)i / n), d2 = fabs((double)(i + 1) / n - A[i]);
            dmax = d1 > dmax ? d1 : dmax;
            dmax = d2 > dmax ? d2 : dmax;
        }
        if (verbose) printf("KS varying gamma (values) a in [%g, %g]: %.5f\n", lo[r], hi[r], dmax);
        CHECK(dmax < crit, "KS varying gamma values a in [%g, %g] = %g", lo[r], hi[r], dmax);
    }
}

typedef struct { const char *name; double p0, p1, mean, var; } mcase;

static void test_moments(void)
{
    static const mcase cs[] = {
        {"standard_gamma", 1e-3, 0, 1e-3, 1e-3},
        {"standard_gamma", 0.3, 0, 0.3, 0.3},
        {"standard_gamma", 1.0, 0, 1.0, 1.0},
        {"standard_gamma", 2.5, 0, 2.5, 2.5},
        {"standard_gamma", 40.0, 0, 40.0, 40.0},
        {"standard_gamma", 1e4, 0, 1e4, 1e4},
        {"chisquare", 5.0, 0, 5.0, 10.0},
        {"chisquare", 0.5, 0, 0.5, 1.0},
        {"standard_t", 5.0, 0, 0.0, 5.0 / 3.0},
        {"standard_t", 10.0, 0, 0.0, 1.25},
        {"beta", 2.0, 3.0, 0.4, 0.04},
        {"beta", 0.3, 0.3, 0.5, 0.15625},
        {"beta", 0.5, 4.0, 0.5 / 4.5, 2.0 / (4.5 * 4.5 * 5.5)},
        {"beta", 1e-3, 1e-3, 0.5, 1e-6 / (4e-6 * 1.002)},
    };
    int j, f32;
    for (f32 = 0; f32 < 2; f32++)
        for (j = 0; j < (int)(sizeof cs / sizeof cs[0]); j++) {
            const mcase *c = &cs[j];
            const nd_ew_kernel *k = K(c->name);
            intptr_t n = NBIG, i;
            double s = 0, s2 = 0, mean, var, se, lo = INFINITY, hi = -INFINITY;
            int nan = 0, varying = j % 2; /* every other case through a parameter array */
            reseed(100 + j + 50 * f32);
            if (varying) {
                for (i = 0; i < n; i++) { B[i] = c->p0; }
                if (f32) {
                    float *p0 = (float *)malloc(4 * (size_t)n), p1 = (float)c->p1;
                    for (i = 0; i < n; i++) p0[i] = (float)c->p0;
                    k->f32(&bits, n, (char *)F, 4, (const char *)p0, 4, (const char *)&p1, 0);
                    free(p0);
                } else {
                    k->f64(&bits, n, (char *)A, 8, (const char *)B, 8, (const char *)&c->p1, 0);
                }
            } else if (f32) {
                float p0 = (float)c->p0, p1 = (float)c->p1;
                k->f32(&bits, n, (char *)F, 4, (const char *)&p0, 0, (const char *)&p1, 0);
            } else {
                k->f64(&bits, n, (char *)A, 8, (const char *)&c->p0, 0, (const char *)&c->p1, 0);
            }
            for (i = 0; i < n; i++) {
                double v = f32 ? (double)F[i] : A[i];
                nan += v != v;
                s += v;
                s2 += v * v;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            mean = s / n;
            var = s2 / n - mean * mean;
            se = sqrt(c->var / n);
            if (verbose)
                printf("%-15s(%g, %g) %s mean %.6g (%.6g) var %.6g (%.6g)\n", c->name, c->p0, c->p1,
                       f32 ? "f32" : "f64", mean, c->mean, var, c->var);
            CHECK(nan == 0, "%s(%g, %g): %d NaN", c->name, c->p0, c->p1, nan);
            CHECK(fabs(mean - c->mean) < 5 * se, "%s(%g, %g) %s mean %g expected %g (se %g)", c->name,
                  c->p0, c->p1, f32 ? "f32" : "f64", mean, c->mean, se);
            if (c->p0 >= 0.3 || !strcmp(c->name, "beta"))
                CHECK(fabs(var - c->var) < 0.04 * c->var, "%s(%g, %g) %s var %g expected %g", c->name,
                      c->p0, c->p1, f32 ? "f32" : "f64", var, c->var);
            if (!strcmp(c->name, "beta")) CHECK(lo >= 0 && hi <= 1, "beta outside [0, 1]: %g %g", lo, hi);
            else if (strcmp(c->name, "standard_t")) CHECK(lo >= 0, "%s negative value %g", c->name, lo);
        }
}

/* KS against the gamma CDF, through the log kernel (also for tiny a) and the
 * value kernel where it does not underflow. */
static void test_gof(void)
{
    static const double as[] = {1e-6, 1e-3, 0.3, 1.0, 2.5, 40.0, 1e4, 0.9999, 1.0001};
    intptr_t n = 200000, i;
    int j;
    double crit = 1.95 / sqrt((double)n); /* 0.1% */
    for (j = 0; j < (int)(sizeof as / sizeof as[0]); j++) {
        double a = as[j], d1, d2 = 0;
        reseed(400 + j);
        draw1("log_standard_gamma", n, A, a);
        d1 = ks_log(a, A, n);
        if (a >= 0.3) {
            reseed(500 + j);
            draw1("standard_gamma", n, A, a);
            for (i = 0; i < n; i++) A[i] = log(A[i]);
            d2 = ks_log(a, A, n);
        }
        if (verbose) printf("KS gamma(%g): log kernel %.5f, value kernel %.5f (crit %.5f)\n", a, d1, d2, crit);
        CHECK(d1 < crit, "KS log_standard_gamma(%g) = %g", a, d1);
        CHECK(d2 < crit, "KS standard_gamma(%g) = %g", a, d2);
    }
    /* tiny a: E log G(a) = digamma(a) ~ -1/a - gamma_E; the value kernel
     * underflows to 0 about as often as P(a, 2^-1074) says, never NaN */
    {
        double a = 1e-3, s = 0, p0 = gammainc_p(a, -744.44), zeros = 0;
        reseed(600);
        draw1("log_standard_gamma", NBIG, A, a);
        for (i = 0; i < NBIG; i++) s += A[i];
        s /= NBIG;
        /* digamma(a) = -1/a - 0.5772156649 + 1.6449 a + ... ; sd of log G ~ 1/a */
        CHECK(fabs(s - (-1.0 / a - 0.5772156649015329 + 1.6449340668482264 * a)) < 5 * (1.0 / a) / sqrt(NBIG),
              "mean log G(1e-3) = %g", s);
        reseed(601);
        draw1("standard_gamma", NBIG, A, a);
        for (i = 0; i < NBIG; i++) {
            zeros += A[i] == 0.0;
            CHECK((A[i] == A[i] && A[i] >= 0) || (i = NBIG, 0), "standard_gamma(1e-3) NaN or negative");
        }
        zeros /= NBIG;
        if (verbose) printf("gamma(1e-3): fraction 0 = %.5f (P(G < 2^-1075) = %.5f)\n", zeros, p0);
        CHECK(fabs(zeros - p0) < 5 * sqrt(p0 * (1 - p0) / NBIG), "gamma(1e-3) zeros %g expected %g", zeros, p0);
    }
}

static void test_beta_small(void)
{
    double ab[] = {1e-3, 1e-3}, s = 0;
    intptr_t n = NBIG, i, below = 0, bad = 0, half = 0;
    reseed(700);
    K("beta")->f64(&bits, n, (char *)A, 8, (const char *)&ab[0], 0, (const char *)&ab[1], 0);
    for (i = 0; i < n; i++) {
        bad += !(A[i] >= 0.0 && A[i] <= 1.0);
        below += A[i] < 0.5;
        half += A[i] == 0.5;
        s += A[i];
    }
    if (verbose) printf("Beta(1e-3, 1e-3): P(X < 1/2) = %.5f, mean %.5f\n", (double)below / n, s / n);
    CHECK(bad == 0, "Beta(1e-3, 1e-3): %ld outside [0, 1] or NaN", (long)bad);
    CHECK(fabs((double)below / n - 0.5) < 5 * sqrt(0.25 / n), "Beta(1e-3, 1e-3) P(X < 1/2) = %g",
          (double)below / n);
    /* Beta(1e-3, 1): P(X < x) = x^a: P(X < 1e-300) = exp(-0.6908) */
    {
        double p[2] = {1e-3, 1.0}, cnt = 0, e = exp(1e-3 * log(1e-300));
        reseed(701);
        K("beta")->f64(&bits, n, (char *)A, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
        for (i = 0; i < n; i++) cnt += A[i] < 1e-300;
        CHECK(fabs(cnt / n - e) < 5 * sqrt(e * (1 - e) / n), "Beta(1e-3, 1) P(X < 1e-300) = %g expected %g",
              cnt / n, e);
    }
    /* stream rule: beta = G(a) then G(b) by the gamma rule */
    {
        double p[2] = {0.3, 2.5};
        int diff = 0;
        reseed(702);
        K("beta")->f64(&bits, 1000, (char *)A, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
        reseed(702);
        for (i = 0; i < 1000; i++) {
            double la = nd_log_standard_gamma(&bits, 0.3), lb = nd_log_standard_gamma(&bits, 2.5);
            diff += A[i] != 1.0 / (1.0 + nd_gamma_exp(lb - la));
        }
        CHECK(diff == 0, "beta(0.3, 2.5): %d differ from the log-space rule", diff);
        p[0] = 2.0; p[1] = 3.0;
        reseed(703);
        K("beta")->f64(&bits, 1000, (char *)A, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
        reseed(703);
        for (i = 0, diff = 0; i < 1000; i++) {
            double ga = nd_standard_gamma(&bits, 2.0), gb = nd_standard_gamma(&bits, 3.0);
            diff += A[i] != ga / (ga + gb);
        }
        CHECK(diff == 0, "beta(2, 3): %d differ from the direct rule", diff);
    }
}

static void test_t(void)
{
    double inf = INFINITY;
    intptr_t n = 100000, i;
    int diff = 0;
    /* df = inf: the normals themselves */
    reseed(800);
    draw1("standard_t", n, A, inf);
    reseed(800);
    for (i = 0; i < n; i++) diff += A[i] != nd_standard_normal(&bits);
    CHECK(diff == 0, "standard_t(inf) is not N");
    /* rule: N then G(df/2) */
    reseed(801);
    draw1("standard_t", 1000, A, 7.0);
    reseed(801);
    for (i = 0, diff = 0; i < 1000; i++) {
        double z = nd_standard_normal(&bits), g = nd_standard_gamma(&bits, 3.5);
        diff += A[i] != z / sqrt(g / 3.5);
    }
    CHECK(diff == 0, "standard_t(7): %d differ from the rule", diff);
    /* t(1) is Cauchy: quartiles at +-1; t(0.01): finite or +-inf, never NaN, symmetric */
    {
        double df = 1.0, q = 0;
        reseed(802);
        draw1("standard_t", NBIG, A, df);
        for (i = 0; i < NBIG; i++) q += fabs(A[i]) < 1.0;
        CHECK(fabs(q / NBIG - 0.5) < 0.0025, "t(1) P(|T| < 1) = %g", q / NBIG);
        df = 0.01;
        reseed(803);
        draw1("standard_t", NBIG, A, df);
        for (i = 0, q = 0, diff = 0; i < NBIG; i++) { q += A[i] > 0; diff += A[i] != A[i]; }
        CHECK(diff == 0 && fabs(q / NBIG - 0.5) < 0.0025, "t(0.01): %d NaN, P(T > 0) = %g", diff, q / NBIG);
    }
}

static void test_dirichlet(void)
{
    enum { R = 200000, KK = 5 };
    static double al[KK], out[R * KK];
    static float outf[R * KK], alf[KK];
    intptr_t r, k;
    int f32;
    const double alphas[3][KK] = {{1, 2, 3, 0.5, 4}, {2e-3, 2e-3, 2e-3, 2e-3, 2e-3}, {1.0, 1.0, 1.0, 1.0, 1.0}};
    int set;
    for (f32 = 0; f32 < 2; f32++)
        for (set = 0; set < 3; set++) {
            double a0 = 0, mean[KK] = {0}, worst = 0;
            int nan = 0;
            for (k = 0; k < KK; k++) { al[k] = alphas[set][k]; alf[k] = (float)al[k]; a0 += al[k]; }
            reseed(900 + set + 10 * f32);
            if (f32) CHECK(random_dirichlet_fill_f(&bits, R, KK, alf, 0, 4, outf, KK * 4, 4, NULL) == ND_OK, "f32 status");
            else CHECK(random_dirichlet_fill(&bits, R, KK, al, 0, 8, out, KK * 8, 8) == ND_OK, "status");
            for (r = 0; r < R; r++) {
                double s = 0;
                for (k = 0; k < KK; k++) {
                    double v = f32 ? outf[r * KK + k] : out[r * KK + k];
                    nan += !(v >= 0 && v <= 1);
                    s += v;
                    mean[k] += v;
                }
                if (fabs(s - 1) > worst) worst = fabs(s - 1);
            }
            CHECK(nan == 0, "dirichlet set %d %s: %d NaN / outside", set, f32 ? "f32" : "f64", nan);
            CHECK(worst < (f32 ? 1e-6 : 1e-14), "dirichlet set %d: row sum off by %g", set, worst);
            for (k = 0; k < KK; k++) {
                double m = al[k] / a0, v = m * (1 - m) / (a0 + 1), e = mean[k] / R;
                if (verbose && k < 2) printf("dirichlet set %d %s: mean[%ld] %.5f (%.5f)\n", set, f32 ? "f32" : "f64", (long)k, e, m);
                CHECK(fabs(e - m) < 5 * sqrt(v / R), "dirichlet set %d %s mean[%ld] %g expected %g", set,
                      f32 ? "f32" : "f64", (long)k, e, m);
            }
        }
    /* stream rule: rows of gammas in order, normalised (direct / log space) */
    {
        double a2[4] = {1.5, 2.0, 3.0, 1.0}, a3[4] = {0.3, 2.0, 1e-3, 5.0}, o[8], z[4];
        int diff = 0, rr;
        reseed(950);
        random_dirichlet_fill(&bits, 2, 4, a2, 0, 8, o, 32, 8);
        reseed(950);
        for (rr = 0; rr < 2; rr++) {
            double s = 0;
            for (k = 0; k < 4; k++) { z[k] = nd_standard_gamma(&bits, a2[k]); s += z[k]; }
            for (k = 0; k < 4; k++) diff += o[rr * 4 + k] != z[k] / s;
        }
        CHECK(diff == 0, "dirichlet direct rule: %d differ", diff);
        reseed(951);
        random_dirichlet_fill(&bits, 2, 4, a3, 0, 8, o, 32, 8);
        reseed(951);
        for (rr = 0, diff = 0; rr < 2; rr++) {
            double s = 0, m = -INFINITY;
            for (k = 0; k < 4; k++) { z[k] = nd_log_standard_gamma(&bits, a3[k]); m = z[k] > m ? z[k] : m; }
            for (k = 0; k < 4; k++) { z[k] = nd_gamma_exp(z[k] - m); s += z[k]; }
            for (k = 0; k < 4; k++) diff += o[rr * 4 + k] != z[k] / s;
        }
        CHECK(diff == 0, "dirichlet log-space rule: %d differ", diff);
    }
    /* symmetric rows (the constant-concentration fast path): the bulk rule's
     * gammas of the whole block (one standard_gamma call, log_standard_gamma
     * for a < 1), normalised row by row as the row rule does */
    {
        static const double sa[] = {1.0, 2.5, 0.3, 2e-3, 1e4};
        enum { NR = 5000, NK = 6 };
        static double o1[NR * NK], g[NR * NK], av[NK];
        int si, bad;
        for (si = 0; si < 5; si++) {
            const int lg = sa[si] < 1.0;
            for (k = 0; k < NK; k++) av[k] = sa[si];
            reseed(990 + si);
            random_dirichlet_fill(&bits, NR, NK, av, 0, 8, o1, NK * 8, 8); /* symmetric path */
            reseed(990 + si);
            draw1(lg ? "log_standard_gamma" : "standard_gamma", NR * NK, g, sa[si]);
            for (r = 0, bad = 0; r < NR; r++) {
                double *z = g + r * NK, s = 0, m = -INFINITY;
                if (!lg) {
                    for (k = 0; k < NK; k++) s += z[k];
                    for (k = 0; k < NK; k++) z[k] = z[k] / s;
                } else {
                    for (k = 0; k < NK; k++) m = z[k] > m ? z[k] : m;
                    for (k = 0; k < NK; k++) { z[k] = nd_gamma_exp(z[k] - m); s += z[k]; }
                    for (k = 0; k < NK; k++) z[k] = z[k] / s;
                }
                for (k = 0; k < NK; k++) bad += o1[r * NK + k] != z[k];
            }
            CHECK(bad == 0, "dirichlet symmetric path (%g): %d differ from the bulk gammas normalised", sa[si], bad);
        }
    }
    /* strides: transposed output, reversed alpha columns, per-row alpha; f32 = f64 rounded */
    {
        enum { NR = 300, NK = 7 };
        static double alph[NR * NK], o1[NR * NK], o2[NK * NR], arev[NR * NK];
        static float o3[NR * NK], alphf[NR * NK];
        int bad = 0;
        for (r = 0; r < NR; r++)
            for (k = 0; k < NK; k++) {
                alph[r * NK + k] = 0.05 + 0.37 * ((r * 7 + k * 3) % 11);
                alphf[r * NK + k] = (float)alph[r * NK + k];
                alph[r * NK + k] = (double)alphf[r * NK + k];
                arev[r * NK + (NK - 1 - k)] = alph[r * NK + k];
            }
        reseed(960);
        random_dirichlet_fill(&bits, NR, NK, alph, NK * 8, 8, o1, NK * 8, 8);
        reseed(960);
        random_dirichlet_fill(&bits, NR, NK, arev + NK - 1, NK * 8, -8, o2, 8, NR * 8);
        for (r = 0; r < NR; r++)
            for (k = 0; k < NK; k++) bad += o1[r * NK + k] != o2[k * NR + r];
        CHECK(bad == 0, "dirichlet strides: %d differ", bad);
        reseed(960);
        random_dirichlet_fill_f(&bits, NR, NK, alphf, NK * 4, 4, o3, NK * 4, 4, NULL);
        for (r = 0, bad = 0; r < NR * NK; r++) bad += o3[r] != (float)o1[r];
        CHECK(bad == 0, "dirichlet f32: %d differ from rounded f64", bad);
        /* prefix over rows */
        reseed(960);
        random_dirichlet_fill(&bits, 17, NK, alph, NK * 8, 8, o2, NK * 8, 8);
        CHECK(memcmp(o1, o2, 17 * NK * 8) == 0, "dirichlet row prefix");
        /* work buffer for large K (f32) */
        {
            double *wk = malloc(sizeof(double) * 3000);
            float *of = malloc(sizeof(float) * 3000), af1 = 0.5f;
            double s = 0;
            reseed(961);
            CHECK(random_dirichlet_fill_f(&bits, 1, 3000, &af1, 0, 0, of, 0, 4, NULL) == ND_E_NOMEM,
                  "large K without work should be refused");
            CHECK(consumed() == 0, "refused call drew words");
            CHECK(random_dirichlet_fill_f(&bits, 1, 3000, &af1, 0, 0, of, 0, 4, wk) == ND_OK, "large K");
            for (k = 0; k < 3000; k++) s += of[k];
            CHECK(fabs(s - 1) < 1e-4, "large K row sum %g", s);
            free(wk);
            free(of);
        }
    }
    /* bad rows: NaN, no words; good rows unaffected */
    {
        static const double bads[] = {NAN, 0.0, -1.0, INFINITY, -INFINITY};
        double a[3 * 3], o[9], ref[6];
        int b;
        for (b = 0; b < 5; b++) {
            uint64_t c0;
            for (k = 0; k < 9; k++) a[k] = 1.5;
            a[4] = bads[b];
            reseed(970);
            /* two good rows by the row rule (a row stride: not the symmetric path) */
            random_dirichlet_fill(&bits, 2, 3, a, 48, 8, ref, 24, 8); /* rows 0 and 2 of a */
            c0 = consumed();
            reseed(970);
            random_dirichlet_fill(&bits, 3, 3, a, 24, 8, o, 24, 8);
            CHECK(o[3] != o[3] && o[4] != o[4] && o[5] != o[5], "bad alpha %g: row not NaN", bads[b]);
            CHECK(memcmp(o, ref, 24) == 0 && memcmp(o + 6, ref + 3, 24) == 0,
                  "bad alpha %g: good rows changed", bads[b]);
            CHECK(consumed() == c0, "bad alpha %g: the bad row drew words", bads[b]);
        }
    }
    /* tiny concentrations: 1e-300 rows (every log gamma may be -inf): no NaN */
    {
        double a[4] = {1e-300, 1e-300, 1e-300, 1e-300}, o[4 * 1000];
        int nan = 0;
        reseed(980);
        random_dirichlet_fill(&bits, 1000, 4, a, 0, 8, o, 32, 8);
        for (k = 0; k < 4000; k++) nan += !(o[k] >= 0 && o[k] <= 1);
        CHECK(nan == 0, "dirichlet(1e-300): %d NaN", nan);
    }
}

/* Out-of-domain parameters terminate with NaN (or the documented limit) and
 * draw no words; extreme valid ones terminate with finite values. */
static void test_bad_params(void)
{
    static const double badv[] = {NAN, 0.0, -0.0, -1.0, -INFINITY};
    static const char *names[] = {"standard_gamma", "log_standard_gamma", "chisquare", "standard_t", "beta"};
    int i, j, f32;
    for (f32 = 0; f32 < 2; f32++)
        for (i = 0; i < 5; i++)
            for (j = 0; j < 5; j++) {
                const nd_ew_kernel *k = K(names[i]);
                double p[2] = {badv[j], 1.0}, v;
                float pf[2] = {(float)badv[j], 1.0f};
                reseed(1000);
                if (f32) {
                    float of;
                    k->f32(&bits, 1, (char *)&of, 4, (const char *)&pf[0], 0, (const char *)&pf[1], 0);
                    v = of;
                } else {
                    k->f64(&bits, 1, (char *)&v, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
                }
                CHECK(v != v, "%s(%g) gives %g, not NaN", names[i], badv[j], v);
                CHECK(consumed() == 0, "%s(%g) drew words", names[i], badv[j]);
                if (i == 4) { /* beta's second parameter */
                    p[0] = 1.0; p[1] = badv[j];
                    k->f64(&bits, 1, (char *)&v, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
                    CHECK(v != v && consumed() == 0, "beta(1, %g) gives %g", badv[j], v);
                }
            }
    {
        double inf = INFINITY, v, p[2];
        reseed(1001);
        draw1("standard_gamma", 1, &v, inf);
        CHECK(v == INFINITY, "gamma(inf) = %g", v);
        draw1("log_standard_gamma", 1, &v, inf);
        CHECK(v == INFINITY, "log gamma(inf) = %g", v);
        draw1("chisquare", 1, &v, inf);
        CHECK(v == INFINITY, "chisquare(inf) = %g", v);
        CHECK(consumed() == 0, "infinite parameters drew words");
        p[0] = inf; p[1] = 2.0;
        K("beta")->f64(&bits, 1, (char *)&v, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
        CHECK(v == 1.0, "beta(inf, 2) = %g", v);
        p[0] = 2.0; p[1] = inf;
        K("beta")->f64(&bits, 1, (char *)&v, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
        CHECK(v == 0.0, "beta(2, inf) = %g", v);
        p[0] = inf;
        K("beta")->f64(&bits, 1, (char *)&v, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
        CHECK(v != v, "beta(inf, inf) = %g", v);
    }
    /* extreme valid values terminate */
    {
        static const double ext[] = {5e-324, 1e-300, 1e-17, 1e308, 1.7976931348623157e308, 1e150};
        int e, n;
        for (e = 0; e < 6; e++)
            for (n = 0; n < 5; n++) {
                double v[64], p[2] = {ext[e], ext[(e + 1) % 6]};
                int m;
                reseed(1100 + e);
                K(names[n])->f64(&bits, 64, (char *)v, 8, (const char *)&p[0], 0, (const char *)&p[1], 0);
                for (m = 0; m < 64; m++)
                    CHECK(!(v[m] != v[m]) || (n == 0 && 0) || (n == 3 && 1) || (n == 2 && ext[e] < 1e-320),
                          "%s(%g, %g) gives NaN", names[n], p[0], p[1]);
            }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "-v")) verbose = 1;
    A = malloc(sizeof(double) * NBIG);
    B = malloc(sizeof(double) * NBIG);
    F = malloc(sizeof(float) * NBIG);
    if (!A || !B || !F) return 2;
    test_exp();
    test_stream_rule();
    test_levels();
    test_large_offsets();
    test_varying();
    test_moments();
    test_gof();
    test_varying_gof();
    test_beta_small();
    test_t();
    test_dirichlet();
    test_bad_params();
    free(A);
    free(B);
    free(F);
    if (fails) {
        printf("test_gamma: %d failures\n", fails);
        return 1;
    }
    printf("test_gamma: ok\n");
    return 0;
}

/* Standalone checks of the normal sampler and of ndtr / ndtri (no Python).
 *
 *   test_normal                  run all checks (known answers read from
 *                                $ND_TEST_DATA/normal_kat.txt, default
 *                                csrc/tests/data/normal_kat.txt)
 *   test_normal -v               the same, printing the statistics
 *   test_normal --write-kat FILE regenerate the known-answer file from this build
 *                                (only after a deliberate change of the stream)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/normal.h"
#include "numdist/special.h"
#include "numdist/xoshiro256.h"

/* the exact comparisons of loc + scale * z below must round like the kernel */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define KEY0 UINT64_C(0x243f6a8885a308d3) /* pi */
#define KEY1 UINT64_C(0x13198a2e03707344)

#include "check.h"
static int verbose = 0; /* -v: print the statistics */

static nd_bits_t bits; /* 16 KiB: static */
static nd_xoshiro_t xo;

/* Independent streams for the statistical tests: both key words differ (keys
 * that differ only in a few low bits of key1 share blocks, in another order). */
static void reseed_stat(uint64_t a, uint64_t b);

static void reseed(uint64_t k0, uint64_t k1)
{
    nd_xoshiro_seed(&xo, k0, k1);
    nd_bits_init_xoshiro(&bits, &xo);
}

static void reseed_stat(uint64_t a, uint64_t b)
{
    uint64_t k0 = (a + 1) * UINT64_C(0x9e3779b97f4a7c15), k1 = (b + 1) * UINT64_C(0xd1b54a32d192ed03);
    reseed(k0 ^ (k0 >> 29), k1 ^ (k1 >> 31));
}

/* words consumed so far from the xoshiro source */
static uint64_t xo_consumed(void)
{
    return xo.counter * ND_XO_BLOCK - (uint64_t)(bits.end - bits.pos);
}

static uint64_t d2u(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static uint32_t f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }

/* ------------------------------------------------------------------------- */
/* Known answers                                                              */
/* ------------------------------------------------------------------------- */

#define KAT_HEAD 64
#define KAT_MAXN 300000
#define KAT_MAXIDX 128

static const char *const kat_names[4] = {"zig_f64", "zig_f32", "bm_f64", "bm_f32"};

typedef struct {
    int n;                     /* entries */
    long idx[KAT_MAXIDX];
    uint64_t bits[KAT_MAXIDX]; /* double bits, or float bits in the low half */
} kat_set;

static kat_set kat[4];

static void draw_std(int which, intptr_t n, void *out)
{
    nd_normal_method m = which < 2 ? ND_NORMAL_ZIGGURAT : ND_NORMAL_BOX_MULLER;
    if (which & 1) random_normal_fill_f(&bits, m, n, (float *)out, 4, NULL, 0, NULL, 0);
    else random_normal_fill(&bits, m, n, (double *)out, 8, NULL, 0, NULL, 0);
}

static uint64_t value_bits(int which, const void *buf, long i)
{
    return (which & 1) ? f2u(((const float *)buf)[i]) : d2u(((const double *)buf)[i]);
}

static double value_at(int which, const void *buf, long i)
{
    return (which & 1) ? ((const float *)buf)[i] : ((const double *)buf)[i];
}

/* The indices recorded for each set: 0..63, some fixed far positions (block
 * boundaries), and the first tail samples (|z| > r) for the ziggurat. */
static int kat_indices(int which, const void *buf, long *idx)
{
    static const long fixed[] = {1000, 2047, 2048, 2049, 4095, 4096, 4097, 65535, 100001, 262143};
    int k = 0, t = 0, j;
    long i;
    for (i = 0; i < KAT_HEAD; i++) idx[k++] = i;
    for (j = 0; j < (int)(sizeof fixed / sizeof fixed[0]); j++) idx[k++] = fixed[j];
    if (which < 2) {
        for (i = KAT_HEAD; i < KAT_MAXN && t < 8; i++) {
            if (fabs(value_at(which, buf, i)) > 3.6541528853610088) {
                idx[k++] = i;
                t++;
            }
        }
    }
    return k;
}

static int write_kat(const char *path)
{
    static double buf[KAT_MAXN];
    FILE *fp = fopen(path, "w");
    int w, k;
    long idx[KAT_MAXIDX];
    if (!fp) { perror(path); return 1; }
    fprintf(fp, "# numdist normal sampler known answers (csrc/tests/test_normal.c --write-kat)\n");
    fprintf(fp, "# numdist generator, nd_xoshiro_seed(key0=0x%016llx, key1=0x%016llx), one\n",
            (unsigned long long)KEY0, (unsigned long long)KEY1);
    fprintf(fp, "# contiguous draw of %d standard normals per set, fresh seed per set.\n", KAT_MAXN);
    fprintf(fp, "# set index bits(hex; float32 as 8 digits) value(%%.17g, informative)\n");
    for (w = 0; w < 4; w++) {
        reseed(KEY0, KEY1);
        draw_std(w, KAT_MAXN, buf);
        k = kat_indices(w, buf, idx);
        for (int j = 0; j < k; j++) {
            if (w & 1)
                fprintf(fp, "%s %ld 0x%08x %.9g\n", kat_names[w], idx[j],
                        (unsigned)value_bits(w, buf, idx[j]), value_at(w, buf, idx[j]));
            else
                fprintf(fp, "%s %ld 0x%016llx %.17g\n", kat_names[w], idx[j],
                        (unsigned long long)value_bits(w, buf, idx[j]), value_at(w, buf, idx[j]));
        }
    }
    fclose(fp);
    printf("wrote %s\n", path);
    return 0;
}

static int read_kat(void)
{
    const char *dir = getenv("ND_TEST_DATA");
    char path[1024], line[256], name[32], hex[32];
    FILE *fp;
    long idx;
    int w, total = 0;
    snprintf(path, sizeof path, "%s/normal_kat.txt", dir ? dir : "csrc/tests/data");
    fp = fopen(path, "r");
    if (!fp) {
        printf("FAIL cannot open %s (set ND_TEST_DATA or run from the repository root)\n", path);
        fails++;
        return 0;
    }
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%31s %ld %31s", name, &idx, hex) != 3) continue;
        for (w = 0; w < 4; w++) {
            if (strcmp(name, kat_names[w]) == 0 && kat[w].n < KAT_MAXIDX) {
                kat[w].idx[kat[w].n] = idx;
                kat[w].bits[kat[w].n] = strtoull(hex, NULL, 16);
                kat[w].n++;
                total++;
            }
        }
    }
    fclose(fp);
    for (w = 0; w < 4; w++) CHECK(kat[w].n >= KAT_HEAD, "KAT set %s has %d entries", kat_names[w], kat[w].n);
    return total;
}

/* Draw n values with the given output stride (elements, may be negative) and
 * pieces, return them in logical order in dst (double or float array). */
static void draw_strided(int which, intptr_t n, intptr_t es, const intptr_t *pieces, void *dst)
{
    static double big[4 * 4 * KAT_HEAD + 64];
    size_t esz = (which & 1) ? 4 : 8;
    char *base = (char *)big + 2 * KAT_HEAD * 4 * esz; /* room both ways */
    intptr_t done = 0, p = 0, i;
    nd_normal_method m = which < 2 ? ND_NORMAL_ZIGGURAT : ND_NORMAL_BOX_MULLER;
    while (done < n) {
        intptr_t c = pieces ? pieces[p++] : n;
        char *o = base + done * es * (intptr_t)esz;
        if (which & 1) random_normal_fill_f(&bits, m, c, (float *)o, es * 4, NULL, 0, NULL, 0);
        else random_normal_fill(&bits, m, c, (double *)o, es * 8, NULL, 0, NULL, 0);
        done += c;
    }
    for (i = 0; i < n; i++) memcpy((char *)dst + i * esz, base + i * es * (intptr_t)esz, esz);
}

static void test_kat(void)
{
    static double buf[KAT_MAXN];
    static double small[KAT_HEAD];
    static const intptr_t strides[] = {1, 2, -1, -3, 5};
    static const intptr_t pieces_even[] = {2, 6, 24, 32};
    static const intptr_t pieces_odd[] = {1, 7, 17, 39};
    int w, j, s;
    if (read_kat() == 0) return;
    for (w = 0; w < 4; w++) {
        long maxidx = 0;
        int bad = 0;
        for (j = 0; j < kat[w].n; j++) if (kat[w].idx[j] > maxidx) maxidx = kat[w].idx[j];
        CHECK(maxidx < KAT_MAXN, "KAT index too large");
        if (maxidx >= KAT_MAXN) continue;
        /* one contiguous draw */
        reseed(KEY0, KEY1);
        draw_std(w, maxidx + 1, buf);
        for (j = 0; j < kat[w].n; j++) {
            uint64_t got = value_bits(w, buf, kat[w].idx[j]);
            if (got != kat[w].bits[j] && bad++ < 5)
                CHECK(0, "KAT %s[%ld]: got 0x%llx want 0x%llx", kat_names[w], kat[w].idx[j],
                      (unsigned long long)got, (unsigned long long)kat[w].bits[j]);
        }
        CHECK(bad == 0, "KAT %s: %d mismatches", kat_names[w], bad);
        /* strided outputs (positive, negative) and the same stream drawn in pieces */
        for (s = 0; s < (int)(sizeof strides / sizeof strides[0]); s++) {
            const intptr_t *pcs = s == 0 ? NULL : (s % 2 ? pieces_even : (w == 0 ? pieces_odd : pieces_even));
            bad = 0;
            reseed(KEY0, KEY1);
            draw_strided(w, KAT_HEAD, strides[s], pcs, small);
            for (j = 0; j < KAT_HEAD; j++)
                if (value_bits(w, small, j) != kat[w].bits[j]) bad++;
            CHECK(bad == 0, "KAT %s stride %ld: %d mismatches", kat_names[w], (long)strides[s], bad);
        }
        /* loc / scale: exact formula on the known z */
        {
            static double locd[KAT_HEAD], scd[KAT_HEAD], outd[3 * KAT_HEAD];
            static float locf[KAT_HEAD], scf[KAT_HEAD], outf[3 * KAT_HEAD];
            nd_normal_method m = w < 2 ? ND_NORMAL_ZIGGURAT : ND_NORMAL_BOX_MULLER;
            int mode;
            for (j = 0; j < KAT_HEAD; j++) {
                locd[j] = 0.25 * j - 3.0; scd[j] = 0.5 + 0.125 * j;
                locf[j] = (float)locd[j]; scf[j] = (float)scd[j];
            }
            for (mode = 0; mode < 8; mode++) {
                /* mode: 0 loc array, scale array; 1 loc scalar (stride 0), scale
                 * array; 2 loc NULL, scale scalar; 3 loc array reversed (negative
                 * stride), scale NULL; 4 both scalar, out stride 3; 5 both
                 * scalar, out reversed; 6, 7 below */
                intptr_t ls = 1, ss = 1, os = 1, lofs = 0, oofs = 0;
                int use_loc = 1, use_sc = 1;
                if (mode == 1) ls = 0;
                if (mode == 2) { use_loc = 0; ss = 0; }
                if (mode == 3) { ls = -1; lofs = KAT_HEAD - 1; use_sc = 0; }
                if (mode == 4) { ls = ss = 0; os = 3; }
                if (mode == 5) { ls = ss = 0; os = -1; oofs = KAT_HEAD - 1; }
                /* 6: out is loc (in place), 7: out is scale */
                if (mode == 6 || mode == 7) {
                    for (j = 0; j < KAT_HEAD; j++) {
                        locd[j] = 0.25 * j - 3.0; scd[j] = 0.5 + 0.125 * j;
                        locf[j] = (float)locd[j]; scf[j] = (float)scd[j];
                        outd[j] = mode == 6 ? locd[j] : scd[j];
                        outf[j] = mode == 6 ? locf[j] : scf[j];
                    }
                }
                reseed(KEY0, KEY1);
                bad = 0;
                if (w & 1) {
                    random_normal_fill_f(&bits, m, KAT_HEAD, outf + oofs, os * 4,
                                         mode == 6 ? outf : use_loc ? locf + lofs : NULL, ls * 4,
                                         mode == 7 ? outf : use_sc ? scf : NULL, ss * 4);
                    for (j = 0; j < KAT_HEAD; j++) {
                        float z, l = locf[lofs + j * ls], sc = scf[j * ss], want, got;
                        uint32_t zb = (uint32_t)kat[w].bits[j];
                        memcpy(&z, &zb, 4);
                        want = !use_loc ? sc * z : !use_sc ? l + z : l + sc * z;
                        got = outf[oofs + j * os];
                        if (f2u(got) != f2u(want)) bad++;
                    }
                } else {
                    random_normal_fill(&bits, m, KAT_HEAD, outd + oofs, os * 8,
                                       mode == 6 ? outd : use_loc ? locd + lofs : NULL, ls * 8,
                                       mode == 7 ? outd : use_sc ? scd : NULL, ss * 8);
                    for (j = 0; j < KAT_HEAD; j++) {
                        double z, l = locd[lofs + j * ls], sc = scd[j * ss], want, got;
                        uint64_t zb = kat[w].bits[j];
                        memcpy(&z, &zb, 8);
                        want = !use_loc ? sc * z : !use_sc ? l + z : l + sc * z;
                        got = outd[oofs + j * os];
                        if (d2u(got) != d2u(want)) bad++;
                    }
                }
                CHECK(bad == 0, "loc/scale %s mode %d: %d mismatches", kat_names[w], mode, bad);
            }
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Every instruction-set level gives the same numbers                         */
/* ------------------------------------------------------------------------- */

/* normal.c's run-time cap on its fast-path level (0 portable C, 1 SSE2, 2 AVX2,
 * 3 AVX-512 VBMI); not part of the public API. */
extern int nd_normal_level_cap;

static void test_levels(void)
{
    enum { NL = 300000 };
    static const intptr_t pieces[] = {1, 2, 3, 7, 64, 255, 256, 257, 1000, 2047, 2048, 4099, 65536};
    static double ref64[NL], got64[NL];
    static float ref32[NL], got32[NL];
    int cap, which;
    for (which = 0; which < 2; which++) {
        for (cap = 3; cap >= 0; cap--) {
            intptr_t done = 0, k = 0;
            long bad = 0, i;
            nd_normal_level_cap = cap;
            CHECK(nd_normal_simd_level() <= cap, "level %d above the cap %d", nd_normal_simd_level(), cap);
            reseed(KEY0 + 5, KEY1 + (uint64_t)which);
            /* in pieces of many sizes, so that windows start at many offsets of the
             * buffer (float32: even sizes, as an odd draw drops a half word) */
            while (done < NL) {
                intptr_t c = pieces[k++ % (sizeof pieces / sizeof pieces[0])] << which;
                if (c > NL - done) c = NL - done;
                if (which) random_normal_fill_f(&bits, ND_NORMAL_ZIGGURAT, c, got32 + done, 4, NULL, 0, NULL, 0);
                else random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, c, got64 + done, 8, NULL, 0, NULL, 0);
                done += c;
            }
            if (cap == 3) {
                /* the reference: one contiguous draw (the pieces must agree with it) */
                reseed(KEY0 + 5, KEY1 + (uint64_t)which);
                if (which) random_normal_fill_f(&bits, ND_NORMAL_ZIGGURAT, NL, ref32, 4, NULL, 0, NULL, 0);
                else random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, NL, ref64, 8, NULL, 0, NULL, 0);
            }
            for (i = 0; i < NL; i++)
                bad += which ? f2u(got32[i]) != f2u(ref32[i]) : d2u(got64[i]) != d2u(ref64[i]);
            CHECK(bad == 0, "level cap %d, %s: %ld values differ from the widest level's", cap,
                  kat_names[which], bad);
        }
    }
    nd_normal_level_cap = 3;
}

/* normal.c's switch of the float64 whole-block pass (1 on; not public). */
extern int nd_normal64_blocks;

/* The float64 whole-block pass gives the numbers of the word-by-word loop and
 * uses the same words: draws in pieces of many sizes (below and above a block,
 * so that blocks start at many places of the output and of the stream), at
 * every level, against the same draws with the pass switched off; after each
 * piece the words consumed so far agree. A third run draws through
 * random_normal_fill with bits.stream_out = 1 (pieces of 65536 or more stream
 * their blocks out)
 * into an output 3 values off its 64-byte line: the same values, and nothing
 * written around them. */
static void test_blocks64(void)
{
    enum { NB = 400000, NP = 256, OFF = 3 };
    static const intptr_t pieces[] = {5000, 1, 2049, 2048, 7, 4097, 65537, 3, 6143, 2050, 30011, 8193, 131075};
    static double out[3][NB + 16] __attribute__((aligned(64)));
    static uint64_t used[3][NP];
    int cap, seed, run;
    for (seed = 0; seed < 4; seed++) {
        for (cap = 3; cap >= 0; cap--) {
            long bad = 0, i, np = 0;
            for (run = 0; run < 3; run++) {
                intptr_t done = 0, k = seed;
                double *o = out[run] + (run == 2 ? OFF : 0);
                memset(out[run], 0, sizeof out[run]);
                nd_normal64_blocks = run != 0;
                nd_normal_level_cap = cap;
                reseed(KEY0 + 77 + (uint64_t)seed, KEY1 ^ (uint64_t)seed);
                bits.stream_out = run == 2; /* after reseed: nd_bits_init_* clears it */
                np = 0;
                while (done < NB) {
                    intptr_t c = pieces[k++ % (intptr_t)(sizeof pieces / sizeof pieces[0])];
                    if (c > NB - done) c = NB - done;
                    random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, c, o + done, 8, NULL, 0, NULL, 0);
                    done += c;
                    if (np < NP) used[run][np++] = xo_consumed();
                }
            }
            for (i = 0; i < NB; i++) bad += d2u(out[0][i]) != d2u(out[1][i]);
            CHECK(bad == 0, "float64 blocks on/off, level cap %d, seed %d: %ld values differ", cap, seed, bad);
            bad = 0;
            for (i = 0; i < NB; i++) bad += d2u(out[0][i]) != d2u(out[2][OFF + i]);
            CHECK(bad == 0, "float64 streamed blocks, level cap %d, seed %d: %ld values differ", cap, seed, bad);
            bad = 0;
            for (i = 0; i < OFF; i++) bad += out[2][i] != 0;
            for (i = OFF + NB; i < NB + 16; i++) bad += out[2][i] != 0;
            CHECK(bad == 0, "float64 streamed blocks, level cap %d, seed %d: %ld values written outside", cap, seed, bad);
            bad = 0;
            for (i = 0; i < np; i++) bad += (used[0][i] != used[1][i]) + (used[0][i] != used[2][i]);
            CHECK(bad == 0, "float64 blocks on/off/streamed, level cap %d, seed %d: words used differ after %ld pieces",
                  cap, seed, bad);
        }
    }
    nd_normal64_blocks = 1;
    nd_normal_level_cap = 3;
}

/* ------------------------------------------------------------------------- */
/* NumPy-style source: same words, refilled in small pieces                   */
/* ------------------------------------------------------------------------- */

static uint64_t *replay_words;
static size_t replay_pos, replay_len;
static uint64_t replay_next(void *st)
{
    (void)st;
    if (replay_pos >= replay_len) { fails++; return 0; }
    return replay_words[replay_pos++];
}

static void test_numpy_source(void)
{
    enum { NW = 64 * ND_XO_BLOCK, NS = 20001 };
    static double a[NS], bb[NS];
    int w;
    replay_words = malloc(NW * sizeof(uint64_t));
    replay_len = NW;
    for (w = 0; w < 4; w++) {
        nd_bitgen_t bg;
        static nd_bits_t nb;
        uint64_t used_xo;
        size_t i;
        int bad = 0;
        memset(&bg, 0, sizeof bg);
        bg.next_uint64 = replay_next;
        reseed(KEY0, KEY1);
        for (i = 0; i < NW / ND_XO_BLOCK; i++) nd_xoshiro_block(&xo, i, replay_words + i * ND_XO_BLOCK);
        draw_std(w, NS, a);
        used_xo = xo_consumed();
        nd_bits_init_numpy(&nb, &bg);
        replay_pos = 0;
        {
            nd_normal_method m = w < 2 ? ND_NORMAL_ZIGGURAT : ND_NORMAL_BOX_MULLER;
            if (w & 1) random_normal_fill_f(&nb, m, NS, (float *)bb, 4, NULL, 0, NULL, 0);
            else random_normal_fill(&nb, m, NS, bb, 8, NULL, 0, NULL, 0);
        }
        for (i = 0; i < NS; i++)
            if (value_bits(w, a, (long)i) != value_bits(w, bb, (long)i)) bad++;
        CHECK(bad == 0, "numpy source %s: %d values differ from the xoshiro source", kat_names[w], bad);
        CHECK(replay_pos == used_xo, "numpy source %s: drew %zu words, used %llu", kat_names[w],
              replay_pos, (unsigned long long)used_xo);
        CHECK(nb.pos == nb.end, "numpy source %s: words left over in the buffer", kat_names[w]);
    }
    free(replay_words);
}

/* ------------------------------------------------------------------------- */
/* Statistics                                                                 */
/* ------------------------------------------------------------------------- */

#define SBUF 65536
static double sbuf[SBUF];

/* Stream n standard normals of set `which` through fn(values, count, ctx). */
static void stream(int which, long n, void (*fn)(const double *, long, void *), void *ctx)
{
    static float fbuf[SBUF];
    while (n > 0) {
        long c = n < SBUF ? n : SBUF, i;
        if (which & 1) {
            draw_std(which, c, fbuf);
            for (i = 0; i < c; i++) sbuf[i] = fbuf[i];
        } else {
            draw_std(which, c, sbuf);
        }
        fn(sbuf, c, ctx);
        n -= c;
    }
}

typedef struct { double s1, s2, s3, s4; long n; int nonfinite; } moments;
static void acc_moments(const double *x, long c, void *ctx)
{
    moments *m = (moments *)ctx;
    long i;
    for (i = 0; i < c; i++) {
        double v = x[i], v2 = v * v;
        if (!(v == v) || v - v != 0.0) m->nonfinite++;
        m->s1 += v; m->s2 += v2; m->s3 += v2 * v; m->s4 += v2 * v2;
    }
    m->n += c;
}

static void test_moments(void)
{
    int w;
    for (w = 0; w < 4; w++) {
        moments m = {0, 0, 0, 0, 0, 0};
        double n = 1e6, mean, var, skew, kurt;
        reseed_stat(7, (uint64_t)w);
        stream(w, 1000000, acc_moments, &m);
        mean = m.s1 / n;
        var = m.s2 / n - mean * mean;
        skew = m.s3 / n;
        kurt = m.s4 / n - 3.0;
        if (verbose)
            printf("  %s: mean %.2e var-1 %.2e m3 %.2e m4-3 %.2e\n", kat_names[w], mean, var - 1, skew, kurt);
        CHECK(m.nonfinite == 0, "%s: non-finite values", kat_names[w]);
        CHECK(fabs(mean) < 5 / sqrt(n), "%s: mean %g", kat_names[w], mean);
        CHECK(fabs(var - 1) < 5 * sqrt(2 / n), "%s: variance %g", kat_names[w], var);
        CHECK(fabs(skew) < 5 * sqrt(15 / n), "%s: third moment %g", kat_names[w], skew);
        CHECK(fabs(kurt) < 5 * sqrt(96 / n), "%s: fourth moment - 3 = %g", kat_names[w], kurt);
    }
}

/* Tail counts and a chi-square test of the whole shape. */
#define NBINS 256
typedef struct {
    double edges[NBINS - 1];
    long bins[NBINS];
    long beyond[4]; /* |z| > r, 4, 5, 6 */
    long pos_tail;  /* z > r */
} shape;
static const double tail_at[4] = {3.6541528853610088, 4.0, 5.0, 6.0};

static void acc_shape(const double *x, long c, void *ctx)
{
    shape *s = (shape *)ctx;
    long i;
    for (i = 0; i < c; i++) {
        double v = x[i], a = fabs(v);
        int lo = 0, hi = NBINS - 1, t;
        while (lo < hi) { /* first edge > v */
            int mid = (lo + hi) >> 1;
            if (s->edges[mid] > v) hi = mid; else lo = mid + 1;
        }
        s->bins[lo]++;
        for (t = 0; t < 4; t++) s->beyond[t] += a > tail_at[t];
        s->pos_tail += v > tail_at[0];
    }
}

typedef struct { long beyond[4]; } tails;
static void acc_tails(const double *x, long c, void *ctx)
{
    tails *s = (tails *)ctx;
    long i;
    for (i = 0; i < c; i++) {
        double a = fabs(x[i]);
        if (a > tail_at[0]) {
            int t;
            for (t = 0; t < 4; t++) s->beyond[t] += a > tail_at[t];
        }
    }
}

static void check_count(const char *what, const char *name, long got, double n, double p)
{
    double mu = n * p, sd = sqrt(n * p * (1 - p));
    if (verbose) printf("  %s %s: %ld (expected %.1f +- %.1f)\n", name, what, got, mu, sd);
    CHECK(fabs(got - mu) <= 5 * sd + 1, "%s %s: %ld, expected %.1f +- %.1f", name, what, got, mu, sd);
}

static void test_shape(void)
{
    int w, k, t;
    static shape s;
    for (w = 0; w < 4; w++) {
        long n = 10000000;
        double chi2 = 0, e = (double)n / NBINS, ptail;
        memset(&s, 0, sizeof s);
        for (k = 1; k < NBINS; k++) s.edges[k - 1] = nd_ndtri((double)k / NBINS);
        reseed_stat(11, (uint64_t)w);
        stream(w, n, acc_shape, &s);
        for (k = 0; k < NBINS; k++) chi2 += (s.bins[k] - e) * (s.bins[k] - e) / e;
        if (verbose) printf("  %s: chi2 = %.1f (255 dof)\n", kat_names[w], chi2);
        /* 255 degrees of freedom: mean 255, sd 22.6 */
        CHECK(chi2 < 255 + 6 * 22.6, "%s: chi2 = %.1f over %d bins", kat_names[w], chi2, NBINS);
        for (t = 0; t < 3; t++) {
            char what[32];
            snprintf(what, sizeof what, "count |z| > %g", tail_at[t]);
            check_count(what, kat_names[w], s.beyond[t], (double)n, 2 * nd_ndtr(-tail_at[t]));
        }
        ptail = nd_ndtr(-tail_at[0]);
        check_count("count z > r", kat_names[w], s.pos_tail, (double)n, ptail);
    }
    /* the ziggurat tail, more closely: 1e8 draws, float64 and float32 */
    for (w = 0; w < 2; w++) {
        long n = 100000000;
        tails tl;
        memset(&tl, 0, sizeof tl);
        reseed_stat(13, (uint64_t)w);
        stream(w, n, acc_tails, &tl);
        for (t = 0; t < 4; t++) {
            char what[40];
            snprintf(what, sizeof what, "count |z| > %g (1e8)", tail_at[t]);
            check_count(what, kat_names[w], tl.beyond[t], (double)n, 2 * nd_ndtr(-tail_at[t]));
        }
    }
}

/* Box-Muller against libm on the same words. */
static void test_box_muller_libm(void)
{
    enum { NP = 100000 };
    static double z[2 * NP];
    const double twopi = 6.283185307179586;
    double maxerr = 0;
    long k;
    reseed(17, 1);
    random_normal_fill(&bits, ND_NORMAL_BOX_MULLER, 2 * NP, z, 8, NULL, 0, NULL, 0);
    reseed(17, 1);
    for (k = 0; k < NP; k++) {
        uint64_t w1 = nd_bits_next64(&bits), w2 = nd_bits_next64(&bits);
        double u1 = ((double)(w1 >> 11) + 1.0) / 9007199254740992.0;
        double u2 = (double)(w2 >> 11) / 9007199254740992.0;
        double rho = sqrt(-2.0 * log(u1));
        double e0 = fabs(z[2 * k] - rho * cos(twopi * u2)) / (rho > 1 ? rho : 1);
        double e1 = fabs(z[2 * k + 1] - rho * sin(twopi * u2)) / (rho > 1 ? rho : 1);
        if (e0 > maxerr) maxerr = e0;
        if (e1 > maxerr) maxerr = e1;
    }
    if (verbose) printf("  Box-Muller vs libm: max error %.2e (relative to max(1, rho))\n", maxerr);
    CHECK(maxerr < 4e-15, "Box-Muller differs from libm by %g (relative to rho)", maxerr);
}

/* Edge cases: n = 0 draws nothing, n < 0 too; expect is set. */
static void test_edges(void)
{
    double d[4] = {1, 2, 3, 4};
    float f[4] = {1, 2, 3, 4};
    int w;
    reseed(1, 1);
    random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, 0, d, 8, NULL, 0, NULL, 0);
    random_normal_fill(&bits, ND_NORMAL_BOX_MULLER, -3, d, 8, NULL, 0, NULL, 0);
    random_normal_fill_f(&bits, ND_NORMAL_ZIGGURAT, 0, f, 4, NULL, 0, NULL, 0);
    CHECK(xo_consumed() == 0 && d[0] == 1 && f[0] == 1, "n <= 0 drew or wrote");
    /* exact word counts without rejections are n, ceil(n/2), 2 ceil(n/2) */
    for (w = 0; w < 4; w++) {
        static double buf[1001];
        uint64_t used;
        reseed(3, (uint64_t)w);
        draw_std(w, 1001, buf);
        used = xo_consumed();
        if (w == 0) CHECK(used >= 1001 && used < 1001 + 100, "zig f64 used %llu words", (unsigned long long)used);
        if (w == 1) CHECK(used >= 501 && used < 501 + 100, "zig f32 used %llu words", (unsigned long long)used);
        if (w >= 2) CHECK(used == 1002, "%s used %llu words", kat_names[w], (unsigned long long)used);
    }
}

/* ------------------------------------------------------------------------- */
/* ndtr / ndtri                                                               */
/* ------------------------------------------------------------------------- */

static double relerr(double got, double want)
{
    if (got == want) return 0;
    return fabs(got - want) / fabs(want);
}

static void test_special(void)
{
    /* references: mpmath at 50 digits, for the double nearest the argument */
    static const double qi[][2] = {
        {0.975, 1.9599639845400539}, {1e-10, -6.3613409024040562},
        {0.025, -1.9599639845400542}, {0.9, 1.2815515655446006},
        {0.3, -5.2440051270804082e-1}, {1e-300, -37.047096299361199},
        {1e-20, -9.2623400897984076}, {0.999, 3.0902323061678133},
        {1e-05, -4.2648907939228246}, {0.075, -1.4395314709384559},
        {0.925, 1.4395314709384562}, {2.2250738585072014e-308, -37.5193793471445},
        {4.9406564584124654e-324, -38.467405617144346}};
    static const double qc[][2] = {
        {-1, 0.15865525393145705}, {1, 0.84134474606854295},
        {-10, 7.6198530241605261e-24}, {-37.5, 4.6053530095819548e-308},
        {5, 0.99999971334842812}, {-5, 2.8665157187919391e-7},
        {-3.5, 0.00023262907903552504}, {2.5, 0.99379033467422386},
        {-20, 2.7536241186062337e-89}};
    size_t k;
    double x, maxe = 0, xs[7] = {-40, -1.5, -0.25, 0.0, 0.5, 2.0, 38.0}, out[14];
    for (k = 0; k < sizeof qi / sizeof qi[0]; k++)
        CHECK(relerr(nd_ndtri(qi[k][0]), qi[k][1]) <= 1e-15, "ndtri(%.17g) = %.17g, want %.17g",
              qi[k][0], nd_ndtri(qi[k][0]), qi[k][1]);
    CHECK(fabs(nd_ndtri(0.975) - 1.959963984540054) <= 1e-15 * 1.96, "ndtri(0.975)");
    CHECK(fabs(nd_ndtri(1e-10) + 6.361340902404056) <= 1e-15 * 6.37, "ndtri(1e-10)");
    CHECK(nd_ndtri(0.5) == 0.0, "ndtri(0.5) = %g", nd_ndtri(0.5));
    CHECK(isinf(nd_ndtri(0.0)) && nd_ndtri(0.0) < 0, "ndtri(0)");
    CHECK(isinf(nd_ndtri(1.0)) && nd_ndtri(1.0) > 0, "ndtri(1)");
    CHECK(isnan(nd_ndtri(-0.1)) && isnan(nd_ndtri(1.5)) && isnan(nd_ndtri(NAN)), "ndtri outside [0,1]");
    CHECK(isnan(nd_ndtri(INFINITY)) && isnan(nd_ndtri(-INFINITY)), "ndtri(inf)");
    for (k = 0; k < sizeof qc / sizeof qc[0]; k++)
        CHECK(relerr(nd_ndtr(qc[k][0]), qc[k][1]) <= 2e-15, "ndtr(%g) = %.17g, want %.17g",
              qc[k][0], nd_ndtr(qc[k][0]), qc[k][1]);
    CHECK(nd_ndtr(0.0) == 0.5 && nd_ndtr(-INFINITY) == 0.0 && nd_ndtr(INFINITY) == 1.0, "ndtr 0/inf");
    CHECK(isnan(nd_ndtr(NAN)), "ndtr(nan)");
    CHECK(nd_ndtr(-38.4) > 0 && nd_ndtr(-38.4) < 1e-322, "ndtr(-38.4) = %g", nd_ndtr(-38.4));
    /* symmetry ndtr(-x) = 1 - ndtr(x), and monotonicity */
    for (x = -9; x <= 9; x += 0.01) {
        CHECK(fabs(nd_ndtr(-x) - (1 - nd_ndtr(x))) <= 2.3e-16, "ndtr symmetry at %g", x);
        CHECK(nd_ndtr(x + 0.01) >= nd_ndtr(x), "ndtr not monotone at %g", x);
    }
    /* round trips: ndtri(ndtr(x)) = x on the lower half (ndtr keeps full relative
     * precision there), ndtr(ndtri(p)) = p over p in (0, 1/2] */
    for (x = -37.5; x <= 0.0; x += 0.003125) {
        double e = fabs(nd_ndtri(nd_ndtr(x)) - x) / (fabs(x) > 1 ? fabs(x) : 1);
        if (e > maxe) maxe = e;
    }
    CHECK(maxe < 1e-14, "ndtri(ndtr(x)) - x up to %g (relative)", maxe);
    maxe = 0;
    for (x = -690; x <= log(0.5); x += 0.037) {
        /* conditioning: a relative error d in q = ndtri(p) moves p by ~ q^2 d */
        double p = exp(x), q = nd_ndtri(p), e = relerr(nd_ndtr(q), p) / (q * q > 1 ? q * q : 1);
        if (e > maxe) maxe = e;
    }
    CHECK(maxe < 1e-15, "ndtr(ndtri(p)) - p up to %g (relative, over max(1, q^2))", maxe);
    /* fills: strided, negative stride, in place */
    nd_ndtr_fill(7, xs, 8, out, 16);
    for (k = 0; k < 7; k++) CHECK(out[2 * k] == nd_ndtr(xs[k]), "ndtr_fill[%zu]", k);
    nd_ndtr_fill(7, xs + 6, -8, out, 8);
    for (k = 0; k < 7; k++) CHECK(out[k] == nd_ndtr(xs[6 - k]), "ndtr_fill negative stride[%zu]", k);
    nd_ndtri_fill(7, out, 8, out, 8);
    for (k = 0; k < 7; k++) CHECK(out[k] == nd_ndtri(nd_ndtr(xs[6 - k])), "ndtri_fill in place[%zu]", k);
    nd_ndtri_fill(3, xs + 3, 0, out, 8); /* broadcast 0.0 -> -inf */
    CHECK(isinf(out[0]) && isinf(out[2]) && out[1] < 0, "ndtri_fill stride 0");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-kat") == 0) return write_kat(argv[2]);
    if (argc == 2 && strcmp(argv[1], "-v") == 0) verbose = 1;
    test_special();
    test_edges();
    test_kat();
    test_levels();
    test_blocks64();
    test_numpy_source();
    test_box_muller_libm();
    test_moments();
    test_shape();
    printf("test_normal: %s\n", fails ? "FAILED" : "ok");
    return fails != 0;
}

/* The exponential fill on adversarial word streams: every SIMD level must give
 * the values (and use the words) of n scalar calls of nd_standard_exponential,
 * also where rejections are dense - adjacent rejections, a rejection whose
 * wedge word is itself a marked word, chains of tail words, rejections at the
 * last words of a window or of a refill - which random words reach only
 * rarely.  The words come from a custom source (a bit generator in numpy's
 * layout) that forces a word's layer byte to 1 (k[1] = 0: always the wedge)
 * or 0 (the tail layer, rejected when the magnitude is large) at chosen rates.
 * With numdist's own generator the vector levels make each block's words in
 * the fill loop itself (simd_words.h): check_fused compares values, words used
 * and the buffer left behind with the scalar level, which takes whole blocks
 * from nd_bits_refill.
 *   test_exponential      run the checks
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"
#include "numdist/ziggurat.h"

#include "check.h"

extern int nd_exponential_level_cap;

/* splitmix64 words; with probability p1 / 256 the low byte becomes 1 and
 * with probability p0 / 256 it becomes 0 with the top bits set (a tail
 * rejection: m >= k[0]) */
typedef struct {
    uint64_t x;
    unsigned p1, p0;
    uint64_t drawn;
} src_state;

static uint64_t src_next(void *st)
{
    src_state *s = (src_state *)st;
    uint64_t z = (s->x += UINT64_C(0x9e3779b97f4a7c15)), r;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    r = (z >> 24) & 0xff;
    s->drawn++;
    if (r < s->p1) return (z & ~UINT64_C(0xff)) | 1;
    if (r < s->p1 + s->p0) return (z & ~UINT64_C(0xff)) | UINT64_C(0xfff0000000000000);
    return z;
}

static uint32_t src_next32(void *st) { return (uint32_t)src_next(st); }
static double src_nextd(void *st) { return (double)(src_next(st) >> 11) * 0x1p-53; }

static void setup(nd_bits_t *b, nd_bitgen_t *g, src_state *s, uint64_t seed, unsigned p1, unsigned p0)
{
    s->x = seed;
    s->p1 = p1;
    s->p0 = p0;
    s->drawn = 0;
    g->state = s;
    g->next_uint64 = src_next;
    g->next_uint32 = src_next32;
    g->next_double = src_nextd;
    g->next_raw = src_next;
    nd_bits_init_numpy(b, g);
}

static void check_rates(unsigned p1, unsigned p0)
{
    static const intptr_t pieces[] = {70001, 1, 3, 16, 17, 255, 256, 257, 2047, 5000, 65536, 9};
    const intptr_t n = 300000;
    double *ref = malloc(sizeof(double) * (size_t)n), *got = malloc(sizeof(double) * (size_t)(n + 8));
    nd_bits_t b;
    nd_bitgen_t g;
    src_state s;
    uint64_t wref;
    intptr_t i;
    int cap, sg;
    if (!ref || !got) {
        CHECK(0, "out of memory");
        free(ref);
        free(got);
        return;
    }
    for (sg = 0; sg < 2; sg++) {
        /* the reference: the scalar rule one element at a time (a Laplace
         * element's sign: bit 8 of its first word) */
        setup(&b, &g, &s, 77 + p1, p1, p0);
        for (i = 0; i < n; i++) {
            uint64_t first;
            if (b.pos == b.end) nd_bits_refill(&b);
            first = *b.pos;
            ref[i] = nd_standard_exponential(&b);
            if (sg && (first & 0x100)) ref[i] = -ref[i];
        }
        wref = s.drawn - (uint64_t)(b.end - b.pos);
        for (cap = 3; cap >= 0; cap--) {
            intptr_t done = 0, k = 0;
            long bad = 0;
            nd_exponential_level_cap = cap;
            setup(&b, &g, &s, 77 + p1, p1, p0);
            b.stream_out = 1; /* pieces >= 65536 stream: the staging's tiny-refill path too */
            while (done < n) {
                intptr_t c = pieces[k++ % (intptr_t)(sizeof pieces / sizeof pieces[0])];
                if (c > n - done) c = n - done;
                /* an expectation per piece, as the kernels give: refills of
                 * many sizes, so windows meet the buffer's end anywhere */
                nd_bits_expect(&b, (size_t)c + (size_t)(k % 5));
                nd_exponential_fill(&b, c, got + 1 + done, sg);
                done += c;
            }
            for (i = 0; i < n; i++) bad += memcmp(&ref[i], &got[1 + i], 8) != 0;
            CHECK(bad == 0, "p1 %u p0 %u signed %d level cap %d (runs at %d): %ld values differ", p1, p0,
                  sg, cap, nd_exponential_simd_level(), bad);
            CHECK(s.drawn - (uint64_t)(b.end - b.pos) == wref,
                  "p1 %u p0 %u signed %d level cap %d: %llu words used, scalar rule %llu", p1, p0, sg, cap,
                  (unsigned long long)(s.drawn - (uint64_t)(b.end - b.pos)), (unsigned long long)wref);
        }
    }
    nd_exponential_level_cap = 3;
    free(ref);
    free(got);
}

/* Fills of many sizes from a Xoshiro256x8 stream at every level: the values
 * and the words used are the scalar rule's, and the block left in the buffer
 * (made in registers by the fused loop at the vector levels) is
 * nd_xoshiro_block's, so scalar draws that follow get the right words. */
static void check_fused(void)
{
    static const intptr_t pieces[] = {65536, 2049, 4096, 1, 6000, 2048, 70001, 3, 20000, 131072};
    const intptr_t n = 400000;
    double *ref = malloc(sizeof(double) * (size_t)n), *got = malloc(sizeof(double) * (size_t)(n + 8));
    nd_xoshiro_t xo;
    nd_bits_t b;
    uint64_t block[ND_XO_BLOCK], wref;
    intptr_t i;
    int cap, sg;
    if (!ref || !got) {
        CHECK(0, "out of memory");
        free(ref);
        free(got);
        return;
    }
    for (sg = 0; sg < 2; sg++) {
        nd_xoshiro_seed(&xo, 12345, 678 + (uint64_t)sg);
        nd_bits_init_xoshiro(&b, &xo);
        for (i = 0; i < n; i++) {
            uint64_t first;
            if (b.pos == b.end) nd_bits_refill(&b);
            first = *b.pos;
            ref[i] = nd_standard_exponential(&b);
            if (sg && (first & 0x100)) ref[i] = -ref[i];
        }
        wref = xo.counter * ND_XO_BLOCK - (uint64_t)(b.end - b.pos);
        for (cap = 3; cap >= 0; cap--) {
            intptr_t done = 0, k = 0;
            long bad = 0;
            nd_exponential_level_cap = cap;
            nd_xoshiro_seed(&xo, 12345, 678 + (uint64_t)sg);
            nd_bits_init_xoshiro(&b, &xo);
            b.stream_out = 1; /* pieces >= 65536: the non-temporal path */
            while (done < n) {
                intptr_t c = pieces[k++ % (intptr_t)(sizeof pieces / sizeof pieces[0])];
                if (c > n - done) c = n - done;
                /* odd output offsets too: the non-temporal path's head */
                nd_exponential_fill(&b, c, got + 1 + done, sg);
                done += c;
            }
            for (i = 0; i < n; i++) bad += memcmp(&ref[i], &got[1 + i], 8) != 0;
            CHECK(bad == 0, "xoshiro signed %d level cap %d (runs at %d): %ld values differ", sg, cap,
                  nd_exponential_simd_level(), bad);
            CHECK(xo.counter * ND_XO_BLOCK - (uint64_t)(b.end - b.pos) == wref,
                  "xoshiro signed %d level cap %d: %llu words used, scalar rule %llu", sg, cap,
                  (unsigned long long)(xo.counter * ND_XO_BLOCK - (uint64_t)(b.end - b.pos)),
                  (unsigned long long)wref);
            nd_xoshiro_block(&xo, xo.counter - 1, block);
            CHECK(b.end - b.buf == ND_XO_BLOCK && memcmp(block, b.buf, sizeof block) == 0,
                  "xoshiro signed %d level cap %d: the buffer is not block %llu", sg, cap,
                  (unsigned long long)(xo.counter - 1));
        }
    }
    nd_exponential_level_cap = 3;
    free(ref);
    free(got);
}

int main(void)
{
    check_fused();
    check_rates(0, 0);   /* plain words */
    check_rates(20, 0);  /* ~8% forced wedges: adjacent rejections are common */
    check_rates(80, 0);  /* ~31%: runs of rejections, wedge words that are marked */
    check_rates(10, 6);  /* tails and tail chains */
    check_rates(0, 40);  /* dense tails */
    check_rates(128, 64);
    if (fails) printf("test_exponential: %d failures\n", fails);
    return fails != 0;
}

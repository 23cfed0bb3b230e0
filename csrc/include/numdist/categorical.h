/*
 * Categorical sampling kernels: Vose alias tables with integer thresholds and
 * a CDF (cumulative sum + search) path for rows that get few draws.
 *
 * Rows are 1-D batched (the caller flattens batch dims). Weights are double,
 * UNNORMALISED and nonnegative: kernels normalise by the row sum themselves.
 * A row is bad (ND_E_BAD_PARAM, its index in *bad_row) if a weight is
 * negative, NaN or +-inf, or if all its weights are zero. Finite weights whose
 * sum overflows (e.g. 1e308 each) are fine: rows are rescaled by powers of two.
 * All strides are BYTE strides (negative allowed, 0 = broadcast).
 *
 * Random words: both samplers consume exactly ONE 64-bit word per draw, row
 * after row (row r, draw k uses word number r*ndraws + k of the stream), and
 * nothing else. So the same seed gives the same output, and a caller that
 * splits rows over threads knows where each part of the stream starts.
 *
 * Guarantee: a category whose weight is zero (or -0.0) is never drawn, by
 * either path, whatever the rounding.
 *
 * Plain C99, no Python, no allocation: workspaces are given by the caller.
 */
#ifndef NUMDIST_CATEGORICAL_H
#define NUMDIST_CATEGORICAL_H

#include <stddef.h>
#include <stdint.h>

#include "numdist/bitgen.h"
#include "numdist/strided.h"

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_ARM64))
#include <intrin.h> /* __umulh */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* One column of an alias table (16 bytes, so a draw touches one cache line).
 * A 64-bit word u picks column j = floor(u*K / 2^64) and frac = u*K mod 2^64;
 * the draw is j if frac < thresh, else alias.
 *  - thresh is a 64-bit fixed-point acceptance probability;
 *  - a full column has thresh == UINT64_MAX and alias == j (always j);
 *  - a zero-weight column has thresh == 0 and its alias is a positive-weight
 *    column; no column's alias is ever a zero-weight column.
 * Per row K entries, rows contiguous: table[r*K + j]. */
typedef struct nd_alias_entry {
    uint64_t thresh;
    int64_t alias;
} nd_alias_entry;

/* Largest K the alias tables accept (fixed-point resolution stays >= 2^15
 * levels per column). Larger K: ND_E_BAD_PARAM with *bad_row = -1. */
#define ND_ALIAS_MAX_K ((intptr_t)1 << 48)

/* Bytes of workspace the alias builders need for rows of K categories:
 * 2*(K+2) 64-bit worklist slots (column, mass), aligned for int64_t.
 * 0 for K <= 0. The same workspace serves every row. */
size_t nd_alias_work_bytes(intptr_t K);

/* Build nrows alias tables. Row r's weights are at
 * (const char *)w + r*w_rs + j*w_cs, j in [0, K). table holds nrows*K entries
 * (contiguous); work holds nd_alias_work_bytes(K) bytes.
 * Returns ND_OK; ND_E_BAD_PARAM if K <= 0 or K > ND_ALIAS_MAX_K (*bad_row = -1
 * for K > max, 0 for K <= 0) or a row is bad (*bad_row = its index, rows
 * before it are built, the rest of table is unspecified); ND_E_NOMEM if work
 * or table is NULL while needed. bad_row may be NULL.
 * Exactness: the probability the table gives category j differs from
 * w_j / sum(w) by about 2^-63 absolute plus a few ulps relative; the table is
 * built in exact integer arithmetic from the rounded weights, so no category
 * gains or loses mass through leftover rounding. */
int nd_alias_build_batch(intptr_t nrows, intptr_t K, const double *w, intptr_t w_rs,
                         intptr_t w_cs, nd_alias_entry *table, void *work,
                         intptr_t *bad_row);

/* Draw ndraws categories from each of nrows tables (built by
 * nd_alias_build_batch with the same K): row r, draw k is written to
 * *(int64_t *)((char *)out + r*out_rs + k*out_ds). One word per draw, rows in
 * order. Calls nd_bits_expect(bits, nrows*ndraws) first. */
void random_alias_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws, intptr_t K,
                       const nd_alias_entry *table, int64_t *out, intptr_t out_rs,
                       intptr_t out_ds);

/* Build-and-draw for one-shot sampling: each row's table is built into the
 * caller's K-entry scratch `table` (work: nd_alias_work_bytes(K) bytes) and
 * drawn from at once, so the table is still in cache and no nrows*K table is
 * needed. Output is bitwise the same as nd_alias_build_batch followed by
 * random_alias_fill with the same bits. Returns as nd_alias_build_batch: on a
 * bad row, the rows before it have been drawn, the rest of out is untouched. */
int random_categorical_alias_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws,
                                  intptr_t K, const double *w, intptr_t w_rs, intptr_t w_cs,
                                  int64_t *out, intptr_t out_rs, intptr_t out_ds,
                                  nd_alias_entry *table, void *work, intptr_t *bad_row);

/* CDF path: per row, validate, take the cumulative sum into work (K doubles),
 * then for each draw x = u*total with a 53-bit uniform u in [0,1) and return
 * the first j with cum[j] > x (branch-free linear count for K <= 4, branch-free
 * binary search above); since cum rises only at positive weights, that index
 * has positive weight. If rounding puts x at or past the end (possible only in
 * a non-default rounding mode: rows are rescaled away from subnormal totals),
 * the last positive-weight index. Weights and output as above. Returns ND_OK, or
 * ND_E_BAD_PARAM with *bad_row (0 for K <= 0) on the first bad row; rows
 * before it have been drawn, the rest of out is untouched. ND_E_NOMEM if work
 * is NULL. One word per draw (nd_bits_expect(bits, nrows*ndraws) first). */
int random_categorical_cdf_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws,
                                intptr_t K, const double *w, intptr_t w_rs, intptr_t w_cs,
                                int64_t *out, intptr_t out_rs, intptr_t out_ds,
                                double *work, intptr_t *bad_row);

/* 1 if building an alias table and drawing from it is faster than the CDF
 * path for a row of K categories getting ndraws_per_row draws, else 0.
 * Cost model fitted to bench_categorical.c timings (see categorical.c); alias
 * pays from about n = 30 draws per row at K = 8..16, 80 at K = 100, 490 at
 * K = 1000, 1600 at K = 4096, 16000 at K = 1e5 (at K = 2 both cost about the
 * same per draw: from about 600); never for n <= 1 or K == 1. */
int nd_categorical_prefer_alias(intptr_t K, intptr_t ndraws_per_row);

/* ---- inline helpers (also used by other kernels and the tests) ---- */

/* 64x64 -> 128-bit product: returns the high word, *lo gets the low word.
 * Portable version from 32x32 partial products. */
static inline uint64_t nd_umul128_portable(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

#if defined(__SIZEOF_INT128__) && !defined(ND_NO_INT128)
#define ND_HAVE_INT128 1
__extension__ typedef unsigned __int128 nd_u128; /* GCC/Clang; quiet under -pedantic */
static inline uint64_t nd_umul128(uint64_t a, uint64_t b, uint64_t *lo)
{
    nd_u128 t = (nd_u128)a * b;
    *lo = (uint64_t)t;
    return (uint64_t)(t >> 64);
}
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_ARM64)) && !defined(ND_NO_INT128)
static __inline uint64_t nd_umul128(uint64_t a, uint64_t b, uint64_t *lo)
{
    *lo = a * b;
    return __umulh(a, b);
}
#else
#define nd_umul128 nd_umul128_portable
#endif

/* One alias draw from a K-column table with the 64-bit word u (branch-free:
 * a mask select, since compilers turn ?: into an unpredictable branch). */
static inline int64_t nd_alias_draw(const nd_alias_entry *tab, uint64_t K, uint64_t u)
{
    uint64_t j, frac, a, m;
    const nd_alias_entry *e;
#ifdef ND_HAVE_INT128
    nd_u128 t = (nd_u128)u * K; /* no out-pointer: no spill */
    j = (uint64_t)(t >> 64);
    frac = (uint64_t)t;
#else
    j = nd_umul128(u, K, &frac);
#endif
    e = tab + j;
    a = (uint64_t)e->alias;
    m = (uint64_t)0 - (uint64_t)(frac < e->thresh);
    return (int64_t)(a ^ ((j ^ a) & m));
}

#ifdef __cplusplus
}
#endif
#endif

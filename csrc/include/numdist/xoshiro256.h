/*
 * Xoshiro256x8: numdist's own bit generator.
 *
 * Block k of a stream is ND_XO_BLOCK words produced by 8 interleaved
 * xoshiro256++ lanes whose 32 state words are SplitMix64 outputs of
 * (key, k). Blocks are independent substreams, so any block can be produced
 * without producing the ones before it: work split over threads gets the same
 * numbers whatever the thread count. The lane loop is plain C that compilers
 * vectorise; on x86-64 AVX2 / AVX-512 clones are chosen at run time (same results).
 */
#ifndef NUMDIST_XOSHIRO256_H
#define NUMDIST_XOSHIRO256_H

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seed from two 64-bit words (numdist derives them with numpy's SeedSequence). */
void nd_xoshiro_seed(nd_xoshiro_t *xo, uint64_t key0, uint64_t key1);

/* Write block number `block` of the stream keyed by xo->key into out[0..ND_XO_BLOCK). */
void nd_xoshiro_block(const nd_xoshiro_t *xo, uint64_t block, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif

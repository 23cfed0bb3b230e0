/*
 * Xoshiro256x8: numdist's own bit generator.
 *
 * Block k of a stream is ND_XO_BLOCK words produced by 8 interleaved
 * xoshiro256++ lanes. Lane states come from a bijective keyed function of the
 * block number (seeding version 2, numdist >= 0.2):
 *
 *   (R0, R1, R2, R3) = Philox4x64-10(counter = (k, 0, 0, 0), key = (key0, key1))
 *   state word w of lane l = mix64(Rw + (l + 1) * 0x9e3779b97f4a7c15)
 *
 * i.e. row w of the 4 x 8 state matrix is SplitMix64 started at Rw. Philox is a
 * bijection of the counter for a fixed key, so within one key no two blocks
 * have the same row seeds; two lanes can only share a state if all four row
 * seeds of their blocks differ by the same small multiple of the SplitMix
 * increment (a 256-bit coincidence). docs/stream-contract.md has the analysis.
 *
 * Blocks are independent substreams, so any block can be produced without
 * producing the ones before it: work split over threads gets the same numbers
 * whatever the thread count. The lane loop (and the SplitMix expansion) is plain
 * C that compilers vectorise; on x86-64 AVX2 / AVX-512 clones are chosen at run
 * time (same results).
 */
#ifndef NUMDIST_XOSHIRO256_H
#define NUMDIST_XOSHIRO256_H

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seeding version: stored in the Python state dict, changes with the numbers. */
#define ND_XO_SEEDING_VERSION 2

/* Seed from two 64-bit words (numdist derives them with numpy's SeedSequence). */
void nd_xoshiro_seed(nd_xoshiro_t *xo, uint64_t key0, uint64_t key1);

/* Write block number `block` of the stream keyed by xo->key into out[0..ND_XO_BLOCK). */
void nd_xoshiro_block(const nd_xoshiro_t *xo, uint64_t block, uint64_t *out);

/* Same words as nd_xoshiro_block, for runs of consecutive blocks: rows holds the
 * row seeds of `block` on entry and those of block + 1 on return (the next
 * block's Philox call overlaps this block's lane loop). */
void nd_xoshiro_block_ahead(const nd_xoshiro_t *xo, uint64_t block, uint64_t rows[4], uint64_t *out);

/* The four row seeds of a block (Philox4x64-10 of (block, 0, 0, 0) under the key). */
void nd_xoshiro_row_seeds(const nd_xoshiro_t *xo, uint64_t block, uint64_t rows[4]);

/* The 32 lane-state words of a block: s[w][l] is state word w of lane l. */
void nd_xoshiro_lane_states(const nd_xoshiro_t *xo, uint64_t block, uint64_t s[4][ND_XO_LANES]);

/* Random123's Philox4x64 with 10 rounds (Salmon et al., SC11). */
void nd_philox4x64_10(const uint64_t ctr[4], const uint64_t key[2], uint64_t out[4]);

#ifdef __cplusplus
}
#endif
#endif

/*
 * Chunked execution of a sampling kernel over several threads.
 *
 * The caller cuts its output into chunks whose boundaries depend only on the
 * output shape. With numdist's generator, chunk c draws from its own stream,
 * blocks [base + c * ND_CHUNK_BLOCKS, ...) of the same key, so whichever thread
 * runs a chunk, and however many threads there are, the numbers are the same.
 * With a NumPy bit generator there is one sequential stream: chunks then run
 * in order on the calling thread.
 */
#ifndef NUMDIST_PARALLEL_H
#define NUMDIST_PARALLEL_H

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Blocks reserved per chunk: 2^20 blocks of 2048 words, far more than any chunk draws. */
#define ND_CHUNK_BLOCKS ((uint64_t)1 << 20)

typedef void (*nd_chunk_fn)(void *ctx, intptr_t chunk, nd_bits_t *bits);

/* Run fn(ctx, c, bits) for every chunk c in [0, nchunks).
 * xo != NULL: numdist's generator; chunks are spread over up to nthreads
 *   threads (the calling thread included) and xo->counter then moves past the
 *   blocks reserved for all chunks.
 * xo == NULL: numpy_bits is the one sequential source; nthreads is ignored.
 * Returns 0; -1 if threads could not be started (the calling thread then did
 * the work, with the same result); -2 if no chunk could get its buffer. */
int nd_run_chunks(nd_xoshiro_t *xo, nd_bits_t *numpy_bits, int nthreads, intptr_t nchunks,
                  nd_chunk_fn fn, void *ctx);

/* Number of online CPUs (at least 1). */
int nd_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif

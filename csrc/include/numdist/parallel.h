/*
 * Chunked execution of a sampling kernel over several threads.
 *
 * The caller cuts its output into chunks whose boundaries depend only on the
 * output shape. With numdist's generator, chunk c draws from its own stream,
 * blocks [base + c * ND_CHUNK_BLOCKS, ...) of the same key, so whichever thread
 * runs a chunk, and however many threads there are, the numbers are the same.
 * (numdist's Python layer always passes a Xoshiro256x8 stream: a NumPy Generator
 * keys a fresh one. A C caller may still pass a sequential NumPy source, whose
 * chunks then run in order on the calling thread.)
 */
#ifndef NUMDIST_PARALLEL_H
#define NUMDIST_PARALLEL_H

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The reproducibility contract (docs/stream-contract.md), defined here only:
 * an output of n elements (C order) is cut into chunks of ND_CHUNK_ELEMS
 * elements; chunk c draws from blocks [base + c * ND_CHUNK_BLOCKS, ...) of the
 * generator's key.  Changing either constant changes the numbers of every seed. */
#define ND_CHUNK_ELEMS ((intptr_t)65536)
/* Blocks reserved per chunk: 2^20 blocks of 2048 words, far more than any chunk draws. */
#define ND_CHUNK_BLOCKS ((uint64_t)1 << 20)

/* Number of chunks for an output of n elements (0 for n <= 0). */
static inline intptr_t nd_num_chunks(intptr_t n)
{
    return n > 0 ? (n - 1) / ND_CHUNK_ELEMS + 1 : 0;
}

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

/* Run fn(ctx, c, bits) for the chunks c in [c0, c1) of a larger output only
 * (numdist.dask: one block of a distributed array computes the chunks it
 * overlaps).  Chunk c draws from blocks [xo->counter + c * ND_CHUNK_BLOCKS, ...),
 * exactly as in nd_run_chunks with the same counter, so these chunks get the
 * numbers of the full draw; xo->counter is not moved.  xo must not be NULL.
 * Returns as nd_run_chunks. */
int nd_run_chunk_range(const nd_xoshiro_t *xo, int nthreads, intptr_t c0, intptr_t c1,
                       nd_chunk_fn fn, void *ctx);

/* Deterministic work (no random bits): run fn(ctx, task) for every task in
 * [0, ntasks) on up to nthreads threads (the calling thread included).  The
 * caller makes tasks independent, so results do not depend on nthreads.
 * Returns 0, or -1 if threads could not be started (the calling thread then did
 * all the work, with the same result). */
typedef void (*nd_task_fn)(void *ctx, intptr_t task);
int nd_run_parallel(int nthreads, intptr_t ntasks, nd_task_fn fn, void *ctx);

/* Number of online CPUs (at least 1). */
int nd_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif

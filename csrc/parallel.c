/* Chunk runner: see numdist/parallel.h. POSIX threads; serial elsewhere. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif
#include "numdist/parallel.h"

#include <stdlib.h>

#if !defined(_WIN32)
#include <pthread.h>
#include <unistd.h>
#define ND_HAVE_PTHREADS 1
#endif

typedef struct run_state {
    const nd_xoshiro_t *xo;
    uint64_t base;
    intptr_t nchunks;
    intptr_t next; /* next chunk to hand out, taken with an atomic add */
    nd_chunk_fn fn;
    void *ctx;
} run_state;

static intptr_t take_chunk(run_state *st)
{
#if defined(__GNUC__)
    return __sync_fetch_and_add(&st->next, 1);
#else
    return st->next++; /* serial builds only */
#endif
}

static void *worker(void *arg)
{
    run_state *st = (run_state *)arg;
    nd_bits_t *bits = (nd_bits_t *)malloc(sizeof(nd_bits_t));
    nd_xoshiro_t xo;
    intptr_t c;
    if (bits == NULL) return NULL; /* the other workers take the remaining chunks */
    xo = *st->xo;
    while ((c = take_chunk(st)) < st->nchunks) {
        xo.counter = st->base + (uint64_t)c * ND_CHUNK_BLOCKS;
        nd_bits_init_xoshiro(bits, &xo);
        st->fn(st->ctx, c, bits);
    }
    free(bits);
    return NULL;
}

/* fn(arg) on the calling thread and nthreads - 1 more (all of them taking work
 * from the shared state in arg); 0, or -1 if threads could not be started (the
 * calling thread then did what they would have). */
static int run_on_threads(int nthreads, void *(*fn)(void *), void *arg)
{
    int status = 0;
#ifdef ND_HAVE_PTHREADS
    if (nthreads > 1) {
        pthread_t *tids = (pthread_t *)malloc(sizeof(pthread_t) * (size_t)(nthreads - 1));
        int started = 0, i;
        if (tids != NULL) {
            for (i = 0; i < nthreads - 1; i++) {
                if (pthread_create(&tids[i], NULL, fn, arg) != 0) { status = -1; break; }
                started++;
            }
        } else {
            status = -1;
        }
        fn(arg);
        for (i = 0; i < started; i++) pthread_join(tids[i], NULL);
        free(tids);
        return status;
    }
#else
    (void)nthreads;
#endif
    fn(arg);
    return status;
}

/* Chunks [first, nchunks) of the draw whose first block is st->base. */
static int run_range(run_state *st, int nthreads)
{
    int status = 0;
    intptr_t c, n = st->nchunks - st->next;
    if (n <= 0) return 0;
    if (nthreads > n) nthreads = (int)n;
    status = run_on_threads(nthreads, worker, st);
    /* A worker that could not allocate leaves chunks behind only if all failed. */
    if (st->next < st->nchunks) {
        nd_bits_t *bits = (nd_bits_t *)malloc(sizeof(nd_bits_t));
        nd_xoshiro_t x = *st->xo;
        if (bits == NULL) return -2;
        for (c = st->next; c < st->nchunks; c++) {
            x.counter = st->base + (uint64_t)c * ND_CHUNK_BLOCKS;
            nd_bits_init_xoshiro(bits, &x);
            st->fn(st->ctx, c, bits);
        }
        free(bits);
    }
    return status;
}

int nd_run_chunks(nd_xoshiro_t *xo, nd_bits_t *numpy_bits, int nthreads, intptr_t nchunks,
                  nd_chunk_fn fn, void *ctx)
{
    run_state st;
    int status;
    intptr_t c;
    if (xo == NULL) {
        for (c = 0; c < nchunks; c++) fn(ctx, c, numpy_bits);
        return 0;
    }
    st.xo = xo;
    st.base = xo->counter;
    st.nchunks = nchunks;
    st.next = 0;
    st.fn = fn;
    st.ctx = ctx;
    status = run_range(&st, nthreads);
    if (status == -2) return -2;
    xo->counter = st.base + (uint64_t)(nchunks > 0 ? nchunks : 0) * ND_CHUNK_BLOCKS;
    return status;
}

int nd_run_chunk_range(const nd_xoshiro_t *xo, int nthreads, intptr_t c0, intptr_t c1,
                       nd_chunk_fn fn, void *ctx)
{
    run_state st;
    if (xo == NULL || c0 < 0) return -2;
    st.xo = xo;
    st.base = xo->counter;
    st.nchunks = c1;
    st.next = c0;
    st.fn = fn;
    st.ctx = ctx;
    return run_range(&st, nthreads);
}

typedef struct task_state {
    intptr_t ntasks;
    intptr_t next;
    nd_task_fn fn;
    void *ctx;
} task_state;

static void *task_worker(void *arg)
{
    task_state *st = (task_state *)arg;
    intptr_t t;
#if defined(__GNUC__)
    while ((t = __sync_fetch_and_add(&st->next, 1)) < st->ntasks) st->fn(st->ctx, t);
#else
    while ((t = st->next++) < st->ntasks) st->fn(st->ctx, t);
#endif
    return NULL;
}

int nd_run_parallel(int nthreads, intptr_t ntasks, nd_task_fn fn, void *ctx)
{
    task_state st;
    st.ntasks = ntasks;
    st.next = 0;
    st.fn = fn;
    st.ctx = ctx;
    if (nthreads > ntasks) nthreads = (int)ntasks;
    return run_on_threads(nthreads, task_worker, &st);
}

int nd_cpu_count(void)
{
#ifdef ND_HAVE_PTHREADS
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#else
    return 1;
#endif
}

# C declarations of numdist's kernels, for every Cython binding (one place).
from libc.stdint cimport intptr_t

from numdist._rng cimport nd_bits_t

cdef extern from "numdist/parallel.h" nogil:
    intptr_t ND_CHUNK_ELEMS
    intptr_t nd_num_chunks(intptr_t n)
    ctypedef void (*nd_task_fn)(void *ctx, intptr_t task) noexcept nogil
    int nd_run_parallel(int nthreads, intptr_t ntasks, nd_task_fn fn, void *ctx)

cdef extern from "numdist/elementwise.h" nogil:
    ctypedef void (*nd_ew_fn)(nd_bits_t *bits, intptr_t n, char *out, intptr_t out_stride,
                              const char *p0, intptr_t s0, const char *p1, intptr_t s1) noexcept nogil
    ctypedef struct nd_ew_kernel:
        const char *name
        int nparams
        int out_int64
        nd_ew_fn f64
        nd_ew_fn f32
        double words_per_element
    const nd_ew_kernel *nd_ew_find(const char *name)
    const nd_ew_kernel *nd_ew_table()
    int nd_ew_count()

cdef extern from "numdist/special.h" nogil:
    void nd_ndtr_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)
    void nd_ndtri_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)

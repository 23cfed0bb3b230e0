# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the Categorical kernels (csrc/categorical.c).

Callers (numdist.alias, numdist.categorical) hand over a 2-D problem:

- ``w``: (nrows, K) float64 weights, any strides (zero row stride for
  broadcast rows is fine), aligned; rows need not be normalised;
- ``out``: (n, nrows) int64, any strides, aligned and writeable: draw k of row
  r goes to ``out[k, r]``;
- optionally a prebuilt alias ``table`` (nrows, K) of :data:`TABLE_DTYPE`.

Work is cut into chunks whose boundaries depend only on (nrows, n, K), never on
the thread count or on whether a table was cached: a chunk is a run of whole
rows when rows get few draws (``n <= CHUNK``), else one piece of CHUNK draws of
one row. Inside a chunk, rows are drawn in order, one 64-bit word per draw
(the kernels' contract), so the numbers depend on the seed and the shapes only.
The alias path gives bitwise the same draws from a cached table, from a
table built for the call or from the fused build-and-draw kernel.

Bad rows (negative, NaN or infinite weights, or all zero) are found by the
kernels themselves while building or summing, so checking costs nothing;
they raise :class:`BadRowError` (a ValueError) with the flat row index, which
the Python layer turns into a message naming the parameter and batch index.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t, intptr_t, uint64_t
from libc.stdlib cimport free, malloc

from numdist._common cimport run_chunks
from numdist._kernels cimport *
from numdist._rng cimport RandomSource, nd_bits_t, random_source

cnp.import_array()

#: One alias-table column, the layout of the C ``nd_alias_entry`` (16 bytes):
#: a 64-bit fixed-point acceptance threshold and the alias category.
TABLE_DTYPE = np.dtype([("thresh", np.uint64), ("alias", np.int64)], align=True)
assert TABLE_DTYPE.itemsize == sizeof(nd_alias_entry)

#: Largest K an alias table accepts (2**48).
MAX_ALIAS_K = ND_ALIAS_MAX_K


class BadRowError(ValueError):
    """A row the kernels refused: ``row`` is its flat index (-1: K too large)."""

    def __init__(self, row):
        self.row = row
        super().__init__(f"row {row} has a negative, NaN or infinite weight, or sums to zero")


# Draws per chunk: the chunk size of the stream contract (parallel.h, the one
# definition; changing it changes the numbers).
cdef intptr_t CHUNK = ND_CHUNK_ELEMS

cdef enum:
    MODE_CDF = 0
    MODE_FUSED = 1   # build each row's table into chunk scratch, then draw
    MODE_TABLE = 2   # prebuilt (nrows, K) table


cdef struct cat_job:
    int mode
    intptr_t nrows, n, K
    intptr_t rows_per_chunk   # > 0: chunks of whole rows; 0: pieces of one row
    intptr_t pieces           # pieces per row (rows_per_chunk == 0)
    const char *w
    intptr_t w_rs, w_cs
    const nd_alias_entry *table
    char *out
    intptr_t out_rs, out_ds
    intptr_t *status          # per chunk: -1 fine, >= 0 first bad row, -2 no memory


cdef void cat_chunk(void *vjob, intptr_t c, nd_bits_t *bits) noexcept nogil:
    cdef cat_job *job = <cat_job *>vjob
    cdef intptr_t r0, m, d0, nd, bad = -1, K = job.K
    cdef int st = ND_OK
    cdef void *scratch
    cdef size_t tab_bytes
    if job.rows_per_chunk > 0:
        r0 = c * job.rows_per_chunk
        m = min(job.rows_per_chunk, job.nrows - r0)
        d0 = 0
        nd = job.n
    else:
        r0 = c // job.pieces
        m = 1
        d0 = (c % job.pieces) * CHUNK
        nd = min(<intptr_t>CHUNK, job.n - d0)
    cdef const double *w = <const double *>(job.w + r0 * job.w_rs) if job.w != NULL else NULL
    cdef int64_t *o = <int64_t *>(job.out + r0 * job.out_rs + d0 * job.out_ds)
    if job.mode == MODE_TABLE:
        random_alias_fill(bits, m, nd, K, job.table + r0 * K, o, job.out_rs, job.out_ds)
    elif job.mode == MODE_FUSED:
        tab_bytes = <size_t>K * sizeof(nd_alias_entry)
        scratch = malloc(tab_bytes + nd_alias_work_bytes(K))
        if scratch == NULL:
            job.status[c] = -2
            return
        st = random_categorical_alias_fill(bits, m, nd, K, w, job.w_rs, job.w_cs, o, job.out_rs,
                                           job.out_ds, <nd_alias_entry *>scratch,
                                           <char *>scratch + tab_bytes, &bad)
        free(scratch)
    else:
        scratch = malloc(<size_t>K * sizeof(double))
        if scratch == NULL:
            job.status[c] = -2
            return
        st = random_categorical_cdf_fill(bits, m, nd, K, w, job.w_rs, job.w_cs, o, job.out_rs,
                                         job.out_ds, <double *>scratch, &bad)
        free(scratch)
    if st == ND_E_BAD_PARAM and bad >= 0:
        job.status[c] = r0 + bad
    elif st != ND_OK:
        job.status[c] = -2


def prefer_alias(K, n_per_row, nrows=1):
    """True if an alias table pays for rows of ``K`` categories getting ``n_per_row``
    draws each (the kernel's fitted cost model; ``nrows`` does not change the answer)."""
    return bool(nd_categorical_prefer_alias(<intptr_t>K, <intptr_t>n_per_row))


cdef int _check_w(cnp.ndarray w) except -1:
    if w.ndim != 2 or w.dtype.num != cnp.NPY_DOUBLE or not w.flags.aligned:
        raise ValueError("internal error: weights must be an aligned (nrows, K) float64 array")
    if w.shape[1] < 1:
        raise ValueError("internal error: K must be at least 1")
    return 0


def build_table(cnp.ndarray w):
    """The alias tables of the rows of ``w`` ((nrows, K) float64), as an
    (nrows, K) array of :data:`TABLE_DTYPE`. BadRowError on a bad row."""
    _check_w(w)
    cdef intptr_t nrows = w.shape[0], K = w.shape[1], bad = -1
    cdef int st
    if K > ND_ALIAS_MAX_K:
        raise ValueError(f"alias tables hold at most {ND_ALIAS_MAX_K} categories, got K = {K}")
    cdef cnp.ndarray table = np.empty((nrows, K), dtype=TABLE_DTYPE)
    if nrows == 0:
        return table
    cdef void *work = malloc(nd_alias_work_bytes(K))
    if work == NULL:
        raise MemoryError("could not allocate the alias-table workspace")
    cdef const double *pw = <const double *>cnp.PyArray_DATA(w)
    cdef intptr_t rs = w.strides[0], cs = w.strides[1]
    cdef nd_alias_entry *pt = <nd_alias_entry *>cnp.PyArray_DATA(table)
    with nogil:
        st = nd_alias_build_batch(nrows, K, pw, rs, cs, pt, work, &bad)
    free(work)
    if st == ND_E_BAD_PARAM:
        raise BadRowError(bad)
    if st != ND_OK:
        raise MemoryError("alias table build failed")
    return table


def check_rows(cnp.ndarray w):
    """Validate every row of ``w`` without drawing (one cumulative-sum pass);
    BadRowError on the first bad row."""
    _check_w(w)
    cdef intptr_t nrows = w.shape[0], K = w.shape[1], bad = -1
    cdef int st
    cdef int64_t dummy = 0
    if nrows == 0:
        return
    cdef double *work = <double *>malloc(<size_t>K * sizeof(double))
    cdef nd_bits_t *bits = <nd_bits_t *>malloc(sizeof(nd_bits_t))  # untouched: no draws
    if work == NULL or bits == NULL:
        free(work)
        free(bits)
        raise MemoryError("could not allocate the validation workspace")
    cdef const double *pw = <const double *>cnp.PyArray_DATA(w)
    cdef intptr_t rs = w.strides[0], cs = w.strides[1]
    bits.pos = bits.end = NULL
    with nogil:
        st = random_categorical_cdf_fill(bits, nrows, 0, K, pw, rs, cs, &dummy, 0, 0, work, &bad)
    free(work)
    free(bits)
    if st == ND_E_BAD_PARAM:
        raise BadRowError(bad)


def sample_rows(rng, w, intptr_t n, table=None, *, alias=None, out=None):
    """Draw ``n`` categories from each row: returns ``out`` ((n, nrows) int64).

    w : (nrows, K) float64 aligned array, any strides; may be None when
        ``table`` is given.
    table : None or the (nrows, K) :data:`TABLE_DTYPE` array built from ``w``
        (then the alias path is used).
    alias : None (the cost model decides), True or False; ignored with a table.
    out : None or an aligned, writeable (n, nrows) int64 array, any strides.
    """
    cdef cat_job job
    cdef cnp.ndarray wa, ta, oa
    cdef intptr_t nrows, K, nchunks, c, worst = -1
    cdef intptr_t *status
    cdef RandomSource src = random_source(rng)
    cdef object built = None
    if table is not None:
        ta = table
        if ta.ndim != 2 or ta.dtype != TABLE_DTYPE or not ta.flags.c_contiguous:
            raise ValueError("internal error: table must be a C-contiguous (nrows, K) alias table")
        nrows, K = ta.shape[0], ta.shape[1]
        job.mode = MODE_TABLE
    else:
        wa = w
        _check_w(wa)
        nrows, K = wa.shape[0], wa.shape[1]
        use_alias = nd_categorical_prefer_alias(K, n) if alias is None else bool(alias)
        if use_alias and K > ND_ALIAS_MAX_K:
            raise ValueError(f"alias tables hold at most {ND_ALIAS_MAX_K} categories, got K = {K}")
        job.mode = MODE_FUSED if use_alias else MODE_CDF
    if n < 0:
        raise ValueError("internal error: negative number of draws")
    if out is None:
        oa = np.empty((n, nrows), dtype=np.int64)
    else:
        oa = out
        if (oa.ndim != 2 or oa.shape[0] != n or oa.shape[1] != nrows or oa.dtype.num != cnp.NPY_INT64
                or not oa.flags.aligned or not oa.flags.writeable):
            raise ValueError("internal error: out must be an aligned, writeable (n, nrows) int64 array")
    if n == 0 or nrows == 0:
        return oa
    if job.mode == MODE_FUSED and n > CHUNK:
        # rows are split into pieces: build every table once instead of once per piece
        ta = build_table(wa)
        built = ta
        job.mode = MODE_TABLE
    job.nrows = nrows
    job.n = n
    job.K = K
    if n <= CHUNK:
        # whole rows per chunk, about CHUNK units of work (a draw, or 4 categories of setup)
        job.rows_per_chunk = max(1, CHUNK // (n + (K >> 2)))
        job.pieces = 0
        nchunks = (nrows + job.rows_per_chunk - 1) // job.rows_per_chunk
    else:
        job.rows_per_chunk = 0
        job.pieces = (n + CHUNK - 1) // CHUNK
        nchunks = nrows * job.pieces
    if job.mode == MODE_TABLE:
        job.table = <const nd_alias_entry *>cnp.PyArray_DATA(ta)
        job.w = NULL
        job.w_rs = job.w_cs = 0
    else:
        job.table = NULL
        job.w = <const char *>cnp.PyArray_DATA(wa)
        job.w_rs = wa.strides[0]
        job.w_cs = wa.strides[1]
    job.out = <char *>cnp.PyArray_DATA(oa)
    job.out_ds = oa.strides[0]
    job.out_rs = oa.strides[1]
    status = <intptr_t *>malloc(<size_t>nchunks * sizeof(intptr_t))
    if status == NULL:
        raise MemoryError("could not allocate the chunk status array")
    for c in range(nchunks):
        status[c] = -1
    job.status = status
    try:
        run_chunks(src, nchunks, cat_chunk, &job)
        nomem = False
        for c in range(nchunks):
            if status[c] >= 0 and (worst < 0 or status[c] < worst):
                worst = status[c]
            elif status[c] == -2:
                nomem = True
    finally:
        free(status)
    if worst >= 0:
        raise BadRowError(worst)
    if nomem:
        raise MemoryError("could not allocate a categorical workspace")
    return oa

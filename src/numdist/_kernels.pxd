# C declarations of numdist's kernels and bit source (csrc/include/numdist/*.h),
# for every Cython binding: the one place they are written.
from libc.stdint cimport int64_t, intptr_t, uint64_t

cdef extern from "numdist/bitgen.h" nogil:
    ctypedef struct nd_bitgen_t:
        pass
    ctypedef struct nd_xoshiro_t:
        uint64_t key[2]
        uint64_t counter
    ctypedef struct nd_bits_t:
        uint64_t *pos
        uint64_t *end
        int stream_out
    void nd_bits_init_numpy(nd_bits_t *b, nd_bitgen_t *bitgen)
    void nd_bits_init_xoshiro(nd_bits_t *b, nd_xoshiro_t *xo)
    void nd_bits_refill(nd_bits_t *b)
    int nd_memory_untouched(const void *p, size_t nbytes)
    uint64_t nd_bits_next64(nd_bits_t *b)
    double nd_bits_next_double(nd_bits_t *b)
    int ND_XO_BLOCK

cdef extern from "numdist/xoshiro256.h" nogil:
    void nd_xoshiro_seed(nd_xoshiro_t *xo, uint64_t key0, uint64_t key1)
    void nd_xoshiro_block(const nd_xoshiro_t *xo, uint64_t block, uint64_t *out)
    void nd_xoshiro_row_seeds(const nd_xoshiro_t *xo, uint64_t block, uint64_t *rows)
    int ND_XO_SEEDING_VERSION

cdef extern from "numdist/strided.h" nogil:
    int ND_OK, ND_E_NOT_PD, ND_E_BAD_PARAM, ND_E_NOMEM, ND_MAXDIM
    ctypedef struct nd_outer_iter:
        intptr_t offset
    void nd_outer_init(nd_outer_iter *it, int ndim, const intptr_t *shape, const intptr_t *strides)
    int nd_outer_next(nd_outer_iter *it)
    void nd_outer_seek(nd_outer_iter *it, intptr_t row)

cdef extern from "numdist/parallel.h" nogil:
    intptr_t ND_CHUNK_ELEMS
    uint64_t ND_CHUNK_BLOCKS
    intptr_t nd_num_chunks(intptr_t n)
    ctypedef void (*nd_task_fn)(void *ctx, intptr_t task) noexcept nogil
    int nd_run_parallel(int nthreads, intptr_t ntasks, nd_task_fn fn, void *ctx)
    ctypedef void (*nd_chunk_fn)(void *ctx, intptr_t chunk, nd_bits_t *bits) noexcept nogil
    int nd_run_chunks(nd_xoshiro_t *xo, nd_bits_t *numpy_bits, int nthreads, intptr_t nchunks,
                      nd_chunk_fn fn, void *ctx)
    int nd_run_chunk_range(const nd_xoshiro_t *xo, int nthreads, intptr_t c0, intptr_t c1,
                           nd_chunk_fn fn, void *ctx)
    int nd_cpu_count()

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
        int f64_any_split
    const nd_ew_kernel *nd_ew_find(const char *name)
    const nd_ew_kernel *nd_ew_table()
    int nd_ew_count()

cdef extern from "numdist/special.h" nogil:
    void nd_ndtr_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)
    void nd_ndtri_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)
    # Gamma/Beta family (csrc/special_gamma.c, csrc/special_beta.c)
    ctypedef double (*nd_fn_d_d)(double) noexcept nogil
    ctypedef double (*nd_fn_dd_d)(double, double) noexcept nogil
    ctypedef double (*nd_fn_ddd_d)(double, double, double) noexcept nogil
    ctypedef void (*nd_fn_ddd_dd)(double, double, double, double *, double *) noexcept nogil
    double nd_lgamma(double x)
    double nd_digamma(double x)
    double nd_trigamma(double x)
    double nd_log1pmx(double t)
    double nd_gammainc_p(double a, double x)
    double nd_gammainc_q(double a, double x)
    double nd_gammainc_p_da(double a, double x)
    double nd_gamma_sample_grad(double a, double z)
    double nd_betainc(double a, double b, double x)
    double nd_betainc_da(double a, double b, double x)
    double nd_betainc_db(double a, double b, double x)
    void nd_betainc_grad(double a, double b, double x, double *da, double *db)
    void nd_beta_sample_grad(double a, double b, double x, double *dxda, double *dxdb)
    double nd_student_t_cdf(double df, double t)
    double nd_student_t_sample_grad_df(double df, double t)
    # normal in log space (csrc/special_normal.c)
    double nd_log_ndtr(double x)
    double nd_log_ndtr_grad(double x)
    double nd_ndtri_exp(double y)
    void nd_normal_mixture_logpdf(intptr_t n, const double *x, intptr_t xs, intptr_t K, const double *mu,
                                  const double *inv_sigma, const double *c, double *work, double *out,
                                  intptr_t os)
    void nd_fill_d_d(intptr_t n, nd_fn_d_d f, const double *x, intptr_t xs, double *out, intptr_t os)
    void nd_fill_dd_d(intptr_t n, nd_fn_dd_d f, const double *a, intptr_t as_, const double *x,
                      intptr_t xs, double *out, intptr_t os)
    void nd_fill_ddd_d(intptr_t n, nd_fn_ddd_d f, const double *a, intptr_t as_, const double *b,
                       intptr_t bs, const double *x, intptr_t xs, double *out, intptr_t os)
    void nd_beta_sample_grad_fill(intptr_t n, const double *a, intptr_t as_, const double *b,
                                  intptr_t bs, const double *x, intptr_t xs, double *dxda,
                                  intptr_t o0s, double *dxdb, intptr_t o1s)
    void nd_student_t_sample_grad_df_fill(intptr_t n, const double *df, intptr_t ds, const double *t,
                                          intptr_t ts, double *out, intptr_t os)
    void nd_fill_ddd_dd(intptr_t n, nd_fn_ddd_dd f, const double *a, intptr_t as_, const double *b,
                        intptr_t bs, const double *x, intptr_t xs, double *out0, intptr_t o0s,
                        double *out1, intptr_t o1s)
    void nd_gamma_sample_grad_fill(intptr_t n, const double *a, intptr_t as_, const double *z,
                                   intptr_t zs, const double *g, intptr_t gs, const double *rate,
                                   intptr_t rs, double *out, intptr_t os)
    void nd_gamma_rsample_grads_fill(intptr_t n, const double *a, intptr_t as_, const double *z,
                                     intptr_t zs, const double *g, intptr_t gs, const double *rate,
                                     intptr_t rs, double *dconc, intptr_t dcs, double *drate,
                                     intptr_t drs)

cdef extern from "numdist/normal.h" nogil:
    ctypedef enum nd_normal_method:
        ND_NORMAL_ZIGGURAT
        ND_NORMAL_BOX_MULLER

cdef extern from "numdist/mvn.h" nogil:
    intptr_t ND_MVN_MAXD
    intptr_t nd_mvn_chunk(intptr_t d)
    int nd_cholesky_batch(intptr_t nbatch, intptr_t d,
                          const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                          double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          intptr_t *fail_batch, intptr_t *fail_col)
    int nd_cholesky_batch_f(intptr_t nbatch, intptr_t d,
                            const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                            float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                            intptr_t *fail_batch, intptr_t *fail_col)
    int nd_precision_to_scale_tril_batch(intptr_t nbatch, intptr_t d,
                                         const double *P, intptr_t p_bs, intptr_t p_rs, intptr_t p_cs,
                                         double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                         intptr_t *fail_batch, intptr_t *fail_col)
    int nd_precision_to_scale_tril_batch_f(intptr_t nbatch, intptr_t d,
                                           const float *P, intptr_t p_bs, intptr_t p_rs, intptr_t p_cs,
                                           float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                           intptr_t *fail_batch, intptr_t *fail_col)
    int random_mvn_fill(nd_bits_t *bits, nd_normal_method m,
                        intptr_t nsample, intptr_t nbatch, intptr_t d,
                        const double *loc, intptr_t loc_bs, intptr_t loc_es,
                        const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                        double *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                        double *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es)
    int random_mvn_fill_f(nd_bits_t *bits, nd_normal_method m,
                          intptr_t nsample, intptr_t nbatch, intptr_t d,
                          const float *loc, intptr_t loc_bs, intptr_t loc_es,
                          const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          float *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                          float *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es)
    int random_mvn_cov_fill(nd_bits_t *bits, nd_normal_method m, intptr_t nbatch, intptr_t d,
                            const double *loc, intptr_t loc_bs, intptr_t loc_es,
                            const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                            double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                            double *out, intptr_t out_bs, intptr_t out_es,
                            double *eps, intptr_t eps_bs, intptr_t eps_es,
                            intptr_t *fail_batch, intptr_t *fail_col)
    int random_mvn_cov_fill_f(nd_bits_t *bits, nd_normal_method m, intptr_t nbatch, intptr_t d,
                              const float *loc, intptr_t loc_bs, intptr_t loc_es,
                              const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                              float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                              float *out, intptr_t out_bs, intptr_t out_es,
                              float *eps, intptr_t eps_bs, intptr_t eps_es,
                              intptr_t *fail_batch, intptr_t *fail_col)
    int nd_mvn_solve_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                           const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                           const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                           const double *loc, intptr_t loc_bs, intptr_t loc_es,
                           double *maha, intptr_t maha_ss, intptr_t maha_bs,
                           double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    int nd_mvn_solve_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                             const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                             const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                             const float *loc, intptr_t loc_bs, intptr_t loc_es,
                             float *maha, intptr_t maha_ss, intptr_t maha_bs,
                             float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    int nd_mvn_log_prob_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                              const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                              const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                              const double *loc, intptr_t loc_bs, intptr_t loc_es,
                              double *lp, intptr_t lp_ss, intptr_t lp_bs,
                              double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    int nd_mvn_log_prob_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                const float *loc, intptr_t loc_bs, intptr_t loc_es,
                                float *lp, intptr_t lp_ss, intptr_t lp_bs,
                                float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    void nd_tril_logdet_batch(intptr_t nbatch, intptr_t d,
                              const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                              double *out, intptr_t out_bs)
    void nd_tril_logdet_batch_f(intptr_t nbatch, intptr_t d,
                                const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                float *out, intptr_t out_bs)
    int nd_symmetric_check_batch(intptr_t nbatch, intptr_t d,
                                 const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                 double rtol, double atol,
                                 intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
    int nd_symmetric_check_batch_f(intptr_t nbatch, intptr_t d,
                                   const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                   double rtol, double atol,
                                   intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)

cdef extern from "numdist/categorical.h" nogil:
    ctypedef struct nd_alias_entry:
        uint64_t thresh
        int64_t alias
    intptr_t ND_ALIAS_MAX_K
    size_t nd_alias_work_bytes(intptr_t K)
    int nd_alias_build_batch(intptr_t nrows, intptr_t K, const double *w, intptr_t w_rs,
                             intptr_t w_cs, nd_alias_entry *table, void *work, intptr_t *bad_row)
    void random_alias_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws, intptr_t K,
                           const nd_alias_entry *table, int64_t *out, intptr_t out_rs,
                           intptr_t out_ds)
    int random_categorical_alias_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws,
                                      intptr_t K, const double *w, intptr_t w_rs, intptr_t w_cs,
                                      int64_t *out, intptr_t out_rs, intptr_t out_ds,
                                      nd_alias_entry *table, void *work, intptr_t *bad_row)
    int random_categorical_cdf_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws,
                                    intptr_t K, const double *w, intptr_t w_rs, intptr_t w_cs,
                                    int64_t *out, intptr_t out_rs, intptr_t out_ds,
                                    double *work, intptr_t *bad_row)
    int nd_categorical_prefer_alias(intptr_t K, intptr_t ndraws_per_row)

cdef extern from "numdist/gamma.h" nogil:
    intptr_t ND_DIRICHLET_STACK_K
    double nd_standard_gamma(nd_bits_t *bits, double a)
    double nd_log_standard_gamma(nd_bits_t *bits, double a)
    int random_dirichlet_fill(nd_bits_t *bits, intptr_t nrows, intptr_t K, const double *alpha,
                              intptr_t a_rs, intptr_t a_cs, double *out, intptr_t o_rs, intptr_t o_cs)
    int random_dirichlet_fill_f(nd_bits_t *bits, intptr_t nrows, intptr_t K, const float *alpha,
                                intptr_t a_rs, intptr_t a_cs, float *out, intptr_t o_rs, intptr_t o_cs,
                                double *work)

cdef extern from "numdist/ziggurat.h" nogil:
    int nd_exponential_simd_level()

cdef extern from "numdist/binomial.h" nogil:
    int64_t ND_BINOMIAL_MAX_N
    intptr_t ND_MULTINOMIAL_STACK_K
    size_t nd_multinomial_work_bytes(intptr_t K)
    ctypedef struct nd_binomial_t:
        pass
    void nd_binomial_setup(nd_binomial_t *st, int64_t n, double p)
    int64_t nd_binomial_draw(nd_bits_t *bits, const nd_binomial_t *st)
    int64_t nd_binomial(nd_bits_t *bits, int64_t n, double p)
    int random_multinomial_fill(nd_bits_t *bits, intptr_t nrows, intptr_t K, const int64_t *n,
                                intptr_t n_rs, const double *p, intptr_t p_rs, intptr_t p_cs,
                                int64_t *out, intptr_t o_rs, intptr_t o_cs, void *work)
    int random_multinomial_fill_f(nd_bits_t *bits, intptr_t nrows, intptr_t K, const int64_t *n,
                                  intptr_t n_rs, const float *p, intptr_t p_rs, intptr_t p_cs,
                                  int64_t *out, intptr_t o_rs, intptr_t o_cs, void *work)
cdef extern from "numdist/grad_fused.h" nogil:
    ctypedef struct nd_sb:
        char *p
        intptr_t ss
        intptr_t bs
    void nd_fused_affine(intptr_t S, intptr_t b0, intptr_t b1, nd_sb loc, nd_sb scale, nd_sb eps, nd_sb out)
    void nd_fused_affine_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb loc, nd_sb scale, nd_sb eps, nd_sb out)
    void nd_fused_affine_vjp(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb eps, double *dloc, double *dscale)
    void nd_fused_affine_vjp_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb eps, float *dloc, float *dscale)
    void nd_fused_normal_log_prob(intptr_t S, intptr_t b0, intptr_t b1, nd_sb x, nd_sb loc, nd_sb scale,
                                  nd_sb log_scale, double half_log_2pi, nd_sb lp)
    void nd_fused_normal_log_prob_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb x, nd_sb loc, nd_sb scale,
                                    nd_sb log_scale, float half_log_2pi, nd_sb lp)
    void nd_fused_normal_log_prob_sum(intptr_t S, intptr_t b0, intptr_t b1, intptr_t R, nd_sb x, nd_sb loc,
                                      nd_sb scale, nd_sb log_scale, double half_log_2pi, nd_sb sums)
    void nd_fused_normal_log_prob_sum_f(intptr_t S, intptr_t b0, intptr_t b1, intptr_t R, nd_sb x, nd_sb loc,
                                        nd_sb scale, nd_sb log_scale, float half_log_2pi, nd_sb sums)
    void nd_fused_categorical_logits_score(intptr_t S, intptr_t b0, intptr_t b1, intptr_t K, const char *idx,
                                           intptr_t idx_ss, intptr_t idx_bs, nd_sb g, const double *probs,
                                           double *grad)
    void nd_fused_categorical_logits_score_f(intptr_t S, intptr_t b0, intptr_t b1, intptr_t K, const char *idx,
                                             intptr_t idx_ss, intptr_t idx_bs, nd_sb g, const float *probs,
                                             float *grad)
    void nd_fused_normal_log_prob_vjp(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb x, nd_sb loc,
                                      nd_sb scale, nd_sb dvalue, double *dloc, double *dscale)
    void nd_fused_normal_log_prob_vjp_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb x, nd_sb loc,
                                        nd_sb scale, nd_sb dvalue, float *dloc, float *dscale)
    int nd_loc_scale_ok(intptr_t n, const double *loc, const double *scale)
    int nd_loc_scale_ok_f(intptr_t n, const float *loc, const float *scale)
    int nd_grad_fused_simd_level()
    void nd_grad_fused_set_simd_level(int level)
    void nd_kl_normal_ratio_d(intptr_t n, const double *ps, const double *qs, double *vr)
    void nd_kl_normal_ratio_f(intptr_t n, const float *ps, const float *qs, float *vr)
    double nd_kl_normal_sum_d(intptr_t n, const double *pl, const double *ql, const double *qs,
                              const double *vr, double *kl)
    float nd_kl_normal_sum_f(intptr_t n, const float *pl, const float *ql, const float *qs,
                             const float *vr, float *kl)
    void nd_kl_normal_vjp_d(intptr_t n, double g, const double *pl, const double *ps, const double *ql,
                            const double *qs, const double *qs3, double *dpl, double *dps, double *dql,
                            double *dqs)
    void nd_kl_normal_vjp_f(intptr_t n, float g, const float *pl, const float *ps, const float *ql,
                            const float *qs, const float *qs3, float *dpl, float *dps, float *dql,
                            float *dqs)

cdef extern from "numdist/mvn.h" nogil:
    int nd_symmetric_finite_check_batch(intptr_t nbatch, intptr_t d,
                                        const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                        double rtol, double atol,
                                        intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
    int nd_symmetric_finite_check_batch_f(intptr_t nbatch, intptr_t d,
                                          const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                          double rtol, double atol,
                                          intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
cdef extern from "numdist/normal.h" nogil:
    int nd_normal_simd_level()

cdef extern from "numdist/mvn.h" nogil:
    int nd_mvn_log_prob_hld_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                  const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                  const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                  const double *loc, intptr_t loc_bs, intptr_t loc_es,
                                  const double *hld, intptr_t hld_bs,
                                  double *lp, intptr_t lp_ss, intptr_t lp_bs,
                                  double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    int nd_mvn_log_prob_hld_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                    const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                    const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                    const float *loc, intptr_t loc_bs, intptr_t loc_es,
                                    const double *hld, intptr_t hld_bs,
                                    float *lp, intptr_t lp_ss, intptr_t lp_bs,
                                    float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    void nd_tril_logdet_batch_fd(intptr_t nbatch, intptr_t d,
                                 const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                 double *out, intptr_t out_bs)
    int nd_cholesky_packed_batch(intptr_t nbatch, intptr_t d,
                                 const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                 double *P, intptr_t p_bs, intptr_t *fail_batch, intptr_t *fail_col)
    int nd_cholesky_packed_batch_f(intptr_t nbatch, intptr_t d,
                                   const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                   float *P, intptr_t p_bs, intptr_t *fail_batch, intptr_t *fail_col)
    int random_mvn_fill_packed(nd_bits_t *bits, nd_normal_method m,
                               intptr_t nsample, intptr_t nbatch, intptr_t d,
                               const double *loc, intptr_t loc_bs, intptr_t loc_es,
                               const double *P, intptr_t p_bs,
                               double *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                               double *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es)
    int random_mvn_fill_packed_f(nd_bits_t *bits, nd_normal_method m,
                                 intptr_t nsample, intptr_t nbatch, intptr_t d,
                                 const float *loc, intptr_t loc_bs, intptr_t loc_es,
                                 const float *P, intptr_t p_bs,
                                 float *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                                 float *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es)
    int nd_mvn_log_prob_packed_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                     const double *P, intptr_t p_bs,
                                     const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                     const double *loc, intptr_t loc_bs, intptr_t loc_es,
                                     const double *hld, intptr_t hld_bs,
                                     double *lp, intptr_t lp_ss, intptr_t lp_bs,
                                     double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    int nd_mvn_log_prob_packed_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                       const float *P, intptr_t p_bs,
                                       const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                       const float *loc, intptr_t loc_bs, intptr_t loc_es,
                                       const double *hld, intptr_t hld_bs,
                                       float *lp, intptr_t lp_ss, intptr_t lp_bs,
                                       float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
    int nd_tril_logdet_packed_batch(intptr_t nbatch, intptr_t d, const double *P, intptr_t p_bs,
                                    double *out, intptr_t out_bs)
    int nd_tril_logdet_packed_batch_f(intptr_t nbatch, intptr_t d, const float *P, intptr_t p_bs,
                                      double *out, intptr_t out_bs)

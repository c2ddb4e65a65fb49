//! The one matrix product of the crate: a safe wrapper over `gemm::gemm`, and the thread pool it
//! runs in.
//!
//! Every operand is a row-major buffer; a transposed operand is expressed through gemm's row and
//! column strides, so `xᵀ·δ` and `δ·Wᵀ` are computed without copying.
//!
//! Why gemm, and why bands (measured with `cargo run --release --example network_bench --
//! products`, 2-core AMD EPYC with AVX-512, while other builds shared the machine (load ≈ 2), so
//! ±20 %; GFLOP/s, medians of 7 samples, the products of the 784-128-10 pass):
//!
//! | batch | product          | ndarray (matrixmultiply), 1 thr | gemm 1 thr | gemm Rayon(2) | 2 bands |
//! |-------|------------------|------|-------|-------|-------|
//! | 32    | x·W1 32×784·784×128   | 66   | 67–102 | 81–105 | 98–104 |
//! | 32    | xᵀ·δ1 784×32·32×128   | 74–90 | 51–96 | 48–53 | 96–108 |
//! | 32    | h·W2 32×128·128×10    | 24–31 | 46–49 | 2–6   | 7–8   |
//! | 128   | x·W1 128×784·784×128  | 54–82 | 65–106 | 67–88 | 122–125 |
//! | 128   | xᵀ·δ1 784×128·128×128 | 55–94 | 98–104 | 60–72 | 81–120 |
//! | 1024  | x·W1 1024×784·784×128 | 77–86 | 100–112 | 79–106 | 105–163 |
//! | 1024  | xᵀ·δ1 784×1024·1024×128 | 56–92 | 51–95 | 85–101 | 96–102 |
//! | 1024  | h·W2 1024×128·128×10  | 21–36 | 60–64 | 39–64 | 40–92 |
//!
//! gemm beats ndarray's matrixmultiply on one thread on nearly every shape (the small k = 10 and
//! n = 10 products by up to 2×), so it is the product. For two threads, gemm's own splitting
//! (`Parallelism::Rayon`) often loses to one thread on these thin shapes; cutting the output into
//! one band per thread along its longer side, each a single-threaded gemm call ([`Strategy::Bands`]),
//! does better on the big products. Whole epochs (`network_bench`, 2 threads, medians of 5
//! interleaved runs of 5 epochs each): bands 0.200 / 0.203 / 0.149 s at batch 32 / 128 / 1024,
//! gemm's splitting 0.312 / 0.193 / 0.183 s. Products under [`PARALLEL_MIN_WORK`] = 2^21
//! multiply-adds (all the 10-wide ones, even at batch 1024: 1.3 M) stay on one thread: waking
//! the second thread costs more than they take (7 vs 46 GFLOP/s at batch 32).
//!
//! Determinism: with bands, every output element is computed by one single-threaded gemm call
//! whose band is fixed by the shape and the thread count, so a product is bit-identical run to
//! run for a given thread count (gemm's own splitting is too: each micro-block goes whole to one
//! thread and the k loop runs in a fixed order). Across thread counts the k blocking may differ,
//! so 1 and 2 threads agree to rounding, not bit for bit.

use std::sync::{Arc, OnceLock};

use gemm::Parallelism;

use super::team::Team;

/// Products with fewer multiply-adds than this (m·n·k) run on one thread (measured, see header).
pub const PARALLEL_MIN_WORK: usize = 1 << 21;

/// A logical matrix `op(X)` of `rows × cols` over a row-major buffer: `X` itself when not
/// `transposed`, else `X` is stored `cols × rows` and read transposed.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub transposed: bool,
}

impl<'a> Operand<'a> {
    /// `data` is `rows × cols`, row-major.
    pub fn plain(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Operand {
            data,
            rows,
            cols,
            transposed: false,
        }
    }
    /// `data` is `cols × rows`, row-major; the operand is its transpose.
    pub fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Operand {
            data,
            rows,
            cols,
            transposed: true,
        }
    }
    /// (row stride, column stride) of the logical matrix within `data`.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.rows as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// How a product big enough for several threads is shared among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// gemm's own `Parallelism::Rayon`: it splits the output into micro-blocks.
    Gemm,
    /// One contiguous band of the output per thread along its longer side, each band a
    /// single-threaded gemm call.
    Bands,
}

/// How many threads the products of one network may use, and the threads themselves.
pub struct Parallel {
    threads: usize,
    min_work: usize,
    strategy: Strategy,
    /// The spinning team that runs the bands (and, through [`Pool`], the rest of a step);
    /// `None` for one thread: everything then runs on the caller's thread.
    team: Option<Arc<Team>>,
    /// Rayon workers for [`Strategy::Gemm`] only (kept for measuring), started on first use.
    rayon: OnceLock<Option<Arc<rayon::ThreadPool>>>,
}

/// A handle on a network's worker threads, for running a whole training step with them: the
/// batch fill, the gradient norm and the optimizer update then split their loops among the same
/// team as the products (see `Trainer::train_batch` and [`super::team::split`]). Cheap to clone.
#[derive(Clone, Default)]
pub struct Pool(Option<Arc<Team>>);

impl Pool {
    /// Runs `f` on the caller's thread with the team installed, so loops inside it that call
    /// [`super::team::split`] share the team's threads.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(team) => team.install(f),
            None => f(),
        }
    }
}

impl Parallel {
    /// `threads` ≥ 1; more than one starts a team of exactly that many threads (the caller and
    /// `threads − 1` workers), so `threads` means what it says whatever else runs.
    pub fn new(threads: usize) -> anyhow::Result<Self> {
        let threads = threads.max(1);
        let team = if threads > 1 {
            Some(Arc::new(Team::new(threads)?))
        } else {
            None
        };
        Ok(Parallel {
            threads,
            min_work: PARALLEL_MIN_WORK,
            strategy: STRATEGY,
            team,
            rayon: OnceLock::new(),
        })
    }

    /// Products of at least `min_work` multiply-adds use every thread (for measuring the
    /// threshold; the network uses [`PARALLEL_MIN_WORK`]).
    pub fn with_min_work(mut self, min_work: usize) -> Self {
        self.min_work = min_work;
        self
    }

    /// For measuring; the network uses [`STRATEGY`].
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// A handle on the same threads.
    pub fn pool(&self) -> Pool {
        Pool(self.team.clone())
    }

    /// For measuring: changes how products are shared among the threads.
    pub fn tune(&mut self, strategy: Strategy, min_work: usize) {
        self.strategy = strategy;
        self.min_work = min_work;
    }

    /// Runs `f` with the team installed (see [`Pool::run`]).
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        self.pool().run(f)
    }

    /// The rayon pool [`Strategy::Gemm`] hands to gemm; `None` if it cannot start.
    fn rayon(&self) -> Option<&Arc<rayon::ThreadPool>> {
        self.rayon
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .thread_name(|i| format!("lrtrain-gemm-{i}"))
                    .build()
                    .ok()
                    .map(Arc::new)
            })
            .as_ref()
    }
}

/// The product the strategy of the network uses (see the header).
pub const STRATEGY: Strategy = Strategy::Bands;

/// A product as gemm sees it: pointers and strides. `dst` is row-major with row stride `n`.
#[derive(Clone, Copy)]
struct Raw {
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: isize,
    a: *const f32,
    a_rs: isize,
    a_cs: isize,
    b: *const f32,
    b_rs: isize,
    b_cs: isize,
    accumulate: bool,
}

// SAFETY: a `Raw` is only sent to the pool's threads while `matmul` holds the borrows it was made
// from, and the bands sent to different threads write disjoint parts of `dst`.
unsafe impl Send for Raw {}
unsafe impl Sync for Raw {}

impl Raw {
    /// Rows `r0..r1` of the output (and of the lhs).
    fn rows(self, r0: usize, r1: usize) -> Raw {
        Raw {
            m: r1 - r0,
            dst: self.dst.wrapping_offset(r0 as isize * self.dst_rs),
            a: self.a.wrapping_offset(r0 as isize * self.a_rs),
            ..self
        }
    }
    /// Columns `c0..c1` of the output (and of the rhs).
    fn cols(self, c0: usize, c1: usize) -> Raw {
        Raw {
            n: c1 - c0,
            dst: self.dst.wrapping_add(c0),
            b: self.b.wrapping_offset(c0 as isize * self.b_cs),
            ..self
        }
    }

    /// # Safety
    /// Every (i, p), (p, j), (i, j) with i < m, p < k, j < n must address memory inside the
    /// lhs, rhs and dst buffers, and no other thread may touch that part of dst meanwhile.
    unsafe fn run(self, par: Parallelism) {
        // SAFETY: forwarded to the caller; f32 is a type gemm supports, so it does not panic.
        unsafe {
            gemm::gemm(
                self.m,
                self.n,
                self.k,
                self.dst,
                1,
                self.dst_rs,
                self.accumulate,
                self.a,
                self.a_cs,
                self.a_rs,
                self.b,
                self.b_cs,
                self.b_rs,
                1.0,
                1.0,
                false,
                false,
                false,
                par,
            )
        }
    }
}

/// Bands start on multiples of this, so each band keeps whole SIMD registers of output.
const BAND_ALIGN: usize = 16;

/// `out (m×n, row-major) = a·b`, or `out += a·b` when `accumulate`.
///
/// Panics if the shapes disagree or a buffer is not exactly its matrix's size.
pub fn matmul(out: &mut [f32], a: Operand<'_>, b: Operand<'_>, accumulate: bool, par: &Parallel) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "matmul: inner dimensions differ");
    assert_eq!(a.data.len(), m * k, "matmul: lhs buffer is not {m}×{k}");
    assert_eq!(b.data.len(), k * n, "matmul: rhs buffer is not {k}×{n}");
    assert_eq!(out.len(), m * n, "matmul: output buffer is not {m}×{n}");
    if m == 0 || n == 0 {
        return;
    }
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    let raw = Raw {
        m,
        n,
        k,
        dst: out.as_mut_ptr(),
        dst_rs: n as isize,
        a: a.data.as_ptr(),
        a_rs,
        a_cs,
        b: b.data.as_ptr(),
        b_rs,
        b_cs,
        accumulate,
    };
    // SAFETY (all three calls): the asserts above make every index gemm forms lie inside its
    // buffer: the lhs reads (i, p) at i·a_rs + p·a_cs ≤ m·k − 1 for i < m, p < k in either
    // layout, likewise the rhs, and dst writes (i, j) at i·n + j < m·n; a band of rows or columns
    // only narrows those ranges. `out` is a unique borrow, so it aliases neither input, and
    // distinct bands write distinct elements. With `accumulate = false` gemm never reads `out`
    // (it may hold anything, even NaN).
    let team = match &par.team {
        Some(team) if m * n * k >= par.min_work => team,
        _ => return unsafe { raw.run(Parallelism::None) },
    };
    let t = par.threads;
    let rayon = match par.strategy {
        Strategy::Gemm => par.rayon(),
        Strategy::Bands => None,
    };
    match rayon {
        Some(pool) => pool.install(|| unsafe { raw.run(Parallelism::Rayon(t)) }),
        None => {
            let long = m.max(n);
            let band = long.div_ceil(t).next_multiple_of(BAND_ALIGN);
            let bands = long.div_ceil(band);
            team.split(bands, &|i| {
                let (lo, hi) = (i * band, ((i + 1) * band).min(long));
                let part = if m >= n {
                    raw.rows(lo, hi)
                } else {
                    raw.cols(lo, hi)
                };
                unsafe { part.run(Parallelism::None) }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f64;
                for p in 0..k {
                    let x = if ta { a[p * m + i] } else { a[i * k + p] };
                    let y = if tb { b[j * k + p] } else { b[p * n + j] };
                    s += f64::from(x) * f64::from(y);
                }
                out[i * n + j] = s as f32;
            }
        }
        out
    }

    fn values(len: usize, salt: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(salt) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn products_in_every_transpose_combination_match_the_naive_triple_loop() {
        let seq = Parallel::new(1).unwrap();
        // every size on two threads, both ways of sharing
        let gemm2 = Parallel::new(2)
            .unwrap()
            .with_min_work(0)
            .with_strategy(Strategy::Gemm);
        let bands2 = Parallel::new(2)
            .unwrap()
            .with_min_work(0)
            .with_strategy(Strategy::Bands);
        for (m, k, n) in [(7, 5, 3), (33, 17, 65), (130, 200, 11), (96, 300, 64)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = values(m * k, 1);
                    let b = values(k * n, 7);
                    let want = naive(&a, &b, m, k, n, ta, tb);
                    let op_a = Operand {
                        data: &a,
                        rows: m,
                        cols: k,
                        transposed: ta,
                    };
                    let op_b = Operand {
                        data: &b,
                        rows: k,
                        cols: n,
                        transposed: tb,
                    };
                    for par in [&seq, &gemm2, &bands2] {
                        let mut out = vec![f32::NAN; m * n];
                        par.run(|| matmul(&mut out, op_a, op_b, false, par));
                        for (g, w) in out.iter().zip(&want) {
                            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
                        }
                        // accumulate adds the product once more
                        par.run(|| matmul(&mut out, op_a, op_b, true, par));
                        for (g, w) in out.iter().zip(&want) {
                            assert!(
                                (g - 2.0 * w).abs() <= 2e-4 * (1.0 + w.abs()),
                                "{g} vs 2·{w}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_parallel_product_is_identical_from_run_to_run() {
        let (m, k, n) = (784, 128, 128);
        for strategy in [Strategy::Gemm, Strategy::Bands] {
            let two = Parallel::new(2).unwrap().with_strategy(strategy);
            let a = values(k * m, 3);
            let b = values(k * n, 5);
            let once = || {
                let mut out = vec![0.0; m * n];
                two.run(|| {
                    matmul(
                        &mut out,
                        Operand::transposed(&a, m, k),
                        Operand::plain(&b, k, n),
                        false,
                        &two,
                    )
                });
                out
            };
            let first = once();
            for _ in 0..5 {
                assert_eq!(once(), first);
            }
        }
    }
}

//! The one matrix product of the crate: a safe wrapper over `gemm::gemm`, and the thread pool it
//! runs in.
//!
//! Every operand is a row-major buffer; a transposed operand is expressed through gemm's row and
//! column strides, so `xᵀ·δ` and `δ·Wᵀ` are computed without copying.
//!
//! Why gemm (measured with `cargo run --release --example network_bench -- products`, 2-core AMD
//! EPYC with AVX-512, medians, GFLOP/s for the three big products of the 784-128-10 network):
//!
//! | product (m×k·k×n)            | ndarray/matrixmultiply, 1 thr | gemm 1 thr | gemm 2 thr |
//! |------------------------------|-------------------------------|------------|------------|
//! | see `PRODUCT_TABLE` below — filled in from the bench |
//!
//! PRODUCT_TABLE
//!
//! Threads: gemm splits the output into blocks and gives each block whole to one thread, with the
//! k loop in a fixed order, so a product is bit-identical run to run for a given thread count (and,
//! as it happens, across thread counts). Small products run on one thread: below
//! [`PARALLEL_MIN_WORK`] multiply-adds the wake-up of a second thread costs more than it saves.

use gemm::Parallelism;

/// Products with fewer multiply-adds than this (m·n·k) run on one thread (measured, see header).
pub const PARALLEL_MIN_WORK: usize = 1 << 19;

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

/// How many threads the products of one network may use, and the pool that holds them.
pub struct Parallel {
    threads: usize,
    /// `None` for one thread: everything then runs on the caller's thread.
    pool: Option<rayon::ThreadPool>,
}

impl Parallel {
    /// `threads` ≥ 1; more than one builds a pool of exactly that many workers, so `threads`
    /// means what it says whatever else uses rayon's global pool.
    pub fn new(threads: usize) -> anyhow::Result<Self> {
        let threads = threads.max(1);
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("lrtrain-gemm-{i}"))
                    .build()
                    .map_err(|e| anyhow::anyhow!("cannot start {threads} worker threads: {e}"))?,
            )
        } else {
            None
        };
        Ok(Parallel { threads, pool })
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` inside the pool (once per batch), so the products it starts hand work to the
    /// pool's other workers without crossing into it again for each product.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    fn parallelism(&self, work: usize) -> Parallelism {
        if self.threads > 1 && work >= PARALLEL_MIN_WORK {
            Parallelism::Rayon(self.threads)
        } else {
            Parallelism::None
        }
    }
}

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
    // SAFETY: the asserts above make every index gemm forms lie inside its buffer: the lhs reads
    // (i, p) at i·a_rs + p·a_cs ≤ m·k − 1 for i < m, p < k in either layout, likewise the rhs, and
    // dst writes (i, j) at i·n + j < m·n. `out` is a unique borrow, so it aliases neither input.
    // With `read_dst = false` gemm never reads `out` (it may hold anything, even NaN), and f32 is
    // one of the types gemm supports, so it does not panic on the type.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            par.parallelism(m * n * k),
        );
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
        let two = Parallel::new(2).unwrap();
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
                    for par in [&seq, &two] {
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
        let two = Parallel::new(2).unwrap();
        let (m, k, n) = (784, 128, 128);
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

//! The machine's floating-point ceiling for f32: register-resident FMA chains on 1 and 2
//! threads, with no memory traffic at all. `bench/bench.py` builds and runs this in the same
//! session as the training runs and reports every setting as a share of it.
//!
//!     cargo run --release --example fma_peak            # prints `PEAK {"1": G, "2": G}` (GFLOP/s)
//!
//! Each thread runs 24 independent accumulators of 16 f32 lanes (AVX-512) or 8 lanes (AVX2),
//! enough to cover the FMA latency (4 cycles) on two FMA pipes, for about 0.3 s, five times; the
//! best of the five is kept (noise only ever slows a register-only loop). One FMA is 2 flops per
//! lane. Without AVX2/AVX-512 at run time it prints 0 (no ceiling known).

use std::time::Instant;

const ACC: usize = 24;

#[cfg(target_arch = "x86_64")]
mod simd {
    use super::ACC;
    use std::arch::x86_64::*;

    /// `iters` rounds of ACC FMAs on 16 lanes; returns flops done (and a value so nothing is
    /// optimised away).
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(iters: u64) -> (u64, f32) {
        let mut acc = [_mm512_set1_ps(0.0); ACC];
        let a = _mm512_set1_ps(0.999_999);
        let b = _mm512_set1_ps(1e-7);
        for _ in 0..iters {
            for r in acc.iter_mut() {
                *r = _mm512_fmadd_ps(*r, a, b);
            }
        }
        let mut s = _mm512_set1_ps(0.0);
        for r in acc {
            s = _mm512_add_ps(s, r);
        }
        (iters * ACC as u64 * 16 * 2, _mm512_reduce_add_ps(s))
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2(iters: u64) -> (u64, f32) {
        let mut acc = [_mm256_set1_ps(0.0); ACC];
        let a = _mm256_set1_ps(0.999_999);
        let b = _mm256_set1_ps(1e-7);
        for _ in 0..iters {
            for r in acc.iter_mut() {
                *r = _mm256_fmadd_ps(*r, a, b);
            }
        }
        let mut s = [0.0f32; 8];
        let mut t = _mm256_set1_ps(0.0);
        for r in acc {
            t = _mm256_add_ps(t, r);
        }
        // SAFETY: `s` holds exactly 8 f32.
        unsafe { _mm256_storeu_ps(s.as_mut_ptr(), t) };
        (iters * ACC as u64 * 8 * 2, s.iter().sum())
    }
}

/// flops and a checksum of `iters` rounds with the widest FMA the CPU has.
fn chains(iters: u64) -> Option<(u64, f32)> {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the feature was detected at run time.
            return Some(unsafe { simd::avx512(iters) });
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return Some(unsafe { simd::avx2(iters) });
        }
    }
    let _ = iters;
    None
}

/// GFLOP/s of `threads` threads running the chains at once (best of 5 rounds).
fn gflops(threads: usize) -> f64 {
    const ITERS: u64 = 30_000_000;
    let mut best = 0.0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let flops: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(|| chains(ITERS))).collect();
            handles
                .into_iter()
                .map(|h| match h.join().expect("FMA thread panicked") {
                    Some((f, check)) => {
                        std::hint::black_box(check);
                        f
                    }
                    None => 0,
                })
                .sum()
        });
        best = best.max(flops as f64 / start.elapsed().as_secs_f64() / 1e9);
    }
    best
}

fn main() {
    let one = gflops(1);
    let two = gflops(2);
    println!("PEAK {{\"1\": {one:.1}, \"2\": {two:.1}}}");
}

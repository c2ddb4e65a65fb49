//! Global gradient norm and clipping — PyTorch's `torch.nn.utils.clip_grad_norm_` (L2, one group).
//!
//! ```text
//! norm      = √(Σ g_i²)                      (accumulated in f64)
//! clip_coef = max_norm / (norm + 1e-6)
//! g         = g · clip_coef                  (only when clip_coef < 1)
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::team;

/// Global L2 norm of the gradient (accumulated in f64).
///
/// The sum of squares is a fixed binary tree over blocks of `BLOCK` elements, each block summed
/// in eight independent f64 lanes (element i to lane i mod 8) added in a fixed order, so the
/// loop vectorises and the halves of the tree can run on two threads (inside the network's team)
/// while the result depends only on the gradient, never on the thread count. A single running
/// sum is a chain of dependent adds: it took 3–4 % of a 1-thread epoch (≈ 85 µs per step of the
/// 101,770-parameter 784-128-10 network, `perf record`); the lanes take ≈ 10 µs.
pub fn global_norm(grads: &[f32]) -> f64 {
    tree_sum_squares(grads).sqrt()
}

/// Elements summed by one vectorised loop, the leaves of the tree.
const BLOCK: usize = 16 * 1024;

fn tree_sum_squares(grads: &[f32]) -> f64 {
    if grads.len() > BLOCK {
        let mid = grads.len().div_ceil(BLOCK) / 2 * BLOCK;
        let (a, b) = grads.split_at(mid);
        if team::current_threads() > 1 {
            // The two halves on two threads; below them the tree is summed in place (the same
            // arithmetic, so the result does not depend on the thread count).
            let halves = [AtomicU64::new(0), AtomicU64::new(0)];
            team::split(2, &|i| {
                let s = tree_sum_squares(if i == 0 { a } else { b });
                halves[i].store(s.to_bits(), Ordering::Relaxed);
            });
            let [x, y] = halves.map(|h| f64::from_bits(h.into_inner()));
            return x + y;
        }
        return tree_sum_squares(a) + tree_sum_squares(b);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { sum_squares_avx2(grads) };
    }
    sum_squares(grads)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_squares_avx2(grads: &[f32]) -> f64 {
    sum_squares(grads)
}

#[inline(always)]
fn sum_squares(grads: &[f32]) -> f64 {
    const LANES: usize = 8;
    let mut acc = [0.0f64; LANES];
    let chunks = grads.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &g) in acc.iter_mut().zip(c) {
            *a += f64::from(g) * f64::from(g);
        }
    }
    for (a, &g) in acc.iter_mut().zip(tail) {
        *a += f64::from(g) * f64::from(g);
    }
    acc.iter().sum()
}

/// PyTorch's `clip_grad_norm_`: scale by max_norm / (norm + 1e-6) when that is below 1.
/// `norm` is the gradient's [`global_norm`] (measured once, for the metrics too); a
/// `max_norm` of 0 means clipping is off.
pub fn clip_to_norm(grads: &mut [f32], norm: f64, max_norm: f64) {
    if max_norm <= 0.0 {
        return;
    }
    // PyTorch forms the coefficient as an f32 tensor; a NaN norm gives a NaN coefficient,
    // which is not < 1, so a diverged gradient passes through unchanged and is caught by the
    // loss check.
    let coef = (max_norm / (norm + 1e-6)) as f32;
    if coef < 1.0 {
        for g in grads.iter_mut() {
            *g *= coef;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_global_norm_is_the_same_on_one_and_two_threads_and_near_the_f64_norm() {
        let g: Vec<f32> = (0..100_003)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) / 300.0)
            .collect();
        let want = g.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        let one = global_norm(&g);
        let team = crate::model::team::Team::new(2).unwrap();
        let two = team.install(|| global_norm(&g));
        assert_eq!(one.to_bits(), two.to_bits());
        assert!((one - want).abs() <= 1e-12 * want, "{one} vs {want}");
    }

    #[test]
    fn the_global_norm_is_the_l2_norm_of_all_gradients() {
        // √(3² + 4² + 12²) = √169 = 13
        assert_eq!(global_norm(&[3.0, -4.0, 12.0]), 13.0);
        assert_eq!(global_norm(&[]), 0.0);
    }

    #[test]
    fn the_global_norm_does_not_overflow_in_f32() {
        // 1e20² overflows f32 but not f64: √2·1e20.
        let big = 1e20f32;
        let n = global_norm(&[big, big]);
        assert!((n / (2f64.sqrt() * big as f64) - 1.0).abs() < 1e-12, "{n}");
    }

    #[test]
    fn clipping_scales_by_max_norm_over_norm_plus_a_millionth() {
        // norm 13, max_norm 6.5: coef = 6.5 / 13.000001 = 0.49999996…
        let mut g = [3.0f32, -4.0, 12.0];
        clip_to_norm(&mut g, 13.0, 6.5);
        let coef = (6.5f64 / 13.000001) as f32;
        assert_eq!(g, [3.0 * coef, -4.0 * coef, 12.0 * coef]);
        assert!((global_norm(&g) - 6.5).abs() < 1e-5);
    }

    #[test]
    fn gradients_within_the_bound_are_left_alone() {
        let mut g = [3.0f32, -4.0, 12.0];
        clip_to_norm(&mut g, 13.0, 13.0); // coef = 13 / 13.000001 < 1: PyTorch clips (barely)
        assert!(g[2] < 12.0);
        let mut g = [3.0f32, -4.0, 12.0];
        clip_to_norm(&mut g, 13.0, 20.0);
        assert_eq!(g, [3.0, -4.0, 12.0]);
    }

    #[test]
    fn a_max_norm_of_zero_turns_clipping_off() {
        let mut g = [3.0f32, -4.0, 12.0];
        clip_to_norm(&mut g, 13.0, 0.0);
        assert_eq!(g, [3.0, -4.0, 12.0]);
    }

    #[test]
    fn a_nan_norm_leaves_the_gradient_as_it_is() {
        let mut g = [f32::NAN, 1.0];
        clip_to_norm(&mut g, f64::NAN, 1.0);
        assert!(g[0].is_nan() && g[1] == 1.0);
    }
}

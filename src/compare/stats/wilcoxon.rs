//! The two-sided Wilcoxon signed-rank test (Wilcoxon 1945) on paired differences, exactly as
//! SciPy 1.17's `scipy.stats.wilcoxon(d, zero_method="wilcox")` computes it with its other
//! defaults (`method="auto"`, `correction=False`).
//!
//! SciPy's rules, followed branch by branch (`scipy/stats/_wilcoxon.py`):
//! - zero differences are dropped (`"wilcox"`); the rest are ranked by |d| with average ranks
//!   for ties, and the statistic is R⁺, the sum of the ranks of the positive differences;
//! - more than 50 differences (zeros included): the normal approximation;
//! - no ties and no zeros: the exact null distribution of R⁺ (all 2ᵐ sign patterns equally
//!   likely), p = 2 · min(P(R⁺ ≤ r), P(R⁺ ≥ r)), at most 1;
//! - ties or zeros with at most 13 differences: a permutation test over every sign flip, which
//!   is the same counting with the tied (average) ranks — so both are done here by counting;
//! - ties or zeros with 14 to 50 differences: the normal approximation.
//!
//! The normal approximation: z = (R⁺ − m(m+1)/4) / √((m(m+1)(2m+1) − Σ(t³ − t)/2) / 24), with m
//! the non-zero differences and t the size of each group of tied |d|; p = 2 · Φ(−|z|).
//!
//! Unlike SciPy (which returns NaN), all-zero differences give p = 1: nothing separates the two.

use statrs::distribution::{ContinuousCDF, Normal};

/// Largest sample SciPy treats exactly; above it, the normal approximation.
const EXACT_MAX: usize = 50;
/// Largest sample with ties or zeros SciPy enumerates by permutation (2¹³ < its 9,999 resamples).
const PERMUTATION_MAX: usize = 13;

/// The two-sided p-value of H₀ "the differences are symmetric about 0" for the paired
/// differences `d`; `None` when `d` is empty.
pub fn p_value(d: &[f64]) -> Option<f64> {
    if d.is_empty() {
        return None;
    }
    let n = d.len();
    let nonzero: Vec<f64> = d.iter().copied().filter(|&x| x != 0.0).collect();
    if nonzero.is_empty() {
        return Some(1.0);
    }
    let (twice_ranks, tie_sizes) = twice_average_ranks(&nonzero);
    let has_ties = tie_sizes.iter().any(|&t| t > 1);
    let has_zeros = nonzero.len() < n;
    // R⁺ doubled: average ranks are multiples of 1/2, so 2·R⁺ is an integer and the counting
    // below is exact.
    let observed: usize = nonzero
        .iter()
        .zip(&twice_ranks)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| *r)
        .sum();
    let exact = n <= EXACT_MAX && (!(has_ties || has_zeros) || n <= PERMUTATION_MAX);
    let p = if exact {
        by_counting(&twice_ranks, observed)
    } else {
        normal_approximation(nonzero.len(), &tie_sizes, observed)
    };
    Some(p)
}

/// Twice the average rank (1-based) of each |x| among `xs`, and the size of every group of
/// equal |x| (as `scipy.stats.rankdata(method="average")`).
fn twice_average_ranks(xs: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].abs().total_cmp(&xs[b].abs()));
    let mut ranks = vec![0; xs.len()];
    let mut sizes = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let value = xs[order[start]].abs();
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| xs[i].abs() == value)
                .count();
        // Ranks start + 1 ..= end share their mean (start + 1 + end) / 2.
        for &i in &order[start..end] {
            ranks[i] = start + 1 + end;
        }
        sizes.push(end - start);
        start = end;
    }
    (ranks, sizes)
}

/// p = 2 · min(P(S ≤ s), P(S ≥ s)), at most 1, where S is the sum of the `twice_ranks` of a
/// random subset (each rank's sign flipped with probability 1/2) and s the observed sum.
fn by_counting(twice_ranks: &[usize], observed: usize) -> f64 {
    let total: usize = twice_ranks.iter().sum();
    // counts[s] = how many of the 2ᵐ sign patterns give S = s; m ≤ 50, so every count fits in a
    // u64 and every sum of counts is exact in an f64 (< 2⁵³).
    let mut counts = vec![0_u64; total + 1];
    counts[0] = 1;
    let mut reach = 0;
    for &r in twice_ranks {
        for s in (0..=reach).rev() {
            counts[s + r] += counts[s];
        }
        reach += r;
    }
    let all = (1_u64 << twice_ranks.len()) as f64;
    let below: u64 = counts[..=observed].iter().sum();
    let above: u64 = counts[observed..].iter().sum();
    (2.0 * below.min(above) as f64 / all).min(1.0)
}

fn normal_approximation(m: usize, tie_sizes: &[usize], twice_observed: usize) -> f64 {
    let m = m as f64;
    let r_plus = twice_observed as f64 / 2.0;
    let mean = m * (m + 1.0) / 4.0;
    let tie_correction: f64 = tie_sizes
        .iter()
        .map(|&t| (t as f64).powi(3) - t as f64)
        .sum();
    let se = ((m * (m + 1.0) * (2.0 * m + 1.0) - tie_correction / 2.0) / 24.0).sqrt();
    let z = (r_plus - mean) / se;
    let normal = Normal::new(0.0, 1.0).expect("the standard normal");
    (2.0 * normal.cdf(-z.abs())).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_positive_differences_give_the_smallest_exact_p_of_one_sixteenth() {
        // All 5 ranks positive: R⁺ = 15 is reached by 1 of 2⁵ patterns, p = 2/32: the test
        // cannot reach 0.05 below 6 seeds; with 6, 2/64 = 0.03125 can.
        assert_eq!(p_value(&[0.1, 0.2, 0.3, 0.4, 0.5]), Some(0.0625));
        assert_eq!(p_value(&[-0.1, -0.2, -0.3, -0.4, -0.5]), Some(0.0625));
        assert_eq!(p_value(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), Some(0.03125));
    }

    #[test]
    fn the_exact_distribution_is_counted_over_every_sign_pattern() {
        // d = [1, −2, 3]: ranks 1, 2, 3, R⁺ = 4. Sums of the 8 subsets of {1, 2, 3}:
        // 0 1 2 3 3 4 5 6, so P(R⁺ ≤ 4) = 6/8, P(R⁺ ≥ 4) = 3/8, p = 2 · 3/8 = 0.75.
        assert_eq!(p_value(&[1.0, -2.0, 3.0]), Some(0.75));
    }

    #[test]
    fn tied_ranks_are_averaged_and_counted_like_scipys_permutation_test() {
        // |d| = 1, 1, 2: ranks 1.5, 1.5, 3; R⁺ = 1.5 + 3 = 4.5 (d = [1, −1, 2]).
        // Subset sums of {1.5, 1.5, 3}: 0 1.5 1.5 3 3 4.5 4.5 6 → P(≤ 4.5) = 7/8,
        // P(≥ 4.5) = 3/8, p = 0.75.
        assert_eq!(p_value(&[1.0, -1.0, 2.0]), Some(0.75));
        assert_eq!(
            twice_average_ranks(&[1.0, -1.0, 2.0]),
            (vec![3, 3, 6], vec![2, 1])
        );
    }

    #[test]
    fn zeros_are_dropped_and_all_zeros_give_one() {
        // d = [0, 1, 2]: m = 2, both positive, R⁺ = 3 is 1 of 4 patterns: p = 2/4.
        assert_eq!(p_value(&[0.0, 1.0, 2.0]), Some(0.5));
        assert_eq!(p_value(&[0.0, 0.0, 0.0]), Some(1.0));
        assert_eq!(p_value(&[]), None);
    }

    #[test]
    fn ties_beyond_thirteen_differences_use_the_normal_approximation() {
        // 14 differences of 1: m = 14, R⁺ = 105 = 14·15/2, one tie group of 14:
        // se = √((14·15·29 − (14³ − 14)/2) / 24) = √((6090 − 1365) / 24) = √196.875,
        // z = (105 − 52.5) / √196.875 = 3.7416…, p = 2·Φ(−3.7416…) ≈ 1.8281e-4.
        let p = p_value(&[1.0; 14]).unwrap();
        let z: f64 = 52.5 / 196.875_f64.sqrt();
        let want = 2.0 * Normal::new(0.0, 1.0).unwrap().cdf(-z);
        assert!(
            (p - want).abs() < 1e-15 && (p - 1.8281e-4).abs() < 1e-7,
            "{p}"
        );
    }
}

//! The percentile bootstrap interval of a mean (Efron & Tibshirani 1993, ch. 13), as
//! `scipy.stats.bootstrap((x,), np.mean, method="percentile")` computes it: the same resampling
//! and quantile rule, a different random generator (so intervals agree within Monte-Carlo error,
//! not bit for bit).

use rand::Rng;
use rand::rngs::StdRng;

/// Resamples per interval (the SPEC's 10,000; SciPy's default 9,999).
pub const RESAMPLES: usize = 10_000;

/// The 95 % percentile interval `[lo, hi]` of the mean of `values`.
///
/// Draws [`RESAMPLES`] resamples of `values.len()` values with replacement from `rng`, takes each
/// resample's mean, and returns their 2.5 % and 97.5 % quantiles, interpolated linearly between
/// order statistics (NumPy's and `scipy.stats.quantile`'s default, Hyndman & Fan type 7).
/// The draws depend only on `rng` and `values.len()`, so a seeded `rng` gives the same interval
/// on every machine and thread count. `None` with fewer than two values (no spread to resample).
pub fn mean_ci95(values: &[f64], rng: &mut StdRng) -> Option<[f64; 2]> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mut means = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let mut sum = 0.0;
        for _ in 0..n {
            sum += values[rng.random_range(0..n)];
        }
        means.push(sum / n as f64);
    }
    means.sort_by(f64::total_cmp);
    Some([quantile(&means, 0.025), quantile(&means, 0.975)])
}

/// The `q` quantile of ascending `sorted`, linear between the order statistics around
/// h = (len − 1) · q.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let i = h.floor() as usize;
    let frac = h - i as f64;
    match sorted.get(i + 1) {
        Some(next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn quantiles_interpolate_between_order_statistics_like_numpy() {
        // np.quantile([1, 2, 3, 4, 5], 0.3): h = 4 · 0.3 = 1.2 → 2 + 0.2 · (3 − 2) = 2.2.
        assert!((quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.3) - 2.2).abs() < 1e-12);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 1.0), 3.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.0), 1.0);
    }

    #[test]
    fn the_interval_holds_the_mean_and_repeats_for_a_seed() {
        let x = [0.91, 0.93, 0.92, 0.95, 0.90];
        let a = mean_ci95(&x, &mut StdRng::seed_from_u64(7)).unwrap();
        let b = mean_ci95(&x, &mut StdRng::seed_from_u64(7)).unwrap();
        let c = mean_ci95(&x, &mut StdRng::seed_from_u64(8)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a[0] < 0.922 && 0.922 < a[1], "{a:?}");
        assert!(0.90 <= a[0] && a[1] <= 0.95, "{a:?}");
    }

    #[test]
    fn two_values_give_their_own_endpoints_and_equal_values_a_point() {
        // Resample means of [a, b] are a (p = 1/4), (a+b)/2 (1/2) and b (1/4): the 2.5 % and
        // 97.5 % quantiles fall among the a's and the b's.
        let ci = mean_ci95(&[1.0, 3.0], &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(ci, [1.0, 3.0]);
        let ci = mean_ci95(&[0.5, 0.5, 0.5], &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(ci, [0.5, 0.5]);
        assert_eq!(mean_ci95(&[0.5], &mut StdRng::seed_from_u64(1)), None);
    }
}

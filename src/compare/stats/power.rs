//! How many paired seeds a difference needs: the normal-approximation sample size of a paired
//! test at two-sided α = 0.05 with 80 % power (Cohen 1988, ch. 2; the usual
//! n = ((z₁₋α/₂ + z₁₋β) · σ_d / δ)²).

/// z of the two-sided 5 % level: Φ⁻¹(0.975).
pub const Z_ALPHA: f64 = 1.959964;
/// z of 80 % power: Φ⁻¹(0.8).
pub const Z_POWER: f64 = 0.841621;

/// ceil(((1.959964 + 0.841621) · `sd_d` / |`diff`|)²): the paired seeds needed to resolve a mean
/// paired difference `diff` when the differences spread with standard deviation `sd_d` (both in
/// the metric's units). `None` when `diff` is 0 (no number of seeds resolves it) or either is
/// not finite. Saturates at `u64::MAX` for a difference that is tiny against its spread.
pub fn seeds_needed(diff: f64, sd_d: f64) -> Option<u64> {
    if diff == 0.0 || !diff.is_finite() || !sd_d.is_finite() {
        return None;
    }
    let n = ((Z_ALPHA + Z_POWER) * sd_d / diff.abs()).powi(2).ceil();
    // `as` saturates, which is the honest answer for "more seeds than can be counted".
    Some(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_of_one_standard_deviation_needs_eight_seeds() {
        // (2.801585 · 1 / 1)² = 7.8489 → 8, the textbook n for d = 1 at 80 % power.
        assert_eq!(seeds_needed(1.0, 1.0), Some(8));
        assert_eq!(seeds_needed(-1.0, 1.0), Some(8));
        // Half a deviation: (2.801585 · 2)² = 31.3955 → 32.
        assert_eq!(seeds_needed(0.01, 0.02), Some(32));
    }

    #[test]
    fn no_difference_needs_no_answer_and_no_spread_needs_no_seeds() {
        assert_eq!(seeds_needed(0.0, 0.3), None);
        assert_eq!(seeds_needed(0.2, 0.0), Some(0));
        assert_eq!(seeds_needed(1e-300, 1.0), Some(u64::MAX));
    }
}

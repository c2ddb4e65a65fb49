//! Holm's step-down correction for multiple comparisons (Holm 1979, "A simple sequentially
//! rejective multiple test procedure"), as `statsmodels.stats.multitest.multipletests(p,
//! method="holm")` computes the adjusted p-values.

/// The Holm-adjusted p-values of `p`, in the order of `p`.
///
/// With the m p-values sorted ascending, p₍₁₎ ≤ … ≤ p₍ₘ₎, the k-th (1-based) becomes
/// max over j ≤ k of min(1, (m − j + 1) · p₍ⱼ₎): the running maximum keeps the adjusted values in
/// the order of the raw ones, so rejecting at α by adjusted p equals Holm's sequential procedure.
/// Equal p-values keep their input order (a stable sort), which gives them equal adjusted values.
pub fn adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_p_is_multiplied_by_m_and_the_order_is_kept() {
        // Sorted 0.01, 0.02, 0.04 with m = 3: 3·0.01 = 0.03, 2·0.02 = 0.04, 1·0.04 = 0.04.
        let a = adjust(&[0.04, 0.01, 0.02]);
        let want = [0.04, 0.03, 0.04];
        for (a, w) in a.iter().zip(want) {
            assert!((a - w).abs() < 1e-15, "{a} vs {w}");
        }
    }

    #[test]
    fn adjusted_values_never_decrease_and_never_exceed_one() {
        // Sorted 0.001, 0.03, 0.031, 0.6 with m = 4: 0.004, 0.09, max(0.09, 0.062) = 0.09,
        // min(1, 0.6) = 0.6 — the running maximum lifts the third.
        let a = adjust(&[0.6, 0.031, 0.001, 0.03]);
        let want = [0.6, 0.09, 0.004, 0.09];
        for (a, w) in a.iter().zip(want) {
            assert!((a - w).abs() < 1e-15, "{a} vs {w}");
        }
        assert_eq!(adjust(&[0.5, 0.9]), [1.0, 1.0]);
        assert_eq!(adjust(&[]), Vec::<f64>::new());
        assert_eq!(adjust(&[0.2]), [0.2]);
    }
}

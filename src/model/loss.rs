//! Loss heads: the loss (mean over the batch) of the output layer's values, fused with its
//! gradient, which overwrites the outputs in place.
//!
//! - Softmax cross-entropy (`nn.CrossEntropyLoss`, mean reduction), per row
//!   `ℓ = logsumexp(z) − z_y`, with `logsumexp(z) = m + ln Σ e^(z_j − m)`, `m = max z`, so no
//!   exponent exceeds 0 and huge logits stay finite. Gradient `(softmax(z) − onehot(y)) / n`.
//!   `correct` counts rows whose first largest logit is the label (`torch.argmax`).
//! - `mse` (`nn.MSELoss`): `(1/n) Σ (p − y)²`, gradient `2 (p − y) / n`.
//! - `half_mse`: `(1/2n) Σ (p − y)²`, gradient `(p − y) / n` (the textbook least-squares cost).
//!
//! Losses are summed in f64: 60,000 rows of f32 terms would otherwise lose digits.

use super::{BatchResult, Targets};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    SoftmaxCrossEntropy,
    Mse,
    HalfMse,
}

impl Head {
    /// `z: (n, outputs)` row-major. With `grad`, `z` is overwritten with d(mean loss)/dz.
    pub fn loss(
        self,
        z: &mut [f32],
        outputs: usize,
        targets: Targets<'_>,
        grad: bool,
    ) -> BatchResult {
        match (self, targets) {
            (Head::SoftmaxCrossEntropy, Targets::Classes(y)) => softmax_ce(z, outputs, y, grad),
            (Head::Mse, Targets::Values(y)) => squared(z, y, 2.0, grad, 1.0),
            (Head::HalfMse, Targets::Values(y)) => squared(z, y, 1.0, grad, 0.5),
            (head, _) => panic!("{head:?} was given targets of the other kind"),
        }
    }
}

fn softmax_ce(z: &mut [f32], classes: usize, y: &[u32], grad: bool) -> BatchResult {
    let n = y.len();
    assert_eq!(z.len(), n * classes, "one label per row");
    let inv_n = 1.0 / n as f32;
    let mut total = 0.0f64;
    let mut correct = 0;
    for (row, &label) in z.chunks_exact_mut(classes).zip(y) {
        let label = label as usize;
        assert!(
            label < classes,
            "label {label} out of range for {classes} classes"
        );
        let mut best = 0;
        for (j, &v) in row.iter().enumerate() {
            if v > row[best] {
                best = j;
            }
        }
        let max = row[best];
        correct += usize::from(best == label);
        let sum: f32 = row.iter().map(|&v| (v - max).exp()).sum();
        let lse = max + sum.ln();
        total += f64::from(lse - row[label]);
        if grad {
            let scale = inv_n / sum;
            for v in row.iter_mut() {
                *v = (*v - max).exp() * scale;
            }
            row[label] -= inv_n;
        }
    }
    BatchResult {
        loss: total / n as f64,
        correct,
    }
}

/// `factor`: the gradient is `factor (p − y) / n`; `weight`: the loss is `weight Σ (p − y)² / n`.
fn squared(p: &mut [f32], y: &[f32], factor: f32, grad: bool, weight: f64) -> BatchResult {
    let n = y.len();
    assert_eq!(p.len(), n, "one target value per row");
    let scale = factor / n as f32;
    let mut total = 0.0f64;
    for (p, &y) in p.iter_mut().zip(y) {
        let r = *p - y;
        total += f64::from(r) * f64::from(r);
        if grad {
            *p = scale * r;
        }
    }
    BatchResult {
        loss: weight * total / n as f64,
        correct: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_class_cross_entropy_matches_the_hand_computation() {
        // z = [0, ln 3], label 1: softmax = [1/4, 3/4], loss = −ln(3/4) = 0.287682…
        // label 0 for the second row with z = [2, 0]: softmax = [e²/(e²+1), 1/(e²+1)]
        //   = [0.880797, 0.119203], loss = ln(1 + e⁻²) = 0.126928…
        // mean loss = 0.207305…; gradient = (softmax − onehot)/2.
        let mut z = [0.0, 3f32.ln(), 2.0, 0.0];
        let r = Head::SoftmaxCrossEntropy.loss(&mut z, 2, Targets::Classes(&[1, 0]), true);
        assert!((r.loss - 0.207_305).abs() < 1e-6, "{}", r.loss);
        assert_eq!(r.correct, 2);
        let want = [0.125, -0.125, (0.880_797 - 1.0) / 2.0, 0.119_203 / 2.0];
        for (g, w) in z.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
    }

    #[test]
    fn cross_entropy_stays_finite_for_huge_logits() {
        // z = [1e4, 0, −1e4], label 2: loss = 1e4 − (−1e4) = 2e4 exactly, softmax = [1, 0, 0].
        let mut z = [1e4, 0.0, -1e4];
        let r = Head::SoftmaxCrossEntropy.loss(&mut z, 3, Targets::Classes(&[2]), true);
        assert_eq!(r.loss, 2e4);
        assert_eq!(r.correct, 0);
        assert_eq!(z, [1.0, 0.0, -1.0]);
    }

    #[test]
    fn evaluating_leaves_the_logits_alone() {
        let mut z = [1.0, 2.0, 3.0];
        let r = Head::SoftmaxCrossEntropy.loss(&mut z, 3, Targets::Classes(&[2]), false);
        assert_eq!(z, [1.0, 2.0, 3.0]);
        assert_eq!(r.correct, 1);
    }

    #[test]
    fn mse_and_half_mse_match_the_hand_computation() {
        // p = [3, 1, 0.5], y = [1, 1, 2]: residuals [2, 0, −1.5], Σr² = 6.25
        // mse = 6.25/3 = 2.08333…, gradient 2r/3 = [4/3, 0, −1]
        // half_mse = 6.25/6 = 1.041666…, gradient r/3 = [2/3, 0, −0.5]
        let y = [1.0, 1.0, 2.0];
        let mut p = [3.0, 1.0, 0.5];
        let r = Head::Mse.loss(&mut p, 1, Targets::Values(&y), true);
        assert!((r.loss - 6.25 / 3.0).abs() < 1e-12);
        assert_eq!(p, [4.0 / 3.0, 0.0, -1.0]);
        let mut p = [3.0, 1.0, 0.5];
        let r = Head::HalfMse.loss(&mut p, 1, Targets::Values(&y), true);
        assert!((r.loss - 6.25 / 6.0).abs() < 1e-12);
        assert_eq!(p, [2.0 / 3.0, 0.0, -0.5]);
    }
}

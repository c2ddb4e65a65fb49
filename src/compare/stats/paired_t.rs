//! The two-sided paired t-test (Student 1908) on paired differences, as
//! `scipy.stats.ttest_rel(a, b)` computes it.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{mean, sample_std};

/// The two-sided p-value of H₀ "mean difference = 0" for the paired differences `d`.
///
/// t = mean(d) / (sd(d) / √n) with sd over n − 1, on n − 1 degrees of freedom;
/// p = 2 · F(−|t|) with F the Student t CDF (from `statrs`), which keeps small p-values exact
/// where 1 − F(|t|) would round to 0. Where sd(d) is 0 the test degenerates: every difference the
/// same non-zero value gives p = 0 (SciPy's t = ±inf), all zero gives p = 1 (SciPy's NaN, which
/// would otherwise leave identical configs without a verdict).
///
/// `None` with fewer than two differences (no degrees of freedom).
pub fn p_value(d: &[f64]) -> Option<f64> {
    let n = d.len();
    if n < 2 {
        return None;
    }
    // Tested on the values themselves: a mean of identical values can be off by an ulp, which
    // would give a tiny non-zero sd and a p-value that depends on rounding.
    if d.iter().all(|&x| x == d[0]) {
        return Some(if d[0] == 0.0 { 1.0 } else { 0.0 });
    }
    let t = mean(d) / (sample_std(d) / (n as f64).sqrt());
    let dist = StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("n − 1 ≥ 1 degrees of freedom");
    Some((2.0 * dist.cdf(-t.abs())).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_differences_give_the_cauchy_p_value() {
        // d = [1, 3]: mean 2, sd √2, t = 2 / (√2/√2) = 2 on 1 df (the Cauchy distribution):
        // p = 2 · (1/2 − atan(2)/π) = 1 − 2·atan(2)/π.
        let want = 1.0 - 2.0 * 2.0_f64.atan() / std::f64::consts::PI;
        let p = p_value(&[1.0, 3.0]).unwrap();
        assert!((p - want).abs() < 1e-12, "{p} vs {want}");
    }

    #[test]
    fn the_sign_of_the_differences_does_not_matter() {
        let d = [0.3, -0.1, 0.25, 0.4];
        let neg: Vec<f64> = d.iter().map(|x| -x).collect();
        assert_eq!(p_value(&d), p_value(&neg));
    }

    #[test]
    fn constant_differences_give_zero_and_all_zero_differences_give_one() {
        assert_eq!(p_value(&[0.1, 0.1, 0.1]), Some(0.0));
        assert_eq!(p_value(&[0.0, 0.0]), Some(1.0));
        assert_eq!(p_value(&[0.5]), None);
        assert_eq!(p_value(&[]), None);
    }
}

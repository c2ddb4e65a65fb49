//! `synthetic_linear`: a regression problem with a known answer, y = w·x + b + N(0, noise²).
//!
//! Each feature of x is uniform in [x_min, x_max) (drawn in f64, then stored as f32). Draws come from the seed's
//! `"synthetic_linear"` stream in a fixed order: per sample, its features in order, then its noise
//! (Box–Muller, one normal per pair of uniforms), so a seed always gives the same data.

use anyhow::{Result, bail};
use rand::Rng;

use super::{Dataset, Features, Labels, SyntheticLinearSource};
use crate::config::range;

/// More values than this (samples × (features + 1)) would be gigabytes: surely a typo.
pub const MAX_VALUES: usize = 100_000_000;

impl Default for SyntheticLinearSource {
    fn default() -> Self {
        SyntheticLinearSource {
            samples: default_samples(),
            weights: default_weights(),
            bias: default_bias(),
            noise: default_noise(),
            x_min: default_x_min(),
            x_max: default_x_max(),
        }
    }
}

pub(super) fn default_samples() -> usize {
    100
}
pub(super) fn default_weights() -> Vec<f64> {
    vec![2.0]
}
pub(super) fn default_bias() -> f64 {
    3.0
}
pub(super) fn default_noise() -> f64 {
    1.0
}
pub(super) fn default_x_min() -> f64 {
    0.0
}
pub(super) fn default_x_max() -> f64 {
    10.0
}

impl SyntheticLinearSource {
    /// Checks every key's range; errors name the key path, what was expected and what was found.
    pub fn validate(&self) -> Result<()> {
        range::positive_int("data.samples", self.samples)?;
        if self.weights.is_empty() {
            bail!("data.weights: expected at least one weight (one per feature), found []");
        }
        for (i, &w) in self.weights.iter().enumerate() {
            range::finite(&format!("data.weights[{i}]"), w)?;
        }
        for (key, v) in [
            ("bias", self.bias),
            ("noise", self.noise),
            ("x_min", self.x_min),
            ("x_max", self.x_max),
        ] {
            range::finite(&format!("data.{key}"), v)?;
        }
        // A standard deviation.
        range::non_negative("data.noise", self.noise)?;
        if self.x_min >= self.x_max {
            return Err(range::bad(
                "data.x_max",
                &format!("more than x_min = {}", range::Found(self.x_min)),
                range::Found(self.x_max),
            ));
        }
        let values = self.samples.checked_mul(self.weights.len() + 1);
        if values.is_none_or(|v| v > MAX_VALUES) {
            bail!(
                "data.samples: expected samples × (features + 1) <= {MAX_VALUES}, found {} × {}",
                self.samples,
                self.weights.len() + 1
            );
        }
        Ok(())
    }
}

/// Draws the dataset. Validates first, so any config is safe to pass.
pub fn generate(src: &SyntheticLinearSource, seed: u64) -> Result<Dataset> {
    src.validate()?;
    let mut rng = crate::config::seed::rng(seed, "synthetic_linear");
    let d = src.weights.len();
    let mut x = Vec::with_capacity(src.samples * d);
    let mut y = Vec::with_capacity(src.samples);
    let width = src.x_max - src.x_min;
    for _ in 0..src.samples {
        let mut dot = src.bias;
        for w in &src.weights {
            let u: f64 = rng.random();
            // Rounding can land exactly on x_max for a u just below 1; keep the interval half-open.
            let xi = ((src.x_min + width * u).min(prev_float(src.x_max))) as f32;
            // y from the stored (f32) x, so that a noiseless y is exactly linear in the features.
            dot += w * f64::from(xi);
            x.push(xi);
        }
        y.push((dot + src.noise * standard_normal(&mut rng)) as f32);
    }
    Ok(Dataset {
        features: Features::Floats(x),
        labels: Labels::Values(y),
        rows: src.samples,
        cols: d,
    })
}

/// The largest f64 below `v` (finite `v`).
fn prev_float(v: f64) -> f64 {
    if v > 0.0 {
        f64::from_bits(v.to_bits() - 1)
    } else if v < 0.0 {
        f64::from_bits(v.to_bits() + 1)
    } else {
        -f64::from_bits(1)
    }
}

/// One N(0, 1) draw by Box–Muller (the cosine half; two uniforms per draw keeps the stream simple).
fn standard_normal(rng: &mut impl Rng) -> f64 {
    // 1 − u is in (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(d: &Dataset) -> (&[f32], &[f32]) {
        let (Features::Floats(x), Labels::Values(y)) = (&d.features, &d.labels) else {
            panic!()
        };
        (x, y)
    }

    #[test]
    fn the_defaults_are_those_of_the_spec() {
        let s = SyntheticLinearSource::default();
        assert_eq!(
            (
                s.samples,
                s.weights.as_slice(),
                s.bias,
                s.noise,
                s.x_min,
                s.x_max
            ),
            (100, &[2.0][..], 3.0, 1.0, 0.0, 10.0)
        );
    }

    #[test]
    fn it_has_one_row_per_sample_and_one_column_per_weight_with_x_in_range() {
        let s = SyntheticLinearSource {
            samples: 50,
            weights: vec![1.0, -2.0, 0.5],
            x_min: -1.0,
            x_max: 2.0,
            ..Default::default()
        };
        let d = generate(&s, 7).unwrap();
        assert_eq!((d.rows, d.cols), (50, 3));
        let (x, y) = values(&d);
        assert_eq!((x.len(), y.len()), (150, 50));
        assert!(x.iter().all(|&v| (-1.0..2.0).contains(&v)));
    }

    #[test]
    fn a_seed_always_gives_the_same_data_and_another_seed_other_data() {
        let s = SyntheticLinearSource::default();
        let (a, b, c) = (
            generate(&s, 1).unwrap(),
            generate(&s, 1).unwrap(),
            generate(&s, 2).unwrap(),
        );
        assert_eq!(values(&a), values(&b));
        assert_ne!(values(&a).0, values(&c).0);
    }

    #[test]
    fn the_noise_has_the_configured_standard_deviation() {
        let s = SyntheticLinearSource {
            samples: 20_000,
            weights: vec![0.0],
            bias: 0.0,
            noise: 2.0,
            ..Default::default()
        };
        let d = generate(&s, 3).unwrap();
        let (_, y) = values(&d);
        let n = y.len() as f64;
        let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let sd = (y
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        // Standard errors: mean 2/sqrt(20000) ≈ 0.014, sd ≈ 2/sqrt(40000) = 0.01.
        assert!(mean.abs() < 0.06, "{mean}");
        assert!((sd - 2.0).abs() < 0.05, "{sd}");
    }

    #[test]
    fn least_squares_on_noiseless_samples_recovers_the_weights_and_bias() {
        let s = SyntheticLinearSource {
            samples: 2000,
            weights: vec![1.5, -0.5],
            bias: 0.25,
            noise: 0.0,
            x_min: -3.0,
            x_max: 3.0,
        };
        let d = generate(&s, 11).unwrap();
        let (x, y) = values(&d);
        // Normal equations for [x1, x2, 1] · [w1, w2, b]: (AᵀA) θ = Aᵀy, solved by Gaussian elimination.
        let mut m = [[0f64; 4]; 3];
        for (row, &t) in x.chunks_exact(2).zip(y) {
            let a = [f64::from(row[0]), f64::from(row[1]), 1.0];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] += a[i] * a[j];
                }
                m[i][3] += a[i] * f64::from(t);
            }
        }
        for p in 0..3 {
            let pivot = m[p];
            for (r, row) in m.iter_mut().enumerate() {
                if r != p {
                    let f = row[p] / pivot[p];
                    for (x, y) in row.iter_mut().zip(pivot) {
                        *x -= f * y;
                    }
                }
            }
        }
        let theta: Vec<f64> = (0..3).map(|i| m[i][3] / m[i][i]).collect();
        // Only f32 storage rounding stands between the fit and the truth.
        for (got, want) in theta.iter().zip([1.5, -0.5, 0.25]) {
            assert!((got - want).abs() < 1e-5, "{theta:?}");
        }
    }

    #[test]
    fn bad_values_are_rejected_naming_the_key() {
        let base = SyntheticLinearSource::default();
        let cases = [
            (
                SyntheticLinearSource {
                    samples: 0,
                    ..base.clone()
                },
                "data.samples: expected an integer >= 1, found 0",
            ),
            (
                SyntheticLinearSource {
                    weights: vec![],
                    ..base.clone()
                },
                "data.weights",
            ),
            (
                SyntheticLinearSource {
                    weights: vec![1.0, f64::NAN],
                    ..base.clone()
                },
                "data.weights[1]: expected a finite number, found NaN",
            ),
            (
                SyntheticLinearSource {
                    noise: -1.0,
                    ..base.clone()
                },
                "data.noise: expected a finite number >= 0, found -1",
            ),
            (
                SyntheticLinearSource {
                    x_min: 5.0,
                    x_max: 5.0,
                    ..base.clone()
                },
                "data.x_max: expected more than x_min = 5, found 5",
            ),
            (
                SyntheticLinearSource {
                    bias: f64::INFINITY,
                    ..base.clone()
                },
                "data.bias: expected a finite number, found inf",
            ),
            (
                SyntheticLinearSource {
                    samples: usize::MAX,
                    ..base.clone()
                },
                "data.samples: expected samples × (features + 1) <=",
            ),
        ];
        for (s, want) in cases {
            let e = format!("{:#}", generate(&s, 0).unwrap_err());
            assert!(e.contains(want), "{e} does not contain {want}");
        }
    }
}

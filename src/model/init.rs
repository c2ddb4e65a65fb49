//! Parameter initialisation (`model.init`), layer by layer, weights then bias, from one generator
//! seeded with the `seed` given to `Network::new`:
//!
//! | kind      | weights                                   | bias                    | PyTorch                           |
//! |-----------|-------------------------------------------|-------------------------|-----------------------------------|
//! | `default` | U(−1/√fan_in, 1/√fan_in)                  | U(−1/√fan_in, 1/√fan_in) | nn.Linear's own reset_parameters |
//! | `he`      | N(0, σ² = 2/fan_in)                       | 0                       | kaiming_normal_(nonlinearity="relu") |
//! | `glorot`  | U(−b, b), b = √(6/(fan_in + fan_out))     | 0                       | xavier_uniform_                   |
//! | `zeros`   | 0                                         | 0                       | zeros_                            |
//!
//! (`default`'s bound is nn.Linear's kaiming_uniform_(a = √5): √(6 / ((1 + 5) fan_in)) = 1/√fan_in.)
//! The numbers drawn are not PyTorch's: only the distributions match.

use rand::SeedableRng;
use rand::distr::{Distribution, Uniform};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    Default,
    He,
    Glorot,
    Zeros,
}

impl Init {
    /// Fills `w (fan_in × fan_out)` and `b (fan_out)` of one layer, drawing from `rng`.
    pub fn fill(
        self,
        w: &mut [f32],
        b: &mut [f32],
        fan_in: usize,
        fan_out: usize,
        rng: &mut StdRng,
    ) {
        debug_assert_eq!(w.len(), fan_in * fan_out);
        debug_assert_eq!(b.len(), fan_out);
        match self {
            Init::Default => {
                let bound = 1.0 / (fan_in as f64).sqrt();
                uniform(w, bound, rng);
                uniform(b, bound, rng);
            }
            Init::He => {
                let std = (2.0 / fan_in as f64).sqrt();
                let normal = ndarray_rand::rand_distr::StandardNormal;
                w.iter_mut().for_each(|v| {
                    let z: f64 = normal.sample(rng);
                    *v = (std * z) as f32;
                });
                b.fill(0.0);
            }
            Init::Glorot => {
                uniform(w, (6.0 / (fan_in + fan_out) as f64).sqrt(), rng);
                b.fill(0.0);
            }
            Init::Zeros => {
                w.fill(0.0);
                b.fill(0.0);
            }
        }
    }
}

/// The generator every layer draws from, in order.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// U[−bound, bound), half-open like `torch.Tensor.uniform_`.
fn uniform(out: &mut [f32], bound: f64, rng: &mut StdRng) {
    let bound = bound as f32;
    let dist = Uniform::new(-bound, bound).expect("a finite, positive bound");
    out.iter_mut().for_each(|v| *v = dist.sample(rng));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(init: Init, fan_in: usize, fan_out: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut w = vec![f32::NAN; fan_in * fan_out];
        let mut b = vec![f32::NAN; fan_out];
        init.fill(&mut w, &mut b, fan_in, fan_out, &mut rng(seed));
        (w, b)
    }

    fn mean_and_std(v: &[f32]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }

    #[test]
    fn default_draws_weights_and_bias_uniformly_within_one_over_root_fan_in() {
        let (w, b) = layer(Init::Default, 400, 300, 1);
        let bound = 1.0 / 20.0;
        assert!(w.iter().chain(&b).all(|v| v.abs() <= bound));
        // U(−c, c) has std c/√3; 120,000 draws put the sample std within 1% of it.
        let (mean, std) = mean_and_std(&w);
        assert!(mean.abs() < 1e-3);
        assert!(
            (std / (f64::from(bound) / 3f64.sqrt()) - 1.0).abs() < 0.01,
            "{std}"
        );
        assert!(b.iter().any(|&v| v != 0.0));
    }

    #[test]
    fn he_draws_normal_weights_with_std_root_two_over_fan_in_and_zero_bias() {
        let (w, b) = layer(Init::He, 200, 500, 2);
        let (mean, std) = mean_and_std(&w);
        let want = (2.0f64 / 200.0).sqrt();
        assert!(mean.abs() < 1e-3);
        assert!((std / want - 1.0).abs() < 0.01, "{std} vs {want}");
        assert!(b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn glorot_draws_uniform_weights_within_its_bound_and_zero_bias() {
        let (w, b) = layer(Init::Glorot, 300, 100, 3);
        let bound = (6.0f64 / 400.0).sqrt();
        assert!(w.iter().all(|&v| f64::from(v.abs()) <= bound + 1e-7));
        let (_, std) = mean_and_std(&w);
        assert!((std / (bound / 3f64.sqrt()) - 1.0).abs() < 0.01, "{std}");
        assert!(b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn zeros_gives_zeros() {
        let (w, b) = layer(Init::Zeros, 5, 4, 4);
        assert!(w.iter().chain(&b).all(|&v| v == 0.0));
    }

    #[test]
    fn the_same_seed_gives_the_same_parameters_and_another_seed_others() {
        for init in [Init::Default, Init::He, Init::Glorot] {
            assert_eq!(layer(init, 30, 20, 9), layer(init, 30, 20, 9));
            assert_ne!(layer(init, 30, 20, 9), layer(init, 30, 20, 10));
        }
    }
}

//! Adagrad — PyTorch's `torch.optim.Adagrad` (without `lr_decay`, which the SPEC leaves out).
//!
//! ```text
//! g   = grad + weight_decay · p                  (if weight_decay ≠ 0)
//! sum = sum + g²                                 (sum starts at initial_accumulator)
//! p   = p − lr · g / (√sum + eps)
//! ```
//!
//! State buffers: `[sum]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::{non_negative, positive};

/// `kind = "adagrad"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdagradConfig {
    #[serde(default = "default_eps")]
    pub eps: f64,
    /// PyTorch's `initial_accumulator_value`.
    #[serde(default)]
    pub initial_accumulator: f64,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_eps() -> f64 {
    1e-10
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            eps: default_eps(),
            initial_accumulator: 0.0,
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for AdagradConfig {
    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn validate(&self) -> Result<()> {
        positive("optimizer.eps", self.eps)?;
        non_negative("optimizer.initial_accumulator", self.initial_accumulator)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(Adagrad::new(self, layout.num_params()))
    }
}

pub struct Adagrad {
    eps: f32,
    weight_decay: f32,
    sum: Vec<f32>,
    steps: u64,
}

impl Adagrad {
    pub fn new(cfg: &AdagradConfig, num_params: usize) -> Adagrad {
        Adagrad {
            eps: cfg.eps as f32,
            weight_decay: cfg.weight_decay as f32,
            sum: vec![cfg.initial_accumulator as f32; num_params],
            steps: 0,
        }
    }
}

impl Optimizer for Adagrad {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let sum = &mut self.sum[..params.len()];
        if self.weight_decay != 0.0 {
            update::<true>(params, grads, sum, lr, self.eps, self.weight_decay);
        } else {
            update::<false>(params, grads, sum, lr, self.eps, 0.0);
        }
    }

    step_counter!();

    state_buffers!(sum);
}

// PyTorch's order: `state_sum.addcmul_(g, g, value=1)`, `std = sqrt(sum) + eps`,
// `param.addcdiv_(g, std, value=-clr)` = p + (−lr·g)/std.
fn update<const DECAY: bool>(
    params: &mut [f32],
    grads: &[f32],
    sum: &mut [f32],
    lr: f32,
    eps: f32,
    wd: f32,
) {
    for ((p, &g), s) in params.iter_mut().zip(grads).zip(sum.iter_mut()) {
        let g = if DECAY { g + wd * *p } else { g };
        *s += g * g;
        let std = s.sqrt() + eps;
        *p += -lr * g / std;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run};
    use super::*;

    // Expected values are torch.optim.Adagrad's (PyTorch 2.15, CPU, foreach=False); the comments
    // redo the arithmetic (eps = 1e-10 is below f32 resolution here).
    const P0: [f32; 2] = [1.0, -2.0];
    const G: [&[f32]; 3] = [&[0.5, -1.0], &[-0.25, 0.75], &[1.0, 0.5]];
    // 18 of the 20 reference cases (all files) match PyTorch bit for bit; two differ by 1 ulp where its
    // vectorised `add_(x, alpha)` fuses the multiply-add. 2e-7 relative is about 2 ulps.
    const TOL: f64 = 2e-7;

    #[test]
    fn adagrad_divides_by_the_root_of_the_summed_squares() {
        // sum1 = (0.25, 1)          p1 = (1 − 0.1·0.5/0.5, −2 + 0.1·1/1) = (0.9, −1.9)
        // sum2 = (0.3125, 1.5625)   p2 = (0.9 + 0.025/0.559017, −1.9 − 0.075/1.25) = (0.944721, −1.96)
        // sum3 = (1.3125, 1.8125)   p3 = (0.944721 − 0.1/1.145644, −1.96 − 0.05/1.346291)
        //                              = (0.857434, −1.997139)
        let got = run("kind = \"adagrad\"\nlr = 0.1", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.9, -1.9],
                &[0.94472134, -1.96],
                &[0.85743415, -1.9971391],
            ],
            TOL,
        );
    }

    #[test]
    fn the_initial_accumulator_starts_the_sum() {
        // sum1 = (0.75, 1.5)        p1 = (1 − 0.05/0.866025, −2 + 0.1/1.224745) = (0.942265, −1.918350)
        // sum2 = (0.8125, 2.0625)   p2 = (0.942265 + 0.025/0.901388, −1.918350 − 0.075/1.436141)
        //                              = (0.97, −1.970574)
        // sum3 = (1.8125, 2.3125)   p3 = (0.97 − 0.1/1.346291, −1.970574 − 0.05/1.520691)
        //                              = (0.895722, −2.003453)
        let got = run(
            "kind = \"adagrad\"\nlr = 0.1\ninitial_accumulator = 0.5",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[
                &[0.942265, -1.9183503],
                &[0.96999997, -1.9705737],
                &[0.89572185, -2.0034535],
            ],
            TOL,
        );
    }

    #[test]
    fn weight_decay_adds_to_the_gradient_before_it_is_squared() {
        // g1 = (0.6, −1.2), sum1 = (0.36, 1.44)               p1 = (1 − 0.06/0.6, −2 + 0.12/1.2) = (0.9, −1.9)
        // g2 = (−0.16, 0.56), sum2 = (0.3856, 1.7536)         p2 = (0.9 + 0.016/0.620967, −1.9 − 0.056/1.324236)
        //                                                        = (0.925766, −1.942289)
        // g3 = (1.092577, 0.305771), sum3 = (1.579324, 1.847096)   p3 = (0.838827, −1.964787)
        let got = run("kind = \"adagrad\"\nlr = 0.1\nweight_decay = 0.1", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.9, -1.9],
                &[0.9257662, -1.9422885],
                &[0.8388269, -1.9647869],
            ],
            TOL,
        );
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: AdagradConfig = toml::from_str("").unwrap();
        assert_eq!(c, AdagradConfig::default());
        assert_eq!(
            (c.eps, c.initial_accumulator, c.weight_decay),
            (1e-10, 0.0, 0.0)
        );
    }
}

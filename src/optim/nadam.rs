//! NAdam — PyTorch's `torch.optim.NAdam` (Dozat 2016, with PyTorch's momentum schedule).
//!
//! ```text
//! t     = t + 1
//! p     = p · (1 − lr · weight_decay)              (decoupled_weight_decay = true)
//! g     = grad + weight_decay · p                  (decoupled_weight_decay = false, the default)
//! μ_t   = beta1 · (1 − ½ · 0.96^(t · momentum_decay))
//! Π_t   = μ_1 · … · μ_t                            (PyTorch keeps it as an f32 tensor)
//! m     = lerp(m, g, 1 − beta1)
//! v     = beta2 · v + (1 − beta2) · g²
//! d     = √(v / (1 − beta2^t)) + eps
//! p     = p − lr · (1 − μ_t) / (1 − Π_t) · g / d − lr · μ_{t+1} / (1 − Π_t · μ_{t+1}) · m / d
//! ```
//!
//! State buffers: `[exp_avg, exp_avg_sq]`. PyTorch's scalar state `mu_product` is a pure function
//! of the step count, so it is recomputed (in the same f32 order) rather than stored.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::adam_family::{self, WeightDecay};
use super::state::{check_lengths, state_buffers};
use super::{KindConfig, Layout, Optimizer, lerp};
use crate::config::range::non_negative;

/// `kind = "nadam"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NAdamConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
    /// ψ of the momentum schedule `μ_t = beta1 · (1 − ½ · 0.96^(t·ψ))`.
    #[serde(default = "default_momentum_decay")]
    pub momentum_decay: f64,
    /// true: AdamW-style decay (`p · (1 − lr·wd)`, NAdamW); false: L2 added to the gradient.
    #[serde(default)]
    pub decoupled_weight_decay: bool,
}

fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}
fn default_momentum_decay() -> f64 {
    4e-3
}

impl Default for NAdamConfig {
    fn default() -> Self {
        NAdamConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: 0.0,
            momentum_decay: default_momentum_decay(),
            decoupled_weight_decay: false,
        }
    }
}

impl KindConfig for NAdamConfig {
    fn default_lr(&self) -> f64 {
        2e-3
    }

    fn validate(&self) -> Result<()> {
        adam_family::check_keys(self.beta1, self.beta2, self.eps, self.weight_decay)?;
        non_negative("optimizer.momentum_decay", self.momentum_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(NAdam {
            cfg: self.clone(),
            exp_avg: vec![0.0; num_params],
            exp_avg_sq: vec![0.0; num_params],
            mu_product: 1.0,
            steps: 0,
        })
    }
}

pub struct NAdam {
    cfg: NAdamConfig,
    exp_avg: Vec<f32>,
    exp_avg_sq: Vec<f32>,
    /// Π μ_1..μ_t, rounded to f32 after each product as PyTorch's f32 state tensor is.
    mu_product: f32,
    steps: u64,
}

impl NAdam {
    /// μ_t in f64, as PyTorch's Python code computes it.
    fn mu(&self, t: f64) -> f64 {
        self.cfg.beta1 * (1.0 - 0.5 * 0.96f64.powf(t * self.cfg.momentum_decay))
    }
}

impl Optimizer for NAdam {
    /// beta1, which `one_cycle` / `cyclic` cycle (PyTorch's cyclers write `betas[0]`, which
    /// the update reads at every step).
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.cfg.beta1 = momentum;
        true
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.cfg.beta1)
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let c = &self.cfg;
        let lr = lr as f64;
        let t = self.steps as f64;
        let bias_correction2 = (1.0 - c.beta2.powf(t)) as f32;
        let mu = self.mu(t);
        let mu_next = self.mu(t + 1.0);
        // `mu_product *= mu`: an f32 tensor times a Python float.
        self.mu_product *= mu as f32;
        let mu_product = self.mu_product as f64;
        let mu_product_next = mu_product * mu_next;
        let coef_g = (-lr * (1.0 - mu) / (1.0 - mu_product)) as f32;
        let coef_m = ((-lr * mu_next) / (1.0 - mu_product_next)) as f32;
        let WeightDecay { scale, coupled, wd } =
            WeightDecay::of(c.weight_decay, c.decoupled_weight_decay, lr);
        let (one_minus_beta1, beta2, one_minus_beta2) = (
            (1.0 - c.beta1) as f32,
            c.beta2 as f32,
            (1.0 - c.beta2) as f32,
        );
        let eps = c.eps as f32;
        let n = params.len();
        let (m, v, grads) = (
            &mut self.exp_avg[..n],
            &mut self.exp_avg_sq[..n],
            &grads[..n],
        );
        // PyTorch's order: `exp_avg.lerp_(g, 1−β1)`; `exp_avg_sq.mul_(β2).addcmul_(g, g, 1−β2)`;
        // `denom = exp_avg_sq.div(bc2).sqrt() + eps`; two `addcdiv_`s, gradient term first.
        for i in 0..n {
            let p = params[i] * scale;
            let g = if coupled { grads[i] + wd * p } else { grads[i] };
            let mi = lerp(m[i], g, one_minus_beta1);
            m[i] = mi;
            let vi = v[i] * beta2 + one_minus_beta2 * g * g;
            v[i] = vi;
            let denom = (vi / bias_correction2).sqrt() + eps;
            let p = p + coef_g * g / denom;
            params[i] = p + coef_m * mi / denom;
        }
    }

    fn step_count(&self) -> u64 {
        self.steps
    }

    fn set_step_count(&mut self, steps: u64) {
        self.steps = steps;
        self.mu_product = 1.0;
        for t in 1..=steps {
            self.mu_product *= self.mu(t as f64) as f32;
        }
    }

    state_buffers!(exp_avg, exp_avg_sq);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn nadam_follows_torchs_trajectories_step_by_step() {
        golden::check("nadam");
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: NAdamConfig = toml::from_str("").unwrap();
        assert_eq!(c, NAdamConfig::default());
        assert_eq!(
            (
                c.beta1,
                c.beta2,
                c.eps,
                c.weight_decay,
                c.momentum_decay,
                c.decoupled_weight_decay
            ),
            (0.9, 0.999, 1e-8, 0.0, 4e-3, false)
        );
        assert_eq!(c.default_lr(), 2e-3);
    }
}

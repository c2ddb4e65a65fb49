//! Adamax — PyTorch's `torch.optim.Adamax` (Kingma & Ba 2015, §7: Adam with the infinity norm).
//!
//! ```text
//! t   = t + 1
//! g   = grad + weight_decay · p                  (if weight_decay ≠ 0)
//! m   = lerp(m, g, 1 − beta1)
//! u   = max(beta2 · u, |g| + eps)
//! p   = p − lr / (1 − beta1^t) · m / u
//! ```
//!
//! State buffers: `[exp_avg, exp_inf]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::adam_family;
use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer, lerp};

/// `kind = "adamax"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamaxConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
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

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for AdamaxConfig {
    fn default_lr(&self) -> f64 {
        2e-3
    }

    fn validate(&self) -> Result<()> {
        adam_family::check_keys(self.beta1, self.beta2, self.eps, self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(Adamax {
            cfg: self.clone(),
            exp_avg: vec![0.0; num_params],
            exp_inf: vec![0.0; num_params],
            steps: 0,
        })
    }
}

pub struct Adamax {
    cfg: AdamaxConfig,
    exp_avg: Vec<f32>,
    exp_inf: Vec<f32>,
    steps: u64,
}

impl Optimizer for Adamax {
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
        let clr = lr as f64 / (1.0 - c.beta1.powf(self.steps as f64));
        let neg_clr = (-clr) as f32;
        let (wd, one_minus_beta1, beta2, eps) = (
            c.weight_decay as f32,
            (1.0 - c.beta1) as f32,
            c.beta2 as f32,
            c.eps as f32,
        );
        let coupled = c.weight_decay != 0.0;
        let n = params.len();
        let (m, u, grads) = (&mut self.exp_avg[..n], &mut self.exp_inf[..n], &grads[..n]);
        // PyTorch's order: `torch.maximum(exp_inf.mul_(β2), grad.abs().add_(eps))` (NaN wins);
        // `param.addcdiv_(exp_avg, exp_inf, value=-clr)` = p + (−clr·m)/u.
        for i in 0..n {
            let g = if coupled {
                grads[i] + wd * params[i]
            } else {
                grads[i]
            };
            let mi = lerp(m[i], g, one_minus_beta1);
            m[i] = mi;
            let a = u[i] * beta2;
            let b = g.abs() + eps;
            let ui = if a.is_nan() || b.is_nan() {
                f32::NAN
            } else {
                a.max(b)
            };
            u[i] = ui;
            params[i] += neg_clr * mi / ui;
        }
    }

    step_counter!();

    state_buffers!(exp_avg, exp_inf);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn adamax_follows_torchs_trajectories_step_by_step() {
        golden::check("adamax");
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: AdamaxConfig = toml::from_str("").unwrap();
        assert_eq!(c, AdamaxConfig::default());
        assert_eq!(
            (c.beta1, c.beta2, c.eps, c.weight_decay),
            (0.9, 0.999, 1e-8, 0.0)
        );
        assert_eq!(c.default_lr(), 2e-3);
    }
}

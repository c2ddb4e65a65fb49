//! Lion — Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", as the reference
//! `lion-pytorch` package implements it (its defaults: lr 1e-4, betas (0.9, 0.99), no decay).
//!
//! ```text
//! p   = p · (1 − lr · weight_decay)
//! p   = p − lr · sign(beta1 · m + (1 − beta1) · g)
//! m   = beta2 · m + (1 − beta2) · g
//! ```
//!
//! State buffers: `[exp_avg]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::rprop::sign;
use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::{in_unit_half_open, non_negative};

/// `kind = "lion"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LionConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.99
}

impl Default for LionConfig {
    fn default() -> Self {
        LionConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for LionConfig {
    fn default_lr(&self) -> f64 {
        1e-4
    }

    fn validate(&self) -> Result<()> {
        in_unit_half_open("optimizer.beta1", self.beta1)?;
        in_unit_half_open("optimizer.beta2", self.beta2)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(Lion {
            cfg: self.clone(),
            exp_avg: vec![0.0; num_params],
            steps: 0,
        })
    }
}

pub struct Lion {
    cfg: LionConfig,
    exp_avg: Vec<f32>,
    steps: u64,
}

impl Optimizer for Lion {
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
        let scale = (1.0 - lr as f64 * c.weight_decay) as f32;
        let (beta1, one_minus_beta1) = (c.beta1 as f32, (1.0 - c.beta1) as f32);
        let (beta2, one_minus_beta2) = (c.beta2 as f32, (1.0 - c.beta2) as f32);
        let neg_lr = -lr;
        let n = params.len();
        let (m, grads) = (&mut self.exp_avg[..n], &grads[..n]);
        // The reference's order: `p.mul_(1 − lr·wd)`;
        // `update = exp_avg.clone().mul_(β1).add(grad, alpha=1−β1).sign_()`;
        // `p.add_(update, alpha=−lr)`; `exp_avg.mul_(β2).add_(grad, alpha=1−β2)`.
        for i in 0..n {
            let g = grads[i];
            let update = sign(m[i] * beta1 + one_minus_beta1 * g);
            params[i] = params[i] * scale + neg_lr * update;
            m[i] = m[i] * beta2 + one_minus_beta2 * g;
        }
    }

    step_counter!();

    state_buffers!(exp_avg);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn lion_follows_the_reference_trajectories_step_by_step() {
        golden::check("lion");
    }

    #[test]
    fn every_parameter_moves_by_exactly_lr_unless_its_update_is_zero() {
        let mut opt = LionConfig::default().build(&Layout::flat(3));
        let mut p = [1.0f32, 1.0, 1.0];
        opt.step(&mut p, &[3.0, -1e-3, 0.0], 0.25);
        assert_eq!(p, [0.75, 1.25, 1.0]);
    }

    #[test]
    fn the_defaults_are_the_references() {
        let c: LionConfig = toml::from_str("").unwrap();
        assert_eq!(c, LionConfig::default());
        assert_eq!((c.beta1, c.beta2, c.weight_decay), (0.9, 0.99, 0.0));
        assert_eq!(c.default_lr(), 1e-4);
    }
}

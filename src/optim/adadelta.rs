//! Adadelta — PyTorch's `torch.optim.Adadelta` (Zeiler 2012).
//!
//! ```text
//! g   = grad + weight_decay · p                  (if weight_decay ≠ 0)
//! s   = rho · s + (1 − rho) · g²
//! δ   = √(a + eps) / √(s + eps) · g
//! a   = rho · a + (1 − rho) · δ²
//! p   = p − lr · δ
//! ```
//!
//! PyTorch's default `lr` is 1.0: the rate only scales δ, whose units already match `p`.
//! State buffers: `[square_avg, acc_delta]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::{in_unit_closed, non_negative, positive};

/// `kind = "adadelta"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdadeltaConfig {
    #[serde(default = "default_rho")]
    pub rho: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_rho() -> f64 {
    0.9
}
fn default_eps() -> f64 {
    1e-6
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig {
            rho: default_rho(),
            eps: default_eps(),
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for AdadeltaConfig {
    fn default_lr(&self) -> f64 {
        1.0
    }

    fn validate(&self) -> Result<()> {
        // PyTorch: `0.0 <= rho <= 1.0`.
        in_unit_closed("optimizer.rho", self.rho)?;
        positive("optimizer.eps", self.eps)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(Adadelta {
            cfg: self.clone(),
            square_avg: vec![0.0; num_params],
            acc_delta: vec![0.0; num_params],
            steps: 0,
        })
    }
}

pub struct Adadelta {
    cfg: AdadeltaConfig,
    square_avg: Vec<f32>,
    acc_delta: Vec<f32>,
    steps: u64,
}

impl Optimizer for Adadelta {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let c = &self.cfg;
        let (rho, one_minus_rho, eps, wd) = (
            c.rho as f32,
            (1.0 - c.rho) as f32,
            c.eps as f32,
            c.weight_decay as f32,
        );
        let coupled = c.weight_decay != 0.0;
        let neg_lr = -lr;
        let n = params.len();
        let (s, a, grads) = (
            &mut self.square_avg[..n],
            &mut self.acc_delta[..n],
            &grads[..n],
        );
        // PyTorch's order: `square_avg.mul_(rho).addcmul_(g, g, 1−rho)`;
        // `std = (s + eps).sqrt()`, `delta = (a + eps).sqrt().div_(std).mul_(g)`;
        // `acc_delta.mul_(rho).addcmul_(delta, delta, 1−rho)`; `param.add_(delta, alpha=-lr)`.
        for i in 0..n {
            let g = if coupled {
                grads[i] + wd * params[i]
            } else {
                grads[i]
            };
            let si = s[i] * rho + one_minus_rho * g * g;
            s[i] = si;
            let std = (si + eps).sqrt();
            let delta = (a[i] + eps).sqrt() / std * g;
            a[i] = a[i] * rho + one_minus_rho * delta * delta;
            params[i] += neg_lr * delta;
        }
    }

    step_counter!();

    state_buffers!(square_avg, acc_delta);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn adadelta_follows_torchs_trajectories_step_by_step() {
        golden::check("adadelta");
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: AdadeltaConfig = toml::from_str("").unwrap();
        assert_eq!(c, AdadeltaConfig::default());
        assert_eq!((c.rho, c.eps, c.weight_decay), (0.9, 1e-6, 0.0));
        assert_eq!(c.default_lr(), 1.0);
    }
}

//! Schedule-free AdamW — the reference `schedulefree.AdamWScheduleFree` (Defazio et al. 2024).
//!
//! ```text
//! v  = beta2 · v + (1 − beta2) · g²
//! g' = g / (√(v / (1 − beta2^(k+1))) + eps) + weight_decay · y
//! y  = lerp(y, z, c) + lr_k · (beta1 · (1 − c) − 1) · g'
//! z  = z − lr_k · g'
//! ```
//!
//! with `lr_k` and `c` from [`super::schedule_free`]; evaluation uses
//! `x = lerp(y, z, 1 − 1/beta1)`. The reference's default rate is 0.0025.
//! State buffers: `[z, exp_avg_sq]`; scalar state `[weight_sum, lr_max]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::schedule_free::{Averaging, averaged_point};
use super::sgd_schedule_free::default_weight_lr_power;
use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer, lerp};
use crate::config::range::{in_unit_half_open, in_unit_open, non_negative, positive};

/// `kind = "adamw_schedule_free"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamWScheduleFreeConfig {
    /// The interpolation between the average x and z (Adam's beta1 in the reference), in (0, 1).
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
    /// The reference's own linear warmup of the rate over this many steps.
    #[serde(default)]
    pub warmup_steps: u64,
    #[serde(default)]
    pub r: f64,
    #[serde(default = "default_weight_lr_power")]
    pub weight_lr_power: f64,
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

impl Default for AdamWScheduleFreeConfig {
    fn default() -> Self {
        AdamWScheduleFreeConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: 0.0,
            warmup_steps: 0,
            r: 0.0,
            weight_lr_power: default_weight_lr_power(),
        }
    }
}

impl KindConfig for AdamWScheduleFreeConfig {
    fn default_lr(&self) -> f64 {
        0.0025
    }

    fn validate(&self) -> Result<()> {
        // x = lerp(y, z, 1 − 1/beta1) needs beta1 > 0.
        in_unit_open("optimizer.beta1", self.beta1)?;
        in_unit_half_open("optimizer.beta2", self.beta2)?;
        positive("optimizer.eps", self.eps)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        non_negative("optimizer.r", self.r)?;
        non_negative("optimizer.weight_lr_power", self.weight_lr_power)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(AdamWScheduleFree {
            cfg: self.clone(),
            avg: Averaging::new(self.warmup_steps, self.r, self.weight_lr_power),
            z: vec![0.0; layout.num_params()],
            exp_avg_sq: vec![0.0; layout.num_params()],
            steps: 0,
        })
    }
}

pub struct AdamWScheduleFree {
    cfg: AdamWScheduleFreeConfig,
    avg: Averaging,
    z: Vec<f32>,
    exp_avg_sq: Vec<f32>,
    steps: u64,
}

impl Optimizer for AdamWScheduleFree {
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
        let n = params.len();
        if self.steps == 0 {
            self.z[..n].copy_from_slice(params);
        }
        let k = self.steps;
        let (lr, ckp1) = self.avg.next(k, lr as f64);
        self.steps += 1;
        let c = &self.cfg;
        let bias_correction2 = (1.0 - c.beta2.powf((k + 1) as f64)) as f32;
        let y_coef = (lr * (c.beta1 * (1.0 - ckp1) - 1.0)) as f32;
        let (neg_lr, w, wd) = (-(lr as f32), ckp1 as f32, c.weight_decay as f32);
        let (beta2, one_minus_beta2, eps) = (c.beta2 as f32, (1.0 - c.beta2) as f32, c.eps as f32);
        let decay = c.weight_decay != 0.0;
        let (z, v, grads) = (&mut self.z[..n], &mut self.exp_avg_sq[..n], &grads[..n]);
        // The reference's order: `exp_avg_sq.mul_(β2).addcmul_(g, g, 1−β2)`;
        // `denom = exp_avg_sq.div(bc2).sqrt_().add_(eps)`; `g.div_(denom)`; `g.add_(y, alpha=wd)`;
        // `y.lerp_(z, ckp1)`; `y.add_(g, alpha=lr·(β1(1−ckp1)−1))`; `z.sub_(g, alpha=lr)`.
        for i in 0..n {
            let g = grads[i];
            let vi = v[i] * beta2 + one_minus_beta2 * g * g;
            v[i] = vi;
            let y = params[i];
            let mut gn = g / ((vi / bias_correction2).sqrt() + eps);
            if decay {
                gn += wd * y;
            }
            params[i] = lerp(y, z[i], w) + y_coef * gn;
            z[i] += neg_lr * gn;
        }
    }

    step_counter!();

    state_buffers!(z, exp_avg_sq);

    averaged_point!(cfg.beta1);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn adamw_schedule_free_follows_the_references_trajectories_step_by_step() {
        golden::check("adamw_schedule_free");
    }

    #[test]
    fn the_defaults_are_the_references() {
        let c: AdamWScheduleFreeConfig = toml::from_str("").unwrap();
        assert_eq!(c, AdamWScheduleFreeConfig::default());
        assert_eq!(
            (
                c.beta1,
                c.beta2,
                c.eps,
                c.weight_decay,
                c.warmup_steps,
                c.r,
                c.weight_lr_power
            ),
            (0.9, 0.999, 1e-8, 0.0, 0, 0.0, 2.0)
        );
        assert_eq!(c.default_lr(), 0.0025);
    }
}

//! Schedule-free SGD — the reference `schedulefree.SGDScheduleFree` (Defazio et al. 2024).
//!
//! ```text
//! g  = grad + weight_decay · y                   (if weight_decay ≠ 0; taken at y)
//! y  = lerp(y, z, c) + lr_k · (momentum · (1 − c) − 1) · g
//! z  = z − lr_k · g
//! ```
//!
//! with `lr_k` and `c` from [`super::schedule_free`]; evaluation uses
//! `x = lerp(y, z, 1 − 1/momentum)`. The reference's default rate is 1.0.
//! State buffers: `[z]` (a copy of the parameters at the first step); scalar state
//! `[weight_sum, lr_max]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::schedule_free::{Averaging, averaged_point};
use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer, lerp};
use crate::config::range::{in_unit_open, non_negative};

/// `kind = "sgd_schedule_free"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdScheduleFreeConfig {
    /// The interpolation β between the average x and z, in (0, 1).
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    #[serde(default)]
    pub weight_decay: f64,
    /// The reference's own linear warmup of the rate over this many steps (on top of any
    /// `[schedule]`).
    #[serde(default)]
    pub warmup_steps: u64,
    /// Weights step k of the average by (k + 1)^r.
    #[serde(default)]
    pub r: f64,
    /// Weights each step of the average by lr_max^weight_lr_power.
    #[serde(default = "default_weight_lr_power")]
    pub weight_lr_power: f64,
}

fn default_momentum() -> f64 {
    0.9
}
pub(crate) fn default_weight_lr_power() -> f64 {
    2.0
}

impl Default for SgdScheduleFreeConfig {
    fn default() -> Self {
        SgdScheduleFreeConfig {
            momentum: default_momentum(),
            weight_decay: 0.0,
            warmup_steps: 0,
            r: 0.0,
            weight_lr_power: default_weight_lr_power(),
        }
    }
}

impl KindConfig for SgdScheduleFreeConfig {
    fn default_lr(&self) -> f64 {
        1.0
    }

    fn validate(&self) -> Result<()> {
        // The reference: "Momentum must be between 0 and 1 exclusive".
        in_unit_open("optimizer.momentum", self.momentum)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        non_negative("optimizer.r", self.r)?;
        non_negative("optimizer.weight_lr_power", self.weight_lr_power)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(SgdScheduleFree {
            cfg: self.clone(),
            avg: Averaging::new(self.warmup_steps, self.r, self.weight_lr_power),
            z: vec![0.0; layout.num_params()],
            steps: 0,
        })
    }
}

pub struct SgdScheduleFree {
    cfg: SgdScheduleFreeConfig,
    avg: Averaging,
    z: Vec<f32>,
    steps: u64,
}

impl Optimizer for SgdScheduleFree {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        let n = params.len();
        if self.steps == 0 {
            // The reference creates z as a clone of the parameters.
            self.z[..n].copy_from_slice(params);
        }
        let (lr, ckp1) = self.avg.next(self.steps, lr as f64);
        self.steps += 1;
        let c = &self.cfg;
        let y_coef = (lr * (c.momentum * (1.0 - ckp1) - 1.0)) as f32;
        let (neg_lr, w, wd) = (-(lr as f32), ckp1 as f32, c.weight_decay as f32);
        let decay = c.weight_decay != 0.0;
        let (z, grads) = (&mut self.z[..n], &grads[..n]);
        // The reference's order: `grad.add_(y, alpha=wd)`; `y.lerp_(z, ckp1)`;
        // `y.add_(grad, alpha=lr·(β(1−ckp1)−1))`; `z.sub_(grad, alpha=lr)`.
        for i in 0..n {
            let y = params[i];
            let g = if decay { grads[i] + wd * y } else { grads[i] };
            params[i] = lerp(y, z[i], w) + y_coef * g;
            z[i] += neg_lr * g;
        }
    }

    step_counter!();

    state_buffers!(z);

    averaged_point!(cfg.momentum);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn sgd_schedule_free_follows_the_references_trajectories_step_by_step() {
        golden::check("sgd_schedule_free");
    }

    #[test]
    fn the_defaults_are_the_references() {
        let c: SgdScheduleFreeConfig = toml::from_str("").unwrap();
        assert_eq!(c, SgdScheduleFreeConfig::default());
        assert_eq!(
            (
                c.momentum,
                c.weight_decay,
                c.warmup_steps,
                c.r,
                c.weight_lr_power
            ),
            (0.9, 0.0, 0, 0.0, 2.0)
        );
        assert_eq!(c.default_lr(), 1.0);
    }
}

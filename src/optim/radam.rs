//! RAdam — PyTorch's `torch.optim.RAdam` (Liu et al. 2020, rectified Adam).
//!
//! ```text
//! t     = t + 1
//! p     = p · (1 − lr · weight_decay)              (decoupled_weight_decay = true)
//! g     = grad + weight_decay · p                  (decoupled_weight_decay = false, the default)
//! m     = lerp(m, g, 1 − beta1)
//! v     = beta2 · v + (1 − beta2) · g²
//! ρ∞    = 2 / (1 − beta2) − 1,   ρ_t = ρ∞ − 2t · beta2^t / (1 − beta2^t)
//! ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
//!           p = p − m / (1 − beta1^t) · lr · √(1 − beta2^t) / (√v + eps) · r
//! else:     p = p − m / (1 − beta1^t) · lr                     (SGD with momentum)
//! ```
//!
//! State buffers: `[exp_avg, exp_avg_sq]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::adam_family::{self, WeightDecay};
use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer, lerp};

/// `kind = "radam"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RAdamConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
    /// true: AdamW-style decay (`p · (1 − lr·wd)`); false: L2 added to the gradient.
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

impl Default for RAdamConfig {
    fn default() -> Self {
        RAdamConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: 0.0,
            decoupled_weight_decay: false,
        }
    }
}

impl KindConfig for RAdamConfig {
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn validate(&self) -> Result<()> {
        adam_family::check_keys(self.beta1, self.beta2, self.eps, self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(RAdam {
            cfg: self.clone(),
            exp_avg: vec![0.0; num_params],
            exp_avg_sq: vec![0.0; num_params],
            steps: 0,
        })
    }
}

pub struct RAdam {
    cfg: RAdamConfig,
    exp_avg: Vec<f32>,
    exp_avg_sq: Vec<f32>,
    steps: u64,
}

impl Optimizer for RAdam {
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
        let lr64 = lr as f64;
        let t = self.steps as f64;
        let bias_correction1 = 1.0 - c.beta1.powf(t);
        let bias_correction2 = 1.0 - c.beta2.powf(t);
        let rho_inf = 2.0 / (1.0 - c.beta2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * c.beta2.powf(t) / bias_correction2;
        // None: the variance is not yet tractable, take a plain momentum step.
        let rect = (rho_t > 5.0).then(|| {
            (((rho_t - 4.0) * (rho_t - 2.0) * rho_inf)
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .powf(0.5) as f32
        });
        let WeightDecay { scale, coupled, wd } =
            WeightDecay::of(c.weight_decay, c.decoupled_weight_decay, lr64);
        let (one_minus_beta1, beta2, one_minus_beta2) = (
            (1.0 - c.beta1) as f32,
            c.beta2 as f32,
            (1.0 - c.beta2) as f32,
        );
        let bc1 = bias_correction1 as f32;
        let bc2_sqrt = bias_correction2.powf(0.5) as f32;
        let eps = c.eps as f32;
        let n = params.len();
        let (m, v, grads) = (
            &mut self.exp_avg[..n],
            &mut self.exp_avg_sq[..n],
            &grads[..n],
        );
        // PyTorch's order: `bias_corrected = exp_avg / bc1`; rectified:
        // `param.add_(bias_corrected * lr * (bc2**0.5 / (sqrt(v) + eps)) * rect, alpha=-1)`, where
        // a float divided by a tensor is `tensor.reciprocal() * float`; else
        // `param.add_(bias_corrected * lr, alpha=-1)`.
        for i in 0..n {
            let p = params[i] * scale;
            let g = if coupled { grads[i] + wd * p } else { grads[i] };
            let mi = lerp(m[i], g, one_minus_beta1);
            m[i] = mi;
            let vi = v[i] * beta2 + one_minus_beta2 * g * g;
            v[i] = vi;
            let corrected = mi / bc1;
            let delta = match rect {
                Some(r) => corrected * lr * ((1.0 / (vi.sqrt() + eps)) * bc2_sqrt) * r,
                None => corrected * lr,
            };
            params[i] = p - delta;
        }
    }

    step_counter!();

    state_buffers!(exp_avg, exp_avg_sq);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn radam_follows_torchs_trajectories_step_by_step() {
        golden::check("radam");
    }

    #[test]
    fn the_first_steps_are_plain_momentum_until_the_variance_is_tractable() {
        // ρ∞ = 2/(1 − 0.999) − 1 = 1999; ρ_t ≤ 5 for t ≤ 5 (ρ_5 ≈ 4.99, ρ_6 ≈ 5.99), so the
        // first five steps move by exactly lr · m̂ = lr · g for a constant gradient.
        let mut opt = RAdamConfig::default().build(&Layout::flat(1));
        let mut p = [0.0f32];
        for step in 1..=6 {
            let before = p[0];
            opt.step(&mut p, &[1.0], 0.1);
            let moved = before - p[0];
            if step <= 5 {
                assert!((moved - 0.1).abs() < 1e-6, "step {step}: moved {moved}");
            } else {
                assert!(moved < 0.05, "step 6 is rectified: moved {moved}");
            }
        }
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: RAdamConfig = toml::from_str("").unwrap();
        assert_eq!(c, RAdamConfig::default());
        assert_eq!(
            (
                c.beta1,
                c.beta2,
                c.eps,
                c.weight_decay,
                c.decoupled_weight_decay
            ),
            (0.9, 0.999, 1e-8, 0.0, false)
        );
        assert_eq!(c.default_lr(), 1e-3);
    }
}

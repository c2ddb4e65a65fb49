//! ASGD — PyTorch's `torch.optim.ASGD` (averaged SGD, Polyak & Juditsky 1992; the rate decay of
//! Bottou 2012).
//!
//! ```text
//! t   = t + 1
//! g   = grad + weight_decay · p                  (if weight_decay ≠ 0)
//! p   = p · (1 − lambd · η) − η · g              (η starts at lr)
//! ax  = p                       if μ = 1
//!     = ax + μ · (p − ax)       otherwise
//! η   = lr / (1 + lambd · lr · t)^alpha
//! μ   = 1 / max(1, t − t0)
//! ```
//!
//! As in PyTorch, η for step t + 1 is computed from the rate of step t (the first step uses the
//! rate it is given), and the parameters stay the SGD iterate: `ax` is the average kept beside it.
//! State buffers: `[ax]`; scalar state `[η, μ]` (PyTorch's two f32 scalar tensors).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::non_negative;

/// `kind = "asgd"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsgdConfig {
    /// The decay term λ.
    #[serde(default = "default_lambd")]
    pub lambd: f64,
    /// The power of the rate decay.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// The step from which averaging starts.
    #[serde(default = "default_t0")]
    pub t0: f64,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_lambd() -> f64 {
    1e-4
}
fn default_alpha() -> f64 {
    0.75
}
fn default_t0() -> f64 {
    1e6
}

impl Default for AsgdConfig {
    fn default() -> Self {
        AsgdConfig {
            lambd: default_lambd(),
            alpha: default_alpha(),
            t0: default_t0(),
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for AsgdConfig {
    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn validate(&self) -> Result<()> {
        non_negative("optimizer.lambd", self.lambd)?;
        non_negative("optimizer.alpha", self.alpha)?;
        non_negative("optimizer.t0", self.t0)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(Asgd {
            cfg: self.clone(),
            ax: vec![0.0; num_params],
            eta_mu: [0.0, 1.0],
            steps: 0,
        })
    }
}

pub struct Asgd {
    cfg: AsgdConfig,
    ax: Vec<f32>,
    /// η and μ, f32 as PyTorch's state tensors.
    eta_mu: [f32; 2],
    steps: u64,
}

impl Asgd {
    /// The running average of the iterates (PyTorch's `state["ax"]`).
    pub fn average(&self) -> &[f32] {
        &self.ax
    }
}

impl Optimizer for Asgd {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        if self.steps == 0 {
            // PyTorch creates `state["eta"]` from the group's lr.
            self.eta_mu = [lr, 1.0];
        }
        self.steps += 1;
        let c = &self.cfg;
        let [eta, mu] = self.eta_mu;
        let eta64 = eta as f64;
        let scale = (1.0 - c.lambd * eta64) as f32;
        let neg_eta = -eta;
        let wd = c.weight_decay as f32;
        let coupled = c.weight_decay != 0.0;
        let n = params.len();
        let (ax, grads) = (&mut self.ax[..n], &grads[..n]);
        // PyTorch's order: `param.mul_(1 − λη)`, `param.add_(grad, alpha=−η)`, then
        // `ax.add_(param.sub(ax).mul_(mu))` or `ax.copy_(param)` while μ = 1.
        for i in 0..n {
            let g = if coupled {
                grads[i] + wd * params[i]
            } else {
                grads[i]
            };
            let p = params[i] * scale + neg_eta * g;
            params[i] = p;
            ax[i] = if mu != 1.0 {
                ax[i] + (p - ax[i]) * mu
            } else {
                p
            };
        }
        let t = self.steps as f64;
        let lr = lr as f64;
        self.eta_mu = [
            (lr / (1.0 + c.lambd * lr * t).powf(c.alpha)) as f32,
            (1.0 / (t - c.t0).max(1.0)) as f32,
        ];
    }

    step_counter!();

    state_buffers!(ax);

    fn scalar_state(&self) -> Vec<f64> {
        self.eta_mu.iter().map(|&x| x as f64).collect()
    }

    fn set_scalar_state(&mut self, s: &[f64]) {
        // Both were f32 when saved, so the round trip is exact.
        self.eta_mu = [s[0] as f32, s[1] as f32];
    }
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn asgd_follows_torchs_trajectories_step_by_step() {
        golden::check("asgd");
    }

    #[test]
    fn the_average_starts_after_t0_steps() {
        // t0 = 2: μ = 1 for steps 1..3 (ax = p), then 1/(t − 2): ax averages the later iterates.
        let cfg = AsgdConfig {
            t0: 2.0,
            lambd: 0.0,
            ..AsgdConfig::default()
        };
        let mut opt = Asgd {
            cfg: cfg.clone(),
            ax: vec![0.0],
            eta_mu: [0.0, 1.0],
            steps: 0,
        };
        let mut p = [0.0f32];
        let mut iterates = vec![];
        for _ in 0..6 {
            opt.step(&mut p, &[-1.0], 0.5);
            iterates.push(p[0]);
        }
        // p = 0.5, 1, 1.5, 2, 2.5, 3; ax3 = 1.5, ax4 = ax3 + (2 − 1.5)/1 = 2 (μ after step 3 is
        // 1/max(1, 1) = 1, so copied), ax5 = 2 + (2.5 − 2)/2 = 2.25, ax6 = 2.25 + (3 − 2.25)/3 = 2.5
        assert_eq!(iterates, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
        assert_eq!(opt.average(), [2.5]);
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: AsgdConfig = toml::from_str("").unwrap();
        assert_eq!(c, AsgdConfig::default());
        assert_eq!(
            (c.lambd, c.alpha, c.t0, c.weight_decay),
            (1e-4, 0.75, 1e6, 0.0)
        );
        assert_eq!(c.default_lr(), 1e-2);
    }
}

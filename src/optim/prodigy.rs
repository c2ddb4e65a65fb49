//! Prodigy — the reference `prodigyopt.Prodigy` (Mishchenko & Defazio 2023): Adam whose step
//! size d is estimated from the distance travelled; `lr` (default 1.0) multiplies the estimate.
//!
//! ```text
//! dlr   = d · lr · (√(1 − beta2^(k+1)) / (1 − beta1^(k+1)) if use_bias_correction else 1)
//! g     = grad + weight_decay · p                          (if weight_decay ≠ 0 and not decouple)
//! N     = beta3 · N + (d/d0) · dlr · ⟨g, p0 − p⟩           (beta3 absent = √beta2)
//! m     = beta1 · m + d · (1 − beta1) · g
//! v     = beta2 · v + d² · (1 − beta2) · g²
//! s     = beta3 · s + (d/d0) · dlr · g                     ((d/d0) · d with safeguard_warmup)
//! d̂     = d_coef · N / Σ|s|;  d = max(d, d̂) while d = d0;  d_max = max(d_max, d̂);
//! d     = min(d_max, d · growth_rate)
//! p     = p − weight_decay · dlr · p                        (if decouple)
//! p     = p − dlr · m / (√v + d · eps)
//! ```
//!
//! A step whose Σ|s| is 0 (a zero gradient) updates the moments and stops there, as the
//! reference's does. The rate the step applied, dlr, is [`Optimizer::effective_lr`].
//! `slice_p` (a memory saving that estimates d from every p-th element) is not offered: every
//! element is used, as with the reference's default `slice_p = 1`.
//! State buffers: `[p0, s, exp_avg (if beta1 > 0), exp_avg_sq]`; scalar state
//! `[d, d_max, d_numerator, initialised (0 | 1)]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::{Found, bad, in_unit_half_open, non_negative, positive};

/// `kind = "prodigy"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProdigyConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    /// The decay of the d estimate's running sums; absent = √beta2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta3: Option<f64>,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
    /// true: AdamW-style decay; false: L2 added to the gradient.
    #[serde(default = "default_true")]
    pub decouple: bool,
    #[serde(default)]
    pub use_bias_correction: bool,
    #[serde(default)]
    pub safeguard_warmup: bool,
    /// The initial estimate of d.
    #[serde(default = "default_d0")]
    pub d0: f64,
    #[serde(default = "default_d_coef")]
    pub d_coef: f64,
    /// The largest factor by which d may grow in one step (inf = unbounded).
    #[serde(default = "default_growth_rate")]
    pub growth_rate: f64,
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
fn default_true() -> bool {
    true
}
fn default_d0() -> f64 {
    1e-6
}
fn default_d_coef() -> f64 {
    1.0
}
fn default_growth_rate() -> f64 {
    f64::INFINITY
}

impl Default for ProdigyConfig {
    fn default() -> Self {
        ProdigyConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            beta3: None,
            eps: default_eps(),
            weight_decay: 0.0,
            decouple: true,
            use_bias_correction: false,
            safeguard_warmup: false,
            d0: default_d0(),
            d_coef: default_d_coef(),
            growth_rate: default_growth_rate(),
        }
    }
}

impl KindConfig for ProdigyConfig {
    fn default_lr(&self) -> f64 {
        1.0
    }

    fn learning_rate_free(&self) -> bool {
        true
    }

    fn validate(&self) -> Result<()> {
        in_unit_half_open("optimizer.beta1", self.beta1)?;
        in_unit_half_open("optimizer.beta2", self.beta2)?;
        if let Some(beta3) = self.beta3 {
            in_unit_half_open("optimizer.beta3", beta3)?;
        }
        positive("optimizer.eps", self.eps)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        positive("optimizer.d0", self.d0)?;
        positive("optimizer.d_coef", self.d_coef)?;
        // inf is the reference's default (unbounded growth), so this is not `at_least`.
        if self.growth_rate.is_nan() || self.growth_rate < 1.0 {
            return Err(bad(
                "optimizer.growth_rate",
                "a number >= 1 (inf = unbounded)",
                Found(self.growth_rate),
            ));
        }
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let n = layout.num_params();
        Box::new(Prodigy {
            cfg: self.clone(),
            p0: vec![0.0; n],
            s: vec![0.0; n],
            exp_avg: if self.beta1 > 0.0 {
                vec![0.0; n]
            } else {
                Vec::new()
            },
            exp_avg_sq: vec![0.0; n],
            d: self.d0,
            d_max: self.d0,
            d_numerator: 0.0,
            initialised: false,
            dlr: 0.0,
            steps: 0,
        })
    }
}

pub struct Prodigy {
    cfg: ProdigyConfig,
    p0: Vec<f32>,
    s: Vec<f32>,
    exp_avg: Vec<f32>,
    exp_avg_sq: Vec<f32>,
    // The reference keeps these as Python floats in the parameter group.
    d: f64,
    d_max: f64,
    d_numerator: f64,
    initialised: bool,
    /// d · lr (· bias correction) of the last step.
    dlr: f64,
    /// The reference's `k`: steps that got past the Σ|s| = 0 check.
    steps: u64,
}

impl Optimizer for Prodigy {
    /// beta1, which `one_cycle` / `cyclic` cycle (PyTorch's cyclers write `betas[0]`; the
    /// reference reads the group's betas at every step). Refused when the run started with
    /// beta1 = 0, which keeps no first-moment buffer.
    fn set_momentum(&mut self, momentum: f64) -> bool {
        if self.exp_avg.is_empty() && !self.p0.is_empty() {
            return false;
        }
        self.cfg.beta1 = momentum;
        true
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.cfg.beta1)
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        let n = params.len();
        let c = self.cfg.clone();
        let (beta1, beta2) = (c.beta1, c.beta2);
        let beta3 = c.beta3.unwrap_or_else(|| beta2.sqrt());
        let k = self.steps as f64;
        let bias_correction = if c.use_bias_correction {
            (1.0 - beta2.powf(k + 1.0)).powf(0.5) / (1.0 - beta1.powf(k + 1.0))
        } else {
            1.0
        };
        let d = self.d;
        let dlr = d * lr as f64 * bias_correction;
        self.dlr = dlr;
        let d_numerator = self.d_numerator * beta3;
        if !self.initialised {
            self.p0[..n].copy_from_slice(params);
            self.initialised = true;
        }
        let coupled = c.weight_decay != 0.0 && !c.decouple;
        let wd = c.weight_decay as f32;
        let (beta1_f, m_coef) = (beta1 as f32, (d * (1.0 - beta1)) as f32);
        let (beta2_f, v_coef) = (beta2 as f32, (d * d * (1.0 - beta2)) as f32);
        let beta3_f = beta3 as f32;
        let s_coef = if c.safeguard_warmup {
            ((d / c.d0) * d) as f32
        } else {
            ((d / c.d0) * dlr) as f32
        };
        let (p0, s, v) = (&self.p0[..n], &mut self.s[..n], &mut self.exp_avg_sq[..n]);
        let m = &mut self.exp_avg[..];
        let has_m = beta1 > 0.0;
        // First pass: moments, ⟨g, p0 − p⟩ and Σ|s| (the reference's `torch.dot(...).item()` and
        // `s.abs().sum().item()`, accumulated in f64 here).
        let (mut dot, mut s_sum) = (0.0f64, 0.0f64);
        for i in 0..n {
            let g = if coupled {
                grads[i] + wd * params[i]
            } else {
                grads[i]
            };
            dot += g as f64 * (p0[i] - params[i]) as f64;
            if has_m {
                m[i] = m[i] * beta1_f + m_coef * g;
            }
            v[i] = v[i] * beta2_f + v_coef * g * g;
            s[i] = s[i] * beta3_f + s_coef * g;
            s_sum += s[i].abs() as f64;
        }
        let dot = dot as f32 as f64;
        let s_sum = s_sum as f32 as f64;
        if s_sum == 0.0 {
            return;
        }
        let delta_numerator = (d / c.d0) * dlr * dot;
        let global_numerator = d_numerator + delta_numerator;
        let d_hat = c.d_coef * global_numerator / s_sum;
        let mut d_new = d;
        if d_new == c.d0 {
            d_new = d_new.max(d_hat);
        }
        self.d_max = self.d_max.max(d_hat);
        d_new = self.d_max.min(d_new * c.growth_rate);
        self.d = d_new;
        self.d_numerator = global_numerator;
        let eps = (d_new * c.eps) as f32;
        let decay = (-c.weight_decay * dlr) as f32;
        let decouple = c.weight_decay != 0.0 && c.decouple;
        let (neg_dlr, neg_dlr_d) = ((-dlr) as f32, (-dlr * d_new) as f32);
        // Second pass, the reference's order: `denom = exp_avg_sq.sqrt().add_(d·eps)`;
        // `p.add_(p, alpha=−wd·dlr)`; `p.addcdiv_(exp_avg, denom, value=−dlr)` (or the
        // gradient with value −dlr·d when beta1 = 0).
        for i in 0..n {
            let denom = v[i].sqrt() + eps;
            let mut p = params[i];
            if decouple {
                p += decay * p;
            }
            params[i] = if has_m {
                p + neg_dlr * m[i] / denom
            } else {
                let g = if coupled {
                    grads[i] + wd * params[i]
                } else {
                    grads[i]
                };
                p + neg_dlr_d * g / denom
            };
        }
        self.steps += 1;
    }

    step_counter!();

    fn state_buffers(&self) -> Vec<&[f32]> {
        let mut b = vec![self.p0.as_slice(), self.s.as_slice()];
        if self.cfg.beta1 > 0.0 {
            b.push(&self.exp_avg);
        }
        b.push(&self.exp_avg_sq);
        b
    }

    fn state_buffers_mut(&mut self) -> Vec<&mut [f32]> {
        let mut b = vec![self.p0.as_mut_slice(), self.s.as_mut_slice()];
        if self.cfg.beta1 > 0.0 {
            b.push(&mut self.exp_avg);
        }
        b.push(&mut self.exp_avg_sq);
        b
    }

    fn scalar_state(&self) -> Vec<f64> {
        let initialised = if self.initialised { 1.0 } else { 0.0 };
        vec![self.d, self.d_max, self.d_numerator, initialised]
    }

    fn set_scalar_state(&mut self, s: &[f64]) {
        (self.d, self.d_max, self.d_numerator) = (s[0], s[1], s[2]);
        self.initialised = s[3] != 0.0;
    }

    fn effective_lr(&self) -> Option<f64> {
        Some(self.dlr)
    }
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn prodigy_follows_the_references_trajectories_step_by_step() {
        golden::check("prodigy");
    }

    #[test]
    fn d_grows_from_d0_as_the_parameters_travel_and_is_the_effective_rate() {
        // A constant gradient: the parameters move steadily away from p0, so d must grow.
        let mut opt = ProdigyConfig::default().build(&Layout::flat(2));
        let mut p = [1.0f32, -1.0];
        let mut rates = vec![];
        for _ in 0..50 {
            opt.step(&mut p, &[1.0, -1.0], 1.0);
            rates.push(opt.effective_lr().unwrap());
        }
        assert_eq!(rates[0], 1e-6, "the first step applies d0 · lr");
        assert!(rates.windows(2).all(|w| w[1] >= w[0]), "{rates:?}");
        assert!(rates[49] > 1e-3, "{}", rates[49]);
    }

    #[test]
    fn the_defaults_are_the_references() {
        let c: ProdigyConfig = toml::from_str("").unwrap();
        assert_eq!(c, ProdigyConfig::default());
        assert_eq!(
            (c.beta1, c.beta2, c.beta3, c.eps, c.weight_decay, c.decouple),
            (0.9, 0.999, None, 1e-8, 0.0, true)
        );
        assert_eq!(
            (
                c.use_bias_correction,
                c.safeguard_warmup,
                c.d0,
                c.d_coef,
                c.growth_rate
            ),
            (false, false, 1e-6, 1.0, f64::INFINITY)
        );
        assert_eq!(c.default_lr(), 1.0);
    }
}

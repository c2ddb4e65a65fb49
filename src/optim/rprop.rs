//! Rprop — PyTorch's `torch.optim.Rprop` (Riedmiller & Braun 1993; the variant without weight
//! backtracking that PyTorch implements).
//!
//! ```text
//! s     = sign(g · g_prev)
//! η     = eta_plus if s > 0, eta_minus if s < 0, 1 if s = 0
//! step  = clamp(step · η, step_size_min, step_size_max)     (step starts at lr)
//! g     = 0 where s < 0                                      (skip the update after a sign flip)
//! p     = p − sign(g) · step
//! g_prev = g
//! ```
//!
//! As in PyTorch the rate only sets the initial step size (at the first step); later steps adapt
//! on their own, so a schedule has no effect after step 1.
//! State buffers: `[prev, step_size]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::{Found, above, bad, in_unit_open, positive};

/// `kind = "rprop"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpropConfig {
    /// PyTorch's `etas[0]`: the step's factor after a sign change.
    #[serde(default = "default_eta_minus")]
    pub eta_minus: f64,
    /// PyTorch's `etas[1]`: the step's factor while the sign holds.
    #[serde(default = "default_eta_plus")]
    pub eta_plus: f64,
    /// PyTorch's `step_sizes[0]`.
    #[serde(default = "default_step_size_min")]
    pub step_size_min: f64,
    /// PyTorch's `step_sizes[1]`.
    #[serde(default = "default_step_size_max")]
    pub step_size_max: f64,
}

fn default_eta_minus() -> f64 {
    0.5
}
fn default_eta_plus() -> f64 {
    1.2
}
fn default_step_size_min() -> f64 {
    1e-6
}
fn default_step_size_max() -> f64 {
    50.0
}

impl Default for RpropConfig {
    fn default() -> Self {
        RpropConfig {
            eta_minus: default_eta_minus(),
            eta_plus: default_eta_plus(),
            step_size_min: default_step_size_min(),
            step_size_max: default_step_size_max(),
        }
    }
}

impl KindConfig for RpropConfig {
    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn validate(&self) -> Result<()> {
        // PyTorch: `0.0 < etaminus < 1.0 < etaplus`.
        in_unit_open("optimizer.eta_minus", self.eta_minus)?;
        above("optimizer.eta_plus", self.eta_plus, 1.0)?;
        let min = positive("optimizer.step_size_min", self.step_size_min)?;
        positive("optimizer.step_size_max", self.step_size_max)?;
        if self.step_size_max < min {
            return Err(bad(
                "optimizer.step_size_max",
                &format!("a number >= step_size_min ({})", Found(min)),
                Found(self.step_size_max),
            ));
        }
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let num_params = layout.num_params();
        Box::new(Rprop {
            cfg: self.clone(),
            prev: vec![0.0; num_params],
            step_size: vec![0.0; num_params],
            steps: 0,
        })
    }
}

pub struct Rprop {
    cfg: RpropConfig,
    prev: Vec<f32>,
    step_size: Vec<f32>,
    steps: u64,
}

impl Optimizer for Rprop {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        if self.steps == 0 {
            // PyTorch fills `step_size` with the group's lr when the state is created.
            self.step_size.fill(lr);
        }
        self.steps += 1;
        let c = &self.cfg;
        let (eta_minus, eta_plus) = (c.eta_minus as f32, c.eta_plus as f32);
        let (lo, hi) = (c.step_size_min as f32, c.step_size_max as f32);
        let n = params.len();
        let (prev, step, grads) = (&mut self.prev[..n], &mut self.step_size[..n], &grads[..n]);
        for i in 0..n {
            let g = grads[i];
            let s = g * prev[i];
            // `sign[sign.gt(0)] = etaplus; sign[sign.lt(0)] = etaminus; sign[sign.eq(0)] = 1`
            // (a NaN stays NaN and poisons the step, as in PyTorch).
            let eta = if s > 0.0 {
                eta_plus
            } else if s < 0.0 {
                eta_minus
            } else if s == 0.0 {
                1.0
            } else {
                s
            };
            // `clamp_(min, max)`: NaN propagates.
            let st = step[i] * eta;
            let st = if st.is_nan() { st } else { st.max(lo).min(hi) };
            step[i] = st;
            let g = if eta == eta_minus { 0.0 } else { g };
            params[i] += -(sign(g) * st);
            prev[i] = g;
        }
    }

    step_counter!();

    state_buffers!(prev, step_size);
}

/// `torch.sign`: −1, 0 or 1 (0 for ±0), NaN for NaN.
#[inline(always)]
pub(crate) fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::super::testing::parse;
    use super::*;

    #[test]
    fn rprop_follows_torchs_trajectories_step_by_step() {
        golden::check("rprop");
    }

    #[test]
    fn the_step_grows_while_the_sign_holds_and_halves_after_a_flip() {
        // lr 0.1: −0.1, −0.12, −0.144 (η+ = 1.2), then a flip: the step halves to 0.072 and the
        // parameter stays; the next step (prev = 0) moves by 0.072 without growing.
        let mut opt = RpropConfig::default().build(&Layout::flat(1));
        let mut p = [0.0f32];
        let mut got = vec![];
        for g in [1.0f32, 1.0, 1.0, -1.0, -1.0] {
            opt.step(&mut p, &[g], 0.1);
            got.push(p[0]);
        }
        let want = [-0.1f32, -0.22, -0.364, -0.364, -0.292];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?}");
        }
    }

    #[test]
    fn bad_etas_and_step_sizes_are_refused_naming_the_key() {
        for (body, key) in [
            ("eta_minus = 1.0", "optimizer.eta_minus"),
            ("eta_plus = 0.9", "optimizer.eta_plus"),
            ("step_size_min = 0.0", "optimizer.step_size_min"),
            (
                "step_size_min = 2.0\nstep_size_max = 1.0",
                "optimizer.step_size_max",
            ),
        ] {
            let mut c = parse(&format!("kind = \"rprop\"\n{body}")).unwrap();
            let e = format!("{:#}", c.resolve().unwrap_err());
            assert!(e.starts_with(key), "{body}: {e}");
        }
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: RpropConfig = toml::from_str("").unwrap();
        assert_eq!(c, RpropConfig::default());
        assert_eq!(
            (c.eta_minus, c.eta_plus, c.step_size_min, c.step_size_max),
            (0.5, 1.2, 1e-6, 50.0)
        );
        assert_eq!(c.default_lr(), 1e-2);
    }
}

//! `cyclic`: PyTorch `CyclicLR(base_lr=lr0, max_lr, step_size_up, step_size_down, mode, gamma)`.
//! With S = up + down, cycle = floor(1 + t/S), x = 1 + t/S − cycle; the height is x/(up/S) while
//! x ≤ up/S, else (x − 1)/(up/S − 1); rate = lr0 + (max_lr − lr0) · height · scale, scale 1
//! (triangular), 1/2^(cycle − 1) (triangular2), gamma^t (exp_range), as PyTorch's scale modes
//! `cycle` and `iterations`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CyclicMode {
    #[default]
    Triangular,
    Triangular2,
    ExpRange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cyclic {
    pub max_lr: f64,
    pub step_size_up: usize,
    /// Defaults to `step_size_up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_size_down: Option<usize>,
    #[serde(default)]
    pub mode: CyclicMode,
    #[serde(default = "one")]
    pub gamma: f64,
    /// Cycle the optimizer's momentum (SGD, RMSprop) or beta1 (Adam family) inversely to the
    /// rate, as PyTorch's `CyclicLR(cycle_momentum=True)` does by default.
    #[serde(default = "default_true")]
    pub cycle_momentum: bool,
    /// The momentum at the peak rate.
    #[serde(default = "default_base_momentum")]
    pub base_momentum: f64,
    /// The momentum at the base rate.
    #[serde(default = "default_max_momentum")]
    pub max_momentum: f64,
}

fn one() -> f64 {
    1.0
}
fn default_true() -> bool {
    true
}
fn default_base_momentum() -> f64 {
    0.8
}
fn default_max_momentum() -> f64 {
    0.9
}

/// Checks `base_momentum ≤ max_momentum` in [0, 1) when `cycle` is on (errors name the keys)
/// and returns the (base, max) pair; `None` when momentum is not cycled. Shared with one_cycle.
pub(crate) fn momentum_range(
    cx: &Context,
    cycle: bool,
    base: f64,
    max: f64,
) -> Result<Option<(f64, f64)>> {
    if !cycle {
        return Ok(None);
    }
    for (key, v) in [("base_momentum", base), ("max_momentum", max)] {
        range::in_unit_half_open(&cx.key(key), v)?;
    }
    if base > max {
        return Err(range::bad(
            &cx.key("base_momentum"),
            &format!("at most max_momentum = {max}"),
            base,
        ));
    }
    Ok(Some((base, max)))
}

#[derive(Debug, Clone)]
struct CyclicRun {
    max_lr: f64,
    total_size: f64,
    step_ratio: f64,
    mode: CyclicMode,
    gamma: f64,
    /// (base, max) momentum when cycled.
    momentum: Option<(f64, f64)>,
}

impl Schedule for CyclicRun {
    fn momentum(&self, t: usize) -> Option<f64> {
        let (base, max) = self.momentum?;
        // PyTorch's arithmetic: max_momentum − (max_momentum − base_momentum) · scale_factor,
        // times scale_fn.
        let t = t as f64;
        let cycle = (1.0 + t / self.total_size).floor();
        let x = 1.0 + t / self.total_size - cycle;
        let scale_factor = if x <= self.step_ratio {
            x / self.step_ratio
        } else {
            (x - 1.0) / (self.step_ratio - 1.0)
        };
        let base_height = (max - base) * scale_factor;
        let scale = match self.mode {
            CyclicMode::Triangular => 1.0,
            CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
            CyclicMode::ExpRange => self.gamma.powf(t),
        };
        Some(max - base_height * scale)
    }

    fn lr(&self, lr0: f64, t: usize) -> f64 {
        // PyTorch's arithmetic, in its order, so the numbers agree to the last bit.
        let t = t as f64;
        let cycle = (1.0 + t / self.total_size).floor();
        let x = 1.0 + t / self.total_size - cycle;
        let scale_factor = if x <= self.step_ratio {
            x / self.step_ratio
        } else {
            (x - 1.0) / (self.step_ratio - 1.0)
        };
        let base_height = (self.max_lr - lr0) * scale_factor;
        let scale = match self.mode {
            CyclicMode::Triangular => 1.0,
            CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
            CyclicMode::ExpRange => self.gamma.powf(t),
        };
        lr0 + base_height * scale
    }
}

impl Kind for Cyclic {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        range::finite(&cx.key("max_lr"), self.max_lr)?;
        if self.max_lr < cx.lr0 {
            return Err(range::bad(
                &cx.key("max_lr"),
                &format!("a rate >= optimizer.lr = {}", cx.lr0),
                self.max_lr,
            ));
        }
        let up = range::positive_int(&cx.key("step_size_up"), self.step_size_up)?;
        let down =
            range::positive_int(&cx.key("step_size_down"), self.step_size_down.unwrap_or(up))?;
        range::positive(&cx.key("gamma"), self.gamma)?;
        let total_size = (up + down) as f64;
        Ok(Box::new(CyclicRun {
            max_lr: self.max_lr,
            total_size,
            step_ratio: up as f64 / total_size,
            mode: self.mode,
            gamma: self.gamma,
            momentum: momentum_range(
                cx,
                self.cycle_momentum,
                self.base_momentum,
                self.max_momentum,
            )?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out = Vec::new();
        if self.gamma != 1.0 && self.mode != CyclicMode::ExpRange {
            out.push(format!(
                "{} = {} is used only by mode = \"exp_range\"",
                cx.key("gamma"),
                self.gamma
            ));
        }
        if self.mode == CyclicMode::ExpRange && self.gamma > 1.0 {
            out.push(format!(
                "{} = {} > 1: the cycles grow without bound",
                cx.key("gamma"),
                self.gamma
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn triangular_rises_for_up_and_falls_for_down() {
        // lr0 0.1, max 1.1, up 4, down 2 (S = 6, ratio 2/3): up by 0.25 a step, down by 0.5.
        let s = sched(
            "kind = \"cyclic\"\nmax_lr = 1.1\nstep_size_up = 4\nstep_size_down = 2",
            0.1,
        );
        assert_table(
            &s,
            &[
                (0, 0.1),
                (1, 0.35),
                (3, 0.85),
                (4, 1.1), // the peak: x = 4/6 = ratio
                (5, 0.6),
                (6, 0.1), // next cycle starts at base
                (10, 1.1),
                (600, 0.1),
            ],
        );
    }

    #[test]
    fn step_size_down_defaults_to_up() {
        // up = down = 2: 0, 0.5, 1, 0.5, 0 of the height 1.
        let s = sched("kind = \"cyclic\"\nmax_lr = 1.0\nstep_size_up = 2", 0.0);
        assert_table(&s, &[(0, 0.0), (1, 0.5), (2, 1.0), (3, 0.5), (4, 0.0)]);
    }

    #[test]
    fn triangular2_halves_the_height_every_cycle() {
        // up = down = 2: peaks at t = 2, 6, 10 of 1, 0.5, 0.25 above lr0 = 0.
        let s = sched(
            "kind = \"cyclic\"\nmax_lr = 1.0\nstep_size_up = 2\nmode = \"triangular2\"",
            0.0,
        );
        assert_table(
            &s,
            &[
                (2, 1.0),
                (4, 0.0),
                (5, 0.25),
                (6, 0.5),
                (10, 0.25),
                (14, 0.125),
            ],
        );
    }

    #[test]
    fn exp_range_scales_by_gamma_to_the_iteration() {
        // lr0 0, max 1, up = down = 2, gamma 0.5: height(t) · 0.5^t.
        let s = sched(
            "kind = \"cyclic\"\nmax_lr = 1.0\nstep_size_up = 2\nmode = \"exp_range\"\ngamma = 0.5",
            0.0,
        );
        assert_table(
            &s,
            &[(0, 0.0), (1, 0.25), (2, 0.25), (3, 0.0625), (6, 1.0 / 64.0)],
        );
    }

    #[test]
    fn max_lr_below_lr0_is_an_error_naming_max_lr() {
        let e = error("kind = \"cyclic\"\nmax_lr = 0.05\nstep_size_up = 2", 0.1);
        assert_eq!(
            e,
            "schedule.max_lr: expected a rate >= optimizer.lr = 0.1, found 0.05"
        );
        let e = error(
            "kind = \"cyclic\"\nmax_lr = 1.0\nstep_size_up = 2\nstep_size_down = 0",
            0.1,
        );
        assert!(e.starts_with("schedule.step_size_down:"), "{e}");
    }
}

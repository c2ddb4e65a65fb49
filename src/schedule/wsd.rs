//! `wsd`: warmup–stable–decay (Hägele et al. 2024, "Scaling Laws and Compute-Optimal Training
//! Beyond Fixed Training Durations"; HF transformers `get_wsd_schedule` without its own warmup,
//! since the generic `warmup` comes before this kind). lr0 for t < s = total − floor(decay_fraction
//! · total), then from lr0 down to min_lr at t = total over p = (t − s)/(total − s):
//! cosine min_lr + (lr0 − min_lr)(1 + cos πp)/2, linear lr0 − (lr0 − min_lr)p,
//! sqrt min_lr + (lr0 − min_lr)(1 − √p); min_lr from t = total on. Omitted, `total` is the run's
//! length after warmup (in a sequential phase, the phase's length), so it follows `train.epochs`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::cosine::half_cosine;
use super::{Context, Kind, OmittedHorizon, Schedule, horizon, horizon_lint};
use crate::config::range;

/// The shape of the cool-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WsdDecay {
    #[default]
    Cosine,
    Linear,
    Sqrt,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wsd {
    /// Omitted: the run's length after warmup (see `horizon.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// The share of `total` spent cooling down, in [0, 1].
    #[serde(default = "default_decay_fraction")]
    pub decay_fraction: f64,
    #[serde(default)]
    pub decay: WsdDecay,
    #[serde(default)]
    pub min_lr: f64,
}

fn default_decay_fraction() -> f64 {
    0.2
}

#[derive(Debug, Clone)]
struct WsdRun {
    total: usize,
    /// First t of the cool-down: total − floor(decay_fraction · total).
    stable_end: usize,
    decay: WsdDecay,
    min_lr: f64,
}

impl Schedule for WsdRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if t < self.stable_end {
            return lr0;
        }
        if t >= self.total {
            return self.min_lr;
        }
        // t < total here, so total > stable_end and the division is safe.
        let p = (t - self.stable_end) as f64 / (self.total - self.stable_end) as f64;
        match self.decay {
            WsdDecay::Cosine => half_cosine(lr0, self.min_lr, p),
            WsdDecay::Linear => lr0 - (lr0 - self.min_lr) * p,
            WsdDecay::Sqrt => self.min_lr + (lr0 - self.min_lr) * (1.0 - p.sqrt()),
        }
    }
}

impl Kind for Wsd {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let total = range::positive_int(&cx.key("total"), cx.horizon.resolve(self.total))?;
        let fraction = range::in_unit_closed(&cx.key("decay_fraction"), self.decay_fraction)?;
        let decay_steps = (fraction * total as f64).floor() as usize;
        Ok(Box::new(WsdRun {
            total,
            stable_end: total - decay_steps.min(total),
            decay: self.decay,
            min_lr: range::non_negative(&cx.key("min_lr"), self.min_lr)?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out: Vec<String> = Some(cx.horizon.resolve(self.total))
            .and_then(|d| horizon_lint(cx, "total", d))
            .into_iter()
            .collect();
        if self.min_lr > cx.lr0 {
            out.push(format!(
                "{} = {} > optimizer.lr = {}: the cool-down rises",
                cx.key("min_lr"),
                self.min_lr,
                cx.lr0
            ));
        }
        out
    }

    fn omitted_horizons(&self, cx: &Context, out: &mut Vec<OmittedHorizon>) {
        out.extend(horizon::note(cx, "total", self.total));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn stable_at_lr0_then_each_cool_down_reaches_min_lr_at_total() {
        // total 10, fraction 0.2: s = 8, p = (t − 8)/2.
        let cos = sched("kind = \"wsd\"\ntotal = 10", 1.0);
        assert_table(
            &cos,
            &[(0, 1.0), (7, 1.0), (8, 1.0), (9, 0.5), (10, 0.0), (50, 0.0)],
        );
        let lin = sched(
            "kind = \"wsd\"\ntotal = 10\ndecay = \"linear\"\nmin_lr = 0.2",
            1.0,
        );
        assert_table(&lin, &[(7, 1.0), (8, 1.0), (9, 0.6), (10, 0.2), (11, 0.2)]);
        let sqrt = sched("kind = \"wsd\"\ntotal = 10\ndecay = \"sqrt\"", 1.0);
        assert_table(&sqrt, &[(8, 1.0), (9, 1.0 - 0.5f64.sqrt()), (10, 0.0)]);
    }

    #[test]
    fn the_stable_phase_ends_at_total_minus_the_floored_decay() {
        // total 7, fraction 0.3: floor(2.1) = 2 cool-down steps, s = 5.
        let s = sched(
            "kind = \"wsd\"\ntotal = 7\ndecay_fraction = 0.3\ndecay = \"linear\"",
            1.0,
        );
        assert_table(&s, &[(4, 1.0), (5, 1.0), (6, 0.5), (7, 0.0)]);
    }

    #[test]
    fn an_omitted_total_is_the_run_after_warmup() {
        // SHAPE: 1000 steps; warmup 100 → total 900, s = 720.
        let s = sched("kind = \"wsd\"\nwarmup = 100\ndecay = \"linear\"", 1.0);
        assert_table(&s, &[(819, 1.0), (820, 1.0), (910, 0.5), (1000, 0.0)]);
    }

    #[test]
    fn a_decay_fraction_outside_0_1_is_named() {
        let e = error("kind = \"wsd\"\ndecay_fraction = 1.5", 0.1);
        assert_eq!(
            e,
            "schedule.decay_fraction: expected a number in [0, 1], found 1.5"
        );
        let e = error("kind = \"wsd\"\ndecay = \"exp\"", 0.1);
        assert!(e.contains("`exp`") && e.contains("`sqrt`"), "{e}");
    }
}

//! `polynomial`: (lr0 − end_lr) · (1 − min(t, decay_steps)/decay_steps)^power + end_lr — Keras
//! `PolynomialDecay(decay_steps, end_learning_rate, power, cycle=False)`, and PyTorch
//! `PolynomialLR(total_iters=decay_steps, power)` when end_lr = 0. Deliberate difference: end_lr
//! defaults to 0 (PyTorch's end), not Keras's 1e-4. Omitted, `decay_steps` is the run's
//! length after warmup (inside a sequential phase, the phase's length).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, OmittedHorizon, Schedule, horizon, horizon_lint};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Polynomial {
    /// Omitted: the run's length after warmup (in a sequential phase, the phase's length), so
    /// it follows `train.epochs`; a resolved config keeps it omitted (see `horizon.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay_steps: Option<usize>,
    #[serde(default = "one")]
    pub power: f64,
    #[serde(default)]
    pub end_lr: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone)]
struct PolynomialRun {
    decay_steps: usize,
    power: f64,
    end_lr: f64,
}

impl Schedule for PolynomialRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let frac = t.min(self.decay_steps) as f64 / self.decay_steps as f64;
        (lr0 - self.end_lr) * (1.0 - frac).powf(self.power) + self.end_lr
    }
}

impl Kind for Polynomial {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let decay_steps =
            range::positive_int(&cx.key("decay_steps"), cx.horizon.resolve(self.decay_steps))?;
        Ok(Box::new(PolynomialRun {
            decay_steps,
            power: range::non_negative(&cx.key("power"), self.power)?,
            end_lr: range::non_negative(&cx.key("end_lr"), self.end_lr)?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        Some(cx.horizon.resolve(self.decay_steps))
            .and_then(|d| horizon_lint(cx, "decay_steps", d))
            .into_iter()
            .collect()
    }

    fn omitted_horizons(&self, cx: &Context, out: &mut Vec<OmittedHorizon>) {
        out.extend(horizon::note(cx, "decay_steps", self.decay_steps));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn power_one_is_a_straight_line_to_end_lr() {
        // lr0 = 1, end 0.2, decay_steps 4: 0.8 · (1 − t/4) + 0.2, then 0.2.
        let s = sched("kind = \"polynomial\"\ndecay_steps = 4\nend_lr = 0.2", 1.0);
        assert_table(
            &s,
            &[(0, 1.0), (1, 0.8), (2, 0.6), (3, 0.4), (4, 0.2), (100, 0.2)],
        );
    }

    #[test]
    fn power_two_is_a_parabola() {
        // lr0 = 1, end 0, decay_steps 10: (1 − t/10)^2.
        let s = sched("kind = \"polynomial\"\ndecay_steps = 10\npower = 2.0", 1.0);
        assert_table(
            &s,
            &[
                (0, 1.0),
                (5, 0.25),
                (9, 0.1f64 * 0.1 + 0.0),
                (10, 0.0),
                (11, 0.0),
            ],
        );
    }

    #[test]
    fn an_omitted_decay_steps_is_the_run_after_warmup() {
        // SHAPE: 1000 steps; warmup 200 → decay_steps 800: 1 − (t − 200)/800.
        let s = sched("kind = \"polynomial\"\nwarmup = 200", 1.0);
        assert_table(
            &s,
            &[(200, 1.0), (600, 0.5), (999, 1.0 / 800.0), (1000, 0.0)],
        );
    }

    #[test]
    fn decay_steps_must_be_positive() {
        let e = error("kind = \"polynomial\"\ndecay_steps = 0", 0.1);
        assert_eq!(e, "schedule.decay_steps: expected an integer >= 1, found 0");
    }
}

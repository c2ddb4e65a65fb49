//! `polynomial`: (lr0 − end_lr) · (1 − min(t, decay_steps)/decay_steps)^power + end_lr — Keras
//! `PolynomialDecay(decay_steps, end_learning_rate, power, cycle=False)`, and PyTorch
//! `PolynomialLR(total_iters=decay_steps, power)` when end_lr = 0. Deliberate difference: end_lr
//! defaults to 0 (PyTorch's end), not Keras's 1e-4. Inside a sequential phase `decay_steps`
//! defaults to the phase's length.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule, check, horizon_lint};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Polynomial {
    /// Required, except inside a sequential phase with a length.
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
        let decay_steps = check::required_positive(
            &cx.key("decay_steps"),
            self.decay_steps.or(cx.horizon),
            "required outside a sequential phase with a length",
        )?;
        Ok(Box::new(PolynomialRun {
            decay_steps,
            power: check::finite_non_negative(&cx.key("power"), self.power)?,
            end_lr: check::finite_non_negative(&cx.key("end_lr"), self.end_lr)?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        self.decay_steps
            .or(cx.horizon)
            .and_then(|d| horizon_lint(cx, "decay_steps", d))
            .into_iter()
            .collect()
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
    fn decay_steps_is_required_at_the_top_level() {
        let e = error("kind = \"polynomial\"", 0.1);
        assert!(
            e.starts_with("schedule.decay_steps: expected an integer ≥ 1"),
            "{e}"
        );
        let e = error("kind = \"polynomial\"\ndecay_steps = 0", 0.1);
        assert_eq!(e, "schedule.decay_steps: expected an integer ≥ 1, found 0");
    }
}

//! `exponential`: lr0 · decay_rate^p, or lr0 · exp(−k · p) when `k` is given instead, with
//! p = t / decay_steps, floored when `staircase` — Keras `ExponentialDecay(decay_steps,
//! decay_rate, staircase)`; PyTorch `ExponentialLR(gamma)` is decay_steps = 1, decay_rate = gamma.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exponential {
    /// Exactly one of `decay_rate` and `k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<f64>,
    #[serde(default = "one")]
    pub decay_steps: usize,
    #[serde(default)]
    pub staircase: bool,
}

fn one() -> usize {
    1
}

/// The progress p = t / decay_steps shared with `inverse_time`.
pub(crate) fn progress(t: usize, decay_steps: usize, staircase: bool) -> f64 {
    if staircase {
        (t / decay_steps) as f64
    } else {
        t as f64 / decay_steps as f64
    }
}

#[derive(Debug, Clone)]
enum Base {
    Rate(f64),
    K(f64),
}

#[derive(Debug, Clone)]
struct ExponentialRun {
    base: Base,
    decay_steps: usize,
    staircase: bool,
}

impl Schedule for ExponentialRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let p = progress(t, self.decay_steps, self.staircase);
        match self.base {
            Base::Rate(r) => lr0 * r.powf(p),
            Base::K(k) => lr0 * (-k * p).exp(),
        }
    }
}

impl Kind for Exponential {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let base = match (self.decay_rate, self.k) {
            (Some(r), None) => Base::Rate(range::non_negative(&cx.key("decay_rate"), r)?),
            (None, Some(k)) => Base::K(range::finite(&cx.key("k"), k)?),
            (None, None) => {
                return Err(range::bad(
                    &cx.key("decay_rate"),
                    "a number (or k instead)",
                    "nothing",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(range::bad(
                    &cx.key("k"),
                    "either decay_rate or k, not both",
                    "both",
                ));
            }
        };
        Ok(Box::new(ExponentialRun {
            base,
            decay_steps: range::positive_int(&cx.key("decay_steps"), self.decay_steps)?,
            staircase: self.staircase,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        match (self.decay_rate, self.k) {
            (Some(r), _) if r > 1.0 => vec![format!(
                "{} = {r} > 1: the rate grows",
                cx.key("decay_rate")
            )],
            (_, Some(k)) if k < 0.0 => vec![format!("{} = {k} < 0: the rate grows", cx.key("k"))],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_rate_decays_by_decay_rate_every_decay_steps() {
        // lr0 = 1, decay_rate 0.5, decay_steps 4: 0.5^(t/4).
        let s = sched(
            "kind = \"exponential\"\ndecay_rate = 0.5\ndecay_steps = 4",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 1.0),
                (2, 0.5f64.sqrt()), // 0.5^(1/2)
                (4, 0.5),
                (6, 0.5f64.powf(1.5)),
                (8, 0.25),
            ],
        );
    }

    #[test]
    fn staircase_floors_the_exponent() {
        // 0.5^floor(t/4): edges at 4 and 8.
        let s = sched(
            "kind = \"exponential\"\ndecay_rate = 0.5\ndecay_steps = 4\nstaircase = true",
            1.0,
        );
        assert_table(&s, &[(0, 1.0), (3, 1.0), (4, 0.5), (7, 0.5), (8, 0.25)]);
    }

    #[test]
    fn k_gives_exp_of_minus_k_p() {
        // lr0 = 2, k = 0.1, decay_steps = 1: 2 · e^(−0.1 t).
        let s = sched("kind = \"exponential\"\nk = 0.1", 2.0);
        assert_table(
            &s,
            &[
                (0, 2.0),
                (1, 2.0 * (-0.1f64).exp()),
                (10, 2.0 * (-1.0f64).exp()),
            ],
        );
    }

    #[test]
    fn pytorch_exponential_lr_is_decay_steps_1() {
        // ExponentialLR(gamma=0.9): lr0 · 0.9^t.
        let s = sched("kind = \"exponential\"\ndecay_rate = 0.9", 0.1);
        assert_table(&s, &[(0, 0.1), (1, 0.09), (3, 0.1 * 0.9f64.powi(3))]);
    }

    #[test]
    fn decay_rate_or_k_is_required_and_not_both() {
        let e = error("kind = \"exponential\"", 0.1);
        assert_eq!(
            e,
            "schedule.decay_rate: expected a number (or k instead), found nothing"
        );
        let e = error("kind = \"exponential\"\ndecay_rate = 0.5\nk = 0.1", 0.1);
        assert!(e.starts_with("schedule.k:"), "{e}");
        let e = error(
            "kind = \"exponential\"\ndecay_rate = 0.5\ndecay_steps = 0",
            0.1,
        );
        assert!(e.starts_with("schedule.decay_steps:"), "{e}");
    }
}

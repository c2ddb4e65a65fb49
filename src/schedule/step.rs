//! `step`: lr0 · gamma^floor(t / step_size) — PyTorch `StepLR(step_size, gamma=0.1)` in its
//! closed form (Keras: `ExponentialDecay(decay_steps=step_size, decay_rate=gamma, staircase=True)`).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub step_size: usize,
    #[serde(default = "default_gamma")]
    pub gamma: f64,
}

fn default_gamma() -> f64 {
    0.1
}

impl Schedule for Step {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        lr0 * self.gamma.powf((t / self.step_size) as f64)
    }
}

impl Kind for Step {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        range::positive_int(&cx.key("step_size"), self.step_size)?;
        range::non_negative(&cx.key("gamma"), self.gamma)?;
        Ok(Box::new(self.clone()))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out = Vec::new();
        if self.gamma > 1.0 {
            out.push(format!(
                "{} = {} > 1: the rate grows every {} {}",
                cx.key("gamma"),
                self.gamma,
                self.step_size,
                cx.unit.plural()
            ));
        }
        if self.step_size >= cx.remaining {
            out.push(format!(
                "{} = {} is not shorter than the {} {} the schedule runs: the rate never changes",
                cx.key("step_size"),
                self.step_size,
                cx.remaining,
                cx.unit.plural()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_rate_is_multiplied_by_gamma_every_step_size() {
        // lr0 = 2, step_size = 3, gamma = 0.5: 2 · 0.5^floor(t/3).
        let s = sched("kind = \"step\"\nstep_size = 3\ngamma = 0.5", 2.0);
        assert_table(
            &s,
            &[
                (0, 2.0),                        // floor(0/3) = 0
                (2, 2.0),                        // last t of the first staircase
                (3, 1.0),                        // first edge: 2 · 0.5
                (5, 1.0),                        //
                (6, 0.5),                        // 2 · 0.5^2
                (9, 0.25),                       // 2 · 0.5^3
                (3000, 2.0 * 0.5f64.powi(1000)), // far beyond any run: tiny but finite
            ],
        );
    }

    #[test]
    fn gamma_defaults_to_a_tenth() {
        // 1 · 0.1^floor(25/10) = 0.01
        let s = sched("kind = \"step\"\nstep_size = 10", 1.0);
        assert_table(&s, &[(9, 1.0), (10, 0.1), (25, 0.1f64.powi(2))]);
    }

    #[test]
    fn a_zero_step_size_is_an_error_naming_it() {
        let e = error("kind = \"step\"\nstep_size = 0", 0.1);
        assert_eq!(e, "schedule.step_size: expected an integer >= 1, found 0");
    }

    #[test]
    fn a_negative_gamma_is_an_error() {
        let e = error("kind = \"step\"\nstep_size = 2\ngamma = -0.5", 0.1);
        assert!(e.starts_with("schedule.gamma:"), "{e}");
    }
}

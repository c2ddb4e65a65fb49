//! `inverse_time`: lr0 / (1 + decay_rate · p), p = t / decay_steps (floored when `staircase`) —
//! Keras `InverseTimeDecay(decay_steps, decay_rate, staircase)`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::exponential::progress;
use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InverseTime {
    pub decay_rate: f64,
    #[serde(default = "one")]
    pub decay_steps: usize,
    #[serde(default)]
    pub staircase: bool,
}

fn one() -> usize {
    1
}

impl Schedule for InverseTime {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        lr0 / (1.0 + self.decay_rate * progress(t, self.decay_steps, self.staircase))
    }
}

impl Kind for InverseTime {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        range::non_negative(&cx.key("decay_rate"), self.decay_rate)?;
        range::positive_int(&cx.key("decay_steps"), self.decay_steps)?;
        Ok(Box::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_rate_is_lr0_over_one_plus_decay_rate_p() {
        // lr0 = 1, decay_rate 0.5, decay_steps 2: 1 / (1 + 0.5 · t/2).
        let s = sched(
            "kind = \"inverse_time\"\ndecay_rate = 0.5\ndecay_steps = 2",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 1.0),
                (1, 1.0 / 1.25),
                (2, 1.0 / 1.5),
                (4, 0.5),
                (12, 0.25),
            ],
        );
    }

    #[test]
    fn staircase_floors_p() {
        // 1 / (1 + 0.5 · floor(t/2)).
        let s = sched(
            "kind = \"inverse_time\"\ndecay_rate = 0.5\ndecay_steps = 2\nstaircase = true",
            1.0,
        );
        assert_table(
            &s,
            &[(0, 1.0), (1, 1.0), (2, 1.0 / 1.5), (3, 1.0 / 1.5), (4, 0.5)],
        );
    }

    #[test]
    fn decay_rate_is_required() {
        let e = error("kind = \"inverse_time\"", 0.1);
        assert!(e.contains("decay_rate"), "{e}");
    }
}

//! `inverse_power`: lr0 · (1 + t / decay_steps)^(−power) — the classic 1/√t decay at the default
//! power 0.5. No PyTorch or Keras class: PyTorch's `LambdaLR(lambda t: (1 + t / d) ** -p)`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InversePower {
    #[serde(default = "one")]
    pub decay_steps: usize,
    #[serde(default = "half")]
    pub power: f64,
}

fn one() -> usize {
    1
}

fn half() -> f64 {
    0.5
}

impl Schedule for InversePower {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        lr0 * (1.0 + t as f64 / self.decay_steps as f64).powf(-self.power)
    }
}

impl Kind for InversePower {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        range::positive_int(&cx.key("decay_steps"), self.decay_steps)?;
        range::non_negative(&cx.key("power"), self.power)?;
        Ok(Box::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_default_is_one_over_the_square_root() {
        // lr0 = 1: (1 + t)^(−1/2).
        let s = sched("kind = \"inverse_power\"", 1.0);
        assert_table(&s, &[(0, 1.0), (3, 0.5), (8, 1.0 / 3.0), (99, 0.1)]);
    }

    #[test]
    fn decay_steps_stretches_t() {
        // lr0 = 2, decay_steps 10, power 1: 2 / (1 + t/10).
        let s = sched(
            "kind = \"inverse_power\"\ndecay_steps = 10\npower = 1.0",
            2.0,
        );
        assert_table(&s, &[(0, 2.0), (10, 1.0), (30, 0.5), (5, 2.0 / 1.5)]);
    }

    #[test]
    fn a_negative_power_is_an_error() {
        let e = error("kind = \"inverse_power\"\npower = -1.0", 0.1);
        assert!(e.starts_with("schedule.power:"), "{e}");
    }
}

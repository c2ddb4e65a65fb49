//! `constant_factor`: lr0 · factor for t < total, then lr0 — PyTorch `ConstantLR(factor,
//! total_iters=total)` with its defaults factor 1/3, total 5.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantFactor {
    /// In [0, 1], as PyTorch requires.
    #[serde(default = "default_factor")]
    pub factor: f64,
    /// How many values of t run at lr0 · factor.
    #[serde(default = "default_total")]
    pub total: usize,
}

fn default_factor() -> f64 {
    1.0 / 3.0
}

fn default_total() -> usize {
    5
}

#[derive(Debug, Clone)]
struct ConstantFactorRun {
    factor: f64,
    total: usize,
}

impl Schedule for ConstantFactorRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if t < self.total {
            lr0 * self.factor
        } else {
            lr0
        }
    }
}

impl Kind for ConstantFactor {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        Ok(Box::new(ConstantFactorRun {
            factor: range::in_unit_closed(&cx.key("factor"), self.factor)?,
            total: self.total,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn a_third_of_lr0_for_five_then_lr0() {
        let s = sched("kind = \"constant_factor\"", 0.3);
        assert_table(&s, &[(0, 0.1), (4, 0.1), (5, 0.3), (1000, 0.3)]);
    }

    #[test]
    fn a_factor_above_1_is_named() {
        let e = error("kind = \"constant_factor\"\nfactor = 2.0", 0.1);
        assert_eq!(e, "schedule.factor: expected a number in [0, 1], found 2");
    }
}

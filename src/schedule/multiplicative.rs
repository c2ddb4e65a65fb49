//! `multiplicative`: lr0 · factor^t — PyTorch `MultiplicativeLR(lr_lambda=lambda t: factor)`,
//! which multiplies the rate by the same factor at every step after the first.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Multiplicative {
    pub factor: f64,
}

#[derive(Debug, Clone)]
struct MultiplicativeRun {
    factor: f64,
}

impl Schedule for MultiplicativeRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        // PyTorch multiplies t times; the closed form differs from that product by a few ulps
        // (about 1e-14 relative over 200 steps) and stays free of state.
        lr0 * self.factor.powf(t as f64)
    }
}

impl Kind for Multiplicative {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        Ok(Box::new(MultiplicativeRun {
            factor: range::non_negative(&cx.key("factor"), self.factor)?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        if self.factor > 1.0 {
            vec![format!(
                "{} = {} > 1: the rate grows without bound",
                cx.key("factor"),
                self.factor
            )]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_rate_is_lr0_times_factor_to_the_t() {
        let s = sched("kind = \"multiplicative\"\nfactor = 0.5", 1.0);
        assert_table(&s, &[(0, 1.0), (1, 0.5), (3, 0.125), (10, 1.0 / 1024.0)]);
    }

    #[test]
    fn a_missing_or_negative_factor_is_named() {
        let e = error("kind = \"multiplicative\"", 0.1);
        assert!(e.contains("factor"), "{e}");
        let e = error("kind = \"multiplicative\"\nfactor = -0.5", 0.1);
        assert_eq!(
            e,
            "schedule.factor: expected a finite number >= 0, found -0.5"
        );
    }
}

//! `multistep`: lr0 · gamma^(number of milestones ≤ t) — PyTorch `MultiStepLR(milestones,
//! gamma=0.1)` in its closed form. Deliberate difference: milestones must be strictly increasing
//! (PyTorch sorts them and counts a repeated milestone twice).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule, check};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiStep {
    pub milestones: Vec<usize>,
    #[serde(default = "default_gamma")]
    pub gamma: f64,
}

fn default_gamma() -> f64 {
    0.1
}

impl Schedule for MultiStep {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let passed = self.milestones.partition_point(|&m| m <= t);
        lr0 * self.gamma.powf(passed as f64)
    }
}

impl Kind for MultiStep {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        check::increasing(&cx.key("milestones"), &self.milestones)?;
        range::non_negative(&cx.key("gamma"), self.gamma)?;
        Ok(Box::new(self.clone()))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out = Vec::new();
        if self.milestones.is_empty() {
            out.push(format!(
                "{} is empty: the rate never changes",
                cx.key("milestones")
            ));
        }
        // Every milestone past the run, not only the last: each one named is never reached.
        let beyond: Vec<String> = self
            .milestones
            .iter()
            .filter(|&&m| m >= cx.remaining)
            .map(|m| m.to_string())
            .collect();
        if !beyond.is_empty() {
            out.push(format!(
                "{}: {} {} beyond the {} {} the schedule runs (t = 0 to {}): never reached",
                cx.key("milestones"),
                beyond.join(", "),
                if beyond.len() == 1 { "is" } else { "are" },
                cx.remaining,
                cx.unit.plural(),
                cx.remaining.saturating_sub(1)
            ));
        }
        if self.gamma > 1.0 {
            out.push(format!(
                "{} = {} > 1: the rate grows at every milestone",
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
    fn each_milestone_reached_multiplies_by_gamma() {
        // lr0 = 4, milestones [2, 5], gamma 0.5: 4 · 0.5^#{m ≤ t}.
        let s = sched(
            "kind = \"multistep\"\nmilestones = [2, 5]\ngamma = 0.5",
            4.0,
        );
        assert_table(
            &s,
            &[
                (0, 4.0), // none passed
                (1, 4.0), // last t before the first milestone
                (2, 2.0), // milestone 2 ≤ 2
                (4, 2.0),
                (5, 1.0), // both
                (1_000_000, 1.0),
            ],
        );
    }

    #[test]
    fn a_milestone_at_zero_applies_from_the_start() {
        let s = sched("kind = \"multistep\"\nmilestones = [0]", 1.0);
        assert_table(&s, &[(0, 0.1), (7, 0.1)]);
    }

    #[test]
    fn milestones_out_of_order_are_an_error_naming_the_entry() {
        let e = error("kind = \"multistep\"\nmilestones = [5, 3]", 0.1);
        assert!(
            e.starts_with("schedule.milestones[1]: expected a value > "),
            "{e}"
        );
        let e = error("kind = \"multistep\"\nmilestones = [5, 5]", 0.1);
        assert!(e.starts_with("schedule.milestones[1]:"), "{e}");
    }
}

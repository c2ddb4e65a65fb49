//! `piecewise`: v_i with i = the number of boundaries b with t > b — Keras
//! `PiecewiseConstantDecay(boundaries, values)`: v0 for t ≤ b0, v1 for b0 < t ≤ b1, …, vn for
//! t > b(n−1). The values are absolute rates: `optimizer.lr` only matters to a warmup.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule, check};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Piecewise {
    pub boundaries: Vec<usize>,
    pub values: Vec<f64>,
}

impl Schedule for Piecewise {
    fn lr(&self, _lr0: f64, t: usize) -> f64 {
        self.values[self.boundaries.partition_point(|&b| t > b)]
    }
}

impl Kind for Piecewise {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        check::increasing(&cx.key("boundaries"), &self.boundaries)?;
        let n = self.boundaries.len() + 1;
        if self.values.len() != n {
            return Err(range::bad(
                &cx.key("values"),
                &format!("{n} values (one more than boundaries)"),
                self.values.len(),
            ));
        }
        for (i, &v) in self.values.iter().enumerate() {
            range::non_negative(&format!("{}[{i}]", cx.key("values")), v)?;
        }
        Ok(Box::new(self.clone()))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        match self.values.first() {
            Some(&v0) if v0 != cx.lr0 => vec![format!(
                "{}[0] = {v0} differs from optimizer.lr = {}: piecewise values are absolute rates, not factors",
                cx.key("values"),
                cx.lr0
            )],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn a_boundary_belongs_to_the_value_before_it() {
        // boundaries [10, 20], values [0.1, 0.01, 0.001] (Keras: t ≤ 10 → v0, 10 < t ≤ 20 → v1).
        let s = sched(
            "kind = \"piecewise\"\nboundaries = [10, 20]\nvalues = [0.1, 0.01, 0.001]",
            0.1,
        );
        assert_table(
            &s,
            &[
                (0, 0.1),
                (10, 0.1),  // t = b0: no boundary strictly below
                (11, 0.01), // 11 > 10
                (20, 0.01),
                (21, 0.001),
                (1_000_000, 0.001),
            ],
        );
    }

    #[test]
    fn no_boundaries_and_one_value_is_a_constant() {
        let s = sched("kind = \"piecewise\"\nboundaries = []\nvalues = [0.3]", 0.3);
        assert_table(&s, &[(0, 0.3), (99, 0.3)]);
    }

    #[test]
    fn the_wrong_count_of_values_is_an_error_naming_values() {
        let e = error(
            "kind = \"piecewise\"\nboundaries = [10, 20]\nvalues = [0.1, 0.01]",
            0.1,
        );
        assert_eq!(
            e,
            "schedule.values: expected 3 values (one more than boundaries), found 2"
        );
    }

    #[test]
    fn boundaries_out_of_order_are_an_error() {
        let e = error(
            "kind = \"piecewise\"\nboundaries = [20, 10]\nvalues = [1.0, 0.1, 0.01]",
            1.0,
        );
        assert!(e.starts_with("schedule.boundaries[1]:"), "{e}");
    }

    #[test]
    fn values_that_look_like_factors_are_linted() {
        let w = lint(
            "kind = \"piecewise\"\nboundaries = [10]\nvalues = [1.0, 0.1]",
            0.001,
            &SHAPE,
        );
        assert!(
            w.iter().any(|w| w.starts_with("schedule.values[0]")),
            "{w:?}"
        );
    }
}

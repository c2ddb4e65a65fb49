//! `linear`: lr0 · (start_factor + (end_factor − start_factor) · min(t, total)/total) — PyTorch
//! `LinearLR(start_factor, end_factor, total_iters=total)` in its closed form. Deliberate
//! differences: the defaults (start 1, end 0: a decay to 0, not PyTorch's 1/3 → 1 warmup), and any
//! factor ≥ 0 is allowed. Omitted, `total` is the run's length after warmup (inside a sequential
//! phase, the phase's length), so it follows `train.epochs`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, OmittedHorizon, Schedule, horizon, horizon_lint};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linear {
    /// Omitted: the run's length after warmup (in a sequential phase, the phase's length), so
    /// it follows `train.epochs`; a resolved config keeps it omitted (see `horizon.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    #[serde(default = "one")]
    pub start_factor: f64,
    #[serde(default)]
    pub end_factor: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone)]
struct LinearRun {
    total: usize,
    start_factor: f64,
    end_factor: f64,
}

impl Schedule for LinearRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let frac = t.min(self.total) as f64 / self.total as f64;
        lr0 * (self.start_factor + (self.end_factor - self.start_factor) * frac)
    }
}

impl Kind for Linear {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        Ok(Box::new(LinearRun {
            total: range::positive_int(&cx.key("total"), cx.horizon.resolve(self.total))?,
            start_factor: range::non_negative(&cx.key("start_factor"), self.start_factor)?,
            end_factor: range::non_negative(&cx.key("end_factor"), self.end_factor)?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        Some(cx.horizon.resolve(self.total))
            .and_then(|d| horizon_lint(cx, "total", d))
            .into_iter()
            .collect()
    }

    fn omitted_horizons(&self, cx: &Context, out: &mut Vec<OmittedHorizon>) {
        out.extend(horizon::note(cx, "total", self.total));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_default_decays_linearly_to_zero_at_total() {
        // lr0 = 1, total 4: 1 − t/4, clamped at t = 4.
        let s = sched("kind = \"linear\"\ntotal = 4", 1.0);
        assert_table(
            &s,
            &[
                (0, 1.0),
                (1, 0.75),
                (3, 0.25),
                (4, 0.0),
                (5, 0.0),
                (1_000_000, 0.0),
            ],
        );
    }

    #[test]
    fn pytorch_linear_lr_defaults_are_a_warmup() {
        // LinearLR(start_factor=1/3, end_factor=1, total_iters=5), lr0 = 0.3:
        // 0.3 · (1/3 + (2/3) · t/5) → 0.1, 0.14, …, 0.3 from t = 5 on.
        let s = sched(
            "kind = \"linear\"\ntotal = 5\nstart_factor = 0.3333333333333333\nend_factor = 1.0",
            0.3,
        );
        let at = |t: f64| 0.3 * (0.3333333333333333 + (1.0 - 0.3333333333333333) * t / 5.0);
        assert_table(
            &s,
            &[(0, at(0.0)), (1, at(1.0)), (4, at(4.0)), (5, 0.3), (6, 0.3)],
        );
        assert!((s.rate_at(0) - 0.1).abs() < 1e-15);
    }

    #[test]
    fn an_omitted_total_is_the_run_after_warmup() {
        // SHAPE: 10 epochs of 100 steps, unit epoch → total 10: lr0 · (1 − t/10).
        let s = sched("kind = \"linear\"\nunit = \"epoch\"", 1.0);
        assert_table(&s, &[(0, 1.0), (5, 0.5), (9, 0.1), (10, 0.0)]);
    }

    #[test]
    fn total_must_be_positive() {
        let e = error("kind = \"linear\"\ntotal = 0", 0.1);
        assert_eq!(e, "schedule.total: expected an integer >= 1, found 0");
    }

    #[test]
    fn a_total_other_than_the_run_is_linted() {
        // SHAPE: 10 epochs × 100 steps.
        let w = lint(
            "kind = \"linear\"\ntotal = 1000\nend_factor = 0.1",
            0.1,
            &SHAPE,
        );
        assert!(w.is_empty(), "{w:?}");
        let w = lint(
            "kind = \"linear\"\ntotal = 1200\nend_factor = 0.1",
            0.1,
            &SHAPE,
        );
        assert!(
            w[0].starts_with("schedule.total = 1200 but the schedule runs for 1000 steps"),
            "{w:?}"
        );
    }
}

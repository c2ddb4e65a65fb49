//! `cosine`: min_lr + (lr0 − min_lr) · (1 + cos(π · min(t, total)/total)) / 2 — PyTorch
//! `CosineAnnealingLR(T_max=total, eta_min=min_lr)` in its closed form, Keras `CosineDecay`.
//! Deliberate difference: clamped at `total` (min_lr from then on, as Keras), where PyTorch's
//! closed form is periodic and rises again. Omitted, `total` is the run's length after warmup
//! (inside a sequential phase, the phase's length), so it follows `train.epochs`.

use std::f64::consts::PI;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, OmittedHorizon, Schedule, horizon, horizon_lint};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cosine {
    /// Omitted: the run's length after warmup (in a sequential phase, the phase's length), so
    /// it follows `train.epochs`; a resolved config keeps it omitted (see `horizon.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    #[serde(default)]
    pub min_lr: f64,
}

#[derive(Debug, Clone)]
struct CosineRun {
    total: usize,
    min_lr: f64,
}

/// Half a cosine from `hi` (x = 0) to `lo` (x = 1); shared with `cosine_restarts`.
pub(crate) fn half_cosine(hi: f64, lo: f64, x: f64) -> f64 {
    lo + (hi - lo) * (1.0 + (PI * x).cos()) / 2.0
}

impl Schedule for CosineRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        half_cosine(
            lr0,
            self.min_lr,
            t.min(self.total) as f64 / self.total as f64,
        )
    }
}

impl Kind for Cosine {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        Ok(Box::new(CosineRun {
            total: range::positive_int(&cx.key("total"), cx.horizon.resolve(self.total))?,
            min_lr: range::non_negative(&cx.key("min_lr"), self.min_lr)?,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out: Vec<String> = Some(cx.horizon.resolve(self.total))
            .and_then(|d| horizon_lint(cx, "total", d))
            .into_iter()
            .collect();
        if self.min_lr > cx.lr0 {
            out.push(format!(
                "{} = {} > optimizer.lr = {}: the cosine rises",
                cx.key("min_lr"),
                self.min_lr,
                cx.lr0
            ));
        }
        out
    }

    fn omitted_horizons(&self, cx: &Context, out: &mut Vec<OmittedHorizon>) {
        out.extend(horizon::note(cx, "total", self.total));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn half_a_cosine_from_lr0_to_min_lr_then_flat() {
        // lr0 = 1, min 0, total 4: (1 + cos(πt/4))/2.
        let s = sched("kind = \"cosine\"\ntotal = 4", 1.0);
        let h = 0.5f64.sqrt() / 2.0; // cos(π/4)/2
        assert_table(
            &s,
            &[
                (0, 1.0),
                (1, 0.5 + h),
                (2, 0.5),
                (3, 0.5 - h),
                (5, 0.0),
                (1_000_000, 0.0),
            ],
        );
        assert!(s.rate_at(4).abs() < 1e-16); // (1 + cos π)/2 rounds to ~0
    }

    #[test]
    fn min_lr_lifts_the_floor() {
        // lr0 = 0.1, min 0.01, total 10: 0.01 + 0.09 · (1 + cos(πt/10))/2; PyTorch
        // CosineAnnealingLR(T_max=10, eta_min=0.01) gives 0.055 at t = 5 too.
        let s = sched("kind = \"cosine\"\ntotal = 10\nmin_lr = 0.01", 0.1);
        assert_table(&s, &[(0, 0.1), (5, 0.055), (10, 0.01), (20, 0.01)]);
    }

    #[test]
    fn total_must_be_positive() {
        let e = error("kind = \"cosine\"\ntotal = 0", 0.1);
        assert_eq!(e, "schedule.total: expected an integer >= 1, found 0");
    }

    #[test]
    fn a_total_other_than_the_run_after_warmup_is_linted() {
        // 1000 steps − 100 of warmup = 900.
        assert!(
            lint(
                "kind = \"cosine\"\ntotal = 900\nwarmup = 100\nmin_lr = 0.001",
                0.1,
                &SHAPE
            )
            .is_empty()
        );
        let w = lint(
            "kind = \"cosine\"\ntotal = 1000\nwarmup = 100\nmin_lr = 0.001",
            0.1,
            &SHAPE,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("schedule.total = 1000 but the schedule runs for 900 steps"),
            "{w:?}"
        );
    }
}

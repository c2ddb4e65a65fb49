//! `one_cycle`: PyTorch `OneCycleLR(max_lr=lr0, total_steps=total, pct_start, anneal_strategy,
//! div_factor, final_div_factor, three_phase)`. initial = lr0/div_factor, min = initial /
//! final_div_factor; phases end at pct_start·total − 1 (initial → lr0) and total − 1 (lr0 → min),
//! or with `three_phase` at pct_start·total − 1 (initial → lr0), 2·pct_start·total − 2 (lr0 →
//! initial) and total − 1 (initial → min); within a phase, pct = (t − start)/(end − start) and
//! cos: end + (start − end)/2 · (1 + cos(π·pct)), linear: start + (end − start)·pct.
//! Deliberate differences: max_lr is `optimizer.lr` (PyTorch ignores the optimizer's rate), and
//! from t = total − 1 on the rate stays at the last value, where PyTorch raises past `total`.
//! Omitted, `total` is the run's length after warmup (inside a sequential phase, the phase's
//! length), so it follows `train.epochs`.

use std::f64::consts::PI;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, OmittedHorizon, Schedule, horizon, horizon_lint};
use crate::config::range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anneal {
    #[default]
    Cos,
    Linear,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneCycle {
    /// Omitted: the run's length after warmup (in a sequential phase, the phase's length), so
    /// it follows `train.epochs`; a resolved config keeps it omitted (see `horizon.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    #[serde(default = "default_pct_start")]
    pub pct_start: f64,
    #[serde(default)]
    pub anneal: Anneal,
    #[serde(default = "default_div_factor")]
    pub div_factor: f64,
    #[serde(default = "default_final_div_factor")]
    pub final_div_factor: f64,
    #[serde(default)]
    pub three_phase: bool,
    /// Cycle the optimizer's momentum (SGD, RMSprop) or beta1 (Adam family) inversely to the
    /// rate, as PyTorch's `OneCycleLR(cycle_momentum=True)` does by default.
    #[serde(default = "default_true")]
    pub cycle_momentum: bool,
    /// The momentum at the peak rate.
    #[serde(default = "default_base_momentum")]
    pub base_momentum: f64,
    /// The momentum at the initial and final rates.
    #[serde(default = "default_max_momentum")]
    pub max_momentum: f64,
}

fn default_true() -> bool {
    true
}
fn default_base_momentum() -> f64 {
    0.85
}
fn default_max_momentum() -> f64 {
    0.95
}

fn default_pct_start() -> f64 {
    0.3
}
fn default_div_factor() -> f64 {
    25.0
}
fn default_final_div_factor() -> f64 {
    1e4
}

/// Which rate a phase starts or ends at.
#[derive(Debug, Clone, Copy)]
enum Level {
    Initial,
    Max,
    Min,
}

#[derive(Debug, Clone)]
struct OneCycleRun {
    /// (end step, from, to); only the first `n` are used.
    phases: [(f64, Level, Level); 3],
    n: usize,
    anneal: Anneal,
    last: usize,
    div_factor: f64,
    final_div_factor: f64,
    /// (base, max) momentum when cycled: PyTorch anneals it from max to base while the rate
    /// rises and back while it falls (the last of three phases stays at max).
    momentum: Option<(f64, f64)>,
}

impl OneCycleRun {
    /// PyTorch's `_anneal_func` between the `level`s of the phase t lies in.
    fn anneal_at(&self, t: usize, level: impl Fn(Level) -> f64) -> f64 {
        // PyTorch's loop over phases, with the step clamped to the last one.
        let step = t.min(self.last) as f64;
        let mut start_step = 0.0;
        for (i, &(end_step, from, to)) in self.phases[..self.n].iter().enumerate() {
            if step <= end_step || i == self.n - 1 {
                let pct = (step - start_step) / (end_step - start_step);
                let (a, b) = (level(from), level(to));
                return match self.anneal {
                    Anneal::Cos => b + (a - b) / 2.0 * ((PI * pct).cos() + 1.0),
                    Anneal::Linear => (b - a) * pct + a,
                };
            }
            start_step = end_step;
        }
        unreachable!("the last phase always matches")
    }
}

impl Schedule for OneCycleRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let initial = lr0 / self.div_factor;
        self.anneal_at(t, |l| match l {
            Level::Initial => initial,
            Level::Max => lr0,
            Level::Min => initial / self.final_div_factor,
        })
    }

    fn momentum(&self, t: usize) -> Option<f64> {
        let (base, max) = self.momentum?;
        Some(self.anneal_at(t, |l| match l {
            Level::Max => base,
            Level::Initial | Level::Min => max,
        }))
    }
}

impl Kind for OneCycle {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let total = range::positive_int(&cx.key("total"), cx.horizon.resolve(self.total))?;
        let pct = range::in_unit_closed(&cx.key("pct_start"), self.pct_start)?;
        range::positive(&cx.key("div_factor"), self.div_factor)?;
        range::positive(&cx.key("final_div_factor"), self.final_div_factor)?;
        let up_end = pct * total as f64 - 1.0;
        if up_end == 0.0 {
            // PyTorch divides 0 by 0 at step 0 here.
            return Err(range::bad(
                &cx.key("pct_start"),
                "pct_start · total ≠ 1 (a warm-up phase of zero steps)",
                format!("{pct} · {total} = 1"),
            ));
        }
        let last_end = (total - 1) as f64;
        let (phases, n) = if self.three_phase {
            let down_end = 2.0 * pct * total as f64 - 2.0;
            let p = [
                (up_end, Level::Initial, Level::Max),
                (down_end, Level::Max, Level::Initial),
                (last_end, Level::Initial, Level::Min),
            ];
            (p, 3)
        } else {
            let p = [
                (up_end, Level::Initial, Level::Max),
                (last_end, Level::Max, Level::Min),
                (last_end, Level::Max, Level::Min),
            ];
            (p, 2)
        };
        Ok(Box::new(OneCycleRun {
            phases,
            n,
            anneal: self.anneal,
            last: total - 1,
            div_factor: self.div_factor,
            final_div_factor: self.final_div_factor,
            momentum: super::cyclic::momentum_range(
                cx,
                self.cycle_momentum,
                self.base_momentum,
                self.max_momentum,
            )?,
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

    fn cos_anneal(a: f64, b: f64, pct: f64) -> f64 {
        b + (a - b) / 2.0 * ((std::f64::consts::PI * pct).cos() + 1.0)
    }

    #[test]
    fn two_phases_with_cos_match_pytorch() {
        // OneCycleLR(max_lr=1, total_steps=10): initial 1/25 = 0.04, min 0.04/1e4 = 4e-6;
        // phase 1 ends at 0.3·10 − 1 = 2, phase 2 at 9.
        let s = sched("kind = \"one_cycle\"\ntotal = 10", 1.0);
        assert_table(
            &s,
            &[
                (0, 0.04),
                (
                    1,
                    1.0 + (0.04 - 1.0) / 2.0 * ((std::f64::consts::PI * 0.5).cos() + 1.0),
                ), // 0.52
                (2, 1.0),                              // the peak: last step of phase 1
                (3, cos_anneal(1.0, 4e-6, 1.0 / 7.0)), // phase 2, pct = (3 − 2)/(9 − 2)
                (5, cos_anneal(1.0, 4e-6, 3.0 / 7.0)),
                (9, 4e-6),  // t = total − 1
                (10, 4e-6), // beyond: held (PyTorch raises at 11)
                (1_000_000, 4e-6),
            ],
        );
        assert!((s.rate_at(1) - 0.52).abs() < 1e-15);
    }

    #[test]
    fn linear_anneal_is_straight() {
        // total 11, pct 0.5, div 10, final 100, lr0 1: initial 0.1, min 0.001;
        // phase 1 ends at 4.5: 0.1 + 0.9·t/4.5; phase 2 from 4.5 to 10: 1 − 0.999·(t − 4.5)/5.5.
        let s = sched(
            "kind = \"one_cycle\"\ntotal = 11\npct_start = 0.5\nanneal = \"linear\"\ndiv_factor = 10.0\nfinal_div_factor = 100.0",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 0.1),
                (4, 0.1 + 0.9 * 4.0 / 4.5),
                (5, 1.0 - 0.999 * 0.5 / 5.5),
                (10, 0.001),
                (11, 0.001),
            ],
        );
    }

    #[test]
    fn three_phases_go_up_down_to_initial_then_to_min() {
        // total 20, pct 0.25, lr0 1, linear: initial 0.04, min 4e-6;
        // ends at 0.25·20 − 1 = 4, 2·0.25·20 − 2 = 8, 19.
        let s = sched(
            "kind = \"one_cycle\"\ntotal = 20\npct_start = 0.25\nanneal = \"linear\"\nthree_phase = true",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 0.04),
                (2, 0.52),                                // 0.04 + 0.96·2/4
                (4, 1.0),                                 // end of phase 1
                (6, 0.52),                                // 1 − 0.96·2/4
                (8, 0.04),                                // end of phase 2: back at initial
                (9, 0.04 + (4e-6 - 0.04) * (1.0 / 11.0)), // phase 3, pct = (9 − 8)/(19 − 8)
                (19, 4e-6),
                (25, 4e-6),
            ],
        );
    }

    #[test]
    fn total_is_positive_and_a_zero_length_warmup_is_an_error() {
        let e = error("kind = \"one_cycle\"\ntotal = 0", 0.1);
        assert!(e.starts_with("schedule.total:"), "{e}");
        let e = error("kind = \"one_cycle\"\ntotal = 10\npct_start = 0.1", 0.1);
        assert!(e.starts_with("schedule.pct_start:"), "{e}");
        let e = error("kind = \"one_cycle\"\ntotal = 10\npct_start = 1.5", 0.1);
        assert!(
            e.starts_with("schedule.pct_start: expected a number in [0, 1]"),
            "{e}"
        );
    }

    #[test]
    fn a_total_shorter_than_the_run_is_linted() {
        let w = lint("kind = \"one_cycle\"\ntotal = 800", 0.1, &SHAPE);
        assert!(
            w.iter()
                .any(|w| w.contains("the last 200 steps stay at its final rate")),
            "{w:?}"
        );
        let w = lint(
            "kind = \"one_cycle\"\ntotal = 10\nunit = \"epoch\"",
            0.1,
            &SHAPE,
        );
        assert!(w.is_empty(), "{w:?}");
    }
}

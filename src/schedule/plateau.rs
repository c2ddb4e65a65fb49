//! `plateau`: PyTorch `ReduceLROnPlateau(mode, factor, patience, threshold, threshold_mode,
//! cooldown, min_lr, eps)`, stepped once per epoch on the `monitor` column of metrics.csv.
//! After each epoch: the metric is better if it beats best by the threshold (min/rel: a < best ·
//! (1 − threshold); min/abs: a < best − threshold; max/rel: a > best · (1 + threshold); max/abs:
//! a > best + threshold), which resets the bad-epoch count, else the count grows; in cooldown the
//! count is zeroed; once it exceeds `patience` the rate becomes max(rate · factor, min_lr) (unless
//! that lowers it by eps or less), cooldown restarts and the count is zeroed.
//! The unit is always epoch and warmup is refused (use a sequential whose last phase is plateau).
//! Deliberate difference: a metric missing from an epoch's row is skipped rather than an error.
//! Keras' `ReduceLROnPlateau` callback counts one epoch fewer (it cuts once `patience` epochs
//! failed, and its cooldown ends an epoch sooner) and has only an absolute `min_delta` and no eps:
//! this kind equals it with Keras patience = patience + 1, cooldown = cooldown + 1 (when > 0),
//! min_delta = threshold, threshold_mode abs, eps 0 (the golden test below shows both).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;
use crate::metric::columns::{COLUMNS, EpochValues};
use crate::metric::{Direction, Metric};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlateauMode {
    #[default]
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMode {
    #[default]
    Rel,
    Abs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plateau {
    /// A column of metrics.csv.
    #[serde(default = "default_monitor")]
    pub monitor: String,
    #[serde(default)]
    pub mode: PlateauMode,
    #[serde(default = "default_factor")]
    pub factor: f64,
    #[serde(default = "default_patience")]
    pub patience: usize,
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    #[serde(default)]
    pub threshold_mode: ThresholdMode,
    #[serde(default)]
    pub cooldown: usize,
    #[serde(default)]
    pub min_lr: f64,
    /// Reductions of eps or less are ignored (PyTorch's `eps`).
    #[serde(default = "default_eps")]
    pub eps: f64,
}

fn default_monitor() -> String {
    "val_loss".to_string()
}
fn default_factor() -> f64 {
    0.1
}
fn default_patience() -> usize {
    10
}
fn default_threshold() -> f64 {
    1e-4
}
fn default_eps() -> f64 {
    1e-8
}

#[derive(Debug, Clone)]
struct PlateauRun {
    cfg: Plateau,
    lr: f64,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
}

impl PlateauRun {
    fn is_better(&self, a: f64) -> bool {
        let (best, th) = (self.best, self.cfg.threshold);
        match (self.cfg.mode, self.cfg.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }
}

impl Schedule for PlateauRun {
    fn lr(&self, _lr0: f64, _t: usize) -> f64 {
        self.lr
    }

    fn observe_epoch(&mut self, _t: usize, metrics: &dyn EpochValues) {
        let Some(current) = metrics.get(&self.cfg.monitor) else {
            return;
        };
        if self.is_better(current) {
            self.best = current;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.cfg.patience {
            let new_lr = (self.lr * self.cfg.factor).max(self.cfg.min_lr);
            if self.lr - new_lr > self.cfg.eps {
                self.lr = new_lr;
            }
            self.cooldown_counter = self.cfg.cooldown;
            self.num_bad_epochs = 0;
        }
    }

    fn needs_feedback(&self) -> bool {
        true
    }

    /// `[lr, best, num_bad_epochs, cooldown_counter]` (counters are exact in f64).
    fn state(&self) -> Vec<f64> {
        vec![
            self.lr,
            self.best,
            self.num_bad_epochs as f64,
            self.cooldown_counter as f64,
        ]
    }

    fn restore(&mut self, state: &[f64]) -> Result<()> {
        super::expect_state_len(state, 4)?;
        self.lr = state[0];
        self.best = state[1];
        self.num_bad_epochs = state[2] as usize;
        self.cooldown_counter = state[3] as usize;
        Ok(())
    }
}

impl Kind for Plateau {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let key = cx.key("monitor");
        let m = self.monitor.as_str();
        let Some(metric) = Metric::one_of(m, &COLUMNS) else {
            return Err(range::bad(
                &key,
                &format!("a column of metrics.csv ({})", COLUMNS.join(", ")),
                m,
            ));
        };
        if metric.is_validation() && !cx.shape.has_validation {
            return Err(range::bad(
                &key,
                "a training metric (the run has no validation set)",
                m,
            ));
        }
        if metric.is_accuracy() && !cx.shape.classification {
            return Err(range::bad(
                &key,
                "a metric of regression (accuracy is for classification)",
                m,
            ));
        }
        range::in_unit_half_open(&cx.key("factor"), self.factor)?;
        range::non_negative(&cx.key("threshold"), self.threshold)?;
        range::non_negative(&cx.key("min_lr"), self.min_lr)?;
        range::non_negative(&cx.key("eps"), self.eps)?;
        Ok(Box::new(PlateauRun {
            cfg: self.clone(),
            lr: cx.lr0,
            best: match self.mode {
                PlateauMode::Min => f64::INFINITY,
                PlateauMode::Max => f64::NEG_INFINITY,
            },
            num_bad_epochs: 0,
            cooldown_counter: 0,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out = Vec::new();
        let m = self.monitor.as_str();
        // Only a loss or an accuracy has a direction that is a fact rather than a naming rule
        // (the SPEC's "*loss → min, else max" would call grad_norm or lr better when higher).
        let wrong_way = Metric::one_of(m, &COLUMNS)
            .filter(|metric| metric.is_loss() || metric.is_accuracy())
            .is_some_and(|metric| match metric.direction() {
                Direction::Max => self.mode == PlateauMode::Min,
                Direction::Min => self.mode == PlateauMode::Max,
            });
        if wrong_way {
            out.push(format!(
                "{} = \"{m}\" with {} = \"{}\": the rate drops while the metric improves",
                cx.key("monitor"),
                cx.key("mode"),
                if self.mode == PlateauMode::Min {
                    "min"
                } else {
                    "max"
                }
            ));
        }
        // The first epoch always improves on the initial best, so the earliest cut comes after
        // epoch patience + 1 (0-based) and lowers the rate from epoch patience + 2 on.
        let epochs = match cx.unit {
            super::Unit::Epoch => cx.remaining,
            super::Unit::Step => cx.shape.epochs,
        };
        if self.patience + 2 >= epochs {
            out.push(format!(
                "{} = {}: the earliest cut lowers the rate from epoch {} on (0-based), but the schedule runs {epochs} epochs: the rate never drops",
                cx.key("patience"),
                self.patience,
                self.patience + 2
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{LrSchedule, RunShape};

    /// The rate of each epoch after feeding `metric` values one epoch at a time (the rate of
    /// epoch e is decided by epochs < e).
    fn rates(src: &str, lr0: f64, metric: &[f64]) -> Vec<f64> {
        let mut s = sched(src, lr0);
        let mut out = Vec::new();
        for (e, &m) in metric.iter().enumerate() {
            out.push(s.rate(e * 100, e));
            s.after_epoch(&metrics(e, m));
        }
        out
    }

    #[test]
    fn patience_cooldown_and_min_lr_as_pytorch() {
        // mode min, abs threshold 0 (better iff a < best), patience 2, factor 0.5, cooldown 1,
        // min_lr 0.2, lr0 1. bad = the count after each epoch:
        //  e0 1.0 best → bad 0 | e1 bad 1 | e2 bad 2 | e3 bad 3 > 2 → lr 0.5, cooldown 1, bad 0
        //  e4 bad 1, in cooldown → 0 | e5 1 | e6 2 | e7 3 → lr 0.25, cooldown 1
        //  e8 0.9 better (bad 0), cooldown → 0 | e9 1 | e10 2 | e11 3 → max(0.125, 0.2) = 0.2
        //  e12 cooldown | e13 1 | e14 2 | e15 3 → max(0.1, 0.2) = 0.2: no change (0 ≤ eps)
        let src = "kind = \"plateau\"\npatience = 2\nfactor = 0.5\ncooldown = 1\nmin_lr = 0.2\nthreshold = 0.0\nthreshold_mode = \"abs\"";
        let mut metric = vec![1.0; 8];
        metric.extend([0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]);
        let r = rates(src, 1.0, &metric);
        // Rates of epochs 0..=16: a reduction after epoch e shows from epoch e + 1.
        let expected = [
            1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2,
        ];
        assert_eq!(r, expected);
    }

    #[test]
    fn patience_counts_epochs_strictly_beyond_it() {
        // patience 0: the first epoch that does not improve reduces.
        let r = rates("kind = \"plateau\"\npatience = 0", 1.0, &[1.0, 1.0, 1.0]);
        assert_eq!(r, [1.0, 1.0, 0.1]);
        // patience 1: two bad epochs in a row.
        let r = rates(
            "kind = \"plateau\"\npatience = 1",
            1.0,
            &[1.0, 1.0, 1.0, 1.0],
        );
        assert_eq!(r, [1.0, 1.0, 1.0, 0.1]);
    }

    #[test]
    fn rel_threshold_needs_a_relative_improvement() {
        // threshold 0.1 rel: better iff a < 0.9 · best. best 1.0 → 0.95 is not better → reduce
        // (patience 0); 0.89 is, and becomes best.
        let r = rates(
            "kind = \"plateau\"\npatience = 0\nthreshold = 0.1",
            1.0,
            &[1.0, 0.95, 0.89, 0.85],
        );
        assert_eq!(r, [1.0, 1.0, 0.1, 0.1]);
        let mut s = sched("kind = \"plateau\"\npatience = 0\nthreshold = 0.1", 1.0);
        for (e, m) in [1.0, 0.95, 0.89, 0.85].into_iter().enumerate() {
            s.after_epoch(&metrics(e, m));
        }
        // 0.85 ≥ 0.9 · 0.89 = 0.801 → a second reduction.
        assert!((s.rate(0, 4) - 0.01).abs() < 1e-15);
    }

    #[test]
    fn mode_max_watches_a_rising_metric() {
        // val_accuracy, mode max, abs threshold 0.01, patience 1:
        // 0.5 best | 0.505 not > 0.51 → bad 1 | 0.6 better → 0 | 0.6 bad 1 | 0.6 bad 2 → reduce.
        let mut s = sched(
            "kind = \"plateau\"\nmonitor = \"val_accuracy\"\nmode = \"max\"\nthreshold = 0.01\nthreshold_mode = \"abs\"\npatience = 1",
            1.0,
        );
        let mut r = Vec::new();
        for (e, acc) in [0.5, 0.505, 0.6, 0.6, 0.6].into_iter().enumerate() {
            let mut m = metrics(e, 1.0);
            m.val_accuracy = Some(acc);
            s.after_epoch(&m);
            r.push(s.rate(0, e + 1));
        }
        assert_eq!(r, [1.0, 1.0, 1.0, 1.0, 0.1]);
    }

    #[test]
    fn reductions_of_eps_or_less_are_ignored() {
        // lr0 1.5e-8: 1.5e-8 − 1.5e-9 = 1.35e-8 > 1e-8 → reduced; 1.5e-9 − 1.5e-10 < 1e-8 → kept.
        let r = rates(
            "kind = \"plateau\"\npatience = 0",
            1.5e-8,
            &[1.0, 1.0, 1.0, 1.0],
        );
        assert_eq!(r, [1.5e-8, 1.5e-8, 1.5e-9, 1.5e-9]);
    }

    #[test]
    fn a_nan_metric_counts_as_a_bad_epoch() {
        let r = rates(
            "kind = \"plateau\"\npatience = 0",
            1.0,
            &[1.0, f64::NAN, 0.5],
        );
        assert_eq!(r, [1.0, 1.0, 0.1]);
    }

    #[test]
    fn the_unit_is_always_epoch() {
        let s = sched("kind = \"plateau\"\nunit = \"step\"", 1.0);
        assert_eq!(s.unit(), super::super::Unit::Epoch);
        assert!(s.needs_feedback());
    }

    #[test]
    fn a_val_monitor_without_validation_is_an_error_naming_monitor() {
        let shape = RunShape {
            has_validation: false,
            ..SHAPE
        };
        let e = error_on("kind = \"plateau\"", 0.1, &shape);
        assert_eq!(
            e,
            "schedule.monitor: expected a training metric (the run has no validation set), found val_loss"
        );
        assert!(
            LrSchedule::new(
                &parse("kind = \"plateau\"\nmonitor = \"loss\""),
                0.1,
                &shape
            )
            .is_ok()
        );
    }

    #[test]
    fn an_accuracy_monitor_on_regression_is_an_error() {
        let shape = RunShape {
            classification: false,
            ..SHAPE
        };
        let e = error_on(
            "kind = \"plateau\"\nmonitor = \"accuracy\"\nmode = \"max\"",
            0.1,
            &shape,
        );
        assert!(e.starts_with("schedule.monitor:"), "{e}");
        let e = error("kind = \"plateau\"\nmonitor = \"val_los\"", 0.1);
        assert!(
            e.starts_with("schedule.monitor: expected a column of metrics.csv"),
            "{e}"
        );
    }

    #[test]
    fn a_factor_of_one_or_more_is_an_error() {
        let e = error("kind = \"plateau\"\nfactor = 1.0", 0.1);
        assert_eq!(e, "schedule.factor: expected a number in [0, 1), found 1");
    }

    #[test]
    fn watching_accuracy_in_mode_min_is_linted() {
        let w = lint(
            "kind = \"plateau\"\nmonitor = \"val_accuracy\"\npatience = 2",
            0.1,
            &SHAPE,
        );
        assert!(w.iter().any(|w| w.starts_with("schedule.monitor")), "{w:?}");
    }

    #[test]
    fn a_loss_in_mode_max_is_linted_but_grad_norm_in_either_mode_is_not() {
        let monitor_lint = |monitor: &str, mode: &str| {
            lint(
                &format!(
                    "kind = \"plateau\"\nmonitor = \"{monitor}\"\nmode = \"{mode}\"\npatience = 2"
                ),
                0.1,
                &SHAPE,
            )
            .into_iter()
            .filter(|w| w.starts_with("schedule.monitor"))
            .count()
        };
        assert_eq!(monitor_lint("val_loss", "max"), 1);
        assert_eq!(monitor_lint("val_loss", "min"), 0);
        assert_eq!(monitor_lint("accuracy", "max"), 0);
        // The SPEC's naming rule would call grad_norm better when higher; neither way is wrong.
        assert_eq!(monitor_lint("grad_norm", "min"), 0);
        assert_eq!(monitor_lint("grad_norm", "max"), 0);
    }

    #[test]
    fn patience_that_leaves_no_epoch_for_a_cut_is_linted_and_one_less_is_not() {
        // 10 epochs, the metric never improving after epoch 0: patience 7 cuts after epoch 8 and
        // epoch 9 runs at the lower rate; patience 8 would cut after epoch 9, the last.
        let p8 = lint(
            "kind = \"plateau\"\nmonitor = \"loss\"\npatience = 8",
            0.1,
            &SHAPE,
        );
        assert_eq!(
            p8,
            [
                "schedule.patience = 8: the earliest cut lowers the rate from epoch 10 on (0-based), but the schedule runs 10 epochs: the rate never drops"
            ]
        );
        assert!(
            lint(
                "kind = \"plateau\"\nmonitor = \"loss\"\npatience = 7",
                0.1,
                &SHAPE
            )
            .is_empty()
        );
        let rates = rates(
            "kind = \"plateau\"\nmonitor = \"loss\"\npatience = 7",
            0.1,
            &[1.0; 10],
        );
        assert_eq!(rates[8], 0.1);
        assert!((rates[9] - 0.01).abs() < 1e-15, "{rates:?}");
    }

    /// The claims of `docs/schedules.md`, "= PyTorch `ReduceLROnPlateau`" and "= Keras
    /// `ReduceLROnPlateau` with patience + 1, cooldown + 1 (when > 0), min_delta = threshold
    /// (abs), eps 0", against the rates the real classes gave (`scripts/golden_schedules.py`).
    #[test]
    fn plateau_gives_the_rates_of_pytorch_and_keras_reduce_lr_on_plateau() {
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/golden/schedules.json")).unwrap();
        let cases = golden["plateau"].as_array().unwrap();
        assert_eq!(cases.len(), 6);
        let floats = |v: &serde_json::Value| -> Vec<f64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        for case in cases {
            let want = floats(&case["rates"]);
            let got = rates(
                case["schedule"].as_str().unwrap(),
                case["lr0"].as_f64().unwrap(),
                &floats(&case["metric"]),
            );
            let rtol = case["rtol"].as_f64().unwrap();
            let atol = case["atol"].as_f64().unwrap() * case["lr0"].as_f64().unwrap();
            for (t, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= rtol * w.abs() + atol,
                    "{} {} ({}): epoch {t}: {g} vs {w}\n{got:?}\n{want:?}",
                    case["framework"],
                    case["name"],
                    case["reference"]
                );
            }
        }
    }
}

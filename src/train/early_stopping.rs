//! `[train] early_stopping = { monitor, patience, min_delta, restore_best }`: Keras
//! `EarlyStopping` (keras/src/callbacks/early_stopping.py) with its defaults (monitor
//! `val_loss`, patience 0, min_delta 0, restore_best_weights false) and its mode `auto`: a
//! monitor whose name ends in `accuracy` is maximised, any other minimised (for the monitors
//! accepted, the project's one rule, [`Metric`]: `*loss` minimised, else maximised).
//!
//! After each epoch: `wait += 1`; an epoch improves when `current − min_delta > best` (max) or
//! `current + min_delta < best` (min), the first epoch always; an improvement records the epoch
//! (and, with restore_best, the parameters) and resets `wait` to 0; otherwise, once
//! `wait ≥ patience` and the epoch is not the first, training stops after this epoch and, with
//! restore_best, the best epoch's parameters replace the current ones (Keras restores only when
//! it stops, and so does this).
//!
//! The table's keys are data in the config ([`EarlyStopping`]); this file checks them against the
//! run ([`EarlyStopping::build`]) and holds the state that follows the epochs ([`EarlyStopper`]).

use anyhow::Result;

use super::EpochMetrics;
use crate::config::EarlyStopping;
use crate::config::range::{self, bad};
use crate::metric::{Direction, Metric, RANKED};
use crate::schedule::RunShape;

impl EarlyStopping {
    /// Checks the keys against the run (errors name `train.early_stopping.<key>`) and returns the
    /// state that follows the epochs; `num_params` sizes the copy of the best parameters.
    pub fn build(&self, shape: &RunShape, num_params: usize) -> Result<EarlyStopper> {
        let key = |k: &str| format!("train.early_stopping.{k}");
        let m = self.monitor.as_str();
        let Some(metric) = Metric::one_of(m, &RANKED) else {
            return Err(bad(
                &key("monitor"),
                "a column of metrics.csv: val_loss, val_accuracy, loss or accuracy",
                format!("\"{m}\""),
            ));
        };
        if metric.is_validation() && !shape.has_validation {
            return Err(bad(
                &key("monitor"),
                "loss or accuracy (the run has no validation set)",
                format!("\"{m}\""),
            ));
        }
        if metric.is_accuracy() && !shape.classification {
            return Err(bad(
                &key("monitor"),
                "a loss (a regression run has no accuracy)",
                format!("\"{m}\""),
            ));
        }
        range::non_negative(&key("min_delta"), self.min_delta)?;
        Ok(EarlyStopper {
            cfg: self.clone(),
            metric,
            best: None,
            best_epoch: 0,
            wait: 0,
            stopped_epoch: None,
            best_params: if self.restore_best {
                vec![0.0; num_params]
            } else {
                Vec::new()
            },
        })
    }
}

/// Early stopping's state while the run goes on.
#[derive(Debug, Clone)]
pub struct EarlyStopper {
    cfg: EarlyStopping,
    metric: Metric,
    best: Option<f64>,
    /// 0-based epoch of `best`.
    best_epoch: usize,
    wait: usize,
    /// 0-based, the last epoch trained, once stopped.
    stopped_epoch: Option<usize>,
    /// The parameters after `best_epoch` (restore_best only; sized once, copied into per epoch).
    best_params: Vec<f32>,
}

impl EarlyStopper {
    /// After epoch `m.epoch` with the parameters it ended with; true when training stops here.
    /// With restore_best, `params` then already holds the best epoch's parameters.
    pub fn after_epoch(&mut self, m: &EpochMetrics, params: &mut [f32]) -> bool {
        let Some(current) = m.get(self.metric.name()) else {
            return false;
        };
        self.wait += 1;
        if self.is_improvement(current) {
            self.best = Some(current);
            self.best_epoch = m.epoch;
            if self.cfg.restore_best {
                self.best_params.copy_from_slice(params);
            }
            self.wait = 0;
            return false;
        }
        if self.wait >= self.cfg.patience && m.epoch > 0 {
            self.stopped_epoch = Some(m.epoch);
            if self.cfg.restore_best && self.best.is_some() {
                params.copy_from_slice(&self.best_params);
            }
            return true;
        }
        false
    }

    fn is_improvement(&self, current: f64) -> bool {
        let Some(best) = self.best else {
            return true;
        };
        // Keras: the improvement must exceed min_delta in the metric's better direction.
        let shifted = match self.metric.direction() {
            Direction::Max => current - self.cfg.min_delta,
            Direction::Min => current + self.cfg.min_delta,
        };
        self.metric.better(shifted, best)
    }

    /// The 0-based last epoch trained, once early stopping has stopped the run.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The counters for a checkpoint: `[best or NaN, has_best, best_epoch, wait, stopped_epoch
    /// or −1]`; the best parameters travel separately ([`EarlyStopper::best_params`]).
    pub fn state(&self) -> Vec<f64> {
        vec![
            self.best.unwrap_or(f64::NAN),
            f64::from(u8::from(self.best.is_some())),
            self.best_epoch as f64,
            self.wait as f64,
            self.stopped_epoch.map_or(-1.0, |e| e as f64),
        ]
    }

    /// The best parameters so far (empty without restore_best).
    pub fn best_params(&self) -> &[f32] {
        &self.best_params
    }

    /// Restores what [`EarlyStopper::state`] and [`EarlyStopper::best_params`] returned.
    pub fn restore(&mut self, state: &[f64], best_params: &[f32]) -> Result<()> {
        let [best, has_best, best_epoch, wait, stopped] = state else {
            anyhow::bail!(
                "the checkpoint's early-stopping state has {} values; expected 5 (was early stopping added after it was written?)",
                state.len()
            );
        };
        if best_params.len() != self.best_params.len() {
            anyhow::bail!("the checkpoint's best parameters do not fit this model");
        }
        self.best = (*has_best != 0.0).then_some(*best);
        self.best_epoch = *best_epoch as usize;
        self.wait = *wait as usize;
        self.stopped_epoch = (*stopped >= 0.0).then_some(*stopped as usize);
        self.best_params.copy_from_slice(best_params);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: RunShape = RunShape {
        seed: 1,
        epochs: 20,
        steps_per_epoch: 10,
        has_validation: true,
        classification: true,
    };

    fn stopper(src: &str) -> EarlyStopper {
        let cfg: EarlyStopping = toml::from_str(src).unwrap();
        cfg.build(&SHAPE, 1).unwrap()
    }

    fn row(epoch: usize, val_loss: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            lr: 0.1,
            loss: 1.0,
            accuracy: Some(0.5),
            val_loss: Some(val_loss),
            val_accuracy: Some(1.0 - val_loss),
            grad_norm: 1.0,
            seconds: 0.0,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }

    /// The epoch the stopper stops at on `losses` (with params = [epoch]), and the params then.
    fn run(s: &mut EarlyStopper, losses: &[f64]) -> Option<(usize, f32)> {
        let mut p = [0.0f32];
        for (e, &l) in losses.iter().enumerate() {
            p[0] = e as f32;
            if s.after_epoch(&row(e, l), &mut p) {
                return Some((e, p[0]));
            }
        }
        None
    }

    #[test]
    fn patience_0_stops_at_the_first_epoch_without_improvement() {
        let mut s = stopper("");
        assert_eq!(run(&mut s, &[1.0, 0.9, 0.95, 0.5]), Some((2, 2.0)));
        assert_eq!(s.stopped_epoch(), Some(2));
    }

    #[test]
    fn patience_counts_bad_epochs_and_restore_best_puts_the_best_back() {
        let mut s = stopper("patience = 2\nrestore_best = true");
        // best at 1 (0.5); 2, 3 are worse: wait reaches 2 at epoch 3.
        assert_eq!(run(&mut s, &[1.0, 0.5, 0.6, 0.7, 0.1]), Some((3, 1.0)));
    }

    #[test]
    fn min_delta_requires_a_larger_improvement() {
        let mut s = stopper("min_delta = 0.1\npatience = 2");
        // 0.95 and 0.92 improve by < 0.1 on 1.0: not improvements.
        assert_eq!(run(&mut s, &[1.0, 0.95, 0.92, 0.5]), Some((2, 2.0)));
    }

    #[test]
    fn an_accuracy_monitor_is_maximised() {
        let mut s = stopper("monitor = \"val_accuracy\"");
        // val_accuracy = 1 − loss: 0.1, 0.5, 0.4 → stops at 2.
        assert_eq!(run(&mut s, &[0.9, 0.5, 0.6]), Some((2, 2.0)));
    }

    #[test]
    fn the_state_round_trips() {
        let mut s = stopper("patience = 3\nrestore_best = true");
        run(&mut s, &[1.0, 0.5, 0.6]);
        let mut t = stopper("patience = 3\nrestore_best = true");
        t.restore(&s.state(), s.best_params()).unwrap();
        assert_eq!(t.state(), s.state());
        assert_eq!(run(&mut s, &[]), run(&mut t, &[]));
    }

    #[test]
    fn bad_keys_are_named() {
        let cfg: EarlyStopping = toml::from_str("monitor = \"val_acc\"").unwrap();
        let e = cfg.build(&SHAPE, 1).unwrap_err().to_string();
        assert!(
            e.starts_with("train.early_stopping.monitor: expected a column"),
            "{e}"
        );
        let cfg: EarlyStopping = toml::from_str("min_delta = -1.0").unwrap();
        let e = cfg.build(&SHAPE, 1).unwrap_err().to_string();
        assert_eq!(
            e,
            "train.early_stopping.min_delta: expected a finite number >= 0, found -1"
        );
        let cfg: EarlyStopping = toml::from_str("").unwrap();
        let no_val = RunShape {
            has_validation: false,
            ..SHAPE
        };
        let e = cfg.build(&no_val, 1).unwrap_err().to_string();
        assert!(
            e.starts_with("train.early_stopping.monitor: expected loss or accuracy"),
            "{e}"
        );
    }
}

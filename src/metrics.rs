//! One epoch's numbers: one row of `metrics.csv`.

use serde::{Deserialize, Serialize};

/// The columns of `metrics.csv`, in order.
pub const COLUMNS: [&str; 8] = [
    "epoch",
    "lr",
    "loss",
    "accuracy",
    "val_loss",
    "val_accuracy",
    "grad_norm",
    "seconds",
];

/// The columns a run with `[train] ema` adds after `seconds` (and after `momentum`).
pub const EMA_COLUMNS: [&str; 2] = ["val_loss_ema", "val_accuracy_ema"];

/// The columns after `seconds` of a run, in the SPEC's order: `momentum` when the schedule
/// cycles it, then the EMA columns with `[train] ema`.
pub fn optional_columns(momentum: bool, ema: bool) -> &'static [&'static str] {
    match (momentum, ema) {
        (false, false) => &[],
        (true, false) => &["momentum"],
        (false, true) => &EMA_COLUMNS,
        (true, true) => &["momentum", "val_loss_ema", "val_accuracy_ema"],
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 0-based.
    pub epoch: usize,
    /// The rate used for the epoch's first step.
    pub lr: f64,
    /// Mean over the epoch's training batches.
    pub loss: f64,
    /// Mean over the epoch's training batches; `None` for regression.
    pub accuracy: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// Mean global gradient L2 norm over the epoch's steps (before clipping).
    pub grad_norm: f64,
    /// Wall time of the epoch's training steps, evaluation excluded.
    pub seconds: f64,
    /// The momentum / beta1 of the epoch's first step, when the schedule cycles it.
    #[serde(default)]
    pub momentum: Option<f64>,
    /// With `[train] ema`: the validation loss and accuracy of the averaged weights.
    #[serde(default)]
    pub val_loss_ema: Option<f64>,
    #[serde(default)]
    pub val_accuracy_ema: Option<f64>,
}

impl EpochMetrics {
    /// A metric by its CSV column name (`val_loss`, `accuracy`, …); `None` when empty or unknown.
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "epoch" => Some(self.epoch as f64),
            "lr" => Some(self.lr),
            "loss" => Some(self.loss),
            "accuracy" => self.accuracy,
            "val_loss" => self.val_loss,
            "val_accuracy" => self.val_accuracy,
            "grad_norm" => Some(self.grad_norm),
            "seconds" => Some(self.seconds),
            "momentum" => self.momentum,
            "val_loss_ema" => self.val_loss_ema,
            "val_accuracy_ema" => self.val_accuracy_ema,
            _ => None,
        }
    }
}

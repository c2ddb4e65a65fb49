//! One epoch's numbers: one row of `metrics.csv` (its column names: `metric/columns.rs`).

use serde::{Deserialize, Serialize};

use crate::metric::columns::EpochValues;

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
    /// Learning-rate-free optimizers (Prodigy): the mean over the epoch's steps of the rate each
    /// step applied; the column `effective_lr` exists only for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_lr: Option<f64>,
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
            "effective_lr" => self.effective_lr,
            _ => None,
        }
    }
}

impl EpochValues for EpochMetrics {
    fn epoch(&self) -> usize {
        self.epoch
    }
    fn get(&self, name: &str) -> Option<f64> {
        EpochMetrics::get(self, name)
    }
}

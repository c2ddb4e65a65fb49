//! `summary.json`: the resolved config, status, final and best metrics, timing, version.

use serde::Serialize;

use crate::config::RunConfig;
use crate::metric::Metric;
use crate::train::EpochMetrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    Completed,
    Diverged,
    Interrupted,
}

/// Which metric picks the best epoch, and in which direction.
#[derive(Debug, Clone, Serialize)]
pub struct Best {
    pub metric: &'static str,
    pub epoch: usize,
    pub value: f64,
    pub metrics: EpochMetrics,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub lrtrain_version: &'static str,
    pub status: Status,
    pub epochs_run: usize,
    pub steps: usize,
    pub threads: usize,
    pub total_seconds: f64,
    #[serde(rename = "final")]
    pub final_metrics: Option<EpochMetrics>,
    pub best: Option<Best>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias: Option<f32>,
    /// CSV class labels in output order (the sorted distinct labels of the training file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// With `[train] early_stopping`: whether it ended the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<bool>,
    /// 0-based, the last epoch trained, when early stopping ended the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_epoch: Option<usize>,
    pub config: RunConfig,
}

/// The metric that ranks epochs ([`Metric::natural`]): validation accuracy for classification
/// (training accuracy without a validation set), else validation loss, else training loss; its
/// best finite value, the first epoch on a tie.
pub fn best_metric(rows: &[EpochMetrics]) -> Option<Best> {
    let first = rows.first()?;
    let metric = Metric::natural(
        first.accuracy.is_some() || first.val_accuracy.is_some(),
        first.val_loss.is_some() || first.val_accuracy.is_some(),
    );
    let (value, m) = metric.best_of(
        rows.iter()
            .filter_map(|m| m.get(metric.name()).map(|v| (v, m))),
    )?;
    Some(Best {
        metric: metric.name(),
        epoch: m.epoch,
        value,
        metrics: m.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize, val_acc: Option<f64>, val_loss: Option<f64>) -> EpochMetrics {
        EpochMetrics {
            epoch,
            lr: 0.1,
            loss: 1.0 / (epoch + 1) as f64,
            accuracy: val_acc.map(|_| 0.5),
            val_loss,
            val_accuracy: val_acc,
            grad_norm: 1.0,
            seconds: 0.0,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }

    #[test]
    fn the_best_epoch_is_the_highest_validation_accuracy() {
        let rows = [
            row(0, Some(0.8), Some(0.5)),
            row(1, Some(0.9), Some(0.4)),
            row(2, Some(0.85), Some(0.3)),
        ];
        let b = best_metric(&rows).unwrap();
        assert_eq!((b.metric, b.epoch, b.value), ("val_accuracy", 1, 0.9));
    }

    #[test]
    fn regression_ranks_by_lowest_validation_loss_then_training_loss() {
        let rows = [
            row(0, None, Some(0.5)),
            row(1, None, Some(0.2)),
            row(2, None, Some(0.3)),
        ];
        let b = best_metric(&rows).unwrap();
        assert_eq!((b.metric, b.epoch), ("val_loss", 1));
        let rows = [row(0, None, None), row(1, None, None)];
        let b = best_metric(&rows).unwrap();
        assert_eq!((b.metric, b.epoch), ("loss", 1));
    }
}

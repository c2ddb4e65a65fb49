//! The columns of `metrics.csv` by name (SPEC "Outputs of a run"), and [`EpochValues`]: what the
//! layers below the training loop (feedback schedules) read of one epoch's row without knowing
//! its type (`train::EpochMetrics`).

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

/// The columns after `seconds`, each only where it applies, always in this order (SPEC
/// "Outputs of a run"): `momentum` (the schedule cycles it), `effective_lr` (learning-rate-free
/// optimizers), `val_loss_ema` and `val_accuracy_ema` (`[train] ema`).
pub const OPTIONAL_COLUMNS: [&str; 4] = [
    "momentum",
    "effective_lr",
    "val_loss_ema",
    "val_accuracy_ema",
];

/// The column after `seconds` (and `momentum`) that runs of learning-rate-free optimizers add.
pub const EFFECTIVE_LR: &str = "effective_lr";

/// The optional columns of a run, in the SPEC's order.
pub fn optional_columns(momentum: bool, effective_lr: bool, ema: bool) -> Vec<&'static str> {
    OPTIONAL_COLUMNS
        .iter()
        .copied()
        .filter(|c| match *c {
            "momentum" => momentum,
            "effective_lr" => effective_lr,
            _ => ema,
        })
        .collect()
}

/// One epoch's numbers by column name: the view of an epoch row that feedback schedules
/// (`plateau`, `grad_norm`, `chain`, `sequential`) observe.
pub trait EpochValues {
    /// 0-based.
    fn epoch(&self) -> usize;
    /// A metric by its CSV column name (`val_loss`, `accuracy`, …); `None` when empty or unknown.
    fn get(&self, name: &str) -> Option<f64>;
}

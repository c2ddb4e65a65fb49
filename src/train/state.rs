//! The trainer's whole state at an epoch boundary ([`crate::train::Trainer::state`] and
//! [`crate::train::Trainer::restore`]): what `checkpoint.bin` stores (`run/checkpoint.rs` gives
//! its bytes).

/// The trainer's whole state at an epoch boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainState {
    pub epochs_done: u64,
    /// Global optimizer steps taken.
    pub step: u64,
    pub optimizer_steps: u64,
    pub params: Vec<f32>,
    pub optimizer_buffers: Vec<Vec<f32>>,
    pub schedule: Vec<f64>,
    /// The optimizer's scalar state (`Optimizer::scalar_state`).
    pub optimizer_scalars: Vec<f64>,
    /// Early stopping's counters (empty without `[train] early_stopping`).
    pub early_stopping: Vec<f64>,
    /// Early stopping's best parameters so far (empty unless `restore_best`).
    pub best_params: Vec<f32>,
    /// The EMA of the parameters (empty without `[train] ema`) and its update count.
    pub ema: Vec<f32>,
    pub ema_updates: u64,
}

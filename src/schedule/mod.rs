//! Learning-rate schedules: pure functions of t (like optax), except the feedback kinds.
//!
//! INTERFACE SKETCH — the schedule helper replaces the bodies; the signatures are what the trainer uses.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::metrics::EpochMetrics;

/// What the schedule may know about the run before it starts.
#[derive(Debug, Clone, Copy)]
pub struct RunShape {
    pub seed: u64,
    pub epochs: usize,
    pub steps_per_epoch: usize,
    pub has_validation: bool,
    pub classification: bool,
}

/// `[schedule]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleConfig {
    #[serde(flatten)]
    pub kind: ScheduleKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScheduleKind {
    Constant(ConstantConfig),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantConfig {}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            kind: ScheduleKind::Constant(ConstantConfig {}),
        }
    }
}

/// A schedule ready to run: kind, unit and warmup resolved once.
pub struct LrSchedule {}

impl LrSchedule {
    /// Validates the keys (errors name them: `schedule.step_size: …`).
    pub fn new(_cfg: &ScheduleConfig, _lr0: f64, _shape: &RunShape) -> Result<LrSchedule> {
        todo!()
    }
    /// Warnings for legal but suspicious settings (printed on stderr by the caller).
    pub fn lint(_cfg: &ScheduleConfig, _lr0: f64, _shape: &RunShape) -> Vec<String> {
        todo!()
    }
    /// The rate for global 0-based optimizer `step`, which lies in 0-based `epoch`.
    pub fn rate(&self, _step: usize, _epoch: usize) -> f64 {
        todo!()
    }
    /// Called after every optimizer step with that step's global gradient norm (before clipping).
    pub fn after_step(&mut self, _step: usize, _epoch: usize, _grad_norm: f64) {}
    /// Called after every epoch, once its metrics (validation included) are known.
    pub fn after_epoch(&mut self, _metrics: &EpochMetrics) {}
    /// True for kinds that need a training signal (plateau, grad_norm): `lrtrain schedule` refuses them.
    pub fn needs_feedback(&self) -> bool {
        false
    }
}

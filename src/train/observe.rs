//! Observers of a training run: what the library passes to [`crate::Trainer::train`]. The
//! command line's observer is the run recorder (`run/recorder.rs`).

use anyhow::Result;

use super::{EpochMetrics, Observer};

/// Sees nothing and never asks to stop: for training in-process where only the outcome and the
/// network matter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {
    fn on_epoch(&mut self, _metrics: &EpochMetrics) -> Result<()> {
        Ok(())
    }
}

/// Keeps every epoch's metrics (the rows of metrics.csv) in memory.
#[derive(Debug, Clone, Default)]
pub struct Collect {
    pub rows: Vec<EpochMetrics>,
}

impl Observer for Collect {
    fn on_epoch(&mut self, metrics: &EpochMetrics) -> Result<()> {
        self.rows.push(metrics.clone());
        Ok(())
    }
}

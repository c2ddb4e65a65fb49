//! The recorder: what a run writes while it trains and when it ends (metrics.csv rows,
//! summary.json, checkpoints), and its progress display.

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::{CheckpointPolicy, LoadedConfig, RunConfig};
use crate::error::interrupt;
use crate::run::checkpoint::{CHECKPOINT_FILE, Checkpoint};
use crate::run::dir::RunDir;
use crate::run::metrics_csv::MetricsWriter;
use crate::run::progress::Progress;
use crate::run::summary::{self, Status, Summary};
use crate::train::EpochMetrics;
use crate::train::{Observer, Trainer};

/// How often a running summary.json is rewritten at most; the final one is always written.
const SUMMARY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Test hook: with this set to N (milliseconds), the time-based checkpoint default uses N instead
/// of `CHECKPOINT_INTERVAL`, so tests can kill a run between two time-based checkpoints without
/// running for many seconds.
const INTERVAL_HOOK: &str = "LRTRAIN_TEST_CHECKPOINT_INTERVAL_MS";

/// The config's checkpoint policy (with the test hook applied to the time-based default).
pub(super) fn checkpoint_policy(cfg: &RunConfig) -> CheckpointPolicy {
    match cfg.output.checkpoint_policy() {
        CheckpointPolicy::Every(interval) => CheckpointPolicy::Every(
            std::env::var(INTERVAL_HOOK)
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(interval, Duration::from_millis),
        ),
        other => other,
    }
}

/// Test hook: with this set to N, the process aborts after writing the temporary file of the
/// checkpoint of epoch N and before renaming it (a crash mid-write, on demand).
pub(super) const CRASH_HOOK: &str = "LRTRAIN_TEST_CRASH_BEFORE_CHECKPOINT_RENAME";

/// Writes each finished epoch to metrics.csv and summary.json and shows progress.
pub(super) struct Recorder<'a> {
    pub(super) loaded: &'a LoadedConfig,
    pub(super) run_dir: &'a RunDir,
    pub(super) writer: MetricsWriter,
    pub(super) progress: Progress,
    pub(super) rows: Vec<EpochMetrics>,
    pub(super) threads: usize,
    pub(super) steps_per_epoch: usize,
    pub(super) started: Instant,
    pub(super) epochs: usize,
    pub(super) policy: CheckpointPolicy,
    /// When the last checkpoint was written (or the run started).
    pub(super) last_checkpoint: Instant,
    /// Time spent encoding and writing checkpoints (and rewriting the running summary.json):
    /// not counted in `total_seconds`.
    pub(super) io_time: Duration,
    pub(super) config_hash: u64,
    /// CSV class names in output order, for summary.json.
    pub(super) classes: Option<Vec<String>>,
    /// The encoded checkpoint of the last complete epoch when it was not due for writing: written
    /// if the run is interrupted before the next one.
    pub(super) pending: Option<(usize, Vec<u8>)>,
    /// When the running summary was last rewritten (see `on_epoch`).
    pub(super) summary_written: Instant,
    pub(super) crash_before_rename: Option<usize>,
    /// `Some(stopped epoch or None)` with `[train] early_stopping`, for summary.json.
    pub(super) early_stop: Option<Option<usize>>,
}

impl Recorder<'_> {
    /// Wall time of the run so far without checkpoint and running-summary I/O (`total_seconds`).
    pub(super) fn seconds(&self) -> f64 {
        self.started
            .elapsed()
            .saturating_sub(self.io_time)
            .as_secs_f64()
    }

    fn write_checkpoint(&mut self, epochs_done: usize, bytes: &[u8]) -> Result<()> {
        if self.crash_before_rename == Some(epochs_done) {
            let tmp = self.run_dir.file(&format!("{CHECKPOINT_FILE}.tmp"));
            let _ = std::fs::write(tmp, bytes);
            std::process::abort();
        }
        let started = Instant::now();
        let result = self.run_dir.write_atomic(CHECKPOINT_FILE, bytes);
        self.io_time += started.elapsed();
        self.last_checkpoint = Instant::now();
        result
    }

    pub(super) fn write_pending(&mut self) -> Result<()> {
        match self.pending.take() {
            Some((done, bytes)) => self.write_checkpoint(done, &bytes),
            None => Ok(()),
        }
    }

    pub(super) fn write_summary(
        &self,
        status: Status,
        steps: usize,
        coefficients: Option<(Vec<f32>, f32)>,
    ) -> Result<()> {
        let (weights, bias) = match coefficients {
            Some((w, b)) => (Some(w), Some(b)),
            None => (None, None),
        };
        let summary = Summary {
            lrtrain_version: env!("CARGO_PKG_VERSION"),
            status,
            epochs_run: self.rows.len(),
            steps,
            threads: self.threads,
            total_seconds: self.seconds(),
            final_metrics: self.rows.last().cloned(),
            best: summary::best_metric(&self.rows),
            weights,
            bias,
            classes: self.classes.clone(),
            stopped_early: self.early_stop.map(|e| e.is_some()),
            stopped_epoch: self.early_stop.flatten(),
            config: self.loaded.config.clone(),
        };
        let json = serde_json::to_string_pretty(&summary)?;
        self.run_dir.write_atomic("summary.json", json.as_bytes())
    }
}

impl Observer for Recorder<'_> {
    fn on_step(&mut self, _epoch: usize, _step_in_epoch: usize) {
        self.progress.step();
    }

    fn should_stop(&self) -> bool {
        interrupt::requested()
    }

    /// The row is already written; the checkpoint follows it. A crash between the two leaves one
    /// row more than the checkpoint covers, which resuming cuts off.
    fn on_epoch_end(&mut self, trainer: &Trainer<'_>) -> Result<()> {
        let done = trainer.epochs_done();
        let due = match self.policy {
            CheckpointPolicy::Never => return Ok(()),
            CheckpointPolicy::Epochs(n) => done.is_multiple_of(n),
            CheckpointPolicy::Every(interval) => self.last_checkpoint.elapsed() >= interval,
        } || done == self.epochs;
        let started = Instant::now();
        let bytes = Checkpoint {
            config_hash: self.config_hash,
            state: trainer.state(),
        }
        .encode();
        self.io_time += started.elapsed();
        if due || trainer.stopped_epoch().is_some() {
            self.pending = None;
            self.write_checkpoint(done, &bytes)
        } else {
            self.pending = Some((done, bytes));
            Ok(())
        }
    }

    fn on_epoch(&mut self, metrics: &EpochMetrics) -> Result<()> {
        self.writer.write(metrics)?;
        self.rows.push(metrics.clone());
        self.progress.epoch(metrics);
        // metrics.csv already holds the row; the running summary only mirrors it, so rewriting
        // (and syncing) it after every epoch would make runs of tiny epochs I/O-bound.
        if self.summary_written.elapsed() < SUMMARY_INTERVAL {
            return Ok(());
        }
        self.summary_written = Instant::now();
        let result = self.write_summary(
            Status::Running,
            self.rows.len() * self.steps_per_epoch,
            None,
        );
        // A synced rewrite, like a checkpoint: the disk's time, not the run's.
        self.io_time += self.summary_written.elapsed();
        result
    }
}

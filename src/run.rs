//! One training run of a loaded config into a run directory: what `lrtrain train` does, and
//! what `compare` does once per config and seed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::config::{self, LoadedConfig};
use crate::data;
use crate::error;
use crate::metrics::EpochMetrics;
use crate::output::RunDir;
use crate::output::csv::MetricsWriter;
use crate::output::curves;
use crate::output::summary::{self, Status, Summary};
use crate::progress::Progress;
use crate::schedule::LrSchedule;
use crate::train::{self, Observer, Trainer};

/// How to run, beyond the config itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out: PathBuf,
    pub force: bool,
    pub quiet: bool,
    /// Threads to use instead of the config's `threads` (compare divides the cores).
    pub threads: Option<usize>,
}

/// A run that started: its directory, its rows, and how it ended.
#[derive(Debug)]
pub struct RunOutcome {
    pub dir: RunDir,
    pub rows: Vec<EpochMetrics>,
    pub status: Status,
    pub seconds: f64,
    /// `Diverged` or `Interrupted` (exit 3 / 130), or an I/O failure during the run.
    pub error: Option<anyhow::Error>,
}

/// Loads the data, builds the model, creates the run directory and trains. An `Err` means
/// nothing was trained (bad data or config: exit 2; the directory cannot be made: exit 1).
pub fn execute(loaded: &LoadedConfig, opts: &RunOptions) -> Result<RunOutcome> {
    let cfg = &loaded.config;
    let splits = data::load(&cfg.data, cfg.model.task(), cfg.seed).map_err(|e| loaded.usage(e))?;
    let threads = opts
        .threads
        .unwrap_or_else(|| config::resolve_threads(cfg.threads));
    let mut trainer = Trainer::new(cfg, &splits, threads).map_err(|e| loaded.usage(e))?;
    let shape = train::run_shape(cfg, splits.train.rows, splits.validation.is_some());
    let run_dir = RunDir::create(&opts.out, opts.force)?;

    let progress = Progress::new(opts.quiet, cfg.train.epochs, shape.steps_per_epoch);
    for warning in LrSchedule::lint(&cfg.schedule, cfg.optimizer.lr0(), &shape) {
        progress.note(&format!("warning: {warning}"));
    }
    run_dir.write_atomic("config.toml", loaded.to_toml()?.as_bytes())?;
    let mut recorder = Recorder {
        loaded,
        run_dir: &run_dir,
        writer: MetricsWriter::create(&run_dir.file("metrics.csv"))?,
        progress,
        rows: Vec::new(),
        threads,
        steps_per_epoch: shape.steps_per_epoch,
        started: Instant::now(),
    };
    recorder.write_summary(Status::Running, 0, None)?;

    let result = trainer.run(cfg.train.epochs, &mut recorder);
    recorder.progress.finish();
    let status = match &result {
        Ok(()) => Status::Completed,
        Err(e) => match error::exit_code(e) {
            3 => Status::Diverged,
            130 => Status::Interrupted,
            _ => Status::Running,
        },
    };
    let coefficients = trainer.network().linear_coefficients();
    recorder.write_summary(status, trainer.steps_done(), coefficients)?;
    // A chart is a convenience: failing to draw one does not fail the run.
    if let Err(e) = curves::write(&run_dir, &recorder.rows) {
        recorder
            .progress
            .note(&format!("warning: curves.svg: {e:#}"));
    }
    let seconds = recorder.started.elapsed().as_secs_f64();
    Ok(RunOutcome {
        rows: recorder.rows,
        dir: run_dir,
        status,
        seconds,
        error: result.err(),
    })
}

/// Writes each finished epoch to metrics.csv and summary.json and shows progress.
struct Recorder<'a> {
    loaded: &'a LoadedConfig,
    run_dir: &'a RunDir,
    writer: MetricsWriter,
    progress: Progress,
    rows: Vec<EpochMetrics>,
    threads: usize,
    steps_per_epoch: usize,
    started: Instant,
}

impl Recorder<'_> {
    fn write_summary(
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
            total_seconds: self.started.elapsed().as_secs_f64(),
            final_metrics: self.rows.last().cloned(),
            best: summary::best_metric(&self.rows),
            weights,
            bias,
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

    fn on_epoch(&mut self, metrics: &EpochMetrics) -> Result<()> {
        self.writer.write(metrics)?;
        self.rows.push(metrics.clone());
        self.progress.epoch(metrics);
        self.write_summary(
            Status::Running,
            self.rows.len() * self.steps_per_epoch,
            None,
        )
    }
}

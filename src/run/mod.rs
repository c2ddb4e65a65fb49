//! One training run of a loaded config into a run directory: what `lrtrain train` does, and
//! what `compare` does once per config and seed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::checkpoint::{self, CHECKPOINT_FILE, Checkpoint, PARAMS_FILE};
use crate::config::{self, CheckpointPolicy, LoadedConfig, RunConfig};
use crate::data;
use crate::data::tabular::PREPROCESSING_FILE;
use crate::error::{self, UsageError};
use crate::interrupt;
use crate::metrics::EpochMetrics;
use crate::output::RunDir;
use crate::output::csv::{MetricsWriter, read_rows as read_csv_rows};
use crate::output::curves;
use crate::output::summary::{self, Status, Summary};
use crate::progress::{Ending, Progress, Verbosity};
use crate::schedule::{self, LrSchedule, RunShape};
use crate::train::{self, Observer, Trainer};

/// How to run, beyond the config itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out: PathBuf,
    pub force: bool,
    /// `--quiet`, default or `--verbose`.
    pub verbosity: Verbosity,
    /// Prefix of plain progress lines (compare's runs share one stderr); empty for one run.
    pub label: String,
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
    /// `Diverged` or `Interrupted` (exit 3 / 130 or 143), or an I/O failure during the run.
    pub error: Option<anyhow::Error>,
}

/// Loads the data, builds the model, creates the run directory and trains. An `Err` means
/// nothing was trained (bad data or config: exit 2; the directory cannot be made: exit 1).
pub fn execute(loaded: &LoadedConfig, opts: &RunOptions) -> Result<RunOutcome> {
    start(loaded, opts, false)
}

/// Goes on from the run directory's `checkpoint.bin` (`--resume`): the same config (only
/// `train.epochs` and `[output]` may differ), metrics.csv cut back to the checkpoint's epochs and
/// appended to. A run that already has all its epochs is finished again without training.
pub fn resume(loaded: &LoadedConfig, opts: &RunOptions) -> Result<RunOutcome> {
    start(loaded, opts, true)
}

fn start(loaded: &LoadedConfig, opts: &RunOptions, resume: bool) -> Result<RunOutcome> {
    let cfg = &loaded.config;
    let checkpoint = match resume {
        true => read_checkpoint(&opts.out, loaded)?,
        false => None,
    };
    let splits = data::load(&cfg.data, cfg.model.task(), cfg.seed).map_err(|e| loaded.usage(e))?;
    let threads = opts
        .threads
        .unwrap_or_else(|| config::resolve_threads(cfg.threads));
    let mut trainer = Trainer::new(cfg, &splits, threads).map_err(|e| loaded.usage(e))?;
    let shape = train::run_shape(cfg, splits.train.rows, splits.validation.is_some());
    let run_dir = match &checkpoint {
        // A run stopped before its first checkpoint: it starts again from epoch 0 in its own
        // directory (every draw is a function of the seed, so this is the same run).
        None if resume => RunDir {
            path: opts.out.clone(),
        },
        Some(c) => {
            let file = opts.out.join(CHECKPOINT_FILE);
            trainer.restore(&c.state).map_err(|e| {
                UsageError(format!(
                    "{}: does not fit the config: {e:#}",
                    file.display()
                ))
            })?;
            RunDir {
                path: opts.out.clone(),
            }
        }
        None => {
            let dir = RunDir::create(&opts.out, opts.force)?;
            // A replaced run's checkpoint and parameters must not outlive it (--force).
            for stale in [CHECKPOINT_FILE, PARAMS_FILE, PREPROCESSING_FILE] {
                match std::fs::remove_file(dir.file(stale)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(anyhow::Error::new(e)
                            .context(format!("removing {}", dir.file(stale).display())));
                    }
                    _ => {}
                }
            }
            dir
        }
    };

    let done = checkpoint
        .as_ref()
        .map_or(0, |c| c.state.epochs_done as usize);
    let progress = if opts.label.is_empty() || opts.verbosity.is_quiet() {
        Progress::new(
            opts.verbosity,
            cfg.train.epochs,
            shape.steps_per_epoch,
            done,
        )
    } else {
        Progress::lines(
            cfg.train.epochs,
            opts.label.clone(),
            opts.verbosity == Verbosity::Verbose,
        )
    };
    for warning in LrSchedule::lint(&cfg.schedule, cfg.optimizer.lr0(), &shape) {
        progress.note(&format!("warning: {warning}"));
    }
    if resume && let Some(note) = horizons_recomputed(&run_dir.file("config.toml"), loaded, &shape)
    {
        progress.note(&note);
    }
    run_dir.write_atomic("config.toml", loaded.to_toml(&shape)?.as_bytes())?;
    for note in &splits.notes {
        progress.note(note);
    }
    // Fitted before training, so eval/predict/export can use it with any later params.bin.
    if let Some(p) = &splits.preprocessing {
        let json = serde_json::to_string_pretty(p)?;
        run_dir.write_atomic(PREPROCESSING_FILE, json.as_bytes())?;
    }
    let metrics_path = run_dir.file("metrics.csv");
    let lr_free = cfg.optimizer.learning_rate_free();
    let (writer, rows) = match &checkpoint {
        Some(c) => {
            let rows = checkpointed_rows(&metrics_path, c.state.epochs_done as usize)?;
            (MetricsWriter::resume(&metrics_path, &rows, lr_free)?, rows)
        }
        None => (MetricsWriter::create(&metrics_path, lr_free)?, Vec::new()),
    };
    if resume {
        let done = trainer.epochs_done();
        progress.note(&if checkpoint.is_none() {
            format!(
                "{}: no checkpoint yet (the run stopped before its first one); training again from epoch 1",
                run_dir.path.display()
            )
        } else if done == cfg.train.epochs {
            format!(
                "{}: already has all {done} epochs; nothing to train",
                run_dir.path.display()
            )
        } else {
            format!(
                "{}: resuming after epoch {done} of {}",
                run_dir.path.display(),
                cfg.train.epochs
            )
        });
    }
    let mut recorder = Recorder {
        loaded,
        run_dir: &run_dir,
        writer,
        progress,
        rows,
        threads,
        steps_per_epoch: shape.steps_per_epoch,
        started: Instant::now(),
        epochs: cfg.train.epochs,
        policy: checkpoint_policy(cfg),
        last_checkpoint: Instant::now(),
        io_time: Duration::ZERO,
        config_hash: checkpoint::config_hash(cfg),
        classes: splits
            .preprocessing
            .as_ref()
            .and_then(|p| p.classes.clone()),
        pending: None,
        summary_written: Instant::now(),
        crash_before_rename: std::env::var(CRASH_HOOK).ok().and_then(|v| v.parse().ok()),
    };
    recorder.write_summary(Status::Running, trainer.steps_done(), None)?;

    let result = trainer.run(cfg.train.epochs, &mut recorder);
    // What is kept and reported: the optimizer's evaluation point (schedule-free: the average x).
    let final_params = trainer.eval_params();
    recorder.progress.finish(match result {
        Ok(()) => Ending::Completed,
        Err(_) => Ending::Stopped,
    });
    let status = match &result {
        Ok(()) => Status::Completed,
        Err(e) if error::is_interrupted(e) => Status::Interrupted,
        Err(e) => match error::exit_code(e) {
            3 => Status::Diverged,
            _ => Status::Running,
        },
    };
    match status {
        // The trainer may be partway into an abandoned epoch: keep the last complete one.
        Status::Interrupted => recorder.write_pending()?,
        Status::Completed => run_dir.write_atomic(
            PARAMS_FILE,
            &checkpoint::encode_params(recorder.config_hash, &final_params),
        )?,
        _ => {}
    }
    let coefficients = trainer.network().linear_coefficients_at(&final_params);
    let steps = recorder.rows.len() * shape.steps_per_epoch;
    recorder.write_summary(status, steps, coefficients)?;
    // A chart is a convenience: failing to draw one does not fail the run.
    if let Err(e) = curves::write(&run_dir, &recorder.rows) {
        recorder
            .progress
            .note(&format!("warning: curves.svg: {e:#}"));
    }
    let seconds = recorder.seconds();
    Ok(RunOutcome {
        rows: recorder.rows,
        dir: run_dir,
        status,
        seconds,
        error: result.err(),
    })
}

/// How often a running summary.json is rewritten at most; the final one is always written.
const SUMMARY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Test hook: with this set to N (milliseconds), the time-based checkpoint default uses N instead
/// of `CHECKPOINT_INTERVAL`, so tests can kill a run between two time-based checkpoints without
/// running for many seconds.
const INTERVAL_HOOK: &str = "LRTRAIN_TEST_CHECKPOINT_INTERVAL_MS";

/// The config's checkpoint policy (with the test hook applied to the time-based default).
fn checkpoint_policy(cfg: &RunConfig) -> CheckpointPolicy {
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
const CRASH_HOOK: &str = "LRTRAIN_TEST_CRASH_BEFORE_CHECKPOINT_RENAME";

/// The first `epochs_done` rows of metrics.csv: the rows the checkpoint covers. A crash between
/// writing a row and renaming its checkpoint leaves one row more, which is cut off here.
fn checkpointed_rows(path: &Path, epochs_done: usize) -> Result<Vec<EpochMetrics>> {
    let mut rows = read_csv_rows(path).map_err(|e| UsageError(format!("{e:#}")))?;
    if rows.len() < epochs_done {
        crate::bail_usage!(
            "{}: holds {} rows but the checkpoint is at epoch {epochs_done}; the run directory was changed by hand",
            path.display(),
            rows.len()
        );
    }
    rows.truncate(epochs_done);
    Ok(rows)
}

/// When a resumed run's length differs from that in its `config.toml` (`resume --epochs N`), the
/// omitted horizons that follow the run's length and change with it, as one line:
/// `extending the run from 20 to 30 epochs: schedule.total 20 → 30 (…)`. `None` when nothing
/// changes (or the old config cannot be read: the config check has reported that).
fn horizons_recomputed(old_path: &Path, loaded: &LoadedConfig, shape: &RunShape) -> Option<String> {
    let old: RunConfig = toml::from_str(&std::fs::read_to_string(old_path).ok()?).ok()?;
    let cfg = &loaded.config;
    let (from, to) = (old.train.epochs, cfg.train.epochs);
    if from == to {
        return None;
    }
    let lr0 = cfg.optimizer.lr0();
    let old_shape = RunShape {
        epochs: from,
        ..*shape
    };
    let before = schedule::omitted_horizons(&old.schedule, lr0, &old_shape);
    let after = schedule::omitted_horizons(&cfg.schedule, lr0, shape);
    let changes: Vec<String> = after
        .iter()
        .filter_map(|a| {
            let b = before
                .iter()
                .find(|b| b.table == a.table && b.key == a.key)?;
            (b.value != a.value).then(|| format!("{}.{} {} → {}", a.table, a.key, b.value, a.value))
        })
        .collect();
    if changes.is_empty() {
        return None;
    }
    let verb = if to > from { "extending" } else { "shortening" };
    Some(format!(
        "{verb} the run from {from} to {to} epochs: {} (omitted horizons follow the run's length; the epochs already trained keep the rates they had)",
        changes.join(", ")
    ))
}

/// Reads the checkpoint to resume from and checks that it belongs to this config. `None`: the
/// run directory holds this config's run but no checkpoint yet (the run was killed before its
/// first time-based one), so it is trained again from the start.
fn read_checkpoint(dir: &Path, loaded: &LoadedConfig) -> Result<Option<Checkpoint>> {
    let cfg = &loaded.config;
    let file = dir.join(CHECKPOINT_FILE);
    if !dir.is_dir() {
        crate::bail_usage!(
            "{}: no run to resume (not a directory); start it without --resume",
            dir.display()
        );
    }
    if !file.exists() {
        let stored = dir.join("config.toml");
        if cfg.output.checkpoint_policy() == CheckpointPolicy::Never || !stored.is_file() {
            crate::bail_usage!(
                "{}: no checkpoint to resume from (no epoch finished yet, or output.checkpoint_every = 0); start the run again without --resume",
                file.display()
            );
        }
        let stored = config::load_run(dir, &[])?;
        if checkpoint::config_hash(&stored.config) != checkpoint::config_hash(cfg) {
            crate::bail_usage!(
                "{}: the config differs from the run's{}; only train.epochs (and [output]) may change on resume",
                stored.path.display(),
                describe_changes(&stored.path, cfg)
            );
        }
        return Ok(None);
    }
    let c = Checkpoint::read(&file)?;
    if !checkpoint::belongs_to(c.config_hash, loaded) {
        crate::bail_usage!(
            "{}: the config differs from the checkpointed run's{}; only train.epochs (and [output]) may change on resume",
            file.display(),
            describe_changes(&dir.join("config.toml"), cfg)
        );
    }
    if c.state.epochs_done as usize > cfg.train.epochs {
        crate::bail_usage!(
            "{}: the run already has {} epochs, more than train.epochs = {}; pass --epochs {} or more",
            file.display(),
            c.state.epochs_done,
            cfg.train.epochs,
            c.state.epochs_done
        );
    }
    Ok(Some(c))
}

/// ` (optimizer.lr: 0.1 → 0.2, …)`, from the run's config.toml; empty when it cannot be read.
fn describe_changes(old_path: &Path, cfg: &RunConfig) -> String {
    let old = std::fs::read_to_string(old_path)
        .ok()
        .and_then(|t| toml::from_str::<RunConfig>(&t).ok());
    let (Some(old), Ok(new)) = (old, toml::Value::try_from(checkpoint::comparable(cfg))) else {
        return String::new();
    };
    let Ok(old) = toml::Value::try_from(checkpoint::comparable(&old)) else {
        return String::new();
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten(&old, "", &mut a);
    flatten(&new, "", &mut b);
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    let find = |v: &[(String, String)], k: &str| {
        v.iter()
            .find(|(x, _)| x == k)
            .map_or("(absent)".to_string(), |(_, v)| v.clone())
    };
    let changes: Vec<String> = keys
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (find(&a, k), find(&b, k));
            (x != y).then(|| format!("{k}: {x} → {y}"))
        })
        .collect();
    if changes.is_empty() {
        String::new()
    } else {
        format!(" ({})", changes.join(", "))
    }
}

fn flatten(v: &toml::Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
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
    epochs: usize,
    policy: CheckpointPolicy,
    /// When the last checkpoint was written (or the run started).
    last_checkpoint: Instant,
    /// Time spent encoding and writing checkpoints (and rewriting the running summary.json):
    /// not counted in `total_seconds`.
    io_time: Duration,
    config_hash: u64,
    /// CSV class names in output order, for summary.json.
    classes: Option<Vec<String>>,
    /// The encoded checkpoint of the last complete epoch when it was not due for writing: written
    /// if the run is interrupted before the next one.
    pending: Option<(usize, Vec<u8>)>,
    /// When the running summary was last rewritten (see `on_epoch`).
    summary_written: Instant,
    crash_before_rename: Option<usize>,
}

impl Recorder<'_> {
    /// Wall time of the run so far without checkpoint and running-summary I/O (`total_seconds`).
    fn seconds(&self) -> f64 {
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

    fn write_pending(&mut self) -> Result<()> {
        match self.pending.take() {
            Some((done, bytes)) => self.write_checkpoint(done, &bytes),
            None => Ok(()),
        }
    }

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
            total_seconds: self.seconds(),
            final_metrics: self.rows.last().cloned(),
            best: summary::best_metric(&self.rows),
            weights,
            bias,
            classes: self.classes.clone(),
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
        if due {
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

//! One training run of a loaded config into a run directory, in three phases: prepare (data,
//! model, the directory, the checkpoint to go on from), train ([`Trainer::run`] with the
//! recorder (`recorder.rs`) writing every epoch), finish (status from the trainer's [`Outcome`],
//! params.bin, the final summary.json and curves.svg). `train`, `resume`, `compare` and `sweep`
//! all run through here; `find-lr` shares the directory creation ([`dir`]).
//!
//! The folder, in the order a run meets it: [`dir`] (the run directory), `resume.rs`'s checks
//! before going on, the recorder writing [`metrics_csv`], [`summary`] and [`checkpoint`] files
//! after each epoch, [`progress`] on stderr, then [`require`] (`--require`) on the finished run
//! and [`trained`] (a finished run read back by `eval`, `predict` and `export`).

pub mod checkpoint;
pub mod dir;
pub mod metrics_csv;
pub mod progress;
mod recorder;
pub mod require;
mod resume;
pub mod summary;
pub mod trained;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::{self, LoadedConfig};
use crate::data::tabular::PREPROCESSING_FILE;
use crate::data::{self, Splits};
use crate::error::{Diverged, Interrupted, UsageError};
use crate::report::curves;
use crate::run::dir::RunDir;
use crate::run::metrics_csv::MetricsWriter;
use crate::run::progress::{Ending, Progress, Verbosity};
use crate::run::summary::Status;
use crate::schedule::{LrSchedule, RunShape};
use crate::train::EpochMetrics;
use crate::train::{self, Outcome, Trainer};
use checkpoint::{CHECKPOINT_FILE, Checkpoint, PARAMS_EMA_FILE, PARAMS_FILE};

use recorder::{CRASH_HOOK, Recorder, checkpoint_policy};
use resume::{checkpointed_rows, horizons_recomputed, read_checkpoint};

/// How to run, beyond the config itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run directory (absolute).
    pub out: PathBuf,
    /// Replace a run already in `out` (`--force`).
    pub force: bool,
    /// `--quiet`, default or `--verbose`.
    pub verbosity: Verbosity,
    /// Prefix of plain progress lines (compare's runs share one stderr); empty for one run.
    pub label: String,
    /// Threads to use instead of the config's `threads` (compare divides the cores).
    pub threads: Option<usize>,
    /// Stop after this many epochs (counted from 0, i.e. once epoch `K - 1` is done) although the
    /// config trains `train.epochs`: a rung of successive halving. The schedule's horizons still
    /// follow `train.epochs`, the run ends `interrupted` with its checkpoint written, and a later
    /// `resume` continues it exactly as if it had never stopped. `None`: train every epoch.
    pub stop_after: Option<usize>,
}

/// A run that started: its directory, its rows, and how it ended.
#[derive(Debug)]
pub struct RunOutcome {
    pub dir: RunDir,
    /// Every epoch's metrics.csv row, the resumed run's earlier epochs included.
    pub rows: Vec<EpochMetrics>,
    /// As written to summary.json; decided from `end`.
    pub status: Status,
    /// Wall time of the run without checkpoint I/O (summary.json's `total_seconds`).
    pub seconds: f64,
    /// How training ended; `None` when writing a row or a checkpoint failed (see `error`).
    pub end: Option<Outcome>,
    /// What the command reports: `Diverged` or `Interrupted` (exit 3 / 130 or 143, mapped in
    /// `main`), or the I/O failure that stopped the run; `None` when it completed.
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
    // Shared with every other run (and check) of this process on the same data.
    let splits =
        data::cache::load(&cfg.data, cfg.model.task(), cfg.seed).map_err(|e| loaded.usage(e))?;
    let threads = opts
        .threads
        .unwrap_or_else(|| config::resolve_threads(cfg.threads));
    let mut trainer = prepare(loaded, &splits, threads, checkpoint.as_ref(), opts)?;
    let shape = train::run_shape(cfg, splits.train.rows, splits.validation.is_some());
    let run_dir = match resume {
        // Resumed (or, stopped before its first checkpoint, trained again from epoch 0 in its own
        // directory: every draw is a function of the seed, so this is the same run).
        true => RunDir {
            path: opts.out.clone(),
        },
        false => dir::fresh_run(&opts.out, opts.force)?,
    };
    let mut recorder = open(
        loaded,
        &splits,
        &run_dir,
        &trainer,
        checkpoint.as_ref(),
        resume,
        &shape,
        threads,
        opts,
    )?;
    let until = opts
        .stop_after
        .map_or(cfg.train.epochs, |k| k.min(cfg.train.epochs));
    let end = trainer.run(until, &mut recorder);
    // Stopped at a rung: resumable like an interrupted run, not a finished one (and no error).
    let at_rung = matches!(end, Ok(Outcome::Completed)) && until < cfg.train.epochs;
    finish(&trainer, recorder, end, at_rung, &shape)
}

/// Builds the trainer and puts the checkpoint's state into it (a checkpoint that does not fit
/// the config is a usage error naming the file).
fn prepare<'a>(
    loaded: &LoadedConfig,
    splits: &'a Splits,
    threads: usize,
    checkpoint: Option<&Checkpoint>,
    opts: &RunOptions,
) -> Result<Trainer<'a>> {
    let mut trainer = Trainer::new(&loaded.config, splits, threads).map_err(|e| loaded.usage(e))?;
    if let Some(c) = checkpoint {
        let file = opts.out.join(CHECKPOINT_FILE);
        trainer.restore(&c.state).map_err(|e| {
            UsageError(format!(
                "{}: does not fit the config: {e:#}",
                file.display()
            ))
        })?;
    }
    Ok(trainer)
}

/// Writes what a run holds before its first epoch (config.toml, preprocessing.json, metrics.csv
/// fresh or cut back to the checkpoint, a `running` summary.json) and shows the notes.
#[allow(clippy::too_many_arguments)]
fn open<'r>(
    loaded: &'r LoadedConfig,
    splits: &Splits,
    run_dir: &'r RunDir,
    trainer: &Trainer<'_>,
    checkpoint: Option<&Checkpoint>,
    resume: bool,
    shape: &RunShape,
    threads: usize,
    opts: &RunOptions,
) -> Result<Recorder<'r>> {
    let cfg = &loaded.config;
    let done = checkpoint.map_or(0, |c| c.state.epochs_done as usize);
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
    for warning in LrSchedule::lint(&cfg.schedule, cfg.optimizer.lr0(), shape) {
        progress.note(&format!("warning: {warning}"));
    }
    if resume && let Some(note) = horizons_recomputed(&run_dir.file("config.toml"), loaded, shape) {
        progress.note(&note);
    }
    run_dir.write_atomic("config.toml", loaded.to_toml(shape)?.as_bytes())?;
    for note in &splits.notes {
        progress.note(note);
    }
    // Fitted before training, so eval/predict/export can use it with any later params.bin.
    if let Some(p) = &splits.preprocessing {
        let json = serde_json::to_string_pretty(p)?;
        run_dir.write_atomic(PREPROCESSING_FILE, json.as_bytes())?;
    }
    let metrics_path = run_dir.file("metrics.csv");
    let optional = crate::metric::columns::optional_columns(
        trainer.cycles_momentum(),
        cfg.optimizer.learning_rate_free(),
        cfg.train.ema.is_some(),
    );
    let (writer, rows) = match checkpoint {
        Some(c) => {
            let rows = checkpointed_rows(&metrics_path, c.state.epochs_done as usize)?;
            (
                MetricsWriter::resume(&metrics_path, &rows, &optional)?,
                rows,
            )
        }
        None => (MetricsWriter::create(&metrics_path, &optional)?, Vec::new()),
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
    let recorder = Recorder {
        loaded,
        run_dir,
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
        config_hash: config::hash::config_hash(cfg),
        classes: splits
            .preprocessing
            .as_ref()
            .and_then(|p| p.classes.clone()),
        pending: None,
        summary_written: Instant::now(),
        crash_before_rename: std::env::var(CRASH_HOOK).ok().and_then(|v| v.parse().ok()),
        early_stop: trainer.early_stopping().then(|| trainer.stopped_epoch()),
    };
    recorder.write_summary(Status::Running, trainer.steps_done(), None)?;
    Ok(recorder)
}

/// Ends the run from how training ended: the status, params.bin (completed runs), the last
/// complete epoch's checkpoint (interrupted runs), the final summary.json and curves.svg.
fn finish(
    trainer: &Trainer<'_>,
    mut recorder: Recorder<'_>,
    end: Result<Outcome>,
    at_rung: bool,
    shape: &RunShape,
) -> Result<RunOutcome> {
    // What is kept and reported: the optimizer's evaluation point (schedule-free: the average x).
    let final_params = trainer.eval_params();
    if trainer.early_stopping() {
        recorder.early_stop = Some(trainer.stopped_epoch());
    }
    let cfg = &recorder.loaded.config;
    if let (Some(epoch), Some(es)) = (trainer.stopped_epoch(), &cfg.train.early_stopping) {
        recorder.progress.note(&format!(
            "early stopping: {} did not improve for {} epoch(s); stopped after epoch {}/{}{}",
            es.monitor,
            es.patience.max(1),
            epoch + 1,
            cfg.train.epochs,
            if es.restore_best {
                ", the best epoch's parameters restored"
            } else {
                ""
            }
        ));
    }
    let completed = matches!(&end, Ok(o) if o.is_completed()) && !at_rung;
    recorder.progress.finish(match completed {
        true => Ending::Completed,
        false => Ending::Stopped,
    });
    let status = match &end {
        Ok(_) if at_rung => Status::Interrupted,
        Ok(Outcome::Completed | Outcome::StoppedEarly { .. }) => Status::Completed,
        Ok(Outcome::Diverged { .. }) => Status::Diverged,
        Ok(Outcome::Interrupted { .. }) => Status::Interrupted,
        // Writing a row or a checkpoint failed: the run stays as far as it got.
        Err(_) => Status::Running,
    };
    match status {
        // The trainer may be partway into an abandoned epoch: keep the last complete one.
        Status::Interrupted => recorder.write_pending()?,
        Status::Completed => {
            recorder.run_dir.write_atomic(
                PARAMS_FILE,
                &checkpoint::encode_params(recorder.config_hash, &final_params),
            )?;
            if let Some(ema) = trainer.ema_params() {
                recorder.run_dir.write_atomic(
                    PARAMS_EMA_FILE,
                    &checkpoint::encode_params(recorder.config_hash, ema),
                )?;
            }
        }
        _ => {}
    }
    let coefficients = trainer.network().linear_coefficients_at(&final_params);
    let steps = recorder.rows.len() * shape.steps_per_epoch;
    recorder.write_summary(status, steps, coefficients)?;
    // A chart is a convenience: failing to draw one does not fail the run.
    let chart = curves::svg(&recorder.rows);
    if let Err(e) =
        chart.and_then(|svg| recorder.run_dir.write_atomic("curves.svg", svg.as_bytes()))
    {
        recorder
            .progress
            .note(&format!("warning: curves.svg: {e:#}"));
    }
    let seconds = recorder.seconds();
    let (end, error) = match end {
        Ok(o) => (Some(o), command_error(o)),
        Err(e) => (None, Some(e)),
    };
    Ok(RunOutcome {
        dir: recorder.run_dir.clone(),
        rows: recorder.rows,
        status,
        seconds,
        end,
        error,
    })
}

/// The error a command returns for a run that ended this way (its exit code is chosen in
/// `main`); `None` for a completed run.
fn command_error(end: Outcome) -> Option<anyhow::Error> {
    match end {
        Outcome::Completed | Outcome::StoppedEarly { .. } => None,
        Outcome::Diverged { epoch, loss } => Some(
            Diverged {
                epoch,
                message: format!("the training loss became {loss}"),
            }
            .into(),
        ),
        Outcome::Interrupted { .. } => Some(Interrupted.into()),
    }
}

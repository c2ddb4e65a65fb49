//! Training a sweep's (trial, seed) runs: each is exactly a `train` run in
//! `OUT/<trial>/seed-<s>/` ([`crate::run::execute`] / [`crate::run::resume`]), handed to
//! `--jobs` worker threads from one queue, each holding a lock on its run directory while it
//! trains so another shard (or a second invocation) leaves it alone.
//!
//! What a run needs is decided from its directory, never from memory, so a rerun after SIGINT,
//! a kill or a Slurm preemption does the same thing as an uninterrupted sweep: completed and
//! diverged runs are skipped, interrupted ones resumed from their checkpoint, the rest started.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow};

use super::manifest::{self, RunStatus};
use super::plan::{Plan, Trial};

use crate::config::{self, LoadedConfig, RunConfig};
use crate::error::interrupt;
use crate::error::{self, Interrupted};
use crate::run::progress::Verbosity;
use crate::run::summary::Status;
use crate::run::{self, RunOptions};

/// One (trial, seed) run to train.
#[derive(Debug, Clone)]
pub struct Job {
    /// The trial's index in the plan.
    pub trial: usize,
    pub seed: u64,
    /// The trial's config with `seed` set.
    pub loaded: LoadedConfig,
    /// `OUT/<trial>/seed-<s>`.
    pub dir: PathBuf,
    /// The config's `threads`, 1 when it says 0 (all cores), whatever `--jobs` is.
    pub threads: usize,
}

impl Job {
    /// The epochs its run directory holds now, as a person counts them.
    fn stop_label(&self) -> usize {
        crate::run::metrics_csv::read_rows(&self.dir.join("metrics.csv")).map_or(0, |r| r.len())
    }
}

/// How one job ended.
#[derive(Debug)]
pub enum Ended {
    /// It had nothing to do (completed or diverged before).
    Skipped(RunStatus),
    /// It trained and stopped in this state; the error it stopped with, if any (diverged,
    /// interrupted, an I/O failure).
    Trained(RunStatus, Option<anyhow::Error>),
    /// Another live process holds its directory's lock: left alone.
    Held,
}

/// An exclusive advisory lock (flock) on a run directory itself, so no lock file is left
/// behind; released when dropped or when the process ends, however it ends.
pub struct RunLock(#[allow(dead_code)] File);

impl RunLock {
    /// Creates `dir` if needed and takes its lock; `None` when another process holds it.
    pub fn try_take(dir: &Path) -> Result<Option<RunLock>> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = File::open(dir).with_context(|| format!("opening {}", dir.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(RunLock(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(anyhow::Error::new(e).context(format!("locking {}", dir.display())))
            }
        }
    }

    /// True when another process holds `dir`'s lock now (a run in progress elsewhere).
    pub fn held_elsewhere(dir: &Path) -> bool {
        dir.is_dir()
            && File::open(dir)
                .is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
    }
}

/// The jobs of `trials` (plan indices) for every seed of the plan, trial-major, seeds in the
/// plan's order: the order runs start in and results are reported in.
pub fn jobs(plan: &Plan, configs: &[LoadedConfig], trials: &[usize], out: &Path) -> Vec<Job> {
    let mut jobs = Vec::with_capacity(trials.len() * plan.seeds.len());
    for &t in trials {
        let trial = &plan.trials[t];
        for &seed in &plan.seeds {
            let mut loaded = configs[t].clone();
            loaded.config.seed = seed;
            jobs.push(Job {
                trial: t,
                seed,
                threads: loaded.config.threads.max(1),
                loaded,
                dir: manifest::run_dir(out, &trial.name, seed),
            });
        }
    }
    jobs
}

/// A run directory whose recorded config differs from the one the sweep would train now (any
/// key but `[output]`, `train.epochs` included): the sweep file or the base config was edited
/// since. `None` when unchanged, or for a directory without a readable summary (nothing to
/// protect).
pub fn changed(job: &Job) -> Option<String> {
    config_changed(&job.dir, &job.loaded).then(|| job.dir.display().to_string())
}

/// True when `dir`'s summary.json records another config than `loaded` (ignoring `[output]`;
/// `train.epochs` counts). False without a readable summary. `compare` uses it too.
pub fn config_changed(dir: &Path, loaded: &LoadedConfig) -> bool {
    let stored = || -> Option<RunConfig> {
        let text = std::fs::read(dir.join("summary.json")).ok()?;
        let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
        serde_json::from_value(json.get("config")?.clone()).ok()
    };
    let Some(stored) = stored() else {
        return false;
    };
    let now = &loaded.config;
    config::hash::config_hash(&stored) != config::hash::config_hash(now)
        || stored.train.epochs != now.train.epochs
}

/// Trains `jobs` on `workers` threads from one queue, each to `stop_after` epochs (a halving
/// rung; `None`: all of `train.epochs`). `fresh`: start every run afresh (`--force`) instead of
/// reading where its directory stands. Records each run's status in `sweep.json` as it starts
/// and ends. Results come back in job order, whatever order the runs finish in.
pub fn train_all(
    plan: &Plan,
    out: &Path,
    jobs: &[Job],
    workers: usize,
    stop_after: Option<usize>,
    fresh: bool,
    verbosity: Verbosity,
) -> Vec<Result<Ended>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<Ended>>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    // After SIGINT/SIGTERM no further run starts; the running ones stop at
                    // their last complete epoch.
                    let result = if interrupt::requested() {
                        Err(Interrupted.into())
                    } else {
                        let trial = &plan.trials[job.trial];
                        let r = one(plan, out, trial, job, stop_after, fresh, verbosity);
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if !verbosity.is_quiet() && !matches!(r, Ok(Ended::Skipped(_))) {
                            eprintln!("[{n}/{}] {}", jobs.len(), describe(trial, job, &r));
                        }
                        r
                    };
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(anyhow!("the run did not report back")))
        })
        .collect()
}

/// One job under its directory's lock.
fn one(
    plan: &Plan,
    out: &Path,
    trial: &Trial,
    job: &Job,
    stop_after: Option<usize>,
    fresh: bool,
    verbosity: Verbosity,
) -> Result<Ended> {
    let Some(_lock) = RunLock::try_take(&job.dir)? else {
        return Ok(Ended::Held);
    };
    let before = if fresh {
        RunStatus::Pending
    } else {
        manifest::run_status(&job.dir)
    };
    if matches!(before, RunStatus::Completed | RunStatus::Diverged) {
        return Ok(Ended::Skipped(before));
    }
    manifest::record(plan, out, trial, job.seed, RunStatus::Running)?;
    let opts = RunOptions {
        out: job.dir.clone(),
        // The directory is this sweep's and holds no finished run: what a killed run left
        // without a checkpoint is replaced.
        force: true,
        verbosity: match verbosity {
            Verbosity::Verbose => Verbosity::Verbose,
            _ => Verbosity::Quiet,
        },
        label: format!("{} seed {}: ", trial.name, job.seed),
        threads: Some(job.threads),
        stop_after,
    };
    let outcome = match before {
        RunStatus::Interrupted => run::resume(&job.loaded, &opts),
        _ => run::execute(&job.loaded, &opts),
    };
    let (status, error) = match outcome {
        Ok(o) => (
            match o.status {
                Status::Completed => RunStatus::Completed,
                Status::Diverged => RunStatus::Diverged,
                _ => manifest::run_status(&job.dir),
            },
            o.error.filter(|e| error::exit_code(e) != 3),
        ),
        Err(e) => (manifest::run_status(&job.dir), Some(e)),
    };
    manifest::record(plan, out, trial, job.seed, status)?;
    Ok(Ended::Trained(status, error))
}

/// `lr=0.1,schedule=cosine seed 2: completed`, one line as each run ends.
fn describe(trial: &Trial, job: &Job, result: &Result<Ended>) -> String {
    let head = format!("{} seed {}", trial.name, job.seed);
    match result {
        Err(e) => format!("{head}: failed: {e:#}"),
        Ok(Ended::Held) => format!("{head}: running in another process; left alone"),
        Ok(Ended::Skipped(s)) => format!("{head}: {} before", status_name(*s)),
        // Only a halving rung stops a run `interrupted` without an error.
        Ok(Ended::Trained(RunStatus::Interrupted, None)) => {
            format!("{head}: stopped at the rung (epoch {})", job.stop_label())
        }
        Ok(Ended::Trained(s, None)) => format!("{head}: {}", status_name(*s)),
        Ok(Ended::Trained(s, Some(e))) => format!("{head}: {} ({e:#})", status_name(*s)),
    }
}

/// The name `sweep.json` uses for `status`.
pub fn status_name(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Completed => "completed",
        RunStatus::Diverged => "diverged",
        RunStatus::Pruned => "pruned",
        RunStatus::Interrupted => "interrupted",
        RunStatus::Pending => "pending",
        RunStatus::Running => "running",
    }
}
